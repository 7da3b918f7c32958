package sweep_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/sqlite"
	"github.com/overduehq/overdue/internal/store/storetest"
	"github.com/overduehq/overdue/internal/sweep"
)

// lateFleet is a fleet of hourly checks (timeout and grace one hour), all up: the first due have
// a late channel (LateNotice) and are in their grace time at benchNow, so each sweep makes their
// late notices; of the rest, every other one is in its grace time too but has no late channel,
// and the others, with a late channel, are expected later in the hour. Only the first due are
// due: a check in its grace time without a late channel costs the sweep nothing.
type lateFleet struct {
	st  store.Store
	due []string
}

func seedLateFleet(b *testing.B, total, due int) *lateFleet {
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
	f := &lateFleet{st: st}
	for i := range total {
		c := check.New(checkID(i), benchProject, benchNow.Add(-48*time.Hour))
		c.Name = fmt.Sprintf("job %d", i)
		c.Timeout, c.Grace = time.Hour, time.Hour
		c.Status, c.NPings = check.StatusUp, 1
		spread := time.Duration(i%3500) * time.Second
		switch {
		case i < due: // in its grace time, with a late channel: due
			c.LateNotice = true
			c.LastPing = benchNow.Add(-time.Hour - time.Minute - spread%(58*time.Minute))
			f.due = append(f.due, c.ID)
		case i%2 == 0: // in its grace time, no late channel: due at its deadline only
			c.LastPing = benchNow.Add(-time.Hour - time.Minute - spread%(58*time.Minute))
		default: // a late channel, expected later in the hour
			c.LateNotice = true
			c.LastPing = benchNow.Add(-spread)
		}
		c.AlertAfter = c.NextDue(nil)
		if (i < due) == c.AlertAfter.After(benchNow) {
			b.Fatalf("check %d: AlertAfter %v, due %v", i, c.AlertAfter, i < due)
		}
		if err := st.CreateCheck(ctx, c); err != nil {
			b.Fatalf("seed check %d of %d: %v", i, total, err)
		}
	}
	return f
}

// rearm forgets the late notices the sweep made, so that the next sweep makes them again.
func (f *lateFleet) rearm(b *testing.B) {
	b.Helper()
	for _, id := range f.due {
		_, err := f.st.UpdateCheck(context.Background(), id, func(c *check.Check) (store.Change, error) {
			c.LateFor = time.Time{}
			c.AlertAfter = c.NextDue(nil)
			return store.Change{}, nil
		})
		if err != nil {
			b.Fatalf("re-arm %s: %v", id, err)
		}
	}
}

// BenchmarkSweepLate is BenchmarkSweep with late notices: each due check is in its grace time
// with a late channel, and the sweep writes its late notice (an up→up flip); among the others,
// half are in their grace time without a late channel, which the sweep never reads. The rows at
// 100,000 checks, 1% and 10 due, against the first row show that the cost still follows the
// checks with something due.
//
//	go test -run '^$' -bench '^BenchmarkSweepLate$' ./internal/sweep/
func BenchmarkSweepLate(b *testing.B) {
	for _, bc := range []struct{ total, due int }{
		{1000, 10}, {100000, 1000}, {100000, 10},
	} {
		b.Run(fmt.Sprintf("checks=%d/due=%d", bc.total, bc.due), func(b *testing.B) {
			f := seedLateFleet(b, bc.total, bc.due)
			sw := &sweep.Sweeper{Store: f.st, Now: func() time.Time { return benchNow }}
			ctx := context.Background()
			for b.Loop() {
				res, err := sw.Run(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if res.Examined != bc.due || res.Late != bc.due || res.Flipped != 0 {
					b.Fatalf("sweep = %+v, want %d examined, %d late notices, none down", res, bc.due, bc.due)
				}
				b.StopTimer()
				f.rearm(b)
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(bc.due), "us/due-check")
		})
	}
}
