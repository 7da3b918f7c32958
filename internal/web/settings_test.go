package web

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/store"
)

const settings = "/projects/p1/settings/"

// newKeyOn is the key a settings answer shows once; "" when it shows none.
func newKeyOn(body string) string {
	m := regexp.MustCompile(`<code id="new-key-value">([^<]+)</code>`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

// project is the env's project as stored now.
func (e *env) projectNow() *check.Project {
	e.t.Helper()
	p, err := e.st.Project(e.t.Context(), e.project)
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// role is the stored role of the user with email in the env's project; "" for none.
func (e *env) role(email string) people.Role {
	e.t.Helper()
	u, err := e.st.People().UserByEmail(e.t.Context(), email)
	if err != nil {
		e.t.Fatal(err)
	}
	ms, err := e.st.People().Members(e.t.Context(), e.project)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, m := range ms {
		if m.UserID == u.ID {
			return m.Role
		}
	}
	return ""
}

// TestSettingsRoles opens the settings page and sends each of its forms as every kind of
// caller: what each sees, and that a refused form changes nothing.
func TestSettingsRoles(t *testing.T) {
	e := newEnv(t, envOptions{dashboard: true})
	e.addCheck(idBackup, "Nightly backup", "backup", "db", check.StatusUp)
	owner := e.signedIn("ann@example.com", people.RoleOwner)
	if r := owner.post(settings+"keys/read-only/new/", nil); r.StatusCode != 200 || newKeyOn(r.body) == "" {
		t.Fatalf("owner creates a read-only key: %d", r.StatusCode)
	}
	before := e.projectNow()
	ann, _ := e.st.People().UserByEmail(t.Context(), "ann@example.com")

	forms := map[string]url.Values{
		"name/":                          {"name": {"Renamed"}},
		"keys/read-write/new/":           nil,
		"keys/read-only/new/":            {"replace": {"1"}},
		"keys/read-only/revoke/":         nil,
		"members/invite/":                {"email": {"new@example.com"}, "role": {"member"}},
		"members/" + ann.ID + "/role/":   {"role": {"readonly"}},
		"members/" + ann.ID + "/remove/": nil,
		"delete/":                        {"confirm": {"Ops"}},
	}
	unchanged := func(who string) {
		t.Helper()
		p := e.projectNow()
		if p.Name != before.Name || p.APIKeyHash != before.APIKeyHash || p.ReadOnlyKeyHash != before.ReadOnlyKeyHash {
			t.Errorf("after %s's refused forms the project is %+v, was %+v", who, p, before)
		}
		if e.role("ann@example.com") != people.RoleOwner {
			t.Errorf("after %s's refused forms ann is %s", who, e.role("ann@example.com"))
		}
		if _, err := e.st.People().UserByEmail(t.Context(), "new@example.com"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("after %s's refused forms: %v", who, err)
		}
		if len(e.box.sent) != 0 {
			t.Errorf("after %s's refused forms, mail was sent: %+v", who, e.box.sent)
		}
	}

	// Signed out: to the sign-in form.
	if r := e.browser().get(settings); r.StatusCode != 303 || !strings.HasPrefix(r.Header.Get("Location"), LoginPath) {
		t.Errorf("signed out = %d to %q", r.StatusCode, r.Header.Get("Location"))
	}

	// Not a member: nothing there.
	outsider := e.signedIn("eve@example.com", "")
	if r := outsider.get(settings); r.StatusCode != 404 {
		t.Errorf("outsider GET = %d, want 404", r.StatusCode)
	}
	for path, form := range forms {
		if r := outsider.post(settings+path, form); r.StatusCode != 404 {
			t.Errorf("outsider POST %s = %d, want 404", path, r.StatusCode)
		}
	}
	unchanged("an outsider")

	// Read-only: the team and the badges, no keys, no Prometheus URL, no forms but leaving.
	ro := e.signedIn("rob@example.com", people.RoleReadOnly)
	r := ro.get(settings)
	wantStatus(t, "read-only GET", r, 200)
	for _, hidden := range []string{"sha256:", "/settings/keys/", "/metrics/", "Prometheus", "/settings/name/", "/settings/delete/",
		"/members/invite/", "/role/", "Remove"} {
		if strings.Contains(r.body, hidden) {
			t.Errorf("read-only settings show %q", hidden)
		}
	}
	for _, shown := range []string{"ann@example.com", `data-member="rob@example.com"`, "Leave project", "/badge/"} {
		if !strings.Contains(r.body, shown) {
			t.Errorf("read-only settings lack %q", shown)
		}
	}
	for path, form := range forms {
		if r := ro.post(settings+path, form); r.StatusCode != 403 {
			t.Errorf("read-only POST %s = %d, want 403", path, r.StatusCode)
		}
	}
	unchanged("a read-only member")

	// Member: keys (as the API lets every role but read-only), not the team or the project.
	mem := e.signedIn("meg@example.com", people.RoleMember)
	r = mem.get(settings)
	for _, shown := range []string{"/settings/keys/read-write/new/", "/settings/keys/read-only/revoke/", check.KeyHint(before.ReadOnlyKeyHash), e.srv.URL + settings[:len(settings)-len("settings/")] + "metrics/"} {
		if !strings.Contains(r.body, shown) {
			t.Errorf("member's settings lack %q", shown)
		}
	}
	for _, hidden := range []string{"/settings/name/", "/settings/delete/", "/members/invite/", "/role/"} {
		if strings.Contains(r.body, hidden) {
			t.Errorf("member's settings show %q", hidden)
		}
	}
	for _, path := range []string{"name/", "members/invite/", "members/" + ann.ID + "/role/", "members/" + ann.ID + "/remove/", "delete/"} {
		if r := mem.post(settings+path, forms[path]); r.StatusCode != 403 {
			t.Errorf("member POST %s = %d, want 403", path, r.StatusCode)
		}
	}
	unchanged("a member")

	// Manager: the team, but not owners; not the project.
	mgr := e.signedIn("max@example.com", people.RoleManager)
	r = mgr.get(settings)
	if strings.Contains(r.body, "/members/"+ann.ID+"/role/") || strings.Contains(r.body, `<option value="owner"`) {
		t.Error("a manager's page offers to change the owner, or to make owners")
	}
	if !strings.Contains(r.body, "/members/invite/") || strings.Contains(r.body, "/settings/delete/") || strings.Contains(r.body, "/settings/name/") {
		t.Error("a manager's page lacks the invitation form, or has the owner's forms")
	}
	for _, path := range []string{"members/" + ann.ID + "/role/", "members/" + ann.ID + "/remove/"} {
		if r := mgr.post(settings+path, forms[path]); r.StatusCode != 403 || !strings.Contains(r.body, "Only an owner may") {
			t.Errorf("manager POST %s = %d, want 403 saying only an owner may", path, r.StatusCode)
		}
	}
	meg, _ := e.st.People().UserByEmail(t.Context(), "meg@example.com")
	if r := mgr.post(settings+"members/"+meg.ID+"/role/", url.Values{"role": {"owner"}}); r.StatusCode != 403 {
		t.Errorf("manager makes an owner = %d, want 403", r.StatusCode)
	}
	if r := mgr.post(settings+"members/invite/", url.Values{"email": {"new@example.com"}, "role": {"owner"}}); r.StatusCode != 403 ||
		!strings.Contains(r.body, `id="role-error"`) {
		t.Errorf("manager invites an owner = %d, want 403 with the error at the role", r.StatusCode)
	}
	for _, path := range []string{"name/", "delete/"} {
		if r := mgr.post(settings+path, forms[path]); r.StatusCode != 403 {
			t.Errorf("manager POST %s = %d, want 403", path, r.StatusCode)
		}
	}
	unchanged("a manager")
	if r := mgr.post(settings+"members/"+meg.ID+"/role/", url.Values{"role": {"readonly"}}); r.StatusCode != 303 {
		t.Fatalf("manager demotes a member = %d %s", r.StatusCode, r.body)
	}
	if got := e.role("meg@example.com"); got != people.RoleReadOnly {
		t.Errorf("meg is %s after the manager's change, want readonly", got)
	}
	// Demoted, meg's page hides the keys at once.
	if r := mem.get(settings); strings.Contains(r.body, "sha256:") {
		t.Error("demoted to read-only, meg still sees key hints")
	}

	// A form from another site is refused before anything is looked at.
	if r := owner.post(settings+"delete/", forms["delete/"], "Sec-Fetch-Site", "cross-site"); r.StatusCode != 403 {
		t.Errorf("cross-site delete = %d, want 403", r.StatusCode)
	}
	if e.projectNow() == nil {
		t.Error("cross-site delete deleted the project")
	}
}

// TestSettingsKeys creates, rotates and revokes keys from the settings page and uses them
// against the API on the same server: each is shown once, the page lists only hints after.
func TestSettingsKeys(t *testing.T) {
	e := newEnv(t, envOptions{dashboard: true})
	e.addCheck(idBackup, "Nightly backup", "backup", "", check.StatusUp)
	b := e.signedIn("meg@example.com", people.RoleMember)
	metrics := func(key string) int {
		t.Helper()
		res, err := http.Get(e.srv.URL + "/projects/p1/metrics/" + key)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}

	r := b.post(settings+"keys/read-only/new/", nil)
	wantStatus(t, "create a read-only key", r, 200)
	key := newKeyOn(r.body)
	if !strings.HasPrefix(key, "hcr_") || len(key) != 32 {
		t.Fatalf("new read-only key %q", key)
	}
	promURL := e.srv.URL + "/projects/p1/metrics/" + key
	if !strings.Contains(r.body, promURL) {
		t.Errorf("the answer lacks the Prometheus URL %s", promURL)
	}
	if got := e.projectNow().ReadOnlyKeyHash; got != check.HashKey(key) {
		t.Errorf("stored hash %q, want the key's", got)
	}
	if code := metrics(key); code != 200 {
		t.Errorf("metrics with the new key = %d", code)
	}
	// Shown once: the page afterwards has the hint, never the key.
	r = b.get(settings)
	if strings.Contains(r.body, key) || !strings.Contains(r.body, check.KeyHint(check.HashKey(key))) {
		t.Error("the settings page shows the key again, or lacks its hint")
	}
	// A second create (another tab) is refused; nothing changes.
	r = b.post(settings+"keys/read-only/new/", nil)
	if r.StatusCode != 409 || !strings.Contains(r.body, "Rotate it") || newKeyOn(r.body) != "" {
		t.Errorf("create over an existing key = %d", r.StatusCode)
	}
	if code := metrics(key); code != 200 {
		t.Errorf("after the refused create the key answers %d", code)
	}
	// Rotation: a new key, and the old one stops at once.
	r = b.post(settings+"keys/read-only/new/", url.Values{"replace": {"1"}})
	rotated := newKeyOn(r.body)
	if r.StatusCode != 200 || rotated == "" || rotated == key {
		t.Fatalf("rotate = %d, key %q", r.StatusCode, rotated)
	}
	if old, cur := metrics(key), metrics(rotated); old != 403 || cur != 200 {
		t.Errorf("after rotation: old key %d, new key %d; want 403, 200", old, cur)
	}
	// Revoke.
	wantRedirect(t, "revoke", b.post(settings+"keys/read-only/revoke/", nil), settings+"#keys")
	if code := metrics(rotated); code != 403 {
		t.Errorf("revoked key answers %d", code)
	}
	if r := b.get(settings); !strings.Contains(r.body, `action="/projects/p1/settings/keys/read-only/new/" class="inline"><button type="submit">Create`) {
		t.Error("after revoking, the page does not offer to create a read-only key")
	}

	// The ping key pings checks by slug.
	r = b.post(settings+"keys/ping/new/", nil)
	pingKey := newKeyOn(r.body)
	if pingKey == "" || !strings.Contains(r.body, e.srv.URL+"/ping/"+pingKey+"/&lt;slug&gt;") {
		t.Fatalf("ping key answer = %d, key %q", r.StatusCode, pingKey)
	}
	if r := e.browser().get("/ping/" + pingKey + "/backup"); r.StatusCode != 200 || r.body != "OK" {
		t.Errorf("slug ping with the new ping key = %d %q", r.StatusCode, r.body)
	}
	if r := b.post(settings+"keys/master/new/", nil); r.StatusCode != 404 {
		t.Errorf("unknown key kind = %d, want 404", r.StatusCode)
	}
}

// TestSettingsTeam invites, changes roles and removes members with the members API's rules.
func TestSettingsTeam(t *testing.T) {
	e := newEnv(t, envOptions{dashboard: true})
	owner := e.signedIn("ann@example.com", people.RoleOwner)
	mem := e.signedIn("meg@example.com", people.RoleMember)
	ann, _ := e.st.People().UserByEmail(t.Context(), "ann@example.com")
	meg, _ := e.st.People().UserByEmail(t.Context(), "meg@example.com")

	for _, tc := range []struct {
		form   url.Values
		status int
		field  string
		text   string
	}{
		{url.Values{"email": {""}, "role": {"member"}}, 422, "email", "Enter the email address"},
		{url.Values{"email": {"not an address"}, "role": {"member"}}, 422, "email", "not a valid address"},
		{url.Values{"email": {"new@example.com"}, "role": {"boss"}}, 422, "role", "Choose a role"},
		{url.Values{"email": {"MEG@example.com"}, "role": {"member"}}, 409, "email", "a member of the project already"},
	} {
		r := owner.post(settings+"members/invite/", tc.form)
		if r.StatusCode != tc.status || !strings.Contains(r.body, `id="`+tc.field+`-error"`) || !strings.Contains(r.body, tc.text) {
			t.Errorf("invite %v = %d, want %d with %q at %s", tc.form, r.StatusCode, tc.status, tc.text, tc.field)
		}
	}
	if len(e.box.sent) != 0 {
		t.Fatalf("refused invitations sent mail: %+v", e.box.sent)
	}
	r := owner.post(settings+"members/invite/", url.Values{"email": {"new@example.com"}, "role": {"manager"}})
	if r.StatusCode != 200 || !strings.Contains(r.body, "was sent to new@example.com") {
		t.Fatalf("invite = %d", r.StatusCode)
	}
	link := e.box.link(t, "new@example.com")
	if !strings.Contains(link, "/accounts/invite/") {
		t.Errorf("invitation mail links %s", link)
	}

	// Roles: the last owner stays, whoever tries.
	r = owner.post(settings+"members/"+ann.ID+"/role/", url.Values{"role": {"member"}})
	if r.StatusCode != 409 || !strings.Contains(r.body, "last owner") || !strings.Contains(r.body, `id="members-error"`) {
		t.Errorf("demote the last owner = %d", r.StatusCode)
	}
	r = owner.post(settings+"members/"+ann.ID+"/remove/", nil)
	if r.StatusCode != 409 || e.role("ann@example.com") != people.RoleOwner {
		t.Errorf("last owner leaves = %d; role %s", r.StatusCode, e.role("ann@example.com"))
	}
	if r := owner.get(settings); strings.Contains(r.body, "Leave project") || strings.Contains(r.body, "/members/"+ann.ID+"/remove/") {
		t.Error("the last owner is offered to leave")
	}
	if r := owner.post(settings+"members/"+meg.ID+"/role/", url.Values{"role": {"owner"}}); r.StatusCode != 303 {
		t.Fatalf("make meg owner = %d", r.StatusCode)
	}
	if got := e.role("meg@example.com"); got != people.RoleOwner {
		t.Fatalf("meg is %s", got)
	}
	if r := owner.post(settings+"members/not-a-user/role/", url.Values{"role": {"member"}}); r.StatusCode != 404 {
		t.Errorf("role of a non-member = %d, want 404", r.StatusCode)
	}
	if r := owner.get(settings); !strings.Contains(r.body, "Leave project") {
		t.Error("with two owners, ann is not offered to leave")
	}
	// Now ann may leave; she goes to the home page and the project is gone for her.
	wantRedirect(t, "ann leaves", owner.post(settings+"members/"+ann.ID+"/remove/", nil), "/")
	if got := e.role("ann@example.com"); got != "" {
		t.Errorf("ann is still %s", got)
	}
	if r := owner.get(settings); r.StatusCode != 404 {
		t.Errorf("ann's settings page after leaving = %d, want 404", r.StatusCode)
	}
	if r := mem.get(settings); r.StatusCode != 200 || strings.Contains(r.body, "ann@example.com") {
		t.Errorf("the team still lists ann")
	}
}

// TestSettingsRenameAndDelete renames the project and deletes it with its checks, after a typed
// confirmation.
func TestSettingsRenameAndDelete(t *testing.T) {
	e := newEnv(t, envOptions{dashboard: true})
	e.addCheck(idBackup, "Nightly backup", "backup", "", check.StatusUp)
	owner := e.signedIn("ann@example.com", people.RoleOwner)

	for _, tc := range []struct{ name, text string }{
		{"", "Enter a name"},
		{"   ", "Enter a name"},
		{strings.Repeat("x", check.MaxProjectName+1), "Project name is too long"},
		{"a\x01b", "Project name"},
	} {
		r := owner.post(settings+"name/", url.Values{"name": {tc.name}})
		if r.StatusCode != 422 || !strings.Contains(r.body, `id="name-error"`) || !strings.Contains(r.body, tc.text) {
			t.Errorf("rename to %q = %d, want 422 with %q at the name", tc.name, r.StatusCode, tc.text)
		}
	}
	wantRedirect(t, "rename", owner.post(settings+"name/", url.Values{"name": {"Payments"}}), settings)
	if p := e.projectNow(); p.Name != "Payments" {
		t.Fatalf("name after rename %q", p.Name)
	}
	r := owner.get(settings)
	if !strings.Contains(r.body, "<title>Settings · Payments · Overdue</title>") || !strings.Contains(r.body, "its 1 check with their history") {
		t.Errorf("settings after rename lack the new name or the check count")
	}

	for _, typed := range []string{"", "Ops", "payments"} {
		r := owner.post(settings+"delete/", url.Values{"confirm": {typed}})
		if r.StatusCode != 422 || !strings.Contains(r.body, `id="confirm-error"`) || !strings.Contains(r.body, "Nothing was deleted") {
			t.Errorf("delete confirmed with %q = %d, want 422", typed, r.StatusCode)
		}
	}
	if _, err := e.st.Check(t.Context(), idBackup); err != nil {
		t.Fatalf("the check after refused deletes: %v", err)
	}
	wantRedirect(t, "delete", owner.post(settings+"delete/", url.Values{"confirm": {"Payments"}}), "/")
	if _, err := e.st.Project(t.Context(), "p1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("project after delete: %v", err)
	}
	if _, err := e.st.Check(t.Context(), idBackup); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("check after delete: %v", err)
	}
	if r := owner.get("/"); strings.Contains(r.body, "Payments") {
		t.Error("the home page still lists the deleted project")
	}
}

// TestSettingsBadges lists a badge for all checks and one per tag, whose URLs the API serves.
func TestSettingsBadges(t *testing.T) {
	e := newEnv(t, envOptions{dashboard: true})
	e.addCheck(idBackup, "Nightly backup", "backup", "db prod", check.StatusUp)
	e.addCheck(idReport, "Weekly report", "report", "prod", check.StatusDown)
	b := e.signedIn("rob@example.com", people.RoleReadOnly)
	for _, tc := range []struct {
		query, suffix string
	}{{"", "-2"}, {"?states=3", ""}} {
		r := b.get(settings + tc.query)
		urls := regexp.MustCompile(`<img src="([^"]+)" alt="([^"]+) badge">`).FindAllStringSubmatch(r.body, -1)
		if len(urls) != 3 || urls[0][2] != "All checks" || urls[1][2] != "db" || urls[2][2] != "prod" {
			t.Fatalf("badges%s: %v", tc.query, urls)
		}
		for _, u := range urls {
			src := strings.ReplaceAll(u[1], "&amp;", "&")
			if two := strings.Contains(src, "-2"); two != (tc.suffix == "-2") {
				t.Errorf("badge%s %s: two-state %v", tc.query, src, two)
			}
			if !strings.Contains(r.body, "![") || !strings.Contains(r.body, "&lt;img src=&#34;"+u[1]) {
				t.Errorf("no Markdown or HTML to copy for %s", src)
			}
			res, err := http.Get(src)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != 200 || !strings.HasPrefix(string(body), "<svg") {
				t.Errorf("GET %s = %d %.40q", src, res.StatusCode, body)
			}
		}
	}
}

// TestSettingsInviteMailFails: when the invitation mail cannot be sent, the invitation stands
// and the page shows its link to pass on; the log says why without the invitee's address.
func TestSettingsInviteMailFails(t *testing.T) {
	var logs strings.Builder
	var mu sync.Mutex
	e := newEnv(t, envOptions{dashboard: true, log: slog.New(slog.NewJSONHandler(lockedWriter{&mu, &logs}, nil))})
	owner := e.signedIn("ann@example.com", people.RoleOwner)
	e.box.refuse = "550 mailbox unavailable"
	r := owner.post(settings+"members/invite/", url.Values{"email": {"new@example.com"}, "role": {"readonly"}})
	wantStatus(t, "invite with a failing mailer", r, 200)
	m := regexp.MustCompile(`<code id="invite-link">([^<]+)</code>`).FindStringSubmatch(r.body)
	if m == nil || !strings.Contains(r.body, "The invitation mail could not be sent.") || !strings.Contains(r.body, "to join as Read-only") {
		t.Fatalf("the page lacks the link or the warning:\n%s", r.body)
	}
	// The link works for the invitee.
	invitee := e.browser()
	if r := invitee.get(path(t, m[1])); r.StatusCode != 200 || !strings.Contains(r.body, "Ops") {
		t.Errorf("the shown link = %d", r.StatusCode)
	}
	mu.Lock()
	got := logs.String()
	mu.Unlock()
	if !strings.Contains(got, "invitation mail not sent") || !strings.Contains(got, "550 mailbox unavailable") {
		t.Errorf("the log does not say why the mail failed:\n%s", got)
	}
	if strings.Contains(got, "new@example.com") {
		t.Errorf("the log carries the invitee's address:\n%s", got)
	}
}

// TestSettingsPendingInvitations lists the invitations not used yet to owners and managers, and
// cancels them with the members rules: a cancelled link no longer opens.
func TestSettingsPendingInvitations(t *testing.T) {
	e := newEnv(t, envOptions{dashboard: true})
	owner := e.signedIn("ann@example.com", people.RoleOwner)
	mgr := e.signedIn("max@example.com", people.RoleManager)
	mem := e.signedIn("meg@example.com", people.RoleMember)
	for _, f := range []url.Values{{"email": {"new@example.com"}, "role": {"member"}}, {"email": {"boss@example.com"}, "role": {"owner"}}} {
		wantStatus(t, "invite "+f.Get("email"), owner.post(settings+"members/invite/", f), 200)
	}
	cancelURL := regexp.MustCompile(`action="(/projects/p1/settings/invitations/[0-9a-f]+/cancel/)"`)

	r := owner.get(settings)
	urls := cancelURL.FindAllStringSubmatch(r.body, -1)
	if len(urls) != 2 || !strings.Contains(r.body, `<tr data-invitation="new@example.com"><td>new@example.com</td><td>Member</td><td>8 Dec 2026 09:00 UTC</td>`) {
		t.Fatalf("owner's pending list: %v", urls)
	}
	bossCancel := pendingCancel(r.body)["boss@example.com"]
	if bossCancel == "" {
		t.Fatal("the owner cannot cancel the owner invitation")
	}
	if r := mem.get(settings); strings.Contains(r.body, "data-invitation") {
		t.Error("a member sees the pending invitations")
	}
	if r := mem.post(bossCancel, nil); r.StatusCode != 403 {
		t.Errorf("member cancels = %d, want 403", r.StatusCode)
	}
	// A manager sees both, may cancel only the one that is not for an owner.
	r = mgr.get(settings)
	if got := pendingCancel(r.body); len(got) != 2 || got["boss@example.com"] != "" || got["new@example.com"] == "" {
		t.Errorf("manager's pending list: %v, want both, only new@ with a cancel form", got)
	}
	if r := mgr.post(bossCancel, nil); r.StatusCode != 403 || !strings.Contains(r.body, "Only an owner may") {
		t.Errorf("manager cancels the owner invitation = %d, want 403", r.StatusCode)
	}
	bossLink := path(t, e.box.link(t, "boss@example.com"))
	if r := e.browser().get(bossLink); r.StatusCode != 200 {
		t.Fatalf("the owner invitation after the manager's attempt = %d", r.StatusCode)
	}
	wantRedirect(t, "owner cancels", owner.post(bossCancel, nil), settings+"#members")
	if r := e.browser().get(bossLink); r.StatusCode != 404 {
		t.Errorf("a cancelled invitation's link = %d, want 404", r.StatusCode)
	}
	if r := owner.post(bossCancel, nil); r.StatusCode != 404 || !strings.Contains(r.body, `id="members-error"`) {
		t.Errorf("cancel twice = %d, want 404 with the error at the team", r.StatusCode)
	}
	if r := owner.get(settings); strings.Contains(r.body, "boss@example.com") || !strings.Contains(r.body, "new@example.com") {
		t.Error("after cancelling, the list is not just the other invitation")
	}
	// Expired: gone from the list.
	e.advance(8 * 24 * time.Hour)
	if r := owner.get(settings); strings.Contains(r.body, "data-invitation") {
		t.Error("an expired invitation is still listed")
	}
}

// pendingCancel maps each pending invitation's email on a settings page to its cancel form's
// URL ("" for one without).
func pendingCancel(body string) map[string]string {
	out := map[string]string{}
	for _, chunk := range strings.Split(body, `<tr data-invitation="`)[1:] {
		email, rest, _ := strings.Cut(chunk, `"`)
		rest, _, _ = strings.Cut(rest, "</tr>")
		out[email] = ""
		if m := regexp.MustCompile(`action="([^"]+/cancel/)"`).FindStringSubmatch(rest); m != nil {
			out[email] = m[1]
		}
	}
	return out
}
