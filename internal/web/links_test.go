package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/account"
	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/store"
)

// path is the path of an absolute link from a mail.
func path(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return u.Path
}

func TestPasswordReset(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.user("alice@example.org", "old password", "")
	other := e.browser()
	wantRedirect(t, "sign in elsewhere", other.login("alice@example.org", "old password"), "/")

	b := e.browser()
	wantStatus(t, "reset form", b.get("/accounts/reset/"), 200)
	known := b.post("/accounts/reset/", url.Values{"email": {"Alice@example.org"}})
	unknown := b.post("/accounts/reset/", url.Values{"email": {"nobody@example.org"}})
	wantStatus(t, "reset for a known email", known, 200)
	norm := func(r *resp, email string) string { return strings.ReplaceAll(r.body, email, "EMAIL") }
	if unknown.StatusCode != known.StatusCode || norm(unknown, "nobody@example.org") != norm(known, "Alice@example.org") {
		t.Errorf("reset for an unknown email answered\n%s\nwant what a known one answers\n%s", unknown.body, known.body)
	}
	if len(e.box.sent) != 1 {
		t.Fatalf("%d mails sent, want 1 (none to the unknown email): %+v", len(e.box.sent), e.box.sent)
	}
	link := path(t, e.box.link(t, "alice@example.org"))
	if !strings.HasPrefix(link, account.SetPasswordPath) {
		t.Fatalf("reset link %q is not a set-password link", link)
	}

	// Opening the link uses nothing up; a bad form neither.
	wantStatus(t, "open the link", b.get(link), 200)
	r := b.post(link, url.Values{"password": {"new password"}, "confirm": {"new passwort"}})
	wantStatus(t, "mismatched passwords", r, http.StatusUnprocessableEntity)
	if !strings.Contains(r.body, "The two passwords differ") {
		t.Errorf("mismatch page does not say so:\n%s", r.body)
	}
	wantStatus(t, "short password", b.post(link, url.Values{"password": {"short"}, "confirm": {"short"}}), http.StatusUnprocessableEntity)

	wantRedirect(t, "set the password", b.post(link, url.Values{"password": {"new password"}, "confirm": {"new password"}}), "/")
	wantStatus(t, "signed in after setting it", b.get("/"), 200)
	wantRedirect(t, "the other browser is signed out", other.get("/"), "/accounts/login/?next=%2F")
	wantStatus(t, "old password", e.browser().login("alice@example.org", "old password"), http.StatusUnprocessableEntity)
	wantRedirect(t, "new password", e.browser().login("alice@example.org", "new password"), "/")

	r = e.browser().post(link, url.Values{"password": {"third password"}, "confirm": {"third password"}})
	wantStatus(t, "the link a second time", r, http.StatusNotFound)
	if !strings.Contains(r.body, "used already or has expired") {
		t.Errorf("used link page:\n%s", r.body)
	}

	// A link expires after 24 hours.
	wantStatus(t, "another reset", b.post("/accounts/reset/", url.Values{"email": {"alice@example.org"}}), 200)
	late := path(t, e.box.link(t, "alice@example.org"))
	e.advance(account.SetPasswordTTL)
	wantStatus(t, "an expired link", e.browser().post(late, url.Values{"password": {"third password"}, "confirm": {"third password"}}), http.StatusNotFound)
}

func TestResetRequestsAreLimited(t *testing.T) {
	e := newEnv(t, envOptions{limits: Limits{Window: time.Hour, ResetsPerAccount: 2, PerAccountAddress: 1}})
	e.user("alice@example.org", "old password", "")
	b := e.browser()
	for range 2 {
		wantStatus(t, "reset", b.post("/accounts/reset/", url.Values{"email": {"alice@example.org"}}), 200)
	}
	r := b.post("/accounts/reset/", url.Values{"email": {"alice@example.org"}})
	wantStatus(t, "third reset in an hour", r, http.StatusTooManyRequests)
	if r.Header.Get("Retry-After") != "3600" || len(e.box.sent) != 2 {
		t.Errorf("Retry-After %q, %d mails; want 3600 and 2", r.Header.Get("Retry-After"), len(e.box.sent))
	}
	// Reset requests have their own count: they lock no one out of signing in, even where one
	// failure is the limit.
	wantRedirect(t, "sign-in after refused resets", b.login("alice@example.org", "old password"), "/")
}

func TestInvitationNewUser(t *testing.T) {
	e := newEnv(t, envOptions{})
	owner := e.user("owner@example.org", "owner password", people.RoleOwner)
	inv, err := e.acc.Invite(t.Context(), account.NewInvitation{ProjectID: e.project, Email: "new@example.org", Role: people.RoleMember, InviterID: owner.ID})
	if err != nil {
		t.Fatal(err)
	}
	link := path(t, e.box.link(t, "new@example.org"))
	b := e.browser()
	r := b.get(link)
	wantStatus(t, "open the invitation", r, 200)
	for _, want := range []string{"<strong>Ops</strong>", "<strong>Member</strong>", `name="name"`, `name="password"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("invitation page lacks %s:\n%s", want, r.body)
		}
	}
	r = b.post(link, url.Values{"name": {"New"}, "password": {"short"}, "confirm": {"short"}})
	wantStatus(t, "short password", r, http.StatusUnprocessableEntity)
	wantRedirect(t, "accept", b.post(link, url.Values{"name": {"New Person"}, "password": {"new password"}, "confirm": {"new password"}}), "/")
	r = b.get("/")
	if !strings.Contains(r.body, "<td>Ops</td><td>Member</td>") || !strings.Contains(r.body, "New Person") {
		t.Errorf("home after accepting does not show Ops as Member for New Person:\n%s", r.body)
	}
	wantStatus(t, "the invitation again", e.browser().get(link), http.StatusNotFound)
	wantStatus(t, "the invitation's token as a set-password link", e.browser().post(account.SetPasswordPath+inv.Token+"/",
		url.Values{"password": {"x password"}, "confirm": {"x password"}}), http.StatusNotFound)
}

func TestInvitationExistingUser(t *testing.T) {
	e := newEnv(t, envOptions{})
	owner := e.user("owner@example.org", "owner password", people.RoleOwner)
	e.user("bob@example.org", "bob password", "")
	e.user("carol@example.org", "carol password", "")
	if _, err := e.acc.Invite(t.Context(), account.NewInvitation{ProjectID: e.project, Email: "bob@example.org", Role: people.RoleReadOnly, InviterID: owner.ID}); err != nil {
		t.Fatal(err)
	}
	link := path(t, e.box.link(t, "bob@example.org"))

	// Signed in as someone else: told to sign in as bob; posting changes nothing.
	carol := e.browser()
	wantRedirect(t, "carol signs in", carol.login("carol@example.org", "carol password"), "/")
	r := carol.get(link)
	if !strings.Contains(r.body, "you are signed in as carol@example.org") {
		t.Errorf("invitation page for the wrong user:\n%s", r.body)
	}
	wantStatus(t, "carol posts bob's invitation", carol.post(link, nil), http.StatusConflict)

	b := e.browser()
	r = b.get(link)
	signIn := "/accounts/login/?next=" + url.QueryEscape(link)
	if !strings.Contains(r.body, `href="`+signIn+`"`) {
		t.Errorf("invitation page for a signed-out existing user has no sign-in link to %s:\n%s", signIn, r.body)
	}
	r = b.post("/accounts/login/", url.Values{"email": {"bob@example.org"}, "password": {"bob password"}, "next": {link}})
	wantRedirect(t, "bob signs in", r, link)
	r = b.get(link)
	if !strings.Contains(r.body, "Join Ops</button>") {
		t.Fatalf("invitation page for bob signed in has no Join button:\n%s", r.body)
	}
	wantRedirect(t, "bob joins", b.post(link, nil), "/")
	if r := b.get("/"); !strings.Contains(r.body, "<td>Ops</td><td>Read-only</td>") {
		t.Errorf("bob's home does not list Ops as read-only:\n%s", r.body)
	}
	if r := carol.get("/"); strings.Contains(r.body, "<td>Ops</td>") {
		t.Errorf("carol joined Ops:\n%s", r.body)
	}

	// An invitation expires after a week.
	if _, err := e.acc.Invite(t.Context(), account.NewInvitation{ProjectID: e.project, Email: "carol@example.org", Role: people.RoleMember, InviterID: owner.ID}); err != nil {
		t.Fatal(err)
	}
	late := path(t, e.box.link(t, "carol@example.org"))
	e.advance(account.InvitationTTL)
	wantRedirect(t, "carol signs in again", carol.login("carol@example.org", "carol password"), "/")
	wantStatus(t, "an expired invitation", carol.get(late), http.StatusNotFound)
}

func TestFirstStartLinkWorksOnce(t *testing.T) {
	tok, hash, err := account.NewToken(strings.NewReader(strings.Repeat("x", 64)), "")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, envOptions{first: &FirstStart{TokenHash: hash, ProjectIDs: []string{"p1"}}})
	link := FirstPath + tok + "/"
	b := e.browser()
	wantStatus(t, "a wrong first-start token", b.get(FirstPath+"wrong/"), http.StatusNotFound)
	r := b.get(link)
	wantStatus(t, "the first-start page", r, 200)
	for _, want := range []string{`name="email"`, `name="name"`, `name="password"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("first-start page lacks %s", want)
		}
	}
	r = b.post(link, url.Values{"email": {"nope"}, "name": {"Ada"}, "password": {"first password"}, "confirm": {"first password"}})
	wantStatus(t, "a bad email", r, http.StatusUnprocessableEntity)
	if !strings.Contains(r.body, "Enter an email address") {
		t.Errorf("bad email page:\n%s", r.body)
	}
	form := url.Values{"email": {"ada@example.org"}, "name": {"Ada"}, "password": {"first password"}, "confirm": {"first password"}}
	wantRedirect(t, "create the first account", b.post(link, form), "/")
	if r := b.get("/"); !strings.Contains(r.body, "<td>Ops</td><td>Owner</td>") {
		t.Errorf("the first account does not own the project:\n%s", r.body)
	}
	form.Set("email", "eve@example.org")
	wantStatus(t, "the link a second time", e.browser().post(link, form), http.StatusNotFound)
	wantStatus(t, "the page a second time", e.browser().get(link), http.StatusNotFound)
	if users, _ := e.st.People().Users(t.Context()); len(users) != 1 {
		t.Errorf("%d users after the link was used twice, want 1", len(users))
	}
}

// TestFailureLogsNoToken: a page that fails on a link logs the route, never the path that
// carries the link's token.
func TestFailureLogsNoToken(t *testing.T) {
	var logs strings.Builder
	var mu sync.Mutex
	e := newEnv(t, envOptions{log: slog.New(slog.NewJSONHandler(lockedWriter{&mu, &logs}, nil))})
	e.user("alice@example.org", "old password", "")
	b := e.browser()
	wantStatus(t, "reset", b.post("/accounts/reset/", url.Values{"email": {"alice@example.org"}}), 200)
	link := path(t, e.box.link(t, "alice@example.org"))
	token := strings.Trim(strings.TrimPrefix(link, account.SetPasswordPath), "/")
	if err := e.st.Close(); err != nil { // every store call fails from here
		t.Fatal(err)
	}
	wantStatus(t, "set a password over a broken store", b.post(link, url.Values{"password": {"new password"}, "confirm": {"new password"}}),
		http.StatusInternalServerError)
	mu.Lock()
	got := logs.String()
	mu.Unlock()
	if !strings.Contains(got, `"route":"POST /accounts/set-password/{token}/{$}"`) {
		t.Errorf("failure log does not name the route:\n%s", got)
	}
	if strings.Contains(got, token) {
		t.Errorf("failure log carries the link's token %s:\n%s", token, got)
	}
}

// TestInvitationToDeletedProject: an invitation whose project was deleted is a dead link,
// not a failure.
func TestInvitationToDeletedProject(t *testing.T) {
	e := newEnv(t, envOptions{})
	owner := e.user("owner@example.org", "owner password", people.RoleOwner)
	if _, err := e.acc.Invite(t.Context(), account.NewInvitation{ProjectID: e.project, Email: "new@example.org", Role: people.RoleMember, InviterID: owner.ID}); err != nil {
		t.Fatal(err)
	}
	link := path(t, e.box.link(t, "new@example.org"))
	// The project is gone but the invitation is not (as a store that kept it, or a deletion
	// between the two reads, would have it).
	e.acc.Projects = noProjects{}
	r := e.browser().get(link)
	wantStatus(t, "invitation to a deleted project", r, http.StatusNotFound)
	if !strings.Contains(r.body, "The project of this invitation has been deleted.") {
		t.Errorf("dead invitation page:\n%s", r.body)
	}
}

// noProjects is a project store in which every project has been deleted.
type noProjects struct{}

func (noProjects) Project(_ context.Context, id string) (*check.Project, error) {
	return nil, fmt.Errorf("load project %s: %w", id, store.ErrNotFound)
}

// lockedWriter serialises writes to a builder the test reads.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestSetPasswordRevokesTokensAndLinks: a set-password link recovers an account: the user's other
// reset links stop working and the personal API tokens are revoked, and the page says so.
func TestSetPasswordRevokesTokensAndLinks(t *testing.T) {
	e := newEnv(t, envOptions{})
	alice := e.user("alice@example.org", "old password", "")
	if _, _, err := e.acc.CreateAPIToken(t.Context(), alice.ID, "left by an intruder"); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	wantStatus(t, "first reset", b.post("/accounts/reset/", url.Values{"email": {"alice@example.org"}}), 200)
	first := path(t, e.box.link(t, "alice@example.org"))
	wantStatus(t, "second reset", b.post("/accounts/reset/", url.Values{"email": {"alice@example.org"}}), 200)
	second := path(t, e.box.link(t, "alice@example.org"))
	if first == second {
		t.Fatalf("two resets gave one link %s", first)
	}
	if r := b.get(second); !strings.Contains(r.body, "revokes your personal API tokens") {
		t.Errorf("set-password form does not say tokens are revoked:\n%s", r.body)
	}
	r := b.post(second, url.Values{"password": {"new password"}, "confirm": {"new password"}})
	wantStatus(t, "set the password", r, http.StatusOK)
	if !strings.Contains(r.body, "Your 1 personal API token was revoked") || b.session() == "" {
		t.Errorf("set-password answer does not say the token was revoked, or did not sign in:\n%s", r.body)
	}
	if toks, err := e.acc.People.APITokens(t.Context(), alice.ID); err != nil || len(toks) != 0 {
		t.Errorf("API tokens after setting the password = %v, %v; want none", toks, err)
	}
	r = e.browser().post(first, url.Values{"password": {"intruder password"}, "confirm": {"intruder password"}})
	wantStatus(t, "the other pending link", r, http.StatusNotFound)
}

// TestInvitationFromDemotedInviter: an invitation from a manager who has since been made a
// member opens a page that says it no longer works, and joining is refused.
func TestInvitationFromDemotedInviter(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.user("owner@example.org", "owner password", people.RoleOwner)
	manager := e.user("manager@example.org", "manager password", people.RoleManager)
	e.user("bob@example.org", "bob password", "")
	if _, err := e.acc.Invite(t.Context(), account.NewInvitation{ProjectID: e.project, Email: "bob@example.org", Role: people.RoleManager, InviterID: manager.ID}); err != nil {
		t.Fatal(err)
	}
	link := path(t, e.box.link(t, "bob@example.org"))
	b := e.browser()
	wantRedirect(t, "bob signs in", b.login("bob@example.org", "bob password"), "/")
	wantStatus(t, "the invitation while its inviter is a manager", b.get(link), http.StatusOK)

	if err := e.st.People().SetMembership(t.Context(), people.Membership{ProjectID: e.project, UserID: manager.ID, Role: people.RoleMember, Created: t0}); err != nil {
		t.Fatal(err)
	}
	r := b.get(link)
	wantStatus(t, "the invitation after its inviter was demoted", r, http.StatusForbidden)
	if !strings.Contains(r.body, "Ask an owner or a manager of the project to invite you again.") {
		t.Errorf("refused invitation page:\n%s", r.body)
	}
	wantStatus(t, "joining after the inviter was demoted", b.post(link, nil), http.StatusForbidden)
	if r := b.get("/"); strings.Contains(r.body, "<td>Ops</td>") {
		t.Errorf("bob joined Ops through a refused invitation:\n%s", r.body)
	}
}
