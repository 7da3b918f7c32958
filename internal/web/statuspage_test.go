package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/store"
)

// flipAt records a status change of check id at an instant, as the sweep or a ping would.
func (e *env) flipAt(id string, at time.Time, to check.Status) {
	e.t.Helper()
	_, err := e.st.UpdateCheck(e.t.Context(), id, func(c *check.Check) (store.Change, error) {
		f := &check.Flip{CheckID: id, Created: at, Processed: at, OldStatus: c.Status, NewStatus: to}
		c.Status = to
		return store.Change{Flip: f}, nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

// statusKey is the key of the env's project's status page.
func (e *env) statusKey() string {
	e.t.Helper()
	sp, err := e.st.StatusPage(e.t.Context(), e.project)
	if err != nil {
		e.t.Fatalf("StatusPage = %v", err)
	}
	return sp.Key
}

const statusSettingsURL = "/projects/p1/status-page/"

func TestStatusPagePublicAndPrivate(t *testing.T) {
	e := newEnv(t, envOptions{dashboard: true})
	backup := e.addCheck(idBackup, "Nightly backup", "nightly-db", "db prod", check.StatusUp)
	e.addCheck(idReport, "Weekly report", "weekly-report", "prod", check.StatusDown)
	e.addCheck(idClean, "Cleanup", "tmp-cleaner", "", check.StatusUp)
	if _, err := e.st.UpdateCheck(t.Context(), backup.ID, func(c *check.Check) (store.Change, error) {
		c.Desc = "dumps the customers table to s3://private-bucket"
		return store.Change{}, nil
	}); err != nil {
		t.Fatal(err)
	}
	owner := e.signedIn("ann@example.com", people.RoleOwner)

	r := owner.get(statusSettingsURL)
	wantStatus(t, "settings before any save", r, 200)
	if !strings.Contains(r.body, "given when the page is first saved") || !strings.Contains(r.body, `value="`+idClean+`"`) {
		t.Errorf("settings before any save lack the pending address or the project's checks:\n%s", r.body)
	}
	// Public without a check to show: refused, saying so next to the list.
	r = owner.post(statusSettingsURL, url.Values{"public": {"on"}, "action": {"save"}})
	wantStatus(t, "public with no checks", r, 422)
	if !strings.Contains(r.body, `id="checks-error">Choose at least one check to show`) {
		t.Errorf("the refusal does not say what to do:\n%s", r.body)
	}
	if _, err := e.st.StatusPage(t.Context(), e.project); err == nil {
		t.Error("a refused form saved a status page")
	}

	wantRedirect(t, "make it public", owner.post(statusSettingsURL, url.Values{"public": {"on"}, "action": {"save"},
		"check": {idReport, idBackup, "99999999-9999-4999-8999-999999999999"}}), statusSettingsURL+"?saved=1")
	key := e.statusKey()
	if len(key) != check.StatusKeyLength {
		t.Fatalf("status page key %q, want %d characters", key, check.StatusKeyLength)
	}
	sp, _ := e.st.StatusPage(t.Context(), e.project)
	if strings.Join(sp.Checks, ",") != idBackup+","+idReport || !sp.Public {
		t.Errorf("saved page = %+v; want public, the backup and the report (the project's order, the unknown ID dropped)", sp)
	}
	r = owner.get(statusSettingsURL + "?saved=1")
	if !strings.Contains(r.body, `id="saved"`) || !strings.Contains(r.body, e.srv.URL+"/status/"+key+"/") {
		t.Errorf("settings after saving lack the notice or the address:\n%s", r.body)
	}

	anon := e.browser()
	page := anon.get("/status/" + key + "/")
	wantStatus(t, "public page signed out", page, 200)
	for _, want := range []string{"<title>Ops status · Overdue</title>", "Nightly backup", "Weekly report",
		`</svg> Down</span> <span>· 1 of 2 checks down</span>`, `class="days"`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("public page lacks %q", want)
		}
	}
	lower := strings.ToLower(page.body)
	for _, secret := range []string{"Cleanup", idBackup, idReport, idClean, strings.ReplaceAll(idBackup, "-", ""),
		check.UniqueKey(idBackup), "nightly-db", "weekly-report", "s3://", "db prod", "/ping/", "/projects/", "/checks/",
		"Sign out", "ann@example.com"} {
		if strings.Contains(lower, strings.ToLower(secret)) {
			t.Errorf("public page shows %q", secret)
		}
	}
	if got := page.Header.Get("Cache-Control"); got != "public, max-age=60" {
		t.Errorf("Cache-Control = %q, want public, max-age=60", got)
	}
	if csp := page.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || page.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("public page headers: CSP %q, X-Frame-Options %q", csp, page.Header.Get("X-Frame-Options"))
	}
	// Signed in, the page is the same document: no viewer on it.
	if r := owner.get("/status/" + key + "/"); r.body != page.body {
		t.Error("the public page differs for a signed-in member; it must be one document for everyone")
	}

	for _, path := range []string{"/status/" + strings.Repeat("z", check.StatusKeyLength) + "/", "/status/NOT-A-KEY/", "/status/p1/", "/status/"} {
		if r := anon.get(path); r.StatusCode != 404 {
			t.Errorf("GET %s = %d, want 404", path, r.StatusCode)
		}
	}

	// A new address: the old one stops at once.
	wantRedirect(t, "new address", owner.post(statusSettingsURL, url.Values{"public": {"on"}, "action": {"new-address"},
		"check": {idBackup}}), statusSettingsURL+"?saved=1")
	newKey := e.statusKey()
	if newKey == key {
		t.Fatal("new-address kept the key")
	}
	if r := anon.get("/status/" + key + "/"); r.StatusCode != 404 {
		t.Errorf("old address = %d, want 404", r.StatusCode)
	}
	if r := anon.get("/status/" + newKey + "/"); r.StatusCode != 200 || strings.Contains(r.body, "Weekly report") {
		t.Errorf("new address = %d, showing the report %v; want 200 with the backup only", r.StatusCode, strings.Contains(r.body, "Weekly report"))
	}

	// Private again: the address answers 404, like one that never existed, and is not cached.
	wantRedirect(t, "make it private", owner.post(statusSettingsURL, url.Values{"action": {"save"}, "check": {idBackup}}), statusSettingsURL+"?saved=1")
	r = anon.get("/status/" + newKey + "/")
	wantStatus(t, "private page", r, 404)
	if r.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("404 Cache-Control = %q, want no-store", r.Header.Get("Cache-Control"))
	}
	if e.statusKey() != newKey {
		t.Error("making the page private changed its address")
	}
}

func TestStatusPageRoles(t *testing.T) {
	e := newEnv(t, envOptions{dashboard: true})
	e.addCheck(idBackup, "Nightly backup", "backup", "", check.StatusUp)
	e.addCheck(idReport, "Weekly report", "report", "", check.StatusUp)
	save := url.Values{"public": {"on"}, "action": {"save"}, "check": {idBackup}}

	anon := e.browser()
	if r := anon.get(statusSettingsURL); r.StatusCode != 303 || !strings.HasPrefix(r.Header.Get("Location"), LoginPath) {
		t.Errorf("signed out settings = %d to %q, want the sign-in form", r.StatusCode, r.Header.Get("Location"))
	}
	if r := anon.post(statusSettingsURL, save); r.StatusCode != 303 || !strings.HasPrefix(r.Header.Get("Location"), LoginPath) {
		t.Errorf("signed out post = %d to %q, want the sign-in form", r.StatusCode, r.Header.Get("Location"))
	}
	outsider := e.signedIn("eve@example.com", "")
	if r := outsider.get(statusSettingsURL); r.StatusCode != 404 {
		t.Errorf("outsider settings = %d, want 404", r.StatusCode)
	}
	if r := outsider.post(statusSettingsURL, save); r.StatusCode != 404 {
		t.Errorf("outsider post = %d, want 404", r.StatusCode)
	}
	for _, role := range []people.Role{people.RoleMember, people.RoleReadOnly} {
		b := e.signedIn(string(role)+"@example.com", role)
		r := b.post(statusSettingsURL, save)
		wantStatus(t, string(role)+" post", r, 403)
		if !strings.Contains(r.body, "Only owners and managers") {
			t.Errorf("%s refusal does not say who may: %s", role, r.body)
		}
		if r := b.get(statusSettingsURL); r.StatusCode != 200 || strings.Contains(r.body, "<form method=\"post\" action=\"\"") {
			t.Errorf("%s settings = %d, with the form %v; want 200 without it", role, r.StatusCode, strings.Contains(r.body, "status-settings"))
		}
	}
	if _, err := e.st.StatusPage(t.Context(), e.project); err == nil {
		t.Fatal("a refused role saved the status page")
	}
	manager := e.signedIn("mia@example.com", people.RoleManager)
	wantRedirect(t, "manager saves", manager.post(statusSettingsURL, save), statusSettingsURL+"?saved=1")

	// Read-only members see what is shown, by name, and no UUID.
	ro := e.signedIn("rob@example.com", people.RoleReadOnly)
	r := ro.get(statusSettingsURL)
	if !strings.Contains(r.body, "<li>Nightly backup</li>") || strings.Contains(r.body, "Weekly report") ||
		strings.Contains(r.body, idBackup) || strings.Contains(r.body, idReport) {
		t.Errorf("read-only settings: want the chosen check by name, no other and no UUID:\n%s", r.body)
	}
}

// TestStatusPageHistory: 90 days of history at a fixed instant, from flips: days before the
// check existed have no data, the day of an outage is partial, uptime counts monitored time.
func TestStatusPageHistory(t *testing.T) {
	e := newEnv(t, envOptions{dashboard: true})
	c := check.New(idBackup, e.project, t0.Add(-10*24*time.Hour)) // 21 Nov 09:00
	c.Name, c.Status, c.LastPing = "Nightly backup", check.StatusUp, t0
	c.AlertAfter = c.GoingDownAfter(nil)
	if err := e.st.CreateCheck(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	outage := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	e.flipAt(idBackup, outage, check.StatusDown)
	e.flipAt(idBackup, outage.Add(6*time.Hour), check.StatusUp)
	owner := e.signedIn("ann@example.com", people.RoleOwner)
	wantRedirect(t, "publish", owner.post(statusSettingsURL, url.Values{"public": {"on"}, "action": {"save"}, "check": {idBackup}}), statusSettingsURL+"?saved=1")

	r := e.browser().get("/status/" + e.statusKey() + "/")
	wantStatus(t, "status page", r, 200)
	for _, want := range []string{
		`aria-label="last 90 days: 10 up, 1 partly down, 0 down, 79 without data"`,
		"<title>Sat 28 Nov 2026: down 6 h 0 min, 75.00% up</title>",
		"<title>Fri 20 Nov 2026: no data</title>",
		"<title>Sat 21 Nov 2026: up, 100%</title>",
		`<span class="status-uptime">97.50%</span>`, // 6 hours down in 240 monitored
		"<span>3 Sep 2026</span>",
		`</svg> Up</span> <span>· all 1 check up</span>`,
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("status page lacks %q", want)
		}
	}
	if n := len(regexp.MustCompile(`<rect class="d-`).FindAllString(r.body, -1)); n != 90 {
		t.Errorf("%d day bars, want 90", n)
	}

	// The details page lists the same computation per month.
	d := owner.get("/checks/" + idBackup + "/details/")
	for _, want := range []string{"<td>December 2026</td><td>100%</td><td>none</td><td>0</td>",
		"<td>November 2026</td><td>97.40%</td><td>6 h 0 min</td><td>1</td>", // 6 h of 231 monitored
		"<td>October 2026</td><td>no data</td><td>none</td><td>0</td>"} {
		if !strings.Contains(d.body, want) {
			t.Errorf("details page lacks the uptime row %q", want)
		}
	}
}

// countingStore counts the reads a status page makes of pings and flips.
type countingStore struct {
	store.Store
	pings, flips atomic.Int32
}

func (s *countingStore) Pings(ctx context.Context, id string, limit int) ([]*check.Ping, error) {
	s.pings.Add(1)
	return s.Store.Pings(ctx, id, limit)
}

func (s *countingStore) Ping(ctx context.Context, id string, n int) (*check.Ping, error) {
	s.pings.Add(1)
	return s.Store.Ping(ctx, id, n)
}

func (s *countingStore) Flips(ctx context.Context, id string, q store.FlipQuery) ([]*check.Flip, error) {
	s.flips.Add(1)
	return s.Store.Flips(ctx, id, q)
}

// TestStatusPageReadsNoPings: a status page reads the chosen checks' flips, once each, and never
// a ping, however many the checks have.
func TestStatusPageReadsNoPings(t *testing.T) {
	e := newEnv(t, envOptions{dashboard: true})
	for _, id := range []string{idBackup, idReport, idClean} {
		e.addCheck(id, "Check "+id[:2], "", "", check.StatusUp)
		for n := 1; n <= 5; n++ {
			if _, err := e.st.UpdateCheck(t.Context(), id, func(c *check.Check) (store.Change, error) {
				c.NPings++
				return store.Change{Ping: &check.Ping{CheckID: id, N: c.NPings, Created: t0, Kind: check.PingSuccess}}, nil
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := e.st.PutStatusPage(t.Context(), &check.StatusPage{ProjectID: e.project, Key: "abcdefghijklmnopqrstuvwx", Public: true,
		Checks: []string{idBackup, idReport, idClean}}); err != nil {
		t.Fatal(err)
	}
	counting := &countingStore{Store: e.st}
	pages, err := New(Config{Accounts: e.acc, Checks: counting})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	pages.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/status/abcdefghijklmnopqrstuvwx/", nil))
	if rec.Code != 200 {
		t.Fatalf("status page = %d", rec.Code)
	}
	if p, f := counting.pings.Load(), counting.flips.Load(); p != 0 || f != 3 {
		t.Errorf("the status page read pings %d times and flips %d times; want 0 and 3 (one query per check)", p, f)
	}
}
