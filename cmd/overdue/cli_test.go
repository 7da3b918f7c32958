package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/overduehq/overdue/internal/store/sqlite"
)

// runIn runs a command line in-process and returns its exit status, stdout and stderr.
func runIn(args ...string) (int, string, string) {
	var stdout, stderr strings.Builder
	code := run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestUsageErrors(t *testing.T) {
	data := t.TempDir()
	tests := []struct {
		args []string
		want string // in the one-line error
	}{
		{nil, "missing command"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"project"}, "missing subcommand"},
		{[]string{"project", "delete"}, `unknown subcommand "delete"`},
		{[]string{"project", "create", "--data", data}, "--name is required"},
		{[]string{"project", "create", "--data", data, "--nme", "x"}, "flag provided but not defined: -nme"},
		{[]string{"project", "create", "--data", data, "--name", "x", "extra"}, `unexpected argument "extra"`},
		{[]string{"project", "create", "--data", data, "--name", "a\x1b[31mred"}, `--name: name contains a control character (U+001B at character 2); remove it`},
		{[]string{"project", "create", "--data", data, "--name", strings.Repeat("p", 201)}, `--name: name is too long (at most 200 characters)`},
		{[]string{"channel", "add", "--data", data, "--project", "p", "--kind", "email", "--value", "a@example.org", "--name", "x\x00"}, `--name: name contains a control character (U+0000 at character 2); remove it`},
		{[]string{"channel", "add", "--data", data, "--project", "p", "--kind", "email", "--value", "a@example.org", "--name", strings.Repeat("c", 101)}, `--name: name is too long (at most 100 characters)`},
		{[]string{"check", "create", "--data", data, "--name", "x"}, "--project is required"},
		{[]string{"check", "create", "--data", data, "--project", "p", "--name", "x", "--timeout", "soon"}, `invalid value "soon" for flag -timeout`},
		{[]string{"check", "create", "--data", data, "--project", "p", "--name", "x", "--timeout", "30"}, "--timeout 30s: too small"},
		{[]string{"check", "create", "--data", data, "--project", "p", "--name", "x", "--grace", "400d"}, `invalid value "400d" for flag -grace`},
		{[]string{"check", "create", "--data", data, "--project", "p", "--name", "x", "--grace", "9000h"}, "--grace 9000h0m0s: too large"},
		{[]string{"check", "create", "--data", data, "--project", "p", "--name", "x", "--timeout", "60", "--schedule", "* * * * *"}, "exclude each other"},
		{[]string{"check", "create", "--data", data, "--project", "p", "--name", "x", "--slug", "Bad Slug"}, `--slug: slug does not match pattern (lowercase letters, digits, - and _ only)`},
		{[]string{"check", "create", "--data", data, "--project", "p", "--name", "x", "--slug", strings.Repeat("s", 101)}, `--slug: slug is too long (at most 100 characters)`},
		{[]string{"check", "create", "--data", data, "--project", "p", "--name", "tab\there"}, `--name: name contains a control character (U+0009 at character 4); remove it`},
		{[]string{"check", "create", "--data", data, "--project", "p", "--name", strings.Repeat("n", 101)}, `--name: name is too long (at most 100 characters)`},
		{[]string{"check", "create", "--data", data, "--project", "p", "--name", "x", "--schedule", "* * * *"}, `--schedule "* * * *": Wrong number of fields (cron takes 5 fields`},
		{[]string{"check", "create", "--data", data, "--project", "p", "--name", "x", "--schedule", "Mon *-13-01"}, `--schedule "Mon *-13-01": Bad month`},
		{[]string{"check", "create", "--data", data, "--project", "nosuch", "--name", "x"}, "no such project"},
		{[]string{"check", "list", "--data", data}, "--project is required"},
		{[]string{"serve", "--data", data, "--heartbeat-url", "hc-ping.com/secret"}, "--heartbeat-url: want an absolute http:// or https:// URL"},
		{[]string{"serve", "--data", data, "--ping-domain", "ping.example.org"}, "--ping-domain goes with --smtp-listen ADDR"},
		{[]string{"schedule"}, "missing expression"},
		{[]string{"schedule", "-n", "0", "* * * * *"}, "-n 0"},
		{[]string{"schedule", "--tz", "Mars/Olympus", "* * * * *"}, `--tz "Mars/Olympus"`},
		{[]string{"schedule", "--after", "yesterday", "* * * * *"}, `--after "yesterday"`},
		{[]string{"schedule", "* * * * *", "0 0 * * *"}, "one expression expected"},
		{[]string{"schedule", "* * * *"}, `schedule "* * * *": Wrong number of fields (cron takes 5 fields`},
		{[]string{"schedule", "0 0 * * * * *"}, `schedule "0 0 * * * * *": Wrong number of fields (cron takes 5 fields`},
		{[]string{"schedule", "Mon *-*-* 12:00 extra"}, `schedule "Mon *-*-* 12:00 extra": Wrong number of fields (cron takes 5 fields`},
		{[]string{"schedule", ""}, `schedule "": Wrong number of fields`},
		{[]string{"serve", "--data", data, "--interval", "1ns"}, "--interval"},
		{[]string{"serve", "--data", data, "--oidc-client-id", "c"}, "go with --oidc-issuer URL"},
		{[]string{"serve", "--data", data, "--oidc-issuer", "sso.example.org"}, `--oidc-issuer "sso.example.org": want the provider's issuer URL`},
		{[]string{"serve", "--data", data, "--oidc-issuer", "https://sso.example.org"}, "--oidc-issuer needs --oidc-client-id"},
		{[]string{"serve", "--data", data, "--oidc-issuer", "https://sso.example.org", "--oidc-client-id", "c", "--oidc-client-secret-file", data + "/nosuch"}, "--oidc-client-secret-file: open"},
		{[]string{"serve", "--data", data, "--trusted-header", "X Email"}, "--trusted-header: header name \"X Email\" may hold only letters"},
		{[]string{"serve", "--data", data, "--trusted-header", "Remote-User", "--sso-domains", "a@example.org"}, `--sso-domains: email domain "a@example.org" is not a domain name`},
		{[]string{"serve", "--data", data, "--sso-create-accounts"}, "go with --oidc-issuer or --trusted-header"},
		{[]string{"check", "list", "--project", "p", "--store", "dynamodb"}, "--store dynamodb needs --table NAME"},
		{[]string{"check", "list", "--project", "p", "--store", "mysql"}, `--store "mysql": want sqlite or dynamodb`},
		{[]string{"check", "list", "--project", "p", "--table", "t"}, "--table goes with --store dynamodb"},
		{[]string{"table", "create"}, "--table is required"},
		{[]string{"table"}, "missing subcommand"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, stderr := runIn(tt.args...)
			if code != exitUsage {
				t.Errorf("exit status = %d, want %d (stderr %q)", code, exitUsage, stderr)
			}
			lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
			last := lines[len(lines)-1]
			if !strings.Contains(last, tt.want) || !strings.HasPrefix(last, "overdue: ") {
				t.Errorf("stderr last line = %q, want a one-line error containing %q", last, tt.want)
			}
		})
	}
}

func TestScheduleCommand(t *testing.T) {
	code, out, stderr := runIn("schedule", "--json", "--tz", "Europe/Riga", "--after", "2026-11-24T20:18:26Z", "-n", "3", "*/5 * * * *")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got struct{ Next []string }
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	want := []string{"2026-11-24T20:20:00Z", "2026-11-24T20:25:00Z", "2026-11-24T20:30:00Z"}
	if strings.Join(got.Next, " ") != strings.Join(want, " ") {
		t.Errorf("next = %v, want %v", got.Next, want)
	}

	// Text output shows UTC and the local time in the zone; Kyiv is UTC+2 in November.
	code, out, _ = runIn("schedule", "--tz", "Europe/Kyiv", "--after", "2026-11-24T20:18:31Z", "-n", "1", "0 0 * * *")
	if code != 0 || !strings.HasPrefix(out, "2026-11-24T22:00:00Z  2026-11-25 00:00:00 EET (Wed)") {
		t.Errorf("text output = %q", out)
	}

	// OnCalendar with a zone of its own.
	code, out, _ = runIn("schedule", "--json", "--after", "2025-10-25T23:47:00Z", "-n", "2", "12:00 America/New_York")
	if code != 0 || !strings.Contains(out, `"2025-10-26T16:00:00Z"`) || !strings.Contains(out, `"2025-10-27T16:00:00Z"`) {
		t.Errorf("OnCalendar output = %q", out)
	}

	// An invalid expression: status 2 and the reference error text on stderr.
	code, _, stderr = runIn("schedule", "1,,2 * * * *")
	if code != exitUsage || !strings.Contains(stderr, "Bad minute") {
		t.Errorf("invalid expression: exit %d stderr %q, want 2 and 'Bad minute'", code, stderr)
	}
}

func TestProjectAndCheckCommands(t *testing.T) {
	data := t.TempDir()
	code, out, stderr := runIn("project", "create", "--data", data, "--name", "Ops", "--json")
	if code != 0 {
		t.Fatalf("project create: exit %d %s", code, stderr)
	}
	var p map[string]string
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "name", "api_key", "api_key_readonly", "ping_key"} {
		if p[k] == "" {
			t.Errorf("project JSON lacks %q: %s", k, out)
		}
	}

	code, out, stderr = runIn("check", "create", "--data", data, "--project", p["id"], "--name", "backup",
		"--slug", "backup", "--schedule", "0 3 * * *", "--tz", "Europe/Kiev", "--grace", "10m", "--json")
	if code != 0 {
		t.Fatalf("check create: exit %d %s", code, stderr)
	}
	var c map[string]any
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		t.Fatal(err)
	}
	if c["schedule"] != "0 3 * * *" || c["grace"] != float64(600) || c["status"] != "new" || c["timeout"] != nil {
		t.Errorf("cron check JSON = %v", c)
	}
	if c["tz"] != "Europe/Kyiv" {
		t.Errorf("tz = %v, want the legacy name stored as Europe/Kyiv", c["tz"])
	}
	if !strings.HasSuffix(c["ping_url"].(string), "/ping/"+c["uuid"].(string)) {
		t.Errorf("ping_url = %v", c["ping_url"])
	}

	code, out, _ = runIn("check", "create", "--data", data, "--project", p["id"], "--name", "hourly", "--timeout", "1h", "--json")
	if code != 0 || !strings.Contains(out, `"timeout": 3600`) || !strings.Contains(out, `"grace": 3600`) {
		t.Errorf("simple check: exit %d %s", code, out)
	}

	code, out, _ = runIn("check", "list", "--data", data, "--project", p["id"], "--json")
	var listed struct {
		Checks []map[string]any `json:"checks"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &listed) != nil || len(listed.Checks) != 2 {
		t.Fatalf("check list: exit %d %s", code, out)
	}
	if listed.Checks[0]["name"] != "backup" || listed.Checks[1]["name"] != "hourly" {
		t.Errorf("check list order = %v, want oldest first", listed.Checks)
	}
}

func TestNewerDataIsRefused(t *testing.T) {
	data := t.TempDir()
	if code, _, stderr := runIn("project", "create", "--data", data, "--name", "x"); code != 0 {
		t.Fatalf("project create: %s", stderr)
	}
	db := filepath.Join(data, "overdue.db")
	setUserVersion(t, db, sqlite.SchemaVersion+1)
	before := fileHash(t, db)
	for _, args := range [][]string{
		{"serve", "--data", data, "--addr", "127.0.0.1:0"},
		{"check", "list", "--data", data, "--project", "x"},
	} {
		code, _, stderr := runIn(args...)
		if code != exitNewer || !strings.Contains(stderr, "newer") {
			t.Errorf("%s: exit %d stderr %q, want 3 and a message about newer data", args[0], code, stderr)
		}
	}
	if after := fileHash(t, db); after != before {
		t.Errorf("the database changed while being refused")
	}
}

func fileHash(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// setUserVersion stamps a database as written by another build.
func setUserVersion(t *testing.T, path string, v int) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// The newer build also raised the minimum reader: without that, newer data is readable.
	if _, err := db.Exec("UPDATE schema_meta SET min_reader = ?", v); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", v)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		t.Fatal(err)
	}
}

func TestSecretPersists(t *testing.T) {
	t.Setenv(secretEnv, "")
	dir := t.TempDir()
	first, err := loadSecret(dir)
	if err != nil {
		t.Fatal(err)
	}
	again, err := loadSecret(dir)
	if err != nil || string(again) != string(first) || len(first) != 64 {
		t.Fatalf("second load = %q, %v; want the same 64-character key %q", again, err, first)
	}
	info, err := os.Stat(filepath.Join(dir, "secret.key"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("secret.key mode = %v, %v; want 0600", info.Mode(), err)
	}
	t.Setenv(secretEnv, "short")
	if _, err := loadSecret(dir); err == nil {
		t.Errorf("a 5-character %s was accepted", secretEnv)
	}
	t.Setenv(secretEnv, "0123456789abcdef0123")
	if got, err := loadSecret(dir); err != nil || string(got) != "0123456789abcdef0123" {
		t.Errorf("env override = %q, %v", got, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "secret.key"), []byte("x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(secretEnv, "")
	if _, err := loadSecret(dir); err == nil || !strings.Contains(err.Error(), "restore it from a backup") {
		t.Errorf("truncated secret file: err = %v, want advice", err)
	}
}

func TestChannelCommands(t *testing.T) {
	data := t.TempDir()
	_, out, _ := runIn("project", "create", "--data", data, "--name", "Ops", "--json")
	var p map[string]string
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runIn("channel", "add", "--data", data, "--project", p["id"], "--kind", "email", "--value", "ops@example.org", "--json")
	if code != 0 {
		t.Fatalf("channel add: exit %d %s", code, stderr)
	}
	var ch map[string]string
	if err := json.Unmarshal([]byte(out), &ch); err != nil || ch["kind"] != "email" || ch["name"] != "ops@example.org" || ch["id"] == "" {
		t.Fatalf("channel JSON = %s (%v)", out, err)
	}
	for _, bad := range [][]string{
		{"--kind", "email", "--value", "not an address"},
		{"--kind", "sms", "--value", "12345"},
		{"--kind", "pager", "--value", "x"},
		{"--kind", "webhook", "--value", "ftp://example.org/hook"},
	} {
		args := append([]string{"channel", "add", "--data", data, "--project", p["id"]}, bad...)
		if code, _, stderr := runIn(args...); code != exitUsage || !strings.HasPrefix(stderr, "overdue: channel add: ") {
			t.Errorf("channel add %v: exit %d stderr %q, want 2 and a one-line reason", bad, code, stderr)
		}
	}
	// A check created afterwards through the ping API with ?create=1 gets every channel; here we
	// check the listing.
	code, out, _ = runIn("channel", "list", "--data", data, "--project", p["id"], "--json")
	var listed struct {
		Channels []map[string]string `json:"channels"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &listed) != nil || len(listed.Channels) != 1 || listed.Channels[0]["id"] != ch["id"] {
		t.Errorf("channel list = %s", out)
	}
}

// TestHelp: --help and -h on every command and subcommand print its usage on stdout and exit 0,
// before touching any data; a bad flag on the same command exits 2 with one line.
func TestHelp(t *testing.T) {
	tests := []struct {
		args []string
		want string // in stdout, beside the usage header
	}{
		{[]string{"serve"}, "-smtp-host"},
		{[]string{"project"}, "project create --name NAME"},
		{[]string{"project", "create"}, "-name"},
		{[]string{"project", "members"}, "-project"},
		{[]string{"user"}, "user reset-password --email E"},
		{[]string{"user", "create"}, "-password-stdin"},
		{[]string{"user", "list"}, "-json"},
		{[]string{"user", "reset-password"}, "-email"},
		{[]string{"check"}, "check list --project ID"},
		{[]string{"check", "create"}, "-site-root"},
		{[]string{"check", "list"}, "-project"},
		{[]string{"channel"}, "channel add --project ID"},
		{[]string{"channel", "add"}, "-kind"},
		{[]string{"channel", "list"}, "-project"},
		{[]string{"maintenance"}, "maintenance list --project ID"},
		{[]string{"maintenance", "add"}, "-schedule"},
		{[]string{"maintenance", "list"}, "-project"},
		{[]string{"maintenance", "delete"}, "-id"},
		{[]string{"table"}, "table create --table NAME"},
		{[]string{"table", "create"}, "-table"},
		{[]string{"migrate"}, "migrate up [--dry-run]"},
		{[]string{"migrate", "status"}, "-json"},
		{[]string{"migrate", "up"}, "-dry-run"},
		{[]string{"schedule"}, "-after"},
		{[]string{"export"}, "-out"},
		{[]string{"import"}, "import overdue [--dry-run] [--merge-people] FILE"},
		{[]string{"import", "overdue"}, "-dry-run"},
		{[]string{"import", "healthchecks"}, "-api-key"},
		{[]string{"version"}, "print the build's version"},
	}
	for _, tt := range tests {
		for _, flag := range []string{"--help", "-h"} {
			name := strings.Join(append(tt.args, flag), " ")
			t.Run(name, func(t *testing.T) {
				data := filepath.Join(t.TempDir(), "data")
				args := append(append([]string{}, tt.args...), flag)
				if (len(tt.args) == 2 && tt.args[0] != "table") || tt.args[0] == "serve" {
					// Flags before the help flag must not be acted on either.
					args = append(append(append([]string{}, tt.args...), "--data", data), flag)
				}
				code, stdout, stderr := runIn(args...)
				if code != exitOK || stderr != "" {
					t.Fatalf("exit %d, stderr %q; want 0 and nothing on stderr", code, stderr)
				}
				header := "usage of overdue " + strings.Join(tt.args, " ") + ":\n"
				if !strings.HasPrefix(stdout, header) || !strings.Contains(stdout, tt.want) {
					t.Errorf("stdout = %q, want it to start with %q and contain %q", stdout, header, tt.want)
				}
				if _, err := os.Stat(data); !os.IsNotExist(err) {
					t.Errorf("help created %s (stat: %v)", data, err)
				}
			})
		}
		t.Run(strings.Join(tt.args, " ")+" --bogus", func(t *testing.T) {
			code, stdout, stderr := runIn(append(append([]string{}, tt.args...), "--bogus")...)
			if code != exitUsage || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "bogus") {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2 and one line naming --bogus", code, stdout, stderr)
			}
		})
	}
	// `overdue help` alone and `overdue help <command>`.
	if code, stdout, _ := runIn("help"); code != exitOK || stdout != usageText {
		t.Errorf("overdue help = %d %q, want 0 and the command list", code, stdout)
	}
	if code, stdout, _ := runIn("help", "check", "create"); code != exitOK || !strings.HasPrefix(stdout, "usage of overdue check create:") {
		t.Errorf("overdue help check create = %d %q, want the usage of check create", code, stdout)
	}
}

// TestBadArgumentsCreateNothing: a command refused for its arguments leaves no data directory
// or database behind.
func TestBadArgumentsCreateNothing(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	tests := [][]string{
		{"check", "list", "--project", "nope"},
		{"check", "create", "--project", "nope", "--name", "x"},
		{"check", "create", "--project", "nope", "--name", "x", "--site-root", "localhost:9000"},
		{"check", "list", "--project", "nope", "--site-root", "ftp://x"},
		{"channel", "add", "--project", "nope", "--kind", "email", "--value", "ops@example.org"},
		{"channel", "add", "--project", "nope", "--kind", "webhook", "--value", "http://127.0.0.1:1/hook"},
		{"channel", "list", "--project", "nope"},
		{"project", "create", "--name", " "},
		{"serve", "--addr", "no-such-host.invalid:1"},
		{"serve", "--addr", "127.0.0.1:0", "--smtp-host", "mail.example.org", "--email-from", "not an address"},
		{"serve", "--addr", "127.0.0.1:0", "--site-root", "example.org"},
		{"migrate", "up", "--data", data, "--store", "mysql"},
		{"user", "create"},
		{"user", "create", "--email", "not an address"},
		{"user", "create", "--email", "a@example.org", "--name", "tab\there"},
		{"user", "create", "--email", "a@example.org", "--role", "owner"},
		{"user", "create", "--email", "a@example.org", "--project", "nope"},
		{"user", "create", "--email", "a@example.org", "--project", "nope", "--role", "admin"},
		{"user", "create", "--email", "a@example.org", "--project", "nope", "--role", "owner"},
		{"user", "create", "--email", "a@example.org", "--password-stdin"}, // nothing on stdin: too short
		{"user", "create", "--email", "a@example.org", "--site-root", "example.org"},
		{"user", "list"},
		{"user", "list", "extra"},
		{"user", "reset-password"},
		{"user", "reset-password", "--email", "a@example.org"},
		{"user", "delete"},
		{"project", "members"},
		{"project", "members", "--project", "nope"},
	}
	for _, args := range tests {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			args := append(append([]string{}, args...), "--data", data)
			code, _, stderr := runIn(args...)
			if code != exitUsage {
				t.Errorf("exit %d (stderr %q), want 2", code, stderr)
			}
			if _, err := os.Stat(data); !os.IsNotExist(err) {
				t.Fatalf("%s exists after a refused command (stat: %v)", data, err)
			}
		})
	}
	// A command that only reads says what is missing.
	_, _, stderr := runIn("check", "list", "--project", "nope", "--data", data)
	if !strings.Contains(stderr, "no such project: there is no database in "+data) {
		t.Errorf("stderr = %q, want it to say there is no database", stderr)
	}
}

// TestCheckCreateSiteRoot: the ping URL check create prints uses --site-root, else the site
// root the last serve recorded in the data directory, else serve's default; whenever it was not
// given, a note on stderr says which one and how to change it.
func TestCheckCreateSiteRoot(t *testing.T) {
	data := t.TempDir()
	_, out, _ := runIn("project", "create", "--data", data, "--name", "Ops", "--json")
	var p projectOutput
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	create := func(extra ...string) (checkOutput, string) {
		t.Helper()
		args := append([]string{"check", "create", "--data", data, "--project", p.ID, "--name", "n", "--json"}, extra...)
		code, out, stderr := runIn(args...)
		var c checkOutput
		if code != 0 || json.Unmarshal([]byte(out), &c) != nil {
			t.Fatalf("check create %v: exit %d, %q %q", extra, code, out, stderr)
		}
		return c, stderr
	}

	c, stderr := create()
	if want := "http://127.0.0.1:8000/ping/" + c.UUID; c.PingURL != want {
		t.Errorf("default ping_url = %s, want %s (serve's default --addr)", c.PingURL, want)
	}
	if !strings.Contains(stderr, "assume http://127.0.0.1:8000") || !strings.Contains(stderr, "--site-root") {
		t.Errorf("stderr = %q, want a note naming the assumed site root and --site-root", stderr)
	}

	c, stderr = create("--site-root", "https://hc.example.org/")
	if want := "https://hc.example.org/ping/" + c.UUID; c.PingURL != want || stderr != "" {
		t.Errorf("ping_url = %s, stderr %q; want %s and no note", c.PingURL, stderr, want)
	}

	recordServe(data, serveRecord{SiteRoot: "http://10.0.0.5:9000", Store: "sqlite"}, nil)
	c, stderr = create()
	if want := "http://10.0.0.5:9000/ping/" + c.UUID; c.PingURL != want {
		t.Errorf("ping_url = %s, want %s (the recorded site root)", c.PingURL, want)
	}
	if !strings.Contains(stderr, filepath.Join(data, "serve.json")) {
		t.Errorf("stderr = %q, want a note saying where the site root came from", stderr)
	}

	// A record of a server on another store does not apply.
	recordServe(data, serveRecord{SiteRoot: "http://10.0.0.5:9000", Store: "dynamodb", Table: "t"}, nil)
	if c, _ = create(); !strings.HasPrefix(c.PingURL, "http://127.0.0.1:8000/") {
		t.Errorf("ping_url = %s, want the default: the record is of a DynamoDB table", c.PingURL)
	}
}

// TestChannelAddWarns: channel add says on stderr when the server cannot deliver the kind, and
// only then.
func TestChannelAddWarns(t *testing.T) {
	data := t.TempDir()
	_, out, _ := runIn("project", "create", "--data", data, "--name", "Ops", "--json")
	var p projectOutput
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	add := func(kind, value string) string {
		t.Helper()
		code, _, stderr := runIn("channel", "add", "--data", data, "--project", p.ID, "--kind", kind, "--value", value)
		if code != 0 {
			t.Fatalf("channel add %s: exit %d %q", kind, code, stderr)
		}
		return stderr
	}
	// No server has run here yet: what serve needs for email.
	if stderr := add("email", "ops@example.org"); !strings.Contains(stderr, "--smtp-host") {
		t.Errorf("email before any serve: stderr %q, want a note naming --smtp-host", stderr)
	}
	const reason = "this server cannot deliver sms channels: start overdue serve with --aws (SNS) and --email-from ADDRESS"
	recordServe(data, serveRecord{SiteRoot: "http://127.0.0.1:8000", Store: "sqlite",
		Undeliverable: map[string]string{"sms": reason}}, nil)
	if stderr := add("sms", "+14155550100"); strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, reason) {
		t.Errorf("sms on a server without SNS: stderr %q, want one line with the reason", stderr)
	}
	if stderr := add("email", "ops@example.org"); stderr != "" {
		t.Errorf("email on a server that delivers it: stderr %q, want nothing", stderr)
	}
	if stderr := add("webhook", "http://127.0.0.1:1/hook"); stderr != "" {
		t.Errorf("webhook: stderr %q, want nothing", stderr)
	}
}

// TestChannelListHidesSecrets: `channel list` shows a hint of a key-bearing value, never the
// value; addresses show whole; a group is checked against the project's channels.
func TestChannelListHidesSecrets(t *testing.T) {
	data := t.TempDir()
	_, out, _ := runIn("project", "create", "--data", data, "--name", "Ops", "--json")
	var p map[string]string
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	const hook = "https://hooks.slack.com/services/T0/B0/SECRETKEYa1b2"
	_, out, _ = runIn("channel", "add", "--data", data, "--project", p["id"], "--kind", "slack", "--value", hook, "--json")
	var slack map[string]string
	if err := json.Unmarshal([]byte(out), &slack); err != nil {
		t.Fatalf("channel add slack = %s", out)
	}
	runIn("channel", "add", "--data", data, "--project", p["id"], "--kind", "email", "--value", "ops@example.org")
	if code, _, stderr := runIn("channel", "add", "--data", data, "--project", p["id"], "--kind", "group",
		"--value", "c0000000-0000-4000-8000-000000000099"); code != exitUsage || !strings.Contains(stderr, "is not a channel of this project") {
		t.Errorf("group of an unknown channel: exit %d %q, want 2 naming the target", code, stderr)
	}
	if code, _, stderr := runIn("channel", "add", "--data", data, "--project", p["id"], "--kind", "group", "--value", slack["id"]); code != 0 {
		t.Errorf("group of the slack channel: exit %d %s", code, stderr)
	}
	for _, args := range [][]string{{}, {"--json"}} {
		code, out, _ := runIn(append([]string{"channel", "list", "--data", data, "--project", p["id"]}, args...)...)
		if code != 0 || strings.Contains(out, "SECRETKEY") || !strings.Contains(out, "…a1b2") ||
			!strings.Contains(out, "ops@example.org") || !strings.Contains(out, slack["id"]) {
			t.Errorf("channel list %v = %s, want the slack value as …a1b2, the address whole", args, out)
		}
	}
}

// TestChannelValuesSealedOnDisk: channels added through the CLI keep no value in clear text in
// any file of the data directory; the listing shows only a hint; and with the data directory's
// secret.key replaced, the listing fails naming the cause, without the value.
func TestChannelValuesSealedOnDisk(t *testing.T) {
	data := t.TempDir()
	_, out, _ := runIn("project", "create", "--data", data, "--name", "Ops", "--json")
	var p map[string]string
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	const token = "xoxbSeCrEtToKeN0042"
	hook := "https://hooks.slack.com/services/T000/B000/" + token
	if code, _, stderr := runIn("channel", "add", "--data", data, "--project", p["id"], "--kind", "slack", "--value", hook); code != 0 {
		t.Fatalf("channel add: exit %d %s", code, stderr)
	}
	code, out, _ := runIn("channel", "list", "--data", data, "--project", p["id"])
	if code != 0 || strings.Contains(out, token) || !strings.Contains(out, "…0042") {
		t.Errorf("channel list = %d %q, want the hint …0042 and not the token", code, out)
	}
	files, err := os.ReadDir(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(data, f.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), token) {
			t.Errorf("%s holds the channel's token in clear text", f.Name())
		}
	}
	if err := os.WriteFile(filepath.Join(data, "secret.key"), []byte(strings.Repeat("ab", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runIn("channel", "list", "--data", data, "--project", p["id"])
	if code == 0 || !strings.Contains(stderr, "sealed under another server secret") || strings.Contains(stderr, token) {
		t.Errorf("channel list under another secret = exit %d %q, want a failure naming the cause", code, stderr)
	}
}

// TestChannelUpdateCommand: `channel update` renames and changes a value, validating it for the
// channel's kind and naming the flag at fault; a value re-enables the channel; the listing shows
// only the new value's hint.
func TestChannelUpdateCommand(t *testing.T) {
	data := t.TempDir()
	_, out, _ := runIn("project", "create", "--data", data, "--name", "Ops", "--json")
	var p map[string]string
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	_, out, _ = runIn("channel", "add", "--data", data, "--project", p["id"], "--kind", "pd", "--value", "oLdInTeGrAtIoNkEy0001", "--json")
	var ch map[string]string
	if err := json.Unmarshal([]byte(out), &ch); err != nil {
		t.Fatalf("channel add: %s (%v)", out, err)
	}
	base := []string{"channel", "update", "--data", data, "--project", p["id"]}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--name", "x"}, "--id is required"},
		{[]string{"--id", ch["id"]}, "nothing to change"},
		{[]string{"--id", "e0000000-0000-4000-8000-000000000009", "--name", "x"}, "--id: project " + p["id"] + " has no channel"},
		{[]string{"--id", ch["id"], "--value", `{"service_key": ""}`}, `--value: invalid pd channel value: field "service_key"`},
	} {
		code, _, stderr := runIn(append(base, tc.args...)...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("channel update %v = exit %d %q, want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
	code, out, stderr := runIn(append(base, "--id", ch["id"], "--name", "Pager", "--value", "nEwInTeGrAtIoNkEy0002", "--json")...)
	if code != 0 {
		t.Fatalf("channel update: exit %d %s", code, stderr)
	}
	var got map[string]string
	if err := json.Unmarshal([]byte(out), &got); err != nil || got["name"] != "Pager" || got["value"] != "…0002" || got["kind"] != "pd" {
		t.Errorf("channel update printed %s (%v), want name Pager and the hint …0002", out, err)
	}
	_, out, _ = runIn("channel", "list", "--data", data, "--project", p["id"])
	if !strings.Contains(out, "Pager") || !strings.Contains(out, "…0002") || strings.Contains(out, "0001") {
		t.Errorf("channel list after the update = %q", out)
	}
}

// TestCheckCreateIssue16Rules: check create takes --depends-on (checks of the project only),
// --failure-rate and --flapping, and prints them as the v3 API does.
func TestCheckCreateIssue16Rules(t *testing.T) {
	data := t.TempDir()
	_, out, _ := runIn("project", "create", "--data", data, "--name", "Ops", "--json")
	var p projectOutput
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	create := func(extra ...string) (int, checkOutput, string) {
		t.Helper()
		args := append([]string{"check", "create", "--data", data, "--project", p.ID, "--name", "n", "--json", "--site-root", "http://x"}, extra...)
		code, out, stderr := runIn(args...)
		var c checkOutput
		if code == 0 {
			if err := json.Unmarshal([]byte(out), &c); err != nil {
				t.Fatalf("check create %v: %q: %v", extra, out, err)
			}
		}
		return code, c, stderr
	}
	_, parent, _ := create()
	code, c, stderr := create("--depends-on", strings.ToUpper(parent.UUID), "--failure-rate", "3/60", "--flapping", "4/30")
	if code != 0 {
		t.Fatalf("create with rules: exit %d %s", code, stderr)
	}
	if len(c.DependsOn) != 1 || c.DependsOn[0] != parent.UUID || c.FailureRate["failures"] != 3 || c.FailureRate["minutes"] != 60 ||
		c.Flapping["changes"] != 4 || c.Flapping["minutes"] != 30 {
		t.Errorf("created = %+v", c.ruleOutput)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--depends-on", "00000000-0000-4000-8000-000000000000"}, "--depends-on 00000000-0000-4000-8000-000000000000: not a check of project " + p.ID},
		{[]string{"--failure-rate", "3"}, `--failure-rate "3": want COUNT/MINUTES, such as 3/60`},
		{[]string{"--failure-rate", "3/60", "--failure-tolerance", "2"}, "--failure-rate: failure_rate and failure_tolerance exclude each other"},
		{[]string{"--flapping", "0/60"}, "--flapping: flapping has changes out of range"},
	} {
		if code, _, stderr := create(tt.args...); code == 0 || !strings.Contains(stderr, tt.want) {
			t.Errorf("create %v: exit %d %q, want a refusal containing %q", tt.args, code, stderr, tt.want)
		}
	}
}
