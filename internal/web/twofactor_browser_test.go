package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/totp"
)

// signInBrowser signs in from the sign-in form at root with the email and password.
func signInBrowser(t *testing.T, ctx context.Context, root, email, password string) {
	t.Helper()
	act(t, ctx, "sign in",
		chromedp.Navigate(root+"/accounts/login/"),
		chromedp.WaitVisible(`#email`),
		chromedp.SendKeys(`#email`, email),
		chromedp.SendKeys(`#password`, password),
		chromedp.Submit(`#password`))
}

// TestBrowserTOTP enrols an authenticator app in Chromium, the code computed from the secret the
// page shows, and signs in again with the second step.
func TestBrowserTOTP(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.user("ann@example.com", "correct horse battery", people.RoleOwner)
	ctx := tab(t)
	signInBrowser(t, ctx, e.root, "ann@example.com", "correct horse battery")
	act(t, ctx, "open the two-factor page", chromedp.WaitVisible(`//h1[contains(., "Your projects")]`),
		chromedp.Navigate(e.root+TwoFactorPath), chromedp.WaitVisible(`#name`))
	screenshot(t, ctx, "twofactor-empty")
	act(t, ctx, "add an app", chromedp.SendKeys(`#name`, "Pixel"), chromedp.Submit(`#name`), chromedp.WaitVisible(`#totp-secret`))
	if n := read(t, ctx, "QR code", chromedp.Evaluate[int](`document.querySelectorAll(".qr svg path").length`)); n != 1 {
		t.Errorf("the page draws %d QR paths, want 1", n)
	}
	screenshot(t, ctx, "totp")
	secret, err := totp.Decode(read(t, ctx, "secret", chromedp.Text(`#totp-secret`)))
	if err != nil {
		t.Fatal(err)
	}
	act(t, ctx, "confirm with a code", chromedp.SendKeys(`#code`, e.codeAt(secret, 0)), chromedp.Submit(`#code`),
		chromedp.WaitVisible(`#recovery-codes`))
	codes := strings.Fields(read(t, ctx, "recovery codes", chromedp.Text(`#recovery-codes`)))
	if len(codes) != 10 {
		t.Fatalf("recovery codes shown = %q, want 10", codes)
	}
	screenshot(t, ctx, "recoverycodes")
	act(t, ctx, "back to the list", chromedp.Click(`a.button`), chromedp.WaitVisible(`//td[text()="Pixel"]`))
	screenshot(t, ctx, "twofactor")

	act(t, ctx, "sign out", chromedp.Click(`header form button`), chromedp.WaitVisible(`#email`))
	signInBrowser(t, ctx, e.root, "ann@example.com", "correct horse battery")
	act(t, ctx, "second step", chromedp.WaitVisible(`#code`))
	screenshot(t, ctx, "secondstep")
	e.advance(30 * time.Second) // the enrolment's code was accepted once
	act(t, ctx, "give the code", chromedp.SendKeys(`#code`, e.codeAt(secret, 0)), chromedp.Submit(`#code`),
		chromedp.WaitVisible(`//h1[contains(., "Your projects")]`))
}

// TestBrowserSecurityKey registers a security key in Chromium's virtual authenticator (CTAP2
// over USB, with user verification), signs in with it, and sees a key the account does not know
// refused.
func TestBrowserSecurityKey(t *testing.T) {
	e := newEnv(t, envOptions{localhost: true})
	u := e.user("ann@example.com", "correct horse battery", people.RoleOwner)
	ctx := tab(t)
	signInBrowser(t, ctx, e.root, "ann@example.com", "correct horse battery")
	act(t, ctx, "signed in", chromedp.WaitVisible(`//h1[contains(., "Your projects")]`))

	if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		t.Fatalf("WebAuthn.enable: %v", err)
	}
	auth, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
		Options: &webauthn.VirtualAuthenticatorOptions{Protocol: webauthn.AuthenticatorProtocolCtap2, Transport: webauthn.AuthenticatorTransportUsb,
			HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true}})
	if err != nil {
		t.Fatalf("WebAuthn.addVirtualAuthenticator: %v", err)
	}

	act(t, ctx, "add the key",
		chromedp.Navigate(e.root+TwoFactorPath),
		chromedp.WaitVisible(`#key-name`),
		chromedp.SendKeys(`#key-name`, "YubiKey"),
		chromedp.Click(`#add-key`),
		chromedp.WaitVisible(`#recovery-codes`))
	fs, err := e.st.People().SecondFactors(t.Context(), u.ID)
	if err != nil || len(fs) != 1 || fs[0].Kind != people.FactorWebAuthn || fs[0].Name != "YubiKey" {
		t.Fatalf("factors after adding the key = %+v, %v", fs, err)
	}
	registered := fs[0].Counter
	creds, err := chromedp.Call(ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: auth.AuthenticatorID})
	if err != nil || len(creds.Credentials) != 1 || creds.Credentials[0].RpID != "localhost" {
		t.Fatalf("the authenticator's credentials = %+v, %v; want one for localhost", creds, err)
	}

	act(t, ctx, "sign out", chromedp.Navigate(e.root+TwoFactorPath), chromedp.WaitVisible(`//td[text()="YubiKey"]`),
		chromedp.Click(`header form button`), chromedp.WaitVisible(`#email`))
	signInBrowser(t, ctx, e.root, "ann@example.com", "correct horse battery")
	act(t, ctx, "second step", chromedp.WaitVisible(`#use-key`))
	screenshot(t, ctx, "secondstep-key")
	act(t, ctx, "use the key", chromedp.Click(`#use-key`), chromedp.WaitVisible(`//h1[contains(., "Your projects")]`))
	if fs, _ := e.st.People().SecondFactors(t.Context(), u.ID); len(fs) != 1 || fs[0].Counter <= registered {
		t.Errorf("the key's counter after signing in = %+v, want above %d", fs, registered)
	}

	// A key that is not this account's: the authenticator forgets its credential, and the
	// browser finds none to sign with.
	if _, err := chromedp.Call(ctx, webauthn.ClearCredentials, webauthn.ClearCredentialsParams{AuthenticatorID: auth.AuthenticatorID}); err != nil {
		t.Fatalf("WebAuthn.clearCredentials: %v", err)
	}
	act(t, ctx, "sign out again", chromedp.Click(`header form button`), chromedp.WaitVisible(`#email`))
	signInBrowser(t, ctx, e.root, "ann@example.com", "correct horse battery")
	act(t, ctx, "use a key the account does not know", chromedp.WaitVisible(`#use-key`), chromedp.Click(`#use-key`),
		chromedp.WaitVisible(`#use-key-error`))
	if msg := read(t, ctx, "error", chromedp.Text(`#use-key-error`)); !strings.Contains(msg, "did not answer") {
		t.Errorf("error shown = %q", msg)
	}
	if b := read(t, ctx, "session cookie", chromedp.Evaluate[string](`document.cookie`)); strings.Contains(b, "overdue_session") {
		t.Errorf("a session cookie is readable by the page: %q", b)
	}
}
