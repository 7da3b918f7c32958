package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/store"
)

// statusServer is a status page server over the env's store, counting the flips it reads (one
// query per check shown: a page rendered, not served from memory), with cfg's cache and limit.
func statusServer(t *testing.T, e *env, cfg Config) (*Server, *countingStore) {
	t.Helper()
	counting := &countingStore{Store: e.st}
	cfg.Accounts, cfg.Checks = e.acc, counting
	pages, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return pages, counting
}

// getStatus requests a status page from client address ip.
func getStatus(pages *Server, key, ip string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/status/"+key+"/", nil)
	req.RemoteAddr = ip + ":40000"
	pages.ServeHTTP(rec, req)
	return rec
}

const cachedKey = "cachedcachedcachedcached"

// TestStatusPageCache: a page is rendered once and then served from memory, reading nothing, for
// a minute from its rendering, with a max-age that counts down what is left of the minute; a
// change made elsewhere (the API, another instance) shows once the minute is over. A settings
// form of this process that changes the page drops it at once: made private, it answers 404 at
// once; its old address after "new address", too.
func TestStatusPageCache(t *testing.T) {
	e := newEnv(t, envOptions{dashboard: true})
	e.addCheck(idBackup, "Nightly backup", "", "", check.StatusUp)
	if err := e.st.PutStatusPage(t.Context(), &check.StatusPage{ProjectID: e.project, Key: cachedKey, Public: true,
		Checks: []string{idBackup}}); err != nil {
		t.Fatal(err)
	}
	pages, counting := statusServer(t, e, Config{})
	get := func(what string, wantStatus int, wantAge string, wantRenders int32) string {
		t.Helper()
		r := getStatus(pages, cachedKey, "192.0.2.1")
		if r.Code != wantStatus || r.Header().Get("Cache-Control") != wantAge || counting.flips.Load() != wantRenders {
			t.Errorf("%s: %d, Cache-Control %q, %d renders; want %d, %q, %d", what, r.Code, r.Header().Get("Cache-Control"),
				counting.flips.Load(), wantStatus, wantAge, wantRenders)
		}
		return r.Body.String()
	}
	first := get("first request", 200, "public, max-age=60", 1)
	rename := func(name string) {
		t.Helper()
		if _, err := e.st.UpdateCheck(t.Context(), idBackup, func(c *check.Check) (store.Change, error) {
			c.Name = name
			return store.Change{}, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	rename("Database backup") // through the store: this process does not know
	e.advance(20 * time.Second)
	if body := get("20 s later", 200, "public, max-age=40", 1); body != first {
		t.Error("the kept page differs from the first")
	}
	e.advance(39*time.Second + 999*time.Millisecond)
	get("a moment before the minute", 200, "public, max-age=0", 1)
	e.advance(time.Millisecond)
	if body := get("a minute later", 200, "public, max-age=60", 2); !strings.Contains(body, "Database backup") {
		t.Error("the page rendered a minute later does not show the new name")
	}

	// Changed through this process's settings form: dropped at once. (The form is the env's
	// server; pages is another Server over the same store: the form drops the env server's
	// copy, so this part asks the env's server.)
	owner := e.signedIn("ann@example.com", people.RoleOwner)
	anon := e.browser()
	if r := anon.get("/status/" + cachedKey + "/"); r.StatusCode != 200 {
		t.Fatalf("the env's status page = %d", r.StatusCode)
	}
	wantRedirect(t, "make it private", owner.post(statusSettingsURL, url.Values{"action": {"save"}, "check": {idBackup}}), statusSettingsURL+"?saved=1")
	if r := anon.get("/status/" + cachedKey + "/"); r.StatusCode != 404 {
		t.Errorf("the page made private = %d at once, want 404", r.StatusCode)
	}
	wantRedirect(t, "public again", owner.post(statusSettingsURL, url.Values{"public": {"on"}, "action": {"save"}, "check": {idBackup}}), statusSettingsURL+"?saved=1")
	if r := anon.get("/status/" + cachedKey + "/"); r.StatusCode != 200 {
		t.Fatalf("the page public again = %d, want 200", r.StatusCode)
	}
	wantRedirect(t, "new address", owner.post(statusSettingsURL, url.Values{"public": {"on"}, "action": {"new-address"}, "check": {idBackup}}), statusSettingsURL+"?saved=1")
	if r := anon.get("/status/" + cachedKey + "/"); r.StatusCode != 404 {
		t.Errorf("the old address = %d at once, want 404", r.StatusCode)
	}
}

// TestStatusPageCacheOff: with the cache off, every request renders.
func TestStatusPageCacheOff(t *testing.T) {
	e := newEnv(t, envOptions{dashboard: true})
	e.addCheck(idBackup, "Nightly backup", "", "", check.StatusUp)
	if err := e.st.PutStatusPage(t.Context(), &check.StatusPage{ProjectID: e.project, Key: cachedKey, Public: true,
		Checks: []string{idBackup}}); err != nil {
		t.Fatal(err)
	}
	pages, counting := statusServer(t, e, Config{StatusCacheTTL: -1})
	for range 3 {
		if r := getStatus(pages, cachedKey, "192.0.2.1"); r.Code != 200 {
			t.Fatalf("status page = %d", r.Code)
		}
	}
	if n := counting.flips.Load(); n != 3 {
		t.Errorf("%d renders for 3 requests with the cache off, want 3", n)
	}
}

// TestStatusPageRateLimit: each client address gets Burst requests at once, then one per
// 1/PerSecond; past that, 429 with Retry-After (the seconds until the next token, rounded up),
// not stored by caches, and reading nothing. Another address is not affected; unknown keys
// count too (guessing costs the same).
func TestStatusPageRateLimit(t *testing.T) {
	e := newEnv(t, envOptions{dashboard: true})
	e.addCheck(idBackup, "Nightly backup", "", "", check.StatusUp)
	if err := e.st.PutStatusPage(t.Context(), &check.StatusPage{ProjectID: e.project, Key: cachedKey, Public: true,
		Checks: []string{idBackup}}); err != nil {
		t.Fatal(err)
	}
	pages, counting := statusServer(t, e, Config{StatusCacheTTL: -1, StatusLimit: RateLimit{PerSecond: 0.25, Burst: 3}})
	want := func(what, ip string, status int, retry string) {
		t.Helper()
		r := getStatus(pages, cachedKey, ip)
		if r.Code != status || r.Header().Get("Retry-After") != retry {
			t.Errorf("%s: %d, Retry-After %q; want %d, %q", what, r.Code, r.Header().Get("Retry-After"), status, retry)
		}
		if status == http.StatusTooManyRequests && (r.Header().Get("Cache-Control") != "no-store" || !strings.Contains(r.Body.String(), "Too many requests")) {
			t.Errorf("%s: Cache-Control %q, body without its title", what, r.Header().Get("Cache-Control"))
		}
	}
	for range 3 {
		want("burst", "192.0.2.1", 200, "")
	}
	if r := getStatus(pages, strings.Repeat("z", check.StatusKeyLength), "192.0.2.7"); r.Code != 404 {
		t.Fatalf("unknown key = %d, want 404", r.Code)
	}
	renders := counting.flips.Load()
	want("past the burst", "192.0.2.1", 429, "4")
	e.advance(time.Second)
	want("a second later", "192.0.2.1", 429, "3")
	want("another address", "192.0.2.2", 200, "")
	e.advance(3 * time.Second)
	want("4 s later: one token", "192.0.2.1", 200, "")
	want("and none again", "192.0.2.1", 429, "4")
	if n := counting.flips.Load(); n != renders+2 {
		t.Errorf("renders = %d, want %d: a refused request reads nothing", n, renders+2)
	}
	// Guesses count against the address that makes them (its bucket full again by now).
	for range 3 {
		if r := getStatus(pages, strings.Repeat("z", check.StatusKeyLength), "192.0.2.7"); r.Code != 404 {
			t.Fatalf("a guess = %d, want 404", r.Code)
		}
	}
	if r := getStatus(pages, strings.Repeat("z", check.StatusKeyLength), "192.0.2.7"); r.Code != 429 {
		t.Errorf("the fourth guess from one address in a row = %d, want 429", r.Code)
	}
}

// TestStatusCacheBounds: the cache keeps at most statusCacheEntries pages and statusCacheBytes,
// dropping the oldest first, and never keeps a page rendered before a drop.
func TestStatusCacheBounds(t *testing.T) {
	c := newStatusPages(time.Minute)
	_, gen := c.get("x", t0)
	for i := range statusCacheEntries + 5 {
		c.put(string(rune('A'+i%26))+strings.Repeat("k", i), &statusPage{body: []byte("page"), rendered: t0.Add(time.Duration(i) * time.Millisecond)}, gen)
	}
	if len(c.pages) != statusCacheEntries {
		t.Errorf("%d pages kept, want %d", len(c.pages), statusCacheEntries)
	}
	if p, _ := c.get("A", t0.Add(time.Second)); p != nil {
		t.Error("the oldest page is still kept")
	}
	big := make([]byte, statusCacheBytes/2+1)
	c.put("big1", &statusPage{body: big, rendered: t0.Add(time.Second)}, gen)
	c.put("big2", &statusPage{body: big, rendered: t0.Add(2 * time.Second)}, gen)
	if c.bytes > statusCacheBytes {
		t.Errorf("%d bytes kept, want at most %d", c.bytes, statusCacheBytes)
	}
	if p, _ := c.get("big1", t0.Add(3*time.Second)); p != nil {
		t.Error("two pages over the byte budget are both kept")
	}
	_, gen = c.get("late", t0)
	c.drop("other")
	c.put("late", &statusPage{body: []byte("stale"), rendered: t0}, gen)
	if p, _ := c.get("late", t0); p != nil {
		t.Error("a page rendered before a drop was kept")
	}
}

// TestClientLimiterForgets: the limiter remembers at most clientBuckets addresses; refilled
// buckets go first, and a forgotten address starts full again.
func TestClientLimiterForgets(t *testing.T) {
	l := newClientLimiter(RateLimit{PerSecond: 1, Burst: 2})
	for i := range clientBuckets {
		l.allow("a"+strings.Repeat("x", i%7)+string(rune(i)), t0)
	}
	if ok, _ := l.allow("new", t0.Add(2*time.Second)); !ok || len(l.buckets) > clientBuckets {
		t.Errorf("a new address past the bound: allowed %v, %d buckets (want at most %d)", ok, len(l.buckets), clientBuckets)
	}
	if len(l.buckets) != 1 {
		t.Errorf("%d buckets after every old one refilled, want the new one alone", len(l.buckets))
	}
}
