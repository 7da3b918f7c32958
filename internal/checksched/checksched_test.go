package checksched_test

import (
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/checksched"
)

var at = time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)

// TestFor: a simple check has no schedule (an untyped nil, so callers' nil checks hold), cron
// and OnCalendar checks theirs in their zone, and a schedule that no longer parses is an error
// For reports and Parent reads as none.
func TestFor(t *testing.T) {
	for _, tc := range []struct {
		name     string
		kind     check.Kind
		expr, tz string
		wantErr  bool
		wantNext time.Time // zero: no schedule
	}{
		{"simple", check.KindSimple, "", "UTC", false, time.Time{}},
		{"cron in a zone", check.KindCron, "30 2 * * *", "Europe/Riga", false, time.Date(2026, 12, 8, 0, 30, 0, 0, time.UTC)},
		{"oncalendar", check.KindOnCalendar, "*-*-* 12:00", "UTC", false, time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)},
		{"a zone gone", check.KindCron, "* * * * *", "Mars/Olympus", true, time.Time{}},
	} {
		c := &check.Check{ID: "c", Kind: tc.kind, Schedule: tc.expr, TZ: tc.tz}
		sched, err := checksched.For(c)
		if (err != nil) != tc.wantErr {
			t.Errorf("%s: For error = %v, want an error: %v", tc.name, err, tc.wantErr)
		}
		parent := checksched.Parent(c)
		if tc.wantNext.IsZero() {
			if sched != nil || parent != nil {
				t.Errorf("%s: For = %v, Parent = %v; want nil interfaces", tc.name, sched, parent)
			}
			continue
		}
		if sched == nil || parent == nil {
			t.Fatalf("%s: For = %v, Parent = %v; want a schedule", tc.name, sched, parent)
		}
		if got := sched.Next(at); !got.Equal(tc.wantNext) {
			t.Errorf("%s: For(c).Next(%v) = %v, want %v", tc.name, at, got, tc.wantNext)
		}
		if got := parent.Next(at); !got.Equal(tc.wantNext) {
			t.Errorf("%s: Parent(c).Next(%v) = %v, want %v", tc.name, at, got, tc.wantNext)
		}
	}
}

// TestWindow: a recurring window's schedule in its zone; nil (never open) when it no longer
// parses.
func TestWindow(t *testing.T) {
	w := &check.Window{ID: "w", Schedule: "0 3 * * 0", TZ: "Europe/Riga", Duration: time.Hour}
	if s := checksched.Window(w); s == nil {
		t.Fatal("Window(weekly) = nil")
	} else if got, want := s.Next(at), time.Date(2026, 12, 13, 1, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("Window(weekly).Next(%v) = %v, want %v", at, got, want)
	}
	w.TZ = "Mars/Olympus"
	if s := checksched.Window(w); s != nil {
		t.Errorf("Window(zone gone) = %v, want nil", s)
	}
}
