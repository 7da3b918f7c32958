package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/schema"
)

// loadV1Fixture makes dir/overdue.db as the version 1 build left it (the SQLite store's frozen
// fixture), checkpointed so that the file alone holds it.
func loadV1Fixture(t *testing.T, dir string) string {
	t.Helper()
	script, err := os.ReadFile(filepath.Join("..", "..", "internal", "store", "sqlite", "testdata", "v1.sql"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, dbName)
	execSQL(t, path, `PRAGMA journal_mode = WAL`, string(script), `PRAGMA wal_checkpoint(TRUNCATE)`)
	return path
}

func execSQL(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%.60s: %v", s, err)
		}
	}
}

// migrateCmd runs `overdue migrate ...` through cmdMigrate and run's error mapping, so that it
// needs no dispatch entry.
func migrateCmd(ctx context.Context, args ...string) (int, string, string) {
	var stdout, stderr strings.Builder
	err := cmdMigrate(ctx, args, &stdout, &stderr)
	code := exitOK
	var ue *usageError
	var ee *exitError
	switch {
	case err == nil:
	case errors.As(err, &ue):
		code = exitUsage
	case errors.As(err, &ee):
		code = ee.code
	default:
		code = exitFailure
	}
	if err != nil {
		fmt.Fprintf(&stderr, "overdue: %s\n", err)
	}
	return code, stdout.String(), stderr.String()
}

func statusOf(t *testing.T, dir string) statusJSON {
	t.Helper()
	code, out, stderr := migrateCmd(t.Context(), "status", "--data", dir, "--json")
	if code != exitOK {
		t.Fatalf("migrate status: exit %d %s", code, stderr)
	}
	var st statusJSON
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("migrate status --json output %q: %v", out, err)
	}
	return st
}

func TestMigrateStatusJSON(t *testing.T) {
	dir := t.TempDir()
	st := statusOf(t, dir)
	if st.Decision != "create" || st.Data != (versionJSON{}) || len(st.Pending) != 0 || len(st.History) != 0 {
		t.Errorf("status of an empty directory = %+v", st)
	}
	if _, err := os.Stat(filepath.Join(dir, dbName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("migrate status created the database")
	}

	loadV1Fixture(t, dir)
	st = statusOf(t, dir)
	want := statusJSON{
		Database: filepath.Join(dir, dbName),
		Data:     versionJSON{Version: 1, MinReader: 1},
		Build:    buildJSON{Name: version, Current: schema.Current, Oldest: schema.Oldest, MinReader: schema.This().MinReader()},
		Decision: "migrate",
		Pending:  []migrationJSON{toMigrationJSON(schema.This().Migrations[0])},
		History:  []entryJSON{},
	}
	st.Message = ""
	if got, _ := json.Marshal(st); string(got) != mustJSON(t, want) {
		t.Errorf("status of version 1 data =\n  %s\nwant\n  %s", got, mustJSON(t, want))
	}
	if want.Pending[0].Version != 2 || want.Pending[0].Phase != "expand" || want.Pending[0].MinReader != 1 {
		t.Errorf("pending = %+v, want v2 expand with min reader 1", want.Pending)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestMigrateUpDryRun(t *testing.T) {
	dir := t.TempDir()
	path := loadV1Fixture(t, dir)
	before := fileHash(t, path)
	code, out, stderr := migrateCmd(t.Context(), "up", "--data", dir, "--dry-run")
	if code != exitOK {
		t.Fatalf("migrate up --dry-run: exit %d %s", code, stderr)
	}
	for _, want := range []string{"would back up " + path + " to " + path + ".bak-v1", "would apply v2 expand (min reader 1)"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry-run output %q lacks %q", out, want)
		}
	}
	if fileHash(t, path) != before {
		t.Errorf("migrate up --dry-run changed the database")
	}
	if baks, _ := filepath.Glob(path + ".bak*"); len(baks) > 0 {
		t.Errorf("migrate up --dry-run made %v", baks)
	}
}

func TestMigrateUp(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	path := loadV1Fixture(t, dir)
	code, out, stderr := migrateCmd(ctx, "up", "--data", dir)
	if code != exitOK {
		t.Fatalf("migrate up: exit %d %s", code, stderr)
	}
	for _, want := range []string{"backed up " + path + " to " + path + ".bak-v1", "applied v2 expand", "now version 2 (min reader 1)"} {
		if !strings.Contains(out, want) {
			t.Errorf("migrate up output %q lacks %q", out, want)
		}
	}
	st := statusOf(t, dir)
	if st.Decision != "use" || st.Data != (versionJSON{2, 1}) || len(st.History) != 1 || st.History[0].Build != version {
		t.Errorf("status after migrating = %+v", st)
	}
	code, out, _ = migrateCmd(ctx, "up", "--data", dir)
	if code != exitOK || !strings.Contains(out, "nothing to do") {
		t.Errorf("migrate up again: exit %d %q, want nothing to do", code, out)
	}

	// The text status names the versions and the history.
	code, out, _ = migrateCmd(ctx, "status", "--data", dir)
	for _, want := range []string{"version 2, readable by builds of version 1 or newer", "use: up to date", "version 2 (min reader 1) by " + version} {
		if code != exitOK || !strings.Contains(out, want) {
			t.Errorf("migrate status: exit %d, output %q lacks %q", code, out, want)
		}
	}
}

// stampNewer makes the data look written by a build one version ahead, with minReader.
func stampNewer(t *testing.T, path string, minReader int) {
	t.Helper()
	execSQL(t, path,
		fmt.Sprintf(`INSERT INTO schema_meta VALUES (%d, %d, 'v9.9.9', 0)`, schema.Current+1, minReader),
		fmt.Sprintf(`PRAGMA user_version = %d`, schema.Current+1),
		`PRAGMA wal_checkpoint(TRUNCATE)`)
}

// TestSeedScenarioCLI is issue 7 by hand: `overdue serve` on data whose minimum reader is above
// this build exits 3 with a message naming both versions, and the database file is unchanged.
// So do the other commands that open the store, and `migrate up`; `migrate status` reports
// and exits 3.
func TestSeedScenarioCLI(t *testing.T) {
	dir := t.TempDir()
	st, err := openSQLite(t.Context(), dir, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	path := filepath.Join(dir, dbName)
	stampNewer(t, path, schema.Current+1)
	before := fileHash(t, path)

	// A safety net, not a wait: if the guard ever let serve start, the test ends instead of
	// hanging.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	wantMsg := []string{
		fmt.Sprintf("data model version %d is newer than this build can use", schema.Current+1),
		fmt.Sprintf("this build writes version %d", schema.Current),
		fmt.Sprintf("deploy a build that understands version %d", schema.Current+1),
	}
	for _, args := range [][]string{
		{"serve", "--data", dir, "--addr", "127.0.0.1:0"},
		{"check", "list", "--data", dir, "--project", "x"},
	} {
		var stdout, stderr strings.Builder
		code := run(ctx, args, &stdout, &stderr)
		if code != exitNewer {
			t.Errorf("%s: exit %d, want %d (stderr %q)", args[0], code, exitNewer, stderr.String())
		}
		for _, want := range wantMsg {
			if !strings.Contains(stderr.String(), want) {
				t.Errorf("%s: stderr %q lacks %q", args[0], stderr.String(), want)
			}
		}
	}
	// A backup from an earlier migration is named as the way back.
	bak := path + ".bak-v1"
	if err := os.WriteFile(bak, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := migrateCmd(ctx, "up", "--data", dir)
	if code != exitNewer || !strings.Contains(stderr, wantMsg[0]) || !strings.Contains(stderr, "backups made before migrations: "+bak) {
		t.Errorf("migrate up: exit %d %q, want 3, the message and the backup", code, stderr)
	}
	code, out, _ := migrateCmd(ctx, "status", "--data", dir, "--json")
	var status statusJSON
	if code != exitNewer || json.Unmarshal([]byte(out), &status) != nil || status.Decision != "refuse" ||
		status.Data != (versionJSON{schema.Current + 1, schema.Current + 1}) || !strings.Contains(status.Message, wantMsg[0]) {
		t.Errorf("migrate status --json: exit %d %s; want 3 and a refusal report", code, out)
	}
	if _, err := openSQLite(ctx, dir, true, nil); !isExit(err, exitNewer) {
		t.Errorf("openSQLite = %v, want exit status 3", err)
	}
	if fileHash(t, path) != before {
		t.Errorf("the refused database changed")
	}
}

func isExit(err error, code int) bool {
	var ee *exitError
	return errors.As(err, &ee) && ee.code == code
}

// TestOpenSQLite: serve migrates old data after a backup; other commands refuse it with advice
// and change nothing; newer data that this build can read is used as it is.
func TestOpenSQLite(t *testing.T) {
	ctx := t.Context()

	t.Run("old data, no auto-migration", func(t *testing.T) {
		dir := t.TempDir()
		path := loadV1Fixture(t, dir)
		before := fileHash(t, path)
		_, err := openSQLite(ctx, dir, false, nil)
		if err == nil || isExit(err, exitNewer) || !strings.Contains(err.Error(), "overdue migrate up --data "+dir) {
			t.Errorf("openSQLite(v1, no auto-migration) = %v, want advice to run migrate up", err)
		}
		if fileHash(t, path) != before {
			t.Errorf("refusing to migrate changed the database")
		}
	})

	t.Run("old data, serve migrates", func(t *testing.T) {
		dir := t.TempDir()
		path := loadV1Fixture(t, dir)
		var out strings.Builder
		st, err := openSQLite(ctx, dir, true, &out)
		if err != nil {
			t.Fatalf("openSQLite(v1, auto-migration) = %v", err)
		}
		defer st.Close()
		want := fmt.Sprintf("Migrated %s from data model version 1 to %d; the previous data is in %s.bak-v1.", path, schema.Current, path)
		if !strings.Contains(out.String(), want) {
			t.Errorf("output %q lacks %q", out.String(), want)
		}
		if c, err := st.Check(ctx, "c0000000-0000-4000-8000-000000000001"); err != nil || c.Name != "backup" {
			t.Errorf("Check after migrating = %v, %v", c, err)
		}
	})

	t.Run("new directory", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "data")
		st, err := openSQLite(ctx, dir, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		st.Close()
		if s := statusOf(t, dir); s.Decision != "use" || len(s.History) != 1 || s.History[0].Build != version {
			t.Errorf("status of a new store = %+v, want one history entry by %q", s, version)
		}
	})

	t.Run("newer, readable", func(t *testing.T) {
		dir := t.TempDir()
		st, err := openSQLite(ctx, dir, true, nil)
		if err != nil {
			t.Fatal(err)
		}
		st.Close()
		stampNewer(t, filepath.Join(dir, dbName), 1)
		st, err = openSQLite(ctx, dir, true, nil)
		if err != nil {
			t.Fatalf("openSQLite(newer, readable) = %v", err)
		}
		st.Close()
		if s := statusOf(t, dir); s.Decision != "use-newer" || s.Data.Version != schema.Current+1 || len(s.History) != 2 {
			t.Errorf("status after using newer data = %+v, want it unchanged", s)
		}
	})
}

func TestMigrateUsage(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{nil, "missing subcommand"},
		{[]string{"down"}, `unknown subcommand "down"`},
		{[]string{"up", "--data", dir, "--force"}, "flag provided but not defined: -force"},
		{[]string{"status", "--data", dir, "extra"}, `unexpected argument "extra"`},
	} {
		code, _, stderr := migrateCmd(t.Context(), tt.args...)
		if code != exitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("migrate %v: exit %d %q, want 2 and %q", tt.args, code, stderr, tt.want)
		}
	}
}
