package httpapi

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/project"
	"github.com/overduehq/overdue/internal/store"
)

// The projects API, an Overdue extension (Healthchecks has none): with a personal API token a
// person creates projects (becoming their owner), lists the projects they belong to, renames
// and deletes them (owners), and manages their keys and members.

// projectJSON is a project as the projects API shows it, with the caller's role in it. The keys
// appear only in the answer to a create, the one time they exist in plain text.
type projectJSON struct {
	ID             string  `json:"id"`
	Name           string  `json:"name"`
	Role           string  `json:"role"`
	Created        isoTime `json:"created"`
	APIKey         string  `json:"api_key,omitempty"`
	APIKeyReadonly string  `json:"api_key_readonly,omitempty"`
	PingKey        string  `json:"ping_key,omitempty"`
}

func renderProject(p *check.Project, role people.Role) projectJSON {
	return projectJSON{ID: p.ID, Name: p.Name, Role: string(role), Created: isoTime(p.Created)}
}

// handleListProjects serves GET /api/v3/projects/: the projects the caller belongs to, oldest
// first, each with the caller's role.
func (s *Server) handleListProjects(w http.ResponseWriter, r *http.Request, _ int) {
	ctx := r.Context()
	c, err := s.authorizeUser(ctx, r, "", needView)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	ms, err := s.accounts.People.Memberships(ctx, c.user.ID)
	if err != nil {
		s.writeAPIError(w, r, fmt.Errorf("list memberships: %w", err))
		return
	}
	out := struct {
		Projects []projectJSON `json:"projects"`
	}{Projects: make([]projectJSON, 0, len(ms))}
	for _, m := range ms {
		p, err := s.store.Project(ctx, m.ProjectID)
		if errors.Is(err, store.ErrNotFound) {
			continue // deleted; its memberships go right after it
		}
		if err != nil {
			s.writeAPIError(w, r, fmt.Errorf("load project %s: %w", m.ProjectID, err))
			return
		}
		out.Projects = append(out.Projects, renderProject(p, m.Role))
	}
	sortProjects(out.Projects)
	writeJSON(w, http.StatusOK, out)
}

// sortProjects orders projects oldest first, then by ID.
func sortProjects(ps []projectJSON) {
	slices.SortFunc(ps, func(a, b projectJSON) int {
		return cmp.Or(time.Time(a.Created).Compare(time.Time(b.Created)), strings.Compare(a.ID, b.ID))
	})
}

// handleCreateProject serves POST /api/v3/projects/ {"name": …}: a new project with fresh keys,
// shown this once, and the caller as its owner. 201.
func (s *Server) handleCreateProject(w http.ResponseWriter, r *http.Request, _ int) {
	ctx := r.Context()
	body, err := readJSONObject(r)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	c, err := s.authorizeUser(ctx, r, "", needView)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	name, err := projectName(body)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	keys, err := check.GenerateKeys(s.rand)
	if err != nil {
		s.writeAPIError(w, r, fmt.Errorf("generate project keys: %w", err))
		return
	}
	now := s.now()
	p := &check.Project{
		ID:              s.newID(),
		Name:            name,
		Created:         now,
		APIKeyHash:      check.HashKey(keys.APIKey),
		ReadOnlyKeyHash: check.HashKey(keys.ReadOnlyKey),
		PingKeyHash:     check.HashKey(keys.PingKey),
		BadgeKey:        uuid.NewString(),
	}
	if err := s.store.CreateProject(ctx, p); err != nil {
		s.writeAPIError(w, r, fmt.Errorf("create project: %w", err))
		return
	}
	m := people.Membership{ProjectID: p.ID, UserID: c.user.ID, Role: people.RoleOwner, Created: now}
	if err := s.accounts.People.SetMembership(ctx, m); err != nil {
		// The project exists without an owner; removing it keeps the store as it was.
		if derr := s.store.DeleteProject(context.WithoutCancel(ctx), p.ID); derr != nil {
			err = errors.Join(err, derr)
		}
		s.writeAPIError(w, r, fmt.Errorf("make the creator owner of project %s: %w", p.ID, err))
		return
	}
	out := renderProject(p, people.RoleOwner)
	out.APIKey, out.APIKeyReadonly, out.PingKey = keys.APIKey, keys.ReadOnlyKey, keys.PingKey
	writeJSON(w, http.StatusCreated, out)
}

// projectName is the body's "name": required, non-blank, within check.ValidateProjectName.
func projectName(body map[string]json.RawMessage) (string, error) {
	name, err := requiredString(body, "name")
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(name) == "" {
		return "", &clientError{http.StatusBadRequest, "name is blank: give the project a name"}
	}
	if err := check.ValidateProjectName(name); err != nil {
		return "", fieldError(err)
	}
	return name, nil
}

// handleGetProject serves GET /api/v3/projects/{project}: the project and the caller's role.
func (s *Server) handleGetProject(w http.ResponseWriter, r *http.Request, _ int) {
	c, err := s.authorizeUser(r.Context(), r, r.PathValue("project"), needView)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, renderProject(c.project, c.role))
}

// handleRenameProject serves POST /api/v3/projects/{project} {"name": …} (owners): the renamed
// project.
func (s *Server) handleRenameProject(w http.ResponseWriter, r *http.Request, _ int) {
	ctx := r.Context()
	body, err := readJSONObject(r)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	c, err := s.authorizeUser(ctx, r, r.PathValue("project"), needProject)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	name, err := projectName(body)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	p, err := s.store.UpdateProject(ctx, c.project.ID, func(p *check.Project) error {
		p.Name = name
		return nil
	})
	if err != nil {
		s.writeAPIError(w, r, fmt.Errorf("rename project %s: %w", c.project.ID, err))
		return
	}
	writeJSON(w, http.StatusOK, renderProject(p, c.role))
}

// handleDeleteProject serves DELETE /api/v3/projects/{project}[?force=true] (owners). A project
// with checks or channels is refused (409, with the counts) unless force is given; with it, its
// checks (with their pings and flips) and channels are deleted first, then the project, its
// keys and its memberships. 204.
func (s *Server) handleDeleteProject(w http.ResponseWriter, r *http.Request, _ int) {
	ctx := r.Context()
	c, err := s.authorizeUser(ctx, r, r.PathValue("project"), needProject)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	force := false
	if v := r.URL.Query().Get("force"); v != "" {
		if force, err = strconv.ParseBool(v); err != nil {
			s.writeAPIError(w, r, &clientError{http.StatusBadRequest, fmt.Sprintf("force=%q is not true or false", v)})
			return
		}
	}
	err = project.Delete(ctx, s.store, c.project.ID, force)
	var ne *project.NotEmptyError
	switch {
	case errors.As(err, &ne):
		s.writeAPIError(w, r, &clientError{http.StatusConflict, fmt.Sprintf(
			"the project has %d checks and %d channels: delete them first, or add ?force=true to delete them with the project",
			ne.Checks, ne.Channels)})
		return
	case errors.Is(err, store.ErrConflict):
		// A check or channel was created while we deleted the others.
		s.writeAPIError(w, r, &clientError{http.StatusConflict, "a check or channel was added to the project meanwhile: try again"})
		return
	case err != nil:
		s.writeAPIError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
