package sweep

import (
	"context"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// countingStore counts the reads of maintenance windows.
type countingStore struct {
	store.Store
	windowReads int
}

func (c *countingStore) Windows(ctx context.Context, projectID string) ([]*check.Window, error) {
	c.windowReads++
	return c.Store.Windows(ctx, projectID)
}

// TestSweepMaintenance: a check that misses its deadline inside a recurring project window
// (daily at 21:00 UTC for two hours) goes down silently; the sweep at the window's end sends the
// one alert; the windows are read once per sweep and project, however many checks are due.
func TestSweepMaintenance(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	// Pinged at t0 (20:00); timeout 1 hour, grace 1 hour: down at 22:00, inside 21:00–23:00.
	for _, id := range []string{"c1", "c2"} {
		seed(t, st, id, func(c *check.Check) { c.Timeout, c.Grace = time.Hour, time.Hour }, t0)
	}
	if err := st.CreateWindow(ctx, &check.Window{ID: "w1", ProjectID: "p1", Schedule: "0 21 * * *", TZ: "UTC", Duration: 2 * time.Hour, Created: t0}); err != nil {
		t.Fatal(err)
	}
	counting := &countingStore{Store: st}
	now := t0.Add(2 * time.Hour)
	s := &Sweeper{Store: counting, Now: func() time.Time { return now }}
	res, err := s.Run(ctx)
	if err != nil || res.Flipped != 2 {
		t.Fatalf("sweep at 22:00 = %+v, %v; want two checks down", res, err)
	}
	if counting.windowReads != 1 {
		t.Errorf("windows read %d times for two due checks of one project, want 1", counting.windowReads)
	}
	flips := func(id string) []*check.Flip {
		t.Helper()
		fs, err := st.Flips(ctx, id, store.FlipQuery{})
		if err != nil {
			t.Fatal(err)
		}
		return fs
	}
	if fs := flips("c1"); len(fs) != 2 || fs[0].NewStatus != check.StatusDown || fs[0].Processed.IsZero() {
		t.Fatalf("c1 flips = %+v, want the new→up and a processed down", fs)
	}
	// The seed's new→up flips are unprocessed (and silent); the down flips must not be.
	downs := func() []*check.Flip {
		t.Helper()
		q, err := st.UnprocessedFlips(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		var out []*check.Flip
		for _, f := range q {
			if f.NewStatus == check.StatusDown {
				out = append(out, f)
			}
		}
		return out
	}
	if q := downs(); len(q) != 0 {
		t.Errorf("unprocessed down flips = %+v, want none for the notifier", q)
	}

	now = t0.Add(3*time.Hour - time.Second)
	if res, _ := s.Run(ctx); res.Examined != 0 {
		t.Errorf("sweep before the window's end examined %d, want 0", res.Examined)
	}
	now = t0.Add(3 * time.Hour)
	if res, err := s.Run(ctx); err != nil || res.Flipped != 2 {
		t.Fatalf("sweep at the window's end = %+v, %v; want the two held alerts", res, err)
	}
	if q := downs(); len(q) != 2 || q[0].OldStatus != check.StatusDown || q[0].Reason != check.ReasonTimeout || !q[0].Created.Equal(now) {
		t.Errorf("unprocessed down flips = %+v, want one alert per check at 23:00", q)
	}
}
