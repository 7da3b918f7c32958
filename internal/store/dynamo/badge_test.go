package dynamo

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// TestBadgeLookupsOfOldWriters: a project and a check that a version 1 or 2 build created on
// version 3 data have no badge lookup. The project is found anyway, the long way, and gets its
// lookup; the check is found once this build has written it (its next ping).
func TestBadgeLookupsOfOldWriters(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	c := setup(t, s)
	p := &check.Project{ID: "a0000000-0000-4000-8000-000000000002", Name: "Old", Created: t0, BadgeKey: "old-project"}
	if err := s.CreateProject(ctx, p); err != nil {
		t.Fatal(err)
	}
	old := check.New("c0000000-0000-4000-8000-000000000002", c.ProjectID, t0)
	old.BadgeKey = "old-check"
	if err := s.CreateCheck(ctx, old); err != nil {
		t.Fatal(err)
	}
	stripBadgeLookups(t, s) // as a version 2 build wrote them

	got, err := s.ProjectByBadgeKey(ctx, p.BadgeKey)
	if err != nil {
		t.Fatalf("ProjectByBadgeKey of a project without a lookup = %v", err)
	}
	if diff := cmp.Diff(p, got); diff != "" {
		t.Errorf("ProjectByBadgeKey mismatch (-want +got):\n%s", diff)
	}
	if m := plainItem(s.rawItem(t, badgeKeyPrefix+p.BadgeKey, projectSK)); m["id"] != "S:"+p.ID {
		t.Errorf("badge lookup written on the way = %v, want a copy of project %s", m, p.ID)
	}

	if got, err := s.CheckByBadgeKey(ctx, old.BadgeKey); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("CheckByBadgeKey before the check's first write = %v, %v; want ErrNotFound", got, err)
	}
	if _, _, err := ping(ctx, s, old.ID, check.Signal{Kind: check.PingSuccess}, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	got2, err := s.CheckByBadgeKey(ctx, old.BadgeKey)
	if err != nil || got2.ID != old.ID || got2.NPings != 1 {
		t.Fatalf("CheckByBadgeKey after a ping = %+v, %v; want the check with its ping", got2, err)
	}
	if m := plainItem(s.rawItem(t, checkPrefix+old.ID, checkSK)); m["bkl"] != "BOOL:true" {
		t.Errorf("check after its first write by this build: bkl = %v, want true", m["bkl"])
	}
}

// TestBadgeLookupBackfillIsIdempotent: running the version 3 step again changes nothing.
func TestBadgeLookupBackfillIsIdempotent(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	seedV1(t, s, 3, 1)
	if err := s.backfillBadgeLookups(ctx); err != nil {
		t.Fatal(err)
	}
	once := scanAll(t, s)
	if err := s.backfillBadgeLookups(ctx); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(once, scanAll(t, s)); diff != "" {
		t.Errorf("a second backfill changed the table (-first +second):\n%s", diff)
	}
}

// TestDeleteCheckBadgeLookup: deleting a check deletes its badge lookup, and only its own: a
// check sharing the key (never generated, but not excluded either) keeps the lookup it owns.
func TestDeleteCheckBadgeLookup(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	c := setup(t, s)
	a := check.New("c0000000-0000-4000-8000-000000000002", c.ProjectID, t0)
	b := check.New("c0000000-0000-4000-8000-000000000003", c.ProjectID, t0)
	a.BadgeKey, b.BadgeKey = "shared", "shared"
	for _, c := range []*check.Check{a, b} { // b's lookup replaces a's
		if err := s.CreateCheck(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteCheck(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := s.CheckByBadgeKey(ctx, "shared"); err != nil || got.ID != b.ID {
		t.Errorf("CheckByBadgeKey after deleting the other check = %v, %v; want %s", got, err, b.ID)
	}
	if err := s.DeleteCheck(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	for _, m := range scanAll(t, s) {
		if m["pk"] == badgeKeyPrefix+"shared" {
			t.Errorf("lookup %s %s left after its check was deleted", m["pk"], m["sk"])
		}
	}
}
