// Package scripts holds the tests of the developer scripts in this folder; the scripts themselves
// are bash.
package scripts

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// installs is what prereqs.sh must tell a newcomer to run for each tool it checks.
var installs = map[string]string{
	"go":          "https://go.dev/dl/",
	"git":         "apt-get install git",
	"curl":        "apt-get install curl",
	"python3":     "apt-get install python3",
	"node":        "apt-get install nodejs npm",
	"npm":         "apt-get install nodejs npm",
	"moto_server": "pip install 'moto[server]'",
	"cfn-lint":    "pip install cfn-lint",
	"aws":         "pip install awscli",
}

// stubs writes a stand-in for each tool into a new folder, which becomes the whole PATH: go and
// node answer the version questions with the given output and status, the others do nothing.
func stubs(t *testing.T, tools []string, goOut string, goStatus int, nodeOut string) string {
	t.Helper()
	dir := t.TempDir()
	for _, tool := range tools {
		body := "exit 0\n"
		switch tool {
		case "go":
			body = "echo '" + goOut + "'\nexit " + strconv.Itoa(goStatus) + "\n"
		case "node":
			body = "echo '" + nodeOut + "'\n"
		}
		if err := os.WriteFile(filepath.Join(dir, tool), []byte("#!/bin/sh\n"+body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// runPrereqs runs prereqs.sh with only dir on PATH and returns its exit status and stderr lines.
func runPrereqs(t *testing.T, dir string, args ...string) (int, []string) {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatalf("bash: %v", err)
	}
	cmd := exec.Command(bash, append([]string{"./prereqs.sh"}, args...)...)
	cmd.Env = []string{"PATH=" + dir, "HOME=" + t.TempDir()}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if len(out) > 0 {
		t.Errorf("stdout = %q, want nothing (messages go to stderr)", out)
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run prereqs.sh: %v", err)
	}
	var lines []string
	if s := strings.TrimRight(stderr.String(), "\n"); s != "" {
		lines = strings.Split(s, "\n")
	}
	return code, lines
}

func allTools() []string {
	return []string{"go", "git", "curl", "python3", "node", "npm", "moto_server", "cfn-lint", "aws"}
}

func TestPrereqsAllPresent(t *testing.T) {
	dir := stubs(t, allTools(), "go1.26.8", 0, "v20.20.2")
	if code, lines := runPrereqs(t, dir); code != 0 || len(lines) != 0 {
		t.Errorf("exit %d, stderr %q; want 0 and nothing", code, lines)
	}
}

func TestPrereqsOneMissing(t *testing.T) {
	for _, missing := range allTools() {
		t.Run(missing, func(t *testing.T) {
			var present []string
			for _, tool := range allTools() {
				if tool != missing {
					present = append(present, tool)
				}
			}
			code, lines := runPrereqs(t, stubs(t, present, "go1.26.8", 0, "v20.20.2"))
			if code != 1 || len(lines) != 1 {
				t.Fatalf("exit %d, stderr %q; want 1 and one line", code, lines)
			}
			want := "prereqs: " + missing + " not found ("
			if !strings.HasPrefix(lines[0], want) || !strings.Contains(lines[0], "install it with: "+installs[missing]) {
				t.Errorf("line = %q, want %q… naming %q", lines[0], want, installs[missing])
			}
		})
	}
}

func TestPrereqsNothingOnPath(t *testing.T) {
	code, lines := runPrereqs(t, t.TempDir())
	if code != 1 || len(lines) != len(allTools()) {
		t.Fatalf("exit %d, %d lines %q; want 1 and one line per tool", code, len(lines), lines)
	}
	for i, tool := range allTools() {
		if !strings.HasPrefix(lines[i], "prereqs: "+tool+" not found") || !strings.Contains(lines[i], installs[tool]) {
			t.Errorf("line %d = %q, want %s not found with %q", i+1, lines[i], tool, installs[tool])
		}
	}
}

func TestPrereqsVersions(t *testing.T) {
	tests := []struct {
		name            string
		goOut           string
		goStatus        int
		nodeOut         string
		want            string // the one line's start, "" for none
		wantAlsoInstall string
	}{
		{"node 16", "go1.26.8", 0, "v16.20.2", "prereqs: node is v16.20.2; the CDK CLI needs Node 18 or newer", installs["node"]},
		{"node 18", "go1.26.8", 0, "v18.19.0", "", ""},
		{"go that cannot switch toolchains", "go: go.mod requires go >= 1.26.0 (running go 1.22.2; GOTOOLCHAIN=local)", 1, "v20.20.2",
			"prereqs: go cannot build this module: go: go.mod requires go >= 1.26.0 (running go 1.22.2; GOTOOLCHAIN=local)", installs["go"]},
		{"go older than go.mod", "go1.25.3", 0, "v20.20.2", "prereqs: go is go1.25.3; go.mod needs Go ", installs["go"]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, lines := runPrereqs(t, stubs(t, allTools(), tt.goOut, tt.goStatus, tt.nodeOut))
			if tt.want == "" {
				if code != 0 || len(lines) != 0 {
					t.Errorf("exit %d, stderr %q; want 0 and nothing", code, lines)
				}
				return
			}
			if code != 1 || len(lines) != 1 {
				t.Fatalf("exit %d, stderr %q; want 1 and one line", code, lines)
			}
			if !strings.HasPrefix(lines[0], tt.want) || !strings.Contains(lines[0], tt.wantAlsoInstall) {
				t.Errorf("line = %q, want %q… naming %q", lines[0], tt.want, tt.wantAlsoInstall)
			}
		})
	}
}

// TestPrereqsNamedTools is how scripts/with-moto.sh uses it: only the tools named are checked.
func TestPrereqsNamedTools(t *testing.T) {
	dir := stubs(t, []string{"curl"}, "", 0, "")
	code, lines := runPrereqs(t, dir, "moto_server", "curl", "python3")
	if code != 1 || len(lines) != 2 ||
		!strings.HasPrefix(lines[0], "prereqs: moto_server not found") || !strings.HasPrefix(lines[1], "prereqs: python3 not found") {
		t.Errorf("exit %d, stderr %q; want 1 and a line each for moto_server and python3", code, lines)
	}
}
