package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// TestTerraformProviderSequence replays the requests of the Healthchecks Terraform provider's Go
// client (go-healthchecksio, Management API v1): create and update always send "channels" and
// "methods" as "", the check's ID is the last segment of update_url, and creates expect 201 or
// 200.
func TestTerraformProviderSequence(t *testing.T) {
	f := newAPIFixture(t)
	f.addChannel("Email Alice")
	hdr := []string{"X-Api-Key", keyA, "Content-Type", "application/json"}

	rec := f.do("POST", "/api/v1/checks/",
		`{"channels":"","desc":"nightly backup","grace":300,"name":"backup","tags":"prod db","timeout":86400,"methods":""}`, hdr...)
	if rec.Code != 201 {
		t.Fatalf("create = %d %s, want 201", rec.Code, rec.Body)
	}
	m := decode(t, rec)
	updateURL, _ := m["update_url"].(string)
	id := path.Base(updateURL)
	if !strings.HasPrefix(updateURL, "http://localhost:8000/api/v1/checks/") || id != m["uuid"] {
		t.Fatalf("update_url = %q, want .../api/v1/checks/<uuid> (uuid %v)", updateURL, m["uuid"])
	}
	// v1 makes the slug from the name.
	if m["slug"] != "backup" || m["channels"] != "" || m["methods"] != "" || m["timeout"] != 86400.0 {
		t.Errorf("created = %v", m)
	}

	// Update by POSTing to update_url, with a cron schedule.
	target := strings.TrimPrefix(updateURL, "http://localhost:8000")
	rec = f.do("POST", target,
		`{"channels":"","desc":"","grace":600,"name":"backup","schedule":"0 3 * * *","tags":"prod","tz":"Europe/Kiev","methods":""}`, hdr...)
	if rec.Code != 200 {
		t.Fatalf("update = %d %s, want 200", rec.Code, rec.Body)
	}
	m = decode(t, rec)
	if m["schedule"] != "0 3 * * *" || m["tz"] != "Europe/Kyiv" || m["grace"] != 600.0 || m["tags"] != "prod" {
		t.Errorf("updated = %v", m)
	}
	if _, ok := m["timeout"]; ok {
		t.Errorf("a cron check has a timeout key")
	}

	rec = f.do("POST", target+"/pause", "", hdr...)
	if m := decode(t, rec); rec.Code != 200 || m["status"] != "paused" {
		t.Errorf("pause = %d %v", rec.Code, m)
	}

	rec = f.do("GET", "/api/v1/checks/", "", hdr...)
	m = decode(t, rec)
	list, _ := m["checks"].([]any)
	if rec.Code != 200 || len(list) != 1 || list[0].(map[string]any)["update_url"] != updateURL {
		t.Errorf("list = %d %v", rec.Code, m)
	}
	rec = f.do("GET", "/api/v1/channels/", "", hdr...)
	if m := decode(t, rec); rec.Code != 200 || len(m["channels"].([]any)) != 1 {
		t.Errorf("channels = %d %v", rec.Code, m)
	}

	rec = f.do("DELETE", target, "", hdr...)
	if m := decode(t, rec); rec.Code != 200 || m["uuid"] != id {
		t.Errorf("delete = %d %v", rec.Code, m)
	}
	rec = f.do("GET", target, "", hdr...)
	wantResponse(t, rec, 404, notFoundPage)
	// Pings to a deleted check are unknown too.
	wantResponse(t, f.do("GET", "/ping/"+id, ""), 404, "not found")
}

// TestVersions covers what differs between /api/v1/, /api/v2/ and /api/v3/.
func TestVersions(t *testing.T) {
	t.Run("started", func(t *testing.T) {
		f := newAPIFixture(t)
		c := f.addCheckIn(f.project, "s", func(c *check.Check) { c.LastStart = t0.Add(-time.Minute) })
		for v, want := range map[string]string{"v1": "started", "v2": "new", "v3": "new"} {
			for _, p := range []string{"/checks/" + c.ID, "/checks/" + check.UniqueKey(c.ID)} {
				m := decode(t, f.api("GET", "/api/"+v+p, "", keyA))
				if m["status"] != want || m["started"] != true {
					t.Errorf("%s %s: status %v started %v, want %s and true", v, p, m["status"], m["started"], want)
				}
			}
			m := decode(t, f.api("GET", "/api/"+v+"/checks/", "", keyARO))
			if got := m["checks"].([]any)[0].(map[string]any)["status"]; got != want {
				t.Errorf("%s list: status %v, want %s", v, got, want)
			}
		}
		// A run past its grace time is down in every version.
		f.now = t0.Add(2 * time.Hour)
		if m := decode(t, f.api("GET", "/api/v1/checks/"+c.ID, "", keyA)); m["status"] != "down" {
			t.Errorf("v1 status of an overrun start = %v, want down", m["status"])
		}
	})
	t.Run("name and slug", func(t *testing.T) {
		f := newAPIFixture(t)
		tests := []struct {
			v, body, slug string
		}{
			{"v1", `{"name":"Database Backup!"}`, "database-backup"},
			{"v2", `{"name":"Café  --  Crème_brûlée "}`, "cafe-creme_brulee"},
			{"v1", `{"name":"Foo","slug":"bar"}`, "bar"},
			{"v3", `{"name":"Foo"}`, ""},
			{"v3", `{"name":"Foo","slug":"foo"}`, "foo"},
		}
		for _, tt := range tests {
			m := decode(t, f.api("POST", "/api/"+tt.v+"/checks/", tt.body, keyA))
			if m["slug"] != tt.slug {
				t.Errorf("%s create %s: slug %v, want %q", tt.v, tt.body, m["slug"], tt.slug)
			}
		}
		// Updating the name: v1 and v2 make a new slug, v3 keeps the old one.
		c := f.addCheckIn(f.project, "foo")
		m := decode(t, f.api("POST", "/api/v3/checks/"+c.ID, `{"name":"Bar"}`, keyA))
		if m["slug"] != "foo" {
			t.Errorf("v3 rename: slug %v, want foo", m["slug"])
		}
		m = decode(t, f.api("POST", "/api/v2/checks/"+c.ID, `{"name":"Bar"}`, keyA))
		if m["slug"] != "bar" {
			t.Errorf("v2 rename: slug %v, want bar", m["slug"])
		}
	})
	t.Run("urls", func(t *testing.T) {
		f := newAPIFixture(t)
		c := f.addCheckIn(f.project, "s")
		f.do("POST", "/ping/"+c.ID, "body")
		for _, v := range []string{"v1", "v2", "v3"} {
			m := decode(t, f.api("GET", "/api/"+v+"/checks/"+c.ID, "", keyA))
			if want := "http://localhost:8000/api/" + v + "/checks/" + c.ID; m["update_url"] != want {
				t.Errorf("%s update_url = %v, want %s", v, m["update_url"], want)
			}
			m = decode(t, f.api("GET", "/api/"+v+"/checks/"+c.ID+"/pings/", "", keyA))
			p := m["pings"].([]any)[0].(map[string]any)
			if want := "http://localhost:8000/api/" + v + "/checks/" + c.ID + "/pings/1/body"; p["body_url"] != want {
				t.Errorf("%s body_url = %v, want %s", v, p["body_url"], want)
			}
		}
	})
}

// TestUniqueUpsert covers "unique" on create: a match updates the oldest matching check (200);
// no match, an absent field or an empty list creates (201).
func TestUniqueUpsert(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		status int
		count  int // checks afterwards (2 before)
	}{
		{"by name", `{"name":"first","tags":"new","unique":["name"]}`, 200, 2},
		{"by slug", `{"slug":"first","tags":"new","unique":["slug"]}`, 200, 2},
		{"by tags", `{"tags":"prod db","desc":"x","unique":["tags"]}`, 200, 2},
		{"by timeout", `{"timeout":3600,"tags":"new","unique":["timeout"]}`, 200, 2},
		{"by grace", `{"grace":120,"tags":"new","unique":["grace"]}`, 200, 2},
		{"by name and tags", `{"name":"first","tags":"prod db","unique":["name","tags"]}`, 200, 2},
		{"name matches, tags do not", `{"name":"first","tags":"prod","unique":["name","tags"]}`, 201, 3},
		{"no match", `{"name":"third","unique":["name"]}`, 201, 3},
		{"unique field absent", `{"tags":"prod db","unique":["name"]}`, 201, 3},
		{"empty unique", `{"name":"first","unique":[]}`, 201, 3},
		{"v1 sets the slug from the name on the match", `{"name":"first","unique":["name"]}`, 200, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newAPIFixture(t)
			first := f.addCheckIn(f.project, "first", func(c *check.Check) {
				c.Tags, c.Timeout, c.Grace = "prod db", time.Hour, 2*time.Minute
			})
			f.addCheckIn(f.project, "second", func(c *check.Check) {
				c.Created = t0 // newer: the oldest match wins
				c.Tags, c.Timeout, c.Grace = "prod db", time.Hour, 2*time.Minute
			})
			rec := f.api("POST", "/api/v3/checks/", tt.body, keyA)
			if rec.Code != tt.status {
				t.Fatalf("status %d %s, want %d", rec.Code, rec.Body, tt.status)
			}
			if n := f.checkCount(f.project); n != tt.count {
				t.Errorf("%d checks, want %d", n, tt.count)
			}
			if tt.status == 200 {
				if m := decode(t, rec); m["uuid"] != first.ID {
					t.Errorf("updated %v, want the oldest match %s", m["uuid"], first.ID)
				}
			}
		})
	}
}

// TestKindSwitching covers how timeout and schedule change a check's kind.
func TestKindSwitching(t *testing.T) {
	f := newAPIFixture(t)
	c := f.addCheckIn(f.project, "c", func(c *check.Check) {
		c.Kind, c.Schedule, c.TZ = check.KindCron, "0 5 * * *", "Europe/Riga"
		c.Status, c.LastPing = check.StatusUp, t0
	})
	steps := []struct {
		body     string
		kind     check.Kind
		timeout  time.Duration
		schedule string
	}{
		{`{"timeout": 600}`, check.KindSimple, 10 * time.Minute, "0 5 * * *"},
		{`{"schedule": "12:34"}`, check.KindOnCalendar, 10 * time.Minute, "12:34"},
		{`{"schedule": "*/10 * * * *"}`, check.KindCron, 10 * time.Minute, "*/10 * * * *"},
		// With both, the schedule wins and the timeout is ignored.
		{`{"schedule": "0 6 * * *", "timeout": 3600}`, check.KindCron, 10 * time.Minute, "0 6 * * *"},
		{`{"timeout": 3600, "tz": "America/New_York"}`, check.KindSimple, time.Hour, "0 6 * * *"},
	}
	for _, st := range steps {
		rec := f.api("POST", "/api/v3/checks/"+c.ID, st.body, keyA)
		if rec.Code != 200 {
			t.Fatalf("%s: %d %s", st.body, rec.Code, rec.Body)
		}
		got := f.check(c.ID)
		if got.Kind != st.kind || got.Timeout != st.timeout || got.Schedule != st.schedule {
			t.Errorf("after %s: kind %s timeout %v schedule %q, want %s %v %q",
				st.body, got.Kind, got.Timeout, got.Schedule, st.kind, st.timeout, st.schedule)
		}
		// AlertAfter follows the new timing: up, last ping t0.
		sched, _ := scheduleFor(got)
		if want := got.GoingDownAfter(sched); !got.AlertAfter.Equal(want) || want.IsZero() {
			t.Errorf("after %s: AlertAfter %v, want %v", st.body, got.AlertAfter, want)
		}
	}
	// The timeout is validated even when the schedule wins.
	rec := f.api("POST", "/api/v3/checks/"+c.ID, `{"schedule": "0 6 * * *", "timeout": 10}`, keyA)
	wantError(t, rec, 400, "json validation error: timeout is too small")
	// next_ping follows the simple timeout.
	m := decode(t, f.api("GET", "/api/v3/checks/"+c.ID, "", keyA))
	if m["next_ping"] != "2026-11-24T21:18:26+00:00" {
		t.Errorf("next_ping = %v, want last ping + 1 h", m["next_ping"])
	}
}

// TestPauseResume covers the flips and fields of pause and resume.
func TestPauseResume(t *testing.T) {
	f := newAPIFixture(t)
	c := f.addCheckIn(f.project, "c", func(c *check.Check) {
		c.Status, c.LastPing, c.NPings = check.StatusUp, t0.Add(-time.Minute), 5
		c.LastStart = t0.Add(-10 * time.Second)
		c.AlertAfter = t0.Add(time.Hour)
	})
	base := "/api/v3/checks/" + c.ID

	// Resume of a check that is not paused: 409, nothing recorded.
	wantHTML(t, f.api("POST", base+"/resume", "", keyA), 409, "check is not paused")

	first := f.api("POST", base+"/pause", "", keyA)
	m := decode(t, first)
	if m["status"] != "paused" || m["started"] != false || m["next_ping"] != nil || m["last_ping"] != "2026-11-24T20:17:26+00:00" {
		t.Errorf("pause = %v", m)
	}
	f.now = t0.Add(time.Minute)
	second := f.api("POST", base+"/pause", "", keyA)
	wantResponse(t, second, 200, first.Body.String())
	flips := f.flips(c.ID)
	if len(flips) != 1 || flips[0].OldStatus != check.StatusUp || flips[0].NewStatus != check.StatusPaused || flips[0].Processed.IsZero() {
		t.Fatalf("flips after pausing twice = %+v, want one processed up→paused", flips)
	}
	if got := f.check(c.ID); !got.AlertAfter.IsZero() {
		t.Errorf("paused check has AlertAfter %v", got.AlertAfter)
	}

	m = decode(t, f.api("POST", base+"/resume", "", keyA))
	if m["status"] != "new" || m["last_ping"] != nil || m["next_ping"] != nil || m["n_pings"] != 5.0 {
		t.Errorf("resume = %v", m)
	}
	flips = f.flips(c.ID)
	if len(flips) != 2 || flips[1].NewStatus != check.StatusNew || flips[1].Processed.IsZero() {
		t.Errorf("flips after resume = %+v", flips)
	}
	// Both appear as up: 0 in the flips API.
	wantResponse(t, f.api("GET", base+"/flips/", "", keyA), 200,
		`{"flips": [{"timestamp": "2026-11-24T20:19:26+00:00", "up": 0}, {"timestamp": "2026-11-24T20:18:26+00:00", "up": 0}]}`)
	wantHTML(t, f.api("POST", base+"/resume", "", keyA), 409, "check is not paused")
	wantHTML(t, f.api("GET", base+"/resume", "", keyA), 405, "")
	wantHTML(t, f.api("POST", "/api/v3/checks/"+uuidOf(1)+"/pause", "", keyA), 404, notFoundPage)
}

func uuidOf(n int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n) }

// TestCheckValidation is the validation table of healthchecks-behaviour.md §4.6 and §8.3: exact
// messages, and nothing stored.
func TestCheckValidation(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	tests := []struct {
		body string
		msg  string // "" for accepted
	}{
		{`{"timeout": 0}`, "timeout is too small"},
		{`{"timeout": -5}`, "timeout is too small"},
		{`{"timeout": 60}`, ""},
		{`{"timeout": 31536000}`, ""},
		{`{"timeout": 2592000, "grace": 2592000}`, ""},
		{`{"timeout": 99999999999999999999999}`, "timeout is too large"},
		{`{"timeout": -99999999999999999999999}`, "timeout is too small"},
		{`{"timeout": "oops"}`, "timeout is not a number"},
		{`{"timeout": 60.0}`, "timeout is not a number"},
		{`{"timeout": 6e1}`, "timeout is not a number"},
		// Healthchecks takes a bool as an int (1 or 0) and says "too small"; the type is what is wrong.
		{`{"timeout": true}`, "timeout is not a number"},
		{`{"grace": false}`, "grace is not a number"},
		{`{"grace": [60]}`, "grace is not a number"},
		{`{"timeout": {"s": 60}}`, "timeout is not a number"},
		{`{"timeout": null}`, "timeout is not a number"},
		{`{"grace": null}`, "grace is not a number"},
		{`{"channels": null}`, "channels is not a string"},
		{`{"channels": 123}`, "channels is not a string"},
		{`{"schedule": null}`, "schedule is not a string"},
		{`{"subject": null}`, "subject is not a string"},
		{`{"subject_fail": null}`, "subject_fail is not a string"},
		{`{"unique": null}`, "unique is not an array"},
		{`{"methods": null}`, "methods has unexpected value"},
		{`{"methods": "post"}`, "methods has unexpected value"},
		{`{"methods": "POST"}`, ""},
		{`{"manual_resume": null}`, "manual_resume is not a boolean"},
		{`{"manual_resume": 1}`, "manual_resume is not a boolean"},
		{`{"filter_subject": "surprise"}`, "filter_subject is not a boolean"},
		{`{"filter_body": "surprise"}`, "filter_body is not a boolean"},
		{`{"filter_http_body": 0}`, "filter_http_body is not a boolean"},
		{`{"filter_default_fail": null}`, "filter_default_fail is not a boolean"},
		{`{"name": false}`, "name is not a string"},
		{`{"name": "` + long(101) + `"}`, "name is too long"},
		{`{"name": "` + strings.Repeat("é", 100) + `"}`, ""},
		{`{"desc": 123}`, "desc is not a string"},
		{`{"desc": true}`, "desc is not a string"},
		// Control characters: none in a name or tags; a description may have tabs and line breaks.
		{`{"name": "nul\u0000here"}`, "name contains a control character (U+0000 at character 4); remove it"},
		{`{"name": "two\nlines"}`, "name contains a control character (U+000A at character 4); remove it"},
		{`{"name": "bell\u0007"}`, "name contains a control character (U+0007 at character 5); remove it"},
		{`{"name": "c1\u0085"}`, "name contains a control character (U+0085 at character 3); remove it"},
		{`{"tags": "prod\tdb"}`, "tags contains a control character (U+0009 at character 5); remove it"},
		{`{"desc": "esc\u001b[2J"}`, "desc contains a control character (U+001B at character 4); only tab and line breaks are allowed"},
		{`{"desc": "nul\u0000"}`, "desc contains a control character (U+0000 at character 4); only tab and line breaks are allowed"},
		{`{"desc": "line one\r\n\tline two\n"}`, ""},
		{`{"name": "Backups \u2014 nightly"}`, ""},
		{`{"tags": ["a"]}`, "tags is not a string"},
		{`{"tags": "` + long(501) + `"}`, "tags is too long"},
		{`{"slug": "Uppercase"}`, "slug does not match pattern"},
		{`{"slug": "special!"}`, "slug does not match pattern"},
		{`{"slug": "look spaces"}`, "slug does not match pattern"},
		{`{"slug": "ok-slug_1"}`, ""},
		{`{"slug": ""}`, ""},
		{`{"slug": "` + long(101) + `"}`, "slug is too long"},
		{`{"schedule": "bad-expression"}`, "schedule is not a valid cron or OnCalendar expression"},
		// A wrong number of fields gets the one message Healthchecks gives every invalid
		// expression; six fields (cron with seconds, which overdue schedule accepts) included.
		{`{"schedule": "* * * *"}`, "schedule is not a valid cron or OnCalendar expression"},
		{`{"schedule": "* * * * * *"}`, "schedule is not a valid cron or OnCalendar expression"},
		{`{"schedule": "0 0 * * * * *"}`, "schedule is not a valid cron or OnCalendar expression"},
		{`{"schedule": "Mon *-*-* 12:00 extra"}`, "schedule is not a valid cron or OnCalendar expression"},
		{`{"schedule": ""}`, "schedule is not a valid cron or OnCalendar expression"},
		{`{"schedule": "0 0 31 2 *"}`, "schedule is not a valid cron or OnCalendar expression"},
		{`{"schedule": "1,2 61 * * *"}`, "schedule is not a valid cron or OnCalendar expression"},
		{`{"schedule": "12:34\nsurprise"}`, "schedule is not a valid cron or OnCalendar expression"},
		{`{"schedule": "12:34 Europe/surprise"}`, "schedule is not a valid cron or OnCalendar expression"},
		{`{"schedule": "1999-01-01"}`, "schedule is not a valid cron or OnCalendar expression"},
		{`{"schedule": "` + strings.Repeat("* ", 104) + `*"}`, "schedule is too long"},
		{`{"schedule": "12:34"}`, ""},
		{`{"schedule": "5 * * * *", "tz": "Europe/Riga", "grace": 60}`, ""},
		{`{"tz": "not-a-timezone"}`, "tz is not a valid timezone"},
		{`{"tz": "Local"}`, "tz is not a valid timezone"},
		{`{"tz": ""}`, "tz is not a valid timezone"},
		{`{"tz": 1}`, "tz is not a string"},
		{`{"unique": ["status"]}`, "an item in 'unique' has unexpected value"},
		{`{"unique": [1]}`, "an item in 'unique' has unexpected value"},
		{`{"unique": "not a list"}`, "unique is not an array"},
		{`{"start_kw": "` + long(201) + `"}`, "start_kw is too long"},
		{`{"success_kw": "` + long(201) + `"}`, "success_kw is too long"},
		{`{"failure_kw": "` + long(201) + `"}`, "failure_kw is too long"},
		{`{"subject": "` + long(201) + `"}`, "subject is too long"},
		{`{"subject_fail": "` + long(201) + `"}`, "subject_fail is too long"},
		{`{"subject": false}`, "subject is not a string"},
		// Only the first error is reported, in Healthchecks' field order.
		{`{"unique": 1, "timeout": 1, "name": 1, "channels": 1}`, "channels is not a string"},
		{`{"tz": "x", "timeout": 1}`, "timeout is too small"},
		{`{"timeout": 1, "grace": 1}`, "grace is too small"},
		{`{"schedule": "x", "name": 5}`, "name is not a string"},
		// Channels are checked after the schema.
		{`{"channels": "abc", "grace": 1}`, "grace is too small"},
		{`{"channels": ","}`, "empty channel identifier"},
		{`{"channels": "Twin"}`, "non-unique channel identifier: Twin"},
		{`{"channels": "Email Alice, "}`, "invalid channel identifier:  "},
		{`{"channels": "email alice"}`, "invalid channel identifier: email alice"},
		{`{"api_key": 5, "whatever": null}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			f := newAPIFixture(t)
			f.addChannel("Email Alice")
			f.addChannel("Twin")
			f.addChannel("Twin")
			rec := f.api("POST", "/api/v3/checks/", tt.body, keyA)
			if tt.msg == "" {
				if rec.Code != 201 {
					t.Errorf("= %d %s, want 201", rec.Code, rec.Body)
				}
				return
			}
			msg := tt.msg
			if !strings.HasPrefix(msg, "empty") && !strings.Contains(msg, "channel identifier") {
				msg = "json validation error: " + msg
			}
			wantError(t, rec, 400, msg)
			if n := f.checkCount(f.project); n != 0 {
				t.Errorf("a rejected create stored %d checks", n)
			}
		})
	}
}

// TestUpdateValidationChangesNothing: a rejected update leaves the check exactly as it was.
func TestUpdateValidationChangesNothing(t *testing.T) {
	f := newAPIFixture(t)
	c := f.addCheckIn(f.project, "c", func(c *check.Check) {
		c.Kind, c.Schedule, c.TZ = check.KindCron, "0 5 * * *", "UTC"
	})
	before := f.check(c.ID)
	for _, body := range []string{
		`{"channels":"abc","name":"New Name"}`,
		`{"channels":"` + uuidOf(7) + `","name":"New Name"}`,
		`{"schedule":"* invalid *","name":"New Name"}`,
		`{"schedule":"Surprise 12:34"}`,
		`{"timeout": 43200000}`,
		`{"desc": 123}`,
		`{"name": null}`,
		`{"name": "a\u0000b"}`,
		`{"tags": "a\u001bb"}`,
		`{"desc": "\u0000"}`,
		`{"grace": true}`,
	} {
		rec := f.api("POST", "/api/v3/checks/"+c.ID, body, keyA)
		if rec.Code != 400 {
			t.Errorf("update %s = %d, want 400", body, rec.Code)
		}
	}
	if after := f.check(c.ID); after.Name != before.Name || after.Schedule != before.Schedule ||
		after.Kind != before.Kind || after.Timeout != before.Timeout || after.Desc != before.Desc {
		t.Errorf("check changed: %+v, was %+v", after, before)
	}
	wantResponse(t, f.api("POST", "/api/v3/checks/"+c.ID, `{"timeout": 5184000}`, keyA), 200,
		f.api("GET", "/api/v3/checks/"+c.ID, "", keyA).Body.String())
}

// TestUpdateFields covers the effect of each field on update, including the deprecated
// subject/subject_fail and their interplay with filter_subject.
func TestUpdateFields(t *testing.T) {
	tests := []struct {
		name  string
		mod   func(*check.Check)
		body  string
		check func(*check.Check) bool
	}{
		{"methods set", nil, `{"methods":"POST"}`, func(c *check.Check) bool { return c.Methods == "POST" }},
		{"methods cleared", func(c *check.Check) { c.Methods = "POST" }, `{"methods":""}`, func(c *check.Check) bool { return c.Methods == "" }},
		{"methods unchanged", func(c *check.Check) { c.Methods = "POST" }, `{}`, func(c *check.Check) bool { return c.Methods == "POST" }},
		{"manual_resume on", nil, `{"manual_resume":true}`, func(c *check.Check) bool { return c.ManualResume }},
		{"manual_resume off", func(c *check.Check) { c.ManualResume = true }, `{"manual_resume":false}`, func(c *check.Check) bool { return !c.ManualResume }},
		{"subject sets success_kw and the filter", nil, `{"subject":"SUCCESS,COMPLETE"}`,
			func(c *check.Check) bool { return c.SuccessKw == "SUCCESS,COMPLETE" && c.FilterSubject }},
		{"subject_fail sets failure_kw and the filter", nil, `{"subject_fail":"ERROR"}`,
			func(c *check.Check) bool { return c.FailureKw == "ERROR" && c.FilterSubject }},
		{"empty subject unsets the filter", func(c *check.Check) { c.SuccessKw, c.FilterSubject = "SUCCESS", true }, `{"subject":""}`,
			func(c *check.Check) bool { return c.SuccessKw == "" && !c.FilterSubject }},
		{"filter_subject wins over subject", nil, `{"subject":"SUCCESS","filter_subject":false}`,
			func(c *check.Check) bool { return c.SuccessKw == "SUCCESS" && !c.FilterSubject }},
		{"success_kw wins over subject", nil, `{"subject":"A","success_kw":"B"}`,
			func(c *check.Check) bool { return c.SuccessKw == "B" && c.FilterSubject }},
		{"keywords and filters", nil,
			`{"start_kw":"go","success_kw":"ok","failure_kw":"bad","filter_subject":true,"filter_body":true,"filter_http_body":true,"filter_default_fail":true}`,
			func(c *check.Check) bool {
				return c.StartKw == "go" && c.SuccessKw == "ok" && c.FailureKw == "bad" && c.FilterSubject && c.FilterBody &&
					c.FilterHTTPBody && c.FilterDefaultFail
			}},
		{"legacy zones", nil, `{"tz":"UCT"}`, func(c *check.Check) bool { return c.TZ == "Etc/UTC" }},
		{"CET", nil, `{"tz":"CET"}`, func(c *check.Check) bool { return c.TZ == "Europe/Brussels" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newAPIFixture(t)
			var mods []func(*check.Check)
			if tt.mod != nil {
				mods = append(mods, tt.mod)
			}
			c := f.addCheckIn(f.project, "c", mods...)
			rec := f.api("POST", "/api/v3/checks/"+c.ID, tt.body, keyA)
			if rec.Code != 200 {
				t.Fatalf("= %d %s", rec.Code, rec.Body)
			}
			if got := f.check(c.ID); !tt.check(got) {
				t.Errorf("after %s: %+v", tt.body, got)
			}
		})
	}
}

// TestChannelAssignment covers the channels field on create and update.
func TestChannelAssignment(t *testing.T) {
	f := newAPIFixture(t)
	a := f.addChannel("alerts")
	b := f.addChannel("pager")
	looksLikeUUID := f.addChannel(uuidOf(42)) // a name that looks like an ID
	c := f.addCheckIn(f.project, "c")
	tests := []struct {
		body string
		want []string
	}{
		{`{"channels":"*"}`, []string{a.ID, b.ID, looksLikeUUID.ID}},
		{`{}`, []string{a.ID, b.ID, looksLikeUUID.ID}},
		{`{"channels":""}`, nil},
		{`{"channels":"` + a.ID + `"}`, []string{a.ID}},
		{`{"channels":"` + a.ID + `,` + a.ID + `"}`, []string{a.ID}},
		{`{"channels":"` + b.ID + `,alerts"}`, []string{b.ID, a.ID}},
		{`{"channels":"` + uuidOf(42) + `"}`, []string{looksLikeUUID.ID}},
	}
	for _, tt := range tests {
		rec := f.api("POST", "/api/v3/checks/"+c.ID, tt.body, keyA)
		if rec.Code != 200 {
			t.Fatalf("%s: %d %s", tt.body, rec.Code, rec.Body)
		}
		if got := f.check(c.ID).Channels; !sameSet(got, tt.want) {
			t.Errorf("after %s: channels %v, want %v", tt.body, got, tt.want)
		}
	}
	// A new check gets no channels unless asked, every channel with "*".
	m := decode(t, f.api("POST", "/api/v3/checks/", `{}`, keyA))
	if m["channels"] != "" {
		t.Errorf("new check channels = %v, want none", m["channels"])
	}
	m = decode(t, f.api("POST", "/api/v3/checks/", `{"channels":"*"}`, keyA))
	if got := f.check(m["uuid"].(string)).Channels; len(got) != 3 {
		t.Errorf("new check with * has channels %v, want all 3", got)
	}
}

// TestListFilters covers ?tag= and ?slug= on the checks list.
func TestListFilters(t *testing.T) {
	f := newAPIFixture(t)
	a1 := f.addCheckIn(f.project, "alice-1", func(c *check.Check) { c.Tags = "a1-tag a1-additional-tag" })
	a2 := f.addCheckIn(f.project, "alice-2", func(c *check.Check) { c.Tags = "a2-tag"; c.Created = t0 })
	e := &observedEnv{f: f, vars: map[string]string{"<A1>": a1.ID, "<A2>": a2.ID}}
	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{"<A1>", "<A2>"}},
		{"?slug=alice-1", []string{"<A1>"}},
		{"?slug=", []string{"<A1>", "<A2>"}},
		{"?tag=a2-tag", []string{"<A2>"}},
		{"?tag=a1-tag&tag=a1-additional-tag", []string{"<A1>"}},
		{"?tag=a1-tag&tag=a2-tag", nil},
		{"?tag=tag", nil},
		{"?tag=", nil},
		{"?tag=nonexistent", nil},
		{"?tag=a1-tag&slug=alice-2", nil},
	}
	for _, tt := range tests {
		m := decode(t, f.api("GET", "/api/v3/checks/"+tt.query, "", keyA))
		t.Run(tt.query, func(t *testing.T) { wantListed(t, e, m, tt.want...) })
	}
}

// TestPingsAndBodies covers the pings list and ping bodies beyond the observed rows.
func TestPingsAndBodies(t *testing.T) {
	f := newAPIFixture(t)
	c := f.addCheckIn(f.project, "c")
	base := "/api/v3/checks/" + c.ID
	rid := "2ad1a0fa-7a5c-4c6a-9b0e-3f1c2d4e5f60"
	f.do("GET", "/ping/"+c.ID+"/start?rid="+rid, "", "User-Agent", "foo-agent", "X-Forwarded-Proto", "https")
	f.now = t0.Add(2 * time.Minute)
	f.do("POST", "/ping/"+c.ID+"/3?rid="+rid, "\x01\x99 raw bytes")
	m := decode(t, f.api("GET", base+"/pings/", "", keyA))
	pings := m["pings"].([]any)
	if len(pings) != 2 {
		t.Fatalf("pings = %v", pings)
	}
	fail, start := pings[0].(map[string]any), pings[1].(map[string]any)
	if fail["type"] != "fail" || fail["rid"] != rid || fail["duration"] != 120.0 || fail["body_url"] == nil {
		t.Errorf("fail ping = %v", fail)
	}
	if start["type"] != "start" || start["scheme"] != "https" || start["ua"] != "foo-agent" || start["body_url"] != nil {
		t.Errorf("start ping = %v", start)
	}
	if _, ok := start["duration"]; ok {
		t.Errorf("start ping has a duration")
	}
	// The body comes back byte for byte.
	rec := f.api("GET", base+"/pings/2/body", "", keyA)
	wantResponse(t, rec, 200, "\x01\x99 raw bytes")
	if ct := rec.Header().Get("Content-Type"); ct != "text/plain" {
		t.Errorf("body Content-Type = %q, want text/plain", ct)
	}
	wantHTML(t, f.api("POST", base+"/pings/2/body", "", keyA), 405, "")
	wantHTML(t, f.api("POST", base+"/pings/", "", keyA), 405, "")
	wantHTML(t, f.api("GET", base+"/pings/x/body", "", keyA), 404, notFoundPage)
	wantHTML(t, f.api("GET", base+"/pings/0/body", "", keyA), 404, notFoundPage)

	// Only the newest 100 pings are served: with 101 pings, ping 1 is gone even if stored.
	err := func() error {
		_, err := f.store.UpdateCheck(context.Background(), c.ID, func(c *check.Check) (store.Change, error) {
			c.NPings = 102
			return store.Change{}, nil
		})
		return err
	}()
	if err != nil {
		t.Fatal(err)
	}
	wantHTML(t, f.api("GET", base+"/pings/2/body", "", keyA), 404, notFoundPage)
}

// TestFlipFilters covers ?start=, ?end= and ?seconds= on the flips list.
func TestFlipFilters(t *testing.T) {
	f := newAPIFixture(t)
	c := f.addCheckIn(f.project, "c")
	base := "/api/v3/checks/" + c.ID + "/flips/"
	// Flips at t0 (new→up) and t0+1h (up→down), listed at t0+2h.
	f.do("GET", "/ping/"+c.ID, "")
	f.now = t0.Add(time.Hour)
	f.do("GET", "/ping/"+c.ID+"/fail", "")
	f.now = t0.Add(2 * time.Hour)
	up := `{"timestamp": "2026-11-24T20:18:26+00:00", "up": 1}`
	down := `{"timestamp": "2026-11-24T21:18:26+00:00", "up": 0}`
	both := `{"flips": [` + down + `, ` + up + `]}`
	tests := []struct {
		query  string
		status int
		want   string
	}{
		{"", 200, both},
		{fmt.Sprintf("?start=%d", t0.Unix()+1), 200, `{"flips": [` + down + `]}`},
		{fmt.Sprintf("?start=%d", t0.Unix()), 200, both},
		{fmt.Sprintf("?end=%d", t0.Unix()+1), 200, `{"flips": [` + up + `]}`},
		{fmt.Sprintf("?end=%d", t0.Unix()), 200, `{"flips": []}`},
		{fmt.Sprintf("?start=%d&end=%d", t0.Unix()+1, t0.Unix()+3600), 200, `{"flips": []}`},
		{"?seconds=3600", 200, `{"flips": [` + down + `]}`},
		{"?seconds=0", 200, both},
		{"?start=0", 200, both},
		{"?start=", 200, both},
		{fmt.Sprintf("?start=%d.0", t0.Unix()+1), 200, `{"flips": [` + down + `]}`},
		{fmt.Sprintf("?start=+%d", t0.Unix()+1), 200, `{"flips": [` + down + `]}`},
		{fmt.Sprintf("?seconds=3600&start=%d", t0.Unix()), 200, `{"flips": [` + down + `]}`},
		{"?start=abc", 400, ""},
		{"?start=-123", 400, ""},
		{"?start=12345678901234567890", 400, ""},
		{"?start=10000000001", 400, ""},
		{"?end=1.5", 400, ""},
		{"?seconds=-1", 400, ""},
		{"?seconds=31536001", 400, ""},
		{"?seconds=%20", 400, ""},
	}
	for _, tt := range tests {
		rec := f.api("GET", base+tt.query, "", keyA)
		if rec.Code != tt.status || rec.Body.String() != tt.want {
			t.Errorf("flips%s = %d %s, want %d %s", tt.query, rec.Code, rec.Body, tt.status, tt.want)
		}
	}
	wantHTML(t, f.api("POST", base, "", keyA), 405, "")
}

// TestOptionsAndMethods covers CORS preflight and wrong methods on every endpoint.
func TestOptionsAndMethods(t *testing.T) {
	f := newAPIFixture(t)
	c := f.addCheckIn(f.project, "c")
	ch := f.addChannel("x")
	tests := []struct {
		path, cors, wrong string
	}{
		{"/api/v1/checks/", corsChecks, "PUT"},
		{"/api/v3/checks/" + c.ID, corsCheck, "PUT"},
		{"/api/v3/checks/" + check.UniqueKey(c.ID), corsGet, "POST"},
		{"/api/v3/checks/" + c.ID + "/pause", corsPost, "GET"},
		{"/api/v3/checks/" + c.ID + "/resume", corsPost, "GET"},
		{"/api/v3/checks/" + c.ID + "/pings/", corsGet, "POST"},
		{"/api/v3/checks/" + c.ID + "/pings/1/body", corsGet, "POST"},
		{"/api/v3/checks/" + c.ID + "/flips/", corsGet, "POST"},
		{"/api/v2/channels/", corsGet, "POST"},
		{"/api/v3/channels/", corsChannels, "DELETE"},
		{"/api/v3/channels/" + ch.ID, "OPTIONS, POST, DELETE", "GET"},
		{"/api/v3/checks/", corsChecks, "HEAD"},
	}
	for _, tt := range tests {
		rec := f.api("OPTIONS", tt.path, "", "")
		wantResponse(t, rec, 204, "")
		wantCORS(t, rec, tt.cors)
		rec = f.api(tt.wrong, tt.path, "", keyA)
		wantResponse(t, rec, 405, "")
		wantCORS(t, rec, tt.cors)
		if _, ok := rec.Header()["Allow"]; ok {
			t.Errorf("%s %s: 405 has an Allow header", tt.wrong, tt.path)
		}
	}
	// The status endpoint takes any method and no key.
	for _, m := range []string{"GET", "POST", "DELETE"} {
		wantHTML(t, f.api(m, "/api/v1/status/", "", ""), 200, "OK")
	}
}

// TestTrailingSlash covers Django's APPEND_SLASH redirect and exact paths.
func TestTrailingSlash(t *testing.T) {
	f := newAPIFixture(t)
	c := f.addCheckIn(f.project, "c")
	for _, tt := range []struct {
		path, location string
	}{
		{"/api/v3/checks", "/api/v3/checks/"},
		{"/api/v1/checks?tag=a&tag=b", "/api/v1/checks/?tag=a&tag=b"},
		{"/api/v2/channels", "/api/v2/channels/"},
		{"/api/v3/status", "/api/v3/status/"},
		{"/api/v3/checks/" + c.ID + "/pings", "/api/v3/checks/" + c.ID + "/pings/"},
		{"/api/v3/checks/" + check.UniqueKey(c.ID) + "/flips", "/api/v3/checks/" + check.UniqueKey(c.ID) + "/flips/"},
	} {
		rec := f.api("GET", tt.path, "", keyA)
		if rec.Code != http.StatusMovedPermanently || rec.Header().Get("Location") != tt.location {
			t.Errorf("GET %s = %d Location %q, want 301 %s", tt.path, rec.Code, rec.Header().Get("Location"), tt.location)
		}
	}
	for _, p := range []string{
		"/api/v3/checks/" + c.ID + "/",
		"/api/v3/checks/" + c.ID + "/pause/",
		"/api/v4/checks/",
		"/api/v4/checks",
		"/api/v3/checks/" + check.UniqueKey(c.ID) + "/pings/",
		"/api/v3/checks/not-a-uuid/pings",
		"/api/v3/nothing",
		"/api/v1/channels/" + uuidOf(1),
	} {
		wantHTML(t, f.api("GET", p, "", keyA), 404, notFoundPage)
	}
}

// TestRequestLimits covers the body cap and the check limit.
func TestRequestLimits(t *testing.T) {
	f := newAPIFixture(t, func(c *Config) { c.MaxChecksPerProject = 4 }) // API limit: 2
	big := `{"desc":"` + strings.Repeat("a", MaxAPIBody) + `"}`
	wantError(t, f.api("POST", "/api/v3/checks/", big, keyA), 413, "request body too large: send at most 65536 bytes")

	for i, want := range []int{201, 201, 403} {
		rec := f.api("POST", "/api/v3/checks/", fmt.Sprintf(`{"name":"c%d"}`, i), keyA)
		if rec.Code != want {
			t.Errorf("create %d = %d %s, want %d", i, rec.Code, rec.Body, want)
		}
		if want == 403 {
			wantHTML(t, rec, 403, "")
		}
	}
	// An upsert that matches is not limited.
	if rec := f.api("POST", "/api/v3/checks/", `{"name":"c0","unique":["name"]}`, keyA); rec.Code != 200 {
		t.Errorf("upsert at the limit = %d, want 200", rec.Code)
	}
}
