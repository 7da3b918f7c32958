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

// A project's members through the projects API: every member sees the team; owners and
// managers change roles and remove members, managers never granting or touching the owner
// role; anyone may leave; the last owner stays (store.ErrLastOwner).

// memberJSON is a member of a project.
type memberJSON struct {
	User    string  `json:"user"`
	Email   string  `json:"email"`
	Name    string  `json:"name"`
	Role    string  `json:"role"`
	Created isoTime `json:"created"`
}

// handleListMembers serves GET /api/v3/projects/{project}/members/ (every member): the members,
// by user ID, with their email, name and role.
func (s *Server) handleListMembers(w http.ResponseWriter, r *http.Request, _ int) {
	ctx := r.Context()
	c, err := s.authorizeUser(ctx, r, r.PathValue("project"), needView)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	ms, err := s.accounts.People.Members(ctx, c.project.ID)
	if err != nil {
		s.writeAPIError(w, r, fmt.Errorf("list members of project %s: %w", c.project.ID, err))
		return
	}
	out := struct {
		Members []memberJSON `json:"members"`
	}{Members: make([]memberJSON, 0, len(ms))}
	for _, m := range ms {
		u, err := s.accounts.People.User(ctx, m.UserID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			s.writeAPIError(w, r, fmt.Errorf("load user %s: %w", m.UserID, err))
			return
		}
		out.Members = append(out.Members, memberJSON{User: u.ID, Email: u.Email, Name: u.Name,
			Role: string(m.Role), Created: isoTime(m.Created)})
	}
	writeJSON(w, http.StatusOK, out)
}

// errNotMember is a user who is not a member of the project.
var errNotMember = &clientError{http.StatusNotFound, "no such member of this project (list them with GET /api/v3/projects/{project}/members/)"}

// errLastOwner is store.ErrLastOwner as the API answers it.
var errLastOwner = &clientError{http.StatusConflict, store.ErrLastOwner.Error()}

// errTouchOwner refuses a manager's change to an owner.
var errTouchOwner = &clientError{http.StatusForbidden, "only an owner may change or remove an owner, or make someone owner"}

// handleSetMember serves POST /api/v3/projects/{project}/members/{user} {"role": …} (owners and
// managers): the member's new role. Managers may grant every role but owner, and may not
// change an owner's role.
func (s *Server) handleSetMember(w http.ResponseWriter, r *http.Request, _ int) {
	ctx := r.Context()
	body, err := readJSONObject(r)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	c, err := s.authorizeUser(ctx, r, r.PathValue("project"), needMembers)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	role, err := requiredRole(body)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	userID := r.PathValue("user")
	m, err := s.accounts.SetRole(ctx, c.project.ID, c.role, userID, role)
	if err != nil {
		s.writeAPIError(w, r, memberError(err))
		return
	}
	u, err := s.accounts.People.User(ctx, userID)
	if err != nil {
		s.writeAPIError(w, r, fmt.Errorf("load user %s: %w", userID, err))
		return
	}
	writeJSON(w, http.StatusOK, memberJSON{User: u.ID, Email: u.Email, Name: u.Name, Role: string(m.Role), Created: isoTime(m.Created)})
}

// handleRemoveMember serves DELETE /api/v3/projects/{project}/members/{user}: owners and
// managers remove members (managers not owners); anyone removes themselves (leaves). The last
// owner cannot go (409). 204.
func (s *Server) handleRemoveMember(w http.ResponseWriter, r *http.Request, _ int) {
	ctx := r.Context()
	c, err := s.authorizeUser(ctx, r, r.PathValue("project"), needView)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	userID := r.PathValue("user")
	if userID != c.user.ID {
		if err := permit(c.role, needMembers); err != nil {
			s.writeAPIError(w, r, err)
			return
		}
	}
	if err := s.accounts.RemoveMember(ctx, c.project.ID, c.user.ID, c.role, userID); err != nil {
		s.writeAPIError(w, r, memberError(err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// memberError is how the API answers a refusal of account.SetRole or account.RemoveMember
// (the caller's permission to manage members was checked before).
func memberError(err error) error {
	switch {
	case errors.Is(err, store.ErrLastOwner):
		return errLastOwner
	case errors.Is(err, account.ErrNotMember):
		return errNotMember
	case errors.Is(err, account.ErrForbidden):
		return errTouchOwner
	}
	return err
}

// inviteJSON is the answer to an invitation. Link is there only when the mail did not go out
// (no mail transport on this server, or the send failed): then the inviter passes it on. It
// works only for the invited email.
type inviteJSON struct {
	ID      string  `json:"id"`
	Email   string  `json:"email"`
	Role    string  `json:"role"`
	Expires isoTime `json:"expires"`
	Sent    bool    `json:"sent"`
	Link    string  `json:"link,omitempty"`
	Warning string  `json:"warning,omitempty"`
}

// handleInvite serves POST /api/v3/projects/{project}/members/ {"email": …, "role": …} (owners
// and managers; managers cannot invite owners): an invitation by email, valid a week, used once.
// 201.
func (s *Server) handleInvite(w http.ResponseWriter, r *http.Request, _ int) {
	ctx := r.Context()
	body, err := readJSONObject(r)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	c, err := s.authorizeUser(ctx, r, r.PathValue("project"), needMembers)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	email, err := requiredString(body, "email")
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	role, err := requiredRole(body)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	inv, err := s.accounts.Invite(ctx, account.NewInvitation{ProjectID: c.project.ID, Email: email, Role: role, InviterID: c.user.ID})
	var warning string
	switch {
	case errors.Is(err, account.ErrInvalid):
		s.writeAPIError(w, r, invalidRequest(err))
		return
	case errors.Is(err, account.ErrForbidden):
		s.writeAPIError(w, r, errTouchOwner)
		return
	case errors.Is(err, account.ErrAlreadyMember):
		s.writeAPIError(w, r, &clientError{http.StatusConflict, "they are a member of the project already: change their role instead"})
		return
	case err != nil && inv != nil:
		// The invitee's address is cut out of the mailer's error, as the settings page does.
		s.log.WarnContext(ctx, "invitation mail not sent", "project", c.project.ID,
			"error", strings.ReplaceAll(err.Error(), inv.Invitation.Email, "<invitee>"))
		warning = "the invitation mail could not be sent: give them the link"
	case err != nil:
		s.writeAPIError(w, r, fmt.Errorf("invite to project %s: %w", c.project.ID, err))
		return
	}
	out := inviteJSON{ID: inv.Invitation.TokenHash, Email: inv.Invitation.Email, Role: string(inv.Invitation.Role),
		Expires: isoTime(inv.Invitation.Expires), Sent: inv.Sent, Warning: warning}
	if !inv.Sent {
		out.Link = inv.Link
	}
	writeJSON(w, http.StatusCreated, out)
}

// requiredRole reads the body's "role": required, and one of the roles (400 otherwise).
func requiredRole(body map[string]json.RawMessage) (people.Role, error) {
	raw, err := requiredString(body, "role")
	if err != nil {
		return "", err
	}
	role, err := people.ParseRole(raw)
	if err != nil {
		return "", &clientError{http.StatusBadRequest, err.Error()}
	}
	return role, nil
}

// invitationJSON is a pending invitation. Its ID (the hash of the link's token) names it for
// cancelling; it does not make the link.
type invitationJSON struct {
	ID      string  `json:"id"`
	Email   string  `json:"email"`
	Role    string  `json:"role"`
	Inviter string  `json:"inviter"`
	Created isoTime `json:"created"`
	Expires isoTime `json:"expires"`
}

// handleListInvitations serves GET /api/v3/projects/{project}/invitations/ (owners and
// managers): the invitations not yet accepted, cancelled or expired, oldest first.
func (s *Server) handleListInvitations(w http.ResponseWriter, r *http.Request, _ int) {
	ctx := r.Context()
	c, err := s.authorizeUser(ctx, r, r.PathValue("project"), needMembers)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	invs, err := s.accounts.People.Invitations(ctx, c.project.ID, s.now())
	if err != nil {
		s.writeAPIError(w, r, fmt.Errorf("list invitations of project %s: %w", c.project.ID, err))
		return
	}
	out := struct {
		Invitations []invitationJSON `json:"invitations"`
	}{Invitations: make([]invitationJSON, 0, len(invs))}
	for _, inv := range invs {
		inviter := ""
		if u, err := s.accounts.People.User(ctx, inv.InviterID); err == nil {
			inviter = u.Email
		} else if !errors.Is(err, store.ErrNotFound) {
			s.writeAPIError(w, r, fmt.Errorf("load user %s: %w", inv.InviterID, err))
			return
		}
		out.Invitations = append(out.Invitations, invitationJSON{ID: inv.TokenHash, Email: inv.Email, Role: string(inv.Role),
			Inviter: inviter, Created: isoTime(inv.Created), Expires: isoTime(inv.Expires)})
	}
	writeJSON(w, http.StatusOK, out)
}

// errNoInvitation is an invitation the project does not have (any more).
var errNoInvitation = &clientError{http.StatusNotFound,
	"no such pending invitation in this project (list them with GET /api/v3/projects/{project}/invitations/)"}

// handleCancelInvitation serves DELETE /api/v3/projects/{project}/invitations/{id} (owners and
// managers; an invitation to become owner, only owners): its link stops working. 204.
func (s *Server) handleCancelInvitation(w http.ResponseWriter, r *http.Request, _ int) {
	ctx := r.Context()
	c, err := s.authorizeUser(ctx, r, r.PathValue("project"), needMembers)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	err = s.accounts.CancelInvitation(ctx, c.project.ID, c.role, r.PathValue("id"))
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.writeAPIError(w, r, errNoInvitation)
		return
	case errors.Is(err, account.ErrForbidden):
		s.writeAPIError(w, r, errTouchOwner)
		return
	case err != nil:
		s.writeAPIError(w, r, err)
		return
	}
	s.log.InfoContext(ctx, "invitation cancelled", "project", c.project.ID, "user", c.user.ID)
	w.WriteHeader(http.StatusNoContent)
}
