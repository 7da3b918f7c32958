package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/overduehq/overdue/internal/people"
)

// ErrLastOwner refuses a change that would leave a project with members but no owner: removing
// or demoting its last owner. Stores check it in the same transaction (SQLite) or conditional
// write (DynamoDB) as the change, so two managers demoting two owners at once cannot both win.
var ErrLastOwner = errors.New("the project's last owner cannot be removed or demoted; make another member owner first")

// MaxUserFactorsAndCodes bounds the second factors and recovery codes CreateUserWithFactors
// writes with a user: one DynamoDB transaction holds 100 writes, two of them the user's.
const MaxUserFactorsAndCodes = 90

// ValidateUserWithFactors checks what CreateUserWithFactors is given, before a store writes it:
// the user, each factor (its own, valid, once), each code hash (not empty, once) and how many
// factors and codes there are.
func ValidateUserWithFactors(u *people.User, factors []*people.SecondFactor, codes []string) error {
	if err := u.Validate(); err != nil {
		return err
	}
	if n := len(factors) + len(codes); n > MaxUserFactorsAndCodes {
		return fmt.Errorf("user %s: %d second factors and recovery codes, at most %d", u.ID, n, MaxUserFactorsAndCodes)
	}
	seen := map[string]bool{}
	for _, f := range factors {
		if seen[f.ID] {
			return fmt.Errorf("second factor %s appears twice", f.ID)
		}
		seen[f.ID] = true
		if f.UserID != u.ID {
			return fmt.Errorf("second factor %s is user %s's, not user %s's", f.ID, f.UserID, u.ID)
		}
		if err := f.Validate(); err != nil {
			return fmt.Errorf("second factor %s: %w", f.ID, err)
		}
	}
	seen = map[string]bool{}
	for _, h := range codes {
		if h == "" || seen[h] {
			return errors.New("an empty or repeated recovery code hash")
		}
		seen[h] = true
	}
	return nil
}

// People stores accounts (package people): the storage contract of package account, beside
// Store rather than in it, as Deliveries is. The SQLite store (sqlite.Store.People) and the
// DynamoDB store (dynamo.Store.People) implement it, and both pass peopletest.Run.
//
// Errors: ErrNotFound for anything missing (an expired or used token included), ErrConflict
// for a taken ID, email or token hash, ErrLastOwner as above. Instants come back in UTC,
// truncated to the microsecond. Tokens are found by their hash (SHA-256 of 256 random bits):
// an exact key lookup, never a comparison of secrets in a loop.
type People interface {
	// CreateUser stores a new user. ErrConflict if the ID or the email is taken, however
	// many create at once.
	CreateUser(ctx context.Context, u *people.User) error
	// CreateUserWithFactors stores a new user together with its second factors and the hashes
	// of its unused recovery codes, in one write: the account exists whole or not at all, so an
	// import that stops never leaves an account without the factors it brought (a second run,
	// finding the account, adds none to it). Errors as CreateUser and CreateSecondFactor; a
	// factor of another user is refused. At most MaxUserFactorsAndCodes factors and codes.
	CreateUserWithFactors(ctx context.Context, u *people.User, factors []*people.SecondFactor, codes []string) error
	// User loads a user by ID.
	User(ctx context.Context, id string) (*people.User, error)
	// UserByEmail loads a user by normalised email.
	UserByEmail(ctx context.Context, email string) (*people.User, error)
	// Users lists every user, oldest first.
	Users(ctx context.Context) ([]*people.User, error)
	// SetPasswordHash replaces a user's password hash. ErrNotFound if the user is missing.
	SetPasswordHash(ctx context.Context, userID, hash string) error
	// SetProfile replaces a user's display name and time zone ("" for none: UTC), which the
	// caller has validated. ErrNotFound if the user is missing.
	SetProfile(ctx context.Context, userID, name, timeZone string) error
	// UpdateUser loads the user, calls fn, and writes what fn changed of Reports, Reminders,
	// ReportSlot and ReminderSlot (data model 14); everything else stays as stored, whatever fn
	// does to it (SetPasswordHash and SetProfile own the rest). If another UpdateUser wrote the user in
	// between, the store loads it again and calls fn again (a bounded number of times), so fn
	// must be free of side effects. An error from fn aborts without writing and is returned as
	// is; a user Validate refuses is not written. ErrNotFound if the user is missing.
	UpdateUser(ctx context.Context, id string, fn func(u *people.User) error) (*people.User, error)

	// SetMembership gives the user the role in the project, creating the membership or changing
	// its role (Created is kept from the first). ErrLastOwner if it demotes the last owner.
	SetMembership(ctx context.Context, m people.Membership) error
	// RemoveMembership removes the user from the project. ErrNotFound if not a member,
	// ErrLastOwner if the user is its last owner.
	RemoveMembership(ctx context.Context, projectID, userID string) error
	// ChangeMembership changes or removes an existing membership as change decides from its
	// current role, atomically: change is called with the role as stored (again, if another
	// writer changed it first) and returns the new role, or "" to remove it; its error is
	// returned as is. ErrNotFound if the user is not a member, ErrLastOwner as SetMembership and
	// RemoveMembership. This is the write of a person's decision that depends on the target's
	// role (a manager may not change an owner), which must not act on a role that has changed.
	ChangeMembership(ctx context.Context, projectID, userID string, change func(cur people.Role) (people.Role, error)) error
	// Memberships lists the user's memberships, by project ID.
	Memberships(ctx context.Context, userID string) ([]people.Membership, error)
	// Members lists the project's memberships, by user ID.
	Members(ctx context.Context, projectID string) ([]people.Membership, error)

	// CreateInvitation stores an invitation. ErrConflict if its token hash is taken.
	CreateInvitation(ctx context.Context, inv *people.Invitation) error
	// Invitation loads the invitation with the token hash if it has not expired at now,
	// without consuming it: the acceptance page shows what it invites to first.
	Invitation(ctx context.Context, tokenHash string, now time.Time) (*people.Invitation, error)
	// ConsumeInvitation removes and returns the invitation with the token hash if it has not
	// expired at now. Of any number of concurrent calls, one gets it; the others, and calls
	// for an expired invitation, get ErrNotFound.
	ConsumeInvitation(ctx context.Context, tokenHash string, now time.Time) (*people.Invitation, error)
	// Invitations lists the project's invitations that have not expired at now, oldest first.
	Invitations(ctx context.Context, projectID string, now time.Time) ([]*people.Invitation, error)
	// CancelInvitation removes the project's invitation with the token hash, so its link no
	// longer works. ErrNotFound if the project has no such invitation.
	CancelInvitation(ctx context.Context, projectID, tokenHash string) error
	// CreatePasswordReset stores a one-time set-password link. ErrConflict if its hash is taken.
	CreatePasswordReset(ctx context.Context, r *people.PasswordReset) error
	// ConsumePasswordReset removes and returns the link with the token hash if it has not
	// expired at now; exactly once, like ConsumeInvitation.
	ConsumePasswordReset(ctx context.Context, tokenHash string, now time.Time) (*people.PasswordReset, error)
	// DeletePasswordResets removes every set-password link of the user (once one is used, the
	// others must not work) and says how many there were.
	DeletePasswordResets(ctx context.Context, userID string) (int, error)

	// CreateSession stores a session. ErrConflict if its ID hash is taken.
	CreateSession(ctx context.Context, s *people.Session) error
	// Session loads the session with the ID hash if it has not expired at now.
	Session(ctx context.Context, idHash string, now time.Time) (*people.Session, error)
	// TouchSession sets the session's LastSeen and Expires if it is still live at lastSeen.
	// ErrNotFound if it is gone or expired: an expired session is never brought back.
	TouchSession(ctx context.Context, idHash string, lastSeen, expires time.Time) error
	// DeleteSession removes one session (sign out); no error if it is gone already.
	DeleteSession(ctx context.Context, idHash string) error
	// DeleteSessions removes every session of the user (sign out everywhere, a password
	// change) and says how many there were.
	DeleteSessions(ctx context.Context, userID string) (int, error)
	// Sessions lists the user's sessions that have not expired at now, newest first.
	Sessions(ctx context.Context, userID string, now time.Time) ([]*people.Session, error)

	// CreateAPIToken stores a personal API token. ErrConflict if its ID or hash is taken.
	CreateAPIToken(ctx context.Context, t *people.APIToken) error
	// APITokenByHash finds a token by its hash.
	APITokenByHash(ctx context.Context, hash string) (*people.APIToken, error)
	// APITokens lists the user's tokens, oldest first.
	APITokens(ctx context.Context, userID string) ([]*people.APIToken, error)
	// TouchAPIToken sets the token's LastUsed. ErrNotFound if it is gone (revoked).
	TouchAPIToken(ctx context.Context, hash string, at time.Time) error
	// RevokeAPIToken removes the user's token with the ID. ErrNotFound if the user has none
	// with that ID.
	RevokeAPIToken(ctx context.Context, userID, tokenID string) error

	// CreateSecondFactor stores a second factor (data model 11). ErrConflict if its ID is taken,
	// ErrNotFound if its user is missing.
	CreateSecondFactor(ctx context.Context, f *people.SecondFactor) error
	// SecondFactors lists the user's second factors, oldest first.
	SecondFactors(ctx context.Context, userID string) ([]*people.SecondFactor, error)
	// AdvanceSecondFactor sets the factor's Counter to counter if its stored Counter is lower,
	// in one conditional write: of any number of concurrent calls with one counter, one wins and
	// the others get ErrConflict, as does a counter that is not above the stored one (a TOTP code
	// used again, a cloned security key). ErrNotFound if the user has no such factor.
	AdvanceSecondFactor(ctx context.Context, userID, factorID string, counter int64) error
	// DeleteSecondFactor removes the user's factor with the ID. ErrNotFound if there is none.
	DeleteSecondFactor(ctx context.Context, userID, factorID string) error

	// SetRecoveryCodes replaces the user's recovery codes by hashes (none: removes them).
	SetRecoveryCodes(ctx context.Context, userID string, hashes []string) error
	// UseRecoveryCode removes the user's recovery code with the hash: of any number of
	// concurrent calls, one succeeds and the others get ErrNotFound, as does an unknown code.
	UseRecoveryCode(ctx context.Context, userID, hash string) error
	// RecoveryCodesLeft counts the user's unused recovery codes.
	RecoveryCodesLeft(ctx context.Context, userID string) (int, error)
	// RecoveryCodes lists the hashes of the user's unused recovery codes, sorted: what an
	// export carries (the codes themselves are never stored).
	RecoveryCodes(ctx context.Context, userID string) ([]string, error)

	// CreateChallenge stores a ceremony in progress. ErrConflict if its ID hash is taken.
	CreateChallenge(ctx context.Context, c *people.Challenge) error
	// Challenge loads the challenge with the ID hash if it has not expired at now, without
	// consuming it.
	Challenge(ctx context.Context, idHash string, now time.Time) (*people.Challenge, error)
	// ConsumeChallenge removes and returns the challenge with the ID hash if it has not expired
	// at now; exactly once, like ConsumeInvitation.
	ConsumeChallenge(ctx context.Context, idHash string, now time.Time) (*people.Challenge, error)
	// ClaimMailing stores m if no mailing has its ID (user, kind and slot), with Version 1 (set
	// in m too), and reports true. Otherwise it stores nothing and returns the existing record:
	// of any number of concurrent claims of one slot, one wins. Records are kept
	// people.MailingRetention after their creation.
	ClaimMailing(ctx context.Context, m *people.Mailing) (claimed bool, existing *people.Mailing, err error)
	// UpdateMailing writes m's Status, Attempts, NextAttempt, LastError and Updated if the stored
	// record's Version is still m.Version, and increments m.Version. ErrConflict if it is not,
	// ErrNotFound if there is no such record.
	UpdateMailing(ctx context.Context, m *people.Mailing) error
}
