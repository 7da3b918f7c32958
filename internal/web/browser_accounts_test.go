package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/overduehq/overdue/internal/account"
	"github.com/overduehq/overdue/internal/people"
)

// TestBrowserAccountPages walks the pages around an account in a real browser, as a person
// meets them: the first-start form, the sign-in form, asking for a reset link and opening it,
// an invitation's page signed out, then, signed in, the projects root and the sessions list.
// Each page shows its form or content with its labels, and `make screenshots` takes each.
func TestBrowserAccountPages(t *testing.T) {
	token := "first-start-token-for-the-browser-test"
	e := newEnv(t, envOptions{dashboard: true, first: &FirstStart{TokenHash: account.HashToken(token), ProjectIDs: []string{"p1"}}})
	ctx := tab(t)
	text := func(what, sel string) string {
		t.Helper()
		return read(t, ctx, what, chromedp.Text(sel))
	}

	act(t, ctx, "open the first-start link", chromedp.Navigate(e.root+"/accounts/first/"+token+"/"), chromedp.WaitVisible(`form`))
	if got := text("first-start page", "main"); !strings.Contains(got, "Email") || !strings.Contains(got, "Password") {
		t.Errorf("first-start page = %q, want its email and password fields", got)
	}
	screenshot(t, ctx, "first")
	owner := e.user("ann@example.com", "correct horse battery", people.RoleOwner)

	act(t, ctx, "open the sign-in page", chromedp.Navigate(e.root+"/accounts/login/"), chromedp.WaitVisible(`#email`), chromedp.WaitVisible(`#password`))
	if got := text("sign-in page", "main"); !strings.Contains(got, "Forgot") {
		t.Errorf("sign-in page = %q, want the way to a reset link", got)
	}
	screenshot(t, ctx, "login")

	act(t, ctx, "ask for a reset link",
		chromedp.Navigate(e.root+"/accounts/reset/"),
		chromedp.WaitVisible(`#email`))
	screenshot(t, ctx, "reset")
	act(t, ctx, "send the reset form",
		chromedp.SendKeys(`#email`, "ann@example.com"),
		chromedp.Submit(`#email`),
		chromedp.WaitVisible(`div.notice`)) // the answer, after the link was mailed
	if got := text("reset answer", "main"); !strings.Contains(strings.ToLower(got), "link") {
		t.Errorf("after asking for a reset link: %q, want word of the link", got)
	}
	act(t, ctx, "open the reset link", chromedp.Navigate(e.box.link(t, "ann@example.com")), chromedp.WaitVisible(`input[type=password]`))
	screenshot(t, ctx, "setpassword")

	inv, err := e.acc.Invite(t.Context(), account.NewInvitation{ProjectID: e.project, Email: "bob@example.com",
		Role: people.RoleMember, InviterID: owner.ID})
	if err != nil {
		t.Fatal(err)
	}
	link := inv.Link
	if link == "" {
		link = e.box.link(t, "bob@example.com")
	}
	act(t, ctx, "open the invitation", chromedp.Navigate(link), chromedp.WaitVisible(`form`))
	if got := text("invitation page", "main"); !strings.Contains(got, "Ops") || !strings.Contains(strings.ToLower(got), "member") {
		t.Errorf("invitation page = %q, want the project and the role it invites to", got)
	}
	screenshot(t, ctx, "invite")

	act(t, ctx, "sign in",
		chromedp.Navigate(e.root+"/accounts/login/"),
		chromedp.WaitVisible(`#email`),
		chromedp.SendKeys(`#email`, "ann@example.com"),
		chromedp.SendKeys(`#password`, "correct horse battery"),
		chromedp.Submit(`#password`),
		chromedp.WaitNotPresent(`#password`))
	act(t, ctx, "open the projects root", chromedp.Navigate(e.root+"/"), chromedp.WaitVisible(`main`))
	if got := text("projects root", "main"); !strings.Contains(got, "Ops") {
		t.Errorf("projects root = %q, want the project Ops", got)
	}
	screenshot(t, ctx, "home")
	act(t, ctx, "open the sessions list", chromedp.Navigate(e.root+"/accounts/sessions/"), chromedp.WaitVisible(`main`))
	if got := text("sessions page", "main"); !strings.Contains(strings.ToLower(got), "sign out") {
		t.Errorf("sessions page = %q, want a way to sign out", got)
	}
	screenshot(t, ctx, "sessions")
}
