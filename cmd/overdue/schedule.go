package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/overduehq/overdue/internal/schedule"
)

// cmdSchedule is `overdue schedule [--tz ZONE] [--after RFC3339] [-n N] [--json] EXPR`: a preview of
// an expression's next fire times, in UTC and in its zone.
func cmdSchedule(args []string, stdout, _ io.Writer) error {
	fs := newFlags("schedule")
	tz := fs.String("tz", "UTC", "time zone the expression is evaluated in")
	after := fs.String("after", "", "start instant, RFC 3339 (default now)")
	n := fs.Int("n", 5, "how many fire times to show (1-1000)")
	asJSON := fs.Bool("json", false, `print {"next": [...]} with UTC RFC 3339 times`)
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return err
	}
	switch {
	case len(pos) == 0:
		return usagef(`schedule: missing expression, e.g. overdue schedule "*/5 * * * *"`)
	case len(pos) > 1:
		return usagef("schedule: one expression expected, got %d arguments (quote the expression)", len(pos))
	case *n < 1 || *n > 1000:
		return usagef("schedule: -n %d: want 1 to 1000", *n)
	}
	start := time.Now().UTC()
	if *after != "" {
		start, err = time.Parse(time.RFC3339, *after)
		if err != nil {
			return usagef("schedule: --after %q: not an RFC 3339 time such as 2026-11-24T20:00:00Z", *after)
		}
	}
	zone, err := schedule.CanonicalZone(*tz)
	if err != nil {
		return usagef("schedule: --tz %q: not a known time zone (use an IANA name such as Europe/Riga)", *tz)
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return fmt.Errorf("load time zone %s: %w", zone, err)
	}
	s, err := schedule.Parse(pos[0], zone)
	if err != nil {
		return usagef("schedule %q: %s", pos[0], scheduleReason(err))
	}
	var next []time.Time
	t := start
	for len(next) < *n {
		t = s.Next(t)
		if t.IsZero() {
			break
		}
		next = append(next, t)
	}
	if *asJSON {
		out := make([]string, len(next))
		for i, t := range next {
			out[i] = t.UTC().Format(time.RFC3339)
		}
		return writeJSON(stdout, map[string][]string{"next": out})
	}
	if len(next) == 0 {
		fmt.Fprintf(stdout, "%s (%s) never fires after %s\n", pos[0], s.Kind(), start.Format(time.RFC3339))
		return nil
	}
	for _, t := range next {
		fmt.Fprintf(stdout, "%s  %s\n", t.UTC().Format(time.RFC3339), t.In(loc).Format("2006-01-02 15:04:05 MST (Mon)"))
	}
	return nil
}

// scheduleReason is the reason an expression was refused: the libraries' text, and for a wrong
// field count what each syntax takes, since the text alone does not say which was meant.
func scheduleReason(err error) string {
	if errors.Is(err, schedule.ErrFieldCount) {
		return err.Error() + ` (cron takes 5 fields, "minute hour day-of-month month day-of-week", or 6 with seconds first; OnCalendar takes "[weekday] [date] [time] [zone]", e.g. "Mon..Fri *-*-* 09:00")`
	}
	return err.Error()
}
