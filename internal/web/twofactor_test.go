package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/totp"
)

// pending is the browser's pending sign-in cookie, "" without one.
func (b *browser) pending() string {
	u, _ := url.Parse(b.e.srv.URL)
	for _, c := range b.jar.Cookies(u) {
		if strings.HasSuffix(c.Name, "overdue_pending") {
			return c.Value
		}
	}
	return ""
}

var (
	secretRe     = regexp.MustCompile(`id="totp-secret">([A-Z2-7 ]+)<`)
	enrolmentRe  = regexp.MustCompile(`name="enrolment" value="([^"]+)"`)
	recoveryRe   = regexp.MustCompile(`<li><code>([a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4})</code></li>`)
	recoveryLeft = regexp.MustCompile(`id="recovery-left">(\d+)<`)
)

// enrolTOTP adds an authenticator app named name for the signed-in browser and returns its
// secret and the recovery codes the page showed (none after the first factor).
func (b *browser) enrolTOTP(name string) ([]byte, []string) {
	b.t.Helper()
	r := b.post("/accounts/two-factor/totp/", url.Values{"name": {name}})
	wantStatus(b.t, "begin TOTP", r, 200)
	m, tok := secretRe.FindStringSubmatch(r.body), enrolmentRe.FindStringSubmatch(r.body)
	if m == nil || tok == nil {
		b.t.Fatalf("TOTP page shows no secret or enrolment:\n%s", r.body)
	}
	secret, err := totp.Decode(m[1])
	if err != nil {
		b.t.Fatal(err)
	}
	code := totp.Code(secret, totp.Step(b.e.clock()), totp.Digits)
	r = b.post("/accounts/two-factor/totp/confirm/", url.Values{"enrolment": {tok[1]}, "code": {code}})
	if r.StatusCode == http.StatusSeeOther {
		return secret, nil
	}
	wantStatus(b.t, "confirm TOTP", r, 200)
	var codes []string
	for _, m := range recoveryRe.FindAllStringSubmatch(r.body, -1) {
		codes = append(codes, m[1])
	}
	return secret, codes
}

// codeAt is the code of secret at the env's clock plus d.
func (e *env) codeAt(secret []byte, d time.Duration) string {
	return totp.Code(secret, totp.Step(e.clock().Add(d)), totp.Digits)
}

func TestTOTPEnrolAndSignIn(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.user("alice@example.org", "correct horse", people.RoleOwner)
	b := e.browser()
	wantRedirect(t, "sign in", b.login("alice@example.org", "correct horse"), "/")

	r := b.get("/accounts/two-factor/")
	wantStatus(t, "two-factor page", r, 200)
	if !strings.Contains(r.body, "You have no second factor") {
		t.Errorf("two-factor page of a user without factors:\n%s", r.body)
	}

	// The secret is shown, as base32, as an otpauth URI and as a QR code drawn inline.
	r = b.post("/accounts/two-factor/totp/", url.Values{"name": {"Phone"}})
	wantStatus(t, "begin TOTP", r, 200)
	m, tok := secretRe.FindStringSubmatch(r.body), enrolmentRe.FindStringSubmatch(r.body)
	if m == nil || tok == nil {
		t.Fatalf("TOTP page shows no secret or enrolment:\n%s", r.body)
	}
	secret, err := totp.Decode(m[1])
	if err != nil || len(secret) != totp.SecretSize {
		t.Fatalf("secret %q: %v", m[1], err)
	}
	uri := "otpauth://totp/Overdue:alice@example.org?algorithm=SHA1&amp;digits=6&amp;issuer=Overdue&amp;period=30&amp;secret=" + totp.Encode(secret)
	for _, want := range []string{uri, `<svg xmlns="http://www.w3.org/2000/svg"`, `<path fill="#000" d="M`, `autocomplete="one-time-code"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("TOTP page lacks %s", want)
		}
	}
	// Not a factor until confirmed: a wrong code shows the same secret again.
	r = b.post("/accounts/two-factor/totp/confirm/", url.Values{"enrolment": {tok[1]}, "code": {"000000"}})
	wantStatus(t, "confirm with a wrong code", r, http.StatusUnprocessableEntity)
	if !strings.Contains(r.body, "The code is not right") || !strings.Contains(r.body, totp.Encode(secret)[:4]) {
		t.Errorf("wrong code page:\n%s", r.body)
	}
	if fs, _ := e.st.People().SecondFactors(t.Context(), userOf(t, e, "alice@example.org").ID); len(fs) != 0 {
		t.Fatalf("a factor exists before it is confirmed: %+v", fs)
	}
	// Another user cannot confirm it.
	e.user("mallory@example.org", "mallory pass", "")
	mb := e.browser()
	mb.login("mallory@example.org", "mallory pass")
	wantStatus(t, "someone else's enrolment", mb.post("/accounts/two-factor/totp/confirm/", url.Values{"enrolment": {tok[1]}, "code": {e.codeAt(secret, 0)}}), http.StatusBadRequest)

	enrolCode := e.codeAt(secret, 0)
	r = b.post("/accounts/two-factor/totp/confirm/", url.Values{"enrolment": {tok[1]}, "code": {enrolCode}})
	wantStatus(t, "confirm", r, 200)
	codes := recoveryRe.FindAllStringSubmatch(r.body, -1)
	if len(codes) != 10 {
		t.Fatalf("the first factor came with %d recovery codes, want 10:\n%s", len(codes), r.body)
	}
	if got := recoveryLeft.FindStringSubmatch(b.get("/accounts/two-factor/").body); got == nil || got[1] != "10" {
		t.Errorf("recovery codes left = %v, want 10", got)
	}

	// Signing in now takes two steps: the password opens no session.
	b2 := e.browser()
	r = b2.login("alice@example.org", "correct horse")
	wantRedirect(t, "password of a user with a factor", r, SecondStepPath)
	if b2.session() != "" || b2.pending() == "" {
		t.Fatalf("after the password: session %q, pending %q; want no session, a pending sign-in", b2.session(), b2.pending())
	}
	wantRedirect(t, "home with a pending sign-in only", b2.get("/"), "/accounts/login/?next=%2F")
	thief := e.browser() // the pending token is no session
	u, _ := url.Parse(e.srv.URL)
	thief.jar.SetCookies(u, []*http.Cookie{{Name: "overdue_session", Value: b2.pending(), Path: "/"}})
	wantRedirect(t, "pending token as a session", thief.get("/"), "/accounts/login/?next=%2F")
	r = b2.get(SecondStepPath)
	wantStatus(t, "second step page", r, 200)
	for _, want := range []string{`name="code"`, `name="recovery"`, "Authenticator app"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("second step page lacks %s", want)
		}
	}
	if strings.Contains(r.body, "use-key") {
		t.Errorf("second step page offers a security key to a user without one")
	}
	// The code used to enrol was accepted once, at enrolment: not again.
	r = b2.post(SecondStepPath, url.Values{"code": {enrolCode}})
	wantStatus(t, "replayed enrolment code", r, http.StatusUnprocessableEntity)
	if !strings.Contains(r.body, "used already") {
		t.Errorf("replayed code page does not say it was used:\n%s", r.body)
	}
	wantStatus(t, "wrong code", b2.post(SecondStepPath, url.Values{"code": {"123 456"}}), http.StatusUnprocessableEntity)
	e.advance(30 * time.Second)
	fresh := e.codeAt(secret, 0)
	r = b2.post(SecondStepPath, url.Values{"code": {fresh[:3] + " " + fresh[3:]}})
	wantRedirect(t, "right code", r, "/")
	if b2.session() == "" || b2.pending() != "" {
		t.Errorf("after the second step: session %q, pending %q; want a session and no pending sign-in", b2.session(), b2.pending())
	}
	wantStatus(t, "home after both steps", b2.get("/"), 200)

	// The same code in another browser within its window: refused (a code is good once).
	b3 := e.browser()
	wantRedirect(t, "password again", b3.login("alice@example.org", "correct horse"), SecondStepPath)
	wantStatus(t, "code replayed in another browser", b3.post(SecondStepPath, url.Values{"code": {fresh}}), http.StatusUnprocessableEntity)
	// The code of the step before it is older than the last one accepted: refused too.
	wantStatus(t, "an older code", b3.post(SecondStepPath, url.Values{"code": {e.codeAt(secret, -30*time.Second)}}), http.StatusUnprocessableEntity)
	// One step ahead is within the skew.
	wantRedirect(t, "next step's code", b3.post(SecondStepPath, url.Values{"code": {e.codeAt(secret, 30*time.Second)}}), "/")
}

func userOf(t *testing.T, e *env, email string) *people.User {
	t.Helper()
	u, err := e.st.People().UserByEmail(t.Context(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// twoStepUser is a user with an authenticator app, and its secret and recovery codes.
func twoStepUser(t *testing.T, e *env, email, password string) ([]byte, []string) {
	t.Helper()
	e.user(email, password, people.RoleOwner)
	b := e.browser()
	wantRedirect(t, "sign in", b.login(email, password), "/")
	secret, codes := b.enrolTOTP("Phone")
	if len(codes) != 10 {
		t.Fatalf("recovery codes = %v, want 10", codes)
	}
	e.advance(time.Minute) // the enrolment's code is spent
	return secret, codes
}

func TestSecondStepWithRecoveryCode(t *testing.T) {
	e := newEnv(t, envOptions{})
	_, codes := twoStepUser(t, e, "alice@example.org", "correct horse")
	b := e.browser()
	wantRedirect(t, "password", b.login("alice@example.org", "correct horse"), SecondStepPath)
	// Typed in capitals without dashes: the same code.
	typed := strings.ToUpper(strings.ReplaceAll(codes[3], "-", ""))
	wantRedirect(t, "recovery code", b.post(SecondStepPath, url.Values{"recovery": {typed}}), "/")
	if got := recoveryLeft.FindStringSubmatch(b.get("/accounts/two-factor/").body); got == nil || got[1] != "9" {
		t.Errorf("recovery codes left after using one = %v, want 9", got)
	}
	b2 := e.browser()
	wantRedirect(t, "password again", b2.login("alice@example.org", "correct horse"), SecondStepPath)
	r := b2.post(SecondStepPath, url.Values{"recovery": {codes[3]}})
	wantStatus(t, "used recovery code", r, http.StatusUnprocessableEntity)
	if !strings.Contains(r.body, "has been used") || !strings.Contains(r.body, "<details class=\"factor\" open>") {
		t.Errorf("used recovery code page:\n%s", r.body)
	}
	// Another user's code is nothing here.
	_, theirs := twoStepUser(t, e, "bob@example.org", "bob password")
	wantStatus(t, "someone else's recovery code", b2.post(SecondStepPath, url.Values{"recovery": {theirs[0]}}), http.StatusUnprocessableEntity)
	wantRedirect(t, "another recovery code", b2.post(SecondStepPath, url.Values{"recovery": {codes[4]}}), "/")
}

func TestSecondStepExpires(t *testing.T) {
	e := newEnv(t, envOptions{})
	secret, _ := twoStepUser(t, e, "alice@example.org", "correct horse")
	b := e.browser()
	wantRedirect(t, "password", b.login("alice@example.org", "correct horse"), SecondStepPath)
	e.advance(5 * time.Minute)
	r := b.post(SecondStepPath, url.Values{"code": {e.codeAt(secret, 0)}})
	wantStatus(t, "code after 5 minutes", r, http.StatusBadRequest)
	if !strings.Contains(r.body, "longer than 5 minutes") || b.session() != "" {
		t.Errorf("expired second step: session %q, page:\n%s", b.session(), r.body)
	}
	wantStatus(t, "page after 5 minutes", b.get(SecondStepPath), http.StatusBadRequest)
	wantStatus(t, "second step without a first", e.browser().get(SecondStepPath), http.StatusBadRequest)
}

func TestSecondStepRateLimited(t *testing.T) {
	e := newEnv(t, envOptions{limits: Limits{Window: 15 * time.Minute, PerAccountAddress: 3}})
	secret, _ := twoStepUser(t, e, "alice@example.org", "correct horse")
	b := e.browser()
	// The right password's attempt is given back; each code counts like a password.
	wantRedirect(t, "password", b.login("alice@example.org", "correct horse"), SecondStepPath)
	for range 3 {
		wantStatus(t, "wrong code", b.post(SecondStepPath, url.Values{"code": {"000000"}}), http.StatusUnprocessableEntity)
	}
	r := b.post(SecondStepPath, url.Values{"code": {e.codeAt(secret, 0)}})
	wantStatus(t, "right code past the limit", r, http.StatusTooManyRequests)
	if r.Header.Get("Retry-After") == "" || !strings.Contains(r.body, "Too many attempts") || b.session() != "" {
		t.Errorf("limited second step: Retry-After %q, session %q, page:\n%s", r.Header.Get("Retry-After"), b.session(), r.body)
	}
	// Recovery codes are counted the same way.
	wantStatus(t, "recovery code past the limit", b.post(SecondStepPath, url.Values{"recovery": {"aaaa-bbbb-cccc-dddd"}}), http.StatusTooManyRequests)
}

func TestResetDoesNotSkipSecondFactor(t *testing.T) {
	e := newEnv(t, envOptions{})
	secret, _ := twoStepUser(t, e, "alice@example.org", "correct horse")
	b := e.browser()
	wantStatus(t, "reset", b.post("/accounts/reset/", url.Values{"email": {"alice@example.org"}}), 200)
	link, _ := url.Parse(e.box.link(t, "alice@example.org"))
	r := b.post(link.Path, url.Values{"password": {"a new password"}, "confirm": {"a new password"}})
	wantRedirect(t, "set a password", r, SecondStepPath)
	if b.session() != "" {
		t.Fatalf("a set-password link signed a user with a second factor in")
	}
	wantRedirect(t, "second step after the link", b.post(SecondStepPath, url.Values{"code": {e.codeAt(secret, 0)}}), "/")
}

func TestRemoveFactorAndRecoveryCodes(t *testing.T) {
	e := newEnv(t, envOptions{})
	secret, codes := twoStepUser(t, e, "alice@example.org", "correct horse")
	b := e.browser()
	wantRedirect(t, "password", b.login("alice@example.org", "correct horse"), SecondStepPath)
	wantRedirect(t, "code", b.post(SecondStepPath, url.Values{"code": {e.codeAt(secret, 0)}}), "/")
	u := userOf(t, e, "alice@example.org")
	fs, _ := e.st.People().SecondFactors(t.Context(), u.ID)
	if len(fs) != 1 {
		t.Fatalf("factors = %+v", fs)
	}
	removeURL := "/accounts/two-factor/remove/" + fs[0].ID + "/"
	r := b.get(removeURL)
	wantStatus(t, "remove page", r, 200)
	if !strings.Contains(r.body, "your last second factor") {
		t.Errorf("remove page does not warn it is the last factor:\n%s", r.body)
	}
	wantStatus(t, "remove with nothing", b.post(removeURL, nil), http.StatusUnprocessableEntity)
	wantStatus(t, "remove with a wrong password", b.post(removeURL, url.Values{"password": {"wrong"}}), http.StatusUnprocessableEntity)
	wantStatus(t, "remove with the code just used", b.post(removeURL, url.Values{"code": {e.codeAt(secret, 0)}}), http.StatusUnprocessableEntity)
	e.user("mallory@example.org", "mallory pass", "")
	mb := e.browser()
	wantRedirect(t, "another user", mb.login("mallory@example.org", "mallory pass"), "/")
	wantStatus(t, "someone else's factor", mb.get(removeURL), http.StatusNotFound)
	wantStatus(t, "removing someone else's factor", mb.post(removeURL, url.Values{"password": {"mallory pass"}}), http.StatusNotFound)

	// New recovery codes replace the old ones; a recovery code proves who one is (and is spent).
	r = b.post("/accounts/two-factor/recovery-codes/", url.Values{"code": {codes[0]}})
	wantStatus(t, "new recovery codes", r, 200)
	fresh := recoveryRe.FindAllStringSubmatch(r.body, -1)
	if len(fresh) != 10 {
		t.Fatalf("new recovery codes page shows %d codes", len(fresh))
	}
	b2 := e.browser()
	wantRedirect(t, "password", b2.login("alice@example.org", "correct horse"), SecondStepPath)
	wantStatus(t, "an old recovery code", b2.post(SecondStepPath, url.Values{"recovery": {codes[1]}}), http.StatusUnprocessableEntity)

	wantRedirect(t, "remove with the password", b.post(removeURL, url.Values{"password": {"correct horse"}}), TwoFactorPath)
	if n, _ := e.st.People().RecoveryCodesLeft(t.Context(), u.ID); n != 0 {
		t.Errorf("recovery codes left after removing the last factor = %d, want 0", n)
	}
	wantRedirect(t, "one step again", e.browser().login("alice@example.org", "correct horse"), "/")
	wantStatus(t, "pending sign-in of a removed factor", b2.post(SecondStepPath, url.Values{"recovery": {fresh[0][1]}}), http.StatusUnprocessableEntity)
}

// TestTOTPSecretSealed: the secret is nowhere in the database file in clear, base32 or raw.
func TestTOTPSecretSealed(t *testing.T) {
	e := newEnv(t, envOptions{})
	secret, _ := twoStepUser(t, e, "alice@example.org", "correct horse")
	sealed := 0
	for _, path := range []string{e.dbPath, e.dbPath + "-wal"} {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		if bytes.Contains(b, secret) || bytes.Contains(b, []byte(totp.Encode(secret))) {
			t.Errorf("%s holds the TOTP secret in clear", filepath.Base(path))
		}
		sealed += bytes.Count(b, []byte("ov-sealed:1:"))
	}
	if sealed == 0 {
		t.Errorf("no sealed value in the database files: the test read the wrong bytes")
	}
}

func TestSecurityKeysNeedAHostName(t *testing.T) {
	e := newEnv(t, envOptions{}) // the site root is http://127.0.0.1:port
	e.user("alice@example.org", "correct horse", "")
	b := e.browser()
	b.login("alice@example.org", "correct horse")
	r := b.get(TwoFactorPath)
	if !strings.Contains(r.body, "Security keys need the site root to be a host name") || strings.Contains(r.body, `id="add-key"`) {
		t.Errorf("two-factor page on an IP site root:\n%s", r.body)
	}
	r = b.post("/accounts/two-factor/key/begin/", url.Values{"name": {"k"}}, "Accept", "application/json")
	wantStatus(t, "begin a key on an IP site root", r, http.StatusConflict)
	wantStatus(t, "begin a key without the script", b.post("/accounts/two-factor/key/begin/", url.Values{"name": {"k"}}), http.StatusBadRequest)
}

// TestSecurityKeyAnswersChecked: a registration or a sign-in answer that is not a key's is
// refused with a page that says so, and signs no one in; a registration is used up either way.
func TestSecurityKeyAnswersChecked(t *testing.T) {
	e := newEnv(t, envOptions{localhost: true})
	u := e.user("alice@example.org", "correct horse", people.RoleOwner)
	b := e.browser()
	wantRedirect(t, "sign in", b.login("alice@example.org", "correct horse"), "/")
	r := b.post("/accounts/two-factor/key/begin/", url.Values{"name": {"YubiKey"}}, "Accept", "application/json")
	wantStatus(t, "begin a key", r, 200)
	var begin struct {
		Token   string `json:"token"`
		Options struct {
			PublicKey struct {
				Challenge string              `json:"challenge"`
				RP        struct{ ID string } `json:"rp"`
			} `json:"publicKey"`
		} `json:"options"`
	}
	if err := json.Unmarshal([]byte(r.body), &begin); err != nil || begin.Token == "" || begin.Options.PublicKey.Challenge == "" ||
		begin.Options.PublicKey.RP.ID != "localhost" {
		t.Fatalf("begin = %s (%v); want a token, a challenge and the RP ID localhost", r.body, err)
	}
	r = b.post("/accounts/two-factor/key/", url.Values{"registration": {begin.Token}, "credential": {`{"id":"x","type":"public-key"}`}})
	wantStatus(t, "a forged registration", r, http.StatusUnprocessableEntity)
	if !strings.Contains(r.body, "answer was refused") {
		t.Errorf("forged registration page:\n%s", r.body)
	}
	wantStatus(t, "the registration again", b.post("/accounts/two-factor/key/", url.Values{"registration": {begin.Token}, "credential": {"{}"}}), http.StatusBadRequest)
	if fs, _ := e.st.People().SecondFactors(t.Context(), u.ID); len(fs) != 0 {
		t.Fatalf("factors after forged answers = %+v", fs)
	}

	// A user with a key (stored directly: the browser test registers real ones) signs in with a
	// forged answer: refused, no session.
	if err := e.st.People().CreateSecondFactor(t.Context(), &people.SecondFactor{ID: "k1", UserID: u.ID, Kind: people.FactorWebAuthn,
		Name: "key", Public: []byte(`{"id":"AQID","publicKey":"AQID"}`), Created: t0}); err != nil {
		t.Fatal(err)
	}
	b2 := e.browser()
	wantRedirect(t, "password", b2.login("alice@example.org", "correct horse"), SecondStepPath)
	r = b2.get(SecondStepPath)
	if !strings.Contains(r.body, `id="use-key"`) || !strings.Contains(r.body, "data-options=") || strings.Contains(r.body, `name="code"`) {
		t.Errorf("second step of a user with a key only:\n%s", r.body)
	}
	r = b2.post("/accounts/login/two-factor/key/", url.Values{"credential": {`{"id":"AQID","rawId":"AQID","type":"public-key","response":{}}`}})
	wantStatus(t, "a forged assertion", r, http.StatusUnprocessableEntity)
	if b2.session() != "" || !strings.Contains(r.body, "answer was refused") {
		t.Errorf("forged assertion: session %q, page:\n%s", b2.session(), r.body)
	}
}

// TestSecondStepLimitOutlivesPassword: someone who has the password cannot buy more guesses at
// the code by signing in again: wrong second steps count on the account's own counter, which a
// right password does not reset, until the window ends; then a right code works.
func TestSecondStepLimitOutlivesPassword(t *testing.T) {
	e := newEnv(t, envOptions{limits: Limits{Window: 15 * time.Minute, PerAccountAddress: 100, PerAccount: 100, PerAddress: 100, CodesPerAccount: 4}})
	secret, _ := twoStepUser(t, e, "alice@example.org", "correct horse")
	b := e.browser()
	for round := range 2 {
		wantRedirect(t, "password", b.login("alice@example.org", "correct horse"), SecondStepPath)
		for range 2 {
			wantStatus(t, fmt.Sprintf("round %d: wrong code", round), b.post(SecondStepPath, url.Values{"code": {"000000"}}), http.StatusUnprocessableEntity)
		}
	}
	wantRedirect(t, "password again", b.login("alice@example.org", "correct horse"), SecondStepPath)
	r := b.post(SecondStepPath, url.Values{"code": {e.codeAt(secret, 0)}})
	wantStatus(t, "right code after four wrong ones and three passwords", r, http.StatusTooManyRequests)
	if b.session() != "" {
		t.Fatal("signed in past the second-step limit")
	}
	e.advance(15 * time.Minute)
	wantRedirect(t, "password in the next window", b.login("alice@example.org", "correct horse"), SecondStepPath)
	wantRedirect(t, "right code in the next window", b.post(SecondStepPath, url.Values{"code": {e.codeAt(secret, 0)}}), "/")
}
