package sweep_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/notify"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/sqlite"
	"github.com/overduehq/overdue/internal/store/storetest"
	"github.com/overduehq/overdue/internal/sweep"
)

// The sweep benchmarks run on the SQLite store of `overdue serve` with a pinned clock: the
// sweep's own time is what they measure, never a wait for time to pass. scripts/bench.sh runs
// them and writes the results into BENCHMARKS.md.

// benchNow is the pinned "now" of every sweep.
var benchNow = time.Date(2026, 11, 24, 20, 0, 0, 0, time.UTC)

// benchProject owns every seeded check.
const benchProject = "b0000000-0000-4000-8000-000000000001"

// fleet is a store seeded with total simple checks (timeout one hour, grace one hour), all up,
// of which the first due are overdue at benchNow and the rest go down at some point in the
// next day, as a fleet of hourly and daily jobs would.
type fleet struct {
	st  store.Store
	due []string // IDs of the overdue checks
}

// checkID is the ID of the i-th seeded check.
func checkID(i int) string { return fmt.Sprintf("c0000000-0000-4000-8000-%012d", i) }

// seedFleet opens a store in a temporary directory and seeds it. Each check is one CreateCheck
// (its own transaction): some 7 s for 100,000 checks here, paid once per size and off the clock.
func seedFleet(b *testing.B, total, due int) *fleet {
	b.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(filepath.Join(b.TempDir(), "overdue.db"), store.Options{Box: storetest.Box(b)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	p := &check.Project{ID: benchProject, Name: "Bench", Created: benchNow.Add(-48 * time.Hour),
		APIKeyHash: check.HashKey("hcw_bench"), ReadOnlyKeyHash: check.HashKey("hcr_bench"),
		PingKeyHash: check.HashKey("pk_bench")}
	if err := st.CreateProject(ctx, p); err != nil {
		b.Fatal(err)
	}
	f := &fleet{st: st}
	for i := range total {
		c := check.New(checkID(i), benchProject, benchNow.Add(-48*time.Hour))
		c.Name = fmt.Sprintf("job %d", i)
		c.Timeout, c.Grace = time.Hour, time.Hour
		c.Status, c.NPings = check.StatusUp, 1
		if i < due {
			// Overdue by a few minutes to a few hours.
			c.LastPing = benchNow.Add(-2*time.Hour - time.Duration(i)*time.Second)
			f.due = append(f.due, c.ID)
		} else {
			// Pinged within the last hour: goes down between one and two hours from now.
			c.LastPing = benchNow.Add(-time.Duration(i%3600) * time.Second)
		}
		c.AlertAfter = c.GoingDownAfter(nil)
		if err := st.CreateCheck(ctx, c); err != nil {
			b.Fatalf("seed check %d of %d: %v", i, total, err)
		}
	}
	return f
}

// rearm puts the overdue checks back as they were before a sweep flipped them, without a flip
// or a ping, so that every measured sweep finds the same due checks.
func (f *fleet) rearm(b *testing.B) {
	b.Helper()
	ctx := context.Background()
	for i, id := range f.due {
		_, err := f.st.UpdateCheck(ctx, id, func(c *check.Check) (store.Change, error) {
			c.Status = check.StatusUp
			c.LastPing = benchNow.Add(-2*time.Hour - time.Duration(i)*time.Second)
			c.AlertAfter = c.GoingDownAfter(nil)
			return store.Change{}, nil
		})
		if err != nil {
			b.Fatalf("re-arm %s: %v", id, err)
		}
	}
}

// BenchmarkSweep times one sweep (Sweeper.Run: the due-index query and one read-modify-write
// with a flip per due check) over 1,000, 10,000 and 100,000 checks with 1% due, and over
// 100,000 checks with 10 due. The last row against the first shows that the cost follows the
// number of due checks, not the table. The flipped checks are re-armed between sweeps, off
// the clock.
//
//	go test -run '^$' -bench '^BenchmarkSweep$' ./internal/sweep/
func BenchmarkSweep(b *testing.B) {
	for _, bc := range []struct{ total, due int }{
		{1000, 10}, {10000, 100}, {100000, 1000}, {100000, 10},
	} {
		b.Run(fmt.Sprintf("checks=%d/due=%d", bc.total, bc.due), func(b *testing.B) {
			f := seedFleet(b, bc.total, bc.due)
			sw := &sweep.Sweeper{Store: f.st, Now: func() time.Time { return benchNow }}
			ctx := context.Background()
			for b.Loop() {
				res, err := sw.Run(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if res.Flipped != bc.due {
					b.Fatalf("sweep flipped %d checks, want %d", res.Flipped, bc.due)
				}
				b.StopTimer()
				f.rearm(b)
				b.StartTimer()
			}
			perDue := float64(b.Elapsed().Microseconds()) / float64(b.N) / float64(bc.due)
			b.ReportMetric(float64(bc.due), "due/op")
			b.ReportMetric(perDue, "us/due-check")
		})
	}
}

// notified records when the dispatcher called the notifier.
type notified struct{ at []time.Time }

func (n *notified) Notify(context.Context, notify.Alert) error {
	n.at = append(n.at, time.Now())
	return nil
}

// BenchmarkAlertPath times what `overdue serve` does between the moment a check is due and the
// notifier's call, without the waits for the next tick of the sweep and notifier loops: one
// sweep that finds the check among 1,000 (10 of them overdue at once) and writes the flips,
// then one dispatcher run that delivers them. ns/op is one sweep plus one dispatch;
// first-alert-us is the time from the start of the sweep to the first notifier call.
//
//	go test -run '^$' -bench AlertPath -benchtime 100x ./internal/sweep/
func BenchmarkAlertPath(b *testing.B) {
	for _, due := range []int{1, 10} {
		b.Run(fmt.Sprintf("checks=1000/due=%d", due), func(b *testing.B) {
			f := seedFleet(b, 1000, due)
			now := func() time.Time { return benchNow }
			sw := &sweep.Sweeper{Store: f.st, Now: now}
			rec := &notified{}
			disp := &notify.Dispatcher{Store: f.st, Notifier: rec, Now: now}
			ctx := context.Background()
			var first time.Duration
			for b.Loop() {
				start := time.Now()
				if _, err := sw.Run(ctx); err != nil {
					b.Fatal(err)
				}
				if _, err := disp.Run(ctx); err != nil {
					b.Fatal(err)
				}
				if len(rec.at) != due {
					b.Fatalf("notifier called %d times, want %d", len(rec.at), due)
				}
				first += rec.at[0].Sub(start)
				b.StopTimer()
				rec.at = rec.at[:0]
				f.rearm(b)
				b.StartTimer()
			}
			b.ReportMetric(float64(first.Microseconds())/float64(b.N), "first-alert-us")
		})
	}
}
