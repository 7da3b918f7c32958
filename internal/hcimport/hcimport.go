// Package hcimport brings a Healthchecks project into Overdue, keeping every check's UUID so
// that its ping URL keeps working once the hostname points at Overdue. A Source is what was
// read from Healthchecks, through its management API v3 (FromAPI) or from its database file;
// Apply adds it to a store, idempotently: a check already there is left as it is, save for
// channel assignments that have become possible since.
//
// Healthchecks' API does not reveal a channel's target (an address, a URL, a key), so channels
// read through it cannot be created: the report lists each with what the operator must still
// provide, and checks are assigned by name to the channels of the Overdue project that match
// one of theirs (same name and kind): create the channels, import again, and the assignments
// follow.
package hcimport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/schedule"
	"github.com/overduehq/overdue/internal/store"
)

// Source is a Healthchecks project as read.
type Source struct {
	// Origin names where it was read, for messages ("https://healthchecks.io").
	Origin string
	// Name is the project's name, when the source tells it.
	Name string
	// Checks are the project's checks; their Channels hold Healthchecks channel IDs, and
	// their ProjectID is empty until Apply.
	Checks []*check.Check
	// Channels are the project's channels.
	Channels []Channel
	// Skipped lists what was read but cannot be carried over, one line each.
	Skipped []string
}

// Channel is a Healthchecks channel (an "integration").
type Channel struct {
	ID   string
	Name string
	Kind string
	// Value is the channel's target in Overdue's form, "" when the source does not reveal it.
	Value string
}

// Options choose how Apply writes.
type Options struct {
	// ProjectID is the Overdue project to import into. "" means the project that already holds
	// the source's checks (an import run before), or a new one.
	ProjectID string
	// DryRun reads the store and reports, writing nothing.
	DryRun bool
	// Now is the clock (creation times of new projects and channels).
	Now func() time.Time
	// Rand draws new keys and IDs (crypto/rand.Reader).
	Rand io.Reader
	// NewID returns a new random UUID.
	NewID func() string
}

// Report says what Apply found and did.
type Report struct {
	// Project is the Overdue project the checks are in.
	Project *check.Project
	// NewProject is true when Apply created it; Keys are then its keys, shown once.
	NewProject bool
	Keys       check.Keys
	// Created are the UUIDs of checks created, Existing those already there.
	Created, Existing []string
	// Assigned counts channel assignments added to checks already there.
	Assigned int
	// Matched are the source's channels that an Overdue channel of the project stands for.
	Matched []Channel
	// Missing are the source's channels with no Overdue channel of the same name and kind.
	Missing []Channel
	// Skipped lists what could not be carried over.
	Skipped []string
}

// Apply adds the source to st. See the package documentation.
func Apply(ctx context.Context, st store.Store, src *Source, opts Options) (*Report, error) {
	rep := &Report{Skipped: slices.Clone(src.Skipped)}
	existing := map[string]*check.Check{}
	holder := ""
	for _, c := range src.Checks {
		have, err := st.Check(ctx, c.ID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			continue
		case err != nil:
			return nil, fmt.Errorf("load check %s: %w", c.ID, err)
		}
		existing[c.ID] = have
		switch {
		case opts.ProjectID != "" && have.ProjectID != opts.ProjectID:
			return nil, fmt.Errorf("check %s (%q) already exists in project %s of this store, not in project %s: "+
				"a check's UUID is its ping URL, so it can be in one project only; import into project %s, or delete the check there first",
				c.ID, c.Name, have.ProjectID, opts.ProjectID, have.ProjectID)
		case holder != "" && have.ProjectID != holder:
			return nil, fmt.Errorf("the source's checks are already in two projects of this store (%s and %s): choose one with --project", holder, have.ProjectID)
		}
		holder = have.ProjectID
	}

	project := opts.ProjectID
	if project == "" {
		project = holder
	}
	if project != "" {
		p, err := st.Project(ctx, project)
		if err != nil {
			return nil, fmt.Errorf("load project %s: %w", project, err)
		}
		rep.Project = p
	} else {
		keys, err := check.GenerateKeys(opts.Rand)
		if err != nil {
			return nil, err
		}
		name := src.Name
		if name == "" {
			name = "Imported from " + src.Origin
		}
		if len([]rune(name)) > 200 {
			name = string([]rune(name)[:200])
		}
		rep.Project = &check.Project{ID: opts.NewID(), Name: name, Created: opts.Now().UTC(),
			APIKeyHash: check.HashKey(keys.APIKey), ReadOnlyKeyHash: check.HashKey(keys.ReadOnlyKey),
			PingKeyHash: check.HashKey(keys.PingKey), BadgeKey: opts.NewID()}
		rep.NewProject, rep.Keys = true, keys
	}

	// Healthchecks channel ID → Overdue channel ID, by name and kind.
	var have []*check.Channel
	if !rep.NewProject {
		var err error
		if have, err = st.Channels(ctx, rep.Project.ID); err != nil {
			return nil, fmt.Errorf("list channels of project %s: %w", rep.Project.ID, err)
		}
	}
	mapped := map[string]string{}
	for _, ch := range src.Channels {
		i := slices.IndexFunc(have, func(o *check.Channel) bool { return o.Name == ch.Name && o.Kind == ch.Kind })
		if i >= 0 {
			mapped[ch.ID] = have[i].ID
			rep.Matched = append(rep.Matched, ch)
		} else {
			rep.Missing = append(rep.Missing, ch)
		}
	}
	assign := func(hc []string) []string {
		var out []string
		for _, id := range hc {
			if o, ok := mapped[id]; ok && !slices.Contains(out, o) {
				out = append(out, o)
			}
		}
		return out
	}

	type update struct {
		id   string
		add  []string
		name string
	}
	var creates []*check.Check
	var updates []update
	for _, c := range src.Checks {
		if have := existing[c.ID]; have != nil {
			rep.Existing = append(rep.Existing, c.ID)
			var add []string
			for _, id := range assign(c.Channels) {
				if !slices.Contains(have.Channels, id) {
					add = append(add, id)
				}
			}
			if len(add) > 0 {
				updates = append(updates, update{id: c.ID, add: add, name: c.Name})
				rep.Assigned += len(add)
			}
			continue
		}
		nc := *c
		nc.ProjectID = rep.Project.ID
		if nc.Created.IsZero() {
			nc.Created = opts.Now().UTC() // the API does not say when a check was created
		}
		nc.Channels = assign(c.Channels)
		creates = append(creates, &nc)
		rep.Created = append(rep.Created, c.ID)
	}
	if opts.DryRun {
		return rep, nil
	}

	if rep.NewProject {
		if err := st.CreateProject(ctx, rep.Project); err != nil {
			return nil, fmt.Errorf("create project: %w", err)
		}
	}
	for _, c := range creates {
		if err := st.CreateCheck(ctx, c); err != nil {
			return rep, fmt.Errorf("create check %s (%q): %w", c.ID, c.Name, err)
		}
	}
	for _, u := range updates {
		if _, err := st.UpdateCheck(ctx, u.id, func(c *check.Check) (store.Change, error) {
			for _, id := range u.add {
				if !slices.Contains(c.Channels, id) {
					c.Channels = append(c.Channels, id)
				}
			}
			return store.Change{}, nil
		}); err != nil {
			return rep, fmt.Errorf("assign channels to check %s (%q): %w", u.id, u.name, err)
		}
	}
	return rep, nil
}

// newCheck builds a check from what Healthchecks shows of it, validated as Overdue's API
// validates. An error says what Overdue cannot take, in one line, for Source.Skipped.
func newCheck(f checkFields) (*check.Check, error) {
	c := check.New(strings.ToLower(f.UUID), "", f.Created)
	c.Name, c.Slug, c.Tags, c.Desc = f.Name, f.Slug, f.Tags, f.Desc
	c.Grace = time.Duration(f.Grace) * time.Second
	c.Methods, c.ManualResume = f.Methods, f.ManualResume
	c.StartKw, c.SuccessKw, c.FailureKw = f.StartKw, f.SuccessKw, f.FailureKw
	c.FilterSubject, c.FilterBody, c.FilterHTTPBody, c.FilterDefaultFail = f.FilterSubject, f.FilterBody, f.FilterHTTPBody, f.FilterDefaultFail
	c.BadgeKey = f.BadgeKey
	c.Channels = f.Channels
	c.NPings, c.LastPing = f.NPings, f.LastPing
	for _, v := range []struct {
		field string
		err   error
	}{
		{"name", check.ValidateName(c.Name)}, {"slug", check.ValidateSlug(c.Slug)},
		{"tags", check.ValidateTags(c.Tags)}, {"desc", check.ValidateDesc(c.Desc)},
	} {
		if v.err != nil {
			return nil, fmt.Errorf("%s: %w", v.field, v.err)
		}
	}
	if c.Methods != "" && c.Methods != "POST" {
		return nil, fmt.Errorf("methods %q: Overdue knows \"\" and \"POST\"", c.Methods)
	}
	if c.Grace < check.MinTimeout || c.Grace > check.MaxTimeout {
		return nil, fmt.Errorf("grace %d s is outside 60 s to 365 days", f.Grace)
	}
	var sched schedule.Nexter
	if f.Schedule != "" {
		zone, err := schedule.CanonicalZone(f.TZ)
		if err != nil {
			return nil, fmt.Errorf("tz %q: %w", f.TZ, err)
		}
		s, err := schedule.Parse(f.Schedule, zone)
		if err != nil {
			return nil, fmt.Errorf("schedule %q: %w", f.Schedule, err)
		}
		c.Kind, c.Schedule, c.TZ = check.Kind(s.Kind()), f.Schedule, zone
		sched = s
	} else {
		c.Timeout = time.Duration(f.Timeout) * time.Second
		if c.Timeout < check.MinTimeout || c.Timeout > check.MaxTimeout {
			return nil, fmt.Errorf("timeout %d s is outside 60 s to 365 days", f.Timeout)
		}
	}
	switch f.Status {
	case "new":
		c.Status = check.StatusNew
	case "paused":
		c.Status = check.StatusPaused
	case "down":
		c.Status = check.StatusDown
	case "up", "grace", "started":
		c.Status = check.StatusUp
	default:
		return nil, fmt.Errorf("status %q: want new, up, grace, down or paused", f.Status)
	}
	if c.Status == check.StatusUp && c.LastPing.IsZero() {
		c.Status = check.StatusNew // nothing to time from
	}
	if c.Status == check.StatusUp {
		// The sweep finds the check when it goes down, as Healthchecks would have.
		c.AlertAfter = c.GoingDownAfter(sched)
	}
	return c, nil
}

// checkFields are the fields of a Healthchecks check Overdue keeps, from either source.
type checkFields struct {
	UUID, Name, Slug, Tags, Desc  string
	Created                       time.Time
	Timeout, Grace                int64
	Schedule, TZ                  string
	Methods                       string
	ManualResume                  bool
	StartKw, SuccessKw, FailureKw string
	FilterSubject, FilterBody     bool
	FilterHTTPBody                bool
	FilterDefaultFail             bool
	BadgeKey                      string
	Channels                      []string
	Status                        string
	NPings                        int
	LastPing                      time.Time
}
