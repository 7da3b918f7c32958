package report

import (
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/people"
)

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestReportSlot: the slot due at an instant is the latest 09:00-plus-offset of the period's
// day (every day, Monday, the 1st) in the person's zone; before that minute it is the one
// before; a report covers the whole period before its day, between local midnights.
func TestReportSlot(t *testing.T) {
	const off = 37 * time.Minute
	auckland, newYork, riga := zone(t, "Pacific/Auckland"), zone(t, "America/New_York"), zone(t, "Europe/Riga")
	for _, tc := range []struct {
		name     string
		period   people.ReportPeriod
		loc      *time.Location
		now      time.Time
		key      string
		due      time.Time
		from, to time.Time
	}{
		{"Monday 09:40 in Auckland is Sunday in New York: Auckland's week starts", people.ReportsWeekly, auckland,
			time.Date(2026, 12, 6, 20, 40, 0, 0, time.UTC), "weekly:2026-12-07", time.Date(2026, 12, 7, 9, 37, 0, 0, auckland),
			time.Date(2026, 11, 30, 0, 0, 0, 0, auckland), time.Date(2026, 12, 7, 0, 0, 0, 0, auckland)},
		{"the same instant in New York is still last week's", people.ReportsWeekly, newYork,
			time.Date(2026, 12, 6, 20, 40, 0, 0, time.UTC), "weekly:2026-11-30", time.Date(2026, 11, 30, 9, 37, 0, 0, newYork),
			time.Date(2026, 11, 23, 0, 0, 0, 0, newYork), time.Date(2026, 11, 30, 0, 0, 0, 0, newYork)},
		{"a minute before the person's minute is the day before's", people.ReportsDaily, newYork,
			time.Date(2026, 12, 7, 9, 36, 0, 0, newYork), "daily:2026-12-06", time.Date(2026, 12, 6, 9, 37, 0, 0, newYork),
			time.Date(2026, 12, 5, 0, 0, 0, 0, newYork), time.Date(2026, 12, 6, 0, 0, 0, 0, newYork)},
		{"the day daylight saving time ends: 09:37 EST is 14:37 UTC, and the day before had 25 hours", people.ReportsDaily, newYork,
			time.Date(2026, 11, 1, 14, 37, 0, 0, time.UTC), "daily:2026-11-01", time.Date(2026, 11, 1, 14, 37, 0, 0, time.UTC),
			time.Date(2026, 10, 31, 4, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 4, 0, 0, 0, time.UTC)},
		{"monthly on the 1st, covering the month before", people.ReportsMonthly, riga,
			time.Date(2026, 12, 15, 12, 0, 0, 0, time.UTC), "monthly:2026-12", time.Date(2026, 12, 1, 9, 37, 0, 0, riga),
			time.Date(2026, 11, 1, 0, 0, 0, 0, riga), time.Date(2026, 12, 1, 0, 0, 0, 0, riga)},
		{"on the 1st before the minute: last month's, across a year", people.ReportsMonthly, riga,
			time.Date(2027, 1, 1, 9, 0, 0, 0, riga), "monthly:2026-12", time.Date(2026, 12, 1, 9, 37, 0, 0, riga),
			time.Date(2026, 11, 1, 0, 0, 0, 0, riga), time.Date(2026, 12, 1, 0, 0, 0, 0, riga)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := ReportSlot(tc.period, tc.loc, off, tc.now)
			if s.Key != tc.key || !s.Due.Equal(tc.due) || !s.From.Equal(tc.from) || !s.To.Equal(tc.to) {
				t.Errorf("ReportSlot(%s, %s, %v) = %s due %v covering [%v, %v); want %s due %v covering [%v, %v)",
					tc.period, tc.loc, tc.now, s.Key, s.Due, s.From, s.To, tc.key, tc.due, tc.from, tc.to)
			}
		})
	}
}

// TestReminderSlot: hourly slots are UTC hours at the person's minute of the hour; daily ones
// the person's morning, as reports.
func TestReminderSlot(t *testing.T) {
	const off = 97 * time.Minute // 37 past each hour
	if s := ReminderSlot(people.RemindersHourly, time.UTC, off, time.Date(2026, 12, 7, 10, 36, 0, 0, time.UTC)); s.Key != "hourly:2026-12-07T09Z" ||
		!s.Due.Equal(time.Date(2026, 12, 7, 9, 37, 0, 0, time.UTC)) {
		t.Errorf("hourly slot at 10:36 = %+v, want 09's, due 09:37", s)
	}
	if s := ReminderSlot(people.RemindersHourly, time.UTC, off, time.Date(2026, 12, 7, 10, 37, 0, 0, time.UTC)); s.Key != "hourly:2026-12-07T10Z" {
		t.Errorf("hourly slot at 10:37 = %+v, want 10's", s)
	}
	kolkata := zone(t, "Asia/Kolkata")
	if s := ReminderSlot(people.RemindersDaily, kolkata, off, time.Date(2026, 12, 7, 5, 7, 0, 0, time.UTC)); s.Key != "daily:2026-12-07" ||
		!s.Due.Equal(time.Date(2026, 12, 7, 10, 37, 0, 0, kolkata)) {
		t.Errorf("daily reminder slot at 10:37 in Kolkata = %+v, want the 7th's, due 10:37 there", s)
	}
}

// TestOffset: each person's minute is within the two hours and stays the same.
func TestOffset(t *testing.T) {
	seen := map[time.Duration]bool{}
	for _, id := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		o := Offset(id)
		if o < 0 || o >= 2*time.Hour || o%time.Minute != 0 || Offset(id) != o {
			t.Errorf("Offset(%q) = %v, want a whole minute in [0, 2h), the same each time", id, o)
		}
		seen[o] = true
	}
	if len(seen) < 4 {
		t.Errorf("8 people share %d minutes: the offsets do not spread", len(seen))
	}
}

// TestDowntime: the time down within a period and the flips to down in it, from the flips
// since before it and the status now.
func TestDowntime(t *testing.T) {
	at := func(h int) time.Time { return time.Date(2026, 12, 7, h, 0, 0, 0, time.UTC) }
	from, to := at(10), at(20)
	flip := func(h int, old, new string) *checkFlip { return &checkFlip{at(h), old, new} }
	for _, tc := range []struct {
		name  string
		flips []*checkFlip
		now   string
		n     int
		d     time.Duration
	}{
		{"no flips, up", nil, "up", 0, 0},
		{"no flips, down all along", nil, "down", 0, 10 * time.Hour},
		{"down before the period, up inside", []*checkFlip{flip(8, "up", "down"), flip(12, "down", "up")}, "up", 0, 2 * time.Hour},
		{"down twice inside, still down at the end", []*checkFlip{flip(11, "up", "down"), flip(13, "down", "up"), flip(18, "up", "down")}, "down", 2, 4 * time.Hour},
		{"down after the period", []*checkFlip{flip(21, "up", "down")}, "down", 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, d := downtime(flipsOf(tc.flips), statusOf(tc.now), from, to)
			if n != tc.n || d != tc.d {
				t.Errorf("downtime = %d, %v; want %d, %v", n, d, tc.n, tc.d)
			}
		})
	}
}

// checkFlip is a flip in TestDowntime's table: when, and from which status to which.
type checkFlip struct {
	at       time.Time
	old, new string
}

func flipsOf(fs []*checkFlip) []*check.Flip {
	var out []*check.Flip
	for i := len(fs) - 1; i >= 0; i-- { // newest first, as the store lists them
		out = append(out, &check.Flip{Created: fs[i].at, OldStatus: statusOf(fs[i].old), NewStatus: statusOf(fs[i].new)})
	}
	return out
}

func statusOf(s string) check.Status { return check.Status(s) }
