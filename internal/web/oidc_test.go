package web

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/account"
	"github.com/overduehq/overdue/internal/people"
)

// idp is a small OpenID Connect provider on loopback: discovery, a JWKS with one RS256 key, an
// authorization endpoint that signs in one person at once (no form) and redirects back with a
// code, and a token endpoint that checks the client's secret, the redirect URI and the PKCE
// verifier before it returns an ID token signed with its key.
type idp struct {
	t        *testing.T
	srv      *httptest.Server
	key      *rsa.PrivateKey
	clientID string
	secret   string
	now      func() time.Time

	mu     sync.Mutex
	codes  map[string]grant
	email  string
	edit   func(claims map[string]any) // changes the next ID tokens' claims
	signer *rsa.PrivateKey             // signs ID tokens; nil: key (the published one)
	tokens int                         // codes exchanged
}

// grant is what an authorization request asked for, kept until its code is exchanged.
type grant struct {
	redirect, challenge, nonce string
}

func newIDP(t *testing.T) *idp {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &idp{t: t, key: key, clientID: "overdue-test", secret: "s3cret", codes: map[string]grant{},
		email: "alice@example.org", now: func() time.Time { return t0 }}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /jwks", p.jwks)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func (p *idp) config(policy account.ExternalPolicy) *OIDCConfig {
	return &OIDCConfig{Issuer: p.srv.URL, ClientID: p.clientID, ClientSecret: p.secret, Name: "Test IdP", Policy: policy}
}

func (p *idp) discovery(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, map[string]any{
		"issuer": p.srv.URL, "authorization_endpoint": p.srv.URL + "/authorize", "token_endpoint": p.srv.URL + "/token",
		"jwks_uri": p.srv.URL + "/jwks", "response_types_supported": []string{"code"},
		"subject_types_supported": []string{"public"}, "id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported": []string{"S256"},
	})
}

func (p *idp) jwks(w http.ResponseWriter, r *http.Request) {
	b64 := base64.RawURLEncoding.EncodeToString
	writeJSON(w, map[string]any{"keys": []map[string]any{{"kty": "RSA", "alg": "RS256", "use": "sig", "kid": "k1",
		"n": b64(p.key.N.Bytes()), "e": b64(big.NewInt(int64(p.key.E)).Bytes())}}})
}

// authorize accepts only what a careful client sends: our client ID, the code flow, the openid
// scope, and a PKCE challenge by S256.
func (p *idp) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for k, want := range map[string]string{"client_id": p.clientID, "response_type": "code", "code_challenge_method": "S256"} {
		if q.Get(k) != want {
			http.Error(w, k+" is "+q.Get(k)+", want "+want, http.StatusBadRequest)
			return
		}
	}
	if !strings.Contains(" "+q.Get("scope")+" ", " openid ") || q.Get("code_challenge") == "" || q.Get("state") == "" || q.Get("nonce") == "" {
		http.Error(w, "want scope openid, a code challenge, a state and a nonce", http.StatusBadRequest)
		return
	}
	code := rand.Text()
	p.mu.Lock()
	p.codes[code] = grant{redirect: q.Get("redirect_uri"), challenge: q.Get("code_challenge"), nonce: q.Get("nonce")}
	p.mu.Unlock()
	to, _ := url.Parse(q.Get("redirect_uri"))
	to.RawQuery = url.Values{"code": {code}, "state": {q.Get("state")}}.Encode()
	http.Redirect(w, r, to.String(), http.StatusFound)
}

func (p *idp) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != p.clientID || secret != p.secret {
		w.WriteHeader(http.StatusUnauthorized)
		writeJSON(w, map[string]string{"error": "invalid_client"})
		return
	}
	p.mu.Lock()
	g, ok := p.codes[r.PostForm.Get("code")]
	delete(p.codes, r.PostForm.Get("code"))
	p.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if !ok || r.PostForm.Get("grant_type") != "authorization_code" || r.PostForm.Get("redirect_uri") != g.redirect ||
		base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		w.WriteHeader(http.StatusBadRequest)
		writeJSON(w, map[string]string{"error": "invalid_grant"})
		return
	}
	now := p.now()
	p.mu.Lock()
	claims := map[string]any{"iss": p.srv.URL, "sub": "user-1", "aud": p.clientID, "iat": now.Unix(),
		"exp": now.Add(5 * time.Minute).Unix(), "nonce": g.nonce, "email": p.email, "email_verified": true, "name": "Alice"}
	if p.edit != nil {
		p.edit(claims)
	}
	signer := p.key
	if p.signer != nil {
		signer = p.signer
	}
	p.tokens++
	p.mu.Unlock()
	writeJSON(w, map[string]any{"access_token": "at-" + rand.Text(), "token_type": "Bearer", "expires_in": 300,
		"id_token": signJWT(p.t, signer, claims)})
}

// signJWT is a compact JWS, RS256, key ID k1.
func signJWT(t *testing.T, key *rsa.PrivateKey, claims map[string]any) string {
	hdr, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": "k1"})
	body, _ := json.Marshal(claims)
	in := base64.RawURLEncoding.EncodeToString(hdr) + "." + base64.RawURLEncoding.EncodeToString(body)
	sum := sha256.Sum256([]byte(in))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// fetch GETs an absolute URL (the provider's, or ours as the provider redirects to it).
func (b *browser) fetch(u string) *resp {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return b.do(req)
}

// toProvider presses the button on the sign-in page and returns the provider's authorization
// URL it leads to.
func (b *browser) toProvider(next string) *url.URL {
	b.t.Helper()
	r := b.get("/accounts/login/?next=" + url.QueryEscape(next))
	wantStatus(b.t, "sign-in page", r, http.StatusOK)
	link := OIDCLoginPath
	if next != "/" {
		link += "?next=" + url.QueryEscape(next)
	}
	if !strings.Contains(r.body, `href="`+strings.ReplaceAll(link, "&", "&amp;")+`">Sign in with Test IdP</a>`) {
		b.t.Fatalf("sign-in page has no button to %s:\n%s", link, r.body)
	}
	r = b.get(link)
	if r.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("button: status %d, want 303; body:\n%s", r.StatusCode, r.body)
	}
	u, err := url.Parse(r.Header.Get("Location"))
	if err != nil {
		b.t.Fatal(err)
	}
	return u
}

// authorize follows the button's redirect to the provider, which answers with a redirect back to us, which must be our callback URL.
func (b *browser) authorize(u *url.URL) *url.URL {
	b.t.Helper()
	r := b.fetch(u.String())
	if r.StatusCode != http.StatusFound {
		b.t.Fatalf("provider's authorization endpoint: %d, want 302; body:\n%s", r.StatusCode, r.body)
	}
	back, _ := url.Parse(r.Header.Get("Location"))
	if got, want := back.Scheme+"://"+back.Host+back.Path, b.e.srv.URL+OIDCCallbackPath; got != want {
		b.t.Fatalf("provider redirects to %s, want the callback %s", got, want)
	}
	return back
}

func TestOIDCSignIn(t *testing.T) {
	p := newIDP(t)
	e := newEnv(t, envOptions{oidc: p.config(account.ExternalPolicy{Domains: []string{"example.org"}})})
	p.now = e.clock
	alice := e.user("alice@example.org", "correct horse", people.RoleOwner)
	b := e.browser()

	auth := b.toProvider("/accounts/sessions/")
	q := auth.Query()
	if got, want := auth.Scheme+"://"+auth.Host+auth.Path, p.srv.URL+"/authorize"; got != want {
		t.Errorf("button leads to %s, want the discovered endpoint %s", got, want)
	}
	if q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 || q.Get("redirect_uri") != e.srv.URL+OIDCCallbackPath {
		t.Errorf("authorization request %v: want an S256 challenge and our callback", q)
	}
	if q.Get("state") == "" || q.Get("nonce") == "" || q.Get("state") == q.Get("nonce") {
		t.Errorf("authorization request: state %q, nonce %q; want two different random values", q.Get("state"), q.Get("nonce"))
	}
	if strings.Contains(auth.String(), "code_verifier") {
		t.Errorf("the PKCE verifier left the server: %s", auth)
	}

	back := b.authorize(auth)
	r := b.fetch(back.String())
	wantRedirect(t, "callback", r, "/accounts/sessions/")
	for _, want := range []string{"overdue_session=", "overdue_oidc=;", "HttpOnly"} {
		if !strings.Contains(strings.Join(r.Header.Values("Set-Cookie"), "\n"), want) {
			t.Errorf("callback's Set-Cookie %q lacks %s", r.Header.Values("Set-Cookie"), want)
		}
	}
	wantStatus(t, "sessions page after OIDC sign-in", b.get("/accounts/sessions/"), http.StatusOK)
	u, sess, err := e.acc.Authenticate(t.Context(), b.session())
	if err != nil || u.ID != alice.ID || sess.UserID != alice.ID {
		t.Errorf("the OIDC session is %v, %v, %v; want alice's", u, sess, err)
	}

	// The same answer a second time is refused: the flow cookie is gone, and the code is used.
	again := e.browser()
	wantStatus(t, "replayed callback in another browser", again.fetch(back.String()), http.StatusBadRequest)
	if again.session() != "" {
		t.Errorf("a replayed callback signed a browser in")
	}
}

func TestOIDCRefusals(t *testing.T) {
	p := newIDP(t)
	e := newEnv(t, envOptions{oidc: p.config(account.ExternalPolicy{Domains: []string{"example.org"}})})
	p.now = e.clock
	e.user("alice@example.org", "correct horse", people.RoleOwner)
	e.user("mallory@evil.example", "correct horse", people.RoleOwner)
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name   string
		email  string
		edit   func(map[string]any)
		signer *rsa.PrivateKey
		// tamper changes the callback URL or the clock before the browser follows it.
		tamper func(*url.URL)
		status int
		says   string
	}{
		{name: "wrong state", tamper: func(u *url.URL) {
			q := u.Query()
			q.Set("state", rand.Text())
			u.RawQuery = q.Encode()
		}, status: http.StatusBadRequest, says: "its state differs"},
		{name: "no state", tamper: func(u *url.URL) {
			q := u.Query()
			q.Del("state")
			u.RawQuery = q.Encode()
		}, status: http.StatusBadRequest, says: "its state differs"},
		{name: "provider error", tamper: func(u *url.URL) {
			u.RawQuery = url.Values{"error": {"access_denied"}, "error_description": {"user said no"}, "state": {u.Query().Get("state")}}.Encode()
		}, status: http.StatusForbidden, says: "access_denied: user said no"},
		{name: "flow too old", tamper: func(*url.URL) { e.advance(oidcFlowTTL + time.Second) },
			status: http.StatusBadRequest, says: "longer than 10 minutes"},
		{name: "wrong nonce", edit: func(c map[string]any) { c["nonce"] = rand.Text() },
			status: http.StatusForbidden, says: "its nonce differs"},
		{name: "no nonce", edit: func(c map[string]any) { delete(c, "nonce") },
			status: http.StatusForbidden, says: "its nonce differs"},
		{name: "unverified email", edit: func(c map[string]any) { c["email_verified"] = false },
			status: http.StatusForbidden, says: "has not verified the email address alice@example.org"},
		{name: "email_verified missing", edit: func(c map[string]any) { delete(c, "email_verified") },
			status: http.StatusForbidden, says: "has not verified"},
		{name: "no email", edit: func(c map[string]any) { delete(c, "email") },
			status: http.StatusForbidden, says: "email scope"},
		{name: "disallowed domain", email: "mallory@evil.example",
			status: http.StatusForbidden, says: "only some email domains"},
		{name: "expired token", edit: func(c map[string]any) {
			c["iat"], c["exp"] = e.clock().Add(-10*time.Minute).Unix(), e.clock().Add(-time.Minute).Unix()
		}, status: http.StatusForbidden, says: "identity token from Test IdP was refused"},
		{name: "wrong audience", edit: func(c map[string]any) { c["aud"] = "another-app" },
			status: http.StatusForbidden, says: "identity token from Test IdP was refused"},
		{name: "wrong issuer", edit: func(c map[string]any) { c["iss"] = "https://evil.example" },
			status: http.StatusForbidden, says: "identity token from Test IdP was refused"},
		{name: "signed by another key", signer: other,
			status: http.StatusForbidden, says: "identity token from Test IdP was refused"},
		{name: "no account, creation off", email: "bob@example.org",
			status: http.StatusForbidden, says: "does not create accounts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p.mu.Lock()
			p.email, p.edit, p.signer = "alice@example.org", tc.edit, tc.signer
			if tc.email != "" {
				p.email = tc.email
			}
			p.mu.Unlock()
			b := e.browser()
			back := b.authorize(b.toProvider("/"))
			if tc.tamper != nil {
				tc.tamper(back)
			}
			r := b.fetch(back.String())
			wantStatus(t, tc.name, r, tc.status)
			if !strings.Contains(r.body, tc.says) {
				t.Errorf("%s: page does not say %q:\n%s", tc.name, tc.says, r.body)
			}
			if b.session() != "" {
				t.Errorf("%s: the browser got a session", tc.name)
			}
			wantRedirect(t, tc.name+": home afterwards", b.get("/"), "/accounts/login/?next=%2F")
		})
	}
	if _, err := e.st.People().UserByEmail(t.Context(), "bob@example.org"); err == nil {
		t.Errorf("an account was created with creation off")
	}
}

func TestOIDCCreatesAccounts(t *testing.T) {
	p := newIDP(t)
	e := newEnv(t, envOptions{oidc: p.config(account.ExternalPolicy{CreateAccounts: true})})
	p.now = e.clock
	p.email = "Carol@Example.com"
	p.edit = func(c map[string]any) { c["name"], c["email_verified"] = "Carol C.", "true" } // a string, as some providers send it
	b := e.browser()
	wantRedirect(t, "callback", b.fetch(b.authorize(b.toProvider("/")).String()), "/")
	u, err := e.st.People().UserByEmail(t.Context(), "carol@example.com")
	if err != nil {
		t.Fatalf("no account created: %v", err)
	}
	if u.Name != "Carol C." || u.HasPassword() {
		t.Errorf("created %+v; want the token's name and no password", u)
	}
	wantStatus(t, "home as the new user", b.get("/"), http.StatusOK)
}

func TestOIDCProviderDown(t *testing.T) {
	p := newIDP(t)
	e := newEnv(t, envOptions{oidc: p.config(account.ExternalPolicy{})})
	p.srv.Close()
	b := e.browser()
	r := b.get(OIDCLoginPath)
	wantStatus(t, "button with the provider down", r, http.StatusBadGateway)
	if !strings.Contains(r.body, "Test IdP could not be reached") {
		t.Errorf("page does not say the provider is unreachable:\n%s", r.body)
	}
}

func TestOIDCOff(t *testing.T) {
	e := newEnv(t, envOptions{})
	b := e.browser()
	if r := b.get("/accounts/login/"); strings.Contains(r.body, OIDCLoginPath) {
		t.Errorf("sign-in page shows a single sign-on button without OIDC:\n%s", r.body)
	}
	wantStatus(t, "OIDC button without OIDC", b.get(OIDCLoginPath), http.StatusNotFound)
	wantStatus(t, "OIDC callback without OIDC", b.get(OIDCCallbackPath+"?code=x&state=y"), http.StatusNotFound)
}

func TestOIDCConfigRefused(t *testing.T) {
	acc := &account.Service{Now: time.Now}
	for _, tc := range []struct {
		name string
		cfg  OIDCConfig
		root string
		says string
	}{
		{"no issuer", OIDCConfig{ClientID: "c"}, "https://o.example", "issuer URL"},
		{"no client", OIDCConfig{Issuer: "https://idp.example"}, "https://o.example", "client ID"},
		{"bad issuer", OIDCConfig{Issuer: "idp.example", ClientID: "c"}, "https://o.example", "https:// issuer URL"},
		{"no site root", OIDCConfig{Issuer: "https://idp.example", ClientID: "c"}, "", "site root"},
	} {
		_, err := New(Config{Accounts: acc, SiteRoot: tc.root, OIDC: &tc.cfg})
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: New = %v, want an error about the %s", tc.name, err, tc.says)
		}
	}
}

// TestOIDCAsksSecondFactor: single sign-on stands in for the password, not for the second
// factor: a user with one gets the second step, and then goes where the sign-in was going.
func TestOIDCAsksSecondFactor(t *testing.T) {
	p := newIDP(t)
	e := newEnv(t, envOptions{oidc: p.config(account.ExternalPolicy{})})
	p.now = e.clock
	secret, _ := twoStepUser(t, e, "alice@example.org", "correct horse")
	b := e.browser()
	r := b.fetch(b.authorize(b.toProvider("/accounts/sessions/")).String())
	wantRedirect(t, "callback for a user with a factor", r, SecondStepPath)
	if b.session() != "" || b.pending() == "" {
		t.Fatalf("after the provider: session %q, pending %q; want the second step", b.session(), b.pending())
	}
	wantRedirect(t, "code", b.post(SecondStepPath, url.Values{"code": {e.codeAt(secret, 0)}}), "/accounts/sessions/")
}
