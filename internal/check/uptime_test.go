package check

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// nov is midnight UTC of 2026-11-<d>.
func nov(d int) time.Time { return time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC) }

func flip(at time.Time, old, new Status) *Flip {
	return &Flip{CheckID: "c", Created: at, OldStatus: old, NewStatus: new}
}

// newestFirst lists flips as the stores do.
func newestFirst(fs ...*Flip) []*Flip {
	out := make([]*Flip, len(fs))
	for i, f := range fs {
		out[len(fs)-1-i] = f
	}
	return out
}

func TestHistorySpans(t *testing.T) {
	h := time.Hour
	// Three days, 10 to 12 November, the last one until now, 12 November 12:00.
	now := nov(12).Add(12 * h)
	bounds := []time.Time{nov(10), nov(11), nov(12), now}
	type want struct {
		up, down time.Duration
		outages  int
		state    DayState
	}
	for _, tc := range []struct {
		name string
		h    History
		want []want
	}{
		{
			name: "up all along, no flips in the period",
			h:    History{Status: StatusUp, Created: nov(1)},
			want: []want{{24 * h, 0, 0, DayUp}, {24 * h, 0, 0, DayUp}, {12 * h, 0, 0, DayUp}},
		},
		{
			name: "never pinged: no data",
			h:    History{Status: StatusNew, Created: nov(1)},
			want: []want{{0, 0, 0, DayNone}, {0, 0, 0, DayNone}, {0, 0, 0, DayNone}},
		},
		{
			name: "created mid-period: nothing before, new time not counted",
			h: History{Status: StatusUp, Created: nov(11).Add(9 * h),
				Flips: newestFirst(flip(nov(11).Add(10*h), StatusNew, StatusUp))},
			want: []want{{0, 0, 0, DayNone}, {14 * h, 0, 0, DayUp}, {12 * h, 0, 0, DayUp}},
		},
		{
			name: "a partial day: down from 10:00 to 16:00",
			h: History{Status: StatusUp, Created: nov(1),
				Flips: newestFirst(flip(nov(10).Add(10*h), StatusUp, StatusDown), flip(nov(10).Add(16*h), StatusDown, StatusUp))},
			want: []want{{18 * h, 6 * h, 1, DayPartial}, {24 * h, 0, 0, DayUp}, {12 * h, 0, 0, DayUp}},
		},
		{
			name: "down a whole day, then still down",
			h: History{Status: StatusDown, Created: nov(1),
				Flips: newestFirst(flip(nov(9).Add(23*h), StatusUp, StatusDown))},
			want: []want{{0, 24 * h, 1, DayDown}, {0, 24 * h, 1, DayDown}, {0, 12 * h, 1, DayDown}},
		},
		{
			name: "an outage across midnight counts in both days",
			h: History{Status: StatusUp, Created: nov(1),
				Flips: newestFirst(flip(nov(10).Add(22*h), StatusUp, StatusDown), flip(nov(11).Add(2*h), StatusDown, StatusUp))},
			want: []want{{22 * h, 2 * h, 1, DayPartial}, {22 * h, 2 * h, 1, DayPartial}, {12 * h, 0, 0, DayUp}},
		},
		{
			name: "paused time counts neither way; resumed, new until the next ping",
			h: History{Status: StatusUp, Created: nov(1),
				Flips: newestFirst(
					flip(nov(10).Add(12*h), StatusUp, StatusPaused),
					flip(nov(11).Add(3*h), StatusPaused, StatusNew),
					flip(nov(11).Add(6*h), StatusNew, StatusUp))},
			want: []want{{12 * h, 0, 0, DayUp}, {18 * h, 0, 0, DayUp}, {12 * h, 0, 0, DayUp}},
		},
		{
			name: "paused while down: the outage ends at the pause",
			h: History{Status: StatusPaused, Created: nov(1),
				Flips: newestFirst(flip(nov(10).Add(6*h), StatusUp, StatusDown), flip(nov(10).Add(8*h), StatusDown, StatusPaused))},
			want: []want{{6 * h, 2 * h, 1, DayPartial}, {0, 0, 0, DayNone}, {0, 0, 0, DayNone}},
		},
		{
			name: "a held alert released (down to down) is the same outage",
			h: History{Status: StatusUp, Created: nov(1),
				Flips: newestFirst(
					flip(nov(11).Add(1*h), StatusUp, StatusDown),
					flip(nov(11).Add(3*h), StatusDown, StatusDown),
					flip(nov(11).Add(4*h), StatusDown, StatusUp))},
			want: []want{{24 * h, 0, 0, DayUp}, {21 * h, 3 * h, 1, DayPartial}, {12 * h, 0, 0, DayUp}},
		},
		{
			name: "before the known history nothing counts, whatever the oldest flip says",
			h: History{Status: StatusUp, Created: nov(1), Known: nov(11).Add(12 * h),
				Flips: newestFirst(flip(nov(11).Add(18*h), StatusDown, StatusUp))},
			want: []want{{0, 0, 0, DayNone}, {6 * h, 6 * h, 1, DayPartial}, {12 * h, 0, 0, DayUp}},
		},
		{
			name: "flips older than the period only set where it starts",
			h: History{Status: StatusDown, Created: nov(1),
				Flips: newestFirst(flip(nov(2), StatusNew, StatusUp), flip(nov(3), StatusUp, StatusDown), flip(nov(11), StatusUp, StatusDown))},
			// nov(11)'s flip says up before it: the old flips do not make day 10 down.
			want: []want{{24 * h, 0, 0, DayUp}, {0, 24 * h, 1, DayDown}, {0, 12 * h, 1, DayDown}},
		},
		{
			name: "a flip stamped after now starts nothing after now",
			h: History{Status: StatusDown, Created: nov(1),
				Flips: newestFirst(flip(now.Add(time.Minute), StatusUp, StatusDown))},
			want: []want{{24 * h, 0, 0, DayUp}, {24 * h, 0, 0, DayUp}, {12 * h, 0, 0, DayUp}},
		},
		{
			name: "flips in any order",
			h: History{Status: StatusUp, Created: nov(1),
				Flips: []*Flip{flip(nov(10).Add(16*h), StatusDown, StatusUp), flip(nov(10).Add(10*h), StatusUp, StatusDown)}},
			want: []want{{18 * h, 6 * h, 1, DayPartial}, {24 * h, 0, 0, DayUp}, {12 * h, 0, 0, DayUp}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spans := tc.h.Spans(bounds)
			if len(spans) != len(tc.want) {
				t.Fatalf("Spans = %d spans, want %d", len(spans), len(tc.want))
			}
			for i, sp := range spans {
				w := tc.want[i]
				if !sp.Start.Equal(bounds[i]) || !sp.End.Equal(bounds[i+1]) {
					t.Errorf("span %d is [%v, %v), want [%v, %v)", i, sp.Start, sp.End, bounds[i], bounds[i+1])
				}
				if sp.Up != w.up || sp.Down != w.down || sp.Outages != w.outages || sp.State() != w.state {
					t.Errorf("span %d (%s) = up %v, down %v, %d outages, %s; want up %v, down %v, %d outages, %s",
						i, sp.Start.Format("Jan 2"), sp.Up, sp.Down, sp.Outages, sp.State(), w.up, w.down, w.outages, w.state)
				}
			}
		})
	}
}

func TestSpanUptime(t *testing.T) {
	for _, tc := range []struct {
		span   Span
		want   int
		wantOK bool
	}{
		{Span{Up: 18 * time.Hour, Down: 6 * time.Hour}, 7500, true},
		{Span{Up: 234 * time.Hour, Down: 6 * time.Hour}, 9750, true},        // 0.975 is not exact in binary
		{Span{Up: 225 * time.Hour, Down: 6 * time.Hour}, 9740, true},        // 97.402…: rounded down
		{Span{Up: 90 * 24 * time.Hour, Down: time.Second}, 9999, true},      // any downtime shows
		{Span{Up: 90 * 24 * time.Hour, Down: time.Millisecond}, 9999, true}, // even under a second
		{Span{Up: time.Hour}, 10000, true},
		{Span{Down: time.Hour}, 0, true},
		{Span{}, 0, false},
	} {
		if got, ok := tc.span.Uptime(); got != tc.want || ok != tc.wantOK {
			t.Errorf("Uptime of up %v, down %v = %v, %v; want %v, %v", tc.span.Up, tc.span.Down, got, ok, tc.want, tc.wantOK)
		}
	}
}

// TestWholePeriodCountsAnOutageOnce: asked for one span over several days, an outage that
// crosses midnight is one outage.
func TestWholePeriodCountsAnOutageOnce(t *testing.T) {
	h := History{Status: StatusUp, Created: nov(1),
		Flips: newestFirst(flip(nov(10).Add(22*time.Hour), StatusUp, StatusDown), flip(nov(11).Add(2*time.Hour), StatusDown, StatusUp))}
	spans := h.Spans([]time.Time{nov(10), nov(12)})
	if len(spans) != 1 || spans[0].Outages != 1 || spans[0].Down != 4*time.Hour || spans[0].Up != 44*time.Hour {
		t.Fatalf("Spans over two days = %+v, want one span: 1 outage, 4h down, 44h up", spans)
	}
	if got := h.Spans([]time.Time{nov(10)}); got != nil {
		t.Errorf("Spans with one bound = %+v, want none", got)
	}
}

func TestDayAndMonthBounds(t *testing.T) {
	now := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	wantDays := []time.Time{
		time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), now,
	}
	if diff := cmp.Diff(wantDays, DayBounds(now, 3, time.UTC)); diff != "" {
		t.Errorf("DayBounds (-want +got):\n%s", diff)
	}
	wantMonths := []time.Time{
		time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), now,
	}
	if diff := cmp.Diff(wantMonths, MonthBounds(now, 3, time.UTC)); diff != "" {
		t.Errorf("MonthBounds (-want +got):\n%s", diff)
	}
	// In a zone with a DST change, days are calendar days there: 23 hours on the spring one.
	riga, err := time.LoadLocation("Europe/Riga")
	if err != nil {
		t.Fatal(err)
	}
	b := DayBounds(time.Date(2026, 3, 30, 12, 0, 0, 0, riga), 2, riga)
	if got := b[1].Sub(b[0]); got != 23*time.Hour {
		t.Errorf("29 March 2026 in Riga lasts %v, want 23h", got)
	}
}

func TestStatusPageValidate(t *testing.T) {
	good := StatusPage{ProjectID: "p", Key: "abcdefghijklmnop0123456789", Checks: []string{"a", "b"}}
	if err := good.Validate(); err != nil {
		t.Fatalf("Validate(good) = %v", err)
	}
	many := make([]string, MaxStatusChecks+1)
	for i := range many {
		many[i] = string(rune('a'+i%26)) + time.Duration(i).String()
	}
	for _, tc := range []struct {
		name string
		edit func(sp *StatusPage)
		want string
	}{
		{"no project", func(sp *StatusPage) { sp.ProjectID = "" }, "no project"},
		{"short key", func(sp *StatusPage) { sp.Key = "abc" }, "16 to 64"},
		{"upper case key", func(sp *StatusPage) { sp.Key = "ABCDEFGHIJKLMNOPQRST" }, "only a-z and 0-9"},
		{"slash in key", func(sp *StatusPage) { sp.Key = "abcdefgh/ijklmnopqrst" }, "only a-z and 0-9"},
		{"twice", func(sp *StatusPage) { sp.Checks = []string{"a", "a"} }, "twice"},
		{"empty ID", func(sp *StatusPage) { sp.Checks = []string{""} }, "without an ID"},
		{"too many", func(sp *StatusPage) { sp.Checks = many }, "at most 100"},
	} {
		sp := good
		tc.edit(&sp)
		if err := sp.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Validate = %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
	key, err := GenerateStatusKey(strings.NewReader("0123456789abcdefghijklmnopqrstuvwxyz0123456789"))
	if err != nil || len(key) != StatusKeyLength || ValidateStatusKey(key) != nil {
		t.Errorf("GenerateStatusKey = %q, %v; want %d valid characters", key, err, StatusKeyLength)
	}
}
