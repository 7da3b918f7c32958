package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/overduehq/overdue/internal/check"
)

// The browser tests drive Debian's chromium, headless, through the DevTools protocol
// (chromedp): one browser per test binary, started by the first test that needs it, and a
// fresh incognito context per test so that no cookie crosses from one test's server to
// another's. A missing browser fails these tests; it never skips them (`make test` installs
// chromium first: scripts/chromium.sh).
//
// OVERDUE_CHROMIUM names the browser binary; without it, chromium, chromium-browser,
// google-chrome and google-chrome-stable are looked for on PATH. OVERDUE_SCREENSHOTS, when
// set to a folder, makes the tests write a PNG of each page they pass, light and dark, desktop
// and phone width (`make screenshots`).

var chrome struct {
	once   sync.Once
	ctx    context.Context
	cancel func()
	err    error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if chrome.cancel != nil {
		chrome.cancel()
	}
	os.Exit(code)
}

// chromiumPath finds the browser binary.
func chromiumPath() (string, error) {
	if p := os.Getenv("OVERDUE_CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no chromium on PATH: the browser tests need Debian's chromium; install it with " +
		"`apt-get install chromium` (as root, or with sudo; `make test` runs scripts/chromium.sh, which does), " +
		"or set OVERDUE_CHROMIUM to a Chromium or Chrome binary")
}

// tab opens a new tab in a new incognito context of the one browser, closed when the test ends.
func tab(t *testing.T) context.Context {
	t.Helper()
	chrome.once.Do(func() {
		path, err := chromiumPath()
		if err != nil {
			chrome.err = err
			return
		}
		opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path),
			chromedp.NoSandbox, // root in a container has no user namespace to sandbox with
			chromedp.WindowSize(1280, 900))
		alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancelBrowser := chromedp.NewContext(alloc)
		if err := chromedp.Do(ctx); err != nil {
			cancelBrowser()
			cancelAlloc()
			chrome.err = fmt.Errorf("start %s: %w", path, err)
			return
		}
		chrome.ctx, chrome.cancel = ctx, func() { cancelBrowser(); cancelAlloc() }
	})
	if chrome.err != nil {
		t.Fatal(chrome.err)
	}
	ctx, cancel := chromedp.NewContext(chrome.ctx, chromedp.WithNewBrowserContext())
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancel() })
	return ctx
}

// act runs browser actions and fails the test with what was being done.
func act(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// read runs one browser action that gives a value (a text, a location, a script's result).
func read[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// screenshot writes the current page as PNGs when OVERDUE_SCREENSHOTS names a folder: light
// and dark, 1280 px desktop and 390 px phone, each the full page. It leaves the tab as it was
// (desktop, the system's colour scheme).
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("OVERDUE_SCREENSHOTS")
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, scheme := range []string{"light", "dark"} {
		for _, size := range []struct {
			name   string
			w, h   int64
			mobile bool
		}{{"desktop", 1280, 900, false}, {"phone", 390, 844, true}} {
			if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}}); err != nil {
				t.Fatalf("emulate %s: %v", scheme, err)
			}
			var opts []chromedp.EmulateViewportOption
			if size.mobile {
				opts = append(opts, chromedp.EmulateMobile)
			}
			act(t, ctx, "emulate "+size.name, chromedp.EmulateViewport(size.w, size.h, opts...))
			png := read(t, ctx, "screenshot "+name, chromedp.FullScreenshot(100))
			file := filepath.Join(dir, fmt.Sprintf("%s-%s-%s.png", name, scheme, size.name))
			if err := os.WriteFile(file, png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{}); err != nil {
		t.Fatalf("reset colour scheme: %v", err)
	}
	act(t, ctx, "reset viewport", chromedp.EmulateReset())
}

// TestBrowserCheckLifecycle is issue 14's acceptance, as a person would do it: sign in, create a
// check from the dashboard, ping it with an HTTP client, watch it turn up without a reload, make
// it fail and see it turn down, open the event log and read the body, edit its schedule and see
// the preview change.
func TestBrowserCheckLifecycle(t *testing.T) {
	e := newEnv(t, envOptions{dashboard: true, refresh: 100 * time.Millisecond})
	e.user("ann@example.com", "correct horse battery", "owner")
	ctx := tab(t)
	checks := e.srv.URL + "/projects/" + e.project + "/checks/"

	act(t, ctx, "sign in",
		chromedp.Navigate(checks),
		chromedp.WaitVisible(`#email`),
		chromedp.SendKeys(`#email`, "ann@example.com"),
		chromedp.SendKeys(`#password`, "correct horse battery"),
		chromedp.Submit(`#password`),
		chromedp.WaitVisible(`table.checks`))
	screenshot(t, ctx, "checks-empty")

	act(t, ctx, "create a check",
		chromedp.SendKeys(`#name`, "Nightly backup"),
		chromedp.SendKeys(`#slug`, "nightly-backup"),
		chromedp.SendKeys(`#tags`, "db prod"),
		chromedp.Submit(`#name`),
		chromedp.WaitVisible(`#ping-url`))
	pingURL := read(t, ctx, "ping URL", chromedp.Text(`#ping-url`))
	detailsURL := read(t, ctx, "details URL", chromedp.Location())
	if !strings.HasPrefix(pingURL, e.srv.URL+"/ping/") {
		t.Fatalf("ping URL on the details page = %q, want one under %s/ping/", pingURL, e.srv.URL)
	}
	id := strings.TrimPrefix(pingURL, e.srv.URL+"/ping/")
	row := `tr[data-check="` + id + `"]`

	// Read the status in one script: the live refresh swaps the table every 100 ms, and a node
	// found before a swap is gone ("No node with given id found") or reads as empty text after it.
	statusNow := func() string {
		t.Helper()
		return read(t, ctx, "status", chromedp.Evaluate[string](`document.querySelector('`+row+` .c-status').textContent`))
	}
	act(t, ctx, "open the checks list", chromedp.Navigate(checks), chromedp.WaitVisible(row))
	if status := statusNow(); strings.TrimSpace(status) != "New" {
		t.Fatalf("status of the new check = %q, want New", status)
	}
	// A mark on the window: a reload would lose it.
	read(t, ctx, "mark the page", chromedp.Evaluate[bool](`window.notReloaded = true`))
	watch := func(what, class, want string) {
		t.Helper()
		act(t, ctx, what, chromedp.WaitVisible(row+class))
		status := statusNow()
		kept := read(t, ctx, "the mark", chromedp.Evaluate[bool](`window.notReloaded === true`))
		if strings.TrimSpace(status) != want || !kept {
			t.Fatalf("%s: status %q, page not reloaded %v; want %s, true", what, status, kept, want)
		}
	}

	e.advance(time.Minute)
	b := e.browser()
	if r := b.get(strings.TrimPrefix(pingURL, e.srv.URL)); r.StatusCode != 200 {
		t.Fatalf("ping answered %d %s", r.StatusCode, r.body)
	}
	watch("watch it turn up", ".row-up", "Up")
	screenshot(t, ctx, "checks")

	e.advance(time.Minute)
	if r := b.get(strings.TrimPrefix(pingURL, e.srv.URL) + "/fail"); r.StatusCode != 200 {
		t.Fatalf("fail ping answered %d %s", r.StatusCode, r.body)
	}
	watch("see it turn down", ".row-down", "Down")
	e.advance(time.Minute)

	// A failure with a body, as `curl --data-raw "$output" <url>/$?` sends it.
	const failure = "backup failed: disk /var is full\nexit 28"
	resp, err := b.c.Post(pingURL+"/28", "text/plain", strings.NewReader(failure))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("exit-status ping answered %d", resp.StatusCode)
	}

	act(t, ctx, "open the event log", chromedp.Click(row+` .c-name a`), chromedp.WaitVisible(`table.log`))
	logText := read(t, ctx, "event log", chromedp.Text(`table.log`))
	for _, want := range []string{"#3 Failure (exit 28)", "#2 Failure", "#1 Success", "was Up: a failure was reported", "was New", "Go-http-client"} {
		if !strings.Contains(logText, want) {
			t.Errorf("event log lacks %q:\n%s", want, logText)
		}
	}
	screenshot(t, ctx, "details")
	act(t, ctx, "open the body", chromedp.Click(`a[href="/checks/`+id+`/pings/3/"]`), chromedp.WaitVisible(`#ping-body`))
	if body := read(t, ctx, "body", chromedp.Text(`#ping-body`)); body != failure {
		t.Fatalf("body shown = %q, want %q", body, failure)
	}
	screenshot(t, ctx, "ping")

	act(t, ctx, "open the schedule form", chromedp.Navigate(detailsURL), chromedp.WaitVisible(`#schedule`),
		chromedp.Click(`#kind-schedule`))
	typeSchedule := func(expr, want string) {
		t.Helper()
		read(t, ctx, "clear the schedule", chromedp.Evaluate[bool](`document.getElementById("schedule").value = ""; true`))
		act(t, ctx, "type "+expr+" and watch the preview", chromedp.SendKeys(`#schedule`, expr),
			chromedp.WaitVisible(`//div[@id="preview"]//li[contains(., "`+want+`")]`))
	}
	typeSchedule("0 3 * * *", "Wed 2026-12-02 03:00")
	typeSchedule("30 4 * * 1", "Mon 2026-12-07 04:30")
	if preview := read(t, ctx, "preview", chromedp.Text(`#preview`)); strings.Contains(preview, "03:00") {
		t.Fatalf("preview still lists the old schedule's runs:\n%s", preview)
	}
	act(t, ctx, "save the schedule",
		chromedp.Click(`form.timing button[type=submit]:not([formmethod])`),
		chromedp.WaitVisible(`//dd[@id="check-period"][not(contains(., "every"))]`)) // the page after saving
	if period, want := read(t, ctx, "period", chromedp.Text(`#check-period`)), "cron 30 4 * * 1 (UTC), grace 1 hour"; period != want {
		t.Fatalf("period after saving = %q, want %q", period, want)
	}
	screenshot(t, ctx, "details-schedule")
}

// TestBrowserWebhookChannel adds a webhook channel from the integrations page and sends a test
// notification, which a loopback receiver gets; then assigns the channel to a check and sets the
// check's allowed methods and keyword filters from its details page.
func TestBrowserWebhookChannel(t *testing.T) {
	got := make(chan string, 4)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- r.Method + " " + r.URL.Path + " " + string(body)
	}))
	defer receiver.Close()
	e := newEnv(t, envOptions{dashboard: true, webhooks: true})
	e.user("ann@example.com", "correct horse battery", "owner")
	ctx := tab(t)
	act(t, ctx, "sign in",
		chromedp.Navigate(e.srv.URL+"/projects/"+e.project+"/integrations/"),
		chromedp.WaitVisible(`#email`),
		chromedp.SendKeys(`#email`, "ann@example.com"),
		chromedp.SendKeys(`#password`, "correct horse battery"),
		chromedp.Submit(`#password`),
		chromedp.WaitVisible(`form.add-channel`))
	act(t, ctx, "add a webhook with a bad URL",
		chromedp.SetValue(`#kind`, "webhook"),
		chromedp.SendKeys(`#name`, "Ops hook"),
		chromedp.SendKeys(`#value`, "ftp://example.org/x"),
		chromedp.Submit(`#name`),
		chromedp.WaitVisible(`#value-error`))
	if msg := read(t, ctx, "error", chromedp.Text(`#value-error`)); !strings.Contains(msg, "scheme must be http or https") {
		t.Fatalf("error next to the value = %q", msg)
	}
	read(t, ctx, "clear the value", chromedp.Evaluate[bool](`document.getElementById("value").value = ""; true`))
	act(t, ctx, "add the webhook",
		chromedp.SendKeys(`#value`, receiver.URL+"/hook"),
		chromedp.Submit(`#value`),
		chromedp.WaitVisible(`table.channels`))
	screenshot(t, ctx, "integrations")
	act(t, ctx, "send a test", chromedp.Click(`table.channels button.secondary`), chromedp.WaitVisible(`#test-result`))
	if msg := read(t, ctx, "result", chromedp.Text(`#test-result`)); msg != "A test notification was sent to Ops hook." {
		t.Fatalf("test result = %q", msg)
	}
	select {
	case req := <-got:
		if !strings.HasPrefix(req, "POST /hook ") {
			t.Errorf("the receiver got %q, want a POST to /hook", req)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the receiver got nothing")
	}
	// Assign the channel to a check, and make the check count POST requests only, from its
	// details page.
	e.addCheck(idBackup, "Nightly backup", "backup", "", check.StatusUp)
	act(t, ctx, "assign the webhook to a check",
		chromedp.Navigate(e.srv.URL+"/checks/"+idBackup+"/details/"),
		chromedp.WaitVisible(`#channels`),
		chromedp.Click(`#channels`),
		chromedp.Click(`form[action$="/channels/"] button[type=submit]`),
		chromedp.WaitVisible(`input#channels[checked]`))
	act(t, ctx, "allow POST only, with keywords",
		chromedp.Click(`#methods-post`),
		chromedp.Click(`#filter_http_body`),
		chromedp.SendKeys(`#failure_kw`, "ERROR"),
		chromedp.Click(`form[action$="/filters/"] button[type=submit]`),
		chromedp.WaitVisible(`input#methods-post[checked]`))
	c, err := e.st.Check(t.Context(), idBackup)
	if err != nil || len(c.Channels) != 1 || c.Methods != "POST" || !c.FilterHTTPBody || c.FailureKw != "ERROR" {
		t.Fatalf("after the forms: %+v, %v; want the webhook assigned, POST only, failure keyword ERROR in HTTP bodies", c, err)
	}
	screenshot(t, ctx, "details-filters")
}

// TestBrowserSettingsAndAccount creates an API key on the project settings page and sees it
// once, revokes it; then changes the account's time zone and sees the times change.
func TestBrowserSettingsAndAccount(t *testing.T) {
	e := newEnv(t, envOptions{dashboard: true})
	e.addCheck(idBackup, "Nightly backup", "backup", "db prod", check.StatusUp)
	e.user("ann@example.com", "correct horse battery", "owner")
	ctx := tab(t)
	settingsURL := e.srv.URL + "/projects/" + e.project + "/settings/"
	row := `tr[data-kind="read-write"]`

	act(t, ctx, "sign in",
		chromedp.Navigate(settingsURL),
		chromedp.WaitVisible(`#email`),
		chromedp.SendKeys(`#email`, "ann@example.com"),
		chromedp.SendKeys(`#password`, "correct horse battery"),
		chromedp.Submit(`#password`),
		chromedp.WaitVisible(`table.keys`))
	act(t, ctx, "create an API key", chromedp.Click(row+` button[type=submit]`), chromedp.WaitVisible(`#new-key-value`))
	key := read(t, ctx, "the new key", chromedp.Text(`#new-key-value`))
	if !strings.HasPrefix(key, "hcw_") || len(key) != 32 {
		t.Fatalf("the page shows the key %q", key)
	}
	if got := e.projectNow().APIKeyHash; got != check.HashKey(key) {
		t.Fatalf("the stored hash is not the shown key's")
	}
	hint := read(t, ctx, "the hint", chromedp.Text(row+` .key-hint`))
	if want := check.KeyHint(check.HashKey(key)) + "…"; hint != want {
		t.Errorf("hint %q, want %q", hint, want)
	}
	screenshot(t, ctx, "settings-new-key")
	act(t, ctx, "open the page again", chromedp.Navigate(settingsURL), chromedp.WaitVisible(`table.keys`))
	if html := read(t, ctx, "page", chromedp.OuterHTML(`html`)); strings.Contains(html, key) {
		t.Fatal("the key is shown a second time")
	}
	screenshot(t, ctx, "settings")
	act(t, ctx, "revoke the key", chromedp.Click(row+` button.warning`),
		chromedp.WaitVisible(row+` td.actions button:not(.secondary):not(.warning)`))
	if got := e.projectNow().APIKeyHash; got != "" {
		t.Fatalf("after revoking, the stored hash is %q", got)
	}

	act(t, ctx, "open the account page", chromedp.Navigate(e.srv.URL+"/accounts/profile/"), chromedp.WaitVisible(`#tz`))
	if now := read(t, ctx, "time now", chromedp.Text(`#now`)); now != "1 Dec 2026 09:00 UTC" {
		t.Fatalf("time now before = %q", now)
	}
	act(t, ctx, "choose Asia/Tokyo",
		chromedp.SetValue(`#tz`, "Asia/Tokyo"),
		chromedp.Submit(`#tz`),
		chromedp.WaitVisible(`#notice`))
	if now := read(t, ctx, "time now", chromedp.Text(`#now`)); now != "1 Dec 2026 18:00 JST" {
		t.Fatalf("time now after choosing Asia/Tokyo = %q", now)
	}
	act(t, ctx, "create a token", chromedp.SendKeys(`#token-name`, "terraform"),
		chromedp.SendKeys(`#token-password`, "correct horse battery"), chromedp.Submit(`#token-name`),
		chromedp.WaitVisible(`#new-token-value`))
	if created := read(t, ctx, "created", chromedp.Text(`tr[data-token="terraform"] .t-created`)); created != "1 Dec 2026 18:00 JST" {
		t.Errorf("token created at %q, want the time in Asia/Tokyo", created)
	}
	screenshot(t, ctx, "profile")
	act(t, ctx, "open the checks page", chromedp.Navigate(e.srv.URL+"/projects/"+e.project+"/checks/"),
		chromedp.WaitVisible(`table.checks`))
	title := read(t, ctx, "last ping title", chromedp.Evaluate[string](`document.querySelector('tr[data-check="`+idBackup+`"] time').title`))
	if !strings.Contains(title, "2026-12-01 18:00:00 JST") {
		t.Errorf("the last ping's exact time is %q, want it in Asia/Tokyo", title)
	}
}
