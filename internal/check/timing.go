package check

import (
	"fmt"
	"time"
)

// Per-channel timing: Overdue's extension (issue 16), set on the channel, so one target can be
// reached at once and another later (escalation: Slack at once, the on-call phone after 15
// minutes, two channels). The rules below are what the notifier applies to each delivery; they
// are here, pure, so that they can be tested at fixed instants.
//
//   - Delay: a channel's down alert goes out once the check has been down for Delay. If the
//     outage ends first, the channel gets neither the down nor the up alert.
//   - Repeat: while the check stays down, the down alert goes out again every Repeat.
//   - Neither goes out while the check's alerts are held (a snooze, a maintenance window): it
//     waits until the hold ends, and goes out then if the check is still down.

// Limits of a channel's timing.
const (
	// MaxChannelDelay is the longest Delay: a week, as a snooze.
	MaxChannelDelay = 7 * 24 * time.Hour
	// MinChannelRepeat is the shortest Repeat: a repeat is a reminder, not a stream.
	MinChannelRepeat = 5 * time.Minute
	// MaxChannelRepeat is the longest Repeat.
	MaxChannelRepeat = 31 * 24 * time.Hour
)

// ValidateTiming checks a channel's Delay and Repeat: whole seconds, Delay 0 to a week, Repeat
// 0 (off) or 5 minutes to 31 days. The error is a *FieldError naming the API's field.
func ValidateTiming(delay, repeat time.Duration) error {
	switch {
	case delay < 0 || delay > MaxChannelDelay:
		return &FieldError{Field: "delay", Reason: "is out of range", Hint: fmt.Sprintf("0 (at once) to %d seconds", int64(MaxChannelDelay/time.Second))}
	case delay%time.Second != 0:
		return &FieldError{Field: "delay", Reason: "is not a whole number of seconds"}
	case repeat != 0 && (repeat < MinChannelRepeat || repeat > MaxChannelRepeat):
		return &FieldError{Field: "repeat", Reason: "is out of range",
			Hint: fmt.Sprintf("0 (off) or %d to %d seconds", int64(MinChannelRepeat/time.Second), int64(MaxChannelRepeat/time.Second))}
	case repeat%time.Second != 0:
		return &FieldError{Field: "repeat", Reason: "is not a whole number of seconds"}
	}
	return nil
}

// Timed reports whether the channel has any timing set.
func (ch *Channel) Timed() bool { return ch.Delay > 0 || ch.Repeat > 0 }

// DownAlertAt is when this channel's alert of down flip f goes out, for an outage that began at
// downSince (f.Created for a flip from up; earlier for an alert a snooze or a window held and
// released): downSince plus Delay, and never before the flip itself.
func (ch *Channel) DownAlertAt(f *Flip, downSince time.Time) time.Time {
	if downSince.IsZero() || downSince.After(f.Created) {
		downSince = f.Created
	}
	at := downSince.Add(ch.Delay)
	if at.Before(f.Created) {
		return f.Created
	}
	return at
}

// OutageGoesOn reports whether the outage down flip f began (or continued, for a released alert)
// still goes on for check c: c is down, and of the flips made after f (after, in any order; f
// itself is skipped), none leaves down. A down→down flip (a held alert released) is part of the
// same outage. A delayed or repeated alert is sent only while this holds. Which flips came after
// f is the store's order, not their times: two flips may share an instant.
func OutageGoesOn(c *Check, f *Flip, after []*Flip) bool {
	if c.Status != StatusDown || f.NewStatus != StatusDown {
		return false
	}
	for _, g := range after {
		if g.ID != f.ID && g.NewStatus != StatusDown {
			return false
		}
	}
	return true
}

// AlertsHeldUntil is when the holds on c's alerts at now end: the later of its snooze and
// maintenanceUntil (the end of the maintenance window covering it at now, MaintenanceUntil),
// or the zero Time when nothing holds them. A delayed or repeated alert due while held waits
// until then.
func (c *Check) AlertsHeldUntil(now, maintenanceUntil time.Time) time.Time {
	var until time.Time
	if c.Snoozed(now) {
		until = c.SnoozeUntil
	}
	if maintenanceUntil.After(now) && maintenanceUntil.After(until) {
		until = maintenanceUntil
	}
	return until
}

// DueAlert decides, at now, about a delayed or repeated alert of down flip f that has come due
// for check c: send it (send true), wait until waitUntil because the check's alerts are held
// then, or drop it (both zero) because the outage is over. after are the check's flips made
// after f (newer than it), maintenanceUntil the end of the maintenance window covering c at now (zero: none).
func DueAlert(c *Check, f *Flip, after []*Flip, now, maintenanceUntil time.Time) (send bool, waitUntil time.Time) {
	if !OutageGoesOn(c, f, after) {
		return false, time.Time{}
	}
	if until := c.AlertsHeldUntil(now, maintenanceUntil); !until.IsZero() {
		return false, until
	}
	return true, time.Time{}
}

// NextRepeat is when the repeat of an alert this channel sent at sent is due; the zero Time when
// the channel does not repeat.
func (ch *Channel) NextRepeat(sent time.Time) time.Time {
	if ch.Repeat <= 0 {
		return time.Time{}
	}
	return sent.Add(ch.Repeat)
}
