package sqlite

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/schema"
	"github.com/overduehq/overdue/internal/store"
)

// TestSecondFactorsByMigration is version 11 on SQLite: data of a version 10 build, with an
// account in it, gains the second-factor tables with every existing row unchanged; a second run
// changes nothing; the version 10 build still uses the data (expand); and this build enrols a
// factor for the account that was there before.
func TestSecondFactorsByMigration(t *testing.T) {
	const userID = "u0000000-0000-4000-8000-000000000001"
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "overdue.db")
	loadV1(t, path)
	build10 := schema.Build{Current: 10, Oldest: 1, Migrations: schema.This().Migrations[:9]}
	opts := runOpts(false)
	opts.Build = build10
	if _, err := schema.Run(ctx, boxed(NewMigrator(path)), opts); err != nil {
		t.Fatal(err)
	}
	exec(t, path, `INSERT INTO users (id, email, name, password_hash, tz, created)
		VALUES ('`+userID+`', 'a@example.org', 'A', '$argon2id$x', '', 1)`)
	cols := tableColumns(t, path)
	delete(cols, "schema_meta")
	before := dump(t, path, cols)

	opts11 := runOpts(false)
	opts11.Build = schema.Build{Current: 11, Oldest: 1, Migrations: schema.This().Migrations[:10]}
	rep, err := schema.Run(ctx, boxed(NewMigrator(path)), opts11)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Applied) != 1 || rep.Applied[0].Phase != schema.Expand || rep.After != (schema.Version{Version: 11, MinReader: 7}) {
		t.Fatalf("migration report = %+v, want one expand step to version 11 (min reader 7)", rep)
	}
	if diff := cmp.Diff(before, dump(t, path, cols)); diff != "" {
		t.Errorf("existing tables changed by migration 11 (-before +after):\n%s", diff)
	}

	// Idempotent: the step again changes no byte.
	all := tableColumns(t, path)
	snapshot, schemaBefore := dump(t, path, all), schemaSQL(t, path)
	db := rawDB(t, path)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := addSecondFactors(ctx, tx); err != nil {
		t.Fatalf("addSecondFactors on migrated data = %v", err)
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

	// The version 10 build keeps using the data: expand only.
	v, err := NewMigrator(path).Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d, err := schema.Check(v, build10); d != schema.UseNewer || err != nil {
		t.Errorf("Check(%v) for the version 10 build = %v, %v; want use-newer", v, d, err)
	}

	// This build uses the tables for the account that was there.
	if _, err := schema.Run(ctx, boxed(NewMigrator(path)), runOpts(false)); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	f := &people.SecondFactor{ID: "f1", UserID: userID, Kind: people.FactorTOTP, Secret: []byte("sealed"), Counter: 1, Created: t0}
	if err := s.People().CreateSecondFactor(ctx, f); err != nil {
		t.Fatalf("CreateSecondFactor on migrated data = %v", err)
	}
	if err := s.People().SetRecoveryCodes(ctx, userID, []string{"h1"}); err != nil {
		t.Fatalf("SetRecoveryCodes on migrated data = %v", err)
	}
	if err := s.People().SetRecoveryCodes(ctx, "u-missing", []string{"h1"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetRecoveryCodes for a missing user = %v, want ErrNotFound (the foreign key)", err)
	}
}
