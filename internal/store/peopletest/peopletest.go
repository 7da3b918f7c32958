// Package peopletest is the conformance suite for store.People: every store that keeps
// accounts (SQLite, and DynamoDB on moto) runs Run against itself. Everything runs on fixed
// instants; the races (one email, one invitation, the last owner) are run for real, with
// goroutines, and must have exactly one winner.
package peopletest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/store"
)

// t0 has a nanosecond part, so the suite sees the microsecond truncation stores apply.
var t0 = time.Date(2026, 12, 1, 9, 30, 15, 123456789, time.UTC)

// Stores is what the suite needs: the accounts under test and the store holding the projects
// they refer to (for the SQLite store, two views of one database).
type Stores struct {
	People store.People
	Store  store.Store
}

// Run runs the suite. open returns empty stores for one subtest.
func Run(t *testing.T, open func(t *testing.T) Stores) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s Stores)
	}{
		{"Users", testUsers},
		{"UniqueEmail", testUniqueEmail},
		{"ConcurrentSignUp", testConcurrentSignUp},
		{"Password", testPassword},
		{"Profile", testProfile},
		{"Memberships", testMemberships},
		{"ProjectDeleteMembers", testProjectDeleteMembers},
		{"ProjectDeleteInvitations", testProjectDeleteInvitations},
		{"LastOwner", testLastOwner},
		{"ConcurrentDemotion", testConcurrentDemotion},
		{"ChangeMembership", testChangeMembership},
		{"Invitations", testInvitations},
		{"InvitationList", testInvitationList},
		{"PasswordResets", testPasswordResets},
		{"Sessions", testSessions},
		{"APITokens", testAPITokens},
		{"SecondFactors", testSecondFactors},
		{"UserWithFactors", testUserWithFactors},
		{"ConcurrentFactorUse", testConcurrentFactorUse},
		{"RecoveryCodes", testRecoveryCodes},
		{"ConcurrentRecoveryCodes", testConcurrentRecoveryCodes},
		{"Challenges", testChallenges},
		{"UserSettings", testUserSettings},
		{"ConcurrentUserUpdates", testConcurrentUserUpdates},
		{"Mailings", testMailings},
		{"ConcurrentMailingClaims", testConcurrentMailingClaims},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

func tr(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}

func userID(n int) string { return fmt.Sprintf("u0000000-0000-4000-8000-%012d", n) }

func newUser(n int, created time.Time) *people.User {
	return &people.User{
		ID:           userID(n),
		Email:        fmt.Sprintf("user%d@example.org", n),
		Name:         fmt.Sprintf("User %d", n),
		PasswordHash: fmt.Sprintf("$argon2id$v=19$m=19456,t=2,p=1$salt%d$hash%d", n, n),
		TimeZone:     "Europe/Riga",
		Created:      created,
	}
}

func storedUser(u *people.User) *people.User {
	c := *u
	c.Created = tr(c.Created)
	return &c
}

func createUser(t *testing.T, s Stores, u *people.User) {
	t.Helper()
	if err := s.People.CreateUser(t.Context(), u); err != nil {
		t.Fatalf("CreateUser(%s) = %v", u.ID, err)
	}
}

func createProject(t *testing.T, s Stores, n int) string {
	t.Helper()
	p := &check.Project{
		ID:         fmt.Sprintf("p0000000-0000-4000-8000-%012d", n),
		Name:       fmt.Sprintf("Project %d", n),
		Created:    t0,
		APIKeyHash: check.HashKey(fmt.Sprintf("hcw_people%d", n)),
		BadgeKey:   fmt.Sprintf("peoplebadge%d", n),
	}
	if err := s.Store.CreateProject(t.Context(), p); err != nil {
		t.Fatalf("CreateProject(%s) = %v", p.ID, err)
	}
	return p.ID
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s = %v, want %v", what, err, want)
	}
}

func testUsers(t *testing.T, s Stores) {
	ctx := t.Context()
	newer := newUser(1, t0.Add(time.Hour))
	older := newUser(2, t0)
	older.PasswordHash, older.Name, older.TimeZone = "", "", "" // a user invited by link, no password yet
	createUser(t, s, newer)
	createUser(t, s, older)

	got, err := s.People.User(ctx, newer.ID)
	if err != nil {
		t.Fatalf("User(%s) = %v", newer.ID, err)
	}
	if diff := cmp.Diff(storedUser(newer), got); diff != "" {
		t.Errorf("User(%s) mismatch (-want +got):\n%s", newer.ID, diff)
	}
	got, err = s.People.UserByEmail(ctx, older.Email)
	if err != nil {
		t.Fatalf("UserByEmail(%s) = %v", older.Email, err)
	}
	if diff := cmp.Diff(storedUser(older), got); diff != "" {
		t.Errorf("UserByEmail(%s) mismatch (-want +got):\n%s", older.Email, diff)
	}
	all, err := s.People.Users(ctx)
	if err != nil {
		t.Fatalf("Users() = %v", err)
	}
	if diff := cmp.Diff([]*people.User{storedUser(older), storedUser(newer)}, all); diff != "" {
		t.Errorf("Users() mismatch, want oldest first (-want +got):\n%s", diff)
	}

	_, err = s.People.User(ctx, userID(99))
	wantErr(t, "User(missing)", err, store.ErrNotFound)
	_, err = s.People.UserByEmail(ctx, "nobody@example.org")
	wantErr(t, "UserByEmail(missing)", err, store.ErrNotFound)
	bad := newUser(3, t0)
	bad.Email = "Not@Normalised.org"
	if err := s.People.CreateUser(ctx, bad); err == nil {
		t.Errorf("CreateUser with an email not normalised = nil, want an error")
	}
}

func testUniqueEmail(t *testing.T, s Stores) {
	ctx := t.Context()
	u := newUser(1, t0)
	createUser(t, s, u)

	sameEmail := newUser(2, t0)
	sameEmail.Email = u.Email
	wantErr(t, "CreateUser(another user, same email)", s.People.CreateUser(ctx, sameEmail), store.ErrConflict)
	sameID := newUser(1, t0)
	sameID.Email = "other@example.org"
	wantErr(t, "CreateUser(same ID, other email)", s.People.CreateUser(ctx, sameID), store.ErrConflict)

	// Neither failed create left anything behind: the other email is still free, and the
	// first user is as it was.
	if _, err := s.People.UserByEmail(ctx, "other@example.org"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UserByEmail(other) after a refused create = %v, want ErrNotFound", err)
	}
	other := newUser(3, t0)
	other.Email = "other@example.org"
	createUser(t, s, other)
	got, err := s.People.UserByEmail(ctx, u.Email)
	if err != nil || got.ID != u.ID {
		t.Errorf("UserByEmail(%s) = %v, %v; want user %s", u.Email, got, err, u.ID)
	}
}

func testConcurrentSignUp(t *testing.T, s Stores) {
	const n = 6
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u := newUser(10+i, t0)
			u.Email = "race@example.org"
			errs[i] = s.People.CreateUser(t.Context(), u)
		}()
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("CreateUser #%d = %v, want nil or ErrConflict", i, err)
		}
	}
	if won != 1 {
		t.Errorf("%d of %d concurrent sign-ups with one email won, want exactly 1", won, n)
	}
	if all, err := s.People.Users(t.Context()); err != nil || len(all) != 1 {
		t.Errorf("Users() = %d users, %v; want 1", len(all), err)
	}
}

func testPassword(t *testing.T, s Stores) {
	ctx := t.Context()
	u := newUser(1, t0)
	createUser(t, s, u)
	if err := s.People.SetPasswordHash(ctx, u.ID, "$argon2id$new"); err != nil {
		t.Fatalf("SetPasswordHash = %v", err)
	}
	got, err := s.People.UserByEmail(ctx, u.Email)
	if err != nil || got.PasswordHash != "$argon2id$new" {
		t.Errorf("after SetPasswordHash, UserByEmail = %+v, %v; want the new hash", got, err)
	}
	wantErr(t, "SetPasswordHash(missing user)", s.People.SetPasswordHash(ctx, userID(99), "x"), store.ErrNotFound)
	if _, err := s.People.User(ctx, userID(99)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetPasswordHash of a missing user created it: User = %v", err)
	}
}

func member(p, u string, r people.Role, created time.Time) people.Membership {
	return people.Membership{ProjectID: p, UserID: u, Role: r, Created: created}
}

func setMember(t *testing.T, s Stores, m people.Membership) {
	t.Helper()
	if err := s.People.SetMembership(t.Context(), m); err != nil {
		t.Fatalf("SetMembership(%+v) = %v", m, err)
	}
}

func testMemberships(t *testing.T, s Stores) {
	ctx := t.Context()
	p1, p2 := createProject(t, s, 1), createProject(t, s, 2)
	u1, u2 := newUser(1, t0), newUser(2, t0)
	createUser(t, s, u1)
	createUser(t, s, u2)

	setMember(t, s, member(p1, u1.ID, people.RoleOwner, t0))
	setMember(t, s, member(p1, u2.ID, people.RoleReadOnly, t0.Add(time.Minute)))
	setMember(t, s, member(p2, u2.ID, people.RoleOwner, t0))
	// A change of role keeps the membership's creation time.
	setMember(t, s, member(p1, u2.ID, people.RoleManager, t0.Add(time.Hour)))

	members, err := s.People.Members(ctx, p1)
	if err != nil {
		t.Fatalf("Members(%s) = %v", p1, err)
	}
	want := []people.Membership{
		member(p1, u1.ID, people.RoleOwner, tr(t0)),
		member(p1, u2.ID, people.RoleManager, tr(t0.Add(time.Minute))),
	}
	if diff := cmp.Diff(want, members); diff != "" {
		t.Errorf("Members(%s) mismatch (-want +got):\n%s", p1, diff)
	}
	mine, err := s.People.Memberships(ctx, u2.ID)
	if err != nil {
		t.Fatalf("Memberships(%s) = %v", u2.ID, err)
	}
	want = []people.Membership{
		member(p1, u2.ID, people.RoleManager, tr(t0.Add(time.Minute))),
		member(p2, u2.ID, people.RoleOwner, tr(t0)),
	}
	if diff := cmp.Diff(want, mine); diff != "" {
		t.Errorf("Memberships(%s) mismatch (-want +got):\n%s", u2.ID, diff)
	}

	if err := s.People.RemoveMembership(ctx, p1, u2.ID); err != nil {
		t.Fatalf("RemoveMembership = %v", err)
	}
	if got, err := s.People.Memberships(ctx, u2.ID); err != nil || len(got) != 1 || got[0].ProjectID != p2 {
		t.Errorf("Memberships(%s) after removal from %s = %+v, %v; want only %s", u2.ID, p1, got, err, p2)
	}
	wantErr(t, "RemoveMembership(not a member)", s.People.RemoveMembership(ctx, p1, u2.ID), store.ErrNotFound)
	wantErr(t, "SetMembership(missing project)",
		s.People.SetMembership(ctx, member("p-missing", u1.ID, people.RoleMember, t0)), store.ErrNotFound)
	wantErr(t, "SetMembership(missing user)",
		s.People.SetMembership(ctx, member(p1, userID(99), people.RoleMember, t0)), store.ErrNotFound)
	if got, err := s.People.Members(ctx, "p-missing"); err != nil || len(got) != 0 {
		t.Errorf("Members(missing project) = %v, %v; want none", got, err)
	}
}

func testLastOwner(t *testing.T, s Stores) {
	ctx := t.Context()
	p := createProject(t, s, 1)
	a, b := newUser(1, t0), newUser(2, t0)
	createUser(t, s, a)
	createUser(t, s, b)
	setMember(t, s, member(p, a.ID, people.RoleOwner, t0))

	wantErr(t, "SetMembership(demote the only owner)", s.People.SetMembership(ctx, member(p, a.ID, people.RoleManager, t0)), store.ErrLastOwner)
	wantErr(t, "RemoveMembership(the only owner)", s.People.RemoveMembership(ctx, p, a.ID), store.ErrLastOwner)
	setMember(t, s, member(p, a.ID, people.RoleOwner, t0)) // owner to owner: no change, allowed

	setMember(t, s, member(p, b.ID, people.RoleOwner, t0))
	setMember(t, s, member(p, a.ID, people.RoleMember, t0)) // two owners: one may step down
	wantErr(t, "RemoveMembership(the owner left)", s.People.RemoveMembership(ctx, p, b.ID), store.ErrLastOwner)
	setMember(t, s, member(p, a.ID, people.RoleOwner, t0))
	if err := s.People.RemoveMembership(ctx, p, b.ID); err != nil {
		t.Errorf("RemoveMembership(one of two owners) = %v", err)
	}
	members, err := s.People.Members(ctx, p)
	if err != nil || len(members) != 1 || members[0].UserID != a.ID || members[0].Role != people.RoleOwner {
		t.Errorf("Members = %+v, %v; want %s alone, owner", members, err, a.ID)
	}
}

func testConcurrentDemotion(t *testing.T, s Stores) {
	ctx := t.Context()
	p := createProject(t, s, 1)
	const n = 4
	for i := range n {
		createUser(t, s, newUser(i+1, t0))
		setMember(t, s, member(p, userID(i+1), people.RoleOwner, t0))
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				errs[i] = s.People.SetMembership(ctx, member(p, userID(i+1), people.RoleMember, t0))
			} else {
				errs[i] = s.People.RemoveMembership(ctx, p, userID(i+1))
			}
		}()
	}
	wg.Wait()
	lost := 0
	for i, err := range errs {
		switch {
		case errors.Is(err, store.ErrLastOwner):
			lost++
		case err != nil && !errors.Is(err, store.ErrConflict):
			// ErrConflict: the store's retries ran out; the change did not happen either.
			t.Errorf("demotion #%d = %v, want nil, ErrLastOwner or ErrConflict", i, err)
		case err != nil:
			lost++
		}
	}
	members, err := s.People.Members(ctx, p)
	if err != nil {
		t.Fatalf("Members = %v", err)
	}
	owners := 0
	for _, m := range members {
		if m.Role == people.RoleOwner {
			owners++
		}
	}
	// Every demotion that was refused left an owner, and no more: at least one is left.
	if owners < 1 || owners != lost {
		t.Errorf("after %d owners demoted themselves at once: %d owners left, %d refused; want at least 1, and as many as refused (members %+v)",
			n, owners, lost, members)
	}
}

func testInvitations(t *testing.T, s Stores) {
	ctx := t.Context()
	p := createProject(t, s, 1)
	inv := &people.Invitation{TokenHash: "hash-invite-1", ProjectID: p, Email: "new@example.org",
		Role: people.RoleMember, InviterID: userID(1), Created: t0, Expires: t0.Add(72 * time.Hour)}
	if err := s.People.CreateInvitation(ctx, inv); err != nil {
		t.Fatalf("CreateInvitation = %v", err)
	}
	wantErr(t, "CreateInvitation(same hash)", s.People.CreateInvitation(ctx, inv), store.ErrConflict)

	// Looking an invitation up leaves it in place, until its expiry.
	want := *inv
	want.Created, want.Expires = tr(want.Created), tr(want.Expires)
	for range 2 {
		got, err := s.People.Invitation(ctx, inv.TokenHash, inv.Expires.Add(-time.Microsecond))
		if err != nil {
			t.Fatalf("Invitation(before expiry) = %v", err)
		}
		if diff := cmp.Diff(&want, got); diff != "" {
			t.Errorf("Invitation mismatch (-want +got):\n%s", diff)
		}
	}
	_, err := s.People.Invitation(ctx, inv.TokenHash, inv.Expires)
	wantErr(t, "Invitation(at expiry)", err, store.ErrNotFound)
	_, err = s.People.Invitation(ctx, "hash-unknown", t0)
	wantErr(t, "Invitation(unknown)", err, store.ErrNotFound)

	// At its expiry an invitation is gone, whoever asks.
	_, err = s.People.ConsumeInvitation(ctx, inv.TokenHash, inv.Expires)
	wantErr(t, "ConsumeInvitation(at expiry)", err, store.ErrNotFound)
	_, err = s.People.ConsumeInvitation(ctx, "hash-unknown", t0)
	wantErr(t, "ConsumeInvitation(unknown)", err, store.ErrNotFound)

	const n = 5
	got := make([]*people.Invitation, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = s.People.ConsumeInvitation(ctx, inv.TokenHash, inv.Expires.Add(-time.Microsecond))
		}()
	}
	wg.Wait()
	won := 0
	for i := range n {
		switch {
		case errs[i] == nil:
			won++
			if diff := cmp.Diff(&want, got[i]); diff != "" {
				t.Errorf("ConsumeInvitation mismatch (-want +got):\n%s", diff)
			}
		case !errors.Is(errs[i], store.ErrNotFound):
			t.Errorf("ConsumeInvitation #%d = %v, want nil or ErrNotFound", i, errs[i])
		}
	}
	if won != 1 {
		t.Errorf("%d of %d concurrent consumptions of one invitation won, want exactly 1", won, n)
	}
}

// testProjectDeleteInvitations: deleting a project deletes its invitations (their links must
// not open on a project that is gone, or one made again under the ID), and no other project's.
func testProjectDeleteInvitations(t *testing.T, s Stores) {
	ctx := t.Context()
	p1, p2 := createProject(t, s, 1), createProject(t, s, 2)
	for i, p := range []string{p1, p1, p2} {
		inv := &people.Invitation{TokenHash: fmt.Sprintf("hash-invite-%d", i), ProjectID: p, Email: "new@example.org",
			Role: people.RoleMember, InviterID: userID(1), Created: t0, Expires: t0.Add(72 * time.Hour)}
		if err := s.People.CreateInvitation(ctx, inv); err != nil {
			t.Fatalf("CreateInvitation = %v", err)
		}
	}
	// One consumed before the deletion leaves nothing behind to trip on.
	if _, err := s.People.ConsumeInvitation(ctx, "hash-invite-1", t0); err != nil {
		t.Fatalf("ConsumeInvitation = %v", err)
	}
	if err := s.Store.DeleteProject(ctx, p1); err != nil {
		t.Fatalf("DeleteProject(%s) = %v", p1, err)
	}
	createProject(t, s, 1) // the ID again: the old invitations must not come back with it
	_, err := s.People.Invitation(ctx, "hash-invite-0", t0)
	wantErr(t, "Invitation(of the deleted project)", err, store.ErrNotFound)
	_, err = s.People.ConsumeInvitation(ctx, "hash-invite-0", t0)
	wantErr(t, "ConsumeInvitation(of the deleted project)", err, store.ErrNotFound)
	if _, err := s.People.Invitation(ctx, "hash-invite-2", t0); err != nil {
		t.Errorf("Invitation(of the other project) = %v, want it kept", err)
	}
}

func testPasswordResets(t *testing.T, s Stores) {
	ctx := t.Context()
	u := newUser(1, t0)
	createUser(t, s, u)
	r := &people.PasswordReset{TokenHash: "hash-reset-1", UserID: u.ID, Created: t0, Expires: t0.Add(time.Hour)}
	if err := s.People.CreatePasswordReset(ctx, r); err != nil {
		t.Fatalf("CreatePasswordReset = %v", err)
	}
	wantErr(t, "CreatePasswordReset(same hash)", s.People.CreatePasswordReset(ctx, r), store.ErrConflict)
	_, err := s.People.ConsumePasswordReset(ctx, r.TokenHash, r.Expires.Add(time.Second))
	wantErr(t, "ConsumePasswordReset(expired)", err, store.ErrNotFound)
	got, err := s.People.ConsumePasswordReset(ctx, r.TokenHash, t0.Add(time.Minute))
	if err != nil {
		t.Fatalf("ConsumePasswordReset = %v", err)
	}
	want := &people.PasswordReset{TokenHash: r.TokenHash, UserID: u.ID, Created: tr(t0), Expires: tr(r.Expires)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ConsumePasswordReset mismatch (-want +got):\n%s", diff)
	}
	_, err = s.People.ConsumePasswordReset(ctx, r.TokenHash, t0.Add(time.Minute))
	wantErr(t, "ConsumePasswordReset(second time)", err, store.ErrNotFound)

	// Deleting the user's links deletes every one of them, and no one else's.
	other := newUser(2, t0)
	createUser(t, s, other)
	for i, owner := range []string{u.ID, u.ID, other.ID} {
		l := &people.PasswordReset{TokenHash: fmt.Sprintf("hash-reset-%d", 10+i), UserID: owner, Created: t0, Expires: t0.Add(time.Hour)}
		if err := s.People.CreatePasswordReset(ctx, l); err != nil {
			t.Fatalf("CreatePasswordReset = %v", err)
		}
	}
	if n, err := s.People.DeletePasswordResets(ctx, u.ID); err != nil || n != 2 {
		t.Errorf("DeletePasswordResets = %d, %v, want 2", n, err)
	}
	for _, h := range []string{"hash-reset-10", "hash-reset-11"} {
		_, err = s.People.ConsumePasswordReset(ctx, h, t0.Add(time.Minute))
		wantErr(t, "ConsumePasswordReset(deleted link)", err, store.ErrNotFound)
	}
	if _, err := s.People.ConsumePasswordReset(ctx, "hash-reset-12", t0.Add(time.Minute)); err != nil {
		t.Errorf("ConsumePasswordReset(another user's link) = %v, want it kept", err)
	}
	if n, err := s.People.DeletePasswordResets(ctx, u.ID); err != nil || n != 0 {
		t.Errorf("DeletePasswordResets(again) = %d, %v, want 0", n, err)
	}
}

func testSessions(t *testing.T, s Stores) {
	ctx := t.Context()
	u, other := newUser(1, t0), newUser(2, t0)
	createUser(t, s, u)
	createUser(t, s, other)
	sess := func(n int, user string, created time.Time) *people.Session {
		return &people.Session{IDHash: fmt.Sprintf("hash-session-%d", n), UserID: user, Created: created,
			LastSeen: created, Expires: created.Add(14 * 24 * time.Hour), Client: "Firefox (192.0.2.1)"}
	}
	stored := func(x *people.Session) *people.Session {
		c := *x
		c.Created, c.LastSeen, c.Expires = tr(c.Created), tr(c.LastSeen), tr(c.Expires)
		return &c
	}
	s1, s2, s3 := sess(1, u.ID, t0), sess(2, u.ID, t0.Add(time.Hour)), sess(3, other.ID, t0)
	short := sess(4, u.ID, t0.Add(2*time.Hour))
	short.Expires = t0.Add(3 * time.Hour)
	for _, x := range []*people.Session{s1, s2, s3, short} {
		if err := s.People.CreateSession(ctx, x); err != nil {
			t.Fatalf("CreateSession(%s) = %v", x.IDHash, err)
		}
	}
	wantErr(t, "CreateSession(same hash)", s.People.CreateSession(ctx, s1), store.ErrConflict)

	now := t0.Add(4 * time.Hour) // short has expired
	got, err := s.People.Session(ctx, s1.IDHash, now)
	if err != nil {
		t.Fatalf("Session(%s) = %v", s1.IDHash, err)
	}
	if diff := cmp.Diff(stored(s1), got); diff != "" {
		t.Errorf("Session mismatch (-want +got):\n%s", diff)
	}
	_, err = s.People.Session(ctx, short.IDHash, now)
	wantErr(t, "Session(expired)", err, store.ErrNotFound)

	list, err := s.People.Sessions(ctx, u.ID, now)
	if err != nil {
		t.Fatalf("Sessions = %v", err)
	}
	if diff := cmp.Diff([]*people.Session{stored(s2), stored(s1)}, list); diff != "" {
		t.Errorf("Sessions, newest first, without expired or other users' (-want +got):\n%s", diff)
	}

	seen, expires := t0.Add(5*time.Hour), t0.Add(30*24*time.Hour)
	if err := s.People.TouchSession(ctx, s1.IDHash, seen, expires); err != nil {
		t.Fatalf("TouchSession = %v", err)
	}
	got, err = s.People.Session(ctx, s1.IDHash, t0.Add(20*24*time.Hour))
	if err != nil || !got.LastSeen.Equal(tr(seen)) || !got.Expires.Equal(tr(expires)) {
		t.Errorf("after TouchSession, Session = %+v, %v; want last seen %v, expiry %v", got, err, seen, expires)
	}
	wantErr(t, "TouchSession(missing)", s.People.TouchSession(ctx, "hash-none", seen, expires), store.ErrNotFound)
	// An expired session stays expired: touching it is refused, not a way back in.
	wantErr(t, "TouchSession(expired)", s.People.TouchSession(ctx, short.IDHash, now, now.Add(time.Hour)), store.ErrNotFound)
	_, err = s.People.Session(ctx, short.IDHash, now)
	wantErr(t, "Session(expired, after a refused touch)", err, store.ErrNotFound)

	if err := s.People.DeleteSession(ctx, s2.IDHash); err != nil {
		t.Fatalf("DeleteSession = %v", err)
	}
	if err := s.People.DeleteSession(ctx, s2.IDHash); err != nil {
		t.Errorf("DeleteSession a second time = %v, want nil", err)
	}
	_, err = s.People.Session(ctx, s2.IDHash, now)
	wantErr(t, "Session(deleted)", err, store.ErrNotFound)

	n, err := s.People.DeleteSessions(ctx, u.ID)
	if err != nil || n != 2 { // s1 and the expired one
		t.Errorf("DeleteSessions(%s) = %d, %v; want 2", u.ID, n, err)
	}
	if list, err := s.People.Sessions(ctx, u.ID, t0); err != nil || len(list) != 0 {
		t.Errorf("Sessions after DeleteSessions = %d, %v; want none", len(list), err)
	}
	if _, err := s.People.Session(ctx, s3.IDHash, now); err != nil {
		t.Errorf("another user's session after DeleteSessions: %v, want it kept", err)
	}
}

func testAPITokens(t *testing.T, s Stores) {
	ctx := t.Context()
	u, other := newUser(1, t0), newUser(2, t0)
	createUser(t, s, u)
	createUser(t, s, other)
	tok := &people.APIToken{ID: "tok1", Hash: "hash-token-1", UserID: u.ID, Name: "terraform", Created: t0}
	if err := s.People.CreateAPIToken(ctx, tok); err != nil {
		t.Fatalf("CreateAPIToken = %v", err)
	}
	sameHash := *tok
	sameHash.ID = "tok2"
	wantErr(t, "CreateAPIToken(same hash)", s.People.CreateAPIToken(ctx, &sameHash), store.ErrConflict)

	got, err := s.People.APITokenByHash(ctx, tok.Hash)
	if err != nil {
		t.Fatalf("APITokenByHash = %v", err)
	}
	want := *tok
	want.Created = tr(t0)
	if diff := cmp.Diff(&want, got); diff != "" {
		t.Errorf("APITokenByHash mismatch (-want +got):\n%s", diff)
	}
	_, err = s.People.APITokenByHash(ctx, "hash-unknown")
	wantErr(t, "APITokenByHash(unknown)", err, store.ErrNotFound)

	used := t0.Add(time.Hour)
	if err := s.People.TouchAPIToken(ctx, tok.Hash, used); err != nil {
		t.Fatalf("TouchAPIToken = %v", err)
	}
	tok2 := &people.APIToken{ID: "tok0", Hash: "hash-token-2", UserID: u.ID, Name: "backup script", Created: t0.Add(time.Minute)}
	theirs := &people.APIToken{ID: "tok3", Hash: "hash-token-3", UserID: other.ID, Name: "theirs", Created: t0}
	for _, x := range []*people.APIToken{tok2, theirs} {
		if err := s.People.CreateAPIToken(ctx, x); err != nil {
			t.Fatalf("CreateAPIToken(%s) = %v", x.ID, err)
		}
	}
	list, err := s.People.APITokens(ctx, u.ID)
	if err != nil {
		t.Fatalf("APITokens = %v", err)
	}
	want1, want2 := *tok, *tok2
	want1.Created, want1.LastUsed, want2.Created = tr(t0), tr(used), tr(tok2.Created)
	if diff := cmp.Diff([]*people.APIToken{&want1, &want2}, list); diff != "" {
		t.Errorf("APITokens, oldest first, the user's only, with the last use (-want +got):\n%s", diff)
	}
	wantErr(t, "TouchAPIToken(unknown)", s.People.TouchAPIToken(ctx, "hash-unknown", used), store.ErrNotFound)

	wantErr(t, "RevokeAPIToken(by another user)", s.People.RevokeAPIToken(ctx, other.ID, tok.ID), store.ErrNotFound)
	if _, err := s.People.APITokenByHash(ctx, tok.Hash); err != nil {
		t.Errorf("after another user's revoke, APITokenByHash = %v, want the token kept", err)
	}
	if err := s.People.RevokeAPIToken(ctx, u.ID, tok.ID); err != nil {
		t.Fatalf("RevokeAPIToken = %v", err)
	}
	_, err = s.People.APITokenByHash(ctx, tok.Hash)
	wantErr(t, "APITokenByHash(revoked)", err, store.ErrNotFound)
	wantErr(t, "RevokeAPIToken(again)", s.People.RevokeAPIToken(ctx, u.ID, tok.ID), store.ErrNotFound)
	wantErr(t, "TouchAPIToken(revoked)", s.People.TouchAPIToken(ctx, tok.Hash, used), store.ErrNotFound)
	if list, err := s.People.APITokens(ctx, u.ID); err != nil || len(list) != 1 || list[0].ID != tok2.ID {
		t.Errorf("APITokens after revoking %s = %v, %v; want only %s", tok.ID, list, err, tok2.ID)
	}
}

// testProjectDeleteMembers: a deleted project takes its memberships with it, on both sides
// (its member list and each user's list), and leaves other projects' alone.
func testProjectDeleteMembers(t *testing.T, s Stores) {
	ctx := t.Context()
	p1, p2 := createProject(t, s, 1), createProject(t, s, 2)
	u1, u2 := newUser(1, t0), newUser(2, t0)
	createUser(t, s, u1)
	createUser(t, s, u2)
	setMember(t, s, member(p1, u1.ID, people.RoleOwner, t0))
	setMember(t, s, member(p1, u2.ID, people.RoleMember, t0))
	setMember(t, s, member(p2, u2.ID, people.RoleOwner, t0))

	if err := s.Store.DeleteProject(ctx, p1); err != nil {
		t.Fatalf("DeleteProject(%s) = %v", p1, err)
	}
	if ms, err := s.People.Members(ctx, p1); err != nil || len(ms) != 0 {
		t.Errorf("Members(deleted project) = %v, %v, want none", ms, err)
	}
	if ms, err := s.People.Memberships(ctx, u1.ID); err != nil || len(ms) != 0 {
		t.Errorf("Memberships(owner of the deleted project) = %v, %v, want none", ms, err)
	}
	want := []people.Membership{member(p2, u2.ID, people.RoleOwner, tr(t0))}
	if ms, err := s.People.Memberships(ctx, u2.ID); err != nil || !cmp.Equal(want, ms) {
		t.Errorf("Memberships(%s) = %v, %v, want only project 2's", u2.ID, ms, err)
	}
	// A project made again under the ID starts with no owner count left over.
	p1again := createProject(t, s, 1)
	setMember(t, s, member(p1again, u2.ID, people.RoleOwner, t0))
	if err := s.People.RemoveMembership(ctx, p1again, u2.ID); !errors.Is(err, store.ErrLastOwner) {
		t.Errorf("RemoveMembership(only owner of the new project) = %v, want ErrLastOwner", err)
	}
}

func testProfile(t *testing.T, s Stores) {
	ctx := t.Context()
	u := newUser(1, t0)
	createUser(t, s, u)
	for _, p := range []struct{ name, tz string }{
		{"Ann Lee", "Asia/Tokyo"},
		{"", ""}, // both cleared: no name, UTC
		{"", "America/New_York"},
		{"Ann", ""},
	} {
		if err := s.People.SetProfile(ctx, u.ID, p.name, p.tz); err != nil {
			t.Fatalf("SetProfile(%q, %q) = %v", p.name, p.tz, err)
		}
		want := storedUser(u)
		want.Name, want.TimeZone = p.name, p.tz
		got, err := s.People.User(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("after SetProfile(%q, %q) (-want +got):\n%s", p.name, p.tz, diff)
		}
		if got, err := s.People.UserByEmail(ctx, u.Email); err != nil || got.Name != p.name || got.TimeZone != p.tz {
			t.Errorf("UserByEmail after SetProfile(%q, %q) = %+v, %v", p.name, p.tz, got, err)
		}
	}
	wantErr(t, "SetProfile(missing user)", s.People.SetProfile(ctx, userID(99), "x", "UTC"), store.ErrNotFound)
}

// errRefused is what testChangeMembership's change functions refuse with.
var errRefused = errors.New("refused: the target is an owner")

func testChangeMembership(t *testing.T, s Stores) {
	ctx := t.Context()
	p := createProject(t, s, 1)
	owner, target, stranger := newUser(1, t0), newUser(2, t0), newUser(3, t0)
	for _, u := range []*people.User{owner, target, stranger} {
		createUser(t, s, u)
	}
	setMember(t, s, member(p, owner.ID, people.RoleOwner, t0))
	setMember(t, s, member(p, target.ID, people.RoleMember, t0.Add(time.Minute)))
	role := func(id string) people.Role {
		t.Helper()
		ms, err := s.People.Members(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if m.UserID == id {
				return m.Role
			}
		}
		return ""
	}

	var seen people.Role
	if err := s.People.ChangeMembership(ctx, p, target.ID, func(cur people.Role) (people.Role, error) {
		seen = cur
		return people.RoleReadOnly, nil
	}); err != nil || seen != people.RoleMember || role(target.ID) != people.RoleReadOnly {
		t.Errorf("ChangeMembership(member → readonly) = %v, saw %q, now %q", err, seen, role(target.ID))
	}
	wantErr(t, "ChangeMembership(change refuses)", s.People.ChangeMembership(ctx, p, target.ID,
		func(people.Role) (people.Role, error) { return "", errRefused }), errRefused)
	wantErr(t, "ChangeMembership(not a member)", s.People.ChangeMembership(ctx, p, stranger.ID,
		func(people.Role) (people.Role, error) {
			t.Error("change called for a non-member")
			return people.RoleMember, nil
		}), store.ErrNotFound)
	wantErr(t, "ChangeMembership(demote the last owner)", s.People.ChangeMembership(ctx, p, owner.ID,
		func(people.Role) (people.Role, error) { return people.RoleMember, nil }), store.ErrLastOwner)
	wantErr(t, "ChangeMembership(remove the last owner)", s.People.ChangeMembership(ctx, p, owner.ID,
		func(people.Role) (people.Role, error) { return "", nil }), store.ErrLastOwner)
	if err := s.People.ChangeMembership(ctx, p, target.ID, func(people.Role) (people.Role, error) { return "bogus", nil }); err == nil {
		t.Error("ChangeMembership to an unknown role succeeded")
	}
	if err := s.People.ChangeMembership(ctx, p, target.ID, func(people.Role) (people.Role, error) { return "", nil }); err != nil || role(target.ID) != "" {
		t.Errorf("ChangeMembership(remove) = %v, role now %q", err, role(target.ID))
	}

	// A manager's demotion decided on the role it reads races an owner's promotion of the same
	// person: whatever the order, the promotion stands (the demotion either came first or saw
	// an owner and refused).
	for i := range 8 {
		setMember(t, s, member(p, target.ID, people.RoleMember, t0))
		var wg sync.WaitGroup
		var demoteErr, promoteErr error
		wg.Go(func() {
			demoteErr = s.People.ChangeMembership(ctx, p, target.ID, func(cur people.Role) (people.Role, error) {
				if cur == people.RoleOwner {
					return "", errRefused
				}
				return people.RoleReadOnly, nil
			})
		})
		wg.Go(func() {
			promoteErr = s.People.ChangeMembership(ctx, p, target.ID, func(people.Role) (people.Role, error) { return people.RoleOwner, nil })
		})
		wg.Wait()
		if promoteErr != nil || demoteErr != nil && !errors.Is(demoteErr, errRefused) {
			t.Fatalf("round %d: promote = %v, demote = %v", i, promoteErr, demoteErr)
		}
		if got := role(target.ID); got != people.RoleOwner {
			t.Fatalf("round %d: role after a promotion and a demotion that refuses owners = %q, want owner", i, got)
		}
	}
}

// testInvitationList: a project's pending invitations are listed oldest first, without expired
// ones or another project's; cancelling one makes its link useless and is the project's alone.
func testInvitationList(t *testing.T, s Stores) {
	ctx := t.Context()
	p, q := createProject(t, s, 1), createProject(t, s, 2)
	mk := func(hash, project string, created time.Time, ttl time.Duration) *people.Invitation {
		t.Helper()
		inv := &people.Invitation{TokenHash: hash, ProjectID: project, Email: hash + "@example.org",
			Role: people.RoleMember, InviterID: userID(1), Created: created, Expires: created.Add(ttl)}
		if err := s.People.CreateInvitation(ctx, inv); err != nil {
			t.Fatalf("CreateInvitation(%s) = %v", hash, err)
		}
		want := *inv
		want.Created, want.Expires = tr(want.Created), tr(want.Expires)
		return &want
	}
	later := mk("hash-later", p, t0.Add(time.Hour), 72*time.Hour)
	first := mk("hash-first", p, t0, 72*time.Hour)
	mk("hash-short", p, t0, time.Hour) // expired at t0+2h
	other := mk("hash-other", q, t0, 72*time.Hour)
	now := t0.Add(2 * time.Hour)

	got, err := s.People.Invitations(ctx, p, now)
	if err != nil {
		t.Fatalf("Invitations = %v", err)
	}
	if diff := cmp.Diff([]*people.Invitation{first, later}, got); diff != "" {
		t.Errorf("Invitations (-want +got):\n%s", diff)
	}
	wantErr(t, "CancelInvitation(another project's)", s.People.CancelInvitation(ctx, p, other.TokenHash), store.ErrNotFound)
	if _, err := s.People.Invitation(ctx, other.TokenHash, now); err != nil {
		t.Errorf("another project's invitation after a refused cancel: %v", err)
	}
	if err := s.People.CancelInvitation(ctx, p, first.TokenHash); err != nil {
		t.Fatalf("CancelInvitation = %v", err)
	}
	_, err = s.People.ConsumeInvitation(ctx, first.TokenHash, now)
	wantErr(t, "ConsumeInvitation(cancelled)", err, store.ErrNotFound)
	wantErr(t, "CancelInvitation(again)", s.People.CancelInvitation(ctx, p, first.TokenHash), store.ErrNotFound)
	if got, err := s.People.Invitations(ctx, p, now); err != nil || len(got) != 1 || got[0].TokenHash != later.TokenHash {
		t.Errorf("Invitations after a cancel = %v, %v; want the later one alone", got, err)
	}
	if got, err := s.People.Invitations(ctx, "p-none", now); err != nil || len(got) != 0 {
		t.Errorf("Invitations(no such project) = %v, %v; want none", got, err)
	}
}
