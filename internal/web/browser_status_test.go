package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/overduehq/overdue/internal/check"
)

// TestBrowserStatusPage is issue 14's acceptance for the status page: an owner makes it public
// with two checks from its settings, and the address opens signed out, in another browser
// context, showing the checks and their 90 days.
func TestBrowserStatusPage(t *testing.T) {
	e := newEnv(t, envOptions{dashboard: true})
	e.user("ann@example.com", "correct horse battery", "owner")
	for i, c := range []struct{ id, name string }{{idBackup, "Nightly backup"}, {idReport, "Weekly report"}, {idClean, "Cleanup"}} {
		ch := check.New(c.id, e.project, t0.Add(-time.Duration(40+i*20)*24*time.Hour))
		ch.Name, ch.Status, ch.LastPing = c.name, check.StatusUp, t0
		ch.AlertAfter = ch.GoingDownAfter(nil)
		if err := e.st.CreateCheck(t.Context(), ch); err != nil {
			t.Fatal(err)
		}
	}
	// The report was down for three hours two days ago, and all of a day last week.
	e.flipAt(idReport, t0.Add(-50*time.Hour), check.StatusDown)
	e.flipAt(idReport, t0.Add(-47*time.Hour), check.StatusUp)
	e.flipAt(idReport, t0.Add(-8*24*time.Hour-9*time.Hour), check.StatusDown)
	e.flipAt(idReport, t0.Add(-6*24*time.Hour-9*time.Hour), check.StatusUp)

	ctx := tab(t)
	act(t, ctx, "sign in",
		chromedp.Navigate(e.srv.URL+"/projects/"+e.project+"/checks/"),
		chromedp.WaitVisible(`#email`),
		chromedp.SendKeys(`#email`, "ann@example.com"),
		chromedp.SendKeys(`#password`, "correct horse battery"),
		chromedp.Submit(`#password`),
		chromedp.WaitVisible(`table.checks`))
	act(t, ctx, "open the status page settings",
		chromedp.Click(`a[href="/projects/`+e.project+`/status-page/"]`),
		chromedp.WaitVisible(`form.status-settings`))
	act(t, ctx, "make it public with two checks",
		chromedp.Click(`#public`),
		chromedp.Click(`input[name=check][value="`+idBackup+`"]`),
		chromedp.Click(`input[name=check][value="`+idReport+`"]`),
		chromedp.Click(`button[value=save]`),
		chromedp.WaitVisible(`#saved`))
	if state := read(t, ctx, "state", chromedp.Text(`#status-state`)); !strings.HasPrefix(state, "Public") {
		t.Fatalf("state after saving = %q, want Public", state)
	}
	screenshot(t, ctx, "status-settings")
	address := read(t, ctx, "address", chromedp.Text(`#status-address`))
	if !strings.HasPrefix(address, e.srv.URL+"/status/") {
		t.Fatalf("address = %q, want one under %s/status/", address, e.srv.URL)
	}

	anon := tab(t) // another incognito context: no session
	act(t, anon, "open the address signed out", chromedp.Navigate(address), chromedp.WaitVisible(`ul.status-list`))
	text := read(t, anon, "the page", chromedp.Text(`main`))
	for _, want := range []string{"Ops status", "all 2 checks up", "Nightly backup", "Weekly report"} {
		if !strings.Contains(text, want) {
			t.Errorf("status page signed out lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "Cleanup") {
		t.Errorf("status page shows a check that was not chosen:\n%s", text)
	}
	signedOut := read(t, anon, "no session", chromedp.Evaluate[bool](`document.querySelector('form[action="/accounts/logout/"]') === null`))
	bars := read(t, anon, "day bars", chromedp.Evaluate[int](`document.querySelectorAll('svg.days rect').length`))
	if !signedOut || bars != 180 {
		t.Errorf("signed out %v, %d day bars; want true, 180 (90 for each check)", signedOut, bars)
	}
	screenshot(t, anon, "status")
}
