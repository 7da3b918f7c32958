package check

import (
	"testing"
	"time"
)

// t0 is the fixed instant the tests are written around.
var t0 = time.Date(2026, 11, 24, 20, 0, 0, 0, time.UTC)

// daily is a test schedule firing every day at hour:00 in loc.
type daily struct {
	hour int
	loc  *time.Location
}

func (d daily) Next(after time.Time) time.Time {
	l := after.In(d.loc)
	t := time.Date(l.Year(), l.Month(), l.Day(), d.hour, 0, 0, 0, d.loc)
	if !t.After(after) {
		t = time.Date(l.Year(), l.Month(), l.Day()+1, d.hour, 0, 0, 0, d.loc)
	}
	return t.UTC()
}

// never is a schedule with no future fire time, like an OnCalendar date in the past.
type never struct{}

func (never) Next(time.Time) time.Time { return time.Time{} }

func upCheck(lastPing time.Time) *Check {
	c := New("c1", "p1", lastPing.Add(-time.Hour))
	c.Status = StatusUp
	c.LastPing = lastPing
	return c
}

func TestStatusAtSimple(t *testing.T) {
	tests := []struct {
		name        string
		build       func() *Check
		now         time.Time
		withStarted bool
		want        Status
	}{
		{"new", func() *Check { return New("c", "p", t0) }, t0, false, StatusNew},
		{"up, just pinged", func() *Check { return upCheck(t0) }, t0.Add(time.Minute), false, StatusUp},
		{"up, last ping 1d30m ago: grace", func() *Check { return upCheck(t0) }, t0.Add(24*time.Hour + 30*time.Minute), false, StatusGrace},
		{"exactly at expected time: grace", func() *Check { return upCheck(t0) }, t0.Add(24 * time.Hour), false, StatusGrace},
		{"one second before expected: up", func() *Check { return upCheck(t0) }, t0.Add(24*time.Hour - time.Second), false, StatusUp},
		{"exactly expected + grace: down", func() *Check { return upCheck(t0) }, t0.Add(25 * time.Hour), false, StatusDown},
		{"2 days ago: down", func() *Check { return upCheck(t0) }, t0.Add(48 * time.Hour), false, StatusDown},
		{"stored down pinged 1 min ago", func() *Check { c := upCheck(t0); c.Status = StatusDown; return c }, t0.Add(time.Minute), false, StatusDown},
		{"paused even if overdue", func() *Check { c := upCheck(t0); c.Status = StatusPaused; return c }, t0.Add(100 * time.Hour), false, StatusPaused},
		{"started 5 min ago, v1", func() *Check { c := upCheck(t0); c.LastStart = t0.Add(time.Hour); return c }, t0.Add(65 * time.Minute), true, StatusStarted},
		{"started 5 min ago, v2 keeps up", func() *Check { c := upCheck(t0); c.LastStart = t0.Add(time.Hour); return c }, t0.Add(65 * time.Minute), false, StatusUp},
		{"new started 5 min ago, v1", func() *Check { c := New("c", "p", t0); c.LastStart = t0; return c }, t0.Add(5 * time.Minute), true, StatusStarted},
		{"down started 5 min ago, v1 says started", func() *Check { c := upCheck(t0); c.Status = StatusDown; c.LastStart = t0; return c }, t0.Add(5 * time.Minute), true, StatusStarted},
		{"up started 2h ago, grace 1h: down", func() *Check { c := upCheck(t0); c.LastStart = t0.Add(time.Minute); return c }, t0.Add(2 * time.Hour), false, StatusDown},
		{"paused started 2h ago: down", func() *Check { c := upCheck(t0); c.Status = StatusPaused; c.LastStart = t0; return c }, t0.Add(2 * time.Hour), true, StatusDown},
		{"new started 2h ago: down", func() *Check { c := New("c", "p", t0); c.LastStart = t0; return c }, t0.Add(2 * time.Hour), false, StatusDown},
		{"down started 2h ago: down", func() *Check { c := upCheck(t0); c.Status = StatusDown; c.LastStart = t0; return c }, t0.Add(2 * time.Hour), true, StatusDown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.build()
			if got := c.StatusAt(tt.now, nil, tt.withStarted); got != tt.want {
				t.Errorf("StatusAt(%v, withStarted=%v) = %v, want %v", tt.now, tt.withStarted, got, tt.want)
			}
		})
	}
}

func TestStatusAtSchedule(t *testing.T) {
	brisbane, err := time.LoadLocation("Australia/Brisbane")
	if err != nil {
		t.Fatal(err)
	}
	y2k := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		sched Schedule
		now   time.Time
		want  Status
	}{
		// Healthchecks test_status_works_with_cron_syntax: 0 0 * * * UTC, last ping at midnight.
		{"cron UTC 23:59", daily{0, time.UTC}, y2k.Add(23*time.Hour + 59*time.Minute), StatusUp},
		{"cron UTC midnight", daily{0, time.UTC}, y2k.Add(24 * time.Hour), StatusGrace},
		{"cron UTC 01:00", daily{0, time.UTC}, y2k.Add(25 * time.Hour), StatusDown},
		// test_status_works_with_timezone: 0 10 * * * in Brisbane (UTC+10) fires at 00:00 UTC.
		{"cron Brisbane 23:59 UTC", daily{10, brisbane}, y2k.Add(23*time.Hour + 59*time.Minute), StatusUp},
		{"cron Brisbane 00:00 UTC", daily{10, brisbane}, y2k.Add(24 * time.Hour), StatusGrace},
		{"cron Brisbane 01:00 UTC", daily{10, brisbane}, y2k.Add(25 * time.Hour), StatusDown},
		// test_status_handles_stopiteration: no future fire time means up forever.
		{"never fires again", never{}, y2k.Add(20 * 365 * 24 * time.Hour), StatusUp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := upCheck(y2k)
			c.Kind = KindCron
			if got := c.StatusAt(tt.now, tt.sched, false); got != tt.want {
				t.Errorf("StatusAt(%v) = %v, want %v", tt.now, got, tt.want)
			}
		})
	}
	c := upCheck(y2k)
	c.Kind = KindOnCalendar
	if got := c.NextPing(never{}); !got.IsZero() {
		t.Errorf("NextPing with a schedule that never fires = %v, want zero", got)
	}
}

func TestGoingDownAfter(t *testing.T) {
	tests := []struct {
		name  string
		build func() *Check
		want  time.Time
	}{
		{"new", func() *Check { return New("c", "p", t0) }, time.Time{}},
		{"paused pinged 2d ago", func() *Check { c := upCheck(t0); c.Status = StatusPaused; return c }, time.Time{}},
		{"up", func() *Check { return upCheck(t0) }, t0.Add(25 * time.Hour)},
		{"paused + start", func() *Check { c := upCheck(t0); c.Status = StatusPaused; c.LastStart = t0.Add(time.Minute); return c }, t0.Add(61 * time.Minute)},
		{"up + start before expected", func() *Check { c := upCheck(t0); c.LastStart = t0.Add(time.Hour); return c }, t0.Add(2 * time.Hour)},
		{"down", func() *Check { c := upCheck(t0); c.Status = StatusDown; return c }, time.Time{}},
		{"down + start", func() *Check { c := upCheck(t0); c.Status = StatusDown; c.LastStart = t0; return c }, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.build().GoingDownAfter(nil); !got.Equal(tt.want) {
				t.Errorf("GoingDownAfter() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestApplyPingTransitions(t *testing.T) {
	exit := func(n int) *int { return &n }
	tests := []struct {
		name       string
		build      func() *Check
		sig        Signal
		wantKind   PingKind
		wantStatus Status
		wantFlip   *Flip // nil: no flip
		wantNotify bool
	}{
		{"success on new", func() *Check { return New("c", "p", t0) }, Signal{Kind: PingSuccess, Method: "GET"},
			PingSuccess, StatusUp, &Flip{OldStatus: StatusNew, NewStatus: StatusUp}, false},
		{"fail on new", func() *Check { return New("c", "p", t0) }, Signal{Kind: PingFail, Method: "GET"},
			PingFail, StatusDown, &Flip{OldStatus: StatusNew, NewStatus: StatusDown, Reason: ReasonFail}, true},
		{"success on up: no flip", func() *Check { return upCheck(t0) }, Signal{Kind: PingSuccess},
			PingSuccess, StatusUp, nil, false},
		{"success on down", func() *Check { c := upCheck(t0); c.Status = StatusDown; return c }, Signal{Kind: PingSuccess},
			PingSuccess, StatusUp, &Flip{OldStatus: StatusDown, NewStatus: StatusUp}, true},
		{"success on paused", func() *Check { c := upCheck(t0); c.Status = StatusPaused; return c }, Signal{Kind: PingSuccess},
			PingSuccess, StatusUp, &Flip{OldStatus: StatusPaused, NewStatus: StatusUp}, false},
		{"fail on paused", func() *Check { c := upCheck(t0); c.Status = StatusPaused; return c }, Signal{Kind: PingFail},
			PingFail, StatusDown, &Flip{OldStatus: StatusPaused, NewStatus: StatusDown, Reason: ReasonFail}, true},
		{"exit status 0 is a success signal", func() *Check { return upCheck(t0) }, Signal{Kind: PingSuccess, ExitStatus: exit(0)},
			PingSuccess, StatusUp, nil, false},
		{"start never flips", func() *Check { return New("c", "p", t0) }, Signal{Kind: PingStart},
			PingStart, StatusNew, nil, false},
		{"start on paused stays paused", func() *Check { c := upCheck(t0); c.Status = StatusPaused; return c }, Signal{Kind: PingStart},
			PingStart, StatusPaused, nil, false},
		{"log never flips", func() *Check { return New("c", "p", t0) }, Signal{Kind: PingLog},
			PingLog, StatusNew, nil, false},
		{"methods=POST ignores GET", func() *Check { c := New("c", "p", t0); c.Methods = "POST"; return c }, Signal{Kind: PingSuccess, Method: "GET"},
			PingIgnored, StatusNew, nil, false},
		{"methods=POST takes POST", func() *Check { c := New("c", "p", t0); c.Methods = "POST"; return c }, Signal{Kind: PingSuccess, Method: "POST"},
			PingSuccess, StatusUp, &Flip{OldStatus: StatusNew, NewStatus: StatusUp}, false},
		{"manual resume ignores pings", func() *Check { c := upCheck(t0); c.Status = StatusPaused; c.ManualResume = true; return c }, Signal{Kind: PingFail},
			PingIgnored, StatusPaused, nil, false},
	}
	now := t0.Add(time.Hour)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.build()
			before := c.NPings
			p, f := c.ApplyPing(tt.sig, now, nil)
			if p.Kind != tt.wantKind {
				t.Errorf("ping kind = %v, want %v", p.Kind, tt.wantKind)
			}
			if c.Status != tt.wantStatus {
				t.Errorf("status = %v, want %v", c.Status, tt.wantStatus)
			}
			if c.NPings != before+1 || p.N != c.NPings {
				t.Errorf("NPings = %d, ping N = %d, want both %d", c.NPings, p.N, before+1)
			}
			switch {
			case tt.wantFlip == nil && f != nil:
				t.Errorf("flip = %+v, want none", f)
			case tt.wantFlip != nil && f == nil:
				t.Errorf("no flip, want %+v", tt.wantFlip)
			case f != nil:
				if f.OldStatus != tt.wantFlip.OldStatus || f.NewStatus != tt.wantFlip.NewStatus || f.Reason != tt.wantFlip.Reason || !f.Created.Equal(now) || f.CheckID != c.ID {
					t.Errorf("flip = %+v, want %+v at %v", f, tt.wantFlip, now)
				}
				if !f.Processed.IsZero() {
					t.Errorf("ping flip is processed at creation; want it left for the notifier")
				}
				if f.Notifies() != tt.wantNotify {
					t.Errorf("Notifies() = %v, want %v", f.Notifies(), tt.wantNotify)
				}
			}
		})
	}
}

func TestApplyPingUpdatesTimes(t *testing.T) {
	c := New("c", "p", t0)
	c.ApplyPing(Signal{Kind: PingSuccess}, t0, nil)
	if !c.LastPing.Equal(t0) || !c.AlertAfter.Equal(t0.Add(25*time.Hour)) {
		t.Errorf("after success: LastPing %v AlertAfter %v, want %v and %v", c.LastPing, c.AlertAfter, t0, t0.Add(25*time.Hour))
	}
	// log pings do not touch last_ping.
	c.ApplyPing(Signal{Kind: PingLog}, t0.Add(time.Hour), nil)
	if !c.LastPing.Equal(t0) {
		t.Errorf("log moved LastPing to %v", c.LastPing)
	}
	// start arms the run timer: goes down at start + grace.
	start := t0.Add(2 * time.Hour)
	c.ApplyPing(Signal{Kind: PingStart, RID: "a"}, start, nil)
	if !c.LastStart.Equal(start) || c.LastStartRID != "a" || !c.AlertAfter.Equal(start.Add(time.Hour)) {
		t.Errorf("after start: LastStart %v rid %q AlertAfter %v", c.LastStart, c.LastStartRID, c.AlertAfter)
	}
	if !c.LastPing.Equal(t0) {
		t.Errorf("start moved LastPing to %v", c.LastPing)
	}
	if !c.NextPing(nil).Equal(start) {
		t.Errorf("NextPing during a run = %v, want last start %v (Healthchecks quirk)", c.NextPing(nil), start)
	}
}

func TestApplyPingRunIDs(t *testing.T) {
	start := t0
	end := t0.Add(10 * time.Second)
	tests := []struct {
		name         string
		startRID     string
		kind         PingKind
		rid          string
		wantStarted  bool
		wantDuration time.Duration
		wantStatus   Status
	}{
		{"no rid both sides", "", PingSuccess, "", false, 10 * time.Second, StatusUp},
		{"matching rid", "a", PingSuccess, "a", false, 10 * time.Second, StatusUp},
		{"success of another run keeps running", "a", PingSuccess, "b", true, 0, StatusUp},
		{"success without rid ends the run", "a", PingSuccess, "", false, 0, StatusUp},
		{"fail of another run ends the run", "a", PingFail, "b", false, 0, StatusDown},
		{"start without rid, success with rid keeps running", "", PingSuccess, "a", true, 0, StatusUp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New("c", "p", t0)
			c.ApplyPing(Signal{Kind: PingStart, RID: tt.startRID}, start, nil)
			c.ApplyPing(Signal{Kind: tt.kind, RID: tt.rid}, end, nil)
			if c.Started() != tt.wantStarted {
				t.Errorf("Started() = %v, want %v", c.Started(), tt.wantStarted)
			}
			if c.LastDuration != tt.wantDuration {
				t.Errorf("LastDuration = %v, want %v", c.LastDuration, tt.wantDuration)
			}
			if c.Status != tt.wantStatus {
				t.Errorf("Status = %v, want %v", c.Status, tt.wantStatus)
			}
		})
	}
}

func TestClassifyKeywords(t *testing.T) {
	tests := []struct {
		name  string
		setup func(c *Check)
		sig   Signal
		want  PingKind
	}{
		{"success keyword", func(c *Check) { c.FilterHTTPBody, c.SuccessKw = true, "SUCCESS" }, Signal{Kind: PingSuccess, Body: []byte("SUCCESS!")}, PingSuccess},
		{"success keyword miss", func(c *Check) { c.FilterHTTPBody, c.SuccessKw = true, "SUCCESS" }, Signal{Kind: PingSuccess, Body: []byte("hello world")}, PingIgnored},
		{"failure keyword", func(c *Check) { c.FilterHTTPBody, c.FailureKw = true, "FAIL" }, Signal{Kind: PingSuccess, Body: []byte("FAIL!")}, PingFail},
		{"failure keyword miss", func(c *Check) { c.FilterHTTPBody, c.FailureKw = true, "FAIL" }, Signal{Kind: PingSuccess, Body: []byte("---")}, PingIgnored},
		{"start keyword", func(c *Check) { c.FilterHTTPBody, c.StartKw = true, "START" }, Signal{Kind: PingSuccess, Body: []byte("STARTING")}, PingStart},
		{"default fail", func(c *Check) { c.FilterHTTPBody, c.SuccessKw, c.FilterDefaultFail = true, "SUCCESS", true }, Signal{Kind: PingSuccess, Body: []byte("no keywords")}, PingFail},
		{"failure wins over success", func(c *Check) { c.FilterHTTPBody, c.SuccessKw, c.FailureKw = true, "ok", "err" }, Signal{Kind: PingSuccess, Body: []byte("ok err")}, PingFail},
		{"keywords override /fail", func(c *Check) { c.FilterHTTPBody, c.SuccessKw = true, "SUCCESS" }, Signal{Kind: PingFail, Body: []byte("SUCCESS")}, PingSuccess},
		{"keywords are case-sensitive", func(c *Check) { c.FilterHTTPBody, c.SuccessKw = true, "SUCCESS" }, Signal{Kind: PingSuccess, Body: []byte("success")}, PingIgnored},
		{"keyword list trimmed, empties skipped", func(c *Check) { c.FilterHTTPBody, c.SuccessKw = true, " , done ,,ok" }, Signal{Kind: PingSuccess, Body: []byte("all done")}, PingSuccess},
		{"invalid UTF-8 still matches bytes", func(c *Check) { c.FilterHTTPBody, c.SuccessKw = true, "World" }, Signal{Kind: PingSuccess, Body: []byte("Hello \xe9 World")}, PingSuccess},
		{"manual resume beats keywords", func(c *Check) {
			c.Status, c.ManualResume, c.FilterHTTPBody, c.SuccessKw = StatusPaused, true, true, "SUCCESS"
		}, Signal{Kind: PingSuccess, Body: []byte("SUCCESS")}, PingIgnored},
		{"methods=POST beats default fail", func(c *Check) { c.Methods, c.FilterHTTPBody, c.FilterDefaultFail = "POST", true, true }, Signal{Kind: PingSuccess, Method: "GET"}, PingIgnored},
		{"email filters do not apply to HTTP", func(c *Check) { c.FilterSubject, c.FilterBody, c.SuccessKw = true, true, "SUCCESS" }, Signal{Kind: PingSuccess, Method: "GET", Body: []byte("x")}, PingSuccess},
		{"email: success without filters", func(c *Check) { c.FailureKw = "ERROR" }, Signal{Kind: PingSuccess, Email: true, Subject: "ERROR"}, PingSuccess},
		{"email: subject filter", func(c *Check) { c.FilterSubject, c.FailureKw = true, "ERROR" }, Signal{Kind: PingSuccess, Email: true, Subject: "backup ERROR", Text: "fine"}, PingFail},
		{"email: subject filter ignores the body", func(c *Check) { c.FilterSubject, c.FailureKw = true, "ERROR" }, Signal{Kind: PingSuccess, Email: true, Subject: "backup", Text: "ERROR"}, PingIgnored},
		{"email: body filter", func(c *Check) { c.FilterBody, c.StartKw = true, "begin" }, Signal{Kind: PingSuccess, Email: true, Subject: "x", Text: "we begin"}, PingStart},
		{"email: keywords do not span subject and body", func(c *Check) { c.FilterSubject, c.FilterBody, c.SuccessKw = true, true, "a b" }, Signal{Kind: PingSuccess, Email: true, Subject: "a", Text: "b"}, PingIgnored},
		{"email: methods and the HTTP filter do not apply", func(c *Check) { c.Methods, c.FilterHTTPBody, c.FilterDefaultFail = "POST", true, true }, Signal{Kind: PingSuccess, Email: true}, PingSuccess},
		{"email: manual resume", func(c *Check) { c.Status, c.ManualResume = StatusPaused, true }, Signal{Kind: PingSuccess, Email: true}, PingIgnored},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New("c", "p", t0)
			tt.setup(c)
			if got := c.Classify(tt.sig); got != tt.want {
				t.Errorf("Classify(%q) = %v, want %v", tt.sig.Body, got, tt.want)
			}
		})
	}
}

func TestUserAgentTruncation(t *testing.T) {
	ua120 := string(make([]byte, 120))
	long := ""
	for len([]rune(long)) < 330 {
		long += "é"
	}
	c := New("c", "p", t0)
	p, _ := c.ApplyPing(Signal{Kind: PingLog, UA: ua120}, t0, nil)
	if p.UA != ua120 {
		t.Errorf("120-char UA changed")
	}
	p, _ = c.ApplyPing(Signal{Kind: PingLog, UA: long}, t0, nil)
	if n := len([]rune(p.UA)); n != MaxUserAgent {
		t.Errorf("330-char UA stored with %d characters, want %d", n, MaxUserAgent)
	}
}

func TestDurations(t *testing.T) {
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	pings := []*Ping{
		{N: 1, Kind: PingStart, RID: "a", Created: at(0)},
		{N: 2, Kind: PingStart, RID: "b", Created: at(time.Minute)},
		{N: 3, Kind: PingIgnored, Created: at(90 * time.Second)},
		{N: 4, Kind: PingSuccess, RID: "a", Created: at(2 * time.Minute)},
		{N: 5, Kind: PingSuccess, RID: "b", Created: at(6 * time.Minute)},
		{N: 6, Kind: PingSuccess, RID: "b", Created: at(7 * time.Minute)}, // consecutive: none
		{N: 7, Kind: PingStart, Created: at(time.Hour)},
		{N: 8, Kind: PingSuccess, Created: at(time.Hour + 73*time.Hour)}, // over MaxDuration
		{N: 9, Kind: PingStart, Created: at(80 * time.Hour)},
		{N: 10, Kind: PingLog, Created: at(80*time.Hour + time.Second)},
		{N: 11, Kind: PingFail, Created: at(80*time.Hour + 2*time.Second)},
	}
	// Input order must not matter: pass newest first, as the API lists them.
	rev := make([]*Ping, len(pings))
	for i, p := range pings {
		rev[len(pings)-1-i] = p
	}
	got := Durations(rev)
	want := map[int]time.Duration{4: 2 * time.Minute, 5: 5 * time.Minute, 11: 2 * time.Second}
	if len(got) != len(want) {
		t.Errorf("Durations = %v, want %v", got, want)
	}
	for n, d := range want {
		if got[n] != d {
			t.Errorf("duration of ping %d = %v, want %v", n, got[n], d)
		}
	}
	// Ping number 1 never has a duration.
	if d := Durations([]*Ping{{N: 1, Kind: PingSuccess, Created: t0}}); len(d) != 0 {
		t.Errorf("Durations of a lone first ping = %v, want none", d)
	}
}

func TestPauseResume(t *testing.T) {
	c := upCheck(t0)
	c.LastStart = t0
	c.AlertAfter = t0.Add(time.Hour)
	f := c.Pause(t0.Add(time.Minute))
	if f == nil || f.OldStatus != StatusUp || f.NewStatus != StatusPaused || f.Processed.IsZero() {
		t.Fatalf("Pause flip = %+v, want processed up→paused", f)
	}
	if c.Status != StatusPaused || c.Started() || !c.AlertAfter.IsZero() || !c.LastPing.Equal(t0) {
		t.Errorf("after Pause: %+v", c)
	}
	if again := c.Pause(t0.Add(2 * time.Minute)); again != nil {
		t.Errorf("second Pause flip = %+v, want none", again)
	}
	rf, err := c.Resume(t0.Add(3 * time.Minute))
	if err != nil || rf.OldStatus != StatusPaused || rf.NewStatus != StatusNew || rf.Processed.IsZero() || rf.Notifies() {
		t.Fatalf("Resume = %+v, %v", rf, err)
	}
	if c.Status != StatusNew || !c.LastPing.IsZero() {
		t.Errorf("after Resume: status %v last ping %v, want new and none", c.Status, c.LastPing)
	}
	if _, err := c.Resume(t0); err != ErrNotPaused {
		t.Errorf("Resume of a new check: err = %v, want %v", err, ErrNotPaused)
	}
}

func TestSweep(t *testing.T) {
	// Healthchecks test_it_creates_a_flip_when_check_goes_down: the flip carries the instant the
	// check went down (last ping + timeout + grace), not the sweep's now.
	c := upCheck(t0)
	now := t0.Add(48 * time.Hour)
	f := c.Sweep(now, nil)
	if f == nil || f.Reason != ReasonTimeout || f.OldStatus != StatusUp || f.NewStatus != StatusDown {
		t.Fatalf("Sweep flip = %+v, want up→down timeout", f)
	}
	if want := t0.Add(25 * time.Hour); !f.Created.Equal(want) {
		t.Errorf("flip time = %v, want %v", f.Created, want)
	}
	if c.Status != StatusDown || !c.AlertAfter.IsZero() {
		t.Errorf("after Sweep: status %v AlertAfter %v", c.Status, c.AlertAfter)
	}
	if again := c.Sweep(now, nil); again != nil {
		t.Errorf("second Sweep flip = %+v, want none", again)
	}

	// In grace: no flip, AlertAfter refreshed (test_it_updates_alert_after).
	g := upCheck(t0)
	g.AlertAfter = t0 // stale
	if f := g.Sweep(t0.Add(24*time.Hour+30*time.Minute), nil); f != nil {
		t.Errorf("Sweep in grace flipped: %+v", f)
	}
	if want := t0.Add(25 * time.Hour); !g.AlertAfter.Equal(want) {
		t.Errorf("refreshed AlertAfter = %v, want %v", g.AlertAfter, want)
	}

	// A run that never finishes takes a new check down at start + grace.
	s := New("c", "p", t0)
	s.ApplyPing(Signal{Kind: PingStart}, t0, nil)
	f = s.Sweep(t0.Add(2*time.Hour), nil)
	if f == nil || f.OldStatus != StatusNew || !f.Created.Equal(t0.Add(time.Hour)) {
		t.Errorf("start timeout flip = %+v, want new→down at %v", f, t0.Add(time.Hour))
	}
}

func TestTagList(t *testing.T) {
	c := &Check{Tags: " prod  www api "}
	got := c.TagList()
	want := []string{"prod", "www", "api"}
	if len(got) != len(want) {
		t.Fatalf("TagList() = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("TagList()[%d] = %q, want %q", i, got[i], want[i])
		}
	}
}

// TestUnknown: a check is unknown only while it is up, past its deadline by its last ping, and
// its AlertAfter was moved past now (held); not before its deadline, not once the hold ends,
// not when it is down, paused or new.
func TestUnknown(t *testing.T) {
	deadline := t0.Add(25 * time.Hour) // one-day timeout, one-hour grace
	held := func(until time.Time) func() *Check {
		return func() *Check { c := upCheck(t0); c.AlertAfter = until; return c }
	}
	for _, tt := range []struct {
		name  string
		build func() *Check
		now   time.Time
		want  bool
	}{
		{"held past its deadline", held(deadline.Add(time.Hour)), deadline.Add(time.Minute), true},
		{"held, in grace", held(deadline.Add(time.Hour)), deadline.Add(-time.Minute), false},
		{"due, not held (the sweep has not run)", held(deadline), deadline.Add(time.Minute), false},
		{"hold over", held(deadline.Add(time.Hour)), deadline.Add(time.Hour), false},
		{"down", func() *Check { c := held(deadline.Add(time.Hour))(); c.Status = StatusDown; return c }, deadline.Add(time.Minute), false},
		{"paused", func() *Check { c := held(deadline.Add(time.Hour))(); c.Status = StatusPaused; return c }, deadline.Add(time.Minute), false},
		{"pinged since", func() *Check { c := held(deadline.Add(time.Hour))(); c.LastPing = deadline; return c }, deadline.Add(time.Minute), false},
	} {
		c := tt.build()
		if got := c.Unknown(tt.now, nil); got != tt.want {
			t.Errorf("%s: Unknown(+%v) = %v, want %v", tt.name, tt.now.Sub(t0), got, tt.want)
		}
		if got := c.ReportedStatus(tt.now, nil, true); (got == StatusUnknown) != tt.want || !tt.want && got != c.StatusAt(tt.now, nil, true) {
			t.Errorf("%s: ReportedStatus(+%v) = %v, want unknown: %v", tt.name, tt.now.Sub(t0), got, tt.want)
		}
	}
}
