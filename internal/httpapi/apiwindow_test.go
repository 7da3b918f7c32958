package httpapi

import (
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
)

// TestMaintenanceAPI: windows are created (one-off for a check, recurring for a tag), listed
// with whether they are open, refused with a reason when malformed, and deleted only by their
// project; inside one, a failing check's down flip alerts nobody and v3 shows it in maintenance.
func TestMaintenanceAPI(t *testing.T) {
	f := newAPIFixture(t)
	c := f.addCheckIn(f.project, "job", func(c *check.Check) { c.Status, c.LastPing, c.Tags = check.StatusUp, t0, "nightly" })
	other := f.addCheckIn(f.b, "theirs")

	rec := f.api("POST", "/api/v3/maintenance/", `{"check": "`+c.ID+`", "start": "2026-11-24T20:00:00+00:00", "end": "2026-11-24T22:00:00Z"}`, keyA)
	if rec.Code != 201 {
		t.Fatalf("create one-off = %d %s", rec.Code, rec.Body)
	}
	m := decode(t, rec)
	oneOff := m["id"].(string)
	if m["check"] != c.ID || m["end"] != "2026-11-24T22:00:00+00:00" || m["open_until"] != "2026-11-24T22:00:00+00:00" {
		t.Errorf("one-off = %v, want open until 22:00 now (20:18)", m)
	}
	rec = f.api("POST", "/api/v3/maintenance/", `{"tag": "nightly", "schedule": "0 3 * * *", "duration": 3600, "tz": "Europe/Kiev"}`, keyA)
	m = decode(t, rec)
	if rec.Code != 201 || m["tz"] != "Europe/Kyiv" || m["duration"] != 3600.0 || m["open_until"] != nil {
		t.Errorf("create recurring = %d %v, want 201, the zone's current name, closed now", rec.Code, m)
	}

	for _, tt := range []struct{ body, msg string }{
		{`{"start": "2026-11-24T20:00:00+00:00"}`, "json validation error: start and end are required (or a schedule and a duration for a recurring window)"},
		{`{"start": "2026-11-24 20:00", "end": "2026-11-24T22:00:00Z"}`, "json validation error: start is not a date and time with an offset (2026-11-24T20:00:00+00:00)"},
		{`{"start": "2026-11-24T22:00:00Z", "end": "2026-11-24T20:00:00Z"}`, "json validation error: end is not after start"},
		{`{"schedule": "61 * * * *", "duration": 60}`, "json validation error: schedule is not a valid cron or OnCalendar expression"},
		{`{"schedule": "0 3 * * *", "duration": 30}`, "json validation error: duration is out of range (60 to 2678400 seconds)"},
		{`{"check": "` + other.ID + `", "start": "2026-11-24T20:00:00Z", "end": "2026-11-24T22:00:00Z"}`, "json validation error: check is not a check of this project"},
		{`{"check": "` + c.ID + `", "tag": "x", "start": "2026-11-24T20:00:00Z", "end": "2026-11-24T22:00:00Z"}`, "json validation error: check and tag exclude each other (a window covers one check, a tag, or (with neither) the project)"},
	} {
		wantError(t, f.api("POST", "/api/v3/maintenance/", tt.body, keyA), 400, tt.msg)
	}
	wantError(t, f.api("POST", "/api/v3/maintenance/", `{"start": "2026-11-24T20:00:00Z", "end": "2026-11-24T22:00:00Z"}`, keyARO), 401, "wrong api key")

	rec = f.api("GET", "/api/v3/maintenance/", "", keyARO)
	if m := decode(t, rec); rec.Code != 200 || len(m["windows"].([]any)) != 2 {
		t.Errorf("list = %d %v, want the two windows", rec.Code, m)
	}
	if m := decode(t, f.api("GET", "/api/v3/maintenance/", "", keyB)); len(m["windows"].([]any)) != 0 {
		t.Errorf("project B lists %v, want none of A's", m)
	}

	// A failure inside the window: recorded, silent, and shown as maintenance in v3 only.
	f.now = t0.Add(time.Minute)
	wantResponse(t, f.do("GET", "/ping/"+c.ID+"/fail", ""), 200, "OK")
	fs := f.flips(c.ID)
	if len(fs) != 1 || fs[0].NewStatus != check.StatusDown || fs[0].Processed.IsZero() {
		t.Fatalf("flips = %+v, want one processed down flip", fs)
	}
	if got := f.check(c.ID); got.HeldReason != check.ReasonFail || !got.HeldUntil.Equal(time.Date(2026, 11, 24, 22, 0, 0, 0, time.UTC)) || !got.AlertAfter.Equal(got.HeldUntil) {
		t.Errorf("held: reason %q, until %v, AlertAfter %v; want fail, 22:00, 22:00", got.HeldReason, got.HeldUntil, got.AlertAfter)
	}
	m = decode(t, f.api("GET", "/api/v3/checks/"+c.ID, "", keyA))
	if m["status"] != "maintenance" || m["maintenance_until"] != "2026-11-24T22:00:00+00:00" {
		t.Errorf("v3 check = status %v, maintenance_until %v; want maintenance until 22:00", m["status"], m["maintenance_until"])
	}
	m = decode(t, f.api("GET", "/api/v2/checks/"+c.ID, "", keyA))
	if _, ok := m["maintenance_until"]; m["status"] != "down" || ok {
		t.Errorf("v2 check = %v, want status down and no maintenance key", m)
	}

	// Deleted by its project only; a second delete is not found.
	wantHTML(t, f.api("DELETE", "/api/v3/maintenance/"+oneOff, "", keyB), 404, notFoundPage)
	if rec := f.api("DELETE", "/api/v3/maintenance/"+oneOff, "", keyA); rec.Code != 200 || decode(t, rec)["id"] != oneOff {
		t.Errorf("delete = %d %s", rec.Code, rec.Body)
	}
	wantHTML(t, f.api("DELETE", "/api/v3/maintenance/"+oneOff, "", keyA), 404, notFoundPage)
	if rec := f.api("GET", "/api/v2/maintenance/", "", keyA); rec.Code != 404 {
		t.Errorf("v2 maintenance = %d, want 404: a v3 extension", rec.Code)
	}
}
