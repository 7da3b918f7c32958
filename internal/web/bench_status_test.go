package web

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/account"
	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/sqlite"
)

// BenchmarkStatusPage measures the server time of a public status page at its largest on
// SQLite: check.MaxStatusChecks checks, each created 120 days ago with an outage every third day
// (two flips: 60 in the 90 days drawn) and 100 pings the page never reads. Reported per page:
// the wall time and the process's CPU time, as BenchmarkDashboardPages does; rendered every
// time, and kept in memory (what readers get for a minute after one has rendered it).
func BenchmarkStatusPage(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.Open(filepath.Join(b.TempDir(), "overdue.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	if err := st.CreateProject(ctx, &check.Project{ID: "p1", Name: "Ops", Created: now}); err != nil {
		b.Fatal(err)
	}
	ids := make([]string, check.MaxStatusChecks)
	for i := range ids {
		c := check.New(fmt.Sprintf("00000000-0000-4000-8000-%012d", i), "p1", now.Add(-120*24*time.Hour))
		c.Name, c.Status, c.LastPing = fmt.Sprintf("Job %03d", i), check.StatusUp, now
		if err := st.CreateCheck(ctx, c); err != nil {
			b.Fatal(err)
		}
		ids[i] = c.ID
		for day := 90; day > 0; day -= 3 {
			down := now.Add(-time.Duration(day)*24*time.Hour + time.Duration(i)*time.Minute)
			for _, f := range []*check.Flip{
				{CheckID: c.ID, Created: down, Processed: down, OldStatus: check.StatusUp, NewStatus: check.StatusDown},
				{CheckID: c.ID, Created: down.Add(time.Hour), Processed: down.Add(time.Hour), OldStatus: check.StatusDown, NewStatus: check.StatusUp},
			} {
				if _, err := st.UpdateCheck(ctx, c.ID, func(*check.Check) (store.Change, error) { return store.Change{Flip: f}, nil }); err != nil {
					b.Fatal(err)
				}
			}
		}
		for n := 1; n <= 100; n++ {
			if _, err := st.UpdateCheck(ctx, c.ID, func(c *check.Check) (store.Change, error) {
				c.NPings++
				return store.Change{Ping: &check.Ping{CheckID: c.ID, N: c.NPings, Created: now.Add(-time.Duration(n) * time.Hour), Kind: check.PingSuccess}}, nil
			}); err != nil {
				b.Fatal(err)
			}
		}
	}
	key := "benchbenchbenchbenchbenc"
	if err := st.PutStatusPage(ctx, &check.StatusPage{ProjectID: "p1", Key: key, Public: true, Checks: ids}); err != nil {
		b.Fatal(err)
	}
	acc := &account.Service{People: st.People(), Projects: st, Now: func() time.Time { return now }, Rand: rand.Reader, Params: fast}
	// Every request from one address: the rate limit is set out of the way, as it is not
	// what is measured.
	unlimited := RateLimit{PerSecond: 1e9, Burst: 1 << 30}
	for _, tc := range []struct {
		name string
		ttl  time.Duration
	}{
		{"rendered", -1},      // every request renders (the cache off)
		{"kept", time.Minute}, // the page kept in memory: what a reader gets within the minute
	} {
		pages, err := New(Config{Accounts: acc, Checks: st, StatusCacheTTL: tc.ttl, StatusLimit: unlimited})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("checks=%d/%s", len(ids), tc.name), func(b *testing.B) {
			// One request first: with the cache on, the loop measures the kept page alone.
			pages.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/status/"+key+"/", nil))
			cpu0 := cpuTime()
			var size int
			for b.Loop() {
				w := httptest.NewRecorder()
				pages.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/status/"+key+"/", nil))
				if w.Code != http.StatusOK {
					b.Fatalf("status page = %d", w.Code)
				}
				size = w.Body.Len()
			}
			b.ReportMetric(float64(size)/1024, "KiB/page")
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/page")
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N)/1000, "cpu-ms/page")
		})
	}
}
