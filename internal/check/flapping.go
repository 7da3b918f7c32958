package check

import (
	"fmt"
	"time"
)

// FailureRate is the failure_rate rule: the check goes down at Failures failure signals within
// Window. The zero FailureRate is off.
type FailureRate struct {
	Failures int
	Window   time.Duration
}

// On reports whether the rule is set.
func (r FailureRate) On() bool { return r.Failures > 0 }

// FlapRule is the flapping rule: a check whose status changes (up to down or down to up) more
// than Changes times within Window is flapping. The zero FlapRule is off.
type FlapRule struct {
	Changes int
	Window  time.Duration
}

// On reports whether the rule is set.
func (r FlapRule) On() bool { return r.Changes > 0 }

// Limits of the failure rate and flapping rules.
const (
	// MaxRuleCount bounds FailureRate.Failures and FlapRule.Changes: the check keeps that many
	// instants.
	MaxRuleCount = 100
	// MaxRuleWindow bounds their windows: a week.
	MaxRuleWindow = 7 * 24 * time.Hour
)

// validateCount checks a count and window pair of the API's field (failure_rate, flapping),
// whose members are named count and "minutes".
func validateCount(field, count string, n int, window time.Duration) error {
	if n == 0 && window == 0 {
		return nil
	}
	if n < 1 || n > MaxRuleCount {
		return &FieldError{Field: field, Reason: "has " + count + " out of range", Hint: fmt.Sprintf("1 to %d, or leave the rule out (off)", MaxRuleCount)}
	}
	if window < time.Minute || window > MaxRuleWindow || window%time.Minute != 0 {
		return &FieldError{Field: field, Reason: "has minutes out of range", Hint: fmt.Sprintf("whole minutes, 1 to %d (a week)", int64(MaxRuleWindow/time.Minute))}
	}
	return nil
}

// recent keeps the instants of ts within window before now (strictly later than now - window),
// at most the newest keep of them, in a new slice.
func recent(ts []time.Time, now time.Time, window time.Duration, keep int) []time.Time {
	cut := now.Add(-window)
	var out []time.Time
	for _, t := range ts {
		if t.After(cut) {
			out = append(out, t)
		}
	}
	if len(out) > keep {
		out = out[len(out)-keep:]
	}
	return out
}

// Flapping: a check with Flap on counts its changes between up and down. The change that makes
// more than Flap.Changes of them within Flap.Window is the flapping notice: its flip goes out as
// any would (subject to a snooze, a window or a dependency like any flip), marked
// ReasonFlapping, and FlapSent remembers the status people were last told: the notice's, or
// while a rule holds the notice, the one before it (and down once a held notice is released). From then on every change is
// recorded but held (processed at once, Note NoteFlapping): nobody hears of it. The check
// settles when it has not changed for Flap.Window: then, if its status differs from the one last
// announced, one flip with the current status goes out (ReasonSettled); otherwise nothing.

// isChange reports whether f is a change Flap counts: up to down or down to up. New, paused and
// resumed checks, and alerts a rule released (down to down), are not changes.
func isChange(f *Flip) bool {
	switch {
	case f == nil || f.OldStatus == f.NewStatus:
		return false
	case f.OldStatus == StatusUp && f.NewStatus == StatusDown, f.OldStatus == StatusDown && f.NewStatus == StatusUp:
		return true
	}
	return false
}

// Flapping reports whether the check is flapping: its alerts are held until it settles.
func (c *Check) Flapping() bool { return c.FlapSent != "" }

// flap applies the flapping rule to f, a flip the check just made at now.
func (c *Check) flap(f *Flip, now time.Time) {
	if !c.Flap.On() || !isChange(f) {
		return
	}
	c.ChangeTimes = recent(append(c.ChangeTimes, f.Created), f.Created, c.Flap.Window, c.Flap.Changes+1)
	switch {
	case c.Flapping():
		f.Processed = now
		f.Note = NoteFlapping
	case len(c.ChangeTimes) > c.Flap.Changes:
		f.Reason = ReasonFlapping
		c.FlapSent = f.NewStatus
	}
}

// heldNotice records that f, a down flip a rule is holding, was not told: if it is the flapping
// notice, the status last told is still the one before it.
func (c *Check) heldNotice(f *Flip) {
	if f.Reason == ReasonFlapping && c.Flapping() {
		c.FlapSent = f.OldStatus
	}
}

// settleAt is when a flapping check settles if it does not change again: one Flap.Window after
// its last change. Zero when it is not flapping.
func (c *Check) settleAt() time.Time {
	if !c.Flapping() || len(c.ChangeTimes) == 0 {
		return time.Time{}
	}
	return c.ChangeTimes[len(c.ChangeTimes)-1].Add(c.Flap.Window)
}

// settle ends flapping once it is over at now, and returns the one flip owed then: the current
// status, when it differs from the last announced, at the instant the check settled. A check
// that went down by itself before it would have settled has changed again; it does not settle
// (Sweep takes it down first, and that change is held).
func (c *Check) settle(now time.Time, sched Schedule) *Flip {
	at := c.settleAt()
	if at.IsZero() || now.Before(at) {
		return nil
	}
	if c.Status == StatusUp {
		if d := c.GoingDownAfter(sched); !d.IsZero() && d.Before(at) {
			return nil
		}
	}
	sent := c.FlapSent
	c.FlapSent, c.ChangeTimes = "", nil
	if c.Status == sent || (c.Status != StatusUp && c.Status != StatusDown) {
		return nil
	}
	return &Flip{CheckID: c.ID, Created: at, OldStatus: c.Status, NewStatus: c.Status, Reason: ReasonSettled}
}
