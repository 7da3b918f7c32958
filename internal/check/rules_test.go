package check

import (
	"errors"
	"testing"
	"time"
)

// event is one step of a rules scenario: a ping of kind at, a sweep at, or a snooze.
type event struct {
	at     time.Time
	ping   PingKind      // a signal of this kind, or
	sweep  bool          // a sweep, or
	snooze time.Duration // with snoozeSet, Snooze(snooze)
	set    bool
}

func pingAt(at time.Time, kind PingKind) event     { return event{at: at, ping: kind} }
func sweepAt(at time.Time) event                   { return event{at: at, sweep: true} }
func snoozeAt(at time.Time, d time.Duration) event { return event{at: at, snooze: d, set: true} }

// flipSummary is what a test asserts of a flip.
type flipSummary struct {
	At       time.Time
	Old, New Status
	Reason   string
	Silent   bool // recorded as processed: nobody is alerted
}

// run plays events on c and returns the flips they made.
func run(t *testing.T, c *Check, sched Schedule, events []event) []flipSummary {
	t.Helper()
	var out []flipSummary
	add := func(f *Flip) {
		if f != nil {
			out = append(out, flipSummary{f.Created, f.OldStatus, f.NewStatus, f.Reason, !f.Processed.IsZero()})
		}
	}
	for _, e := range events {
		switch {
		case e.sweep:
			add(c.Sweep(e.at, sched))
		case e.set:
			f, err := c.Snooze(e.snooze, e.at, sched)
			if err != nil {
				t.Fatalf("Snooze(%v) at %v: %v", e.snooze, e.at, err)
			}
			add(f)
		default:
			_, f := c.ApplyPing(Signal{Kind: e.ping}, e.at, sched)
			add(f)
		}
	}
	return out
}

func sameFlips(got, want []flipSummary) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		g, w := got[i], want[i]
		if !g.At.Equal(w.At) || g.Old != w.Old || g.New != w.New || g.Reason != w.Reason || g.Silent != w.Silent {
			return false
		}
	}
	return true
}

const (
	min  = time.Minute
	hour = time.Hour
	day  = 24 * time.Hour
)

// TestRunTimeBounds plays the run-time bounds on a simple check (timeout 1 day, grace 1 hour)
// last pinged at t0, so the next ping is expected at t0+1d and the check is down at t0+1d+1h
// without any rule.
func TestRunTimeBounds(t *testing.T) {
	exp := t0.Add(day)
	tests := []struct {
		name   string
		rules  func(c *Check)
		events []event
		want   []flipSummary
		// after the events: the status at statusAt, and AlertAfter
		statusAt    time.Time
		wantStatus  Status
		wantAlertAt time.Time
	}{
		{
			name:     "no rules: down at expected + grace, timeout",
			rules:    func(c *Check) {},
			events:   []event{sweepAt(exp.Add(59 * min)), sweepAt(exp.Add(hour))},
			want:     []flipSummary{{exp.Add(hour), StatusUp, StatusDown, ReasonTimeout, false}},
			statusAt: exp.Add(hour), wantStatus: StatusDown,
		},
		{
			name:     "start_grace: no start within 10 minutes of the expected time is down, did not start",
			rules:    func(c *Check) { c.StartGrace = 10 * min },
			events:   []event{sweepAt(exp.Add(9 * min)), sweepAt(exp.Add(10 * min))},
			want:     []flipSummary{{exp.Add(10 * min), StatusUp, StatusDown, ReasonNoStart, false}},
			statusAt: exp.Add(10 * min), wantStatus: StatusDown,
		},
		{
			name:     "start_grace: in grace before it",
			rules:    func(c *Check) { c.StartGrace = 10 * min },
			events:   []event{sweepAt(exp.Add(9 * min))},
			statusAt: exp.Add(9 * min), wantStatus: StatusGrace, wantAlertAt: exp.Add(10 * min),
		},
		{
			name:     "start_grace: a start in time leaves the run to the grace (no max_runtime)",
			rules:    func(c *Check) { c.StartGrace = 10 * min },
			events:   []event{pingAt(exp.Add(5*min), PingStart), sweepAt(exp.Add(30 * min))},
			statusAt: exp.Add(30 * min), wantStatus: StatusGrace, wantAlertAt: exp.Add(hour),
		},
		{
			name:     "max_runtime: a run past 30 minutes is down, running too long",
			rules:    func(c *Check) { c.MaxRuntime = 30 * min },
			events:   []event{pingAt(exp, PingStart), sweepAt(exp.Add(29 * min)), sweepAt(exp.Add(30 * min))},
			want:     []flipSummary{{exp.Add(30 * min), StatusUp, StatusDown, ReasonRuntime, false}},
			statusAt: exp.Add(30 * min), wantStatus: StatusDown,
		},
		{
			name:  "max_runtime: a run that started late in the grace may run its full max_runtime",
			rules: func(c *Check) { c.MaxRuntime = 30 * min },
			// started at expected + 50 min; without max_runtime it would be down at expected + 1h
			events:   []event{pingAt(exp.Add(50*min), PingStart), sweepAt(exp.Add(61 * min))},
			statusAt: exp.Add(61 * min), wantStatus: StatusUp, wantAlertAt: exp.Add(80 * min),
		},
		{
			name:     "max_runtime: finished in time is up again, next deadline from the success",
			rules:    func(c *Check) { c.MaxRuntime = 30 * min },
			events:   []event{pingAt(exp, PingStart), pingAt(exp.Add(20*min), PingSuccess), sweepAt(exp.Add(31 * min))},
			statusAt: exp.Add(31 * min), wantStatus: StatusUp, wantAlertAt: exp.Add(20*min + day + hour),
		},
		{
			name:     "min_runtime: a success 2 minutes after its start is down, finished too fast",
			rules:    func(c *Check) { c.MinRuntime = 5 * min },
			events:   []event{pingAt(exp, PingStart), pingAt(exp.Add(2*min), PingSuccess)},
			want:     []flipSummary{{exp.Add(2 * min), StatusUp, StatusDown, ReasonTooFast, false}},
			statusAt: exp.Add(3 * min), wantStatus: StatusDown,
		},
		{
			name:     "min_runtime: 6 minutes is long enough",
			rules:    func(c *Check) { c.MinRuntime = 5 * min },
			events:   []event{pingAt(exp, PingStart), pingAt(exp.Add(6*min), PingSuccess)},
			statusAt: exp.Add(7 * min), wantStatus: StatusUp, wantAlertAt: exp.Add(6*min + day + hour),
		},
		{
			name:     "min_runtime: a success without a start has no duration to judge",
			rules:    func(c *Check) { c.MinRuntime = 5 * min },
			events:   []event{pingAt(exp, PingSuccess)},
			statusAt: exp.Add(time.Second), wantStatus: StatusUp, wantAlertAt: exp.Add(day + hour),
		},
		{
			name:     "min_runtime: a too-fast success after a down is no recovery",
			rules:    func(c *Check) { c.MinRuntime = 5 * min },
			events:   []event{pingAt(exp, PingFail), pingAt(exp.Add(min), PingStart), pingAt(exp.Add(2*min), PingSuccess)},
			want:     []flipSummary{{exp, StatusUp, StatusDown, ReasonFail, false}},
			statusAt: exp.Add(3 * min), wantStatus: StatusDown,
		},
		{
			name:  "all three: start late by 5 minutes, finished after 40 with max 30",
			rules: func(c *Check) { c.StartGrace, c.MaxRuntime, c.MinRuntime = 10*min, 30*min, 5*min },
			events: []event{
				pingAt(exp.Add(5*min), PingStart), sweepAt(exp.Add(10 * min)), sweepAt(exp.Add(35 * min)),
				pingAt(exp.Add(45*min), PingSuccess),
			},
			want: []flipSummary{
				{exp.Add(35 * min), StatusUp, StatusDown, ReasonRuntime, false},
				{exp.Add(45 * min), StatusDown, StatusUp, ReasonNone, false},
			},
			statusAt: exp.Add(46 * min), wantStatus: StatusUp, wantAlertAt: exp.Add(45*min + day + 10*min),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := upCheck(t0)
			tt.rules(c)
			if err := c.ValidateRules(); err != nil {
				t.Fatalf("ValidateRules: %v", err)
			}
			got := run(t, c, nil, tt.events)
			if !sameFlips(got, tt.want) {
				t.Errorf("flips = %+v, want %+v", got, tt.want)
			}
			if s := c.StatusAt(tt.statusAt, nil, false); s != tt.wantStatus {
				t.Errorf("StatusAt(%v) = %v, want %v", tt.statusAt, s, tt.wantStatus)
			}
			if !c.AlertAfter.Equal(tt.wantAlertAt) {
				t.Errorf("AlertAfter = %v, want %v", c.AlertAfter, tt.wantAlertAt)
			}
		})
	}
}

// TestRunTimeBoundsAcrossDST times a daily 02:00 Europe/Berlin job over the spring change
// (2026-03-29: 02:00 does not exist, the job fires at 03:00 CEST) and the autumn one
// (2026-10-25: 02:00–03:00 happens twice). The bounds are lengths of real time added to instants,
// never wall-clock arithmetic.
func TestRunTimeBoundsAcrossDST(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no zone database:", err)
	}
	sched := daily{hour: 2, loc: berlin}
	utc := func(mo time.Month, d, h, m int) time.Time { return time.Date(2026, mo, d, h, m, 0, 0, time.UTC) }

	// Spring: pinged on the 28th at 02:05 CET (01:05 UTC); next fire is the 29th at 03:00 CEST,
	// 01:00 UTC; start_grace 15 minutes puts the deadline at 01:15 UTC.
	c := upCheck(utc(3, 28, 1, 5))
	c.Kind, c.StartGrace = KindCron, 15*min
	c.AlertAfter = c.NextDue(sched)
	if want := utc(3, 29, 1, 15); !c.AlertAfter.Equal(want) {
		t.Errorf("spring: deadline %v, want %v", c.AlertAfter, want)
	}
	got := run(t, c, sched, []event{sweepAt(utc(3, 29, 1, 14)), sweepAt(utc(3, 29, 1, 15))})
	want := []flipSummary{{utc(3, 29, 1, 15), StatusUp, StatusDown, ReasonNoStart, false}}
	if !sameFlips(got, want) {
		t.Errorf("spring flips = %+v, want %+v", got, want)
	}
	// It starts late and succeeds; the next day's 02:00 CEST is 00:00 UTC: 23 hours on.
	run(t, c, sched, []event{pingAt(utc(3, 29, 1, 20), PingStart), pingAt(utc(3, 29, 1, 25), PingSuccess)})
	if want := utc(3, 30, 0, 15); !c.AlertAfter.Equal(want) {
		t.Errorf("spring, next day: deadline %v, want %v", c.AlertAfter, want)
	}

	// Autumn: the run starts at 02:30 CEST (00:30 UTC) and may take an hour: it is down at
	// 01:30 UTC, which is the second 02:30 of the night (CET), not the first.
	c = upCheck(utc(10, 24, 0, 40))
	c.Kind, c.MaxRuntime = KindCron, hour
	got = run(t, c, sched, []event{
		pingAt(utc(10, 25, 0, 30), PingStart), sweepAt(utc(10, 25, 1, 29)), sweepAt(utc(10, 25, 1, 30)),
	})
	want = []flipSummary{{utc(10, 25, 1, 30), StatusUp, StatusDown, ReasonRuntime, false}}
	if !sameFlips(got, want) {
		t.Errorf("autumn flips = %+v, want %+v", got, want)
	}
}

func TestFailureTolerance(t *testing.T) {
	exp := t0.Add(day)
	tests := []struct {
		name       string
		tolerance  int
		minRuntime time.Duration
		start      Status
		events     []event
		want       []flipSummary
		wantStatus Status
		wantStreak int
	}{
		{
			name: "0: the first failure is down (Healthchecks)", tolerance: 0, start: StatusUp,
			events:     []event{pingAt(exp, PingFail)},
			want:       []flipSummary{{exp, StatusUp, StatusDown, ReasonFail, false}},
			wantStatus: StatusDown, wantStreak: 1,
		},
		{
			name: "1: the same", tolerance: 1, start: StatusUp,
			events:     []event{pingAt(exp, PingFail)},
			want:       []flipSummary{{exp, StatusUp, StatusDown, ReasonFail, false}},
			wantStatus: StatusDown, wantStreak: 1,
		},
		{
			name: "3: two failures keep it up, the third takes it down", tolerance: 3, start: StatusUp,
			events:     []event{pingAt(exp, PingFail), pingAt(exp.Add(min), PingFail), pingAt(exp.Add(2*min), PingFail)},
			want:       []flipSummary{{exp.Add(2 * min), StatusUp, StatusDown, ReasonFail, false}},
			wantStatus: StatusDown, wantStreak: 3,
		},
		{
			name: "3: a success in between starts the count again", tolerance: 3, start: StatusUp,
			events: []event{
				pingAt(exp, PingFail), pingAt(exp.Add(min), PingFail), pingAt(exp.Add(2*min), PingSuccess),
				pingAt(exp.Add(3*min), PingFail), pingAt(exp.Add(4*min), PingFail),
			},
			wantStatus: StatusUp, wantStreak: 2,
		},
		{
			name: "3: a new check's tolerated failure makes it up, silently", tolerance: 3, start: StatusNew,
			events:     []event{pingAt(exp, PingFail)},
			want:       []flipSummary{{exp, StatusNew, StatusUp, ReasonNone, false}},
			wantStatus: StatusUp, wantStreak: 1,
		},
		{
			name: "2: a too-fast success counts as a failure", tolerance: 2, minRuntime: 5 * min, start: StatusUp,
			events: []event{
				pingAt(exp, PingFail), pingAt(exp.Add(min), PingStart), pingAt(exp.Add(2*min), PingSuccess),
			},
			want:       []flipSummary{{exp.Add(2 * min), StatusUp, StatusDown, ReasonTooFast, false}},
			wantStatus: StatusDown, wantStreak: 2,
		},
		{
			name: "2: failures of a down check keep it down, one success brings it up", tolerance: 2, start: StatusDown,
			events:     []event{pingAt(exp, PingFail), pingAt(exp.Add(min), PingSuccess)},
			want:       []flipSummary{{exp.Add(min), StatusDown, StatusUp, ReasonNone, false}},
			wantStatus: StatusUp, wantStreak: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := upCheck(t0)
			c.Status = tt.start
			c.FailureTolerance, c.MinRuntime = tt.tolerance, tt.minRuntime
			got := run(t, c, nil, tt.events)
			if !sameFlips(got, tt.want) {
				t.Errorf("flips = %+v, want %+v", got, tt.want)
			}
			if c.Status != tt.wantStatus || c.FailStreak != tt.wantStreak {
				t.Errorf("status %v, streak %d; want %v, %d", c.Status, c.FailStreak, tt.wantStatus, tt.wantStreak)
			}
			for _, f := range got {
				if f.New == StatusUp && f.Old == StatusNew && (&Flip{OldStatus: f.Old, NewStatus: f.New}).Notifies() {
					t.Errorf("new→up notifies")
				}
			}
		})
	}
}

// TestSnooze plays snoozes against a simple check last pinged at t0 (down at t0+1d+1h without
// a ping) and checks the flips: held ones silent, owed ones sent once at the snooze's end.
func TestSnooze(t *testing.T) {
	exp := t0.Add(day)
	down := exp.Add(hour)
	tests := []struct {
		name        string
		rules       func(c *Check)
		events      []event
		want        []flipSummary
		wantHeld    string
		wantAlertAt time.Time
	}{
		{
			name:   "missed during a snooze: silent down, one alert at the snooze's end",
			events: []event{snoozeAt(exp, 2*hour), sweepAt(down), sweepAt(exp.Add(119 * min)), sweepAt(exp.Add(2 * hour))},
			want: []flipSummary{
				{down, StatusUp, StatusDown, ReasonTimeout, true},
				{exp.Add(2 * hour), StatusDown, StatusDown, ReasonTimeout, false},
			},
		},
		{
			name:     "held until then: AlertAfter is the snooze's end",
			events:   []event{snoozeAt(exp, 2*hour), sweepAt(down)},
			want:     []flipSummary{{down, StatusUp, StatusDown, ReasonTimeout, true}},
			wantHeld: ReasonTimeout, wantAlertAt: exp.Add(2 * hour),
		},
		{
			name:   "failed and recovered during the snooze: neither is sent",
			events: []event{snoozeAt(exp, hour), pingAt(exp.Add(min), PingFail), pingAt(exp.Add(2*min), PingSuccess), sweepAt(exp.Add(hour))},
			want: []flipSummary{
				{exp.Add(min), StatusUp, StatusDown, ReasonFail, true},
				{exp.Add(2 * min), StatusDown, StatusUp, ReasonNone, true},
			},
			wantAlertAt: exp.Add(2*min + day + hour),
		},
		{
			name:   "ended early with minutes=0 while down: the alert goes out now",
			events: []event{snoozeAt(exp, hour), pingAt(exp.Add(min), PingFail), snoozeAt(exp.Add(10*min), 0), sweepAt(exp.Add(hour))},
			want: []flipSummary{
				{exp.Add(min), StatusUp, StatusDown, ReasonFail, true},
				{exp.Add(10 * min), StatusDown, StatusDown, ReasonFail, false},
			},
		},
		{
			name:   "snoozed after the alert went out: the recovery is sent",
			events: []event{pingAt(exp, PingFail), snoozeAt(exp.Add(min), hour), pingAt(exp.Add(2*min), PingSuccess)},
			want: []flipSummary{
				{exp, StatusUp, StatusDown, ReasonFail, false},
				{exp.Add(2 * min), StatusDown, StatusUp, ReasonNone, false},
			},
			wantAlertAt: exp.Add(2*min + day + hour),
		},
		{
			name:   "more failures while held change nothing; one alert at the end",
			events: []event{snoozeAt(exp, hour), pingAt(exp.Add(min), PingFail), pingAt(exp.Add(2*min), PingFail), sweepAt(exp.Add(hour)), sweepAt(exp.Add(2 * hour))},
			want: []flipSummary{
				{exp.Add(min), StatusUp, StatusDown, ReasonFail, true},
				{exp.Add(hour), StatusDown, StatusDown, ReasonFail, false},
			},
		},
		{
			name:     "snooze extended while held: the alert waits for the new end",
			events:   []event{snoozeAt(exp, hour), pingAt(exp.Add(min), PingFail), snoozeAt(exp.Add(30*min), hour), sweepAt(exp.Add(hour))},
			want:     []flipSummary{{exp.Add(min), StatusUp, StatusDown, ReasonFail, true}},
			wantHeld: ReasonFail, wantAlertAt: exp.Add(90 * min),
		},
		{
			name:   "with tolerance 2: the tolerated failure is no flip, the second is held",
			rules:  func(c *Check) { c.FailureTolerance = 2 },
			events: []event{snoozeAt(exp, hour), pingAt(exp.Add(min), PingFail), pingAt(exp.Add(2*min), PingFail), sweepAt(exp.Add(hour))},
			want: []flipSummary{
				{exp.Add(2 * min), StatusUp, StatusDown, ReasonFail, true},
				{exp.Add(hour), StatusDown, StatusDown, ReasonFail, false},
			},
		},
		{
			name:   "with max_runtime: running too long during the snooze is held with its reason",
			rules:  func(c *Check) { c.MaxRuntime = 10 * min },
			events: []event{snoozeAt(exp, hour), pingAt(exp, PingStart), sweepAt(exp.Add(10 * min)), sweepAt(exp.Add(hour))},
			want: []flipSummary{
				{exp.Add(10 * min), StatusUp, StatusDown, ReasonRuntime, true},
				{exp.Add(hour), StatusDown, StatusDown, ReasonRuntime, false},
			},
		},
		{
			name:   "the snooze's end before the deadline: an ordinary alert at the deadline",
			events: []event{snoozeAt(exp, 30*min), sweepAt(down)},
			want:   []flipSummary{{down, StatusUp, StatusDown, ReasonTimeout, false}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := upCheck(t0)
			if tt.rules != nil {
				tt.rules(c)
			}
			c.AlertAfter = c.NextDue(nil)
			got := run(t, c, nil, tt.events)
			if !sameFlips(got, tt.want) {
				t.Errorf("flips = %+v, want %+v", got, tt.want)
			}
			if c.HeldReason != tt.wantHeld {
				t.Errorf("HeldReason = %q, want %q", c.HeldReason, tt.wantHeld)
			}
			if !c.AlertAfter.Equal(tt.wantAlertAt) {
				t.Errorf("AlertAfter = %v, want %v", c.AlertAfter, tt.wantAlertAt)
			}
		})
	}
}

func TestSnoozeLimitsAndPause(t *testing.T) {
	c := upCheck(t0)
	for _, d := range []time.Duration{-time.Minute, MaxSnooze + time.Minute} {
		var fe *FieldError
		if _, err := c.Snooze(d, t0, nil); !errors.As(err, &fe) || fe.Field != "minutes" {
			t.Errorf("Snooze(%v) = %v, want a FieldError for minutes", d, err)
		}
	}
	if _, err := c.Snooze(MaxSnooze, t0, nil); err != nil || !c.SnoozeUntil.Equal(t0.Add(MaxSnooze)) {
		t.Errorf("Snooze(a week) = %v, until %v", err, c.SnoozeUntil)
	}
	// Held, then paused: a paused check owes nobody an alert, and resuming does not revive it.
	c.ApplyPing(Signal{Kind: PingFail}, t0.Add(time.Minute), nil)
	if c.HeldReason != ReasonFail {
		t.Fatalf("HeldReason = %q after a failure while snoozed", c.HeldReason)
	}
	c.Pause(t0.Add(2 * time.Minute))
	if f := c.Sweep(t0.Add(MaxSnooze), nil); f != nil || c.HeldReason != "" || !c.AlertAfter.IsZero() {
		t.Errorf("after pause: Sweep = %+v, held %q, AlertAfter %v; want nothing", f, c.HeldReason, c.AlertAfter)
	}
}

func TestValidateRules(t *testing.T) {
	tests := []struct {
		name  string
		set   func(c *Check)
		field string // "" valid
	}{
		{"none", func(c *Check) {}, ""},
		{"all set", func(c *Check) { c.StartGrace, c.MaxRuntime, c.MinRuntime, c.FailureTolerance = min, hour, min, 5 }, ""},
		{"negative start_grace", func(c *Check) { c.StartGrace = -time.Second }, "start_grace"},
		{"max_runtime over a year", func(c *Check) { c.MaxRuntime = MaxRuleDuration + time.Second }, "max_runtime"},
		{"tolerance 101", func(c *Check) { c.FailureTolerance = 101 }, "failure_tolerance"},
		{"min not below max", func(c *Check) { c.MinRuntime, c.MaxRuntime = hour, hour }, "min_runtime"},
	}
	for _, tt := range tests {
		c := upCheck(t0)
		tt.set(c)
		err := c.ValidateRules()
		var fe *FieldError
		switch {
		case tt.field == "" && err != nil:
			t.Errorf("%s: ValidateRules = %v, want nil", tt.name, err)
		case tt.field != "" && (!errors.As(err, &fe) || fe.Field != tt.field):
			t.Errorf("%s: ValidateRules = %v, want a FieldError for %s", tt.name, err, tt.field)
		}
	}
}
