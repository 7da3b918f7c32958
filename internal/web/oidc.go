package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/overduehq/overdue/internal/account"
)

// OIDCConfig configures sign-in with an OpenID Connect provider (Keycloak, Google, Entra ID,
// Authentik…): the authorization code flow with PKCE (S256), state and nonce bound to the
// browser by a short-lived cookie, and the ID token's signature, issuer, audience and expiry
// verified. The provider is registered with the redirect URI SiteRoot + OIDCCallbackPath.
type OIDCConfig struct {
	// Issuer is the provider's issuer URL; its /.well-known/openid-configuration is read at
	// the first sign-in (not at start, so that a provider that is down delays no start).
	Issuer string
	// ClientID and ClientSecret are the client registered at the provider.
	ClientID     string
	ClientSecret string
	// Name is the provider's name on the button, "Sign in with <Name>".
	Name string
	// Policy says which verified emails may sign in, and whether a new one gets an account.
	Policy account.ExternalPolicy
	// HTTPClient talks to the provider. Default: one with a 10-second timeout.
	HTTPClient *http.Client
}

// OIDC paths: the button's link, which starts a sign-in, and the redirect URI the provider sends
// the browser back to.
const (
	OIDCLoginPath    = "/accounts/oidc/login/"
	OIDCCallbackPath = "/accounts/oidc/callback/"
)

// oidcFlowTTL is how long a browser has between pressing the button and coming back from the
// provider: enough to type a password and a second factor there.
const oidcFlowTTL = 10 * time.Minute

// oidcClient is the configured provider, discovered once at the first use.
type oidcClient struct {
	cfg      OIDCConfig
	redirect string

	mu       sync.Mutex
	provider *oidc.Provider
}

func newOIDCClient(cfg OIDCConfig, siteRoot string) (*oidcClient, error) {
	switch {
	case cfg.Issuer == "":
		return nil, errors.New("web: OIDC needs the provider's issuer URL")
	case cfg.ClientID == "":
		return nil, errors.New("web: OIDC needs the client ID registered at the provider")
	case siteRoot == "":
		return nil, errors.New("web: OIDC needs the site root, which begins the redirect URI")
	}
	if u, err := url.Parse(cfg.Issuer); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("web: OIDC issuer %q: want the provider's https:// issuer URL", cfg.Issuer)
	}
	if cfg.Name == "" {
		cfg.Name = "single sign-on"
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	return &oidcClient{cfg: cfg, redirect: siteRoot + OIDCCallbackPath}, nil
}

// context gives the OIDC and OAuth 2 libraries the client to talk to the provider with.
func (o *oidcClient) context(ctx context.Context) context.Context {
	return context.WithValue(oidc.ClientContext(ctx, o.cfg.HTTPClient), oauth2.HTTPClient, o.cfg.HTTPClient)
}

// discover reads the provider's configuration the first time it is needed; a failure is not
// remembered, so the next sign-in tries again.
func (o *oidcClient) discover(ctx context.Context) (*oidc.Provider, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.provider != nil {
		return o.provider, nil
	}
	p, err := oidc.NewProvider(o.context(ctx), o.cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("discover OIDC provider %s: %w", o.cfg.Issuer, err)
	}
	o.provider = p
	return p, nil
}

func (o *oidcClient) oauth(p *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{ClientID: o.cfg.ClientID, ClientSecret: o.cfg.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: o.redirect, Scopes: []string{oidc.ScopeOpenID, "email", "profile"}}
}

// oidcFlow is what the browser carries between the button and the callback, in a cookie: the
// state and nonce the answer must repeat, the PKCE verifier, where to go afterwards, and when it
// began. It needs no signature: only this browser's own sign-in is at stake, and a cookie of the
// site cannot be set by another (over https its name has the __Host- prefix).
type oidcFlow struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Next     string `json:"x"`
	Started  int64  `json:"t"`
}

func (s *Server) oidcCookie() string {
	if s.secure {
		return "__Host-overdue_oidc"
	}
	return "overdue_oidc"
}

// oidcView is the button on the sign-in page.
type oidcView struct {
	Name string
	Link string
}

// oidcButton is the sign-in page's button for the provider, nil without one.
func (s *Server) oidcButton(next string) *oidcView {
	if s.oidc == nil {
		return nil
	}
	link := OIDCLoginPath
	if next != "/" {
		link += "?next=" + url.QueryEscape(next)
	}
	return &oidcView{Name: s.oidc.cfg.Name, Link: link}
}

// handleOIDCLogin serves GET /accounts/oidc/login/ (?next=): the button's link. It sends the
// browser to the provider with a new state, nonce and PKCE challenge, which the flow cookie
// keeps for the callback.
func (s *Server) handleOIDCLogin(w http.ResponseWriter, r *http.Request) {
	p, err := s.oidc.discover(r.Context())
	if err != nil {
		s.log.ErrorContext(r.Context(), "OIDC discovery failed", "error", err.Error())
		s.oidcRefuse(w, r, http.StatusBadGateway, fmt.Sprintf("%s could not be reached to sign you in. Try again in a moment, or sign in with your password.", s.oidc.cfg.Name))
		return
	}
	flow := oidcFlow{State: rand.Text(), Nonce: rand.Text(), Verifier: oauth2.GenerateVerifier(),
		Next: safeNext(r.URL.Query().Get("next")), Started: s.acc.Now().Unix()}
	val, _ := json.Marshal(flow)
	// SameSite=Lax: the provider's redirect back is a top-level GET, which carries it.
	http.SetCookie(w, &http.Cookie{Name: s.oidcCookie(), Value: base64.RawURLEncoding.EncodeToString(val), Path: "/",
		MaxAge: int(oidcFlowTTL / time.Second), HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
	to := s.oidc.oauth(p).AuthCodeURL(flow.State, oidc.Nonce(flow.Nonce), oauth2.S256ChallengeOption(flow.Verifier))
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// readFlow reads and clears the flow cookie; false when there is none, it is unreadable, or it
// is older than oidcFlowTTL.
func (s *Server) readFlow(w http.ResponseWriter, r *http.Request) (*oidcFlow, bool) {
	c, err := r.Cookie(s.oidcCookie())
	if err != nil {
		return nil, false
	}
	http.SetCookie(w, &http.Cookie{Name: s.oidcCookie(), Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: s.secure, SameSite: http.SameSiteLaxMode})
	raw, err := base64.RawURLEncoding.DecodeString(c.Value)
	var flow oidcFlow
	if err != nil || json.Unmarshal(raw, &flow) != nil || flow.State == "" || flow.Nonce == "" || flow.Verifier == "" {
		return nil, false
	}
	started := time.Unix(flow.Started, 0)
	if now := s.acc.Now(); now.Before(started) || now.Sub(started) > oidcFlowTTL {
		return nil, false
	}
	flow.Next = safeNext(flow.Next)
	return &flow, true
}

// oidcClaims are the ID token's claims we read. email_verified is a boolean in the standard and
// a string in some providers' tokens.
type oidcClaims struct {
	Email         string `json:"email"`
	EmailVerified any    `json:"email_verified"`
	Name          string `json:"name"`
}

func (c *oidcClaims) verified() bool {
	switch v := c.EmailVerified.(type) {
	case bool:
		return v
	case string:
		return strings.EqualFold(v, "true")
	}
	return false
}

// handleOIDCCallback serves GET /accounts/oidc/callback/ (?code=&state=, or ?error=): the
// provider's answer. The state must be the one this browser's flow cookie holds; the code is
// exchanged with the PKCE verifier; the ID token's signature, issuer, audience (our client ID)
// and expiry are verified, and its nonce must be the flow's. Its email must be verified; then
// the policy (domains, creating accounts) decides, and the browser is signed in.
func (s *Server) handleOIDCCallback(w http.ResponseWriter, r *http.Request) {
	name := s.oidc.cfg.Name
	flow, ok := s.readFlow(w, r)
	if !ok {
		s.oidcRefuse(w, r, http.StatusBadRequest, "This sign-in was not started in this browser, or took longer than 10 minutes. Start again from the sign-in page.")
		return
	}
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		msg := fmt.Sprintf("%s did not sign you in (%s", name, e)
		if d := q.Get("error_description"); d != "" {
			msg += ": " + d
		}
		s.oidcRefuse(w, r, http.StatusForbidden, msg+"). Try again, or ask the operator.")
		return
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(flow.State)) != 1 {
		s.oidcRefuse(w, r, http.StatusBadRequest, "The answer from "+name+" does not belong to the sign-in this browser started (its state differs), so it was refused. Start again from the sign-in page.")
		return
	}
	code := q.Get("code")
	if code == "" {
		s.oidcRefuse(w, r, http.StatusBadRequest, "The answer from "+name+" carries no authorization code. Start again from the sign-in page.")
		return
	}
	ctx := s.oidc.context(r.Context())
	p, err := s.oidc.discover(ctx)
	if err != nil {
		s.log.ErrorContext(r.Context(), "OIDC discovery failed", "error", err.Error())
		s.oidcRefuse(w, r, http.StatusBadGateway, name+" could not be reached to finish signing you in. Try again in a moment.")
		return
	}
	tok, err := s.oidc.oauth(p).Exchange(ctx, code, oauth2.VerifierOption(flow.Verifier))
	if err != nil {
		s.log.ErrorContext(r.Context(), "OIDC code exchange failed", "error", exchangeError(err))
		s.oidcRefuse(w, r, http.StatusBadGateway, name+" refused to finish the sign-in (the code exchange failed). Start again; if it keeps failing, the operator will find why in the server's log.")
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		s.oidcRefuse(w, r, http.StatusBadGateway, name+" answered without an ID token: is the client registered for OpenID Connect with the openid scope?")
		return
	}
	idt, err := p.VerifierContext(ctx, &oidc.Config{ClientID: s.oidc.cfg.ClientID, Now: s.acc.Now}).Verify(ctx, raw)
	if err != nil {
		s.log.WarnContext(r.Context(), "OIDC ID token refused", "error", err.Error())
		s.oidcRefuse(w, r, http.StatusForbidden, "The identity token from "+name+" was refused (expired, meant for another application, or not signed by "+name+"). Start again; if it keeps failing, the operator will find why in the server's log (check the server's clock).")
		return
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(flow.Nonce)) != 1 {
		s.oidcRefuse(w, r, http.StatusForbidden, "The identity token from "+name+" was not issued for this sign-in (its nonce differs), so it was refused. Start again from the sign-in page.")
		return
	}
	var claims oidcClaims
	if err := idt.Claims(&claims); err != nil || claims.Email == "" {
		s.oidcRefuse(w, r, http.StatusForbidden, name+" did not tell us your email address, which is how accounts are found here. The operator must allow the email scope for this client.")
		return
	}
	if !claims.verified() {
		s.oidcRefuse(w, r, http.StatusForbidden, name+" has not verified the email address "+claims.Email+". Verify it there, then sign in again.")
		return
	}
	// The provider stands in for the password; a user with a second factor still gives it.
	then := account.Continue{Next: flow.Next}
	in, err := s.acc.SignInExternal(r.Context(), claims.Email, claims.Name, s.client(r), s.oidc.cfg.Policy, then)
	if err != nil {
		s.externalRefused(w, r, err, claims.Email)
		return
	}
	s.arrive(w, r, in, then)
}

// externalRefused answers a sign-in vouched for by someone else that the policy refused, or
// that failed.
func (s *Server) externalRefused(w http.ResponseWriter, r *http.Request, err error, email string) {
	switch {
	case errors.Is(err, account.ErrDomainRefused):
		s.oidcRefuse(w, r, http.StatusForbidden, "Accounts with the email "+email+" may not sign in here: this site admits only some email domains. Sign in with your work address.")
	case errors.Is(err, account.ErrNoAccount):
		s.oidcRefuse(w, r, http.StatusForbidden, "There is no account for "+email+" here, and this site does not create accounts at sign-in. Ask an owner of your project to invite you.")
	case errors.Is(err, account.ErrInvalid):
		s.oidcRefuse(w, r, http.StatusForbidden, "The email address given for you is not valid here ("+err.Error()+").")
	default:
		s.fail(w, r, err)
	}
}

// oidcRefuse answers a sign-in that did not happen, with a link back to the sign-in page.
func (s *Server) oidcRefuse(w http.ResponseWriter, r *http.Request, status int, msg string) {
	s.render(w, r, status, "message", &page{Title: "Not signed in", Message: msg, Link: LoginPath, LinkText: "Sign in"})
}

// exchangeError is what the log says of a failed code exchange: the provider's error code and
// description, never its whole answer.
func exchangeError(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		msg := fmt.Sprintf("token endpoint answered %d", re.Response.StatusCode)
		if re.ErrorCode != "" {
			msg += ": " + re.ErrorCode + " " + re.ErrorDescription
		}
		return msg
	}
	return err.Error()
}
