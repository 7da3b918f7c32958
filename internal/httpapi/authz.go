package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/overduehq/overdue/internal/account"
	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/store"
)

// Authorization: every API request is decided here, in one step, by the permission table of
// package people. A caller is a project key or a person:
//
//   - a project's read-write API key acts in that project with the rights of a member (it
//     changes checks and channels and sees ping URLs, but manages neither members nor the
//     project); its read-only key with those of a read-only member;
//   - a personal API token (Authorization: Bearer odp_…) acts as its user, with the user's role
//     in the project the request is about: the project in the URL for the projects API, the
//     X-Project header for the Healthchecks-shaped routes (checks, channels, deliveries).
//
// What each route needs is a need; allowed maps a need to the role's permissions. Refusals keep
// Healthchecks' answers for project keys (401 "wrong api key" for the read-only key where it is
// not accepted) and say, for people, which role they have and what it lacks (403).

// ProjectHeader names the project a personal API token acts in on the routes that address
// no project in their URL (/api/v{1,2,3}/checks/, /channels/, /deliveries/parked/).
const ProjectHeader = "X-Project"

// need is what a request does, in the terms of the permission table.
type need int

const (
	// needView: read a project's checks; callers who cannot see secrets get the read-only view.
	needView need = iota
	// needWrite: change checks and channels, list, create and revoke the project's keys (as
	// Healthchecks' project settings let every member but read-only ones), and read what the
	// read-only view leaves out (pings and their bodies, channels, parked deliveries).
	needWrite
	// needMembers: change members' roles and remove members.
	needMembers
	// needProject: rename and delete the project.
	needProject
)

// allowed is the one decision: may a caller with role do what n needs?
func allowed(role people.Role, n need) bool {
	switch n {
	case needView:
		return role.Valid()
	case needWrite:
		return role.CanWrite() && role.CanSeeSecrets()
	case needMembers:
		return role.CanManageMembers()
	case needProject:
		return role.CanManageProject()
	}
	return false
}

// what says in words what a need is, for a refusal.
func (n need) what() string {
	switch n {
	case needView:
		return "see this project"
	case needWrite:
		return "change checks, channels or keys, or see ping URLs, pings, channels or keys"
	case needMembers:
		return "manage the project's members"
	}
	return "rename or delete the project"
}

// caller is who sent a request, as authorization found them.
type caller struct {
	project *check.Project // the project acted in; nil for requests about the user alone
	role    people.Role    // the caller's role in project
	user    *people.User   // the token's user; nil for a project key
	token   *people.APIToken
}

// readOnly reports whether the caller gets the read-only view: no ping URLs, keys or secrets.
func (c *caller) readOnly() bool { return !c.role.CanSeeSecrets() }

// Personal-token errors. A token that is malformed, unknown or revoked is one answer.
var (
	errMissingToken = &clientError{http.StatusUnauthorized,
		"missing personal API token: send it as Authorization: Bearer odp_… (create one with overdue token create)"}
	errBadToken = &clientError{http.StatusUnauthorized, account.ErrBadToken.Error()}
	errNoTokens = &clientError{http.StatusNotImplemented, "personal API tokens are not available on this server"}
	// errNoProject is a project that does not exist or that the caller does not belong to: one
	// answer, so nobody learns which projects exist (Healthchecks' pages answer 404 likewise).
	errNoProject     = &clientError{http.StatusNotFound, "project not found (or you are not a member of it)"}
	errNeedProjectID = &clientError{http.StatusBadRequest,
		"a personal API token needs the project: send its ID in the " + ProjectHeader + " header (list yours with GET /api/v3/projects/)"}
)

// bearerToken is the personal API token of the request's Authorization header, if it has one
// ("Bearer odp_…"; the scheme is case-insensitive). Other bearer values (the Prometheus
// endpoint's read-only key) are not personal tokens.
func bearerToken(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	if !strings.HasPrefix(tok, account.PrefixAPIToken) {
		return "", false
	}
	return tok, true
}

// authenticate is the authorization step of the Healthchecks-shaped routes: it finds the
// project of the request and the caller's rights in it, and refuses (with the error to answer)
// a caller who may not do what access needs. The caller is the X-Api-Key header's key when the
// request has the header (even empty); otherwise a personal token in Authorization; otherwise,
// for POST requests, the body's api_key (body is the parsed body, nil for other methods). It
// returns the project and whether the caller gets the read-only view.
//
// Keys: one that is not 32 characters long is "missing"; one that matches no project, or the
// read-only key where access is readWrite, is "wrong". The key is hashed and looked up by its
// hash, so no plaintext key is ever compared or stored; keys never reach the log.
func (s *Server) authenticate(ctx context.Context, r *http.Request, body map[string]json.RawMessage, access keyAccess) (*check.Project, bool, error) {
	n := needView
	if access == readWrite {
		n = needWrite
	}
	c, err := s.authorizeKeyOrToken(ctx, r, body, n)
	if err != nil {
		return nil, false, err
	}
	return c.project, c.readOnly(), nil
}

// authorizeKeyOrToken finds the caller of a Healthchecks-shaped route (see authenticate) and
// decides whether it may do what n needs.
func (s *Server) authorizeKeyOrToken(ctx context.Context, r *http.Request, body map[string]json.RawMessage, n need) (*caller, error) {
	if _, found := r.Header["X-Api-Key"]; !found {
		if tok, ok := bearerToken(r); ok {
			id := strings.TrimSpace(r.Header.Get(ProjectHeader))
			if id == "" {
				if _, _, err := s.tokenUser(ctx, tok); err != nil {
					return nil, err
				}
				return nil, errNeedProjectID
			}
			return s.authorizeToken(ctx, tok, id, n)
		}
	}
	c, err := s.keyCaller(ctx, r, body)
	if err != nil {
		return nil, err
	}
	if !allowed(c.role, n) {
		// Healthchecks' answer to the read-only key where only the read-write key will do.
		return nil, errWrongKey
	}
	return c, nil
}

// keyCaller finds the project of the request's API key.
func (s *Server) keyCaller(ctx context.Context, r *http.Request, body map[string]json.RawMessage) (*caller, error) {
	key, ok := "", false
	if v, found := r.Header["X-Api-Key"]; found && len(v) > 0 {
		key, ok = v[0], true
	}
	if !ok && body != nil {
		key = bodyKey(body["api_key"])
	}
	// Healthchecks counts characters, not bytes.
	if utf8.RuneCountInString(key) != 32 {
		return nil, errMissingKey
	}
	p, readOnly, err := s.store.ProjectByAPIKey(ctx, check.HashKey(key))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, errWrongKey
	case err != nil:
		return nil, fmt.Errorf("authenticate API key: %w", err)
	}
	role := people.RoleMember
	if readOnly {
		role = people.RoleReadOnly
	}
	return &caller{project: p, role: role}, nil
}

// tokenUser authenticates a personal API token.
func (s *Server) tokenUser(ctx context.Context, tok string) (*people.APIToken, *people.User, error) {
	if s.accounts == nil {
		return nil, nil, errNoTokens
	}
	t, u, err := s.accounts.AuthenticateAPIToken(ctx, tok)
	if errors.Is(err, account.ErrBadToken) {
		return nil, nil, errBadToken
	}
	return t, u, err
}

// authorizeUser is the authorization step of the routes only people use (projects, members,
// tokens): the request must carry a personal API token. With projectID "" it is about the user
// alone; otherwise the user must belong to the project and have the rights n needs.
func (s *Server) authorizeUser(ctx context.Context, r *http.Request, projectID string, n need) (*caller, error) {
	tok, ok := bearerToken(r)
	if !ok {
		return nil, errMissingToken
	}
	if projectID == "" {
		t, u, err := s.tokenUser(ctx, tok)
		if err != nil {
			return nil, err
		}
		return &caller{user: u, token: t}, nil
	}
	return s.authorizeToken(ctx, tok, projectID, n)
}

// authorizeToken decides a personal token's request in a project.
func (s *Server) authorizeToken(ctx context.Context, tok, projectID string, n need) (*caller, error) {
	t, u, err := s.tokenUser(ctx, tok)
	if err != nil {
		return nil, err
	}
	role, err := s.roleIn(ctx, u.ID, projectID)
	if err != nil {
		return nil, err
	}
	p, err := s.store.Project(ctx, projectID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNoProject
	}
	if err != nil {
		return nil, fmt.Errorf("load project %s: %w", projectID, err)
	}
	if err := permit(role, n); err != nil {
		return nil, err
	}
	return &caller{project: p, role: role, user: u, token: t}, nil
}

// permit is allowed as a person's answer: nil, or 403 naming the role and what it lacks.
func permit(role people.Role, n need) error {
	if allowed(role, n) {
		return nil
	}
	return &clientError{http.StatusForbidden,
		fmt.Sprintf("your role in this project (%s) does not allow you to %s; ask an owner or a manager", role, n.what())}
}

// roleIn is the user's role in the project; errNoProject if the user is not a member.
func (s *Server) roleIn(ctx context.Context, userID, projectID string) (people.Role, error) {
	ms, err := s.accounts.People.Memberships(ctx, userID)
	if err != nil {
		return "", fmt.Errorf("list memberships: %w", err)
	}
	for _, m := range ms {
		if m.ProjectID == projectID {
			return m.Role, nil
		}
	}
	return "", errNoProject
}
