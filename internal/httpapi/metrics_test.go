package httpapi

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/overduehq/overdue/internal/check"
)

// metricsPath is the key-in-path metrics URL of a project.
func metricsPath(p *check.Project, key string) string {
	return "/projects/" + p.ID + "/metrics/" + key
}

// TestMetricsWorks (§8.6 case 103): the lines Healthchecks' test looks for, byte for byte.
func TestMetricsWorks(t *testing.T) {
	e := newBadgeEnv(t, "test-secret")
	c := e.addCheck(e.project, "Alice Was Here", "foo", "up")
	rec := e.get(metricsPath(e.project, e.roKey))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d, want 200 (%q)", rec.Code, rec.Body.String())
	}
	if ct := rec.Header().Get("Content-Type"); ct != "text/plain; version=0.0.4; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	labels := `{name="Alice Was Here", tags="foo", unique_key="` + check.UniqueKey(c.ID) + `"}`
	body := rec.Body.String()
	for _, line := range []string{
		"# TYPE hc_check_up gauge",
		"hc_check_up" + labels + " 1",
		"hc_check_started" + labels + " 0",
		"hc_check_paused" + labels + " 0",
		"hc_check_grace" + labels + " 0",
		`hc_tag_up{tag="foo"} 1`,
		"hc_checks_total 1",
		"hc_checks_down_total 0",
	} {
		if !strings.Contains(body, "\n"+line+"\n") && !strings.HasPrefix(body, line+"\n") {
			t.Errorf("metrics lack the line %q:\n%s", line, body)
		}
	}
}

// TestMetricsParse: the Prometheus text parser accepts the output, and every value is right for
// checks up, late, down (stored or overdue), running, paused and new, with awkward names.
func TestMetricsParse(t *testing.T) {
	e := newBadgeEnv(t, "test-secret")
	type want struct{ up, started, grace, paused float64 }
	checks := []struct {
		name, tags, state string
		want              want
	}{
		{"up", "prod web", "up", want{1, 0, 0, 0}},
		{"late", "prod", "late", want{1, 0, 1, 0}},
		{"down", "prod db", "down", want{0, 0, 0, 0}},
		{"overdue", "batch", "overdue", want{0, 0, 0, 0}},
		{"running", "web", "started", want{1, 1, 0, 0}},
		{"run too long", "batch", "run-overdue", want{0, 1, 0, 0}},
		{"paused", "", "paused", want{1, 0, 0, 1}},
		{"new", "", "new", want{1, 0, 0, 0}},
		{"late and running", "", "late+started", want{1, 1, 1, 0}},
		{"down and running", "", "down+started", want{0, 1, 0, 0}},
		{"Line 1\nLine2", `A\C "quoted"`, "up", want{1, 0, 0, 0}},
		{"", "", "up", want{1, 0, 0, 0}},
		{"ünïcödé ✓", "", "up", want{1, 0, 0, 0}},
	}
	byKey := map[string]want{}
	nameOf := map[string]string{}
	for _, c := range checks {
		added := e.addCheck(e.project, c.name, c.tags, c.state)
		byKey[check.UniqueKey(added.ID)] = c.want
		nameOf[check.UniqueKey(added.ID)] = c.name
	}
	other, otherRO, _ := e.addProject("b")
	e.addCheck(other, "elsewhere", "prod", "down")

	rec := e.get(metricsPath(e.project, e.roKey))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d, want 200 (%q)", rec.Code, rec.Body.String())
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(rec.Body.Bytes()))
	if err != nil {
		t.Fatalf("the Prometheus text parser rejects the output: %v\n%s", err, rec.Body.String())
	}
	var names []string
	for name, f := range families {
		names = append(names, name)
		if f.GetType() != dto.MetricType_GAUGE {
			t.Errorf("%s is %v, want a gauge", name, f.GetType())
		}
		if f.GetHelp() == "" {
			t.Errorf("%s has no help text", name)
		}
	}
	wantNames := []string{"hc_check_grace", "hc_check_paused", "hc_check_started", "hc_check_up",
		"hc_checks_down_total", "hc_checks_total", "hc_tag_up"}
	if d := cmp.Diff(wantNames, sortedCopy(names)); d != "" {
		t.Errorf("families (-want +got):\n%s", d)
	}

	gauges := map[string]func(want) float64{
		"hc_check_up":      func(w want) float64 { return w.up },
		"hc_check_started": func(w want) float64 { return w.started },
		"hc_check_grace":   func(w want) float64 { return w.grace },
		"hc_check_paused":  func(w want) float64 { return w.paused },
	}
	for family, value := range gauges {
		ms := families[family].GetMetric()
		if len(ms) != len(checks) {
			t.Errorf("%s has %d samples, want %d", family, len(ms), len(checks))
		}
		for _, m := range ms {
			l := labelMap(m)
			w, ok := byKey[l["unique_key"]]
			if !ok {
				t.Errorf("%s: sample for unknown unique_key %q", family, l["unique_key"])
				continue
			}
			if l["name"] != nameOf[l["unique_key"]] {
				t.Errorf("%s: name label %q, want %q", family, l["name"], nameOf[l["unique_key"]])
			}
			if got := m.GetGauge().GetValue(); got != value(w) {
				t.Errorf("%s{name=%q} = %v, want %v", family, l["name"], got, value(w))
			}
		}
	}
	// The label values survive escaping: the parser gives back what was stored.
	found := false
	for _, m := range families["hc_check_up"].GetMetric() {
		if l := labelMap(m); l["name"] == "Line 1\nLine2" {
			found = true
			if l["tags"] != `A\C "quoted"` {
				t.Errorf("tags label %q, want %q", l["tags"], `A\C "quoted"`)
			}
		}
	}
	if !found {
		t.Errorf("no sample for the check named with a newline")
	}

	tagUp := map[string]float64{}
	for _, m := range families["hc_tag_up"].GetMetric() {
		tagUp[labelMap(m)["tag"]] = m.GetGauge().GetValue()
	}
	if d := cmp.Diff(map[string]float64{`"quoted"`: 1, `A\C`: 1, "batch": 0, "db": 0, "prod": 0, "web": 1}, tagUp); d != "" {
		t.Errorf("hc_tag_up (-want +got):\n%s", d)
	}
	if got := families["hc_checks_total"].GetMetric()[0].GetGauge().GetValue(); got != float64(len(checks)) {
		t.Errorf("hc_checks_total = %v, want %d", got, len(checks))
	}
	if got := families["hc_checks_down_total"].GetMetric()[0].GetGauge().GetValue(); got != 4 {
		t.Errorf("hc_checks_down_total = %v, want 4", got)
	}

	// The other project's key sees only its own check.
	rec = e.get(metricsPath(other, otherRO))
	families, err = parser.TextToMetricFamilies(bytes.NewReader(rec.Body.Bytes()))
	if err != nil {
		t.Fatalf("parse the other project's metrics: %v", err)
	}
	if ms := families["hc_check_up"].GetMetric(); len(ms) != 1 || labelMap(ms[0])["name"] != "elsewhere" {
		t.Errorf("other project's hc_check_up = %v, want only its check", ms)
	}
}

// labelMap returns a sample's labels by name.
func labelMap(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

// TestMetricsEscaping (§8.6 case 106): newline and backslash escaped exactly as Healthchecks does.
func TestMetricsEscaping(t *testing.T) {
	e := newBadgeEnv(t, "test-secret")
	e.addCheck(e.project, "Line 1\nLine2", `A\C`, "up")
	body := e.get(metricsPath(e.project, e.roKey)).Body.String()
	for _, want := range []string{`name="Line 1\nLine2"`, `tags="A\\C"`, `hc_tag_up{tag="A\\C"} 1`} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s:\n%s", want, body)
		}
	}
	if got := escapeLabelValue("a\"b\\c\nd\xff"); got != `a\"b\\c\nd`+"\uFFFD" {
		t.Errorf("escapeLabelValue = %q", got)
	}
}

// TestMetricsEmptyProject: a project without checks still parses, with zero totals.
func TestMetricsEmptyProject(t *testing.T) {
	e := newBadgeEnv(t, "test-secret")
	rec := e.get(metricsPath(e.project, e.roKey))
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(rec.Body.Bytes()))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, rec.Body.String())
	}
	if got := families["hc_checks_total"].GetMetric()[0].GetGauge().GetValue(); got != 0 {
		t.Errorf("hc_checks_total = %v, want 0", got)
	}
}

// TestMetricsAuth (§8.6 cases 104 and 105): which keys and headers open which project's metrics.
func TestMetricsAuth(t *testing.T) {
	e := newBadgeEnv(t, "test-secret")
	e.addCheck(e.project, "mine", "", "up")
	other, otherRO, _ := e.addProject("b")
	e.addCheck(other, "theirs", "", "up")
	// A legacy plain key that starts like the word "Bearer".
	bearerish := "Bearer" + strings.Repeat("x", 26)
	third := e.addProjectWithKeys("c", bearerish, "hcw_"+strings.Repeat("c", 28))

	p := e.project
	tests := []struct {
		name, method, target string
		headers              []string
		status               int
		sees                 string // a check name the body must contain
	}{
		{"read-only key", "GET", metricsPath(p, e.roKey), nil, 200, "mine"},
		{"HEAD", "HEAD", metricsPath(p, e.roKey), nil, 200, ""},
		{"legacy URL", "GET", "/projects/" + p.ID + "/checks/metrics/" + e.roKey, nil, 200, "mine"},
		{"read-write key", "GET", metricsPath(p, e.rwKey), nil, 403, ""},
		{"unknown key", "GET", metricsPath(p, "hcr_"+strings.Repeat("z", 28)), nil, 403, ""},
		{"unknown key, legacy URL", "GET", "/projects/" + p.ID + "/checks/metrics/hcr_" + strings.Repeat("z", 28), nil, 403, ""},
		{"33-character key", "GET", metricsPath(p, e.roKey+"x"), nil, 400, ""},
		{"31-character key", "GET", metricsPath(p, e.roKey[:31]), nil, 400, ""},
		{"another project's key", "GET", metricsPath(p, otherRO), nil, 403, ""},
		{"another project's URL", "GET", metricsPath(other, e.roKey), nil, 403, ""},
		{"unknown project", "GET", "/projects/" + uuid.NewString() + "/metrics/" + e.roKey, nil, 403, ""},
		{"POST", "POST", metricsPath(p, e.roKey), nil, 405, ""},
		{"bearer", "GET", "/projects/" + p.ID + "/metrics/", []string{"Authorization", "Bearer " + e.roKey}, 200, "mine"},
		{"bearer, key like the scheme", "GET", "/projects/" + third.ID + "/metrics/", []string{"Authorization", "Bearer " + bearerish}, 200, "hc_checks_total 0"},
		{"bearer missing", "GET", "/projects/" + p.ID + "/metrics/", nil, 401, ""},
		{"bearer without scheme", "GET", "/projects/" + p.ID + "/metrics/", []string{"Authorization", e.roKey}, 401, ""},
		{"basic auth", "GET", "/projects/" + p.ID + "/metrics/", []string{"Authorization", "Basic " + e.roKey}, 401, ""},
		{"bearer, read-write key", "GET", "/projects/" + p.ID + "/metrics/", []string{"Authorization", "Bearer " + e.rwKey}, 403, ""},
		{"bearer, another project's key", "GET", "/projects/" + p.ID + "/metrics/", []string{"Authorization", "Bearer " + otherRO}, 403, ""},
		{"bearer, short key", "GET", "/projects/" + p.ID + "/metrics/", []string{"Authorization", "Bearer abc"}, 400, ""},
	}
	for _, tt := range tests {
		rec := e.do(tt.method, tt.target, tt.headers...)
		if rec.Code != tt.status {
			t.Errorf("%s: status %d, want %d (%q)", tt.name, rec.Code, tt.status, rec.Body.String())
			continue
		}
		body := rec.Body.String()
		if tt.sees != "" && !strings.Contains(body, tt.sees) {
			t.Errorf("%s: body lacks %q:\n%s", tt.name, tt.sees, body)
		}
		if tt.status == 200 && strings.Contains(body, "theirs") {
			t.Errorf("%s: body shows another project's check:\n%s", tt.name, body)
		}
		if tt.status != 200 && strings.Contains(body, "hc_") {
			t.Errorf("%s: error body carries metrics:\n%s", tt.name, body)
		}
	}
}

// TestMetricsUniqueKey: Healthchecks' unique_key, sha1(uuid.hex[:16]), checked against a value
// computed with Python's hashlib and uuid.
func TestMetricsUniqueKey(t *testing.T) {
	const id, want = "f5b1b6d0-93c6-4a5a-8a08-0b1f0c7b4b4e", "9b72106f6b4cf23c5fcd109b777ebc830b6648ab"
	if got := check.UniqueKey(id); got != want {
		t.Errorf("check.UniqueKey(%s) = %s, want %s", id, got, want)
	}
	if got := check.UniqueKey(strings.ToUpper(id)); got != want {
		t.Errorf("check.UniqueKey(upper case) = %s, want %s", got, want)
	}
}
