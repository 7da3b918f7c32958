package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/overduehq/overdue/internal/account"
	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/store"
)

// resetView is the reset form's data.
type resetView struct {
	Email string
	Sent  bool
}

// handleReset serves GET /accounts/reset/: a form asking for the account's email.
func (s *Server) handleReset(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "reset", &page{Title: "Reset your password", Data: &resetView{}})
}

// handleResetPost serves POST /accounts/reset/ (field email): a one-time set-password link
// goes to the email if it has an account, and the answer is the same whether it has or not.
// Requests count against the email and the address, apart from sign-ins (a reset request never
// blocks anyone's sign-in), so the form cannot be used to flood an inbox.
func (s *Server) handleResetPost(w http.ResponseWriter, r *http.Request) {
	if err := readForm(w, r); err != nil {
		s.badForm(w, r)
		return
	}
	email := strings.TrimSpace(r.PostForm.Get("email"))
	view := &resetView{Email: email}
	p := &page{Title: "Reset your password", Data: view}
	if _, err := people.NormalizeEmail(email); err != nil {
		p.Errors = append(p.Errors, fieldError{"email", "Enter your email address, like name@example.org"})
		s.render(w, r, http.StatusUnprocessableEntity, "reset", p)
		return
	}
	now := s.acc.Now()
	ok, until, err := s.limiter.ReserveReset(r.Context(), limitKey(email), s.clientIP(r), now)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !ok {
		s.tooMany(w, r, "reset", p, now, until)
		return
	}
	if s.mailBG {
		// Detached from the request, which ends with the answer; bounded, so that a stuck mail
		// server holds no goroutine for ever. A failure is logged: the answer could not say it
		// without telling that the email has an account.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), time.Minute)
		go func() {
			defer cancel()
			if err := s.acc.SendPasswordReset(ctx, email); err != nil {
				s.log.ErrorContext(ctx, "send reset link", "error", err.Error())
			}
		}()
	} else if err := s.acc.SendPasswordReset(r.Context(), email); err != nil {
		s.fail(w, r, err)
		return
	}
	view.Sent = true
	s.render(w, r, http.StatusOK, "reset", p)
}

// setPasswordView is the set-password form's data.
type setPasswordView struct {
	Action string
}

// handleSetPassword serves GET /accounts/set-password/{token}/: the new-password form. The
// token is checked when the form is sent, so that only sending it uses the link up.
func (s *Server) handleSetPassword(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "setpassword", &page{Title: "Set your password",
		Data: &setPasswordView{Action: r.URL.Path}})
}

// handleSetPasswordPost serves POST /accounts/set-password/{token}/ (fields password and
// confirm): the link is used up with every other link of the user, the password set, every
// session of the user ended and every personal API token revoked, and this browser signed in
// with a new one. When tokens were revoked, a page says so; otherwise, the home page.
func (s *Server) handleSetPasswordPost(w http.ResponseWriter, r *http.Request) {
	if err := readForm(w, r); err != nil {
		s.badForm(w, r)
		return
	}
	p := &page{Title: "Set your password", Data: &setPasswordView{Action: r.URL.Path}}
	pw, confirm := r.PostForm.Get("password"), r.PostForm.Get("confirm")
	if err := account.ValidatePassword(pw); err != nil {
		p.Errors = append(p.Errors, fieldError{"password", sentence(err.Error())})
	} else if pw != confirm {
		p.Errors = append(p.Errors, fieldError{"confirm", "The two passwords differ. Type the same password twice."})
	}
	if len(p.Errors) > 0 {
		s.render(w, r, http.StatusUnprocessableEntity, "setpassword", p)
		return
	}
	set, err := s.acc.SetPassword(r.Context(), r.PathValue("token"), pw)
	if errors.Is(err, store.ErrNotFound) {
		s.deadLink(w, r, "This link has been used already or has expired.", "/accounts/reset/", "Ask for a new link")
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	then := account.Continue{Next: "/"}
	if set.RevokedTokens > 0 {
		// Said once, here: whoever made them (the user, or someone who had the account) must
		// not be surprised later by an API that refuses them.
		then.Notice = fmt.Sprintf("Your password is set, and you are signed out everywhere else. Your %d personal API token%s "+
			"%s revoked, so that no one who had your account keeps access; create new ones where you need them.",
			set.RevokedTokens, plural(set.RevokedTokens), map[bool]string{true: "was", false: "were"}[set.RevokedTokens == 1])
	}
	// A link proves the inbox, not the second factor: a user with one gives it next.
	in, err := s.acc.Enter(r.Context(), set.User, s.client(r), then)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.arrive(w, r, in, then)
}

// deadLink answers a link that no longer works: 404 with what to do instead.
func (s *Server) deadLink(w http.ResponseWriter, r *http.Request, msg, link, linkText string) {
	s.render(w, r, http.StatusNotFound, "message", &page{Title: "This link does not work",
		Message: msg, Link: link, LinkText: linkText})
}

// sentence capitalises an error message for a page.
func sentence(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:] + "."
}

// inviteView is the invitation page's data.
type inviteView struct {
	Action      string
	Project     string
	Role        string
	Email       string
	HasAccount  bool   // the email has an account: sign in as it, then join
	SignedInAs  string // the signed-in user's email, when it is not the invited one
	CanJoin     bool   // signed in as the invited email
	Name        string
	LoginToJoin string
}

// invitation loads the token's invitation and what the page shows about it; false when it
// has answered already.
func (s *Server) invitation(w http.ResponseWriter, r *http.Request) (*people.Invitation, *inviteView, *viewer, bool) {
	inv, err := s.acc.Invitation(r.Context(), r.PathValue("token"))
	if errors.Is(err, store.ErrNotFound) {
		s.deadLink(w, r, "This invitation has been used already or has expired. Ask the person who invited you for a new one.", LoginPath, "Sign in")
		return nil, nil, nil, false
	}
	if errors.Is(err, account.ErrInviterLacksRole) {
		s.inviterLacksRole(w, r)
		return nil, nil, nil, false
	}
	if err != nil {
		s.fail(w, r, err)
		return nil, nil, nil, false
	}
	proj, err := s.acc.Projects.Project(r.Context(), inv.ProjectID)
	if errors.Is(err, store.ErrNotFound) {
		s.deadLink(w, r, "The project of this invitation has been deleted.", LoginPath, "Sign in")
		return nil, nil, nil, false
	}
	if err != nil {
		s.fail(w, r, err)
		return nil, nil, nil, false
	}
	v, err := s.viewerOf(r)
	if err != nil {
		s.fail(w, r, err)
		return nil, nil, nil, false
	}
	view := &inviteView{Action: r.URL.Path, Project: proj.Name, Role: roleName(inv.Role), Email: inv.Email,
		LoginToJoin: LoginPath + "?next=" + url.QueryEscape(r.URL.Path)}
	switch _, err := s.acc.People.UserByEmail(r.Context(), inv.Email); {
	case err == nil:
		view.HasAccount = true
	case !errors.Is(err, store.ErrNotFound):
		s.fail(w, r, err)
		return nil, nil, nil, false
	}
	if v != nil {
		if v.User.Email == inv.Email {
			view.CanJoin = true
		} else {
			view.SignedInAs = v.User.Email
		}
	}
	return inv, view, v, true
}

// inviterLacksRole answers an invitation whose inviter may no longer grant its role: 403, and
// whom to ask instead. Nothing is used up: should the inviter get the role back, it works again.
func (s *Server) inviterLacksRole(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusForbidden, "message", &page{Title: "This invitation no longer works",
		Message: "The person who sent this invitation is no longer a member of the project, or may no longer give " +
			"the role it offers. Ask an owner or a manager of the project to invite you again.", Link: LoginPath, LinkText: "Sign in"})
}

// handleInvite serves GET /accounts/invite/{token}/: what the invitation is to, and the way to
// accept it: a Join button for the invited user signed in, a sign-in link for an invited email
// that has an account, a name-and-password form for one that has none.
func (s *Server) handleInvite(w http.ResponseWriter, r *http.Request) {
	_, view, v, ok := s.invitation(w, r)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "invite", &page{Title: "Join " + view.Project, Viewer: v, Data: view})
}

// handleInvitePost serves POST /accounts/invite/{token}/: the signed-in invited user joins; or,
// for an email without an account, the fields name, password and confirm create it, it joins,
// and this browser is signed in. The link works once.
func (s *Server) handleInvitePost(w http.ResponseWriter, r *http.Request) {
	_, view, v, ok := s.invitation(w, r)
	if !ok {
		return
	}
	if err := readForm(w, r); err != nil {
		s.badForm(w, r)
		return
	}
	p := &page{Title: "Join " + view.Project, Viewer: v, Data: view}
	token := r.PathValue("token")
	if view.CanJoin {
		_, err := s.acc.AcceptInvitation(r.Context(), token, v.User.ID)
		if errors.Is(err, store.ErrNotFound) {
			s.deadLink(w, r, "This invitation has been used already or has expired.", "/", "Your projects")
			return
		}
		if errors.Is(err, account.ErrInviterLacksRole) { // changed since the page was loaded
			s.inviterLacksRole(w, r)
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		redirect(w, r, "/")
		return
	}
	if view.HasAccount || view.SignedInAs != "" {
		// Sign in as the invited email first; the page says how.
		s.render(w, r, http.StatusConflict, "invite", p)
		return
	}
	name, pw, confirm := strings.TrimSpace(r.PostForm.Get("name")), r.PostForm.Get("password"), r.PostForm.Get("confirm")
	view.Name = name
	if err := people.ValidateName(name); err != nil {
		p.Errors = append(p.Errors, fieldError{"name", sentence(err.Error())})
	}
	if err := account.ValidatePassword(pw); err != nil {
		p.Errors = append(p.Errors, fieldError{"password", sentence(err.Error())})
	} else if pw != confirm {
		p.Errors = append(p.Errors, fieldError{"confirm", "The two passwords differ. Type the same password twice."})
	}
	if len(p.Errors) > 0 {
		s.render(w, r, http.StatusUnprocessableEntity, "invite", p)
		return
	}
	u, _, err := s.acc.AcceptInvitationNewUser(r.Context(), token, name, pw)
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.deadLink(w, r, "This invitation has been used already or has expired.", LoginPath, "Sign in")
		return
	case errors.Is(err, account.ErrInviterLacksRole):
		s.inviterLacksRole(w, r)
		return
	case errors.Is(err, store.ErrConflict):
		view.HasAccount = true
		s.render(w, r, http.StatusConflict, "invite", p)
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	in, err := s.acc.StartSession(r.Context(), u, s.client(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.signIn(w, r, in)
	redirect(w, r, "/")
}
