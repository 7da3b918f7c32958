package web

import (
	"context"
	"errors"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/httpapi"
	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/store"
)

// addCheck stores a check of the env's project as the API would have made it.
func (e *env) addCheck(id, name, slug, tags string, status check.Status) *check.Check {
	e.t.Helper()
	c := check.New(id, e.project, t0)
	c.Name, c.Slug, c.Tags, c.Status = name, slug, tags, status
	if status == check.StatusUp || status == check.StatusDown {
		c.LastPing = t0
	}
	if status == check.StatusUp {
		c.AlertAfter = c.GoingDownAfter(nil)
	}
	if err := e.st.CreateCheck(e.t.Context(), c); err != nil {
		e.t.Fatal(err)
	}
	return c
}

// signedIn is a browser signed in as a new user with role in the env's project ("" for none).
func (e *env) signedIn(email string, role people.Role) *browser {
	e.t.Helper()
	e.user(email, "correct horse battery", role)
	b := e.browser()
	if r := b.login(email, "correct horse battery"); r.StatusCode != 303 {
		e.t.Fatalf("sign in as %s: %d %s", email, r.StatusCode, r.body)
	}
	return b
}

const (
	idBackup = "11111111-1111-4111-8111-111111111111"
	idReport = "22222222-2222-4222-8222-222222222222"
	idClean  = "33333333-3333-4333-8333-333333333333"
)

// rowIDs are the checks the checks page lists, in order.
func rowIDs(body string) []string {
	var ids []string
	for _, m := range regexp.MustCompile(`data-check="([^"]+)"`).FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

func TestChecksPageFilters(t *testing.T) {
	e := newEnv(t, envOptions{dashboard: true})
	e.addCheck(idBackup, "Nightly backup", "backup", "db prod", check.StatusUp)
	e.addCheck(idReport, "Weekly report", "report", "prod", check.StatusDown)
	e.addCheck(idClean, "Cleanup", "tmp-cleaner", "", check.StatusPaused)
	b := e.signedIn("ann@example.com", people.RoleMember)

	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"", []string{idBackup, idReport, idClean}},
		{"?status=down", []string{idReport}},
		{"?status=up", []string{idBackup}},
		{"?status=paused", []string{idClean}},
		{"?status=late", nil},
		{"?tag=prod", []string{idBackup, idReport}},
		{"?tag=db", []string{idBackup}},
		{"?q=BACKUP", []string{idBackup}},
		{"?q=cleaner", []string{idClean}}, // by slug
		{"?tag=prod&status=up", []string{idBackup}},
	} {
		r := b.get("/projects/p1/checks/" + tc.query)
		if r.StatusCode != 200 {
			t.Fatalf("GET checks%s = %d", tc.query, r.StatusCode)
		}
		if got := rowIDs(r.body); strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("checks%s lists %v, want %v", tc.query, got, tc.want)
		}
	}

	r := b.get("/projects/p1/checks/")
	for _, want := range []string{
		`class="status s-up"`, `</svg> Up</span>`, `</svg> Down</span>`, `</svg> Paused</span>`, // icon and word
		`title="2026-12-01 09:00:00 UTC">just now</time>`,       // relative, exact on hover
		"every 1 day, grace 1 hour",                             // period in words
		`<option value="down">Down (1)</option>`,                // counts in the filter
		`<script src="/static/live.`, `data-refresh-ms="10000"`, // live refresh, default 10 s
		`action="/projects/p1/checks/add/"`, // members may add
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("checks page lacks %q", want)
		}
	}
	e.advance(3 * time.Hour)
	if r := b.get("/projects/p1/checks/?status=late"); strings.Join(rowIDs(r.body), ",") != "" {
		// one day + one hour of grace: three hours on, the backup is still up
		t.Errorf("after 3 h, late lists %v", rowIDs(r.body))
	}
	e.advance(21*time.Hour + time.Minute)
	if r := b.get("/projects/p1/checks/?status=late"); strings.Join(rowIDs(r.body), ",") != idBackup {
		t.Errorf("after 24 h 1 min, late lists %v, want the backup (in its grace time)", rowIDs(r.body))
	}
}

func TestDashboardRoles(t *testing.T) {
	e := newEnv(t, envOptions{dashboard: true})
	e.addCheck(idBackup, "Nightly backup", "backup", "", check.StatusUp)
	details := "/checks/" + idBackup + "/details/"

	// Signed out: to the sign-in form, and back afterwards.
	anon := e.browser()
	if r := anon.get("/projects/p1/checks/"); r.StatusCode != 303 || r.Header.Get("Location") != "/accounts/login/?next=%2Fprojects%2Fp1%2Fchecks%2F" {
		t.Errorf("signed out checks page = %d to %q", r.StatusCode, r.Header.Get("Location"))
	}

	// Not a member: the project and its checks do not exist.
	outsider := e.signedIn("eve@example.com", "")
	for _, path := range []string{"/projects/p1/checks/", details, "/checks/" + idBackup + "/pings/1/", "/projects/nope/checks/",
		"/checks/" + idReport + "/details/", "/checks/not-a-uuid/details/"} {
		if r := outsider.get(path); r.StatusCode != 404 {
			t.Errorf("outsider GET %s = %d, want 404", path, r.StatusCode)
		}
	}
	if r := outsider.post("/checks/"+idBackup+"/pause/", nil); r.StatusCode != 404 {
		t.Errorf("outsider pause = %d, want 404", r.StatusCode)
	}

	// Read-only: sees the check (by its unique key; its UUID is a 404), not its ping URL, and
	// cannot change it.
	ro := e.signedIn("rob@example.com", people.RoleReadOnly)
	if r := ro.get(details); r.StatusCode != 404 {
		t.Errorf("read-only GET by UUID = %d, want 404", r.StatusCode)
	}
	r := ro.get("/checks/" + check.UniqueKey(idBackup) + "/details/")
	if r.StatusCode != 200 || !strings.Contains(r.body, "Nightly backup") {
		t.Fatalf("read-only details = %d", r.StatusCode)
	}
	for _, hidden := range []string{"/ping/" + idBackup, "/pause/", "/remove/", "/timeout/", "/name/"} {
		if strings.Contains(r.body, hidden) {
			t.Errorf("read-only details show %q", hidden)
		}
	}
	if r := ro.get("/projects/p1/checks/"); strings.Contains(r.body, "/checks/add/") {
		t.Error("read-only checks page has the add form")
	}
	for _, path := range []string{"pause", "remove", "name", "timeout"} {
		if r := ro.post("/checks/"+check.UniqueKey(idBackup)+"/"+path+"/", url.Values{"name": {"x"}}); r.StatusCode != 403 {
			t.Errorf("read-only POST %s = %d, want 403", path, r.StatusCode)
		}
	}
	if r := ro.post("/projects/p1/checks/add/", url.Values{"name": {"x"}, "period": {"1 day"}, "grace": {"1 hour"}}); r.StatusCode != 403 {
		t.Errorf("read-only add = %d, want 403", r.StatusCode)
	}
	c, err := e.st.Check(t.Context(), idBackup)
	if err != nil || c.Status != check.StatusUp || c.Name != "Nightly backup" {
		t.Fatalf("after read-only attempts the check is %+v, %v", c, err)
	}
	if cs, _ := e.st.Checks(t.Context(), "p1"); len(cs) != 1 {
		t.Errorf("read-only add created a check: %d checks", len(cs))
	}

	// A member sees the ping URL and may pause; a form from another site is refused.
	m := e.signedIn("meg@example.com", people.RoleMember)
	if r := m.get(details); !strings.Contains(r.body, e.srv.URL+"/ping/"+idBackup) {
		t.Error("member's details lack the ping URL")
	}
	if r := m.post("/checks/"+idBackup+"/pause/", nil, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"); r.StatusCode != 403 {
		t.Errorf("cross-site pause = %d, want 403", r.StatusCode)
	}
	if c, _ := e.st.Check(t.Context(), idBackup); c.Status != check.StatusUp {
		t.Errorf("cross-site pause changed the status to %s", c.Status)
	}
}

// TestReadOnlyNeverSeesUUIDs opens every page a read-only member can reach, as the pages link
// them (and as the live refresh and the schedule preview fetch them), and finds no check's UUID
// in any of them: the UUID is the ping URL. Asking by UUID is a 404, pings and bodies are for
// members, and a unique key of a project the viewer is not in finds nothing.
func TestReadOnlyNeverSeesUUIDs(t *testing.T) {
	e := newEnv(t, envOptions{dashboard: true})
	ids := []string{idBackup, idReport, idClean}
	e.addCheck(idBackup, "Nightly backup", "backup", "db prod", check.StatusUp)
	e.addCheck(idReport, "Weekly report", "report", "prod", check.StatusDown)
	e.addCheck(idClean, "Cleanup", "tmp-cleaner", "", check.StatusPaused)
	for i, id := range ids {
		_, err := e.st.UpdateCheck(t.Context(), id, func(c *check.Check) (store.Change, error) {
			c.NPings++
			body := []byte("ping body of " + id)
			return store.Change{Ping: &check.Ping{CheckID: id, N: c.NPings, Created: t0.Add(time.Duration(i) * time.Second),
				Kind: check.PingSuccess, Scheme: "https", Method: "POST", RemoteAddr: "192.0.2.7", UA: "curl/8.5.0",
				Body: body, BodySize: len(body)}}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	other := &check.Project{ID: "p2", Name: "Elsewhere", Created: t0, BadgeKey: "b2"}
	if err := e.st.CreateProject(t.Context(), other); err != nil {
		t.Fatal(err)
	}
	const idOther = "44444444-4444-4444-8444-444444444444"
	if err := e.st.CreateCheck(t.Context(), check.New(idOther, other.ID, t0)); err != nil {
		t.Fatal(err)
	}
	ro := e.signedIn("rob@example.com", people.RoleReadOnly)

	leaks := func(path, body string) {
		t.Helper()
		lower := strings.ToLower(body)
		for _, id := range append(ids, idOther) {
			for _, form := range []string{id, strings.ReplaceAll(id, "-", "")} {
				if strings.Contains(lower, form) {
					t.Errorf("read-only %s shows the UUID %s", path, id)
				}
			}
		}
		if strings.Contains(body, "ping body of") {
			t.Errorf("read-only %s shows a ping body", path)
		}
	}
	seen := map[string]bool{}
	var visit func(path string)
	visit = func(path string) {
		if seen[path] {
			return
		}
		seen[path] = true
		r := ro.get(path)
		if r.StatusCode != 200 {
			t.Errorf("read-only GET %s = %d, want 200", path, r.StatusCode)
			return
		}
		leaks(path, r.body)
		for _, m := range regexp.MustCompile(`(?:href|data-preview-url)="(/(?:checks|projects)/[^"?#]*)`).FindAllStringSubmatch(r.body, -1) {
			visit(m[1])
		}
	}
	for _, path := range []string{"/", "/projects/p1/checks/", "/projects/p1/checks/?status=down", "/projects/p1/checks/?q=backup"} {
		visit(path)
	}
	for _, id := range ids {
		key := check.UniqueKey(id)
		if !seen["/checks/"+key+"/details/"] {
			t.Errorf("the checks page does not link %s by its unique key", id)
		}
		for _, path := range []string{"/checks/" + key + "/preview/?schedule=0+3+*+*+*&tz=UTC"} {
			visit(path)
		}
		for _, path := range []string{"/checks/" + id + "/details/", "/checks/" + id + "/pings/1/", "/checks/" + id + "/preview/"} {
			if r := ro.get(path); r.StatusCode != 404 {
				t.Errorf("read-only GET %s = %d, want 404", path, r.StatusCode)
			} else {
				leaks(path, r.body)
			}
		}
		if r := ro.get("/checks/" + key + "/pings/1/"); r.StatusCode != 403 {
			t.Errorf("read-only GET ping 1 of %s = %d, want 403", id, r.StatusCode)
		} else {
			leaks("ping", r.body)
		}
	}
	if r := ro.get("/checks/" + check.UniqueKey(idReport) + "/details/"); !strings.Contains(r.body, "Weekly report") ||
		!strings.Contains(r.body, "Your role is read-only") || strings.Contains(r.body, "192.0.2.7") {
		t.Errorf("read-only details: want the check and its log without pings; got %d", r.StatusCode)
	}
	if r := ro.get("/checks/" + check.UniqueKey(idOther) + "/details/"); r.StatusCode != 404 {
		t.Errorf("read-only GET another project's check by key = %d, want 404", r.StatusCode)
	}
	// A member still addresses checks by UUID and sees the pings.
	m := e.signedIn("meg@example.com", people.RoleMember)
	if r := m.get("/projects/p1/checks/"); strings.Join(rowIDs(r.body), ",") != strings.Join(ids, ",") {
		t.Errorf("member's checks page lists %v", rowIDs(r.body))
	}
	if r := m.get("/checks/" + idBackup + "/details/"); !strings.Contains(r.body, "/checks/"+idBackup+"/pings/1/") {
		t.Error("member's details do not link the ping body")
	}
}

// TestAddCheckCap: the add-check form applies the API's per-project cap (half of
// MaxChecksPerProject, 403), says so next to the form, and creates nothing past it.
func TestAddCheckCap(t *testing.T) {
	if defaultMaxChecksPerProject != httpapi.DefaultMaxChecksPerProject {
		t.Errorf("the pages' default cap %d differs from the API's %d", defaultMaxChecksPerProject, httpapi.DefaultMaxChecksPerProject)
	}
	e := newEnv(t, envOptions{dashboard: true, maxChecks: 5}) // through the API and the form: 2
	e.addCheck(idBackup, "Nightly backup", "backup", "", check.StatusUp)
	b := e.signedIn("ann@example.com", people.RoleMember)
	if r := b.get("/projects/p1/checks/"); !strings.Contains(r.body, "A project may have up to 2 checks; this one has 1.") {
		t.Errorf("the checks page does not state the cap:\n%s", r.body)
	}
	form := func(name string) url.Values {
		return url.Values{"name": {name}, "period": {"1 day"}, "grace": {"1 hour"}}
	}
	if r := b.post("/projects/p1/checks/add/", form("Second")); r.StatusCode != 303 {
		t.Fatalf("add the second check = %d, want 303", r.StatusCode)
	}
	r := b.post("/projects/p1/checks/add/", form("Third"))
	if r.StatusCode != 403 || !strings.Contains(r.body, "This project already has 2 checks, the most a project may have.") ||
		!strings.Contains(r.body, `id="name-error"`) || !strings.Contains(r.body, `value="Third"`) {
		t.Errorf("add past the cap = %d, want 403 with the reason next to the name and the values kept:\n%s", r.StatusCode, r.body)
	}
	if cs, _ := e.st.Checks(t.Context(), "p1"); len(cs) != 2 {
		t.Errorf("the project has %d checks, want 2", len(cs))
	}
}

func TestAddCheckValidates(t *testing.T) {
	e := newEnv(t, envOptions{dashboard: true})
	b := e.signedIn("ann@example.com", people.RoleOwner)
	for _, tc := range []struct {
		form  url.Values
		field string
		text  string
	}{
		{url.Values{"name": {"a\x01b"}, "period": {"1 day"}, "grace": {"1 hour"}}, "name", "control character"},
		{url.Values{"name": {strings.Repeat("n", 101)}, "period": {"1 day"}, "grace": {"1 hour"}}, "name", "100"},
		{url.Values{"name": {"x"}, "slug": {"Not A Slug"}, "period": {"1 day"}, "grace": {"1 hour"}}, "slug", "slug"},
		{url.Values{"name": {"x"}, "period": {"5 parsecs"}, "grace": {"1 hour"}}, "period", `unit &#34;parsecs&#34;, which is not one of`},
		{url.Values{"name": {"x"}, "period": {"30 seconds"}, "grace": {"1 hour"}}, "period", "between 1 minute and 52 weeks 1 day"},
		{url.Values{"name": {"x"}, "period": {""}, "grace": {"1 hour"}}, "period", "is missing"},
		{url.Values{"name": {"x"}, "period": {"1 day"}, "grace": {"99999999999999999999 days"}}, "grace", "not a duration"},
	} {
		r := b.post("/projects/p1/checks/add/", tc.form)
		if r.StatusCode != 422 {
			t.Errorf("add %v = %d, want 422", tc.form, r.StatusCode)
			continue
		}
		// The error is in the summary, linked to its field, and next to the field.
		if !strings.Contains(r.body, `<a href="#`+tc.field+`">`) || !strings.Contains(r.body, `id="`+tc.field+`-error"`) ||
			!strings.Contains(r.body, tc.text) {
			t.Errorf("add %v: no error %q at field %s in\n%s", tc.form, tc.text, tc.field, r.body)
		}
	}
	if cs, _ := e.st.Checks(t.Context(), "p1"); len(cs) != 0 {
		t.Fatalf("refused forms created %d checks", len(cs))
	}

	r := b.post("/projects/p1/checks/add/", url.Values{"name": {"Backup"}, "tags": {" db   prod "}, "period": {"6 hours"}, "grace": {"30 min"}})
	if r.StatusCode != 303 || !strings.HasSuffix(r.Header.Get("Location"), "/details/") {
		t.Fatalf("add = %d to %q", r.StatusCode, r.Header.Get("Location"))
	}
	cs, _ := e.st.Checks(t.Context(), "p1")
	if len(cs) != 1 || cs[0].Name != "Backup" || cs[0].Tags != "db prod" || cs[0].Timeout != 6*time.Hour ||
		cs[0].Grace != 30*time.Minute || cs[0].Slug != "" || cs[0].Status != check.StatusNew || cs[0].BadgeKey == "" {
		t.Fatalf("created %+v", cs[0])
	}
}

func TestEditCheckForms(t *testing.T) {
	e := newEnv(t, envOptions{dashboard: true})
	e.addCheck(idBackup, "Nightly backup", "backup", "", check.StatusUp)
	b := e.signedIn("ann@example.com", people.RoleOwner)
	base := "/checks/" + idBackup

	for _, tc := range []struct {
		form  url.Values
		field string
		text  string
	}{
		{url.Values{"kind": {"schedule"}, "schedule": {"0 25 * * *"}, "tz": {"UTC"}, "grace": {"1 hour"}}, "schedule", "not a valid cron or OnCalendar expression"},
		{url.Values{"kind": {"schedule"}, "schedule": {"0 3 * * *"}, "tz": {"Mars/Olympus"}, "grace": {"1 hour"}}, "tz", "not a time zone we know"},
		{url.Values{"kind": {"schedule"}, "schedule": {"1999-01-01 00:00"}, "tz": {"UTC"}, "grace": {"1 hour"}}, "schedule", "never runs"},
		{url.Values{"kind": {"simple"}, "period": {"1 fortnight"}, "grace": {"1 hour"}}, "period", "not one of"},
		{url.Values{"period": {"1 day"}, "grace": {"1 hour"}}, "kind-simple", "Choose whether"},
	} {
		r := b.post(base+"/timeout/", tc.form)
		if r.StatusCode != 422 || !strings.Contains(r.body, `<a href="#`+tc.field+`">`) || !strings.Contains(r.body, tc.text) {
			t.Errorf("timeout %v = %d, want 422 with %q at %s", tc.form, r.StatusCode, tc.text, tc.field)
		}
	}
	if r := b.post(base+"/name/", url.Values{"name": {"x"}, "tags": {strings.Repeat("t", 501)}}); r.StatusCode != 422 ||
		!strings.Contains(r.body, `<a href="#tags">`) {
		t.Errorf("long tags = %d", r.StatusCode)
	}
	if c, _ := e.st.Check(t.Context(), idBackup); c.Kind != check.KindSimple || c.Name != "Nightly backup" {
		t.Fatalf("refused forms changed the check: %+v", c)
	}

	// A schedule in a zone: saved under the zone's current name, and the sweep's due time
	// follows it.
	if r := b.post(base+"/timeout/", url.Values{"kind": {"schedule"}, "schedule": {"0 3 * * *"}, "tz": {"Europe/Kiev"}, "grace": {"15 minutes"}}); r.StatusCode != 303 {
		t.Fatalf("timeout = %d %s", r.StatusCode, r.body)
	}
	c, _ := e.st.Check(t.Context(), idBackup)
	// Last ping 09:00 UTC on 1 Dec; next 03:00 Kyiv (UTC+2) is 01:00 UTC on 2 Dec, + 15 min.
	if want := time.Date(2026, 12, 2, 1, 15, 0, 0, time.UTC); c.Kind != check.KindCron || c.TZ != "Europe/Kyiv" || !c.AlertAfter.Equal(want) {
		t.Errorf("after saving: kind %s tz %s alert after %v, want cron Europe/Kyiv %v", c.Kind, c.TZ, c.AlertAfter, want)
	}
	if r := b.get(base + "/details/"); !strings.Contains(r.body, "cron 0 3 * * * (Europe/Kyiv), grace 15 minutes") {
		t.Error("details do not show the new schedule")
	}

	if r := b.post(base+"/name/", url.Values{"name": {"Backup"}, "slug": {"bk"}, "tags": {"a  b"}, "desc": {"line 1\nline 2"}}); r.StatusCode != 303 {
		t.Fatalf("name = %d", r.StatusCode)
	}
	if c, _ := e.st.Check(t.Context(), idBackup); c.Name != "Backup" || c.Slug != "bk" || c.Tags != "a b" || c.Desc != "line 1\nline 2" {
		t.Errorf("after the name form: %+v", c)
	}

	// Pause, resume, delete: each records what the API would.
	for _, step := range []struct {
		path string
		want check.Status
	}{{"pause", check.StatusPaused}, {"resume", check.StatusNew}} {
		if r := b.post(base+"/"+step.path+"/", nil); r.StatusCode != 303 {
			t.Fatalf("%s = %d", step.path, r.StatusCode)
		}
		if c, _ := e.st.Check(t.Context(), idBackup); c.Status != step.want {
			t.Errorf("after %s: status %s, want %s", step.path, c.Status, step.want)
		}
	}
	flips, _ := e.st.Flips(t.Context(), idBackup, store.FlipQuery{})
	if len(flips) != 2 || flips[0].NewStatus != check.StatusNew || flips[1].NewStatus != check.StatusPaused {
		t.Errorf("flips after pause and resume: %+v", flips)
	}
	if r := b.post(base+"/resume/", nil); r.StatusCode != 303 { // not paused: nothing to do
		t.Errorf("resume of a check not paused = %d", r.StatusCode)
	}
	if r := b.post(base+"/remove/", nil); r.StatusCode != 303 || r.Header.Get("Location") != "/projects/p1/checks/" {
		t.Fatalf("remove = %d to %q", r.StatusCode, r.Header.Get("Location"))
	}
	if _, err := e.st.Check(t.Context(), idBackup); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after remove: %v, want not found", err)
	}
}

func TestSchedulePreview(t *testing.T) {
	e := newEnv(t, envOptions{dashboard: true})
	e.addCheck(idBackup, "Nightly backup", "backup", "", check.StatusUp)
	b := e.signedIn("ann@example.com", people.RoleReadOnly)
	preview := "/checks/" + check.UniqueKey(idBackup) + "/preview/?" // read-only: by the unique key

	r := b.get(preview + url.Values{"schedule": {"30 4 * * 1-5"}, "tz": {"America/New_York"}}.Encode())
	// Now is Tue 1 Dec 09:00 UTC = 04:00 New York: the next run is today 04:30 EST.
	for _, want := range []string{"in America/New_York and UTC", "Tue 2026-12-01 04:30 EST", "(Tue 2026-12-01 09:30 UTC)",
		"Mon 2026-12-07 04:30 EST", `datetime="2026-12-01T09:30:00Z"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("preview lacks %q:\n%s", want, r.body)
		}
	}
	if strings.Contains(r.body, "<html") {
		t.Error("the preview is a fragment, not a page")
	}
	if r := b.get(preview + url.Values{"schedule": {"Mon..Fri 25:00"}}.Encode()); !strings.Contains(r.body, "not a valid cron or OnCalendar expression") {
		t.Errorf("bad schedule preview:\n%s", r.body)
	}
	// Without scripts: the form's Preview button GETs the details page with the values.
	r = e.signedIn("meg@example.com", people.RoleMember).get("/checks/" + idBackup + "/details/?" + url.Values{"schedule": {"0 12 * * *"}, "tz": {"UTC"}}.Encode())
	if !strings.Contains(r.body, "Tue 2026-12-01 12:00 UTC") {
		t.Error("details with ?schedule= do not preview it")
	}
}

func TestPingBodyPage(t *testing.T) {
	e := newEnv(t, envOptions{dashboard: true})
	e.addCheck(idBackup, "Nightly backup", "backup", "", check.StatusNew)
	b := e.signedIn("ann@example.com", people.RoleMember)
	exit := 3
	for i, body := range [][]byte{[]byte("<script>alert(1)</script>\nrsync: error"), {0xff, 0xfe, 0x00}} {
		_, err := e.st.UpdateCheck(t.Context(), idBackup, func(c *check.Check) (store.Change, error) {
			c.NPings++
			return store.Change{Ping: &check.Ping{CheckID: idBackup, N: c.NPings, Created: t0.Add(time.Duration(i) * time.Minute),
				Kind: check.PingFail, Scheme: "https", Method: "POST", RemoteAddr: "192.0.2.7", UA: "curl/8.5.0",
				Body: body, BodySize: len(body), ExitStatus: &exit}}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	r := b.get("/checks/" + idBackup + "/pings/1/")
	for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;\nrsync: error", "Exit status</dt><dd>3", "curl/8.5.0", "192.0.2.7", "POST over https"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("ping page lacks %q", want)
		}
	}
	if strings.Contains(r.body, "<script>alert") {
		t.Error("the body was not escaped")
	}
	if r := b.get("/checks/" + idBackup + "/pings/2/"); !strings.Contains(r.body, "not text (3 bytes)") {
		t.Error("a binary body is not said to be binary")
	}
	if r := b.get("/checks/" + idBackup + "/pings/9/"); r.StatusCode != 404 || !strings.Contains(r.body, "no longer kept") {
		t.Errorf("missing ping = %d", r.StatusCode)
	}
	if r := b.get("/checks/" + idBackup + "/details/"); !strings.Contains(r.body, `href="/checks/`+idBackup+`/pings/1/">body (38 bytes)`) {
		t.Error("the event log does not link the body")
	}
}

func TestDashboardMountAndAssets(t *testing.T) {
	e := newEnv(t, envOptions{dashboard: true})
	b := e.signedIn("ann@example.com", people.RoleOwner)
	// The API keeps its URLs under /projects/ (Prometheus metrics): a wrong key is its 401/404,
	// not a page.
	if r := b.get("/projects/p1/metrics/wrongkey"); strings.Contains(r.body, "<html") {
		t.Errorf("metrics URL answered by the pages: %d", r.StatusCode)
	}
	r := b.get("/projects/p1/checks/")
	csp := r.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP = %q", csp)
	}
	if strings.Contains(r.body, "<script>") || regexp.MustCompile(`<script(?: [^>]*)?>[^<]`).MatchString(r.body) {
		t.Error("a page has an inline script")
	}
	for _, src := range regexp.MustCompile(`<script src="([^"]+)"`).FindAllStringSubmatch(r.body, -1) {
		a := b.get(src[1])
		if a.StatusCode != 200 || a.Header.Get("Content-Type") != "text/javascript; charset=utf-8" ||
			!strings.Contains(a.Header.Get("Cache-Control"), "immutable") || !strings.Contains(a.body, `"use strict"`) {
			t.Errorf("GET %s = %d %q %q", src[1], a.StatusCode, a.Header.Get("Content-Type"), a.Header.Get("Cache-Control"))
		}
	}
	if r := b.get("/static/live.js"); r.StatusCode != 404 {
		t.Errorf("unhashed script name = %d, want 404", r.StatusCode)
	}
	if r := b.get("/"); !strings.Contains(r.body, `href="/projects/p1/checks/"`) {
		t.Error("the home page does not link the project's checks")
	}
}

func TestIntegrationsPage(t *testing.T) {
	e := newEnv(t, envOptions{dashboard: true}) // no tester: this server cannot send tests
	owner := e.signedIn("ann@example.com", people.RoleOwner)
	page := "/projects/p1/integrations/"

	for _, tc := range []struct {
		form        url.Values
		field, text string
	}{
		{url.Values{"kind": {"carrier-pigeon"}, "value": {"x"}}, "kind", "carrier-pigeon"},
		{url.Values{"kind": {"email"}, "value": {"not an address"}}, "value", ""},
		{url.Values{"kind": {"webhook"}, "name": {"a\x01"}, "value": {"https://example.org/h"}}, "name", "control character"},
	} {
		r := owner.post(page+"add/", tc.form)
		if r.StatusCode != 422 || !strings.Contains(r.body, `id="`+tc.field+`-error"`) || !strings.Contains(r.body, tc.text) {
			t.Errorf("add %v = %d, want 422 with an error at %s", tc.form, r.StatusCode, tc.field)
		}
	}
	// Named: without a name a plain webhook is named by its URL (notify.DefaultChannelName).
	if r := owner.post(page+"add/", url.Values{"kind": {"webhook"}, "name": {"Ops hook"}, "value": {"https://example.org/hook?token=s3cret"}}); r.StatusCode != 303 {
		t.Fatalf("add = %d %s", r.StatusCode, r.body)
	}
	chans, _ := e.st.Channels(t.Context(), "p1")
	if len(chans) != 1 || chans[0].Kind != "webhook" || chans[0].Name != "Ops hook" {
		t.Fatalf("channels after add: %+v", chans)
	}
	id := chans[0].ID

	// No one sees a channel's value on the page: it may carry a key.
	ro := e.signedIn("rob@example.com", people.RoleReadOnly)
	for _, b := range []*browser{owner, ro} {
		if r := b.get(page); r.StatusCode != 200 || strings.Contains(r.body, "s3cret") || !strings.Contains(r.body, `data-channel="`+id+`"`) {
			t.Errorf("integrations page = %d, shows the value or lacks the channel", r.StatusCode)
		}
	}
	if r := ro.get(page); strings.Contains(r.body, "/test/") || strings.Contains(r.body, "/add/") {
		t.Error("read-only page has forms")
	}
	for _, path := range []string{"add/", id + "/test/", id + "/remove/"} {
		if r := ro.post(page+path, url.Values{"kind": {"webhook"}, "value": {"https://example.org/x"}}); r.StatusCode != 403 {
			t.Errorf("read-only POST %s = %d, want 403", path, r.StatusCode)
		}
	}
	if r := e.signedIn("eve@example.com", "").get(page); r.StatusCode != 404 {
		t.Errorf("outsider = %d, want 404", r.StatusCode)
	}
	if r := owner.post(page+id+"/test/", nil); r.StatusCode != 501 || !strings.Contains(r.body, "cannot send test notifications") {
		t.Errorf("test without a tester = %d", r.StatusCode)
	}
	if r := owner.post(page+"00000000-0000-4000-8000-000000000000/remove/", nil); r.StatusCode != 404 {
		t.Errorf("remove of an unknown channel = %d", r.StatusCode)
	}
	if r := owner.post(page+id+"/remove/", nil); r.StatusCode != 303 {
		t.Fatalf("remove = %d", r.StatusCode)
	}
	if chans, _ := e.st.Channels(t.Context(), "p1"); len(chans) != 0 {
		t.Errorf("after remove: %d channels", len(chans))
	}
}

// pingCounter is a store that counts the ping listings asked of it.
type pingCounter struct {
	store.Store
	mu    sync.Mutex
	asked []string
}

func (s *pingCounter) Pings(ctx context.Context, checkID string, limit int) ([]*check.Ping, error) {
	s.mu.Lock()
	s.asked = append(s.asked, checkID)
	s.mu.Unlock()
	return s.Store.Pings(ctx, checkID, limit)
}

// TestChecksPageRunStrips: a row's run strip shows the check's kept runs without reading its
// pings; a check whose runs are behind (pinged by a build before data model 13) gets its strip
// from its pings, and only it.
func TestChecksPageRunStrips(t *testing.T) {
	var counter *pingCounter
	e := newEnv(t, envOptions{dashboard: true, pagesStore: func(s store.Store) store.Store {
		counter = &pingCounter{Store: s}
		return counter
	}})
	e.addCheck(idBackup, "Nightly backup", "backup", "", check.StatusNew)
	e.addCheck(idReport, "Weekly report", "report", "", check.StatusNew)
	e.addCheck(idClean, "Cleanup", "cleanup", "", check.StatusNew)
	ping := func(id string, kind check.PingKind, at time.Time, keepRuns bool) {
		t.Helper()
		_, err := e.st.UpdateCheck(t.Context(), id, func(c *check.Check) (store.Change, error) {
			runs, n := c.Runs, c.RunsN
			p, f := c.ApplyPing(check.Signal{Kind: kind, Method: "GET"}, at, nil)
			if !keepRuns { // as a build before data model 13 writes
				c.Runs, c.RunsN = runs, n
			}
			return store.Change{Ping: p, Flip: f}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		at := t0.Add(time.Duration(i) * time.Hour)
		kind := check.PingSuccess
		if i == 1 {
			kind = check.PingFail
		}
		ping(idBackup, check.PingStart, at, true)
		ping(idBackup, kind, at.Add(time.Minute), true)
		ping(idReport, kind, at, false)
	}
	b := e.signedIn("ann@example.com", people.RoleMember)
	counter.asked = nil
	body := b.get("/projects/p1/checks/").body
	labels := regexp.MustCompile(`data-check="([^"]+)"[\s\S]*?aria-label="(last \d+ runs[^"]*)"`).FindAllStringSubmatch(body, -1)
	got := map[string]string{}
	for _, m := range labels {
		got[m[1]] = m[2]
	}
	want := map[string]string{
		idBackup: "last 3 runs: 2 succeeded, 1 failed",
		idReport: "last 3 runs: 2 succeeded, 1 failed",
		idClean:  "last 0 runs: 0 succeeded, 0 failed",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("run strips = %v, want %v", got, want)
	}
	if !slices.Equal(counter.asked, []string{idReport}) {
		t.Errorf("the checks page read the pings of %v, want only those of %s, whose runs are behind", counter.asked, idReport)
	}
	// Durations: the backup's runs took a minute each; its bars say so.
	if n := strings.Count(body, "<title>success, 1 min 0 s</title>"); n != 2 {
		t.Errorf("%d bars titled \"success, 1 min 0 s\", want 2:\n%s", n, body)
	}
}
