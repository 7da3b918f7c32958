package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
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
	if err := c.ValidateRules(); err != nil {
		var fe *check.FieldError
		if errors.As(err, &fe) {
			return validationError(fe.Advice())
		}
		return validationError(err.Error())
	}
	return nil
}

// renderRules adds the v3 extensions to a check's JSON: each rule only when it is on, the
// snooze only while it runs.
func renderRules(j *checkJSON, c *check.Check, now time.Time) {
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
	// An alert released by ending the snooze is held again by an open maintenance window.
	c, err := s.holdingUpdate(r.Context(), id, now, func(c *check.Check, hold func(*check.Flip) *check.Flip) (store.Change, error) {
		if projectID != "" && c.ProjectID != projectID {
			return store.Change{}, store.ErrNotFound
		}
		sched, _ := scheduleFor(c)
		f, err := c.Snooze(d, now, sched)
		if err != nil {
			return store.Change{}, errSnoozeMinutes
		}
		return store.Change{Flip: hold(f)}, nil
	})
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
	h.Set("Expires", now.UTC().Format(http.TimeFormat))
	h.Set("Cache-Control", "max-age=0, no-cache, no-store, must-revalidate, private")
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
