package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/overduehq/overdue/internal/account"
	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/store"
)

// FirstPath is the path of the first-start link, followed by the token and a slash.
const FirstPath = "/accounts/first/"

// FirstStart is the one-time link `overdue serve` prints when the data has no account yet: it
// creates the first account, owner of the projects. The token lives in the process only (its
// hash, here); the link works while there is no account at all, so it works once, and a restart
// before it is used prints a new one.
type FirstStart struct {
	TokenHash string // account.HashToken of the printed token
	// ProjectIDs are the projects the first account owns: the Default project of a first
	// start, or every project of data from before accounts existed.
	ProjectIDs []string
}

// firstView is the first-start form's data.
type firstView struct {
	Action string
	Email  string
	Name   string
}

// firstOpen reports whether the link of the request is the live first-start link: the token
// matches and no account exists yet.
func (s *Server) firstOpen(w http.ResponseWriter, r *http.Request) bool {
	if s.first == nil || !account.TokenMatches(r.PathValue("token"), s.first.TokenHash) {
		s.deadLink(w, r, "This first-start link is not valid.", LoginPath, "Sign in")
		return false
	}
	users, err := s.acc.People.Users(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return false
	}
	if len(users) > 0 {
		s.deadLink(w, r, "The first account exists already, so this link no longer works. Sign in, or ask its owner for an invitation.", LoginPath, "Sign in")
		return false
	}
	return true
}

// handleFirst serves GET /accounts/first/{token}/: the form for the first account (email, name,
// password).
func (s *Server) handleFirst(w http.ResponseWriter, r *http.Request) {
	if !s.firstOpen(w, r) {
		return
	}
	s.render(w, r, http.StatusOK, "first", &page{Title: "Create the first account", Data: &firstView{Action: r.URL.Path}})
}

// handleFirstPost serves POST /accounts/first/{token}/ (fields email, name, password, confirm):
// the first account is created, owner of the Default project, and signed in.
func (s *Server) handleFirstPost(w http.ResponseWriter, r *http.Request) {
	if err := readForm(w, r); err != nil {
		s.badForm(w, r)
		return
	}
	// One at a time, so that two people racing for the link cannot both create a first account.
	s.firstMu.Lock()
	defer s.firstMu.Unlock()
	if !s.firstOpen(w, r) {
		return
	}
	view := &firstView{Action: r.URL.Path, Email: strings.TrimSpace(r.PostForm.Get("email")), Name: strings.TrimSpace(r.PostForm.Get("name"))}
	p := &page{Title: "Create the first account", Data: view}
	if _, err := people.NormalizeEmail(view.Email); err != nil {
		p.Errors = append(p.Errors, fieldError{"email", "Enter an email address, like name@example.org"})
	}
	if err := people.ValidateName(view.Name); err != nil {
		p.Errors = append(p.Errors, fieldError{"name", sentence(err.Error())})
	}
	pw, confirm := r.PostForm.Get("password"), r.PostForm.Get("confirm")
	if err := account.ValidatePassword(pw); err != nil {
		p.Errors = append(p.Errors, fieldError{"password", sentence(err.Error())})
	} else if pw != confirm {
		p.Errors = append(p.Errors, fieldError{"confirm", "The two passwords differ. Type the same password twice."})
	}
	if len(p.Errors) > 0 {
		s.render(w, r, http.StatusUnprocessableEntity, "first", p)
		return
	}
	created, err := s.acc.CreateUser(r.Context(), account.NewUser{Email: view.Email, Name: view.Name, Password: pw})
	if errors.Is(err, store.ErrConflict) {
		s.deadLink(w, r, "The first account exists already. Sign in.", LoginPath, "Sign in")
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, id := range s.first.ProjectIDs {
		m := people.Membership{ProjectID: id, UserID: created.User.ID, Role: people.RoleOwner, Created: s.acc.Now()}
		if err := s.acc.People.SetMembership(r.Context(), m); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	in, err := s.acc.StartSession(r.Context(), created.User, s.client(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.signIn(w, r, in)
	redirect(w, r, "/")
}
