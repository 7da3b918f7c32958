package sqlite

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/schema"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/peopletest"
)

func TestPeopleConformance(t *testing.T) {
	peopletest.Run(t, func(t *testing.T) peopletest.Stores {
		s := openStore(t, store.Options{})
		t.Cleanup(func() { s.Close() })
		return peopletest.Stores{People: s.People(), Store: s}
	})
}

// TestPeopleByMigration is version 6 on SQLite: data of the version 5 release gains the people
// tables with every row of every existing table unchanged and the same schema as a database
// created at Current; a second run changes nothing; and the version 5 release still uses the
// expanded data (its guard says UseNewer, and its store's writes succeed beside the new tables).
func TestPeopleByMigration(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	path := filepath.Join(dir, "overdue.db")
	loadV1(t, path)
	if _, err := schema.Run(ctx, boxed(NewMigrator(path)), schema.RunOptions{Build: build5(), Name: "v0.4.0", Now: func() time.Time { return t0 }}); err != nil {
		t.Fatal(err)
	}
	cols := tableColumns(t, path)
	delete(cols, "schema_meta") // gains the migration's row; History is tested elsewhere
	before := dump(t, path, cols)

	rep, err := schema.Run(ctx, boxed(NewMigrator(path)), schema.RunOptions{Build: build6(), Name: "v0.5.0", Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Applied) != 1 || rep.Applied[0].Phase != schema.Expand || rep.After != (schema.Version{Version: 6, MinReader: 3}) {
		t.Fatalf("migration report = %+v, want one expand step to version 6 (min reader 3)", rep)
	}
	if diff := cmp.Diff(before, dump(t, path, cols)); diff != "" {
		t.Errorf("existing tables changed by migration 6 (-before +after):\n%s", diff)
	}

	// Idempotent: the step again, on data that has it, changes no byte of the schema or rows.
	all := tableColumns(t, path)
	snapshot, schemaBefore := dump(t, path, all), schemaSQL(t, path)
	db := rawDB(t, path)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := addPeople(ctx, tx); err != nil {
		t.Fatalf("addPeople on migrated data = %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if diff := cmp.Diff(snapshot, dump(t, path, all)); diff != "" {
		t.Errorf("rows changed by a second run (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(schemaBefore, schemaSQL(t, path)); diff != "" {
		t.Errorf("schema changed by a second run (-before +after):\n%s", diff)
	}

	// The version 5 release keeps using the data: expand only.
	v, err := boxed(NewMigrator(path)).Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d, err := schema.Check(v, build5()); d != schema.UseNewer || err != nil {
		t.Errorf("Check(%v) for the version 5 release = %v, %v; want use-newer", v, d, err)
	}
	// And this build's accounts live beside its projects, in the schema of a database created at
	// this build's version.
	if _, err := schema.Run(ctx, boxed(NewMigrator(path)), runOpts(false)); err != nil {
		t.Fatal(err)
	}
	fresh := filepath.Join(dir, "fresh.db")
	if err := boxed(NewMigrator(fresh)).Create(ctx, "v-test", t0); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(schemaSQL(t, fresh), schemaSQL(t, path)); diff != "" {
		t.Errorf("schema migrated from version 5 differs from a fresh one (-fresh +migrated):\n%s", diff)
	}
	s, err := Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u := &people.User{ID: "u1", Email: "a@example.org", Created: t0}
	if err := s.People().CreateUser(ctx, u); err != nil {
		t.Fatalf("CreateUser on migrated data = %v", err)
	}
	if err := s.People().SetMembership(ctx, people.Membership{ProjectID: "a0000000-0000-4000-8000-000000000001", UserID: "u1", Role: people.RoleOwner, Created: t0}); err != nil {
		t.Errorf("SetMembership in the fixture's project = %v", err)
	}
}
