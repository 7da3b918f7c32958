package check

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

// noted is what the issue-16 scenarios assert of a flip: flipSummary and its Note.
type noted struct {
	At       time.Time
	Old, New Status
	Reason   string
	Silent   bool
	Note     string
}

// act is one step of a scenario played by world: a ping to the child (c) or the parent (p), a
// sweep of the child (only when it is due, as the sweep would), or a snooze of the child.
type act struct {
	at     time.Time
	parent bool
	ping   PingKind
	snooze time.Duration
	set    bool
}

func cPing(at time.Time, k PingKind) act        { return act{at: at, ping: k} }
func pPing(at time.Time, k PingKind) act        { return act{at: at, parent: true, ping: k} }
func cSweep(at time.Time) act                   { return act{at: at} }
func cSnooze(at time.Time, d time.Duration) act { return act{at: at, snooze: d, set: true} }
func sweeps(from time.Time, every time.Duration, n int) []act {
	var out []act
	for i := 0; i < n; i++ {
		out = append(out, cSweep(from.Add(time.Duration(i)*every)))
	}
	return out
}

// world is a child check c, a parent p it may depend on, and a maintenance window over the child,
// played the way the services play them: every flip of the child's goes through the window's
// Hold and then the parent's HoldForParent, as the sweep and the ping handler do.
type world struct {
	c, p          *Check
	sched, pSched Schedule
	winStart      time.Time // with winEnd, a window covering c; zero: none
	winEnd        time.Time
}

func (w *world) play(t *testing.T, acts []act) []noted {
	t.Helper()
	var out []noted
	schedOf := func(*Check) Schedule { return w.pSched }
	for _, a := range acts {
		if a.parent {
			w.p.ApplyPing(Signal{Kind: a.ping}, a.at, w.pSched)
			continue
		}
		var f *Flip
		switch {
		case a.set:
			var err error
			if f, err = w.c.Snooze(a.snooze, a.at, w.sched); err != nil {
				t.Fatalf("Snooze at %v: %v", a.at, err)
			}
		case a.ping != "":
			_, f = w.c.ApplyPing(Signal{Kind: a.ping}, a.at, w.sched)
		default:
			if w.c.AlertAfter.IsZero() || w.c.AlertAfter.After(a.at) {
				continue // not due: the sweep would not look at it
			}
			f = w.c.Sweep(a.at, w.sched)
		}
		var until time.Time
		if !a.at.Before(w.winStart) && a.at.Before(w.winEnd) {
			until = w.winEnd
		}
		f = w.c.Hold(f, until, a.at)
		var parents []*Check
		if len(w.c.DependsOn) > 0 {
			parents = []*Check{w.p}
		}
		f = w.c.HoldForParent(f, DownParent(parents, a.at, schedOf), a.at)
		if f != nil {
			out = append(out, noted{f.Created, f.OldStatus, f.NewStatus, f.Reason, !f.Processed.IsZero(), f.Note})
		}
	}
	return out
}

// newWorld is a child and a parent "db", both simple checks (a day, grace an hour) last pinged
// at t0, the child depending on the parent.
func newWorld() *world {
	c := upCheck(t0)
	c.Name = "backup"
	c.DependsOn = []string{"p1"}
	c.AlertAfter = c.NextDue(nil)
	p := upCheck(t0)
	p.ID, p.Name = "p1", "db"
	return &world{c: c, p: p}
}

func sameNoted(got, want []noted) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		g, w := got[i], want[i]
		if !g.At.Equal(w.At) || g.Old != w.Old || g.New != w.New || g.Reason != w.Reason || g.Silent != w.Silent || g.Note != w.Note {
			return false
		}
	}
	return true
}

const heldDB = "held: db is down"

// TestDependencies plays a child whose parent "db" goes down and recovers: the child's down
// alert is held and noted while the parent is down, and sent exactly once if the child is
// still down when the parent recovers.
func TestDependencies(t *testing.T) {
	exp := t0.Add(day)
	down := exp.Add(hour) // the child's deadline
	tests := []struct {
		name  string
		setup func(w *world)
		acts  []act
		want  []noted
	}{
		{
			name: "parent down, child misses: held; parent recovers: one alert then",
			acts: append([]act{pPing(exp, PingFail), cSweep(down), cSweep(down.Add(min)), cSweep(down.Add(2 * min)),
				pPing(down.Add(150*time.Second), PingSuccess)}, sweeps(down.Add(3*min), min, 5)...),
			want: []noted{
				{down, StatusUp, StatusDown, ReasonTimeout, true, heldDB},
				{down.Add(3 * min), StatusDown, StatusDown, ReasonTimeout, false, ""},
			},
		},
		{
			name: "parent down, child fails and recovers before the parent: nothing sent",
			acts: []act{pPing(exp, PingFail), cPing(exp.Add(min), PingFail), cSweep(exp.Add(2 * min)),
				cPing(exp.Add(3*min), PingSuccess), pPing(exp.Add(4*min), PingSuccess), cSweep(exp.Add(5 * min))},
			want: []noted{
				{exp.Add(min), StatusUp, StatusDown, ReasonFail, true, heldDB},
				{exp.Add(3 * min), StatusDown, StatusUp, ReasonNone, true, ""},
			},
		},
		{
			name: "the child down before the parent: its alert went out, nothing more",
			acts: []act{cPing(exp, PingFail), pPing(exp.Add(min), PingFail), cSweep(exp.Add(2 * min)),
				pPing(exp.Add(3*min), PingSuccess), cSweep(exp.Add(4 * min))},
			want: []noted{{exp, StatusUp, StatusDown, ReasonFail, false, ""}},
		},
		{
			name: "a parent past its deadline counts as down before any sweep records it",
			setup: func(w *world) {
				w.p.LastPing = t0.Add(-2 * hour) // down at exp-1h, by computation only
			},
			acts: []act{cPing(exp, PingFail)},
			want: []noted{{exp, StatusUp, StatusDown, ReasonFail, true, heldDB}},
		},
		{
			name:  "a paused parent holds nothing",
			setup: func(w *world) { w.p.Pause(t0) },
			acts:  []act{cPing(exp, PingFail)},
			want:  []noted{{exp, StatusUp, StatusDown, ReasonFail, false, ""}},
		},
		{
			name: "an up parent holds nothing",
			acts: []act{cPing(exp, PingFail)},
			want: []noted{{exp, StatusUp, StatusDown, ReasonFail, false, ""}},
		},
		{
			name:  "without depends_on the parent's status does not matter",
			setup: func(w *world) { w.c.DependsOn = nil },
			acts:  []act{pPing(exp, PingFail), cPing(exp.Add(min), PingFail)},
			want:  []noted{{exp.Add(min), StatusUp, StatusDown, ReasonFail, false, ""}},
		},
		{
			name: "a failure held; the parent recovers; the next look sends it",
			acts: []act{pPing(exp, PingFail), cPing(exp.Add(min), PingFail), pPing(exp.Add(2*min), PingSuccess),
				cSweep(exp.Add(3 * min))},
			want: []noted{
				{exp.Add(min), StatusUp, StatusDown, ReasonFail, true, heldDB},
				{exp.Add(3 * min), StatusDown, StatusDown, ReasonFail, false, ""},
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

// TestDependencyHeldState checks what a held child records, and that a pause drops the debt.
func TestDependencyHeldState(t *testing.T) {
	exp := t0.Add(day)
	w := newWorld()
	w.play(t, []act{pPing(exp, PingFail), cPing(exp.Add(min), PingFail)})
	c := w.c
	if c.HeldParent != "p1" || c.HeldNote != heldDB || c.HeldReason != ReasonFail {
		t.Errorf("held: parent %q note %q reason %q; want p1, %q, fail", c.HeldParent, c.HeldNote, c.HeldReason, heldDB)
	}
	if want := exp.Add(min + DependencyRecheck); !c.AlertAfter.Equal(want) || !c.HeldUntil.Equal(want) {
		t.Errorf("AlertAfter %v, HeldUntil %v; want both %v (the next look at the parent)", c.AlertAfter, c.HeldUntil, want)
	}
	c.Pause(exp.Add(2 * min))
	if c.HeldParent != "" || c.HeldNote != "" || c.HeldReason != "" {
		t.Errorf("after a pause: parent %q note %q reason %q; want none", c.HeldParent, c.HeldNote, c.HeldReason)
	}
}

// TestDependencyAcrossDST: the parent is a daily 12:00 check in Riga, where summer time starts
// on 2026-03-29 at 03:00. Its expected time that day is 09:00 UTC, an hour earlier than the day
// before, so with an hour's grace it is down from 10:00 UTC: a child failing at 10:00 UTC is
// held, one failing at 09:30 UTC (the parent still in grace) alerts.
func TestDependencyAcrossDST(t *testing.T) {
	riga, err := time.LoadLocation("Europe/Riga")
	if err != nil {
		t.Skip("no zone database:", err)
	}
	lastPing := time.Date(2026, 3, 28, 12, 0, 0, 0, riga) // 10:00 UTC, winter time
	for _, tt := range []struct {
		at   time.Time
		want []noted
	}{
		{time.Date(2026, 3, 29, 9, 30, 0, 0, time.UTC), []noted{{time.Date(2026, 3, 29, 9, 30, 0, 0, time.UTC), StatusUp, StatusDown, ReasonFail, false, ""}}},
		{time.Date(2026, 3, 29, 10, 0, 0, 0, time.UTC), []noted{{time.Date(2026, 3, 29, 10, 0, 0, 0, time.UTC), StatusUp, StatusDown, ReasonFail, true, heldDB}}},
	} {
		w := newWorld()
		w.p.Kind, w.p.LastPing = KindCron, lastPing.UTC()
		w.pSched = daily{12, riga}
		got := w.play(t, []act{cPing(tt.at, PingFail)})
		if !sameNoted(got, tt.want) {
			t.Errorf("child fails at %v: flips %+v, want %+v", tt.at, got, tt.want)
		}
	}
}

func TestDependencyCycle(t *testing.T) {
	deps := map[string][]string{
		"a": {"b"},
		"b": {"c"},
		"c": nil,
		"d": {"a", "c"},
	}
	tests := []struct {
		id        string
		dependsOn []string
		want      []string
	}{
		{"c", []string{"a"}, []string{"c", "a", "b", "c"}},
		{"a", []string{"a"}, []string{"a", "a"}},
		{"c", []string{"d"}, []string{"c", "d", "a", "b", "c"}},
		{"a", []string{"c"}, nil},
		{"e", []string{"a", "d"}, nil},
		{"b", []string{"d"}, nil}, // b's own entry (c) is replaced: d → a → b closes it
	}
	tests[5].want = []string{"b", "d", "a", "b"}
	for _, tt := range tests {
		if got := DependencyCycle(tt.id, tt.dependsOn, deps); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("DependencyCycle(%s, %v) = %v, want %v", tt.id, tt.dependsOn, got, tt.want)
		}
	}
}

func TestDropParent(t *testing.T) {
	c := &Check{DependsOn: []string{"a", "b"}}
	orig := c.DependsOn
	if !c.DropParent("a") || !reflect.DeepEqual(c.DependsOn, []string{"b"}) {
		t.Errorf("DropParent(a): %v, want [b]", c.DependsOn)
	}
	if orig[0] != "a" {
		t.Errorf("DropParent changed the slice it was given: %v", orig)
	}
	if c.DropParent("x") {
		t.Error("DropParent(x) = true for a check not depended on")
	}
	if !c.DropParent("b") || c.DependsOn != nil {
		t.Errorf("DropParent(b): %v, want nil", c.DependsOn)
	}
}

func TestValidateRulesIssue16(t *testing.T) {
	many := make([]string, MaxDependsOn+1)
	for i := range many {
		many[i] = string(rune('a' + i))
	}
	tests := []struct {
		name  string
		set   func(c *Check)
		field string // "" for valid
	}{
		{"rate", func(c *Check) { c.FailureRate = FailureRate{3, 10 * min} }, ""},
		{"rate with tolerance 1 (Healthchecks' default)", func(c *Check) { c.FailureRate, c.FailureTolerance = FailureRate{3, 10 * min}, 1 }, ""},
		{"rate with tolerance", func(c *Check) { c.FailureRate, c.FailureTolerance = FailureRate{3, 10 * min}, 2 }, "failure_rate"},
		{"rate of 0 failures", func(c *Check) { c.FailureRate = FailureRate{0, 10 * min} }, "failure_rate"},
		{"rate of 101 failures", func(c *Check) { c.FailureRate = FailureRate{101, 10 * min} }, "failure_rate"},
		{"rate without minutes", func(c *Check) { c.FailureRate = FailureRate{3, 0} }, "failure_rate"},
		{"rate over a week", func(c *Check) { c.FailureRate = FailureRate{3, 7*day + min} }, "failure_rate"},
		{"flapping", func(c *Check) { c.Flap = FlapRule{4, hour} }, ""},
		{"flapping without changes", func(c *Check) { c.Flap = FlapRule{0, hour} }, "flapping"},
		{"flapping in seconds", func(c *Check) { c.Flap = FlapRule{4, 90 * time.Second} }, "flapping"},
		{"ten parents", func(c *Check) { c.DependsOn = many[:10] }, ""},
		{"eleven parents", func(c *Check) { c.DependsOn = many }, "depends_on"},
		{"an empty parent", func(c *Check) { c.DependsOn = []string{""} }, "depends_on"},
	}
	for _, tt := range tests {
		c := New("c1", "p1", t0)
		tt.set(c)
		err := c.ValidateRules()
		var fe *FieldError
		switch {
		case tt.field == "" && err != nil:
			t.Errorf("%s: %v, want valid", tt.name, err)
		case tt.field != "" && (!errors.As(err, &fe) || fe.Field != tt.field):
			t.Errorf("%s: %v, want an error about %s", tt.name, err, tt.field)
		}
	}
}
