package storetest

import (
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// testLateNotice: a check with a late channel (LateNotice) is found through the due index at
// its grace start; the sweep's write of its late notice (an up→up flip, queued for the
// notifier) records the period in LateFor, so a second sweeper that read the same due entry
// writes nothing; a state-only ping write keeps the marker and moves the period; and a check
// without the marker is due at its deadline only.
func testLateNotice(t *testing.T, s store.Store) {
	ctx := t.Context()
	p := newProject(1, t0)
	createProject(t, s, p)
	c := newCheck(1, p.ID, t0.Add(-time.Hour))
	c.Timeout, c.Grace, c.LateNotice = time.Hour, 30*time.Minute, true
	createCheck(t, s, c)
	plain := newCheck(2, p.ID, t0.Add(-time.Hour))
	plain.Timeout, plain.Grace = time.Hour, 30*time.Minute
	createCheck(t, s, plain)
	applyPing(t, s, c.ID, success(), t0)
	applyPing(t, s, plain.ID, success(), t0)
	late := t0.Add(time.Hour)

	if l := loadCheck(t, s, c.ID); !l.LateNotice || !l.AlertAfter.Equal(late) {
		t.Fatalf("after a ping: LateNotice %v, AlertAfter %v; want true, the grace start %v", l.LateNotice, l.AlertAfter, late)
	}
	due, err := s.DueChecks(ctx, late, 10)
	if err != nil || len(due) != 1 || due[0].ID != c.ID {
		t.Fatalf("DueChecks(%v) = %v, %v; want only the check with a late channel", late, checkIDs(due), err)
	}

	// Two sweepers read the same due entry; both decide in UpdateCheck, one after the other.
	var first, second *check.Flip
	now := late.Add(time.Minute)
	for _, out := range []**check.Flip{&first, &second} {
		_, err := s.UpdateCheck(ctx, c.ID, func(c *check.Check) (store.Change, error) {
			*out = nil
			if c.AlertAfter.After(now) {
				return store.Change{}, errSkipped
			}
			*out = c.Sweep(now, nil)
			return store.Change{Flip: *out}, nil
		})
		if err != nil && err != errSkipped {
			t.Fatalf("UpdateCheck = %v", err)
		}
	}
	if !first.IsLate() || !first.Created.Equal(late) {
		t.Fatalf("first sweep's flip = %+v, want a late notice at %v", first, late)
	}
	if second != nil {
		t.Errorf("second sweep's flip = %+v, want none: one notice per period", second)
	}
	l := loadCheck(t, s, c.ID)
	if !l.LateFor.Equal(late) || l.Status != check.StatusUp || !l.AlertAfter.Equal(late.Add(30*time.Minute)) {
		t.Errorf("after the notice: LateFor %v, status %s, AlertAfter %v; want %v, up, the deadline", l.LateFor, l.Status, l.AlertAfter, late)
	}
	q, err := s.UnprocessedFlips(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	var notices []*check.Flip
	for _, f := range q {
		if f.IsLate() {
			notices = append(notices, f)
		}
	}
	if len(notices) != 1 || notices[0].CheckID != c.ID || notices[0].Reason != check.ReasonLate {
		t.Errorf("late notices queued = %+v, want one, of %s", notices, c.ID)
	}

	// The ping that comes in the grace period is a state-only write: the marker stays, the
	// period moves.
	got, _, flip := applyPing(t, s, c.ID, success(), late.Add(5*time.Minute))
	if flip != nil || !got.LateNotice || !got.AlertAfter.Equal(late.Add(65*time.Minute)) {
		t.Errorf("ping after the notice: flip %+v, LateNotice %v, AlertAfter %v; want none, true, the next grace start", flip, got.LateNotice, got.AlertAfter)
	}
	if l := loadCheck(t, s, c.ID); !l.LateNotice || !l.LateFor.Equal(late) {
		t.Errorf("loaded after the ping: LateNotice %v, LateFor %v; want true, %v", l.LateNotice, l.LateFor, late)
	}
}

// errSkipped aborts an UpdateCheck that found nothing due, as the sweep's errSkip does.
var errSkipped = errorString("not due")

type errorString string

func (e errorString) Error() string { return string(e) }
