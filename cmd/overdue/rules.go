package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/ingest"
	"github.com/overduehq/overdue/internal/store"
)

// ruleFlags are check create's alert-rule flags (README, "Alert rules").
type ruleFlags struct {
	startGrace, maxRuntime, minRuntime durationValue
	tolerance                          *int
	dependsOn, failureRate, flapping   *string
}

func addRuleFlags(fs *flag.FlagSet) *ruleFlags {
	rf := &ruleFlags{}
	fs.Var(&rf.startGrace, "start-grace", "the start ping must come within this of the expected time, or the check is down \"did not start\" (seconds or a duration; default off)")
	fs.Var(&rf.maxRuntime, "max-runtime", "a started run must finish within this, or the check is down \"running too long\" (default off: the grace time)")
	fs.Var(&rf.minRuntime, "min-runtime", "a success sooner than this after its start is a failure, \"finished too fast\" (default off)")
	rf.tolerance = fs.Int("failure-tolerance", 0, fmt.Sprintf("go down at the Nth consecutive failure signal, 0 to %d (0 and 1: the first)", check.MaxFailureTolerance))
	rf.dependsOn = fs.String("depends-on", "", "UUIDs of checks of the project, comma-separated: while one is down, this check's down alerts are held")
	rf.failureRate = fs.String("failure-rate", "", "X/MINUTES: go down at X failure signals within MINUTES (instead of --failure-tolerance)")
	rf.flapping = fs.String("flapping", "", "N/MINUTES: more than N status changes within MINUTES send one flapping notice and hold alerts until the check settles")
	return rf
}

// countPerMinutes parses X/MINUTES, as --failure-rate and --flapping take it; "" is off.
func countPerMinutes(cmd, flag, v string) (int, time.Duration, error) {
	if v == "" {
		return 0, 0, nil
	}
	x, m, ok := strings.Cut(v, "/")
	n, err1 := strconv.Atoi(x)
	mins, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil {
		return 0, 0, usagef("%s: --%s %q: want COUNT/MINUTES, such as 3/60", cmd, flag, v)
	}
	return n, time.Duration(mins) * time.Minute, nil
}

// apply sets the rules the flags name on c and validates them together.
func (rf *ruleFlags) apply(cmd string, c *check.Check) error {
	for _, d := range []struct {
		name string
		v    durationValue
		dst  *time.Duration
	}{
		{"start-grace", rf.startGrace, &c.StartGrace},
		{"max-runtime", rf.maxRuntime, &c.MaxRuntime},
		{"min-runtime", rf.minRuntime, &c.MinRuntime},
	} {
		if !d.v.set {
			continue
		}
		if d.v.d%time.Second != 0 || d.v.d < 0 {
			return usagef("%s: --%s %s: must be whole seconds, 0 or more", cmd, d.name, d.v.d)
		}
		*d.dst = d.v.d
	}
	c.FailureTolerance = *rf.tolerance
	n, window, err := countPerMinutes(cmd, "failure-rate", *rf.failureRate)
	if err != nil {
		return err
	}
	c.FailureRate = check.FailureRate{Failures: n, Window: window}
	if n, window, err = countPerMinutes(cmd, "flapping", *rf.flapping); err != nil {
		return err
	}
	c.Flap = check.FlapRule{Changes: n, Window: window}
	c.DependsOn = nil
	for _, id := range strings.Split(*rf.dependsOn, ",") {
		if id = strings.ToLower(strings.TrimSpace(id)); id != "" && !slices.Contains(c.DependsOn, id) {
			c.DependsOn = append(c.DependsOn, id)
		}
	}
	if err := c.ValidateRules(); err != nil {
		var fe *check.FieldError
		if errors.As(err, &fe) {
			flag := strings.ReplaceAll(fe.Field, "_", "-")
			return usagef("%s: --%s: %s", cmd, flag, fe.Advice())
		}
		return usagef("%s: %v", cmd, err)
	}
	return nil
}

// checkParents refuses --depends-on entries that are not checks of c's project (a new check
// cannot close a cycle: nothing depends on it yet).
func checkParents(ctx context.Context, cmd string, st store.Store, c *check.Check) error {
	if len(c.DependsOn) == 0 {
		return nil
	}
	existing, err := st.Checks(ctx, c.ProjectID)
	if err != nil {
		return fmt.Errorf("list checks: %w", err)
	}
	for _, id := range c.DependsOn {
		if !slices.ContainsFunc(existing, func(e *check.Check) bool { return e.ID == id }) {
			return usagef("%s: --depends-on %s: not a check of project %s (see overdue check list)", cmd, id, c.ProjectID)
		}
	}
	return nil
}

// ruleOutput is the alert rules in check create's and check list's JSON, each only when on, as
// in the v3 API.
type ruleOutput struct {
	StartGrace       int64          `json:"start_grace,omitempty"`
	MaxRuntime       int64          `json:"max_runtime,omitempty"`
	MinRuntime       int64          `json:"min_runtime,omitempty"`
	FailureTolerance int            `json:"failure_tolerance,omitempty"`
	SnoozedUntil     *string        `json:"snoozed_until,omitempty"`
	DependsOn        []string       `json:"depends_on,omitempty"`
	FailureRate      map[string]int `json:"failure_rate,omitempty"`
	Flapping         map[string]int `json:"flapping,omitempty"`
}

func toRuleOutput(c *check.Check, now time.Time) ruleOutput {
	out := ruleOutput{
		StartGrace:       int64(c.StartGrace / time.Second),
		MaxRuntime:       int64(c.MaxRuntime / time.Second),
		MinRuntime:       int64(c.MinRuntime / time.Second),
		FailureTolerance: c.FailureTolerance,
	}
	if c.Snoozed(now) {
		out.SnoozedUntil = isoTime(c.SnoozeUntil)
	}
	out.DependsOn = c.DependsOn
	if c.FailureRate.On() {
		out.FailureRate = map[string]int{"failures": c.FailureRate.Failures, "minutes": int(c.FailureRate.Window / time.Minute)}
	}
	if c.Flap.On() {
		out.Flapping = map[string]int{"changes": c.Flap.Changes, "minutes": int(c.Flap.Window / time.Minute)}
	}
	return out
}

// cmdCheckSnooze is `overdue check snooze --project ID --check UUID --minutes N`: what
// POST /api/v3/checks/<uuid>/snooze does, on the store directly.
func cmdCheckSnooze(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("check snooze")
	stf := addStoreFlags(fs)
	projectID := fs.String("project", "", "project id (required)")
	id := fs.String("check", "", "check UUID (required)")
	minutesArg := fs.String("minutes", "", "hold the check's down alerts this many minutes, at most 10080 (a week); 0 ends the snooze (required)")
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return err
	}
	if err := noPositional(fs, pos); err != nil {
		return err
	}
	minutes, err := strconv.Atoi(*minutesArg)
	switch {
	case *projectID == "":
		return usagef("check snooze: --project is required")
	case *id == "":
		return usagef("check snooze: --check is required")
	case *minutesArg == "":
		return usagef("check snooze: --minutes is required: 0 (end the snooze) to 10080 (a week)")
	case err != nil || minutes < 0 || time.Duration(minutes)*time.Minute > check.MaxSnooze:
		return usagef("check snooze: --minutes %q: want a whole number from 0 (end the snooze) to 10080 (a week)", *minutesArg)
	}
	st, err := stf.openProject(ctx, fs.Name(), *projectID)
	if err != nil {
		return err
	}
	defer st.Close()
	now := time.Now().UTC()
	// The API's path: an alert the end of a snooze releases is held again by an open
	// maintenance window or a down parent.
	rec := ingest.Recorder{Store: st}
	c, err := rec.Snooze(ctx, *id, *projectID, time.Duration(minutes)*time.Minute, now)
	if errors.Is(err, store.ErrNotFound) {
		return usagef("check snooze: --check %s: no such check in project %s", *id, *projectID)
	}
	if err != nil {
		return fmt.Errorf("snooze check: %w", err)
	}
	if c.Snoozed(now) {
		fmt.Fprintf(stdout, "Check %q snoozed until %s\n", c.Name, *isoTime(c.SnoozeUntil))
	} else {
		fmt.Fprintf(stdout, "Check %q is not snoozed\n", c.Name)
	}
	return nil
}
