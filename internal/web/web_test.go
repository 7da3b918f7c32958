package web

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/account"
	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/httpapi"
	"github.com/overduehq/overdue/internal/notify"
	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/sqlite"
	"github.com/overduehq/overdue/internal/store/storetest"
)

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// fast are argon2id parameters cheap enough for tests.
var fast = account.Argon2Params{Time: 1, Memory: 64, Threads: 1, SaltLen: 16, KeyLen: 32}

// mailbox records the mail the pages send.
type mailbox struct {
	mu   sync.Mutex
	sent []account.Mail
	// refuse, when set, fails every send with this error, naming the recipient as mail
	// servers' refusals do.
	refuse string
}

func (m *mailbox) SendMail(_ context.Context, msg account.Mail) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.refuse != "" {
		return fmt.Errorf("%s: <%s>", m.refuse, msg.To)
	}
	m.sent = append(m.sent, msg)
	return nil
}

// link is the first URL in the newest mail to addr.
func (m *mailbox) link(t *testing.T, addr string) string {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := len(m.sent) - 1; i >= 0; i-- {
		if m.sent[i].To == addr {
			if u := regexp.MustCompile(`https?://\S+`).FindString(m.sent[i].Text); u != "" {
				return u
			}
		}
	}
	t.Fatalf("no mail with a link to %s in %+v", addr, m.sent)
	return ""
}

// env is the pages over a real SQLite store, served by httptest, with a pinned clock.
type env struct {
	t       *testing.T
	st      *sqlite.Store
	dbPath  string
	root    string // the site root
	acc     *account.Service
	box     *mailbox
	srv     *httptest.Server
	pages   *Server
	now     time.Time
	mu      sync.Mutex
	project string
}

type envOptions struct {
	limits   Limits
	counters Counters // nil: in memory, the server's own
	tls      bool
	first    *FirstStart
	// dashboard serves the dashboard over the store, beside the real API on the same clock
	// (instead of a stand-in API that answers 418), refreshing live pages every refresh.
	dashboard bool
	refresh   time.Duration
	// webhooks lets the integrations page send test notifications to webhook channels.
	webhooks bool
	// clientIP, hashing and log replace the defaults (the peer's address, 2×GOMAXPROCS hashing
	// slots, no log).
	clientIP func(*http.Request) string
	hashing  *account.HashSlots
	log      *slog.Logger
	// maxChecks is the API's and the pages' MaxChecksPerProject (zero: the default).
	maxChecks int
	// oidc and header turn on single sign-on (oidc_test.go, header_test.go).
	oidc   *OIDCConfig
	header *TrustedHeader
	// pagesStore wraps the store the pages read (a counting one, say); nil: the store itself.
	pagesStore func(store.Store) store.Store
	// localhost names the site root http://localhost:<port> instead of the loopback address:
	// security keys need a host name (the browser tests that use them open env.root).
	localhost bool
}

func newEnv(t *testing.T, opts envOptions) *env {
	t.Helper()
	dbPath := filepath.Join(t.TempDir(), "overdue.db")
	st, err := sqlite.Open(dbPath, store.Options{Box: storetest.Box(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	p := &check.Project{ID: "p1", Name: "Ops", Created: t0, BadgeKey: "b1"}
	if err := st.CreateProject(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, st: st, dbPath: dbPath, box: &mailbox{}, now: t0, project: p.ID}
	if opts.limits.Window == 0 {
		opts.limits = DefaultLimits
	}
	var api http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, "api "+r.URL.Path)
	})
	e.srv = httptest.NewUnstartedServer(nil)
	root := "http://" + e.srv.Listener.Addr().String()
	if opts.tls {
		root = "https://" + e.srv.Listener.Addr().String()
	}
	if opts.localhost {
		_, port, _ := net.SplitHostPort(e.srv.Listener.Addr().String())
		root = "http://localhost:" + port
	}
	e.root = root
	e.acc = &account.Service{People: st.People(), Projects: st, Now: e.clock, Rand: rand.Reader, Params: fast,
		Mailer: e.box, SiteRoot: root, Hashing: opts.hashing, Box: storetest.Box(t)}
	if opts.counters == nil {
		opts.counters = NewMemoryCounters()
	}
	cfg := Config{Accounts: e.acc, SiteRoot: root, Limiter: NewLimiter(opts.limits, opts.counters), FirstStart: opts.first,
		ClientIP: opts.clientIP, Logger: opts.log, OIDC: opts.oidc, TrustedHeader: opts.header}
	if opts.dashboard {
		cfg.Checks, cfg.Refresh, cfg.MaxChecksPerProject = st, opts.refresh, opts.maxChecks
		if opts.pagesStore != nil {
			cfg.Checks = opts.pagesStore(st)
		}
		if opts.webhooks {
			wh, err := notify.NewWebhook(notify.WebhookConfig{ServerSecret: []byte("test secret")})
			if err != nil {
				t.Fatal(err)
			}
			cfg.Tester = &notify.Tester{Transports: map[string]notify.Transport{check.ChannelWebhook: wh}, SiteRoot: root, Now: e.clock}
		}
		hapi := httpapi.New(httpapi.Config{Store: st, Now: e.clock, SiteRoot: root, SecretKey: []byte("test secret"),
			MaxChecksPerProject: opts.maxChecks})
		api, cfg.BadgeURL = hapi, hapi.BadgeURL
	}
	e.pages, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.srv.Config.Handler = Mount(e.pages, api)
	if opts.tls {
		e.srv.StartTLS()
	} else {
		e.srv.Start()
	}
	t.Cleanup(e.srv.Close)
	return e
}

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = e.now.Add(d)
}

// user creates a user with a password, a member of the project with role when role is set.
func (e *env) user(email, password string, role people.Role) *people.User {
	e.t.Helper()
	in := account.NewUser{Email: email, Password: password}
	if role != "" {
		in.ProjectID, in.Role = e.project, role
	}
	c, err := e.acc.CreateUser(e.t.Context(), in)
	if err != nil {
		e.t.Fatal(err)
	}
	return c.User
}

// browser is a client with its own cookie jar that does not follow redirects.
type browser struct {
	t   *testing.T
	e   *env
	c   *http.Client
	jar *cookiejar.Jar
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	c := *e.srv.Client() // a copy: each browser has its own jar
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browser{t: e.t, e: e, c: &c, jar: jar}
}

// resp is a response read whole.
type resp struct {
	*http.Response
	body string
}

func (b *browser) do(req *http.Request) *resp {
	b.t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return &resp{res, string(body)}
}

func (b *browser) get(path string) *resp {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.e.srv.URL+path, nil)
	return b.do(req)
}

// post sends a form; headers are name, value pairs.
func (b *browser) post(path string, form url.Values, headers ...string) *resp {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return b.do(req)
}

func (b *browser) login(email, password string) *resp {
	b.t.Helper()
	return b.post("/accounts/login/", url.Values{"email": {email}, "password": {password}})
}

// session is the browser's session cookie value, "" without one.
func (b *browser) session() string {
	u, _ := url.Parse(b.e.srv.URL)
	for _, c := range b.jar.Cookies(u) {
		if strings.HasSuffix(c.Name, "overdue_session") {
			return c.Value
		}
	}
	return ""
}

func wantStatus(t *testing.T, what string, r *resp, status int) {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("%s: status %d, want %d; body:\n%s", what, r.StatusCode, status, r.body)
	}
}

func wantRedirect(t *testing.T, what string, r *resp, to string) {
	t.Helper()
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != to {
		t.Fatalf("%s: %d to %q, want 303 to %q; body:\n%s", what, r.StatusCode, r.Header.Get("Location"), to, r.body)
	}
}

func TestSignInAndOut(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.user("alice@example.org", "correct horse", people.RoleOwner)
	b := e.browser()

	r := b.get("/")
	wantRedirect(t, "GET / signed out", r, "/accounts/login/?next=%2F")
	r = b.get("/accounts/login/")
	wantStatus(t, "GET login", r, 200)
	for _, want := range []string{`name="email"`, `name="password"`, `<label for="email">`, `action="/accounts/login/"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("login page lacks %s", want)
		}
	}

	r = b.login("Alice@Example.org", "correct horse")
	wantRedirect(t, "sign in", r, "/")
	set := r.Header.Get("Set-Cookie")
	for _, want := range []string{"overdue_session=", "HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(set, want) {
			t.Errorf("Set-Cookie %q lacks %s", set, want)
		}
	}
	if strings.Contains(set, "Secure") {
		t.Errorf("Set-Cookie %q is Secure on an http site root", set)
	}
	token := b.session()
	r = b.get("/")
	wantStatus(t, "home", r, 200)
	if !strings.Contains(r.body, "<td>Ops</td><td>Owner</td>") {
		t.Errorf("home page does not list project Ops with role Owner:\n%s", r.body)
	}
	// A signed-in visit to the login form goes where it was going.
	wantRedirect(t, "GET login signed in", b.get("/accounts/login/?next=/accounts/sessions/"), "/accounts/sessions/")

	wantRedirect(t, "sign out", b.post("/accounts/logout/", nil), "/accounts/login/")
	if b.session() != "" {
		t.Errorf("the cookie survived signing out")
	}
	// The old token is dead on the server, not just forgotten by the browser.
	thief := e.browser()
	u, _ := url.Parse(e.srv.URL)
	thief.jar.SetCookies(u, []*http.Cookie{{Name: "overdue_session", Value: token, Path: "/"}})
	wantRedirect(t, "old cookie after sign-out", thief.get("/"), "/accounts/login/?next=%2F")
}

func TestSignInRedirectsOnlyToLocalPaths(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.user("alice@example.org", "correct horse", "")
	for next, want := range map[string]string{
		"/accounts/sessions/":   "/accounts/sessions/",
		"https://evil.example/": "/",
		"//evil.example/":       "/",
		"/\t/evil.example":      "/",
		"/\n/evil.example":      "/",
		"/\\evil.example":       "/",
		"":                      "/",
	} {
		b := e.browser()
		r := b.post("/accounts/login/", url.Values{"email": {"alice@example.org"}, "password": {"correct horse"}, "next": {next}})
		wantRedirect(t, "sign in with next="+next, r, want)
	}
}

func TestUnknownEmailAnswersLikeWrongPassword(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.user("alice@example.org", "correct horse", "")
	e.user("nopass@example.org", "", "") // a user who has not set a password yet
	b := e.browser()
	norm := func(r *resp, email string) string {
		return strings.ReplaceAll(r.body, email, "EMAIL")
	}
	wrong := b.login("alice@example.org", "wrong horse")
	wantStatus(t, "wrong password", wrong, http.StatusUnprocessableEntity)
	if !strings.Contains(wrong.body, "The email or the password is not right") {
		t.Errorf("wrong password page does not say so:\n%s", wrong.body)
	}
	for _, email := range []string{"bob@example.org", "nopass@example.org"} {
		other := b.login(email, "wrong horse")
		if other.StatusCode != wrong.StatusCode || norm(other, email) != norm(wrong, "alice@example.org") {
			t.Errorf("sign-in as %s answered %d\n%s\nwant what a wrong password answers, %d\n%s",
				email, other.StatusCode, other.body, wrong.StatusCode, wrong.body)
		}
	}
	if b.session() != "" {
		t.Errorf("a failed sign-in set a session cookie")
	}
	// Empty fields are pointed out next to each field and in the summary.
	r := b.login("", "")
	wantStatus(t, "empty form", r, http.StatusUnprocessableEntity)
	for _, want := range []string{`<a href="#email">Enter your email address</a>`, `id="email-error"`, `id="password-error"`, `aria-invalid="true"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("empty form page lacks %s", want)
		}
	}
}

// from is the X-Forwarded-For header of a client at address addr (the env's clientIP, when
// set to ForwardedIP, reads it).
func from(addr string) []string { return []string{"X-Forwarded-For", addr} }

func loginForm(email, password string) url.Values {
	return url.Values{"email": {email}, "password": {password}}
}

func TestSignInRateLimits(t *testing.T) {
	e := newEnv(t, envOptions{clientIP: ForwardedIP("X-Forwarded-For"),
		limits: Limits{Window: 15 * time.Minute, PerAccountAddress: 3, PerAccount: 5, PerAddress: 5}})
	e.user("alice@example.org", "correct horse", "")
	e.advance(2 * time.Minute) // 09:02, so the window ends at 09:15, 13 minutes on
	b := e.browser()
	const a, other = "198.51.100.1", "198.51.100.2"
	for i := range 3 {
		wantStatus(t, "failure "+string(rune('1'+i)), b.post(LoginPath, loginForm("alice@example.org", "wrong"), from(a)...), http.StatusUnprocessableEntity)
	}
	// The right password, past the limit of the email from this address, is refused without
	// being checked.
	r := b.post(LoginPath, loginForm("alice@example.org", "correct horse"), from(a)...)
	wantStatus(t, "sign-in past the limit", r, http.StatusTooManyRequests)
	if got := r.Header.Get("Retry-After"); got != "780" {
		t.Errorf("Retry-After = %q, want 780 (13 minutes)", got)
	}
	if !strings.Contains(r.body, "Try again in 13 minutes (at 09:15 UTC)") {
		t.Errorf("429 page does not say when to retry:\n%s", r.body)
	}
	if b.session() != "" {
		t.Fatalf("signed in past the limit")
	}
	// Whoever made those failures has not locked the owner out: from another address alice
	// signs in.
	owner := e.browser()
	wantRedirect(t, "alice from another address", owner.post(LoginPath, loginForm("alice@example.org", "correct horse"), from(other)...), "/")

	// The email's ceiling over all addresses still bounds a guesser with many addresses: three
	// failures counted (the refused one is not, the success was given back), two more from
	// elsewhere reach 5, and then every address is refused for this email.
	wantStatus(t, "failure 4 from c", b.post(LoginPath, loginForm("alice@example.org", "wrong"), from("198.51.100.3")...), http.StatusUnprocessableEntity)
	wantStatus(t, "failure 5 from d", b.post(LoginPath, loginForm("alice@example.org", "wrong"), from("198.51.100.4")...), http.StatusUnprocessableEntity)
	wantStatus(t, "past the email's ceiling, from e", b.post(LoginPath, loginForm("alice@example.org", "wrong"), from("198.51.100.5")...), http.StatusTooManyRequests)

	// Another account from the first address gets its tries until the address's limit (five
	// attempts: three failures and one refusal so far).
	e.user("bob@example.org", "battery staple", "")
	wantStatus(t, "bob's failure", b.post(LoginPath, loginForm("bob@example.org", "wrong"), from(a)...), http.StatusUnprocessableEntity)
	wantStatus(t, "bob past the address limit", b.post(LoginPath, loginForm("bob@example.org", "battery staple"), from(a)...), http.StatusTooManyRequests)
	wantStatus(t, "unknown email past the address limit", b.post(LoginPath, loginForm("carol@example.org", "x"), from(a)...), http.StatusTooManyRequests)

	e.advance(13 * time.Minute)
	wantRedirect(t, "sign-in after the window", b.post(LoginPath, loginForm("alice@example.org", "correct horse"), from(a)...), "/")
}

// barrier holds every Add until n have arrived (or a few seconds have passed), so that n
// concurrent sign-ins all reach the limiter before any is counted: a check-then-count
// limiter lets them all through.
type barrier struct {
	Counters
	n       int
	mu      sync.Mutex
	arrived int
	open    chan struct{}
}

func (b *barrier) Add(ctx context.Context, window, expires time.Time, n int, keys ...string) ([]int, error) {
	b.mu.Lock()
	if b.arrived++; b.arrived == b.n {
		close(b.open)
	}
	b.mu.Unlock()
	select {
	case <-b.open:
	case <-time.After(5 * time.Second): // fewer than n came: go on rather than hang
	}
	return b.Counters.Add(ctx, window, expires, n, keys...)
}

// TestConcurrentSignInsHonourTheLimit: N wrong passwords posted at once for one email from one
// address: at most the limit are checked (422), the others refused (429).
func TestConcurrentSignInsHonourTheLimit(t *testing.T) {
	const n, limit = 12, 3
	e := newEnv(t, envOptions{counters: &barrier{Counters: NewMemoryCounters(), n: n, open: make(chan struct{})},
		limits: Limits{Window: 15 * time.Minute, PerAccountAddress: limit}})
	e.user("alice@example.org", "correct horse", "")
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			form := loginForm("alice@example.org", "wrong")
			res, err := e.srv.Client().PostForm(e.srv.URL+LoginPath, form)
			if err != nil {
				t.Error(err)
				return
			}
			res.Body.Close()
			statuses[i] = res.StatusCode
		})
	}
	wg.Wait()
	checked := 0
	for _, st := range statuses {
		switch st {
		case http.StatusUnprocessableEntity:
			checked++
		case http.StatusTooManyRequests:
		default:
			t.Errorf("status %d, want 422 or 429", st)
		}
	}
	if checked != limit {
		t.Errorf("%d concurrent wrong passwords: %d checked (%v), want %d", n, checked, statuses, limit)
	}
}

// TestSignInBusy: when every hashing slot stays taken, a sign-in waits, then answers 503 with
// Retry-After instead of queueing argon2id work without bound; a free slot answers again.
func TestSignInBusy(t *testing.T) {
	slots := account.NewHashSlots(1, time.Millisecond)
	e := newEnv(t, envOptions{hashing: slots})
	e.user("alice@example.org", "correct horse", "")
	release, err := slots.Acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	r := b.login("alice@example.org", "correct horse")
	wantStatus(t, "sign-in with no free slot", r, http.StatusServiceUnavailable)
	if r.Header.Get("Retry-After") != busyRetry || !strings.Contains(r.body, "try again in a few seconds") {
		t.Errorf("busy answer: Retry-After %q, body\n%s", r.Header.Get("Retry-After"), r.body)
	}
	release()
	wantRedirect(t, "sign-in with a free slot", b.login("alice@example.org", "correct horse"), "/")
}

// TestSignInRefusesOverlongEmail: an email longer than any address is refused before it is
// counted (the counters would otherwise keep up to 64 KiB per posted key).
func TestSignInRefusesOverlongEmail(t *testing.T) {
	counters := NewMemoryCounters()
	e := newEnv(t, envOptions{counters: counters})
	b := e.browser()
	long := strings.Repeat("a", 64<<10-100) + "@example.org"
	r := b.login(long, "wrong")
	wantStatus(t, "overlong email", r, http.StatusUnprocessableEntity)
	if !strings.Contains(r.body, "This email address is too long (at most 254 characters)") || strings.Contains(r.body, long[:300]) {
		t.Errorf("overlong email page does not say what is wrong, or echoes the email:\n%.2000s", r.body)
	}
	if got := counters.len(); got != 0 {
		t.Errorf("counters hold %d keys after an overlong email, want 0", got)
	}
	wantStatus(t, "an invalid email of 254 bytes", b.login(strings.Repeat("b", 254), "wrong"), http.StatusUnprocessableEntity)
	if got := counters.len(); got != 3 {
		t.Errorf("counters hold %d keys after one attempt, want 3 (email and address, email, address)", got)
	}
}

func TestSessionRotatesAtSignIn(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.user("alice@example.org", "correct horse", "")
	b := e.browser()
	wantRedirect(t, "first sign-in", b.login("alice@example.org", "correct horse"), "/")
	first := b.session()
	wantRedirect(t, "second sign-in", b.login("alice@example.org", "correct horse"), "/")
	second := b.session()
	if second == "" || second == first {
		t.Fatalf("session cookie %q after the second sign-in, want a new one (was %q)", second, first)
	}
	if _, _, err := e.acc.Authenticate(t.Context(), first); err == nil {
		t.Errorf("the session from before the second sign-in still works")
	}
	// A planted cookie (session fixation) is never the one signed in.
	b2 := e.browser()
	u, _ := url.Parse(e.srv.URL)
	b2.jar.SetCookies(u, []*http.Cookie{{Name: "overdue_session", Value: "planted", Path: "/"}})
	wantRedirect(t, "sign-in with a planted cookie", b2.login("alice@example.org", "correct horse"), "/")
	if b2.session() == "planted" {
		t.Errorf("signing in kept the planted session ID")
	}
}

func TestSessionExpiry(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.user("alice@example.org", "correct horse", "")
	b := e.browser()
	wantRedirect(t, "sign in", b.login("alice@example.org", "correct horse"), "/")

	// Idle: a visit every 13 days keeps the session for 30 days after sign-in, and no longer.
	for _, day := range []int{13, 26} {
		e.advance(13 * 24 * time.Hour)
		wantStatus(t, "visit on day "+string(rune('0'+day/10))+string(rune('0'+day%10)), b.get("/"), 200)
	}
	e.advance(4*24*time.Hour - time.Second) // day 30, one second before the absolute end
	wantStatus(t, "visit just before 30 days", b.get("/"), 200)
	e.advance(time.Second)
	wantRedirect(t, "visit at 30 days", b.get("/"), "/accounts/login/?next=%2F")

	// Idle: 14 days without a visit end a session.
	wantRedirect(t, "sign in again", b.login("alice@example.org", "correct horse"), "/")
	e.advance(14*24*time.Hour - time.Second)
	wantStatus(t, "visit just before 14 idle days", b.get("/"), 200)
	e.advance(14 * 24 * time.Hour)
	wantRedirect(t, "visit after 14 idle days", b.get("/"), "/accounts/login/?next=%2F")
}

func TestSessionsListRevokeAndSignOutEverywhere(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.user("alice@example.org", "correct horse", "")
	laptop, phone, tablet := e.browser(), e.browser(), e.browser()
	for _, b := range []*browser{laptop, phone, tablet} {
		wantRedirect(t, "sign in", b.login("alice@example.org", "correct horse"), "/")
		e.advance(time.Minute)
	}
	r := laptop.get("/accounts/sessions/")
	wantStatus(t, "sessions page", r, 200)
	ids := regexp.MustCompile(`name="session" value="([0-9a-f]+)"`).FindAllStringSubmatch(r.body, -1)
	if len(ids) != 3 || strings.Count(r.body, "this browser") != 1 {
		t.Fatalf("sessions page lists %d sessions (%d marked current), want 3 and 1:\n%s", len(ids), strings.Count(r.body, "this browser"), r.body)
	}
	// Newest first: the tablet's, then the phone's.
	phoneID := ids[1][1]
	wantRedirect(t, "revoke the phone", laptop.post("/accounts/sessions/revoke/", url.Values{"session": {phoneID}}), "/accounts/sessions/")
	wantRedirect(t, "phone after revoke", phone.get("/"), "/accounts/login/?next=%2F")
	wantStatus(t, "laptop after revoking the phone", laptop.get("/"), 200)
	wantStatus(t, "revoke again", laptop.post("/accounts/sessions/revoke/", url.Values{"session": {phoneID}}), http.StatusNotFound)

	// Someone else's session ID does nothing.
	e.user("bob@example.org", "battery staple", "")
	bob := e.browser()
	wantRedirect(t, "bob signs in", bob.login("bob@example.org", "battery staple"), "/")
	wantStatus(t, "bob revokes alice's tablet", bob.post("/accounts/sessions/revoke/", url.Values{"session": {ids[0][1]}}), http.StatusNotFound)
	wantStatus(t, "tablet after bob's try", tablet.get("/"), 200)

	wantRedirect(t, "sign out everywhere", laptop.post("/accounts/logout-everywhere/", nil), "/accounts/login/")
	for name, b := range map[string]*browser{"laptop": laptop, "tablet": tablet} {
		wantRedirect(t, name+" after sign out everywhere", b.get("/"), "/accounts/login/?next=%2F")
	}
	wantStatus(t, "bob after alice signed out everywhere", bob.get("/"), 200)
}

func TestCrossOriginPostsRefused(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.user("alice@example.org", "correct horse", "")
	b := e.browser()
	form := url.Values{"email": {"alice@example.org"}, "password": {"correct horse"}}
	for _, h := range [][]string{
		{"Sec-Fetch-Site", "cross-site"},
		{"Origin", "https://evil.example"},
	} {
		r := b.post("/accounts/login/", form, h...)
		wantStatus(t, "login with "+h[0]+": "+h[1], r, http.StatusForbidden)
		if !strings.Contains(r.body, "sent from another site") || b.session() != "" {
			t.Errorf("cross-origin login: session %q, body:\n%s", b.session(), r.body)
		}
	}
	// The site's own forms pass, as browsers send them.
	wantRedirect(t, "same-origin login", b.post("/accounts/login/", form, "Sec-Fetch-Site", "same-origin", "Origin", e.srv.URL), "/")
	wantStatus(t, "cross-site sign out", b.post("/accounts/logout/", nil, "Sec-Fetch-Site", "cross-site"), http.StatusForbidden)
	wantStatus(t, "still signed in", b.get("/"), 200)
	// A cross-site GET is only a page view, and is served.
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	wantStatus(t, "cross-site GET", b.do(req), 200)
}

func TestSecureCookieOverHTTPS(t *testing.T) {
	e := newEnv(t, envOptions{tls: true})
	e.user("alice@example.org", "correct horse", "")
	b := e.browser()
	r := b.login("alice@example.org", "correct horse")
	wantRedirect(t, "sign in over https", r, "/")
	set := r.Header.Get("Set-Cookie")
	if !strings.HasPrefix(set, "__Host-overdue_session=") || !strings.Contains(set, "; Secure") || !strings.Contains(set, "HttpOnly") {
		t.Errorf("Set-Cookie over https = %q, want __Host- prefixed, Secure, HttpOnly", set)
	}
	wantStatus(t, "home over https", b.get("/"), 200)
}

func TestHeadersStylesheetAndMount(t *testing.T) {
	e := newEnv(t, envOptions{})
	b := e.browser()
	r := b.get("/accounts/login/")
	for name, want := range map[string]string{
		"Content-Security-Policy": contentSecurityPolicy,
		"X-Frame-Options":         "DENY",
		"Referrer-Policy":         "no-referrer",
		"X-Content-Type-Options":  "nosniff",
		"Cache-Control":           "no-store",
		"Content-Type":            "text/html; charset=utf-8",
	} {
		if got := r.Header.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if !strings.Contains(contentSecurityPolicy, "frame-ancestors 'none'") || strings.Contains(contentSecurityPolicy, "unsafe-inline") {
		t.Errorf("CSP %q must forbid framing and inline code", contentSecurityPolicy)
	}
	if strings.Contains(r.body, "<script") || strings.Contains(r.body, "style=") {
		t.Errorf("login page has inline script or style")
	}
	css := regexp.MustCompile(`href="(/static/style\.[0-9a-f]{12}\.css)"`).FindStringSubmatch(r.body)
	if css == nil {
		t.Fatalf("login page links no hashed stylesheet:\n%s", r.body)
	}
	s := b.get(css[1])
	wantStatus(t, "stylesheet", s, 200)
	if s.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" || !strings.HasPrefix(s.Header.Get("Content-Type"), "text/css") ||
		!strings.Contains(s.body, "prefers-color-scheme: dark") {
		t.Errorf("stylesheet: Cache-Control %q, Content-Type %q; want a year, immutable, text/css with a dark scheme",
			s.Header.Get("Cache-Control"), s.Header.Get("Content-Type"))
	}
	wantStatus(t, "a stale stylesheet name", b.get("/static/style.000000000000.css"), http.StatusNotFound)
	wantStatus(t, "an unknown account page", b.get("/accounts/nope/"), http.StatusNotFound)
	// A page's URL without its slash is redirected with 307, which keeps a form's method and body.
	for _, r := range []*resp{b.get("/accounts/login?next=/accounts/sessions/"), b.post("/accounts/login?next=/accounts/sessions/", nil)} {
		if r.StatusCode != http.StatusTemporaryRedirect || r.Header.Get("Location") != "/accounts/login/?next=/accounts/sessions/" {
			t.Errorf("%s /accounts/login = %d to %q, want 307 to the page with its slash", r.Request.Method, r.StatusCode, r.Header.Get("Location"))
		}
	}
	wantStatus(t, "an unknown account page without its slash", b.get("/accounts/nope"), http.StatusNotFound)

	// Everything outside the pages' paths reaches the API.
	for _, path := range []string{"/api/v3/checks/", "/ping/abc", "/accountsx", "/badge/x/y.svg"} {
		r := b.get(path)
		if r.StatusCode != http.StatusTeapot || r.body != "api "+path {
			t.Errorf("GET %s = %d %q, want the API's answer", path, r.StatusCode, r.body)
		}
	}
}

// TestSignInRateLimitsSharedCounters: two servers over one set of Counters (two instances of
// the api function over one table) share the limit: failures on one block the other.
func TestSignInRateLimitsSharedCounters(t *testing.T) {
	counters := NewMemoryCounters()
	limits := Limits{Window: 15 * time.Minute, PerAccountAddress: 2, PerAddress: 100}
	e := newEnv(t, envOptions{counters: counters, limits: limits})
	e.user("alice@example.org", "correct horse", "")
	other, err := New(Config{Accounts: e.acc, SiteRoot: e.srv.URL, Limiter: NewLimiter(limits, counters)})
	if err != nil {
		t.Fatal(err)
	}
	srv2 := httptest.NewServer(other)
	t.Cleanup(srv2.Close)

	b := e.browser()
	wantStatus(t, "failure on instance 1", b.login("alice@example.org", "wrong"), http.StatusUnprocessableEntity)
	req, _ := http.NewRequest(http.MethodPost, srv2.URL+"/accounts/login/",
		strings.NewReader(url.Values{"email": {"alice@example.org"}, "password": {"wrong"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	wantStatus(t, "failure on instance 2", b.do(req), http.StatusUnprocessableEntity)
	wantStatus(t, "instance 1 after two failures in all", b.login("alice@example.org", "correct horse"), http.StatusTooManyRequests)
}
