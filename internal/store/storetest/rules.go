package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// testCheckRules: the alert rules and their state go through UpdateCheck's every path (a
// state-only ping write, a flip, a sweep found through the due index): a tolerated failure keeps
// its count, a failure while snoozed is stored as a processed flip (the notifier never sees it)
// with the alert owed, the check is due again at the snooze's end, and the alert then written is
// queued for the notifier.
func testCheckRules(t *testing.T, s store.Store) {
	ctx := t.Context()
	p := newProject(1, t0)
	createProject(t, s, p)
	c := newCheck(1, p.ID, t0.Add(-time.Hour))
	c.FailureTolerance, c.MaxRuntime = 2, 30*time.Minute
	createCheck(t, s, c)
	applyPing(t, s, c.ID, success(), t0)

	fail := success()
	fail.Kind = check.PingFail
	got, _, flip := applyPing(t, s, c.ID, fail, t0.Add(time.Minute))
	if flip != nil || got.FailStreak != 1 || got.Status != check.StatusUp {
		t.Fatalf("tolerated failure: flip %+v, streak %d, status %s; want none, 1, up", flip, got.FailStreak, got.Status)
	}
	if l := loadCheck(t, s, c.ID); l.FailStreak != 1 || l.FailureTolerance != 2 || l.MaxRuntime != 30*time.Minute {
		t.Errorf("Check after a tolerated failure: streak %d, tolerance %d, max runtime %v", l.FailStreak, l.FailureTolerance, l.MaxRuntime)
	}

	until := t0.Add(time.Hour)
	update(t, s, c.ID, func(c *check.Check) *check.Flip {
		f, err := c.Snooze(time.Hour, t0, nil)
		if err != nil {
			t.Fatalf("Snooze = %v", err)
		}
		return f
	})
	_, _, held := applyPing(t, s, c.ID, fail, t0.Add(2*time.Minute))
	if held == nil || held.Processed.IsZero() {
		t.Fatalf("failure while snoozed: flip %+v, want a processed down flip", held)
	}
	want := loadCheck(t, s, c.ID)
	if want.Status != check.StatusDown || want.HeldReason != check.ReasonFail || !want.SnoozeUntil.Equal(until) || !want.AlertAfter.Equal(until) {
		t.Errorf("held: status %s, held %q, snooze until %v, AlertAfter %v; want down, fail, %v, %v",
			want.Status, want.HeldReason, want.SnoozeUntil, want.AlertAfter, until, until)
	}
	if q, err := s.UnprocessedFlips(ctx, 10); err != nil || len(q) != 1 || q[0].NewStatus != check.StatusUp {
		t.Errorf("UnprocessedFlips = %+v, %v; want only the first new→up flip", q, err)
	}

	if due, err := s.DueChecks(ctx, until.Add(-time.Second), 10); err != nil || len(due) != 0 {
		t.Errorf("DueChecks before the snooze ends = %v, %v; want none", checkIDs(due), err)
	}
	due, err := s.DueChecks(ctx, until, 10)
	if err != nil || len(due) != 1 || due[0].ID != c.ID {
		t.Fatalf("DueChecks at the snooze's end = %v, %v; want the check", checkIDs(due), err)
	}
	var owed *check.Flip
	after := update(t, s, c.ID, func(c *check.Check) *check.Flip {
		owed = c.Sweep(until, nil)
		return owed
	})
	if owed == nil || owed.OldStatus != check.StatusDown || owed.NewStatus != check.StatusDown || owed.Reason != check.ReasonFail {
		t.Fatalf("Sweep at the snooze's end = %+v, want the owed down alert", owed)
	}
	if after.HeldReason != "" || !after.AlertAfter.IsZero() {
		t.Errorf("after the owed alert: held %q, AlertAfter %v; want none", after.HeldReason, after.AlertAfter)
	}
	q, err := s.UnprocessedFlips(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(q) != 2 || q[1].ID != owed.ID {
		t.Errorf("UnprocessedFlips = %+v; want the new→up flip and the owed alert", q)
	}
	if diff := cmp.Diff(after, loadCheck(t, s, c.ID), equateEmpty); diff != "" {
		t.Errorf("Check after the sweep (-returned +loaded):\n%s", diff)
	}
	// Snoozes are in whole microseconds like every instant, and stay after they end.
	if l := loadCheck(t, s, c.ID); !l.SnoozeUntil.Equal(until) {
		t.Errorf("SnoozeUntil = %v, want %v", l.SnoozeUntil, until)
	}
}

// testDeleteParent: deleting a check drops it from the depends_on of the checks that list it,
// keeps their other parents, and leaves checks of other projects alone.
func testDeleteParent(t *testing.T, s store.Store) {
	ctx := t.Context()
	p, q := newProject(1, t0), newProject(2, t0)
	createProject(t, s, p)
	createProject(t, s, q)
	parent, other := newCheck(1, p.ID, t0), newCheck(2, p.ID, t0)
	child, only := newCheck(3, p.ID, t0), newCheck(4, p.ID, t0)
	child.DependsOn = []string{parent.ID, other.ID}
	only.DependsOn = []string{parent.ID}
	foreign := newCheck(5, q.ID, t0)
	foreign.DependsOn = []string{parent.ID} // the API refuses this; the store must not care
	for _, c := range []*check.Check{parent, other, child, only, foreign} {
		createCheck(t, s, c)
	}
	if err := s.DeleteCheck(ctx, parent.ID); err != nil {
		t.Fatalf("DeleteCheck(%s) = %v", parent.ID, err)
	}
	for _, tt := range []struct {
		c    *check.Check
		want []string
	}{
		{child, []string{other.ID}},
		{only, nil},
		{other, nil},
		{foreign, []string{parent.ID}},
	} {
		if got := loadCheck(t, s, tt.c.ID).DependsOn; !cmp.Equal(got, tt.want, equateEmpty) {
			t.Errorf("DependsOn of %s after deleting its parent = %v, want %v", tt.c.ID, got, tt.want)
		}
	}
}
