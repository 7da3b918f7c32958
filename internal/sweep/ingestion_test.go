package sweep

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/check"
)

// TestOutages reads outages from the canary's pings: gaps longer than the tolerance, the newest
// first, the one reaching now ongoing; none before the canary has pinged at all.
func TestOutages(t *testing.T) {
	st := openStore(t)
	seed(t, st, "canary", func(c *check.Check) { c.Timeout = 24 * time.Hour }, time.Time{})
	in := &Ingestion{CanaryID: "canary", Every: 10 * time.Second}
	if got, err := in.Outages(t.Context(), st, t0); err != nil || len(got) != 0 {
		t.Fatalf("Outages without canary pings = %v, %v; want none", got, err)
	}
	// Pinged every 10 s from t0 to t0+60s, then nothing until t0+5m, then every 10 s again.
	for at := t0; !at.After(t0.Add(time.Minute)); at = at.Add(10 * time.Second) {
		ping(t, st, "canary", at)
	}
	for _, tt := range []struct {
		now  time.Time
		want []Outage
	}{
		{t0.Add(80 * time.Second), nil}, // 20 s since the last: within 30 s
		{t0.Add(91 * time.Second), []Outage{{Start: t0.Add(time.Minute), Cause: CauseCanary}}}, // 31 s: ongoing
		{t0.Add(4 * time.Minute), []Outage{{Start: t0.Add(time.Minute), Cause: CauseCanary}}},  // still
	} {
		got, err := in.Outages(t.Context(), st, tt.now)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Outages at +%v (-want +got):\n%s", tt.now.Sub(t0), diff)
		}
	}
	ping(t, st, "canary", t0.Add(5*time.Minute))
	got, err := in.Outages(t.Context(), st, t0.Add(5*time.Minute+5*time.Second))
	if want := []Outage{{Start: t0.Add(time.Minute), End: t0.Add(5 * time.Minute), Cause: CauseCanary}}; err != nil || !cmp.Equal(want, got) {
		t.Errorf("Outages after the recovery = %v, %v; want %v", got, err, want)
	}
}

// TestHold: a deadline whose ping window (grace plus one canary interval) saw an outage is held
// while the outage lasts and resumed a period after the recovery; one whose window saw none,
// or whose resumed deadline has passed too, goes down.
func TestHold(t *testing.T) {
	in := &Ingestion{CanaryID: "canary", Every: 10 * time.Second}
	c := check.New("c", "p", t0.Add(-time.Hour))
	c.Timeout, c.Grace, c.Status, c.LastPing = 5*time.Minute, time.Minute, check.StatusUp, t0
	c.AlertAfter = c.GoingDownAfter(nil) // t0+6m
	due := c.AlertAfter
	ongoing := []Outage{{Start: t0.Add(5 * time.Minute)}}
	ended := []Outage{{Start: t0.Add(5 * time.Minute), End: t0.Add(7 * time.Minute)}}
	before := []Outage{{Start: t0.Add(2 * time.Minute), End: t0.Add(4*time.Minute + 49*time.Second)}}
	for _, tt := range []struct {
		name    string
		outages []Outage
		now     time.Time
		hold    bool
		until   time.Time
	}{
		{"no outage", nil, due, false, time.Time{}},
		{"outage ended before the ping window", before, due, false, time.Time{}},
		{"outage ongoing", ongoing, due.Add(time.Second), true, due.Add(31 * time.Second)},
		{"outage ended: resumed a period after the recovery", ended, t0.Add(7*time.Minute + 2*time.Second), true, t0.Add(13 * time.Minute)},
		{"resumed deadline passed too", ended, t0.Add(13 * time.Minute), false, time.Time{}},
		{"looked at again well after the recovery, before the resumed deadline", ended, t0.Add(12 * time.Minute), true, t0.Add(13 * time.Minute)},
	} {
		hold, until := in.hold(c, nil, tt.outages, tt.now)
		if hold != tt.hold || !until.Equal(tt.until) {
			t.Errorf("%s: hold = %v until %v, want %v until %v", tt.name, hold, until, tt.hold, tt.until)
		}
		// Held once already (AlertAfter moved on): judged on the same ping window.
		held := *c
		held.AlertAfter = tt.now.Add(-time.Second)
		hold, until = in.hold(&held, nil, tt.outages, tt.now)
		if hold != tt.hold || !until.Equal(tt.until) {
			t.Errorf("%s: hold = %v until %v, want %v until %v", tt.name, hold, until, tt.hold, tt.until)
		}
	}
}
