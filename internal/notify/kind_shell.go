package notify

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/overduehq/overdue/internal/check"
)

// ChannelShell is the kind of a channel that runs a command on the server's host: Healthchecks'
// "shell" integration. Only `overdue serve` delivers it, and only when its operator enables it
// (NewShell); everywhere else its alerts are parked with ShellUndeliverable.
const ChannelShell = "shell"

// ShellUndeliverable is why a shell channel cannot be delivered where no shell transport exists.
const ShellUndeliverable = "shell channels run a command on the server's host: only overdue serve started with --shell-channels runs them (never on AWS)"

// DefaultShellTimeout bounds a shell channel's command when ShellConfig gives no timeout.
const DefaultShellTimeout = 30 * time.Second

// maxShellCommand bounds each command of a shell channel's value.
const maxShellCommand = 4096

// ShellConfig configures the shell transport.
type ShellConfig struct {
	// Timeout bounds one command; zero means DefaultShellTimeout. A command still running then is
	// killed, with its process group, and the delivery is retried.
	Timeout time.Duration
}

// NewShell returns the transport for shell channels: it runs the channel's cmd_down or cmd_up with
// /bin/sh -c. The alert's values are passed as environment variables named as Healthchecks'
// placeholders (CODE, STATUS, NOW, NAME, TAGS, TAG1…), so "$NAME" in a command is expanded by the
// shell and a check's name is never parsed as shell syntax. The environment holds those, PATH and
// HOME, nothing else of the server's (which may hold its secrets). The command's output is
// discarded; only its exit status is reported.
func NewShell(cfg ShellConfig) Transport {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultShellTimeout
	}
	return &shell{timeout: cfg.Timeout}
}

type shell struct {
	timeout time.Duration
}

// Send runs the command for the alert's status. No command for it (an empty cmd_up) sends
// nothing, as in Healthchecks. A non-zero exit status, a command that could not start and a
// timeout are transient: the delivery is retried.
func (s *shell) Send(ctx context.Context, ch *check.Channel, m *Message, deliveryID string) error {
	down, up, err := shellValue(ch.Value)
	if err != nil {
		return Permanent(err)
	}
	command := up
	if m.Event.Flip.New == string(check.StatusDown) {
		command = down
	}
	if command == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", command)
	cmd.Env = shellEnv(m, deliveryID)
	cmd.Dir = os.TempDir()
	// Stdin, Stdout and Stderr stay nil: /dev/null. The output is never read, so never logged.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("shell command did not finish within %s and was stopped", s.timeout)
	case errors.As(err, &exit):
		return fmt.Errorf("shell command exited with status %d", exit.ExitCode())
	}
	return fmt.Errorf("shell command could not be run: %s", errorText(err))
}

// shellEnv is the command's environment: the placeholders' values, PATH and HOME.
func shellEnv(m *Message, deliveryID string) []string {
	e := m.Event
	path := os.Getenv("PATH")
	if path == "" {
		path = "/usr/local/bin:/usr/bin:/bin"
	}
	env := []string{
		"PATH=" + path,
		"HOME=" + os.Getenv("HOME"),
		"CODE=" + e.Check.UUID,
		"STATUS=" + e.Flip.New,
		"NOW=" + e.Flip.At,
		"NAME=" + e.Check.Name,
		"TAGS=" + e.Check.Tags,
		"DELIVERY=" + deliveryID,
	}
	for i, tag := range strings.Fields(e.Check.Tags) {
		env = append(env, "TAG"+strconv.Itoa(i+1)+"="+tag)
	}
	return env
}

func validateShell(value string) error {
	_, _, err := shellValue(value)
	return err
}

// shellValue reads Healthchecks' shell value, {"cmd_down": "…", "cmd_up": "…"}: at least one.
func shellValue(value string) (down, up string, err error) {
	const want = `send {"cmd_down": "<command run when a check goes down>", "cmd_up": "<command run when it is up again>"} (either may be left out, not both)`
	doc, err := parseObject(ChannelShell, value, want)
	if err != nil {
		return "", "", err
	}
	for _, f := range []struct {
		name string
		to   *string
	}{{"cmd_down", &down}, {"cmd_up", &up}} {
		v, err := stringField(ChannelShell, doc, f.name, false, want)
		if err != nil {
			return "", "", err
		}
		if len(v) > maxShellCommand {
			return "", "", &ValueError{Kind: ChannelShell, Field: f.name, Problem: fmt.Sprintf("is longer than %d characters; put a long command in a script and run that", maxShellCommand)}
		}
		if strings.ContainsRune(v, 0) {
			return "", "", &ValueError{Kind: ChannelShell, Field: f.name, Problem: "contains a NUL character"}
		}
		*f.to = v
	}
	if down == "" && up == "" {
		return "", "", &ValueError{Kind: ChannelShell, Problem: "it has no command; " + want}
	}
	return down, up, nil
}
