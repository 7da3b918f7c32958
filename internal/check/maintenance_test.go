package check

import (
	"testing"
	"time"
)

func TestWindowCovers(t *testing.T) {
	c := upCheck(t0)
	c.Tags = "prod backup"
	tests := []struct {
		name string
		w    Window
		want bool
	}{
		{"the check", Window{ProjectID: "p1", CheckID: "c1"}, true},
		{"another check", Window{ProjectID: "p1", CheckID: "c2"}, false},
		{"its tag", Window{ProjectID: "p1", Tag: "backup"}, true},
		{"a prefix of its tag", Window{ProjectID: "p1", Tag: "back"}, false},
		{"its project", Window{ProjectID: "p1"}, true},
		{"another project", Window{ProjectID: "p2"}, false},
	}
	for _, tt := range tests {
		if got := tt.w.Covers(c); got != tt.want {
			t.Errorf("%s: Covers = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestWindowOpenUntil: one-off windows are open in [Start, End); a recurring one from each fire
// time for Duration, the fire times in the window's zone across DST (a daily 02:00 Berlin window
// of two hours: on 2026-03-29 02:00 does not exist and it opens at 03:00 CEST, 01:00 UTC; on
// 2026-10-25 02:00 happens twice and the test schedule takes the second, CET, 01:00 UTC). The
// durations are real time from the fire time, so the window lasts two hours either way.
func TestWindowOpenUntil(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no zone database:", err)
	}
	utc := func(mo time.Month, d, h, m int) time.Time { return time.Date(2026, mo, d, h, m, 0, 0, time.UTC) }
	oneOff := &Window{Start: utc(11, 24, 20, 0), End: utc(11, 24, 22, 0)}
	sched := daily{hour: 2, loc: berlin}
	nightly := &Window{Schedule: "0 2 * * *", TZ: "Europe/Berlin", Duration: 2 * time.Hour}
	tests := []struct {
		name string
		w    *Window
		now  time.Time
		want time.Time
	}{
		{"one-off, before", oneOff, utc(11, 24, 19, 59), time.Time{}},
		{"one-off, at its start", oneOff, utc(11, 24, 20, 0), utc(11, 24, 22, 0)},
		{"one-off, a minute before its end", oneOff, utc(11, 24, 21, 59), utc(11, 24, 22, 0)},
		{"one-off, at its end: closed", oneOff, utc(11, 24, 22, 0), time.Time{}},
		{"daily, winter, at 02:30 CET", nightly, utc(11, 24, 1, 30), utc(11, 24, 3, 0)},
		{"daily, winter, at 04:00 CET: closed", nightly, utc(11, 24, 3, 0), time.Time{}},
		{"daily, spring change, at 03:30 CEST", nightly, utc(3, 29, 1, 30), utc(3, 29, 3, 0)},
		{"daily, spring change, 00:59 UTC: not yet", nightly, utc(3, 29, 0, 59), time.Time{}},
		{"daily, autumn change, 00:30 UTC (02:30 CEST): not yet", nightly, utc(10, 25, 0, 30), time.Time{}},
		{"daily, autumn change, 02:00 UTC (03:00 CET)", nightly, utc(10, 25, 2, 0), utc(10, 25, 3, 0)},
		{"daily, autumn change, 03:00 UTC: closed", nightly, utc(10, 25, 3, 0), time.Time{}},
	}
	for _, tt := range tests {
		var s Schedule
		if tt.w.Recurring() {
			s = sched
		}
		if got := tt.w.OpenUntil(tt.now, s); !got.Equal(tt.want) {
			t.Errorf("%s: OpenUntil(%v) = %v, want %v", tt.name, tt.now, got, tt.want)
		}
	}
}

func TestMaintenanceUntilTakesTheLatestEnd(t *testing.T) {
	c := upCheck(t0)
	c.Tags = "backup"
	windows := []*Window{
		{ProjectID: "p1", Start: t0, End: t0.Add(time.Hour)},
		{ProjectID: "p1", Tag: "backup", Start: t0.Add(-time.Hour), End: t0.Add(3 * time.Hour)},
		{ProjectID: "p1", CheckID: "other", Start: t0, End: t0.Add(9 * time.Hour)},
		{ProjectID: "p1", Schedule: "broken", Duration: time.Hour}, // cannot be evaluated: never open
	}
	got := MaintenanceUntil(c, windows, t0.Add(time.Minute), func(*Window) Schedule { return nil })
	if want := t0.Add(3 * time.Hour); !got.Equal(want) {
		t.Errorf("MaintenanceUntil = %v, want %v", got, want)
	}
	if got := MaintenanceUntil(c, windows, t0.Add(4*time.Hour), func(*Window) Schedule { return nil }); !got.IsZero() {
		t.Errorf("MaintenanceUntil after every window = %v, want none", got)
	}
}

func TestWindowValidate(t *testing.T) {
	tests := []struct {
		name  string
		w     Window
		field string
	}{
		{"one-off", Window{Start: t0, End: t0.Add(time.Hour)}, ""},
		{"recurring", Window{Schedule: "0 2 * * *", TZ: "UTC", Duration: time.Hour}, ""},
		{"check and tag", Window{CheckID: "c", Tag: "t", Start: t0, End: t0.Add(time.Hour)}, "check"},
		{"tag with a space", Window{Tag: "a b", Start: t0, End: t0.Add(time.Hour)}, "tag"},
		{"both kinds", Window{Schedule: "0 2 * * *", Duration: time.Hour, Start: t0}, "schedule"},
		{"recurring, 59 s", Window{Schedule: "0 2 * * *", Duration: 59 * time.Second}, "duration"},
		{"neither", Window{}, "start"},
		{"end before start", Window{Start: t0, End: t0}, "end"},
		{"32 days", Window{Start: t0, End: t0.Add(32 * 24 * time.Hour)}, "end"},
	}
	for _, tt := range tests {
		err := tt.w.Validate()
		fe, _ := err.(*FieldError)
		switch {
		case tt.field == "" && err != nil:
			t.Errorf("%s: Validate = %v, want nil", tt.name, err)
		case tt.field != "" && (fe == nil || fe.Field != tt.field):
			t.Errorf("%s: Validate = %v, want a FieldError for %s", tt.name, err, tt.field)
		}
	}
}

// TestMaintenanceHold plays a check (down at t0+1d+1h without a ping) through a maintenance
// window, alone and with a snooze, the caller applying Hold as the sweep and the ping handler do.
func TestMaintenanceHold(t *testing.T) {
	exp := t0.Add(day)
	down := exp.Add(hour)
	windowEnd := exp.Add(3 * hour)
	inWindow := func(now time.Time) time.Time {
		if !now.Before(exp) && now.Before(windowEnd) {
			return windowEnd
		}
		return time.Time{}
	}
	type step struct {
		at     time.Time
		ping   PingKind
		snooze time.Duration
		set    bool
	}
	tests := []struct {
		name  string
		steps []step
		want  []flipSummary
	}{
		{
			name:  "missed inside the window: silent, one alert at its end",
			steps: []step{{at: down}, {at: windowEnd.Add(-time.Minute)}, {at: windowEnd}, {at: windowEnd.Add(time.Hour)}},
			want: []flipSummary{
				{down, StatusUp, StatusDown, ReasonTimeout, true},
				{windowEnd, StatusDown, StatusDown, ReasonTimeout, false},
			},
		},
		{
			name:  "failed and recovered inside: nothing sent",
			steps: []step{{at: exp.Add(min), ping: PingFail}, {at: exp.Add(2 * min), ping: PingSuccess}, {at: windowEnd}},
			want: []flipSummary{
				{exp.Add(min), StatusUp, StatusDown, ReasonFail, true},
				{exp.Add(2 * min), StatusDown, StatusUp, ReasonNone, true},
			},
		},
		{
			name: "a snooze that ends inside the window: the alert waits for the window's end",
			steps: []step{{at: exp, snooze: 30 * min, set: true}, {at: exp.Add(min), ping: PingFail},
				{at: exp.Add(30 * min)}, {at: windowEnd}},
			want: []flipSummary{
				{exp.Add(min), StatusUp, StatusDown, ReasonFail, true},
				{windowEnd, StatusDown, StatusDown, ReasonFail, false},
			},
		},
		{
			name: "a snooze that ends after the window: the alert waits for the snooze",
			steps: []step{{at: exp, snooze: 4 * hour, set: true}, {at: exp.Add(min), ping: PingFail},
				{at: windowEnd}, {at: exp.Add(4 * hour)}},
			want: []flipSummary{
				{exp.Add(min), StatusUp, StatusDown, ReasonFail, true},
				{exp.Add(4 * hour), StatusDown, StatusDown, ReasonFail, false},
			},
		},
		{
			name:  "down before the window: the alert went out, nothing more",
			steps: []step{{at: exp.Add(-min), ping: PingFail}, {at: exp}, {at: windowEnd}},
			want:  []flipSummary{{exp.Add(-min), StatusUp, StatusDown, ReasonFail, false}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := upCheck(t0)
			c.AlertAfter = c.NextDue(nil)
			var got []flipSummary
			for _, s := range tt.steps {
				var f *Flip
				switch {
				case s.set:
					var err error
					if f, err = c.Snooze(s.snooze, s.at, nil); err != nil {
						t.Fatal(err)
					}
				case s.ping != "":
					_, f = c.ApplyPing(Signal{Kind: s.ping}, s.at, nil)
				default:
					if c.AlertAfter.IsZero() || c.AlertAfter.After(s.at) {
						continue // not due: the sweep would not look at it
					}
					f = c.Sweep(s.at, nil)
				}
				f = c.Hold(f, inWindow(s.at), s.at)
				if f != nil {
					got = append(got, flipSummary{f.Created, f.OldStatus, f.NewStatus, f.Reason, !f.Processed.IsZero()})
				}
			}
			if !sameFlips(got, tt.want) {
				t.Errorf("flips = %+v, want %+v", got, tt.want)
			}
		})
	}
}
