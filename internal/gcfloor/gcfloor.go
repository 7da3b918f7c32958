// Package gcfloor keeps the garbage collector's heap goal from falling below a floor.
//
// Go collects when the heap has grown by GOGC percent (100 by default) over what the last
// collection left live, and never below 4 MiB. A server whose live heap is a few megabytes, as
// `overdue serve` is with a few hundred checks, therefore collects every few megabytes it
// allocates: at 10,000 pings a second, some 25 collections a second, each with its fixed costs
// (two pauses, the mark workers taking a quarter of the CPU while it runs, the sweeping), and
// the allocating goroutines, the single group-commit writer among them, assist it. Measured on
// serve under wrk (BENCHMARKS.md §1), that was a sixth of the CPU per ping.
//
// Floor raises GOGC after each collection, when the live heap is small, so that the next
// collection comes only once the heap reaches the floor: a small server holds up to the floor
// in memory (tens of megabytes) and collects far less often; a big one, whose live heap is
// over half the floor, is left at its GOGC and its memory as it was. An operator's own GOGC or
// GOMEMLIMIT in the environment turns it off.
package gcfloor

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// Default is the floor `overdue serve` keeps: the heap goal of a server whose live heap is
// under 16 MiB.
const Default = 32 << 20

// maxPercent bounds the GOGC Floor sets: a heap goal at most 21 times the live heap, so that a
// nearly empty heap does not set a goal of thousands of times itself.
const maxPercent = 2000

// Percent is the GOGC that puts the heap goal after a collection that left live bytes at floor
// or more, never under base (the process's own GOGC) nor over maxPercent: a live heap whose
// goal at base reaches the floor already (at the default base 100, half the floor) gets base.
func Percent(live, floor uint64, base int) int {
	if live == 0 {
		return max(base, maxPercent)
	}
	if live >= floor {
		return base
	}
	p := (floor - live) * 100 / live
	return max(base, int(min(p, maxPercent)))
}

// tuner re-arms a finalizer on a fresh object after each collection, which runs once the
// collection that found the object unreachable has finished, and sets GOGC from the live heap
// that collection left.
type tuner struct {
	floor uint64
	base  int

	mu      sync.Mutex
	stopped bool
	set     int       // the GOGC last set
	seen    func(int) // tests: called with each GOGC set, after it is set
	sample  []metrics.Sample
}

// sentinel is the object whose finalizer marks the end of a collection; big enough, and with a
// pointer, not to share a tiny-allocator block, whose finalizers may be delayed.
type sentinel struct {
	_ *int
	_ [24]byte
}

// Start keeps the heap goal at floor bytes at least, from the end of the next collection on,
// until stop is called (which restores the process's GOGC). With GOGC or GOMEMLIMIT set in the
// environment it does nothing.
func Start(floor uint64) (stop func()) {
	stop, _ = start(floor, nil)
	return stop
}

// start is Start, saying whether it armed the tuner.
func start(floor uint64, seen func(int)) (stop func(), armed bool) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return func() {}, false
	}
	t := &tuner{floor: floor, seen: seen, sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
	base := debug.SetGCPercent(100)
	debug.SetGCPercent(base)
	if base < 0 {
		return func() {}, false // collection turned off by the program: not ours to turn on
	}
	t.base, t.set = base, base
	t.arm()
	return t.stop, true
}

func (t *tuner) arm() {
	runtime.SetFinalizer(new(sentinel), t.collected)
}

// collected runs on the finalizer goroutine after a collection.
func (t *tuner) collected(*sentinel) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return
	}
	metrics.Read(t.sample)
	var live uint64
	if v := t.sample[0].Value; v.Kind() == metrics.KindUint64 {
		live = v.Uint64()
	}
	p := Percent(live, t.floor, t.base)
	// Setting GOGC is cheap (no pause) but moves the pacer: only when it changes by a tenth.
	if d := p - t.set; d > t.set/10 || -d > t.set/10 {
		debug.SetGCPercent(p)
		t.set = p
	}
	if t.seen != nil {
		t.seen(t.set)
	}
	t.arm()
}

func (t *tuner) stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.stopped {
		t.stopped = true
		debug.SetGCPercent(t.base)
	}
}
