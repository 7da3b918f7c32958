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

// TouchInterval is how stale a token's LastUsed may get before a use records it again: the
// record is to the minute, so a script calling the API in a loop costs one write a minute,
// not one per request.
const TouchInterval = time.Minute

// ErrBadToken is a presented personal API token that is malformed, unknown or revoked. The
// three are one answer, so a caller learns nothing about tokens it does not hold.
var ErrBadToken = errors.New("the personal API token is not valid (revoked, or mistyped)")

// CreateAPIToken makes a personal API token for the user and returns it with its record. The
// token is shown once: only its hash is stored. An empty name is refused (ErrInvalid); the
// user must exist (store.ErrNotFound).
func (s *Service) CreateAPIToken(ctx context.Context, userID, name string) (string, *people.APIToken, error) {
	name = strings.TrimSpace(name)
	if _, err := s.People.User(ctx, userID); err != nil {
		return "", nil, err
	}
	id, err := uuid.NewRandomFromReader(s.Rand)
	if err != nil {
		return "", nil, fmt.Errorf("new token ID: %w", err)
	}
	tok, hash, err := NewToken(s.Rand, PrefixAPIToken)
	if err != nil {
		return "", nil, err
	}
	t := &people.APIToken{ID: id.String(), Hash: hash, UserID: userID, Name: name, Created: s.Now()}
	if err := t.Validate(); err != nil {
		return "", nil, invalid(err)
	}
	if err := s.People.CreateAPIToken(ctx, t); err != nil {
		return "", nil, err
	}
	return tok, t, nil
}

// AuthenticateAPIToken finds the token's record and user by the token's hash, and records the
// use when the last record is older than TouchInterval. ErrBadToken for a token that does not
// have the form of one (without a lookup), is unknown, or whose user is gone.
func (s *Service) AuthenticateAPIToken(ctx context.Context, token string) (*people.APIToken, *people.User, error) {
	if !LooksLikeAPIToken(token) {
		return nil, nil, ErrBadToken
	}
	t, err := s.People.APITokenByHash(ctx, HashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, ErrBadToken
	}
	if err != nil {
		return nil, nil, fmt.Errorf("find API token: %w", err)
	}
	u, err := s.People.User(ctx, t.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, ErrBadToken
	}
	if err != nil {
		return nil, nil, fmt.Errorf("load the token's user: %w", err)
	}
	now := s.Now()
	if t.LastUsed.IsZero() || now.Sub(t.LastUsed) >= TouchInterval {
		// A failure to record the use does not refuse the request: the token is valid, and
		// the record is a convenience.
		if err := s.People.TouchAPIToken(ctx, t.Hash, now); err == nil {
			t.LastUsed = now
		} else if errors.Is(err, store.ErrNotFound) {
			return nil, nil, ErrBadToken // revoked in between
		}
	}
	return t, u, nil
}

// LooksLikeAPIToken reports whether s has the form NewToken gives personal API tokens: the
// prefix and 43 characters of unpadded base64url.
func LooksLikeAPIToken(s string) bool {
	rest, ok := strings.CutPrefix(s, PrefixAPIToken)
	if !ok || len(rest) != 43 {
		return false
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
