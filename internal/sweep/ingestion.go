package sweep

import (
	"context"
	"fmt"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// Ingestion tells timeouts that could be Overdue's own fault from real misses. A canary check is
// pinged through Overdue's public ping endpoint every Every (a Heartbeat to its own URL, sent
// before each sweep); its stored pings are the record of when ingestion worked, kept in the
// store like any check's, so every process (the sweep, the timer function, `overdue serve`)
// reads the same answer. Where two consecutive canary pings, or the last one and now, are more
// than Tolerance apart, pings may have been refused or lost: an outage, from the last canary
// ping that got through to the first one after.
//
// A check whose deadline passes with an outage in its ping window (the grace period before the
// deadline, and one canary interval more) is held instead of going down: while the outage lasts,
// it is looked at again every Tolerance; once the outage has ended, it resumes as if it had pinged
// at the recovery, so a job that kept running pings again in time and stays up without anyone
// being alerted, and one that really stopped goes down one period (timeout and grace) after the
// recovery, and alerts then. Deadlines whose ping window saw no outage go down as always.
type Ingestion struct {
	// CanaryID is the canary check: pinged through the public endpoint, never alerting.
	CanaryID string
	// Every is how often the canary is pinged.
	Every time.Duration
	// Tolerance is the longest gap between canary pings that is not an outage (default 3×Every).
	Tolerance time.Duration
	// Log, when set, adds ping intake's counts (IngestCounter) to the canary: minutes in which
	// many ping requests failed (a store in trouble), and a ping rate far below its usual (pings
	// lost before they reach Overdue), are outages too (see judgeIntake). Nil: the canary alone.
	Log store.IngestLog
}

// Outage is a period in which ingestion is not known to have worked. End is the zero Time while
// it lasts.
type Outage struct {
	Start, End time.Time
	// Cause names the signals that saw it (CauseCanary, CauseFailed, CauseRate), comma-separated.
	Cause string
}

// Ongoing reports whether the outage lasts still.
func (o Outage) Ongoing() bool { return o.End.IsZero() }

// canaryHistory is how many of the canary's newest pings are read: the store keeps 100.
const canaryHistory = 100

// Outages reads the canary's pings and returns the outages they show, newest first, with those
// ping intake's counts show when Log is set (overlapping ones merged). Without any canary ping
// yet (a fresh install) the canary shows none: nothing is held for it until it has been seen
// working once. The history is the canary's stored pings, so it reaches back about 100 canary
// intervals; the counts' reaches back an hour.
func (in *Ingestion) Outages(ctx context.Context, st store.Store, now time.Time) ([]Outage, error) {
	out, err := in.canaryOutages(ctx, st, now)
	if err != nil || in.Log == nil {
		return out, err
	}
	intake, err := in.intakeOutages(ctx, now)
	if err != nil {
		return nil, err
	}
	return merge(append(out, intake...)), nil
}

// canaryOutages reads the canary's pings and returns the outages they show, newest first.
func (in *Ingestion) canaryOutages(ctx context.Context, st store.Store, now time.Time) ([]Outage, error) {
	pings, err := st.Pings(ctx, in.CanaryID, canaryHistory)
	if err != nil {
		return nil, fmt.Errorf("read canary %s: %w", in.CanaryID, err)
	}
	tol := in.tolerance()
	var out []Outage
	later, ongoing := now, true // the instant after the ping looked at: now, then the newer ping
	for _, p := range pings {   // newest first
		if later.Sub(p.Created) > tol {
			o := Outage{Start: p.Created, Cause: CauseCanary}
			if !ongoing {
				o.End = later
			}
			out = append(out, o)
		}
		later, ongoing = p.Created, false
	}
	return out, nil
}

// tolerance is Tolerance, or three canary intervals.
func (in *Ingestion) tolerance() time.Duration {
	if in.Tolerance > 0 {
		return in.Tolerance
	}
	return 3 * in.Every
}

// hold decides, for a check found down at now by the sweep, whether its timeout could be
// caused by an outage. It returns false when the check must go down as usual; otherwise true
// and the check's new AlertAfter: now plus the tolerance while the outage lasts (an outage is
// not declared over sooner, and a store in trouble is not asked more often), else the deadline it would
// have had with a ping at the recovery. When that deadline has passed already (a period of
// working ingestion went by without a ping), the check goes down.
func (in *Ingestion) hold(c *check.Check, sched check.Schedule, outages []Outage, now time.Time) (bool, time.Time) {
	// The deadline by the check's last ping, not its AlertAfter: once held, that is the end of
	// the hold, and the ping window must stay where the missed pings were due.
	due := c.GoingDownAfter(sched)
	from := due.Add(-c.Grace - in.Every)
	for _, o := range outages {
		if !o.Ongoing() && !o.End.After(from) || o.Start.After(due) {
			continue // no overlap with the ping window [from, due]
		}
		if o.Ongoing() {
			return true, now.Add(in.tolerance())
		}
		resumed := *c
		resumed.LastPing, resumed.LastStart, resumed.Status = o.End, time.Time{}, check.StatusUp
		next := resumed.GoingDownAfter(sched)
		if next.IsZero() || !next.After(now) {
			return false, time.Time{}
		}
		return true, next
	}
	return false, time.Time{}
}

// lateDoubtful reports whether a late notice for a check whose ping was expected at expected
// could be caused by an outage of ping intake: one overlapping [expected - Every, now]. Such a
// notice is dropped: it is a heads-up, and a false one during Overdue's own outage is worse than
// none (the down alert, if it comes, goes through hold as usual).
func (in *Ingestion) lateDoubtful(expected time.Time, outages []Outage, now time.Time) bool {
	from := expected.Add(-in.Every)
	for _, o := range outages {
		if (o.Ongoing() || o.End.After(from)) && !o.Start.After(now) {
			return true
		}
	}
	return false
}

// Alarm turns the sweeps' view of ingestion into one operator alarm per outage: raised at the
// first sweep that finds an outage ongoing, cleared at the first that finds none. `overdue
// serve` logs both; on AWS the sweep function also emits a metric the stack alarms on.
type Alarm struct {
	raised bool
}

// Observe takes one sweep's result and reports whether it raised the alarm or cleared it.
func (a *Alarm) Observe(res Result) (raised, cleared bool) {
	switch ongoing := res.Outage.Ongoing() && !res.Outage.Start.IsZero(); {
	case ongoing && !a.raised:
		a.raised = true
		return true, false
	case !ongoing && a.raised:
		a.raised = false
		return false, true
	}
	return false, false
}
