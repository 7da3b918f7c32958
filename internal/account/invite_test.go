package account

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/store"
)

// mailbox records the mail a service sends.
type mailbox struct{ sent []Mail }

func (m *mailbox) SendMail(_ context.Context, msg Mail) error {
	m.sent = append(m.sent, msg)
	return nil
}

// member creates a user with a password and gives it the role in the fixture's project.
func (f *fixture) member(t *testing.T, email string, role people.Role) *people.User {
	t.Helper()
	in := NewUser{Email: email, Password: "a long password"}
	if role != "" {
		in.ProjectID, in.Role = f.project, role
	}
	c, err := f.svc.CreateUser(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	return c.User
}

func TestInviteMailsALinkThatWorksOnce(t *testing.T) {
	f := newFixture(t)
	box := &mailbox{}
	f.svc.Mailer, f.svc.SiteRoot = box, "https://od.example.org/"
	ctx := t.Context()
	owner := f.member(t, "owner@example.org", people.RoleOwner)

	got, err := f.svc.Invite(ctx, NewInvitation{ProjectID: f.project, Email: " New@Example.org", Role: people.RoleMember, InviterID: owner.ID})
	if err != nil {
		t.Fatalf("Invite = %v", err)
	}
	wantLink := "https://od.example.org/accounts/invite/" + got.Token + "/"
	if got.Link != wantLink || !got.Sent {
		t.Errorf("Invite link %q sent %v, want %q sent", got.Link, got.Sent, wantLink)
	}
	if len(box.sent) != 1 || box.sent[0].To != "new@example.org" || !strings.Contains(box.sent[0].Text, wantLink) || box.sent[0].Link != wantLink ||
		!strings.Contains(box.sent[0].Subject, "Ops") {
		t.Fatalf("mail sent = %+v, want one to new@example.org with the link and the project's name", box.sent)
	}
	if inv, err := f.st.People().Invitation(ctx, got.Token, f.now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the store found an invitation by its plain token (%+v, %v); it must keep only the hash", inv, err)
	}

	// A short password is refused before the link is used.
	if _, _, err := f.svc.AcceptInvitationNewUser(ctx, got.Token, "New", "short"); !errors.Is(err, ErrInvalid) {
		t.Errorf("AcceptInvitationNewUser(short password) = %v, want ErrInvalid", err)
	}
	u, inv, err := f.svc.AcceptInvitationNewUser(ctx, got.Token, "New Person", "a long password")
	if err != nil {
		t.Fatalf("AcceptInvitationNewUser = %v", err)
	}
	if u.Email != "new@example.org" || u.Name != "New Person" || VerifyPassword(u.PasswordHash, "a long password") != nil {
		t.Errorf("new user = %+v, want new@example.org, named, with the password", u)
	}
	if inv.Role != people.RoleMember {
		t.Errorf("accepted invitation role = %q", inv.Role)
	}
	ms, err := f.st.People().Memberships(ctx, u.ID)
	if err != nil || len(ms) != 1 || ms[0].ProjectID != f.project || ms[0].Role != people.RoleMember {
		t.Errorf("Memberships = %+v, %v; want member of %s", ms, err, f.project)
	}
	if _, _, err := f.svc.AcceptInvitationNewUser(ctx, got.Token, "Again", "a long password"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second use of the link = %v, want ErrNotFound", err)
	}
	if _, err := f.svc.Invite(ctx, NewInvitation{ProjectID: f.project, Email: "new@example.org", Role: people.RoleManager, InviterID: owner.ID}); !errors.Is(err, ErrAlreadyMember) {
		t.Errorf("Invite(a member) = %v, want ErrAlreadyMember", err)
	}
}

func TestInviteRefusals(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	owner := f.member(t, "owner@example.org", people.RoleOwner)
	manager := f.member(t, "manager@example.org", people.RoleManager)
	member := f.member(t, "member@example.org", people.RoleMember)
	outsider := f.member(t, "outsider@example.org", "")
	tests := []struct {
		name string
		in   NewInvitation
		want error
	}{
		{"bad email", NewInvitation{ProjectID: f.project, Email: "nobody", Role: people.RoleMember, InviterID: owner.ID}, ErrInvalid},
		{"bad role", NewInvitation{ProjectID: f.project, Email: "x@example.org", Role: "admin", InviterID: owner.ID}, ErrInvalid},
		{"missing project", NewInvitation{ProjectID: "nope", Email: "x@example.org", Role: people.RoleMember, InviterID: owner.ID}, store.ErrNotFound},
		{"manager grants owner", NewInvitation{ProjectID: f.project, Email: "x@example.org", Role: people.RoleOwner, InviterID: manager.ID}, ErrForbidden},
		{"member invites", NewInvitation{ProjectID: f.project, Email: "x@example.org", Role: people.RoleReadOnly, InviterID: member.ID}, ErrForbidden},
		{"outsider invites", NewInvitation{ProjectID: f.project, Email: "x@example.org", Role: people.RoleReadOnly, InviterID: outsider.ID}, ErrForbidden},
	}
	for _, tt := range tests {
		if _, err := f.svc.Invite(ctx, tt.in); !errors.Is(err, tt.want) {
			t.Errorf("%s: Invite = %v, want %v", tt.name, err, tt.want)
		}
	}
	if _, err := f.svc.Invite(ctx, NewInvitation{ProjectID: f.project, Email: "x@example.org", Role: people.RoleManager, InviterID: manager.ID}); err != nil {
		t.Errorf("a manager inviting a manager: %v", err)
	}
}

func TestAcceptInvitationAsExistingUser(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	owner := f.member(t, "owner@example.org", people.RoleOwner)
	bob := f.member(t, "bob@example.org", "")
	carol := f.member(t, "carol@example.org", "")
	got, err := f.svc.Invite(ctx, NewInvitation{ProjectID: f.project, Email: "bob@example.org", Role: people.RoleReadOnly, InviterID: owner.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.AcceptInvitationNewUser(ctx, got.Token, "Bob 2", "a long password"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("AcceptInvitationNewUser(email with an account) = %v, want ErrConflict", err)
	}
	if _, err := f.svc.AcceptInvitation(ctx, got.Token, carol.ID); !errors.Is(err, ErrForbidden) {
		t.Errorf("AcceptInvitation(by someone else) = %v, want ErrForbidden", err)
	}
	// Still usable by its addressee, until it expires.
	f.now = f.now.Add(InvitationTTL - time.Second)
	if _, err := f.svc.AcceptInvitation(ctx, got.Token, bob.ID); err != nil {
		t.Fatalf("AcceptInvitation(bob) = %v", err)
	}
	ms, _ := f.st.People().Memberships(ctx, bob.ID)
	if len(ms) != 1 || ms[0].Role != people.RoleReadOnly {
		t.Errorf("bob's memberships = %+v, want read-only in the project", ms)
	}
	if ms, _ := f.st.People().Memberships(ctx, carol.ID); len(ms) != 0 {
		t.Errorf("carol's memberships = %+v, want none", ms)
	}

	late, err := f.svc.Invite(ctx, NewInvitation{ProjectID: f.project, Email: "carol@example.org", Role: people.RoleMember, InviterID: owner.ID})
	if err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(InvitationTTL)
	if _, err := f.svc.AcceptInvitation(ctx, late.Token, carol.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AcceptInvitation(expired) = %v, want ErrNotFound", err)
	}
}

// TestInvitationNeedsTheInvitersAuthority: an invitation is worth what its inviter may grant
// when it is accepted: a manager demoted to member, or an owner removed, leaves invitations that
// open nothing and are not used up; restored, the inviter's invitations work again.
func TestInvitationNeedsTheInvitersAuthority(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	f.member(t, "owner@example.org", people.RoleOwner)
	manager := f.member(t, "manager@example.org", people.RoleManager)
	bob := f.member(t, "bob@example.org", "")
	toBob, err := f.svc.Invite(ctx, NewInvitation{ProjectID: f.project, Email: "bob@example.org", Role: people.RoleManager, InviterID: manager.ID})
	if err != nil {
		t.Fatal(err)
	}
	toNew, err := f.svc.Invite(ctx, NewInvitation{ProjectID: f.project, Email: "new@example.org", Role: people.RoleMember, InviterID: manager.ID})
	if err != nil {
		t.Fatal(err)
	}
	demote := func(role people.Role) {
		t.Helper()
		if err := f.st.People().SetMembership(ctx, people.Membership{ProjectID: f.project, UserID: manager.ID, Role: role, Created: f.now}); err != nil {
			t.Fatal(err)
		}
	}
	demote(people.RoleMember)
	if _, err := f.svc.Invitation(ctx, toBob.Token); !errors.Is(err, ErrInviterLacksRole) {
		t.Errorf("Invitation(inviter demoted) = %v, want ErrInviterLacksRole", err)
	}
	if _, err := f.svc.AcceptInvitation(ctx, toBob.Token, bob.ID); !errors.Is(err, ErrInviterLacksRole) {
		t.Errorf("AcceptInvitation(inviter demoted) = %v, want ErrInviterLacksRole", err)
	}
	if err := f.st.People().RemoveMembership(ctx, f.project, manager.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.AcceptInvitationNewUser(ctx, toNew.Token, "New", "a long password"); !errors.Is(err, ErrInviterLacksRole) {
		t.Errorf("AcceptInvitationNewUser(inviter removed) = %v, want ErrInviterLacksRole", err)
	}
	if _, err := f.st.People().UserByEmail(ctx, "new@example.org"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a refused invitation created the account: %v", err)
	}
	if ms, _ := f.st.People().Memberships(ctx, bob.ID); len(ms) != 0 {
		t.Errorf("bob joined through a refused invitation: %+v", ms)
	}
	demote(people.RoleManager)
	if _, err := f.svc.AcceptInvitation(ctx, toBob.Token, bob.ID); err != nil {
		t.Errorf("AcceptInvitation(inviter a manager again) = %v, want it to work: nothing was used up", err)
	}
}

func TestSendPasswordResetSameForUnknownEmail(t *testing.T) {
	f := newFixture(t)
	box := &mailbox{}
	f.svc.Mailer, f.svc.SiteRoot = box, "http://localhost:8000"
	f.member(t, "alice@example.org", "")
	for _, email := range []string{"nobody@example.org", "not an email", "ALICE@example.org"} {
		if err := f.svc.SendPasswordReset(t.Context(), email); err != nil {
			t.Errorf("SendPasswordReset(%q) = %v, want nil", email, err)
		}
	}
	if len(box.sent) != 1 || box.sent[0].To != "alice@example.org" ||
		!strings.Contains(box.sent[0].Text, "http://localhost:8000/accounts/set-password/") {
		t.Fatalf("mail = %+v, want one link to alice only", box.sent)
	}
}
