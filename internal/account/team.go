package account

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/store"
)

// ErrNotMember is a user who is not a member of the project acted on.
var ErrNotMember = errors.New("not a member of the project")

// A project's team, as the members API and the settings page change it: owners and managers
// change roles and remove members, managers never granting or touching the owner role; anyone
// may leave; the last owner stays (store.ErrLastOwner).

// SetRole gives the member userID the role in the project, on behalf of a member whose role is
// actor. ErrForbidden when actor may not manage members, may not grant role, or is not an owner
// and the member is; ErrNotMember when userID is not a member; store.ErrLastOwner when it would
// demote the last owner.
func (s *Service) SetRole(ctx context.Context, projectID string, actor people.Role, userID string, role people.Role) (people.Membership, error) {
	if !actor.CanManageMembers() {
		return people.Membership{}, fmt.Errorf("a %s cannot change roles: %w", roleWords(actor), ErrForbidden)
	}
	// Decided on the role as stored at the write: a manager's change must not land on someone
	// an owner has just made owner.
	errOwner := fmt.Errorf("only an owner may change or remove an owner, or make someone owner: %w", ErrForbidden)
	err := s.People.ChangeMembership(ctx, projectID, userID, func(cur people.Role) (people.Role, error) {
		if !actor.CanGrant(role) || (cur == people.RoleOwner && actor != people.RoleOwner) {
			return "", errOwner
		}
		return role, nil
	})
	switch {
	case errors.Is(err, ErrForbidden):
		return people.Membership{}, errOwner
	case errors.Is(err, store.ErrNotFound):
		return people.Membership{}, ErrNotMember
	case err != nil:
		return people.Membership{}, fmt.Errorf("set role in project %s: %w", projectID, err)
	}
	return s.memberRole(ctx, projectID, userID)
}

// RemoveMember takes userID out of the project, on behalf of actorID whose role there is
// actor: anyone may remove themselves (leave); removing someone else takes a role that manages
// members, and removing an owner takes an owner. ErrForbidden, ErrNotMember and
// store.ErrLastOwner as SetRole.
func (s *Service) RemoveMember(ctx context.Context, projectID, actorID string, actor people.Role, userID string) error {
	if userID != actorID && !actor.CanManageMembers() {
		return fmt.Errorf("a %s cannot remove members: %w", roleWords(actor), ErrForbidden)
	}
	errOwner := fmt.Errorf("only an owner may change or remove an owner, or make someone owner: %w", ErrForbidden)
	err := s.People.ChangeMembership(ctx, projectID, userID, func(cur people.Role) (people.Role, error) {
		if cur == people.RoleOwner && actor != people.RoleOwner {
			return "", errOwner
		}
		return "", nil
	})
	switch {
	case errors.Is(err, ErrForbidden):
		return errOwner
	case errors.Is(err, store.ErrNotFound):
		return ErrNotMember
	case err != nil:
		return fmt.Errorf("remove a member of project %s: %w", projectID, err)
	}
	return nil
}

// CancelInvitation withdraws a pending invitation to the project (by its token hash, the ID
// the API and the settings page show), on behalf of a member whose role is actor: a role that
// manages members, and an owner for an invitation as owner (managers never touch the owner
// role). ErrForbidden as SetRole; store.ErrNotFound when the project has no such pending
// invitation (used, expired, cancelled already, or another project's).
func (s *Service) CancelInvitation(ctx context.Context, projectID string, actor people.Role, tokenHash string) error {
	if !actor.CanManageMembers() {
		return fmt.Errorf("a %s cannot cancel invitations: %w", roleWords(actor), ErrForbidden)
	}
	invs, err := s.People.Invitations(ctx, projectID, s.Now())
	if err != nil {
		return fmt.Errorf("list invitations of project %s: %w", projectID, err)
	}
	i := slices.IndexFunc(invs, func(inv *people.Invitation) bool { return inv.TokenHash == tokenHash })
	if i < 0 {
		return fmt.Errorf("no pending invitation %s in project %s: %w", tokenHash, projectID, store.ErrNotFound)
	}
	if invs[i].Role == people.RoleOwner && actor != people.RoleOwner {
		return fmt.Errorf("only an owner may cancel an invitation as owner: %w", ErrForbidden)
	}
	if err := s.People.CancelInvitation(ctx, projectID, tokenHash); err != nil {
		return fmt.Errorf("cancel invitation to project %s: %w", projectID, err)
	}
	return nil
}

// memberRole is userID's membership of the project; ErrNotMember if none.
func (s *Service) memberRole(ctx context.Context, projectID, userID string) (people.Membership, error) {
	ms, err := s.People.Members(ctx, projectID)
	if err != nil {
		return people.Membership{}, fmt.Errorf("list members of project %s: %w", projectID, err)
	}
	for _, m := range ms {
		if m.UserID == userID {
			return m, nil
		}
	}
	return people.Membership{}, ErrNotMember
}
