package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/sqlite"
	"github.com/overduehq/overdue/internal/store/storetest"
)

// badgeNow is the pinned clock of the badge and metrics tests.
var badgeNow = time.Date(2026, 11, 24, 20, 18, 26, 0, time.UTC)

// badgeEnv is a Server with a signing secret over a real SQLite store, one project with 32-character
// API keys, and a mux that carries the badge and metrics routes.
type badgeEnv struct {
	t       *testing.T
	store   *sqlite.Store
	srv     *Server
	mux     *http.ServeMux
	project *check.Project
	roKey   string // the project's read-only key
	rwKey   string // the project's read-write key
}

// newBadgeEnv builds a badgeEnv; secret "" leaves the server without a signing secret.
func newBadgeEnv(t *testing.T, secret string) *badgeEnv {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "overdue.db"), store.Options{Box: storetest.Box(t)})
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	cfg := Config{
		Store:    st,
		Now:      func() time.Time { return badgeNow },
		SiteRoot: "http://localhost:8000",
	}
	if secret != "" {
		cfg.SecretKey = []byte(secret)
	}
	e := &badgeEnv{t: t, store: st, srv: New(cfg)}
	e.mux = badgeTestMux(e.srv)
	e.project, e.roKey, e.rwKey = e.addProject("a")
	return e
}

// badgeTestMux routes requests as routes() does once the lines at the top of badge.go and
// metrics.go are in it; anything else goes to the Server.
func badgeTestMux(s *Server) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/badge/{key}/{file}", s.handleProjectBadge)
	mux.HandleFunc("/badge/{key}/{sig}/{file}", s.handleTagBadge)
	mux.HandleFunc("/b/{states}/{file}", s.handleCheckBadge)
	mux.HandleFunc("/api/v1/badges/{$}", s.handleBadgeList)
	mux.HandleFunc("/api/v2/badges/{$}", s.handleBadgeList)
	mux.HandleFunc("/api/v3/badges/{$}", s.handleBadgeList)
	mux.HandleFunc("/projects/{project}/metrics/{key}", s.handleMetrics)
	mux.HandleFunc("/projects/{project}/checks/metrics/{key}", s.handleMetrics)
	mux.HandleFunc("/projects/{project}/metrics/{$}", s.handleMetricsBearer)
	mux.Handle("/", s)
	return mux
}

// addProject stores a project whose read-only and read-write keys are "hcr_" and "hcw_" followed
// by c repeated 28 times.
func (e *badgeEnv) addProject(c string) (p *check.Project, roKey, rwKey string) {
	e.t.Helper()
	roKey, rwKey = "hcr_"+strings.Repeat(c, 28), "hcw_"+strings.Repeat(c, 28)
	return e.addProjectWithKeys(c, roKey, rwKey), roKey, rwKey
}

// addProjectWithKeys stores a project named after c with the given API keys.
func (e *badgeEnv) addProjectWithKeys(c, roKey, rwKey string) *check.Project {
	e.t.Helper()
	p := &check.Project{
		ID:              uuid.NewString(),
		Name:            "Project " + c,
		Created:         badgeNow.Add(-time.Hour),
		APIKeyHash:      check.HashKey(rwKey),
		ReadOnlyKeyHash: check.HashKey(roKey),
		PingKeyHash:     check.HashKey("ping" + c),
		BadgeKey:        uuid.NewString(),
	}
	if err := e.store.CreateProject(context.Background(), p); err != nil {
		e.t.Fatalf("CreateProject: %v", err)
	}
	return p
}

// addCheck stores a check in p named name with tags, in state (see badgeTestStates).
func (e *badgeEnv) addCheck(p *check.Project, name, tags, state string, mods ...func(*check.Check)) *check.Check {
	e.t.Helper()
	c := check.New(uuid.NewString(), p.ID, badgeNow.Add(-72*time.Hour))
	c.Name, c.Tags, c.BadgeKey = name, tags, uuid.NewString()
	set, ok := badgeTestStates[state]
	if !ok {
		e.t.Fatalf("unknown test state %q", state)
	}
	set(c)
	for _, m := range mods {
		m(c)
	}
	if err := e.store.CreateCheck(context.Background(), c); err != nil {
		e.t.Fatalf("CreateCheck: %v", err)
	}
	return c
}

// badgeTestStates put a check with the default timeout (1 day) and grace (1 hour) into a state at
// badgeNow.
var badgeTestStates = map[string]func(*check.Check){
	"new": func(c *check.Check) {},
	"up": func(c *check.Check) {
		c.Status, c.LastPing = check.StatusUp, badgeNow.Add(-time.Hour)
	},
	// Last ping 1 day 10 minutes ago: 10 minutes into the grace period.
	"late": func(c *check.Check) {
		c.Status, c.LastPing = check.StatusUp, badgeNow.Add(-24*time.Hour-10*time.Minute)
	},
	"late+started": func(c *check.Check) {
		c.Status, c.LastPing = check.StatusUp, badgeNow.Add(-24*time.Hour-10*time.Minute)
		c.LastStart = badgeNow.Add(-5 * time.Minute)
	},
	// Last ping 2 days ago: past the grace period, though the sweep has not flipped it yet.
	"overdue": func(c *check.Check) {
		c.Status, c.LastPing = check.StatusUp, badgeNow.Add(-48*time.Hour)
	},
	"down": func(c *check.Check) {
		c.Status, c.LastPing = check.StatusDown, badgeNow.Add(-48*time.Hour)
	},
	"down+started": func(c *check.Check) {
		c.Status, c.LastPing = check.StatusDown, badgeNow.Add(-48*time.Hour)
		c.LastStart = badgeNow.Add(-5 * time.Minute)
	},
	"started": func(c *check.Check) {
		c.Status, c.LastPing = check.StatusUp, badgeNow.Add(-time.Hour)
		c.LastStart = badgeNow.Add(-10 * time.Minute)
	},
	// A run that has outlasted the grace time is down at once.
	"run-overdue": func(c *check.Check) {
		c.Status, c.LastPing = check.StatusUp, badgeNow.Add(-3*time.Hour)
		c.LastStart = badgeNow.Add(-2 * time.Hour)
	},
	"paused": func(c *check.Check) {
		c.Status, c.LastPing = check.StatusPaused, badgeNow.Add(-48*time.Hour)
	},
	"new+started": func(c *check.Check) {
		c.LastStart = badgeNow.Add(-10 * time.Minute)
	},
}

// do serves one request through the env's mux; headers are name, value pairs.
func (e *badgeEnv) do(method, target string, headers ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	e.mux.ServeHTTP(rec, req)
	return rec
}

// get serves a GET of an absolute or relative URL.
func (e *badgeEnv) get(target string, headers ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.do(http.MethodGet, strings.TrimPrefix(target, "http://localhost:8000"), headers...)
}

// badgeJSON decodes a JSON response into a map, failing the test unless it is a 200 JSON answer.
func badgeJSON(t *testing.T, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200 (body %q)", rec.Code, rec.Body.String())
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("decode %q: %v", rec.Body.String(), err)
	}
	return m
}

// counts is the JSON badge body for a status and counts.
func counts(status string, total, grace, down int) map[string]any {
	return map[string]any{"status": status, "total": float64(total), "grace": float64(grace), "down": float64(down)}
}

// projectBadge is the URL of the env project's badge for tag.
func (e *badgeEnv) projectBadge(tag, format string, states int) string {
	return e.srv.badgeURL(e.project.BadgeKey, tag, format, states)
}

// TestBadgeURLs: the shape of generated URLs, which Healthchecks users recognise.
func TestBadgeURLs(t *testing.T) {
	e := newBadgeEnv(t, "test-secret")
	key := e.project.BadgeKey
	sig := e.srv.badgeSignature(key, "*")
	tagSig := e.srv.badgeSignature(key, "db@dc1")
	tests := []struct {
		tag, format string
		states      int
		want        string
	}{
		{"*", "svg", 2, "http://localhost:8000/badge/" + key + "/" + sig + "-2.svg"},
		{"*", "json", 3, "http://localhost:8000/badge/" + key + "/" + sig + ".json"},
		{"db@dc1", "shields", 2, "http://localhost:8000/badge/" + key + "/" + tagSig + "-2/db%2540dc1.shields"},
	}
	for _, tt := range tests {
		if got := e.srv.badgeURL(key, tt.tag, tt.format, tt.states); got != tt.want {
			t.Errorf("badgeURL(%q, %q, %d) = %q, want %q", tt.tag, tt.format, tt.states, got, tt.want)
		}
	}
	if len(sig) != 8 {
		t.Errorf("signature %q has %d characters, want 8", sig, len(sig))
	}
	if sig == tagSig || sig == e.srv.badgeSignature(uuid.NewString(), "*") {
		t.Errorf("signatures of different tags or keys collide: %q", sig)
	}
	other := New(Config{Store: e.store, SecretKey: []byte("another secret")})
	if other.badgeSignature(key, "*") == sig {
		t.Errorf("signature does not depend on the secret")
	}
	if got, want := e.srv.checkBadgeURL("b1", "svg", 2), "http://localhost:8000/b/2/b1.svg"; got != want {
		t.Errorf("checkBadgeURL = %q, want %q", got, want)
	}
	if got, want := e.srv.checkBadgeURL("b1", "json", 3), "http://localhost:8000/b/3/b1.json"; got != want {
		t.Errorf("checkBadgeURL = %q, want %q", got, want)
	}
}

// TestBadgeRejects (§8.6 case 98): wrong signatures, formats and keys are 404; OPTIONS is 204 with
// CORS headers; other methods 405.
func TestBadgeRejects(t *testing.T) {
	e := newBadgeEnv(t, "test-secret")
	e.addCheck(e.project, "foo", "foo", "up")
	key := e.project.BadgeKey
	sig := e.srv.badgeSignature(key, "foo")
	otherKey := uuid.NewString()
	tests := []struct {
		name, target string
	}{
		{"wrong signature", "/badge/" + key + "/12345678/foo.svg"},
		{"signature of another tag", "/badge/" + key + "/" + e.srv.badgeSignature(key, "bar") + "/foo.svg"},
		{"signature of all checks on a tag", "/badge/" + key + "/" + e.srv.badgeSignature(key, "*") + "/foo.svg"},
		{"signature for another server", "/badge/" + key + "/" + New(Config{Store: e.store, SecretKey: []byte("x")}).badgeSignature(key, "foo") + "/foo.svg"},
		{"short signature", "/badge/" + key + "/" + sig[:7] + "/foo.svg"},
		{"long signature", "/badge/" + key + "/" + sig + "x/foo.svg"},
		{"suffix other than -2", "/badge/" + key + "/" + sig + "-3/foo.svg"},
		{"bad format", "/badge/" + key + "/" + sig + "/foo.jsonfoo"},
		{"no format", "/badge/" + key + "/" + sig + "/foo"},
		{"bad tag escape", "/badge/" + key + "/" + sig + "/foo%25zz.svg"},
		{"unknown badge key, valid signature", "/badge/" + otherKey + "/" + e.srv.badgeSignature(otherKey, "*") + ".svg"},
		{"unknown check badge key", "/b/2/" + uuid.NewString() + ".svg"},
		{"check badge key not a UUID", "/b/2/foo.svg"},
		{"check badge states not a number", "/b/x/" + uuid.NewString() + ".svg"},
	}
	for _, tt := range tests {
		rec := e.get(tt.target)
		if rec.Code != http.StatusNotFound {
			t.Errorf("%s: GET %s = %d, want 404", tt.name, tt.target, rec.Code)
		}
	}

	good := e.projectBadge("foo", "svg", 3)
	rec := e.do(http.MethodOptions, strings.TrimPrefix(good, "http://localhost:8000"))
	if rec.Code != http.StatusNoContent || rec.Body.Len() != 0 {
		t.Errorf("OPTIONS = %d %q, want 204 and no body", rec.Code, rec.Body.String())
	}
	if got := rec.Header().Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("OPTIONS Access-Control-Allow-Origin = %q, want *", got)
	}
	if got := rec.Header().Get("Access-Control-Allow-Methods"); got != "GET, OPTIONS" {
		t.Errorf("OPTIONS Access-Control-Allow-Methods = %q, want GET, OPTIONS", got)
	}
	rec = e.do(http.MethodPost, strings.TrimPrefix(good, "http://localhost:8000"))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST = %d, want 405", rec.Code)
	}
}

// TestBadgeSVG (§8.6 case 99): a well-formed SVG, not cached, with CORS, in the state's colour,
// as wide as its parts.
func TestBadgeSVG(t *testing.T) {
	e := newBadgeEnv(t, "test-secret")
	e.addCheck(e.project, "a", "foo", "new")
	e.addCheck(e.project, "b", "bar", "late")
	e.addCheck(e.project, "c", "baz", "down")
	tests := []struct {
		tag        string
		states     int
		label      string
		state      string
		color      string
		unexpected string
	}{
		{"*", 3, "Overdue", "down", "#e05d44", "#4c1"},
		{"foo", 2, "foo", "up", "#4c1", "#e05d44"},
		{"bar", 2, "bar", "up", "#4c1", "#fe7d37"},
		{"bar", 3, "bar", "late", "#fe7d37", "#4c1"},
		{"baz", 2, "baz", "down", "#e05d44", "#4c1"},
	}
	for _, tt := range tests {
		rec := e.get(e.projectBadge(tt.tag, "svg", tt.states))
		if rec.Code != http.StatusOK {
			t.Fatalf("%s/%d: status %d, want 200", tt.tag, tt.states, rec.Code)
		}
		h := rec.Header()
		if ct := h.Get("Content-Type"); ct != "image/svg+xml" {
			t.Errorf("Content-Type = %q, want image/svg+xml", ct)
		}
		if got := h.Get("Access-Control-Allow-Origin"); got != "*" {
			t.Errorf("Access-Control-Allow-Origin = %q, want *", got)
		}
		if cc := h.Get("Cache-Control"); !strings.Contains(cc, "no-cache") || !strings.Contains(cc, "no-store") {
			t.Errorf("Cache-Control = %q, want no-cache and no-store", cc)
		}
		if got, want := h.Get("Expires"), badgeNow.Format(http.TimeFormat); got != want {
			t.Errorf("Expires = %q, want %q", got, want)
		}
		body := rec.Body.String()
		if !strings.Contains(body, tt.color) || strings.Contains(body, tt.unexpected) {
			t.Errorf("%s/%d: SVG should contain %s and not %s:\n%s", tt.tag, tt.states, tt.color, tt.unexpected, body)
		}
		svg := parseBadgeSVG(t, rec.Body.Bytes())
		if want := []string{tt.label, tt.label, tt.state, tt.state}; !cmp.Equal(svg.texts, want) {
			t.Errorf("%s/%d: texts %q, want %q", tt.tag, tt.states, svg.texts, want)
		}
		if svg.title != tt.label+": "+tt.state {
			t.Errorf("title = %q, want %q", svg.title, tt.label+": "+tt.state)
		}
		if len(svg.rects) != 4 || svg.rects[1]+svg.rects[2] != svg.width || svg.rects[3] != svg.width {
			t.Errorf("rect widths %v do not add up to the badge width %d", svg.rects, svg.width)
		}
	}
}

// badgeSVGShape is what the tests read back from a badge SVG.
type badgeSVGShape struct {
	width int      // of the root element
	rects []int    // widths of the rect elements: clip path, label, value, shine
	texts []string // the text elements' content
	title string
}

// parseBadgeSVG parses an SVG with encoding/xml in strict mode, failing the test if it is not
// well-formed or its root is not an svg element.
func parseBadgeSVG(t *testing.T, body []byte) badgeSVGShape {
	t.Helper()
	var shape badgeSVGShape
	dec := xml.NewDecoder(bytes.NewReader(body))
	var stack []string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v\n%s", err, body)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if len(stack) == 0 {
				if tok.Name.Local != "svg" || tok.Name.Space != "http://www.w3.org/2000/svg" {
					t.Fatalf("root element %v, want svg in the SVG namespace", tok.Name)
				}
				shape.width = intAttr(t, tok, "width")
				if h := intAttr(t, tok, "height"); h != 20 {
					t.Errorf("height = %d, want 20", h)
				}
			}
			if tok.Name.Local == "rect" {
				shape.rects = append(shape.rects, intAttr(t, tok, "width"))
			}
			if tok.Name.Local == "text" {
				shape.texts = append(shape.texts, "")
			}
			stack = append(stack, tok.Name.Local)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 {
				continue // white space around the root element
			}
			switch stack[len(stack)-1] {
			case "text":
				shape.texts[len(shape.texts)-1] += string(tok)
			case "title":
				shape.title += string(tok)
			}
		}
	}
	return shape
}

// intAttr reads an integer attribute.
func intAttr(t *testing.T, el xml.StartElement, name string) int {
	t.Helper()
	for _, a := range el.Attr {
		if a.Name.Local == name {
			n, err := strconv.Atoi(a.Value)
			if err != nil {
				t.Fatalf("<%s %s=%q>: not an integer", el.Name.Local, name, a.Value)
			}
			return n
		}
	}
	t.Fatalf("<%s> has no %s attribute", el.Name.Local, name)
	return 0
}

// TestBadgeSVGText: labels are escaped, and a longer label makes a wider badge.
func TestBadgeSVGText(t *testing.T) {
	for _, label := range []string{`<a&b>"'`, "tag\x00with\x1fcontrols", "日本語", "e\u0301", "\xff\xfe"} {
		parseBadgeSVG(t, []byte(badgeSVG(label, badgeUp)))
	}
	narrow := parseBadgeSVG(t, []byte(badgeSVG("iii", badgeUp)))
	wide := parseBadgeSVG(t, []byte(badgeSVG("WWW", badgeUp)))
	long := parseBadgeSVG(t, []byte(badgeSVG(strings.Repeat("W", 100), badgeUp)))
	if !(narrow.width < wide.width && wide.width < long.width) {
		t.Errorf("widths iii %d, WWW %d, 100×W %d: want increasing", narrow.width, wide.width, long.width)
	}
	if narrow.rects[2] != wide.rects[2] {
		t.Errorf("value parts differ (%d, %d) for the same state", narrow.rects[2], wide.rects[2])
	}
}

// TestBadgeStates (§8.6 cases 99 and 100, §5.2): the state and counts of a one-check tag badge in
// two- and three-state mode.
func TestBadgeStates(t *testing.T) {
	tests := []struct {
		state  string
		want2  map[string]any
		want3  map[string]any
		shield string // three-state shields colour
	}{
		{"new", counts("up", 1, 0, 0), counts("up", 1, 0, 0), "success"},
		{"up", counts("up", 1, 0, 0), counts("up", 1, 0, 0), "success"},
		{"started", counts("up", 1, 0, 0), counts("up", 1, 0, 0), "success"},
		{"new+started", counts("up", 1, 0, 0), counts("up", 1, 0, 0), "success"},
		{"paused", counts("up", 1, 0, 0), counts("up", 1, 0, 0), "success"},
		{"late", counts("up", 1, 1, 0), counts("late", 1, 1, 0), "important"},
		{"late+started", counts("up", 1, 1, 0), counts("late", 1, 1, 0), "important"},
		{"overdue", counts("down", 1, 0, 1), counts("down", 1, 0, 1), "critical"},
		{"down", counts("down", 1, 0, 1), counts("down", 1, 0, 1), "critical"},
		{"down+started", counts("down", 1, 0, 1), counts("down", 1, 0, 1), "critical"},
		{"run-overdue", counts("down", 1, 0, 1), counts("down", 1, 0, 1), "critical"},
	}
	e := newBadgeEnv(t, "test-secret")
	for _, tt := range tests {
		// One tag per state, so each badge covers exactly one check.
		tag := "t-" + strings.ReplaceAll(tt.state, "+", "-")
		e.addCheck(e.project, tt.state, "all "+tag, tt.state)
		if d := cmp.Diff(tt.want2, badgeJSON(t, e.get(e.projectBadge(tag, "json", 2)))); d != "" {
			t.Errorf("%s, 2-state (-want +got):\n%s", tt.state, d)
		}
		if d := cmp.Diff(tt.want3, badgeJSON(t, e.get(e.projectBadge(tag, "json", 3)))); d != "" {
			t.Errorf("%s, 3-state (-want +got):\n%s", tt.state, d)
		}
		shields := badgeJSON(t, e.get(e.projectBadge(tag, "shields", 3)))
		if shields["color"] != tt.shield || shields["message"] != tt.want3["status"] {
			t.Errorf("%s, shields = %v, want message %v, colour %s", tt.state, shields, tt.want3["status"], tt.shield)
		}
	}
	// Counts stay whole in two-state mode; only the status changes.
	if d := cmp.Diff(counts("down", 11, 2, 4), badgeJSON(t, e.get(e.projectBadge("*", "json", 2)))); d != "" {
		t.Errorf("*, 2-state (-want +got):\n%s", d)
	}
	if d := cmp.Diff(counts("down", 11, 2, 4), badgeJSON(t, e.get(e.projectBadge("all", "json", 3)))); d != "" {
		t.Errorf("all, 3-state (-want +got):\n%s", d)
	}
}

// TestBadgeTags: a tag badge covers exactly the checks carrying the tag as a whole word; "*"
// covers all; an unused tag is up with no checks; other projects never count.
func TestBadgeTags(t *testing.T) {
	e := newBadgeEnv(t, "test-secret")
	e.addCheck(e.project, "a", "foo bar", "late")
	e.addCheck(e.project, "b", "bar", "up")
	e.addCheck(e.project, "c", "foobar  baz", "new")
	other, _, _ := e.addProject("b")
	e.addCheck(other, "d", "foo bar", "down")
	tests := []struct {
		tag  string
		want map[string]any
	}{
		{"*", counts("late", 3, 1, 0)},
		{"foo", counts("late", 1, 1, 0)},
		{"bar", counts("late", 2, 1, 0)},
		{"baz", counts("up", 1, 0, 0)},
		{"foobar", counts("up", 1, 0, 0)},
		{"fo", counts("up", 0, 0, 0)},
		{"unused", counts("up", 0, 0, 0)},
	}
	for _, tt := range tests {
		if d := cmp.Diff(tt.want, badgeJSON(t, e.get(e.projectBadge(tt.tag, "json", 3)))); d != "" {
			t.Errorf("tag %q (-want +got):\n%s", tt.tag, d)
		}
	}
	// The other project's badge sees only its own check.
	url := e.srv.badgeURL(other.BadgeKey, "*", "json", 3)
	if d := cmp.Diff(counts("down", 1, 0, 1), badgeJSON(t, e.get(url))); d != "" {
		t.Errorf("other project (-want +got):\n%s", d)
	}
	// A signature is bound to its project's badge key.
	forged := strings.Replace(url, other.BadgeKey, e.project.BadgeKey, 1)
	if rec := e.get(forged); rec.Code != http.StatusNotFound {
		t.Errorf("another project's signature: status %d, want 404", rec.Code)
	}
}

// TestBadgeSpecialCharacters (§8.6 case 101): tags with characters that need escaping round-trip
// through the double-encoded URL.
func TestBadgeSpecialCharacters(t *testing.T) {
	e := newBadgeEnv(t, "test-secret")
	tags := []string{"db@dc1", "50%", "a/b", "ü", "x?y#z", "semi;colon", "+plus"}
	e.addCheck(e.project, "a", strings.Join(tags, " "), "down")
	for _, tag := range tags {
		u := e.projectBadge(tag, "shields", 2)
		want := map[string]any{"schemaVersion": float64(1), "label": tag, "message": "down", "color": "critical"}
		if d := cmp.Diff(want, badgeJSON(t, e.get(u))); d != "" {
			t.Errorf("tag %q at %s (-want +got):\n%s", tag, u, d)
		}
	}
	// The example from Healthchecks' tests, spelled out.
	target := "/badge/" + e.project.BadgeKey + "/" + e.srv.badgeSignature(e.project.BadgeKey, "db@dc1") + "/db%2540dc1.svg"
	if rec := e.get(target); rec.Code != http.StatusOK {
		t.Errorf("GET %s = %d, want 200", target, rec.Code)
	}
}

// TestBadgeShields (§8.6 case 101): the Shields.io endpoint shape, labelled with the tag or the
// site name.
func TestBadgeShields(t *testing.T) {
	e := newBadgeEnv(t, "test-secret")
	e.addCheck(e.project, "a", "foo", "up")
	tests := []struct {
		tag  string
		want map[string]any
	}{
		{"foo", map[string]any{"schemaVersion": float64(1), "label": "foo", "message": "up", "color": "success"}},
		{"*", map[string]any{"schemaVersion": float64(1), "label": "Overdue", "message": "up", "color": "success"}},
	}
	for _, tt := range tests {
		for _, states := range []int{2, 3} {
			if d := cmp.Diff(tt.want, badgeJSON(t, e.get(e.projectBadge(tt.tag, "shields", states)))); d != "" {
				t.Errorf("tag %q, %d states (-want +got):\n%s", tt.tag, states, d)
			}
		}
	}
}

// TestCheckBadge (§8.6 case 102): a check's own badge at /b/<states>/<badge key>.<format>.
func TestCheckBadge(t *testing.T) {
	e := newBadgeEnv(t, "test-secret")
	other, _, _ := e.addProject("b")
	tests := []struct {
		name, state    string
		project        *check.Project
		states         string
		format         string
		status, label  string
		total, g, down int
	}{
		{"foobar", "new", e.project, "2", "json", "up", "", 1, 0, 0},
		{"foobar", "up", e.project, "3", "json", "up", "", 1, 0, 0},
		{"foobar", "down+started", e.project, "2", "json", "down", "", 1, 0, 1},
		{"foobar", "late", e.project, "2", "json", "up", "", 1, 1, 0},
		{"foobar", "late", e.project, "3", "json", "late", "", 1, 1, 0},
		{"foobar", "late", e.project, "03", "json", "late", "", 1, 1, 0},
		{"foobar", "late", e.project, "5", "json", "up", "", 1, 1, 0},
		{"foobar", "late", e.project, "99999999999999999999", "json", "up", "", 1, 1, 0},
		{"foobar", "late", other, "3", "json", "late", "", 1, 1, 0},
		{"foobar", "late", e.project, "3", "shields", "late", "foobar", 0, 0, 0},
		{"", "down", e.project, "2", "shields", "down", "<uuid>", 0, 0, 0},
	}
	for _, tt := range tests {
		c := e.addCheck(tt.project, tt.name, "", tt.state)
		rec := e.get("/b/" + tt.states + "/" + c.BadgeKey + "." + tt.format)
		got := badgeJSON(t, rec)
		want := counts(tt.status, tt.total, tt.g, tt.down)
		if tt.format == "shields" {
			label := tt.label
			if label == "<uuid>" {
				label = c.ID
			}
			want = map[string]any{"schemaVersion": float64(1), "label": label, "message": tt.status,
				"color": shieldsColors[tt.status]}
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s check, /b/%s/….%s (-want +got):\n%s", tt.state, tt.states, tt.format, d)
		}
		if cc := rec.Header().Get("Cache-Control"); !strings.Contains(cc, "no-cache") {
			t.Errorf("Cache-Control = %q, want no-cache", cc)
		}
	}

	c := e.addCheck(e.project, "foobar", "", "up")
	rec := e.get(e.srv.checkBadgeURL(c.BadgeKey, "svg", 2))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "#4c1") {
		t.Errorf("check svg = %d, want 200 with #4c1:\n%s", rec.Code, rec.Body.String())
	}
	if svg := parseBadgeSVG(t, rec.Body.Bytes()); svg.title != "foobar: up" {
		t.Errorf("check svg title %q, want %q", svg.title, "foobar: up")
	}
	if rec := e.get("/b/2/" + c.BadgeKey + ".jsonfoo"); rec.Code != http.StatusNotFound {
		t.Errorf("bad format: status %d, want 404", rec.Code)
	}
	// The check's UUID is not its badge key.
	if rec := e.get("/b/2/" + c.ID + ".svg"); rec.Code != http.StatusNotFound {
		t.Errorf("check UUID as badge key: status %d, want 404", rec.Code)
	}
}

// TestBadgeList (§8.5 case 97, §5.4): per tag and "*", six URLs that all work.
func TestBadgeList(t *testing.T) {
	e := newBadgeEnv(t, "test-secret")
	e.addCheck(e.project, "a", "foo bar", "late")
	e.addCheck(e.project, "b", "db@dc1", "up")
	other, _, _ := e.addProject("b")
	e.addCheck(other, "c", "secret-tag", "up")

	for _, version := range []string{"v1", "v2", "v3"} {
		for _, key := range []string{e.rwKey, e.roKey} {
			rec := e.get("/api/"+version+"/badges/", "X-Api-Key", key)
			got := badgeJSON(t, rec)
			if acao := rec.Header().Get("Access-Control-Allow-Origin"); acao != "*" {
				t.Errorf("Access-Control-Allow-Origin = %q, want *", acao)
			}
			badges, _ := got["badges"].(map[string]any)
			var tags []string
			for tag := range badges {
				tags = append(tags, tag)
			}
			if want := []string{"*", "bar", "db@dc1", "foo"}; !cmp.Equal(sortedCopy(tags), want) {
				t.Fatalf("%s: badge tags %q, want %q", version, tags, want)
			}
			for tag, v := range badges {
				links, _ := v.(map[string]any)
				for _, format := range []string{"svg", "json", "shields"} {
					for _, states := range []int{2, 3} {
						name := format
						if states == 3 {
							name += "3"
						}
						u, _ := links[name].(string)
						if want := e.srv.badgeURL(e.project.BadgeKey, tag, format, states); u != want {
							t.Errorf("%s: badges[%q][%q] = %q, want %q", version, tag, name, u, want)
						}
						if rec := e.get(u); rec.Code != http.StatusOK {
							t.Errorf("GET %s = %d, want 200", u, rec.Code)
						}
					}
				}
				if len(links) != 6 {
					t.Errorf("badges[%q] has %d URLs, want 6: %v", tag, len(links), links)
				}
			}
			foo, _ := badges["foo"].(map[string]any)
			if s, _ := foo["json"].(string); s != "" {
				if st := badgeJSON(t, e.get(s))["status"]; st != "up" {
					t.Errorf("2-state json of a late check: status %v, want up", st)
				}
			}
			if s, _ := foo["json3"].(string); s != "" {
				if st := badgeJSON(t, e.get(s))["status"]; st != "late" {
					t.Errorf("3-state json of a late check: status %v, want late", st)
				}
			}
		}
	}

	// Error bodies are compared decoded: their spacing may follow the management API's writer.
	tests := []struct {
		name, method string
		headers      []string
		status       int
		error        string // "": no body
	}{
		{"no key", "GET", nil, 401, "missing api key"},
		{"empty key", "GET", []string{"X-Api-Key", ""}, 401, "missing api key"},
		{"short key", "GET", []string{"X-Api-Key", e.roKey[:31]}, 401, "missing api key"},
		{"wrong key", "GET", []string{"X-Api-Key", "hcr_" + strings.Repeat("z", 28)}, 401, "wrong api key"},
		{"POST", "POST", []string{"X-Api-Key", e.rwKey}, 405, ""},
		{"OPTIONS", "OPTIONS", nil, 204, ""},
	}
	for _, tt := range tests {
		rec := e.do(tt.method, "/api/v3/badges/", tt.headers...)
		if rec.Code != tt.status {
			t.Errorf("%s: status %d, want %d", tt.name, rec.Code, tt.status)
		}
		if tt.error == "" {
			if rec.Body.Len() != 0 {
				t.Errorf("%s: body %q, want none", tt.name, rec.Body.String())
			}
			continue
		}
		var got map[string]string
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || !cmp.Equal(got, map[string]string{"error": tt.error}) {
			t.Errorf("%s: body %q, want {\"error\": %q}", tt.name, rec.Body.String(), tt.error)
		}
	}
}

// sortedCopy returns the strings sorted.
func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// TestBadgeWithoutSecret: with no secret nothing verifies (an HMAC with an empty key is
// forgeable), and the listing says why it cannot help.
func TestBadgeWithoutSecret(t *testing.T) {
	e := newBadgeEnv(t, "")
	c := e.addCheck(e.project, "a", "foo", "up")
	forged := "/badge/" + e.project.BadgeKey + "/" + e.srv.badgeSignature(e.project.BadgeKey, "*") + ".svg"
	if rec := e.get(forged); rec.Code != http.StatusNotFound {
		t.Errorf("badge signed with an empty key: status %d, want 404", rec.Code)
	}
	rec := e.get("/api/v3/badges/", "X-Api-Key", e.roKey)
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "no secret key") {
		t.Errorf("listing = %d %q, want 503 naming the missing secret", rec.Code, rec.Body.String())
	}
	// A check's own badge needs no signature.
	if rec := e.get("/b/2/" + c.BadgeKey + ".svg"); rec.Code != http.StatusOK {
		t.Errorf("check badge: status %d, want 200", rec.Code)
	}
}

// TestEscapeBadgeTag: every byte but the unreserved ones is encoded, so PathUnescape undoes it.
func TestEscapeBadgeTag(t *testing.T) {
	for _, tag := range []string{"db@dc1", "a/b", "50%", "ü", "a b", "x?y#z", "~._-", "\x00"} {
		esc := escapeBadgeTag(tag)
		if strings.ContainsAny(esc, "/?#@ ") {
			t.Errorf("escapeBadgeTag(%q) = %q: not a single safe segment", tag, esc)
		}
		if got, err := url.PathUnescape(esc); err != nil || got != tag {
			t.Errorf("PathUnescape(escapeBadgeTag(%q)) = %q, %v", tag, got, err)
		}
	}
	if got := escapeBadgeTag("db@dc1"); got != "db%40dc1" {
		t.Errorf("escapeBadgeTag(db@dc1) = %q, want db%%40dc1", got)
	}
}

// TestBadgeSchedules: cron checks are timed by their schedule, and a schedule that no longer
// parses times the check as a simple one instead of failing the badge.
func TestBadgeSchedules(t *testing.T) {
	e := newBadgeEnv(t, "test-secret")
	// Hourly; last ping 19:30, so a ping was due at 20:00 and at 20:18 the check is late.
	e.addCheck(e.project, "cron", "cron", "up", func(c *check.Check) {
		c.Kind, c.Schedule, c.TZ = check.KindCron, "0 * * * *", "Europe/Riga"
		c.LastPing = time.Date(2026, 11, 24, 19, 30, 0, 0, time.UTC)
	})
	e.addCheck(e.project, "broken", "broken", "up", func(c *check.Check) {
		c.Kind, c.Schedule = check.KindCron, "not a cron expression"
	})
	if d := cmp.Diff(counts("late", 1, 1, 0), badgeJSON(t, e.get(e.projectBadge("cron", "json", 3)))); d != "" {
		t.Errorf("cron check (-want +got):\n%s", d)
	}
	if d := cmp.Diff(counts("up", 1, 0, 0), badgeJSON(t, e.get(e.projectBadge("broken", "json", 3)))); d != "" {
		t.Errorf("check with a broken schedule (-want +got):\n%s", d)
	}
}

// TestBadgeAllChecksForm: the all-checks URL form rejects what the tag form rejects.
func TestBadgeAllChecksForm(t *testing.T) {
	e := newBadgeEnv(t, "test-secret")
	u := strings.TrimPrefix(e.projectBadge("*", "svg", 2), "http://localhost:8000")
	if rec := e.get(strings.TrimSuffix(u, ".svg") + ".jsonfoo"); rec.Code != http.StatusNotFound {
		t.Errorf("bad format: status %d, want 404", rec.Code)
	}
	if rec := e.get(strings.TrimSuffix(u, ".svg")); rec.Code != http.StatusNotFound {
		t.Errorf("no format: status %d, want 404", rec.Code)
	}
	if rec := e.do(http.MethodDelete, u); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("DELETE: status %d, want 405", rec.Code)
	}
	if rec := e.get(u); rec.Code != http.StatusOK {
		t.Errorf("GET: status %d, want 200", rec.Code)
	}
}

// brokenStore fails every listing and badge lookup, as a store that lost its database would.
type brokenStore struct{ store.Store }

func (brokenStore) CheckByBadgeKey(context.Context, string) (*check.Check, error) {
	return nil, errors.New("database is gone")
}

func (brokenStore) Projects(context.Context) ([]*check.Project, error) {
	return nil, errors.New("database is gone")
}

func (brokenStore) Checks(context.Context, string) ([]*check.Check, error) {
	return nil, errors.New("database is gone")
}

// TestBadgeStoreError: a failing store is a 500 that tells the client nothing internal.
func TestBadgeStoreError(t *testing.T) {
	e := newBadgeEnv(t, "test-secret")
	c := e.addCheck(e.project, "a", "foo", "up")
	srv := New(Config{Store: brokenStore{e.store}, Now: func() time.Time { return badgeNow },
		SiteRoot: "http://localhost:8000", SecretKey: []byte("test-secret")})
	mux := badgeTestMux(srv)
	for _, target := range []string{
		strings.TrimPrefix(e.projectBadge("foo", "svg", 3), "http://localhost:8000"),
		"/b/2/" + c.BadgeKey + ".svg",
		"/api/v3/badges/",
		metricsPath(e.project, e.roKey),
	} {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.Header.Set("X-Api-Key", e.roKey)
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Code != http.StatusInternalServerError || strings.Contains(rec.Body.String(), "database") {
			t.Errorf("GET %s = %d %q, want 500 without details", target, rec.Code, rec.Body.String())
		}
	}
}

// countingStore counts the listings a request makes.
type countingStore struct {
	store.Store
	projects, checks int
}

func (s *countingStore) Projects(ctx context.Context) ([]*check.Project, error) {
	s.projects++
	return s.Store.Projects(ctx)
}

func (s *countingStore) Checks(ctx context.Context, projectID string) ([]*check.Check, error) {
	s.checks++
	return s.Store.Checks(ctx, projectID)
}

// TestBadgeLookups: a badge finds its project or check through the store's badge key lookups,
// never by listing every project and its checks: a check badge lists nothing, a project badge
// only its own project's checks.
func TestBadgeLookups(t *testing.T) {
	e := newBadgeEnv(t, "test-secret")
	other, _, _ := e.addProject("b")
	e.addCheck(other, "elsewhere", "foo", "down")
	c := e.addCheck(e.project, "a", "foo", "down")
	counting := &countingStore{Store: e.store}
	mux := badgeTestMux(New(Config{Store: counting, Now: func() time.Time { return badgeNow },
		SiteRoot: "http://localhost:8000", SecretKey: []byte("test-secret")}))
	get := func(target string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, strings.TrimPrefix(target, "http://localhost:8000"), nil))
		return rec
	}
	if rec := get("/b/3/" + c.BadgeKey + ".json"); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"status":"down"`) {
		t.Errorf("check badge = %d %q, want 200 down", rec.Code, rec.Body.String())
	}
	if counting.projects != 0 || counting.checks != 0 {
		t.Errorf("check badge listed projects %d times and checks %d times, want neither", counting.projects, counting.checks)
	}
	if rec := get(e.projectBadge("foo", "json", 3)); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"total":1`) {
		t.Errorf("project badge = %d %q, want 200 with its one check", rec.Code, rec.Body.String())
	}
	if counting.projects != 0 || counting.checks != 1 {
		t.Errorf("project badge listed projects %d times and checks %d times, want 0 and 1", counting.projects, counting.checks)
	}
	if rec := get("/b/3/" + uuid.NewString() + ".svg"); rec.Code != http.StatusNotFound {
		t.Errorf("unknown check badge key: status %d, want 404", rec.Code)
	}
}
