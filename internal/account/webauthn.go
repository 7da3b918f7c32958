package account

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"

	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/store"
)

// ErrNoSecurityKeys says that this server cannot use security keys: WebAuthn binds a key to a
// host name (the relying party ID), and the site root has none.
var ErrNoSecurityKeys = errors.New("security keys need the site root to be a host name (https://overdue.example.com, " +
	"or http://localhost:8000 on this machine), not an IP address")

// ErrKeyRefused is a security key's answer that did not check out: a wrong signature, another
// site's key, a key not registered to the user, or a cloned key (its signature counter did not rise).
var ErrKeyRefused = errors.New("the security key's answer was refused")

// webAuthn is the relying party, made once from the site root: its host is the RP ID and its
// origin the one origin answers may come from.
func (s *Service) webAuthn() (*webauthn.WebAuthn, error) {
	s.waOnce.Do(func() {
		u, err := url.Parse(s.SiteRoot)
		if err != nil || u.Hostname() == "" || net.ParseIP(u.Hostname()) != nil {
			s.waErr = ErrNoSecurityKeys
			return
		}
		s.wa, s.waErr = webauthn.New(&webauthn.Config{
			RPID:          u.Hostname(),
			RPDisplayName: Issuer,
			RPOrigins:     []string{u.Scheme + "://" + u.Host},
		})
		if s.waErr != nil {
			s.waErr = fmt.Errorf("%w: %w", ErrNoSecurityKeys, s.waErr)
		}
	})
	return s.wa, s.waErr
}

// SecurityKeysAvailable reports whether this server can register and check security keys, and
// why not.
func (s *Service) SecurityKeysAvailable() error {
	_, err := s.webAuthn()
	return err
}

// keyUser is a user as WebAuthn sees them: the user handle is the user's ID, and the credentials
// are the user's security keys, each with its factor's counter.
type keyUser struct {
	u     *people.User
	creds []webauthn.Credential
	ids   []string // factor ID of each credential
}

func (k *keyUser) WebAuthnID() []byte                         { return []byte(k.u.ID) }
func (k *keyUser) WebAuthnName() string                       { return k.u.Email }
func (k *keyUser) WebAuthnDisplayName() string                { return cmpOr(k.u.Name, k.u.Email) }
func (k *keyUser) WebAuthnCredentials() []webauthn.Credential { return k.creds }

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// keyFactors picks the security keys out of a user's factors.
func keyFactors(fs []*people.SecondFactor) []*people.SecondFactor {
	var out []*people.SecondFactor
	for _, f := range fs {
		if f.Kind == people.FactorWebAuthn {
			out = append(out, f)
		}
	}
	return out
}

// newKeyUser decodes the stored credentials of keys; the factor's counter is the credential's
// signature count (the one that rises; Public keeps the count at registration).
func newKeyUser(u *people.User, keys []*people.SecondFactor) (*keyUser, error) {
	k := &keyUser{u: u}
	for _, f := range keys {
		var c webauthn.Credential
		if err := json.Unmarshal(f.Public, &c); err != nil {
			return nil, fmt.Errorf("read security key %s: %w", f.ID, err)
		}
		c.Authenticator.SignCount = uint32(f.Counter)
		k.creds, k.ids = append(k.creds, c), append(k.ids, f.ID)
	}
	return k, nil
}

// beginKeySignIn makes the assertion options and the ceremony's state for a sign-in with one of
// keys.
func (s *Service) beginKeySignIn(u *people.User, keys []*people.SecondFactor) (options, session json.RawMessage, err error) {
	wa, err := s.webAuthn()
	if err != nil {
		return nil, nil, err
	}
	ku, err := newKeyUser(u, keys)
	if err != nil {
		return nil, nil, err
	}
	assertion, sess, err := wa.BeginLogin(ku, webauthn.WithUserVerification(protocol.VerificationDiscouraged))
	if err != nil {
		return nil, nil, fmt.Errorf("begin security key sign-in: %w", err)
	}
	if options, err = json.Marshal(assertion); err != nil {
		return nil, nil, err
	}
	session, err = json.Marshal(sess)
	return options, session, err
}

// FinishWithKey ends the pending sign-in of token with a security key's answer (the JSON of the
// browser's PublicKeyCredential): ErrKeyRefused when it does not check out, store.ErrNotFound
// when the pending sign-in has expired or been used.
func (s *Service) FinishWithKey(ctx context.Context, token string, response []byte, client string) (*SignedIn, Continue, error) {
	return s.finish(ctx, token, client, func(u *people.User, data *pendingData) error {
		if len(data.Session) == 0 {
			return ErrKeyRefused // the user had no keys when the sign-in began
		}
		wa, err := s.webAuthn()
		if err != nil {
			return err
		}
		var sess webauthn.SessionData
		if err := json.Unmarshal(data.Session, &sess); err != nil {
			return fmt.Errorf("read sign-in state: %w", err)
		}
		fs, err := s.People.SecondFactors(ctx, u.ID)
		if err != nil {
			return err
		}
		ku, err := newKeyUser(u, keyFactors(fs))
		if err != nil {
			return err
		}
		parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
		if err != nil {
			return fmt.Errorf("%w: %s", ErrKeyRefused, protocolReason(err))
		}
		cred, err := wa.ValidateLogin(ku, sess, parsed)
		if err != nil {
			return fmt.Errorf("%w: %s", ErrKeyRefused, protocolReason(err))
		}
		for i, c := range ku.creds {
			if !bytes.Equal(c.ID, cred.ID) {
				continue
			}
			count := int64(cred.Authenticator.SignCount)
			if count == 0 && c.Authenticator.SignCount == 0 {
				return nil // a key without a counter (many passkeys): nothing to advance
			}
			err := s.People.AdvanceSecondFactor(ctx, u.ID, ku.ids[i], count)
			if errors.Is(err, store.ErrConflict) {
				return fmt.Errorf("%w: its signature counter did not rise (is it a copy?)", ErrKeyRefused)
			}
			return err
		}
		return ErrKeyRefused
	})
}

// protocolReason is what a WebAuthn error says, without the library's internals.
func protocolReason(err error) string {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return cmpOr(pe.Details, pe.Type)
	}
	return err.Error()
}

// keyData is a security key registration's Challenge.Data.
type keyData struct {
	Name    string          `json:"name"`
	Session json.RawMessage `json:"session"`
}

// KeyRegistration is a security key's registration begun for its user: the token names it in the
// form that finishes it, and Options is what navigator.credentials.create takes.
type KeyRegistration struct {
	Token   string
	Options json.RawMessage
}

// BeginKey begins registering a security key named name for the user: the options for the
// browser, and the ceremony's state kept server-side for ChallengeTTL. The user's keys are
// excluded, so one key is not registered twice.
func (s *Service) BeginKey(ctx context.Context, u *people.User, name string) (*KeyRegistration, error) {
	name, err := factorName(name, DefaultKeyName)
	if err != nil {
		return nil, err
	}
	wa, err := s.webAuthn()
	if err != nil {
		return nil, err
	}
	fs, err := s.People.SecondFactors(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	ku, err := newKeyUser(u, keyFactors(fs))
	if err != nil {
		return nil, err
	}
	var exclude []protocol.CredentialDescriptor
	for _, c := range ku.creds {
		exclude = append(exclude, c.Descriptor())
	}
	creation, sess, err := wa.BeginRegistration(ku, webauthn.WithExclusions(exclude),
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementDiscouraged, UserVerification: protocol.VerificationDiscouraged}),
		webauthn.WithConveyancePreference(protocol.PreferNoAttestation))
	if err != nil {
		return nil, fmt.Errorf("begin security key registration: %w", err)
	}
	st, err := json.Marshal(sess)
	if err != nil {
		return nil, err
	}
	tok, c, err := s.newChallenge(u.ID, people.ChallengeWebAuthn, keyData{Name: name, Session: st})
	if err != nil {
		return nil, err
	}
	if err := s.People.CreateChallenge(ctx, c); err != nil {
		return nil, fmt.Errorf("begin security key registration: %w", err)
	}
	opts, err := json.Marshal(creation)
	if err != nil {
		return nil, err
	}
	return &KeyRegistration{Token: tok, Options: opts}, nil
}

// FinishKey finishes the user's registration of token with the browser's answer (the JSON of the
// new PublicKeyCredential): the key becomes a factor. The registration is used up either way (a
// new attempt begins again). ErrKeyRefused when the answer does not check out,
// store.ErrNotFound when the registration has expired, been used, or is not the user's.
func (s *Service) FinishKey(ctx context.Context, u *people.User, token string, response []byte) (*Enrolled, error) {
	var data keyData
	c, err := s.challenge(ctx, token, people.ChallengeWebAuthn, u.ID, &data)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	if _, err := s.People.ConsumeChallenge(ctx, c.IDHash, now); err != nil {
		return nil, err
	}
	wa, err := s.webAuthn()
	if err != nil {
		return nil, err
	}
	var sess webauthn.SessionData
	if err := json.Unmarshal(data.Session, &sess); err != nil {
		return nil, fmt.Errorf("read registration state: %w", err)
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrKeyRefused, protocolReason(err))
	}
	cred, err := wa.CreateCredential(&keyUser{u: u}, sess, parsed)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrKeyRefused, protocolReason(err))
	}
	public, err := json.Marshal(cred)
	if err != nil {
		return nil, err
	}
	id, err := uuid.NewRandomFromReader(s.Rand)
	if err != nil {
		return nil, fmt.Errorf("new factor ID: %w", err)
	}
	f := &people.SecondFactor{ID: id.String(), UserID: u.ID, Kind: people.FactorWebAuthn, Name: data.Name,
		Public: public, Counter: int64(cred.Authenticator.SignCount), Created: now}
	return s.enrol(ctx, f)
}
