package gcfloor

import (
	"runtime"
	"runtime/metrics"
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	const mib = 1 << 20
	for _, tc := range []struct {
		live, floor uint64
		base, want  int
	}{
		{3 * mib, 32 * mib, 100, 966},        // goal 3 + 3×9.66 ≈ 32 MiB
		{16 * mib, 32 * mib, 100, 100},       // half the floor: GOGC 100 reaches it already
		{20 * mib, 32 * mib, 100, 100},       // over half: as configured
		{64 * mib, 32 * mib, 100, 100},       // over the floor
		{8 * mib, 32 * mib, 400, 400},        // a higher base wins
		{1 << 10, 32 * mib, 100, maxPercent}, // nearly empty: bounded
		{0, 32 * mib, 100, maxPercent},
		{10 * mib, 32 * mib, 50, 220},
	} {
		if got := Percent(tc.live, tc.floor, tc.base); got != tc.want {
			t.Errorf("Percent(%d, %d, %d) = %d, want %d", tc.live, tc.floor, tc.base, got, tc.want)
		}
	}
}

func gogc(t *testing.T) int {
	t.Helper()
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return int(s[0].Value.Uint64())
}

// collect runs collections until the tuner has run after one of them, and returns the GOGC it
// left. Finalizers run on their own goroutine after the collection: the wait is bounded, not a
// sleep that the result depends on.
func collect(t *testing.T, seen <-chan int) int {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		runtime.GC()
		select {
		case p := <-seen:
			return p
		case <-deadline:
			t.Fatal("the tuner did not run after 30 s of collections")
		default:
			runtime.Gosched()
		}
	}
}

func TestStartRaisesAndStopRestores(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	before := gogc(t)
	seen := make(chan int, 100)
	// A floor far over this test's live heap: the tuner must raise GOGC to its bound.
	stop, armed := start(1<<40, func(p int) { seen <- p })
	defer stop()
	if !armed {
		t.Fatal("not armed with GOGC and GOMEMLIMIT unset")
	}
	if p := collect(t, seen); p != maxPercent {
		t.Fatalf("GOGC set to %d after a collection, want %d", p, maxPercent)
	}
	if got := gogc(t); got != maxPercent {
		t.Fatalf("runtime's GOGC = %d, want %d", got, maxPercent)
	}
	stop()
	if got := gogc(t); got != before {
		t.Fatalf("GOGC after stop = %d, want the process's %d", got, before)
	}
}

func TestFloorUnderLiveHeapLeavesGOGC(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	before := gogc(t)
	seen := make(chan int, 100)
	stop, _ := start(1, func(p int) { seen <- p }) // one byte: every live heap is over it
	defer stop()
	if p := collect(t, seen); p != before {
		t.Fatalf("GOGC set to %d, want the process's %d", p, before)
	}
}

func TestEnvironmentWins(t *testing.T) {
	for _, env := range []string{"GOGC", "GOMEMLIMIT"} {
		t.Run(env, func(t *testing.T) {
			t.Setenv("GOGC", "")
			t.Setenv("GOMEMLIMIT", "")
			t.Setenv(env, "200")
			stop, armed := start(1<<40, func(p int) { t.Errorf("tuner set GOGC %d with %s set", p, env) })
			defer stop()
			if armed {
				t.Fatalf("armed with %s set", env)
			}
		})
	}
}
