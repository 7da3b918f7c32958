package check

import (
	"fmt"
	"strings"
	"time"
)

// Window is a maintenance window: a time when a check that misses or fails alerts nobody. It is
// one-off (Start to End) or recurring (each fire time of Schedule, a cron or OnCalendar
// expression in TZ, opens it for Duration), and it covers one check (CheckID), every check with
// a tag (Tag), or, with neither, every check of its project.
type Window struct {
	ID        string
	ProjectID string
	CheckID   string
	Tag       string
	Start     time.Time // one-off
	End       time.Time
	Schedule  string // recurring
	TZ        string
	Duration  time.Duration
	Created   time.Time
}

// Limits of maintenance windows.
const (
	// MaxWindowDuration bounds a recurring window's Duration, and a one-off window's length.
	MaxWindowDuration = 31 * 24 * time.Hour
	// MaxWindows is how many windows a project may have: every down flip of the project reads
	// them all.
	MaxWindows = 100
	// maxOccurrences bounds the fire times OpenUntil walks back over (a minutely schedule with a
	// long duration): past it, the latest occurrence found stands.
	maxOccurrences = 10000
)

// Recurring reports whether w is a recurring window.
func (w *Window) Recurring() bool { return w.Schedule != "" }

// Validate checks a window's own fields (the schedule's syntax is the caller's, which can parse
// it): one-off or recurring, not both; End after Start; a Duration of one minute to 31 days; a
// tag without spaces; not a check and a tag at once.
func (w *Window) Validate() error {
	switch {
	case w.CheckID != "" && w.Tag != "":
		return &FieldError{Field: "check", Reason: "and tag exclude each other", Hint: "a window covers one check, a tag, or (with neither) the project"}
	case strings.ContainsAny(w.Tag, " \t\r\n"):
		return &FieldError{Field: "tag", Reason: "contains a space", Hint: "one tag"}
	case w.Recurring() && (!w.Start.IsZero() || !w.End.IsZero()):
		return &FieldError{Field: "schedule", Reason: "and start/end exclude each other", Hint: "a window is one-off (start, end) or recurring (schedule, duration, tz)"}
	case w.Recurring() && (w.Duration < time.Minute || w.Duration > MaxWindowDuration):
		return &FieldError{Field: "duration", Reason: "is out of range", Hint: fmt.Sprintf("60 to %d seconds", int64(MaxWindowDuration/time.Second))}
	case !w.Recurring() && (w.Start.IsZero() || w.End.IsZero()):
		return &FieldError{Field: "start", Reason: "and end are required", Hint: "or a schedule and a duration for a recurring window"}
	case !w.Recurring() && !w.End.After(w.Start):
		return &FieldError{Field: "end", Reason: "is not after start"}
	case !w.Recurring() && w.End.Sub(w.Start) > MaxWindowDuration:
		return &FieldError{Field: "end", Reason: "is too far after start", Hint: "at most 31 days"}
	case !w.Recurring() && w.Duration != 0:
		return &FieldError{Field: "duration", Reason: "is for recurring windows", Hint: "a one-off window has start and end"}
	}
	return nil
}

// Covers reports whether the window applies to check c.
func (w *Window) Covers(c *Check) bool {
	switch {
	case w.ProjectID != c.ProjectID:
		return false
	case w.CheckID != "":
		return w.CheckID == c.ID
	case w.Tag != "":
		for _, t := range c.TagList() {
			if t == w.Tag {
				return true
			}
		}
		return false
	}
	return true
}

// OpenUntil is the end of the window's occurrence open at now (Start ≤ now < End), or the zero
// Time when none is. sched is the window's Schedule evaluated (nil for a one-off window). Of
// overlapping occurrences, the one that ends last counts.
func (w *Window) OpenUntil(now time.Time, sched Schedule) time.Time {
	if !w.Recurring() {
		if !now.Before(w.Start) && now.Before(w.End) {
			return w.End
		}
		return time.Time{}
	}
	if sched == nil {
		return time.Time{}
	}
	// An occurrence open at now started in (now-Duration, now].
	var last time.Time
	t := sched.Next(now.Add(-w.Duration))
	for i := 0; i < maxOccurrences && !t.IsZero() && !t.After(now); i++ {
		last = t
		t = sched.Next(t)
	}
	if last.IsZero() {
		return time.Time{}
	}
	return last.Add(w.Duration)
}

// MaintenanceUntil is when the maintenance covering c at now ends: the latest end among the
// windows that cover c and are open at now, or the zero Time when none is. schedOf evaluates a
// recurring window's schedule (nil when it cannot).
func MaintenanceUntil(c *Check, windows []*Window, now time.Time, schedOf func(*Window) Schedule) time.Time {
	var until time.Time
	for _, w := range windows {
		if !w.Covers(c) {
			continue
		}
		var sched Schedule
		if w.Recurring() {
			sched = schedOf(w)
		}
		if end := w.OpenUntil(now, sched); end.After(until) {
			until = end
		}
	}
	return until
}

// Hold keeps the alert of f, a flip c just made at now, from anyone until until, the end of a
// maintenance window open at now: a down flip is recorded as processed and its alert owed (as a
// snooze does), and an owed alert being released (down→down, from Sweep or Snooze) is taken back
// and owed until then. It returns the flip to write: nil when the release was taken back. Flips
// to other statuses, and a zero until, are returned as they are.
func (c *Check) Hold(f *Flip, until, now time.Time) *Flip {
	if f == nil || f.NewStatus != StatusDown || !until.After(now) || f.Note == NoteFlapping {
		return f
	}
	if f.OldStatus == StatusDown && f.Processed.IsZero() {
		// A released alert: owed again, until the window ends.
		c.HeldReason = f.Reason
		c.HeldUntil = laterOf(c.heldUntil(), until)
		c.AlertAfter = c.HeldUntil
		return nil
	}
	if f.Processed.IsZero() {
		f.Processed = now
		c.heldNotice(f)
	}
	c.HeldReason = f.Reason
	if c.HeldReason == ReasonNone {
		c.HeldReason = ReasonFail
	}
	c.HeldUntil = laterOf(c.heldUntil(), until)
	c.AlertAfter = c.HeldUntil
	return f
}

func laterOf(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
