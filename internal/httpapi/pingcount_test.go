package httpapi

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// countingPings records what the API counted: a small recording fake of sweep.IngestCounter.
type countingPings struct {
	mu     sync.Mutex
	counts []bool // failed, per request
}

func (c *countingPings) CountPing(_ context.Context, failed bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts = append(c.counts, failed)
}

// failingWrites fails every check write while fail is set, as a store that refuses writes does.
type failingWrites struct {
	store.Store
	fail bool
}

func (f *failingWrites) UpdateCheck(ctx context.Context, id string, fn func(*check.Check) (store.Change, error)) (*check.Check, error) {
	if f.fail {
		return nil, errors.New("ProvisionedThroughputExceededException")
	}
	return f.Store.UpdateCheck(ctx, id, fn)
}

// TestPingCounted: every ping request answered is counted for the ingestion health, over a
// real server: a recorded ping and a refused one (an unknown check, 404) as taken, one the
// store could not record (a server error) as failed. Management requests are not pings.
func TestPingCounted(t *testing.T) {
	counter := &countingPings{}
	fw := &failingWrites{}
	f := newFixture(t, func(c *Config) {
		fw.Store = c.Store
		c.Store, c.PingCounter = fw, counter
	})
	c := f.addCheck("backup")
	ls := f.serve()
	get := func(path string) int {
		t.Helper()
		res, err := ls.Client().Get(ls.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if code := get("/ping/" + c.ID); code != 200 {
		t.Fatalf("ping = %d, want 200", code)
	}
	if code := get("/ping/" + testPingKey + "/no-such-check"); code != 404 {
		t.Fatalf("ping of an unknown slug = %d, want 404", code)
	}
	fw.fail = true
	if code := get("/ping/" + c.ID + "/fail"); code < 500 {
		t.Fatalf("ping the store could not record = %d, want a server error", code)
	}
	fw.fail = false
	if code := get("/api/v3/checks/"); code != 401 {
		t.Fatalf("API request without a key = %d, want 401", code)
	}
	want := []bool{false, false, true}
	if len(counter.counts) != len(want) {
		t.Fatalf("counted %v, want %v", counter.counts, want)
	}
	for i := range want {
		if counter.counts[i] != want[i] {
			t.Errorf("counted %v, want %v", counter.counts, want)
			break
		}
	}
}
