package httpapi

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
)

// The golden tests compare whole response bodies with the text Healthchecks emits: key order,
// separators, escaping, null and number forms all count.

const (
	goldenS      = "5a4f0dfa-3b83-4e43-8c53-1b0e3d8f0a6e"
	goldenCron   = "7b8c1e2d-4f5a-4b6c-9d7e-8f9a0b1c2d3e"
	goldenOnCal  = "0f1e2d3c-4b5a-4697-8877-665544332211"
	goldenBadge  = "b1a2c3d4-0000-4000-8000-000000000001"
	goldenChan1  = "c0000000-0000-4000-8000-000000000001"
	goldenChan2  = "c0000000-0000-4000-8000-000000000002"
	goldenPrefix = "http://localhost:8000"
)

// addGoldenChannel stores a channel with a fixed ID in the fixture's project A.
func (f *apiFixture) addGoldenChannel(id, name string) {
	f.t.Helper()
	ch := &check.Channel{ID: id, ProjectID: f.project.ID, Kind: "email", Name: name,
		Value: "alice@example.org", Created: t0.Add(-time.Hour)}
	if err := f.store.CreateChannel(context.Background(), ch); err != nil {
		f.t.Fatalf("CreateChannel: %v", err)
	}
}

func TestGoldenSimpleCheck(t *testing.T) {
	f := newAPIFixture(t)
	f.addGoldenChannel(goldenChan1, "Email Alice")
	c := check.New(goldenS, f.project.ID, t0.Add(-time.Hour))
	c.Name, c.Slug = "simple", "simple"
	c.Timeout, c.Grace = time.Minute, time.Minute
	c.BadgeKey = goldenBadge
	c.Status, c.NPings = check.StatusUp, 24
	c.LastPing = time.Date(2026, 11, 24, 20, 8, 55, 123456000, time.UTC)
	c.Channels = []string{goldenChan1}
	if err := f.store.CreateCheck(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	f.now = time.Date(2026, 11, 24, 20, 9, 0, 0, time.UTC)

	// The observed v3 JSON of check "simple" (healthchecks-observed.md §4), with our IDs.
	want := `{"name": "simple", "slug": "simple", "tags": "", "desc": "", "grace": 60, "n_pings": 24, "status": "up", ` +
		`"started": false, "last_ping": "2026-11-24T20:08:55+00:00", "next_ping": "2026-11-24T20:09:55+00:00", ` +
		`"manual_resume": false, "methods": "", "subject": "", "subject_fail": "", "start_kw": "", "success_kw": "", ` +
		`"failure_kw": "", "filter_subject": false, "filter_body": false, "filter_http_body": false, ` +
		`"filter_default_fail": false, "badge_url": "http://localhost:8000/b/2/` + goldenBadge + `.svg", ` +
		`"uuid": "` + goldenS + `", "ping_url": "http://localhost:8000/ping/` + goldenS + `", ` +
		`"update_url": "http://localhost:8000/api/v3/checks/` + goldenS + `", ` +
		`"pause_url": "http://localhost:8000/api/v3/checks/` + goldenS + `/pause", ` +
		`"resume_url": "http://localhost:8000/api/v3/checks/` + goldenS + `/resume", ` +
		`"channels": "` + goldenChan1 + `", "timeout": 60}`
	rec := f.api("GET", "/api/v3/checks/"+goldenS, "", keyA)
	wantResponse(t, rec, 200, want)
	if n := len(keysOf(t, rec.Body.Bytes())); n != 29 {
		t.Errorf("read-write simple check has %d keys, want 29 (Healthchecks' GetCheckTestCase)", n)
	}

	// v1 and v2 differ only in the URLs' version.
	for _, v := range []string{"v1", "v2"} {
		rec := f.api("GET", "/api/"+v+"/checks/"+goldenS, "", keyA)
		wantResponse(t, rec, 200, strings.ReplaceAll(want, "/api/v3/", "/api/"+v+"/"))
	}
}

func TestGoldenCronCheck(t *testing.T) {
	f := newAPIFixture(t)
	f.addGoldenChannel(goldenChan2, "Second")
	f.addGoldenChannel(goldenChan1, "First")
	c := check.New(goldenCron, f.project.ID, t0.Add(-time.Hour))
	c.Name, c.Slug, c.Tags = "api-cron", "api-cron", "prod www"
	c.Desc = `Café ✓ 😀 <b>&"quoted"` + "\n\x7f"
	c.Kind, c.Schedule, c.TZ = check.KindCron, "*/5 * * * *", "Europe/Riga"
	c.Grace = 5 * time.Minute
	c.BadgeKey = goldenBadge
	c.Status, c.NPings = check.StatusUp, 3
	c.LastPing = t0
	c.LastDuration = 95*time.Second + 500*time.Millisecond
	c.SuccessKw, c.FailureKw, c.FilterSubject = "SUCCESS", "ERROR", true
	c.Methods, c.ManualResume = "POST", true
	c.Channels = []string{goldenChan2, goldenChan1} // shown sorted
	if err := f.store.CreateCheck(context.Background(), c); err != nil {
		t.Fatal(err)
	}

	// */5 in Europe/Riga pinged at 20:18:26Z: next ping at 20:20:00Z, as observed.
	want := `{"name": "api-cron", "slug": "api-cron", "tags": "prod www", ` +
		`"desc": "Caf\u00e9 \u2713 \ud83d\ude00 <b>&\"quoted\"\n\u007f", "grace": 300, "n_pings": 3, ` +
		`"status": "up", "started": false, "last_ping": "2026-11-24T20:18:26+00:00", ` +
		`"next_ping": "2026-11-24T20:20:00+00:00", "manual_resume": true, "methods": "POST", ` +
		`"subject": "SUCCESS", "subject_fail": "ERROR", "start_kw": "", "success_kw": "SUCCESS", ` +
		`"failure_kw": "ERROR", "filter_subject": true, "filter_body": false, "filter_http_body": false, ` +
		`"filter_default_fail": false, "badge_url": "http://localhost:8000/b/2/` + goldenBadge + `.svg", ` +
		`"last_duration": 95, "uuid": "` + goldenCron + `", "ping_url": "http://localhost:8000/ping/` + goldenCron + `", ` +
		`"update_url": "http://localhost:8000/api/v3/checks/` + goldenCron + `", ` +
		`"pause_url": "http://localhost:8000/api/v3/checks/` + goldenCron + `/pause", ` +
		`"resume_url": "http://localhost:8000/api/v3/checks/` + goldenCron + `/resume", ` +
		`"channels": "` + goldenChan1 + `,` + goldenChan2 + `", "schedule": "*/5 * * * *", "tz": "Europe/Riga"}`
	rec := f.api("GET", "/api/v3/checks/"+goldenCron, "", keyA)
	wantResponse(t, rec, 200, want)
}

func TestGoldenOnCalendarCheckReadOnlyV1(t *testing.T) {
	f := newAPIFixture(t)
	c := check.New(goldenOnCal, f.project.ID, t0.Add(-time.Hour))
	c.Name = "api-oncal"
	c.Kind, c.Schedule, c.TZ = check.KindOnCalendar, "Mon..Fri 09:00", "UTC"
	c.BadgeKey = goldenBadge
	c.NPings = 1
	c.LastStart = t0.Add(-5 * time.Minute) // a run in progress, within grace
	if err := f.store.CreateCheck(context.Background(), c); err != nil {
		t.Fatal(err)
	}

	// v1 reports the run as status "started", and next_ping is the run's start (a Healthchecks
	// quirk). The read-only key sees unique_key instead of the UUID, URLs and channels.
	want := `{"name": "api-oncal", "slug": "", "tags": "", "desc": "", "grace": 3600, "n_pings": 1, ` +
		`"status": "started", "started": true, "last_ping": null, "next_ping": "2026-11-24T20:13:26+00:00", ` +
		`"manual_resume": false, "methods": "", "subject": "", "subject_fail": "", "start_kw": "", ` +
		`"success_kw": "", "failure_kw": "", "filter_subject": false, "filter_body": false, ` +
		`"filter_http_body": false, "filter_default_fail": false, ` +
		`"badge_url": "http://localhost:8000/b/2/` + goldenBadge + `.svg", ` +
		`"unique_key": "` + check.UniqueKey(goldenOnCal) + `", "schedule": "Mon..Fri 09:00", "tz": "UTC"}`
	rec := f.api("GET", "/api/v1/checks/"+goldenOnCal, "", keyARO)
	wantResponse(t, rec, 200, want)
	if strings.Contains(rec.Body.String(), goldenOnCal) {
		t.Errorf("read-only view contains the check's UUID")
	}

	// v3 reports the underlying status and the started flag.
	rec = f.api("GET", "/api/v3/checks/"+goldenOnCal, "", keyARO)
	wantResponse(t, rec, 200, strings.Replace(want, `"status": "started"`, `"status": "new"`, 1))
}

func TestPythonize(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"a":1,"b":[1,2],"c":{}}`, `{"a": 1, "b": [1, 2], "c": {}}`},
		{`{"a:b":"x,y"}`, `{"a:b": "x,y"}`},
		{`["\"a\\",\"b:\""]`, `["\"a\\", \"b:\""]`},
		{`"é"`, `"\u00e9"`},
		{`"😀"`, `"\ud83d\ude00"`},
		{"\"\x7f\"", `"\u007f"`},
		{`"<>&"`, `"<>&"`},
		{`[]`, `[]`},
	}
	for _, tt := range tests {
		if got := string(pythonize([]byte(tt.in))); got != tt.want {
			t.Errorf("pythonize(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestMarshalPythonEscapes(t *testing.T) {
	// encoding/json's control-character escapes are Python's.
	got, err := marshalPython("\b\f\n\r\t\x01\u2028")
	if err != nil {
		t.Fatal(err)
	}
	if want := `"\b\f\n\r\t\u0001\u2028"`; string(got) != want {
		t.Errorf("marshalPython = %s, want %s", got, want)
	}
}

func TestPyFloat(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{120, "120.0"}, {0, "0.0"}, {1.5, "1.5"}, {300.25, "300.25"}, {0.01, "0.01"}, {259199.99, "259199.99"},
	}
	for _, tt := range tests {
		got, err := pyFloat(tt.in).MarshalJSON()
		if err != nil || string(got) != tt.want {
			t.Errorf("pyFloat(%v) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
	if _, err := pyFloat(1e17).MarshalJSON(); err == nil {
		t.Errorf("pyFloat(1e17): want an error")
	}
}

func TestTimeForms(t *testing.T) {
	at := time.Date(2026, 11, 24, 22, 8, 55, 123456789, time.FixedZone("EET", 2*3600))
	if got, _ := isoTime(at).MarshalJSON(); string(got) != `"2026-11-24T20:08:55+00:00"` {
		t.Errorf("isoTime = %s", got)
	}
	if got, _ := pingTime(at).MarshalJSON(); string(got) != `"2026-11-24T20:08:55.123456+00:00"` {
		t.Errorf("pingTime = %s", got)
	}
	if got, _ := pingTime(at.Truncate(time.Second)).MarshalJSON(); string(got) != `"2026-11-24T20:08:55+00:00"` {
		t.Errorf("pingTime without microseconds = %s", got)
	}
	if got, _ := pingTime(at.Add(-123455789)).MarshalJSON(); string(got) != `"2026-11-24T20:08:55.000001+00:00"` {
		t.Errorf("pingTime with one microsecond = %s", got)
	}
}
