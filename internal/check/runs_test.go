package check

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// step is one signal of a test sequence: its kind and run id, a given time after the previous.
type step struct {
	kind  PingKind
	rid   string
	after time.Duration
}

// play applies steps to c from t0 and returns the pings ApplyPing made.
func play(c *Check, steps []step) []*Ping {
	now := t0
	var pings []*Ping
	for _, s := range steps {
		now = now.Add(s.after)
		p, _ := c.ApplyPing(Signal{Kind: s.kind, RID: s.rid, Method: "GET"}, now, nil)
		pings = append(pings, p)
	}
	return pings
}

func TestApplyPingKeepsRuns(t *testing.T) {
	const a, b = "0a1b2c3d-0000-4000-8000-000000000001", "0a1b2c3d-0000-4000-8000-000000000002"
	tests := []struct {
		name  string
		steps []step
		want  []Run
	}{
		{"success without start", []step{{PingSuccess, "", time.Minute}},
			[]Run{{N: 1, At: t0.Add(time.Minute)}}},
		{"start then success", []step{{PingStart, "", time.Minute}, {PingSuccess, "", 90*time.Second + 1234567*time.Nanosecond}},
			[]Run{{N: 2, At: t0.Add(150*time.Second + time.Millisecond), Duration: 90*time.Second + time.Millisecond}}},
		{"start then failure", []step{{PingStart, "", 0}, {PingFail, "", 5 * time.Second}},
			[]Run{{N: 2, At: t0.Add(5 * time.Second), Failed: true, Duration: 5 * time.Second}}},
		{"start, log, success: the log is no run", []step{{PingStart, "", 0}, {PingLog, "", time.Second}, {PingSuccess, "", time.Second}},
			[]Run{{N: 3, At: t0.Add(2 * time.Second), Duration: 2 * time.Second}}},
		{"run ids: a success of another run leaves the run going", []step{
			{PingStart, a, 0}, {PingSuccess, b, time.Second}, {PingSuccess, a, time.Second}},
			[]Run{{N: 2, At: t0.Add(time.Second)}, {N: 3, At: t0.Add(2 * time.Second), Duration: 2 * time.Second}}},
		{"run ids: a failure of another run ends it unmeasured", []step{
			{PingStart, a, 0}, {PingFail, b, time.Second}, {PingSuccess, a, time.Second}},
			[]Run{{N: 2, At: t0.Add(time.Second), Failed: true}, {N: 3, At: t0.Add(2 * time.Second)}}},
		{"a start three days back measures nothing", []step{{PingStart, "", 0}, {PingSuccess, "", MaxDuration}},
			[]Run{{N: 2, At: t0.Add(MaxDuration)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New("c1", "p1", t0)
			pings := play(c, tt.steps)
			if diff := cmp.Diff(tt.want, c.Runs); diff != "" {
				t.Errorf("Runs after %v (-want +got):\n%s", tt.steps, diff)
			}
			if !c.RunsCurrent() || c.RunsN != len(tt.steps) {
				t.Errorf("RunsN = %d, NPings = %d: want both %d", c.RunsN, c.NPings, len(tt.steps))
			}
			// Replaying the pings gives the same runs: what a store rebuilds equals what was kept.
			if diff := cmp.Diff(c.Runs, ReplayRuns(pings, KeptRuns)); diff != "" {
				t.Errorf("ReplayRuns differs from the kept runs (-kept +replayed):\n%s", diff)
			}
		})
	}
}

func TestRunsKeepTheNewest(t *testing.T) {
	c := New("c1", "p1", t0)
	var steps []step
	for i := range KeptRuns + 7 {
		kind := PingSuccess
		if i%4 == 3 {
			kind = PingFail
		}
		steps = append(steps, step{PingStart, "", time.Hour}, step{kind, "", time.Duration(i+1) * time.Second})
	}
	pings := play(c, steps)
	if len(c.Runs) != KeptRuns {
		t.Fatalf("len(Runs) = %d, want %d", len(c.Runs), KeptRuns)
	}
	first, last := c.Runs[0], c.Runs[KeptRuns-1]
	if first.N != 2*8 || first.Duration != 8*time.Second || !first.Failed || last.N != 2*(KeptRuns+7) || last.Failed {
		t.Errorf("Runs run from %+v to %+v; want from ping 16 (a failure, 8 s) to ping %d (a success)", first, last, 2*(KeptRuns+7))
	}
	if diff := cmp.Diff(c.Runs, ReplayRuns(pings, KeptRuns)); diff != "" {
		t.Errorf("ReplayRuns differs from the kept runs (-kept +replayed):\n%s", diff)
	}
	// Newest first, as stores list pings, replays alike.
	reversed := make([]*Ping, len(pings))
	for i, p := range pings {
		reversed[len(pings)-1-i] = p
	}
	if diff := cmp.Diff(c.Runs, ReplayRuns(reversed, KeptRuns)); diff != "" {
		t.Errorf("ReplayRuns of newest-first pings differs (-kept +replayed):\n%s", diff)
	}
}

// A check whose pings were counted by a build that did not keep runs must not have new runs
// appended after a gap: its Runs stay behind, visibly, until rebuilt from the pings.
func TestRunsBehindStayBehind(t *testing.T) {
	c := New("c1", "p1", t0)
	pings := play(c, []step{{PingSuccess, "", time.Minute}})
	// An older build records two more pings, knowing nothing of Runs.
	c.NPings += 2
	pings = append(pings, &Ping{N: 2, Kind: PingStart, Created: t0.Add(2 * time.Minute)},
		&Ping{N: 3, Kind: PingFail, Created: t0.Add(3 * time.Minute)})
	pings = append(pings, play(c, []step{{PingSuccess, "", 3 * time.Minute}})...)
	if c.RunsCurrent() || len(c.Runs) != 1 {
		t.Fatalf("after a gap: RunsCurrent() = %v with %d runs, want false with the 1 run from before", c.RunsCurrent(), len(c.Runs))
	}
	c.RebuildRuns(pings)
	want := []Run{{N: 1, At: t0.Add(time.Minute)}, {N: 3, At: t0.Add(3 * time.Minute), Failed: true, Duration: time.Minute},
		{N: 4, At: t0.Add(3 * time.Minute)}}
	if diff := cmp.Diff(want, c.Runs); diff != "" || !c.RunsCurrent() {
		t.Errorf("RebuildRuns: current %v (-want +got):\n%s", c.RunsCurrent(), diff)
	}
	play(c, []step{{PingFail, "", 7 * time.Minute}})
	if len(c.Runs) != 4 || !c.RunsCurrent() {
		t.Errorf("after rebuilding, a ping appends again: %d runs, current %v; want 4, true", len(c.Runs), c.RunsCurrent())
	}
}

// Copies of a check share the array behind Runs; a ping applied to one copy must not change
// another's runs, nor any Runs a check had before (appendRun fills the array's spare room).
func TestRunsCopiesIndependent(t *testing.T) {
	for _, before := range []int{0, 2, KeptRuns - 1, KeptRuns, KeptRuns + 5} {
		c := New("c1", "p1", t0)
		for range before {
			play(c, []step{{PingSuccess, "", time.Minute}})
		}
		base := slices.Clone(c.Runs)
		a, b := *c, *c
		play(&a, []step{{PingFail, "", time.Minute}})
		play(&b, []step{{PingSuccess, "", time.Hour}})
		if last := a.Runs[len(a.Runs)-1]; !last.Failed {
			t.Errorf("after %d runs: the first copy's last run %+v, want its failure", before, last)
		}
		if last := b.Runs[len(b.Runs)-1]; last.Failed {
			t.Errorf("after %d runs: the second copy's last run %+v, want its success", before, last)
		}
		aView, aWant := a.Runs, slices.Clone(a.Runs)
		bView, bWant := b.Runs, slices.Clone(b.Runs)
		for range 2*KeptRuns + 3 {
			play(&a, []step{{PingSuccess, "", time.Second}})
			play(&b, []step{{PingFail, "", time.Second}})
			d := a // a copy of a pinged once, then dropped
			play(&d, []step{{PingStart, "", 0}, {PingFail, "", time.Second}})
		}
		if diff := cmp.Diff(base, c.Runs); diff != "" {
			t.Errorf("after %d runs: the original's runs changed (-before +after):\n%s", before, diff)
		}
		if diff := cmp.Diff(aWant, aView); diff != "" {
			t.Errorf("after %d runs: the first copy's earlier runs changed (-before +after):\n%s", before, diff)
		}
		if diff := cmp.Diff(bWant, bView); diff != "" {
			t.Errorf("after %d runs: the second copy's earlier runs changed (-before +after):\n%s", before, diff)
		}
		for i, r := range a.Runs {
			if r.Failed || (i > 0 && r.N != a.Runs[i-1].N+1) {
				t.Fatalf("after %d runs: the first copy's runs %+v, want only its successes, one a ping", before, a.Runs)
			}
		}
		for i, r := range b.Runs {
			if !r.Failed || (i > 0 && r.N != b.Runs[i-1].N+1) {
				t.Fatalf("after %d runs: the second copy's runs %+v, want only its failures, one a ping", before, b.Runs)
			}
		}
	}
}

// BenchmarkApplyPing is the domain's part of a success ping of a check with a full run strip,
// the same check pinged again and again: allocs/op counts what ApplyPing itself allocates.
func BenchmarkApplyPing(b *testing.B) {
	c := New("c1", "p1", t0)
	now := t0
	sig := Signal{Kind: PingSuccess, Method: "POST", Body: []byte("backup done")}
	for range KeptRuns {
		now = now.Add(time.Minute)
		c.ApplyPing(sig, now, nil)
	}
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(time.Minute)
		c.ApplyPing(sig, now, nil)
	}
}
