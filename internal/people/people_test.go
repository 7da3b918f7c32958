package people

import (
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func TestNormalizeEmail(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  string
	}{
		{"alice@example.org", "alice@example.org", ""},
		{"  Alice@Example.ORG ", "alice@example.org", ""},
		{"ops+cron@example.co.uk", "ops+cron@example.co.uk", ""},
		{"root@localhost", "root@localhost", ""},
		{"", "", "empty"},
		{"alice", "", "not a valid address"},
		{"alice@", "", "not a valid address"},
		{"@example.org", "", "not a valid address"},
		{"alice@example", "", "not a valid address"},
		{"Alice <alice@example.org>", "", "not a valid address"},
		{"a@example.org, b@example.org", "", "not a valid address"},
		{"al\x00ice@example.org", "", "control character"},
		{strings.Repeat("a", 250) + "@example.org", "", "too long"},
	}
	for _, tt := range tests {
		got, err := NormalizeEmail(tt.in)
		if tt.wantErr == "" {
			if err != nil || got != tt.want {
				t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want an error containing %q", tt.in, got, err, tt.wantErr)
		}
	}
}

func TestRolePermissions(t *testing.T) {
	tests := []struct {
		role                                            Role
		write, secrets, members, manageProject, publish bool
	}{
		{RoleOwner, true, true, true, true, true},
		{RoleManager, true, true, true, false, true},
		{RoleMember, true, true, false, false, false},
		{RoleReadOnly, false, false, false, false, false},
		{Role("admin"), false, false, false, false, false},
		{Role(""), false, false, false, false, false},
	}
	for _, tt := range tests {
		got := [5]bool{tt.role.CanWrite(), tt.role.CanSeeSecrets(), tt.role.CanManageMembers(), tt.role.CanManageProject(), tt.role.CanPublish()}
		want := [5]bool{tt.write, tt.secrets, tt.members, tt.manageProject, tt.publish}
		if got != want {
			t.Errorf("%q: CanWrite, CanSeeSecrets, CanManageMembers, CanManageProject, CanPublish = %v, want %v", tt.role, got, want)
		}
	}
}

func TestCanGrant(t *testing.T) {
	for _, granter := range append(Roles, "nobody") {
		for _, target := range append(Roles, "admin") {
			want := target.Valid() && (granter == RoleOwner || granter == RoleManager && target != RoleOwner)
			if got := granter.CanGrant(target); got != want {
				t.Errorf("%q.CanGrant(%q) = %v, want %v", granter, target, got, want)
			}
		}
	}
}

func TestParseRole(t *testing.T) {
	for in, want := range map[string]Role{"owner": RoleOwner, " Manager": RoleManager, "member": RoleMember,
		"readonly": RoleReadOnly, "read-only": RoleReadOnly} {
		if got, err := ParseRole(in); got != want || err != nil {
			t.Errorf("ParseRole(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseRole("admin"); err == nil || !strings.Contains(err.Error(), "owner, manager, member, readonly") {
		t.Errorf("ParseRole(admin) error = %v, want one naming the roles", err)
	}
}

func TestValidate(t *testing.T) {
	user := func(f func(u *User)) error {
		u := &User{ID: "u1", Email: "a@example.org", Name: "A", Created: t0}
		f(u)
		return u.Validate()
	}
	inv := func(f func(i *Invitation)) error {
		i := &Invitation{TokenHash: "h", ProjectID: "p", Email: "a@example.org", Role: RoleMember,
			InviterID: "u1", Created: t0, Expires: t0.Add(time.Hour)}
		f(i)
		return i.Validate()
	}
	tests := []struct {
		name    string
		err     error
		wantErr string
	}{
		{"valid user", user(func(*User) {}), ""},
		{"user without ID", user(func(u *User) { u.ID = "" }), "no ID"},
		{"user email not normalised", user(func(u *User) { u.Email = "A@example.org" }), "not normalised"},
		{"user name with newline", user(func(u *User) { u.Name = "a\nb" }), "control character (U+000A at character 2)"},
		{"user name too long", user(func(u *User) { u.Name = strings.Repeat("é", 101) }), "too long"},
		{"user without created", user(func(u *User) { u.Created = time.Time{} }), "no creation time"},
		{"valid invitation", inv(func(*Invitation) {}), ""},
		{"invitation bad role", inv(func(i *Invitation) { i.Role = "admin" }), "not one of"},
		{"invitation expired at birth", inv(func(i *Invitation) { i.Expires = t0 }), "expires before"},
		{"membership bad role", Membership{ProjectID: "p", UserID: "u", Role: "x"}.Validate(), "not one of"},
		{"membership", Membership{ProjectID: "p", UserID: "u", Role: RoleOwner}.Validate(), ""},
		{"session", (&Session{IDHash: "h", UserID: "u", Created: t0, Expires: t0.Add(time.Hour)}).Validate(), ""},
		{"session without user", (&Session{IDHash: "h", Created: t0, Expires: t0.Add(time.Hour)}).Validate(), "user"},
		{"token without name", (&APIToken{ID: "t", Hash: "h", UserID: "u", Name: " "}).Validate(), "needs a name"},
		{"totp without secret", (&SecondFactor{ID: "f", UserID: "u", Kind: FactorTOTP}).Validate(), "no secret"},
		{"webauthn with secret", (&SecondFactor{ID: "f", UserID: "u", Kind: FactorWebAuthn, Public: []byte{1}, Secret: []byte{1}}).Validate(), "must not carry"},
		{"sms factor", (&SecondFactor{ID: "f", UserID: "u", Kind: "sms"}).Validate(), "not totp or webauthn"},
		{"totp", (&SecondFactor{ID: "f", UserID: "u", Kind: FactorTOTP, Secret: []byte{1}, Name: "phone"}).Validate(), ""},
		{"factor name too long", (&SecondFactor{ID: "f", UserID: "u", Kind: FactorTOTP, Secret: []byte{1}, Name: strings.Repeat("k", 61)}).Validate(), "too long"},
		{"factor counter negative", (&SecondFactor{ID: "f", UserID: "u", Kind: FactorTOTP, Secret: []byte{1}, Counter: -1}).Validate(), "negative"},
		{"challenge", (&Challenge{IDHash: "h", UserID: "u", Purpose: ChallengeSignIn, Created: t0, Expires: t0.Add(time.Minute)}).Validate(), ""},
		{"challenge purpose", (&Challenge{IDHash: "h", UserID: "u", Purpose: "x", Created: t0, Expires: t0.Add(time.Minute)}).Validate(), "not signin, totp or webauthn"},
		{"challenge without user", (&Challenge{IDHash: "h", Purpose: ChallengeTOTP, Created: t0, Expires: t0.Add(time.Minute)}).Validate(), "needs an ID hash and a user"},
		{"challenge data too large", (&Challenge{IDHash: "h", UserID: "u", Purpose: ChallengeTOTP, Data: make([]byte, MaxChallengeData+1), Created: t0, Expires: t0.Add(time.Minute)}).Validate(), "at most"},
		{"challenge expired at birth", (&Challenge{IDHash: "h", UserID: "u", Purpose: ChallengeTOTP, Created: t0, Expires: t0}).Validate(), "expires before"},
	}
	for _, tt := range tests {
		switch {
		case tt.wantErr == "" && tt.err != nil:
			t.Errorf("%s: Validate() = %v, want nil", tt.name, tt.err)
		case tt.wantErr != "" && (tt.err == nil || !strings.Contains(tt.err.Error(), tt.wantErr)):
			t.Errorf("%s: Validate() = %v, want an error containing %q", tt.name, tt.err, tt.wantErr)
		}
	}
}

func TestExpiry(t *testing.T) {
	s := &Session{Expires: t0}
	if s.Expired(t0.Add(-time.Nanosecond)) || !s.Expired(t0) {
		t.Errorf("Session.Expired around its expiry: want false just before, true at it")
	}
	r := &PasswordReset{Expires: t0}
	i := &Invitation{Expires: t0}
	c := &Challenge{Expires: t0}
	if r.Expired(t0.Add(-time.Second)) || !r.Expired(t0) || i.Expired(t0.Add(-time.Second)) || !i.Expired(t0) ||
		c.Expired(t0.Add(-time.Second)) || !c.Expired(t0) {
		t.Errorf("Expired: want false before the expiry, true from it")
	}
}

func TestSummarizeClient(t *testing.T) {
	got := SummarizeClient("curl/8.0\r\n", "192.0.2.1")
	if got != "curl/8.0 (192.0.2.1)" {
		t.Errorf("SummarizeClient = %q", got)
	}
	if got := SummarizeClient(strings.Repeat("x", 500), "a"); len([]rune(got)) != MaxClientLen {
		t.Errorf("SummarizeClient of a long agent has %d characters, want %d", len([]rune(got)), MaxClientLen)
	}
}
