package sweep

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/storetest"
)

// steady is counts of n ping requests in every minute from from to to (exclusive).
func steady(counts map[int64]store.IngestMinute, from, to time.Time, n int) {
	for m := from; m.Before(to); m = m.Add(time.Minute) {
		counts[m.Unix()] = store.IngestMinute{Minute: m, Pings: n}
	}
}

// TestJudgeIntake: minutes in which many ping requests failed are outages at once (the current
// one ongoing); a ping rate below half the least of the same window 1, 2, 3 and 24 hours before
// is an outage once the minute has settled (the newest settled one ongoing); a thin usual rate,
// or a usual one that a day before was low too, gives no verdict.
func TestJudgeIntake(t *testing.T) {
	at := func(m time.Duration) time.Time { return t0.Add(m) }
	for _, tt := range []struct {
		name  string
		build func(c map[int64]store.IngestMinute)
		now   time.Time
		want  []Outage
	}{
		{"steady", func(c map[int64]store.IngestMinute) { steady(c, at(-26*time.Hour), at(time.Hour), 30) }, at(30 * time.Second), nil},
		{"no history", func(c map[int64]store.IngestMinute) { steady(c, at(-10*time.Minute), at(time.Hour), 30) }, at(30 * time.Second), nil},
		{"failures in the current minute", func(c map[int64]store.IngestMinute) {
			steady(c, at(-26*time.Hour), at(time.Hour), 30)
			c[t0.Unix()] = store.IngestMinute{Minute: t0, Pings: 20, Failed: 5}
		}, at(30 * time.Second), []Outage{{Start: t0, Cause: CauseFailed}}},
		{"failures a minute ago, this one healthy", func(c map[int64]store.IngestMinute) {
			steady(c, at(-26*time.Hour), at(time.Hour), 30)
			c[at(-time.Minute).Unix()] = store.IngestMinute{Minute: at(-time.Minute), Pings: 0, Failed: 40}
		}, at(30 * time.Second), []Outage{{Start: at(-time.Minute), End: t0, Cause: CauseFailed}}},
		{"failures a minute ago, this one only begun", func(c map[int64]store.IngestMinute) {
			steady(c, at(-26*time.Hour), at(-time.Minute), 30)
			c[at(-time.Minute).Unix()] = store.IngestMinute{Minute: at(-time.Minute), Pings: 0, Failed: 40}
			c[t0.Unix()] = store.IngestMinute{Minute: t0, Pings: 4}
		}, at(5 * time.Second), []Outage{{Start: at(-time.Minute), Cause: CauseFailed}}},
		{"failures a minute ago, this one failing under the threshold", func(c map[int64]store.IngestMinute) {
			steady(c, at(-26*time.Hour), at(-time.Minute), 30)
			c[at(-time.Minute).Unix()] = store.IngestMinute{Minute: at(-time.Minute), Pings: 0, Failed: 40}
			c[t0.Unix()] = store.IngestMinute{Minute: t0, Pings: 2, Failed: 3}
		}, at(5 * time.Second), []Outage{{Start: at(-time.Minute), Cause: CauseFailed}}},
		{"a few failures are noise", func(c map[int64]store.IngestMinute) {
			steady(c, at(-26*time.Hour), at(time.Hour), 30)
			c[t0.Unix()] = store.IngestMinute{Minute: t0, Pings: 30, Failed: 4}
			c[at(-time.Minute).Unix()] = store.IngestMinute{Minute: at(-time.Minute), Pings: 100, Failed: 10 - 1}
		}, at(30 * time.Second), nil},
		{"rate drop, settled", func(c map[int64]store.IngestMinute) {
			steady(c, at(-26*time.Hour), at(-5*time.Minute), 30)
			steady(c, at(-5*time.Minute), at(time.Hour), 5) // from t0-5m, 5 a minute
		}, at(80 * time.Second), []Outage{{Start: at(-5 * time.Minute), Cause: CauseRate}}}, // windows from t0-4m's (t0-5m and t0-4m) to t0's, the newest settled minute
		{"rate drop, not settled yet", func(c map[int64]store.IngestMinute) {
			steady(c, at(-26*time.Hour), at(-time.Minute), 30)
			steady(c, at(-time.Minute), at(time.Hour), 0)
		}, at(70 * time.Second), nil},
		{"rate drop that ended", func(c map[int64]store.IngestMinute) {
			steady(c, at(-26*time.Hour), at(time.Hour), 30)
			steady(c, at(-20*time.Minute), at(-15*time.Minute), 0)
		}, at(30 * time.Second), []Outage{{Start: at(-20 * time.Minute), End: at(-15 * time.Minute), Cause: CauseRate}}},
		{"thin usual rate", func(c map[int64]store.IngestMinute) {
			steady(c, at(-26*time.Hour), at(-5*time.Minute), 9) // 18 a window: under 20
			steady(c, at(-5*time.Minute), at(time.Hour), 0)
		}, at(80 * time.Second), nil},
		{"low a day before too (jobs that end at this hour every day)", func(c map[int64]store.IngestMinute) {
			steady(c, at(-26*time.Hour), at(-5*time.Minute), 30)
			steady(c, at(-24*time.Hour-5*time.Minute), at(-23*time.Hour), 5)
			steady(c, at(-5*time.Minute), at(time.Hour), 5)
		}, at(80 * time.Second), nil},
	} {
		counts := make(map[int64]store.IngestMinute)
		tt.build(counts)
		got := merge(judgeIntake(counts, tt.now))
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

// TestMerge: overlapping and touching outages become one naming both causes; an ongoing one
// absorbs the later ones; newest first.
func TestMerge(t *testing.T) {
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	got := merge([]Outage{
		{Start: at(0), End: at(2), Cause: CauseRate},
		{Start: at(10), End: at(12), Cause: CauseCanary},
		{Start: at(1), End: at(3), Cause: CauseFailed},
		{Start: at(3), End: at(4), Cause: CauseFailed},
		{Start: at(20), Cause: CauseCanary},
		{Start: at(21), End: at(22), Cause: CauseRate},
	})
	want := []Outage{
		{Start: at(20), Cause: CauseCanary + ", " + CauseRate},
		{Start: at(10), End: at(12), Cause: CauseCanary},
		{Start: at(0), End: at(4), Cause: CauseRate + ", " + CauseFailed},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("merge (-want +got):\n%s", diff)
	}
}

// failingLog is an IngestLog whose writes fail while fail is set.
type failingLog struct {
	MemoryIngestLog
	fail   bool
	writes int
}

func (f *failingLog) AddIngest(ctx context.Context, m store.IngestMinute) error {
	f.writes++
	if f.fail {
		return errors.New("table unavailable")
	}
	return f.MemoryIngestLog.AddIngest(ctx, m)
}

// TestIngestCounter: pings are written at most every 5 s, a failure within a second, a new
// minute at once; counts a failed write lost are written with the next batch.
func TestIngestCounter(t *testing.T) {
	now := t0
	log := &failingLog{}
	c := &IngestCounter{Log: log, Now: func() time.Time { return now }}
	ctx := t.Context()
	read := func() []store.IngestMinute {
		t.Helper()
		ms, err := log.IngestMinutes(ctx, t0.Add(-time.Hour), t0.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return ms
	}
	c.CountPing(ctx, false) // the first: written at once (nothing written yet)
	for range 9 {
		now = now.Add(100 * time.Millisecond)
		c.CountPing(ctx, false)
	}
	if log.writes != 1 {
		t.Errorf("%d writes for 10 pings within a second, want 1", log.writes)
	}
	now = now.Add(500 * time.Millisecond) // 1.4 s after the first write
	c.CountPing(ctx, true)
	if diff := cmp.Diff([]store.IngestMinute{{Minute: t0, Pings: 10, Failed: 1}}, read()); diff != "" {
		t.Errorf("after a failure (-want +got):\n%s", diff)
	}
	log.fail = true
	now = t0.Add(time.Minute + 10*time.Second)
	c.CountPing(ctx, false) // a new minute, written at once: fails
	log.fail = false
	now = now.Add(5 * time.Second)
	c.CountPing(ctx, false)
	want := []store.IngestMinute{{Minute: t0, Pings: 10, Failed: 1}, {Minute: t0.Add(time.Minute), Pings: 2}}
	if diff := cmp.Diff(want, read()); diff != "" {
		t.Errorf("after a failed write and the next (-want +got):\n%s", diff)
	}
}

// TestMemoryIngestLogRetention: the in-memory log keeps store.IngestRetention of minutes before
// the newest it was given, through counts added to minutes it keeps.
func TestMemoryIngestLogRetention(t *testing.T) {
	log := &MemoryIngestLog{}
	ctx := t.Context()
	add := func(at time.Time, pings int) {
		t.Helper()
		if err := log.AddIngest(ctx, store.IngestMinute{Minute: at, Pings: pings}); err != nil {
			t.Fatal(err)
		}
	}
	end := t0.Add(store.IngestRetention + 2*time.Minute)
	for at := t0; !at.After(end); at = at.Add(time.Minute) {
		add(at, 1)
		add(at.Add(30*time.Second), 1) // a known minute: counted, nothing else changes
	}
	add(t0, 5) // a minute past the retention, written late: kept until the next new minute
	got, err := log.IngestMinutes(ctx, t0.Add(-time.Hour), end.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	first := end.Add(-store.IngestRetention)
	if n := int(end.Sub(first)/time.Minute) + 1; len(got) != n+1 {
		t.Fatalf("%d minutes kept, want %d and the late one", len(got), n)
	}
	if want := (store.IngestMinute{Minute: t0, Pings: 5}); got[0] != want {
		t.Errorf("oldest minute %+v, want the late one %+v", got[0], want)
	}
	if want := (store.IngestMinute{Minute: first, Pings: 2}); got[1] != want {
		t.Errorf("oldest kept minute %+v, want %+v", got[1], want)
	}
	add(end.Add(time.Minute), 1)
	got, err = log.IngestMinutes(ctx, t0.Add(-time.Hour), end.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if want := first.Add(time.Minute); len(got) == 0 || !got[0].Minute.Equal(want) {
		t.Errorf("after a new minute the oldest kept is %v, want %v", got[0].Minute, want)
	}
}

// BenchmarkCountPingFullLog is serve's count of a ping request (Every negative: written at once)
// into an in-memory log holding the whole retention of minutes, as after a day of running.
func BenchmarkCountPingFullLog(b *testing.B) {
	log := &MemoryIngestLog{}
	now := t0.Add(store.IngestRetention)
	for at := t0; !at.After(now); at = at.Add(time.Minute) {
		if err := log.AddIngest(b.Context(), store.IngestMinute{Minute: at, Pings: 1}); err != nil {
			b.Fatal(err)
		}
	}
	c := &IngestCounter{Log: log, Now: func() time.Time { return now }, Every: -1}
	b.ReportAllocs()
	for b.Loop() {
		c.CountPing(b.Context(), false)
	}
}

// TestMemoryIngestLog runs the IngestLog conformance suite on the in-memory log.
func TestMemoryIngestLog(t *testing.T) {
	storetest.IngestLog(t, func(t *testing.T) store.IngestLog { return &MemoryIngestLog{} })
}
