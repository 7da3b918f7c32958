package httpapi

// Prometheus metrics: a project's checks as gauges in the text exposition format, for a
// Prometheus server to scrape with the project's read-only API key.
//
// Route-table lines for routes(). Like the badges, the patterns carry no method and the handlers
// answer 405 themselves, which a "GET ..." pattern beside the "/" catch-all would turn into 404.
//
//	s.mux.HandleFunc("/projects/{project}/metrics/{key}", s.handleMetrics)
//	s.mux.HandleFunc("/projects/{project}/checks/metrics/{key}", s.handleMetrics)
//	s.mux.HandleFunc("/projects/{project}/metrics/{$}", s.handleMetricsBearer)
//
// The first two carry the read-only key in the path, so redactPath must hide it from the request
// log (see the report that came with this file).

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// metricsContentType is the content type of the Prometheus text exposition format 0.0.4.
const metricsContentType = "text/plain; version=0.0.4; charset=utf-8"

// The metrics endpoints' client errors. Healthchecks answers them with empty bodies; ours say
// what to fix.
var (
	errMetricsNoBearer = &clientError{http.StatusUnauthorized,
		"missing credentials: send the project's read-only API key as \"Authorization: Bearer <key>\""}
	errMetricsKeyLength = &clientError{http.StatusBadRequest,
		"wrong key length: use the project's 32-character read-only API key"}
	errMetricsWrongKey = &clientError{http.StatusForbidden,
		"wrong api key: use the read-only API key of this project"}
)

// handleMetrics serves a project's metrics with the read-only key in the path:
// /projects/{project}/metrics/{key} and the legacy /projects/{project}/checks/metrics/{key}.
func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	if !metricsMethod(w, r) {
		return
	}
	s.serveMetrics(w, r, r.PathValue("key"))
}

// handleMetricsBearer serves a project's metrics with the read-only key in an
// "Authorization: Bearer <key>" header: /projects/{project}/metrics/.
func (s *Server) handleMetricsBearer(w http.ResponseWriter, r *http.Request) {
	if !metricsMethod(w, r) {
		return
	}
	// CutPrefix, not TrimLeft: a key may itself start with "B", "e" or any other letter of
	// "Bearer".
	key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
		s.writeMetricsError(w, r, errMetricsNoBearer)
		return
	}
	s.serveMetrics(w, r, key)
}

// metricsMethod lets GET and HEAD through and answers anything else with 405.
func metricsMethod(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	w.WriteHeader(http.StatusMethodNotAllowed)
	return false
}

// serveMetrics authenticates key and writes the metrics of its project.
//
// Only a read-only key is accepted, as in Healthchecks: a scraper's configuration is usually less
// guarded than a deploy secret. Unlike Healthchecks, which identifies the project by the key alone
// and ignores the project ID in the path (quirk), the path must name the key's project: a scrape
// target pointing at one project never silently reports another.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request, key string) {
	if len(key) != 32 {
		s.writeMetricsError(w, r, errMetricsKeyLength)
		return
	}
	p, readOnly, err := s.store.ProjectByAPIKey(r.Context(), check.HashKey(key))
	switch {
	case errors.Is(err, store.ErrNotFound):
		err = errMetricsWrongKey
	case err != nil:
		err = fmt.Errorf("find project by api key: %w", err)
	case !readOnly || p.ID != r.PathValue("project"):
		err = errMetricsWrongKey
	}
	if err != nil {
		s.writeMetricsError(w, r, err)
		return
	}
	checks, err := s.store.Checks(r.Context(), p.ID)
	if err != nil {
		s.writeMetricsError(w, r, fmt.Errorf("list checks of project %s: %w", p.ID, err))
		return
	}
	body := s.renderMetrics(r.Context(), checks, s.now())
	w.Header().Set("Content-Type", metricsContentType)
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, body)
}

// writeMetricsError answers a metrics request with the status and plain-text message for err.
// Internal errors are logged; the key never is.
func (s *Server) writeMetricsError(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := statusOf(err)
	if status >= http.StatusInternalServerError {
		s.log.ErrorContext(r.Context(), "metrics failed", slog.Any("error", err))
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, msg+"\n")
}

// metricsFamily is one gauge family of the exposition: its name, help text and samples.
type metricsFamily struct {
	name, help string
	samples    []metricsSample
}

// metricsSample is one line of a family: its rendered label set ("" for none) and value.
type metricsSample struct {
	labels string
	value  int
}

// renderMetrics renders the metrics of a project's checks (oldest first) at now, in the text
// exposition format: per family a HELP and a TYPE line, then its samples, families separated by
// blank lines. Labels are in Healthchecks' order and spacing, so dashboards and alert rules
// written against Healthchecks keep working.
func (s *Server) renderMetrics(ctx context.Context, checks []*check.Check, now time.Time) string {
	up := metricsFamily{name: "hc_check_up",
		help: "Whether the check is currently up (1 for yes, 0 for no)."}
	started := metricsFamily{name: "hc_check_started",
		help: "Whether the check is currently running: started and not yet finished (1 for yes, 0 for no)."}
	grace := metricsFamily{name: "hc_check_grace",
		help: "Whether the check is currently late, in its grace period (1 for yes, 0 for no)."}
	paused := metricsFamily{name: "hc_check_paused",
		help: "Whether the check is currently paused (1 for yes, 0 for no)."}

	tagDown := map[string]bool{} // every tag in use: whether a check carrying it is down
	down := 0
	for _, c := range checks {
		status := s.publicStatus(ctx, c, now)
		labels := fmt.Sprintf(`{name="%s", tags="%s", unique_key="%s"}`,
			escapeLabelValue(c.Name), escapeLabelValue(c.Tags), check.UniqueKey(c.ID))
		up.samples = append(up.samples, metricsSample{labels, boolGauge(status != check.StatusDown)})
		started.samples = append(started.samples, metricsSample{labels, boolGauge(c.Started())})
		grace.samples = append(grace.samples, metricsSample{labels, boolGauge(status == check.StatusGrace)})
		paused.samples = append(paused.samples, metricsSample{labels, boolGauge(status == check.StatusPaused)})
		if status == check.StatusDown {
			down++
		}
		for _, t := range c.TagList() {
			tagDown[t] = tagDown[t] || status == check.StatusDown
		}
	}

	tags := make([]string, 0, len(tagDown))
	for t := range tagDown {
		tags = append(tags, t)
	}
	sort.Strings(tags)
	tagUp := metricsFamily{name: "hc_tag_up",
		help: "Whether all checks with this tag are up (1 for yes, 0 for no)."}
	for _, t := range tags {
		tagUp.samples = append(tagUp.samples,
			metricsSample{fmt.Sprintf(`{tag="%s"}`, escapeLabelValue(t)), boolGauge(!tagDown[t])})
	}

	families := []metricsFamily{up, started, grace, paused, tagUp,
		{name: "hc_checks_total", help: "The number of checks in the project.",
			samples: []metricsSample{{"", len(checks)}}},
		{name: "hc_checks_down_total", help: "The number of checks in the project that are currently down.",
			samples: []metricsSample{{"", down}}},
	}
	var b strings.Builder
	for i, f := range families {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s gauge\n", f.name, f.help, f.name)
		for _, smp := range f.samples {
			fmt.Fprintf(&b, "%s%s %d\n", f.name, smp.labels, smp.value)
		}
	}
	return b.String()
}

// boolGauge is 1 for true and 0 for false.
func boolGauge(v bool) int {
	if v {
		return 1
	}
	return 0
}

// labelEscaper escapes a label value for the text exposition format: backslash, double quote and
// line feed are the only characters it requires escaped.
var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

// escapeLabelValue escapes a label value; invalid UTF-8, which the format forbids, becomes U+FFFD.
func escapeLabelValue(v string) string {
	return labelEscaper.Replace(strings.ToValidUTF8(v, "\uFFFD"))
}
