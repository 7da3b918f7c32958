package account

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/seal"
	"github.com/overduehq/overdue/internal/store"
)

// SetPasswordTTL is how long a set-password link stays valid: long enough to pass a link
// printed by an operator on to its owner, short enough that an old message is harmless.
const SetPasswordTTL = 24 * time.Hour

// SetPasswordPath is the path of a set-password link, followed by the token and a slash. The
// page that serves it is in package web.
const SetPasswordPath = "/accounts/set-password/"

// ErrInvalid marks an error in what the caller asked for (a bad email, a bad role, a short
// password), as opposed to a failure of the store; its message says what to fix.
var ErrInvalid = errors.New("invalid")

func invalid(err error) error { return fmt.Errorf("%w: %w", ErrInvalid, err) }

// Service runs the account operations over the store. Its fields are its dependencies; set
// them all.
type Service struct {
	People   store.People
	Projects interface {
		Project(ctx context.Context, id string) (*check.Project, error)
	}
	Now    func() time.Time
	Rand   io.Reader // crypto/rand.Reader in production
	Params Argon2Params
	// Mailer sends invitation and reset links; nil sends nothing (the callers show the link).
	Mailer Mailer
	// SiteRoot is the public base URL the links in mail begin with, e.g. https://overdue.example.com.
	SiteRoot string
	// SessionIdle and SessionMax bound sessions (zero: DefaultSessionIdle, DefaultSessionMax).
	SessionIdle, SessionMax time.Duration

	// Hashing bounds the argon2id work running at once (nil: NewHashSlots(0, 0), made on
	// first use). Share one between services over the same process.
	Hashing *HashSlots

	// Box seals the secrets of authenticator apps (TOTP) at rest, under the server secret; nil
	// refuses to enrol or check them (ErrNoBox).
	Box *seal.Box

	pwOnce    sync.Once
	pw        *Passwords
	slotsOnce sync.Once

	waOnce sync.Once
	wa     *webauthn.WebAuthn
	waErr  error
}

// NewUser is what creating a user takes.
type NewUser struct {
	Email    string
	Name     string
	Password string // "" for a user who sets it through a link
	// ProjectID and Role, when set, make the user a member of the project.
	ProjectID string
	Role      people.Role
}

// Created is a new user, and the one-time link token when the user has no password yet.
type Created struct {
	User       *people.User
	Membership *people.Membership
	// LinkToken is the token of a set-password link ("" when a password was given). Shown
	// once; only its hash is stored.
	LinkToken string
}

// CreateUser creates a user, hashing the password if one is given and issuing a set-password
// link otherwise, and makes the user a member of a project if asked. The project is checked
// before anything is written; an email that is taken is store.ErrConflict.
func (s *Service) CreateUser(ctx context.Context, in NewUser) (*Created, error) {
	email, err := people.NormalizeEmail(in.Email)
	if err != nil {
		return nil, invalid(err)
	}
	if err := people.ValidateName(in.Name); err != nil {
		return nil, invalid(err)
	}
	if (in.ProjectID == "") != (in.Role == "") {
		return nil, invalid(errors.New("give a project and a role together, or neither"))
	}
	if in.Role != "" && !in.Role.Valid() {
		return nil, invalid(fmt.Errorf("role %q is not one of owner, manager, member, readonly", in.Role))
	}
	var hash string
	if in.Password != "" {
		if err := ValidatePassword(in.Password); err != nil {
			return nil, invalid(err)
		}
		if hash, err = s.hashPassword(ctx, in.Password); err != nil {
			return nil, err
		}
	}
	if in.ProjectID != "" {
		if _, err := s.Projects.Project(ctx, in.ProjectID); err != nil {
			return nil, err
		}
	}
	id, err := uuid.NewRandomFromReader(s.Rand)
	if err != nil {
		return nil, fmt.Errorf("new user ID: %w", err)
	}
	now := s.Now()
	u := &people.User{ID: id.String(), Email: email, Name: in.Name, PasswordHash: hash, Created: now}
	if err := s.People.CreateUser(ctx, u); err != nil {
		return nil, err
	}
	out := &Created{User: u}
	if in.ProjectID != "" {
		m := people.Membership{ProjectID: in.ProjectID, UserID: u.ID, Role: in.Role, Created: now}
		if err := s.People.SetMembership(ctx, m); err != nil {
			return nil, fmt.Errorf("user %s created, but not made a member: %w", u.Email, err)
		}
		out.Membership = &m
	}
	if hash == "" {
		if out.LinkToken, err = s.issueLink(ctx, u.ID, now); err != nil {
			return nil, fmt.Errorf("user %s created, but no set-password link: %w", u.Email, err)
		}
	}
	return out, nil
}

// ResetPassword issues a set-password link for the user with the email and returns its token.
// The password stays as it was until the link is used. store.ErrNotFound if there is no such
// user.
func (s *Service) ResetPassword(ctx context.Context, email string) (*people.User, string, error) {
	norm, err := people.NormalizeEmail(email)
	if err != nil {
		return nil, "", invalid(err)
	}
	u, err := s.People.UserByEmail(ctx, norm)
	if err != nil {
		return nil, "", err
	}
	tok, err := s.issueLink(ctx, u.ID, s.Now())
	return u, tok, err
}

// SendPasswordReset mails a set-password link to the email if it has an account, and does
// nothing otherwise: the reset form answers the same either way, so it tells no one which
// emails have accounts. Only a failure to store or to send is an error.
func (s *Service) SendPasswordReset(ctx context.Context, email string) error {
	u, tok, err := s.ResetPassword(ctx, email)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, ErrInvalid) {
		return nil
	}
	if err != nil {
		return err
	}
	if s.Mailer == nil {
		return errors.New("no mailer to send the reset link with")
	}
	link := strings.TrimRight(s.SiteRoot, "/") + SetPasswordPath + tok + "/"
	return s.Mailer.SendMail(ctx, Mail{To: u.Email, Subject: "Set your Overdue password", Link: link, Text: fmt.Sprintf(
		"Someone (we hope you) asked to set a new password for %s on Overdue.\n\n"+
			"To set it, open this link within %d hours:\n\n%s\n\n"+
			"It works once, and signs you out everywhere. If you did not ask, ignore this message: "+
			"your password stays as it is.\n", u.Email, int(SetPasswordTTL/time.Hour), link)})
}

func (s *Service) issueLink(ctx context.Context, userID string, now time.Time) (string, error) {
	tok, hash, err := NewToken(s.Rand, "")
	if err != nil {
		return "", err
	}
	r := &people.PasswordReset{TokenHash: hash, UserID: userID, Created: now, Expires: now.Add(SetPasswordTTL)}
	if err := s.People.CreatePasswordReset(ctx, r); err != nil {
		return "", err
	}
	return tok, nil
}

// PasswordSet is what setting a password through a link did beside setting it.
type PasswordSet struct {
	User *people.User
	// RevokedTokens counts the personal API tokens revoked.
	RevokedTokens int
}

// SetPassword uses a set-password link: it consumes the token (once), sets the password, deletes
// the user's other set-password links, signs the user out everywhere and revokes the user's
// personal API tokens. A link is how an account taken over is recovered: nothing the intruder
// may have made (a session, a pending link, a token) survives it. store.ErrNotFound for an
// unknown, used or expired token.
func (s *Service) SetPassword(ctx context.Context, token, password string) (*PasswordSet, error) {
	if err := ValidatePassword(password); err != nil {
		return nil, invalid(err)
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return nil, err
	}
	r, err := s.People.ConsumePasswordReset(ctx, HashToken(token), s.Now())
	if err != nil {
		return nil, err
	}
	if err := s.People.SetPasswordHash(ctx, r.UserID, hash); err != nil {
		return nil, err
	}
	if _, err := s.People.DeletePasswordResets(ctx, r.UserID); err != nil {
		return nil, err
	}
	if _, err := s.People.DeleteSessions(ctx, r.UserID); err != nil {
		return nil, err
	}
	tokens, err := s.People.APITokens(ctx, r.UserID)
	if err != nil {
		return nil, err
	}
	out := &PasswordSet{}
	for _, t := range tokens {
		switch err := s.People.RevokeAPIToken(ctx, r.UserID, t.ID); {
		case err == nil:
			out.RevokedTokens++
		case !errors.Is(err, store.ErrNotFound): // revoked meanwhile: as good
			return nil, fmt.Errorf("revoke API token %s: %w", t.ID, err)
		}
	}
	if out.User, err = s.People.User(ctx, r.UserID); err != nil {
		return nil, err
	}
	return out, nil
}
