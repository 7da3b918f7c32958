package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/checksched"
	"github.com/overduehq/overdue/internal/project"
	"github.com/overduehq/overdue/internal/schedule"
)

// Maintenance windows over the API: /api/v3/maintenance/, an Overdue extension (issue 16).

// windowJSON is a maintenance window as the API shows it. Keys that do not apply are left out.
type windowJSON struct {
	ID        string   `json:"id"`
	Check     string   `json:"check,omitempty"`
	Tag       string   `json:"tag,omitempty"`
	Start     *isoTime `json:"start,omitempty"`
	End       *isoTime `json:"end,omitempty"`
	Schedule  string   `json:"schedule,omitempty"`
	TZ        string   `json:"tz,omitempty"`
	Duration  int64    `json:"duration,omitempty"`
	OpenUntil *isoTime `json:"open_until"`
	Created   isoTime  `json:"created"`
}

func renderWindow(w *check.Window, now time.Time) windowJSON {
	j := windowJSON{ID: w.ID, Check: w.CheckID, Tag: w.Tag, Start: isoTimePtr(w.Start), End: isoTimePtr(w.End),
		Schedule: w.Schedule, TZ: w.TZ, Duration: seconds(w.Duration), Created: isoTime(w.Created)}
	var sched check.Schedule
	if w.Recurring() {
		sched = checksched.Window(w)
	}
	j.OpenUntil = isoTimePtr(w.OpenUntil(now, sched))
	return j
}

// maintenanceUntil is when the maintenance covering c at now ends (zero: none), from the
// project's windows.
func maintenanceUntil(c *check.Check, windows []*check.Window, now time.Time) time.Time {
	return check.MaintenanceUntil(c, windows, now, checksched.Window)
}

// handleListWindows serves GET /api/v3/maintenance/: the project's windows, oldest first.
func (s *Server) handleListWindows(w http.ResponseWriter, r *http.Request, v int) {
	ctx := r.Context()
	p, _, err := s.authenticate(ctx, r, nil, readOnlyOK)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	windows, err := s.store.Windows(ctx, p.ID)
	if err != nil {
		s.writeAPIError(w, r, fmt.Errorf("list windows of project %s: %w", p.ID, err), "project", p.ID)
		return
	}
	now := s.now()
	out := make([]windowJSON, 0, len(windows))
	for _, win := range windows {
		out = append(out, renderWindow(win, now))
	}
	writeJSON(w, http.StatusOK, map[string]any{"windows": out})
}

// errWindowLimit refuses a window over check.MaxWindows.
var errWindowLimit = &clientError{http.StatusForbidden, project.ErrTooManyWindows.Error()}

// handleCreateWindow serves POST /api/v3/maintenance/: a one-off window {"start", "end"} (ISO
// 8601 with an offset) or a recurring one {"schedule", "duration" (seconds), "tz"}, for
// {"check": uuid}, {"tag": "t"}, or the whole project. 201 with the window.
func (s *Server) handleCreateWindow(w http.ResponseWriter, r *http.Request, v int) {
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
	now := s.now()
	win, err := parseWindow(body)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	win.ID, win.ProjectID, win.Created = s.newID(), p.ID, now
	switch err := project.AddWindow(ctx, s.store, win); {
	case errors.Is(err, project.ErrNotProjectCheck):
		s.writeAPIError(w, r, validationError(err.Error()))
		return
	case errors.Is(err, project.ErrTooManyWindows):
		s.writeAPIError(w, r, errWindowLimit)
		return
	case err != nil:
		s.writeAPIError(w, r, err, "project", p.ID)
		return
	}
	s.log.InfoContext(ctx, "maintenance window created", "window", win.ID, "project", p.ID)
	writeJSON(w, http.StatusCreated, renderWindow(win, now))
}

// handleDeleteWindow serves DELETE /api/v3/maintenance/{id}: 200 with the window as it was.
func (s *Server) handleDeleteWindow(w http.ResponseWriter, r *http.Request, v int) {
	ctx := r.Context()
	p, _, err := s.authenticate(ctx, r, nil, readWrite)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	id := r.PathValue("id")
	windows, err := s.store.Windows(ctx, p.ID)
	if err != nil {
		s.writeAPIError(w, r, fmt.Errorf("list windows of project %s: %w", p.ID, err), "project", p.ID)
		return
	}
	var found *check.Window
	for _, win := range windows {
		if win.ID == id {
			found = win
		}
	}
	if found == nil {
		s.handleNotFound(w, r)
		return
	}
	if err := s.store.DeleteWindow(ctx, p.ID, id); err != nil {
		s.writeAPIError(w, r, fmt.Errorf("delete window %s: %w", id, err), "project", p.ID)
		return
	}
	writeJSON(w, http.StatusOK, renderWindow(found, s.now()))
}

// parseWindow validates a create request. Unknown members are ignored, as everywhere in the API.
func parseWindow(body map[string]json.RawMessage) (*check.Window, error) {
	win := &check.Window{}
	str := func(name string, dst *string) error {
		raw, ok := body[name]
		if !ok {
			return nil
		}
		v, ok := jsonString(bytes.TrimSpace(raw))
		if !ok {
			return validationError(name + " is not a string")
		}
		*dst = v
		return nil
	}
	var start, end string
	for _, f := range []struct {
		name string
		dst  *string
	}{{"check", &win.CheckID}, {"tag", &win.Tag}, {"start", &start}, {"end", &end}, {"schedule", &win.Schedule}, {"tz", &win.TZ}} {
		if err := str(f.name, f.dst); err != nil {
			return nil, err
		}
	}
	if win.CheckID != "" && !isCheckUUID(win.CheckID) {
		return nil, validationError("check is not a check UUID")
	}
	for _, t := range []struct {
		name, v string
		dst     *time.Time
	}{{"start", start, &win.Start}, {"end", end, &win.End}} {
		if t.v == "" {
			continue
		}
		at, err := time.Parse(time.RFC3339, t.v)
		if err != nil {
			return nil, validationError(t.name + " is not a date and time with an offset (2026-11-24T20:00:00+00:00)")
		}
		*t.dst = at.UTC()
	}
	if raw, ok := body["duration"]; ok {
		n, reason := jsonInteger(bytes.TrimSpace(raw))
		if reason != "" {
			return nil, validationError("duration " + reason)
		}
		win.Duration = time.Duration(min(max(n, -1), int64(check.MaxWindowDuration/time.Second)+1)) * time.Second
	}
	if win.Recurring() {
		if win.TZ == "" {
			win.TZ = "UTC"
		}
		zone, err := schedule.CanonicalZone(win.TZ)
		if err != nil {
			return nil, validationError("tz is not a valid timezone")
		}
		win.TZ = zone
		if _, err := schedule.Parse(win.Schedule, win.TZ); err != nil {
			return nil, validationError("schedule is not a valid cron or OnCalendar expression")
		}
	} else if win.TZ != "" {
		return nil, validationError("tz is for recurring windows (with a schedule)")
	}
	if err := win.Validate(); err != nil {
		var fe *check.FieldError
		if errors.As(err, &fe) {
			return nil, validationError(fe.Advice())
		}
		return nil, validationError(err.Error())
	}
	return win, nil
}

// windowsForView is the project's windows for a check view of API version v: none before v3,
// which shows no maintenance, so those answers cost no extra read.
func (s *Server) windowsForView(ctx context.Context, projectID string, v int) ([]*check.Window, error) {
	if v < 3 {
		return nil, nil
	}
	windows, err := s.store.Windows(ctx, projectID)
	if err != nil {
		return nil, fmt.Errorf("list windows of project %s: %w", projectID, err)
	}
	return windows, nil
}
