package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestServeSingleSignOnFlags: the real server with --oidc-issuer discovers the provider at the
// first press of the button and sends the browser to its authorization endpoint with the
// configured client and our callback; with --trusted-header it signs in (and here creates) whoever
// the header names. The full OIDC flow against a loopback provider is tested in internal/web.
func TestServeSingleSignOnFlags(t *testing.T) {
	idp := httptest.NewServer(nil)
	defer idp.Close()
	idp.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/openid-configuration" {
			http.NotFound(w, r)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"issuer": idp.URL, "authorization_endpoint": idp.URL + "/authorize",
			"token_endpoint": idp.URL + "/token", "jwks_uri": idp.URL + "/jwks", "id_token_signing_alg_values_supported": []string{"RS256"}})
	})
	dataDir := t.TempDir()
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, dataDir, "--oidc-issuer", idp.URL, "--oidc-client-id", "overdue", "--oidc-client-secret-file", secret,
		"--oidc-name", "Keycloak", "--trusted-header", "HTTP_X_FORWARDED_EMAIL", "--sso-create-accounts", "--sso-domains", "example.org")
	base := s.waitFor(t, regexp.MustCompile(`^listening on (\S+)$`))[1]

	b := browserClient()
	if code, body := getWith(t, b, base+"/accounts/login/"); code != 200 || !strings.Contains(body, `href="/accounts/oidc/login/">Sign in with Keycloak</a>`) {
		t.Fatalf("GET login = %d, want the button:\n%s", code, body)
	}
	resp, err := b.Get(base + "/accounts/oidc/login/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	to, _ := url.Parse(resp.Header.Get("Location"))
	q := to.Query()
	if resp.StatusCode != 303 || !strings.HasPrefix(to.String(), idp.URL+"/authorize?") || q.Get("client_id") != "overdue" ||
		q.Get("redirect_uri") != base+"/accounts/oidc/callback/" || q.Get("code_challenge_method") != "S256" {
		t.Errorf("button = %d to %s; want the provider's authorization endpoint for client overdue, our callback, S256", resp.StatusCode, to)
	}

	req, _ := http.NewRequest(http.MethodGet, base+"/accounts/sessions/", nil)
	req.Header.Set("X-Forwarded-Email", "dana@example.org")
	resp, err = b.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("sessions page with the trusted header = %d, want 200", resp.StatusCode)
	}
	if code, _ := getWith(t, browserClient(), base+"/accounts/sessions/"); code != 303 {
		t.Errorf("sessions page without the header = %d, want 303 to sign in", code)
	}
}
