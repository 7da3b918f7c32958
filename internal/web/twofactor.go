package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/overduehq/overdue/internal/account"
	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/store"
)

// SecondStepPath is the sign-in's second step: a code, a recovery code or a security key. (The
// page where a signed-in user enrols and removes factors is TwoFactorPath.)
const SecondStepPath = "/accounts/login/two-factor/"

// twoFactorRoutes are the second factor pages' part of the route table.
func (s *Server) twoFactorRoutes() {
	s.mux.HandleFunc("GET /accounts/login/two-factor/{$}", s.handleSecondStep)
	s.mux.HandleFunc("POST /accounts/login/two-factor/{$}", s.handleSecondStepPost)
	s.mux.HandleFunc("POST /accounts/login/two-factor/key/{$}", s.handleSecondStepKey)
	s.mux.HandleFunc("GET /accounts/two-factor/{$}", s.handleTwoFactor)
	s.mux.HandleFunc("POST /accounts/two-factor/totp/{$}", s.handleTOTPBegin)
	s.mux.HandleFunc("POST /accounts/two-factor/totp/confirm/{$}", s.handleTOTPConfirm)
	s.mux.HandleFunc("POST /accounts/two-factor/key/begin/{$}", s.handleKeyBegin)
	s.mux.HandleFunc("POST /accounts/two-factor/key/{$}", s.handleKeyFinish)
	s.mux.HandleFunc("GET /accounts/two-factor/remove/{id}/{$}", s.handleRemoveFactor)
	s.mux.HandleFunc("POST /accounts/two-factor/remove/{id}/{$}", s.handleRemoveFactorPost)
	s.mux.HandleFunc("GET /accounts/two-factor/recovery-codes/{$}", s.handleRecoveryCodes)
	s.mux.HandleFunc("POST /accounts/two-factor/recovery-codes/{$}", s.handleRecoveryCodesPost)
}

// pendingCookie holds the token of a sign-in waiting for its second factor: __Host- over https,
// HttpOnly, for ChallengeTTL. It names the server's record of the sign-in; the browser can change
// nothing in it.
func (s *Server) pendingCookie() string {
	if s.secure {
		return "__Host-overdue_pending"
	}
	return "overdue_pending"
}

func (s *Server) setPending(w http.ResponseWriter, step *account.SecondStep) {
	http.SetCookie(w, &http.Cookie{Name: s.pendingCookie(), Value: step.Token, Path: "/", Expires: step.Expires,
		MaxAge: int(account.ChallengeTTL / time.Second), HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
}

func (s *Server) clearPending(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: s.pendingCookie(), Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: s.secure, SameSite: http.SameSiteLaxMode})
}

func (s *Server) pendingToken(r *http.Request) string {
	if c, err := r.Cookie(s.pendingCookie()); err == nil {
		return c.Value
	}
	return ""
}

// arrive ends a first factor: with a session, the browser goes on (to then.Next, or a page with
// then.Notice first); for a user with second factors, to the second step, with the pending
// sign-in's cookie.
func (s *Server) arrive(w http.ResponseWriter, r *http.Request, in *account.SignedIn, then account.Continue) {
	if in.SecondStep != nil {
		s.setPending(w, in.SecondStep)
		redirect(w, r, SecondStepPath)
		return
	}
	s.signIn(w, r, in)
	s.goOn(w, r, in, then)
}

// goOn sends a browser signed in with in where then says.
func (s *Server) goOn(w http.ResponseWriter, r *http.Request, in *account.SignedIn, then account.Continue) {
	next := safeNext(then.Next)
	if then.Notice != "" {
		s.render(w, r, http.StatusOK, "message", &page{Title: "Signed in", Viewer: &viewer{User: in.User, Session: in.Session},
			Message: then.Notice, Link: next, LinkText: "Continue"})
		return
	}
	redirect(w, r, next)
}

// secondStepView is the second step's data.
type secondStepView struct {
	TOTP, Keys, Recovery bool
	// Options is the security key request for navigator.credentials.get, as JSON.
	Options string
	// Method is the form that failed ("code" or "recovery"), to open it again.
	Method string
}

// expiredSignIn answers a second step without a live pending sign-in.
func (s *Server) expiredSignIn(w http.ResponseWriter, r *http.Request) {
	s.clearPending(w)
	s.render(w, r, http.StatusBadRequest, "message", &page{Title: "Sign in again",
		Message: "This sign-in took longer than 5 minutes, or has finished already. Sign in again with your email address and password.",
		Link:    LoginPath, LinkText: "Sign in"})
}

// pending loads the request's pending sign-in and its page; false when it has answered already.
func (s *Server) pending(w http.ResponseWriter, r *http.Request) (*account.Pending, *page, bool) {
	pend, err := s.acc.PendingSignIn(r.Context(), s.pendingToken(r))
	if errors.Is(err, store.ErrNotFound) {
		s.expiredSignIn(w, r)
		return nil, nil, false
	}
	if err != nil {
		s.fail(w, r, err)
		return nil, nil, false
	}
	view := &secondStepView{TOTP: pend.TOTP, Keys: pend.Keys, Recovery: pend.Recovery, Options: string(pend.Assertion)}
	return pend, &page{Title: "Second step", Data: view}, true
}

// handleSecondStep serves GET /accounts/login/two-factor/: the second step of signing in, for a
// browser whose first factor was right: a code from an authenticator app, a security key, or a
// recovery code, whichever the user has.
func (s *Server) handleSecondStep(w http.ResponseWriter, r *http.Request) {
	_, p, ok := s.pending(w, r)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "secondstep", p)
}

// handleSecondStepPost serves POST /accounts/login/two-factor/ (field code, or field recovery):
// a right code ends the pending sign-in with a session. Attempts count against the user's email
// and the client address with the password's limits (a wrong code is a failed sign-in); past a
// limit, 429 with Retry-After, the code unchecked.
func (s *Server) handleSecondStepPost(w http.ResponseWriter, r *http.Request) {
	if err := readForm(w, r); err != nil {
		s.badForm(w, r)
		return
	}
	pend, p, ok := s.pending(w, r)
	if !ok {
		return
	}
	view := p.Data.(*secondStepView)
	code, recovery := strings.TrimSpace(r.PostForm.Get("code")), strings.TrimSpace(r.PostForm.Get("recovery"))
	field := "code"
	if code == "" && recovery != "" {
		field = "recovery"
	}
	view.Method = field
	if code == "" && recovery == "" {
		p.Errors = append(p.Errors, fieldError{"code", "Enter the code your authenticator app shows, or use a recovery code"})
		s.render(w, r, http.StatusUnprocessableEntity, "secondstep", p)
		return
	}
	res, ok := s.reserveSecondStep(w, r, pend, p, field)
	if !ok {
		return
	}
	var in *account.SignedIn
	var then account.Continue
	var err error
	if field == "code" {
		in, then, err = s.acc.FinishWithCode(r.Context(), s.pendingToken(r), code, s.client(r))
	} else {
		in, then, err = s.acc.FinishWithRecoveryCode(r.Context(), s.pendingToken(r), recovery, s.client(r))
	}
	switch {
	case errors.Is(err, account.ErrWrongCode) && field == "code":
		p.Errors = append(p.Errors, fieldError{"code", "The code is not right. Enter the code your authenticator app shows now."})
	case errors.Is(err, account.ErrWrongCode):
		p.Errors = append(p.Errors, fieldError{"recovery", "This recovery code is not right, or has been used. Each code works once."})
	case errors.Is(err, account.ErrCodeUsed):
		p.Errors = append(p.Errors, fieldError{"code", "This code has been used already. Wait for your app to show the next one (at most 30 seconds) and enter that."})
	case errors.Is(err, store.ErrNotFound):
		s.expiredSignIn(w, r)
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	if len(p.Errors) > 0 {
		s.render(w, r, http.StatusUnprocessableEntity, "secondstep", p)
		return
	}
	s.signedInTwice(w, r, res, in, then)
}

// reserveSecondStep counts a second step attempt on the account's own second-step counter
// (Limits.CodesPerAccount, which no password resets) and as a sign-in attempt of the pending
// user's email; false when over a limit (429, answered).
func (s *Server) reserveSecondStep(w http.ResponseWriter, r *http.Request, pend *account.Pending, p *page, field string) (*Reservation, bool) {
	now := s.acc.Now()
	ok, until, err := s.limiter.ReserveCode(r.Context(), pend.User.Email, now)
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	if !ok {
		s.tooMany(w, r, "secondstep", p, now, until)
		p.Errors[len(p.Errors)-1].Field = field
		return nil, false
	}
	res, ok, until, err := s.limiter.ReserveSignIn(r.Context(), pend.User.Email, s.clientIP(r), now)
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	if !ok {
		s.tooMany(w, r, "secondstep", p, now, until)
		p.Errors[len(p.Errors)-1].Field = field
		return nil, false
	}
	return res, true
}

// signedInTwice finishes a second step that succeeded: the reservation is given back, the
// pending cookie goes, the session's comes.
func (s *Server) signedInTwice(w http.ResponseWriter, r *http.Request, res *Reservation, in *account.SignedIn, then account.Continue) {
	if err := s.limiter.Succeed(r.Context(), res); err != nil {
		s.log.ErrorContext(r.Context(), "give back sign-in attempt", "error", err.Error())
	}
	if err := s.limiter.SucceedCode(r.Context(), res); err != nil {
		s.log.ErrorContext(r.Context(), "give back second-step attempt", "error", err.Error())
	}
	s.clearPending(w)
	s.signIn(w, r, in)
	s.goOn(w, r, in, then)
}

// handleSecondStepKey serves POST /accounts/login/two-factor/key/ (field credential: the
// security key's answer, as JSON, which the page's script fills in): a good answer ends the
// pending sign-in with a session. Counted like a code.
func (s *Server) handleSecondStepKey(w http.ResponseWriter, r *http.Request) {
	if err := readForm(w, r); err != nil {
		s.badForm(w, r)
		return
	}
	pend, p, ok := s.pending(w, r)
	if !ok {
		return
	}
	res, ok := s.reserveSecondStep(w, r, pend, p, "use-key")
	if !ok {
		return
	}
	in, then, err := s.acc.FinishWithKey(r.Context(), s.pendingToken(r), []byte(r.PostForm.Get("credential")), s.client(r))
	switch {
	case errors.Is(err, account.ErrKeyRefused):
		p.Errors = append(p.Errors, fieldError{"use-key", "Your security key's answer was refused. Try again with a key you added to this account, or use another way."})
		s.render(w, r, http.StatusUnprocessableEntity, "secondstep", p)
		return
	case errors.Is(err, store.ErrNotFound):
		s.expiredSignIn(w, r)
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	s.signedInTwice(w, r, res, in, then)
}

// factorRow is one factor on the two-factor page.
type factorRow struct {
	ID, Name, Kind string
	Created        time.Time
}

// twoFactorView is the two-factor page's data.
type twoFactorView struct {
	Factors  []factorRow
	Recovery int // recovery codes left
	// KeysOff says why this server cannot use security keys ("" when it can).
	KeysOff string
	Name    string // the name typed into an add form that failed
	Added   string // the name of a factor just added
}

// kindName is how a page names a kind of factor.
func kindName(k people.FactorKind) string {
	if k == people.FactorWebAuthn {
		return "Security key"
	}
	return "Authenticator app"
}

// twoFactorPage loads the two-factor page of v.
func (s *Server) twoFactorPage(r *http.Request, v *viewer) (*page, error) {
	fs, left, err := s.acc.SecondFactors(r.Context(), v.User.ID)
	if err != nil {
		return nil, err
	}
	view := &twoFactorView{Recovery: left}
	for _, f := range fs {
		view.Factors = append(view.Factors, factorRow{ID: f.ID, Name: f.Name, Kind: kindName(f.Kind), Created: f.Created})
	}
	if err := s.acc.SecurityKeysAvailable(); err != nil {
		view.KeysOff = sentence(err.Error())
	}
	return &page{Title: "Two-factor authentication", Viewer: v, Data: view}, nil
}

// handleTwoFactor serves GET /accounts/two-factor/: the signed-in user's second factors, with
// forms to add an authenticator app or a security key, and links to remove one and to make new
// recovery codes.
func (s *Server) handleTwoFactor(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireViewer(w, r)
	if !ok {
		return
	}
	p, err := s.twoFactorPage(r, v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p.Data.(*twoFactorView).Added = r.URL.Query().Get("added")
	s.render(w, r, http.StatusOK, "twofactor", p)
}

// totpView is the page that enrols an authenticator app.
type totpView struct {
	Token, Name, Secret, URI string
	QR                       template.HTML
}

// renderTOTP shows an enrolment: the QR code, the URI and the secret, and the form for a code.
func (s *Server) renderTOTP(w http.ResponseWriter, r *http.Request, status int, v *viewer, e *account.TOTPEnrolment, errs []fieldError) {
	qr, err := qrSVG(e.URI)
	if err != nil {
		s.log.ErrorContext(r.Context(), "draw QR code", "error", err.Error()) // the secret and URI are shown anyway
	}
	s.render(w, r, status, "totp", &page{Title: "Add an authenticator app", Viewer: v, Errors: errs,
		Data: &totpView{Token: e.Token, Name: e.Name, Secret: spaced(e.Secret), URI: e.URI, QR: qr}})
}

// spaced writes a base32 secret in groups of four, for typing.
func spaced(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// handleTOTPBegin serves POST /accounts/two-factor/totp/ (field name): a new secret for an
// authenticator app, shown as a QR code, an otpauth:// URI and in base32, with the form that
// confirms it with a code. It is not a factor until confirmed (within 5 minutes).
func (s *Server) handleTOTPBegin(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireViewer(w, r)
	if !ok {
		return
	}
	if err := readForm(w, r); err != nil {
		s.badForm(w, r)
		return
	}
	name := r.PostForm.Get("name")
	e, err := s.acc.BeginTOTP(r.Context(), v.User, name)
	if errors.Is(err, account.ErrInvalid) {
		s.twoFactorInvalid(w, r, v, "name", name, err)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderTOTP(w, r, http.StatusOK, v, e, nil)
}

// twoFactorInvalid shows the two-factor page again with what was wrong with an add form.
func (s *Server) twoFactorInvalid(w http.ResponseWriter, r *http.Request, v *viewer, field, name string, err error) {
	p, perr := s.twoFactorPage(r, v)
	if perr != nil {
		s.fail(w, r, perr)
		return
	}
	p.Data.(*twoFactorView).Name = name
	p.Errors = append(p.Errors, fieldError{field, sentence(strings.TrimPrefix(err.Error(), account.ErrInvalid.Error()+": "))})
	s.render(w, r, http.StatusUnprocessableEntity, "twofactor", p)
}

// handleTOTPConfirm serves POST /accounts/two-factor/totp/confirm/ (fields enrolment, code): a
// current code of the new secret makes it a factor. The user's first factor comes with recovery
// codes, shown once.
func (s *Server) handleTOTPConfirm(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireViewer(w, r)
	if !ok {
		return
	}
	if err := readForm(w, r); err != nil {
		s.badForm(w, r)
		return
	}
	token, code := r.PostForm.Get("enrolment"), r.PostForm.Get("code")
	e, err := s.acc.TOTPEnrolmentOf(r.Context(), v.User, token)
	if errors.Is(err, store.ErrNotFound) {
		s.render(w, r, http.StatusBadRequest, "message", &page{Title: "Start again", Viewer: v,
			Message: "This secret was shown more than 5 minutes ago, or has been added already. Start again: you will get a new one " +
				"(remove the old one from your app).", Link: TwoFactorPath, LinkText: "Two-factor authentication"})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if strings.TrimSpace(code) == "" {
		s.renderTOTP(w, r, http.StatusUnprocessableEntity, v, e, []fieldError{{"code", "Enter the 6-digit code your app shows for Overdue"}})
		return
	}
	done, err := s.acc.ConfirmTOTP(r.Context(), v.User, token, code)
	switch {
	case errors.Is(err, account.ErrWrongCode):
		s.renderTOTP(w, r, http.StatusUnprocessableEntity, v, e, []fieldError{{"code",
			"The code is not right. Check that your app shows the account Overdue added just now, and enter the code it shows now."}})
		return
	case errors.Is(err, store.ErrNotFound): // confirmed by another request meanwhile
		redirect(w, r, TwoFactorPath)
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	s.enrolled(w, r, v, done)
}

// enrolled answers a factor just added: the recovery codes when it came with them (the user's
// first), else the two-factor page.
func (s *Server) enrolled(w http.ResponseWriter, r *http.Request, v *viewer, done *account.Enrolled) {
	if len(done.RecoveryCodes) > 0 {
		s.render(w, r, http.StatusOK, "recoverycodes", &page{Title: "Save your recovery codes", Viewer: v,
			Data: &recoveryView{Codes: done.RecoveryCodes, Added: done.Factor.Name}})
		return
	}
	redirect(w, r, TwoFactorPath+"?added="+url.QueryEscape(done.Factor.Name))
}

// recoveryView is the page that shows recovery codes, once.
type recoveryView struct {
	Codes []string
	Added string // the factor added with them, if any
}

// keyBegin is the answer of the security key registration's first request.
type keyBegin struct {
	Token   string          `json:"token"`
	Options json.RawMessage `json:"options"`
}

// wantsJSON reports whether a request came from the pages' scripts, which ask for JSON.
func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

// jsonError answers a script's request with a message for people.
func jsonError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// handleKeyBegin serves POST /accounts/two-factor/key/begin/ (field name), which the page's
// script sends (Accept: application/json): the options for navigator.credentials.create and the
// token of the registration, whose state the server keeps for 5 minutes. Without the script,
// a page that says security keys need it.
func (s *Server) handleKeyBegin(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireViewer(w, r)
	if !ok {
		return
	}
	if err := readForm(w, r); err != nil {
		s.badForm(w, r)
		return
	}
	if !wantsJSON(r) {
		s.render(w, r, http.StatusBadRequest, "message", &page{Title: "Security keys need JavaScript", Viewer: v,
			Message: "Your browser talks to a security key through JavaScript, which is off for this page. Turn it on, or add an authenticator app instead.",
			Link:    TwoFactorPath, LinkText: "Two-factor authentication"})
		return
	}
	reg, err := s.acc.BeginKey(r.Context(), v.User, r.PostForm.Get("name"))
	switch {
	case errors.Is(err, account.ErrInvalid):
		jsonError(w, http.StatusUnprocessableEntity, sentence(strings.TrimPrefix(err.Error(), account.ErrInvalid.Error()+": ")))
		return
	case errors.Is(err, account.ErrNoSecurityKeys):
		jsonError(w, http.StatusConflict, sentence(err.Error()))
		return
	case err != nil:
		s.log.ErrorContext(r.Context(), "begin security key registration", "error", err.Error())
		jsonError(w, http.StatusInternalServerError, "The server could not begin adding a key. Try again in a moment.")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(keyBegin{Token: reg.Token, Options: reg.Options})
}

// handleKeyFinish serves POST /accounts/two-factor/key/ (fields registration and credential,
// filled in by the page's script): the key's answer is checked against the registration the
// server kept, and the key becomes a factor.
func (s *Server) handleKeyFinish(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireViewer(w, r)
	if !ok {
		return
	}
	if err := readForm(w, r); err != nil {
		s.badForm(w, r)
		return
	}
	done, err := s.acc.FinishKey(r.Context(), v.User, r.PostForm.Get("registration"), []byte(r.PostForm.Get("credential")))
	switch {
	case errors.Is(err, account.ErrKeyRefused):
		p, perr := s.twoFactorPage(r, v)
		if perr != nil {
			s.fail(w, r, perr)
			return
		}
		p.Errors = append(p.Errors, fieldError{"key-name", sentence(err.Error()) + " Try again."})
		s.render(w, r, http.StatusUnprocessableEntity, "twofactor", p)
		return
	case errors.Is(err, store.ErrNotFound):
		s.render(w, r, http.StatusBadRequest, "message", &page{Title: "Start again", Viewer: v,
			Message: "Adding this key took longer than 5 minutes, or has finished already. Start again.",
			Link:    TwoFactorPath, LinkText: "Two-factor authentication"})
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	s.enrolled(w, r, v, done)
}

// confirmView is the page that asks for the password or a code before a change.
type confirmView struct {
	Action   string
	Question string
	Button   string
	Password bool // the user has a password to give
}

// confirmPage is the page asking v to prove who they are before what question says.
func (s *Server) confirmPage(r *http.Request, v *viewer, title, question, button string) *page {
	return &page{Title: title, Viewer: v, Data: &confirmView{Action: r.URL.Path, Question: question, Button: button,
		Password: v.User.HasPassword()}}
}

// reauthenticated checks the confirm form (password, or code): true when it proves the user;
// otherwise the page is rendered again with what was wrong (429 past the sign-in limits, which
// it counts against).
func (s *Server) reauthenticated(w http.ResponseWriter, r *http.Request, v *viewer, p *page, act func(password, code string) error) bool {
	if err := readForm(w, r); err != nil {
		s.badForm(w, r)
		return false
	}
	password, code := r.PostForm.Get("password"), r.PostForm.Get("code")
	if password == "" && strings.TrimSpace(code) == "" {
		field := "code"
		if v.User.HasPassword() {
			field = "password"
		}
		p.Errors = append(p.Errors, fieldError{field, "Enter your password, or a code from your authenticator app or a recovery code"})
		s.render(w, r, http.StatusUnprocessableEntity, "confirm", p)
		return false
	}
	now := s.acc.Now()
	res, ok, until, err := s.limiter.ReserveSignIn(r.Context(), v.User.Email, s.clientIP(r), now)
	if err != nil {
		s.fail(w, r, err)
		return false
	}
	if !ok {
		s.tooMany(w, r, "confirm", p, now, until)
		p.Errors[len(p.Errors)-1].Field = "password"
		return false
	}
	err = act(password, code)
	switch {
	case errors.Is(err, account.ErrBadCredentials):
		field := "code"
		if password != "" {
			field = "password"
		}
		p.Errors = append(p.Errors, fieldError{field, "That is not right. Enter your password, or a current code from your app, or an unused recovery code."})
		s.render(w, r, http.StatusUnprocessableEntity, "confirm", p)
		return false
	case errors.Is(err, store.ErrNotFound):
		redirect(w, r, TwoFactorPath) // removed meanwhile
		return false
	case err != nil:
		s.fail(w, r, err)
		return false
	}
	if err := s.limiter.Succeed(r.Context(), res); err != nil {
		s.log.ErrorContext(r.Context(), "give back sign-in attempt", "error", err.Error())
	}
	return true
}

// factorOf finds the user's factor with the request's ID; nil (and a 404 answered) when none.
func (s *Server) factorOf(w http.ResponseWriter, r *http.Request, v *viewer) *people.SecondFactor {
	fs, _, err := s.acc.SecondFactors(r.Context(), v.User.ID)
	if err != nil {
		s.fail(w, r, err)
		return nil
	}
	for _, f := range fs {
		if f.ID == r.PathValue("id") {
			return f
		}
	}
	s.render(w, r, http.StatusNotFound, "message", &page{Title: "Not found", Viewer: v,
		Message: "You have no such second factor: it may have been removed already.", Link: TwoFactorPath, LinkText: "Two-factor authentication"})
	return nil
}

func removeQuestion(f *people.SecondFactor, last bool) string {
	q := fmt.Sprintf("Remove %s “%s”?", strings.ToLower(kindName(f.Kind)), f.Name)
	if last {
		q += " It is your last second factor: signing in will take your password alone, and your recovery codes stop working."
	}
	return q + " To confirm, enter your password, or a code from your authenticator app or a recovery code."
}

// handleRemoveFactor serves GET /accounts/two-factor/remove/{id}/: what removing the factor
// means, and the form that confirms it with the password or a code.
func (s *Server) handleRemoveFactor(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireViewer(w, r)
	if !ok {
		return
	}
	f := s.factorOf(w, r, v)
	if f == nil {
		return
	}
	last, err := s.lastFactor(r, v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "confirm", s.confirmPage(r, v, "Remove "+f.Name, removeQuestion(f, last), "Remove"))
}

func (s *Server) lastFactor(r *http.Request, v *viewer) (bool, error) {
	fs, _, err := s.acc.SecondFactors(r.Context(), v.User.ID)
	return len(fs) == 1, err
}

// handleRemoveFactorPost serves POST /accounts/two-factor/remove/{id}/ (field password, or
// code): with the password or a good code, the factor goes (with the recovery codes, if it was
// the last).
func (s *Server) handleRemoveFactorPost(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireViewer(w, r)
	if !ok {
		return
	}
	f := s.factorOf(w, r, v)
	if f == nil {
		return
	}
	last, err := s.lastFactor(r, v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.confirmPage(r, v, "Remove "+f.Name, removeQuestion(f, last), "Remove")
	if !s.reauthenticated(w, r, v, p, func(password, code string) error {
		return s.acc.RemoveFactor(r.Context(), v.User, f.ID, password, code)
	}) {
		return
	}
	redirect(w, r, TwoFactorPath)
}

const recoveryQuestion = "New recovery codes replace the ones you have: those stop working. To confirm, enter your password, " +
	"or a code from your authenticator app or a recovery code."

// handleRecoveryCodes serves GET /accounts/two-factor/recovery-codes/: the form that makes new
// recovery codes, confirmed with the password or a code.
func (s *Server) handleRecoveryCodes(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireViewer(w, r)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "confirm", s.confirmPage(r, v, "New recovery codes", recoveryQuestion, "Make new codes"))
}

// handleRecoveryCodesPost serves POST /accounts/two-factor/recovery-codes/ (field password, or
// code): ten new codes, shown once, replace the old. Only for a user with second factors.
func (s *Server) handleRecoveryCodesPost(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireViewer(w, r)
	if !ok {
		return
	}
	fs, _, err := s.acc.SecondFactors(r.Context(), v.User.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(fs) == 0 {
		s.render(w, r, http.StatusConflict, "message", &page{Title: "No second factor", Viewer: v,
			Message: "Recovery codes stand in for a second factor, and you have none. Add one first: it comes with recovery codes.",
			Link:    TwoFactorPath, LinkText: "Two-factor authentication"})
		return
	}
	var codes []string
	p := s.confirmPage(r, v, "New recovery codes", recoveryQuestion, "Make new codes")
	if !s.reauthenticated(w, r, v, p, func(password, code string) error {
		if err := s.acc.Reauthenticate(r.Context(), v.User, password, code); err != nil {
			return err
		}
		codes, err = s.acc.NewRecoveryCodes(r.Context(), v.User.ID)
		return err
	}) {
		return
	}
	s.render(w, r, http.StatusOK, "recoverycodes", &page{Title: "Save your recovery codes", Viewer: v, Data: &recoveryView{Codes: codes}})
}
