package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestUserSettings: `overdue user settings` shows a user's settings (the defaults first: UTC,
// monthly reports, no reminders), changes the ones given and leaves the others, and refuses a
// bad value before it writes anything.
func TestUserSettings(t *testing.T) {
	data := t.TempDir()
	if code, _, stderr := runIn("user", "create", "--data", data, "--email", "alice@example.org", "--name", "Alice"); code != 0 {
		t.Fatalf("user create: exit %d, %s", code, stderr)
	}
	show := func(args ...string) settingsOutput {
		t.Helper()
		code, out, stderr := runIn(append([]string{"user", "settings", "--data", data, "--email", "Alice@example.org", "--json"}, args...)...)
		var s settingsOutput
		if code != 0 || json.Unmarshal([]byte(out), &s) != nil {
			t.Fatalf("user settings %v: exit %d, %q %q", args, code, out, stderr)
		}
		return s
	}
	if got := show(); got.Email != "alice@example.org" || got.Name != "Alice" || got.TZ != "UTC" || got.Reports != "monthly" || got.Reminders != "off" {
		t.Errorf("settings of a new user = %+v, want Alice in UTC, monthly reports, no reminders", got)
	}
	if got := show("--tz", "America/New_York", "--reports", "weekly", "--reminders", "daily"); got.TZ != "America/New_York" || got.Reports != "weekly" || got.Reminders != "daily" || got.Name != "Alice" {
		t.Errorf("after setting them = %+v, want New York, weekly, daily, the name kept", got)
	}
	if got := show("--reports", "off"); got.Reports != "off" || got.Reminders != "daily" || got.TZ != "America/New_York" {
		t.Errorf("after --reports off = %+v, want only reports changed", got)
	}
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--reports", "hourly"}, `reports "hourly" is not one of off, daily, weekly, monthly`},
		{[]string{"--reminders", "weekly"}, `reminders "weekly" is not one of off, hourly, daily`},
		{[]string{"--tz", "Local"}, `time zone "Local" is not one the zone database knows`},
		{[]string{"--tz", "Europe/Atlantis", "--reports", "daily"}, `time zone "Europe/Atlantis" is not one the zone database knows`},
	} {
		code, _, stderr := runIn(append([]string{"user", "settings", "--data", data, "--email", "alice@example.org"}, tc.args...)...)
		if code != exitUsage || !strings.Contains(stderr, tc.msg) {
			t.Errorf("user settings %v: exit %d, %q; want a usage error saying %q", tc.args, code, stderr, tc.msg)
		}
	}
	if got := show(); got.Reports != "off" || got.TZ != "America/New_York" {
		t.Errorf("after refused changes = %+v, want them unchanged", got)
	}
	if code, _, stderr := runIn("user", "settings", "--data", data, "--email", "nobody@example.org"); code != exitUsage || !strings.Contains(stderr, "no such user") {
		t.Errorf("user settings for nobody: exit %d, %q; want a usage error naming no such user", code, stderr)
	}
	code, out, _ := runIn("user", "settings", "--data", data, "--email", "alice@example.org")
	if code != 0 || !strings.Contains(out, "alice@example.org") || !strings.Contains(out, "reports off") || !strings.Contains(out, "reminders daily") {
		t.Errorf("user settings (text) = %d %q", code, out)
	}
}
