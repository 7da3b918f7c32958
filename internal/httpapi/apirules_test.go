package httpapi

import (
	"slices"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
)

// TestRulesInV3 creates and updates a check with the alert rules over v3: they are stored, shown
// only when on and after Healthchecks' keys, and a later update that leaves them out keeps them.
func TestRulesInV3(t *testing.T) {
	f := newAPIFixture(t)
	rec := f.api("POST", "/api/v3/checks/",
		`{"name": "backup", "timeout": 3600, "start_grace": 300, "max_runtime": 1800, "min_runtime": 10, "failure_tolerance": 3}`, keyA)
	if rec.Code != 201 {
		t.Fatalf("create = %d %s", rec.Code, rec.Body)
	}
	m := decode(t, rec)
	id := m["uuid"].(string)
	for k, want := range map[string]float64{"start_grace": 300, "max_runtime": 1800, "min_runtime": 10, "failure_tolerance": 3} {
		if m[k] != want {
			t.Errorf("created %s = %v, want %v", k, m[k], want)
		}
	}
	keys := keysOf(t, rec.Body.Bytes())
	if want := append(slices.Clone(checkKeys), "timeout", "start_grace", "max_runtime", "min_runtime", "failure_tolerance"); !slices.Equal(keys, want) {
		t.Errorf("keys = %v, want %v", keys, want)
	}
	c := f.check(id)
	if c.StartGrace != 5*time.Minute || c.MaxRuntime != 30*time.Minute || c.MinRuntime != 10*time.Second || c.FailureTolerance != 3 {
		t.Errorf("stored rules = %v %v %v %d", c.StartGrace, c.MaxRuntime, c.MinRuntime, c.FailureTolerance)
	}

	// An update without the rules keeps them; 0 turns one off, and it disappears from the object.
	rec = f.api("POST", "/api/v3/checks/"+id, `{"name": "renamed", "min_runtime": 0}`, keyA)
	m = decode(t, rec)
	if rec.Code != 200 || m["name"] != "renamed" || m["max_runtime"] != 1800.0 || m["failure_tolerance"] != 3.0 {
		t.Errorf("update = %d %v", rec.Code, m)
	}
	if _, ok := m["min_runtime"]; ok {
		t.Errorf("min_runtime 0 is still shown: %v", m)
	}

	// v1 and v2 neither show nor take them.
	for _, v := range []string{"v1", "v2"} {
		rec = f.api("GET", "/api/"+v+"/checks/"+id, "", keyA)
		wantCheckKeys(t, rec.Body.Bytes(), checkKeys, check.KindSimple)
		rec = f.api("POST", "/api/"+v+"/checks/"+id, `{"max_runtime": -5, "failure_tolerance": "x"}`, keyA)
		if rec.Code != 200 {
			t.Errorf("%s update with rule members = %d %s, want 200 (ignored)", v, rec.Code, rec.Body)
		}
	}
	if c := f.check(id); c.MaxRuntime != 30*time.Minute || c.FailureTolerance != 3 {
		t.Errorf("rules after v1/v2 updates = %v %d, want unchanged", c.MaxRuntime, c.FailureTolerance)
	}
}

func TestRulesValidation(t *testing.T) {
	f := newAPIFixture(t)
	c := f.addCheckIn(f.project, "job", func(c *check.Check) { c.MaxRuntime = 10 * time.Minute })
	tests := []struct {
		body, msg string
	}{
		{`{"start_grace": -1}`, "json validation error: start_grace is too small"},
		{`{"max_runtime": 31536001}`, "json validation error: max_runtime is too large"},
		{`{"min_runtime": "60"}`, "json validation error: min_runtime is not a number"},
		{`{"failure_tolerance": 101}`, "json validation error: failure_tolerance is too large"},
		{`{"failure_tolerance": 1.5}`, "json validation error: failure_tolerance is not a number"},
		// Together with the stored max_runtime: no run could succeed.
		{`{"min_runtime": 600}`, "json validation error: min_runtime is not below max_runtime (no run could succeed; lower min_runtime or raise max_runtime)"},
	}
	for _, tt := range tests {
		wantError(t, f.api("POST", "/api/v3/checks/"+c.ID, tt.body, keyA), 400, tt.msg)
	}
	if got := f.check(c.ID); got.MinRuntime != 0 || got.StartGrace != 0 || got.FailureTolerance != 0 {
		t.Errorf("refused updates stored rules: %+v", got)
	}
	wantError(t, f.api("POST", "/api/v3/checks/", `{"name": "x", "min_runtime": 60, "max_runtime": 60}`, keyA), 400,
		"json validation error: min_runtime is not below max_runtime (no run could succeed; lower min_runtime or raise max_runtime)")
}

// TestSnoozeAPI: POST /api/v3/checks/<uuid>/snooze holds the check's down alerts; a failure
// while snoozed is recorded silently, and minutes=0 releases the held alert at once.
func TestSnoozeAPI(t *testing.T) {
	f := newAPIFixture(t)
	c := f.addCheckIn(f.project, "job", func(c *check.Check) { c.Status, c.LastPing = check.StatusUp, t0 })
	other := f.addCheckIn(f.b, "theirs")

	rec := f.api("POST", "/api/v3/checks/"+c.ID+"/snooze", `{"minutes": 90}`, keyA)
	m := decode(t, rec)
	if rec.Code != 200 || m["snoozed_until"] != "2026-11-24T21:48:26+00:00" {
		t.Fatalf("snooze = %d %v, want 200 and snoozed_until 90 minutes on", rec.Code, m)
	}
	if got := f.check(c.ID).SnoozeUntil; !got.Equal(t0.Add(90 * time.Minute)) {
		t.Errorf("SnoozeUntil = %v", got)
	}

	f.now = t0.Add(time.Minute)
	wantResponse(t, f.do("POST", "/ping/"+c.ID+"/fail", ""), 200, "OK")
	fs := f.flips(c.ID)
	if len(fs) != 1 || fs[0].NewStatus != check.StatusDown || fs[0].Processed.IsZero() {
		t.Fatalf("flips after a failure while snoozed = %+v, want one processed down flip", fs)
	}

	f.now = t0.Add(2 * time.Minute)
	rec = f.api("POST", "/api/v3/checks/"+c.ID+"/snooze", `{"minutes": 0}`, keyA)
	if m := decode(t, rec); rec.Code != 200 || m["snoozed_until"] != nil || m["status"] != "down" {
		t.Errorf("end snooze = %d %v", rec.Code, m)
	}
	fs = f.flips(c.ID)
	if len(fs) != 2 || fs[1].OldStatus != check.StatusDown || fs[1].NewStatus != check.StatusDown ||
		fs[1].Reason != check.ReasonFail || !fs[1].Processed.IsZero() || !fs[1].Created.Equal(f.now) {
		t.Errorf("flips after the snooze ended = %+v, want the silent down, then the held alert, unprocessed, now", fs)
	}
	// The flips API lists status changes only: the released alert is not one.
	rec = f.api("GET", "/api/v3/checks/"+c.ID+"/flips/", "", keyA)
	wantResponse(t, rec, 200, `{"flips": [{"timestamp": "2026-11-24T20:19:26+00:00", "up": 0}]}`)

	for _, tt := range []struct {
		target, body, key string
		status            int
		msg               string
	}{
		{"/api/v3/checks/" + c.ID + "/snooze", `{"minutes": 10081}`, keyA, 400, "minutes must be a whole number from 0 (end the snooze) to 10080 (a week)"},
		{"/api/v3/checks/" + c.ID + "/snooze", `{"minutes": "5"}`, keyA, 400, "minutes must be a whole number from 0 (end the snooze) to 10080 (a week)"},
		{"/api/v3/checks/" + c.ID + "/snooze", `{}`, keyA, 400, "minutes must be a whole number from 0 (end the snooze) to 10080 (a week)"},
		{"/api/v3/checks/" + c.ID + "/snooze", `{"minutes": 5}`, keyARO, 401, "wrong api key"},
	} {
		rec := f.api("POST", tt.target, tt.body, tt.key)
		if rec.Code != tt.status || decode(t, rec)["error"] != tt.msg {
			t.Errorf("POST %s %s = %d %s, want %d %q", tt.target, tt.body, rec.Code, rec.Body, tt.status, tt.msg)
		}
	}
	// Another project's check is not found, as for pause.
	wantHTML(t, f.api("POST", "/api/v3/checks/"+other.ID+"/snooze", `{"minutes": 5}`, keyA), 404, notFoundPage)
	if got := f.check(other.ID); !got.SnoozeUntil.IsZero() {
		t.Errorf("another project's check was snoozed")
	}
	if rec := f.api("POST", "/api/v2/checks/"+c.ID+"/snooze", `{"minutes": 5}`, keyA); rec.Code != 404 {
		t.Errorf("v2 snooze = %d, want 404: an Overdue extension of v3 only", rec.Code)
	}
}

// TestSnoozePingURL: /ping/<uuid>/snooze?minutes=N and the slug form set and end a snooze
// without counting as a ping.
func TestSnoozePingURL(t *testing.T) {
	f := newFixture(t)
	c := f.addCheck("nightly", func(c *check.Check) { c.Status, c.LastPing, c.NPings = check.StatusUp, t0, 4 })

	wantResponse(t, f.do("GET", "/ping/"+c.ID+"/snooze?minutes=30", ""), 200, "OK")
	got := f.check(c.ID)
	if !got.SnoozeUntil.Equal(t0.Add(30*time.Minute)) || got.NPings != 4 || len(f.pings(c.ID)) != 0 {
		t.Errorf("after /snooze: until %v, n_pings %d, pings %d; want t0+30m, 4, none", got.SnoozeUntil, got.NPings, len(f.pings(c.ID)))
	}
	wantResponse(t, f.do("POST", "/ping/"+testPingKey+"/nightly/snooze?minutes=120", ""), 200, "OK")
	if got := f.check(c.ID); !got.SnoozeUntil.Equal(t0.Add(2 * time.Hour)) {
		t.Errorf("after the slug form: until %v, want t0+2h", got.SnoozeUntil)
	}
	wantResponse(t, f.do("GET", "/ping/"+c.ID+"/snooze?minutes=0", ""), 200, "OK")
	if got := f.check(c.ID); !got.SnoozeUntil.IsZero() {
		t.Errorf("after minutes=0: until %v, want none", got.SnoozeUntil)
	}

	const bad = "minutes must be a whole number from 0 (end the snooze) to 10080 (a week)"
	wantResponse(t, f.do("GET", "/ping/"+c.ID+"/snooze", ""), 400, bad)
	wantResponse(t, f.do("GET", "/ping/"+c.ID+"/snooze?minutes=10081", ""), 400, bad)
	wantResponse(t, f.do("GET", "/ping/"+c.ID+"/snooze?minutes=-1", ""), 400, bad)
	wantResponse(t, f.do("GET", "/ping/"+c.ID+"/snooze?minutes=1h", ""), 400, bad)
	wantResponse(t, f.do("GET", "/ping/2a2c0f57-0000-4000-8000-000000000000/snooze?minutes=5", ""), 404, "not found")
	wantResponse(t, f.do("GET", "/ping/2a2c0f57-0000-4000-8000-000000000000/snooze", ""), 404, "not found")
	wantResponse(t, f.do("GET", "/ping/"+testPingKey+"/missing/snooze?minutes=5", ""), 404, "not found")
	wantResponse(t, f.do("GET", "/ping/"+testPingKey+"/Nightly/snooze?minutes=5", ""), 400, "invalid url format")
	if got := f.check(c.ID); !got.SnoozeUntil.IsZero() || got.NPings != 4 {
		t.Errorf("after refused snoozes: until %v, n_pings %d", got.SnoozeUntil, got.NPings)
	}
}
