package check

import (
	"fmt"
	"time"
)

// Alert rules: Overdue's extensions to Healthchecks' status machine (issue 16). Each is off at
// its zero value, and a check with every rule off takes exactly the paths Healthchecks' rules
// take, so its statuses, flips and alerts are unchanged.
//
//   - Run-time bounds: StartGrace (a start ping is due within it of the expected time),
//     MaxRuntime (a started run must finish within it), MinRuntime (a success sooner than it
//     after its start is a failure).
//   - Failure tolerance: the check goes down at the FailureTolerance-th consecutive failure
//     signal. Every failure is still recorded as a ping; only the status waits.
//   - Snooze: until SnoozeUntil, a check may still go down (its status stays truthful), but the
//     down flip is recorded as processed, so nobody is alerted, and the check remembers the alert
//     it owes (HeldReason). If it is still down when the snooze ends, one alert goes out then; if
//     it came back up before, neither the down nor the up is sent.

// Limits of the rules, as the API and the CLI accept them.
const (
	// MaxSnooze is the longest snooze: a week.
	MaxSnooze = 7 * 24 * time.Hour
	// MaxFailureTolerance is the largest FailureTolerance.
	MaxFailureTolerance = 100
	// MaxRuleDuration bounds StartGrace, MaxRuntime and MinRuntime, like a timeout.
	MaxRuleDuration = MaxTimeout
)

// ValidateRules checks the rules' configuration: durations not negative and at most a year,
// the tolerance within 0..MaxFailureTolerance, and MinRuntime below MaxRuntime when both are set
// (otherwise no run could ever succeed). The error is a *FieldError naming the API's field.
func (c *Check) ValidateRules() error {
	for _, d := range []struct {
		field string
		v     time.Duration
	}{{"start_grace", c.StartGrace}, {"max_runtime", c.MaxRuntime}, {"min_runtime", c.MinRuntime}} {
		if d.v < 0 {
			return &FieldError{Field: d.field, Reason: "is too small", Hint: "0 (off) or more seconds"}
		}
		if d.v > MaxRuleDuration {
			return &FieldError{Field: d.field, Reason: "is too large", Hint: fmt.Sprintf("at most %d seconds", int64(MaxRuleDuration/time.Second))}
		}
	}
	if c.FailureTolerance < 0 || c.FailureTolerance > MaxFailureTolerance {
		return &FieldError{Field: "failure_tolerance", Reason: "is out of range", Hint: fmt.Sprintf("0 to %d", MaxFailureTolerance)}
	}
	if c.MinRuntime > 0 && c.MaxRuntime > 0 && c.MinRuntime >= c.MaxRuntime {
		return &FieldError{Field: "min_runtime", Reason: "is not below max_runtime", Hint: "no run could succeed; lower min_runtime or raise max_runtime"}
	}
	if err := validateCount("failure_rate", "failures", c.FailureRate.Failures, c.FailureRate.Window); err != nil {
		return err
	}
	if c.FailureRate.On() && c.FailureTolerance > 1 {
		return &FieldError{Field: "failure_rate", Reason: "and failure_tolerance exclude each other",
			Hint: "set one: failure_tolerance counts failures in a row, failure_rate failures within minutes; 0 (or null) turns the other off"}
	}
	if err := validateCount("flapping", "changes", c.Flap.Changes, c.Flap.Window); err != nil {
		return err
	}
	return ValidateDependsOn(c.DependsOn)
}

// runLimit is how long a started run may take: MaxRuntime when set, else Grace.
func (c *Check) runLimit() time.Duration {
	if c.MaxRuntime > 0 {
		return c.MaxRuntime
	}
	return c.Grace
}

// startLimit is how long after the expected time a check without a run in progress may stay
// silent: StartGrace when set (it waits for a start), else Grace (it waits for any ping).
func (c *Check) startLimit() time.Duration {
	if c.StartGrace > 0 && c.LastStart.IsZero() {
		return c.StartGrace
	}
	return c.Grace
}

// deadline is when the check goes down by itself if nothing arrives, and the reason its flip
// will carry; the zero Time when it cannot go down by itself.
func (c *Check) deadline(sched Schedule) (time.Time, string) {
	running := !c.LastStart.IsZero() && c.Status != StatusDown
	if running && c.MaxRuntime > 0 {
		return c.LastStart.Add(c.MaxRuntime), ReasonRuntime
	}
	g := c.GraceStart(sched, true)
	if g.IsZero() {
		return g, ReasonNone
	}
	if !running && c.StartGrace > 0 {
		return g.Add(c.StartGrace), ReasonNoStart
	}
	return g.Add(c.Grace), ReasonTimeout
}

// NextDue is when the sweep must look at the check again: when it goes down by itself
// (GoingDownAfter), or, for a check that went down while snoozed, when the snooze ends and the
// held alert is owed. The zero Time means nothing is due. AlertAfter caches it.
//
// A flapping check is also due when it would settle (Flap), and a check with a late channel at
// its grace start (LateAt): the earliest counts.
func (c *Check) NextDue(sched Schedule) time.Time {
	due := c.GoingDownAfter(sched)
	if c.Status == StatusDown && c.HeldReason != "" {
		due = c.heldUntil()
	}
	if s := c.settleAt(); !s.IsZero() && (due.IsZero() || s.Before(due)) {
		due = s
	}
	if l := c.LateAt(sched); !l.IsZero() && (due.IsZero() || l.Before(due)) {
		due = l
	}
	return due
}

// Snoozed reports whether the check's down alerts are held at now.
func (c *Check) Snoozed(now time.Time) bool { return now.Before(c.SnoozeUntil) }

// Snooze holds the check's down alerts for d from now (at most MaxSnooze); d = 0 ends a snooze.
// Ending it, by 0, while the check is down with an alert held returns that alert's flip, sent
// now; otherwise nil. A snooze set while the check is already down changes nothing about the
// alert that went out.
func (c *Check) Snooze(d time.Duration, now time.Time, sched Schedule) (*Flip, error) {
	if d < 0 || d > MaxSnooze {
		return nil, &FieldError{Field: "minutes", Reason: "is out of range", Hint: "0 (end the snooze) to 10080 (a week)"}
	}
	var f *Flip
	if d == 0 {
		c.SnoozeUntil = time.Time{}
		if c.HeldReason != "" {
			c.HeldUntil = now
		}
		f = c.releaseHeld(now)
	} else {
		c.SnoozeUntil = now.Add(d)
		if c.HeldReason != "" {
			// An owed alert follows the snooze, longer or shorter (a maintenance window may
			// hold it again when it comes due).
			c.HeldUntil = c.SnoozeUntil
		}
	}
	c.AlertAfter = c.NextDue(sched)
	return f, nil
}

// hold applies the snooze to a flip the check just made at now: a down flip while snoozed is
// recorded as processed (nobody is alerted) and its reason is remembered as owed; an up flip
// that ends a down nobody was told of is silent too, and settles the debt.
func (c *Check) hold(f *Flip, now time.Time) {
	switch {
	case f.NewStatus == StatusDown && c.Snoozed(now) && f.Note != NoteFlapping:
		f.Processed = now
		c.heldNotice(f)
		c.HeldReason = f.Reason
		if c.HeldReason == ReasonNone {
			c.HeldReason = ReasonFail
		}
		c.HeldUntil = c.SnoozeUntil
	case f.NewStatus != StatusDown && c.HeldReason != "":
		f.Processed = now
		c.HeldReason, c.HeldUntil = "", time.Time{}
		c.HeldParent, c.HeldNote = "", ""
	}
}

// releaseHeld is the alert a snooze held, once the snooze is over and the check is still down:
// a down→down flip at the snooze's end (or now, when it was ended early) with the reason the
// check went down. Nil when nothing is owed or the snooze still runs.
func (c *Check) releaseHeld(now time.Time) *Flip {
	if c.HeldReason == "" || c.Status != StatusDown || now.Before(c.heldUntil()) {
		return nil
	}
	at := c.heldUntil()
	if at.IsZero() || at.After(now) || c.HeldParent != "" {
		// An alert a parent held goes out when the parent is seen up: now.
		at = now
	}
	f := &Flip{CheckID: c.ID, Created: at, OldStatus: StatusDown, NewStatus: StatusDown, Reason: c.HeldReason}
	c.HeldReason, c.HeldUntil = "", time.Time{}
	c.HeldParent, c.HeldNote = "", ""
	if c.Flapping() {
		c.FlapSent = StatusDown // the held notice, told now
	}
	return f
}

// afterSignal is the status a success or failure signal leads to, with the flip's reason. A
// success sooner than MinRuntime after its start (LastDuration, just measured) is a failure.
// Failures count in FailStreak; under FailureTolerance they leave an up or down check as it is
// (and make a new or paused one up: it is being monitored now), so only the status waits.
//
// With FailureRate on, failures count in FailTimes instead: the check goes down at the
// FailureRate.Failures-th failure within FailureRate.Window (successes in between do not reset
// it), and the count starts again from nothing once it has.
func (c *Check) afterSignal(kind PingKind, now time.Time) (Status, string) {
	failed, reason := kind == PingFail, ReasonFail
	if kind == PingSuccess && c.MinRuntime > 0 && c.LastDuration > 0 && c.LastDuration < c.MinRuntime {
		failed, reason = true, ReasonTooFast
	}
	if !failed {
		c.FailStreak = 0
		return StatusUp, ReasonNone
	}
	c.FailStreak++
	if c.FailureRate.On() {
		c.FailTimes = recent(append(c.FailTimes, now), now, c.FailureRate.Window, c.FailureRate.Failures)
		if len(c.FailTimes) >= c.FailureRate.Failures {
			c.FailTimes = nil
			return StatusDown, reason
		}
	} else if c.FailStreak >= c.FailureTolerance {
		return StatusDown, reason
	}
	if c.Status == StatusNew || c.Status == StatusPaused {
		return StatusUp, ReasonNone
	}
	return c.Status, ReasonNone
}

// heldUntil is when the held alert is due: HeldUntil, or for an alert a version 9 build held
// (which recorded no HeldUntil), the end of the snooze that held it.
func (c *Check) heldUntil() time.Time {
	if c.HeldUntil.IsZero() {
		return c.SnoozeUntil
	}
	return c.HeldUntil
}
