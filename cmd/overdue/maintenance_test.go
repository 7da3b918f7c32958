package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestMaintenanceCommands: windows for the project, a tag and one check are added, listed (as
// the API lists them) and deleted; each bad input exits 2 with one line saying what to change,
// and writes nothing.
func TestMaintenanceCommands(t *testing.T) {
	data := t.TempDir()
	_, out, _ := runIn("project", "create", "--data", data, "--name", "Ops", "--json")
	var p map[string]string
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	_, out, _ = runIn("check", "create", "--data", data, "--project", p["id"], "--name", "backup", "--json")
	var c map[string]any
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		t.Fatal(err)
	}
	uuid := c["uuid"].(string)
	base := []string{"maintenance", "add", "--data", data, "--project", p["id"], "--json"}
	var ids []string
	for _, args := range [][]string{
		{"--start", "2030-01-01T00:00:00Z", "--end", "2030-01-01T02:00:00+01:00"},
		{"--tag", "db", "--schedule", "0 3 * * 0", "--duration", "2h", "--tz", "Europe/Riga"},
		{"--check", uuid, "--start", "2030-02-01T00:00:00Z", "--end", "2030-02-02T00:00:00Z"},
	} {
		code, out, stderr := runIn(append(base, args...)...)
		var w map[string]any
		if code != 0 || json.Unmarshal([]byte(out), &w) != nil || w["id"] == "" {
			t.Fatalf("maintenance add %v: exit %d %s %s", args, code, out, stderr)
		}
		ids = append(ids, w["id"].(string))
	}
	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"--start", "2030-01-01T00:00:00Z"}, "start and end are required"},
		{[]string{"--start", "tomorrow", "--end", "2030-01-01T00:00:00Z"}, `--start "tomorrow" is not an RFC 3339 instant`},
		{[]string{"--start", "2030-01-02T00:00:00Z", "--end", "2030-01-01T00:00:00Z"}, "end is not after start"},
		{[]string{"--schedule", "every sunday", "--duration", "1h"}, "--schedule"},
		{[]string{"--schedule", "0 3 * * 0", "--duration", "10s"}, "duration"},
		{[]string{"--tag", "db", "--check", uuid, "--start", "2030-01-01T00:00:00Z", "--end", "2030-01-01T01:00:00Z"}, "exclude each other"},
		{[]string{"--check", "c0000000-0000-4000-8000-00000000dead", "--start", "2030-01-01T00:00:00Z", "--end", "2030-01-01T01:00:00Z"}, "is not a check of project"},
	} {
		code, _, stderr := runIn(append(base, bad.args...)...)
		if code != exitUsage || !strings.HasPrefix(stderr, "overdue: maintenance add: ") || !strings.Contains(stderr, bad.want) ||
			strings.Count(stderr, "\n") != 1 {
			t.Errorf("maintenance add %v: exit %d %q, want 2 and one line containing %q", bad.args, code, stderr, bad.want)
		}
	}

	code, out, _ := runIn("maintenance", "list", "--data", data, "--project", p["id"], "--json")
	var listed struct {
		Windows []windowOutput `json:"windows"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &listed) != nil || len(listed.Windows) != 3 {
		t.Fatalf("maintenance list = %d %s, want the three windows", code, out)
	}
	if w := listed.Windows[0]; w.Start != "2030-01-01T00:00:00Z" || w.End != "2030-01-01T01:00:00Z" || w.Check != "" || w.Tag != "" {
		t.Errorf("first window = %+v, want the project's, its end in UTC", w)
	}
	if w := listed.Windows[1]; w.Tag != "db" || w.Schedule != "0 3 * * 0" || w.TZ != "Europe/Riga" || w.Duration != 7200 {
		t.Errorf("second window = %+v, want the recurring one for tag db", w)
	}
	if w := listed.Windows[2]; w.Check != uuid {
		t.Errorf("third window = %+v, want the check's", w)
	}
	_, text, _ := runIn("maintenance", "list", "--data", data, "--project", p["id"])
	if !strings.Contains(text, "tag db") || !strings.Contains(text, "check "+uuid) || !strings.Contains(text, `"0 3 * * 0" in Europe/Riga for 2h0m0s`) {
		t.Errorf("maintenance list text = %q", text)
	}

	if code, _, stderr := runIn("maintenance", "delete", "--data", data, "--project", p["id"], "--id", ids[1]); code != 0 {
		t.Fatalf("maintenance delete: exit %d %s", code, stderr)
	}
	if code, _, stderr := runIn("maintenance", "delete", "--data", data, "--project", p["id"], "--id", ids[1]); code != exitUsage || !strings.Contains(stderr, "has no maintenance window") {
		t.Errorf("second delete: exit %d %q, want 2 saying there is no such window", code, stderr)
	}
	_, out, _ = runIn("maintenance", "list", "--data", data, "--project", p["id"], "--json")
	if json.Unmarshal([]byte(out), &listed) != nil || len(listed.Windows) != 2 || listed.Windows[0].ID != ids[0] || listed.Windows[1].ID != ids[2] {
		t.Errorf("after delete: %s, want the first and third windows", out)
	}
}
