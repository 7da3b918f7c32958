package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/people"
)

// TestEditFiltersForm: the details page sets a check's allowed methods and keyword filters with
// the API's fields and rules; what it refuses changes nothing, and read-only members see the
// settings but cannot change them.
func TestEditFiltersForm(t *testing.T) {
	e := newEnv(t, envOptions{dashboard: true})
	e.addCheck(idBackup, "Nightly backup", "backup", "", check.StatusUp)
	b := e.signedIn("ann@example.com", people.RoleMember)
	path := "/checks/" + idBackup + "/filters/"

	if body := b.get("/checks/" + idBackup + "/details/").body; !strings.Contains(body, `action="`+path+`"`) ||
		!strings.Contains(body, `name="methods" value="" id="methods" checked`) {
		t.Fatalf("the details page lacks the filters form, any method chosen:\n%s", body)
	}
	r := b.post(path, url.Values{"methods": {"POST"}, "filter_body": {"1"}, "filter_http_body": {"1"},
		"success_kw": {" done, ok "}, "failure_kw": {"ERROR"}, "start_kw": {"starting"}, "filter_default_fail": {"1"}})
	if r.StatusCode != 303 || r.Header.Get("Location") != "/checks/"+idBackup+"/details/" {
		t.Fatalf("saving the filters = %d to %q: %s", r.StatusCode, r.Header.Get("Location"), r.body)
	}
	c, _ := e.st.Check(t.Context(), idBackup)
	if c.Methods != "POST" || c.FilterSubject || !c.FilterBody || !c.FilterHTTPBody || c.SuccessKw != "done, ok" ||
		c.FailureKw != "ERROR" || c.StartKw != "starting" || !c.FilterDefaultFail {
		t.Errorf("after saving: %+v", c)
	}
	// As saved, the page shows it: the form holds the values.
	body := b.get("/checks/" + idBackup + "/details/").body
	for _, want := range []string{`value="POST" id="methods-post" checked`, `id="filter_body" checked`, `id="filter_http_body" checked`,
		`id="filter_subject">`, `value="done, ok"`, `id="filter_default_fail-1" checked`} {
		if !strings.Contains(body, want) {
			t.Errorf("the form after saving lacks %q", want)
		}
	}

	for _, tc := range []struct {
		form        url.Values
		field, text string
	}{
		{url.Values{"methods": {"PUT"}}, "methods", "Choose whether any HTTP method counts"},
		{url.Values{"failure_kw": {strings.Repeat("é", check.MaxKeywordLen+1)}}, "failure_kw", "Failure keywords are too long: at most 200 characters in all, this has 201"},
		{url.Values{"start_kw": {strings.Repeat("x", 300)}}, "start_kw", "Start keywords are too long"},
	} {
		r := b.post(path, tc.form)
		if r.StatusCode != 422 || !strings.Contains(r.body, `<a href="#`+tc.field+`">`) || !strings.Contains(r.body, tc.text) {
			t.Errorf("filters %v = %d, want 422 with %q at #%s", tc.form, r.StatusCode, tc.text, tc.field)
		}
		if !strings.Contains(r.body, `id="`+tc.field+`"`) {
			t.Errorf("filters %v: the page has no element #%s for the summary's link", tc.form, tc.field)
		}
	}
	if after, _ := e.st.Check(t.Context(), idBackup); after.Methods != "POST" || after.FailureKw != "ERROR" || after.StartKw != "starting" {
		t.Errorf("refused forms changed the check: %+v", after)
	}

	// Boxes not ticked are off, empty keywords empty: the form says everything, as a PUT would.
	if r := b.post(path, url.Values{"methods": {""}}); r.StatusCode != 303 {
		t.Fatalf("clearing the filters = %d", r.StatusCode)
	}
	if c, _ := e.st.Check(t.Context(), idBackup); c.Methods != "" || c.FilterBody || c.FilterHTTPBody || c.SuccessKw != "" || c.FilterDefaultFail {
		t.Errorf("after clearing: %+v", c)
	}

	// The saved rule works: a POST-only check logs a GET as ignored.
	b.post(path, url.Values{"methods": {"POST"}})
	if r := e.browser().get("/ping/" + idBackup); r.StatusCode != 200 {
		t.Fatalf("GET ping = %d", r.StatusCode)
	}
	if p, err := e.st.Pings(t.Context(), idBackup, 1); err != nil || len(p) != 1 || p[0].Kind != check.PingIgnored {
		t.Errorf("a GET ping to a POST-only check: %+v, %v; want it ignored", p, err)
	}

	ro := e.signedIn("rob@example.com", people.RoleReadOnly)
	key := check.UniqueKey(idBackup)
	body = ro.get("/checks/" + key + "/details/").body
	if strings.Contains(body, "/filters/") || !strings.Contains(body, "POST requests only") {
		t.Errorf("a read-only member's details page: the form, or no summary of the methods:\n%s", body)
	}
	if r := ro.post("/checks/"+key+"/filters/", url.Values{"methods": {""}}); r.StatusCode != 403 {
		t.Errorf("a read-only member's filters form = %d, want 403", r.StatusCode)
	}
	if c, _ := e.st.Check(t.Context(), idBackup); c.Methods != "POST" {
		t.Errorf("a read-only member changed the methods to %q", c.Methods)
	}
}

// TestEditChannelsForm: the details page assigns the project's channels to a check, as the API's
// channels field does; an ID that is not the project's is refused, and read-only members see no
// channels, as the API shows them none.
func TestEditChannelsForm(t *testing.T) {
	e := newEnv(t, envOptions{dashboard: true})
	e.addCheck(idBackup, "Nightly backup", "backup", "", check.StatusUp)
	ops := e.addChannel("e1111111-1111-4111-8111-111111111111", "Ops mail", "ops@example.org")
	dev := e.addChannel("e2222222-2222-4222-8222-222222222222", "Dev mail", "dev@example.org")
	b := e.signedIn("ann@example.com", people.RoleMember)
	path := "/checks/" + idBackup + "/channels/"

	body := b.get("/checks/" + idBackup + "/details/").body
	for _, want := range []string{`action="` + path + `"`, `value="` + ops + `" id="channels">`, `value="` + dev + `" id="channel-` + dev + `">`, "Ops mail", "Dev mail"} {
		if !strings.Contains(body, want) {
			t.Errorf("the details page lacks %q", want)
		}
	}
	for _, tc := range []struct {
		chosen []string
		want   []string
	}{
		{[]string{dev}, []string{dev}},
		{[]string{dev, ops}, []string{ops, dev}}, // the project's order
		{nil, nil},
	} {
		if r := b.post(path, url.Values{"channel": tc.chosen}); r.StatusCode != 303 {
			t.Fatalf("assigning %v = %d: %s", tc.chosen, r.StatusCode, r.body)
		}
		if c, _ := e.st.Check(t.Context(), idBackup); !slices.Equal(c.Channels, tc.want) {
			t.Errorf("after assigning %v: channels %v, want %v", tc.chosen, c.Channels, tc.want)
		}
	}
	b.post(path, url.Values{"channel": {ops}})
	if body := b.get("/checks/" + idBackup + "/details/").body; !strings.Contains(body, `value="`+ops+`" id="channels" checked`) ||
		strings.Contains(body, `id="channel-`+dev+`" checked`) {
		t.Errorf("the form does not show Ops mail alone as assigned")
	}

	// An ID the project does not have: refused, nothing changes.
	r := b.post(path, url.Values{"channel": {dev, "e9999999-9999-4999-8999-999999999999"}})
	if r.StatusCode != 422 || !strings.Contains(r.body, `<a href="#channels">`) || !strings.Contains(r.body, "not in this project any more") {
		t.Errorf("an unknown channel = %d, want 422 with the reason", r.StatusCode)
	}
	if c, _ := e.st.Check(t.Context(), idBackup); !slices.Equal(c.Channels, []string{ops}) {
		t.Errorf("a refused form changed the channels to %v", c.Channels)
	}

	ro := e.signedIn("rob@example.com", people.RoleReadOnly)
	key := check.UniqueKey(idBackup)
	if body := ro.get("/checks/" + key + "/details/").body; strings.Contains(body, "Ops mail") || strings.Contains(body, "/channels/") {
		t.Errorf("a read-only member sees the check's channels")
	}
	if r := ro.post("/checks/"+key+"/channels/", url.Values{}); r.StatusCode != 403 {
		t.Errorf("a read-only member's channels form = %d, want 403", r.StatusCode)
	}
	if c, _ := e.st.Check(t.Context(), idBackup); !slices.Equal(c.Channels, []string{ops}) {
		t.Errorf("a read-only member changed the channels to %v", c.Channels)
	}
}

// addChannel stores an email channel of the env's project and returns its ID.
func (e *env) addChannel(id, name, address string) string {
	e.t.Helper()
	ch := &check.Channel{ID: id, ProjectID: e.project, Kind: check.ChannelEmail, Name: name, Value: address, Created: t0}
	if err := e.st.CreateChannel(e.t.Context(), ch); err != nil {
		e.t.Fatal(err)
	}
	return id
}

// TestEditChannelForm: the integrations page edits a channel as the API's update does: a new
// name and timing with the value kept when the field is empty; a new value stored and the
// channel re-enabled; each bad input refused with the field named and nothing changed; a
// read-only member refused.
func TestEditChannelForm(t *testing.T) {
	e := newEnv(t, envOptions{dashboard: true})
	id := e.addChannel("e0000000-0000-4000-8000-0000000000e1", "Ops mail", "ops@example.org")
	if err := e.st.Deliveries().MarkChannelError(t.Context(), e.project, id, "550 mailbox unavailable", true); err != nil {
		t.Fatal(err)
	}
	owner := e.signedIn("ann@example.com", people.RoleOwner)
	path := "/projects/" + e.project + "/integrations/" + id + "/edit/"
	stored := func() *check.Channel {
		t.Helper()
		chs, err := e.st.Channels(t.Context(), e.project)
		if err != nil || len(chs) != 1 {
			t.Fatalf("Channels = %v, %v", chs, err)
		}
		return chs[0]
	}
	page := owner.get("/projects/" + e.project + "/integrations/")
	if !strings.Contains(page.body, `action="`+path+`"`) || strings.Contains(page.body, "ops@example.org") {
		t.Errorf("integrations page lacks the edit form, or shows the value:\n%s", page.body)
	}

	wantRedirect(t, "rename and time", owner.post(path, url.Values{"name": {"Ops on call"}, "value": {""}, "delay": {"15"}, "repeat": {"60"}}),
		"/projects/"+e.project+"/integrations/")
	if ch := stored(); ch.Name != "Ops on call" || ch.Value != "ops@example.org" || ch.Delay != 15*time.Minute || ch.Repeat != time.Hour || !ch.Disabled {
		t.Errorf("after a rename: %+v, want the new name and timing, the value kept, still disabled", ch)
	}
	wantRedirect(t, "new value", owner.post(path, url.Values{"name": {"Ops on call"}, "value": {"oncall@example.org"}, "delay": {"15"}, "repeat": {"60"}}),
		"/projects/"+e.project+"/integrations/")
	if ch := stored(); ch.Value != "oncall@example.org" || ch.Disabled || ch.LastError != "" {
		t.Errorf("after a new value: %+v, want it stored and the channel enabled", ch)
	}
	before := stored()
	for _, bad := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"name": {"x"}, "value": {"not an address"}}, "not changed"},
		{url.Values{"name": {"x"}, "delay": {"-5"}}, "Delay must be a whole number of minutes"},
		{url.Values{"name": {"x"}, "repeat": {"often"}}, "Repeat must be a whole number of minutes"},
		{url.Values{"name": {strings.Repeat("n", 101)}}, "not changed"},
	} {
		r := owner.post(path, bad.form)
		wantStatus(t, "bad edit", r, http.StatusUnprocessableEntity)
		if !strings.Contains(r.body, bad.want) {
			t.Errorf("bad edit %v: page lacks %q:\n%s", bad.form, bad.want, r.body)
		}
	}
	if diff := cmp.Diff(before, stored()); diff != "" {
		t.Errorf("refused edits changed the channel:\n%s", diff)
	}
	ro := e.signedIn("ro@example.com", people.RoleReadOnly)
	wantStatus(t, "read-only edit", ro.post(path, url.Values{"name": {"mine"}}), http.StatusForbidden)
	if stored().Name != "Ops on call" {
		t.Error("a read-only member renamed the channel")
	}
}

// TestEditChannelLate: the edit form's Late notice box turns the channel's late option on and
// off, and the checks assigned the channel follow (due at their grace start only while on).
func TestEditChannelLate(t *testing.T) {
	e := newEnv(t, envOptions{dashboard: true})
	id := e.addChannel("e0000000-0000-4000-8000-0000000000e1", "Ops mail", "ops@example.org")
	c := check.New("c0000000-0000-4000-8000-0000000000c1", e.project, t0)
	c.Name, c.Status, c.LastPing, c.Timeout, c.Grace, c.Channels = "backup", check.StatusUp, t0, time.Hour, time.Hour, []string{id}
	c.AlertAfter = c.NextDue(nil)
	if err := e.st.CreateCheck(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	owner := e.signedIn("ann@example.com", people.RoleOwner)
	page := owner.get("/projects/" + e.project + "/integrations/")
	if !strings.Contains(page.body, `name="late"`) {
		t.Errorf("integrations page has no late box for an email channel:\n%s", page.body)
	}
	path := "/projects/" + e.project + "/integrations/" + id + "/edit/"
	wantDue := func(when string, late bool, due time.Time) {
		t.Helper()
		chs, err := e.st.Channels(t.Context(), e.project)
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.st.Check(t.Context(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if chs[0].Late != late || got.LateNotice != late || !got.AlertAfter.Equal(due) {
			t.Errorf("%s: channel late %v, check marker %v, due %v; want %v, %v, %v", when, chs[0].Late, got.LateNotice, got.AlertAfter, late, late, due)
		}
	}
	wantRedirect(t, "late on", owner.post(path, url.Values{"name": {"Ops mail"}, "late": {"1"}}), "/projects/"+e.project+"/integrations/")
	wantDue("late on", true, t0.Add(time.Hour))
	if page := owner.get("/projects/" + e.project + "/integrations/"); !strings.Contains(page.body, "late notice") {
		t.Errorf("integrations page does not show the late notice in the timing column")
	}
	wantRedirect(t, "late off", owner.post(path, url.Values{"name": {"Ops mail"}}), "/projects/"+e.project+"/integrations/")
	wantDue("late off", false, t0.Add(2*time.Hour))
}
