package storetest

import (
	"errors"
	"sync"
	"testing"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// errCycle is the refusal the tests' updates give when the parent they add closes a cycle.
var errCycle = errors.New("depends_on would close a cycle")

// addParent is an UpdateDependencies fn that adds parent to the check, refusing with errCycle
// when the graph read through g then has a cycle through the check.
func addParent(parent string) func(c *check.Check, g store.Graph) (store.Change, error) {
	return func(c *check.Check, g store.Graph) (store.Change, error) {
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
			return store.Change{}, errCycle
		}
		return store.Change{}, nil
	}
}

// storedCycle is a cycle among the stored checks, or nil.
func storedCycle(t *testing.T, s store.Store, projectID string) []string {
	t.Helper()
	cs, err := s.Checks(t.Context(), projectID)
	if err != nil {
		t.Fatal(err)
	}
	deps := map[string][]string{}
	for _, c := range cs {
		deps[c.ID] = loadCheck(t, s, c.ID).DependsOn // the list may lag; the item does not
	}
	for id, parents := range deps {
		if cycle := check.DependencyCycle(id, parents, deps); cycle != nil {
			return cycle
		}
	}
	return nil
}

// testDependencyRace: updates that each add one parent, started together, that would together
// close cycles (three pairs a→b and b→a, and a ring x→y→z→x) never all pass: the graph each
// reads through UpdateDependencies is the one its write joins. Afterwards no cycle is stored,
// at most one of each pair and two of the ring passed, each refusal is the cycle's (or, on a
// store that retries, store.ErrConflict after too many lost races), and each update that
// passed is stored. An update that adds no parent (a list shortened) passes alongside.
func testDependencyRace(t *testing.T, s store.Store) {
	p := newProject(1, t0)
	createProject(t, s, p)
	for n := 1; n <= 9; n++ {
		createCheck(t, s, newCheck(n, p.ID, t0))
	}
	keeper := newCheck(10, p.ID, t0)
	keeper.DependsOn = []string{checkID(1), checkID(2)}
	createCheck(t, s, keeper)

	type edge struct{ child, parent int }
	groups := [][]edge{
		{{1, 2}, {2, 1}},
		{{3, 4}, {4, 3}},
		{{5, 6}, {6, 5}},
		{{7, 8}, {8, 9}, {9, 7}},
	}
	var all []edge
	for _, g := range groups {
		all = append(all, g...)
	}
	errs := make([]error, len(all))
	var shortened error
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, e := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = s.UpdateDependencies(t.Context(), checkID(e.child), addParent(checkID(e.parent)))
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-start
		_, shortened = s.UpdateDependencies(t.Context(), keeper.ID, func(c *check.Check, g store.Graph) (store.Change, error) {
			c.DependsOn = c.DependsOn[:1]
			return store.Change{}, nil
		})
	}()
	close(start)
	wg.Wait()

	if cycle := storedCycle(t, s, p.ID); cycle != nil {
		t.Errorf("stored dependencies have a cycle after the race: %v", cycle)
	}
	i, refusedByCycle := 0, 0
	for _, g := range groups {
		passed := 0
		for _, e := range g {
			err := errs[i]
			i++
			switch {
			case err == nil:
				passed++
				if got := loadCheck(t, s, checkID(e.child)).DependsOn; len(got) != 1 || got[0] != checkID(e.parent) {
					t.Errorf("check %d passed adding %d, but its depends_on is %v", e.child, e.parent, got)
				}
			case errors.Is(err, errCycle):
				refusedByCycle++
			case errors.Is(err, store.ErrConflict):
			default:
				t.Errorf("adding %d to check %d: %v, want nil, the cycle's refusal or store.ErrConflict", e.parent, e.child, err)
			}
		}
		if passed > len(g)-1 {
			t.Errorf("%d of the %d updates of %v passed: together they close a cycle", passed, len(g), g)
		}
	}
	if refusedByCycle == 0 {
		t.Errorf("no update was refused for its cycle: errors %v", errs)
	}
	if shortened != nil {
		t.Errorf("shortening a depends_on during the race: %v", shortened)
	}
	if got := loadCheck(t, s, keeper.ID).DependsOn; len(got) != 1 || got[0] != checkID(1) {
		t.Errorf("shortened depends_on = %v, want [%s]", got, checkID(1))
	}
}

// testUpdateDependencies: UpdateDependencies is UpdateCheck for the rest: fn's error comes back
// as it is and writes nothing, a missing check is store.ErrNotFound, the Graph reads checks as
// stored (store.ErrNotFound for none), and the written check comes back.
func testUpdateDependencies(t *testing.T, s store.Store) {
	p := newProject(1, t0)
	createProject(t, s, p)
	a, b := newCheck(1, p.ID, t0), newCheck(2, p.ID, t0)
	b.DependsOn = []string{a.ID}
	createCheck(t, s, a)
	createCheck(t, s, b)
	ctx := t.Context()

	if _, err := s.UpdateDependencies(ctx, checkID(99), addParent(a.ID)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateDependencies(missing check) = %v, want store.ErrNotFound", err)
	}
	if _, err := s.UpdateDependencies(ctx, a.ID, addParent(b.ID)); !errors.Is(err, errCycle) {
		t.Errorf("UpdateDependencies(a gains b, b depends on a) = %v, want fn's error", err)
	}
	if got := loadCheck(t, s, a.ID).DependsOn; len(got) != 0 {
		t.Errorf("a's depends_on after a refused update = %v, want none", got)
	}
	var missing error
	c, err := s.UpdateDependencies(ctx, b.ID, func(c *check.Check, g store.Graph) (store.Change, error) {
		got, err := g(a.ID)
		if err != nil || got.Name != a.Name {
			t.Errorf("Graph(a) = %+v, %v; want check a", got, err)
		}
		_, missing = g(checkID(98))
		c.Name = "renamed"
		c.DependsOn = nil
		return store.Change{}, nil
	})
	if err != nil || c.Name != "renamed" || len(c.DependsOn) != 0 {
		t.Fatalf("UpdateDependencies(b) = %+v, %v; want b renamed, without parents", c, err)
	}
	if !errors.Is(missing, store.ErrNotFound) {
		t.Errorf("Graph(missing check) = %v, want store.ErrNotFound", missing)
	}
	if got := loadCheck(t, s, b.ID); got.Name != "renamed" || len(got.DependsOn) != 0 {
		t.Errorf("b as stored = name %q, depends_on %v; want renamed, none", got.Name, got.DependsOn)
	}
}
