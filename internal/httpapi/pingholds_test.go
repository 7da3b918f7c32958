package httpapi

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/ingest/ingesttest"
)

// TestPingHolds: failure pings on the HTTP path of `overdue serve` (this handler over SQLite,
// on a real listener) are held by a maintenance window and by a down parent, and alert once
// when the hold ends (ingesttest.Holds, the scenario the email pings run too). Two checks are
// pinged by UUID, the child by ping key and slug; each request is counted for the ingestion
// health as taken, a held ping as any other.
func TestPingHolds(t *testing.T) {
	const pingKey = "holdspingkey0000000001"
	counter := &countingPings{}
	f := newFixture(t, func(c *Config) { c.PingCounter = counter })
	ls := f.serve()
	slugs := map[string]string{ingesttest.Child: "backup"}
	ingesttest.Holds(t, f.store, check.HashKey(pingKey), func(t *testing.T, id string, at time.Time) {
		t.Helper()
		f.now = at
		path := "/ping/" + id + "/fail"
		if slug := slugs[id]; slug != "" {
			path = "/ping/" + pingKey + "/" + slug + "/fail"
		}
		res, err := ls.Client().Post(ls.URL+path, "text/plain", strings.NewReader("exit 1"))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || string(body) != "OK" {
			t.Fatalf("POST %s = %d %q, want 200 OK", path, res.StatusCode, body)
		}
	})
	counter.mu.Lock()
	defer counter.mu.Unlock()
	if len(counter.counts) != 3 || counter.counts[0] || counter.counts[1] || counter.counts[2] {
		t.Errorf("counted %v, want the three failure pings, none failed", counter.counts)
	}
}
