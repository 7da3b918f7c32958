package web

import (
	"fmt"
	"strings"
	"time"

	"github.com/overduehq/overdue/internal/check"
)

// relative says how long before or after now t is, in the largest whole unit: "just now",
// "3 minutes ago", "in 2 hours".
func relative(t, now time.Time) string {
	d := now.Sub(t)
	future := d < 0
	if future {
		d = -d
	}
	if d < 30*time.Second {
		return "just now"
	}
	words := roughWords(d)
	if future {
		return "in " + words
	}
	return words + " ago"
}

// roughWords is d in its largest whole unit, from seconds to days.
func roughWords(d time.Duration) string {
	switch {
	case d < time.Minute:
		return count(int(d/time.Second), "second")
	case d < time.Hour:
		return count(int(d/time.Minute), "minute")
	case d < 48*time.Hour:
		return count(int(d/time.Hour), "hour")
	}
	return count(int(d/(24*time.Hour)), "day")
}

func count(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// durationWords writes d exactly in weeks, days, hours, minutes and seconds, largest first,
// leaving out the zero parts: "1 day", "1 hour 30 minutes".
func durationWords(d time.Duration) string {
	if d <= 0 {
		return "0 seconds"
	}
	var parts []string
	for _, u := range []struct {
		d    time.Duration
		name string
	}{{7 * 24 * time.Hour, "week"}, {24 * time.Hour, "day"}, {time.Hour, "hour"}, {time.Minute, "minute"}, {time.Second, "second"}} {
		if n := d / u.d; n > 0 {
			parts = append(parts, count(int(n), u.name))
			d -= n * u.d
		}
	}
	return strings.Join(parts, " ")
}

// runWords is a run's duration as the event log and the charts show it: "850 ms", "12.4 s",
// "3 min 5 s", "2 h 10 min".
func runWords(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%d min %d s", int(d/time.Minute), int(d%time.Minute/time.Second))
	}
	return fmt.Sprintf("%d h %d min", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

// periodWords is a check's expected timing in words: "every 1 day, grace 1 hour", or the
// schedule with its zone.
func periodWords(c *check.Check) string {
	grace := "grace " + durationWords(c.Grace)
	if c.Kind == check.KindSimple {
		return "every " + durationWords(c.Timeout) + ", " + grace
	}
	kind := "cron"
	if c.Kind == check.KindOnCalendar {
		kind = "OnCalendar"
	}
	return fmt.Sprintf("%s %s (%s), %s", kind, c.Schedule, c.TZ, grace)
}
