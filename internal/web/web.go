// Package web serves the pages people use in a browser: today signing in and out, the list of
// one's sessions, password reset, invitations and the first-start page; the dashboard grows
// here later. Pages are server-rendered html/template, one handler method per page, with the
// templates and the one stylesheet embedded in the binary, so `overdue serve` and the api Lambda
// function serve them alike with nothing fetched at run time.
//
// Every response carries a strict Content-Security-Policy (no scripts, no inline styles, nothing
// from another origin), refuses framing, and sends no Referer (links carry one-time tokens).
// Every state-changing request passes Go's http.CrossOriginProtection.
package web

import (
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/overduehq/overdue/internal/account"
	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/store"
)

// Config is what the pages need; the composition root builds it once.
type Config struct {
	// Accounts runs sign-in, sessions, links and invitations over the store; its Now is the
	// pages' clock, its Mailer sends links, its SiteRoot begins them. Required.
	Accounts *account.Service
	// SiteRoot is the public base URL. When it is https, cookies are Secure (and named with
	// the __Host- prefix), and its origin is trusted for form posts.
	SiteRoot string
	// Logger receives structured logs (never a token, a password or an email). Default: discard.
	Logger *slog.Logger
	// Limiter counts failed sign-ins and reset requests. Default: NewMemoryLimiter(DefaultLimits);
	// on AWS, NewLimiter over the table's counters (dynamo.Store.Attempts).
	Limiter *Limiter
	// ClientIP finds the address a request came from, for the per-address limit and the
	// sessions list. Default: the host of RemoteAddr (which httpadapter sets from API
	// Gateway's sourceIp).
	ClientIP func(*http.Request) string
	// FirstStart, when set, serves the one-time link that creates the first account.
	FirstStart *FirstStart
	// MailInBackground sends reset links after answering, so that how long the form takes
	// does not tell whether the email has an account (an SMTP conversation takes a while; an
	// unknown email costs nothing). For a long-running server only: a Lambda function is
	// frozen once it has answered, so there the mail is sent before the answer.
	MailInBackground bool
	// Checks is the store of projects, checks, pings and flips the dashboard shows and
	// changes. Without it the dashboard's pages answer 404 (the sign-in pages still work).
	Checks store.Store
	// Refresh is how often an open checks page asks for its rows again. Default: 10 seconds.
	Refresh time.Duration
	// Tester sends the integrations page's test notifications (notify.Tester, as the API's);
	// without it the page says this server cannot send them.
	Tester ChannelTester
	// Undeliverable maps each channel kind this server cannot deliver to why and how to enable
	// it, as the API's Config.Undeliverable; the integrations page shows it on such channels.
	Undeliverable map[string]string
	// MaxChecksPerProject is the API's httpapi.Config.MaxChecksPerProject (the auto-provisioning
	// cap): the add-check form stops at half of it, as creating through the API does (403). Zero
	// means the API's default, 20,000 (so 10,000 checks through the form).
	MaxChecksPerProject int
	// BadgeURL gives the absolute URL of a project badge (httpapi.Server.BadgeURL): tag "*" for
	// every check, format "svg", states 2 or 3; "" when the server cannot sign badges. Without it
	// the settings page says badges are off.
	BadgeURL func(badgeKey, tag, format string, states int) string
	// OIDC, when set, adds "Sign in with <provider>" to the sign-in page (oidc.go).
	OIDC *OIDCConfig
	// TrustedHeader, when set, signs in whoever an authenticating proxy names in a header
	// (header.go). Off by default: only safe behind a proxy that strips it from clients.
	TrustedHeader *TrustedHeader
	// StatusCacheTTL is how long this process serves a rendered public status page from
	// memory (statuscache.go): 0 means DefaultStatusCacheTTL, a minute, which is also the most;
	// negative, never.
	StatusCacheTTL time.Duration
	// StatusLimit is the rate limit of public status pages per client address (ClientIP);
	// zero fields take DefaultStatusLimit's.
	StatusLimit RateLimit
}

// defaultMaxChecksPerProject is httpapi.DefaultMaxChecksPerProject (a test keeps them equal;
// the pages do not import the API).
const defaultMaxChecksPerProject = 20000

// Server is the pages' handler. Build it with New.
type Server struct {
	acc      *account.Service
	siteRoot string
	secure   bool
	log      *slog.Logger
	limiter  *Limiter
	clientIP func(*http.Request) string
	first    *FirstStart
	firstMu  sync.Mutex // one first account, however many submit at once
	mailBG   bool

	st            store.Store
	refresh       time.Duration
	tester        ChannelTester
	undeliverable map[string]string
	maxChecks     int // checks a project may have before the add-check form refuses another
	badgeURL      func(badgeKey, tag, format string, states int) string

	oidc   *oidcClient    // nil without OIDC
	header *TrustedHeader // nil without the trusted header

	statusPages *statusPages   // rendered public status pages
	statusLimit *clientLimiter // public status pages per client address

	pages      map[string]*template.Template
	css        []byte
	cssName    string            // style.<hash>.css
	scripts    map[string]asset  // by hashed name
	scriptPath map[string]string // live.js → /static/live.<hash>.js
	mux        *http.ServeMux
	handler    http.Handler
}

// New parses the embedded templates and returns the pages' handler.
func New(cfg Config) (*Server, error) {
	if cfg.Accounts == nil {
		return nil, errors.New("web: Config.Accounts is required")
	}
	s := &Server{
		acc:           cfg.Accounts,
		siteRoot:      strings.TrimRight(cfg.SiteRoot, "/"),
		secure:        strings.HasPrefix(cfg.SiteRoot, "https://"),
		log:           cfg.Logger,
		limiter:       cfg.Limiter,
		clientIP:      cfg.ClientIP,
		first:         cfg.FirstStart,
		mailBG:        cfg.MailInBackground,
		st:            cfg.Checks,
		refresh:       cfg.Refresh,
		tester:        cfg.Tester,
		undeliverable: cfg.Undeliverable,
		badgeURL:      cfg.BadgeURL,
		mux:           http.NewServeMux(),
	}
	if s.refresh <= 0 {
		s.refresh = 10 * time.Second
	}
	if cfg.MaxChecksPerProject <= 0 {
		cfg.MaxChecksPerProject = defaultMaxChecksPerProject
	}
	s.maxChecks = max(1, cfg.MaxChecksPerProject/2)
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.limiter == nil {
		s.limiter = NewMemoryLimiter(DefaultLimits)
	}
	if s.clientIP == nil {
		s.clientIP = RemoteIP
	}
	ttl := cfg.StatusCacheTTL
	switch {
	case ttl == 0 || ttl > DefaultStatusCacheTTL:
		ttl = DefaultStatusCacheTTL
	case ttl < 0:
		ttl = 0
	}
	s.statusPages = newStatusPages(ttl)
	s.statusLimit = newClientLimiter(cfg.StatusLimit)
	if err := s.loadAssets(); err != nil {
		return nil, err
	}
	if err := s.setupSSO(cfg); err != nil {
		return nil, err
	}
	s.routes()
	cop := http.NewCrossOriginProtection()
	if s.siteRoot != "" {
		// Behind a proxy that rewrites Host, the browser's Origin is still the site root's.
		if err := cop.AddTrustedOrigin(origin(s.siteRoot)); err != nil {
			return nil, fmt.Errorf("web: site root %q: %w", s.siteRoot, err)
		}
	}
	cop.SetDenyHandler(http.HandlerFunc(s.handleCrossOrigin))
	s.handler = securityHeaders(cop.Handler(s.trustHeader(s.mux)))
	return s, nil
}

// origin is the scheme and host of a URL, without path.
func origin(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		if j := strings.IndexByte(u[i+3:], '/'); j >= 0 {
			return u[:i+3+j]
		}
	}
	return u
}

// ServeHTTP serves the pages.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Paths the pages answer. Mount sends exactly these to the pages and everything else to the API,
// so neither shadows the other.
const (
	// AccountsPrefix holds every account page.
	AccountsPrefix = "/accounts/"
	// StaticPrefix holds the stylesheet (and later scripts), under hashed names.
	StaticPrefix = "/static/"
	// LoginPath is the sign-in form (fields email and password).
	LoginPath = "/accounts/login/"
)

// routes is the pages' route table.
func (s *Server) routes() {
	s.mux.HandleFunc("GET /{$}", s.handleHome)
	s.mux.HandleFunc("GET "+StaticPrefix+"{name}", s.handleStatic)
	s.mux.HandleFunc("GET /accounts/login/{$}", s.handleLogin)
	s.mux.HandleFunc("POST /accounts/login/{$}", s.handleLoginPost)
	s.mux.HandleFunc("POST /accounts/logout/{$}", s.handleLogout)
	s.mux.HandleFunc("POST /accounts/logout-everywhere/{$}", s.handleLogoutEverywhere)
	s.mux.HandleFunc("GET /accounts/sessions/{$}", s.handleSessions)
	s.mux.HandleFunc("POST /accounts/sessions/revoke/{$}", s.handleRevokeSession)
	s.mux.HandleFunc("GET /accounts/reset/{$}", s.handleReset)
	s.mux.HandleFunc("POST /accounts/reset/{$}", s.handleResetPost)
	s.mux.HandleFunc("GET /accounts/set-password/{token}/{$}", s.handleSetPassword)
	s.mux.HandleFunc("POST /accounts/set-password/{token}/{$}", s.handleSetPasswordPost)
	s.mux.HandleFunc("GET /accounts/invite/{token}/{$}", s.handleInvite)
	s.mux.HandleFunc("POST /accounts/invite/{token}/{$}", s.handleInvitePost)
	s.mux.HandleFunc("GET /accounts/first/{token}/{$}", s.handleFirst)
	s.mux.HandleFunc("POST /accounts/first/{token}/{$}", s.handleFirstPost)
	s.ssoRoutes()
	s.profileRoutes()
	s.twoFactorRoutes()
	s.mux.HandleFunc(AccountsPrefix, s.handleNotFound)
	s.mux.HandleFunc(StaticPrefix, s.handleNotFound)
	s.dashboardRoutes()
	s.settingsRoutes()
	s.statusRoutes()
}

// Mount combines the pages and the API into the one handler both edges serve: the home page,
// /accounts/, /static/, /checks/, /status/ and the project pages (projectPages) go to the pages,
// everything else (the Prometheus URLs under /projects/ among it) to api, which keeps its own 404s
// and its answers to every Healthchecks URL.
func Mount(pages http.Handler, api http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/{$}", pages)
	mux.Handle(AccountsPrefix, pages)
	mux.Handle(StaticPrefix, pages)
	mux.Handle(ChecksPrefix, pages)
	mux.Handle(StatusPrefix, pages)
	for _, p := range append(projectPages[:len(projectPages):len(projectPages)], settingsPages...) {
		mux.Handle(p, pages)
	}
	mux.Handle("/", api)
	return mux
}

// contentSecurityPolicy allows nothing but our own stylesheet, images, script files, form
// posts and the scripts' requests back to us; inline scripts and styles stay forbidden.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// securityHeaders sets the headers every page response carries.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Frame-Options", "DENY")
		// Links carry one-time tokens in their paths: send no Referer anywhere.
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.ServeHTTP(w, r)
	})
}

// RemoteIP is the host part of the request's RemoteAddr: the peer of `overdue serve`, or on API
// Gateway the sourceIp the gateway saw (httpadapter copies it there).
func RemoteIP(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// ForwardedIP returns a ClientIP function for `overdue serve` behind a reverse proxy that
// appends the peer's address to header (X-Forwarded-For): the last address in it is the one
// the proxy saw, the only one a client cannot forge. Without the header, RemoteIP.
func ForwardedIP(header string) func(*http.Request) string {
	return func(r *http.Request) string {
		vals := r.Header.Values(header)
		if len(vals) == 0 {
			return RemoteIP(r)
		}
		parts := strings.Split(vals[len(vals)-1], ",")
		if ip := strings.TrimSpace(parts[len(parts)-1]); net.ParseIP(ip) != nil {
			return ip
		}
		return RemoteIP(r)
	}
}

// viewer is who is looking at a page.
type viewer struct {
	User    *people.User
	Session *people.Session
	token   string
}

// sessionCookie is the cookie's name: with the __Host- prefix over https, which makes browsers
// refuse it unless it is Secure, for the whole host and set by it.
func (s *Server) sessionCookie() string {
	if s.secure {
		return "__Host-overdue_session"
	}
	return "overdue_session"
}

// viewerOf finds the signed-in user of a request; nil when there is none.
func (s *Server) viewerOf(r *http.Request) (*viewer, error) {
	c, err := r.Cookie(s.sessionCookie())
	if err != nil {
		return nil, nil
	}
	u, sess, err := s.acc.Authenticate(r.Context(), c.Value)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &viewer{User: u, Session: sess, token: c.Value}, nil
}

// setSession puts a new session's token in the cookie: HttpOnly, SameSite=Lax, Secure over
// https, until the session's absolute end.
func (s *Server) setSession(w http.ResponseWriter, in *account.SignedIn) {
	http.SetCookie(w, &http.Cookie{Name: s.sessionCookie(), Value: in.Token, Path: "/",
		Expires: in.Session.Created.Add(s.acc.SessionLifetime()), HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
}

// clearSession removes the cookie.
func (s *Server) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: s.sessionCookie(), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
}

// signIn starts the session and sets the cookie, ending any session the request came with
// first: a session ID is never carried over a sign-in (fixation).
func (s *Server) signIn(w http.ResponseWriter, r *http.Request, in *account.SignedIn) {
	if c, err := r.Cookie(s.sessionCookie()); err == nil {
		if err := s.acc.SignOut(r.Context(), c.Value); err != nil {
			s.log.ErrorContext(r.Context(), "end previous session", "error", err.Error())
		}
	}
	s.setSession(w, in)
}

// client summarises the request's browser for the sessions list.
func (s *Server) client(r *http.Request) string {
	return people.SummarizeClient(r.UserAgent(), s.clientIP(r))
}

// busyRetry is the Retry-After of a 503 when every password-hashing slot is taken.
const busyRetry = "5"

// fail answers a failure of ours: logged, and a page that says to try again; 503 with
// Retry-After when the server was too busy checking passwords. The log names the route's
// pattern, never the path: paths carry one-time tokens (set-password, invitation, first start).
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, account.ErrBusy) {
		w.Header().Set("Retry-After", busyRetry)
		s.render(w, r, http.StatusServiceUnavailable, "message", &page{Title: "Busy",
			Message: "The server is checking too many passwords at once. Nothing was changed; try again in a few seconds."})
		return
	}
	s.log.ErrorContext(r.Context(), "page failed", "route", r.Pattern, "error", err.Error())
	s.render(w, r, http.StatusInternalServerError, "message", &page{Title: "Something went wrong",
		Message: "The server could not complete this request. Nothing was lost; try again in a moment."})
}

// handleNotFound answers unknown account and static URLs. (A page's URL without its trailing
// slash never gets here: ServeMux redirects it to the page with 307, which keeps a form's
// method and body.)
func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusNotFound, "message", &page{Title: "Page not found",
		Message: "There is no page at this address.", Link: LoginPath, LinkText: "Sign in"})
}

// handleCrossOrigin refuses a state-changing request from another origin.
func (s *Server) handleCrossOrigin(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusForbidden, "message", &page{Title: "Request refused",
		Message: "This form was sent from another site, so it was refused (cross-site request forgery protection). " +
			"Open the page on this site and send it from there."})
}

// safeNext is where to go after signing in: a local path, or the home page.
func safeNext(next string) string {
	// Browsers drop tabs and newlines from URLs ("/\t/evil.example" is "//evil.example" to
	// them) and read a backslash as a slash: no control character, no "//" or "/\" start.
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.IndexFunc(next, unicode.IsControl) >= 0 {
		return "/"
	}
	return next
}

// redirect answers 303 See Other: after a POST, the browser GETs the location.
func redirect(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// readForm parses a posted form of at most 64 KiB.
func readForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	return r.ParseForm()
}
