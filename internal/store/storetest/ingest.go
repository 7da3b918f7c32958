package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/store"
)

// IngestLog is the conformance suite of store.IngestLog: counts add up per minute (an instant
// within a minute counts for the minute), the range is [from, to) on the minutes' starts,
// oldest first, and minutes without counts are left out.
func IngestLog(t *testing.T, open func(t *testing.T) store.IngestLog) {
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	log := open(t)
	ctx := t.Context()
	for _, m := range []store.IngestMinute{
		{Minute: t0, Pings: 3},
		{Minute: t0.Add(30 * time.Second), Pings: 2, Failed: 1},
		{Minute: t0.Add(2 * time.Minute), Failed: 7},
		{Minute: t0.Add(-24 * time.Hour), Pings: 40},
	} {
		if err := log.AddIngest(ctx, m); err != nil {
			t.Fatalf("AddIngest(%+v): %v", m, err)
		}
	}
	for _, tt := range []struct {
		from, to time.Time
		want     []store.IngestMinute
	}{
		{t0, t0.Add(time.Hour), []store.IngestMinute{{Minute: t0, Pings: 5, Failed: 1}, {Minute: t0.Add(2 * time.Minute), Failed: 7}}},
		{t0.Add(time.Second), t0.Add(2 * time.Minute), nil},
		{t0.Add(-25 * time.Hour), t0.Add(time.Minute), []store.IngestMinute{{Minute: t0.Add(-24 * time.Hour), Pings: 40}, {Minute: t0, Pings: 5, Failed: 1}}},
		{t0.Add(2 * time.Minute), t0.Add(2*time.Minute + time.Nanosecond), []store.IngestMinute{{Minute: t0.Add(2 * time.Minute), Failed: 7}}},
	} {
		got, err := log.IngestMinutes(ctx, tt.from, tt.to)
		if err != nil {
			t.Fatalf("IngestMinutes(%v, %v): %v", tt.from, tt.to, err)
		}
		if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
			t.Errorf("IngestMinutes(+%v, +%v) (-want +got):\n%s", tt.from.Sub(t0), tt.to.Sub(t0), diff)
		}
	}
}
