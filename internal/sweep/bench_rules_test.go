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
	"github.com/overduehq/overdue/internal/sweep"
)

// ruleFleet is a fleet whose every check has an alert rule timer, a fifth of each kind: a run in
// progress bounded by max_runtime, a start due within start_grace, a check down under a snooze
// with its alert held until the snooze ends, a check down whose alert a parent (one up check,
// benchParent, outside the fleet) held until the next look, and a flapping check due to settle. The first due checks' timers have passed at
// benchNow; the others' fall in the next hours. orig keeps the due checks as seeded, to re-arm.
type ruleFleet struct {
	st   store.Store
	orig map[string]check.Check
}

// ruleCheck is the i-th check of a rule fleet, due at benchNow or not.
func ruleCheck(i int, due bool) *check.Check {
	c := check.New(checkID(i), benchProject, benchNow.Add(-48*time.Hour))
	c.Name = fmt.Sprintf("job %d", i)
	c.Timeout, c.Grace = time.Hour, time.Hour
	c.Status, c.NPings = check.StatusUp, 1
	late := time.Duration(i%3600) * time.Second // spreads the timers over an hour
	switch i % 5 {
	case 0: // running; max_runtime 30 minutes
		c.MaxRuntime = 30 * time.Minute
		c.LastPing = benchNow.Add(-10 * time.Minute)
		c.LastStart = benchNow.Add(-late % (30*time.Minute - time.Second))
		if due {
			c.LastStart = benchNow.Add(-31*time.Minute - late)
		}
	case 1: // waiting for a start; start_grace 5 minutes
		c.StartGrace = 5 * time.Minute
		c.LastPing = benchNow.Add(-late)
		if due {
			c.LastPing = benchNow.Add(-66*time.Minute - late)
		}
	case 2: // down under a snooze, the alert held
		c.Status, c.HeldReason = check.StatusDown, check.ReasonFail
		c.LastPing = benchNow.Add(-2 * time.Hour)
		c.SnoozeUntil = benchNow.Add(time.Minute + late)
		if due {
			c.SnoozeUntil = benchNow.Add(-late)
		}
	case 3: // down, the alert held while benchParent was down; the next look at it
		c.Status, c.HeldReason = check.StatusDown, check.ReasonFail
		c.LastPing = benchNow.Add(-2 * time.Hour)
		c.DependsOn = []string{benchParent}
		c.HeldParent, c.HeldNote = benchParent, "held: parent is down"
		c.HeldUntil = benchNow.Add(time.Minute + late)
		if due {
			c.HeldUntil = benchNow.Add(-late)
		}
	default: // flapping (the notice said down), up since its last change; settles 10 minutes on
		c.Flap, c.FlapSent = check.FlapRule{Changes: 3, Window: 10 * time.Minute}, check.StatusDown
		c.LastPing = benchNow.Add(-time.Minute)
		c.ChangeTimes = []time.Time{benchNow.Add(-9*time.Minute + late)}
		if due {
			c.ChangeTimes = []time.Time{benchNow.Add(-10*time.Minute - late)}
		}
	}
	c.AlertAfter = c.NextDue(nil)
	return c
}

// benchParent is the check the fleet's dependent checks depend on.
var benchParent = checkID(10_000_000)

func seedRuleFleet(b *testing.B, total, due int) *ruleFleet {
	b.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(filepath.Join(b.TempDir(), "overdue.db"), store.Options{})
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
	parent := check.New(benchParent, benchProject, benchNow.Add(-48*time.Hour))
	parent.Name, parent.Status, parent.LastPing = "parent", check.StatusUp, benchNow.Add(-time.Minute)
	parent.AlertAfter = parent.NextDue(nil)
	if err := st.CreateCheck(ctx, parent); err != nil {
		b.Fatal(err)
	}
	f := &ruleFleet{st: st, orig: map[string]check.Check{}}
	for i := range total {
		c := ruleCheck(i, i < due)
		if i < due {
			if c.AlertAfter.After(benchNow) {
				b.Fatalf("check %d is meant to be due, AlertAfter %v", i, c.AlertAfter)
			}
			f.orig[c.ID] = *c
		} else if !c.AlertAfter.After(benchNow) {
			b.Fatalf("check %d is not meant to be due, AlertAfter %v", i, c.AlertAfter)
		}
		if err := st.CreateCheck(ctx, c); err != nil {
			b.Fatalf("seed check %d of %d: %v", i, total, err)
		}
	}
	return f
}

func (f *ruleFleet) rearm(b *testing.B) {
	b.Helper()
	for id, orig := range f.orig {
		_, err := f.st.UpdateCheck(context.Background(), id, func(c *check.Check) (store.Change, error) {
			*c = orig
			return store.Change{}, nil
		})
		if err != nil {
			b.Fatalf("re-arm %s: %v", id, err)
		}
	}
}

// BenchmarkSweepRules is BenchmarkSweep with the alert rules' timers in play: every check has
// one (see ruleFleet), and each due one gets a flip (running too long, did not start, the alert
// a snooze or a parent held, or the alert of a flapping check that settled); the parent is read
// once per sweep. The rows at 100,000 checks, 1% and 10 due, against the first row show
// that the cost still follows the due checks: every timer is the one AlertAfter of its check.
//
//	go test -run '^$' -bench '^BenchmarkSweepRules$' ./internal/sweep/
func BenchmarkSweepRules(b *testing.B) {
	for _, bc := range []struct{ total, due int }{
		{1000, 10}, {10000, 100}, {100000, 1000}, {100000, 10},
	} {
		b.Run(fmt.Sprintf("checks=%d/due=%d", bc.total, bc.due), func(b *testing.B) {
			f := seedRuleFleet(b, bc.total, bc.due)
			sw := &sweep.Sweeper{Store: f.st, Now: func() time.Time { return benchNow }}
			ctx := context.Background()
			for b.Loop() {
				res, err := sw.Run(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if res.Examined != bc.due || res.Flipped != bc.due {
					b.Fatalf("sweep examined %d checks and flipped %d, want %d and %d", res.Examined, res.Flipped, bc.due, bc.due)
				}
				b.StopTimer()
				f.rearm(b)
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(bc.due), "us/due-check")
		})
	}
}
