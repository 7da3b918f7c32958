package account

import (
	"errors"
	"testing"

	"github.com/overduehq/overdue/internal/store"
)

func TestSignInExternal(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	if _, err := f.svc.CreateUser(ctx, NewUser{Email: "alice@example.org", Password: "correct horse"}); err != nil {
		t.Fatal(err)
	}
	policy := ExternalPolicy{Domains: []string{"example.org"}}

	in, err := f.svc.SignInExternal(ctx, "Alice@Example.org", "Alice", "test", policy, Continue{})
	if err != nil {
		t.Fatalf("SignInExternal(existing) = %v", err)
	}
	if in.User.Email != "alice@example.org" || in.Token == "" {
		t.Errorf("SignInExternal(existing) = user %q, token %q", in.User.Email, in.Token)
	}
	if u, _, err := f.svc.Authenticate(ctx, in.Token); err != nil || u.ID != in.User.ID {
		t.Errorf("Authenticate(new session) = %v, %v", u, err)
	}

	if _, err := f.svc.SignInExternal(ctx, "bob@example.org", "Bob", "test", policy, Continue{}); !errors.Is(err, ErrNoAccount) {
		t.Errorf("SignInExternal(unknown, no creation) = %v, want ErrNoAccount", err)
	}
	if _, err := f.st.People().UserByEmail(ctx, "bob@example.org"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown email without creation: UserByEmail = %v, want ErrNotFound", err)
	}
	if _, err := f.svc.SignInExternal(ctx, "eve@evil.example", "", "test", ExternalPolicy{Domains: []string{"example.org"}, CreateAccounts: true}, Continue{}); !errors.Is(err, ErrDomainRefused) {
		t.Errorf("SignInExternal(other domain) = %v, want ErrDomainRefused", err)
	}
	if _, err := f.svc.SignInExternal(ctx, "eve@sub.example.org", "", "test", ExternalPolicy{Domains: []string{"example.org"}, CreateAccounts: true}, Continue{}); !errors.Is(err, ErrDomainRefused) {
		t.Errorf("SignInExternal(subdomain) = %v, want ErrDomainRefused", err)
	}
	if _, err := f.svc.SignInExternal(ctx, "not an email", "", "test", ExternalPolicy{CreateAccounts: true}, Continue{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("SignInExternal(bad email) = %v, want ErrInvalid", err)
	}

	create := ExternalPolicy{CreateAccounts: true}
	in, err = f.svc.SignInExternal(ctx, "bob@example.com", "Bob\x00", "test", create, Continue{})
	if err != nil {
		t.Fatalf("SignInExternal(create) = %v", err)
	}
	u, err := f.st.People().UserByEmail(ctx, "bob@example.com")
	if err != nil || u.ID != in.User.ID || u.HasPassword() || u.Name != "" {
		t.Errorf("created user = %+v, %v; want the session's user, no password, the invalid name dropped", u, err)
	}
	ms, err := f.st.People().Memberships(ctx, u.ID)
	if err != nil || len(ms) != 0 {
		t.Errorf("created user's memberships = %v, %v; want none", ms, err)
	}
	again, err := f.svc.SignInExternal(ctx, "bob@example.com", "Bob", "test", create, Continue{})
	if err != nil || again.User.ID != u.ID {
		t.Errorf("second sign-in = %v, %v; want the same user %s", again, err, u.ID)
	}
}

func TestParseDomains(t *testing.T) {
	got, err := ParseDomains(" Example.org, @example.com ,,")
	if err != nil || len(got) != 2 || got[0] != "example.org" || got[1] != "example.com" {
		t.Errorf("ParseDomains = %q, %v", got, err)
	}
	if got, err := ParseDomains(""); err != nil || got != nil {
		t.Errorf("ParseDomains(\"\") = %q, %v; want nil", got, err)
	}
	for _, bad := range []string{"a@example.org", "localhost", "example org.com", ".example.org"} {
		if _, err := ParseDomains(bad); err == nil {
			t.Errorf("ParseDomains(%q) accepted it", bad)
		}
	}
}
