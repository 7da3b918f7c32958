package httpapi

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// TestAPIAuth covers where keys come from and which keys each endpoint takes
// (healthchecks-behaviour.md §4.2, §8.2).
func TestAPIAuth(t *testing.T) {
	f := newAPIFixture(t)
	c := f.addCheckIn(f.project, "simple")
	ch := f.addChannel("Email Alice")
	f.do("POST", "/ping/"+c.ID, "body") // ping 1, with a body
	base := "/api/v3/checks/" + c.ID
	tests := []struct {
		name    string
		method  string
		path    string
		body    string
		headers []string
		status  int
		want    string // the exact JSON error; "" when status is a success
	}{
		{"no key", "GET", "/api/v3/checks/", "", nil, 401, "missing api key"},
		{"empty header", "GET", "/api/v3/checks/", "", []string{"X-Api-Key", ""}, 401, "missing api key"},
		{"short key", "GET", "/api/v3/checks/", "", []string{"X-Api-Key", keyA[:31]}, 401, "missing api key"},
		{"long key", "GET", "/api/v3/checks/", "", []string{"X-Api-Key", keyA + "a"}, 401, "missing api key"},
		{"wrong 32-character key", "GET", "/api/v3/checks/", "", []string{"X-Api-Key", keyWrong}, 401, "wrong api key"},
		{"32 characters, more bytes", "GET", "/api/v3/checks/", "", []string{"X-Api-Key", "hcw_" + strings.Repeat("é", 28)}, 401, "wrong api key"},
		{"read-write key lists", "GET", "/api/v3/checks/", "", []string{"X-Api-Key", keyA}, 200, ""},
		{"read-only key lists", "GET", "/api/v3/checks/", "", []string{"X-Api-Key", keyARO}, 200, ""},
		{"read-only key gets", "GET", base, "", []string{"X-Api-Key", keyARO}, 200, ""},
		{"read-only key lists flips", "GET", base + "/flips/", "", []string{"X-Api-Key", keyARO}, 200, ""},
		{"read-only key lists pings", "GET", base + "/pings/", "", []string{"X-Api-Key", keyARO}, 401, "wrong api key"},
		{"read-only key reads a ping body", "GET", base + "/pings/1/body", "", []string{"X-Api-Key", keyARO}, 401, "wrong api key"},
		{"read-only key lists channels", "GET", "/api/v3/channels/", "", []string{"X-Api-Key", keyARO}, 401, "wrong api key"},
		{"read-only key creates", "POST", "/api/v3/checks/", `{}`, []string{"X-Api-Key", keyARO}, 401, "wrong api key"},
		{"read-only key updates", "POST", base, `{}`, []string{"X-Api-Key", keyARO}, 401, "wrong api key"},
		{"read-only key deletes", "DELETE", base, "", []string{"X-Api-Key", keyARO}, 401, "wrong api key"},
		{"read-only key pauses", "POST", base + "/pause", "", []string{"X-Api-Key", keyARO}, 401, "wrong api key"},
		{"read-only key resumes", "POST", base + "/resume", "", []string{"X-Api-Key", keyARO}, 401, "wrong api key"},
		{"read-only key creates a channel", "POST", "/api/v3/channels/", `{"kind":"email","value":"a@example.org"}`,
			[]string{"X-Api-Key", keyARO}, 401, "wrong api key"},
		{"read-only key deletes a channel", "DELETE", "/api/v3/channels/" + ch.ID, "", []string{"X-Api-Key", keyARO}, 401, "wrong api key"},
		{"read-only key in the body", "POST", "/api/v3/checks/", `{"api_key":"` + keyARO + `"}`, nil, 401, "wrong api key"},
		{"key in the body of an update", "POST", base, `{"api_key":"` + keyA + `","desc":"x"}`, nil, 200, ""},
		{"key in the body of a pause", "POST", base + "/pause", `{"api_key":"` + keyA + `"}`, nil, 200, ""},
		{"a header, even empty, wins over the body", "POST", "/api/v3/checks/", `{"api_key":"` + keyA + `"}`,
			[]string{"X-Api-Key", ""}, 401, "missing api key"},
		{"api_key that is not a string", "POST", "/api/v3/checks/", `{"api_key": 12345678901234567890123456789012}`, nil, 401, "wrong api key"},
		{"no key in the body of a GET", "GET", "/api/v3/checks/", `{"api_key":"` + keyA + `"}`, nil, 401, "missing api key"},
		{"no key in the body of a DELETE", "DELETE", base, `{"api_key":"` + keyA + `"}`, nil, 401, "missing api key"},
		{"empty POST body, no key", "POST", "/api/v3/checks/", "", nil, 401, "missing api key"},
		// The body is parsed before the key is looked at (test_it_handles_invalid_json).
		{"bad JSON, no key", "POST", "/api/v3/checks/", "this is not json", nil, 400, "could not parse request body"},
		{"bad JSON with a key", "POST", "/api/v3/checks/", "this is not json", []string{"X-Api-Key", keyA}, 400, "could not parse request body"},
		{"non-object, no key", "POST", "/api/v3/checks/", "[1,2,3]", nil, 400, "json validation error: value is not an object"},
		{"pause with a non-object body", "POST", base + "/pause", "123", []string{"X-Api-Key", keyA}, 400, "json validation error: value is not an object"},
		{"resume with invalid UTF-8", "POST", base + "/resume", "{\"a\":\"\xff\"}", []string{"X-Api-Key", keyA}, 400, "could not parse request body"},
		{"null body", "POST", "/api/v3/checks/", "null", []string{"X-Api-Key", keyA}, 400, "json validation error: value is not an object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := f.do(tt.method, tt.path, tt.body, tt.headers...)
			if tt.want != "" {
				wantError(t, rec, tt.status, tt.want)
				return
			}
			if rec.Code != tt.status {
				t.Errorf("%s %s = %d %q, want %d", tt.method, tt.path, rec.Code, rec.Body.String(), tt.status)
			}
		})
	}
	// Keys never reach the log.
	for _, key := range []string{keyA, keyARO, keyWrong, check.HashKey(keyA)} {
		if strings.Contains(f.logs.String(), key) {
			t.Errorf("the log contains a key or its hash")
		}
	}
}

// TestReadOnlyViews covers what a read-only key sees: unique_key instead of the UUID, the URLs
// and the channels, in lists, single checks and by unique key.
func TestReadOnlyViews(t *testing.T) {
	f := newAPIFixture(t)
	ch := f.addChannel("Email Alice")
	c := f.addCheckIn(f.project, "simple", func(c *check.Check) { c.Channels = []string{ch.ID} })
	cron := f.addCheckIn(f.project, "cron", func(c *check.Check) {
		c.Kind, c.Schedule, c.TZ = check.KindCron, "0 5 * * *", "UTC"
	})
	key := check.UniqueKey(c.ID)

	rec := f.api("GET", "/api/v3/checks/", "", keyARO)
	if rec.Code != 200 {
		t.Fatalf("list = %d", rec.Code)
	}
	body := rec.Body.String()
	for _, secret := range []string{c.ID, cron.ID, ch.ID, `"uuid"`, `"ping_url"`, `"update_url"`, `"pause_url"`, `"resume_url"`, `"channels": "`} {
		if strings.Contains(body, secret) {
			t.Errorf("read-only list contains %q", secret)
		}
	}
	if !strings.Contains(body, `"unique_key": "`+key+`"`) || !strings.Contains(body, check.UniqueKey(cron.ID)) {
		t.Errorf("read-only list lacks the unique keys: %s", body)
	}

	for _, tt := range []struct {
		name, path, key string
		keys            []string
		cors            string
	}{
		{"by uuid, read-only", "/api/v3/checks/" + c.ID, keyARO, readOnlyCheckKeys, corsCheck},
		{"by unique key, read-only", "/api/v3/checks/" + key, keyARO, readOnlyCheckKeys, corsGet},
		{"by unique key, read-write: full view", "/api/v1/checks/" + key, keyA, checkKeys, corsGet},
	} {
		rec := f.api("GET", tt.path, "", tt.key)
		if rec.Code != 200 {
			t.Errorf("%s: %d %q", tt.name, rec.Code, rec.Body.String())
			continue
		}
		wantCheckKeys(t, rec.Body.Bytes(), tt.keys, check.KindSimple)
		wantCORS(t, rec, tt.cors)
	}
	// The cron check's read-only view has schedule and tz after unique_key.
	rec = f.api("GET", "/api/v3/checks/"+check.UniqueKey(cron.ID), "", keyARO)
	wantCheckKeys(t, rec.Body.Bytes(), readOnlyCheckKeys, check.KindCron)

	// By unique key: GET only; an unknown key is an empty 404 that keeps its CORS headers.
	rec = f.api("POST", "/api/v3/checks/"+key, "{}", keyA)
	wantResponse(t, rec, 405, "")
	rec = f.api("GET", "/api/v3/checks/"+strings.Repeat("0", 40), "", keyA)
	wantHTML(t, rec, 404, "")
	wantCORS(t, rec, corsGet)
	rec = f.api("GET", "/api/v3/checks/"+strings.Repeat("0", 40)+"/flips/", "", keyA)
	wantHTML(t, rec, 404, "")
	rec = f.api("GET", "/api/v3/checks/"+key+"/flips/", "", keyARO)
	wantResponse(t, rec, 200, `{"flips": []}`)
	// Not a UUID nor a unique key: an unknown URL.
	rec = f.api("GET", "/api/v3/checks/"+strings.ToUpper(c.ID), "", keyA)
	wantHTML(t, rec, 404, notFoundPage)
	wantNoCORS(t, rec)
}

// TestProjectIsolation proves that project B's keys never see or change project A's checks and
// channels: every attempt is a 404 (Healthchecks says 403 for a UUID of another project; we do
// not confirm that it exists), and nothing changes.
func TestProjectIsolation(t *testing.T) {
	f := newAPIFixture(t)
	chA := f.addChannel("Email Alice")
	a := f.addCheckIn(f.project, "a", func(c *check.Check) {
		c.Channels = []string{chA.ID}
		c.Status = check.StatusPaused
	})
	f.do("POST", "/ping/"+a.ID+"/log", "secret body")
	b := f.addCheckIn(f.b, "b")
	base := "/api/v3/checks/" + a.ID
	before := f.api("GET", base, "", keyA).Body.String()

	for _, tt := range []struct {
		method, path, body, key string
	}{
		{"GET", base, "", keyB},
		{"GET", base, "", keyBRO},
		{"POST", base, `{"name":"hijacked"}`, keyB},
		{"DELETE", base, "", keyB},
		{"POST", base + "/pause", "", keyB},
		{"POST", base + "/resume", "", keyB},
		{"GET", base + "/pings/", "", keyB},
		{"GET", base + "/pings/1/body", "", keyB},
		{"GET", base + "/flips/", "", keyB},
		{"GET", base + "/flips/", "", keyBRO},
		{"DELETE", "/api/v3/channels/" + chA.ID, "", keyB},
	} {
		rec := f.api(tt.method, tt.path, tt.body, tt.key)
		wantResponse(t, rec, 404, notFoundPage)
	}
	// By unique key the lookup only searches the key's project.
	rec := f.api("GET", "/api/v3/checks/"+check.UniqueKey(a.ID), "", keyBRO)
	wantResponse(t, rec, 404, "")
	rec = f.api("GET", "/api/v3/checks/"+check.UniqueKey(a.ID)+"/flips/", "", keyBRO)
	wantResponse(t, rec, 404, "")

	// Lists show only the key's project.
	m := decode(t, f.api("GET", "/api/v3/checks/", "", keyB))
	if list := m["checks"].([]any); len(list) != 1 || list[0].(map[string]any)["uuid"] != b.ID {
		t.Errorf("B's list = %v, want only B's check", m)
	}
	wantResponse(t, f.api("GET", "/api/v3/channels/", "", keyB), 200, `{"channels": []}`)
	// A's channel cannot be assigned with B's key.
	rec = f.api("POST", "/api/v3/checks/"+b.ID, `{"channels":"`+chA.ID+`"}`, keyB)
	wantError(t, rec, 400, "invalid channel identifier: "+chA.ID)
	rec = f.api("POST", "/api/v3/checks/", `{"channels":"Email Alice"}`, keyB)
	wantError(t, rec, 400, "invalid channel identifier: Email Alice")
	// B's upsert does not match A's check.
	rec = f.api("POST", "/api/v3/checks/", `{"name":"a","unique":["name"]}`, keyB)
	if rec.Code != 201 {
		t.Errorf("B's upsert by A's name = %d, want 201 (a new check in B)", rec.Code)
	}

	if after := f.api("GET", base, "", keyA).Body.String(); after != before {
		t.Errorf("A's check changed:\n%s\nwas\n%s", after, before)
	}
	if n := f.checkCount(f.project); n != 1 {
		t.Errorf("A has %d checks, want 1", n)
	}
}

// lostStore fails the listings and project loads, as a store that lost its database would.
type lostStore struct{ store.Store }

func (lostStore) Checks(context.Context, string) ([]*check.Check, error) {
	return nil, errors.New("disk I/O error")
}

func (lostStore) Project(context.Context, string) (*check.Project, error) {
	return nil, errors.New("disk I/O error")
}

// TestAPIStoreError: a failing store is a JSON 500 that tells the client nothing internal; the
// log has the cause and no key.
func TestAPIStoreError(t *testing.T) {
	f := newAPIFixture(t)
	var logs bytes.Buffer
	f.srv = New(Config{Store: lostStore{f.store}, Now: func() time.Time { return t0 },
		SiteRoot: "http://localhost:8000", Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	wantError(t, f.api("GET", "/api/v3/checks/", "", keyA), 500, "internal server error")
	wantHTML(t, f.api("GET", "/api/v3/status/", "", ""), 503, "store unavailable: reads fail (the server log has the cause)")
	if !strings.Contains(logs.String(), "disk I/O error") {
		t.Errorf("the log lacks the cause: %s", logs.String())
	}
	if strings.Contains(logs.String(), keyA) || strings.Contains(logs.String(), check.HashKey(keyA)) {
		t.Errorf("the log contains the key or its hash")
	}
}
