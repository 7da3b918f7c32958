package account

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/store"
)

// InvitationTTL is how long an invitation link stays valid: a week, so that someone away for a
// few days can still join; an older link must be sent again.
const InvitationTTL = 7 * 24 * time.Hour

// InvitePath is the path of an invitation link, followed by the token and a slash.
const InvitePath = "/accounts/invite/"

// ErrForbidden is an operation the acting user's role does not allow: inviting with a role above
// one's own power, accepting an invitation made out to another email.
var ErrForbidden = errors.New("forbidden")

// ErrAlreadyMember is an invitation of someone who already belongs to the project.
var ErrAlreadyMember = errors.New("already a member of the project")

// NewInvitation is what inviting someone takes.
type NewInvitation struct {
	ProjectID string
	Email     string
	Role      people.Role
	// InviterID is the user who invites: an owner or a manager of the project, who may grant
	// Role (people.Role.CanGrant).
	InviterID string
}

// Invited is an invitation just made, with its one-time token (shown once; only its hash is
// stored) and the link that carries it.
type Invited struct {
	Invitation *people.Invitation
	Token      string
	Link       string
	// Sent reports whether the link went out by mail (false without a Mailer).
	Sent bool
}

// Invite invites the email to the project with the role: it checks that the inviter may grant
// the role there and that the email is not a member yet, stores the invitation (hash only) and
// mails the link when the service has a Mailer. ErrInvalid for a bad email or role,
// store.ErrNotFound for a missing project, ErrForbidden when the inviter may not grant the role,
// ErrAlreadyMember when the email's user is in the project already. When the mail cannot be
// sent, the invitation stands and the error says so; the link is in the answer, so a caller can
// show it instead.
func (s *Service) Invite(ctx context.Context, in NewInvitation) (*Invited, error) {
	email, err := people.NormalizeEmail(in.Email)
	if err != nil {
		return nil, invalid(err)
	}
	if !in.Role.Valid() {
		return nil, invalid(fmt.Errorf("role %q is not one of owner, manager, member, readonly", in.Role))
	}
	p, err := s.Projects.Project(ctx, in.ProjectID)
	if err != nil {
		return nil, err
	}
	if err := s.mayGrant(ctx, in.ProjectID, in.InviterID, in.Role); err != nil {
		return nil, err
	}
	if u, err := s.People.UserByEmail(ctx, email); err == nil {
		if _, err := s.membership(ctx, in.ProjectID, u.ID); err == nil {
			return nil, fmt.Errorf("%s: %w", email, ErrAlreadyMember)
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	tok, hash, err := NewToken(s.Rand, "")
	if err != nil {
		return nil, err
	}
	now := s.Now()
	inv := &people.Invitation{TokenHash: hash, ProjectID: p.ID, Email: email, Role: in.Role, InviterID: in.InviterID,
		Created: now, Expires: now.Add(InvitationTTL)}
	if err := s.People.CreateInvitation(ctx, inv); err != nil {
		return nil, err
	}
	out := &Invited{Invitation: inv, Token: tok, Link: strings.TrimRight(s.SiteRoot, "/") + InvitePath + tok + "/"}
	if s.Mailer == nil {
		return out, nil
	}
	inviter := "A member"
	if u, err := s.People.User(ctx, in.InviterID); err == nil {
		inviter = u.Email
		if u.Name != "" {
			inviter = u.Name + " (" + u.Email + ")"
		}
	}
	m := Mail{To: email, Subject: fmt.Sprintf("Join %s on Overdue", p.Name), Link: out.Link, Text: fmt.Sprintf(
		"%s invites you to the project %q on Overdue, as %s.\n\nTo join, open this link within %d days:\n\n%s\n\n"+
			"It works once. If you did not expect this, ignore this message.\n",
		inviter, p.Name, roleWords(in.Role), int(InvitationTTL/(24*time.Hour)), out.Link)}
	if err := s.Mailer.SendMail(ctx, m); err != nil {
		return out, fmt.Errorf("invitation of %s created, but the mail was not sent (give them the link): %w", email, err)
	}
	out.Sent = true
	return out, nil
}

// mayGrant is nil when inviterID is a member of the project whose role may grant role.
func (s *Service) mayGrant(ctx context.Context, projectID, inviterID string, role people.Role) error {
	m, err := s.membership(ctx, projectID, inviterID)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("the inviter is not a member of project %s: %w", projectID, ErrForbidden)
	}
	if err != nil {
		return err
	}
	if !m.Role.CanGrant(role) {
		return fmt.Errorf("a %s of the project cannot invite a %s: %w", roleWords(m.Role), roleWords(role), ErrForbidden)
	}
	return nil
}

// membership finds the user's membership of the project; store.ErrNotFound if none.
func (s *Service) membership(ctx context.Context, projectID, userID string) (*people.Membership, error) {
	ms, err := s.People.Memberships(ctx, userID)
	if err != nil {
		return nil, err
	}
	for i := range ms {
		if ms[i].ProjectID == projectID {
			return &ms[i], nil
		}
	}
	return nil, store.ErrNotFound
}

// roleWords names a role in a sentence.
func roleWords(r people.Role) string {
	if r == people.RoleReadOnly {
		return "read-only member"
	}
	return string(r)
}

// ErrInviterLacksRole is an invitation whose inviter may no longer grant its role: removed from
// the project, or demoted, since the invitation was sent. An invitation carries no more
// authority than its inviter has when it is accepted.
var ErrInviterLacksRole = errors.New("the person who sent this invitation may no longer grant its role")

// Invitation looks up the invitation the token opens, without using it. store.ErrNotFound for
// an unknown, used or expired token; ErrInviterLacksRole when its inviter is no longer a member
// of the project whose role may grant the invited role.
func (s *Service) Invitation(ctx context.Context, token string) (*people.Invitation, error) {
	inv, err := s.People.Invitation(ctx, HashToken(token), s.Now())
	if err != nil {
		return nil, err
	}
	switch err := s.mayGrant(ctx, inv.ProjectID, inv.InviterID, inv.Role); {
	case errors.Is(err, ErrForbidden):
		return nil, fmt.Errorf("invitation to project %s: %w", inv.ProjectID, ErrInviterLacksRole)
	case err != nil:
		return nil, err
	}
	return inv, nil
}

// AcceptInvitation makes the signed-in user a member of the invitation's project with its role,
// using the token up. The user's email must be the invited one (ErrForbidden otherwise, and the
// invitation stays usable by its addressee); a user who is a member already keeps the role they
// have. store.ErrNotFound for an unknown, used or expired token; ErrInviterLacksRole when the
// inviter may no longer grant the role (nothing is used up).
func (s *Service) AcceptInvitation(ctx context.Context, token, userID string) (*people.Invitation, error) {
	u, err := s.People.User(ctx, userID)
	if err != nil {
		return nil, err
	}
	inv, err := s.Invitation(ctx, token)
	if err != nil {
		return nil, err
	}
	if inv.Email != u.Email {
		return nil, fmt.Errorf("this invitation is for %s, and you are signed in as %s: %w", inv.Email, u.Email, ErrForbidden)
	}
	if inv, err = s.People.ConsumeInvitation(ctx, inv.TokenHash, s.Now()); err != nil {
		return nil, err
	}
	if _, err := s.membership(ctx, inv.ProjectID, u.ID); err == nil {
		return inv, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	m := people.Membership{ProjectID: inv.ProjectID, UserID: u.ID, Role: inv.Role, Created: s.Now()}
	if err := s.People.SetMembership(ctx, m); err != nil {
		return nil, fmt.Errorf("join project %s: %w", inv.ProjectID, err)
	}
	return inv, nil
}

// AcceptInvitationNewUser creates the account of an invited email that has none, with the name
// and password given, and makes it a member with the invitation's role: the link proves the
// email. ErrInvalid for a bad name or password (the invitation stays usable), store.ErrConflict
// when the email has an account already (sign in and accept instead), store.ErrNotFound for an
// unknown, used or expired token, ErrInviterLacksRole when the inviter may no longer grant the
// role.
func (s *Service) AcceptInvitationNewUser(ctx context.Context, token, name, password string) (*people.User, *people.Invitation, error) {
	if err := people.ValidateName(name); err != nil {
		return nil, nil, invalid(err)
	}
	if err := ValidatePassword(password); err != nil {
		return nil, nil, invalid(err)
	}
	inv, err := s.Invitation(ctx, token)
	if err != nil {
		return nil, nil, err
	}
	if _, err := s.People.UserByEmail(ctx, inv.Email); err == nil {
		return nil, nil, fmt.Errorf("%s has an account already; sign in to accept: %w", inv.Email, store.ErrConflict)
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, nil, err
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return nil, nil, err
	}
	id, err := uuid.NewRandomFromReader(s.Rand)
	if err != nil {
		return nil, nil, fmt.Errorf("new user ID: %w", err)
	}
	if inv, err = s.People.ConsumeInvitation(ctx, inv.TokenHash, s.Now()); err != nil {
		return nil, nil, err
	}
	now := s.Now()
	u := &people.User{ID: id.String(), Email: inv.Email, Name: name, PasswordHash: hash, Created: now}
	if err := s.People.CreateUser(ctx, u); err != nil {
		return nil, nil, err
	}
	m := people.Membership{ProjectID: inv.ProjectID, UserID: u.ID, Role: inv.Role, Created: now}
	if err := s.People.SetMembership(ctx, m); err != nil {
		return nil, nil, fmt.Errorf("account %s created, but not made a member: %w", u.Email, err)
	}
	return u, inv, nil
}
