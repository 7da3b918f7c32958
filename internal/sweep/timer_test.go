package sweep

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// recordingTimers is a Timers that keeps what it was asked to arm; a lost message is a timer
// the test never fires.
type recordingTimers struct {
	armed []Timer
	nows  []time.Time
	err   error
}

func (r *recordingTimers) Arm(_ context.Context, now time.Time, ts []Timer) error {
	if r.err != nil {
		return r.err
	}
	r.armed = append(r.armed, ts...)
	r.nows = append(r.nows, now)
	return nil
}

// minuteCheck has a 1 min timeout and 1 min grace: it is due 2 min after its last ping.
func minuteCheck(c *check.Check) { c.Timeout, c.Grace = time.Minute, time.Minute }

// TestSweepArmsTimersWithinLookahead: after flipping what is due, a sweep arms one timer for
// each check due within the lookahead, at its AlertAfter, and none for the others.
func TestSweepArmsTimersWithinLookahead(t *testing.T) {
	st := openStore(t)
	seed(t, st, "overdue", minuteCheck, t0.Add(-time.Minute)) // due t0+1m: flipped by this sweep
	seed(t, st, "soon", minuteCheck, t0)                      // due t0+2m
	seed(t, st, "edge", minuteCheck, t0.Add(30*time.Second))  // due t0+2m30s = now+90s
	seed(t, st, "later", minuteCheck, t0.Add(31*time.Second)) // due t0+2m31s: the next sweep's
	seed(t, st, "daily", func(c *check.Check) { c.Timeout = 24 * time.Hour }, t0)
	timers := &recordingTimers{}
	now := t0.Add(time.Minute)
	s := &Sweeper{Store: st, Now: func() time.Time { return now }, Timers: timers}
	res, err := s.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if res.Flipped != 1 || res.Armed != 2 {
		t.Errorf("Run at %v = %+v, want 1 flipped and 2 armed", now, res)
	}
	want := []Timer{{"soon", t0.Add(2 * time.Minute)}, {"edge", t0.Add(150 * time.Second)}}
	if diff := cmp.Diff(want, timers.armed); diff != "" {
		t.Errorf("armed timers (-want +got):\n%s", diff)
	}
	if !slices.Equal(timers.nows, []time.Time{now}) {
		t.Errorf("Arm was called at %v, want once at the sweep's now %v", timers.nows, now)
	}
}

// TestSweepArmsInChunks: more upcoming checks than a batch, most of them due at one instant
// (as the checks of one cron schedule are), all get their timer, once each, in chunks.
func TestSweepArmsInChunks(t *testing.T) {
	st := openStore(t)
	var want []string
	for i := range 7 {
		id := string(rune('a' + i))
		seed(t, st, id, minuteCheck, t0.Add(time.Duration(i/5)*time.Second)) // a–e at one instant
		want = append(want, id)
	}
	timers := &recordingTimers{}
	s := &Sweeper{Store: st, Now: func() time.Time { return t0.Add(time.Minute) }, Timers: timers, Batch: 3}
	res, err := s.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tm := range timers.armed {
		got = append(got, tm.CheckID)
	}
	if !slices.Equal(got, want) || res.Armed != 7 || len(timers.nows) != 3 {
		t.Errorf("armed %v in %d calls (Result %+v), want %v in 3 pages", got, len(timers.nows), res, want)
	}
}

// TestSweepFailsWhenArmingFails: a queue that refuses is the sweep's error (counted and alarmed
// on), after the due checks were flipped.
func TestSweepFailsWhenArmingFails(t *testing.T) {
	st := openStore(t)
	seed(t, st, "overdue", minuteCheck, t0.Add(-time.Minute))
	seed(t, st, "soon", minuteCheck, t0)
	timers := &recordingTimers{err: context.DeadlineExceeded}
	s := &Sweeper{Store: st, Now: func() time.Time { return t0.Add(time.Minute) }, Timers: timers}
	res, err := s.Run(t.Context())
	if err == nil || res.Flipped != 1 || res.Armed != 0 {
		t.Errorf("Run with a failing queue = %+v, %v; want 1 flipped and an error", res, err)
	}
}

// TestFireFlipsAtDeadline: the timer fires at the deadline and the check goes down then, with
// the flip dated at the deadline; a duplicate of the timer, or the same one delivered again,
// writes nothing more; an early one reads nothing and says how early it is.
func TestFireFlipsAtDeadline(t *testing.T) {
	st := openStore(t)
	seed(t, st, "soon", minuteCheck, t0)
	due := t0.Add(2 * time.Minute)
	tm := Timer{CheckID: "soon", Due: due}
	var now time.Time
	s := &Sweeper{Store: st, Now: func() time.Time { return now }}

	now = due.Add(-300 * time.Millisecond)
	fired, err := s.Fire(t.Context(), tm)
	if err != nil || fired != (Fired{Early: 300 * time.Millisecond}) {
		t.Errorf("Fire 300ms early = %+v, %v; want Early 300ms", fired, err)
	}
	if n := len(timeoutFlips(t, st, "soon")); n != 0 {
		t.Fatalf("an early timer wrote %d flips", n)
	}

	now = due.Add(400 * time.Millisecond)
	fired, err = s.Fire(t.Context(), tm)
	if err != nil || !fired.Flipped {
		t.Fatalf("Fire at deadline+400ms = %+v, %v; want flipped", fired, err)
	}
	for range 2 {
		now = now.Add(time.Second)
		if fired, err := s.Fire(t.Context(), tm); err != nil || fired.Flipped {
			t.Errorf("the same timer again = %+v, %v; want nothing", fired, err)
		}
	}
	flips := timeoutFlips(t, st, "soon")
	if len(flips) != 1 || !flips[0].Created.Equal(due) {
		t.Fatalf("timeout flips = %+v, want one dated %v", flips, due)
	}
}

// TestFireAfterPing: a check that pinged after its timer was armed is left alone, and its next
// deadline is the next sweep's to arm.
func TestFireAfterPing(t *testing.T) {
	st := openStore(t)
	seed(t, st, "soon", minuteCheck, t0)
	due := t0.Add(2 * time.Minute)
	ping(t, st, "soon", due.Add(-10*time.Second))
	s := &Sweeper{Store: st, Now: func() time.Time { return due.Add(time.Second) }}
	fired, err := s.Fire(t.Context(), Timer{CheckID: "soon", Due: due})
	if err != nil || fired.Flipped {
		t.Errorf("Fire after a ping = %+v, %v; want nothing", fired, err)
	}
	c, err := st.Check(t.Context(), "soon")
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != check.StatusUp || !c.AlertAfter.Equal(due.Add(110*time.Second)) {
		t.Errorf("after the timer: %s, due %v; want up, due %v", c.Status, c.AlertAfter, due.Add(110*time.Second))
	}
	if fired, err := s.Fire(t.Context(), Timer{CheckID: "deleted", Due: due}); err != nil || fired.Flipped {
		t.Errorf("Fire for a missing check = %+v, %v; want nothing", fired, err)
	}
}

// TestLostTimerCaughtByNextSweep: the sweep arms a timer that never fires (a lost message);
// the next sweep, a minute later, finds the check due and flips it, dated at its deadline.
func TestLostTimerCaughtByNextSweep(t *testing.T) {
	st := openStore(t)
	seed(t, st, "soon", minuteCheck, t0)
	timers := &recordingTimers{}
	now := t0.Add(time.Minute)
	s := &Sweeper{Store: st, Now: func() time.Time { return now }, Timers: timers}
	if res, err := s.Run(t.Context()); err != nil || res.Armed != 1 {
		t.Fatalf("first sweep = %+v, %v; want 1 armed", res, err)
	}
	// The timer is dropped. The next sweep, one minute later:
	now = now.Add(time.Minute)
	res, err := s.Run(t.Context())
	if err != nil || res.Flipped != 1 {
		t.Fatalf("next sweep = %+v, %v; want the check flipped", res, err)
	}
	flips := timeoutFlips(t, st, "soon")
	if len(flips) != 1 || !flips[0].Created.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("timeout flips = %+v, want one dated at the deadline %v", flips, t0.Add(2*time.Minute))
	}
	// And the timer, delivered late after all, changes nothing.
	if fired, err := s.Fire(t.Context(), timers.armed[0]); err != nil || fired.Flipped {
		t.Errorf("the late timer = %+v, %v; want nothing", fired, err)
	}
}

// ping records a success ping of id at at.
func ping(t *testing.T, st store.Store, id string, at time.Time) {
	t.Helper()
	_, err := st.UpdateCheck(t.Context(), id, func(c *check.Check) (store.Change, error) {
		p, f := c.ApplyPing(check.Signal{Kind: check.PingSuccess, Method: "GET"}, at, nil)
		return store.Change{Ping: p, Flip: f}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
