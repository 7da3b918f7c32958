// Package checksched evaluates the schedules that checks and maintenance windows keep as text
// (package check stores them, package schedule parses them; neither imports the other): the one
// place that turns a check's kind, expression and zone, or a recurring window's, into a
// check.Schedule, and says what a schedule that no longer parses means. Every service that
// times a check (ingest, the sweep, the notifier, the API) uses it, so they cannot disagree.
package checksched

import (
	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/schedule"
)

// For returns the check's cron or OnCalendar schedule, or nil for a simple check (an untyped
// nil, never a nil pointer in the interface), or the parser's error.
func For(c *check.Check) (check.Schedule, error) {
	if c.Kind == check.KindSimple {
		return nil, nil
	}
	n, err := schedule.ForCheck(string(c.Kind), c.Schedule, c.TZ)
	if err != nil || n == nil {
		return nil, err
	}
	return n, nil
}

// Parent evaluates a parent's schedule (check.DownParent's argument); nil when it cannot: the
// parent is then timed as a simple check, by its timeout, as everywhere a schedule no longer
// parses.
func Parent(c *check.Check) check.Schedule {
	sched, _ := For(c)
	return sched
}

// Window evaluates a recurring maintenance window's schedule (check.MaintenanceUntil's
// argument); nil, the window then never open, when it cannot: it was valid when created, so
// only a zone dropped from tzdata does this.
func Window(w *check.Window) check.Schedule {
	s, err := schedule.Parse(w.Schedule, w.TZ)
	if err != nil {
		return nil
	}
	return s
}
