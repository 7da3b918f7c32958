package httpapi

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/overduehq/overdue/internal/check"
)

// The keys of the management API tests: 32 characters, like Healthchecks' hcw_/hcr_ keys.
const (
	keyA   = "hcw_aaaaaaaaaaaaaaaaaaaaaaaaaaaa" // project A, read-write
	keyARO = "hcr_aaaaaaaaaaaaaaaaaaaaaaaaaaaa" // project A, read-only
	keyB   = "hcw_bbbbbbbbbbbbbbbbbbbbbbbbbbbb" // project B, read-write
	keyBRO = "hcr_bbbbbbbbbbbbbbbbbbbbbbbbbbbb" // project B, read-only
	// keyWrong has the right length and matches no project.
	keyWrong = "hcw_zzzzzzzzzzzzzzzzzzzzzzzzzzzz"
)

// apiFixture is a fixture whose project (A, used by addCheck and addChannel) has the API keys
// keyA and keyARO, plus a second project B (keyB, keyBRO) to prove that projects are isolated.
type apiFixture struct {
	*fixture
	b *check.Project
}

func newAPIFixture(t *testing.T, opts ...func(*Config)) *apiFixture {
	t.Helper()
	f := &apiFixture{fixture: newFixture(t, opts...)}
	f.project = f.addKeyedProject("A", keyA, keyARO)
	f.b = f.addKeyedProject("B", keyB, keyBRO)
	return f
}

// addKeyedProject stores a project with the given API keys (stored only as hashes).
func (f *apiFixture) addKeyedProject(name, rw, ro string) *check.Project {
	f.t.Helper()
	p := &check.Project{
		ID:              uuid.NewString(),
		Name:            name,
		Created:         t0.Add(-2 * time.Hour),
		APIKeyHash:      check.HashKey(rw),
		ReadOnlyKeyHash: check.HashKey(ro),
		PingKeyHash:     check.HashKey("ping-" + name),
		BadgeKey:        uuid.NewString(),
	}
	if err := f.store.CreateProject(context.Background(), p); err != nil {
		f.t.Fatalf("CreateProject: %v", err)
	}
	return p
}

// addCheckIn stores a check in project p.
func (f *apiFixture) addCheckIn(p *check.Project, slug string, mods ...func(*check.Check)) *check.Check {
	f.t.Helper()
	saved := f.project
	f.project = p
	defer func() { f.project = saved }()
	return f.addCheck(slug, append([]func(*check.Check){func(c *check.Check) { c.BadgeKey = uuid.NewString() }}, mods...)...)
}

// api serves one API request with key in X-Api-Key ("" for none).
func (f *apiFixture) api(method, target, body, key string) *httptest.ResponseRecorder {
	f.t.Helper()
	if key == "" {
		return f.do(method, target, body)
	}
	return f.do(method, target, body, "X-Api-Key", key)
}

// decode parses a JSON response body into a map, failing the test unless it is a JSON object
// served as application/json.
func decode(t *testing.T, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json (body %q)", ct, rec.Body.String())
	}
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("response %q is not a JSON object: %v", rec.Body.String(), err)
	}
	return m
}

// keysOf lists the keys of a JSON object in the order the body has them.
func keysOf(t *testing.T, body []byte) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(body)))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("body %q is not a JSON object", body)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("body %q: %v", body, err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatalf("body %q: %v", body, err)
		}
	}
	return keys
}

// checkKeys are the keys of a check in the read-write view, in Healthchecks' order, before the
// kind's keys.
var checkKeys = []string{"name", "slug", "tags", "desc", "grace", "n_pings", "status", "started",
	"last_ping", "next_ping", "manual_resume", "methods", "subject", "subject_fail", "start_kw",
	"success_kw", "failure_kw", "filter_subject", "filter_body", "filter_http_body",
	"filter_default_fail", "badge_url", "uuid", "ping_url", "update_url", "pause_url", "resume_url",
	"channels"}

// readOnlyCheckKeys are the keys of a check in the read-only view, before the kind's keys.
var readOnlyCheckKeys = append(slices.Clone(checkKeys[:22]), "unique_key")

// wantCheckKeys fails the test unless body is a check with exactly want's keys, in order, followed
// by the kind's keys.
func wantCheckKeys(t *testing.T, body []byte, want []string, kind check.Kind) {
	t.Helper()
	want = slices.Clone(want)
	if kind == check.KindSimple {
		want = append(want, "timeout")
	} else {
		want = append(want, "schedule", "tz")
	}
	if got := keysOf(t, body); !slices.Equal(got, want) {
		t.Errorf("check keys = %v,\nwant %v", got, want)
	}
}

// wantCORS fails the test unless the response has the CORS headers of an endpoint allowing
// methods.
func wantCORS(t *testing.T, rec *httptest.ResponseRecorder, methods string) {
	t.Helper()
	want := map[string]string{
		"Access-Control-Allow-Origin":  "*",
		"Access-Control-Allow-Headers": "X-Api-Key",
		"Access-Control-Allow-Methods": methods,
		"Access-Control-Max-Age":       "600",
	}
	for name, v := range want {
		if got := rec.Header().Get(name); got != v {
			t.Errorf("%s = %q, want %q", name, got, v)
		}
	}
}

// wantNoCORS fails the test if the response has any CORS header.
func wantNoCORS(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	for name := range rec.Header() {
		if strings.HasPrefix(name, "Access-Control-") {
			t.Errorf("response has %s, want no CORS headers", name)
		}
	}
}

// checkCount is how many checks project p has.
func (f *apiFixture) checkCount(p *check.Project) int {
	f.t.Helper()
	cs, err := f.store.Checks(context.Background(), p.ID)
	if err != nil {
		f.t.Fatalf("Checks: %v", err)
	}
	return len(cs)
}

const htmlType = "text/html; charset=utf-8"

// wantHTML fails the test unless rec is status with body as text/html.
func wantHTML(t *testing.T, rec *httptest.ResponseRecorder, status int, body string) {
	t.Helper()
	wantResponse(t, rec, status, body)
	if ct := rec.Header().Get("Content-Type"); ct != htmlType {
		t.Errorf("Content-Type = %q, want %q", ct, htmlType)
	}
}

// wantError fails the test unless rec is a JSON error with status and exactly Healthchecks'
// text for msg.
func wantError(t *testing.T, rec *httptest.ResponseRecorder, status int, msg string) {
	t.Helper()
	b, _ := json.Marshal(msg)
	wantResponse(t, rec, status, `{"error": `+string(b)+`}`)
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	if got := rec.Header().Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("Access-Control-Allow-Origin = %q, want *", got)
	}
}

func TestIsUniqueKey(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{check.UniqueKey("5a4f0dfa-3b83-4e43-8c53-1b0e3d8f0a6e"), true},
		{strings.Repeat("A", 40), true},
		{strings.Repeat("_", 40), true}, // the A-z range quirk
		{strings.Repeat("a", 39), false},
		{strings.Repeat("-", 40), false},
	}
	for _, tt := range tests {
		if got := isUniqueKey(tt.in); got != tt.want {
			t.Errorf("isUniqueKey(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestUniqueKey(t *testing.T) {
	// sha1("5a4f0dfa3b834e43"), the first 16 hex digits of the UUID without dashes.
	const want = "9c778283b9cb1af834becb6c00c2c443d5dd536b"
	if got := check.UniqueKey("5a4f0dfa-3b83-4e43-8c53-1b0e3d8f0a6e"); got != want {
		t.Errorf("uniqueKey = %q, want %q", got, want)
	}
}
