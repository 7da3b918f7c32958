package main

import (
	"encoding/json"
	"strings"
	"testing"
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
