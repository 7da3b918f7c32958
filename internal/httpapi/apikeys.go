package httpapi

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/project"
	"github.com/overduehq/overdue/internal/store"
)

// A project's keys through the projects API. A project has at most one key of each kind, as in
// Healthchecks: a read-write API key, a read-only API key and a ping key (for slug URLs). A key
// is shown once, when it is created; the store keeps only its SHA-256 (check.HashKey), so a
// listing shows a hint instead: the first 8 hex digits of that hash, which whoever holds the
// key can compute (printf %s "$KEY" | sha256sum) and which says nothing about the key.

// keyJSON is a project key as the API shows it; Key only in the answer to a create.
type keyJSON struct {
	Kind string `json:"kind"`
	Hint string `json:"hint"`
	Key  string `json:"key,omitempty"`
}

func errUnknownKind(kind string) error {
	return &clientError{http.StatusBadRequest, fmt.Sprintf("key kind %q is not one of read-write, read-only, ping", kind)}
}

// handleListKeys serves GET /api/v3/projects/{project}/keys/ (every role but read-only): the
// kinds of key the project has, each with its hint.
func (s *Server) handleListKeys(w http.ResponseWriter, r *http.Request, _ int) {
	c, err := s.authorizeUser(r.Context(), r, r.PathValue("project"), needWrite)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	out := struct {
		Keys []keyJSON `json:"keys"`
	}{Keys: []keyJSON{}}
	for _, kind := range check.KeyKinds {
		if h := *c.project.KeyHash(kind); h != "" {
			out.Keys = append(out.Keys, keyJSON{Kind: kind, Hint: check.KeyHint(h)})
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// handleCreateKey serves POST /api/v3/projects/{project}/keys/ {"kind": "read-write" |
// "read-only" | "ping"} (every role but read-only): a new key of that kind, shown this once.
// 409 when the project has one: revoke it first.
func (s *Server) handleCreateKey(w http.ResponseWriter, r *http.Request, _ int) {
	ctx := r.Context()
	body, err := readJSONObject(r)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	c, err := s.authorizeUser(ctx, r, r.PathValue("project"), needWrite)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	kind, err := requiredString(body, "kind")
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	key, err := project.NewKey(ctx, s.store, s.rand, c.project.ID, kind, false)
	var ke *project.KeyExistsError
	switch {
	case errors.Is(err, project.ErrUnknownKind):
		s.writeAPIError(w, r, errUnknownKind(kind))
		return
	case errors.As(err, &ke):
		s.writeAPIError(w, r, &clientError{http.StatusConflict, fmt.Sprintf(
			"the project has a %s key already: revoke it first (DELETE /api/v3/projects/%s/keys/%s), then create a new one",
			kind, ke.Project, kind)})
		return
	case err != nil:
		s.writeAPIError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, keyJSON{Kind: kind, Hint: check.KeyHint(check.HashKey(key)), Key: key})
}

// handleRevokeKey serves DELETE /api/v3/projects/{project}/keys/{kind} (every role but
// read-only): the key of that kind stops working at once. 404 when the project has none.
func (s *Server) handleRevokeKey(w http.ResponseWriter, r *http.Request, _ int) {
	ctx := r.Context()
	c, err := s.authorizeUser(ctx, r, r.PathValue("project"), needWrite)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	kind := r.PathValue("kind")
	err = project.RevokeKey(ctx, s.store, c.project.ID, kind)
	switch {
	case errors.Is(err, project.ErrUnknownKind):
		s.writeAPIError(w, r, errUnknownKind(kind))
		return
	case errors.Is(err, store.ErrNotFound):
		s.writeAPIError(w, r, &clientError{http.StatusNotFound, fmt.Sprintf("the project has no %s key", kind)})
		return
	case err != nil:
		s.writeAPIError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
