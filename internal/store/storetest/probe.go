package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// testProbe: a healthy store passes its probe, again and again, and the probe changes nothing
// the services read: the projects, checks, flips and due checks are what they were.
func testProbe(t *testing.T, s store.Store) {
	ctx := t.Context()
	if err := s.Probe(ctx); err != nil {
		t.Fatalf("Probe() on an empty store = %v", err)
	}
	p := newProject(1, t0)
	createProject(t, s, p)
	c := newCheck(1, p.ID, t0)
	c.Status, c.AlertAfter = check.StatusUp, t0.Add(time.Hour)
	createCheck(t, s, c)
	for i := range 3 {
		if err := s.Probe(ctx); err != nil {
			t.Fatalf("Probe() #%d = %v", i+1, err)
		}
	}

	projects, err := s.Projects(ctx)
	if err != nil {
		t.Fatalf("Projects() = %v", err)
	}
	if diff := cmp.Diff([]*check.Project{p}, projects); diff != "" {
		t.Errorf("Projects() after probing (-want +got):\n%s", diff)
	}
	checks, err := s.Checks(ctx, p.ID)
	if err != nil {
		t.Fatalf("Checks() = %v", err)
	}
	if diff := cmp.Diff([]*check.Check{c}, checks, equateEmpty); diff != "" {
		t.Errorf("Checks() after probing (-want +got):\n%s", diff)
	}
	due, err := s.DueChecks(ctx, t0.Add(2*time.Hour), 10)
	if err != nil {
		t.Fatalf("DueChecks() = %v", err)
	}
	if len(due) != 1 || due[0].ID != c.ID {
		t.Errorf("DueChecks() after probing = %d checks, want only %s", len(due), c.ID)
	}
	unprocessed, err := s.UnprocessedFlips(ctx, 10)
	if err != nil {
		t.Fatalf("UnprocessedFlips() = %v", err)
	}
	if len(unprocessed) != 0 {
		t.Errorf("UnprocessedFlips() after probing = %d, want none", len(unprocessed))
	}
}
