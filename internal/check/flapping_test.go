package check

import (
	"testing"
	"time"
)

// TestFailureRate: three failures within ten minutes take the check down.
func TestFailureRate(t *testing.T) {
	exp := t0.Add(day)
	tests := []struct {
		name       string
		start      Status
		acts       []act
		want       []noted
		wantStatus Status
	}{
		{
			name: "three within ten minutes: down at the third", start: StatusUp,
			acts:       []act{cPing(exp, PingFail), cPing(exp.Add(4*min), PingFail), cPing(exp.Add(9*min), PingFail)},
			want:       []noted{{exp.Add(9 * min), StatusUp, StatusDown, ReasonFail, false, ""}},
			wantStatus: StatusDown,
		},
		{
			name: "successes in between do not reset the count", start: StatusUp,
			acts: []act{cPing(exp, PingFail), cPing(exp.Add(min), PingSuccess), cPing(exp.Add(2*min), PingFail),
				cPing(exp.Add(3*min), PingSuccess), cPing(exp.Add(4*min), PingFail)},
			want:       []noted{{exp.Add(4 * min), StatusUp, StatusDown, ReasonFail, false, ""}},
			wantStatus: StatusDown,
		},
		{
			name: "spread wider than the window: never down", start: StatusUp,
			acts: []act{cPing(exp, PingFail), cPing(exp.Add(6*min), PingFail), cPing(exp.Add(12*min), PingFail),
				cPing(exp.Add(18*min), PingFail), cPing(exp.Add(24*min), PingFail)},
			wantStatus: StatusUp,
		},
		{
			name: "exactly the window apart: the oldest has fallen out", start: StatusUp,
			acts:       []act{cPing(exp, PingFail), cPing(exp.Add(5*min), PingFail), cPing(exp.Add(10*min), PingFail)},
			wantStatus: StatusUp,
		},
		{
			name: "after going down and up the count starts again", start: StatusUp,
			acts: []act{cPing(exp, PingFail), cPing(exp.Add(min), PingFail), cPing(exp.Add(2*min), PingFail),
				cPing(exp.Add(3*min), PingSuccess), cPing(exp.Add(4*min), PingFail), cPing(exp.Add(5*min), PingFail)},
			want: []noted{
				{exp.Add(2 * min), StatusUp, StatusDown, ReasonFail, false, ""},
				{exp.Add(3 * min), StatusDown, StatusUp, ReasonNone, false, ""},
			},
			wantStatus: StatusUp,
		},
		{
			name: "a new check's counted failure makes it up, silently", start: StatusNew,
			acts:       []act{cPing(exp, PingFail)},
			want:       []noted{{exp, StatusNew, StatusUp, ReasonNone, false, ""}},
			wantStatus: StatusUp,
		},
		{
			name: "a missed ping still goes down at once", start: StatusUp,
			acts:       []act{cPing(exp, PingFail), cSweep(exp.Add(day + hour))},
			want:       []noted{{exp.Add(day + hour), StatusUp, StatusDown, ReasonTimeout, false, ""}},
			wantStatus: StatusDown,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld()
			w.c.DependsOn = nil
			w.c.Status = tt.start
			w.c.FailureRate = FailureRate{3, 10 * min}
			got := w.play(t, tt.acts)
			if !sameNoted(got, tt.want) {
				t.Errorf("flips =\n%+v\nwant\n%+v", got, tt.want)
			}
			if w.c.Status != tt.wantStatus {
				t.Errorf("status %v, want %v", w.c.Status, tt.wantStatus)
			}
			if len(w.c.FailTimes) > 3 {
				t.Errorf("FailTimes keeps %d instants, want at most 3", len(w.c.FailTimes))
			}
		})
	}
}

// TestFlapping: more than 3 changes within 10 minutes is flapping. Failures and successes at
// one-minute steps from exp change the check's status each time.
func TestFlapping(t *testing.T) {
	exp := t0.Add(day)
	at := func(m int) time.Time { return exp.Add(time.Duration(m) * min) }
	alternate := func(from, n int) []act { // fail at from, success at from+1, …
		var out []act
		for i := 0; i < n; i++ {
			k := PingFail
			if i%2 == 1 {
				k = PingSuccess
			}
			out = append(out, cPing(at(from+i), k))
		}
		return out
	}
	first4 := []noted{
		{at(0), StatusUp, StatusDown, ReasonFail, false, ""},
		{at(1), StatusDown, StatusUp, ReasonNone, false, ""},
		{at(2), StatusUp, StatusDown, ReasonFail, false, ""},
		{at(3), StatusDown, StatusUp, ReasonFlapping, false, ""},
	}
	held := func(m int, old, new Status, reason string) noted {
		return noted{at(m), old, new, reason, true, NoteFlapping}
	}
	tests := []struct {
		name       string
		acts       []act
		want       []noted
		wantFlap   bool
		wantStatus Status
	}{
		{
			name:       "three changes: not flapping",
			acts:       alternate(0, 3),
			want:       first4[:3],
			wantStatus: StatusDown,
		},
		{
			name:       "the fourth change is the notice",
			acts:       alternate(0, 4),
			want:       first4,
			wantFlap:   true,
			wantStatus: StatusUp,
		},
		{
			name: "further changes are held; settled down, unlike the notice: one alert",
			acts: append(alternate(0, 7), sweeps(at(16), min, 3)...),
			want: append(append([]noted{}, first4...),
				held(4, StatusUp, StatusDown, ReasonFail), held(5, StatusDown, StatusUp, ReasonNone),
				held(6, StatusUp, StatusDown, ReasonFail),
				noted{at(16), StatusDown, StatusDown, ReasonSettled, false, ""}),
			wantStatus: StatusDown,
		},
		{
			name: "settled up, as the notice said: nothing more",
			acts: append(alternate(0, 6), sweeps(at(15), min, 3)...),
			want: append(append([]noted{}, first4...),
				held(4, StatusUp, StatusDown, ReasonFail), held(5, StatusDown, StatusUp, ReasonNone)),
			wantStatus: StatusUp,
		},
		{
			name: "a change before settling moves the settling",
			acts: append(append(alternate(0, 5), cSweep(at(13)), cPing(at(13), PingSuccess)), sweeps(at(14), min, 10)...),
			want: append(append([]noted{}, first4...),
				held(4, StatusUp, StatusDown, ReasonFail), held(13, StatusDown, StatusUp, ReasonNone)),
			wantStatus: StatusUp,
		},
		{
			name: "changes spread wider than the window: never flapping",
			acts: []act{cPing(at(0), PingFail), cPing(at(4), PingSuccess), cPing(at(8), PingFail),
				cPing(at(12), PingSuccess), cPing(at(16), PingFail)},
			want: []noted{
				{at(0), StatusUp, StatusDown, ReasonFail, false, ""},
				{at(4), StatusDown, StatusUp, ReasonNone, false, ""},
				{at(8), StatusUp, StatusDown, ReasonFail, false, ""},
				{at(12), StatusDown, StatusUp, ReasonNone, false, ""},
				{at(16), StatusUp, StatusDown, ReasonFail, false, ""},
			},
			wantStatus: StatusDown,
		},
		{
			name: "settled before a timeout: the timeout alerts as usual",
			acts: append(alternate(0, 4), cSweep(at(3).Add(day+hour))),
			// the last success at at(3) moves the deadline a day on; by then the check settled
			// (nothing owed: up, as announced), so the timeout alerts as usual.
			want: append(append([]noted{}, first4...),
				noted{at(3).Add(day + hour), StatusUp, StatusDown, ReasonTimeout, false, ""}),
			wantStatus: StatusDown,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld()
			w.c.DependsOn = nil
			w.c.Flap = FlapRule{3, 10 * min}
			got := w.play(t, tt.acts)
			if !sameNoted(got, tt.want) {
				t.Errorf("flips =\n%+v\nwant\n%+v", got, tt.want)
			}
			if w.c.Flapping() != tt.wantFlap || w.c.Status != tt.wantStatus {
				t.Errorf("flapping %v, status %v; want %v, %v", w.c.Flapping(), w.c.Status, tt.wantFlap, tt.wantStatus)
			}
		})
	}
}

// TestFlappingTimeoutHeld: a check flapping on a short timeout misses its ping while still
// flapping; that change is held, and moves the settling.
func TestFlappingTimeoutHeld(t *testing.T) {
	w := newWorld()
	w.c.DependsOn = nil
	w.c.Timeout, w.c.Grace = 10*min, 5*min
	w.c.LastPing = t0
	w.c.AlertAfter = w.c.NextDue(nil)
	w.c.Flap = FlapRule{3, hour}
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * min) }
	acts := []act{cPing(at(1), PingFail), cPing(at(2), PingSuccess), cPing(at(3), PingFail), cPing(at(4), PingSuccess),
		cSweep(at(19))} // the success at 4 is due again at 14, down at 19
	acts = append(acts, sweeps(at(20), 10*min, 10)...)
	got := w.play(t, acts)
	want := []noted{
		{at(1), StatusUp, StatusDown, ReasonFail, false, ""},
		{at(2), StatusDown, StatusUp, ReasonNone, false, ""},
		{at(3), StatusUp, StatusDown, ReasonFail, false, ""},
		{at(4), StatusDown, StatusUp, ReasonFlapping, false, ""},
		{at(19), StatusUp, StatusDown, ReasonTimeout, true, NoteFlapping},
		{at(79), StatusDown, StatusDown, ReasonSettled, false, ""}, // an hour after the last change
	}
	if !sameNoted(got, want) {
		t.Errorf("flips =\n%+v\nwant\n%+v", got, want)
	}
}

// TestRuleInteractions plays each pair of rules that can meet: dependencies, snoozes,
// maintenance windows, failure tolerance and rate, and flapping.
func TestRuleInteractions(t *testing.T) {
	exp := t0.Add(day)
	at := func(m int) time.Time { return exp.Add(time.Duration(m) * min) }
	tests := []struct {
		name  string
		setup func(w *world)
		acts  []act
		want  []noted
	}{
		{
			name: "a snoozed child of a down parent inside a window: the alert waits for the last of the three (the parent)",
			setup: func(w *world) {
				w.winStart, w.winEnd = at(0), at(30)
			},
			acts: append(append([]act{pPing(at(0), PingFail), cSnooze(at(0), 20*min), cPing(at(1), PingFail)},
				sweeps(at(20), min, 25)...), append([]act{pPing(at(45), PingSuccess)}, sweeps(at(45), min, 5)...)...),
			want: []noted{
				{at(1), StatusUp, StatusDown, ReasonFail, true, heldDB},
				{at(45), StatusDown, StatusDown, ReasonFail, false, ""},
			},
		},
		{
			name: "… the window ends last: the alert goes out at its end",
			setup: func(w *world) {
				w.winStart, w.winEnd = at(0), at(60)
			},
			acts: append([]act{pPing(at(0), PingFail), cSnooze(at(0), 20*min), cPing(at(1), PingFail),
				cSweep(at(20)), pPing(at(45), PingSuccess)}, sweeps(at(46), min, 20)...),
			want: []noted{
				{at(1), StatusUp, StatusDown, ReasonFail, true, heldDB},
				{at(60), StatusDown, StatusDown, ReasonFail, false, ""},
			},
		},
		{
			name: "… the snooze ends last: the alert goes out at its end",
			setup: func(w *world) {
				w.winStart, w.winEnd = at(0), at(30)
			},
			acts: append([]act{pPing(at(0), PingFail), cSnooze(at(0), 90*min), cPing(at(1), PingFail),
				pPing(at(45), PingSuccess)}, sweeps(at(46), min, 50)...),
			want: []noted{
				{at(1), StatusUp, StatusDown, ReasonFail, true, heldDB},
				{at(90), StatusDown, StatusDown, ReasonFail, false, ""},
			},
		},
		{
			name:  "tolerance and a dependency: the tolerated failures change nothing, the last one is held",
			setup: func(w *world) { w.c.FailureTolerance = 2 },
			acts: []act{pPing(at(0), PingFail), cPing(at(1), PingFail), cPing(at(2), PingFail),
				pPing(at(5), PingSuccess), cSweep(at(5)), cSweep(at(6))},
			want: []noted{
				{at(2), StatusUp, StatusDown, ReasonFail, true, heldDB},
				{at(5), StatusDown, StatusDown, ReasonFail, false, ""},
			},
		},
		{
			name:  "a failure rate and a dependency: held the same",
			setup: func(w *world) { w.c.FailureRate = FailureRate{2, 10 * min} },
			acts: []act{pPing(at(0), PingFail), cPing(at(1), PingFail), cPing(at(2), PingSuccess), cPing(at(3), PingFail),
				pPing(at(4), PingSuccess), cSweep(at(4))},
			want: []noted{
				{at(3), StatusUp, StatusDown, ReasonFail, true, heldDB},
				{at(4), StatusDown, StatusDown, ReasonFail, false, ""},
			},
		},
		{
			name: "flapping inside a window: the down notice waits for the window; held changes owe nothing more",
			setup: func(w *world) {
				w.c.DependsOn = nil
				w.c.Flap = FlapRule{2, 10 * min}
				w.winStart, w.winEnd = at(0), at(30)
			},
			acts: append([]act{cPing(at(0), PingFail), cPing(at(1), PingSuccess), cPing(at(2), PingFail),
				cPing(at(3), PingSuccess), cPing(at(4), PingFail)}, sweeps(at(10), min, 30)...),
			want: []noted{
				{at(0), StatusUp, StatusDown, ReasonFail, true, ""},
				{at(1), StatusDown, StatusUp, ReasonNone, true, ""},
				{at(2), StatusUp, StatusDown, ReasonFlapping, true, ""},
				{at(3), StatusDown, StatusUp, ReasonNone, true, NoteFlapping},
				{at(4), StatusUp, StatusDown, ReasonFail, true, NoteFlapping},
				// nobody was told anything; at 14 it settles down, and the window holds that
				// alert until its end.
				{at(30), StatusDown, StatusDown, ReasonSettled, false, ""},
			},
		},
		{
			name: "a window that ends while flapping: the held down notice goes out then, and settling down adds nothing",
			setup: func(w *world) {
				w.c.DependsOn = nil
				w.c.Flap = FlapRule{2, 10 * min}
				w.winStart, w.winEnd = at(1), at(5)
			},
			acts: append([]act{cPing(at(0), PingFail), cPing(at(1), PingSuccess), cPing(at(2), PingFail),
				cPing(at(3), PingSuccess), cPing(at(4), PingFail)}, sweeps(at(5), min, 30)...),
			want: []noted{
				{at(0), StatusUp, StatusDown, ReasonFail, false, ""},
				{at(1), StatusDown, StatusUp, ReasonNone, false, ""},
				{at(2), StatusUp, StatusDown, ReasonFlapping, true, ""},
				{at(3), StatusDown, StatusUp, ReasonNone, true, NoteFlapping},
				{at(4), StatusUp, StatusDown, ReasonFail, true, NoteFlapping},
				// the up at 3 settled the debt of the held notice, so the window owes
				// nothing; the check settles down at 14, unlike what was last told (up).
				{at(14), StatusDown, StatusDown, ReasonSettled, false, ""},
			},
		},
		{
			name: "a window that ends while flapping, the check down throughout: one alert at the window's end",
			setup: func(w *world) {
				w.c.DependsOn = nil
				w.c.Flap = FlapRule{2, 10 * min}
				w.winStart, w.winEnd = at(1), at(5)
			},
			acts: append([]act{cPing(at(0), PingFail), cPing(at(1), PingSuccess), cPing(at(2), PingFail)},
				sweeps(at(5), min, 30)...),
			want: []noted{
				{at(0), StatusUp, StatusDown, ReasonFail, false, ""},
				{at(1), StatusDown, StatusUp, ReasonNone, false, ""},
				{at(2), StatusUp, StatusDown, ReasonFlapping, true, ""},
				{at(5), StatusDown, StatusDown, ReasonFlapping, false, ""},
			},
		},
		{
			name: "flapping with a down parent: the down notice is held by the parent",
			setup: func(w *world) {
				w.c.Flap = FlapRule{2, 10 * min}
			},
			acts: []act{cPing(at(0), PingFail), cPing(at(1), PingSuccess), pPing(at(2), PingFail), cPing(at(2), PingFail),
				cPing(at(3), PingSuccess), pPing(at(5), PingSuccess), cSweep(at(13)), cSweep(at(14))},
			want: []noted{
				{at(0), StatusUp, StatusDown, ReasonFail, false, ""},
				{at(1), StatusDown, StatusUp, ReasonNone, false, ""},
				{at(2), StatusUp, StatusDown, ReasonFlapping, true, heldDB},
				{at(3), StatusDown, StatusUp, ReasonNone, true, NoteFlapping},
				// settles up at 13; the last alert sent was the up at 1: nothing owed.
			},
		},
		{
			name: "a snooze during flapping: the settle alert waits for the snooze",
			setup: func(w *world) {
				w.c.DependsOn = nil
				w.c.Flap = FlapRule{2, 10 * min}
			},
			acts: []act{cPing(at(0), PingFail), cPing(at(1), PingSuccess), cPing(at(2), PingFail),
				cPing(at(3), PingSuccess), cPing(at(4), PingFail), cSnooze(at(5), 30*min), cSweep(at(14)), cSweep(at(35))},
			want: []noted{
				{at(0), StatusUp, StatusDown, ReasonFail, false, ""},
				{at(1), StatusDown, StatusUp, ReasonNone, false, ""},
				{at(2), StatusUp, StatusDown, ReasonFlapping, false, ""},
				{at(3), StatusDown, StatusUp, ReasonNone, true, NoteFlapping},
				{at(4), StatusUp, StatusDown, ReasonFail, true, NoteFlapping},
				// settles down at 14 as the notice said: nothing owed, nothing at 35.
			},
		},
		{
			name: "a snooze during flapping that settles up: the up goes out (a snooze holds downs only)",
			setup: func(w *world) {
				w.c.DependsOn = nil
				w.c.Flap = FlapRule{2, 10 * min}
			},
			acts: []act{cPing(at(0), PingFail), cPing(at(1), PingSuccess), cPing(at(2), PingFail),
				cPing(at(3), PingSuccess), cSnooze(at(5), 30*min), cSweep(at(13))},
			want: []noted{
				{at(0), StatusUp, StatusDown, ReasonFail, false, ""},
				{at(1), StatusDown, StatusUp, ReasonNone, false, ""},
				{at(2), StatusUp, StatusDown, ReasonFlapping, false, ""},
				{at(3), StatusDown, StatusUp, ReasonNone, true, NoteFlapping},
				{at(13), StatusUp, StatusUp, ReasonSettled, false, ""},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld()
			if tt.setup != nil {
				tt.setup(w)
			}
			got := w.play(t, tt.acts)
			if !sameNoted(got, tt.want) {
				t.Errorf("flips =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}
