package sweep

import (
	"context"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// TestSweepLate: at their grace start, the sweep makes the late notice of a check with a late
// channel ("late"), drops it for one in a maintenance window ("window") and for one whose parent
// is down ("child"), and leaves a check without a late channel ("plain") alone until its
// deadline. A second sweep, and a timer fired for the same instant, make no second notice.
func TestSweepLate(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	hourly := func(late bool) func(c *check.Check) {
		return func(c *check.Check) { c.Timeout, c.Grace, c.LateNotice = time.Hour, time.Hour, late }
	}
	seed(t, st, "parent", func(c *check.Check) { c.Timeout, c.Grace = time.Minute, time.Minute }, t0) // down from t0+2m
	for _, id := range []string{"late", "window", "child"} {
		seed(t, st, id, hourly(true), t0)
	}
	seed(t, st, "plain", hourly(false), t0)
	if _, err := st.UpdateCheck(ctx, "child", func(c *check.Check) (store.Change, error) {
		c.DependsOn = []string{"parent"}
		return store.Change{}, nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateWindow(ctx, &check.Window{ID: "w1", ProjectID: "p1", CheckID: "window", Start: t0.Add(50 * time.Minute), End: t0.Add(70 * time.Minute), Created: t0}); err != nil {
		t.Fatal(err)
	}
	now := t0.Add(time.Hour + time.Minute)
	s := &Sweeper{Store: st, Now: func() time.Time { return now }}
	res, err := s.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// parent went down; three checks were late, one of them told.
	if res.Examined != 4 || res.Flipped != 1 || res.Late != 1 {
		t.Errorf("sweep = %+v, want 4 examined (parent and the three late checks), 1 down, 1 late notice", res)
	}
	notices := func() map[string]int {
		t.Helper()
		out := map[string]int{}
		for _, id := range []string{"late", "window", "child", "plain"} {
			fs, err := st.Flips(ctx, id, store.FlipQuery{})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range fs {
				if f.IsLate() {
					out[id]++
				}
			}
		}
		return out
	}
	if got := notices(); got["late"] != 1 || len(got) != 1 {
		t.Errorf("late notices = %v, want one, of late", got)
	}
	for _, id := range []string{"late", "window", "child"} {
		c, err := st.Check(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !c.LateFor.Equal(t0.Add(time.Hour)) || !c.AlertAfter.Equal(t0.Add(2*time.Hour)) {
			t.Errorf("%s: LateFor %v, AlertAfter %v; want the period done and due at the deadline", id, c.LateFor, c.AlertAfter)
		}
	}
	now = now.Add(time.Minute)
	if res, err := s.Run(ctx); err != nil || res.Examined != 0 {
		t.Errorf("second sweep = %+v, %v; want nothing examined", res, err)
	}
	if f, err := s.Fire(ctx, Timer{CheckID: "late", Due: t0.Add(time.Hour)}); err != nil || f.Late || f.Flipped {
		t.Errorf("a timer for the notice's instant = %+v, %v; want nothing done", f, err)
	}
	if got := notices(); got["late"] != 1 || len(got) != 1 {
		t.Errorf("late notices after a second sweep and a timer = %v, want still one", got)
	}
}

// TestLateDoubtful: a late notice is dropped when an outage of ping intake overlaps the time the
// ping was due (from one canary interval before the expected time) up to now.
func TestLateDoubtful(t *testing.T) {
	in := &Ingestion{Every: time.Minute}
	expected := t0.Add(time.Hour)
	now := expected.Add(2 * time.Minute)
	for _, tt := range []struct {
		name   string
		outage Outage
		want   bool
	}{
		{"ongoing", Outage{Start: expected.Add(-time.Hour)}, true},
		{"ended before the ping was due", Outage{Start: t0, End: expected.Add(-2 * time.Minute)}, false},
		{"ended just before the expected time", Outage{Start: t0, End: expected.Add(-30 * time.Second)}, true},
		{"began in the grace time", Outage{Start: expected.Add(time.Minute), End: now}, true},
		{"begins after now", Outage{Start: now.Add(time.Minute)}, false},
	} {
		if got := in.lateDoubtful(expected, []Outage{tt.outage}, now); got != tt.want {
			t.Errorf("%s: lateDoubtful = %v, want %v", tt.name, got, tt.want)
		}
	}
	if in.lateDoubtful(expected, nil, now) {
		t.Error("lateDoubtful without outages = true")
	}
}
