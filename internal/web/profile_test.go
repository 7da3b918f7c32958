package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/account"
	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/schedule"
)

// TestZoneList keeps the account page's zones loadable and under their current names, so
// that a zone picked from the list is stored as picked.
func TestZoneList(t *testing.T) {
	if len(zones) < 300 || zones[0] != "UTC" {
		t.Fatalf("%d zones, first %q", len(zones), zones[0])
	}
	for _, z := range zones {
		if got, err := schedule.CanonicalZone(z); err != nil || got != z {
			t.Errorf("CanonicalZone(%q) = %q, %v; want it unchanged", z, got, err)
		}
	}
}

// TestProfileNameAndZone sets the display name and the time zone, and sees the pages' times
// follow the zone.
func TestProfileNameAndZone(t *testing.T) {
	e := newEnv(t, envOptions{dashboard: true})
	e.addCheck(idBackup, "Nightly backup", "backup", "", check.StatusUp)
	b := e.signedIn("ann@example.com", people.RoleOwner)

	r := b.get(ProfilePath)
	wantStatus(t, "account page", r, 200)
	for _, want := range []string{`<dd id="email">ann@example.com</dd>`, "<option selected>UTC</option>", `<option>Asia/Tokyo</option>`,
		`href="/accounts/two-factor/"`, `href="/accounts/sessions/"`, "1 browser signed in", `action="/accounts/profile/password/"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("account page lacks %q", want)
		}
	}
	if !strings.Contains(b.get("/projects/p1/checks/").body, `title="2026-12-01 09:00:00 UTC"`) {
		t.Fatal("before the change, the checks page does not show UTC")
	}

	for _, tc := range []struct {
		form        url.Values
		field, text string
	}{
		{url.Values{"name": {"Ann"}, "tz": {"Mars/Olympus_Mons"}}, "tz", "not a time zone we know"},
		{url.Values{"name": {"Ann"}, "tz": {"Local"}}, "tz", "not a time zone we know"},
		{url.Values{"name": {"Ann"}, "tz": {""}}, "tz", "Choose a time zone"},
		{url.Values{"name": {strings.Repeat("a", people.MaxNameLen+1)}, "tz": {"UTC"}}, "name", "too long"},
		{url.Values{"name": {"A\x07nn"}, "tz": {"UTC"}}, "name", "control character"},
	} {
		r := b.post(ProfilePath, tc.form)
		if r.StatusCode != 422 || !strings.Contains(r.body, `id="`+tc.field+`-error"`) || !strings.Contains(r.body, tc.text) {
			t.Errorf("profile %q = %d, want 422 with %q at %s", tc.form, r.StatusCode, tc.text, tc.field)
		}
	}
	if u, _ := e.st.People().UserByEmail(t.Context(), "ann@example.com"); u.Name != "" || u.TimeZone != "" {
		t.Fatalf("refused forms changed the profile: %+v", u)
	}

	wantRedirect(t, "save", b.post(ProfilePath, url.Values{"name": {" Ann Lee "}, "tz": {"Asia/Tokyo"}}), ProfilePath+"?done=profile")
	u, _ := e.st.People().UserByEmail(t.Context(), "ann@example.com")
	if u.Name != "Ann Lee" || u.TimeZone != "Asia/Tokyo" {
		t.Fatalf("stored profile %q %q", u.Name, u.TimeZone)
	}
	r = b.get(ProfilePath + "?done=profile")
	for _, want := range []string{"Your profile was saved.", "<option selected>Asia/Tokyo</option>", `<dd id="now">1 Dec 2026 18:00 JST</dd>`, `value="Ann Lee"`,
		`<span class="who">Ann Lee</span>`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("account page after saving lacks %q", want)
		}
	}
	// Times on the dashboard and the sessions list follow.
	if r := b.get("/projects/p1/checks/"); !strings.Contains(r.body, `title="2026-12-01 18:00:00 JST"`) {
		t.Error("the checks page does not show times in Asia/Tokyo")
	}
	if r := b.get("/accounts/sessions/"); !strings.Contains(r.body, "1 Dec 2026 18:00 JST") {
		t.Error("the sessions page does not show times in Asia/Tokyo")
	}
	// A legacy name is stored under its current one; UTC is stored as no zone.
	b.post(ProfilePath, url.Values{"name": {"Ann Lee"}, "tz": {"Europe/Kiev"}})
	if u, _ := e.st.People().UserByEmail(t.Context(), "ann@example.com"); u.TimeZone != "Europe/Kyiv" {
		t.Errorf("Europe/Kiev stored as %q, want Europe/Kyiv", u.TimeZone)
	}
	b.post(ProfilePath, url.Values{"name": {""}, "tz": {"UTC"}})
	if u, _ := e.st.People().UserByEmail(t.Context(), "ann@example.com"); u.TimeZone != "" || u.Name != "" {
		t.Errorf("after choosing UTC and no name: %+v", u)
	}
}

// TestProfilePassword changes the password: the current one is required, the other sessions
// end, this one stays, and wrong guesses count against the sign-in limits.
func TestProfilePassword(t *testing.T) {
	e := newEnv(t, envOptions{dashboard: true, limits: Limits{Window: 15 * time.Minute, PerAccountAddress: 3}})
	b := e.signedIn("ann@example.com", people.RoleOwner)
	phone := e.browser()
	wantRedirect(t, "phone signs in", phone.login("ann@example.com", "correct horse battery"), "/")
	ch := "/accounts/profile/password/"

	for _, tc := range []struct {
		form        url.Values
		field, text string
	}{
		{url.Values{"current": {""}, "password": {"a new long password"}}, "current", "Enter your current password"},
		{url.Values{"current": {"correct horse battery"}, "password": {"short"}}, "password", "too short"},
		{url.Values{"current": {"wrong guess"}, "password": {"a new long password"}}, "current", "not your current password"},
	} {
		r := b.post(ch, tc.form)
		if r.StatusCode != 422 || !strings.Contains(r.body, `id="`+tc.field+`-error"`) || !strings.Contains(r.body, tc.text) {
			t.Errorf("change %q = %d, want 422 with %q at %s", tc.form, r.StatusCode, tc.text, tc.field)
		}
	}
	if r := phone.get("/"); r.StatusCode != 200 {
		t.Fatalf("refused changes signed the phone out: %d", r.StatusCode)
	}
	wantRedirect(t, "change", b.post(ch, url.Values{"current": {"correct horse battery"}, "password": {"a new long password"}}), ProfilePath+"?done=password")
	if r := b.get(ProfilePath + "?done=password"); r.StatusCode != 200 || !strings.Contains(r.body, "every other browser was signed out") {
		t.Errorf("this browser after the change = %d", r.StatusCode)
	}
	if r := phone.get("/"); r.StatusCode != 303 {
		t.Errorf("the phone after the change = %d, want 303 to sign in", r.StatusCode)
	}
	if r := e.browser().login("ann@example.com", "correct horse battery"); r.StatusCode != 422 {
		t.Errorf("old password signs in: %d", r.StatusCode)
	}
	wantRedirect(t, "new password signs in", e.browser().login("ann@example.com", "a new long password"), "/")

	// Guessing: the successful sign-in above forgot the earlier failures; three wrong guesses
	// reach the limit of 3, and then even the right password is not checked.
	for range 3 {
		b.post(ch, url.Values{"current": {"guess"}, "password": {"another long password"}})
	}
	before, _ := e.st.People().UserByEmail(t.Context(), "ann@example.com")
	r := b.post(ch, url.Values{"current": {"a new long password"}, "password": {"another long password"}})
	if r.StatusCode != 429 || r.Header.Get("Retry-After") == "" || !strings.Contains(r.body, "Too many wrong passwords") {
		t.Errorf("after 3 wrong guesses = %d, Retry-After %q", r.StatusCode, r.Header.Get("Retry-After"))
	}
	if after, _ := e.st.People().UserByEmail(t.Context(), "ann@example.com"); after.PasswordHash != before.PasswordHash {
		t.Error("the refused change changed the password")
	}
}

// TestProfileTokens creates a personal API token (shown once), lists it, and revokes it.
// Creating one asks for the current password again: without it, or with a wrong one, nothing
// is created, the error is next to the field, and wrong ones count against the sign-in limits.
func TestProfileTokens(t *testing.T) {
	e := newEnv(t, envOptions{dashboard: true})
	b := e.signedIn("ann@example.com", people.RoleOwner)
	other := e.signedIn("bob@example.com", people.RoleOwner)

	for _, tc := range []struct{ name, text string }{
		{"", "Name the token"},
		{strings.Repeat("t", people.MaxTokenNameLen+1), "too long"},
	} {
		r := b.post(ProfilePath+"tokens/", url.Values{"token-name": {tc.name}, "token-password": {"correct horse battery"}})
		if r.StatusCode != 422 || !strings.Contains(r.body, `id="token-name-error"`) || !strings.Contains(r.body, tc.text) {
			t.Errorf("token named %q = %d, want 422 with %q", tc.name, r.StatusCode, tc.text)
		}
	}
	for _, tc := range []struct{ password, text string }{
		{"", "Enter your current password"},
		{"wrong horse battery", "That is not your current password"},
	} {
		r := b.post(ProfilePath+"tokens/", url.Values{"token-name": {"terraform"}, "token-password": {tc.password}})
		if r.StatusCode != 422 || !strings.Contains(r.body, `id="token-password-error"`) || !strings.Contains(r.body, tc.text) ||
			!strings.Contains(r.body, `value="terraform"`) {
			t.Errorf("token with password %q = %d, want 422 with %q next to the field and the name kept", tc.password, r.StatusCode, tc.text)
		}
	}
	ann, err := e.st.People().UserByEmail(t.Context(), "ann@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if list, err := e.st.People().APITokens(t.Context(), ann.ID); err != nil || len(list) != 0 {
		t.Fatalf("tokens after the refusals = %v, %v; want none", list, err)
	}
	r := b.post(ProfilePath+"tokens/", url.Values{"token-name": {"terraform"}, "token-password": {"correct horse battery"}})
	wantStatus(t, "create a token", r, 200)
	m := regexp.MustCompile(`<code id="new-token-value">([^<]+)</code>`).FindStringSubmatch(r.body)
	if m == nil || !account.LooksLikeAPIToken(m[1]) {
		t.Fatalf("no token shown: %s", r.body)
	}
	tok := m[1]
	tt, u, err := e.acc.AuthenticateAPIToken(t.Context(), tok)
	if err != nil || u.Email != "ann@example.com" || tt.Name != "terraform" {
		t.Fatalf("the shown token authenticates as %v, %v", u, err)
	}
	r = b.get(ProfilePath)
	if strings.Contains(r.body, tok) || !strings.Contains(r.body, `<tr data-token="terraform"><td>terraform</td><td class="t-created">1 Dec 2026 09:00 UTC</td>`) {
		t.Error("the account page shows the token again, or does not list it")
	}
	// Someone else's token is not found, and stays.
	if r := other.post(ProfilePath+"tokens/"+tt.ID+"/revoke/", nil); r.StatusCode != 404 {
		t.Errorf("bob revokes ann's token = %d, want 404", r.StatusCode)
	}
	if _, _, err := e.acc.AuthenticateAPIToken(t.Context(), tok); err != nil {
		t.Fatalf("after bob's attempt: %v", err)
	}
	wantRedirect(t, "revoke", b.post(ProfilePath+"tokens/"+tt.ID+"/revoke/", nil), ProfilePath+"#tokens")
	if _, _, err := e.acc.AuthenticateAPIToken(t.Context(), tok); err == nil {
		t.Error("the revoked token still authenticates")
	}
	if r := b.get(ProfilePath); !strings.Contains(r.body, "You have no tokens.") {
		t.Error("the revoked token is still listed")
	}
}

// TestProfileTokenWithoutPassword: an account without a password (single sign-on, a trusted
// header) has none to confirm: it may create a token within TokenReauth of signing in, and is
// told to sign in again after that.
func TestProfileTokenWithoutPassword(t *testing.T) {
	e := newEnv(t, envOptions{dashboard: true})
	u := e.user("sso@example.com", "", people.RoleOwner)
	b := e.browser()
	signIn := func() {
		t.Helper()
		in, err := e.acc.StartSession(t.Context(), u, "test")
		if err != nil {
			t.Fatal(err)
		}
		site, _ := url.Parse(e.srv.URL)
		b.jar.SetCookies(site, []*http.Cookie{{Name: "overdue_session", Value: in.Token, Path: "/"}})
	}
	signIn()
	r := b.get(ProfilePath)
	if !strings.Contains(r.body, "within 10 minutes of signing in") || strings.Contains(r.body, `id="token-password"`) ||
		strings.Contains(r.body, "sign in again first") {
		t.Errorf("the account page of a fresh sign-in without a password:\n%s", r.body)
	}
	e.advance(TokenReauth)
	r = b.post(ProfilePath+"tokens/", url.Values{"token-name": {"ci"}})
	if r.StatusCode != 200 || !strings.Contains(r.body, `id="new-token-value"`) {
		t.Errorf("a token %v after signing in = %d, want 200 with the token", TokenReauth, r.StatusCode)
	}
	e.advance(time.Second)
	r = b.post(ProfilePath+"tokens/", url.Values{"token-name": {"ci-2"}})
	if r.StatusCode != 403 || !strings.Contains(r.body, "You signed in more than 10 minutes ago") || strings.Contains(r.body, `id="new-token-value"`) {
		t.Errorf("a token a second later = %d, want 403 saying to sign in again", r.StatusCode)
	}
	if r := b.get(ProfilePath); !strings.Contains(r.body, "sign out and sign in again first") {
		t.Error("the account page does not say to sign in again")
	}
	signIn()
	if r := b.post(ProfilePath+"tokens/", url.Values{"token-name": {"ci-2"}}); r.StatusCode != 200 {
		t.Errorf("a token after signing in again = %d, want 200", r.StatusCode)
	}
	if list, err := e.st.People().APITokens(t.Context(), u.ID); err != nil || len(list) != 2 {
		t.Errorf("tokens = %d, %v; want the two created", len(list), err)
	}
}

// TestProfileReports: the account page shows the email settings (monthly reports and no
// reminders for someone who never chose, as the account API says) and saves a choice; a value
// that is not one of the choices is refused next to its field and changes nothing.
func TestProfileReports(t *testing.T) {
	e := newEnv(t, envOptions{dashboard: true})
	b := e.signedIn("ann@example.com", people.RoleOwner)
	r := b.get(ProfilePath)
	for _, want := range []string{`action="/accounts/profile/reports/"`, "<option selected>monthly</option>", "<option selected>off</option>"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("account page lacks %q", want)
		}
	}
	wantRedirect(t, "save", b.post(ProfilePath+"reports/", url.Values{"reports": {"weekly"}, "reminders": {"hourly"}}), ProfilePath+"?done=reports#reports")
	u := userOf(t, e, "ann@example.com")
	if u.Reports != people.ReportsWeekly || u.Reminders != people.RemindersHourly {
		t.Errorf("after saving: reports %q, reminders %q; want weekly, hourly", u.Reports, u.Reminders)
	}
	if body := b.get(ProfilePath + "?done=reports").body; !strings.Contains(body, "<option selected>weekly</option>") ||
		!strings.Contains(body, "<option selected>hourly</option>") || !strings.Contains(body, "Your email settings were saved.") {
		t.Errorf("the page after saving does not show the choice:\n%s", body)
	}
	for _, bad := range []struct {
		form  url.Values
		field string
	}{
		{url.Values{"reports": {"yearly"}, "reminders": {"off"}}, "reports"},
		{url.Values{"reports": {"daily"}, "reminders": {"every minute"}}, "reminders"},
	} {
		r := b.post(ProfilePath+"reports/", bad.form)
		wantStatus(t, "bad email settings", r, 422)
		if !strings.Contains(r.body, `id="`+bad.field+`-error"`) {
			t.Errorf("%v: no error next to %s:\n%s", bad.form, bad.field, r.body)
		}
	}
	if u := userOf(t, e, "ann@example.com"); u.Reports != people.ReportsWeekly || u.Reminders != people.RemindersHourly {
		t.Errorf("refused forms changed the settings to %q, %q", u.Reports, u.Reminders)
	}
}
