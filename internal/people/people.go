// Package people is the domain of Overdue's accounts: users, their memberships of projects with
// a role, invitations, sessions, personal API tokens and second factors. It is pure, like
// package check: no I/O, no clock (instants are passed in), no struct tags. Secrets never live
// here in plain text: passwords are argon2id hashes and tokens are SHA-256 hashes, made and
// checked by package account.
package people

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits on what a user may enter.
const (
	// MaxEmailLen is RFC 5321's limit on a forward path, less its angle brackets.
	MaxEmailLen = 254
	// MaxNameLen is the longest display name.
	MaxNameLen = 100
	// MaxTokenNameLen is the longest name of a personal API token.
	MaxTokenNameLen = 100
	// MaxFactorNameLen is the longest name of a second factor ("YubiKey on the keyring").
	MaxFactorNameLen = 60
)

// User is a person who signs in.
type User struct {
	ID    string
	Email string // normalised (NormalizeEmail): unique among users
	Name  string // display name; may be empty
	// PasswordHash is an argon2id hash in PHC string form, "" for a user who has not set a
	// password yet (created with a set-password link, or by single sign-on).
	PasswordHash string
	TimeZone     string // an IANA zone name; "" is UTC
	Created      time.Time
	// Reports is how often the user gets the email report (reports.go); "" is DefaultReports.
	Reports ReportPeriod
	// Reminders is how often the user is reminded while a check is down; "" is off.
	Reminders ReminderPeriod
	// ReportSlot and ReminderSlot are the last report and reminder slots the reporter has dealt
	// with ("" for none yet): its cursor, state rather than settings (package report).
	ReportSlot   string
	ReminderSlot string
}

// HasPassword reports whether the user can sign in with a password.
func (u *User) HasPassword() bool { return u.PasswordHash != "" }

// Validate checks a user before it is stored: an ID, a normalised valid email, a display name
// within the limits, and a creation time.
func (u *User) Validate() error {
	if u.ID == "" {
		return errors.New("user has no ID")
	}
	norm, err := NormalizeEmail(u.Email)
	if err != nil {
		return err
	}
	if norm != u.Email {
		return fmt.Errorf("email %q is not normalised (want %q)", u.Email, norm)
	}
	if err := ValidateName(u.Name); err != nil {
		return err
	}
	if u.Created.IsZero() {
		return errors.New("user has no creation time")
	}
	switch u.Reports {
	case "", ReportsOff, ReportsDaily, ReportsWeekly, ReportsMonthly:
	default:
		return fmt.Errorf("reports %q is not one of off, daily, weekly, monthly", u.Reports)
	}
	switch u.Reminders {
	case "", RemindersOff, RemindersHourly, RemindersDaily:
	default:
		return fmt.Errorf("reminders %q is not one of off, hourly, daily", u.Reminders)
	}
	return nil
}

// NormalizeEmail trims the address, checks that it is one plain address (no display name, no
// list) and lowercases it whole. Lowercasing the local part goes beyond RFC 5321, which lets a
// mail server tell Bob from bob, but no mail service people use does, and an account must
// not be created twice for one inbox by a change of case.
func NormalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errors.New("email is empty")
	}
	if len(s) > MaxEmailLen {
		return "", fmt.Errorf("email is too long (at most %d characters)", MaxEmailLen)
	}
	if i := strings.IndexFunc(s, unicode.IsControl); i >= 0 {
		return "", errors.New("email contains a control character")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return "", fmt.Errorf("email %q is not a valid address (write it as name@example.org)", s)
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || !strings.Contains(s[at+1:], ".") && s[at+1:] != "localhost" {
		return "", fmt.Errorf("email %q is not a valid address (write it as name@example.org)", s)
	}
	return strings.ToLower(s), nil
}

// ValidateName accepts a display name of at most MaxNameLen characters without control
// characters; empty is allowed.
func ValidateName(name string) error {
	if n := utf8.RuneCountInString(name); n > MaxNameLen {
		return fmt.Errorf("name is too long (%d characters, at most %d)", n, MaxNameLen)
	}
	if !utf8.ValidString(name) {
		return errors.New("name is not valid UTF-8")
	}
	for i, r := range []rune(name) {
		if unicode.IsControl(r) {
			return fmt.Errorf("name contains a control character (U+%04X at character %d); remove it", r, i+1)
		}
	}
	return nil
}

// Role is what a member may do in a project. The meanings are Healthchecks': the owner (one
// or more here; Healthchecks has exactly one) and managers run the team, members work with
// checks, read-only members look.
type Role string

// The roles, from most to least powerful.
const (
	RoleOwner    Role = "owner"
	RoleManager  Role = "manager"
	RoleMember   Role = "member"
	RoleReadOnly Role = "readonly"
)

// Roles lists every role, most powerful first.
var Roles = []Role{RoleOwner, RoleManager, RoleMember, RoleReadOnly}

// ParseRole accepts a role's name ("read-only" too, as Healthchecks writes it).
func ParseRole(s string) (Role, error) {
	switch r := Role(strings.ToLower(strings.TrimSpace(s))); r {
	case RoleOwner, RoleManager, RoleMember, RoleReadOnly:
		return r, nil
	case "read-only":
		return RoleReadOnly, nil
	}
	return "", fmt.Errorf("role %q is not one of owner, manager, member, readonly", s)
}

// permissions is the one table of what each role may do.
var permissions = map[Role]struct {
	write, secrets, members, project bool
}{
	RoleOwner:    {write: true, secrets: true, members: true, project: true},
	RoleManager:  {write: true, secrets: true, members: true},
	RoleMember:   {write: true, secrets: true},
	RoleReadOnly: {},
}

// Valid reports whether r is one of the roles.
func (r Role) Valid() bool { _, ok := permissions[r]; return ok }

// CanWrite: create, change, pause and delete checks and channels. Everyone but read-only.
func (r Role) CanWrite() bool { return permissions[r].write }

// CanSeeSecrets: see ping URLs, API keys, ping keys and channel secrets. Read-only members see
// checks as the read-only API key shows them: without these.
func (r Role) CanSeeSecrets() bool { return permissions[r].secrets }

// CanManageMembers: invite and remove members and change their roles. Owners and managers.
func (r Role) CanManageMembers() bool { return permissions[r].members }

// CanPublish: make the project's status page public or private and choose its checks. Owners
// and managers, who run the team: what the project shows to the world is theirs to decide.
func (r Role) CanPublish() bool { return permissions[r].members }

// CanManageProject: rename, transfer and delete the project. Owners only.
func (r Role) CanManageProject() bool { return permissions[r].project }

// CanGrant reports whether a member with role r may give role target to someone: managers
// may grant every role but owner; owners every role.
func (r Role) CanGrant(target Role) bool {
	if !r.CanManageMembers() || !target.Valid() {
		return false
	}
	return target != RoleOwner || r == RoleOwner
}

// Membership is a user's role in a project.
type Membership struct {
	ProjectID string
	UserID    string
	Role      Role
	Created   time.Time
}

// Validate checks a membership before it is stored.
func (m Membership) Validate() error {
	switch {
	case m.ProjectID == "":
		return errors.New("membership has no project")
	case m.UserID == "":
		return errors.New("membership has no user")
	case !m.Role.Valid():
		return fmt.Errorf("role %q is not one of owner, manager, member, readonly", m.Role)
	}
	return nil
}

// Invitation asks someone, by email, to join a project with a role. The token travels in the
// emailed link; only its hash is stored, and it is consumed once.
type Invitation struct {
	TokenHash string
	ProjectID string
	Email     string // normalised
	Role      Role
	InviterID string
	Created   time.Time
	Expires   time.Time
}

// Validate checks an invitation before it is stored.
func (inv *Invitation) Validate() error {
	if inv.TokenHash == "" || inv.ProjectID == "" || inv.InviterID == "" {
		return errors.New("invitation needs a token hash, a project and an inviter")
	}
	if norm, err := NormalizeEmail(inv.Email); err != nil {
		return err
	} else if norm != inv.Email {
		return fmt.Errorf("email %q is not normalised (want %q)", inv.Email, norm)
	}
	if !inv.Role.Valid() {
		return fmt.Errorf("role %q is not one of owner, manager, member, readonly", inv.Role)
	}
	if !inv.Expires.After(inv.Created) {
		return errors.New("invitation expires before it is created")
	}
	return nil
}

// Expired reports whether the invitation can no longer be used at now.
func (inv *Invitation) Expired(now time.Time) bool { return !now.Before(inv.Expires) }

// PasswordReset is a one-time link to set a user's password: from `overdue user create`
// without a password, `overdue user reset-password`, or the reset form. Only the token's hash
// is stored, and it is consumed once.
type PasswordReset struct {
	TokenHash string
	UserID    string
	Created   time.Time
	Expires   time.Time
}

// Validate checks a reset before it is stored.
func (r *PasswordReset) Validate() error {
	if r.TokenHash == "" || r.UserID == "" {
		return errors.New("password reset needs a token hash and a user")
	}
	if !r.Expires.After(r.Created) {
		return errors.New("password reset expires before it is created")
	}
	return nil
}

// Expired reports whether the link can no longer be used at now.
func (r *PasswordReset) Expired(now time.Time) bool { return !now.Before(r.Expires) }

// Session is a signed-in browser. The cookie carries a random token; the store keeps its hash
// as the session's ID, so a copy of the store signs no one in.
type Session struct {
	IDHash   string
	UserID   string
	Created  time.Time
	LastSeen time.Time
	Expires  time.Time
	// Client summarises the browser for the list of active sessions: its user agent and
	// address, shortened (SummarizeClient).
	Client string
}

// Validate checks a session before it is stored.
func (s *Session) Validate() error {
	if s.IDHash == "" || s.UserID == "" {
		return errors.New("session needs an ID hash and a user")
	}
	if !s.Expires.After(s.Created) {
		return errors.New("session expires before it is created")
	}
	return nil
}

// Expired reports whether the session has ended at now.
func (s *Session) Expired(now time.Time) bool { return !now.Before(s.Expires) }

// MaxClientLen is the longest Session.Client kept.
const MaxClientLen = 200

// SummarizeClient is the Client of a session from a user agent and an address: control
// characters dropped, at most MaxClientLen characters.
func SummarizeClient(userAgent, addr string) string {
	s := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.TrimSpace(userAgent+" ("+addr+")"))
	if r := []rune(s); len(r) > MaxClientLen {
		s = string(r[:MaxClientLen])
	}
	return s
}

// APIToken is a personal API token: it acts as its user, in the projects the user belongs to,
// for the projects API. Only its hash is stored.
type APIToken struct {
	ID       string
	Hash     string
	UserID   string
	Name     string
	Created  time.Time
	LastUsed time.Time // zero until used
}

// Validate checks a token before it is stored.
func (t *APIToken) Validate() error {
	if t.ID == "" || t.Hash == "" || t.UserID == "" {
		return errors.New("API token needs an ID, a hash and a user")
	}
	if strings.TrimSpace(t.Name) == "" {
		return errors.New("API token needs a name")
	}
	if n := utf8.RuneCountInString(t.Name); n > MaxTokenNameLen {
		return fmt.Errorf("token name is too long (%d characters, at most %d)", n, MaxTokenNameLen)
	}
	if err := ValidateName(t.Name); err != nil {
		return fmt.Errorf("token %w", err)
	}
	return nil
}

// FactorKind is a kind of second factor.
type FactorKind string

// The kinds of second factor.
const (
	FactorTOTP     FactorKind = "totp"
	FactorWebAuthn FactorKind = "webauthn"
)

// SecondFactor is a user's second factor. For TOTP, Secret holds the shared secret encrypted
// with the server's key (never in plain text); for WebAuthn, Public holds the credential ID
// and public key, and Secret is empty.
type SecondFactor struct {
	ID     string
	UserID string
	Kind   FactorKind
	Name   string
	Public []byte
	Secret []byte // encrypted
	// Counter only rises: for TOTP, the last time step a code was accepted for (a code is
	// accepted once); for WebAuthn, the authenticator's signature counter (a cloned key shows
	// one that does not rise). Stores advance it with a conditional write.
	Counter int64
	Created time.Time
}

// Validate checks a second factor before it is stored.
func (f *SecondFactor) Validate() error {
	if f.ID == "" || f.UserID == "" {
		return errors.New("second factor needs an ID and a user")
	}
	switch f.Kind {
	case FactorTOTP:
		if len(f.Secret) == 0 {
			return errors.New("TOTP factor has no secret")
		}
	case FactorWebAuthn:
		if len(f.Public) == 0 {
			return errors.New("WebAuthn factor has no public key")
		}
		if len(f.Secret) != 0 {
			return errors.New("WebAuthn factor must not carry a secret")
		}
	default:
		return fmt.Errorf("second factor kind %q is not totp or webauthn", f.Kind)
	}
	if n := utf8.RuneCountInString(f.Name); n > MaxFactorNameLen {
		return fmt.Errorf("second factor name is too long (%d characters, at most %d)", n, MaxFactorNameLen)
	}
	if f.Counter < 0 {
		return errors.New("second factor counter is negative")
	}
	return ValidateName(f.Name)
}
