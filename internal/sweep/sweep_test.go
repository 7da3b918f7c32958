package sweep

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/schedule"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/sqlite"
	"github.com/overduehq/overdue/internal/store/storetest"
)

var t0 = time.Date(2026, 11, 24, 20, 0, 0, 0, time.UTC)

func openStore(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "overdue.db"), store.Options{Box: storetest.Box(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// seed creates a project and a check, and pings it with a success at pingAt.
func seed(t *testing.T, st store.Store, id string, mutate func(c *check.Check), pingAt time.Time) {
	t.Helper()
	ctx := context.Background()
	if _, err := st.Project(ctx, "p1"); err != nil {
		if err := st.CreateProject(ctx, &check.Project{ID: "p1", Name: "P", Created: t0, APIKeyHash: "a", ReadOnlyKeyHash: "b", PingKeyHash: "c"}); err != nil {
			t.Fatal(err)
		}
	}
	c := check.New(id, "p1", t0.Add(-time.Hour))
	if mutate != nil {
		mutate(c)
	}
	if err := st.CreateCheck(ctx, c); err != nil {
		t.Fatal(err)
	}
	if pingAt.IsZero() {
		return
	}
	_, err := st.UpdateCheck(ctx, id, func(c *check.Check) (store.Change, error) {
		sched, err := schedule.ForCheck(string(c.Kind), c.Schedule, c.TZ)
		if err != nil {
			return store.Change{}, err
		}
		p, f := c.ApplyPing(check.Signal{Kind: check.PingSuccess, Method: "GET"}, pingAt, sched)
		return store.Change{Ping: p, Flip: f}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func timeoutFlips(t *testing.T, st store.Store, id string) []*check.Flip {
	t.Helper()
	flips, err := st.Flips(context.Background(), id, store.FlipQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var out []*check.Flip
	for _, f := range flips {
		if f.Reason == check.ReasonTimeout {
			out = append(out, f)
		}
	}
	return out
}

func TestSweepFlipsOverdueCheckAtItsDownTime(t *testing.T) {
	st := openStore(t)
	seed(t, st, "simple", func(c *check.Check) { c.Timeout, c.Grace = time.Minute, time.Minute }, t0)
	seed(t, st, "fresh", func(c *check.Check) { c.Timeout, c.Grace = time.Hour, time.Minute }, t0)
	seed(t, st, "never-pinged", nil, time.Time{})

	clock := t0.Add(119 * time.Second)
	s := &Sweeper{Store: st, Now: func() time.Time { return clock }}

	// One second before last ping + timeout + grace: nothing is due.
	res, err := s.Run(context.Background())
	if err != nil || res.Flipped != 0 || res.Examined != 0 {
		t.Fatalf("Run at %v = %+v, %v; want nothing examined", clock, res, err)
	}

	// Noticed three minutes late: the flip still carries the time it went down.
	clock = t0.Add(5 * time.Minute)
	res, err = s.Run(context.Background())
	if err != nil || res.Flipped != 1 || res.Examined != 1 {
		t.Fatalf("Run at %v = %+v, %v; want 1 examined, 1 flipped", clock, res, err)
	}
	flips := timeoutFlips(t, st, "simple")
	if len(flips) != 1 {
		t.Fatalf("timeout flips = %d, want 1", len(flips))
	}
	if want := t0.Add(2 * time.Minute); !flips[0].Created.Equal(want) || flips[0].OldStatus != check.StatusUp || flips[0].NewStatus != check.StatusDown {
		t.Errorf("flip = %+v, want up→down at %v", flips[0], want)
	}
	c, err := st.Check(context.Background(), "simple")
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != check.StatusDown || !c.AlertAfter.IsZero() {
		t.Errorf("after sweep: status %v AlertAfter %v, want down and none", c.Status, c.AlertAfter)
	}

	// A second sweep finds nothing: a down check is out of the due index.
	res, err = s.Run(context.Background())
	if err != nil || res.Examined != 0 {
		t.Errorf("second Run = %+v, %v; want nothing examined", res, err)
	}
	if n := len(timeoutFlips(t, st, "fresh")); n != 0 {
		t.Errorf("fresh check flipped %d times", n)
	}
}

func TestConcurrentSweepsFlipOnce(t *testing.T) {
	st := openStore(t)
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		seed(t, st, id, func(c *check.Check) { c.Timeout, c.Grace = time.Minute, time.Minute }, t0)
	}
	now := func() time.Time { return t0.Add(time.Hour) }
	var wg sync.WaitGroup
	results := make([]Result, 4)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := &Sweeper{Store: st, Now: now, Batch: 2}
			r, err := s.Run(context.Background())
			if err != nil {
				t.Error(err)
			}
			results[i] = r
		}()
	}
	wg.Wait()
	total := 0
	for _, r := range results {
		total += r.Flipped
	}
	if total != 5 {
		t.Errorf("sweeps flipped %d checks in all, want 5 (one each)", total)
	}
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		if n := len(timeoutFlips(t, st, id)); n != 1 {
			t.Errorf("check %s has %d timeout flips, want 1", id, n)
		}
	}
}

func TestUnreadableSchedulePushedAnHour(t *testing.T) {
	st := openStore(t)
	seed(t, st, "broken", func(c *check.Check) {
		c.Kind, c.Schedule, c.TZ = check.KindCron, "not a schedule", "UTC"
		c.Status, c.LastPing, c.AlertAfter = check.StatusUp, t0, t0.Add(time.Minute)
	}, time.Time{})
	seed(t, st, "ok", func(c *check.Check) { c.Timeout, c.Grace = time.Minute, time.Minute }, t0)
	now := t0.Add(10 * time.Minute)
	s := &Sweeper{Store: st, Now: func() time.Time { return now }}
	res, err := s.Run(context.Background())
	if err != nil {
		t.Fatalf("Run with a broken schedule: %v (must not fail the sweep)", err)
	}
	if res.Flipped != 1 {
		t.Errorf("Flipped = %d, want 1 (the healthy overdue check)", res.Flipped)
	}
	c, err := st.Check(context.Background(), "broken")
	if err != nil {
		t.Fatal(err)
	}
	if want := now.Add(BadSchedulePushback); !c.AlertAfter.Equal(want) || c.Status != check.StatusUp {
		t.Errorf("broken check: AlertAfter %v status %v, want %v and up", c.AlertAfter, c.Status, want)
	}
}

func TestCronCheckAcrossAutumnDST(t *testing.T) {
	// Healthchecks test_get_status_handles_autumn_dst_transition: 15 * * * * in Europe/Riga, last
	// ping 2023-10-29 00:55 UTC; at 01:05 UTC the check is still up and must not flip.
	st := openStore(t)
	last := time.Date(2023, 10, 29, 0, 55, 0, 0, time.UTC)
	seed(t, st, "riga", func(c *check.Check) {
		c.Kind, c.Schedule, c.TZ, c.Grace = check.KindCron, "15 * * * *", "Europe/Riga", time.Minute
	}, last)
	s := &Sweeper{Store: st, Now: func() time.Time { return time.Date(2023, 10, 29, 1, 5, 0, 0, time.UTC) }}
	res, err := s.Run(context.Background())
	if err != nil || res.Flipped != 0 {
		t.Fatalf("Run = %+v, %v; want no flip", res, err)
	}
	// Next expected 01:15 UTC, grace one minute: down at 01:16.
	s.Now = func() time.Time { return time.Date(2023, 10, 29, 1, 16, 0, 0, time.UTC) }
	res, err = s.Run(context.Background())
	if err != nil || res.Flipped != 1 {
		t.Fatalf("Run at 01:16 = %+v, %v; want one flip", res, err)
	}
	flips := timeoutFlips(t, st, "riga")
	if want := time.Date(2023, 10, 29, 1, 16, 0, 0, time.UTC); len(flips) != 1 || !flips[0].Created.Equal(want) {
		t.Errorf("flips = %+v, want one at %v", flips, want)
	}
}

func TestStartedRunTimesOut(t *testing.T) {
	st := openStore(t)
	seed(t, st, "job", func(c *check.Check) { c.Grace = time.Minute }, time.Time{})
	_, err := st.UpdateCheck(context.Background(), "job", func(c *check.Check) (store.Change, error) {
		p, f := c.ApplyPing(check.Signal{Kind: check.PingStart}, t0, nil)
		return store.Change{Ping: p, Flip: f}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s := &Sweeper{Store: st, Now: func() time.Time { return t0.Add(10 * time.Minute) }}
	if res, err := s.Run(context.Background()); err != nil || res.Flipped != 1 {
		t.Fatalf("Run = %+v, %v; want the unfinished run to flip", res, err)
	}
	flips := timeoutFlips(t, st, "job")
	if len(flips) != 1 || flips[0].OldStatus != check.StatusNew || !flips[0].Created.Equal(t0.Add(time.Minute)) {
		t.Errorf("flips = %+v, want new→down at start + grace", flips)
	}
}
