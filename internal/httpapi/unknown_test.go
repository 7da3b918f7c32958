package httpapi

import (
	"strings"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
)

// TestHeldCheckStatus: a check whose timeout the sweep holds (past its deadline by its last
// ping, its AlertAfter moved ahead because Overdue's ping intake had an outage) is "unknown" in
// v3, one check or the list, and "grace" in v1 and v2 and in the metrics (up, in grace); once
// the hold has run out, it is down everywhere.
func TestHeldCheckStatus(t *testing.T) {
	f := newAPIFixture(t)
	c := f.addCheckIn(f.project, "held", func(c *check.Check) {
		c.Status, c.NPings, c.LastPing = check.StatusUp, 1, t0.Add(-26*time.Hour) // down at t0-1h
		c.AlertAfter = t0.Add(10 * time.Minute)                                   // held until then
	})
	status := func(version string) any {
		t.Helper()
		rec := f.api("GET", "/api/"+version+"/checks/"+c.ID, "", keyA)
		if rec.Code != 200 {
			t.Fatalf("GET %s check = %d %s", version, rec.Code, rec.Body)
		}
		return decode(t, rec)["status"]
	}
	listed := func() any {
		t.Helper()
		m := decode(t, f.api("GET", "/api/v3/checks/", "", keyA))
		checks, _ := m["checks"].([]any)
		if len(checks) != 1 {
			t.Fatalf("list = %v, want the one check", m)
		}
		return checks[0].(map[string]any)["status"]
	}
	metrics := func() string {
		t.Helper()
		rec := f.do("GET", "/projects/"+f.project.ID+"/metrics/"+keyARO, "")
		if rec.Code != 200 {
			t.Fatalf("metrics = %d %s", rec.Code, rec.Body)
		}
		return rec.Body.String()
	}
	for _, v := range []string{"v1", "v2"} {
		if got := status(v); got != "grace" {
			t.Errorf("held: %s status = %v, want grace", v, got)
		}
	}
	if got := status("v3"); got != "unknown" {
		t.Errorf("held: v3 status = %v, want unknown", got)
	}
	if got := listed(); got != "unknown" {
		t.Errorf("held: v3 list status = %v, want unknown", got)
	}
	if m := metrics(); !strings.Contains(m, `hc_check_up{name="held", tags="", unique_key="`+check.UniqueKey(c.ID)+`"} 1`) {
		t.Errorf("held: metrics do not show the check up:\n%s", m)
	}

	f.now = t0.Add(10 * time.Minute) // the hold ran out; the sweep has not run yet
	for _, v := range []string{"v1", "v2", "v3"} {
		if got := status(v); got != "down" {
			t.Errorf("hold over: %s status = %v, want down", v, got)
		}
	}
}
