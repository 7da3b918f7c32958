package rie

import (
	"encoding/json"
	"maps"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/sweep/sqstimers"
	"github.com/overduehq/overdue/internal/sweep/sqstimers/sqstest"
)

// timerLead is how far ahead of the sweep the checks are due: enough for the sweep's
// invocation to arm them before they are, on a loaded machine.
const timerLead = 3 * time.Second

// TestTimersUnderEmulator is the precise-timer path with the real bootstraps, on wall-clock
// time (the bootstraps read the system clock; the in-process tests in functions/timer and
// internal/sweep pin theirs): the sweep arms a delayed message on a queue on moto for each of
// two checks due in 3 s; the message of "nightly" is received when its delay ends and handed
// to the timer function as the event source mapping hands it, and the check goes down within
// 5 s of its deadline, its flip dated at the deadline; delivered again, it writes nothing. The
// message of "backup" is lost (never handed over): the next sweep finds the check due and
// flips it, dated at its deadline too.
func TestTimersUnderEmulator(t *testing.T) {
	w := newWorld(t)
	if err := w.st.Create(t.Context(), "test", time.Now().UTC()); err != nil { // what migrate's Create does
		t.Fatal(err)
	}
	q := sqstest.New(t, "overdue-rie-timers")
	env := func(fn string) map[string]string {
		e := w.env(fn)
		maps.Copy(e, map[string]string{"TIMER_QUEUE_URL": q.URL})
		return e
	}
	sweepFn, timerFn := startEmulator(t, "sweep", env("sweep")), startEmulator(t, "timer", env("timer"))
	w.seed(t)
	scheduled := json.RawMessage(fixture(t, "sweep", "scheduled-event.json"))
	// Cold starts first: nothing is due yet (neither check has pinged), nothing is armed.
	fns := map[string]*emulator{"sweep": sweepFn, "timer": timerFn}
	sweepFn.invokeJSON(t, scheduled, nil)
	var resp events.SQSEventResponse
	timerFn.invokeJSON(t, events.SQSEvent{Records: []events.SQSMessage{}}, &resp)

	due := time.Now().UTC().Add(timerLead).Truncate(time.Microsecond)
	for _, id := range []string{nightlyID, checkID} {
		w.pingAt(t, id, due.Add(-2*time.Minute)) // 1 min timeout + 1 min grace
	}
	sweepFn.invokeJSON(t, scheduled, nil)
	if visible, delayed := q.Count(t); visible != 0 || delayed != 2 {
		t.Fatalf("after the sweep %v before the deadline, the queue holds %d visible and %d delayed; want 2 delayed timers", timerLead, visible, delayed)
	}
	for _, id := range []string{nightlyID, checkID} {
		if got := w.status(t, id); got != check.StatusUp {
			t.Fatalf("before the deadline %s is %s, want up", id, got)
		}
	}

	// Receive as the mapping does (long polling) until both timers came out of their delay.
	var nightly events.SQSEvent
	got := 0
	limit := time.Now().Add(timerLead + 10*time.Second)
	for got < 2 && time.Now().Before(limit) {
		ev := q.Receive(t, 2)
		for _, r := range ev.Records {
			tm, err := sqstimers.Decode(r.Body)
			if err != nil {
				t.Fatal(err)
			}
			if !tm.Due.Equal(due) {
				t.Errorf("timer of %s due %v, want %v", tm.CheckID, tm.Due, due)
			}
			got++
			if tm.CheckID == nightlyID {
				nightly.Records = append(nightly.Records, r)
			} // backup's is lost
		}
		if len(nightly.Records) > 0 && got < 2 {
			break // fire nightly's now; backup's may still be on its way
		}
	}
	if len(nightly.Records) != 1 {
		t.Fatalf("received %d timers of nightly, want 1", len(nightly.Records))
	}
	received := time.Now()
	timerFn.invokeJSON(t, nightly, &resp)
	flipped := time.Now()
	if len(resp.BatchItemFailures) != 0 {
		t.Errorf("timer BatchItemFailures = %+v, want none", resp.BatchItemFailures)
	}
	if st := w.status(t, nightlyID); st != check.StatusDown {
		t.Fatalf("after its timer, nightly is %s, want down", st)
	}
	if late := flipped.Sub(due); late < 0 || late > 5*time.Second {
		t.Errorf("nightly flipped %v after its deadline, want within 5 s", late)
	}
	lag := timerLag(t, timerFn)
	t.Logf("timer: received %v after the deadline (moto's delay and the receive), flipped %v after it; the function's TimerLag %d ms",
		received.Sub(due).Round(time.Millisecond), flipped.Sub(due).Round(time.Millisecond), lag)
	// SQS delivers at least once: the same message again writes nothing.
	before := len(w.scan(t))
	timerFn.invokeJSON(t, nightly, &resp)
	if n := len(w.scan(t)); n != before || len(resp.BatchItemFailures) != 0 {
		t.Errorf("the same timer again: %d items (was %d), failures %+v; want nothing written", n, before, resp.BatchItemFailures)
	}

	// backup's timer was lost; the next sweep (the test runs it now rather than in a minute)
	// finds the check due and flips it.
	if st := w.status(t, checkID); st != check.StatusUp {
		t.Fatalf("backup is %s before the next sweep, want still up (its timer was lost)", st)
	}
	sweepFn.invokeJSON(t, scheduled, nil)
	for _, id := range []string{nightlyID, checkID} {
		flips, err := w.st.Flips(t.Context(), id, store.FlipQuery{})
		if err != nil {
			t.Fatal(err)
		}
		var downs []time.Time
		for _, f := range flips {
			if f.NewStatus == check.StatusDown {
				downs = append(downs, f.Created)
			}
		}
		if len(downs) != 1 || !downs[0].Equal(due) {
			t.Errorf("%s down flips at %v, want one at its deadline %v", id, downs, due)
		}
	}
	for fn, e := range fns {
		if pids := e.bootstrapPIDs(t); len(pids) != 1 {
			t.Errorf("%s: the emulator runs bootstraps %v, want one warm instance", fn, pids)
		}
	}
}

var timerLagLine = regexp.MustCompile(`"TimerLag":(\d+)`)

// timerLag is the first TimerLag the timer function reported in its output.
func timerLag(t *testing.T, e *emulator) int {
	t.Helper()
	out := e.waitOutput(t, "the TimerLag metric", timerLagLine.MatchString)
	m := timerLagLine.FindStringSubmatch(out)
	n, _ := strconv.Atoi(m[1])
	return n
}
