package dynamo

import (
	"errors"
	"fmt"
	"testing"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

var errCycleTest = errors.New("would close a cycle")

// addParentTest adds parent to the check and refuses a cycle read through g; hook, when set,
// runs after the graph was read and before the write, on each call (1, 2, ...).
func addParentTest(parent string, calls *int, hook func(call int)) func(c *check.Check, g store.Graph) (store.Change, error) {
	return func(c *check.Check, g store.Graph) (store.Change, error) {
		*calls++
		c.DependsOn = append(c.DependsOn, parent)
		graph, err := store.Reachable(g, c)
		if err != nil {
			return store.Change{}, err
		}
		deps := map[string][]string{}
		for id, p := range graph {
			if p != nil {
				deps[id] = p.DependsOn
			}
		}
		if check.DependencyCycle(c.ID, c.DependsOn, deps) != nil {
			return store.Change{}, errCycleTest
		}
		if hook != nil {
			hook(*calls)
		}
		return store.Change{}, nil
	}
}

func graphVersion(t *testing.T, s *Store, projectID string) string {
	t.Helper()
	m, err := s.get(t.Context(), graphKey(projectID), true)
	if err != nil {
		t.Fatal(err)
	}
	if m == nil {
		return "absent"
	}
	n, err := numberOf(m["gv"])
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(n)
}

// TestDependencyRaceHook: a and b race to depend on each other, deterministically: b's update
// commits between a's read of the graph and a's write. a's write loses the graph version's
// condition, a's fn runs again on the graph b left, and refuses the cycle; only b's parent is
// stored, and the version moved once. An update that adds no parent leaves the version alone.
func TestDependencyRaceHook(t *testing.T) {
	s := newStore(t)
	a := setup(t, s)
	b := check.New("c0000000-0000-4000-8000-000000000002", a.ProjectID, t0)
	if err := s.CreateCheck(t.Context(), b); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	var aCalls, bCalls int
	_, err := s.UpdateDependencies(ctx, a.ID, addParentTest(b.ID, &aCalls, func(call int) {
		if call > 1 {
			return
		}
		if _, err := s.UpdateDependencies(ctx, b.ID, addParentTest(a.ID, &bCalls, nil)); err != nil {
			t.Errorf("b gains a, between a's read and a's write: %v", err)
		}
	}))
	if !errors.Is(err, errCycleTest) || aCalls != 2 {
		t.Errorf("a gains b = %v after %d calls of fn; want the cycle's refusal on the second call", err, aCalls)
	}
	if got, _ := s.Check(ctx, a.ID); len(got.DependsOn) != 0 {
		t.Errorf("a's depends_on = %v, want none", got.DependsOn)
	}
	if got, _ := s.Check(ctx, b.ID); len(got.DependsOn) != 1 || got.DependsOn[0] != a.ID {
		t.Errorf("b's depends_on = %v, want [a]", got.DependsOn)
	}
	if v := graphVersion(t, s, a.ProjectID); v != "1" {
		t.Errorf("graph version after one parent added = %s, want 1", v)
	}
	_, err = s.UpdateDependencies(ctx, b.ID, func(c *check.Check, g store.Graph) (store.Change, error) {
		c.DependsOn, c.Name = nil, "no parents"
		return store.Change{}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if v := graphVersion(t, s, a.ProjectID); v != "1" {
		t.Errorf("graph version after a parent was removed = %s, want still 1", v)
	}
}

// TestDependencyRaceGivesUp: an update that loses the graph version every time (another
// parent is added to another check before each of its writes) is tried maxGraphAttempts times
// and then answers store.ErrConflict, having written nothing.
func TestDependencyRaceGivesUp(t *testing.T) {
	s := newStore(t)
	a := setup(t, s)
	ctx := t.Context()
	var others []string
	for n := 2; n <= maxGraphAttempts+2; n++ {
		c := check.New(fmt.Sprintf("c0000000-0000-4000-8000-%012d", n), a.ProjectID, t0)
		if err := s.CreateCheck(ctx, c); err != nil {
			t.Fatal(err)
		}
		others = append(others, c.ID)
	}
	busy := others[0]
	var calls, otherCalls int
	_, err := s.UpdateDependencies(ctx, a.ID, addParentTest(busy, &calls, func(call int) {
		if _, err := s.UpdateDependencies(ctx, busy, addParentTest(others[call], &otherCalls, nil)); err != nil {
			t.Errorf("the other update %d: %v", call, err)
		}
	}))
	if !errors.Is(err, store.ErrConflict) || calls != maxGraphAttempts {
		t.Errorf("update that always loses = %v after %d calls; want store.ErrConflict after %d", err, calls, maxGraphAttempts)
	}
	if got, _ := s.Check(ctx, a.ID); len(got.DependsOn) != 0 {
		t.Errorf("depends_on of the check that gave up = %v, want none", got.DependsOn)
	}
}
