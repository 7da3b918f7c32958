package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/sqlite"
)

// TestChannelTimingFlags: channel add and update take --delay and --repeat (seconds or a
// duration), refuse what the API refuses with the flag named and the range, and channel list
// shows the timing.
func TestChannelTimingFlags(t *testing.T) {
	data := t.TempDir()
	_, out, _ := runIn("project", "create", "--data", data, "--name", "Ops", "--json")
	var p map[string]string
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runIn("channel", "add", "--data", data, "--project", p["id"], "--kind", "email",
		"--value", "oncall@example.org", "--delay", "15m", "--repeat", "3600", "--json")
	if code != 0 {
		t.Fatalf("channel add: exit %d %s", code, stderr)
	}
	var ch map[string]any
	if err := json.Unmarshal([]byte(out), &ch); err != nil || ch["delay"] != 900.0 || ch["repeat"] != 3600.0 {
		t.Fatalf("channel add printed %s (%v), want delay 900 and repeat 3600", out, err)
	}
	id := ch["id"].(string)
	_, out, _ = runIn("channel", "list", "--data", data, "--project", p["id"])
	if !strings.Contains(out, "(delay 15m0s, repeat 1h0m0s)") {
		t.Errorf("channel list = %q, want the timing shown", out)
	}
	base := []string{"channel", "update", "--data", data, "--project", p["id"], "--id", id}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--repeat", "1m"}, "channel update: --repeat: repeat is out of range (0 (off) or 300 to 2678400 seconds)"},
		{[]string{"--delay", "8d"}, "want seconds or a duration"},
		{[]string{"--delay", "200h"}, "--delay: delay is out of range"},
		{[]string{"--delay", "1.5s"}, "--delay: delay is not a whole number of seconds"},
	} {
		code, _, stderr := runIn(append(base, tc.args...)...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("channel update %v = exit %d %q, want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
	code, out, stderr = runIn(append(base, "--repeat", "0", "--json")...)
	if code != 0 {
		t.Fatalf("channel update --repeat 0: exit %d %s", code, stderr)
	}
	ch = nil
	if err := json.Unmarshal([]byte(out), &ch); err != nil || ch["delay"] != 900.0 || ch["repeat"] != nil {
		t.Errorf("channel update --repeat 0 printed %s (%v), want the delay kept and no repeat", out, err)
	}
	code, _, stderr = runIn("channel", "add", "--data", data, "--project", p["id"], "--kind", "group", "--value", id, "--delay", "60")
	if code != exitUsage || !strings.Contains(stderr, "set them on those channels") {
		t.Errorf("channel add group --delay = exit %d %q, want 2 and where timing goes", code, stderr)
	}
}

// TestChannelLateFlag: channel add and update take --late (and --late=false), refuse it for a
// kind that cannot send a late notice with the reason, show it in channel list, and keep the
// late-notice marker of the checks on the channel (due at their grace start only while on).
func TestChannelLateFlag(t *testing.T) {
	data := t.TempDir()
	_, out, _ := runIn("project", "create", "--data", data, "--name", "Ops", "--json")
	var p map[string]string
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runIn("channel", "add", "--data", data, "--project", p["id"], "--kind", "sms",
		"--value", "+14155550100", "--late", "--json")
	if code != 0 {
		t.Fatalf("channel add --late: exit %d %s", code, stderr)
	}
	var ch map[string]any
	if err := json.Unmarshal([]byte(out), &ch); err != nil || ch["late"] != true {
		t.Fatalf("channel add --late printed %s (%v), want late true", out, err)
	}
	id := ch["id"].(string)
	if _, out, _ = runIn("channel", "list", "--data", data, "--project", p["id"]); !strings.Contains(out, "(late notice)") {
		t.Errorf("channel list = %q, want the late notice shown", out)
	}
	code, _, stderr = runIn("channel", "add", "--data", data, "--project", p["id"], "--kind", "pd",
		"--value", "0123456789abcdef0123456789abcdef", "--late")
	if code != exitUsage || !strings.Contains(stderr, "--late: a pd channel cannot take late notices") {
		t.Errorf("channel add pd --late = exit %d %q, want 2 and why", code, stderr)
	}
	code, _, stderr = runIn("channel", "add", "--data", data, "--project", p["id"], "--kind", "group", "--value", id, "--late")
	if code != exitUsage || !strings.Contains(stderr, "not on the group") {
		t.Errorf("channel add group --late = exit %d %q, want 2 and where it goes", code, stderr)
	}

	// A check on the channel, created through the store as the API would leave it.
	st, err := sqlite.Open(filepath.Join(data, dbName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	c := check.New("c0000000-0000-4000-8000-0000000000c1", p["id"], now)
	c.Status, c.LastPing, c.Timeout, c.Grace, c.Channels, c.LateNotice = check.StatusUp, now, time.Hour, time.Hour, []string{id}, true
	c.AlertAfter = c.NextDue(nil)
	if err := st.CreateCheck(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	st.Close()
	marker := func() (bool, time.Time) {
		t.Helper()
		st, err := sqlite.Open(filepath.Join(data, dbName), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		got, err := st.Check(t.Context(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.LateNotice, got.AlertAfter
	}
	if code, _, stderr := runIn("channel", "update", "--data", data, "--project", p["id"], "--id", id, "--late=false"); code != 0 {
		t.Fatalf("channel update --late=false: exit %d %s", code, stderr)
	}
	if on, due := marker(); on || !due.Equal(now.Add(2*time.Hour)) {
		t.Errorf("after --late=false: marker %v, due %v; want off, the deadline %v", on, due, now.Add(2*time.Hour))
	}
	if code, _, stderr := runIn("channel", "update", "--data", data, "--project", p["id"], "--id", id, "--late"); code != 0 {
		t.Fatalf("channel update --late: exit %d %s", code, stderr)
	}
	if on, due := marker(); !on || !due.Equal(now.Add(time.Hour)) {
		t.Errorf("after --late: marker %v, due %v; want on, the grace start %v", on, due, now.Add(time.Hour))
	}
}
