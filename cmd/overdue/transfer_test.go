package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExportImportCommands moves a project SQLite → DynamoDB → SQLite with the commands: the
// export file is private, never overwritten, a dry run writes nothing, a second import adds
// nothing, and every export is the same file.
func TestExportImportCommands(t *testing.T) {
	dir := t.TempDir()
	d1, d2, d3 := filepath.Join(dir, "d1"), filepath.Join(dir, "d2"), filepath.Join(dir, "d3")
	code, out, stderr := runIn("project", "create", "--data", d1, "--name", "Ops", "--json")
	if code != 0 {
		t.Fatalf("project create: %d %s", code, stderr)
	}
	var p map[string]string
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"check", "create", "--data", d1, "--project", p["id"], "--name", "backup", "--slug", "backup", "--timeout", "1h"},
		{"channel", "add", "--data", d1, "--project", p["id"], "--kind", "webhook", "--value", "https://hooks.example.org/s3cret"},
	} {
		if code, _, stderr := runIn(args...); code != 0 {
			t.Fatalf("%v: %d %s", args, code, stderr)
		}
	}

	f1 := filepath.Join(dir, "one.jsonl")
	code, _, stderr = runIn("export", "--data", d1, "--out", f1)
	if code != 0 || !strings.Contains(stderr, "Exported 1 project, 1 channel, 1 check to "+f1) || !strings.Contains(stderr, "secrets") {
		t.Fatalf("export = %d %q, want 0 and what it wrote, with a warning about secrets", code, stderr)
	}
	info, err := os.Stat(f1)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("export file mode = %v (%v), want 0600", info.Mode().Perm(), err)
	}
	first, _ := os.ReadFile(f1)
	if !bytes.Contains(first, []byte("https://hooks.example.org/s3cret")) {
		t.Errorf("the export lacks the channel's value:\n%s", first)
	}
	if code, _, stderr := runIn("export", "--data", d1, "--out", f1); code != exitUsage || !strings.Contains(stderr, "the file exists") {
		t.Errorf("export over an existing file = %d %q, want 2 and why", code, stderr)
	}
	if again, _ := os.ReadFile(f1); !bytes.Equal(first, again) {
		t.Errorf("a refused export changed the file")
	}

	code, out, stderr = runIn("import", "overdue", "--dry-run", "--data", d2, f1)
	if code != 0 || !strings.Contains(out, "Would import 1 project, 1 channel, 1 check.") {
		t.Errorf("import --dry-run = %d %q %q", code, out, stderr)
	}
	if _, err := os.Stat(d2); !os.IsNotExist(err) {
		t.Errorf("a dry run created %s (%v)", d2, err)
	}

	_, table := motoTable(t)
	dyn := []string{"--store", "dynamodb", "--table", table}
	// The CLI seals a table's channel values under the stage's secret, which it must be given.
	t.Setenv("OVERDUE_SECRET_KEY", "the stage's secret, 32 characters")
	code, out, stderr = runIn(append([]string{"import", "overdue", f1}, dyn...)...)
	if code != 0 || !strings.Contains(out, "Imported 1 project, 1 channel, 1 check.") {
		t.Fatalf("import into DynamoDB = %d %q %q", code, out, stderr)
	}
	code, out, _ = runIn(append([]string{"import", "overdue", f1}, dyn...)...)
	if code != 0 || !strings.Contains(out, "Imported nothing: nothing was missing.") || !strings.Contains(out, "already here") {
		t.Errorf("second import = %d %q, want nothing imported", code, out)
	}
	f2 := filepath.Join(dir, "two.jsonl")
	if code, _, stderr := runIn(append([]string{"export", "--out", f2}, dyn...)...); code != 0 {
		t.Fatalf("export from DynamoDB: %d %s", code, stderr)
	}
	if second, _ := os.ReadFile(f2); !bytes.Equal(first, second) {
		t.Errorf("DynamoDB's export differs from SQLite's:\n%s\n%s", first, second)
	}

	// Back to SQLite, through standard input, one project.
	var stdout, errOut strings.Builder
	second, _ := os.ReadFile(f2)
	if code := runIO(t.Context(), []string{"import", "overdue", "--data", d3, "-"}, bytes.NewReader(second), &stdout, &errOut); code != 0 {
		t.Fatalf("import from stdin: %d %s", code, errOut.String())
	}
	code, out, _ = runIn("export", "--data", d3, "--project", p["id"])
	if code != 0 || out != strings.Replace(string(first), `"scope":"install"`, `"scope":"project"`, 1) {
		t.Errorf("export --project after the round trip = %d\n%s\nwant\n%s", code, out, first)
	}

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"import", "overdue", "--data", d3}, "want one FILE"},
		{[]string{"import", "overdue", "--data", d3, filepath.Join(dir, "nope.jsonl")}, "no such file"},
		{[]string{"import", "overdue", "--data", d3, d1 + "/overdue.db"}, "not an Overdue export"},
		{[]string{"export", "--data", filepath.Join(dir, "empty")}, "there is no database"},
		{[]string{"export", "--data", d1, "--project", "nosuch"}, "no such project"},
	} {
		if code, _, stderr := runIn(tt.args...); code == 0 || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v = %d %q, want an error containing %q", tt.args, code, stderr, tt.want)
		}
	}
}

// TestImportHealthchecksCommand imports from a loopback server answering Healthchecks' API
// shapes (internal/hcimport/testdata/api): the keys are printed once, a dry run writes
// nothing, a second run adds nothing, and the output ends with what to change.
func TestImportHealthchecksCommand(t *testing.T) {
	const key = "hcw_0123456789abcdef0123456789ab"
	hc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Api-Key") != key {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"error": "wrong api key"}`))
			return
		}
		name := map[string]string{"/api/v3/checks/": "checks.json", "/api/v3/channels/": "channels.json"}[r.URL.Path]
		b, err := os.ReadFile(filepath.Join("..", "..", "internal", "hcimport", "testdata", "api", name))
		if name == "" || err != nil {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	defer hc.Close()
	data := filepath.Join(t.TempDir(), "data")
	args := []string{"import", "healthchecks", "--data", data, "--url", hc.URL, "--api-key", key, "--site-root", "https://overdue.example.org"}

	code, out, stderr := runIn(append(args, "--dry-run")...)
	if code != 0 || !strings.Contains(out, "Would create project") || !strings.Contains(out, "Checks: 3 to create, 0 already here.") {
		t.Fatalf("dry run = %d %q %q", code, out, stderr)
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Errorf("a dry run created %s", data)
	}
	code, out, stderr = runIn(args...)
	if code != 0 || !strings.Contains(out, "Checks: 3 created, 0 already here.") || !strings.Contains(out, "  API key:           hcw_") {
		t.Fatalf("import = %d %q %q", code, out, stderr)
	}
	for _, want := range []string{
		`overdue channel add --project `, `--kind email --name "Email Alice" --value '<address>'`,
		`check 8b5dafa0-6e7c-4d9b-8f1a-2c3d4e5f6a7b ("Bad zone"): tz "Mars/Olympus"`,
		"https://overdue.example.org/ping/",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("import output lacks %q:\n%s", want, out)
		}
	}
	if i, j := strings.Index(out, "Could not be carried over:"), strings.Index(out, "What to change"); i < 0 || j < i {
		t.Errorf("the output does not end with what could not be carried over, then what to change:\n%s", out)
	}
	code, out, _ = runIn(args...)
	if code != 0 || !strings.Contains(out, "Checks: 0 created, 3 already here.") || strings.Contains(out, "API key:") {
		t.Errorf("second import = %d %q, want nothing created and no new keys", code, out)
	}
	if code, _, stderr := runIn("import", "healthchecks", "--data", data, "--url", hc.URL, "--api-key", "hcw_ffffffffffffffffffffffffffff"); code != exitFailure || !strings.Contains(stderr, "refused the API key") || strings.Contains(stderr, "hcw_ffff") {
		t.Errorf("a wrong key = %d %q, want 1 and the refusal without the key", code, stderr)
	}

	// The key from the environment, where ps does not show it; without either, a usage error
	// that names the variable.
	t.Setenv("OVERDUE_HC_API_KEY", key)
	code, out, stderr = runIn("import", "healthchecks", "--data", data, "--url", hc.URL)
	if code != 0 || !strings.Contains(out, "Checks: 0 created, 3 already here.") {
		t.Errorf("import with the key in OVERDUE_HC_API_KEY = %d %q %q", code, out, stderr)
	}
	t.Setenv("OVERDUE_HC_API_KEY", "")
	if code, _, stderr := runIn("import", "healthchecks", "--data", data, "--url", hc.URL); code != exitUsage || !strings.Contains(stderr, "set OVERDUE_HC_API_KEY") {
		t.Errorf("import without a key = %d %q, want a usage error naming OVERDUE_HC_API_KEY", code, stderr)
	}
}

// TestImportHealthchecksDBCommand imports a Healthchecks database built from
// internal/hcimport/testdata/db: a dry run writes nothing, the import says what it brought,
// the new keys once, how to bring the people, and a second run adds nothing.
func TestImportHealthchecksDBCommand(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hc.sqlite")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"schema.sql", "data.sql"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "internal", "hcimport", "testdata", "db", f))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(string(b)); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	data := filepath.Join(dir, "data")
	args := []string{"import", "healthchecks", "--db", path, "--data", data}

	code, out, stderr := runIn(append(args, "--dry-run")...)
	if code != 0 || !strings.Contains(out, "Would import 2 projects, 3 channels, 3 checks, 4 pings, 4 flips.") || strings.Contains(out, "API key:") {
		t.Fatalf("dry run = %d %q %q", code, out, stderr)
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Errorf("a dry run created %s", data)
	}
	code, out, stderr = runIn(args...)
	if code != 0 {
		t.Fatalf("import = %d %q", code, stderr)
	}
	for _, want := range []string{
		"Imported 2 projects, 3 channels, 3 checks, 4 pings, 4 flips.",
		`Project "alice@example.org", id 1d2e3f4a-5b6c-4d7e-8f9a-0b1c2d3e4f5a: new.`, "    API key:           hcw_",
		`channel "Apprise" (apprise) of project "Backups": unknown channel kind "apprise"`,
		"overdue user create --email bob@example.org --project 0c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f --role readonly",
		"What to change so that no client needs editing:",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("import output lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runIn(args...)
	if code != 0 || !strings.Contains(out, "Imported nothing: everything is here already.") || strings.Contains(out, "API key:") {
		t.Errorf("second import = %d %q, want nothing and no keys", code, out)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{append(args, "--url", "https://healthchecks.io"), "--db reads the database; it goes without --url"},
		{append(args, "--project", "p"), "it goes without --project"},
		{[]string{"import", "healthchecks", "--db", filepath.Join(dir, "none.sqlite"), "--data", data}, "no such file"},
	} {
		if code, _, stderr := runIn(tt.args...); code != exitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v = %d %q, want 2 and %q", tt.args, code, stderr, tt.want)
		}
	}
}

// TestImportOverdueGrants: the import lists the permissions it grants, and refuses one into an
// account already here unless told --merge-people.
func TestImportOverdueGrants(t *testing.T) {
	dir := t.TempDir()
	d1, d2 := filepath.Join(dir, "d1"), filepath.Join(dir, "d2")
	code, out, stderr := runIn("project", "create", "--data", d1, "--name", "Ops", "--json")
	if code != 0 {
		t.Fatalf("project create: %d %s", code, stderr)
	}
	var p map[string]string
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"user", "create", "--data", d1, "--email", "alice@example.org", "--project", p["id"], "--role", "manager"},
		{"user", "create", "--data", d2, "--email", "alice@example.org"}, // another account, same email
	} {
		if code, _, stderr := runIn(args...); code != 0 {
			t.Fatalf("%v: %d %s", args, code, stderr)
		}
	}
	f := filepath.Join(dir, "one.jsonl")
	if code, _, stderr := runIn("export", "--data", d1, "--out", f); code != 0 {
		t.Fatalf("export: %d %s", code, stderr)
	}
	code, out, stderr = runIn("import", "overdue", "--dry-run", "--data", filepath.Join(dir, "fresh"), f)
	if code != 0 || !strings.Contains(out, "Permissions it would grant:\n  alice@example.org: manager of project "+p["id"]+"\n") {
		t.Errorf("import --dry-run = %d %q %q, want the grant listed", code, out, stderr)
	}
	// d2's alice is another account (another ID) with the email: refused as before; the grant
	// refusal is for accounts with the file's ID, covered in internal/transfer.
	if code, _, stderr := runIn("import", "overdue", "--data", d2, "--merge-people", f); code != exitFailure || !strings.Contains(stderr, "belongs to another account") {
		t.Errorf("import into a store where the email has another account = %d %q", code, stderr)
	}
}
