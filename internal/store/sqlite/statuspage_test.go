package sqlite

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/schema"
	"github.com/overduehq/overdue/internal/store"
)

// TestStatusPagesByMigration is version 12 on SQLite: data of a version 11 build gains the
// status pages' table with every existing row unchanged; a second run changes nothing; the
// version 11 build still uses the data, and a project it deletes takes its page along.
func TestStatusPagesByMigration(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "overdue.db")
	loadV1(t, path)
	build11 := schema.Build{Current: 11, Oldest: 1, Migrations: schema.This().Migrations[:10]}
	opts := runOpts(false)
	opts.Build = build11
	if _, err := schema.Run(ctx, boxed(NewMigrator(path)), opts); err != nil {
		t.Fatal(err)
	}
	cols := tableColumns(t, path)
	delete(cols, "schema_meta")
	before := dump(t, path, cols)

	opts12 := runOpts(false)
	opts12.Build = schema.Build{Current: 12, Oldest: 1, Migrations: schema.This().Migrations[:11]}
	rep, err := schema.Run(ctx, boxed(NewMigrator(path)), opts12)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Applied) != 1 || rep.Applied[0].Phase != schema.Expand || rep.After != (schema.Version{Version: 12, MinReader: 7}) {
		t.Fatalf("migration report = %+v, want one expand step to version 12 (min reader 7)", rep)
	}
	if diff := cmp.Diff(before, dump(t, path, cols)); diff != "" {
		t.Errorf("existing rows changed by migration 12 (-before +after):\n%s", diff)
	}
	if got, want := tableColumns(t, path)["status_pages"], []string{"project_id", "key", "public", "checks"}; !cmp.Equal(got, want) {
		t.Errorf("status_pages columns = %v, want %v", got, want)
	}

	// Idempotent: the step again changes no byte.
	all := tableColumns(t, path)
	snapshot, schemaBefore := dump(t, path, all), schemaSQL(t, path)
	db := rawDB(t, path)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := addStatusPages(ctx, tx); err != nil {
		t.Fatalf("addStatusPages on migrated data = %v", err)
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

	// The version 11 build may still use the data.
	v, err := NewMigrator(path).Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d, err := schema.Check(v, build11); d != schema.UseNewer || err != nil {
		t.Errorf("Check(%v) for a version 11 build = %v, %v; want use-newer", v, d, err)
	}

	// This build saves a page of a project (after the later expand steps, which it migrates
	// first); the version 11 build deletes the project (its statement, on a connection with
	// foreign keys on, as its store opens them); the page and its key go too.
	if _, err := schema.Run(ctx, boxed(NewMigrator(path)), runOpts(false)); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := &check.Project{ID: "a0000000-0000-4000-8000-000000000009", Name: "Status", Created: t0}
	if err := s.CreateProject(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := s.PutStatusPage(ctx, &check.StatusPage{ProjectID: p.ID, Key: "abcdefghijklmnopqrstuvwx", Public: true}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	old := rawDB(t, "file:"+path+"?_pragma=foreign_keys(1)")
	if _, err := old.Exec(`DELETE FROM projects WHERE id = ?`, p.ID); err != nil {
		t.Fatalf("the version 11 build's project delete = %v", err)
	}
	old.Close()
	s, err = Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.StatusPageByKey(ctx, "abcdefghijklmnopqrstuvwx"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("StatusPageByKey after an older build deleted its project = %v, want ErrNotFound", err)
	}
}
