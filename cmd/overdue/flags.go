package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/sqlite"
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
				fmt.Fprintf(stdout, "usage of overdue %s:\n", fs.Name())
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

// dataFlag adds --data DIR.
func dataFlag(fs *flag.FlagSet) *string {
	return fs.String("data", "./data", "directory of the embedded store")
}

// openStore opens the SQLite store in dir. Data written by a newer build is refused with exit
// status 3, before anything is written.
func openStore(dir string) (store.Store, error) {
	st, err := sqlite.Open(filepath.Join(dir, "overdue.db"), store.Options{})
	var ve *sqlite.VersionError
	if errors.As(err, &ve) {
		return nil, &exitError{code: exitNewer, err: err}
	}
	if err != nil {
		return nil, fmt.Errorf("open store in %s: %w", dir, err)
	}
	return st, nil
}

// durationValue is a flag that takes seconds ("3600") or a Go duration ("1h", "90s").
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

// validSlug reports whether s matches Healthchecks' slug pattern ^[a-z0-9-_]*$.
func validSlug(s string) bool {
	return strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789-_") == ""
}
