package account

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/store"
)

// Session lifetimes. A session ends after SessionIdle without a request, and SessionMax after
// sign-in whatever happens: a stolen cookie is not good forever.
const (
	DefaultSessionIdle = 14 * 24 * time.Hour
	DefaultSessionMax  = 30 * 24 * time.Hour
	// sessionTouchEvery is how stale LastSeen may get before a request writes it again: one
	// write per session per minute at most, not one per request. Idle expiry is that much
	// early at worst.
	sessionTouchEvery = time.Minute
)

// ErrBadCredentials is a sign-in that failed: an unknown email, a wrong password or an account
// without a password, which callers must not tell apart.
var ErrBadCredentials = errors.New("wrong email or password")

// SignedIn is a new session: Token goes into the cookie, and only its hash is stored. For a user
// with second factors, a first factor starts no session: SecondStep is set instead, and Session
// and Token are empty.
type SignedIn struct {
	User    *people.User
	Session *people.Session
	Token   string
	// SecondStep is the pending sign-in that waits for the user's second factor.
	SecondStep *SecondStep
}

// SignIn checks the email and password and, when they match, goes on as Enter does: a session
// for client (a summary of the browser, people.SummarizeClient), or the second step. An unknown
// email, a user without a password and a wrong password all cost one argon2id verification and
// all give ErrBadCredentials.
func (s *Service) SignIn(ctx context.Context, email, password, client string, then Continue) (*SignedIn, error) {
	var u *people.User
	var hash string
	if norm, err := people.NormalizeEmail(email); err == nil {
		u, err = s.People.UserByEmail(ctx, norm)
		switch {
		case err == nil:
			hash = u.PasswordHash
		case !errors.Is(err, store.ErrNotFound):
			return nil, err
		}
	}
	if len(password) > MaxPasswordLen {
		password = password[:MaxPasswordLen] // never hash megabytes; no stored password is longer
	}
	if err := s.hashing(ctx, func() error { return s.passwords().Check(hash, password) }); err != nil {
		if errors.Is(err, ErrPasswordMismatch) {
			return nil, ErrBadCredentials
		}
		return nil, err // ErrBusy, or an unreadable stored hash: the operator's problem, not the visitor's
	}
	return s.Enter(ctx, u, client, then)
}

// passwords is the service's password checker, made once with its parameters.
func (s *Service) passwords() *Passwords {
	s.pwOnce.Do(func() { s.pw = &Passwords{Params: s.Params, Rand: s.Rand} })
	return s.pw
}

// StartSession starts a session for the user, whatever second factors they have: after the
// second step, and for users who cannot have any yet (an account made by an invitation or the
// first start a moment ago). Everything else goes through Enter.
func (s *Service) StartSession(ctx context.Context, u *people.User, client string) (*SignedIn, error) {
	tok, hash, err := NewToken(s.Rand, "")
	if err != nil {
		return nil, err
	}
	now := s.Now()
	sess := &people.Session{IDHash: hash, UserID: u.ID, Created: now, LastSeen: now,
		Expires: sessionEnd(now, now, s.idle(), s.max()), Client: client}
	if err := s.People.CreateSession(ctx, sess); err != nil {
		return nil, fmt.Errorf("start session: %w", err)
	}
	return &SignedIn{User: u, Session: sess, Token: tok}, nil
}

// SessionLifetime is the longest a session lasts, however busy: the cookie's lifetime.
func (s *Service) SessionLifetime() time.Duration { return s.max() }

func (s *Service) idle() time.Duration {
	if s.SessionIdle > 0 {
		return s.SessionIdle
	}
	return DefaultSessionIdle
}

func (s *Service) max() time.Duration {
	if s.SessionMax > 0 {
		return s.SessionMax
	}
	return DefaultSessionMax
}

// sessionEnd is when a session created at created and last seen at seen ends: idle after seen,
// and never later than max after created.
func sessionEnd(created, seen time.Time, idle, max time.Duration) time.Time {
	end := seen.Add(idle)
	if hard := created.Add(max); hard.Before(end) {
		end = hard
	}
	return end
}

// Authenticate finds the live session of a cookie's token and its user, and records that it
// was seen (at most once a minute). store.ErrNotFound for an unknown, ended or revoked session.
func (s *Service) Authenticate(ctx context.Context, token string) (*people.User, *people.Session, error) {
	if token == "" {
		return nil, nil, store.ErrNotFound
	}
	now := s.Now()
	sess, err := s.People.Session(ctx, HashToken(token), now)
	if err != nil {
		return nil, nil, err
	}
	u, err := s.People.User(ctx, sess.UserID)
	if err != nil {
		return nil, nil, err
	}
	if now.Sub(sess.LastSeen) >= sessionTouchEvery {
		end := sessionEnd(sess.Created, now, s.idle(), s.max())
		if err := s.People.TouchSession(ctx, sess.IDHash, now, end); err != nil {
			return nil, nil, err
		}
		sess.LastSeen, sess.Expires = now, end
	}
	return u, sess, nil
}

// SignOut ends the session of the token; no error if it has ended already.
func (s *Service) SignOut(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	return s.People.DeleteSession(ctx, HashToken(token))
}
