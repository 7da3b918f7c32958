package dynamo

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/schema"
	"github.com/overduehq/overdue/internal/store/peopletest"
)

func TestPeopleConformance(t *testing.T) {
	peopletest.Run(t, func(t *testing.T) peopletest.Stores {
		s := newStore(t)
		return peopletest.Stores{People: s.People(), Store: s}
	})
}

// TestPeopleByMigration is version 6 on DynamoDB: a table of the version 5 release is migrated
// with every item as it was (only META records the step); the version 5 release's guard still
// lets it use the table; and this build's accounts then live beside the older items without
// changing what the version 5 release reads (its project listing, its project).
func TestPeopleByMigration(t *testing.T) {
	ctx := t.Context()
	s := newBareStore(t)
	seedV1(t, s, 2, 2)
	v5 := runOpts("v0.4.0")
	v5.Build = build5()
	if _, err := schema.Run(ctx, s, v5); err != nil {
		t.Fatal(err)
	}
	notMeta := func(items []map[string]any) []map[string]any {
		return slices.DeleteFunc(items, func(m map[string]any) bool { return m["pk"] == metaPK })
	}
	before := notMeta(scanAll(t, s))
	projectsBefore, err := s.Projects(ctx)
	if err != nil {
		t.Fatal(err)
	}

	v6 := runOpts("v0.5.0")
	v6.Build = build6()
	rep, err := schema.Run(ctx, s, v6)
	if err != nil {
		t.Fatal(err)
	}
	if rep.After != (schema.Version{Version: 6, MinReader: 3}) || len(rep.Applied) != 1 || rep.Applied[0].Phase != schema.Expand {
		t.Fatalf("Run = %+v, want one expand step to version 6 (min reader 3)", rep)
	}
	if diff := cmp.Diff(before, notMeta(scanAll(t, s))); diff != "" {
		t.Errorf("items changed by migration 6 (-before +after):\n%s", diff)
	}
	if err := schema.NewGate(s.Version, schema.GateConfig{Build: build5()}).Check(ctx); err != nil {
		t.Errorf("the version 5 release's guard on version 6 data = %v, want it to use the data", err)
	}

	// This build's accounts, beside the older items.
	p := s.People()
	u := &people.User{ID: "u1", Email: "a@example.org", Created: t0}
	if err := p.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := p.SetMembership(ctx, people.Membership{ProjectID: projectsBefore[0].ID, UserID: u.ID, Role: people.RoleOwner, Created: t0}); err != nil {
		t.Fatal(err)
	}
	if err := p.CreateSession(ctx, &people.Session{IDHash: "h", UserID: u.ID, Created: t0, Expires: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	projectsAfter, err := s.Projects(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(projectsBefore, projectsAfter); diff != "" {
		t.Errorf("projects listed after accounts were added (-before +after):\n%s", diff)
	}
	if got, err := s.Project(ctx, projectsBefore[0].ID); err != nil || !cmp.Equal(got, projectsBefore[0]) {
		t.Errorf("Project after a membership was added = %+v, %v; want it unchanged", got, err)
	}
}
