package account

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/store"
)

// ErrNoAccount is a sign-in by someone else's word (an OpenID Connect provider, a trusted
// proxy's header) for an email that has no account, where the policy does not create one.
var ErrNoAccount = errors.New("no account with this email")

// ErrDomainRefused is a sign-in by someone else's word for an email outside the policy's
// domains.
var ErrDomainRefused = errors.New("email domain not allowed")

// ExternalPolicy says whom a sign-in vouched for by someone else (an OpenID Connect provider,
// an authenticating proxy) lets in.
type ExternalPolicy struct {
	// Domains, when not empty, are the only email domains let in (exactly: "example.org"
	// admits a@example.org, not a@eu.example.org). Lower case.
	Domains []string
	// CreateAccounts creates an account, with no password and no project, for an email that
	// has none. Off: only existing accounts sign in this way.
	CreateAccounts bool
	// NoSecondFactor starts a session without asking for the user's second factor: for the
	// trusted header, where the proxy in front is the whole sign-in (as in Healthchecks). Off,
	// a user with second factors gets the second step after the provider, as after a password.
	NoSecondFactor bool
}

// ParseDomains reads a comma-separated list of email domains ("example.org, example.com"),
// lowercased; an empty list is nil. A domain with an @, a space or no dot is refused, with
// what to write instead.
func ParseDomains(list string) ([]string, error) {
	var out []string
	for _, d := range strings.Split(list, ",") {
		d = strings.ToLower(strings.TrimSpace(d))
		if d == "" {
			continue
		}
		d = strings.TrimPrefix(d, "@")
		if strings.ContainsAny(d, "@ \t/") || !strings.Contains(d, ".") || strings.HasPrefix(d, ".") || strings.HasSuffix(d, ".") {
			return nil, fmt.Errorf("email domain %q is not a domain name (write it as example.org)", d)
		}
		out = append(out, d)
	}
	return out, nil
}

// Allows reports whether the policy's domains admit the normalised email.
func (p ExternalPolicy) Allows(email string) bool {
	if len(p.Domains) == 0 {
		return true
	}
	domain := email[strings.LastIndexByte(email, '@')+1:]
	for _, d := range p.Domains {
		if domain == d {
			return true
		}
	}
	return false
}

// SignInExternal signs in the user with the email, which someone the operator trusts has
// vouched for (a verified email from an OpenID Connect provider, a trusted proxy's header): no
// password is asked, and the second factor is (Enter), unless the policy says NoSecondFactor. The policy's domains must admit the email (ErrDomainRefused);
// an email without an account gets a new one (name as given, no password, no project) when the
// policy allows it, ErrNoAccount otherwise. ErrInvalid for an email that is no address.
func (s *Service) SignInExternal(ctx context.Context, email, name, client string, policy ExternalPolicy, then Continue) (*SignedIn, error) {
	norm, err := people.NormalizeEmail(email)
	if err != nil {
		return nil, invalid(err)
	}
	if !policy.Allows(norm) {
		return nil, fmt.Errorf("%s: %w", norm, ErrDomainRefused)
	}
	u, err := s.People.UserByEmail(ctx, norm)
	if errors.Is(err, store.ErrNotFound) {
		if !policy.CreateAccounts {
			return nil, fmt.Errorf("%s: %w", norm, ErrNoAccount)
		}
		u, err = s.createExternal(ctx, norm, name)
	}
	if err != nil {
		return nil, err
	}
	if policy.NoSecondFactor {
		return s.StartSession(ctx, u, client)
	}
	return s.Enter(ctx, u, client, then)
}

// createExternal creates the account of a first sign-in vouched for by someone else. Two
// first sign-ins at once race to create it: the loser reads the winner's.
func (s *Service) createExternal(ctx context.Context, email, name string) (*people.User, error) {
	if people.ValidateName(name) != nil {
		name = "" // a provider's odd display name is not worth refusing a sign-in for
	}
	id, err := uuid.NewRandomFromReader(s.Rand)
	if err != nil {
		return nil, fmt.Errorf("new user ID: %w", err)
	}
	u := &people.User{ID: id.String(), Email: email, Name: strings.TrimSpace(name), Created: s.Now()}
	err = s.People.CreateUser(ctx, u)
	if errors.Is(err, store.ErrConflict) {
		return s.People.UserByEmail(ctx, email)
	}
	if err != nil {
		return nil, fmt.Errorf("create user %s: %w", email, err)
	}
	return u, nil
}
