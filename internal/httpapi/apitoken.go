package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/overduehq/overdue/internal/account"
	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/store"
)

// The tokens API, an Overdue extension: a person lists, creates and revokes their own personal
// API tokens, authenticated by one of them (the first comes from `overdue token create`).

// tokenJSON is a personal API token as the API shows it: never the token itself, except once,
// in Token, when it is created.
type tokenJSON struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Created  isoTime  `json:"created"`
	LastUsed *isoTime `json:"last_used"`
	Token    string   `json:"token,omitempty"`
}

func renderToken(t *people.APIToken) tokenJSON {
	return tokenJSON{ID: t.ID, Name: t.Name, Created: isoTime(t.Created), LastUsed: isoTimePtr(t.LastUsed)}
}

// handleListTokens serves GET /api/v3/tokens/: the caller's tokens, oldest first.
func (s *Server) handleListTokens(w http.ResponseWriter, r *http.Request, _ int) {
	ctx := r.Context()
	c, err := s.authorizeUser(ctx, r, "", needView)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	list, err := s.accounts.People.APITokens(ctx, c.user.ID)
	if err != nil {
		s.writeAPIError(w, r, fmt.Errorf("list API tokens: %w", err))
		return
	}
	out := struct {
		Tokens []tokenJSON `json:"tokens"`
	}{Tokens: make([]tokenJSON, 0, len(list))}
	for _, t := range list {
		out.Tokens = append(out.Tokens, renderToken(t))
	}
	writeJSON(w, http.StatusOK, out)
}

// handleCreateToken serves POST /api/v3/tokens/ {"name": …}: a new token for the caller, shown
// this once in "token".
func (s *Server) handleCreateToken(w http.ResponseWriter, r *http.Request, _ int) {
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
	name, err := requiredString(body, "name")
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	tok, t, err := s.accounts.CreateAPIToken(ctx, c.user.ID, name)
	if errors.Is(err, account.ErrInvalid) {
		s.writeAPIError(w, r, invalidRequest(err))
		return
	}
	if err != nil {
		s.writeAPIError(w, r, fmt.Errorf("create API token: %w", err))
		return
	}
	out := renderToken(t)
	out.Token = tok
	writeJSON(w, http.StatusCreated, out)
}

// handleRevokeToken serves DELETE /api/v3/tokens/{id}: the caller's token with the ID stops
// working at once (the token making the request included). 404 for a token that is not the
// caller's.
func (s *Server) handleRevokeToken(w http.ResponseWriter, r *http.Request, _ int) {
	ctx := r.Context()
	c, err := s.authorizeUser(ctx, r, "", needView)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	err = s.accounts.People.RevokeAPIToken(ctx, c.user.ID, r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		s.writeAPIError(w, r, &clientError{http.StatusNotFound, "token not found (list yours with GET /api/v3/tokens/)"})
		return
	}
	if err != nil {
		s.writeAPIError(w, r, fmt.Errorf("revoke API token: %w", err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// requiredString is the string member name of a request body; a 400 naming it when it is
// missing, not a string, or blank.
func requiredString(body map[string]json.RawMessage, name string) (string, error) {
	raw, ok := body[name]
	if !ok {
		return "", &clientError{http.StatusBadRequest, fmt.Sprintf("%s is required: send {%q: \"…\"}", name, name)}
	}
	v, ok := jsonString(raw)
	if !ok {
		return "", &clientError{http.StatusBadRequest, name + " is not a string"}
	}
	return v, nil
}

// invalidRequest is the 400 for an account.ErrInvalid: the service's message, which says what
// to fix, without the sentinel's prefix.
func invalidRequest(err error) error {
	return &clientError{http.StatusBadRequest, strings.TrimPrefix(err.Error(), account.ErrInvalid.Error()+": ")}
}
