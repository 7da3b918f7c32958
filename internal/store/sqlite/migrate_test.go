package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"os"
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

// The checks, pings and flips in testdata/v1.sql.
const (
	fixtureCheck1 = "c0000000-0000-4000-8000-000000000001"
	fixtureCheck2 = "c0000000-0000-4000-8000-000000000002"
)

// loadV1 makes a database as the version 1 build left it, from testdata/v1.sql, in WAL mode
// as that build ran it.
func loadV1(t *testing.T, path string) {
	t.Helper()
	script, err := os.ReadFile("testdata/v1.sql")
	if err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, path)
	defer db.Close()
	if _, err := db.Exec(`PRAGMA journal_mode = WAL`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(string(script)); err != nil {
		t.Fatalf("load testdata/v1.sql: %v", err)
	}
}

// runOpts migrates to this build, as build "v-test" at t0.
func runOpts(dry bool) schema.RunOptions {
	return schema.RunOptions{Build: schema.This(), Name: "v-test", Now: func() time.Time { return t0 }, DryRun: dry}
}

// exec runs statements on path with no store in between.
func exec(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db := rawDB(t, path)
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// dump is every row of the given columns of every table, as SQL literals, so that blobs and
// NULLs compare exactly.
func dump(t *testing.T, path string, cols map[string][]string) map[string][]string {
	t.Helper()
	db := rawDB(t, path)
	defer db.Close()
	out := make(map[string][]string)
	for table, cs := range cols {
		quoted := make([]string, len(cs))
		for i, c := range cs {
			quoted[i] = "quote(" + c + ")"
		}
		rows, err := db.Query(`SELECT ` + strings.Join(quoted, ` || ',' || `) + ` FROM ` + table + ` ORDER BY 1`)
		if err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out[table] = append(out[table], s)
		}
		rows.Close()
	}
	return out
}

// tableColumns lists the columns of every table of the database at path.
func tableColumns(t *testing.T, path string) map[string][]string {
	t.Helper()
	db := rawDB(t, path)
	defer db.Close()
	rows, err := db.Query(`SELECT m.name, p.name FROM sqlite_schema m, pragma_table_info(m.name) p
		WHERE m.type = 'table' ORDER BY m.name, p.cid`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := make(map[string][]string)
	for rows.Next() {
		var table, col string
		if err := rows.Scan(&table, &col); err != nil {
			t.Fatal(err)
		}
		out[table] = append(out[table], col)
	}
	return out
}

// schemaSQL is the database's schema: every table, index and trigger with its SQL, sorted.
func schemaSQL(t *testing.T, path string) []string {
	t.Helper()
	return rawStrings(t, path, `SELECT type || ' ' || name || ': ' || coalesce(sql, '') FROM sqlite_schema ORDER BY 1`)
}

// rawStrings runs query, whose rows are one text column, on the database at path outside the
// store, and returns its rows.
func rawStrings(t *testing.T, path, query string) []string {
	t.Helper()
	db := rawDB(t, path)
	defer db.Close()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func TestEveryMigrationHasAStep(t *testing.T) {
	b := schema.This()
	want := make(map[int]bool)
	for _, m := range b.Migrations {
		if m.Version > b.Oldest {
			want[m.Version] = true
			if steps[m.Version] == nil && boxSteps[m.Version] == nil {
				t.Errorf("migration %d (%s) has no SQLite step", m.Version, m.Description)
			}
		}
	}
	for v := range steps {
		if !want[v] {
			t.Errorf("SQLite step %d matches no migration this build can run (versions %d..%d)", v, b.Oldest+1, b.Current)
		}
	}
	for v := range boxSteps {
		if _, both := steps[v]; both {
			t.Errorf("SQLite step %d is in both steps and boxSteps", v)
		}
		if !want[v] {
			t.Errorf("SQLite step %d matches no migration this build can run (versions %d..%d)", v, b.Oldest+1, b.Current)
		}
	}
}

// TestFreshAtCurrent: a new database is created directly at Current, with its history.
func TestFreshAtCurrent(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	path := filepath.Join(dir, "data", "overdue.db")
	m := boxed(NewMigrator(path))
	if v, err := m.Version(ctx); err != nil || v != (schema.Version{}) {
		t.Fatalf("Version of a missing database = %v, %v; want the zero Version", v, err)
	}
	if _, err := os.Stat(filepath.Dir(path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("reading the version of a missing database created %s", filepath.Dir(path))
	}

	rep, err := schema.Run(ctx, m, runOpts(false))
	if err != nil {
		t.Fatalf("Run = %v", err)
	}
	want := schema.Version{Version: schema.Current, MinReader: schema.This().MinReader()}
	if rep.Decision != schema.Create || rep.After != want || len(rep.Applied) != 0 || rep.Backup != "" {
		t.Errorf("Run on a new database = %+v, want create at %v, no migrations, no backup", rep, want)
	}
	hist, err := m.History(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantHist := []schema.Entry{{Version: schema.Current, MinReader: want.MinReader, Build: "v-test", At: t0}}
	if diff := cmp.Diff(wantHist, hist); diff != "" {
		t.Errorf("History (-want +got):\n%s", diff)
	}

	// Open on it changes nothing of the version and uses it.
	s, err := Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateProject(ctx, &check.Project{ID: "p1", Created: t0}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if v, err := m.Version(ctx); v != want || err != nil {
		t.Errorf("Version after Open = %v, %v; want %v", v, err, want)
	}

	// Open creates the same way, with no build name.
	path2 := filepath.Join(dir, "other.db")
	s, err = Open(path2, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	hist, err = boxed(NewMigrator(path2)).History(ctx)
	if err != nil || len(hist) != 1 || hist[0].Version != schema.Current || hist[0].Build != "" {
		t.Errorf("History of a database Open created = %+v, %v; want one entry at %d", hist, err, schema.Current)
	}
	if diff := cmp.Diff(schemaSQL(t, path), schemaSQL(t, path2)); diff != "" {
		t.Errorf("Open and Migrator create different schemas (-Migrator +Open):\n%s", diff)
	}
}

// TestBaselineIsFrozen: the version 1 statements in schema.go still make exactly the schema the
// version 1 build made (testdata/v1.sql).
func TestBaselineIsFrozen(t *testing.T) {
	dir := t.TempDir()
	fixture, fresh := filepath.Join(dir, "fixture.db"), filepath.Join(dir, "baseline.db")
	loadV1(t, fixture)
	exec(t, fresh, baseline...)
	if diff := cmp.Diff(schemaSQL(t, fixture), schemaSQL(t, fresh)); diff != "" {
		t.Errorf("baseline differs from the version 1 schema (-v1 +baseline); change the data model with a migration instead:\n%s", diff)
	}
}

// TestFreshEqualsMigrated: a database migrated from version 1 and one created at Current have
// the same schema.
func TestFreshEqualsMigrated(t *testing.T) {
	dir := t.TempDir()
	old, fresh := filepath.Join(dir, "old.db"), filepath.Join(dir, "fresh.db")
	loadV1(t, old)
	if _, err := schema.Run(t.Context(), boxed(NewMigrator(old)), runOpts(false)); err != nil {
		t.Fatal(err)
	}
	if err := boxed(NewMigrator(fresh)).Create(t.Context(), "v-test", t0); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(schemaSQL(t, fresh), schemaSQL(t, old)); diff != "" {
		t.Errorf("migrated schema differs from a fresh one (-fresh +migrated):\n%s", diff)
	}
}

// TestMigrateV1: data at Current-1 is migrated with nothing lost, after a backup that holds
// the data as it was.
func TestMigrateV1(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	path := filepath.Join(dir, "overdue.db")
	loadV1(t, path)
	m := boxed(NewMigrator(path))
	if v, err := m.Version(ctx); err != nil || v != (schema.Version{Version: 1, MinReader: 1}) {
		t.Fatalf("Version of the v1 fixture = %v, %v; want version 1 (min reader 1)", v, err)
	}
	v1Cols := tableColumns(t, path)
	before := dump(t, path, v1Cols)
	// Version 8 seals the channel values (TestSealByMigration): every other column stays.
	kept := maps.Clone(v1Cols)
	kept["channels"] = slices.DeleteFunc(slices.Clone(kept["channels"]), func(c string) bool { return c == "value" })
	keptBefore := dump(t, path, kept)

	// Open refuses to run this build's code on the old data.
	if s, err := Open(path, store.Options{}); err == nil {
		s.Close()
		t.Fatal("Open on version 1 data succeeded; want it to ask for a migration")
	} else if pe := (*schema.PendingError)(nil); !errors.As(err, &pe) {
		t.Fatalf("Open on version 1 data = %v, want a *schema.PendingError", err)
	}

	rep, err := schema.Run(ctx, m, runOpts(false))
	if err != nil {
		t.Fatalf("Run = %v", err)
	}
	if rep.Decision != schema.Migrate || len(rep.Applied) != schema.Current-1 ||
		rep.Before != (schema.Version{Version: 1, MinReader: 1}) || rep.After.Version != schema.Current {
		t.Errorf("report = %+v, want version 1 migrated to %d", rep, schema.Current)
	}
	if want := path + ".bak-v1"; rep.Backup != want {
		t.Errorf("backup at %q, want %q", rep.Backup, want)
	}

	// Nothing lost: every row of every version 1 column is as it was, in the database and in
	// the backup.
	if diff := cmp.Diff(keptBefore, dump(t, path, kept)); diff != "" {
		t.Errorf("version 1 data changed by the migration (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(before, dump(t, rep.Backup, v1Cols)); diff != "" {
		t.Errorf("backup differs from the data before the migration (-before +backup):\n%s", diff)
	}
	if got := pragma(t, rep.Backup, "user_version"); got != "1" {
		t.Errorf("backup user_version = %s, want 1", got)
	}

	// The sizes are backfilled: the text body, the binary body, and zero for pings without one.
	sizes := dump(t, path, map[string][]string{"pings": {"check_id", "n", "body_size"}})["pings"]
	wantSizes := []string{
		"'" + fixtureCheck1 + "',1,0", "'" + fixtureCheck1 + "',2,33", "'" + fixtureCheck1 + "',3,5",
		"'" + fixtureCheck1 + "',4,0", "'" + fixtureCheck2 + "',1,0",
	}
	if diff := cmp.Diff(wantSizes, sizes); diff != "" {
		t.Errorf("body sizes (-want +got):\n%s", diff)
	}
	hist, err := m.History(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// One entry per migration, with the minimum reader each leaves (8 raised it to 7): the
	// list grows with every data-model step, so it is read from schema, not written out.
	var wantHist []schema.Entry
	for _, mig := range schema.This().Migrations {
		wantHist = append(wantHist, schema.Entry{Version: mig.Version, MinReader: mig.MinReader, Build: "v-test", At: t0})
	}
	if wantHist[6].Version != 8 || wantHist[6].MinReader != 7 || wantHist[3].MinReader != 3 {
		t.Fatalf("schema's migrations changed their history: %+v", wantHist[:7])
	}
	if diff := cmp.Diff(wantHist, hist); diff != "" {
		t.Errorf("History (-want +got):\n%s", diff)
	}

	// The store reads the migrated data and keeps writing it.
	s, err := Open(path, store.Options{Box: testBox})
	if err != nil {
		t.Fatalf("Open after migrating = %v", err)
	}
	defer s.Close()
	chans, err := s.Channels(ctx, "a0000000-0000-4000-8000-000000000001")
	if err != nil || len(chans) != 1 || chans[0].Value != "ops@example.org" {
		t.Errorf("Channels after migrating = %+v, %v; want the fixture's channel, its value opened", chans, err)
	}
	c, err := s.Check(ctx, fixtureCheck1)
	if err != nil || c.Name != "backup" || c.NPings != 4 || !slices.Equal(c.Channels, []string{"e0000000-0000-4000-8000-000000000001"}) {
		t.Fatalf("Check = %+v, %v", c, err)
	}
	p, err := s.Ping(ctx, fixtureCheck1, 3)
	if err != nil || string(p.Body) != "\xff\xfe\x00\x01x" || p.ExitStatus == nil || *p.ExitStatus != 2 {
		t.Errorf("Ping 3 = %+v, %v; want the binary body and exit status 2", p, err)
	}
	fs, err := s.Flips(ctx, fixtureCheck1, store.FlipQuery{})
	if err != nil || len(fs) != 3 {
		t.Errorf("Flips = %d, %v; want 3", len(fs), err)
	}
	unprocessed, err := s.UnprocessedFlips(ctx, 10)
	if err != nil || len(unprocessed) != 2 {
		t.Errorf("UnprocessedFlips = %d, %v; want 2, the outbox kept", len(unprocessed), err)
	}
	if pr, ro, err := s.ProjectByAPIKey(ctx, check.HashKey("ro-key-one")); err != nil || !ro || pr.Name != "Ops" {
		t.Errorf("ProjectByAPIKey(read-only key) = %v, %v, %v", pr, ro, err)
	}
	// Version 3: the badge keys of version 1 rows are found through the new indexes.
	if pr, err := s.ProjectByBadgeKey(ctx, "badge-project-2"); err != nil || pr.Name != "Keyless" {
		t.Errorf("ProjectByBadgeKey(badge-project-2) = %v, %v; want Keyless", pr, err)
	}
	if c, err := s.CheckByBadgeKey(ctx, "badge-check-2"); err != nil || c.ID != fixtureCheck2 {
		t.Errorf("CheckByBadgeKey(badge-check-2) = %v, %v; want %s", c, err, fixtureCheck2)
	}
	_, err = s.UpdateCheck(ctx, fixtureCheck2, func(c *check.Check) (store.Change, error) {
		p, f := c.ApplyPing(check.Signal{Kind: check.PingSuccess, Body: []byte("hello")}, t0.Add(72*time.Hour), nil)
		return store.Change{Ping: p, Flip: f}, nil
	})
	if err != nil {
		t.Fatalf("UpdateCheck after migrating = %v", err)
	}
	if got := bodySize(t, path, fixtureCheck2, 2); got != "5" {
		t.Errorf("body_size of a ping written after the migration = %s, want 5 (written by the insert, version 3)", got)
	}
	// Version 11: checks pinged before it have no runs until written, and are then given them
	// from their pings.
	if c.RunsCurrent() {
		t.Errorf("check 1 after migrating: RunsN %d, NPings %d: want its runs behind", c.RunsN, c.NPings)
	}
	c2, err := s.Check(ctx, fixtureCheck2)
	wantRuns := []check.Run{{N: 1, At: time.UnixMicro(1795557600000000).UTC()}, {N: 2, At: t0.Add(72 * time.Hour)}}
	if diff := cmp.Diff(wantRuns, c2.Runs); err != nil || diff != "" || !c2.RunsCurrent() {
		t.Errorf("check 2's runs after a ping: current %v, %v (-want +got):\n%s", c2.RunsCurrent(), err, diff)
	}
	c1, err := s.UpdateCheck(ctx, fixtureCheck1, func(c *check.Check) (store.Change, error) {
		c.Name = "nightly backup"
		return store.Change{}, nil
	})
	start := time.UnixMicro(1795554000000000).UTC()
	wantRuns = []check.Run{{N: 2, At: start.Add(42 * time.Second), Duration: 42 * time.Second},
		{N: 3, At: start.Add(24 * time.Hour), Failed: true}, {N: 4, At: start.Add(48 * time.Hour)}}
	if diff := cmp.Diff(wantRuns, c1.Runs); err != nil || diff != "" || !c1.RunsCurrent() {
		t.Errorf("check 1's runs after a rename: current %v, %v (-want +got):\n%s", c1.RunsCurrent(), err, diff)
	}
}

// bodySize reads one ping's body_size as text ("NULL" for NULL).
func bodySize(t *testing.T, path, checkID string, n int) string {
	t.Helper()
	db := rawDB(t, path)
	defer db.Close()
	var s string
	if err := db.QueryRow(`SELECT quote(body_size) FROM pings WHERE check_id = ? AND n = ?`, checkID, n).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestBodySizeTrigger: until the contract (version 5), writers that do not know body_size (a
// version 1 or 2 build still running during a deploy, or after a rollback) leave it complete; a
// writer that sets it is left alone.
func TestBodySizeTrigger(t *testing.T) {
	path := filepath.Join(t.TempDir(), "overdue.db")
	loadV1(t, path)
	if _, err := schema.Run(t.Context(), boxed(NewMigrator(path)), expandOpts()); err != nil {
		t.Fatal(err)
	}
	exec(t, path,
		// The version 1 build's insert, column for column.
		`INSERT INTO pings (check_id, n, created, kind, scheme, remote_addr, method, ua, body, exit_status, rid)
		 VALUES ('`+fixtureCheck2+`', 7, 1, 'success', 'https', '192.0.2.1', 'POST', '', x'00ff00', NULL, '')`,
		`INSERT INTO pings (check_id, n, created, kind, scheme, remote_addr, method, ua, body, exit_status, rid)
		 VALUES ('`+fixtureCheck2+`', 8, 1, 'success', 'https', '192.0.2.1', 'GET', '', NULL, NULL, '')`,
		// A later release that writes the column itself.
		`INSERT INTO pings (check_id, n, created, kind, scheme, remote_addr, method, ua, body, exit_status, rid, body_size)
		 VALUES ('`+fixtureCheck2+`', 9, 1, 'success', 'https', '192.0.2.1', 'POST', '', x'01', NULL, '', 1)`,
	)
	for n, want := range map[int]string{7: "3", 8: "0", 9: "1"} {
		if got := bodySize(t, path, fixtureCheck2, n); got != want {
			t.Errorf("body_size of ping %d = %s, want %s", n, got, want)
		}
	}
}

// TestMigrateIsIdempotent: running the migrations again, or one step again, changes nothing.
func TestMigrateIsIdempotent(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	path := filepath.Join(dir, "overdue.db")
	loadV1(t, path)
	m := boxed(NewMigrator(path))
	if _, err := schema.Run(ctx, m, runOpts(false)); err != nil {
		t.Fatal(err)
	}
	exec(t, path, `PRAGMA wal_checkpoint(TRUNCATE)`)
	sums := fileSums(t, dir)

	rep, err := schema.Run(ctx, m, runOpts(false))
	if err != nil || rep.Decision != schema.Use || len(rep.Applied) != 0 || rep.Backup != "" {
		t.Errorf("second Run = %+v, %v; want use, nothing applied, no backup", rep, err)
	}
	for _, mig := range schema.This().Migrations {
		if err := m.Apply(ctx, mig, "again", t0.Add(time.Hour)); err != nil {
			t.Errorf("Apply(%d) again = %v", mig.Version, err)
		}
	}
	if diff := cmp.Diff(sums, fileSums(t, dir)); diff != "" {
		t.Errorf("files changed by running the migrations again:\n%s", diff)
	}
}

// TestMigrateResumes: a step cut short is finished by the next run. SQLite rolls a failed
// transaction back, so the cut is simulated both ways: a failure inside the transaction, and a
// database left half way by hand (the column added, some rows filled, no trigger, version 1).
func TestMigrateResumes(t *testing.T) {
	ctx := t.Context()

	t.Run("failure inside the step", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "overdue.db")
		loadV1(t, path)
		before := schemaSQL(t, path)
		real := steps[2]
		steps[2] = func(ctx context.Context, tx *sql.Tx) error {
			if err := real(ctx, tx); err != nil {
				return err
			}
			return errors.New("power cut")
		}
		_, err := schema.Run(ctx, boxed(NewMigrator(path)), runOpts(false))
		steps[2] = real
		if err == nil || !strings.Contains(err.Error(), "power cut") {
			t.Fatalf("Run with a failing step = %v, want the failure", err)
		}
		if diff := cmp.Diff(before, schemaSQL(t, path)); diff != "" {
			t.Errorf("a failed step left changes behind:\n%s", diff)
		}
		rep, err := schema.Run(ctx, boxed(NewMigrator(path)), runOpts(false))
		if err != nil || rep.After.Version != schema.Current {
			t.Fatalf("Run after the failure = %+v, %v; want it migrated", rep, err)
		}
		if want := path + ".bak-v1.2"; rep.Backup != want {
			t.Errorf("second backup at %q, want %q next to the first", rep.Backup, want)
		}
	})

	t.Run("half done", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "overdue.db")
		loadV1(t, path)
		exec(t, path,
			`ALTER TABLE pings ADD COLUMN body_size INTEGER`,
			`UPDATE pings SET body_size = length(body) WHERE n = 2`,
		)
		if _, err := schema.Run(ctx, boxed(NewMigrator(path)), runOpts(false)); err != nil {
			t.Fatalf("Run on a half-migrated database = %v", err)
		}
		db := rawDB(t, path)
		defer db.Close()
		var missing, triggers int
		if err := db.QueryRow(`SELECT count(*) FROM pings WHERE body_size IS NULL`).Scan(&missing); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND name = 'pings_body_size'`).Scan(&triggers); err != nil {
			t.Fatal(err)
		}
		// The contract (version 5) dropped the trigger the expand step made.
		if missing != 0 || triggers != 0 {
			t.Errorf("after resuming: %d pings without a size, %d triggers; want 0 and 0", missing, triggers)
		}
		if got := bodySize(t, path, fixtureCheck1, 2); got != "33" {
			t.Errorf("body_size filled before the cut = %s, want 33 kept", got)
		}
	})

	t.Run("step twice in one transaction", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "overdue.db")
		loadV1(t, path)
		db := rawDB(t, path)
		defer db.Close()
		tx, err := db.Begin()
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		for i := range 2 {
			if err := addPingBodySize(ctx, tx); err != nil {
				t.Fatalf("addPingBodySize, run %d = %v", i+1, err)
			}
		}
	})
}

// newerData makes a database at this build's version, then stamps it as a build one version
// ahead left it: a history entry for Current+1 with minReader, and user_version Current+1, with
// the WAL checkpointed into the file so that the file alone holds the data.
func newerData(t *testing.T, path string, minReader int, extra ...string) {
	t.Helper()
	s, err := Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := s.CreateProject(ctx, &check.Project{ID: "p1", Name: "Ops", Created: t0, BadgeKey: "b"}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateCheck(ctx, check.New("c1", "p1", t0)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	stmts := append(extra,
		fmt.Sprintf(`INSERT INTO schema_meta VALUES (%d, %d, 'v9.9.9', %d)`, schema.Current+1, minReader, t0.UnixMicro()),
		fmt.Sprintf(`PRAGMA user_version = %d`, schema.Current+1),
		`PRAGMA wal_checkpoint(TRUNCATE)`,
	)
	exec(t, path, stmts...)
}

// TestSeedScenario is issue 7 on SQLite: data written by a newer build that raised the
// minimum reader above this build is refused by everything that could touch it, with a
// message naming both versions, and the database file stays byte for byte as it was.
func TestSeedScenario(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	path := filepath.Join(dir, "overdue.db")
	// What the newer build did: a column older code does not fill, which is required.
	newerData(t, path, schema.Current+1,
		`ALTER TABLE checks ADD COLUMN owner TEXT NOT NULL DEFAULT ''`)
	before := fileSums(t, dir)

	checkRefusal := func(what string, err error) {
		t.Helper()
		var ve *VersionError
		if !errors.As(err, &ve) || !ve.Newer() {
			t.Errorf("%s = %v, want a *VersionError for newer data", what, err)
			return
		}
		msg := err.Error()
		for _, want := range []string{
			fmt.Sprintf("data model version %d", schema.Current+1),
			fmt.Sprintf("this build writes version %d", schema.Current),
			fmt.Sprintf("deploy a build that understands version %d", schema.Current+1),
			"restore a backup",
		} {
			if !strings.Contains(msg, want) {
				t.Errorf("%s message %q lacks %q", what, msg, want)
			}
		}
	}
	s, err := Open(path, store.Options{})
	if err == nil {
		s.Close()
	}
	checkRefusal("Open", err)
	m := boxed(NewMigrator(path))
	if v, err := m.Version(ctx); err != nil || v != (schema.Version{Version: schema.Current + 1, MinReader: schema.Current + 1}) {
		t.Errorf("Version = %v, %v", v, err)
	}
	rep, err := schema.Run(ctx, m, runOpts(false))
	checkRefusal("Run", err)
	if rep == nil || rep.Decision != schema.Refuse {
		t.Errorf("Run report = %+v, want refuse", rep)
	}
	checkRefusal("Create", m.Create(ctx, "v-test", t0))
	checkRefusal("Apply", m.Apply(ctx, schema.This().Migrations[0], "v-test", t0))
	if _, err := schema.Run(ctx, m, runOpts(true)); err == nil {
		t.Errorf("dry Run on newer data = nil, want the refusal")
	}

	after := fileSums(t, dir)
	if before["overdue.db"] != after["overdue.db"] {
		t.Errorf("the refused database file changed")
	}
	for name := range after {
		if _, ok := before[name]; !ok && !slices.Contains([]string{"overdue.db-wal", "overdue.db-shm"}, name) {
			t.Errorf("refusing created %s", name)
		}
	}
	t.Logf("refused: %v; files %v", err, slices.Sorted(maps.Keys(after)))
}

// TestNewerButReadable: data one version ahead whose changes were only expansions (minimum
// reader at most Current) is used as it is: no migration down, no version change, no history.
func TestNewerButReadable(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	path := filepath.Join(dir, "overdue.db")
	newerData(t, path, 1, `ALTER TABLE checks ADD COLUMN future_note TEXT`)
	m := boxed(NewMigrator(path))
	histBefore, err := m.History(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sums := fileSums(t, dir)
	rep, err := schema.Run(ctx, m, runOpts(false))
	if err != nil || rep.Decision != schema.UseNewer || len(rep.Applied) != 0 {
		t.Fatalf("Run = %+v, %v; want use-newer, nothing applied", rep, err)
	}
	if diff := cmp.Diff(sums, fileSums(t, dir)); diff != "" {
		t.Errorf("Run changed files of newer, readable data:\n%s", diff)
	}

	s, err := Open(path, store.Options{})
	if err != nil {
		t.Fatalf("Open = %v, want newer, readable data used", err)
	}
	_, err = s.UpdateCheck(ctx, "c1", func(c *check.Check) (store.Change, error) {
		p, f := c.ApplyPing(check.Signal{Kind: check.PingSuccess, Body: []byte("ok")}, t0.Add(time.Minute), nil)
		return store.Change{Ping: p, Flip: f}, nil
	})
	if err != nil {
		t.Errorf("UpdateCheck on newer data = %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := pragma(t, path, "user_version"), fmt.Sprint(schema.Current+1); got != want {
		t.Errorf("user_version after use = %s, want %s unchanged", got, want)
	}
	if hist, err := m.History(ctx); err != nil || !cmp.Equal(hist, histBefore) {
		t.Errorf("History after use = %+v, %v; want %+v unchanged", hist, err, histBefore)
	}
}

// TestDryRun: a dry run reports the pending migrations and changes nothing.
func TestDryRun(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "overdue.db")
	loadV1(t, path)
	exec(t, path, `PRAGMA wal_checkpoint(TRUNCATE)`)
	sums := fileSums(t, dir)
	rep, err := schema.Run(t.Context(), boxed(NewMigrator(path)), runOpts(true))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Decision != schema.Migrate || len(rep.Pending) != schema.Current-1 || len(rep.Applied) != 0 || rep.Backup != "" {
		t.Errorf("dry run report = %+v", rep)
	}
	after := fileSums(t, dir)
	if sums["overdue.db"] != after["overdue.db"] {
		t.Errorf("a dry run changed the database file")
	}
	// A read-only reader of a WAL database creates the -wal and -shm files it needs, empty.
	for name := range after {
		if _, ok := sums[name]; !ok && !slices.Contains([]string{"overdue.db-wal", "overdue.db-shm"}, name) {
			t.Errorf("a dry run created %s", name)
		}
	}
}

func TestNotOurs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notes.db")
	exec(t, path, `CREATE TABLE notes (body TEXT)`)
	if _, err := boxed(NewMigrator(path)).Version(t.Context()); err == nil || !strings.Contains(err.Error(), "not created by Overdue") {
		t.Errorf("Version of a foreign database = %v, want a refusal", err)
	}
}

// expandOpts is the deploy's expand phase: everything up to the first contract step.
func expandOpts() schema.RunOptions {
	o := runOpts(false)
	o.Phase = schema.Expand
	return o
}

// build5 is the release that shipped the body-size contract (version 5), as it migrated.
func build5() schema.Build {
	return schema.Build{Current: 5, Oldest: 1, Migrations: schema.This().Migrations[:4]}
}

// build6 is the release before sealed channel values (v0.2.0).
func build6() schema.Build {
	return schema.Build{Current: 6, Oldest: 1, Migrations: schema.This().Migrations[:5]}
}

// TestContractPingBodySize is version 5 on SQLite, in the deploy of its release (build5): the
// expand phase takes version 1 data to 4 and leaves the contract; that release uses the data as
// it is, and a writer that leaves body_size out (a version 1 or 2 build still running) still
// gets it filled; the contract phase then makes the column NOT NULL with every row kept, drops
// the trigger, and raises the minimum reader to 3, which the guard of a version 2 build refuses.
// This build, one release later, waits for the contract: its own expand step (6) comes after it.
func TestContractPingBodySize(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "overdue.db")
	loadV1(t, path)
	m := boxed(NewMigrator(path))

	expand := expandOpts()
	expand.Build = build5()
	rep, err := schema.Run(ctx, m, expand)
	if err != nil {
		t.Fatalf("expand phase = %v", err)
	}
	if rep.After != (schema.Version{Version: 4, MinReader: 1}) || len(rep.Deferred) != 1 || rep.Deferred[0].Version != 5 {
		t.Fatalf("expand phase report = %+v, want version 4 (min reader 1) with 5 deferred", rep)
	}
	// The old build's insert during the deploy, column for column.
	exec(t, path, `INSERT INTO pings (check_id, n, created, kind, scheme, remote_addr, method, ua, body, exit_status, rid)
		VALUES ('`+fixtureCheck2+`', 7, 1, 'success', 'https', '192.0.2.1', 'POST', '', x'00ff00', NULL, '')`)
	if err := schema.Ready(rep.After, build5()); err != nil {
		t.Errorf("Ready between the phases for the version 5 release = %v, want it to use data awaiting only its contract", err)
	}
	var pe *schema.PendingError
	if _, err := Open(path, store.Options{}); !errors.As(err, &pe) {
		t.Errorf("Open between the phases by this build = %v, want a *PendingError: its expand step 6 waits for the contract", err)
	}
	pingCols := tableColumns(t, path)["pings"]
	before := dump(t, path, map[string][]string{"pings": pingCols})

	contract := runOpts(false)
	contract.Build = build5()
	contract.Phase = schema.Contract
	contract.Name = "v0.4.0"
	rep, err = schema.Run(ctx, m, contract)
	if err != nil {
		t.Fatalf("contract phase = %v", err)
	}
	if rep.After != (schema.Version{Version: 5, MinReader: 3}) || len(rep.Applied) != 1 {
		t.Errorf("contract phase report = %+v, want version 5 (min reader 3), one step", rep)
	}
	if diff := cmp.Diff(before, dump(t, path, map[string][]string{"pings": pingCols})); diff != "" {
		t.Errorf("pings changed by the contract (-before +after):\n%s", diff)
	}
	if got := bodySize(t, path, fixtureCheck2, 7); got != "3" {
		t.Errorf("body_size of the old build's ping = %s, want 3", got)
	}
	db := rawDB(t, path)
	defer db.Close()
	var notNull, triggers int
	if err := db.QueryRow(`SELECT "notnull" FROM pragma_table_info('pings') WHERE name = 'body_size'`).Scan(&notNull); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'`).Scan(&triggers); err != nil {
		t.Fatal(err)
	}
	if notNull != 1 || triggers != 0 {
		t.Errorf("after the contract: body_size notnull %d, %d triggers; want 1 and 0", notNull, triggers)
	}
	// Why the minimum reader rose: the old build's insert now fails.
	_, err = db.Exec(`INSERT INTO pings (check_id, n, created, kind, scheme, remote_addr, method, ua, body, exit_status, rid)
		VALUES ('` + fixtureCheck2 + `', 9, 1, 'success', 'https', '192.0.2.1', 'POST', '', NULL, NULL, '')`)
	if err == nil || !strings.Contains(err.Error(), "NOT NULL constraint failed: pings.body_size") {
		t.Errorf("a version 2 build's insert after the contract = %v, want the NOT NULL failure the guard keeps it from", err)
	}
	hist, err := m.History(ctx)
	if err != nil || len(hist) != 4 || hist[3] != (schema.Entry{Version: 5, MinReader: 3, Build: "v0.4.0", At: t0}) {
		t.Errorf("History = %+v, %v; want version 5 last, min reader 3, by v0.4.0", hist, err)
	}
	// A version 2 or older build refuses the data; version 3 and 4 builds use it as it is.
	v, err := m.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for current, want := range map[int]bool{2: false, 3: true, 4: true} {
		older := schema.Build{Current: current, Oldest: 1, Migrations: schema.This().Migrations[:current-1]}
		err := schema.Ready(v, older)
		var ve *schema.VersionError
		if ok := err == nil; ok != want || (!want && !errors.As(err, &ve)) {
			t.Errorf("Ready(%v) for a version %d build = %v, want usable %v (a *VersionError otherwise)", v, current, err, want)
		}
	}
}

// TestDeliveriesByMigration: a version 3 database whose deliveries table the version 3 build
// created at start keeps the table and its rows through migration 4, which adds the pruning
// index and leaves the same schema as a database created at Current.
func TestDeliveriesByMigration(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	path := filepath.Join(dir, "overdue.db")
	loadV1(t, path)
	v3 := schema.Build{Current: 3, Oldest: 1, Migrations: schema.This().Migrations[:2]}
	if _, err := schema.Run(ctx, boxed(NewMigrator(path)), schema.RunOptions{Build: v3, Name: "v0.3.0", Now: func() time.Time { return t0 }}); err != nil {
		t.Fatal(err)
	}
	// What the version 3 build's OpenDeliveries did, and a delivery it recorded.
	exec(t, path, deliverySchema...)
	exec(t, path, `INSERT INTO deliveries VALUES ('c1:7:e1', 'c1', '7', 1, 'up', 'down', 'timeout', 'e1', 'p1',
		'email', 'sent', 1, NULL, '', 1, 2, 2)`)
	before := dump(t, path, map[string][]string{"deliveries": tableColumns(t, path)["deliveries"]})

	if _, err := schema.Run(ctx, boxed(NewMigrator(path)), runOpts(false)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, dump(t, path, map[string][]string{"deliveries": tableColumns(t, path)["deliveries"]})); diff != "" {
		t.Errorf("deliveries changed by the migration (-before +after):\n%s", diff)
	}
	fresh := filepath.Join(dir, "fresh.db")
	if err := boxed(NewMigrator(fresh)).Create(ctx, "v-test", t0); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(schemaSQL(t, fresh), schemaSQL(t, path)); diff != "" {
		t.Errorf("schema migrated from a version 3 database with deliveries differs from a fresh one (-fresh +migrated):\n%s", diff)
	}
	if !slices.ContainsFunc(schemaSQL(t, path), func(s string) bool { return strings.HasPrefix(s, "index deliveries_final:") }) {
		t.Errorf("no deliveries_final index after migration 4")
	}
}
