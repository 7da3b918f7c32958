package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// Alert rules over the API: Overdue's extensions of the v3 check object (issue 16). v1 and v2
// neither show nor accept them (their members are ignored, as Healthchecks ignores members it
// does not know), so those answers stay Healthchecks'. In v3 a rule is shown only when it is on,
// so the check object of a check without rules is unchanged too.

// ruleSpec is the rules part of a v3 create or update request; nil fields were absent.
type ruleSpec struct {
	startGrace, maxRuntime, minRuntime *time.Duration
	failureTolerance                   *int
	// dependsOn is the new list of parents (empty: none), validated against the project by
	// checkDependencies; nil when absent.
	dependsOn   *[]string
	failureRate *check.FailureRate
	flapping    *check.FlapRule
}

// ruleFields are the rule members of a v3 check request, in the order their errors are reported.
var ruleFields = []struct {
	name  string
	parse func(rs *ruleSpec, raw json.RawMessage) string
}{
	{"start_grace", ruleSeconds(func(rs *ruleSpec, d time.Duration) { rs.startGrace = &d })},
	{"max_runtime", ruleSeconds(func(rs *ruleSpec, d time.Duration) { rs.maxRuntime = &d })},
	{"min_runtime", ruleSeconds(func(rs *ruleSpec, d time.Duration) { rs.minRuntime = &d })},
	{"failure_tolerance", func(rs *ruleSpec, raw json.RawMessage) string {
		n, reason := jsonInteger(raw)
		switch {
		case reason != "":
			return reason
		case n < 0:
			return "is too small"
		case n > check.MaxFailureTolerance:
			return "is too large"
		}
		v := int(n)
		rs.failureTolerance = &v
		return ""
	}},
	{"depends_on", parseDependsOn},
	{"failure_rate", func(rs *ruleSpec, raw json.RawMessage) string {
		n, window, reason := parseCountWindow(raw, "failures")
		if reason == "" {
			rs.failureRate = &check.FailureRate{Failures: n, Window: window}
		}
		return reason
	}},
	{"flapping", func(rs *ruleSpec, raw json.RawMessage) string {
		n, window, reason := parseCountWindow(raw, "changes")
		if reason == "" {
			rs.flapping = &check.FlapRule{Changes: n, Window: window}
		}
		return reason
	}},
}

// parseDependsOn reads depends_on: a list of check UUIDs, or null or [] for none. UUIDs are
// lowercased and repeats dropped; whether each is a check of the project, and whether the
// list closes a cycle, is checkDependencies's to say.
func parseDependsOn(rs *ruleSpec, raw json.RawMessage) string {
	ids := []string{}
	if string(raw) != "null" {
		var list []string
		if err := json.Unmarshal(raw, &list); err != nil {
			return "must be a list of check UUIDs, or null for none"
		}
		for _, id := range list {
			id = strings.ToLower(id)
			if !isCheckUUID(id) {
				return fmt.Sprintf("has %q, which is not a check UUID", id)
			}
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	if len(ids) > check.MaxDependsOn {
		return fmt.Sprintf("has %d checks, at most %d are allowed", len(ids), check.MaxDependsOn)
	}
	rs.dependsOn = &ids
	return ""
}

// parseCountWindow reads {"<count>": N, "minutes": M}, or null for off (0, 0). Both members are
// required and whole numbers; their ranges are check.ValidateRules's.
func parseCountWindow(raw json.RawMessage, count string) (int, time.Duration, string) {
	if string(raw) == "null" {
		return 0, 0, ""
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return 0, 0, fmt.Sprintf(`must be an object {"%s": N, "minutes": M}, or null for off`, count)
	}
	for k := range obj {
		if k != count && k != "minutes" {
			return 0, 0, fmt.Sprintf(`has an unknown member %q: only "%s" and "minutes"`, k, count)
		}
	}
	var vals [2]int64
	for i, m := range []struct {
		name string
		max  int64
		hint string
	}{
		{count, check.MaxRuleCount, fmt.Sprintf("1 to %d", check.MaxRuleCount)},
		{"minutes", int64(check.MaxRuleWindow / time.Minute), fmt.Sprintf("1 to %d, a week", int64(check.MaxRuleWindow/time.Minute))},
	} {
		v, ok := obj[m.name]
		if !ok {
			return 0, 0, fmt.Sprintf(`needs "%s" and "minutes"`, count)
		}
		n, reason := jsonInteger(bytes.TrimSpace(v))
		if reason != "" {
			return 0, 0, "has " + m.name + " that " + reason
		}
		if n < 1 || n > m.max {
			return 0, 0, fmt.Sprintf("has %s out of range (%s; null turns the rule off)", m.name, m.hint)
		}
		vals[i] = n
	}
	return int(vals[0]), time.Duration(vals[1]) * time.Minute, ""
}

// ruleSeconds parses a rule duration: whole seconds, 0 (off) up to a year.
func ruleSeconds(set func(rs *ruleSpec, d time.Duration)) func(*ruleSpec, json.RawMessage) string {
	return func(rs *ruleSpec, raw json.RawMessage) string {
		n, reason := jsonInteger(raw)
		switch {
		case reason != "":
			return reason
		case n < 0:
			return "is too small"
		case n > maxPeriod:
			return "is too large"
		}
		set(rs, time.Duration(n)*time.Second)
		return ""
	}
}

// parseRuleSpec validates the rule members of a v3 request body.
func parseRuleSpec(body map[string]json.RawMessage) (ruleSpec, error) {
	var rs ruleSpec
	for _, f := range ruleFields {
		raw, ok := body[f.name]
		if !ok {
			continue
		}
		if reason := f.parse(&rs, bytes.TrimSpace(raw)); reason != "" {
			return ruleSpec{}, validationError(f.name + " " + reason)
		}
	}
	return rs, nil
}

// apply writes the rules the request carries to c and checks them together (min_runtime below
// max_runtime), as the check will have them.
func (rs ruleSpec) apply(c *check.Check) error {
	setIf(&c.StartGrace, rs.startGrace)
	setIf(&c.MaxRuntime, rs.maxRuntime)
	setIf(&c.MinRuntime, rs.minRuntime)
	setIf(&c.FailureTolerance, rs.failureTolerance)
	setIf(&c.FailureRate, rs.failureRate)
	setIf(&c.Flap, rs.flapping)
	if rs.dependsOn != nil {
		c.DependsOn = nil
		if len(*rs.dependsOn) > 0 {
			c.DependsOn = slices.Clone(*rs.dependsOn)
		}
	}
	if rs.flapping != nil && !rs.flapping.On() {
		// Flapping turned off: the check stops holding its alerts at once.
		c.ChangeTimes, c.FlapSent = nil, ""
	}
	if rs.failureRate != nil && !rs.failureRate.On() {
		c.FailTimes = nil
	}
	if err := c.ValidateRules(); err != nil {
		var fe *check.FieldError
		if errors.As(err, &fe) {
			return validationError(fe.Advice())
		}
		return validationError(err.Error())
	}
	return nil
}

// checkDependencies checks the parents that self (as it will be written, its DependsOn set)
// gains over prev, reading checks through g: every parent must be a check of self's project,
// and the list must not close a cycle (a check depending on itself included). Parents that
// self had already are not checked again, and a list that adds none reads nothing. The 400
// names the unknown UUID, or the cycle by the checks' names.
func checkDependencies(self *check.Check, prev []string, g store.Graph) error {
	if !store.AddsParent(prev, self.DependsOn) {
		return nil
	}
	for _, parent := range self.DependsOn {
		if parent == self.ID {
			return &clientError{http.StatusBadRequest, "depends_on: a check cannot depend on itself"}
		}
	}
	graph, err := store.Reachable(g, self)
	if err != nil {
		return err
	}
	for _, parent := range self.DependsOn {
		if graph[parent] == nil && !slices.Contains(prev, parent) {
			return &clientError{http.StatusBadRequest, fmt.Sprintf("depends_on: %s is not a check of this project", parent)}
		}
	}
	deps := make(map[string][]string, len(graph))
	for id, c := range graph {
		if c != nil {
			deps[id] = c.DependsOn
		}
	}
	cycle := check.DependencyCycle(self.ID, self.DependsOn, deps)
	if cycle == nil {
		return nil
	}
	hops := make([]string, len(cycle))
	for i, cid := range cycle {
		hops[i] = cid
		name := self.Name
		if c := graph[cid]; c != nil {
			name = c.Name
		}
		if name != "" {
			hops[i] = strconv.Quote(name)
		}
	}
	return &clientError{http.StatusBadRequest, "depends_on would close a cycle: " + hops[0] + " depends on " +
		strings.Join(hops[1:], ", which depends on ") + "; leave one of these dependencies out"}
}

// errDependsOnRace answers an update of depends_on that lost to other updates of the project's
// dependencies more often than the store retries.
var errDependsOnRace = &clientError{http.StatusConflict,
	"depends_on: other changes to this project's dependencies came in at the same time; send the update again"}

// renderRules adds the v3 extensions to a check's JSON: each rule only when it is on, the
// snooze only while it runs, held only while a parent or flapping holds the check's alerts. The
// read-only view names parents by their unique keys, as it names the check.
func renderRules(j *checkJSON, c *check.Check, readOnly bool, now time.Time) {
	if c.StartGrace > 0 {
		j.StartGrace = ptr(seconds(c.StartGrace))
	}
	if c.MaxRuntime > 0 {
		j.MaxRuntime = ptr(seconds(c.MaxRuntime))
	}
	if c.MinRuntime > 0 {
		j.MinRuntime = ptr(seconds(c.MinRuntime))
	}
	if c.FailureTolerance > 0 {
		j.FailureTolerance = ptr(c.FailureTolerance)
	}
	if c.Snoozed(now) {
		j.SnoozedUntil = isoTimePtr(c.SnoozeUntil)
	}
	if len(c.DependsOn) > 0 {
		ids := slices.Clone(c.DependsOn)
		if readOnly {
			for i, id := range ids {
				ids[i] = check.UniqueKey(id)
			}
		}
		j.DependsOn = ids
	}
	if c.FailureRate.On() {
		j.FailureRate = &countWindowJSON{Failures: c.FailureRate.Failures, Minutes: int64(c.FailureRate.Window / time.Minute)}
	}
	if c.Flap.On() {
		j.Flapping = &countWindowJSON{Changes: c.Flap.Changes, Minutes: int64(c.Flap.Window / time.Minute)}
	}
	switch {
	case c.Status == check.StatusDown && c.HeldNote != "":
		j.Held = c.HeldNote
	case c.Flapping():
		j.Held = check.NoteFlapping
	}
}

// countWindowJSON is failure_rate ({"failures", "minutes"}) or flapping ({"changes",
// "minutes"}) in a v3 check.
type countWindowJSON struct {
	Failures int   `json:"failures,omitempty"`
	Changes  int   `json:"changes,omitempty"`
	Minutes  int64 `json:"minutes"`
}

func ptr[T any](v T) *T { return &v }

// markMaintenance adds the v3 view of maintenance to a check's JSON: maintenance_until while a
// window covering it is open, and the status maintenance instead of down inside it.
func markMaintenance(j *checkJSON, c *check.Check, windows []*check.Window, now time.Time) {
	until := maintenanceUntil(c, windows, now)
	if until.IsZero() {
		return
	}
	j.MaintenanceUntil = isoTimePtr(until)
	if j.Status == string(check.StatusDown) {
		j.Status = "maintenance"
	}
}

// errSnoozeMinutes is the answer to a snooze without a usable number of minutes.
var errSnoozeMinutes = &clientError{http.StatusBadRequest,
	"minutes must be a whole number from 0 (end the snooze) to 10080 (a week)"}

// snoozeMinutes turns a number of minutes into the snooze's length, refusing what Snooze would.
func snoozeMinutes(n int64) (time.Duration, error) {
	if n < 0 || n > int64(check.MaxSnooze/time.Minute) {
		return 0, errSnoozeMinutes
	}
	return time.Duration(n) * time.Minute, nil
}

// handleSnoozeCheck serves POST /api/v3/checks/{uuid}/snooze with {"minutes": N}: the check's
// down alerts are held for N minutes (at most a week); 0 ends the snooze, and sends at once the
// alert a snooze held if the check is still down. It answers the check.
func (s *Server) handleSnoozeCheck(w http.ResponseWriter, r *http.Request, v int) {
	ctx := r.Context()
	body, err := readJSONObject(r)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	p, _, err := s.authenticate(ctx, r, body, readWrite)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	raw, ok := body["minutes"]
	if !ok {
		s.writeAPIError(w, r, errSnoozeMinutes)
		return
	}
	n, reason := jsonInteger(bytes.TrimSpace(raw))
	if reason != "" {
		s.writeAPIError(w, r, errSnoozeMinutes)
		return
	}
	d, err := snoozeMinutes(n)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	id := r.PathValue("code")
	now := s.now()
	c, err := s.snooze(r, id, p.ID, d, now)
	if err != nil {
		s.writeAPIError(w, r, fmt.Errorf("snooze check %s: %w", id, err), "check", id)
		return
	}
	writeJSON(w, http.StatusOK, s.renderCheck(c, v, false, now))
}

// snooze applies a snooze of d to check id, of project projectID when that is not empty, and
// writes the alert it releases, if any, with it.
func (s *Server) snooze(r *http.Request, id, projectID string, d time.Duration, now time.Time) (*check.Check, error) {
	// An alert released by ending the snooze is held again by an open maintenance window or a
	// down parent. The length was checked before: Snooze cannot refuse it.
	c, err := s.recorder().Snooze(r.Context(), id, projectID, d, now)
	var fe *check.FieldError
	if errors.As(err, &fe) {
		return nil, errSnoozeMinutes
	}
	if err == nil {
		s.log.InfoContext(r.Context(), "check snoozed", "check", id, "until", c.SnoozeUntil)
	}
	return c, err
}

// pingSnooze serves the ping-URL form of a snooze, /ping/<uuid>/snooze?minutes=N and
// /ping/<ping-key>/<slug>/snooze?minutes=N, for a cron line to call before planned work. Any
// method; it is not a ping (nothing is added to the log, n_pings stays). It answers "OK", or
// the ping API's plain-text errors: 404 for an unknown check, 400 for missing or bad minutes.
func (s *Server) pingSnooze(w http.ResponseWriter, r *http.Request, t pingTarget) {
	now := s.now()
	h := w.Header()
	s.setNeverCache(h, now)
	if t.code == "" && hasUpper(t.slug) {
		s.writePingError(w, r, errInvalidURL)
		return
	}
	id := t.code
	if id == "" {
		var err error
		if id, _, err = s.checkBySlug(r.Context(), t.pingKey, t.slug, false, now); err != nil {
			s.writePingError(w, r, err)
			return
		}
	}
	length, bad := time.Duration(0), error(errSnoozeMinutes)
	if v, ok := lastValue(r.URL.Query(), "minutes"); ok {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			length, bad = snoozeMinutes(n)
		}
	}
	var err error
	if bad != nil {
		// An unknown check is 404 whatever the query says, as for pings.
		if _, err = s.store.Check(r.Context(), id); err == nil {
			err = bad
		}
	} else {
		_, err = s.snooze(r, id, "", length, now)
	}
	if err != nil {
		s.writePingError(w, r, fmt.Errorf("snooze check %s: %w", id, err), "check", id)
		return
	}
	h.Set("Access-Control-Allow-Origin", "*")
	writeBody(w, http.StatusOK, "OK")
}
