package report

import (
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"github.com/overduehq/overdue/internal/people"
)

// Slot is one occasion to mail someone: a report period's report, or an hour's or a day's
// reminder. Its Key names it in the mailing record and the user's cursor.
type Slot struct {
	// Key is the period and the local date (or the UTC hour) it is due on: "daily:2026-12-07",
	// "weekly:2026-12-07" (a Monday), "monthly:2026-12", "hourly:2026-12-07T09Z".
	Key string
	// Due is when it may go out.
	Due time.Time
	// From and To bound what a report covers: the whole period before the one Due falls in,
	// between local midnights ([From, To)); Before is the start of the period before that,
	// which the report compares with. Zero for reminders.
	From, To, Before time.Time
}

// Window is the part of the morning, in the user's time zone, in which reports and daily
// reminders go out: from 09:00 for two hours, each person at their own minute (Offset), as in
// Healthchecks, which picks the minute at random so that not every mail leaves at once.
const (
	windowStart = 9 // o'clock
	windowLen   = 120 * time.Minute
)

// Offset is the user's minute in the window: stable (a hash of the user's ID), so that every
// sweep and every function instance computes the same due time without storing it.
func Offset(userID string) time.Duration {
	h := fnv.New32a()
	h.Write([]byte(userID))
	return time.Duration(h.Sum32()%uint32(windowLen/time.Minute)) * time.Minute
}

// at is 09:00 plus offset on the local date y-m-d in loc. Minutes past 59 roll into the hour,
// as time.Date normalises them; no zone changes its clocks between 09:00 and 11:00.
func at(y int, m time.Month, d int, offset time.Duration, loc *time.Location) time.Time {
	return time.Date(y, m, d, windowStart, int(offset/time.Minute), 0, 0, loc)
}

// ReportSlot is the latest report slot of the period that is due at or before now, in loc:
// daily, the day's; weekly, the Monday's; monthly, the 1st's. It panics on ReportsOff, which has
// no slots.
func ReportSlot(period people.ReportPeriod, loc *time.Location, offset time.Duration, now time.Time) Slot {
	local := now.In(loc)
	y, m, d := local.Date()
	start := time.Date(y, m, d, 0, 0, 0, 0, loc) // the candidate day: today, this week's Monday, the 1st
	var prev func(time.Time) time.Time           // the start of the period before
	switch period {
	case people.ReportsDaily:
		prev = func(t time.Time) time.Time { return t.AddDate(0, 0, -1) }
	case people.ReportsWeekly:
		start = start.AddDate(0, 0, -((int(local.Weekday()) + 6) % 7)) // Monday is 0
		prev = func(t time.Time) time.Time { return t.AddDate(0, 0, -7) }
	case people.ReportsMonthly:
		start = time.Date(y, m, 1, 0, 0, 0, 0, loc)
		prev = func(t time.Time) time.Time { return t.AddDate(0, -1, 0) }
	default:
		panic(fmt.Sprintf("report: no slots for reports %q", period))
	}
	sy, sm, sd := start.Date()
	due := at(sy, sm, sd, offset, loc)
	if due.After(now) {
		start = prev(start)
		sy, sm, sd = start.Date()
		due = at(sy, sm, sd, offset, loc)
	}
	key := fmt.Sprintf("%s:%04d-%02d-%02d", period, sy, sm, sd)
	if period == people.ReportsMonthly {
		key = fmt.Sprintf("%s:%04d-%02d", period, sy, sm)
	}
	return Slot{Key: key, Due: due, From: prev(start), To: start, Before: prev(prev(start))}
}

// ReminderSlot is the latest reminder slot due at or before now: hourly, each UTC hour at the
// user's minute (offset modulo an hour); daily, each day in loc at the user's minute of the
// morning window. It panics on RemindersOff.
func ReminderSlot(period people.ReminderPeriod, loc *time.Location, offset time.Duration, now time.Time) Slot {
	switch period {
	case people.RemindersHourly:
		due := now.UTC().Truncate(time.Hour).Add(offset % time.Hour)
		if due.After(now) {
			due = due.Add(-time.Hour)
		}
		return Slot{Key: "hourly:" + due.Truncate(time.Hour).Format("2006-01-02T15Z"), Due: due}
	case people.RemindersDaily:
		s := ReportSlot(people.ReportsDaily, loc, offset, now)
		return Slot{Key: s.Key, Due: s.Due}
	}
	panic(fmt.Sprintf("report: no slots for reminders %q", period))
}

// slotPeriod is the period a slot key names ("weekly" of "weekly:2026-12-07"), "" for "".
func slotPeriod(key string) string {
	p, _, _ := strings.Cut(key, ":")
	return p
}
