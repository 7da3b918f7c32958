package check

import (
	"testing"
	"time"
)

// lateCheck is an up check with a late channel, last pinged at t0: timeout 1 day, grace 1 hour,
// so it is late from t0+1d and down at t0+1d+1h.
func lateCheck(t0 time.Time) *Check {
	c := upCheck(t0)
	c.LateNotice = true
	c.AlertAfter = c.NextDue(nil)
	return c
}

// TestLateNotice plays the late notice at fixed instants, alone and with the rules it meets.
func TestLateNotice(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	late := t0.Add(day)    // the expected time: the grace period starts
	down := late.Add(hour) // the deadline
	notice := flipSummary{late, StatusUp, StatusUp, ReasonLate, false}
	timeout := flipSummary{down, StatusUp, StatusDown, ReasonTimeout, false}
	tests := []struct {
		name    string
		setup   func(c *Check)
		events  []event
		want    []flipSummary
		wantDue time.Time // AlertAfter after the events
	}{
		{
			name:    "late once, then down as usual",
			events:  []event{sweepAt(late.Add(-time.Second)), sweepAt(late), sweepAt(late.Add(10 * min)), sweepAt(down)},
			want:    []flipSummary{notice, timeout},
			wantDue: time.Time{},
		},
		{
			name:    "a sweep that comes late in the grace period still sends it, at the grace start",
			events:  []event{sweepAt(late.Add(59 * min))},
			want:    []flipSummary{notice},
			wantDue: down,
		},
		{
			name:    "a sweep after the deadline sends the down alert only",
			events:  []event{sweepAt(down.Add(min))},
			want:    []flipSummary{timeout},
			wantDue: time.Time{},
		},
		{
			name:    "the ping after the notice sends nothing, and the next period has its own",
			events:  []event{sweepAt(late), pingAt(late.Add(5*min), PingSuccess), sweepAt(late.Add(5*min + day))},
			want:    []flipSummary{notice, {late.Add(5*min + day), StatusUp, StatusUp, ReasonLate, false}},
			wantDue: late.Add(5*min + day + hour),
		},
		{
			name:    "a ping before the expected time moves the period",
			events:  []event{pingAt(late.Add(-min), PingSuccess), sweepAt(late)},
			want:    nil,
			wantDue: late.Add(-min + day),
		},
		{
			name:    "no late channel: due at the deadline only, as in Healthchecks",
			setup:   func(c *Check) { c.LateNotice = false; c.AlertAfter = c.NextDue(nil) },
			events:  []event{sweepAt(late), sweepAt(down)},
			want:    []flipSummary{timeout},
			wantDue: time.Time{},
		},
		{
			name:    "snoozed over the grace start: dropped, not owed after the snooze",
			events:  []event{snoozeAt(late.Add(-10*min), 20*min), sweepAt(late), sweepAt(late.Add(11 * min))},
			want:    nil,
			wantDue: down,
		},
		{
			name:    "a snooze that ended before the grace start holds nothing",
			events:  []event{snoozeAt(late.Add(-30*min), 20*min), sweepAt(late)},
			want:    []flipSummary{notice},
			wantDue: down,
		},
		{
			name:    "a run in progress is not late",
			events:  []event{pingAt(late.Add(-min), PingStart), sweepAt(late)},
			want:    nil,
			wantDue: late.Add(-min + hour), // the run's grace
		},
		{
			name:    "paused: nothing due",
			setup:   func(c *Check) { c.Pause(t0) },
			events:  []event{sweepAt(late)},
			want:    nil,
			wantDue: time.Time{},
		},
		{
			name: "flapping: held, dropped",
			setup: func(c *Check) {
				c.FlapSent = StatusUp
				c.Flap = FlapRule{Changes: 2, Window: 2 * day}
				c.ChangeTimes = []time.Time{t0}
			},
			events:  []event{sweepAt(late)},
			want:    nil,
			wantDue: down,
		},
		{
			name:    "start_grace: late at the expected time, down at start_grace",
			setup:   func(c *Check) { c.StartGrace = 10 * min; c.AlertAfter = c.NextDue(nil) },
			events:  []event{sweepAt(late.Add(min)), sweepAt(late.Add(10 * min))},
			want:    []flipSummary{notice, {late.Add(10 * min), StatusUp, StatusDown, ReasonNoStart, false}},
			wantDue: time.Time{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := lateCheck(t0)
			if want := late; !c.AlertAfter.Equal(want) {
				t.Fatalf("AlertAfter = %v, want the grace start %v", c.AlertAfter, want)
			}
			if tt.setup != nil {
				tt.setup(c)
			}
			got := run(t, c, nil, tt.events)
			if !sameFlips(got, tt.want) {
				t.Errorf("flips = %+v, want %+v", got, tt.want)
			}
			if !c.AlertAfter.Equal(tt.wantDue) {
				t.Errorf("AlertAfter = %v, want %v", c.AlertAfter, tt.wantDue)
			}
		})
	}
}

// TestLateNoticeHolds: a maintenance window or a parent that is down drops the notice; the
// period is done either way.
func TestLateNoticeHolds(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	late := t0.Add(day)
	parent := upCheck(t0)
	parent.Status = StatusDown
	for _, tt := range []struct {
		name   string
		until  time.Time
		parent *Check
		sent   bool
	}{
		{"nothing holds it", time.Time{}, nil, true},
		{"a window open now", late.Add(hour), nil, false},
		{"a window that ended", late.Add(-min), nil, true},
		{"a parent down", time.Time{}, parent, false},
	} {
		c := lateCheck(t0)
		f := c.Sweep(late, nil)
		if !f.IsLate() {
			t.Fatalf("%s: Sweep(%v) = %+v, want a late notice", tt.name, late, f)
		}
		got := c.HoldLate(f, tt.until, tt.parent, late)
		if (got != nil) != tt.sent {
			t.Errorf("%s: HoldLate = %+v, want sent %v", tt.name, got, tt.sent)
		}
		if again := c.Sweep(late.Add(min), nil); again != nil {
			t.Errorf("%s: second Sweep = %+v, want nothing: one notice per period", tt.name, again)
		}
	}
	// A down flip is not HoldLate's business.
	c := lateCheck(t0)
	f := c.Sweep(late.Add(2*hour), nil)
	if got := c.HoldLate(f, late.Add(3*hour), parent, late.Add(2*hour)); got != f {
		t.Errorf("HoldLate(down flip) = %+v, want it unchanged", got)
	}
}

// TestLateNoticeAcrossDST: a daily 09:00 cron check in Riga is late at 09:00 local time on both
// sides of the change to summer time: 07:00 UTC, then 06:00 UTC.
func TestLateNoticeAcrossDST(t *testing.T) {
	riga, err := time.LoadLocation("Europe/Riga")
	if err != nil {
		t.Skip("no zone database:", err)
	}
	sched := daily{hour: 9, loc: riga}
	utc := func(mo time.Month, d, h, m int) time.Time { return time.Date(2026, mo, d, h, m, 0, 0, time.UTC) }
	c := upCheck(utc(3, 27, 7, 2)) // Friday 09:02 EET
	c.Kind, c.Grace, c.LateNotice = KindCron, 30*min, true
	c.AlertAfter = c.NextDue(sched)
	if want := utc(3, 28, 7, 0); !c.AlertAfter.Equal(want) {
		t.Errorf("Saturday: due %v, want %v (09:00 EET)", c.AlertAfter, want)
	}
	got := run(t, c, sched, []event{sweepAt(utc(3, 28, 7, 1)), pingAt(utc(3, 28, 7, 5), PingSuccess)})
	want := []flipSummary{{utc(3, 28, 7, 0), StatusUp, StatusUp, ReasonLate, false}}
	if !sameFlips(got, want) {
		t.Errorf("Saturday flips = %+v, want %+v", got, want)
	}
	if want := utc(3, 29, 6, 0); !c.AlertAfter.Equal(want) {
		t.Errorf("Sunday: due %v, want %v (09:00 EEST)", c.AlertAfter, want)
	}
	got = run(t, c, sched, []event{sweepAt(utc(3, 29, 5, 59)), sweepAt(utc(3, 29, 6, 0))})
	want = []flipSummary{{utc(3, 29, 6, 0), StatusUp, StatusUp, ReasonLate, false}}
	if !sameFlips(got, want) {
		t.Errorf("Sunday flips = %+v, want %+v", got, want)
	}
}

func TestReachesLate(t *testing.T) {
	chans := []*Channel{
		{ID: "a", Kind: ChannelEmail},
		{ID: "b", Kind: ChannelEmail, Late: true},
		{ID: "c", Kind: ChannelEmail, Late: true, Disabled: true},
		{ID: "g", Kind: ChannelGroup, Value: "a, b"},
		{ID: "h", Kind: ChannelGroup, Value: "a,c"},
	}
	for _, tt := range []struct {
		ids  []string
		want bool
	}{
		{nil, false},
		{[]string{"a"}, false},
		{[]string{"a", "b"}, true},
		{[]string{"c"}, true}, // disabled, but may be enabled again
		{[]string{"g"}, true},
		{[]string{"h"}, true},
		{[]string{"gone"}, false},
	} {
		if got := ReachesLate(tt.ids, chans); got != tt.want {
			t.Errorf("ReachesLate(%q) = %v, want %v", tt.ids, got, tt.want)
		}
	}
}
