package scripts

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoBinaries: no-binaries.sh passes a repository of small text files and refuses one that
// tracks a compiled program (ELF) or a file over 1 MiB, naming each and how to untrack it;
// untracked binaries beside it (a local build) are not its business.
func TestNoBinaries(t *testing.T) {
	script, err := os.ReadFile("no-binaries.sh")
	if err != nil {
		t.Fatal(err)
	}
	repo := t.TempDir()
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", repo, "-c", "user.email=t@example.com", "-c", "user.name=t"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	write := func(name string, data []byte) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(repo, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(repo, name), data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	run := func() (int, string) {
		t.Helper()
		cmd := exec.Command("bash", filepath.Join(repo, "scripts", "no-binaries.sh"))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), stderr.String()
		} else if err != nil {
			t.Fatal(err)
		}
		return 0, stderr.String()
	}
	git("init", "-q")
	write("scripts/no-binaries.sh", script)
	write("main.go", []byte("package main\n"))
	write("timer", append([]byte{0x7f, 'E', 'L', 'F'}, make([]byte, 64)...)) // built, not tracked
	git("add", "scripts/no-binaries.sh", "main.go")
	if code, out := run(); code != 0 {
		t.Fatalf("a repository of text files: exit %d, %s", code, out)
	}

	git("add", "timer")
	write("big.jsonl", bytes.Repeat([]byte("x"), 1<<20+1))
	git("add", "big.jsonl")
	code, out := run()
	if code != 1 {
		t.Errorf("tracked ELF and 1 MiB+1 file: exit %d, want 1", code)
	}
	for _, want := range []string{"tracked file timer", "git rm --cached 'timer'", "tracked file big.jsonl", "(1048577 bytes)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output %q lacks %q", out, want)
		}
	}
}
