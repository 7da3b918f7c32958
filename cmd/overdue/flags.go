package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/overduehq/overdue/internal/store"
)

// errHelp means -h was asked for and the usage has been printed.
var errHelp = errors.New("help shown")

// newFlags returns a flag set whose errors are returned, not printed.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseFlags parses args, allowing flags and positional arguments in any order, and returns the
// positional ones. A bad flag is a usage error naming it, in one line.
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprintf(stdout, "usage of overdue %s:\n%s\nflags:\n", fs.Name(), commandLines(fs.Name()))
				fs.SetOutput(stdout)
				fs.PrintDefaults()
				return nil, errHelp
			}
			return nil, usagef("%s: %s", fs.Name(), err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if rest[0] == "--" {
			return append(positional, rest[1:]...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// noPositional rejects leftover arguments.
func noPositional(fs *flag.FlagSet, positional []string) error {
	if len(positional) > 0 {
		return usagef("%s: unexpected argument %q", fs.Name(), positional[0])
	}
	return nil
}

// storeFlags are the flags that choose a store: --data DIR for the embedded SQLite store (the
// default), or --store dynamodb --table NAME (region, credentials and endpoint from the usual AWS
// variables, e.g. AWS_REGION and AWS_ENDPOINT_URL).
type storeFlags struct {
	data  *string
	kind  *string
	table *string
}

// addStoreFlags adds --data, --store and --table to fs.
func addStoreFlags(fs *flag.FlagSet) *storeFlags {
	return &storeFlags{
		data:  fs.String("data", "./data", "directory of the embedded SQLite store"),
		kind:  fs.String("store", "sqlite", "sqlite or dynamodb"),
		table: fs.String("table", "", "DynamoDB table name (with --store dynamodb)"),
	}
}

// check validates the combination, naming the flag at fault.
func (sf *storeFlags) check(cmd string) error {
	switch *sf.kind {
	case "sqlite":
		if *sf.table != "" {
			return usagef("%s: --table goes with --store dynamodb", cmd)
		}
	case "dynamodb":
		if *sf.table == "" {
			return usagef("%s: --store dynamodb needs --table NAME", cmd)
		}
	default:
		return usagef("%s: --store %q: want sqlite or dynamodb", cmd, *sf.kind)
	}
	return nil
}

// open opens the chosen store for a command that must not migrate it: data too new for this
// build is refused with exit status 3, and older SQLite data with advice, before anything is
// written.
func (sf *storeFlags) open(ctx context.Context, cmd string) (store.Store, error) {
	return sf.openMigrating(ctx, cmd, false, nil)
}

// openMigrating is open for `overdue serve`: with autoMigrate, older SQLite data is backed up
// and migrated first, and what was done is reported on stdout. A DynamoDB table is guarded the
// same way but never migrated (openDynamo says why); an empty one gets its data model.
func (sf *storeFlags) openMigrating(ctx context.Context, cmd string, autoMigrate bool, stdout io.Writer) (store.Store, error) {
	if err := sf.check(cmd); err != nil {
		return nil, err
	}
	if *sf.kind == "dynamodb" {
		// The guard runs here too, but DynamoDB data is never migrated by opening it, whatever
		// autoMigrate says: see openDynamo.
		client, err := dynamoClient(ctx)
		if err != nil {
			return nil, err
		}
		return openDynamo(ctx, client, *sf.table, stdout)
	}
	return openSQLite(ctx, *sf.data, autoMigrate, stdout)
}

// openProject opens the chosen store for a command about one project, and checks that the
// project exists: an unknown ID is a usage error naming --project.
func (sf *storeFlags) openProject(ctx context.Context, cmd, projectID string) (store.Store, error) {
	if projectID == "" {
		return nil, usagef("%s: --project is required", cmd)
	}
	if err := sf.check(cmd); err != nil {
		return nil, err
	}
	if *sf.kind == "sqlite" {
		// Opening an absent database would create it, and a data directory with it: a command
		// that only names a project must leave nothing behind when the project is not there.
		path := filepath.Join(*sf.data, dbName)
		if info, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) || (err == nil && info.Size() == 0) {
			return nil, usagef("%s: --project %s: no such project: there is no database in %s "+
				"(point --data at the server's data directory, or create a project with overdue project create --data %s)",
				cmd, projectID, *sf.data, *sf.data)
		}
	}
	st, err := sf.open(ctx, cmd)
	if err != nil {
		return nil, err
	}
	if _, err := st.Project(ctx, projectID); err != nil {
		st.Close()
		if errors.Is(err, store.ErrNotFound) {
			return nil, usagef("%s: --project %s: no such project (list them with the management API, or create one with overdue project create)", cmd, projectID)
		}
		return nil, fmt.Errorf("load project %s: %w", projectID, err)
	}
	return st, nil
}

// dynamoClient builds a DynamoDB client from the environment (AWS_REGION, credentials,
// AWS_ENDPOINT_URL for an emulator).
func dynamoClient(ctx context.Context) (*dynamodb.Client, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return nil, usagef("no AWS region: set AWS_REGION (e.g. AWS_REGION=eu-west-1)")
	}
	return dynamodb.NewFromConfig(cfg), nil
}

// durationValue is a flag that takes seconds ("3600") or a Go duration ("1h", "90s").
// boolValue is a boolean flag that remembers whether it was given (--late, --late=false).
type boolValue struct {
	b, set bool
}

func (v *boolValue) String() string {
	if v == nil || !v.set {
		return ""
	}
	return strconv.FormatBool(v.b)
}

func (v *boolValue) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("want true or false")
	}
	v.b, v.set = b, true
	return nil
}

// IsBoolFlag lets the flag be given alone: --late is --late=true.
func (v *boolValue) IsBoolFlag() bool { return true }

type durationValue struct {
	d   time.Duration
	set bool
}

func (v *durationValue) String() string {
	if v == nil || !v.set {
		return ""
	}
	return v.d.String()
}

func (v *durationValue) Set(s string) error {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		v.d, v.set = time.Duration(n)*time.Second, true
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("want seconds or a duration such as 90s, 5m, 1h")
	}
	v.d, v.set = d, true
	return nil
}

// checkDuration validates a timeout or grace as the API does: 1 minute to 365 days, whole seconds.
func checkDuration(name string, d time.Duration) error {
	switch {
	case d%time.Second != 0:
		return usagef("--%s %s: must be whole seconds", name, d)
	case d < time.Minute:
		return usagef("--%s %s: too small (at least 60s)", name, d)
	case d > 365*24*time.Hour:
		return usagef("--%s %s: too large (at most 365 days)", name, d)
	}
	return nil
}
