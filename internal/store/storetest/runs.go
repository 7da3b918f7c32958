package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// testRuns: a check's newest runs are kept with it as pings come (every listing returns them
// without reading pings), and runs that fell behind (pings recorded by a build that did not keep
// them) are rebuilt from the kept pings by the next UpdateCheck, before fn sees the check.
func testRuns(t *testing.T, s store.Store) {
	ctx := t.Context()
	p := newProject(1, t0)
	createProject(t, s, p)
	c := newCheck(1, p.ID, t0.Add(-time.Hour))
	createCheck(t, s, c)
	const rid = "5d8e3f7a-1b2c-4d3e-8f9a-0b1c2d3e4f5a"
	at := t0
	signal := func(kind check.PingKind, rid string, after time.Duration) {
		t.Helper()
		at = at.Add(after)
		sig := success()
		sig.Kind, sig.RID = kind, rid
		applyPing(t, s, c.ID, sig, at)
	}
	signal(check.PingStart, "", 0)
	signal(check.PingSuccess, "", 42*time.Second+250*time.Millisecond)
	signal(check.PingStart, rid, time.Hour)
	signal(check.PingLog, "", time.Second)
	signal(check.PingFail, rid, 2*time.Second)
	signal(check.PingSuccess, "", time.Hour)
	want := []check.Run{
		{N: 2, At: t0.Add(42*time.Second + 250*time.Millisecond), Duration: 42*time.Second + 250*time.Millisecond},
		{N: 5, At: t0.Add(time.Hour + 45*time.Second + 250*time.Millisecond), Failed: true, Duration: 3 * time.Second},
		{N: 6, At: t0.Add(2*time.Hour + 45*time.Second + 250*time.Millisecond)},
	}
	listed := func() *check.Check {
		t.Helper()
		all, err := s.Checks(ctx, p.ID)
		if err != nil || len(all) != 1 {
			t.Fatalf("Checks(%s) = %d checks, %v; want 1", p.ID, len(all), err)
		}
		return all[0]
	}
	got := listed()
	if diff := cmp.Diff(want, got.Runs); diff != "" || got.RunsN != 6 || !got.RunsCurrent() {
		t.Errorf("Checks: RunsN %d of %d pings (-want +got):\n%s", got.RunsN, got.NPings, diff)
	}

	// A build that does not keep runs records a start and a success: it counts the pings but
	// leaves the runs as they were.
	for _, kind := range []check.PingKind{check.PingStart, check.PingSuccess} {
		at = at.Add(10 * time.Second)
		_, err := s.UpdateCheck(ctx, c.ID, func(c *check.Check) (store.Change, error) {
			runs, n := c.Runs, c.RunsN
			sig := success()
			sig.Kind = kind
			p, f := c.ApplyPing(sig, at, nil)
			c.Runs, c.RunsN = runs, n
			return store.Change{Ping: p, Flip: f}, nil
		})
		if err != nil {
			t.Fatalf("UpdateCheck(%s) as an older build = %v", c.ID, err)
		}
	}
	if got := loadCheck(t, s, c.ID); got.RunsCurrent() || len(got.Runs) != 3 {
		t.Fatalf("after pings of an older build: RunsN %d of %d pings, %d runs; want the 3 runs, behind", got.RunsN, got.NPings, len(got.Runs))
	}

	// The next write, a rename, rebuilds them from the pings, and fn already sees them current.
	sawCurrent := false
	written, err := s.UpdateCheck(ctx, c.ID, func(c *check.Check) (store.Change, error) {
		sawCurrent = c.RunsCurrent()
		c.Name = "renamed"
		return store.Change{}, nil
	})
	if err != nil {
		t.Fatalf("UpdateCheck(%s) renaming = %v", c.ID, err)
	}
	want = append(want, check.Run{N: 8, At: at, Duration: 10 * time.Second})
	if diff := cmp.Diff(want, written.Runs); diff != "" || !written.RunsCurrent() || !sawCurrent {
		t.Errorf("UpdateCheck after an older build: fn saw current %v; returned RunsN %d of %d (-want +got):\n%s",
			sawCurrent, written.RunsN, written.NPings, diff)
	}
	if diff := cmp.Diff(written, loadCheck(t, s, c.ID), equateEmpty); diff != "" {
		t.Errorf("Check(%s) after the rebuild differs from what UpdateCheck returned (-returned +loaded):\n%s", c.ID, diff)
	}
	signal(check.PingFail, "", time.Minute)
	if got := listed(); len(got.Runs) != 5 || !got.Runs[4].Failed || !got.RunsCurrent() {
		t.Errorf("after the rebuild, a ping appends: %+v, current %v; want 5 runs, the last a failure", got.Runs, got.RunsCurrent())
	}
}
