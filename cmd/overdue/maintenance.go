package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/project"
	"github.com/overduehq/overdue/internal/schedule"
	"github.com/overduehq/overdue/internal/store"
)

// windowOutput is a maintenance window as the CLI prints it, with the API's field names.
type windowOutput struct {
	ID        string `json:"id"`
	Check     string `json:"check,omitempty"`
	Tag       string `json:"tag,omitempty"`
	Start     string `json:"start,omitempty"`
	End       string `json:"end,omitempty"`
	Schedule  string `json:"schedule,omitempty"`
	TZ        string `json:"tz,omitempty"`
	Duration  int64  `json:"duration,omitempty"`
	OpenUntil string `json:"open_until,omitempty"`
}

func windowOut(w *check.Window, now time.Time) windowOutput {
	o := windowOutput{ID: w.ID, Check: w.CheckID, Tag: w.Tag, Schedule: w.Schedule, TZ: w.TZ,
		Duration: int64(w.Duration / time.Second)}
	if !w.Start.IsZero() {
		o.Start, o.End = w.Start.UTC().Format(time.RFC3339), w.End.UTC().Format(time.RFC3339)
	}
	var sched check.Schedule
	if w.Recurring() {
		if s, err := schedule.Parse(w.Schedule, w.TZ); err == nil {
			sched = s
		}
	}
	if until := w.OpenUntil(now, sched); !until.IsZero() {
		o.OpenUntil = until.UTC().Format(time.RFC3339)
	}
	return o
}

// cmdMaintenanceAdd is `overdue maintenance add --project ID [--check UUID | --tag T]
// (--start T --end T | --schedule EXPR --duration D [--tz ZONE]) [--json]`: the API's
// POST /api/v3/maintenance/ from the command line, with the same checks.
func cmdMaintenanceAdd(ctx context.Context, args []string, stdout, _ io.Writer) error {
	fs := newFlags("maintenance add")
	stf := addStoreFlags(fs)
	projectID := fs.String("project", "", "project id (required)")
	checkID := fs.String("check", "", "the one check the window covers (default: the whole project)")
	tag := fs.String("tag", "", "cover every check with this tag")
	start := fs.String("start", "", "a one-off window's start, RFC 3339 (2026-12-24T22:00:00+01:00)")
	end := fs.String("end", "", "a one-off window's end, RFC 3339")
	expr := fs.String("schedule", "", `a recurring window's start times: a cron expression ("0 3 * * 0") or OnCalendar`)
	duration := fs.Duration("duration", 0, "a recurring window's length (1m to 744h), e.g. 2h")
	tz := fs.String("tz", "UTC", "the time zone of --schedule")
	asJSON := fs.Bool("json", false, "print the window as JSON")
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return err
	}
	if err := noPositional(fs, pos); err != nil {
		return err
	}
	if *projectID == "" {
		return usagef("maintenance add: --project is required")
	}
	now := time.Now().UTC()
	w := &check.Window{ID: uuid.NewString(), ProjectID: *projectID, CheckID: *checkID, Tag: *tag,
		Schedule: *expr, Duration: *duration, Created: now}
	if w.Recurring() {
		w.TZ = *tz
		if _, err := schedule.Parse(w.Schedule, w.TZ); err != nil {
			return usagef("maintenance add: --schedule: %s", err)
		}
	}
	for _, f := range []struct {
		name, value string
		to          *time.Time
	}{{"start", *start, &w.Start}, {"end", *end, &w.End}} {
		if f.value == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, f.value)
		if err != nil {
			return usagef("maintenance add: --%s %q is not an RFC 3339 instant such as 2026-12-24T22:00:00+01:00", f.name, f.value)
		}
		*f.to = t.UTC()
	}
	if err := w.Validate(); err != nil {
		return usagef("maintenance add: %s", err)
	}
	st, err := stf.openProject(ctx, fs.Name(), *projectID)
	if err != nil {
		return err
	}
	defer st.Close()
	switch err := project.AddWindow(ctx, st, w); {
	case errors.Is(err, project.ErrNotProjectCheck):
		return usagef("maintenance add: --check %s is not a check of project %s", w.CheckID, w.ProjectID)
	case err != nil:
		return fmt.Errorf("project %s: %w", w.ProjectID, err)
	}
	out := windowOut(w, now)
	if *asJSON {
		return writeJSON(stdout, out)
	}
	fmt.Fprintf(stdout, "Maintenance window created: %s\n", w.ID)
	return nil
}

// cmdMaintenanceList is `overdue maintenance list --project ID [--json]`.
func cmdMaintenanceList(ctx context.Context, args []string, stdout, _ io.Writer) error {
	fs := newFlags("maintenance list")
	stf := addStoreFlags(fs)
	projectID := fs.String("project", "", "project id (required)")
	asJSON := fs.Bool("json", false, `print {"windows": [...]} as JSON`)
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return err
	}
	if err := noPositional(fs, pos); err != nil {
		return err
	}
	st, err := stf.openProject(ctx, fs.Name(), *projectID)
	if err != nil {
		return err
	}
	defer st.Close()
	ws, err := st.Windows(ctx, *projectID)
	if err != nil {
		return fmt.Errorf("list maintenance windows: %w", err)
	}
	now := time.Now().UTC()
	outs := make([]windowOutput, 0, len(ws))
	for _, w := range ws {
		outs = append(outs, windowOut(w, now))
	}
	if *asJSON {
		return writeJSON(stdout, map[string]any{"windows": outs})
	}
	for _, o := range outs {
		covers := "the project"
		switch {
		case o.Check != "":
			covers = "check " + o.Check
		case o.Tag != "":
			covers = "tag " + o.Tag
		}
		when := o.Start + " – " + o.End
		if o.Schedule != "" {
			when = fmt.Sprintf("%q in %s for %s", o.Schedule, o.TZ, time.Duration(o.Duration)*time.Second)
		}
		open := ""
		if o.OpenUntil != "" {
			open = "  open until " + o.OpenUntil
		}
		fmt.Fprintf(stdout, "%s  %-44s  %s%s\n", o.ID, covers, when, open)
	}
	return nil
}

// cmdMaintenanceDelete is `overdue maintenance delete --project ID --id ID`.
func cmdMaintenanceDelete(ctx context.Context, args []string, stdout, _ io.Writer) error {
	fs := newFlags("maintenance delete")
	stf := addStoreFlags(fs)
	projectID := fs.String("project", "", "project id (required)")
	id := fs.String("id", "", "the window's id, from maintenance list (required)")
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return err
	}
	if err := noPositional(fs, pos); err != nil {
		return err
	}
	if *id == "" {
		return usagef("maintenance delete: --id is required (maintenance list shows them)")
	}
	st, err := stf.openProject(ctx, fs.Name(), *projectID)
	if err != nil {
		return err
	}
	defer st.Close()
	err = st.DeleteWindow(ctx, *projectID, *id)
	if errors.Is(err, store.ErrNotFound) {
		return usagef("maintenance delete: project %s has no maintenance window %s (maintenance list shows them)", *projectID, *id)
	}
	if err != nil {
		return fmt.Errorf("delete maintenance window: %w", err)
	}
	fmt.Fprintf(stdout, "Maintenance window %s deleted\n", *id)
	return nil
}
