package httpapi

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/schema"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/sqlite"
	"github.com/overduehq/overdue/internal/store/storetest"
)

// probeStore is the real store with its Probe counted, and failing on demand the way a store
// whose writes fail reports it: a failing writer injected at the store boundary.
type probeStore struct {
	store.Store
	probes atomic.Int32
	fail   atomic.Pointer[store.HealthError]
}

func (p *probeStore) Probe(ctx context.Context) error {
	p.probes.Add(1)
	if he := p.fail.Load(); he != nil {
		return he
	}
	return p.Store.Probe(ctx)
}

// status asks the live server for /api/v3/status/ and returns the status, body and Retry-After.
func (ls *liveServer) status(t *testing.T) (int, string, string) {
	t.Helper()
	resp, err := ls.Client().Get(ls.URL + "/api/v3/status/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header.Get("Retry-After")
}

// TestStatusProbesWrites: the status endpoint answers OK only after a real write probe of the
// store, probes at most once per interval of the injected clock (answering from the last probe
// in between), and answers 503 with the store's reason while writes fail.
func TestStatusProbesWrites(t *testing.T) {
	ps := &probeStore{}
	f := newFixture(t, func(c *Config) {
		ps.Store = c.Store
		c.Store = ps
		c.StatusProbeInterval = 10 * time.Second
	})
	ls := f.serve()
	want := func(step string, status int, body string, probes int32) {
		t.Helper()
		got, b, retry := ls.status(t)
		if got != status || b != body {
			t.Errorf("%s: status = %d %q, want %d %q", step, got, b, status, body)
		}
		if status == 503 && retry != "10" {
			t.Errorf("%s: Retry-After = %q, want 10", step, retry)
		}
		if n := ps.probes.Load(); n != probes {
			t.Errorf("%s: %d probes, want %d", step, n, probes)
		}
	}
	want("first request", 200, "OK", 1)
	for range 20 {
		want("a scraper at the same instant", 200, "OK", 1)
	}

	ps.fail.Store(&store.HealthError{Reason: "the disk holding the database is full", Err: errors.New("SQLITE_FULL /var/lib/overdue/overdue.db")})
	f.now = t0.Add(9999 * time.Millisecond)
	want("within the interval, the cached answer", 200, "OK", 1)
	f.now = t0.Add(10 * time.Second)
	want("interval over: probed, writes fail", 503, "store unavailable: writes fail: the disk holding the database is full", 2)
	want("failure cached", 503, "store unavailable: writes fail: the disk holding the database is full", 2)

	ps.fail.Store(nil)
	f.now = t0.Add(15 * time.Second)
	want("fixed, but within the interval", 503, "store unavailable: writes fail: the disk holding the database is full", 2)
	f.now = t0.Add(20 * time.Second)
	want("fixed and probed", 200, "OK", 3)
	f.now = t0.Add(5 * time.Second) // the clock went back: the cache is not trusted
	want("clock went back", 200, "OK", 4)

	if logs := f.logs.String(); !strings.Contains(logs, "SQLITE_FULL") {
		t.Errorf("the log lacks the cause of the failed probe:\n%s", logs)
	}
}

// TestStatusStoreClosed: a store whose database is gone (closed under the server) is 503, with
// the store's words and not its error text, which stays in the log.
func TestStatusStoreClosed(t *testing.T) {
	f := newFixture(t)
	ls := f.serve()
	if err := f.store.Close(); err != nil {
		t.Fatal(err)
	}
	status, body, _ := ls.status(t)
	if status != http.StatusServiceUnavailable || body != "store unavailable: writes fail: the database cannot be written" {
		t.Errorf("status = %d %q, want 503 saying writes fail", status, body)
	}
	if !strings.Contains(f.logs.String(), "database is closed") {
		t.Errorf("the log lacks the cause:\n%s", f.logs.String())
	}
}

// TestStatusRealProbe: with nothing injected, the endpoint's probe is the store's own write,
// and a healthy SQLite store answers OK to every API version.
func TestStatusRealProbe(t *testing.T) {
	f := newFixture(t)
	ls := f.serve()
	for _, v := range []string{"v1", "v2", "v3"} {
		resp, err := ls.Client().Post(ls.URL+"/api/"+v+"/status/", "text/plain", nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != "OK" {
			t.Errorf("POST /api/%s/status/ = %d %q, want 200 OK", v, resp.StatusCode, b)
		}
	}
}

// TestStatusDataModelTooNew: a newer build's migration raises the data model under the running
// server (another process, on the same SQLite file). The probe goes through the store's write
// guard, so the status endpoint answers 503 with the refusal naming both versions; once the data
// fits again, OK, with no restart.
func TestStatusDataModelTooNew(t *testing.T) {
	path := filepath.Join(t.TempDir(), "overdue.db")
	st, err := sqlite.Open(path, store.Options{Box: storetest.Box(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	f := newFixture(t, func(c *Config) { c.Store = st })
	ls := f.serve()
	if status, body, _ := ls.status(t); status != 200 || body != "OK" {
		t.Fatalf("status before = %d %q, want 200 OK", status, body)
	}

	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	exec := func(q string) {
		t.Helper()
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	newer := schema.Current + 1
	exec(fmt.Sprintf(`INSERT INTO schema_meta (version, min_reader, build, applied_at) VALUES (%d, %d, 'newer', 0)`, newer, newer))
	exec(fmt.Sprintf(`PRAGMA user_version = %d`, newer))

	f.now = f.now.Add(DefaultStatusProbeInterval)
	refusal := &schema.VersionError{Data: schema.Version{Version: newer, MinReader: newer}, Current: schema.Current, Oldest: schema.Oldest}
	status, body, _ := ls.status(t)
	if want := "store unavailable: writes fail: " + refusal.Error(); status != 503 || body != want {
		t.Errorf("status with newer data = %d %q, want 503 %q", status, body, want)
	}

	exec(fmt.Sprintf(`DELETE FROM schema_meta WHERE version = %d`, newer))
	exec(fmt.Sprintf(`PRAGMA user_version = %d`, schema.Current))
	f.now = f.now.Add(DefaultStatusProbeInterval)
	if status, body, _ := ls.status(t); status != 200 || body != "OK" {
		t.Errorf("status once the data fits = %d %q, want 200 OK", status, body)
	}
}
