package check

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// timeline plays a scenario on a simple check (period 1 h, grace 10 min) minute by minute:
// pings, snoozes and maintenance windows at given minutes, a sweep every minute. It then
// applies a channel's timing to the flips as the notifier does, and returns the alerts the
// channel gets, as "down@MM" / "up@MM" (minutes since the start).
type timeline struct {
	tolerance int
	pings     map[int]PingKind      // minute → signal
	snoozes   map[int]time.Duration // minute → Snooze(d)
	window    [2]int                // a one-off maintenance window [from, to) in minutes; {0, 0}: none
	minutes   int
}

var timingStart = time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC) // across Europe's DST change, in UTC

func (tl timeline) alerts(t *testing.T, ch Channel) []string {
	t.Helper()
	at := func(m int) time.Time { return timingStart.Add(time.Duration(m) * time.Minute) }
	c := New("c1", "p1", timingStart)
	c.Timeout, c.Grace, c.FailureTolerance = time.Hour, 10*time.Minute, tl.tolerance
	var windows []*Window
	if tl.window != [2]int{} {
		windows = []*Window{{ID: "w", ProjectID: "p1", Start: at(tl.window[0]), End: at(tl.window[1])}}
	}
	noSched := func(*Window) Schedule { return nil }

	var flips []*Flip
	record := func(f *Flip) {
		if f != nil {
			f.ID = fmt.Sprint(len(flips) + 1)
			flips = append(flips, f)
		}
	}
	type pending struct {
		flip *Flip
		due  time.Time
	}
	var queue []pending
	var got []string
	sentInOutage := false
	downSince := func(f *Flip) time.Time {
		for i := slices.Index(flips, f); i >= 0; i-- {
			if flips[i].NewStatus == StatusDown && flips[i].OldStatus != StatusDown {
				return flips[i].Created
			}
		}
		return time.Time{}
	}
	since := func(f *Flip) []*Flip { return flips[slices.Index(flips, f)+1:] }

	for m := 0; m <= tl.minutes; m++ {
		now := at(m)
		n := len(flips)
		if d, ok := tl.snoozes[m]; ok {
			f, err := c.Snooze(d, now, nil)
			if err != nil {
				t.Fatalf("Snooze(%v) at minute %d: %v", d, m, err)
			}
			record(c.Hold(f, MaintenanceUntil(c, windows, now, noSched), now))
		}
		if k, ok := tl.pings[m]; ok {
			_, f := c.ApplyPing(Signal{Kind: k}, now, nil)
			record(f)
		}
		if !c.AlertAfter.IsZero() && !c.AlertAfter.After(now) {
			f := c.Sweep(now, nil)
			record(c.Hold(f, MaintenanceUntil(c, windows, now, noSched), now))
		}
		// The notifier: new flips first, then what is due.
		for _, f := range flips[n:] {
			switch {
			case !f.Processed.IsZero() || !f.Notifies():
			case f.NewStatus == StatusDown:
				queue = append(queue, pending{f, ch.DownAlertAt(f, downSince(f))})
			case f.NewStatus == StatusUp:
				if sentInOutage || ch.Delay == 0 {
					got = append(got, fmt.Sprintf("up@%02d", m))
				}
				queue, sentInOutage = nil, false
			}
		}
		var next []pending
		for _, p := range queue {
			if p.due.After(now) {
				next = append(next, p)
				continue
			}
			send, wait := DueAlert(c, p.flip, since(p.flip), now, MaintenanceUntil(c, windows, now, noSched))
			switch {
			case send:
				got = append(got, fmt.Sprintf("down@%02d", m))
				sentInOutage = true
				if r := ch.NextRepeat(now); !r.IsZero() {
					next = append(next, pending{p.flip, r})
				}
			case !wait.IsZero():
				next = append(next, pending{p.flip, wait})
			}
		}
		queue = next
	}
	return got
}

func TestChannelTiming(t *testing.T) {
	// Minute 0: success. The check is late at 60, down at 70.
	ok := PingSuccess
	tests := []struct {
		name string
		tl   timeline
		ch   Channel
		want []string
	}{
		{"no timing: down and up at once, as Healthchecks",
			timeline{pings: map[int]PingKind{0: ok, 80: ok}, minutes: 120}, Channel{},
			[]string{"down@70", "up@80"}},
		{"delay: down alert after 15 minutes down",
			timeline{pings: map[int]PingKind{0: ok, 100: ok}, minutes: 120}, Channel{Delay: 15 * time.Minute},
			[]string{"down@85", "up@100"}},
		{"delay: recovered before it, neither down nor up",
			timeline{pings: map[int]PingKind{0: ok, 80: ok}, minutes: 120}, Channel{Delay: 15 * time.Minute},
			nil},
		{"delay: recovered and down again: the second outage's own delay",
			timeline{pings: map[int]PingKind{0: ok, 80: ok, 81: PingFail}, minutes: 120}, Channel{Delay: 15 * time.Minute},
			[]string{"down@96"}},
		{"repeat: every 20 minutes while down, then up",
			timeline{pings: map[int]PingKind{0: ok, 125: ok}, minutes: 180}, Channel{Repeat: 20 * time.Minute},
			[]string{"down@70", "down@90", "down@110", "up@125"}},
		{"delay and repeat",
			timeline{pings: map[int]PingKind{0: ok, 125: ok}, minutes: 180}, Channel{Delay: 15 * time.Minute, Repeat: 20 * time.Minute},
			[]string{"down@85", "down@105", "up@125"}},
		{"repeat never during a snooze: the repeat waits for its end",
			timeline{pings: map[int]PingKind{0: ok, 150: ok}, snoozes: map[int]time.Duration{75: 40 * time.Minute}, minutes: 180},
			Channel{Repeat: 20 * time.Minute},
			[]string{"down@70", "down@115", "down@135", "up@150"}},
		{"delay during a snooze set after the down: waits for the snooze's end",
			timeline{pings: map[int]PingKind{0: ok, 150: ok}, snoozes: map[int]time.Duration{72: 30 * time.Minute}, minutes: 180},
			Channel{Delay: 15 * time.Minute},
			[]string{"down@102", "up@150"}},
		{"down while snoozed: the released alert, the delay counted from the outage's start",
			timeline{pings: map[int]PingKind{0: ok, 150: ok}, snoozes: map[int]time.Duration{50: 30 * time.Minute}, minutes: 180},
			Channel{Delay: 15 * time.Minute},
			[]string{"down@85", "up@150"}},
		{"down while snoozed, released past the delay: at the release",
			timeline{pings: map[int]PingKind{0: ok, 150: ok}, snoozes: map[int]time.Duration{50: 60 * time.Minute}, minutes: 180},
			Channel{Delay: 15 * time.Minute},
			[]string{"down@110", "up@150"}},
		{"down while snoozed and up before its end: nothing",
			timeline{pings: map[int]PingKind{0: ok, 90: ok}, snoozes: map[int]time.Duration{50: 60 * time.Minute}, minutes: 159},
			Channel{Delay: 15 * time.Minute, Repeat: 10 * time.Minute},
			nil},
		{"repeat never during maintenance",
			timeline{pings: map[int]PingKind{0: ok, 170: ok}, window: [2]int{95, 140}, minutes: 180},
			Channel{Repeat: 20 * time.Minute},
			[]string{"down@70", "down@90", "down@140", "down@160", "up@170"}},
		{"down inside maintenance: one alert at its end, then repeats",
			timeline{pings: map[int]PingKind{0: ok, 170: ok}, window: [2]int{60, 100}, minutes: 180},
			Channel{Delay: 5 * time.Minute, Repeat: 30 * time.Minute},
			[]string{"down@100", "down@130", "down@160", "up@170"}},
		{"failure tolerance: the delay counts from the failure that took it down",
			timeline{tolerance: 3, pings: map[int]PingKind{0: ok, 10: PingFail, 20: PingFail, 30: PingFail, 40: PingFail, 60: ok}, minutes: 90},
			Channel{Delay: 15 * time.Minute},
			[]string{"down@45", "up@60"}},
		{"failure tolerance: failures under it go down nowhere",
			timeline{tolerance: 3, pings: map[int]PingKind{0: ok, 10: PingFail, 20: PingFail, 30: ok}, minutes: 60},
			Channel{Repeat: 5 * time.Minute},
			nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.tl.alerts(t, tt.ch)
			if !slices.Equal(got, tt.want) {
				t.Errorf("alerts = %s, want %s", strings.Join(got, " "), strings.Join(tt.want, " "))
			}
		})
	}
}

func TestOutageGoesOn(t *testing.T) {
	t0 := time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC)
	down := &Flip{ID: "2", Created: t0, OldStatus: StatusUp, NewStatus: StatusDown}
	release := &Flip{ID: "3", Created: t0.Add(time.Hour), OldStatus: StatusDown, NewStatus: StatusDown}
	up := &Flip{ID: "4", Created: t0.Add(2 * time.Hour), OldStatus: StatusDown, NewStatus: StatusUp}
	again := &Flip{ID: "5", Created: t0.Add(3 * time.Hour), OldStatus: StatusUp, NewStatus: StatusDown}
	isDown, isUp := &Check{Status: StatusDown}, &Check{Status: StatusUp}
	tests := []struct {
		name  string
		c     *Check
		f     *Flip
		after []*Flip
		want  bool
	}{
		{"down, no flip since", isDown, down, []*Flip{down}, true},
		{"a released alert is the same outage", isDown, down, []*Flip{down, release}, true},
		{"up since", isUp, down, []*Flip{down, up}, false},
		{"up and down again since: another outage", isDown, down, []*Flip{down, release, up, again}, false},
		{"the store's status says up, flips not yet seen", isUp, down, nil, false},
		{"an up flip is no outage", isDown, up, nil, false},
		{"a flip of the same instant after it counts", isDown, down, []*Flip{{ID: "3", Created: t0, OldStatus: StatusDown, NewStatus: StatusUp}}, false},
	}
	for _, tt := range tests {
		if got := OutageGoesOn(tt.c, tt.f, tt.after); got != tt.want {
			t.Errorf("%s: OutageGoesOn = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestDownAlertAt(t *testing.T) {
	t0 := time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC)
	f := &Flip{Created: t0, OldStatus: StatusUp, NewStatus: StatusDown}
	rel := &Flip{Created: t0.Add(time.Hour), OldStatus: StatusDown, NewStatus: StatusDown}
	ch := Channel{Delay: 15 * time.Minute}
	for _, tt := range []struct {
		name      string
		ch        Channel
		f         *Flip
		downSince time.Time
		want      time.Time
	}{
		{"no delay", Channel{}, f, t0, t0},
		{"delay", ch, f, t0, t0.Add(15 * time.Minute)},
		{"down since unknown", ch, f, time.Time{}, t0.Add(15 * time.Minute)},
		{"released after the delay passed", ch, rel, t0, t0.Add(time.Hour)},
		{"released before the delay passed", Channel{Delay: 90 * time.Minute}, rel, t0, t0.Add(90 * time.Minute)},
	} {
		if got := tt.ch.DownAlertAt(tt.f, tt.downSince); !got.Equal(tt.want) {
			t.Errorf("%s: DownAlertAt = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestValidateTiming(t *testing.T) {
	for _, tt := range []struct {
		delay, repeat time.Duration
		field         string // "" for valid
	}{
		{0, 0, ""},
		{15 * time.Minute, time.Hour, ""},
		{MaxChannelDelay, MaxChannelRepeat, ""},
		{0, MinChannelRepeat, ""},
		{-time.Second, 0, "delay"},
		{MaxChannelDelay + time.Second, 0, "delay"},
		{1500 * time.Millisecond, 0, "delay"},
		{0, time.Minute, "repeat"},
		{0, MaxChannelRepeat + time.Second, "repeat"},
		{0, -time.Hour, "repeat"},
	} {
		err := ValidateTiming(tt.delay, tt.repeat)
		var fe *FieldError
		switch {
		case tt.field == "" && err != nil:
			t.Errorf("ValidateTiming(%v, %v) = %v, want nil", tt.delay, tt.repeat, err)
		case tt.field != "" && (!errors.As(err, &fe) || fe.Field != tt.field):
			t.Errorf("ValidateTiming(%v, %v) = %v, want an error about %s", tt.delay, tt.repeat, err, tt.field)
		}
	}
}
