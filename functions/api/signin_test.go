package main

import (
	"crypto/rand"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/overduehq/overdue/internal/account"
	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/web"
)

// TestSignInThroughAPIGateway sends a browser's recorded sign-in POST through the adapter: the
// pages are served by the same function as the API, the session cookie comes back in the
// payload 2.0 cookies (Secure, with the __Host- prefix, as the site root is https), and the
// next request with it sees the user's projects. The same form from another site is refused.
func TestSignInThroughAPIGateway(t *testing.T) {
	st := newStore(t)
	seed(t, st)
	acc := &account.Service{People: st.People(), Projects: st, Now: fixedClock, Rand: rand.Reader,
		Params: account.Argon2Params{Time: 1, Memory: 64, Threads: 1, SaltLen: 16, KeyLen: 32}}
	projects, err := st.Projects(t.Context())
	if err != nil || len(projects) != 1 {
		t.Fatalf("Projects = %v, %v", projects, err)
	}
	if _, err := acc.CreateUser(t.Context(), account.NewUser{Email: "alice@example.org", Password: "correct horse staple",
		ProjectID: projects[0].ID, Role: people.RoleManager}); err != nil {
		t.Fatal(err)
	}
	h := httpadapter.NewV2(handler(t, st, testSettings(), []byte("0123456789abcdef0123456789abcdef"), slog.New(slog.DiscardHandler), fixedClock))

	cross, _ := readEvent(t, "login.json")
	cross.Headers["sec-fetch-site"] = "cross-site"
	cross.Headers["origin"] = "https://evil.example"
	resp, err := h.ProxyWithContext(t.Context(), cross)
	if err != nil || resp.StatusCode != http.StatusForbidden || len(resp.Cookies) != 0 {
		t.Fatalf("cross-site sign-in = %d, cookies %v, %v; want 403 and no cookie", resp.StatusCode, resp.Cookies, err)
	}

	ev, _ := readEvent(t, "login.json")
	resp, err = h.ProxyWithContext(t.Context(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSeeOther || resp.Headers["Location"] != "/" || len(resp.Cookies) != 1 {
		t.Fatalf("POST /accounts/login/ = %d to %q, cookies %v; want 303 to / with one cookie\n%s",
			resp.StatusCode, resp.Headers["Location"], resp.Cookies, resp.Body)
	}
	cookie := resp.Cookies[0]
	for _, want := range []string{"__Host-overdue_session=", "; Secure", "; HttpOnly", "; SameSite=Lax", "; Path=/"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("cookie %q lacks %q", cookie, want)
		}
	}

	home, _ := readEvent(t, "login.json")
	home.RawPath, home.RequestContext.HTTP.Path, home.RequestContext.HTTP.Method = "/", "/", http.MethodGet
	home.Body, home.Headers["content-length"] = "", "0"
	home.Cookies = []string{strings.SplitN(cookie, ";", 2)[0]}
	resp, err = h.ProxyWithContext(t.Context(), home)
	if err != nil || resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, "<td>Ops</td><td>Manager</td>") {
		t.Fatalf("GET / with the cookie = %d, %v\n%s", resp.StatusCode, err, resp.Body)
	}
	if csp := resp.Headers["Content-Security-Policy"]; !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
}

// TestSignInLimitHeldInTable: failed sign-ins counted by one instance of the function block the
// same account from the same address on another, as both count in the table.
func TestSignInLimitHeldInTable(t *testing.T) {
	st := newStore(t)
	seed(t, st)
	newInstance := func() *httpadapter.HandlerAdapterV2 {
		return httpadapter.NewV2(handler(t, st, testSettings(), []byte("0123456789abcdef0123456789abcdef"), slog.New(slog.DiscardHandler), fixedClock))
	}
	one, two := newInstance(), newInstance()
	ev, _ := readEvent(t, "login.json") // alice@example.org has no account: every try fails
	for i := range web.DefaultLimits.PerAccountAddress {
		inst := one
		if i%2 == 1 {
			inst = two
		}
		resp, err := inst.ProxyWithContext(t.Context(), ev)
		if err != nil || resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("failure %d = %d, %v; want 422", i+1, resp.StatusCode, err)
		}
	}
	for name, inst := range map[string]*httpadapter.HandlerAdapterV2{"one": one, "two": two, "a new one": newInstance()} {
		resp, err := inst.ProxyWithContext(t.Context(), ev)
		if err != nil || resp.StatusCode != http.StatusTooManyRequests || resp.Headers["Retry-After"] == "" {
			t.Errorf("instance %s past the limit = %d (Retry-After %q), %v; want 429", name, resp.StatusCode, resp.Headers["Retry-After"], err)
		}
	}
}
