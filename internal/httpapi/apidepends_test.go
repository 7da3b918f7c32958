package httpapi

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// TestDependenciesAPI: depends_on is set over v3 with every parent checked (same project, no
// cycle); a failing child of a down parent is recorded silently, and v3 says why; deleting the
// parent drops it from the child.
func TestDependenciesAPI(t *testing.T) {
	f := newAPIFixture(t)
	up := func(c *check.Check) { c.Status, c.LastPing = check.StatusUp, t0 }
	db := f.addCheckIn(f.project, "db", up, func(c *check.Check) { c.Name = "db" })
	theirs := f.addCheckIn(f.b, "theirs")

	rec := f.api("POST", "/api/v3/checks/", `{"name": "backup", "timeout": 3600, "depends_on": ["`+strings.ToUpper(db.ID)+`", "`+db.ID+`"]}`, keyA)
	if rec.Code != 201 {
		t.Fatalf("create = %d %s", rec.Code, rec.Body)
	}
	m := decode(t, rec)
	child := m["uuid"].(string)
	if deps, _ := m["depends_on"].([]any); len(deps) != 1 || deps[0] != db.ID {
		t.Errorf("created depends_on = %v, want [%s] (lowercased, once)", m["depends_on"], db.ID)
	}
	if got := f.check(child).DependsOn; len(got) != 1 || got[0] != db.ID {
		t.Errorf("stored DependsOn = %v", got)
	}
	// Make the child up, so that a failure flips it.
	wantResponse(t, f.do("GET", "/ping/"+child, ""), 200, "OK")

	for _, tt := range []struct{ id, body, msg string }{
		{child, `{"depends_on": ["` + child + `"]}`, "depends_on: a check cannot depend on itself"},
		{db.ID, `{"depends_on": ["` + child + `"]}`, `depends_on would close a cycle: "db" depends on "backup", which depends on "db"; leave one of these dependencies out`},
		{child, `{"depends_on": ["` + theirs.ID + `"]}`, "depends_on: " + theirs.ID + " is not a check of this project"},
		{child, `{"depends_on": ["00000000-0000-4000-8000-000000000000"]}`, "depends_on: 00000000-0000-4000-8000-000000000000 is not a check of this project"},
		{child, `{"depends_on": ["db"]}`, `json validation error: depends_on has "db", which is not a check UUID`},
		{child, `{"depends_on": "` + db.ID + `"}`, "json validation error: depends_on must be a list of check UUIDs, or null for none"},
	} {
		wantError(t, f.api("POST", "/api/v3/checks/"+tt.id, tt.body, keyA), 400, tt.msg)
	}
	if got := f.check(db.ID).DependsOn; got != nil {
		t.Errorf("a refused update stored db's DependsOn = %v", got)
	}

	// db down, then the child fails: its down is recorded, silent, and noted.
	f.now = t0.Add(time.Minute)
	wantResponse(t, f.do("GET", "/ping/"+db.ID+"/fail", ""), 200, "OK")
	f.now = t0.Add(2 * time.Minute)
	wantResponse(t, f.do("GET", "/ping/"+child+"/fail", ""), 200, "OK")
	fs := f.flips(child)
	if last := fs[len(fs)-1]; last.NewStatus != check.StatusDown || last.Processed.IsZero() || last.Note != "held: db is down" {
		t.Fatalf("child's last flip = %+v, want a processed down noted", last)
	}
	if m := decode(t, f.api("GET", "/api/v3/checks/"+child, "", keyA)); m["held"] != "held: db is down" || m["status"] != "down" {
		t.Errorf("v3 child = %v, want down and held", m)
	}
	if m := decode(t, f.api("GET", "/api/v3/checks/"+child+"/flips/", "", keyA)); !strings.Contains(mustJSON(t, m), `"note":"held: db is down"`) {
		t.Errorf("v3 flips = %v, want the note", m)
	}
	for _, v := range []string{"v1", "v2"} {
		body := f.api("GET", "/api/"+v+"/checks/"+child+"/flips/", "", keyA).Body.String()
		if strings.Contains(body, "note") {
			t.Errorf("%s flips = %s, want no note", v, body)
		}
		body = f.api("GET", "/api/"+v+"/checks/"+child, "", keyA).Body.String()
		if strings.Contains(body, "depends_on") || strings.Contains(body, "held") {
			t.Errorf("%s check = %s, want Healthchecks' object", v, body)
		}
	}
	// The read-only view names the parent by its unique key.
	if m := decode(t, f.api("GET", "/api/v3/checks/", "", keyARO)); !strings.Contains(mustJSON(t, m), `"depends_on":["`+check.UniqueKey(db.ID)+`"]`) {
		t.Errorf("read-only list = %v, want depends_on by unique key", m)
	}

	// Deleting db drops it from the child; null clears a list too.
	if rec := f.api("DELETE", "/api/v3/checks/"+db.ID, "", keyA); rec.Code != 200 {
		t.Fatalf("delete db = %d %s", rec.Code, rec.Body)
	}
	if m := decode(t, f.api("GET", "/api/v3/checks/"+child, "", keyA)); m["depends_on"] != nil {
		t.Errorf("child after db's deletion = %v, want no depends_on", m)
	}
	other := f.addCheckIn(f.project, "other")
	f.api("POST", "/api/v3/checks/"+child, `{"depends_on": ["`+other.ID+`"]}`, keyA)
	if m := decode(t, f.api("POST", "/api/v3/checks/"+child, `{"depends_on": null}`, keyA)); m["depends_on"] != nil || f.check(child).DependsOn != nil {
		t.Errorf("depends_on null = %v, want none", m)
	}
}

// TestRateAndFlappingAPI: failure_rate and flapping are set, shown and turned off over v3, and
// refused with a reason when malformed or, for the rate, together with failure_tolerance.
func TestRateAndFlappingAPI(t *testing.T) {
	f := newAPIFixture(t)
	rec := f.api("POST", "/api/v3/checks/", `{"name": "job", "failure_rate": {"failures": 3, "minutes": 10}, "flapping": {"changes": 4, "minutes": 60}}`, keyA)
	if rec.Code != 201 {
		t.Fatalf("create = %d %s", rec.Code, rec.Body)
	}
	body := rec.Body.String()
	for _, want := range []string{`"failure_rate": {"failures": 3, "minutes": 10}`, `"flapping": {"changes": 4, "minutes": 60}`} {
		if !strings.Contains(body, want) {
			t.Errorf("created = %s, want %s", body, want)
		}
	}
	id := decode(t, rec)["uuid"].(string)
	if c := f.check(id); c.FailureRate != (check.FailureRate{Failures: 3, Window: 10 * time.Minute}) || c.Flap != (check.FlapRule{Changes: 4, Window: time.Hour}) {
		t.Errorf("stored %+v %+v", c.FailureRate, c.Flap)
	}
	for _, tt := range []struct{ body, msg string }{
		{`{"failure_tolerance": 2}`, "json validation error: failure_rate and failure_tolerance exclude each other (set one: failure_tolerance counts failures in a row, failure_rate failures within minutes; 0 (or null) turns the other off)"},
		{`{"failure_rate": {"failures": 3}}`, `json validation error: failure_rate needs "failures" and "minutes"`},
		{`{"failure_rate": {"failures": 0, "minutes": 10}}`, "json validation error: failure_rate has failures out of range (1 to 100; null turns the rule off)"},
		{`{"failure_rate": {"failures": 3, "minutes": 10081}}`, "json validation error: failure_rate has minutes out of range (1 to 10080, a week; null turns the rule off)"},
		{`{"failure_rate": {"failures": 3, "minutes": 10, "seconds": 1}}`, `json validation error: failure_rate has an unknown member "seconds": only "failures" and "minutes"`},
		{`{"flapping": {"changes": "4", "minutes": 10}}`, "json validation error: flapping has changes that is not a number"},
		{`{"flapping": 4}`, `json validation error: flapping must be an object {"changes": N, "minutes": M}, or null for off`},
	} {
		wantError(t, f.api("POST", "/api/v3/checks/"+id, tt.body, keyA), 400, tt.msg)
	}
	// Both off with null; the tolerance is then accepted.
	m := decode(t, f.api("POST", "/api/v3/checks/"+id, `{"failure_rate": null, "flapping": null, "failure_tolerance": 2}`, keyA))
	if m["failure_rate"] != nil || m["flapping"] != nil || m["failure_tolerance"] != 2.0 {
		t.Errorf("after null = %v", m)
	}
	if c := f.check(id); c.FailureRate.On() || c.Flap.On() {
		t.Errorf("stored after null: %+v %+v", c.FailureRate, c.Flap)
	}
}

// conflictingStore answers every UpdateDependencies with store.ErrConflict, as DynamoDB's does
// once other updates of the project's dependencies kept coming first.
type conflictingStore struct{ store.Store }

func (conflictingStore) UpdateDependencies(context.Context, string, func(*check.Check, store.Graph) (store.Change, error)) (*check.Check, error) {
	return nil, fmt.Errorf("update check: lost too often: %w", store.ErrConflict)
}

// TestDependenciesRaceAnswer: an update of depends_on that the store gave up on after too many
// lost races answers 409 with what to do; an update that leaves depends_on alone, or removes
// it, does not go through UpdateDependencies.
func TestDependenciesRaceAnswer(t *testing.T) {
	f := newAPIFixture(t, func(c *Config) { c.Store = conflictingStore{c.Store} })
	a, b := f.addCheckIn(f.project, "a"), f.addCheckIn(f.project, "b")
	wantError(t, f.api("POST", "/api/v3/checks/"+a.ID, `{"depends_on": ["`+b.ID+`"]}`, keyA), 409,
		"depends_on: other changes to this project's dependencies came in at the same time; send the update again")
	for _, body := range []string{`{"name": "renamed"}`, `{"depends_on": []}`, `{"depends_on": null}`} {
		if rec := f.api("POST", "/api/v3/checks/"+a.ID, body, keyA); rec.Code != 200 {
			t.Errorf("update %s = %d %s, want 200", body, rec.Code, rec.Body)
		}
	}
}
