package account

import (
	"crypto/rand"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/sqlite"
	"github.com/overduehq/overdue/internal/store/storetest"
)

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

type fixture struct {
	svc     *Service
	st      *sqlite.Store
	now     time.Time
	project string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "overdue.db"), store.Options{Box: storetest.Box(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	p := &check.Project{ID: "p1", Name: "Ops", Created: t0, BadgeKey: "b1"}
	if err := st.CreateProject(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, now: t0, project: p.ID}
	f.svc = &Service{People: st.People(), Projects: st, Now: func() time.Time { return f.now }, Rand: rand.Reader, Params: fast}
	return f
}

func TestCreateUserWithPassword(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	got, err := f.svc.CreateUser(ctx, NewUser{Email: " Alice@Example.org", Name: "Alice", Password: "correct horse",
		ProjectID: f.project, Role: people.RoleOwner})
	if err != nil {
		t.Fatalf("CreateUser = %v", err)
	}
	if got.LinkToken != "" {
		t.Errorf("CreateUser with a password issued a link")
	}
	u, err := f.st.People().UserByEmail(ctx, "alice@example.org")
	if err != nil {
		t.Fatalf("UserByEmail(normalised) = %v", err)
	}
	if err := VerifyPassword(u.PasswordHash, "correct horse"); err != nil || strings.Contains(u.PasswordHash, "correct") {
		t.Errorf("stored hash %q: VerifyPassword = %v, want a hash that verifies", u.PasswordHash, err)
	}
	members, err := f.st.People().Members(ctx, f.project)
	if err != nil || len(members) != 1 || members[0].UserID != u.ID || members[0].Role != people.RoleOwner {
		t.Errorf("Members = %+v, %v; want alice as owner", members, err)
	}
	_, err = f.svc.CreateUser(ctx, NewUser{Email: "ALICE@example.org", Password: "another one"})
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("CreateUser(same email, other case) = %v, want ErrConflict", err)
	}
}

func TestCreateUserRefusesBadInputWritingNothing(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name string
		in   NewUser
		want error
	}{
		{"bad email", NewUser{Email: "alice"}, ErrInvalid},
		{"short password", NewUser{Email: "a@example.org", Password: "short"}, ErrInvalid},
		{"role without project", NewUser{Email: "a@example.org", Role: people.RoleMember}, ErrInvalid},
		{"bad role", NewUser{Email: "a@example.org", ProjectID: "p1", Role: "admin"}, ErrInvalid},
		{"missing project", NewUser{Email: "a@example.org", ProjectID: "nope", Role: people.RoleMember}, store.ErrNotFound},
	}
	for _, tt := range tests {
		if _, err := f.svc.CreateUser(t.Context(), tt.in); !errors.Is(err, tt.want) {
			t.Errorf("%s: CreateUser = %v, want %v", tt.name, err, tt.want)
		}
	}
	if users, err := f.st.People().Users(t.Context()); err != nil || len(users) != 0 {
		t.Errorf("Users after refused creates = %d, %v; want none", len(users), err)
	}
}

func TestSetPasswordLink(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	created, err := f.svc.CreateUser(ctx, NewUser{Email: "bob@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	if created.LinkToken == "" || created.User.HasPassword() {
		t.Fatalf("CreateUser without a password: link %q, has password %v; want a link and no password",
			created.LinkToken, created.User.HasPassword())
	}
	sess := &people.Session{IDHash: "s1", UserID: created.User.ID, Created: t0, Expires: t0.Add(time.Hour)}
	if err := f.st.People().CreateSession(ctx, sess); err != nil {
		t.Fatal(err)
	}

	// What an intruder may have left: another pending link, a personal API token.
	_, other, err := f.svc.ResetPassword(ctx, created.User.Email)
	if err != nil {
		t.Fatal(err)
	}
	apiToken, _, err := f.svc.CreateAPIToken(ctx, created.User.ID, "intruder's")
	if err != nil {
		t.Fatal(err)
	}

	f.now = t0.Add(SetPasswordTTL - time.Second)
	if _, err := f.svc.SetPassword(ctx, created.LinkToken, "short"); !errors.Is(err, ErrInvalid) {
		t.Errorf("SetPassword(short) = %v, want ErrInvalid", err)
	}
	set, err := f.svc.SetPassword(ctx, created.LinkToken, "a long password")
	if err != nil {
		t.Fatalf("SetPassword = %v", err)
	}
	u := set.User
	if set.RevokedTokens != 1 {
		t.Errorf("SetPassword revoked %d API tokens, want 1", set.RevokedTokens)
	}
	if _, _, err := f.svc.AuthenticateAPIToken(ctx, apiToken); err == nil {
		t.Errorf("an API token from before the password was set still works")
	}
	if _, err := f.svc.SetPassword(ctx, other, "the intruder's password"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetPassword with the user's other pending link = %v, want ErrNotFound", err)
	}
	if err := VerifyPassword(u.PasswordHash, "a long password"); err != nil {
		t.Errorf("after SetPassword, VerifyPassword = %v", err)
	}
	if _, err := f.st.People().Session(ctx, "s1", t0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a session from before the password was set survived: %v", err)
	}
	if _, err := f.svc.SetPassword(ctx, created.LinkToken, "another password"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetPassword with a used link = %v, want ErrNotFound", err)
	}

	// A reset link expires after SetPasswordTTL, and leaves the password alone until used.
	_, tok, err := f.svc.ResetPassword(ctx, "BOB@example.org")
	if err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(SetPasswordTTL)
	if _, err := f.svc.SetPassword(ctx, tok, "third password"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetPassword with an expired link = %v, want ErrNotFound", err)
	}
	if u, _ := f.st.People().User(ctx, u.ID); VerifyPassword(u.PasswordHash, "a long password") != nil {
		t.Errorf("an unused reset link changed the password")
	}
	if _, _, err := f.svc.ResetPassword(ctx, "nobody@example.org"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ResetPassword(unknown) = %v, want ErrNotFound", err)
	}
}
