package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/overduehq/overdue/internal/account"
	"github.com/overduehq/overdue/internal/people"
)

// TrustedHeader configures Healthchecks' REMOTE_USER_HEADER mode: an authenticating proxy in
// front of the pages (oauth2-proxy, Authelia, a load balancer's sign-in) names the signed-in
// person's email in a header, and the pages believe it. Only safe when every request reaches
// Overdue through that proxy and the proxy removes the header from what clients send: anyone
// who can send the header directly can sign in as anyone.
type TrustedHeader struct {
	// Name is the header, in canonical form (ParseHeaderName).
	Name string
	// Policy says which emails may sign in this way, and whether a new one gets an account.
	Policy account.ExternalPolicy
}

// ParseHeaderName reads the trusted header's name as an operator writes it: a header name
// (X-Forwarded-Email) or, as Healthchecks' REMOTE_USER_HEADER takes it, the CGI form
// (HTTP_X_FORWARDED_EMAIL). It returns the canonical header name.
func ParseHeaderName(s string) (string, error) {
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, "HTTP_"); ok {
		s = strings.ReplaceAll(rest, "_", "-")
	}
	if s == "" {
		return "", fmt.Errorf("header name is empty (write it as X-Forwarded-Email or HTTP_X_FORWARDED_EMAIL)")
	}
	for _, r := range s {
		if !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return "", fmt.Errorf("header name %q may hold only letters, digits and dashes (write it as X-Forwarded-Email or HTTP_X_FORWARDED_EMAIL)", s)
		}
	}
	return http.CanonicalHeaderKey(s), nil
}

// setupSSO checks the single sign-on configuration.
func (s *Server) setupSSO(cfg Config) error {
	if cfg.OIDC != nil {
		o, err := newOIDCClient(*cfg.OIDC, s.siteRoot)
		if err != nil {
			return err
		}
		s.oidc = o
	}
	if cfg.TrustedHeader != nil {
		name, err := ParseHeaderName(cfg.TrustedHeader.Name)
		if err != nil {
			return fmt.Errorf("web: trusted header: %w", err)
		}
		h := *cfg.TrustedHeader
		h.Name = name
		s.header = &h
	}
	return nil
}

// ssoRoutes adds the single sign-on pages to the route table when configured.
func (s *Server) ssoRoutes() {
	if s.oidc != nil {
		s.mux.HandleFunc("GET "+OIDCLoginPath+"{$}", s.handleOIDCLogin)
		s.mux.HandleFunc("GET "+OIDCCallbackPath+"{$}", s.handleOIDCCallback)
	}
}

// trustHeader wraps the pages in the trusted-header mode, as Healthchecks' CustomHeaderMiddleware
// does: a request that names an email is signed in as it (a new session when the browser's is
// someone else's or none); a request without the header is signed out, because in this mode the
// proxy alone says who is there. Without the mode, h unchanged: the header means nothing.
func (s *Server) trustHeader(h http.Handler) http.Handler {
	if s.header == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, StatusPrefix) {
			// Public pages, the same for everyone and cacheable by shared caches: nobody is
			// signed in or out there.
			h.ServeHTTP(w, r)
			return
		}
		email := strings.TrimSpace(r.Header.Get(s.header.Name))
		v, err := s.viewerOf(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if email == "" {
			if v != nil {
				if err := s.acc.SignOut(r.Context(), v.token); err != nil {
					s.fail(w, r, err)
					return
				}
				s.clearSession(w)
				r = withSession(r, s.sessionCookie(), "")
			}
			h.ServeHTTP(w, r)
			return
		}
		if norm, err := people.NormalizeEmail(email); v != nil && err == nil && v.User.Email == norm {
			h.ServeHTTP(w, r)
			return
		}
		// The proxy in front is the whole sign-in, second factor included (as in Healthchecks):
		// a request it vouches for gets no second step.
		policy := s.header.Policy
		policy.NoSecondFactor = true
		in, err := s.acc.SignInExternal(r.Context(), email, "", s.client(r), policy, account.Continue{})
		if err != nil {
			s.externalRefused(w, r, err, email)
			return
		}
		s.signIn(w, r, in)
		h.ServeHTTP(w, withSession(r, s.sessionCookie(), in.Token))
	})
}

// withSession is the request with its session cookie replaced by token ("" removes it), so that
// the page it goes on to sees the session just started (or ended).
func withSession(r *http.Request, name, token string) *http.Request {
	r2 := r.Clone(r.Context())
	r2.Header.Del("Cookie")
	for _, c := range r.Cookies() {
		if c.Name != name {
			r2.AddCookie(c)
		}
	}
	if token != "" {
		r2.AddCookie(&http.Cookie{Name: name, Value: token})
	}
	return r2
}
