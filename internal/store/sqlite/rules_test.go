package sqlite

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/schema"
	"github.com/overduehq/overdue/internal/store"
)

// TestCheckRulesByMigration is version 9 on SQLite: data of a version 8 build gains the rule
// columns with every existing value unchanged and the rules off; a second run changes nothing;
// the version 8 build still uses the data, and writes in its form, which name only the columns
// it knows, neither fail nor drop a rule this build set.
func TestCheckRulesByMigration(t *testing.T) {
	const newID = "c0000000-0000-4000-8000-000000000009"
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "overdue.db")
	loadV1(t, path)
	opts := runOpts(false)
	opts.Build = build8()
	if _, err := schema.Run(ctx, boxed(NewMigrator(path)), opts); err != nil {
		t.Fatal(err)
	}
	cols := tableColumns(t, path)
	delete(cols, "schema_meta")
	before := dump(t, path, cols)

	opts9 := runOpts(false)
	opts9.Build = schema.Build{Current: 9, Oldest: 1, Migrations: schema.This().Migrations[:8]}
	rep, err := schema.Run(ctx, boxed(NewMigrator(path)), opts9)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Applied) != 1 || rep.Applied[0].Phase != schema.Expand || rep.After != (schema.Version{Version: 9, MinReader: 7}) {
		t.Fatalf("migration report = %+v, want one expand step to version 9 (min reader 7)", rep)
	}
	if diff := cmp.Diff(before, dump(t, path, cols)); diff != "" {
		t.Errorf("existing columns changed by migration 9 (-before +after):\n%s", diff)
	}
	rules := map[string][]string{"checks": {"id", "start_grace", "max_runtime", "min_runtime", "failure_tolerance", "snooze_until", "fail_streak", "held_reason"}}
	wantRules := []string{
		"'" + fixtureCheck1 + "',0,0,0,0,NULL,0,''",
		"'" + fixtureCheck2 + "',0,0,0,0,NULL,0,''",
	}
	if diff := cmp.Diff(wantRules, dump(t, path, rules)["checks"]); diff != "" {
		t.Errorf("rule columns of existing checks (-want +got):\n%s", diff)
	}

	// Idempotent: the step again changes no byte.
	all := tableColumns(t, path)
	snapshot, schemaBefore := dump(t, path, all), schemaSQL(t, path)
	db := rawDB(t, path)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := addCheckRules(ctx, tx); err != nil {
		t.Fatalf("addCheckRules on migrated data = %v", err)
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

	// The version 8 build keeps using the data.
	v, err := NewMigrator(path).Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d, err := schema.Check(v, build8()); d != schema.UseNewer || err != nil {
		t.Errorf("Check(%v) for a version 8 build = %v, %v; want use-newer", v, d, err)
	}

	// This build (data migrated to its version) sets rules on a check; then writes in the
	// version 8 form (its insert and its
	// update name only its own columns) leave them be, and its new checks get the defaults.
	if _, err := schema.Run(ctx, boxed(NewMigrator(path)), runOpts(false)); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateCheck(ctx, fixtureCheck1, func(c *check.Check) (store.Change, error) {
		c.StartGrace, c.MaxRuntime, c.FailureTolerance = 5*time.Minute, time.Hour, 3
		return store.Change{}, nil
	}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	// The version 8 columns: checkColumns up to alert_after.
	v8 := checkColumns[:slices.Index(checkColumns, "alert_after")+1]
	sel := slices.Clone(v8)
	sel[0], sel[slices.Index(sel, "badge_key")] = "'"+newID+"'", "'badge-9'"
	exec(t, path,
		`UPDATE checks SET name = 'renamed by v8', status = 'down' WHERE id = '`+fixtureCheck1+`'`,
		`INSERT INTO checks (`+columns(v8)+`) SELECT `+strings.Join(sel, ", ")+` FROM checks WHERE id = '`+fixtureCheck2+`'`,
	)
	s, err = Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Check(ctx, fixtureCheck1)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "renamed by v8" || got.StartGrace != 5*time.Minute || got.MaxRuntime != time.Hour || got.FailureTolerance != 3 {
		t.Errorf("after a version 8 update: name %q, rules %v %v %d; want the new name and the rules kept",
			got.Name, got.StartGrace, got.MaxRuntime, got.FailureTolerance)
	}
	n, err := s.Check(ctx, newID)
	if err != nil {
		t.Fatal(err)
	}
	if n.StartGrace != 0 || n.MaxRuntime != 0 || n.MinRuntime != 0 || n.FailureTolerance != 0 || !n.SnoozeUntil.IsZero() || n.HeldReason != "" {
		t.Errorf("check inserted in the version 8 form: %+v, want every rule off", n)
	}
}

// build8 is a build of data model 8 (sealed channel values), the last before the alert rules.
func build8() schema.Build {
	return schema.Build{Current: 8, Oldest: 1, Migrations: schema.This().Migrations[:7]}
}
