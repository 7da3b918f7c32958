package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestServeShellChannels: shell channels are off by default (a warning at start, the channel
// created but not deliverable); with --shell-channels a check going down runs the channel's
// cmd_down with the alert in its environment.
func TestServeShellChannels(t *testing.T) {
	project := func(data string) (p projectOutput) {
		if err := json.Unmarshal([]byte(runCLI(t, "project", "create", "--data", data, "--name", "Ops", "--json")), &p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	out := filepath.Join(t.TempDir(), "down.env")
	value, _ := json.Marshal(map[string]string{"cmd_down": "env > '" + out + "'"})
	body, _ := json.Marshal(map[string]string{"kind": "shell", "value": string(value)})
	create := func(base string, p projectOutput) (deliverable bool, warning string) {
		req, _ := http.NewRequest("POST", base+"/api/v3/channels/", strings.NewReader(string(body)))
		req.Header.Set("X-Api-Key", p.APIKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var ch struct {
			Deliverable *bool  `json:"deliverable"`
			Warning     string `json:"warning"`
		}
		json.NewDecoder(resp.Body).Decode(&ch)
		if resp.StatusCode != 201 || ch.Deliverable == nil {
			t.Fatalf("POST /api/v3/channels/ = %d %+v", resp.StatusCode, ch)
		}
		return *ch.Deliverable, ch.Warning
	}

	offData, onData := t.TempDir(), t.TempDir()
	offProject, p := project(offData), project(onData)
	off := startServer(t, offData)
	off.waitFor(t, regexp.MustCompile(`^Warning: this server cannot deliver shell channels: start overdue serve with --shell-channels`))
	base := off.waitFor(t, regexp.MustCompile(`^listening on (http://\S+)$`))[1]
	if ok, warning := create(base, offProject); ok || !strings.Contains(warning, "--shell-channels") {
		t.Errorf("shell channel on a default server: deliverable %v, warning %q", ok, warning)
	}

	on := startServer(t, onData, "--shell-channels")
	base = on.waitFor(t, regexp.MustCompile(`^listening on (http://\S+)$`))[1]
	for _, line := range on.seen {
		if strings.Contains(line, "shell channels") {
			t.Errorf("start-up with --shell-channels warned: %q", line)
		}
	}
	if ok, warning := create(base, p); !ok || warning != "" {
		t.Errorf("shell channel with --shell-channels: deliverable %v, warning %q", ok, warning)
	}
	if code, body := get(t, base+"/ping/"+p.PingKey+"/nightly/fail?create=1"); code != 201 {
		t.Fatalf("fail ping = %d %q, want 201", code, body)
	}
	// The console prints the alert after the channels have been handled.
	on.waitFor(t, regexp.MustCompile(`^DOWN \| nightly$`))
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("cmd_down did not run: %v", err)
	}
	if env := string(b); !strings.Contains(env, "STATUS=down\n") || !strings.Contains(env, "NAME=nightly\n") {
		t.Errorf("the command's environment = %q", env)
	}
}
