package web

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/schedule"
	"github.com/overduehq/overdue/internal/store"
)

// StatusPrefix holds the public status pages: /status/<key>/.
const StatusPrefix = "/status/"

// statusCacheControl is the Cache-Control of a public status page rendered at rendered and
// sent at now. The page is the same for everyone (no viewer, times in UTC), so a CDN in front
// of the site may serve it to all readers, for what is left of the minute since it was
// rendered (maxAge): a page made private stops answering everywhere within a minute.
func statusCacheControl(rendered, now time.Time) string {
	return "public, max-age=" + strconv.Itoa(maxAge(rendered, now))
}

// statusRoutes adds the status pages to the route table.
func (s *Server) statusRoutes() {
	s.mux.HandleFunc("GET "+StatusPrefix+"{key}/{$}", s.handleStatusPage)
	s.mux.HandleFunc("GET /projects/{project}/status-page/{$}", s.handleStatusSettings)
	s.mux.HandleFunc("POST /projects/{project}/status-page/{$}", s.handleStatusSettingsPost)
	s.mux.HandleFunc(StatusPrefix, s.handleNotFound)
}

// statusSettingsPath is the URL of a project's status page settings.
func statusSettingsPath(projectID string) string {
	return "/projects/" + url.PathEscape(projectID) + "/status-page/"
}

// publicStatusView is a public status page's data: names and states only, never a check's UUID,
// slug, tags, description, ping URL or ping.
type publicStatusView struct {
	Project string
	Summary statusView // the worst state among the checks, with Words saying how many
	Words   string
	Rows    []publicRow
	From    string // the first day drawn, "8 Sep 2026"
	Updated timeView
}

// publicRow is one check of a public status page.
type publicRow struct {
	Name   string
	Status statusView
	Uptime string // over the days drawn: "99.95%", or "no data"
	Strip  template.HTML
}

// handleStatusPage serves GET /status/{key}/: the public status page of the project whose page
// has this key, when it is public; 404 otherwise, as for a key that does not exist. It reads the
// page (one lookup), the project, and each chosen check with its status changes of the days
// drawn: never a ping.
//
// Each client address (as the sign-in limits see it) may ask for status pages as the rate limit
// allows (DefaultStatusLimit); past it the answer is 429 with Retry-After, reading nothing. A
// page rendered less than a minute ago by this process is sent as it was rendered, reading
// nothing either (statusPages); its settings form drops it at once.
func (s *Server) handleStatusPage(w http.ResponseWriter, r *http.Request) {
	now := s.acc.Now()
	if ok, wait := s.statusLimit.allow(s.clientIP(r), now); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter(wait)))
		s.render(w, r, http.StatusTooManyRequests, "message", &page{Title: "Too many requests",
			Message: "This address has asked for status pages too often. Wait a little and reload."})
		return
	}
	key := r.PathValue("key")
	if s.st == nil || check.ValidateStatusKey(key) != nil {
		s.handleNotFound(w, r)
		return
	}
	kept, gen := s.statusPages.get(key, now)
	if kept != nil {
		s.write(w, http.StatusOK, kept.body, statusCacheControl(kept.rendered, now))
		return
	}
	ctx := r.Context()
	sp, err := s.st.StatusPageByKey(ctx, key)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !sp.Public) {
		s.statusNotFound(w, r)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.st.Project(ctx, sp.ProjectID)
	if errors.Is(err, store.ErrNotFound) {
		s.statusNotFound(w, r)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	bounds := check.DayBounds(now, historyDays, time.UTC)
	checks, err := s.loadChecks(ctx, p.ID, sp.Checks, bounds[0], now)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	view := &publicStatusView{Project: p.Name, From: bounds[0].Format("2 Jan 2006"), Updated: timeOf(now, now)}
	counts := map[string]int{}
	for _, l := range checks {
		sched, _ := schedule.ForCheck(string(l.c.Kind), l.c.Schedule, l.c.TZ)
		st := statusOf(l.c.ReportedStatus(now, asSchedule(sched), true))
		counts[st.Key]++
		row := publicRow{Name: l.c.Name, Status: st, Uptime: percent(l.history.Spans([]time.Time{bounds[0], now})[0]),
			Strip: dayStrip(l.history.Spans(bounds))}
		if row.Name == "" {
			row.Name = "Unnamed check"
		}
		view.Rows = append(view.Rows, row)
	}
	view.Summary, view.Words = summary(counts, len(checks))
	body, ok := s.execute(w, r, "status", &page{Title: p.Name + " status", Data: view, Wide: true})
	if !ok {
		return
	}
	s.statusPages.put(key, &statusPage{body: body, rendered: now}, gen)
	s.write(w, http.StatusOK, body, statusCacheControl(now, now))
}

// summary is the status page's headline: the worst state of its checks, and how many are in it.
func summary(counts map[string]int, total int) (statusView, string) {
	checks := "checks"
	if total == 1 {
		checks = "check"
	}
	up := counts["up"] + counts["running"]
	switch {
	case total == 0:
		return statusOf(check.StatusNew), "no checks are shown on this page yet"
	case counts["down"] > 0:
		return statusOf(check.StatusDown), fmt.Sprintf("%d of %d %s down", counts["down"], total, checks)
	case counts["late"] > 0:
		return statusOf(check.StatusGrace), fmt.Sprintf("%d of %d %s late", counts["late"], total, checks)
	case up == total:
		return statusOf(check.StatusUp), fmt.Sprintf("all %d %s up", total, checks)
	}
	return statusOf(check.StatusUp), fmt.Sprintf("%d of %d %s up; the others are paused or not pinged yet", up, total, checks)
}

// statusNotFound answers a status page that does not exist or is not public, alike.
func (s *Server) statusNotFound(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusNotFound, "message", &page{Title: "Page not found",
		Message: "There is no status page at this address, or it is not public."})
}

// statusSettingsView is the status page settings' data.
type statusSettingsView struct {
	*membership
	CanEdit bool
	Public  bool
	Address string // the page's URL once it has a key
	Choices []statusChoice
	Chosen  int
	Max     int
	Saved   bool
}

// statusChoice is one check of the project in the settings' list: its ID only for those who may
// edit (who see UUIDs anyway); read-only members see the chosen names.
type statusChoice struct {
	ID, Name string
	Chosen   bool
}

// handleStatusSettings serves GET /projects/{project}/status-page/: whether the project's status
// page is public, its address, and the checks it shows; for owners and managers, the form that
// changes them.
func (s *Server) handleStatusSettings(w http.ResponseWriter, r *http.Request) {
	m, ok := s.requireMember(w, r, r.PathValue("project"))
	if !ok {
		return
	}
	sp, err := s.st.StatusPage(r.Context(), m.Project.ID)
	if errors.Is(err, store.ErrNotFound) {
		sp, err = &check.StatusPage{ProjectID: m.Project.ID}, nil
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderStatusSettings(w, r, m, http.StatusOK, sp, nil, r.URL.Query().Has("saved"))
}

// renderStatusSettings renders the settings with sp's values (as saved, or as posted).
func (s *Server) renderStatusSettings(w http.ResponseWriter, r *http.Request, m *membership, status int, sp *check.StatusPage, errs []fieldError, saved bool) {
	checks, err := s.st.Checks(r.Context(), m.Project.ID)
	if err != nil {
		s.fail(w, r, fmt.Errorf("list checks of project %s: %w", m.Project.ID, err))
		return
	}
	view := &statusSettingsView{membership: m, CanEdit: m.Role.CanPublish(), Public: sp.Public, Max: check.MaxStatusChecks, Saved: saved}
	if sp.Key != "" {
		view.Address = s.root(r) + StatusPrefix + sp.Key + "/"
	}
	for _, c := range checks {
		chosen := sp.Shows(c.ID)
		if chosen {
			view.Chosen++
		}
		if !view.CanEdit && !chosen {
			continue
		}
		choice := statusChoice{Name: c.Name, Chosen: chosen}
		if view.CanEdit {
			choice.ID = c.ID
		}
		if choice.Name == "" {
			choice.Name = "Unnamed check"
		}
		view.Choices = append(view.Choices, choice)
	}
	s.render(w, r, status, "statussettings", &page{Title: "Status page · " + m.Project.Name, Viewer: m.Viewer, Errors: errs, Data: view})
}

// handleStatusSettingsPost serves POST /projects/{project}/status-page/ (fields public, check
// (repeated: the IDs of the checks to show) and action: "save", or "new-address", which also
// gives the page a new key, so the old address stops working). Owners and managers only.
func (s *Server) handleStatusSettingsPost(w http.ResponseWriter, r *http.Request) {
	m, ok := s.requireMember(w, r, r.PathValue("project"))
	if !ok {
		return
	}
	if !m.Role.CanPublish() {
		s.render(w, r, http.StatusForbidden, "message", &page{Title: "Not allowed", Viewer: m.Viewer,
			Message: "Only owners and managers of a project can change its status page. Ask one of them to.",
			Link:    statusSettingsPath(m.Project.ID), LinkText: "Back to the status page settings"})
		return
	}
	if err := readForm(w, r); err != nil {
		s.badForm(w, r)
		return
	}
	ctx := r.Context()
	sp, err := s.st.StatusPage(ctx, m.Project.ID)
	if errors.Is(err, store.ErrNotFound) {
		sp, err = &check.StatusPage{ProjectID: m.Project.ID}, nil
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	checks, err := s.st.Checks(ctx, m.Project.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	posted := map[string]bool{}
	for _, id := range r.PostForm["check"] {
		posted[id] = true
	}
	sp.Public = r.PostForm.Get("public") == "on"
	sp.Checks = nil
	for _, c := range checks { // the project's order; an ID of no check of it is dropped
		if posted[c.ID] {
			sp.Checks = append(sp.Checks, c.ID)
		}
	}
	var errs []fieldError
	switch {
	case len(sp.Checks) > check.MaxStatusChecks:
		errs = append(errs, fieldError{"checks", fmt.Sprintf("Choose at most %d checks; %d are chosen.", check.MaxStatusChecks, len(sp.Checks))})
	case sp.Public && len(sp.Checks) == 0:
		errs = append(errs, fieldError{"checks", "Choose at least one check to show, or leave the page private."})
	}
	if len(errs) > 0 {
		s.renderStatusSettings(w, r, m, http.StatusUnprocessableEntity, sp, errs, false)
		return
	}
	oldKey := sp.Key
	if sp.Key == "" || r.PostForm.Get("action") == "new-address" {
		if sp.Key, err = check.GenerateStatusKey(s.acc.Rand); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	err = s.st.PutStatusPage(ctx, sp)
	// Dropped even when the write failed: it may have happened all the same.
	s.statusPages.drop(oldKey, sp.Key)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	redirect(w, r, statusSettingsPath(m.Project.ID)+"?saved=1")
}
