package account

import (
	"context"
	"errors"
	"fmt"

	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/schedule"
	"github.com/overduehq/overdue/internal/store"
)

// ErrWrongPassword is a password change whose current password is not the user's.
var ErrWrongPassword = errors.New("the current password is not right")

// SetProfile sets the user's display name and time zone: the name within people.ValidateName,
// the zone a name the zone database knows (stored under its current name: Europe/Kiev becomes
// Europe/Kyiv), or "" for UTC. ErrInvalid says which was wrong; store.ErrNotFound for a missing
// user.
func (s *Service) SetProfile(ctx context.Context, userID, name, zone string) (*people.User, error) {
	if err := people.ValidateName(name); err != nil {
		return nil, invalid(err)
	}
	if zone != "" {
		z, err := schedule.CanonicalZone(zone)
		if err != nil {
			return nil, invalid(fmt.Errorf("time zone %q is not one the zone database knows; pick one from the list", zone))
		}
		zone = z
	}
	if err := s.People.SetProfile(ctx, userID, name, zone); err != nil {
		return nil, err
	}
	return s.People.User(ctx, userID)
}

// ChangePassword replaces a signed-in user's password: the current one must match
// (ErrWrongPassword), the new one pass ValidatePassword (ErrInvalid). Every other session of
// the user ends (keepSession, the ID hash of the session asking, stays), as a reset link does;
// personal API tokens stay, since the user sees and revokes them on the same page. It says how
// many sessions ended.
func (s *Service) ChangePassword(ctx context.Context, userID, current, next, keepSession string) (int, error) {
	u, err := s.People.User(ctx, userID)
	if err != nil {
		return 0, err
	}
	if len(current) > MaxPasswordLen {
		current = current[:MaxPasswordLen]
	}
	err = s.hashing(ctx, func() error { return s.passwords().Check(u.PasswordHash, current) })
	if errors.Is(err, ErrPasswordMismatch) {
		return 0, ErrWrongPassword
	}
	if err != nil {
		return 0, err
	}
	if err := ValidatePassword(next); err != nil {
		return 0, invalid(err)
	}
	hash, err := s.hashPassword(ctx, next)
	if err != nil {
		return 0, err
	}
	if err := s.People.SetPasswordHash(ctx, userID, hash); err != nil {
		return 0, err
	}
	// A reset link issued before the change would undo it: gone too.
	if _, err := s.People.DeletePasswordResets(ctx, userID); err != nil {
		return 0, err
	}
	sessions, err := s.People.Sessions(ctx, userID, s.Now())
	if err != nil {
		return 0, err
	}
	ended := 0
	for _, x := range sessions {
		if x.IDHash == keepSession {
			continue
		}
		if err := s.People.DeleteSession(ctx, x.IDHash); err != nil && !errors.Is(err, store.ErrNotFound) {
			return ended, fmt.Errorf("end session: %w", err)
		}
		ended++
	}
	return ended, nil
}
