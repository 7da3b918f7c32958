package httpapi

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/overduehq/overdue/internal/check"
)

// CORS header values of the endpoints, as Access-Control-Allow-Methods.
const (
	corsChecks   = "OPTIONS, POST, GET"
	corsCheck    = "OPTIONS, GET, POST, DELETE"
	corsPost     = "OPTIONS, POST"
	corsGet      = "OPTIONS, GET"
	corsChannels = "OPTIONS, POST, GET" // v3 creates channels too (an Overdue extension)
	noCORS       = "none"
)

// observedEnv is the state every row of the observed table starts from, in project A: channel
// "Email Alice", check "simple" (timeout 60 s, grace 60 s, the channel assigned), cron check
// "cron" (*/5 * * * * in Europe/Riga) and the paused check "paused".
type observedEnv struct {
	f    *apiFixture
	vars map[string]string // placeholder → value, for paths and bodies
}

func newObservedEnv(t *testing.T) *observedEnv {
	f := newAPIFixture(t)
	ch := f.addChannel("Email Alice")
	s := f.addCheckIn(f.project, "simple", func(c *check.Check) {
		c.Timeout, c.Grace = time.Minute, time.Minute
		c.Channels = []string{ch.ID}
	})
	cron := f.addCheckIn(f.project, "cron", func(c *check.Check) {
		c.Kind, c.Schedule, c.TZ = check.KindCron, "*/5 * * * *", "Europe/Riga"
	})
	paused := f.addCheckIn(f.project, "paused", func(c *check.Check) {
		c.Status, c.NPings, c.LastPing = check.StatusPaused, 7, t0.Add(-time.Hour)
	})
	return &observedEnv{f: f, vars: map[string]string{
		"<S>": s.ID, "<C>": cron.ID, "<P>": paused.ID, "<CH>": ch.ID, "<U>": uuid.NewString(),
		"<KEY>": keyA,
	}}
}

func (e *observedEnv) expand(s string) string {
	for k, v := range e.vars {
		s = strings.ReplaceAll(s, k, v)
	}
	return s
}

// do serves a request whose path and body may hold placeholders.
func (e *observedEnv) do(method, path, body, key string) *httptest.ResponseRecorder {
	return e.f.api(method, e.expand(path), e.expand(body), key)
}

// observedRow is one row of healthchecks-observed.md §4 as a request against our handler.
type observedRow struct {
	name   string
	prep   func(e *observedEnv) // requests made before the one under test
	method string
	path   string
	body   string
	key    string
	status int
	// want is the exact response body (placeholders expanded) unless check is set.
	want string
	// ctype is the expected Content-Type: "" means application/json.
	ctype string
	// cors is the expected Access-Control-Allow-Methods, or noCORS for none at all.
	cors string
	// check inspects a JSON body instead of comparing it with want.
	check func(t *testing.T, e *observedEnv, m map[string]any, body []byte)
}

// TestObservedManagementAPI is the table of healthchecks-observed.md §4, one row per call, each
// asserting status, body, Content-Type and CORS headers.
func TestObservedManagementAPI(t *testing.T) {
	createdIn := func(kind check.Kind, fields map[string]any) func(*testing.T, *observedEnv, map[string]any, []byte) {
		return func(t *testing.T, e *observedEnv, m map[string]any, body []byte) {
			wantCheckKeys(t, body, checkKeys, kind)
			wantFields(t, e, m, fields)
		}
	}
	validation := func(name, body, msg string) observedRow {
		return observedRow{name: name, method: "POST", path: "/api/v3/checks/", body: body, key: keyA,
			status: 400, want: `{"error": "` + msg + `"}`, cors: corsChecks,
			check: nil}
	}
	rows := []observedRow{
		{name: "list without key", method: "GET", path: "/api/v3/checks/", status: 401,
			want: `{"error": "missing api key"}`, cors: corsChecks},
		{name: "list by slug", method: "GET", path: "/api/v3/checks/?slug=simple", key: keyA, status: 200, cors: corsChecks,
			check: func(t *testing.T, e *observedEnv, m map[string]any, _ []byte) {
				wantListed(t, e, m, "<S>")
			}},
		{name: "list by tag, none match", method: "GET", path: "/api/v3/checks/?tag=prod", key: keyA, status: 200,
			want: `{"checks": []}`, cors: corsChecks},
		{name: "get unknown uuid", method: "GET", path: "/api/v3/checks/<U>", key: keyA, status: 404,
			want: notFoundPage, ctype: htmlType, cors: noCORS},
		{name: "create", method: "POST", path: "/api/v3/checks/", key: keyA,
			body:   `{"name":"api-simple","tags":"prod www","timeout":3600,"grace":60,"channels":"*"}`,
			status: 201, cors: corsChecks,
			check: createdIn(check.KindSimple, map[string]any{"name": "api-simple", "slug": "", "tags": "prod www",
				"timeout": 3600.0, "grace": 60.0, "channels": "<CH>", "status": "new", "n_pings": 0.0,
				"last_ping": nil, "next_ping": nil})},
		{name: "create again with unique name updates",
			prep: func(e *observedEnv) {
				e.do("POST", "/api/v3/checks/", `{"name":"api-simple","tags":"prod www","timeout":3600,"grace":60,"channels":"*"}`, keyA)
			},
			method: "POST", path: "/api/v3/checks/", key: keyA,
			body:   `{"name":"api-simple","timeout":120,"unique":["name"]}`,
			status: 200, cors: corsChecks,
			check: func(t *testing.T, e *observedEnv, m map[string]any, body []byte) {
				wantFields(t, e, m, map[string]any{"name": "api-simple", "tags": "prod www", "timeout": 120.0})
				if n := e.f.checkCount(e.f.project); n != 4 {
					t.Errorf("project has %d checks, want 4 (3 + the upserted one)", n)
				}
			}},
		{name: "create cron", method: "POST", path: "/api/v3/checks/", key: keyA,
			body:   `{"name":"api-cron","slug":"api-cron","schedule":"0 5 * * *","tz":"America/New_York","grace":300}`,
			status: 201, cors: corsChecks,
			check: createdIn(check.KindCron, map[string]any{"name": "api-cron", "slug": "api-cron",
				"schedule": "0 5 * * *", "tz": "America/New_York", "grace": 300.0, "channels": ""})},
		{name: "create oncalendar", method: "POST", path: "/api/v3/checks/", key: keyA,
			body:   `{"name":"api-oncal","schedule":"Mon..Fri 09:00","tz":"UTC"}`,
			status: 201, cors: corsChecks,
			check: createdIn(check.KindOnCalendar, map[string]any{"name": "api-oncal",
				"schedule": "Mon..Fri 09:00", "tz": "UTC", "grace": 3600.0})},
		{name: "create with api_key in the body", method: "POST", path: "/api/v3/checks/",
			body: `{"api_key":"<KEY>"}`, status: 201, cors: corsChecks,
			check: createdIn(check.KindSimple, map[string]any{"timeout": 86400.0, "grace": 3600.0, "name": ""})},
		{name: "create with read-only key", method: "POST", path: "/api/v3/checks/", body: `{"name":"x"}`,
			key: keyARO, status: 401, want: `{"error": "wrong api key"}`, cors: corsChecks},
		validation("timeout 59", `{"timeout": 59}`, "json validation error: timeout is too small"),
		validation("timeout 31536001", `{"timeout": 31536001}`, "json validation error: timeout is too large"),
		validation("timeout string", `{"timeout": "60"}`, "json validation error: timeout is not a number"),
		validation("timeout float", `{"timeout": 60.5}`, "json validation error: timeout is not a number"),
		validation("grace 30", `{"grace": 30}`, "json validation error: grace is too small"),
		validation("name number", `{"name": 123}`, "json validation error: name is not a string"),
		validation("name null", `{"name": null}`, "json validation error: name is not a string"),
		validation("schedule 4 fields", `{"schedule": "* * * *"}`, "json validation error: schedule is not a valid cron or OnCalendar expression"),
		validation("tz unknown", `{"schedule": "* * * * *", "tz": "Mars/Olympus"}`, "json validation error: tz is not a valid timezone"),
		validation("methods GET", `{"methods": "GET"}`, "json validation error: methods has unexpected value"),
		validation("slug pattern", `{"slug": "Bad Slug"}`, "json validation error: slug does not match pattern"),
		validation("unique item", `{"unique": ["desc"]}`, "json validation error: an item in 'unique' has unexpected value"),
		validation("unique not array", `{"unique": "name"}`, "json validation error: unique is not an array"),
		validation("manual_resume string", `{"manual_resume": "yes"}`, "json validation error: manual_resume is not a boolean"),
		validation("unknown channel", `{"channels": "nonexistent"}`, "invalid channel identifier: nonexistent"),
		validation("not json", `not json`, "could not parse request body"),
		validation("array body", `[1,2]`, "json validation error: value is not an object"),
		{name: "unknown field ignored", method: "POST", path: "/api/v3/checks/", key: keyA,
			body: `{"name":"x","unknown_field":1}`, status: 201, cors: corsChecks,
			check: createdIn(check.KindSimple, map[string]any{"name": "x"})},
		{name: "PUT on the collection", method: "PUT", path: "/api/v3/checks/", key: keyA, status: 405,
			want: "", ctype: htmlType, cors: corsChecks},
		{name: "update", method: "POST", path: "/api/v3/checks/<S>", key: keyA,
			body:   `{"name":"renamed","desc":"d","tags":"a b","schedule":"0 5 * * *","tz":"Europe/Kiev","channels":""}`,
			status: 200, cors: corsCheck,
			check: func(t *testing.T, e *observedEnv, m map[string]any, body []byte) {
				wantCheckKeys(t, body, checkKeys, check.KindCron)
				// v3 keeps the slug; the legacy zone is stored under its current name.
				wantFields(t, e, m, map[string]any{"name": "renamed", "slug": "simple", "desc": "d", "tags": "a b",
					"schedule": "0 5 * * *", "tz": "Europe/Kyiv", "channels": ""})
				if c := e.f.check(e.vars["<S>"]); c.TZ != "Europe/Kyiv" || len(c.Channels) != 0 {
					t.Errorf("stored tz %q, channels %v; want Europe/Kyiv and none", c.TZ, c.Channels)
				}
			}},
		{name: "update cron with timeout switches to simple", method: "POST", path: "/api/v3/checks/<C>", key: keyA,
			body: `{"timeout": 600}`, status: 200, cors: corsCheck,
			check: createdIn(check.KindSimple, map[string]any{"timeout": 600.0, "name": "cron"})},
		{name: "update with empty object", method: "POST", path: "/api/v3/checks/<S>", key: keyA,
			body: `{}`, status: 200, cors: corsCheck,
			check: func(t *testing.T, e *observedEnv, m map[string]any, body []byte) {
				before := e.do("GET", "/api/v3/checks/<S>", "", keyA)
				if string(body) != before.Body.String() {
					t.Errorf("update {} = %s, want the unchanged check %s", body, before.Body)
				}
			}},
		{name: "update grace 10", method: "POST", path: "/api/v3/checks/<S>", key: keyA, body: `{"grace": 10}`,
			status: 400, want: `{"error": "json validation error: grace is too small"}`, cors: corsCheck},
		{name: "pause", method: "POST", path: "/api/v3/checks/<S>/pause", key: keyA, status: 200, cors: corsPost,
			check: createdIn(check.KindSimple, map[string]any{"status": "paused", "next_ping": nil})},
		{name: "pause again", prep: func(e *observedEnv) { e.do("POST", "/api/v3/checks/<S>/pause", "", keyA) },
			method: "POST", path: "/api/v3/checks/<S>/pause", key: keyA, status: 200, cors: corsPost,
			check: func(t *testing.T, e *observedEnv, m map[string]any, body []byte) {
				wantFields(t, e, m, map[string]any{"status": "paused", "next_ping": nil})
				if n := len(e.f.flips(e.vars["<S>"])); n != 1 {
					t.Errorf("%d flips after pausing twice, want 1", n)
				}
			}},
		{name: "GET pause", method: "GET", path: "/api/v3/checks/<S>/pause", key: keyA, status: 405,
			want: "", ctype: htmlType, cors: corsPost},
		{name: "ping a paused check", method: "GET", path: "/ping/<P>", status: 200, want: "OK", ctype: htmlType, cors: "-",
			check: nil},
		{name: "resume", method: "POST", path: "/api/v3/checks/<P>/resume", key: keyA, status: 200, cors: corsPost,
			check: createdIn(check.KindSimple, map[string]any{"status": "new", "last_ping": nil, "next_ping": nil,
				"n_pings": 7.0})},
		{name: "resume again", prep: func(e *observedEnv) { e.do("POST", "/api/v3/checks/<P>/resume", "", keyA) },
			method: "POST", path: "/api/v3/checks/<P>/resume", key: keyA, status: 409,
			want: "check is not paused", ctype: htmlType, cors: corsPost},
		{name: "pings", prep: pingSimple, method: "GET", path: "/api/v3/checks/<S>/pings/", key: keyA,
			status: 200, cors: corsGet, check: wantObservedPings},
		{name: "ping body", prep: pingSimple, method: "GET", path: "/api/v3/checks/<S>/pings/3/body", key: keyA,
			status: 200, want: "hello body", ctype: "text/plain", cors: corsGet},
		{name: "ping body of a ping without one", prep: pingSimple, method: "GET", path: "/api/v3/checks/<S>/pings/2/body",
			key: keyA, status: 404, want: notFoundPage, ctype: htmlType, cors: noCORS},
		{name: "ping body of a missing ping", prep: pingSimple, method: "GET", path: "/api/v3/checks/<S>/pings/9/body",
			key: keyA, status: 404, want: notFoundPage, ctype: htmlType, cors: noCORS},
		{name: "flips", prep: flipSimple, method: "GET", path: "/api/v3/checks/<S>/flips/", key: keyA, status: 200,
			want: `{"flips": [{"timestamp": "2026-11-24T20:10:55+00:00", "up": 0}, {"timestamp": "2026-11-24T20:08:55+00:00", "up": 1}]}`,
			cors: corsGet},
		{name: "flips ?seconds=3600", prep: flipSimple, method: "GET", path: "/api/v3/checks/<S>/flips/?seconds=3600", key: keyA,
			status: 200, want: `{"flips": [{"timestamp": "2026-11-24T20:10:55+00:00", "up": 0}, {"timestamp": "2026-11-24T20:08:55+00:00", "up": 1}]}`,
			cors: corsGet},
		{name: "flips ?seconds=0", prep: flipSimple, method: "GET", path: "/api/v3/checks/<S>/flips/?seconds=0", key: keyA,
			status: 200, want: `{"flips": [{"timestamp": "2026-11-24T20:10:55+00:00", "up": 0}, {"timestamp": "2026-11-24T20:08:55+00:00", "up": 1}]}`,
			cors: corsGet},
		{name: "flips ?start&end", prep: flipSimple, method: "GET", path: "/api/v3/checks/<S>/flips/?start=1700000000&end=1900000000",
			key: keyA, status: 200,
			want: `{"flips": [{"timestamp": "2026-11-24T20:10:55+00:00", "up": 0}, {"timestamp": "2026-11-24T20:08:55+00:00", "up": 1}]}`,
			cors: corsGet},
		{name: "flips ?start=abc", method: "GET", path: "/api/v3/checks/<S>/flips/?start=abc", key: keyA, status: 400,
			want: "", ctype: htmlType, cors: corsGet},
		{name: "channels", method: "GET", path: "/api/v3/channels/", key: keyA, status: 200,
			want: `{"channels": [{"id": "<CH>", "name": "Email Alice", "kind": "email"}]}`, cors: corsChannels},
		{name: "status", method: "GET", path: "/api/v3/status/", status: 200, want: "OK", ctype: htmlType, cors: noCORS},
		{name: "delete", method: "DELETE", path: "/api/v3/checks/<S>", key: keyA, status: 200, cors: corsCheck,
			check: func(t *testing.T, e *observedEnv, m map[string]any, body []byte) {
				wantCheckKeys(t, body, checkKeys, check.KindSimple)
				wantFields(t, e, m, map[string]any{"uuid": "<S>", "name": "simple", "channels": "<CH>"})
				if n := e.f.checkCount(e.f.project); n != 2 {
					t.Errorf("%d checks left, want 2", n)
				}
			}},
		{name: "delete again", prep: func(e *observedEnv) { e.do("DELETE", "/api/v3/checks/<S>", "", keyA) },
			method: "DELETE", path: "/api/v3/checks/<S>", key: keyA, status: 404, want: notFoundPage,
			ctype: htmlType, cors: noCORS},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			e := newObservedEnv(t)
			if row.prep != nil {
				row.prep(e)
			}
			before := e.f.checkCount(e.f.project)
			rec := e.do(row.method, row.path, row.body, row.key)
			if rec.Code != row.status {
				t.Fatalf("%s %s = %d %q, want %d", row.method, row.path, rec.Code, rec.Body.String(), row.status)
			}
			ctype := row.ctype
			if ctype == "" {
				ctype = "application/json"
			}
			if got := rec.Header().Get("Content-Type"); got != ctype {
				t.Errorf("Content-Type = %q, want %q", got, ctype)
			}
			switch row.cors {
			case "-":
			case noCORS:
				wantNoCORS(t, rec)
			default:
				wantCORS(t, rec, row.cors)
			}
			if _, ok := rec.Header()["Allow"]; ok {
				t.Errorf("response has an Allow header, want none")
			}
			if row.check != nil {
				var m map[string]any
				if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
					t.Fatalf("body %q is not a JSON object: %v", rec.Body.String(), err)
				}
				row.check(t, e, m, rec.Body.Bytes())
			} else if want := e.expand(row.want); rec.Body.String() != want {
				t.Errorf("body = %q, want %q", rec.Body.String(), want)
			}
			// Nothing invalid is ever stored: a rejected create leaves the project as it was.
			if rec.Code >= 400 && row.method == "POST" && e.f.checkCount(e.f.project) != before {
				t.Errorf("a rejected request changed the number of checks")
			}
		})
	}

	// The paused check answers the ping and is up afterwards.
	e := newObservedEnv(t)
	e.do("GET", "/ping/<P>", "", "")
	m := decode(t, e.do("GET", "/api/v3/checks/<P>", "", keyA))
	if m["status"] != "up" {
		t.Errorf("status after pinging a paused check = %v, want up", m["status"])
	}
}

// wantFields fails the test unless the JSON object m has every field of want (placeholders
// expanded in string values).
func wantFields(t *testing.T, e *observedEnv, m map[string]any, want map[string]any) {
	t.Helper()
	for k, v := range want {
		if s, ok := v.(string); ok {
			v = e.expand(s)
		}
		got, ok := m[k]
		if !ok {
			t.Errorf("key %q missing", k)
			continue
		}
		if got != v {
			t.Errorf("%s = %#v, want %#v", k, got, v)
		}
	}
}

// wantListed fails the test unless m is a checks list of exactly the checks named.
func wantListed(t *testing.T, e *observedEnv, m map[string]any, ids ...string) {
	t.Helper()
	list, ok := m["checks"].([]any)
	if !ok {
		t.Fatalf("no checks list in %v", m)
	}
	var got []string
	for _, c := range list {
		got = append(got, c.(map[string]any)["uuid"].(string))
	}
	var want []string
	for _, id := range ids {
		want = append(want, e.expand(id))
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("listed %v, want %v", got, want)
	}
}

// pingSimple sends check "simple" a success at t0, a start a minute later and a success with the
// body "hello body" 90.5 s after that, through the ping API.
func pingSimple(e *observedEnv) {
	e.f.now = t0
	e.do("GET", "/ping/<S>", "", "")
	e.f.now = t0.Add(time.Minute)
	e.do("GET", "/ping/<S>/start", "", "")
	e.f.now = t0.Add(time.Minute + 90*time.Second + 500*time.Millisecond + 123*time.Microsecond)
	e.do("POST", "/ping/<S>", "hello body", "")
}

func wantObservedPings(t *testing.T, e *observedEnv, m map[string]any, body []byte) {
	want := `{"pings": [` +
		`{"type": "success", "date": "2026-11-24T20:20:56.500123+00:00", "n": 3, "scheme": "http", ` +
		`"remote_addr": "192.0.2.10", "method": "POST", "ua": "", "rid": null, ` +
		`"body_url": "http://localhost:8000/api/v3/checks/<S>/pings/3/body", "duration": 90.5}, ` +
		`{"type": "start", "date": "2026-11-24T20:19:26+00:00", "n": 2, "scheme": "http", ` +
		`"remote_addr": "192.0.2.10", "method": "GET", "ua": "", "rid": null, "body_url": null}, ` +
		`{"type": "success", "date": "2026-11-24T20:18:26+00:00", "n": 1, "scheme": "http", ` +
		`"remote_addr": "192.0.2.10", "method": "GET", "ua": "", "rid": null, "body_url": null}]}`
	if got := string(body); got != e.expand(want) {
		t.Errorf("pings =\n%s\nwant\n%s", got, e.expand(want))
	}
}

// flipSimple gives check "simple" the observed history: up at 20:08:55, paused at 20:10:55.
func flipSimple(e *observedEnv) {
	e.f.now = time.Date(2026, 11, 24, 20, 8, 55, 300000, time.UTC)
	e.do("GET", "/ping/<S>", "", "")
	e.f.now = time.Date(2026, 11, 24, 20, 10, 55, 0, time.UTC)
	e.do("POST", "/api/v3/checks/<S>/pause", "", keyA)
	e.f.now = t0
}
