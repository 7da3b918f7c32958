package check

import (
	"strings"
	"time"
)

// Late notices: Overdue's extension (issue 16, Healthchecks' issue #377). A channel with Late
// set is also told when a check it is assigned to passes its expected time without the ping:
// the check is in its grace period (Healthchecks' "grace" status, which Overdue's pages call
// late). It is a notice, not a status change: the stored status stays up and Healthchecks'
// state machine is unchanged; if the ping then comes, nothing more is sent about it, and if the
// check goes down, the down alert follows as usual.
//
//   - One notice per period: the period is the grace start (the expected time), remembered in
//     LateFor once its notice is made (or dropped), so a second sweep finds nothing to do.
//   - Only for a check whose channels reach a late channel (LateNotice): only such a check is
//     due at its grace start, so the sweep's cost still follows the checks with something due.
//   - Held like other alerts, and then dropped, not owed: no notice while the check is snoozed,
//     flapping, in a maintenance window or while a check it depends on is down; none for a new
//     or paused check, and none while a run is in progress (its start ping came).
//   - The notice is an up→up flip with ReasonLate, made at the grace start: the outbox carries
//     it to the notifier like any alert, which sends it to the check's late channels only.

// ReasonLate is the Reason of a late notice's flip (up→up): the check passed its expected time
// without the ping and is in its grace period.
const ReasonLate = "late"

// ChannelGroup is the kind of a channel that is a group of other channels of its project: its
// Value lists their IDs, comma-separated.
const ChannelGroup = "group"

// IsLate reports whether f is a late notice, not a status change.
func (f *Flip) IsLate() bool {
	return f != nil && f.Reason == ReasonLate && f.OldStatus == StatusUp && f.NewStatus == StatusUp
}

// ReachesLate reports whether channel IDs ids (a check's Channels), among chans (the project's
// channels), reach a channel with Late set: directly, or as a target of a group. A check
// assigned such channels keeps LateNotice set. A disabled channel counts: the notifier skips
// it, and a channel is disabled and enabled again without anyone editing the checks.
func ReachesLate(ids []string, chans []*Channel) bool {
	byID := make(map[string]*Channel, len(chans))
	for _, ch := range chans {
		byID[ch.ID] = ch
	}
	for _, id := range ids {
		ch := byID[id]
		switch {
		case ch == nil:
		case ch.Kind == ChannelGroup:
			for _, t := range strings.Split(ch.Value, ",") {
				if tc := byID[strings.TrimSpace(t)]; tc != nil && tc.Late {
					return true
				}
			}
		case ch.Late:
			return true
		}
	}
	return false
}

// LateAt is when the check's late notice for its current period is due: its grace start (the
// expected time), for an up check with LateNotice set whose run has not started and whose
// notice for that period was not made yet. The zero Time when none is due.
func (c *Check) LateAt(sched Schedule) time.Time {
	if !c.LateNotice || c.Status != StatusUp || c.Started() {
		return time.Time{}
	}
	g := c.GraceStart(sched, false)
	if g.IsZero() || !g.After(c.LateFor) {
		return time.Time{}
	}
	return g
}

// late makes the late notice due at now, if one is: the check is in its grace period at now and
// its notice for this period was not made. The period is then done (LateFor), whether the
// notice goes out or a snooze or flapping holds it (held notices are dropped, not owed: by the
// hold's end the check is up again or down, and the down alert says more). Nil when no notice
// is made.
func (c *Check) late(now time.Time, sched Schedule) *Flip {
	at := c.LateAt(sched)
	if at.IsZero() || now.Before(at) || c.StatusAt(now, sched, false) != StatusGrace {
		return nil
	}
	c.LateFor = at
	if c.Snoozed(now) || c.Flapping() {
		return nil
	}
	return &Flip{CheckID: c.ID, Created: at, OldStatus: StatusUp, NewStatus: StatusUp, Reason: ReasonLate}
}

// HoldLate drops late notice f when a maintenance window covers the check at now (until, the
// window's end, is after now) or a check it depends on is down (parent, nil when none is): the
// notice is not sent, and not owed either. Any other flip is returned as it is.
func (c *Check) HoldLate(f *Flip, until time.Time, parent *Check, now time.Time) *Flip {
	if !f.IsLate() {
		return f
	}
	if until.After(now) || parent != nil {
		return nil
	}
	return f
}
