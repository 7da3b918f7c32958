// Package check is Overdue's domain: projects, checks, pings, flips and channels, and the status
// machine that decides whether a check is up, in its grace period or down.
//
// The package is pure. It does no I/O, reads no clock and carries no struct tags: every method
// that depends on time takes the instant as an argument, and schedules (cron, OnCalendar) come in
// through the small Schedule interface so that this package imports nothing else of ours. The
// rules follow Healthchecks (hc/api/models.py) closely; where the code below looks odd, the
// comment says which Healthchecks behaviour it reproduces.
package check

import (
	"time"
)

// Kind is how a check's expected ping times are defined.
type Kind string

// The check kinds.
const (
	KindSimple     Kind = "simple"     // a ping is expected every Timeout
	KindCron       Kind = "cron"       // a ping is expected at each cron fire time
	KindOnCalendar Kind = "oncalendar" // a ping is expected at each systemd OnCalendar time
)

// Status is a check's state. Stored statuses are new, up, down and paused; grace and started are
// only ever reported (computed at an instant), never stored.
type Status string

// The statuses.
const (
	StatusNew     Status = "new"
	StatusUp      Status = "up"
	StatusGrace   Status = "grace"
	StatusDown    Status = "down"
	StatusPaused  Status = "paused"
	StatusStarted Status = "started"
	// StatusUnknown is reported, never stored: the check is past its deadline, but its timeout
	// is held because Overdue's own ping intake had an outage in its ping window (Unknown).
	StatusUnknown Status = "unknown"
)

// Defaults and limits of a check, as in Healthchecks.
const (
	DefaultTimeout = 24 * time.Hour
	DefaultGrace   = time.Hour
	MinTimeout     = time.Minute
	MaxTimeout     = 365 * 24 * time.Hour
	// MaxDuration is the longest start→finish gap reported as a run duration.
	MaxDuration = 72 * time.Hour
	// MaxUserAgent is how many characters of a User-Agent are kept.
	MaxUserAgent = 200
)

// Schedule is what the status machine needs of a cron or OnCalendar expression: the first fire
// time strictly after an instant, or the zero Time when there is none. Simple checks have no
// schedule (nil).
type Schedule interface {
	Next(after time.Time) time.Time
}

// Project owns checks and channels. Its keys are stored only as hashes (see HashKey).
type Project struct {
	ID      string
	Name    string
	Created time.Time
	// APIKeyHash and ReadOnlyKeyHash are HashKey of the read-write and read-only API keys.
	APIKeyHash      string
	ReadOnlyKeyHash string
	// PingKeyHash is HashKey of the ping key used in slug URLs.
	PingKeyHash string
	// BadgeKey is the public key in badge URLs; it grants nothing, so it is stored plainly.
	BadgeKey string
}

// Check is a monitored job.
type Check struct {
	ID        string // the public UUID ("uuid" in the API, "code" in Healthchecks)
	ProjectID string
	Name      string
	Slug      string
	Tags      string // space-separated
	Desc      string
	Created   time.Time

	Kind     Kind
	Timeout  time.Duration // KindSimple only
	Schedule string        // KindCron and KindOnCalendar
	TZ       string
	Grace    time.Duration

	Methods           string // "" (any method counts) or "POST"
	ManualResume      bool
	StartKw           string
	SuccessKw         string
	FailureKw         string
	FilterSubject     bool
	FilterBody        bool
	FilterHTTPBody    bool
	FilterDefaultFail bool

	BadgeKey string
	Channels []string // IDs of the channels this check notifies

	// Status is the stored status: new, up, down or paused.
	Status       Status
	NPings       int
	LastPing     time.Time // zero: none
	LastStart    time.Time // zero: not running
	LastStartRID string
	LastDuration time.Duration // zero: unknown
	// Runs are the newest finished runs, oldest first, at most KeptRuns (runs.go): the run
	// strip of the checks page, kept with the check so that listing checks needs no pings.
	Runs []Run
	// RunsN is the NPings up to which Runs is complete (RunsCurrent): a build that does not
	// keep runs counts pings without moving it.
	RunsN int
	// AlertAfter caches NextDue: when the sweep must look at the check again. Zero means
	// nothing about the check is due (new, paused, down without a held alert).
	AlertAfter time.Time

	// Alert rules, Overdue's extensions (rules.go). Their zero values are Healthchecks'
	// behaviour, so a check that sets none behaves exactly as before.

	// StartGrace, when set, is how long after the expected time the start ping may come; a
	// check not started by then goes down as "did not start" (ReasonNoStart).
	StartGrace time.Duration
	// MaxRuntime, when set, is how long a started run may take; past it the check goes down as
	// "running too long" (ReasonRuntime). Unset, Grace bounds a run, as in Healthchecks.
	MaxRuntime time.Duration
	// MinRuntime, when set, is the shortest plausible run: a success that comes sooner after
	// its start counts as a failure, "finished too fast" (ReasonTooFast).
	MinRuntime time.Duration
	// FailureTolerance is how many consecutive failure signals take the check down: it goes
	// down at the FailureTolerance-th. 0 and 1 both mean the first, as in Healthchecks.
	FailureTolerance int
	// SnoozeUntil holds the check's down alerts until then; zero or past: not snoozed.
	SnoozeUntil time.Time

	// FailStreak counts the failure signals since the last success (state, not configuration).
	FailStreak int
	// HeldReason is the reason of a down flip a snooze or a maintenance window kept silent:
	// while the check stays down, an alert with this reason is owed at HeldUntil. Empty when
	// none is owed.
	HeldReason string
	// HeldUntil is when the owed alert is due: the end of the snooze or of the maintenance
	// window that held it, or for an alert a check it depends on holds, the next look at that
	// check (DependencyRecheck).
	HeldUntil time.Time

	// DependsOn lists the IDs of the checks of the same project this one depends on: while one
	// of them is down, this check's down alerts are held (depends.go).
	DependsOn []string
	// FailureRate, when on, takes the check down at Failures failure signals within Window,
	// instead of at the first (or the FailureTolerance-th consecutive) one.
	FailureRate FailureRate
	// Flap, when on, detects flapping: more than Changes status changes within Window send one
	// notice and hold further alerts until the check settles (flapping.go).
	Flap FlapRule

	// HeldParent is the ID of the check whose down holds the owed alert (HeldReason), and
	// HeldNote says so in words ("held: db is down"); both empty otherwise.
	HeldParent string
	HeldNote   string
	// FailTimes are the failure signals FailureRate counts: the newest, at most Failures, none
	// older than Window.
	FailTimes []time.Time
	// ChangeTimes are the status changes Flap counts: the newest, at most Changes+1.
	ChangeTimes []time.Time
	// FlapSent is, while the check is flapping, the status of the last alert that went out (the
	// flapping notice's); empty when it is not flapping.
	FlapSent Status

	// LateNotice says the check's channels reach a channel with Late set (ReachesLate): only
	// then is the check due at its grace start, for the late notice (late.go). Whoever assigns
	// channels or changes a channel's Late keeps it.
	LateNotice bool
	// LateFor is the grace start of the last period whose late notice was made (or dropped by
	// a hold): one notice per period. Zero: none yet.
	LateFor time.Time
}

// New returns a check with Healthchecks' defaults: simple, timeout one day, grace one hour,
// status new, time zone UTC.
func New(id, projectID string, created time.Time) *Check {
	return &Check{
		ID:        id,
		ProjectID: projectID,
		Created:   created,
		Kind:      KindSimple,
		Timeout:   DefaultTimeout,
		Grace:     DefaultGrace,
		Schedule:  "* * * * *",
		TZ:        "UTC",
		Status:    StatusNew,
	}
}

// TagList splits Tags on spaces, dropping empty entries.
func (c *Check) TagList() []string {
	var tags []string
	start := -1
	for i := 0; i <= len(c.Tags); i++ {
		if i == len(c.Tags) || c.Tags[i] == ' ' {
			if start >= 0 {
				tags = append(tags, c.Tags[start:i])
				start = -1
			}
			continue
		}
		if start < 0 {
			start = i
		}
	}
	return tags
}

// GraceStart is when the next ping is expected (the start of the grace period), or the zero Time
// for "never". With withStarted, a run in progress moves it to the run's start, because a run
// that does not finish within the grace time is down.
func (c *Check) GraceStart(sched Schedule, withStarted bool) time.Time {
	var result time.Time
	if c.Status == StatusUp && !c.LastPing.IsZero() {
		switch {
		case c.Kind == KindSimple || sched == nil:
			result = c.LastPing.Add(c.Timeout)
		default:
			result = sched.Next(c.LastPing)
		}
	}
	if withStarted && !c.LastStart.IsZero() && c.Status != StatusDown {
		if result.IsZero() || c.LastStart.Before(result) {
			result = c.LastStart
		}
	}
	return result
}

// GoingDownAfter is when the check goes down if no further ping arrives, or the zero Time when it
// cannot go down by itself. NextDue, which AlertAfter caches, starts from it.
func (c *Check) GoingDownAfter(sched Schedule) time.Time {
	at, _ := c.deadline(sched)
	return at
}

// NextPing is the API's next_ping: the grace start including a run in progress (Healthchecks
// reports last_start while a run is in progress), or zero for none.
func (c *Check) NextPing(sched Schedule) time.Time {
	return c.GraceStart(sched, true)
}

// StatusAt computes the status reported at now. withStarted reports a run in progress as
// "started" (API v1); v2 and later report the underlying status and a separate started flag.
// Boundaries are inclusive, as in Healthchecks: exactly at the expected time the check is in
// grace, exactly at expected + grace it is down.
//
// With MaxRuntime set, a run in progress is bounded by it alone: the check is up until then,
// whatever the schedule says. With StartGrace set and no run in progress, the check is down at
// the expected time plus StartGrace instead of plus Grace.
func (c *Check) StatusAt(now time.Time, sched Schedule, withStarted bool) Status {
	if !c.LastStart.IsZero() {
		if !now.Before(c.LastStart.Add(c.runLimit())) {
			return StatusDown
		}
		if withStarted {
			return StatusStarted
		}
	}
	if c.Status == StatusNew || c.Status == StatusPaused || c.Status == StatusDown {
		return c.Status
	}
	if c.MaxRuntime > 0 && !c.LastStart.IsZero() {
		return StatusUp
	}
	g := c.GraceStart(sched, false)
	if g.IsZero() {
		return StatusUp
	}
	if !now.Before(g.Add(c.startLimit())) {
		return StatusDown
	}
	if !now.Before(g) {
		return StatusGrace
	}
	return StatusUp
}

// Unknown reports whether the check is held at now: it would be down by its last ping, yet it
// is not, because the sweep moved its AlertAfter past its deadline instead of taking it down (an
// outage of Overdue's own ping intake covered its ping window; see internal/sweep). Whether
// its job ran is not known until it pings again or the held deadline passes.
func (c *Check) Unknown(now time.Time, sched Schedule) bool {
	return c.Status == StatusUp && c.AlertAfter.After(now) && c.StatusAt(now, sched, false) == StatusDown
}

// ReportedStatus is StatusAt, except StatusUnknown while the check is held (Unknown). Only
// Overdue's own views (API v3, the dashboard) report unknown; Healthchecks' do not know it.
func (c *Check) ReportedStatus(now time.Time, sched Schedule, withStarted bool) Status {
	if c.Unknown(now, sched) {
		return StatusUnknown
	}
	return c.StatusAt(now, sched, withStarted)
}

// Started reports whether a run is in progress (v2/v3 "started").
func (c *Check) Started() bool { return !c.LastStart.IsZero() }

// Pause pauses the check at now. It returns the flip to record, or nil when the check was already
// paused (a repeated pause changes nothing). Pause flips are recorded as processed: they are
// never notified.
func (c *Check) Pause(now time.Time) *Flip {
	if c.Status == StatusPaused {
		return nil
	}
	f := &Flip{CheckID: c.ID, Created: now, Processed: now, OldStatus: c.Status, NewStatus: StatusPaused}
	c.Status = StatusPaused
	c.LastStart = time.Time{}
	c.LastStartRID = ""
	c.AlertAfter = time.Time{}
	c.HeldReason, c.HeldUntil = "", time.Time{} // a paused check owes no one an alert
	c.HeldParent, c.HeldNote = "", ""
	c.FailTimes, c.ChangeTimes, c.FlapSent = nil, nil, ""
	return f
}

// ErrNotPaused is returned by Resume for a check that is not paused.
var ErrNotPaused = errorString("check is not paused")

// Resume makes a paused check new again, as if it had never been pinged (n_pings is kept). The
// flip it returns is processed: resuming notifies no one.
func (c *Check) Resume(now time.Time) (*Flip, error) {
	if c.Status != StatusPaused {
		return nil, ErrNotPaused
	}
	f := &Flip{CheckID: c.ID, Created: now, Processed: now, OldStatus: StatusPaused, NewStatus: StatusNew}
	c.Status = StatusNew
	c.LastStart = time.Time{}
	c.LastStartRID = ""
	c.LastPing = time.Time{}
	c.AlertAfter = time.Time{}
	c.FailStreak = 0
	c.FailTimes, c.ChangeTimes, c.FlapSent = nil, nil, ""
	return f, nil
}

// Sweep decides at now what is due for a check found through its AlertAfter: whether it has gone
// down by itself, or whether a down alert a snooze held is now owed. A check that went down gets
// the returned flip, which carries the instant the check went down (not now) and why (timeout,
// or with the run-time bounds nostart or runtime); while snoozed, that flip is silent (recorded
// as processed) and the alert is held. A check still down when its snooze ends gets a down→down
// flip at the snooze's end, with the held reason: the alert it was owed. Otherwise AlertAfter is
// refreshed and nil is returned.
//
// A check with a late channel (LateNotice) in its grace period gets its late notice here: an
// up→up flip with ReasonLate at the grace start, once per period (late.go).
//
// A flapping check (Flap) settles here too: once it has not changed status for the rule's window,
// one flip with its status goes out if that differs from the last alert sent (ReasonSettled).
func (c *Check) Sweep(now time.Time, sched Schedule) *Flip {
	if f := c.settle(now, sched); f != nil {
		c.hold(f, now)
		c.AlertAfter = c.NextDue(sched)
		return f
	}
	if c.Status == StatusDown {
		f := c.releaseHeld(now)
		c.AlertAfter = c.NextDue(sched)
		return f
	}
	if c.StatusAt(now, sched, false) != StatusDown {
		f := c.late(now, sched)
		c.AlertAfter = c.NextDue(sched)
		return f
	}
	at, reason := c.deadline(sched)
	f := &Flip{
		CheckID:   c.ID,
		Created:   at,
		OldStatus: c.Status,
		NewStatus: StatusDown,
		Reason:    reason,
	}
	if f.Created.IsZero() || f.Created.After(now) {
		// Cannot happen for a check StatusAt calls down; keep the flip honest anyway.
		f.Created = now
	}
	c.Status = StatusDown
	c.flap(f, now)
	c.hold(f, now)
	c.AlertAfter = c.NextDue(sched)
	return f
}

type errorString string

func (e errorString) Error() string { return string(e) }
