package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// testUpcoming: the due index read over a window (after, until], as the sweep reads it to arm
// precise timers: bounds, order, limit, and entries leaving when the check leaves the index.
func testUpcoming(t *testing.T, s store.Store) {
	ctx := t.Context()
	p := newProject(1, t0)
	createProject(t, s, p)
	const downAfter = 25 * time.Hour
	at := func(d time.Duration) time.Time { return t0.Add(-downAfter + d) } // last ping due at t0+d
	a := dueCheck(t, s, 1, p.ID, at(10*time.Second))
	b := dueCheck(t, s, 2, p.ID, at(30*time.Second))
	c := dueCheck(t, s, 3, p.ID, at(30*time.Second)) // same instant as b: ordered by ID
	d := dueCheck(t, s, 4, p.ID, at(90*time.Second))
	past := dueCheck(t, s, 5, p.ID, at(-time.Second))
	createCheck(t, s, newCheck(6, p.ID, t0)) // new: never in the index

	upcoming := func(after, until time.Time) []store.Due {
		t.Helper()
		got, err := s.Upcoming(ctx, after, until)
		if err != nil {
			t.Fatalf("Upcoming(%v, %v) = %v", after, until, err)
		}
		return got
	}
	entry := func(c *check.Check) store.Due { return store.Due{CheckID: c.ID, At: c.AlertAfter} }
	bc := []store.Due{entry(b), entry(c)}
	if b.ID > c.ID {
		bc = []store.Due{entry(c), entry(b)}
	}
	tests := []struct {
		name         string
		after, until time.Time
		want         []store.Due
	}{
		{"a minute ahead", t0, t0.Add(time.Minute), append([]store.Due{entry(a)}, bc...)},
		{"after excluded, until included", a.AlertAfter, b.AlertAfter, bc},
		{"wider", t0.Add(-time.Minute), t0.Add(2 * time.Minute), append(append([]store.Due{entry(past), entry(a)}, bc...), entry(d))},
		{"empty window", t0.Add(31 * time.Second), t0.Add(89 * time.Second), nil},
		{"until before after", t0.Add(time.Minute), t0, nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, upcoming(tt.after, tt.until), equateEmpty); diff != "" {
			t.Errorf("Upcoming %s (%v, %v) mismatch (-want +got):\n%s", tt.name, tt.after, tt.until, diff)
		}
	}

	// Many checks due at one instant (cron checks of one schedule are) all come back.
	var same []store.Due
	for n := 10; n < 40; n++ {
		same = append(same, entry(dueCheck(t, s, n, p.ID, at(5*time.Minute))))
	}
	slices.SortFunc(same, func(x, y store.Due) int { return strings.Compare(x.CheckID, y.CheckID) })
	if diff := cmp.Diff(same, upcoming(t0.Add(4*time.Minute), t0.Add(6*time.Minute)), equateEmpty); diff != "" {
		t.Errorf("Upcoming of 30 checks due at one instant mismatch (-want +got):\n%s", diff)
	}

	// A check that goes down leaves the index, and the window.
	update(t, s, a.ID, func(c *check.Check) *check.Flip { return c.Sweep(a.AlertAfter, nil) })
	if diff := cmp.Diff(bc, upcoming(t0, t0.Add(time.Minute)), equateEmpty); diff != "" {
		t.Errorf("Upcoming after a went down mismatch (-want +got):\n%s", diff)
	}
}
