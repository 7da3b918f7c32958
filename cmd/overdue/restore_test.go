package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRollbackRestoreSQLite is the rollback a person does when the new build's migration has
// contracted the data (README "The backup file"): the previous release writes a project, a
// channel with a secret and a check and records a ping; this build migrates the data (taking
// overdue.db.bak-v<release's version>), seals the channel value and records another ping; the
// release refuses the data and changes nothing; the backup is restored; the release then works
// on it again: the check with the ping it recorded (the later one is lost, as documented), the
// channel with its value readable, and new pings accepted.
func TestRollbackRestoreSQLite(t *testing.T) {
	rel := previousRelease(t)
	old := olderBuild(t, rel)
	dir := t.TempDir()
	storeArgs := []string{"--data", dir}
	run := func(bin string, args ...string) string {
		t.Helper()
		code, out, stderr := runBinary(t, bin, append(args, storeArgs...)...)
		if code != 0 {
			t.Fatalf("%s %s: exit %d: %s", filepath.Base(bin), strings.Join(args, " "), code, stderr)
		}
		return out
	}
	var p struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(run(old, "project", "create", "--name", "Ops", "--json")), &p); err != nil {
		t.Fatal(err)
	}
	const secretHook = "https://hooks.example.org/rollback/sEcReTpArT-4321"
	run(old, "channel", "add", "--project", p.ID, "--kind", "webhook", "--name", "ops hook", "--value", secretHook)
	var c struct {
		UUID string `json:"uuid"`
	}
	if err := json.Unmarshal([]byte(run(old, "check", "create", "--project", p.ID, "--name", "backup", "--timeout", "1h", "--json")), &c); err != nil {
		t.Fatal(err)
	}
	d := drillData{project: p.ID, check: c.UUID}
	if code, body := pingThroughServe(t, old, d, storeArgs); code != http.StatusOK || body != "OK" {
		t.Fatalf("release %s serve: ping = %d %q, want 200 OK", rel.Version, code, body)
	}

	// This build migrates (serve would do the same, after the same backup).
	current := binaryPath(t)
	run(current, "migrate", "up")
	data := dataModel(t, storeArgs)
	if data.MinReader <= rel.DataModel {
		t.Skipf("data model %v is still readable by release %s: nothing to restore (TestRollbackDrillSQLite runs it on the data)", data, rel.Version)
	}
	backup := filepath.Join(dir, dbName+".bak-v"+strconv.Itoa(rel.DataModel))
	if _, err := os.Stat(backup); err != nil {
		t.Fatalf("migrating from release %s's data took no backup %s: %v", rel.Version, filepath.Base(backup), err)
	}
	if code, body := pingThroughServe(t, current, d, storeArgs); code != http.StatusOK || body != "OK" {
		t.Fatalf("current serve: ping = %d %q, want 200 OK", code, body)
	}
	if out := run(current, "channel", "list", "--project", p.ID); !strings.Contains(out, "ops hook") || strings.Contains(out, "sEcReTpArT") {
		t.Errorf("current channel list = %q, want the channel, its value hidden", out)
	}

	// The release refuses the migrated data, changing nothing.
	files := func() any { return dirFiles(t, dir) }
	before := files()
	refuses(t, old, rel, data, d, storeArgs)
	if diff := cmp.Diff(before, files()); diff != "" {
		t.Errorf("release %s changed the data it refused (-before +after):\n%s", rel.Version, diff)
	}

	// Restore as the README says: move the database and its WAL files aside, copy the backup.
	aside := t.TempDir()
	for _, name := range []string{dbName, dbName + "-wal", dbName + "-shm"} {
		if err := os.Rename(filepath.Join(dir, name), filepath.Join(aside, name)); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	copyFile(t, backup, filepath.Join(dir, dbName))

	code, got, stderr := listed(t, old, d, storeArgs)
	if want := "backup, 1 pings"; code != 0 || got[c.UUID] != want {
		t.Fatalf("release %s on the restored backup: check list exit %d %v %s, want %q (the ping after the backup is lost)", rel.Version, code, got, stderr, want)
	}
	var chans struct {
		Channels []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"channels"`
	}
	if err := json.Unmarshal([]byte(run(old, "channel", "list", "--project", p.ID, "--json")), &chans); err != nil {
		t.Fatal(err)
	}
	if len(chans.Channels) != 1 || chans.Channels[0].Name != "ops hook" || !strings.HasSuffix(chans.Channels[0].Value, "4321") {
		t.Errorf("release %s channel list on the restored backup = %+v, want ops hook whose value ends in 4321 (readable, not sealed)", rel.Version, chans.Channels)
	}
	if code, body := pingThroughServe(t, old, d, storeArgs); code != http.StatusOK || body != "OK" {
		t.Fatalf("release %s serve on the restored backup: ping = %d %q, want 200 OK", rel.Version, code, body)
	}
	if code, got, stderr := listed(t, old, d, storeArgs); code != 0 || got[c.UUID] != "backup, 2 pings" {
		t.Errorf("release %s after pinging the restored data: exit %d %v %s, want backup with 2 pings", rel.Version, code, got, stderr)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}
