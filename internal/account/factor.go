package account

import (
	"context"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/seal"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/totp"
)

// Second factors: a user who has any signs in in two steps. After the first factor (a password,
// a set-password link, a single sign-on provider) no session starts; a challenge does (a pending
// sign-in, ChallengeTTL long, kept by the store), and the browser holds its token. The second
// step (a TOTP code, a recovery code or a security key) consumes the challenge and starts the
// session.
const (
	// ChallengeTTL is how long a pending sign-in, or a factor being enrolled, waits.
	ChallengeTTL = 5 * time.Minute
	// RecoveryCodeCount is how many recovery codes a user gets at a time.
	RecoveryCodeCount = 10
	// Issuer names Overdue in authenticator apps.
	Issuer = "Overdue"
	// DefaultTOTPName and DefaultKeyName name a factor enrolled without a name.
	DefaultTOTPName = "Authenticator app"
	DefaultKeyName  = "Security key"
)

// Errors of the second step and of enrolment; their messages are for people.
var (
	// ErrWrongCode is a TOTP or recovery code that is not right.
	ErrWrongCode = errors.New("the code is not right")
	// ErrCodeUsed is a TOTP code accepted before: each is good once. Wait for the next one.
	ErrCodeUsed = errors.New("this code has been used already; wait for the next one")
	// ErrNoBox is an operation on TOTP secrets by a service without the server secret they are
	// sealed with.
	ErrNoBox = errors.New("this server has no secret to seal TOTP secrets with")
)

// Continue is where a sign-in goes once complete: the page it was going to, and a notice to show
// first (a set-password link's "your API tokens were revoked"). A pending sign-in keeps it.
type Continue struct {
	Next   string `json:"next,omitempty"`
	Notice string `json:"notice,omitempty"`
}

// SecondStep is a sign-in waiting for its second factor: its token goes into a cookie, and
// only its hash is stored.
type SecondStep struct {
	Token   string
	Expires time.Time
}

// pendingData is a pending sign-in's Challenge.Data: where to go, and the security key
// ceremony's state and options when the user has keys. The state stays on the server: the
// browser gets the options only, and the challenge in them is checked against this copy.
type pendingData struct {
	Continue
	Assertion json.RawMessage `json:"assertion,omitempty"`
	Session   json.RawMessage `json:"session,omitempty"`
}

// Enter is what follows a first factor (a password, a set-password link, a provider): a session
// for a user without second factors; for one with them, a pending sign-in (SignedIn.SecondStep)
// that remembers then.
func (s *Service) Enter(ctx context.Context, u *people.User, client string, then Continue) (*SignedIn, error) {
	factors, err := s.People.SecondFactors(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	if len(factors) == 0 {
		return s.StartSession(ctx, u, client)
	}
	data := pendingData{Continue: then}
	if keys := keyFactors(factors); len(keys) > 0 {
		if data.Assertion, data.Session, err = s.beginKeySignIn(u, keys); err != nil && !errors.Is(err, ErrNoSecurityKeys) {
			return nil, err
		}
	}
	tok, c, err := s.newChallenge(u.ID, people.ChallengeSignIn, data)
	if err != nil {
		return nil, err
	}
	if err := s.People.CreateChallenge(ctx, c); err != nil {
		return nil, fmt.Errorf("start second step: %w", err)
	}
	return &SignedIn{User: u, SecondStep: &SecondStep{Token: tok, Expires: c.Expires}}, nil
}

// newChallenge makes a challenge for the user with data as JSON, and its token.
func (s *Service) newChallenge(userID string, purpose people.ChallengePurpose, data any) (string, *people.Challenge, error) {
	b, err := json.Marshal(data)
	if err != nil {
		return "", nil, err
	}
	tok, hash, err := NewToken(s.Rand, "")
	if err != nil {
		return "", nil, err
	}
	now := s.Now()
	return tok, &people.Challenge{IDHash: hash, UserID: userID, Purpose: purpose, Data: b, Created: now,
		Expires: now.Add(ChallengeTTL)}, nil
}

// challenge loads the live challenge of the token with the purpose, and decodes its data into
// into; store.ErrNotFound for an unknown, expired or used token, or one for another purpose (or,
// when userID is set, another user).
func (s *Service) challenge(ctx context.Context, token string, purpose people.ChallengePurpose, userID string, into any) (*people.Challenge, error) {
	if token == "" {
		return nil, store.ErrNotFound
	}
	c, err := s.People.Challenge(ctx, HashToken(token), s.Now())
	if err != nil {
		return nil, err
	}
	if c.Purpose != purpose || (userID != "" && c.UserID != userID) {
		return nil, store.ErrNotFound
	}
	if err := json.Unmarshal(c.Data, into); err != nil {
		return nil, fmt.Errorf("read challenge: %w", err)
	}
	return c, nil
}

// Pending is a pending sign-in as its page shows it.
type Pending struct {
	User *people.User
	// TOTP, Keys and Recovery say which second factors the user can give.
	TOTP, Keys, Recovery bool
	// Assertion is the options for navigator.credentials.get, when the user has security keys
	// and the server can check them.
	Assertion json.RawMessage
	Expires   time.Time
}

// PendingSignIn reads the pending sign-in of the token. store.ErrNotFound when it is unknown,
// used or expired (after ChallengeTTL).
func (s *Service) PendingSignIn(ctx context.Context, token string) (*Pending, error) {
	var data pendingData
	c, err := s.challenge(ctx, token, people.ChallengeSignIn, "", &data)
	if err != nil {
		return nil, err
	}
	u, err := s.People.User(ctx, c.UserID)
	if err != nil {
		return nil, err
	}
	factors, err := s.People.SecondFactors(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	p := &Pending{User: u, Expires: c.Expires}
	for _, f := range factors {
		switch f.Kind {
		case people.FactorTOTP:
			p.TOTP = true
		case people.FactorWebAuthn:
			p.Keys = len(data.Assertion) > 0
		}
	}
	left, err := s.People.RecoveryCodesLeft(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	p.Recovery, p.Assertion = left > 0, data.Assertion
	return p, nil
}

// finish ends a pending sign-in whose second factor verify accepted: the challenge is consumed
// (once, however many finish at once) and the session starts.
func (s *Service) finish(ctx context.Context, token, client string, verify func(u *people.User, data *pendingData) error) (*SignedIn, Continue, error) {
	var data pendingData
	c, err := s.challenge(ctx, token, people.ChallengeSignIn, "", &data)
	if err != nil {
		return nil, Continue{}, err
	}
	u, err := s.People.User(ctx, c.UserID)
	if err != nil {
		return nil, Continue{}, err
	}
	if err := verify(u, &data); err != nil {
		return nil, Continue{}, err
	}
	if _, err := s.People.ConsumeChallenge(ctx, c.IDHash, s.Now()); err != nil {
		return nil, Continue{}, err // finished by another request meanwhile, or expired
	}
	in, err := s.StartSession(ctx, u, client)
	return in, data.Continue, err
}

// FinishWithCode ends the pending sign-in of token with a code from one of the user's
// authenticator apps: ErrWrongCode, ErrCodeUsed (a code is good once), or store.ErrNotFound
// when the pending sign-in has expired or been used.
func (s *Service) FinishWithCode(ctx context.Context, token, code, client string) (*SignedIn, Continue, error) {
	return s.finish(ctx, token, client, func(u *people.User, _ *pendingData) error {
		return s.checkCode(ctx, u.ID, code)
	})
}

// FinishWithRecoveryCode ends the pending sign-in of token with one of the user's recovery
// codes, which is used up: ErrWrongCode for an unknown or used one.
func (s *Service) FinishWithRecoveryCode(ctx context.Context, token, code, client string) (*SignedIn, Continue, error) {
	return s.finish(ctx, token, client, func(u *people.User, _ *pendingData) error {
		return s.useRecoveryCode(ctx, u.ID, code)
	})
}

// checkCode accepts a current code of one of the user's TOTP factors, once: the factor's counter
// advances to the code's step in a conditional write, so the same code (or an older one) is
// refused afterwards however many requests carry it at once.
func (s *Service) checkCode(ctx context.Context, userID, code string) error {
	factors, err := s.People.SecondFactors(ctx, userID)
	if err != nil {
		return err
	}
	now := s.Now()
	for _, f := range factors {
		if f.Kind != people.FactorTOTP {
			continue
		}
		secret, err := s.openSecret(f.ID, f.Secret)
		if err != nil {
			return err
		}
		step, ok := totp.Match(secret, code, now)
		if !ok {
			continue
		}
		switch err := s.People.AdvanceSecondFactor(ctx, userID, f.ID, step); {
		case errors.Is(err, store.ErrConflict):
			return ErrCodeUsed
		case errors.Is(err, store.ErrNotFound):
			continue // removed meanwhile
		default:
			return err
		}
	}
	return ErrWrongCode
}

// sealID is what a TOTP secret is sealed for: its factor, so that a sealed secret copied onto
// another factor (or a channel) does not open.
func sealID(factorID string) string { return "second-factor " + factorID }

func (s *Service) sealSecret(factorID string, secret []byte) ([]byte, error) {
	return SealTOTPSecret(s.Box, factorID, secret)
}

func (s *Service) openSecret(factorID string, sealed []byte) ([]byte, error) {
	return OpenTOTPSecret(s.Box, factorID, sealed)
}

// SealTOTPSecret seals an authenticator app's secret for its factor as the store keeps it
// (people.SecondFactor.Secret): what enrolment does, and what an import does with a secret an
// export carried. ErrNoBox without a box.
func SealTOTPSecret(box *seal.Box, factorID string, secret []byte) ([]byte, error) {
	if box == nil {
		return nil, ErrNoBox
	}
	v, err := box.Seal(sealID(factorID), totp.Encode(secret))
	if err != nil {
		return nil, fmt.Errorf("seal TOTP secret: %w", err)
	}
	return []byte(v), nil
}

// OpenTOTPSecret opens a factor's stored secret: the raw secret. ErrNoBox without a box; an
// error naming the factor when it does not open (another server secret).
func OpenTOTPSecret(box *seal.Box, factorID string, sealed []byte) ([]byte, error) {
	if box == nil {
		return nil, ErrNoBox
	}
	v, err := box.Open(sealID(factorID), string(sealed))
	if err != nil {
		return nil, fmt.Errorf("open TOTP secret of factor %s: %w", factorID, err)
	}
	return totp.Decode(v)
}

// recoveryEncoding writes recovery codes: lowercase base32 without padding, no 0/1/8/9 to
// confuse with letters.
var recoveryEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newRecoveryCode draws a recovery code: 80 random bits as 16 characters in four groups
// ("abcd-efgh-ijkl-mnop"). 80 bits make an unsalted hash safe to store: no one can try them all.
func newRecoveryCode(r io.Reader) (string, error) {
	b := make([]byte, 10)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("read random bytes: %w", err)
	}
	s := recoveryEncoding.EncodeToString(b)
	return s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16], nil
}

// recoveryHash is the stored form of a recovery code: SHA-256 of the user and the code as
// normalised (no dashes or spaces, lowercase), so that one user's code is nothing to another.
func recoveryHash(userID, code string) string {
	norm := strings.ToLower(strings.NewReplacer("-", "", " ", "", "\t", "").Replace(strings.TrimSpace(code)))
	return HashToken("recovery " + userID + " " + norm)
}

// NewRecoveryCodes replaces the user's recovery codes with RecoveryCodeCount new ones and
// returns them, to be shown once: only their hashes are stored.
func (s *Service) NewRecoveryCodes(ctx context.Context, userID string) ([]string, error) {
	codes := make([]string, RecoveryCodeCount)
	hashes := make([]string, RecoveryCodeCount)
	for i := range codes {
		c, err := newRecoveryCode(s.Rand)
		if err != nil {
			return nil, err
		}
		codes[i], hashes[i] = c, recoveryHash(userID, c)
	}
	if err := s.People.SetRecoveryCodes(ctx, userID, hashes); err != nil {
		return nil, err
	}
	return codes, nil
}

// useRecoveryCode uses up one of the user's recovery codes: ErrWrongCode for an unknown or used
// one (of two requests with one code, one gets in).
func (s *Service) useRecoveryCode(ctx context.Context, userID, code string) error {
	if strings.TrimSpace(code) == "" || utf8.RuneCountInString(code) > 64 {
		return ErrWrongCode
	}
	err := s.People.UseRecoveryCode(ctx, userID, recoveryHash(userID, code))
	if errors.Is(err, store.ErrNotFound) {
		return ErrWrongCode
	}
	return err
}

// factorName checks a name given to a factor, or gives the default.
func factorName(name, def string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return def, nil
	}
	if n := utf8.RuneCountInString(name); n > people.MaxFactorNameLen {
		return "", invalid(fmt.Errorf("name is too long (%d characters, at most %d)", n, people.MaxFactorNameLen))
	}
	if err := people.ValidateName(name); err != nil {
		return "", invalid(err)
	}
	return name, nil
}

// totpData is a TOTP enrolment's Challenge.Data: the factor it will become, its secret sealed.
type totpData struct {
	FactorID string `json:"factor_id"`
	Name     string `json:"name"`
	Secret   []byte `json:"secret"`
}

// TOTPEnrolment is a TOTP secret shown to its user, waiting for a code before it becomes a
// factor.
type TOTPEnrolment struct {
	// Token names the enrolment in the confirmation form; it is worth nothing to another user.
	Token string
	Name  string
	// Secret is the shared secret in base32, for typing into an app; URI the otpauth:// URI of
	// the QR code.
	Secret, URI string
	Expires     time.Time
}

// BeginTOTP draws a TOTP secret for the user and keeps it, sealed, for ChallengeTTL: the user
// adds it to an app and confirms with a code (ConfirmTOTP) before it is a factor.
func (s *Service) BeginTOTP(ctx context.Context, u *people.User, name string) (*TOTPEnrolment, error) {
	name, err := factorName(name, DefaultTOTPName)
	if err != nil {
		return nil, err
	}
	secret, err := totp.NewSecret(s.Rand)
	if err != nil {
		return nil, err
	}
	id, err := uuid.NewRandomFromReader(s.Rand)
	if err != nil {
		return nil, fmt.Errorf("new factor ID: %w", err)
	}
	sealed, err := s.sealSecret(id.String(), secret)
	if err != nil {
		return nil, err
	}
	tok, c, err := s.newChallenge(u.ID, people.ChallengeTOTP, totpData{FactorID: id.String(), Name: name, Secret: sealed})
	if err != nil {
		return nil, err
	}
	if err := s.People.CreateChallenge(ctx, c); err != nil {
		return nil, fmt.Errorf("begin TOTP enrolment: %w", err)
	}
	return &TOTPEnrolment{Token: tok, Name: name, Secret: totp.Encode(secret), URI: totp.URI(Issuer, u.Email, secret), Expires: c.Expires}, nil
}

// TOTPEnrolmentOf reads the user's TOTP enrolment of token again (to show the form once more
// after a wrong code). store.ErrNotFound when it has expired, been confirmed, or is not the
// user's.
func (s *Service) TOTPEnrolmentOf(ctx context.Context, u *people.User, token string) (*TOTPEnrolment, error) {
	var data totpData
	c, err := s.challenge(ctx, token, people.ChallengeTOTP, u.ID, &data)
	if err != nil {
		return nil, err
	}
	secret, err := s.openSecret(data.FactorID, data.Secret)
	if err != nil {
		return nil, err
	}
	return &TOTPEnrolment{Token: token, Name: data.Name, Secret: totp.Encode(secret), URI: totp.URI(Issuer, u.Email, secret), Expires: c.Expires}, nil
}

// Enrolled is a new factor, and the user's recovery codes when it was their first factor (to be
// shown once).
type Enrolled struct {
	Factor        *people.SecondFactor
	RecoveryCodes []string
}

// ConfirmTOTP makes the user's TOTP enrolment of token a factor if code is a current code of its
// secret: ErrWrongCode if not (the enrolment stays, to try again), store.ErrNotFound when it has
// expired or been confirmed. The code's step is the factor's counter: it is not accepted again.
func (s *Service) ConfirmTOTP(ctx context.Context, u *people.User, token, code string) (*Enrolled, error) {
	var data totpData
	c, err := s.challenge(ctx, token, people.ChallengeTOTP, u.ID, &data)
	if err != nil {
		return nil, err
	}
	secret, err := s.openSecret(data.FactorID, data.Secret)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	step, ok := totp.Match(secret, code, now)
	if !ok {
		return nil, ErrWrongCode
	}
	if _, err := s.People.ConsumeChallenge(ctx, c.IDHash, now); err != nil {
		return nil, err
	}
	f := &people.SecondFactor{ID: data.FactorID, UserID: u.ID, Kind: people.FactorTOTP, Name: data.Name,
		Secret: data.Secret, Counter: step, Created: now}
	return s.enrol(ctx, f)
}

// enrol stores a new factor and, when the user has no recovery codes (a first factor), makes
// them.
func (s *Service) enrol(ctx context.Context, f *people.SecondFactor) (*Enrolled, error) {
	if err := s.People.CreateSecondFactor(ctx, f); err != nil {
		return nil, err
	}
	out := &Enrolled{Factor: f}
	left, err := s.People.RecoveryCodesLeft(ctx, f.UserID)
	if err != nil {
		return nil, err
	}
	if left == 0 {
		if out.RecoveryCodes, err = s.NewRecoveryCodes(ctx, f.UserID); err != nil {
			return nil, fmt.Errorf("factor added, but no recovery codes: %w", err)
		}
	}
	return out, nil
}

// SecondFactors lists the user's factors, oldest first, and counts their recovery codes.
func (s *Service) SecondFactors(ctx context.Context, userID string) ([]*people.SecondFactor, int, error) {
	fs, err := s.People.SecondFactors(ctx, userID)
	if err != nil {
		return nil, 0, err
	}
	left, err := s.People.RecoveryCodesLeft(ctx, userID)
	return fs, left, err
}

// RemoveFactor removes one of the user's factors once they prove who they are again: their
// password, or a current code of an authenticator app, or a recovery code (which is used up).
// ErrBadCredentials when none is right. Removing the last factor removes the recovery codes:
// the user signs in with one step again.
func (s *Service) RemoveFactor(ctx context.Context, u *people.User, factorID, password, code string) error {
	if err := s.Reauthenticate(ctx, u, password, code); err != nil {
		return err
	}
	if err := s.People.DeleteSecondFactor(ctx, u.ID, factorID); err != nil {
		return err
	}
	left, err := s.People.SecondFactors(ctx, u.ID)
	if err != nil {
		return err
	}
	if len(left) == 0 {
		return s.People.SetRecoveryCodes(ctx, u.ID, nil)
	}
	return nil
}

// Reauthenticate checks that the signed-in user is who they say again: the password (one
// argon2id verification), or else a code.
func (s *Service) Reauthenticate(ctx context.Context, u *people.User, password, code string) error {
	switch {
	case password != "":
		if len(password) > MaxPasswordLen {
			password = password[:MaxPasswordLen]
		}
		err := s.hashing(ctx, func() error { return s.passwords().Check(u.PasswordHash, password) })
		if errors.Is(err, ErrPasswordMismatch) {
			return ErrBadCredentials
		}
		return err
	case strings.TrimSpace(code) != "":
		err := s.checkCode(ctx, u.ID, code)
		if errors.Is(err, ErrWrongCode) {
			err = s.useRecoveryCode(ctx, u.ID, code)
		}
		if errors.Is(err, ErrWrongCode) || errors.Is(err, ErrCodeUsed) {
			return ErrBadCredentials
		}
		return err
	}
	return invalid(errors.New("give your password, or a code from your authenticator app or a recovery code"))
}

// RemoveSecondFactors removes every second factor and recovery code of the user, and says how
// many factors there were: `overdue user reset-password --remove-second-factors`, for whoever
// holds the data, when a user has lost them all.
func (s *Service) RemoveSecondFactors(ctx context.Context, userID string) (int, error) {
	fs, err := s.People.SecondFactors(ctx, userID)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, f := range fs {
		switch err := s.People.DeleteSecondFactor(ctx, userID, f.ID); {
		case err == nil:
			n++
		case !errors.Is(err, store.ErrNotFound):
			return n, err
		}
	}
	return n, s.People.SetRecoveryCodes(ctx, userID, nil)
}
