package store

import (
	"errors"

	"github.com/overduehq/overdue/internal/check"
)

// Graph reads a check during UpdateDependencies, as that update's write will find it:
// ErrNotFound when there is none.
type Graph func(id string) (*check.Check, error)

// Reachable reads through g every check that the parents of self lead to by DependsOn, self's
// own parents included, as a map by ID: nil for an ID that names no check of self's project
// (deleted, or another project's), whose parents are not followed. self itself is not read or
// followed: a path that reaches it is a cycle, which check.DependencyCycle(self.ID,
// self.DependsOn, ...) finds from the map's DependsOn lists.
func Reachable(g Graph, self *check.Check) (map[string]*check.Check, error) {
	seen := map[string]*check.Check{}
	queue := append([]string(nil), self.DependsOn...)
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		if _, ok := seen[id]; ok || id == self.ID {
			continue
		}
		c, err := g(id)
		switch {
		case errors.Is(err, ErrNotFound):
			seen[id] = nil
			continue
		case err != nil:
			return nil, err
		case c.ProjectID != self.ProjectID:
			seen[id] = nil
			continue
		}
		seen[id] = c
		queue = append(queue, c.DependsOn...)
	}
	return seen, nil
}

// AddsParent reports whether next lists a parent that prev does not: only such a change can
// close a cycle.
func AddsParent(prev, next []string) bool {
	for _, id := range next {
		found := false
		for _, p := range prev {
			if p == id {
				found = true
				break
			}
		}
		if !found {
			return true
		}
	}
	return false
}
