package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// checksJSON is the body of the checks list.
type checksJSON struct {
	Checks []checkJSON `json:"checks"`
}

// handleListChecks serves GET /api/v{1,2,3}/checks/: the project's checks, oldest first, filtered
// by every ?tag= (a check must carry all of them) and by ?slug=. Read-only keys see the
// read-only view.
func (s *Server) handleListChecks(w http.ResponseWriter, r *http.Request, v int) {
	ctx := r.Context()
	p, readOnly, err := s.authenticate(ctx, r, nil, readOnlyOK)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	checks, err := s.store.Checks(ctx, p.ID)
	if err != nil {
		s.writeAPIError(w, r, fmt.Errorf("list checks of project %s: %w", p.ID, err), "project", p.ID)
		return
	}
	q := r.URL.Query()
	tags := q["tag"]
	slug, _ := lastValue(q, "slug")
	now := s.now()
	windows, err := s.windowsForView(ctx, p.ID, v)
	if err != nil {
		s.writeAPIError(w, r, err, "project", p.ID)
		return
	}
	out := checksJSON{Checks: []checkJSON{}}
	for _, c := range checks {
		if slug != "" && c.Slug != slug || !hasTags(c, tags) {
			continue
		}
		j := s.renderCheck(c, v, readOnly, now)
		markMaintenance(&j, c, windows, now)
		out.Checks = append(out.Checks, j)
	}
	writeJSON(w, http.StatusOK, out)
}

// hasTags reports whether c carries every tag in tags. An empty tag is carried by no check
// (Healthchecks: ?tag= matches nothing).
func hasTags(c *check.Check, tags []string) bool {
	have := c.TagList()
	for _, t := range tags {
		found := false
		for _, h := range have {
			if strings.TrimSpace(h) == t && t != "" {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// handleCreateCheck serves POST /api/v{1,2,3}/checks/: creates a check (201), or, when the
// request names "unique" fields and a check of the project equals the request in all of them,
// updates the oldest such check instead (200).
func (s *Server) handleCreateCheck(w http.ResponseWriter, r *http.Request, v int) {
	ctx := r.Context()
	body, err := readJSONObject(r)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	p, _, err := s.authenticate(ctx, r, body, readWrite)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	spec, err := parseCheckSpec(body, v)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	channels, err := s.specChannels(ctx, p, spec)
	if err != nil {
		s.writeAPIError(w, r, err, "project", p.ID)
		return
	}
	existing, err := s.store.Checks(ctx, p.ID)
	if err != nil {
		s.writeAPIError(w, r, fmt.Errorf("list checks of project %s: %w", p.ID, err), "project", p.ID)
		return
	}
	for _, c := range existing {
		if spec.matches(c) {
			s.updateCheck(w, r, v, p, c.ID, spec, channels)
			return
		}
	}
	if len(existing) >= s.apiCheckLimit() {
		s.writeAPIError(w, r, errCheckLimit)
		return
	}

	now := s.now()
	c := check.New(s.newID(), p.ID, now)
	c.BadgeKey = s.newID()
	spec.apply(c, v, channels)
	if err := spec.rules.apply(c); err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	if err := checkDependencies(c, nil, listed(existing)); err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	sched, _ := scheduleFor(c) // validated: cannot fail
	c.AlertAfter = c.NextDue(sched)
	if err := s.store.CreateCheck(ctx, c); err != nil {
		s.writeAPIError(w, r, fmt.Errorf("create check %s: %w", c.ID, err), "project", p.ID)
		return
	}
	s.log.InfoContext(ctx, "check created", "check", c.ID, "project", p.ID)
	writeJSON(w, http.StatusCreated, s.renderCheck(c, v, false, now))
}

// apiCheckLimit is how many checks a project may have before creating one through the API is
// refused with 403. Healthchecks lets auto-provisioning go to twice the API's limit, and
// MaxChecksPerProject is the auto-provisioning limit.
func (s *Server) apiCheckLimit() int { return max(1, s.maxChecks/2) }

// specChannels resolves the request's channels against the project's channels: nil when the
// request has none (the check's channels stay as they are). It notes in spec whether they reach
// a late channel.
func (s *Server) specChannels(ctx context.Context, p *check.Project, spec *checkSpec) ([]string, error) {
	if spec.channels == nil {
		return nil, nil
	}
	var project []*check.Channel
	if *spec.channels != "" {
		var err error
		project, err = store.ListChannels(ctx, s.store, p.ID)
		if err != nil {
			return nil, fmt.Errorf("list channels of project %s: %w", p.ID, err)
		}
	}
	ids, err := resolveChannels(*spec.channels, project)
	spec.lateNotice = check.ReachesLate(ids, project)
	return ids, err
}

// handleGetCheck serves GET /api/v{1,2,3}/checks/{uuid}.
func (s *Server) handleGetCheck(w http.ResponseWriter, r *http.Request, v int) {
	ctx := r.Context()
	p, readOnly, err := s.authenticate(ctx, r, nil, readOnlyOK)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	c, err := s.loadCheck(ctx, p, r.PathValue("code"))
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	windows, err := s.windowsForView(ctx, p.ID, v)
	if err != nil {
		s.writeAPIError(w, r, err, "project", p.ID)
		return
	}
	now := s.now()
	j := s.renderCheck(c, v, readOnly, now)
	markMaintenance(&j, c, windows, now)
	writeJSON(w, http.StatusOK, j)
}

// handleGetCheckByUniqueKey serves GET /api/v{1,2,3}/checks/{unique_key}: the check of the key's
// project with that unique key, in the view the key gives.
func (s *Server) handleGetCheckByUniqueKey(w http.ResponseWriter, r *http.Request, v int) {
	ctx := r.Context()
	p, readOnly, err := s.authenticate(ctx, r, nil, readOnlyOK)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	c, err := s.checkByUniqueKey(ctx, p, r.PathValue("code"))
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.renderCheck(c, v, readOnly, s.now()))
}

// handleUpdateCheck serves POST /api/v{1,2,3}/checks/{uuid}: changes the fields the request
// carries and nothing else. Setting timeout makes a cron or OnCalendar check simple; setting
// schedule makes any check cron or OnCalendar.
func (s *Server) handleUpdateCheck(w http.ResponseWriter, r *http.Request, v int) {
	ctx := r.Context()
	body, err := readJSONObject(r)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	p, _, err := s.authenticate(ctx, r, body, readWrite)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	id := r.PathValue("code")
	if _, err := s.loadCheck(ctx, p, id); err != nil {
		s.writeAPIError(w, r, err, "check", id)
		return
	}
	spec, err := parseCheckSpec(body, v)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	channels, err := s.specChannels(ctx, p, spec)
	if err != nil {
		s.writeAPIError(w, r, err, "check", id)
		return
	}
	s.updateCheck(w, r, v, p, id, spec, channels)
}

// updateCheck applies a validated request to check id of project p and answers 200 with the
// result. Everything that can fail was checked before, but for the rules taken together with
// the check's (a 400 that writes nothing): nothing invalid reaches the store.
//
// A depends_on that adds parents is checked against the project's graph inside the store's
// UpdateDependencies, so that two updates that would together close a cycle cannot both pass:
// one of them sees the other's parents, and gets the cycle's 400.
func (s *Server) updateCheck(w http.ResponseWriter, r *http.Request, v int, p *check.Project, id string, spec *checkSpec, channels []string) {
	now := s.now()
	update := func(c *check.Check, g store.Graph) (store.Change, error) {
		if c.ProjectID != p.ID {
			return store.Change{}, store.ErrNotFound
		}
		prev := slices.Clone(c.DependsOn)
		spec.apply(c, v, channels)
		// The rules are checked together with the check's own (min_runtime below max_runtime).
		if err := spec.rules.apply(c); err != nil {
			return store.Change{}, err
		}
		if g != nil {
			if err := checkDependencies(c, prev, g); err != nil {
				return store.Change{}, err
			}
		}
		sched, _ := scheduleFor(c) // validated: cannot fail
		c.AlertAfter = c.NextDue(sched)
		return store.Change{}, nil
	}
	var c *check.Check
	var err error
	if spec.rules.dependsOn != nil && len(*spec.rules.dependsOn) > 0 {
		c, err = s.store.UpdateDependencies(r.Context(), id, update)
		if errors.Is(err, store.ErrConflict) {
			err = errDependsOnRace
		}
	} else {
		c, err = s.store.UpdateCheck(r.Context(), id, func(c *check.Check) (store.Change, error) { return update(c, nil) })
	}
	if err != nil {
		s.writeAPIError(w, r, fmt.Errorf("update check %s: %w", id, err), "check", id)
		return
	}
	writeJSON(w, http.StatusOK, s.renderCheck(c, v, false, now))
}

// listed is a store.Graph over checks read before (a create's: no check can depend on a check
// being created, so no other update can race it into a cycle).
func listed(checks []*check.Check) store.Graph {
	byID := make(map[string]*check.Check, len(checks))
	for _, c := range checks {
		byID[c.ID] = c
	}
	return func(id string) (*check.Check, error) {
		if c, ok := byID[id]; ok {
			return c, nil
		}
		return nil, store.ErrNotFound
	}
}

// handleDeleteCheck serves DELETE /api/v{1,2,3}/checks/{uuid}: deletes the check with its pings
// and flips, and answers with the check as it was. (Healthchecks renders it after deleting, so
// its channels show as ""; we show them.)
func (s *Server) handleDeleteCheck(w http.ResponseWriter, r *http.Request, v int) {
	ctx := r.Context()
	p, _, err := s.authenticate(ctx, r, nil, readWrite)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	id := r.PathValue("code")
	c, err := s.loadCheck(ctx, p, id)
	if err != nil {
		s.writeAPIError(w, r, err, "check", id)
		return
	}
	out := s.renderCheck(c, v, false, s.now())
	if err := s.store.DeleteCheck(ctx, id); err != nil {
		s.writeAPIError(w, r, fmt.Errorf("delete check %s: %w", id, err), "check", id)
		return
	}
	s.log.InfoContext(ctx, "check deleted", "check", id, "project", p.ID)
	writeJSON(w, http.StatusOK, out)
}

// handlePauseCheck serves POST /api/v{1,2,3}/checks/{uuid}/pause. Pausing a paused check changes
// nothing and records no flip.
func (s *Server) handlePauseCheck(w http.ResponseWriter, r *http.Request, v int) {
	s.changeStatus(w, r, v, func(c *check.Check, now time.Time) (*check.Flip, error) {
		return c.Pause(now), nil
	})
}

// handleResumeCheck serves POST /api/v{1,2,3}/checks/{uuid}/resume: a paused check becomes new;
// any other answers 409 "check is not paused".
func (s *Server) handleResumeCheck(w http.ResponseWriter, r *http.Request, v int) {
	s.changeStatus(w, r, v, func(c *check.Check, now time.Time) (*check.Flip, error) {
		return c.Resume(now)
	})
}

// changeStatus runs pause or resume: the body may carry the key, the change and its flip are
// written in one transaction, and the answer is the check afterwards.
func (s *Server) changeStatus(w http.ResponseWriter, r *http.Request, v int, change func(*check.Check, time.Time) (*check.Flip, error)) {
	ctx := r.Context()
	body, err := readJSONObject(r)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	p, _, err := s.authenticate(ctx, r, body, readWrite)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	id := r.PathValue("code")
	now := s.now()
	c, err := s.store.UpdateCheck(ctx, id, func(c *check.Check) (store.Change, error) {
		if c.ProjectID != p.ID {
			return store.Change{}, store.ErrNotFound
		}
		f, err := change(c, now)
		if err != nil {
			return store.Change{}, err
		}
		return store.Change{Flip: f}, nil
	})
	if err != nil {
		s.writeAPIError(w, r, fmt.Errorf("change status of check %s: %w", id, err), "check", id)
		return
	}
	writeJSON(w, http.StatusOK, s.renderCheck(c, v, false, now))
}
