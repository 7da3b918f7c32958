package notify_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/notify"
)

// readEnv reads a file written by `env`, one NAME=value a line.
func readEnv(t *testing.T, file string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("the command did not run: %v", err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		k, v, _ := strings.Cut(line, "=")
		out[k] = v
	}
	return out
}

func shellChannel(t *testing.T, down, up string) *check.Channel {
	t.Helper()
	v, _ := json.Marshal(map[string]string{"cmd_down": down, "cmd_up": up})
	if err := notify.ValidateChannel(notify.ChannelShell, string(v)); err != nil {
		t.Fatal(err)
	}
	return &check.Channel{ID: "e0000000-0000-4000-8000-00000000000a", ProjectID: "p", Kind: notify.ChannelShell, Value: string(v)}
}

// TestShellRunsCommand: cmd_down and cmd_up run with sh -c, the alert's values in Healthchecks'
// placeholder names as environment variables, and nothing of the server's environment beyond
// PATH and HOME; a check name holding shell syntax is a value, never run.
func TestShellRunsCommand(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("OVERDUE_SECRET_FOR_TEST", "hunter2")
	ch := shellChannel(t, `env > '`+dir+`/down.env'`, `env > '`+dir+`/up.env'; printf '%s' "$NAME" > '`+dir+`/name'`)
	a := downAlert()
	a.Check.Name = `backup $(touch ` + dir + `/pwned); "x"`
	a.Check.Tags = "prod db"
	tr := notify.NewShell(notify.ShellConfig{})
	if err := tr.Send(t.Context(), ch, messageOf(t, a), "delivery-7"); err != nil {
		t.Fatal(err)
	}
	env := readEnv(t, filepath.Join(dir, "down.env"))
	for k, want := range map[string]string{"CODE": checkUUID, "STATUS": "down", "NOW": "2026-11-24T20:08:55Z",
		"NAME": a.Check.Name, "TAGS": "prod db", "TAG1": "prod", "TAG2": "db", "DELIVERY": "delivery-7"} {
		if env[k] != want {
			t.Errorf("$%s = %q, want %q", k, env[k], want)
		}
	}
	if _, ok := env["OVERDUE_SECRET_FOR_TEST"]; ok || env["PATH"] == "" {
		t.Errorf("environment = %v, want the server's PATH and none of its other variables", env)
	}
	if _, err := os.Stat(filepath.Join(dir, "up.env")); err == nil {
		t.Error("cmd_up ran for a down alert")
	}
	up := upAlert()
	up.Check.Name = a.Check.Name
	if err := tr.Send(t.Context(), ch, messageOf(t, up), "delivery-8"); err != nil {
		t.Fatal(err)
	}
	if env := readEnv(t, filepath.Join(dir, "up.env")); env["STATUS"] != "up" {
		t.Errorf("up: $STATUS = %q", env["STATUS"])
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "name")); string(b) != a.Check.Name {
		t.Errorf(`"$NAME" expanded to %q`, b)
	}
	if _, err := os.Stat(filepath.Join(dir, "pwned")); err == nil {
		t.Error("the check's name was run as a command")
	}
}

// TestShellOutcomes: a failing command and a command past the timeout are transient errors that
// name only the exit status (never the output); no command for the status runs nothing.
func TestShellOutcomes(t *testing.T) {
	dir := t.TempDir()
	// The commands that should finish get a minute (a loaded machine can take more than 200 ms to
	// start a shell); the slow one meets a short timeout.
	tr := notify.NewShell(notify.ShellConfig{Timeout: time.Minute})
	err := tr.Send(t.Context(), shellChannel(t, "echo the-output; echo secret-output >&2; exit 3", ""), messageOf(t, downAlert()), "d")
	if err == nil || err.Error() != "shell command exited with status 3" || notify.IsPermanent(err) {
		t.Errorf("exit 3 = %v, want a transient error with the status only", err)
	}
	start := time.Now()
	short := notify.NewShell(notify.ShellConfig{Timeout: 200 * time.Millisecond})
	err = short.Send(t.Context(), shellChannel(t, "sleep 30; sleep 30", ""), messageOf(t, downAlert()), "d")
	if err == nil || err.Error() != "shell command did not finish within 200ms and was stopped" || notify.IsPermanent(err) {
		t.Errorf("a slow command = %v", err)
	}
	// The whole process group is stopped: the second sleep never starts, and the first does not
	// run its 30 seconds out.
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("the timeout took %v to stop the command", took)
	}
	if err := tr.Send(t.Context(), shellChannel(t, "touch '"+dir+"/ran'", ""), messageOf(t, upAlert()), "d"); err != nil {
		t.Errorf("up without cmd_up = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "ran")); err == nil {
		t.Error("cmd_down ran for an up alert")
	}
}

// TestShellValue: the value is Healthchecks' {"cmd_down", "cmd_up"}; errors name the field.
func TestShellValue(t *testing.T) {
	for value, want := range map[string]string{
		`echo hi`:                        `invalid shell channel value: not a JSON object`,
		`{}`:                             `invalid shell channel value: it has no command`,
		`{"cmd_down": "", "cmd_up": ""}`: `it has no command`,
		`{"cmd_down": 3}`:                `field "cmd_down": is not a string`,
		`{"cmd_up": "` + strings.Repeat("x", 5000) + `"}`: `field "cmd_up": is longer than 4096 characters`,
	} {
		err := notify.ValidateChannel("shell", value)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ValidateChannel(%.40s) = %v, want %q", value, err, want)
		}
	}
	if err := notify.ValidateChannel("shell", `{"cmd_up": "logger up"}`); err != nil {
		t.Errorf("only cmd_up: %v", err)
	}
	if got := notify.DefaultChannelName("shell", `{"cmd_down": "curl -H 'Authorization: x' …"}`); got != "Shell command" {
		t.Errorf("default name = %q", got)
	}
}
