// Command overdue is Overdue's command line and local server: `overdue serve` runs the ping API,
// the sweep and a console notifier over an embedded SQLite store; the other commands manage
// projects, checks and users and preview schedules.
//
// Exit statuses: 0 success, 1 a runtime failure, 2 a bad command, flag or argument, 3 data newer
// than this build can read.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	// Zone data is embedded so schedules evaluate the same on hosts without a zone database.
	_ "time/tzdata"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
	exitNewer   = 3
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(runIO(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// usageError is a bad command line; it exits with status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// exitError carries a specific exit status.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

const usageText = `usage: overdue <command> [flags]

commands:
  serve                          run the ping API, the sweep and a console notifier
  project create --name NAME     create a project and print its keys once
  project members --project ID   list a project's members and their roles
  user create --email E ...      create a user (--password-stdin, or a printed set-password link)
  user list                      list the users and their projects
  user reset-password --email E  print a one-time link to set a new password (--remove-second-factors
                                 also removes the user's second factors)
  user settings --email E [--tz ZONE] [--reports off|daily|weekly|monthly] [--reminders off|hourly|daily] [--name N]
                                 show a user's settings, changing those given (email reports and reminders)
  token create --email E         create a personal API token for the user and print it once
  token list --email E           list the user's personal API tokens
  token revoke --email E --id ID  revoke a personal API token
  check create --project ID ...  create a check
  check list --project ID        list a project's checks
  check snooze --project ID ...  hold a check's down alerts for --minutes (0 ends it)
  channel add --project ID ...   add an alert channel of any kind (email, sms, slack, pd, …)
  channel update --project ID --id ID [--name N] [--value V]
                                 rename a channel or change its value (re-enables it)
  channel list --project ID      list a project's channels
  maintenance add --project ID (--start T --end T | --schedule EXPR --duration D [--tz Z]) [--check UUID | --tag T]
                                 a maintenance window: alerts of the checks it covers wait for its end
  maintenance list --project ID  list a project's maintenance windows
  maintenance delete --project ID --id ID  remove a maintenance window
  table create --table NAME      create a DynamoDB table for --store dynamodb
  export [--project ID] [--out FILE]  write the install, or one project, as an Overdue export file
  import overdue [--dry-run] [--merge-people] FILE  add what an export file holds and this store lacks
  import healthchecks --url BASE [--api-key KEY] [--project ID] [--dry-run]  a Healthchecks project's checks, UUIDs kept
                                 (the key from OVERDUE_HC_API_KEY; a flag's value is visible in ps)
  import healthchecks --db hc.sqlite [--dry-run]  everything of a Healthchecks database: projects, keys, channels, history
  migrate status [--json]        show the data model's version, this build's, and what is pending
  migrate up [--dry-run]         create or migrate the data model (SQLite: after a backup)
  schedule [flags] EXPR          preview the next fire times of a cron or OnCalendar expression
  version                        print the build's version

Every command that touches data takes --data DIR (default ./data) for the embedded store, or
--store dynamodb --table NAME (region and endpoint from AWS_REGION, AWS_ENDPOINT_URL).
Run 'overdue <command> -h' for a command's flags.
`

// run executes one command line with nothing on standard input and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runIO(ctx, args, strings.NewReader(""), stdout, stderr)
}

// runIO executes one command line and returns the exit status.
func runIO(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	err := dispatch(ctx, args, stdin, stdout, stderr)
	if err == nil || errors.Is(err, errHelp) {
		return exitOK
	}
	var ue *usageError
	var ee *exitError
	switch {
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "overdue: %s\n", ue.msg)
		return exitUsage
	case errors.As(err, &ee):
		fmt.Fprintf(stderr, "overdue: %s\n", ee.err)
		return ee.code
	}
	fmt.Fprintf(stderr, "overdue: %s\n", err)
	return exitFailure
}

func dispatch(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return usagef("missing command: try 'overdue serve'")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return cmdServe(ctx, rest, stdout, stderr)
	case "project":
		return subcommand("project", rest, stdout, map[string]func() error{
			"create":  func() error { return cmdProjectCreate(ctx, rest[1:], stdout, stderr) },
			"members": func() error { return cmdProjectMembers(ctx, rest[1:], stdout, stderr) },
		})
	case "user":
		return subcommand("user", rest, stdout, map[string]func() error{
			"create":         func() error { return cmdUserCreate(ctx, rest[1:], stdin, stdout, stderr) },
			"list":           func() error { return cmdUserList(ctx, rest[1:], stdout, stderr) },
			"reset-password": func() error { return cmdUserResetPassword(ctx, rest[1:], stdout, stderr) },
			"settings":       func() error { return cmdUserSettings(ctx, rest[1:], stdout, stderr) },
		})
	case "token":
		return subcommand("token", rest, stdout, map[string]func() error{
			"create": func() error { return cmdTokenCreate(ctx, rest[1:], stdout, stderr) },
			"list":   func() error { return cmdTokenList(ctx, rest[1:], stdout, stderr) },
			"revoke": func() error { return cmdTokenRevoke(ctx, rest[1:], stdout, stderr) },
		})
	case "check":
		return subcommand("check", rest, stdout, map[string]func() error{
			"create": func() error { return cmdCheckCreate(ctx, rest[1:], stdout, stderr) },
			"list":   func() error { return cmdCheckList(ctx, rest[1:], stdout, stderr) },
			"snooze": func() error { return cmdCheckSnooze(ctx, rest[1:], stdout, stderr) },
		})
	case "channel":
		return subcommand("channel", rest, stdout, map[string]func() error{
			"add":    func() error { return cmdChannelAdd(ctx, rest[1:], stdout, stderr) },
			"update": func() error { return cmdChannelUpdate(ctx, rest[1:], stdout, stderr) },
			"list":   func() error { return cmdChannelList(ctx, rest[1:], stdout, stderr) },
		})
	case "maintenance":
		return subcommand("maintenance", rest, stdout, map[string]func() error{
			"add":    func() error { return cmdMaintenanceAdd(ctx, rest[1:], stdout, stderr) },
			"list":   func() error { return cmdMaintenanceList(ctx, rest[1:], stdout, stderr) },
			"delete": func() error { return cmdMaintenanceDelete(ctx, rest[1:], stdout, stderr) },
		})
	case "table":
		return subcommand("table", rest, stdout, map[string]func() error{
			"create": func() error { return cmdTableCreate(ctx, rest[1:], stdout, stderr) },
		})
	case "export":
		return cmdExport(ctx, rest, stdout, stderr)
	case "import":
		return subcommand("import", rest, stdout, map[string]func() error{
			"overdue":      func() error { return cmdImportOverdue(ctx, rest[1:], stdin, stdout) },
			"healthchecks": func() error { return cmdImportHealthchecks(ctx, rest[1:], stdout) },
		})
	case "migrate":
		return cmdMigrate(ctx, rest, stdout, stderr)
	case "schedule":
		return cmdSchedule(rest, stdout, stderr)
	case "version":
		if len(rest) > 0 {
			if isHelp(rest[0]) {
				return groupHelp("version", stdout)
			}
			return usagef("version: unexpected argument %q", rest[0])
		}
		fmt.Fprintln(stdout, "overdue", version)
		return nil
	case "help", "-h", "-help", "--help":
		// `overdue help check create` is `overdue check create --help`.
		if len(rest) == 0 || isHelp(rest[0]) {
			fmt.Fprint(stdout, usageText)
			return nil
		}
		return dispatch(ctx, append(rest, "--help"), stdin, stdout, stderr)
	}
	return usagef("unknown command %q: run 'overdue help' for the list", cmd)
}

func subcommand(name string, args []string, stdout io.Writer, cmds map[string]func() error) error {
	if len(args) == 0 {
		return usagef("%s: missing subcommand (one of %s)", name, keys(cmds))
	}
	if isHelp(args[0]) {
		return groupHelp(name, stdout)
	}
	f, ok := cmds[args[0]]
	if !ok {
		return usagef("%s: unknown subcommand %q (one of %s)", name, args[0], keys(cmds))
	}
	return f()
}

func keys(m map[string]func() error) string {
	out := ""
	for _, k := range []string{"create", "list", "add", "members", "reset-password", "settings", "revoke", "overdue", "healthchecks"} {
		if _, ok := m[k]; ok {
			if out != "" {
				out += ", "
			}
			out += k
		}
	}
	return out
}

// isHelp reports whether arg asks for help instead of naming a subcommand.
func isHelp(arg string) bool {
	switch arg {
	case "help", "-h", "-help", "--help":
		return true
	}
	return false
}

// groupHelp prints the lines of usageText about one command (`overdue check --help`: check create
// and check list) and returns errHelp, which exits 0.
func groupHelp(name string, stdout io.Writer) error {
	fmt.Fprintf(stdout, "usage of overdue %s:\n%s", name, commandLines(name))
	if name != "version" {
		fmt.Fprintf(stdout, "\nRun 'overdue %s <subcommand> -h' for a subcommand's flags.\n", name)
	}
	return errHelp
}

// commandLines are the lines of usageText that describe the command line starting with name.
func commandLines(name string) string {
	var b strings.Builder
	for _, line := range strings.Split(usageText, "\n") {
		if strings.HasPrefix(line, "  "+name+" ") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"
