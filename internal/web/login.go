package web

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/overduehq/overdue/internal/account"
	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/store"
)

// loginView is the sign-in form's data.
type loginView struct {
	Email string
	Next  string
	OIDC  *oidcView // the single sign-on button, nil without one
}

// handleLogin serves GET /accounts/login/: the sign-in form, or, for someone signed in
// already, where they were going.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	v, err := s.viewerOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	next := safeNext(r.URL.Query().Get("next"))
	if v != nil {
		redirect(w, r, next)
		return
	}
	s.render(w, r, http.StatusOK, "login", &page{Title: "Sign in", Data: &loginView{Next: next, OIDC: s.oidcButton(next)}})
}

// handleLoginPost serves POST /accounts/login/ (fields email, password, next). Every failure
// of the credentials gets the same page, whether the email has an account or not, after the
// same work (one argon2id verification). Attempts count against the email from the client
// address, the email and the address (see Limits); past a limit the form answers 429 with
// Retry-After until the window ends, without checking the password at all. When every hashing
// slot is busy, 503 with Retry-After.
func (s *Server) handleLoginPost(w http.ResponseWriter, r *http.Request) {
	if err := readForm(w, r); err != nil {
		s.badForm(w, r)
		return
	}
	email := strings.TrimSpace(r.PostForm.Get("email"))
	password := r.PostForm.Get("password")
	view := &loginView{Email: email, Next: safeNext(r.PostForm.Get("next"))}
	view.OIDC = s.oidcButton(view.Next)
	p := &page{Title: "Sign in", Data: view}
	switch {
	case email == "":
		p.Errors = append(p.Errors, fieldError{"email", "Enter your email address"})
	case len(email) > maxEmailLen:
		// No account has one: refused before it is counted or looked up.
		view.Email = ""
		p.Errors = append(p.Errors, fieldError{"email", fmt.Sprintf("This email address is too long (at most %d characters). Check it and try again.", maxEmailLen)})
	}
	if password == "" {
		p.Errors = append(p.Errors, fieldError{"password", "Enter your password"})
	}
	if len(p.Errors) > 0 {
		s.render(w, r, http.StatusUnprocessableEntity, "login", p)
		return
	}

	// The attempt is counted before the password is checked, and refused past a limit, so
	// that requests arriving together cannot all pass a check that reads the count first.
	now := s.acc.Now()
	res, ok, until, err := s.limiter.ReserveSignIn(r.Context(), limitKey(email), s.clientIP(r), now)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !ok {
		s.tooMany(w, r, "login", p, now, until)
		return
	}
	in, err := s.acc.SignIn(r.Context(), email, password, s.client(r), account.Continue{Next: view.Next})
	if errors.Is(err, account.ErrBadCredentials) {
		p.Errors = append(p.Errors, fieldError{"password", "The email or the password is not right. Check both and try again, or reset your password."})
		s.render(w, r, http.StatusUnprocessableEntity, "login", p)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// The password was right: its attempt is given back. A second step counts its own.
	if err := s.limiter.Succeed(r.Context(), res); err != nil {
		s.log.ErrorContext(r.Context(), "give back sign-in attempt", "error", err.Error())
	}
	s.arrive(w, r, in, account.Continue{Next: view.Next})
}

// maxEmailLen is the longest email address there is (RFC 5321's path limit, less the angle
// brackets); a longer one is refused before anything is counted or looked up.
const maxEmailLen = 254

// limitKey is the account an attempt counts against: the email as normalised, or as typed (at
// most maxEmailLen bytes) when it is no address at all (it fails anyway, and still counts).
func limitKey(email string) string {
	if norm, err := people.NormalizeEmail(email); err == nil {
		return norm
	}
	return strings.ToLower(email)
}

// tooMany answers 429 with Retry-After and the form (template name), saying when to try again.
func (s *Server) tooMany(w http.ResponseWriter, r *http.Request, name string, p *page, now, until time.Time) {
	secs := int(math.Ceil(until.Sub(now).Seconds()))
	if secs < 1 {
		secs = 1
	}
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	mins := (secs + 59) / 60
	p.Errors = append(p.Errors, fieldError{"email", fmt.Sprintf(
		"Too many attempts for this email address, or from your network address. Try again in %d minute%s (at %s UTC).",
		mins, plural(mins), until.UTC().Format("15:04"))})
	s.render(w, r, http.StatusTooManyRequests, name, p)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// badForm answers a form the server could not read (too large, malformed).
func (s *Server) badForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusBadRequest, "message", &page{Title: "Form not understood",
		Message: "The form could not be read (it may be too large). Go back, check it, and send it again."})
}

// handleLogout serves POST /accounts/logout/: this browser's session ends.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(s.sessionCookie()); err == nil {
		if err := s.acc.SignOut(r.Context(), c.Value); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	s.clearSession(w)
	redirect(w, r, LoginPath)
}

// handleLogoutEverywhere serves POST /accounts/logout-everywhere/: every session of the user
// ends, this one included.
func (s *Server) handleLogoutEverywhere(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireViewer(w, r)
	if !ok {
		return
	}
	if _, err := s.acc.People.DeleteSessions(r.Context(), v.User.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	s.clearSession(w)
	redirect(w, r, LoginPath)
}

// requireViewer finds the signed-in user, or sends the browser to sign in (a GET comes back
// to its page afterwards) and reports false.
func (s *Server) requireViewer(w http.ResponseWriter, r *http.Request) (*viewer, bool) {
	v, err := s.viewerOf(r)
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	if v == nil {
		to := LoginPath
		if r.Method == http.MethodGet {
			to += "?next=" + url.QueryEscape(r.URL.RequestURI())
		}
		redirect(w, r, to)
		return nil, false
	}
	return v, true
}

// sessionRow is one line of the sessions page.
type sessionRow struct {
	ID       string // a prefix of the session's hash: enough to pick one of a user's sessions
	Client   string
	Created  time.Time
	LastSeen time.Time
	Expires  time.Time
	Current  bool
}

// sessionIDLen is how much of a session's ID hash the sessions page shows and takes back.
const sessionIDLen = 16

// handleSessions serves GET /accounts/sessions/: the user's live sessions, newest first, each
// with a form to end it.
func (s *Server) handleSessions(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireViewer(w, r)
	if !ok {
		return
	}
	list, err := s.acc.People.Sessions(r.Context(), v.User.ID, s.acc.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rows := make([]sessionRow, len(list))
	loc := v.zone()
	for i, x := range list {
		rows[i] = sessionRow{ID: x.IDHash[:min(sessionIDLen, len(x.IDHash))], Client: x.Client, Created: x.Created.In(loc),
			LastSeen: x.LastSeen.In(loc), Expires: x.Expires.In(loc), Current: x.IDHash == v.Session.IDHash}
	}
	s.render(w, r, http.StatusOK, "sessions", &page{Title: "Your sessions", Viewer: v, Data: rows})
}

// handleRevokeSession serves POST /accounts/sessions/revoke/ (field session: an ID from the
// sessions page): that session of the user ends. Ending the current one signs this browser out.
func (s *Server) handleRevokeSession(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireViewer(w, r)
	if !ok {
		return
	}
	if err := readForm(w, r); err != nil {
		s.badForm(w, r)
		return
	}
	id := r.PostForm.Get("session")
	list, err := s.acc.People.Sessions(r.Context(), v.User.ID, s.acc.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var target *people.Session
	for _, x := range list {
		if len(id) == sessionIDLen && strings.HasPrefix(x.IDHash, id) {
			target = x
		}
	}
	if target == nil {
		s.render(w, r, http.StatusNotFound, "message", &page{Title: "Session not found", Viewer: v,
			Message: "That session has ended already, or is not yours.", Link: "/accounts/sessions/", LinkText: "Your sessions"})
		return
	}
	if err := s.acc.People.DeleteSession(r.Context(), target.IDHash); err != nil {
		s.fail(w, r, err)
		return
	}
	if target.IDHash == v.Session.IDHash {
		s.clearSession(w)
		redirect(w, r, LoginPath)
		return
	}
	redirect(w, r, "/accounts/sessions/")
}

// projectRow is one of the user's projects on the home page.
type projectRow struct {
	ID   string
	Name string
	Role string
}

// handleHome serves GET /: for now, the signed-in user's projects and roles (the dashboard
// comes later); without a session, the sign-in form.
func (s *Server) handleHome(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireViewer(w, r)
	if !ok {
		return
	}
	ms, err := s.acc.People.Memberships(r.Context(), v.User.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rows := make([]projectRow, 0, len(ms))
	for _, m := range ms {
		p, err := s.acc.Projects.Project(r.Context(), m.ProjectID)
		if errors.Is(err, store.ErrNotFound) {
			continue // deleted while the membership was read
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		rows = append(rows, projectRow{ID: p.ID, Name: p.Name, Role: roleName(m.Role)})
	}
	sort.Slice(rows, func(i, j int) bool { return strings.ToLower(rows[i].Name) < strings.ToLower(rows[j].Name) })
	s.render(w, r, http.StatusOK, "home", &page{Title: "Your projects", Viewer: v, Data: rows})
}

// roleName is how a page names a role.
func roleName(r people.Role) string {
	switch r {
	case people.RoleOwner:
		return "Owner"
	case people.RoleManager:
		return "Manager"
	case people.RoleMember:
		return "Member"
	case people.RoleReadOnly:
		return "Read-only"
	}
	return string(r)
}
