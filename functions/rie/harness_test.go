package rie

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// rieMissing is the failure when the emulator has not been built.
const rieMissing = "aws-lambda-rie not found at %s: `make test` builds it (or `make rie`), from the Go module proxy"

// functions are the directories under functions/ whose bootstraps the tests run.
var functions = []string{"api", "sweep", "notify", "migrate", "timer", "mailping", "reports"}

// moduleRoot is the repository's root: the directory of the go.mod `go env` reports.
var moduleRoot = sync.OnceValues(func() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("go env GOMOD: not inside the module")
	}
	return filepath.Dir(gomod), nil
})

// bootstraps builds every function once per test binary into a temporary directory, as `make
// build` does except for the architecture: the emulator runs them natively, so they are built
// for this machine's. It returns the directory; each bootstrap is named after its function.
var bootstraps = sync.OnceValues(func() (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "overdue-rie-")
	if err != nil {
		return "", err
	}
	args := []string{"build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", dir + string(filepath.Separator)}
	for _, fn := range functions {
		args = append(args, "./functions/"+fn)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+runtime.GOARCH, "CGO_ENABLED=0")
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	buildTime = time.Since(start)
	return dir, nil
})

// buildTime is how long bootstraps took (logged by the tests that use them).
var buildTime time.Duration

func TestMain(m *testing.M) {
	code := m.Run()
	if dir, err := bootstraps(); err == nil {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

// rieBinary is the emulator `make rie` builds: $OVERDUE_RIE, or .cache/bin/aws-lambda-rie in the
// repository.
func rieBinary(t *testing.T) string {
	t.Helper()
	path := os.Getenv("OVERDUE_RIE")
	if path == "" {
		root, err := moduleRoot()
		if err != nil {
			t.Fatal(err)
		}
		path = filepath.Join(root, ".cache", "bin", "aws-lambda-rie")
	}
	if fi, err := os.Stat(path); err != nil || fi.IsDir() {
		t.Fatalf(rieMissing, path)
	}
	return path
}

// emulator is one aws-lambda-rie process running one function's bootstrap: one execution
// environment, which Lambda would call an instance. The emulator starts the bootstrap at the
// first invocation (the cold start) and keeps it for every later one, so a second invocation
// reaches the same warm process.
type emulator struct {
	fn  string
	url string // the invocation endpoint
	cmd *exec.Cmd
	out *syncBuffer // the emulator's and the function's stdout and stderr
}

// startEmulator starts the emulator for fn with env as the whole environment it passes to the
// bootstrap (besides what the emulator adds: AWS_LAMBDA_RUNTIME_API and the function's name and
// version). Both the invocation endpoint and the Runtime API listen on loopback ports of their
// own, so emulators run side by side and next to other engineers' tests. The process group is
// killed when the test ends.
func startEmulator(t *testing.T, fn string, env map[string]string) *emulator {
	t.Helper()
	rie := rieBinary(t)
	dir, err := bootstraps()
	if err != nil {
		t.Fatalf("build the functions: %v", err)
	}
	invokeAddr, apiAddr := freeAddr(t), freeAddr(t)
	cmd := exec.Command(rie,
		"--runtime-interface-emulator-address", invokeAddr,
		"--runtime-api-address", apiAddr,
		"--log-level", "warn",
		filepath.Join(dir, fn))
	cmd.Dir = t.TempDir()
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"AWS_LAMBDA_FUNCTION_NAME=overdue-rie-" + fn,
		"AWS_LAMBDA_FUNCTION_TIMEOUT=60",
		"AWS_EC2_METADATA_DISABLED=true",
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	// A group of its own: the emulator starts the bootstrap as its child, and ending the test
	// ends both, by the group's ID, which is the emulator's PID.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", rie, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	e := &emulator{fn: fn, url: "http://" + invokeAddr + "/2015-03-31/functions/function/invocations", cmd: cmd, out: out}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
		if t.Failed() {
			t.Logf("%s emulator output:\n%s", fn, out.String())
		}
	})
	// Ready when the endpoint accepts connections; a deadline, not a sleep, bounds the wait.
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", invokeAddr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return e
		}
		select {
		case <-exited:
			t.Fatalf("%s emulator exited before listening on %s:\n%s", fn, invokeAddr, out.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s emulator not listening on %s after 15s:\n%s", fn, invokeAddr, out.String())
		}
	}
}

// invocation is what the emulator answered for one invocation.
type invocation struct {
	status  int
	body    []byte
	elapsed time.Duration // the round trip, cold start included on the first
}

// functionError is a function's error as the Runtime API reports it.
type functionError struct {
	Message string `json:"errorMessage"`
	Type    string `json:"errorType"`
}

// failed reports the function's error when the invocation returned one.
func (inv invocation) failed() (functionError, bool) {
	var fe functionError
	if json.Unmarshal(inv.body, &fe) != nil || fe.Type == "" {
		return fe, false
	}
	return fe, true
}

// invoke sends payload (JSON) to the function and returns the answer.
func (e *emulator) invoke(t *testing.T, payload []byte) invocation {
	t.Helper()
	start := time.Now()
	resp, err := http.Post(e.url, "application/json", bytes.NewReader(payload))
	if err != nil {
		t.Fatalf("invoke %s: %v\n%s", e.fn, err, e.out.String())
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("invoke %s: read the answer: %v", e.fn, err)
	}
	return invocation{status: resp.StatusCode, body: body, elapsed: time.Since(start)}
}

// invokeJSON sends payload to the function, wants a successful invocation, and decodes the
// function's result into out.
func (e *emulator) invokeJSON(t *testing.T, payload any, out any) invocation {
	t.Helper()
	raw, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	inv := e.invoke(t, raw)
	if inv.status != http.StatusOK {
		t.Fatalf("invoke %s: HTTP %d %s", e.fn, inv.status, inv.body)
	}
	if fe, ok := inv.failed(); ok {
		t.Fatalf("invoke %s: function error %s: %s", e.fn, fe.Type, fe.Message)
	}
	if out != nil {
		if err := json.Unmarshal(inv.body, out); err != nil {
			t.Fatalf("invoke %s: decode %s: %v", e.fn, inv.body, err)
		}
	}
	return inv
}

// bootstrapPIDs are the processes the emulator has started and that still run: after the
// first invocation, the one bootstrap of its warm instance. A restarted bootstrap (a crash, a
// failed init the emulator retried) has a new PID.
func (e *emulator) bootstrapPIDs(t *testing.T) []int {
	t.Helper()
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", e.cmd.Process.Pid))
	if err != nil || len(tasks) == 0 {
		t.Fatalf("list the children of the %s emulator (pid %d): %v", e.fn, e.cmd.Process.Pid, err)
	}
	var pids []int
	for _, f := range tasks {
		raw, err := os.ReadFile(f)
		if err != nil {
			continue // the thread ended
		}
		for _, field := range strings.Fields(string(raw)) {
			pid, err := strconv.Atoi(field)
			if err == nil && !slices.Contains(pids, pid) {
				pids = append(pids, pid)
			}
		}
	}
	slices.Sort(pids)
	return pids
}

// freeAddr returns a loopback address with a port free at the time of asking.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// syncBuffer is a bytes.Buffer that the emulator's output goroutines and the test share. A
// test that reads what a function logged waits for it (wait): the emulator answers an
// invocation as soon as the function returns, and its copy of the function's output can come
// after the answer, later still on a loaded machine.
type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	written chan struct{} // closed and replaced by every Write
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.written != nil {
		close(s.written)
		s.written = nil
	}
	return s.b.Write(p)
}

// next returns the output so far and a channel closed by the next Write.
func (s *syncBuffer) next() (string, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.written == nil {
		s.written = make(chan struct{})
	}
	return s.b.String(), s.written
}

// outputWait bounds how long a test waits for a function's output to show a line it expects.
const outputWait = 30 * time.Second

// waitOutput returns the emulator's output as soon as cond holds for it, woken by each write
// (no polling interval), and fails the test, naming what, when outputWait passes first.
func (e *emulator) waitOutput(t *testing.T, what string, cond func(out string) bool) string {
	t.Helper()
	deadline := time.NewTimer(outputWait)
	defer deadline.Stop()
	for {
		out, written := e.out.next()
		if cond(out) {
			return out
		}
		select {
		case <-written:
		case <-deadline.C:
			t.Fatalf("%s: not in the %s function's output after %v:\n%s", what, e.fn, outputWait, out)
		}
	}
}

// waitContains is waitOutput for output that contains s.
func (e *emulator) waitContains(t *testing.T, s string) string {
	t.Helper()
	return e.waitOutput(t, s, func(out string) bool { return strings.Contains(out, s) })
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Len()
}
