package httpapi

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// recorded is what a test expects of a stored ping.
type recorded struct {
	kind   check.PingKind
	method string
	rid    string
	exit   int // noExit: none
	body   string
}

func exitOf(p *check.Ping) int {
	if p.ExitStatus == nil {
		return noExit
	}
	return *p.ExitStatus
}

// wantPing fails the test unless p is what want describes.
func wantPing(t *testing.T, p *check.Ping, want recorded) {
	t.Helper()
	got := recorded{kind: p.Kind, method: p.Method, rid: p.RID, exit: exitOf(p), body: string(p.Body)}
	if got != want {
		t.Errorf("recorded ping = %+v, want %+v", got, want)
	}
}

const (
	lowerRID = "2ad1a0fa-7a5c-4c6a-9b0e-3f1c2d4e5f60"
	upperRID = "2AD1A0FA-7A5C-4C6A-9B0E-3F1C2D4E5F60"
)

// TestObservedUUIDPings is the UUID table of healthchecks-observed.md §3, one row per case.
// <S> is the check's UUID.
func TestObservedUUIDPings(t *testing.T) {
	long := strings.Repeat("x", 12000)
	tests := []struct {
		name   string
		mod    func(*check.Check)
		method string
		path   string
		body   string
		status int
		resp   string
		want   *recorded // nil: nothing recorded
	}{
		{name: "GET", method: "GET", path: "/ping/<S>", status: 200, resp: "OK",
			want: &recorded{kind: check.PingSuccess, method: "GET", exit: noExit}},
		{name: "POST with body", method: "POST", path: "/ping/<S>", body: "hello body", status: 200, resp: "OK",
			want: &recorded{kind: check.PingSuccess, method: "POST", exit: noExit, body: "hello body"}},
		// The recorder keeps HEAD bodies; a real net/http server drops them.
		{name: "HEAD", method: "HEAD", path: "/ping/<S>", status: 200, resp: "OK",
			want: &recorded{kind: check.PingSuccess, method: "HEAD", exit: noExit}},
		{name: "PUT", method: "PUT", path: "/ping/<S>", status: 200, resp: "OK",
			want: &recorded{kind: check.PingSuccess, method: "PUT", exit: noExit}},
		{name: "OPTIONS", method: "OPTIONS", path: "/ping/<S>", status: 200, resp: "OK",
			want: &recorded{kind: check.PingSuccess, method: "OPTIONS", exit: noExit}},
		{name: "DELETE", method: "DELETE", path: "/ping/<S>", status: 200, resp: "OK",
			want: &recorded{kind: check.PingSuccess, method: "DELETE", exit: noExit}},
		{name: "trailing slash", method: "GET", path: "/ping/<S>/", status: 200, resp: "OK",
			want: &recorded{kind: check.PingSuccess, method: "GET", exit: noExit}},
		{name: "start", method: "GET", path: "/ping/<S>/start", status: 200, resp: "OK",
			want: &recorded{kind: check.PingStart, method: "GET", exit: noExit}},
		{name: "fail", method: "POST", path: "/ping/<S>/fail", status: 200, resp: "OK",
			want: &recorded{kind: check.PingFail, method: "POST", exit: noExit}},
		{name: "log GET", method: "GET", path: "/ping/<S>/log", status: 200, resp: "OK",
			want: &recorded{kind: check.PingLog, method: "GET", exit: noExit}},
		{name: "log POST", method: "POST", path: "/ping/<S>/log", body: "log line", status: 200, resp: "OK",
			want: &recorded{kind: check.PingLog, method: "POST", exit: noExit, body: "log line"}},
		{name: "exit 0", method: "GET", path: "/ping/<S>/0", status: 200, resp: "OK",
			want: &recorded{kind: check.PingSuccess, method: "GET", exit: 0}},
		{name: "exit 1", method: "GET", path: "/ping/<S>/1", status: 200, resp: "OK",
			want: &recorded{kind: check.PingFail, method: "GET", exit: 1}},
		{name: "exit 255", method: "GET", path: "/ping/<S>/255", status: 200, resp: "OK",
			want: &recorded{kind: check.PingFail, method: "GET", exit: 255}},
		{name: "exit 256", method: "GET", path: "/ping/<S>/256", status: 400, resp: "invalid url format"},
		{name: "exit huge", method: "GET", path: "/ping/<S>/99999999999999999999999", status: 400, resp: "invalid url format"},
		{name: "exit -1", method: "GET", path: "/ping/<S>/-1", status: 404, resp: "not found"},
		{name: "abc", method: "GET", path: "/ping/<S>/abc", status: 404, resp: "not found"},
		{name: "start trailing slash", method: "GET", path: "/ping/<S>/start/", status: 404, resp: notFoundPage},
		{name: "rid lowercase", method: "GET", path: "/ping/<S>?rid=" + lowerRID, status: 200, resp: "OK",
			want: &recorded{kind: check.PingSuccess, method: "GET", exit: noExit, rid: lowerRID}},
		{name: "rid uppercase stored lowercase", method: "GET", path: "/ping/<S>/start?rid=" + upperRID, status: 200, resp: "OK",
			want: &recorded{kind: check.PingStart, method: "GET", exit: noExit, rid: lowerRID}},
		{name: "rid not a uuid", method: "GET", path: "/ping/<S>?rid=not-a-uuid", status: 400, resp: "invalid uuid format"},
		{name: "rid empty", method: "GET", path: "/ping/<S>?rid=", status: 400, resp: "invalid uuid format"},
		{name: "unknown uuid", method: "GET", path: "/ping/" + uuid.NewString(), status: 404, resp: "not found"},
		{name: "unknown uuid fail", method: "GET", path: "/ping/" + uuid.NewString() + "/fail", status: 404, resp: "not found"},
		{name: "unknown uuid exit 256", method: "GET", path: "/ping/" + uuid.NewString() + "/256", status: 404, resp: "not found"},
		{name: "not a uuid", method: "GET", path: "/ping/not-a-uuid", status: 404, resp: notFoundPage},
		{name: "uppercase uuid", method: "GET", path: "/ping/<UPPER-S>", status: 404, resp: notFoundPage},
		{name: "uppercase uuid fail falls to slug route", method: "GET", path: "/ping/<UPPER-S>/fail", status: 404, resp: "not found"},
		{name: "methods POST, GET is ignored", mod: func(c *check.Check) { c.Methods = "POST" },
			method: "GET", path: "/ping/<S>", status: 200, resp: "OK",
			want: &recorded{kind: check.PingIgnored, method: "GET", exit: noExit}},
		{name: "methods POST, POST counts", mod: func(c *check.Check) { c.Methods = "POST" },
			method: "POST", path: "/ping/<S>", status: 200, resp: "OK",
			want: &recorded{kind: check.PingSuccess, method: "POST", exit: noExit}},
		{name: "12000-byte body truncated", method: "POST", path: "/ping/<S>", body: long, status: 200, resp: "OK",
			want: &recorded{kind: check.PingSuccess, method: "POST", exit: noExit, body: long[:10000]}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			var mods []func(*check.Check)
			if tt.mod != nil {
				mods = append(mods, tt.mod)
			}
			c := f.addCheck("simple", mods...)
			path := strings.ReplaceAll(tt.path, "<S>", c.ID)
			path = strings.ReplaceAll(path, "<UPPER-S>", strings.ToUpper(c.ID))
			rec := f.do(tt.method, path, tt.body)
			wantResponse(t, rec, tt.status, tt.resp)
			pings := f.pings(c.ID)
			if tt.want == nil {
				if len(pings) != 0 {
					t.Errorf("%d pings recorded, want none", len(pings))
				}
				if got := f.check(c.ID).NPings; got != 0 {
					t.Errorf("NPings = %d, want 0", got)
				}
				return
			}
			if len(pings) != 1 {
				t.Fatalf("%d pings recorded, want 1", len(pings))
			}
			wantPing(t, pings[0], *tt.want)
		})
	}
}

// TestObservedSlugPings is the slug table of healthchecks-observed.md §3 for existing checks.
func TestObservedSlugPings(t *testing.T) {
	tests := []struct {
		name   string
		method string
		path   string // relative to /ping/<pk>/
		status int
		resp   string
		want   *recorded
	}{
		{name: "success", method: "GET", path: "simple", status: 200, resp: "OK",
			want: &recorded{kind: check.PingSuccess, method: "GET", exit: noExit}},
		{name: "start", method: "POST", path: "simple/start", status: 200, resp: "OK",
			want: &recorded{kind: check.PingStart, method: "POST", exit: noExit}},
		{name: "fail", method: "GET", path: "simple/fail", status: 200, resp: "OK",
			want: &recorded{kind: check.PingFail, method: "GET", exit: noExit}},
		{name: "log", method: "GET", path: "simple/log", status: 200, resp: "OK",
			want: &recorded{kind: check.PingLog, method: "GET", exit: noExit}},
		{name: "exit 0", method: "GET", path: "simple/0", status: 200, resp: "OK",
			want: &recorded{kind: check.PingSuccess, method: "GET", exit: 0}},
		{name: "exit 7", method: "GET", path: "simple/7", status: 200, resp: "OK",
			want: &recorded{kind: check.PingFail, method: "GET", exit: 7}},
		{name: "exit 256", method: "GET", path: "simple/256", status: 400, resp: "invalid url format"},
		{name: "bad rid", method: "GET", path: "simple?rid=bad", status: 400, resp: "invalid uuid format"},
		{name: "trailing slash", method: "GET", path: "simple/", status: 404, resp: notFoundPage},
		{name: "unknown action", method: "GET", path: "simple/foo", status: 404, resp: notFoundPage},
		{name: "slug with a dot", method: "GET", path: "sim.ple", status: 404, resp: notFoundPage},
		{name: "no such slug", method: "GET", path: "nosuch", status: 404, resp: "not found"},
		{name: "create=true is not create=1", method: "GET", path: "nosuch2?create=true", status: 404, resp: "not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			c := f.addCheck("simple")
			rec := f.do(tt.method, "/ping/"+testPingKey+"/"+tt.path, "")
			wantResponse(t, rec, tt.status, tt.resp)
			pings := f.pings(c.ID)
			if tt.want == nil {
				if len(pings) != 0 {
					t.Errorf("%d pings recorded, want none", len(pings))
				}
				for _, slug := range []string{"nosuch", "nosuch2"} {
					if n := len(f.checksBySlug(slug)); n != 0 {
						t.Errorf("%d checks with slug %s, want none created", n, slug)
					}
				}
				return
			}
			if len(pings) != 1 {
				t.Fatalf("%d pings recorded, want 1", len(pings))
			}
			wantPing(t, pings[0], *tt.want)
		})
	}
}

// TestObservedAutoProvisioning covers the ?create=1 rows of healthchecks-observed.md §3.
func TestObservedAutoProvisioning(t *testing.T) {
	tests := []struct {
		name       string
		path       string // relative to /ping/<pk>/
		slug       string
		status     int
		resp       string
		wantStatus check.Status
		started    bool
		want       *recorded // the ping of the new check; nil: created with no ping
	}{
		{name: "success", path: "nosuch?create=1", slug: "nosuch", status: 201, resp: "Created",
			wantStatus: check.StatusUp, want: &recorded{kind: check.PingSuccess, method: "GET", exit: noExit}},
		{name: "start", path: "auto-start/start?create=1", slug: "auto-start", status: 201, resp: "Created",
			wantStatus: check.StatusNew, started: true, want: &recorded{kind: check.PingStart, method: "GET", exit: noExit}},
		{name: "fail", path: "auto-fail/fail?create=1", slug: "auto-fail", status: 201, resp: "Created",
			wantStatus: check.StatusDown, want: &recorded{kind: check.PingFail, method: "GET", exit: noExit}},
		{name: "exit 3", path: "auto-exit/3?create=1", slug: "auto-exit", status: 201, resp: "Created",
			wantStatus: check.StatusDown, want: &recorded{kind: check.PingFail, method: "GET", exit: 3}},
		{name: "exit 256 creates, then 400", path: "auto-big/256?create=1", slug: "auto-big", status: 400,
			resp: "invalid url format", wantStatus: check.StatusNew},
		{name: "bad rid creates, then 400", path: "auto-badrid?create=1&rid=zzz", slug: "auto-badrid", status: 400,
			resp: "invalid uuid format", wantStatus: check.StatusNew},
		{name: "underscore", path: "with_underscore?create=1", slug: "with_underscore", status: 201, resp: "Created",
			wantStatus: check.StatusUp, want: &recorded{kind: check.PingSuccess, method: "GET", exit: noExit}},
		{name: "create given twice, last wins", path: "twice?create=0&create=1", slug: "twice", status: 201, resp: "Created",
			wantStatus: check.StatusUp, want: &recorded{kind: check.PingSuccess, method: "GET", exit: noExit}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			mail, sms := f.addChannel("mail"), f.addChannel("sms")
			rec := f.do("GET", "/ping/"+testPingKey+"/"+tt.path, "")
			wantResponse(t, rec, tt.status, tt.resp)
			cs := f.checksBySlug(tt.slug)
			if len(cs) != 1 {
				t.Fatalf("%d checks with slug %s, want 1", len(cs), tt.slug)
			}
			c := cs[0]
			if c.Name != tt.slug || c.Kind != check.KindSimple || c.Timeout != 24*time.Hour || c.Grace != time.Hour {
				t.Errorf("new check name %q kind %s timeout %v grace %v, want %q simple 24h 1h",
					c.Name, c.Kind, c.Timeout, c.Grace, tt.slug)
			}
			if !isCheckUUID(c.ID) || c.ProjectID != f.project.ID || !c.Created.Equal(t0) {
				t.Errorf("new check id %q project %q created %v, want a uuid in %q at %v", c.ID, c.ProjectID, c.Created, f.project.ID, t0)
			}
			if !sameSet(c.Channels, []string{mail.ID, sms.ID}) {
				t.Errorf("new check channels = %v, want both project channels %v", c.Channels, []string{mail.ID, sms.ID})
			}
			if c.Status != tt.wantStatus || c.Started() != tt.started {
				t.Errorf("new check status %s started %v, want %s %v", c.Status, c.Started(), tt.wantStatus, tt.started)
			}
			pings := f.pings(c.ID)
			if tt.want == nil {
				if len(pings) != 0 || c.NPings != 0 {
					t.Errorf("new check has %d pings (n_pings %d), want 0", len(pings), c.NPings)
				}
				return
			}
			if len(pings) != 1 {
				t.Fatalf("new check has %d pings, want 1", len(pings))
			}
			wantPing(t, pings[0], *tt.want)

			// The same again finds the check: 200, no second check.
			rec = f.do("GET", "/ping/"+testPingKey+"/"+tt.path, "")
			wantResponse(t, rec, 200, "OK")
			if n := len(f.checksBySlug(tt.slug)); n != 1 {
				t.Errorf("after a second ping, %d checks with slug %s, want 1", n, tt.slug)
			}
		})
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := make(map[string]int)
	for _, s := range a {
		seen[s]++
	}
	for _, s := range b {
		seen[s]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}

// TestUppercaseSlug records our choice: uppercase slugs are rejected with 400 (v4.1 and the
// behaviour spec), although v3.13 accepted them.
func TestUppercaseSlug(t *testing.T) {
	f := newFixture(t)
	upper := f.addCheck("UpperCase") // a store may hold one, e.g. imported
	for _, path := range []string{"UpperCase?create=1", "UpperCase", "UpperCase/fail", "fooFOO"} {
		rec := f.do("GET", "/ping/"+testPingKey+"/"+path, "")
		wantResponse(t, rec, 400, "invalid url format")
	}
	if n := len(f.pings(upper.ID)); n != 0 {
		t.Errorf("check UpperCase has %d pings, want 0", n)
	}
	if n := len(f.checksBySlug("fooFOO")); n != 0 {
		t.Errorf("%d checks fooFOO created, want 0", n)
	}
	// Lookup is case-sensitive: the lowercase slug is another check.
	rec := f.do("GET", "/ping/"+testPingKey+"/uppercase", "")
	wantResponse(t, rec, 404, "not found")
}

func TestSlugWrongPingKey(t *testing.T) {
	f := newFixture(t)
	c := f.addCheck("simple")
	other := f.addProject("rrrrrrrrrrrrrrrrrrrrrr")
	_ = other
	for _, path := range []string{
		"/ping/zzzzzzzzzzzzzzzzzzzzzz/simple",
		"/ping/zzzzzzzzzzzzzzzzzzzzzz/simple?create=1",
		"/ping/rrrrrrrrrrrrrrrrrrrrrr/simple", // a project that exists, but not the check's
	} {
		rec := f.do("GET", path, "")
		wantResponse(t, rec, 404, "not found")
	}
	if n := len(f.pings(c.ID)); n != 0 {
		t.Errorf("%d pings recorded, want 0", n)
	}
	cs, err := f.store.Checks(context.Background(), other.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 0 {
		t.Errorf("project with the other key has %d checks, want 0", len(cs))
	}
}

// TestAmbiguousSlug is §8.1 case 26: two checks with the slug answer 409 and record nothing.
func TestAmbiguousSlug(t *testing.T) {
	f := newFixture(t)
	a, b := f.addCheck("foo"), f.addCheck("foo")
	for _, path := range []string{"foo", "foo/fail", "foo?create=1"} {
		rec := f.do("POST", "/ping/"+testPingKey+"/"+path, "body")
		wantResponse(t, rec, 409, "ambiguous slug")
	}
	for _, c := range []*check.Check{a, b} {
		got := f.check(c.ID)
		if got.NPings != 0 || got.Status != check.StatusNew || len(f.pings(c.ID)) != 0 {
			t.Errorf("check %s: n_pings %d status %s, want untouched", c.ID, got.NPings, got.Status)
		}
	}
	if n := len(f.checksBySlug("foo")); n != 2 {
		t.Errorf("%d checks foo, want still 2", n)
	}
}

// TestAutoProvisioningCap is §8.1 case 31: a project at the cap gets 404 and no new check.
func TestAutoProvisioningCap(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.MaxChecksPerProject = 2 })
	f.addCheck("one")
	f.addCheck("two")
	rec := f.do("GET", "/ping/"+testPingKey+"/foo3?create=1", "")
	wantResponse(t, rec, 404, "not found")
	if n := len(f.checksBySlug("foo3")); n != 0 {
		t.Errorf("%d checks foo3, want 0", n)
	}
	// Existing checks are still pinged.
	rec = f.do("GET", "/ping/"+testPingKey+"/one", "")
	wantResponse(t, rec, 200, "OK")
}

// TestAutoProvisioningOffByDefault is §8.1 case 29.
func TestAutoProvisioningOffByDefault(t *testing.T) {
	f := newFixture(t)
	rec := f.do("GET", "/ping/"+testPingKey+"/foo", "")
	wantResponse(t, rec, 404, "not found")
	if n := len(f.checksBySlug("foo")); n != 0 {
		t.Errorf("%d checks foo, want 0", n)
	}
}

// TestAutoProvisionOneChannel is §8.1 case 28.
func TestAutoProvisionOneChannel(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.NewID = sequentialIDs() })
	ch := f.addChannel("ops")
	rec := f.do("GET", "/ping/"+testPingKey+"/foo?create=1", "")
	wantResponse(t, rec, 201, "Created")
	cs := f.checksBySlug("foo")
	if len(cs) != 1 {
		t.Fatalf("%d checks foo, want 1", len(cs))
	}
	c := cs[0]
	if c.ID != "00000000-0000-4000-8000-000000000001" {
		t.Errorf("new check ID = %q, want the first NewID", c.ID)
	}
	if c.Name != "foo" || c.Slug != "foo" || c.NPings != 1 || len(f.pings(c.ID)) != 1 {
		t.Errorf("new check name %q slug %q n_pings %d, want foo foo 1", c.Name, c.Slug, c.NPings)
	}
	if len(c.Channels) != 1 || c.Channels[0] != ch.ID {
		t.Errorf("new check channels = %v, want [%s]", c.Channels, ch.ID)
	}
}

// sequentialIDs returns a NewID giving valid v4 UUIDs 1, 2, 3, ...
func sequentialIDs() func() string {
	n := 0
	return func() string {
		n++
		return "00000000-0000-4000-8000-" + strings.Repeat("0", 11) + string(rune('0'+n%10))
	}
}

// TestPingWorks is §8.1 case 1.
func TestPingWorks(t *testing.T) {
	f := newFixture(t)
	c := f.addCheck("simple")
	rec := f.do("GET", "/ping/"+c.ID, "")
	wantResponse(t, rec, 200, "OK")
	if got := rec.Header().Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("Access-Control-Allow-Origin = %q, want *", got)
	}
	if got := rec.Header().Get("Ping-Body-Limit"); got != "10000" {
		t.Errorf("Ping-Body-Limit = %q, want 10000", got)
	}
	got := f.check(c.ID)
	if got.NPings != 1 || got.Status != check.StatusUp || !got.LastPing.Equal(t0) {
		t.Errorf("check n_pings %d status %s last_ping %v, want 1 up %v", got.NPings, got.Status, got.LastPing, t0)
	}
	if next := got.NextPing(nil); !next.Equal(t0.Add(24 * time.Hour)) {
		t.Errorf("NextPing = %v, want %v", next, t0.Add(24*time.Hour))
	}
	if !got.AlertAfter.Equal(t0.Add(25 * time.Hour)) {
		t.Errorf("AlertAfter = %v, want %v", got.AlertAfter, t0.Add(25*time.Hour))
	}
	p := f.onlyPing(c.ID)
	if p.N != 1 || p.Scheme != "http" || p.Kind != check.PingSuccess || p.ExitStatus != nil || !p.Created.Equal(t0) {
		t.Errorf("ping n %d scheme %q kind %s exit %v created %v, want 1 http success nil %v",
			p.N, p.Scheme, p.Kind, p.ExitStatus, p.Created, t0)
	}
	if p.RemoteAddr != "192.0.2.10" {
		t.Errorf("ping remote addr = %q, want the peer host 192.0.2.10", p.RemoteAddr)
	}
}

// TestPingNotFound is §8.1 case 4.
func TestPingNotFound(t *testing.T) {
	f := newFixture(t)
	c := f.addCheck("simple")
	tests := []struct{ path, resp string }{
		{"/ping/not-uuid/", notFoundPage},
		{"/ping/" + strings.ReplaceAll(c.ID, "-", ""), notFoundPage},
		{"/ping/" + uuid.NewString(), "not found"},
	}
	for _, tt := range tests {
		wantResponse(t, f.do("GET", tt.path, ""), 404, tt.resp)
	}
}

// TestPingUserAgent is §8.1 case 5.
func TestPingUserAgent(t *testing.T) {
	for _, tt := range []struct{ ua, want string }{
		{strings.Repeat("a", 120), strings.Repeat("a", 120)},
		{strings.Repeat("b", 330), strings.Repeat("b", 200)},
		{"", ""},
	} {
		f := newFixture(t)
		c := f.addCheck("simple")
		f.do("GET", "/ping/"+c.ID, "", "User-Agent", tt.ua)
		if got := f.onlyPing(c.ID).UA; got != tt.want {
			t.Errorf("UA %d chars stored as %d chars %q, want %q", len(tt.ua), len(got), got, tt.want)
		}
	}
}

// TestPingRemoteAddr is §8.1 case 6, plus the peer address without X-Forwarded-For.
func TestPingRemoteAddr(t *testing.T) {
	tests := []struct {
		name, peer string
		xff        []string // nil: no header
		want       string
	}{
		{name: "forwarded", peer: "3.3.3.3:5000", xff: []string{"1.1.1.1"}, want: "1.1.1.1"},
		{name: "forwarded ipv6", peer: "3.3.3.3:5000", xff: []string{"2001::1"}, want: "2001::1"},
		{name: "first forwarded", peer: "3.3.3.3:5000", xff: []string{"1.1.1.1, 2.2.2.2"}, want: "1.1.1.1"},
		{name: "first header line", peer: "3.3.3.3:5000", xff: []string{"1.1.1.1", "2.2.2.2"}, want: "1.1.1.1"},
		{name: "forwarded with port", peer: "3.3.3.3:5000", xff: []string{"1.1.1.1:1234"}, want: "1.1.1.1"},
		{name: "ipv4-mapped ipv6", peer: "3.3.3.3:5000", xff: []string{"::ffff:1.1.1.1"}, want: "::ffff:1.1.1.1"},
		{name: "not trimmed", peer: "3.3.3.3:5000", xff: []string{" 1.1.1.1"}, want: " 1.1.1.1"},
		{name: "capped", peer: "3.3.3.3:5000", xff: []string{strings.Repeat("9", 500)}, want: strings.Repeat("9", 64)},
		{name: "peer", peer: "3.3.3.3:5000", want: "3.3.3.3"},
		{name: "peer ipv6", peer: "[2001:db8::1]:443", want: "2001:db8::1"},
		{name: "peer without port", peer: "3.3.3.3", want: "3.3.3.3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			c := f.addCheck("simple")
			req := httptest.NewRequest("GET", "/ping/"+c.ID, nil)
			req.RemoteAddr = tt.peer
			for _, v := range tt.xff {
				req.Header.Add("X-Forwarded-For", v)
			}
			f.srv.ServeHTTP(httptest.NewRecorder(), req)
			if got := f.onlyPing(c.ID).RemoteAddr; got != tt.want {
				t.Errorf("remote addr = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestPingScheme is §8.1 case 7.
func TestPingScheme(t *testing.T) {
	f := newFixture(t)
	c := f.addCheck("simple")
	rec := f.do("GET", "/ping/"+c.ID, "", "X-Forwarded-Proto", "https")
	if got := f.onlyPing(c.ID).Scheme; got != "https" {
		t.Errorf("scheme = %q, want https", got)
	}
	if got := rec.Header().Get("Cache-Control"); !strings.Contains(got, "no-cache") {
		t.Errorf("Cache-Control = %q, want no-cache", got)
	}
}

// TestPingPausedAndStarted is §8.1 case 8.
func TestPingPausedAndStarted(t *testing.T) {
	f := newFixture(t)
	paused := f.addCheck("paused", func(c *check.Check) { c.Status = check.StatusPaused })
	started := f.addCheck("started", func(c *check.Check) {
		c.Status = check.StatusUp
		c.LastPing = t0.Add(-time.Hour)
		c.LastStart = t0.Add(-time.Minute)
	})
	wantResponse(t, f.do("GET", "/ping/"+paused.ID, ""), 200, "OK")
	if got := f.check(paused.ID).Status; got != check.StatusUp {
		t.Errorf("paused check after ping: status %s, want up", got)
	}
	fl := f.flips(paused.ID)
	if len(fl) != 1 || fl[0].OldStatus != check.StatusPaused || fl[0].NewStatus != check.StatusUp || fl[0].Notifies() {
		t.Errorf("paused check flips = %+v, want one silent paused→up", fl)
	}
	wantResponse(t, f.do("GET", "/ping/"+started.ID, ""), 200, "OK")
	got := f.check(started.ID)
	if got.Started() {
		t.Errorf("started check after ping: still started")
	}
	if got.LastDuration != time.Minute {
		t.Errorf("LastDuration = %v, want 1m", got.LastDuration)
	}
}

// TestPingFail is §8.1 case 9.
func TestPingFail(t *testing.T) {
	f := newFixture(t)
	c := f.addCheck("simple")
	wantResponse(t, f.do("GET", "/ping/"+c.ID+"/fail", ""), 200, "OK")
	got := f.check(c.ID)
	if got.Status != check.StatusDown || !got.NextPing(nil).IsZero() || !got.AlertAfter.IsZero() {
		t.Errorf("status %s next_ping %v alert_after %v, want down, none, none", got.Status, got.NextPing(nil), got.AlertAfter)
	}
	if k := f.onlyPing(c.ID).Kind; k != check.PingFail {
		t.Errorf("ping kind = %s, want fail", k)
	}
	fl := f.flips(c.ID)
	if len(fl) != 1 {
		t.Fatalf("%d flips, want 1", len(fl))
	}
	if fl[0].OldStatus != check.StatusNew || fl[0].NewStatus != check.StatusDown || fl[0].Reason != check.ReasonFail ||
		!fl[0].Created.Equal(t0) || !fl[0].Processed.IsZero() {
		t.Errorf("flip = %+v, want new→down reason fail at %v, unprocessed", fl[0], t0)
	}
}

// TestPingStart is §8.1 case 10.
func TestPingStart(t *testing.T) {
	f := newFixture(t)
	lastPing := t0.Add(-2 * time.Hour)
	up := f.addCheck("up", func(c *check.Check) { c.Status = check.StatusUp; c.LastPing = lastPing })
	paused := f.addCheck("paused", func(c *check.Check) { c.Status = check.StatusPaused; c.LastPing = lastPing })
	for _, c := range []*check.Check{up, paused} {
		wantResponse(t, f.do("GET", "/ping/"+c.ID+"/start", ""), 200, "OK")
		got := f.check(c.ID)
		if !got.Started() || !got.LastStart.Equal(t0) || !got.LastPing.Equal(lastPing) || got.Status != c.Status {
			t.Errorf("%s: started %v last_start %v last_ping %v status %s, want started at %v, last_ping %v, status %s",
				c.Slug, got.Started(), got.LastStart, got.LastPing, got.Status, t0, lastPing, c.Status)
		}
		if k := f.onlyPing(c.ID).Kind; k != check.PingStart {
			t.Errorf("%s: ping kind = %s, want start", c.Slug, k)
		}
		if n := len(f.flips(c.ID)); n != 0 {
			t.Errorf("%s: %d flips, want none", c.Slug, n)
		}
	}
}

// TestPingRID is §8.1 cases 11 and 12.
func TestPingRID(t *testing.T) {
	for _, rid := range []string{lowerRID, upperRID} {
		f := newFixture(t)
		c := f.addCheck("simple")
		wantResponse(t, f.do("GET", "/ping/"+c.ID+"/start?rid="+rid, ""), 200, "OK")
		if got := f.onlyPing(c.ID).RID; got != lowerRID {
			t.Errorf("rid %s stored as %q, want %q", rid, got, lowerRID)
		}
		if got := f.check(c.ID).LastStartRID; got != lowerRID {
			t.Errorf("rid %s: LastStartRID = %q, want %q", rid, got, lowerRID)
		}
	}
	for _, rid := range []string{"12345", lowerRID + "0", "{" + lowerRID + "}", strings.ReplaceAll(lowerRID, "-", "")} {
		f := newFixture(t)
		c := f.addCheck("simple")
		wantResponse(t, f.do("GET", "/ping/"+c.ID+"?rid="+rid, ""), 400, "invalid uuid format")
		if n := len(f.pings(c.ID)); n != 0 {
			t.Errorf("rid %q: %d pings, want none", rid, n)
		}
	}
}

// TestPingDurations is §8.1 cases 13 and 14, and the brief's start→success with rid.
func TestPingDurations(t *testing.T) {
	const ridA, ridB = lowerRID, "7c9e6679-7425-40de-944b-e07fc1f90ae7"
	tests := []struct {
		name         string
		start, end   string // URL suffixes after /ping/<uuid>
		wantStarted  bool
		wantDuration time.Duration
		wantStatus   check.Status
	}{
		{"no rid", "/start", "", false, 10 * time.Second, check.StatusUp},
		{"same rid", "/start?rid=" + ridA, "?rid=" + ridA, false, 10 * time.Second, check.StatusUp},
		{"same rid, other case", "/start?rid=" + ridA, "?rid=" + strings.ToUpper(ridA), false, 10 * time.Second, check.StatusUp},
		{"rid mismatch keeps the run", "/start?rid=" + ridA, "?rid=" + ridB, true, 0, check.StatusUp},
		{"success without rid ends the run", "/start?rid=" + ridA, "", false, 0, check.StatusUp},
		{"fail of another rid ends the run", "/start?rid=" + ridA, "/fail?rid=" + ridB, false, 0, check.StatusDown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			c := f.addCheck("simple")
			wantResponse(t, f.do("GET", "/ping/"+c.ID+tt.start, ""), 200, "OK")
			f.now = t0.Add(10 * time.Second)
			wantResponse(t, f.do("GET", "/ping/"+c.ID+tt.end, ""), 200, "OK")
			got := f.check(c.ID)
			if got.Started() != tt.wantStarted || got.LastDuration != tt.wantDuration || got.Status != tt.wantStatus {
				t.Errorf("started %v last_duration %v status %s, want %v %v %s",
					got.Started(), got.LastDuration, got.Status, tt.wantStarted, tt.wantDuration, tt.wantStatus)
			}
			if !got.LastPing.Equal(f.now) {
				t.Errorf("last_ping = %v, want %v", got.LastPing, f.now)
			}
		})
	}
}

// TestPingRequiresPost is §8.1 case 15.
func TestPingRequiresPost(t *testing.T) {
	f := newFixture(t)
	c := f.addCheck("simple", func(c *check.Check) { c.Methods = "POST" })
	wantResponse(t, f.do("GET", "/ping/"+c.ID, ""), 200, "OK")
	got := f.check(c.ID)
	if got.Status != check.StatusNew || !got.LastPing.IsZero() || got.NPings != 1 {
		t.Errorf("status %s last_ping %v n_pings %d, want new, none, 1", got.Status, got.LastPing, got.NPings)
	}
	if k := f.onlyPing(c.ID).Kind; k != check.PingIgnored {
		t.Errorf("ping kind = %s, want ign", k)
	}
}

// TestPingBodyLimit is §8.1 case 16 and the brief's truncation cases.
func TestPingBodyLimit(t *testing.T) {
	t.Run("limit 5", func(t *testing.T) {
		f := newFixture(t, func(c *Config) { c.PingBodyLimit = 5 })
		c := f.addCheck("simple")
		rec := f.do("POST", "/ping/"+c.ID, "hello world")
		wantResponse(t, rec, 200, "OK")
		if got := rec.Header().Get("Ping-Body-Limit"); got != "5" {
			t.Errorf("Ping-Body-Limit = %q, want 5", got)
		}
		if got := string(f.onlyPing(c.ID).Body); got != "hello" {
			t.Errorf("body = %q, want hello", got)
		}
	})
	t.Run("default 10000", func(t *testing.T) {
		f := newFixture(t)
		c := f.addCheck("simple")
		body := strings.Repeat("0123456789", 1001)
		wantResponse(t, f.do("POST", "/ping/"+c.ID, body), 200, "OK")
		if got := string(f.onlyPing(c.ID).Body); got != body[:10000] {
			t.Errorf("body stored with %d bytes, want the first 10000", len(got))
		}
	})
	t.Run("exactly 10000", func(t *testing.T) {
		f := newFixture(t)
		c := f.addCheck("simple")
		body := strings.Repeat("x", 10000)
		wantResponse(t, f.do("POST", "/ping/"+c.ID, body), 200, "OK")
		if got := string(f.onlyPing(c.ID).Body); got != body {
			t.Errorf("body stored with %d bytes, want 10000", len(got))
		}
	})
	t.Run("unlimited", func(t *testing.T) {
		f := newFixture(t, func(c *Config) { c.PingBodyLimit = -1 })
		c := f.addCheck("simple")
		body := strings.Repeat("y", 20000)
		rec := f.do("POST", "/ping/"+c.ID, body)
		wantResponse(t, rec, 200, "OK")
		if v, ok := rec.Header()["Ping-Body-Limit"]; ok {
			t.Errorf("Ping-Body-Limit = %q, want none when unlimited", v)
		}
		if got := string(f.onlyPing(c.ID).Body); got != body {
			t.Errorf("body stored with %d bytes, want all 20000", len(got))
		}
	})
}

// TestPingBodyShorterThanDeclared: a body that ends before its declared length is stored as far
// as it goes (io.ReadAll's reading; net/http itself answers such a body with a read error).
func TestPingBodyShorterThanDeclared(t *testing.T) {
	f := newFixture(t)
	c := f.addCheck("simple")
	req := httptest.NewRequest("POST", "/ping/"+c.ID, strings.NewReader("small"))
	req.ContentLength = 100
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, req)
	wantResponse(t, rec, 200, "OK")
	if got := string(f.onlyPing(c.ID).Body); got != "small" {
		t.Errorf("body = %q, want small", got)
	}
}

// TestPingBodyTooLarge: a declared length over the cap is refused before anything is stored;
// an undeclared (chunked) one is read no further than the cap.
func TestPingBodyTooLarge(t *testing.T) {
	t.Run("declared", func(t *testing.T) {
		f := newFixture(t)
		c := f.addCheck("simple")
		req := httptest.NewRequest("POST", "/ping/"+c.ID, strings.NewReader("small"))
		req.ContentLength = MaxRequestBody + 1
		rec := httptest.NewRecorder()
		f.srv.ServeHTTP(rec, req)
		wantResponse(t, rec, 400, "request body too large")
		if n := len(f.pings(c.ID)); n != 0 {
			t.Errorf("%d pings stored, want none", n)
		}
	})
	t.Run("declared at the cap", func(t *testing.T) {
		f := newFixture(t)
		c := f.addCheck("simple")
		body := strings.Repeat("z", MaxRequestBody)
		wantResponse(t, f.do("POST", "/ping/"+c.ID, body), 200, "OK")
		if got := len(f.onlyPing(c.ID).Body); got != 10000 {
			t.Errorf("stored %d bytes, want 10000", got)
		}
	})
	t.Run("limit above the cap raises it", func(t *testing.T) {
		f := newFixture(t, func(c *Config) { c.PingBodyLimit = MaxRequestBody + 10 })
		c := f.addCheck("simple")
		body := strings.Repeat("z", MaxRequestBody+5)
		wantResponse(t, f.do("POST", "/ping/"+c.ID, body), 200, "OK")
		if got := len(f.onlyPing(c.ID).Body); got != MaxRequestBody+5 {
			t.Errorf("stored %d bytes, want %d", got, MaxRequestBody+5)
		}
	})
	t.Run("chunked, unlimited", func(t *testing.T) {
		f := newFixture(t, func(c *Config) { c.PingBodyLimit = -1 })
		c := f.addCheck("simple")
		r := &countingReader{n: MaxRequestBody + 1_000_000}
		req := httptest.NewRequest("POST", "/ping/"+c.ID, r)
		req.ContentLength = -1
		rec := httptest.NewRecorder()
		f.srv.ServeHTTP(rec, req)
		wantResponse(t, rec, 400, "request body too large")
		if r.read > MaxRequestBody+1 {
			t.Errorf("read %d bytes of the body, want at most %d", r.read, MaxRequestBody+1)
		}
		if n := len(f.pings(c.ID)); n != 0 {
			t.Errorf("%d pings stored, want none", n)
		}
	})
	t.Run("chunked, limited", func(t *testing.T) {
		// Stored bodies are cut at 10000 bytes, but the cap is judged on the whole body, as for a
		// declared length: the rest is read (and discarded) up to one byte over the cap.
		f := newFixture(t)
		c := f.addCheck("simple")
		r := &countingReader{n: MaxRequestBody + 1_000_000}
		req := httptest.NewRequest("POST", "/ping/"+c.ID, r)
		req.ContentLength = -1
		rec := httptest.NewRecorder()
		f.srv.ServeHTTP(rec, req)
		wantResponse(t, rec, 400, "request body too large")
		if r.read > MaxRequestBody+1 {
			t.Errorf("read %d bytes of the body, want at most %d", r.read, MaxRequestBody+1)
		}
		if n := len(f.pings(c.ID)); n != 0 {
			t.Errorf("%d pings stored, want none", n)
		}
	})
	t.Run("chunked at the cap", func(t *testing.T) {
		f := newFixture(t)
		c := f.addCheck("simple")
		req := httptest.NewRequest("POST", "/ping/"+c.ID, &countingReader{n: MaxRequestBody})
		req.ContentLength = -1
		rec := httptest.NewRecorder()
		f.srv.ServeHTTP(rec, req)
		wantResponse(t, rec, 200, "OK")
		if got := len(f.onlyPing(c.ID).Body); got != 10000 {
			t.Errorf("stored %d bytes, want 10000", got)
		}
	})
}

// countingReader yields n bytes of 'a' and counts what was read.
type countingReader struct{ n, read int }

func (r *countingReader) Read(p []byte) (int, error) {
	if r.read >= r.n {
		return 0, io.EOF
	}
	k := min(len(p), r.n-r.read)
	for i := range k {
		p[i] = 'a'
	}
	r.read += k
	return k, nil
}

// TestPingManualResume is §8.1 case 17.
func TestPingManualResume(t *testing.T) {
	f := newFixture(t)
	c := f.addCheck("simple", func(c *check.Check) { c.Status = check.StatusPaused; c.ManualResume = true })
	wantResponse(t, f.do("GET", "/ping/"+c.ID, ""), 200, "OK")
	if got := f.check(c.ID).Status; got != check.StatusPaused {
		t.Errorf("status = %s, want paused", got)
	}
	if k := f.onlyPing(c.ID).Kind; k != check.PingIgnored {
		t.Errorf("ping kind = %s, want ign", k)
	}
}

// TestPingExitStatus is §8.1 case 18.
func TestPingExitStatus(t *testing.T) {
	tests := []struct {
		suffix     string
		status     int
		wantStatus check.Status
		want       *recorded
	}{
		{"/0", 200, check.StatusUp, &recorded{kind: check.PingSuccess, method: "GET", exit: 0}},
		{"/123", 200, check.StatusDown, &recorded{kind: check.PingFail, method: "GET", exit: 123}},
		{"/0000123", 200, check.StatusDown, &recorded{kind: check.PingFail, method: "GET", exit: 123}},
		{"/256", 400, check.StatusNew, nil},
	}
	for _, tt := range tests {
		f := newFixture(t)
		c := f.addCheck("simple")
		rec := f.do("GET", "/ping/"+c.ID+tt.suffix, "")
		if rec.Code != tt.status {
			t.Errorf("%s: status %d, want %d", tt.suffix, rec.Code, tt.status)
		}
		if got := f.check(c.ID).Status; got != tt.wantStatus {
			t.Errorf("%s: check status %s, want %s", tt.suffix, got, tt.wantStatus)
		}
		if tt.want == nil {
			if n := len(f.pings(c.ID)); n != 0 {
				t.Errorf("%s: %d pings, want none", tt.suffix, n)
			}
			continue
		}
		wantPing(t, f.onlyPing(c.ID), *tt.want)
	}
}

// TestPingBadUnicode is §8.1 case 19.
func TestPingBadUnicode(t *testing.T) {
	f := newFixture(t)
	c := f.addCheck("simple", func(c *check.Check) { c.FilterHTTPBody = true; c.SuccessKw = "World" })
	body := "Hello \xe9 World"
	wantResponse(t, f.do("POST", "/ping/"+c.ID, body), 200, "OK")
	p := f.onlyPing(c.ID)
	if string(p.Body) != body || p.Kind != check.PingSuccess {
		t.Errorf("ping body %q kind %s, want %q success", p.Body, p.Kind, body)
	}
}

// TestPingLog is §8.1 case 20.
func TestPingLog(t *testing.T) {
	f := newFixture(t)
	c := f.addCheck("simple")
	wantResponse(t, f.do("POST", "/ping/"+c.ID+"/log", "hello"), 200, "OK")
	got := f.check(c.ID)
	if got.Status != check.StatusNew || !got.LastPing.IsZero() || !got.NextPing(nil).IsZero() {
		t.Errorf("status %s last_ping %v next_ping %v, want new, none, none", got.Status, got.LastPing, got.NextPing(nil))
	}
	wantPing(t, f.onlyPing(c.ID), recorded{kind: check.PingLog, method: "POST", exit: noExit, body: "hello"})
	if n := len(f.flips(c.ID)); n != 0 {
		t.Errorf("%d flips, want none", n)
	}
}

// TestPingFilters is §8.1 cases 21–23.
func TestPingFilters(t *testing.T) {
	tests := []struct {
		name   string
		mod    func(*check.Check)
		method string
		suffix string
		body   string
		want   check.PingKind
	}{
		{"success match", func(c *check.Check) { c.FilterHTTPBody = true; c.SuccessKw = "SUCCESS" }, "POST", "", "SUCCESS!", check.PingSuccess},
		{"success miss", func(c *check.Check) { c.FilterHTTPBody = true; c.SuccessKw = "SUCCESS" }, "POST", "", "hello world", check.PingIgnored},
		{"failure match", func(c *check.Check) { c.FilterHTTPBody = true; c.FailureKw = "FAIL" }, "POST", "", "FAIL!", check.PingFail},
		{"failure miss", func(c *check.Check) { c.FilterHTTPBody = true; c.FailureKw = "FAIL" }, "POST", "", "---", check.PingIgnored},
		{"start match", func(c *check.Check) { c.FilterHTTPBody = true; c.StartKw = "START" }, "POST", "", "STARTING", check.PingStart},
		{"default fail", func(c *check.Check) { c.FilterHTTPBody = true; c.SuccessKw = "SUCCESS"; c.FilterDefaultFail = true },
			"POST", "", "no keywords", check.PingFail},
		{"keywords replace the URL action", func(c *check.Check) { c.FilterHTTPBody = true; c.SuccessKw = "SUCCESS" },
			"POST", "/fail", "SUCCESS", check.PingSuccess},
		{"manual resume beats keywords", func(c *check.Check) {
			c.FilterHTTPBody = true
			c.SuccessKw = "SUCCESS"
			c.Status = check.StatusPaused
			c.ManualResume = true
		}, "POST", "", "SUCCESS", check.PingIgnored},
		{"methods POST beats keywords", func(c *check.Check) {
			c.FilterHTTPBody = true
			c.FilterDefaultFail = true
			c.Methods = "POST"
		}, "GET", "", "", check.PingIgnored},
		{"email filters ignored", func(c *check.Check) {
			c.FilterSubject = true
			c.FilterBody = true
			c.SuccessKw = "SUCCESS"
			c.FilterDefaultFail = true
		}, "GET", "", "", check.PingSuccess},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			c := f.addCheck("simple", tt.mod)
			wantResponse(t, f.do(tt.method, "/ping/"+c.ID+tt.suffix, tt.body), 200, "OK")
			if got := f.onlyPing(c.ID).Kind; got != tt.want {
				t.Errorf("ping kind = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestSlugPings is §8.1 cases 24 and 25.
func TestSlugPings(t *testing.T) {
	tests := []struct {
		method, suffix, body string
		want                 recorded
	}{
		{"GET", "", "", recorded{kind: check.PingSuccess, method: "GET", exit: noExit}},
		{"POST", "", "hello", recorded{kind: check.PingSuccess, method: "POST", exit: noExit, body: "hello"}},
		{"HEAD", "", "", recorded{kind: check.PingSuccess, method: "HEAD", exit: noExit}},
		{"GET", "/fail", "", recorded{kind: check.PingFail, method: "GET", exit: noExit}},
		{"GET", "/start", "", recorded{kind: check.PingStart, method: "GET", exit: noExit}},
		{"GET", "/log", "", recorded{kind: check.PingLog, method: "GET", exit: noExit}},
		{"GET", "/0", "", recorded{kind: check.PingSuccess, method: "GET", exit: 0}},
		{"GET", "/123", "", recorded{kind: check.PingFail, method: "GET", exit: 123}},
		{"GET", "?rid=" + upperRID, "", recorded{kind: check.PingSuccess, method: "GET", exit: noExit, rid: lowerRID}},
	}
	for _, tt := range tests {
		f := newFixture(t)
		c := f.addCheck("foo")
		rec := f.do(tt.method, "/ping/"+testPingKey+"/foo"+tt.suffix, tt.body)
		wantResponse(t, rec, 200, "OK")
		if got := rec.Header().Get("Access-Control-Allow-Origin"); got != "*" {
			t.Errorf("%s %s: Access-Control-Allow-Origin = %q, want *", tt.method, tt.suffix, got)
		}
		if got := rec.Header().Get("Cache-Control"); !strings.Contains(got, "no-cache") {
			t.Errorf("%s %s: Cache-Control = %q, want no-cache", tt.method, tt.suffix, got)
		}
		wantPing(t, f.onlyPing(c.ID), tt.want)
	}
}

// TestSlugPingOtherProject: a slug is looked up only in the ping key's project.
func TestSlugPingOtherProject(t *testing.T) {
	f := newFixture(t)
	mine := f.addCheck("foo")
	other := f.addProject("otherkey0000000000000a")
	theirs := check.New(uuid.NewString(), other.ID, t0)
	theirs.Slug = "foo"
	if err := f.store.CreateCheck(context.Background(), theirs); err != nil {
		t.Fatal(err)
	}
	wantResponse(t, f.do("GET", "/ping/otherkey0000000000000a/foo", ""), 200, "OK")
	if n := len(f.pings(theirs.ID)); n != 1 {
		t.Errorf("other project's check has %d pings, want 1", n)
	}
	if n := len(f.pings(mine.ID)); n != 0 {
		t.Errorf("fixture project's check has %d pings, want 0", n)
	}
}

// TestPingStatusTransitions follows one check through the observed status changes.
func TestPingStatusTransitions(t *testing.T) {
	f := newFixture(t)
	c := f.addCheck("simple", func(c *check.Check) { c.Timeout = time.Minute; c.Grace = time.Minute })
	steps := []struct {
		suffix     string
		wantStatus check.Status
		flip       *check.Flip // the flip this step adds; nil: none
	}{
		{"", check.StatusUp, &check.Flip{OldStatus: check.StatusNew, NewStatus: check.StatusUp}},
		{"", check.StatusUp, nil},
		{"/log", check.StatusUp, nil},
		{"/start", check.StatusUp, nil},
		{"/fail", check.StatusDown, &check.Flip{OldStatus: check.StatusUp, NewStatus: check.StatusDown, Reason: check.ReasonFail}},
		{"/1", check.StatusDown, nil},
		{"/log", check.StatusDown, nil},
		{"/start", check.StatusDown, nil},
		{"/0", check.StatusUp, &check.Flip{OldStatus: check.StatusDown, NewStatus: check.StatusUp}},
		{"/fail", check.StatusDown, &check.Flip{OldStatus: check.StatusUp, NewStatus: check.StatusDown, Reason: check.ReasonFail}},
		{"", check.StatusUp, &check.Flip{OldStatus: check.StatusDown, NewStatus: check.StatusUp}},
	}
	var wantFlips []*check.Flip
	for i, st := range steps {
		f.now = t0.Add(time.Duration(i) * time.Second)
		wantResponse(t, f.do("GET", "/ping/"+c.ID+st.suffix, ""), 200, "OK")
		got := f.check(c.ID)
		if got.Status != st.wantStatus {
			t.Errorf("step %d (%q): status %s, want %s", i, st.suffix, got.Status, st.wantStatus)
		}
		if got.NPings != i+1 {
			t.Errorf("step %d (%q): n_pings %d, want %d", i, st.suffix, got.NPings, i+1)
		}
		if st.wantStatus == check.StatusDown && !got.NextPing(nil).IsZero() {
			t.Errorf("step %d (%q): down check has next_ping %v, want none", i, st.suffix, got.NextPing(nil))
		}
		if st.flip != nil {
			fl := *st.flip
			fl.Created = f.now
			wantFlips = append(wantFlips, &fl)
		}
	}
	gotFlips := f.flips(c.ID)
	if len(gotFlips) != len(wantFlips) {
		t.Fatalf("%d flips, want %d", len(gotFlips), len(wantFlips))
	}
	for i, want := range wantFlips {
		got := gotFlips[i]
		if got.OldStatus != want.OldStatus || got.NewStatus != want.NewStatus || got.Reason != want.Reason ||
			!got.Created.Equal(want.Created) || got.CheckID != c.ID {
			t.Errorf("flip %d = %s→%s %q at %v, want %s→%s %q at %v", i,
				got.OldStatus, got.NewStatus, got.Reason, got.Created, want.OldStatus, want.NewStatus, want.Reason, want.Created)
		}
	}
	if gotFlips[0].Notifies() {
		t.Errorf("new→up flip notifies, want silent")
	}
}

// TestPingCronSchedule: the check's schedule decides AlertAfter (observed: */5 in Europe/Riga
// pinged at 20:18:26Z expects the next ping at 20:20:00Z).
func TestPingCronSchedule(t *testing.T) {
	f := newFixture(t)
	c := f.addCheck("cron", func(c *check.Check) {
		c.Kind = check.KindCron
		c.Schedule = "*/5 * * * *"
		c.TZ = "Europe/Riga"
		c.Grace = time.Minute
	})
	wantResponse(t, f.do("GET", "/ping/"+c.ID, ""), 200, "OK")
	want := time.Date(2026, 11, 24, 20, 21, 0, 0, time.UTC)
	if got := f.check(c.ID).AlertAfter; !got.Equal(want) {
		t.Errorf("AlertAfter = %v, want %v", got, want)
	}
}

// TestPingUnparsableSchedule: a stored schedule that does not parse still records the ping,
// timed as a simple check, and logs a warning.
func TestPingUnparsableSchedule(t *testing.T) {
	f := newFixture(t)
	c := f.addCheck("cron", func(c *check.Check) {
		c.Kind = check.KindCron
		c.Schedule = "not a cron expression"
	})
	wantResponse(t, f.do("GET", "/ping/"+c.ID, ""), 200, "OK")
	got := f.check(c.ID)
	if got.Status != check.StatusUp || got.NPings != 1 {
		t.Errorf("status %s n_pings %d, want up 1", got.Status, got.NPings)
	}
	if want := t0.Add(c.Timeout + c.Grace); !got.AlertAfter.Equal(want) {
		t.Errorf("AlertAfter = %v, want %v (timed as simple)", got.AlertAfter, want)
	}
	logs := f.logs.String()
	if !strings.Contains(logs, "level=WARN") || !strings.Contains(logs, c.ID) {
		t.Errorf("logs lack a warning naming the check:\n%s", logs)
	}
}

// deletingStore deletes the check just before UpdateCheck, as a concurrent DELETE would.
type deletingStore struct{ store.Store }

func (s deletingStore) UpdateCheck(ctx context.Context, id string, fn func(*check.Check) (store.Change, error)) (*check.Check, error) {
	if err := s.Store.DeleteCheck(ctx, id); err != nil {
		return nil, err
	}
	return s.Store.UpdateCheck(ctx, id, fn)
}

func TestPingCheckDeletedBeforeWrite(t *testing.T) {
	f := newFixture(t)
	f.srv = New(Config{Store: deletingStore{f.store}, Now: func() time.Time { return t0 }})
	c := f.addCheck("simple")
	wantResponse(t, f.do("GET", "/ping/"+testPingKey+"/simple", ""), 404, "not found")
	if _, err := f.store.Check(context.Background(), c.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Check after delete: err %v, want ErrNotFound", err)
	}
}

// failingStore fails every UpdateCheck.
type failingStore struct{ store.Store }

func (failingStore) UpdateCheck(context.Context, string, func(*check.Check) (store.Change, error)) (*check.Check, error) {
	return nil, errors.New("disk on fire")
}

func TestPingStoreError(t *testing.T) {
	f := newFixture(t)
	f.srv = New(Config{Store: failingStore{f.store}, Now: func() time.Time { return t0 }, Logger: f.srv.log})
	c := f.addCheck("simple")
	rec := f.do("POST", "/ping/"+testPingKey+"/simple", "secret body 4711")
	wantResponse(t, rec, 500, "internal server error")
	if strings.Contains(rec.Body.String(), "disk") {
		t.Errorf("response leaks the internal error: %q", rec.Body.String())
	}
	logs := f.logs.String()
	if !strings.Contains(logs, "level=ERROR") || !strings.Contains(logs, c.ID) || !strings.Contains(logs, "disk on fire") {
		t.Errorf("logs lack an error naming the check and cause:\n%s", logs)
	}
	if strings.Contains(logs, "secret body 4711") || strings.Contains(logs, testPingKey) {
		t.Errorf("logs carry the body or the ping key:\n%s", logs)
	}
}

// TestPingLogsNoSecrets: request logs never carry ping keys or bodies.
func TestPingLogsNoSecrets(t *testing.T) {
	f := newFixture(t)
	f.addCheck("simple")
	f.do("POST", "/ping/"+testPingKey+"/simple", "secret body 4711")
	f.do("POST", "/ping/"+testPingKey+"/fresh/start?create=1", "secret body 4711")
	f.do("POST", "/ping/"+testPingKey+"/nosuch", "secret body 4711")
	f.do("POST", "/ping/"+testPingKey, "secret body 4711")
	logs := f.logs.String()
	if !strings.Contains(logs, "/ping/<redacted>/simple") {
		t.Errorf("logs lack the redacted request line:\n%s", logs)
	}
	if strings.Contains(logs, testPingKey) || strings.Contains(logs, "secret body") || strings.Contains(logs, check.HashKey(testPingKey)) {
		t.Errorf("logs carry a ping key, its hash or a body:\n%s", logs)
	}
}

func TestParseAction(t *testing.T) {
	tests := []struct {
		seg  string
		kind check.PingKind
		exit int
		ok   bool
	}{
		{"start", check.PingStart, noExit, true},
		{"fail", check.PingFail, noExit, true},
		{"log", check.PingLog, noExit, true},
		{"0", check.PingSuccess, 0, true},
		{"00", check.PingSuccess, 0, true},
		{"1", check.PingFail, 1, true},
		{"255", check.PingFail, 255, true},
		{"256", check.PingFail, 256, true},
		{"99999999999999999999", check.PingFail, 256, true},
		{"", "", noExit, false},
		{"-1", "", noExit, false},
		{"+1", "", noExit, false},
		{"Start", "", noExit, false},
		{"1a", "", noExit, false},
	}
	for _, tt := range tests {
		kind, exit, ok := parseAction(tt.seg)
		if kind != tt.kind || exit != tt.exit || ok != tt.ok {
			t.Errorf("parseAction(%q) = %q, %d, %v, want %q, %d, %v", tt.seg, kind, exit, ok, tt.kind, tt.exit, tt.ok)
		}
	}
}
