package main

import (
	"crypto/sha256"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/schema"
)

// TestServeGuardsEveryWrite is issue 12's acceptance on SQLite: `overdue serve` runs on a file
// while a newer build's `overdue migrate up` raises the minimum reader past it (simulated by
// writing the history row and user_version as that build would). The next ping answers 503
// naming both versions, and neither the database file nor its WAL changes by a byte; once the
// data model is back in range (the newer build rolled back from a backup), the same server,
// never restarted, accepts pings again.
func TestServeGuardsEveryWrite(t *testing.T) {
	dataDir := t.TempDir()
	// --interval 1h: the sweep and the notifier run once at start and then stay out of the way;
	// --no-canary: no ingestion canary pings itself every 10 s (its writes met this test's own
	// writes to the file: SQLITE_BUSY under load). So nothing but the pings below writes.
	s := startServer(t, dataDir, "--data", dataDir, "--interval", "1h", "--no-canary")
	m := s.waitFor(t, regexp.MustCompile(`curl -fsS (http://127\.0\.0\.1:\d+)/ping/([0-9a-f-]{36})$`))
	base, checkID := m[1], m[2]
	s.waitFor(t, regexp.MustCompile(`^listening on `))
	if code, body := get(t, base+"/ping/"+checkID); code != 200 || body != "OK" {
		t.Fatalf("GET /ping/<uuid> = %d %q, want 200 OK", code, body)
	}

	path := filepath.Join(dataDir, dbName)
	newer := schema.Current + 1
	execSQL(t, path,
		fmt.Sprintf(`INSERT INTO schema_meta VALUES (%d, %d, 'v9.9.9', 0)`, newer, newer),
		fmt.Sprintf(`PRAGMA user_version = %d`, newer))
	before, beforeRows := fileBytes(t, path), dumpRows(t, path)

	for _, ping := range []string{"/ping/" + checkID, "/ping/" + checkID + "/fail", "/ping/" + checkID + "/start"} {
		code, body := get(t, base+ping)
		if code != 503 {
			t.Errorf("GET %s on newer data = %d %q, want 503", ping, code, body)
		}
		for _, want := range []string{
			fmt.Sprintf("data model version %d", newer),
			fmt.Sprintf("needs a build of version %d", newer),
			fmt.Sprintf("this build writes version %d", schema.Current),
		} {
			if !strings.Contains(body, want) {
				t.Errorf("GET %s answered %q, which does not say %q", ping, body, want)
			}
		}
	}
	if diff := cmp.Diff(before, fileBytes(t, path)); diff != "" {
		t.Errorf("refused pings changed the database files (sha256, -before +after):\n%s", diff)
	}
	if diff := cmp.Diff(beforeRows, dumpRows(t, path)); diff != "" {
		t.Errorf("refused pings changed the data (-before +after):\n%s", diff)
	}

	// Back in range, without a restart.
	execSQL(t, path,
		fmt.Sprintf(`DELETE FROM schema_meta WHERE version = %d`, newer),
		fmt.Sprintf(`PRAGMA user_version = %d`, schema.Current))
	if code, body := get(t, base+"/ping/"+checkID); code != 200 || body != "OK" {
		t.Fatalf("GET /ping/<uuid> once the data model is back in range = %d %q, want 200 OK", code, body)
	}
	var n int
	queryRow(t, path, `SELECT n_pings FROM checks WHERE id = ?`, []any{checkID}, &n)
	if n != 2 {
		t.Errorf("n_pings = %d, want 2: the first ping and the one after the data came back", n)
	}
}

// fileBytes is the sha256 of the database file and its WAL (the -shm index is left out: readers
// write their marks in it).
func fileBytes(t *testing.T, path string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, p := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(p)] = fmt.Sprintf("%x (%d bytes)", sha256.Sum256(b), len(b))
	}
	return out
}

// dumpRows is every row of every table, and user_version, as text.
func dumpRows(t *testing.T, path string) map[string][]string {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var version int
	if err := db.QueryRow(`PRAGMA user_version`).Scan(&version); err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{"user_version": {fmt.Sprint(version)}}
	rows, err := db.Query(`SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	for _, table := range tables {
		rows, err := db.Query(`SELECT * FROM "` + table + `" ORDER BY rowid`)
		if err != nil {
			// WITHOUT ROWID tables have no rowid: their key orders them.
			rows, err = db.Query(`SELECT * FROM "` + table + `" ORDER BY 1, 2`)
		}
		if err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			out[table] = append(out[table], fmt.Sprintf("%q", vals))
		}
		rows.Close()
	}
	return out
}

func queryRow(t *testing.T, path, query string, args []any, dest ...any) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.QueryRow(query, args...).Scan(dest...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}
