package web

import (
	_ "embed"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/overduehq/overdue/internal/account"
	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/store"
)

// The account page, at Healthchecks' URL /accounts/profile/: the display name and time zone,
// the password, links to sessions and second factors, and personal API tokens.

// ProfilePath is the account page.
const ProfilePath = "/accounts/profile/"

// TwoFactorPath is the page where people enrol second factors; the account page links it.
const TwoFactorPath = "/accounts/two-factor/"

// zoneList is the time zones the account page offers: UTC, then every zone of the IANA
// database's zone.tab (its current names), sorted. Generated with
// (echo UTC; grep -v '^#' /usr/share/zoneinfo/zone.tab | cut -f3 | sort); a test keeps every
// name loadable and current.
//
//go:embed zones.txt
var zoneList string

// zones are zoneList's names.
var zones = strings.Fields(zoneList)

// profileRoutes adds the account page and its forms to the route table.
func (s *Server) profileRoutes() {
	s.mux.HandleFunc("GET "+ProfilePath+"{$}", s.handleProfile)
	s.mux.HandleFunc("POST "+ProfilePath+"{$}", s.handleProfilePost)
	s.mux.HandleFunc("POST "+ProfilePath+"password/{$}", s.handlePasswordPost)
	s.mux.HandleFunc("POST "+ProfilePath+"reports/{$}", s.handleReportsPost)
	s.mux.HandleFunc("POST "+ProfilePath+"tokens/{$}", s.handleCreateToken)
	s.mux.HandleFunc("POST "+ProfilePath+"tokens/{id}/revoke/{$}", s.handleRevokeToken)
}

// zone is the viewer's time zone: the account's, or UTC.
func (v *viewer) zone() *time.Location {
	if v == nil || v.User.TimeZone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(v.User.TimeZone)
	if err != nil {
		return time.UTC // stored through CanonicalZone; a zone database without it shows UTC
	}
	return loc
}

// now is the pages' clock in the viewer's zone: times shown from it are in that zone.
func (s *Server) now(v *viewer) time.Time { return s.acc.Now().In(v.zone()) }

// tokenRow is one personal API token: never the token itself.
type tokenRow struct {
	ID       string
	Name     string
	Created  string
	LastUsed string
}

// newTokenView is a token just made, shown on this answer only.
type newTokenView struct {
	Name, Token string
}

// profileView is the account page's data.
type profileView struct {
	Email       string
	Name        string // the profile form's values
	Zone        string
	Zones       []string
	Now         string // the current time in the account's zone, so a change shows at once
	HasPassword bool
	Sessions    int
	Tokens      []tokenRow
	TokenName   string
	NewToken    *newTokenView
	// TokenSignInStale: an account without a password signed in longer than TokenReauth ago,
	// so it must sign in again to create a token.
	TokenSignInStale bool
	Notice           string
	TwoFactor        string
	// Reports and Reminders are the email settings as chosen (the defaults when never chosen),
	// with the choices the form offers.
	Reports, Reminders             string
	ReportChoices, ReminderChoices []string
}

// profileState is what one answer adds to the page: form values, a token just made, a notice.
type profileState struct {
	name, zone *string
	tokenName  string
	newToken   *newTokenView
	notice     string
}

// handleProfile serves GET /accounts/profile/: the signed-in user's account.
func (s *Server) handleProfile(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireViewer(w, r)
	if !ok {
		return
	}
	var st profileState
	switch r.URL.Query().Get("done") {
	case "profile":
		st.notice = "Your profile was saved."
	case "password":
		st.notice = "Your password was changed, and every other browser was signed out."
	case "reports":
		st.notice = "Your email settings were saved."
	}
	s.renderProfile(w, r, v, http.StatusOK, nil, st)
}

// stamp is how the account page writes an instant: in the viewer's zone, to the minute.
func stamp(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "never"
	}
	return t.In(loc).Format("2 Jan 2006 15:04 MST")
}

// renderProfile renders the account page with the state of the form just sent.
func (s *Server) renderProfile(w http.ResponseWriter, r *http.Request, v *viewer, status int, errs []fieldError, st profileState) {
	ctx := r.Context()
	loc := v.zone()
	view := &profileView{Email: v.User.Email, Name: v.User.Name, Zone: v.User.TimeZone, Zones: zones,
		Now: stamp(s.acc.Now(), loc), HasPassword: v.User.HasPassword(), TokenName: st.tokenName,
		NewToken: st.newToken, Notice: st.notice, TwoFactor: TwoFactorPath,
		TokenSignInStale: !v.User.HasPassword() && s.acc.Now().Sub(v.Session.Created) > TokenReauth,
		Reports:          string(v.User.ReportPeriod()), Reminders: string(v.User.ReminderPeriod()),
		ReportChoices: []string{string(people.ReportsOff), string(people.ReportsDaily), string(people.ReportsWeekly),
			string(people.ReportsMonthly)},
		ReminderChoices: []string{string(people.RemindersOff), string(people.RemindersHourly), string(people.RemindersDaily)}}
	if view.Zone == "" {
		view.Zone = "UTC"
	}
	if st.name != nil {
		view.Name = *st.name
	}
	if st.zone != nil {
		view.Zone = *st.zone
	}
	if !contains(view.Zones, view.Zone) {
		// A zone stored under a name the list lacks still shows as chosen.
		view.Zones = append([]string{view.Zone}, view.Zones...)
	}
	sessions, err := s.acc.People.Sessions(ctx, v.User.ID, s.acc.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	view.Sessions = len(sessions)
	tokens, err := s.acc.People.APITokens(ctx, v.User.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, t := range tokens {
		view.Tokens = append(view.Tokens, tokenRow{ID: t.ID, Name: t.Name, Created: stamp(t.Created, loc), LastUsed: stamp(t.LastUsed, loc)})
	}
	s.render(w, r, status, "profile", &page{Title: "Your account", Viewer: v, Errors: errs, Data: view})
}

// handleProfilePost serves POST /accounts/profile/ (fields name, tz): the display name and the
// time zone the pages show times in.
func (s *Server) handleProfilePost(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireViewer(w, r)
	if !ok {
		return
	}
	if err := readForm(w, r); err != nil {
		s.badForm(w, r)
		return
	}
	name := strings.TrimSpace(r.PostForm.Get("name"))
	zone := strings.TrimSpace(r.PostForm.Get("tz"))
	var errs []fieldError
	if err := people.ValidateName(name); err != nil {
		errs = append(errs, fieldError{"name", "Display " + err.Error() + "."})
	}
	if zone == "" {
		errs = append(errs, fieldError{"tz", "Choose a time zone from the list."})
	}
	if len(errs) == 0 {
		if zone == "UTC" {
			zone = "" // the default: a user without a zone sees UTC
		}
		_, err := s.acc.SetProfile(r.Context(), v.User.ID, name, zone)
		switch {
		case errors.Is(err, account.ErrInvalid):
			errs = append(errs, fieldError{"tz", fmt.Sprintf("%q is not a time zone we know. Choose one from the list.", r.PostForm.Get("tz"))})
		case err != nil:
			s.fail(w, r, err)
			return
		default:
			redirect(w, r, ProfilePath+"?done=profile")
			return
		}
	}
	s.renderProfile(w, r, v, http.StatusUnprocessableEntity, errs, profileState{name: &name, zone: &zone})
}

// handleReportsPost serves POST /accounts/profile/reports/ (fields reports, reminders): how
// often the person gets the email report and reminders, as the account API sets them.
func (s *Server) handleReportsPost(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireViewer(w, r)
	if !ok {
		return
	}
	if err := readForm(w, r); err != nil {
		s.badForm(w, r)
		return
	}
	reports, reminders := r.PostForm.Get("reports"), r.PostForm.Get("reminders")
	_, err := s.acc.UpdateSettings(r.Context(), v.User.ID, account.Settings{Reports: &reports, Reminders: &reminders})
	switch {
	case errors.Is(err, account.ErrInvalid):
		field := "reports"
		if _, perr := people.ParseReportPeriod(reports); perr == nil {
			field = "reminders"
		}
		s.renderProfile(w, r, v, http.StatusUnprocessableEntity, []fieldError{{field, "Choose one from the list."}}, profileState{})
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	redirect(w, r, ProfilePath+"?done=reports#reports")
}

// handlePasswordPost serves POST /accounts/profile/password/ (fields current, password): a
// new password, given the current one. Every other session of the user ends. Wrong current
// passwords count against the sign-in limits of the account's email and the client's address,
// so a stolen session cannot be used to guess the password.
func (s *Server) handlePasswordPost(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireViewer(w, r)
	if !ok {
		return
	}
	if err := readForm(w, r); err != nil {
		s.badForm(w, r)
		return
	}
	current, next := r.PostForm.Get("current"), r.PostForm.Get("password")
	var errs []fieldError
	if current == "" {
		errs = append(errs, fieldError{"current", "Enter your current password."})
	}
	if err := account.ValidatePassword(next); err != nil {
		errs = append(errs, fieldError{"password", "The new " + err.Error() + "."})
	}
	if len(errs) > 0 {
		s.renderProfile(w, r, v, http.StatusUnprocessableEntity, errs, profileState{})
		return
	}
	now := s.acc.Now()
	res, allowed, until, err := s.limiter.ReserveSignIn(r.Context(), limitKey(v.User.Email), s.clientIP(r), now)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !allowed {
		mins := int(until.Sub(now).Minutes()) + 1
		w.Header().Set("Retry-After", fmt.Sprint(int(until.Sub(now).Seconds())+1))
		s.renderProfile(w, r, v, http.StatusTooManyRequests, []fieldError{{"current", fmt.Sprintf(
			"Too many wrong passwords for this account, or from your network address. Try again in %d minute%s.", mins, plural(mins))}}, profileState{})
		return
	}
	_, err = s.acc.ChangePassword(r.Context(), v.User.ID, current, next, v.Session.IDHash)
	switch {
	case errors.Is(err, account.ErrWrongPassword):
		s.renderProfile(w, r, v, http.StatusUnprocessableEntity, []fieldError{{"current",
			"That is not your current password. Check it and try again, or sign out and reset it."}}, profileState{})
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	if err := s.limiter.Succeed(r.Context(), res); err != nil {
		s.log.ErrorContext(r.Context(), "give back sign-in attempt", "error", err.Error())
	}
	s.log.InfoContext(r.Context(), "password changed", "user", v.User.ID)
	redirect(w, r, ProfilePath+"?done=password")
}

// TokenReauth is how recent the sign-in of an account without a password (single sign-on, a
// trusted header) must be for it to create a personal API token: such an account has no
// password to confirm, so a fresh sign-in stands for it.
const TokenReauth = 10 * time.Minute

// handleCreateToken serves POST /accounts/profile/tokens/ (fields token-name, token-password):
// a personal API token, shown in this answer only. A token outlives the session (and a password
// change), so a stolen session must not be enough to make one: the form asks for the current
// password, whose wrong guesses count against the sign-in limits as on the password form; an
// account without a password must have signed in within TokenReauth.
func (s *Server) handleCreateToken(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireViewer(w, r)
	if !ok {
		return
	}
	if err := readForm(w, r); err != nil {
		s.badForm(w, r)
		return
	}
	name := strings.TrimSpace(r.PostForm.Get("token-name"))
	password := r.PostForm.Get("token-password")
	var errs []fieldError
	if name == "" {
		errs = append(errs, fieldError{"token-name",
			"Name the token after where it will be used, such as \"terraform\" or \"backup server\"."})
	}
	if v.User.HasPassword() && password == "" {
		errs = append(errs, fieldError{"token-password", "Enter your current password: a token acts as you, so creating one asks for it."})
	}
	if len(errs) > 0 {
		s.renderProfile(w, r, v, http.StatusUnprocessableEntity, errs, profileState{tokenName: name})
		return
	}
	if !s.tokenReauthenticated(w, r, v, password, name) {
		return
	}
	tok, t, err := s.acc.CreateAPIToken(r.Context(), v.User.ID, name)
	if errors.Is(err, account.ErrInvalid) {
		s.renderProfile(w, r, v, http.StatusUnprocessableEntity, []fieldError{{"token-name",
			upperFirst(strings.TrimPrefix(err.Error(), account.ErrInvalid.Error()+": ")) + "."}}, profileState{tokenName: name})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.InfoContext(r.Context(), "API token created", "user", v.User.ID, "token", t.ID)
	s.renderProfile(w, r, v, http.StatusOK, nil, profileState{newToken: &newTokenView{Name: t.Name, Token: tok}})
}

// tokenReauthenticated confirms the viewer for creating a token: the current password (counted
// against the sign-in limits, a right one given back), or, for an account without one, a
// sign-in within TokenReauth. When it is not, it answers with the form and its error.
func (s *Server) tokenReauthenticated(w http.ResponseWriter, r *http.Request, v *viewer, password, name string) bool {
	ctx, now := r.Context(), s.acc.Now()
	if !v.User.HasPassword() {
		if now.Sub(v.Session.Created) <= TokenReauth {
			return true
		}
		s.renderProfile(w, r, v, http.StatusForbidden, []fieldError{{"token-name", fmt.Sprintf(
			"You signed in more than %d minutes ago. Sign out, sign in again, and create the token within %d minutes.",
			int(TokenReauth.Minutes()), int(TokenReauth.Minutes()))}}, profileState{tokenName: name})
		return false
	}
	res, allowed, until, err := s.limiter.ReserveSignIn(ctx, limitKey(v.User.Email), s.clientIP(r), now)
	if err != nil {
		s.fail(w, r, err)
		return false
	}
	if !allowed {
		mins := int(until.Sub(now).Minutes()) + 1
		w.Header().Set("Retry-After", fmt.Sprint(int(until.Sub(now).Seconds())+1))
		s.renderProfile(w, r, v, http.StatusTooManyRequests, []fieldError{{"token-password", fmt.Sprintf(
			"Too many wrong passwords for this account, or from your network address. Try again in %d minute%s.", mins, plural(mins))}},
			profileState{tokenName: name})
		return false
	}
	err = s.acc.Reauthenticate(ctx, v.User, password, "")
	switch {
	case errors.Is(err, account.ErrBadCredentials):
		s.renderProfile(w, r, v, http.StatusUnprocessableEntity, []fieldError{{"token-password",
			"That is not your current password. Check it and try again."}}, profileState{tokenName: name})
		return false
	case err != nil:
		s.fail(w, r, err)
		return false
	}
	if err := s.limiter.Succeed(ctx, res); err != nil {
		s.log.ErrorContext(ctx, "give back sign-in attempt", "error", err.Error())
	}
	return true
}

// handleRevokeToken serves POST /accounts/profile/tokens/{id}/revoke/: the user's token stops
// working at once. A token that is not the user's is a 404.
func (s *Server) handleRevokeToken(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireViewer(w, r)
	if !ok {
		return
	}
	err := s.acc.People.RevokeAPIToken(r.Context(), v.User.ID, r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		s.render(w, r, http.StatusNotFound, "message", &page{Title: "Token not found", Viewer: v,
			Message: "That token was revoked already, or is not yours.", Link: ProfilePath, LinkText: "Your account"})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.InfoContext(r.Context(), "API token revoked", "user", v.User.ID, "token", r.PathValue("id"))
	redirect(w, r, ProfilePath+"#tokens")
}
