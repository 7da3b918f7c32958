package httpapi

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/sqlite"
	"github.com/overduehq/overdue/internal/store/storetest"
)

// t0 is the pinned clock of every test: the instant of the observed v3.13 session.
var t0 = time.Date(2026, 11, 24, 20, 18, 26, 0, time.UTC)

// testPingKey is the ping key of the fixture's project (from the observed session).
const testPingKey = "ayqywobol1jytib84gqdzg"

// fixture is a Server over a real SQLite store in a temporary directory, with one project whose
// ping key is testPingKey, a pinned clock the test moves by hand, and captured logs.
type fixture struct {
	t       *testing.T
	store   *sqlite.Store
	srv     *Server
	now     time.Time
	project *check.Project
	logs    *bytes.Buffer
	secret  []byte // the server secret (Config.SecretKey)
	dbPath  string // the store's database file
}

// newFixture builds a fixture; opts adjust the Config before the Server is built.
func newFixture(t *testing.T, opts ...func(*Config)) *fixture {
	t.Helper()
	path := filepath.Join(t.TempDir(), "overdue.db")
	st, err := sqlite.Open(path, store.Options{Box: storetest.Box(t)})
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	f := &fixture{t: t, store: st, now: t0, logs: new(bytes.Buffer), secret: []byte("test-server-secret"), dbPath: path}
	f.project = f.addProject(testPingKey)
	cfg := Config{
		Store:     st,
		Now:       func() time.Time { return f.now },
		SiteRoot:  "http://localhost:8000",
		Logger:    slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		SecretKey: f.secret,
	}
	for _, o := range opts {
		o(&cfg)
	}
	f.srv = New(cfg)
	return f
}

// addProject stores a project with the given ping key.
func (f *fixture) addProject(pingKey string) *check.Project {
	f.t.Helper()
	p := &check.Project{
		ID:              uuid.NewString(),
		Name:            "Project " + pingKey,
		Created:         t0.Add(-time.Hour),
		APIKeyHash:      check.HashKey("hcw_" + pingKey),
		ReadOnlyKeyHash: check.HashKey("hcr_" + pingKey),
		PingKeyHash:     check.HashKey(pingKey),
		BadgeKey:        uuid.NewString(),
	}
	if err := f.store.CreateProject(context.Background(), p); err != nil {
		f.t.Fatalf("CreateProject: %v", err)
	}
	return p
}

// addCheck stores a check in the fixture's project with name and slug set to slug, after
// applying mods.
func (f *fixture) addCheck(slug string, mods ...func(*check.Check)) *check.Check {
	f.t.Helper()
	c := check.New(uuid.NewString(), f.project.ID, t0.Add(-time.Hour))
	c.Name, c.Slug = slug, slug
	for _, m := range mods {
		m(c)
	}
	if err := f.store.CreateCheck(context.Background(), c); err != nil {
		f.t.Fatalf("CreateCheck: %v", err)
	}
	return c
}

// addChannel stores a channel in the fixture's project.
func (f *fixture) addChannel(name string) *check.Channel {
	f.t.Helper()
	ch := &check.Channel{
		ID: uuid.NewString(), ProjectID: f.project.ID, Kind: "email", Name: name,
		Value: name + "@example.org", Created: t0.Add(-time.Hour),
	}
	if err := f.store.CreateChannel(context.Background(), ch); err != nil {
		f.t.Fatalf("CreateChannel: %v", err)
	}
	return ch
}

// do serves one request. headers are name, value pairs.
func (f *fixture) do(method, target, body string, headers ...string) *httptest.ResponseRecorder {
	f.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	req.RemoteAddr = "192.0.2.10:50000"
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, req)
	return rec
}

// check loads a check.
func (f *fixture) check(id string) *check.Check {
	f.t.Helper()
	c, err := f.store.Check(context.Background(), id)
	if err != nil {
		f.t.Fatalf("Check(%s): %v", id, err)
	}
	return c
}

// pings lists a check's pings, oldest first, each with its body.
func (f *fixture) pings(id string) []*check.Ping {
	f.t.Helper()
	list, err := f.store.Pings(context.Background(), id, 1000)
	if err != nil {
		f.t.Fatalf("Pings(%s): %v", id, err)
	}
	out := make([]*check.Ping, 0, len(list))
	for i := len(list) - 1; i >= 0; i-- {
		p, err := f.store.Ping(context.Background(), id, list[i].N)
		if err != nil {
			f.t.Fatalf("Ping(%s, %d): %v", id, list[i].N, err)
		}
		out = append(out, p)
	}
	return out
}

// onlyPing returns the check's single ping, failing the test unless there is exactly one.
func (f *fixture) onlyPing(id string) *check.Ping {
	f.t.Helper()
	ps := f.pings(id)
	if len(ps) != 1 {
		f.t.Fatalf("check has %d pings, want 1", len(ps))
	}
	return ps[0]
}

// flips lists a check's flips, oldest first.
func (f *fixture) flips(id string) []*check.Flip {
	f.t.Helper()
	list, err := f.store.Flips(context.Background(), id, store.FlipQuery{})
	if err != nil {
		f.t.Fatalf("Flips(%s): %v", id, err)
	}
	for i, j := 0, len(list)-1; i < j; i, j = i+1, j-1 {
		list[i], list[j] = list[j], list[i]
	}
	return list
}

// checksBySlug lists the fixture project's checks with slug.
func (f *fixture) checksBySlug(slug string) []*check.Check {
	f.t.Helper()
	cs, err := f.store.ChecksBySlug(context.Background(), f.project.ID, slug)
	if err != nil {
		f.t.Fatalf("ChecksBySlug(%s): %v", slug, err)
	}
	return cs
}

// wantResponse fails the test unless rec has the status and body.
func wantResponse(t *testing.T, rec *httptest.ResponseRecorder, status int, body string) {
	t.Helper()
	if rec.Code != status || rec.Body.String() != body {
		t.Errorf("response = %d %q, want %d %q", rec.Code, rec.Body.String(), status, body)
	}
}

func TestPingSuccessHeaders(t *testing.T) {
	f := newFixture(t)
	c := f.addCheck("simple")
	rec := f.do("GET", "/ping/"+c.ID, "")
	wantResponse(t, rec, 200, "OK")
	want := http.Header{
		"Content-Type":                {"text/html; charset=utf-8"},
		"Ping-Body-Limit":             {"10000"},
		"Access-Control-Allow-Origin": {"*"},
		"Expires":                     {"Tue, 24 Nov 2026 20:18:26 GMT"},
		"Cache-Control":               {"max-age=0, no-cache, no-store, must-revalidate, private"},
		"X-Frame-Options":             {"DENY"},
		"X-Content-Type-Options":      {"nosniff"},
		"Referrer-Policy":             {"same-origin"},
	}
	if diff := cmp.Diff(want, rec.Header()); diff != "" {
		t.Errorf("headers mismatch (-want +got):\n%s", diff)
	}
}

// TestPingExpiresFollowsClock: Expires is the clock's second, in GMT, on every ping (the server
// keeps the last one formatted), through a step back of the clock too.
func TestPingExpiresFollowsClock(t *testing.T) {
	f := newFixture(t)
	c := f.addCheck("simple")
	cet := time.FixedZone("CET", 3600)
	for _, step := range []struct {
		now  time.Time
		want string
	}{
		{t0, "Tue, 24 Nov 2026 20:18:26 GMT"},
		{t0.Add(999 * time.Millisecond), "Tue, 24 Nov 2026 20:18:26 GMT"},
		{t0.Add(time.Second), "Tue, 24 Nov 2026 20:18:27 GMT"},
		{t0.Add(time.Hour).In(cet), "Tue, 24 Nov 2026 21:18:26 GMT"},
		{t0.Add(-time.Second), "Tue, 24 Nov 2026 20:18:25 GMT"},
	} {
		f.now = step.now
		rec := f.do("POST", "/ping/"+c.ID, "")
		wantResponse(t, rec, 200, "OK")
		if got := rec.Header().Values("Expires"); len(got) != 1 || got[0] != step.want {
			t.Errorf("ping at %v: Expires = %q, want %q", step.now, got, step.want)
		}
	}
}

func TestPingCreatedHeaders(t *testing.T) {
	f := newFixture(t)
	rec := f.do("GET", "/ping/"+testPingKey+"/fresh?create=1", "")
	wantResponse(t, rec, 201, "Created")
	for _, name := range []string{"Ping-Body-Limit", "Access-Control-Allow-Origin", "Expires", "Cache-Control"} {
		if rec.Header().Get(name) == "" {
			t.Errorf("201 response lacks %s", name)
		}
	}
}

func TestPingErrorHeaders(t *testing.T) {
	f := newFixture(t)
	c := f.addCheck("simple")
	for _, target := range []string{
		"/ping/" + uuid.NewString(),        // 404 not found
		"/ping/" + c.ID + "/256",           // 400 invalid url format
		"/ping/" + c.ID + "?rid=zzz",       // 400 invalid uuid format
		"/ping/" + testPingKey + "/nosuch", // 404 via the slug route
	} {
		rec := f.do("GET", target, "")
		h := rec.Header()
		if got := h.Get("Content-Type"); got != "text/html; charset=utf-8" {
			t.Errorf("GET %s: Content-Type = %q, want text/html; charset=utf-8", target, got)
		}
		if got := h.Get("Cache-Control"); got != "max-age=0, no-cache, no-store, must-revalidate, private" {
			t.Errorf("GET %s: Cache-Control = %q, want the never-cache value", target, got)
		}
		if got := h.Get("Expires"); got != "Tue, 24 Nov 2026 20:18:26 GMT" {
			t.Errorf("GET %s: Expires = %q, want the pinned now", target, got)
		}
		for _, absent := range []string{"Ping-Body-Limit", "Access-Control-Allow-Origin"} {
			if v, ok := h[absent]; ok {
				t.Errorf("GET %s: error response has %s: %q, want none", target, absent, v)
			}
		}
	}
}

func TestUnknownRoute(t *testing.T) {
	f := newFixture(t)
	for _, target := range []string{"/", "/nope", "/ping", "/ping/a/b/c/d"} {
		rec := f.do("GET", target, "")
		wantResponse(t, rec, 404, notFoundPage)
		if got := rec.Header().Get("Content-Type"); got != "text/html; charset=utf-8" {
			t.Errorf("GET %s: Content-Type = %q, want text/html; charset=utf-8", target, got)
		}
		if got := rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s: X-Content-Type-Options = %q, want nosniff", target, got)
		}
	}
}

func TestNotFoundPageShape(t *testing.T) {
	for _, want := range []string{"<!doctype html>", "<h1>Not Found</h1>", "The requested resource was not found on this server."} {
		if !strings.Contains(notFoundPage, want) {
			t.Errorf("notFoundPage lacks %q", want)
		}
	}
}

func TestRedactPath(t *testing.T) {
	const id = "5a4f0dfa-3b83-4e43-8c53-1b0e3d8f0a6e"
	tests := []struct{ in, want string }{
		{"/ping/" + id, "/ping/" + id},
		{"/ping/" + id + "/", "/ping/" + id + "/"},
		{"/ping/" + id + "/fail", "/ping/" + id + "/fail"},
		{"/ping/" + testPingKey + "/backup", "/ping/<redacted>/backup"},
		{"/ping/" + testPingKey + "/backup/start", "/ping/<redacted>/backup/start"},
		{"/ping/" + testPingKey, "/ping/<redacted>"},
		{"/ping/", "/ping/"},
		{"/api/v3/checks/", "/api/v3/checks/"},
		{"/projects/" + id + "/metrics/hcr_secretsecretsecretsecretsecre", "/projects/" + id + "/metrics/<redacted>"},
		{"/projects/" + id + "/checks/metrics/hcr_secret", "/projects/" + id + "/checks/metrics/<redacted>"},
		{"/projects/" + id + "/metrics/", "/projects/" + id + "/metrics/"},
	}
	for _, tt := range tests {
		if got := redactPath(tt.in); got != tt.want {
			t.Errorf("redactPath(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNewDefaults(t *testing.T) {
	s := New(Config{})
	if s.bodyLimit != DefaultPingBodyLimit {
		t.Errorf("bodyLimit = %d, want %d", s.bodyLimit, DefaultPingBodyLimit)
	}
	if s.maxChecks != DefaultMaxChecksPerProject {
		t.Errorf("maxChecks = %d, want %d", s.maxChecks, DefaultMaxChecksPerProject)
	}
	id := s.newID()
	if !isCheckUUID(id) {
		t.Errorf("newID() = %q, want a lowercase canonical UUID", id)
	}
	if v := uuid.MustParse(id).Version(); v != 4 {
		t.Errorf("newID() version = %d, want 4", v)
	}
}

// TestOverRealServer runs pings through net/http's server: HEAD gets the status and headers
// without a body, GET gets Content-Length 2.
func TestOverRealServer(t *testing.T) {
	f := newFixture(t)
	c := f.addCheck("simple")
	ts := httptest.NewServer(f.srv)
	defer ts.Close()
	for _, method := range []string{"GET", "HEAD"} {
		req, err := http.NewRequest(method, ts.URL+"/ping/"+c.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		wantBody := "OK"
		if method == "HEAD" {
			wantBody = ""
		}
		if resp.StatusCode != 200 || string(body) != wantBody {
			t.Errorf("%s: %d %q, want 200 %q", method, resp.StatusCode, body, wantBody)
		}
		if method == "GET" && resp.ContentLength != 2 {
			t.Errorf("GET: Content-Length %d, want 2", resp.ContentLength)
		}
		if got := resp.Header.Get("Ping-Body-Limit"); got != "10000" {
			t.Errorf("%s: Ping-Body-Limit = %q, want 10000", method, got)
		}
	}
	ps := f.pings(c.ID)
	if len(ps) != 2 || ps[0].Method != "GET" || ps[1].Method != "HEAD" {
		t.Errorf("recorded %d pings, want GET then HEAD", len(ps))
	}
}
