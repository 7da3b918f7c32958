package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary builds the overdue command once for the end-to-end tests.
var binary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "overdue-e2e-")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "overdue")
	out, err := exec.Command("go", "build", "-o", path, ".").CombinedOutput()
	if err != nil {
		return "", &buildError{out: string(out), err: err}
	}
	return path, nil
})

type buildError struct {
	out string
	err error
}

func (e *buildError) Error() string { return e.err.Error() + ": " + e.out }

func TestMain(m *testing.M) {
	code := m.Run()
	if path, err := binary(); err == nil {
		os.RemoveAll(filepath.Dir(path))
	}
	os.Exit(code)
}

// server is a running `overdue serve` whose stdout lines arrive on lines.
type server struct {
	cmd   *exec.Cmd
	lines chan string
	seen  []string
}

// waitFor returns the first stdout line (from now on) matching re, failing the test after a
// generous deadline. Waiting here is for another process's output, not for time to pass.
func (s *server) waitFor(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case line, ok := <-s.lines:
			if !ok {
				t.Fatalf("server exited before printing %q; output:\n%s", re, strings.Join(s.seen, "\n"))
			}
			s.seen = append(s.seen, line)
			if m := re.FindStringSubmatch(line); m != nil {
				return m
			}
		case <-deadline:
			t.Fatalf("no line matching %q within 20s; output:\n%s", re, strings.Join(s.seen, "\n"))
		}
	}
}

func startServer(t *testing.T, dataDir string, extra ...string) *server {
	t.Helper()
	bin, err := binary()
	if err != nil {
		t.Fatalf("build overdue: %v", err)
	}
	args := append([]string{"serve", "--data", dataDir, "--addr", "127.0.0.1:0", "--interval", "100ms"}, extra...)
	// The last --data wins, so extra may name the store.
	cmd := exec.Command(bin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, lines: make(chan string, 1000)}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
		close(s.lines)
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
	return s
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServeEndToEnd(t *testing.T) {
	dataDir := t.TempDir()
	testServeEndToEnd(t, dataDir, []string{"--data", dataDir})
}

// TestServeEndToEndDynamoDB runs the same scenario with `serve --store dynamodb` on moto.
func TestServeEndToEndDynamoDB(t *testing.T) {
	if os.Getenv("OVERDUE_MOTO_URL") == "" {
		t.Fatal("moto_server is not running: run the tests with 'make test' (which starts it), or install it with pip install 'moto[server]'")
	}
	table := fmt.Sprintf("overdue-e2e-%d", time.Now().UnixNano())
	out := runCLI(t, "table", "create", "--table", table)
	if !strings.Contains(out, table) {
		t.Fatalf("table create printed %q", out)
	}
	testServeEndToEnd(t, t.TempDir(), []string{"--store", "dynamodb", "--table", table})
}

// testServeEndToEnd starts `overdue serve` with storeArgs and drives it over HTTP. dataDir holds
// the signing secret (and the SQLite database when storeArgs choose it).
func testServeEndToEnd(t *testing.T, dataDir string, storeArgs []string) {
	s := startServer(t, dataDir, storeArgs...)

	// First start: a Default project, its keys and a ping URL to try.
	id := s.waitFor(t, regexp.MustCompile(`^\s+id:\s+(\S+)$`))[1]
	apiKey := s.waitFor(t, regexp.MustCompile(`^\s+API key:\s+(hcw_\w{28})$`))[1]
	roKey := s.waitFor(t, regexp.MustCompile(`^\s+read-only API key:\s+(hcr_\w{28})$`))[1]
	pingKey := s.waitFor(t, regexp.MustCompile(`^\s+ping key:\s+(\w{22})$`))[1]
	m := s.waitFor(t, regexp.MustCompile(`curl -fsS (http://127\.0\.0\.1:\d+)/ping/([0-9a-f-]{36})$`))
	base, checkID := m[1], m[2]
	s.waitFor(t, regexp.MustCompile(`^listening on `+regexp.QuoteMeta(base)+`$`))

	// The keys are stored only as hashes.
	if storeArgs[0] == "--data" {
		db, err := os.ReadFile(filepath.Join(dataDir, "overdue.db"))
		if err != nil {
			t.Fatal(err)
		}
		wal, _ := os.ReadFile(filepath.Join(dataDir, "overdue.db-wal"))
		for _, secret := range []string{apiKey, pingKey} {
			if strings.Contains(string(db)+string(wal), secret) {
				t.Errorf("a key is stored in plain text in the database")
			}
		}
	}

	if code, body := get(t, base+"/ping/"+checkID); code != 200 || body != "OK" {
		t.Fatalf("GET /ping/<uuid> = %d %q, want 200 OK", code, body)
	}
	if code, body := get(t, base+"/ping/"+pingKey+"/example/start"); code != 200 || body != "OK" {
		t.Fatalf("GET /ping/<key>/example/start = %d %q, want 200 OK", code, body)
	}
	if code, body := get(t, base+"/ping/"+pingKey+"/nightly?create=1"); code != 201 || body != "Created" {
		t.Fatalf("auto-provision = %d %q, want 201 Created", code, body)
	}
	if code, body := get(t, base+"/ping/"+checkID+"/256"); code != 400 || body != "invalid url format" {
		t.Errorf("exit status 256 = %d %q, want 400", code, body)
	}

	// A failure signal flips the check down; the console notifier prints the alert once.
	resp, err := http.Post(base+"/ping/"+checkID+"/fail", "text/plain", strings.NewReader("disk full"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	s.waitFor(t, regexp.MustCompile(`^DOWN \| example$`))
	s.waitFor(t, regexp.MustCompile(`^Reason: received a failure signal\.$`))

	// The CLI reads the same store while the server runs.
	out := runCLI(t, append([]string{"check", "list", "--project", id, "--json"}, storeArgs...)...)
	var listed struct {
		Checks []map[string]any `json:"checks"`
	}
	if err := json.Unmarshal([]byte(out), &listed); err != nil {
		t.Fatalf("check list --json: %v\n%s", err, out)
	}
	byName := map[string]map[string]any{}
	for _, c := range listed.Checks {
		byName[c["name"].(string)] = c
	}
	ex := byName["example"]
	if ex == nil || ex["n_pings"] != float64(3) || ex["status"] != "down" || ex["uuid"] != checkID {
		t.Errorf("example check = %v, want 3 pings (success, start, fail; /256 records nothing) and status down", ex)
	}
	if byName["nightly"] == nil || byName["nightly"]["n_pings"] != float64(1) {
		t.Errorf("auto-provisioned check = %v, want one ping", byName["nightly"])
	}

	// The management API, badges and metrics answer through the same server.
	req, _ := http.NewRequest("GET", base+"/api/v3/checks/"+checkID, nil)
	req.Header.Set("X-Api-Key", apiKey)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if resp.StatusCode != 200 || got["status"] != "down" || got["n_pings"] != float64(3) {
		t.Errorf("GET /api/v3/checks/<uuid> = %d %v", resp.StatusCode, got)
	}
	req, _ = http.NewRequest("GET", base+"/api/v3/badges/", nil)
	req.Header.Set("X-Api-Key", roKey)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var badges struct {
		Badges map[string]map[string]string `json:"badges"`
	}
	json.NewDecoder(resp.Body).Decode(&badges)
	resp.Body.Close()
	if all := badges.Badges["*"]; all == nil || all["svg"] == "" {
		t.Fatalf("badge listing = %v", badges)
	}
	if code, body := get(t, badges.Badges["*"]["json"]); code != 200 || !strings.Contains(body, `"down"`) {
		t.Errorf("project badge JSON = %d %q, want 200 and status down", code, body)
	}
	if code, body := get(t, base+"/projects/"+id+"/metrics/"+roKey); code != 200 || !strings.Contains(body, "hc_checks_down_total 1") {
		t.Errorf("metrics = %d %q", code, body)
	}

	// SIGTERM stops the server cleanly.
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve exited with %v after SIGTERM, want status 0", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop within 20s of SIGTERM")
	}
}

// TestServeHeartbeat: with --heartbeat-url, serve pings the URL (GET) after a successful sweep;
// that it pings at most once a minute is internal/sweep's TestHeartbeat, on an injected clock.
func TestServeHeartbeat(t *testing.T) {
	hits := make(chan string, 100)
	monitor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits <- r.Method + " " + r.URL.Path
	}))
	defer monitor.Close()
	startServer(t, t.TempDir(), "--heartbeat-url", monitor.URL+"/ping/outside-uuid")
	select {
	case got := <-hits:
		if got != "GET /ping/outside-uuid" {
			t.Errorf("heartbeat = %s, want GET /ping/outside-uuid", got)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no heartbeat within 20s of start")
	}
}

func TestServeSecondStartKeepsProject(t *testing.T) {
	dataDir := t.TempDir()
	out := runCLI(t, "project", "create", "--data", dataDir, "--name", "Ops", "--json")
	var p projectOutput
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, dataDir)
	s.waitFor(t, regexp.MustCompile(`^listening on `))
	for _, line := range s.seen {
		if strings.Contains(line, "First start") {
			t.Errorf("serve created a Default project in a data dir that already had one")
		}
	}
}

// runCLI runs the built binary and returns its stdout, failing on a non-zero exit.
func runCLI(t *testing.T, args ...string) string {
	t.Helper()
	bin, err := binary()
	if err != nil {
		t.Fatalf("build overdue: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("overdue %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}
