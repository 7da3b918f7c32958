package people

import (
	"errors"
	"fmt"
	"time"
)

// ChallengePurpose says what a Challenge is waiting for.
type ChallengePurpose string

// The purposes of a challenge.
const (
	// ChallengeSignIn is a sign-in whose password (or link) was right, waiting for the
	// user's second factor before a session starts. Its Data carries where to go afterwards and,
	// when the user has security keys, the WebAuthn assertion's state.
	ChallengeSignIn ChallengePurpose = "signin"
	// ChallengeTOTP is a TOTP secret shown to a signed-in user, waiting for a code from the
	// authenticator app before it becomes a factor. Its Data is the secret, sealed.
	ChallengeTOTP ChallengePurpose = "totp"
	// ChallengeWebAuthn is a security key's registration begun by a signed-in user, waiting
	// for the browser's answer. Its Data is the WebAuthn registration's state.
	ChallengeWebAuthn ChallengePurpose = "webauthn"
)

// MaxChallengeData bounds a challenge's Data: a ceremony's state is a few hundred bytes.
const MaxChallengeData = 16 << 10

// Challenge is a ceremony in progress, kept by the server (never in a cookie the browser could
// edit): a half-done sign-in, a factor being enrolled. The browser holds a random token; the
// store keeps its hash as the ID, as for sessions. A challenge is consumed once and expires
// within minutes.
type Challenge struct {
	IDHash  string
	UserID  string
	Purpose ChallengePurpose
	Data    []byte
	Created time.Time
	Expires time.Time
}

// Validate checks a challenge before it is stored.
func (c *Challenge) Validate() error {
	if c.IDHash == "" || c.UserID == "" {
		return errors.New("challenge needs an ID hash and a user")
	}
	switch c.Purpose {
	case ChallengeSignIn, ChallengeTOTP, ChallengeWebAuthn:
	default:
		return fmt.Errorf("challenge purpose %q is not signin, totp or webauthn", c.Purpose)
	}
	if len(c.Data) > MaxChallengeData {
		return fmt.Errorf("challenge data is %d bytes, at most %d", len(c.Data), MaxChallengeData)
	}
	if !c.Expires.After(c.Created) {
		return errors.New("challenge expires before it is created")
	}
	return nil
}

// Expired reports whether the challenge can no longer be used at now.
func (c *Challenge) Expired(now time.Time) bool { return !now.Before(c.Expires) }
