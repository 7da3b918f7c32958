package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/overduehq/overdue/internal/account"
	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/totp"
)

// getAs GETs a page with the trusted header (empty: without it).
func (b *browser) getAs(path, header, email string) *resp {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.e.srv.URL+path, nil)
	if email != "" {
		req.Header.Set(header, email)
	}
	return b.do(req)
}

func TestTrustedHeaderOn(t *testing.T) {
	e := newEnv(t, envOptions{header: &TrustedHeader{Name: "HTTP_X_FORWARDED_EMAIL",
		Policy: account.ExternalPolicy{Domains: []string{"example.org"}, CreateAccounts: true}}})
	alice := e.user("alice@example.org", "correct horse", people.RoleOwner)
	const h = "X-Forwarded-Email"
	b := e.browser()

	// The proxy names alice: she is signed in, on this very request, and keeps one session.
	r := b.getAs("/", h, "Alice@Example.org")
	wantStatus(t, "home with the header", r, http.StatusOK)
	if !strings.Contains(r.body, "<td>Ops</td><td>Owner</td>") {
		t.Errorf("home page with the header is not alice's:\n%s", r.body)
	}
	first := b.session()
	if u, _, err := e.acc.Authenticate(t.Context(), first); err != nil || u.ID != alice.ID {
		t.Fatalf("the header's session is %v, %v; want alice's", u, err)
	}
	wantStatus(t, "second request", b.getAs("/accounts/sessions/", h, "alice@example.org"), http.StatusOK)
	if b.session() != first {
		t.Errorf("a second request with the same header started another session")
	}

	// Another name in the header: alice's session ends and bob's begins (created: allowed).
	wantStatus(t, "home as bob", b.getAs("/", h, "bob@example.org"), http.StatusOK)
	bob, err := e.st.People().UserByEmail(t.Context(), "bob@example.org")
	if err != nil {
		t.Fatalf("bob's account was not created: %v", err)
	}
	if u, _, err := e.acc.Authenticate(t.Context(), b.session()); err != nil || u.ID != bob.ID {
		t.Errorf("after the header changed, the session is %v, %v; want bob's", u, err)
	}
	if _, _, err := e.acc.Authenticate(t.Context(), first); err == nil {
		t.Errorf("alice's session outlived the header naming someone else")
	}

	// Without the header, nobody is signed in: the session ends.
	wantRedirect(t, "home without the header", b.getAs("/", h, ""), "/accounts/login/?next=%2F")
	if b.session() != "" {
		t.Errorf("the session cookie survived a request without the header")
	}

	// A domain outside the policy is refused, and no account is made.
	r = b.getAs("/", h, "eve@evil.example")
	wantStatus(t, "other domain", r, http.StatusForbidden)
	if !strings.Contains(r.body, "only some email domains") || b.session() != "" {
		t.Errorf("other domain: session %q, page:\n%s", b.session(), r.body)
	}
	// Not an address at all.
	wantStatus(t, "not an email", b.getAs("/", h, "alice"), http.StatusForbidden)

	// The header applies to the pages, not to the API beside them.
	wantStatus(t, "API with the header", b.getAs("/api/v3/checks/", h, "alice@example.org"), http.StatusTeapot)
}

func TestTrustedHeaderNoCreation(t *testing.T) {
	e := newEnv(t, envOptions{header: &TrustedHeader{Name: "Remote-User"}})
	b := e.browser()
	r := b.getAs("/", "Remote-User", "bob@example.org")
	wantStatus(t, "unknown email, creation off", r, http.StatusForbidden)
	if !strings.Contains(r.body, "does not create accounts") {
		t.Errorf("page does not say why:\n%s", r.body)
	}
	if _, err := e.st.People().UserByEmail(t.Context(), "bob@example.org"); err == nil {
		t.Errorf("an account was created with creation off")
	}
}

func TestTrustedHeaderOff(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.user("alice@example.org", "correct horse", people.RoleOwner)
	b := e.browser()
	for _, h := range []string{"X-Forwarded-Email", "Remote-User", "X-Auth-Request-Email"} {
		wantRedirect(t, "home with "+h+" and the mode off", b.getAs("/", h, "alice@example.org"), "/accounts/login/?next=%2F")
	}
	if b.session() != "" {
		t.Errorf("a header signed someone in with the mode off")
	}
	// A password session is not touched by the mode being off.
	wantRedirect(t, "sign in", b.login("alice@example.org", "correct horse"), "/")
	wantStatus(t, "home without the header", b.get("/"), http.StatusOK)
}

func TestParseHeaderName(t *testing.T) {
	for in, want := range map[string]string{
		"HTTP_X_FORWARDED_EMAIL": "X-Forwarded-Email",
		"remote-user":            "Remote-User",
		" X-Auth-Request-Email ": "X-Auth-Request-Email",
	} {
		if got, err := ParseHeaderName(in); err != nil || got != want {
			t.Errorf("ParseHeaderName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "HTTP_", "X Forwarded", "X-Email:"} {
		if _, err := ParseHeaderName(bad); err == nil {
			t.Errorf("ParseHeaderName(%q) accepted it", bad)
		}
	}
}

// TestTrustedHeaderSkipsSecondStep: behind an authenticating proxy the proxy is the whole sign-in
// (as in Healthchecks): a user with a second factor is signed in by the header alone.
func TestTrustedHeaderSkipsSecondStep(t *testing.T) {
	e := newEnv(t, envOptions{header: &TrustedHeader{Name: "X-Forwarded-Email"}})
	u := e.user("alice@example.org", "correct horse", people.RoleOwner)
	en, err := e.acc.BeginTOTP(t.Context(), u, "")
	if err != nil {
		t.Fatal(err)
	}
	secret, _ := totp.Decode(en.Secret)
	if _, err := e.acc.ConfirmTOTP(t.Context(), u, en.Token, e.codeAt(secret, 0)); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	wantStatus(t, "home with the header", b.getAs("/", "X-Forwarded-Email", "alice@example.org"), http.StatusOK)
	if b.session() == "" || b.pending() != "" {
		t.Errorf("with the header: session %q, pending %q; want a session", b.session(), b.pending())
	}
}

// TestTrustedHeaderLeavesStatusPagesAlone: behind an authenticating proxy, a public status page
// fetched with the header starts no session: the answer, which shared caches may keep, sets no
// cookie, and the session the browser had is still there afterwards.
func TestTrustedHeaderLeavesStatusPagesAlone(t *testing.T) {
	e := newEnv(t, envOptions{dashboard: true, header: &TrustedHeader{Name: "X-Forwarded-Email"}})
	e.user("alice@example.org", "correct horse", people.RoleOwner)
	c := e.addCheck(idBackup, "Nightly backup", "nightly-db", "", check.StatusUp)
	const key = "statuspagekeyforheader01"
	if err := e.st.PutStatusPage(t.Context(), &check.StatusPage{ProjectID: e.project, Key: key, Public: true, Checks: []string{c.ID}}); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	r := b.getAs("/status/"+key+"/", "X-Forwarded-Email", "alice@example.org")
	wantStatus(t, "status page with the header", r, http.StatusOK)
	if got := r.Header.Values("Set-Cookie"); len(got) != 0 {
		t.Errorf("the public status page set cookies %q", got)
	}
	if got, want := r.Header.Get("Cache-Control"), statusCacheControl(e.clock(), e.clock()); got != want {
		t.Errorf("Cache-Control = %q, want %q", got, want)
	}
	wantStatus(t, "home with the header", b.getAs("/", "X-Forwarded-Email", "alice@example.org"), http.StatusOK)
	session := b.session()
	r = b.getAs("/status/"+key+"/", "X-Forwarded-Email", "")
	wantStatus(t, "status page without the header", r, http.StatusOK)
	if b.session() != session || len(r.Header.Values("Set-Cookie")) != 0 {
		t.Errorf("the status page without the header signed the browser out (session %q → %q)", session, b.session())
	}
}
