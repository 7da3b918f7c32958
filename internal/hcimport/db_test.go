package hcimport_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/hcimport"
	"github.com/overduehq/overdue/internal/httpapi"
	"github.com/overduehq/overdue/internal/notify"
	"github.com/overduehq/overdue/internal/transfer"
)

// buildDB makes hc.sqlite from testdata/db (see its README).
func buildDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hc.sqlite")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, f := range []string{"schema.sql", "data.sql"} {
		b, err := os.ReadFile(filepath.Join("testdata", "db", f))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(string(b)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	return path
}

func readDB(t *testing.T, path string) *hcimport.DB {
	t.Helper()
	db, err := hcimport.ReadDB(context.Background(), path, hcimport.DBOptions{
		ValidateChannel: notify.ValidateChannel, Now: func() time.Time { return importedAt }, Rand: rand.Reader})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// TestImportFromDB reads a Healthchecks database and imports it: ping URLs by UUID and by slug
// answer, the legacy plain-text API key works, the API shows the checks as Healthchecks had
// them, history comes along, and a second import changes nothing.
func TestImportFromDB(t *testing.T) {
	ctx := context.Background()
	path := buildDB(t)
	db := readDB(t, path)

	if len(db.Projects) != 2 {
		t.Fatalf("read %d projects, want 2", len(db.Projects))
	}
	p1, p2 := db.Projects[0], db.Projects[1]
	if p1.Project.ID != "0c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f" || p1.Project.APIKeyHash != check.HashKey("Kq8vR2mT5xW9zB3nF6hJ1pL4sD7gA0cE") ||
		p1.Project.PingKeyHash != check.HashKey("pingkey0abcdefghijklm") || p1.NewKeys != (check.Keys{}) {
		t.Errorf("project 1 = %+v, new keys %+v; want its UUID, its plain-text keys hashed, no new keys", p1.Project, p1.NewKeys)
	}
	if p2.Project.Name != "alice@example.org" || p2.NewKeys.APIKey == "" || p2.NewKeys.PingKey == "" ||
		p2.Project.APIKeyHash != check.HashKey(p2.NewKeys.APIKey) {
		t.Errorf("project 2 = %+v, new keys %+v; want the owner's email as name and new keys (hashed in the database, no ping key)", p2.Project, p2.NewKeys)
	}
	if got := len(p1.Channels); got != 3 {
		t.Errorf("project 1 carries %d channels, want 3 (two email, slack)", got)
	}
	if len(p1.Missing) != 2 || p1.Missing[0].Kind != "apprise" || !strings.Contains(p1.Missing[1].Value, "only some alerts") {
		t.Errorf("project 1 missing = %+v, want apprise (unknown kind) and the down-only email noted", p1.Missing)
	}
	if want := []hcimport.Member{{"alice@example.org", "owner"}, {"bob@example.org", "readonly"}}; len(p1.Members) != 2 || p1.Members[0] != want[0] || p1.Members[1] != want[1] {
		t.Errorf("members = %+v, want %+v", p1.Members, want)
	}
	if s := strings.Join(db.Skipped, "\n"); !strings.Contains(s, "API keys of 1 projects") || !strings.Contains(s, "bodies of 1 pings") {
		t.Errorf("skipped = %q, want the hashed keys and the body in object storage", db.Skipped)
	}

	var file bytes.Buffer
	if err := db.WriteExport(&file); err != nil {
		t.Fatal(err)
	}
	st := openStore(t)
	rep, err := transfer.Import(ctx, bytes.NewReader(file.Bytes()), st, st.People(), transfer.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := (transfer.Counts{Projects: 2, Channels: 3, Checks: 3, Pings: 4, Flips: 4}); rep.Created != want {
		t.Errorf("import created %v, want %v", rep.Created, want)
	}
	if un, _ := st.UnprocessedFlips(ctx, 10); len(un) != 0 {
		t.Errorf("%d unprocessed flips after import, want none: history never alerts", len(un))
	}

	now := importedAt
	api := httptest.NewServer(httpapi.New(httpapi.Config{Store: st, Now: func() time.Time { return now }, SecretKey: []byte("k")}))
	defer api.Close()
	const key = "Kq8vR2mT5xW9zB3nF6hJ1pL4sD7gA0cE"
	backup := getJSON(t, api.URL+"/api/v3/checks/5e2a7c1d-3b4f-4a6e-9c8d-7f6e5d4c3b2a", key)
	want := map[string]any{"name": "Nightly backup", "slug": "nightly-backup", "tags": "prod db", "desc": "pg_dump to S3",
		"grace": 3600.0, "timeout": 86400.0, "n_pings": 5.0, "status": "up", "last_ping": "2026-11-24T20:08:55+00:00",
		"next_ping": "2026-11-25T20:08:55+00:00", "last_duration": 1800.0, "methods": "", "manual_resume": false,
		"channels": "a0000000-0000-4000-8000-000000000001,a0000000-0000-4000-8000-000000000002"}
	for k, v := range want {
		if !jsonEqual(backup[k], v) {
			t.Errorf("backup check: %s = %v, want %v", k, backup[k], v)
		}
	}
	if !strings.HasSuffix(backup["badge_url"].(string), "/b/2/4b1f8a2c-6d3e-4f5a-8b7c-9d0e1f2a3b4c.svg") {
		t.Errorf("badge_url = %v, want Healthchecks' badge key", backup["badge_url"])
	}
	reports := getJSON(t, api.URL+"/api/v3/checks/6f3b8d2e-4c5a-4b7f-8d9e-0a1b2c3d4e5f", key)
	want = map[string]any{"status": "paused", "schedule": "30 2 * * 1-5", "tz": "Europe/Riga", "methods": "POST",
		"manual_resume": true, "start_kw": "begin", "success_kw": "ok,done", "failure_kw": "error",
		"filter_http_body": true, "filter_default_fail": true, "grace": 300.0, "next_ping": nil}
	for k, v := range want {
		if !jsonEqual(reports[k], v) {
			t.Errorf("reports check: %s = %v, want %v", k, reports[k], v)
		}
	}
	pings := getJSON(t, api.URL+"/api/v3/checks/5e2a7c1d-3b4f-4a6e-9c8d-7f6e5d4c3b2a/pings/", key)["pings"].([]any)
	if len(pings) != 3 || pings[0].(map[string]any)["n"] != 5.0 || pings[1].(map[string]any)["type"] != "fail" {
		t.Errorf("pings = %v, want n 5, 4 (fail), 3", pings)
	}
	if b, err := st.Ping(ctx, "5e2a7c1d-3b4f-4a6e-9c8d-7f6e5d4c3b2a", 4); err != nil || string(b.Body) != "disk full" || *b.ExitStatus != 1 {
		t.Errorf("ping 4 = %+v, %v; want the body disk full and exit status 1", b, err)
	}

	ping(t, api.URL+"/ping/5e2a7c1d-3b4f-4a6e-9c8d-7f6e5d4c3b2a")
	ping(t, api.URL+"/ping/pingkey0abcdefghijklm/nightly-backup")
	ping(t, api.URL+"/ping/"+p2.NewKeys.PingKey+"/weekday-sync")

	// Again, as a second run reads the file anew: nothing to add.
	var again bytes.Buffer
	if err := readDB(t, path).WriteExport(&again); err != nil {
		t.Fatal(err)
	}
	rep, err = transfer.Import(ctx, &again, st, st.People(), transfer.ImportOptions{})
	if err != nil || rep.Created != (transfer.Counts{}) {
		t.Errorf("second import created %v (%v), want nothing", rep.Created, err)
	}
}

func TestReadDBRefusals(t *testing.T) {
	dir := t.TempDir()
	notHC := filepath.Join(dir, "other.sqlite")
	db, err := sql.Open("sqlite", notHC)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE t (x)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	text := filepath.Join(dir, "text.sqlite")
	os.WriteFile(text, []byte("hello"), 0o600)
	for _, tt := range []struct{ path, want string }{
		{filepath.Join(dir, "nope.sqlite"), "no such file"},
		{notHC, "not a Healthchecks database"},
		{text, "not an SQLite database"},
	} {
		_, err := hcimport.ReadDB(context.Background(), tt.path, hcimport.DBOptions{Now: time.Now, Rand: rand.Reader})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ReadDB(%s) = %v, want an error containing %q", filepath.Base(tt.path), err, tt.want)
		}
	}
}
