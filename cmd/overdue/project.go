package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/schedule"
	"github.com/overduehq/overdue/internal/store"
)

// projectOutput is what `project create --json` prints: the keys, shown this once.
type projectOutput struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	APIKey         string `json:"api_key"`
	APIKeyReadonly string `json:"api_key_readonly"`
	PingKey        string `json:"ping_key"`
	BadgeKey       string `json:"badge_key"`
}

// newProject creates a project with fresh keys and returns it with the keys in plain text.
func newProject(ctx context.Context, st store.Store, name string, now time.Time) (*check.Project, check.Keys, error) {
	keys, err := check.GenerateKeys(rand.Reader)
	if err != nil {
		return nil, keys, err
	}
	p := &check.Project{
		ID:              uuid.NewString(),
		Name:            name,
		Created:         now,
		APIKeyHash:      check.HashKey(keys.APIKey),
		ReadOnlyKeyHash: check.HashKey(keys.ReadOnlyKey),
		PingKeyHash:     check.HashKey(keys.PingKey),
		BadgeKey:        uuid.NewString(),
	}
	if err := st.CreateProject(ctx, p); err != nil {
		return nil, keys, fmt.Errorf("create project: %w", err)
	}
	return p, keys, nil
}

func printProject(w io.Writer, p *check.Project, keys check.Keys, asJSON bool) error {
	if asJSON {
		return writeJSON(w, projectOutput{
			ID: p.ID, Name: p.Name, APIKey: keys.APIKey, APIKeyReadonly: keys.ReadOnlyKey,
			PingKey: keys.PingKey, BadgeKey: p.BadgeKey,
		})
	}
	fmt.Fprintf(w, "Project %q created.\n", p.Name)
	fmt.Fprintf(w, "  id:                %s\n", p.ID)
	fmt.Fprintf(w, "  API key:           %s\n", keys.APIKey)
	fmt.Fprintf(w, "  read-only API key: %s\n", keys.ReadOnlyKey)
	fmt.Fprintf(w, "  ping key:          %s\n", keys.PingKey)
	fmt.Fprintln(w, "The keys are stored only as hashes: keep them now, they cannot be shown again.")
	return nil
}

// cmdProjectCreate is `overdue project create --name NAME [--json]`.
func cmdProjectCreate(ctx context.Context, args []string, stdout, _ io.Writer) error {
	fs := newFlags("project create")
	stf := addStoreFlags(fs)
	name := fs.String("name", "", "project name (required)")
	asJSON := fs.Bool("json", false, "print the project as JSON")
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return err
	}
	if err := noPositional(fs, pos); err != nil {
		return err
	}
	if strings.TrimSpace(*name) == "" {
		return usagef("project create: --name is required")
	}
	if err := check.ValidateProjectName(*name); err != nil {
		return nameUsage(fs.Name(), err)
	}
	st, err := stf.open(ctx, fs.Name())
	if err != nil {
		return err
	}
	defer st.Close()
	p, keys, err := newProject(ctx, st, *name, time.Now().UTC())
	if err != nil {
		return err
	}
	return printProject(stdout, p, keys, *asJSON)
}

// checkOutput is a check as the CLI prints it, with the Healthchecks API's field names.
type checkOutput struct {
	UUID     string  `json:"uuid"`
	Name     string  `json:"name"`
	Slug     string  `json:"slug"`
	Status   string  `json:"status"`
	Timeout  *int64  `json:"timeout,omitempty"`
	Schedule string  `json:"schedule,omitempty"`
	TZ       string  `json:"tz,omitempty"`
	Grace    int64   `json:"grace"`
	NPings   int     `json:"n_pings"`
	LastPing *string `json:"last_ping"`
	NextPing *string `json:"next_ping"`
	PingURL  string  `json:"ping_url"`
	ruleOutput
}

func toCheckOutput(c *check.Check, now time.Time, siteRoot string) checkOutput {
	sched, _ := schedule.ForCheck(string(c.Kind), c.Schedule, c.TZ)
	out := checkOutput{
		UUID:       c.ID,
		Name:       c.Name,
		Slug:       c.Slug,
		Status:     string(c.StatusAt(now, sched, false)),
		Grace:      int64(c.Grace / time.Second),
		NPings:     c.NPings,
		LastPing:   isoTime(c.LastPing),
		NextPing:   isoTime(c.NextPing(sched)),
		PingURL:    strings.TrimRight(siteRoot, "/") + "/ping/" + c.ID,
		ruleOutput: toRuleOutput(c, now),
	}
	if c.Kind == check.KindSimple {
		t := int64(c.Timeout / time.Second)
		out.Timeout = &t
	} else {
		out.Schedule, out.TZ = c.Schedule, c.TZ
	}
	return out
}

func isoTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Truncate(time.Second).Format("2006-01-02T15:04:05+00:00")
	return &s
}

// siteRootUsage describes check create's and check list's --site-root.
const siteRootUsage = "base URL of ping URLs (default: the one the last overdue serve on this store recorded in --data, else http://127.0.0.1:8000)"

// cmdCheckCreate is `overdue check create --project ID --name NAME [...]`.
func cmdCheckCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("check create")
	stf := addStoreFlags(fs)
	projectID := fs.String("project", "", "project id (required)")
	name := fs.String("name", "", "check name (required)")
	slug := fs.String("slug", "", "slug for /ping/<ping key>/<slug> URLs: lowercase letters, digits, - and _")
	var timeout, grace durationValue
	fs.Var(&timeout, "timeout", "expected period of a simple check (seconds or 90s/5m/1h; default 1 day)")
	fs.Var(&grace, "grace", "grace time (seconds or a duration; default 1 hour)")
	expr := fs.String("schedule", "", "cron or OnCalendar expression (instead of --timeout)")
	tz := fs.String("tz", "", "time zone of --schedule (default UTC)")
	rules := addRuleFlags(fs)
	siteRoot := fs.String("site-root", "", siteRootUsage)
	asJSON := fs.Bool("json", false, "print the check as JSON")
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return err
	}
	if err := noPositional(fs, pos); err != nil {
		return err
	}
	switch {
	case *projectID == "":
		return usagef("check create: --project is required")
	case strings.TrimSpace(*name) == "":
		return usagef("check create: --name is required")
	case timeout.set && *expr != "":
		return usagef("check create: --timeout and --schedule exclude each other: a check has a period or a schedule")
	case *tz != "" && *expr == "":
		return usagef("check create: --tz needs --schedule")
	case *siteRoot != "" && !validSiteRoot(*siteRoot):
		return usagef("check create: --site-root %q: want an http:// or https:// URL", *siteRoot)
	}
	now := time.Now().UTC()
	c := check.New(uuid.NewString(), *projectID, now)
	c.Name, c.Slug = *name, *slug
	c.BadgeKey = uuid.NewString()
	// The API's rules for names and slugs (length, pattern, no control characters).
	if err := c.ValidateText(); err != nil {
		return nameUsage(fs.Name(), err)
	}
	if timeout.set {
		if err := checkDuration("timeout", timeout.d); err != nil {
			return err
		}
		c.Timeout = timeout.d
	}
	if grace.set {
		if err := checkDuration("grace", grace.d); err != nil {
			return err
		}
		c.Grace = grace.d
	}
	if *expr != "" {
		zone := "UTC"
		if *tz != "" {
			z, err := schedule.CanonicalZone(*tz)
			if err != nil {
				return usagef("check create: --tz %q: not a known time zone (use an IANA name such as Europe/Riga)", *tz)
			}
			zone = z
		}
		s, err := schedule.Parse(*expr, zone)
		if err != nil {
			return usagef("check create: --schedule %q: %s", *expr, scheduleReason(err))
		}
		c.Kind, c.Schedule, c.TZ = check.Kind(s.Kind()), *expr, zone
	}
	if err := rules.apply(fs.Name(), c); err != nil {
		return err
	}
	st, err := stf.openProject(ctx, fs.Name(), *projectID)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := checkParents(ctx, fs.Name(), st, c); err != nil {
		return err
	}
	if err := st.CreateCheck(ctx, c); err != nil {
		return fmt.Errorf("create check: %w", err)
	}
	root, note := stf.siteRoot(*siteRoot)
	if note != "" {
		fmt.Fprintf(stderr, "note: %s\n", note)
	}
	out := toCheckOutput(c, now, root)
	if *asJSON {
		return writeJSON(stdout, out)
	}
	fmt.Fprintf(stdout, "Check %q created: %s\nPing it with: curl -fsS %s\n", c.Name, c.ID, out.PingURL)
	return nil
}

// cmdCheckList is `overdue check list --project ID [--json]`.
func cmdCheckList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("check list")
	stf := addStoreFlags(fs)
	projectID := fs.String("project", "", "project id (required)")
	siteRoot := fs.String("site-root", "", siteRootUsage)
	asJSON := fs.Bool("json", false, "print {\"checks\": [...]} as JSON")
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return err
	}
	if err := noPositional(fs, pos); err != nil {
		return err
	}
	if *projectID == "" {
		return usagef("check list: --project is required")
	}
	if *siteRoot != "" && !validSiteRoot(*siteRoot) {
		return usagef("check list: --site-root %q: want an http:// or https:// URL", *siteRoot)
	}
	st, err := stf.openProject(ctx, fs.Name(), *projectID)
	if err != nil {
		return err
	}
	defer st.Close()
	checks, err := st.Checks(ctx, *projectID)
	if err != nil {
		return fmt.Errorf("list checks: %w", err)
	}
	// Only an assumed default is worth a note here: a listing is often piped.
	root, note := stf.siteRoot(*siteRoot)
	if note != "" && stf.serveRecord() == nil {
		fmt.Fprintf(stderr, "note: %s\n", note)
	}
	now := time.Now().UTC()
	outs := make([]checkOutput, 0, len(checks))
	for _, c := range checks {
		outs = append(outs, toCheckOutput(c, now, root))
	}
	if *asJSON {
		return writeJSON(stdout, map[string]any{"checks": outs})
	}
	for _, o := range outs {
		period := o.Schedule + " " + o.TZ
		if o.Timeout != nil {
			period = (time.Duration(*o.Timeout) * time.Second).String()
		}
		last := "never"
		if o.LastPing != nil {
			last = *o.LastPing
		}
		fmt.Fprintf(stdout, "%s  %-7s  %-24s  %-20s  last ping %s\n", o.UUID, o.Status, o.Name, period, last)
	}
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// nameUsage is the usage error for a text field the domain refuses, naming the flag that holds it:
// "check create: --slug: slug is too long (at most 100 characters)".
func nameUsage(cmd string, err error) error {
	var fe *check.FieldError
	if errors.As(err, &fe) {
		return usagef("%s: --%s: %s", cmd, fe.Field, fe.Advice())
	}
	return usagef("%s: %s", cmd, err)
}
