package web

import (
	"context"
	"errors"
	"fmt"
	"html"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/schedule"
	"github.com/overduehq/overdue/internal/store"
)

// ChecksPrefix holds the pages of one check (/checks/<uuid>/details/ and its forms; read-only
// members address checks as /checks/<unique_key>/…).
const ChecksPrefix = "/checks/"

// projectPages are the page patterns under /projects/, which the API shares (its Prometheus
// URLs): Mount sends exactly these to the pages.
var projectPages = []string{
	"/projects/{project}/checks/{$}",
	"/projects/{project}/checks/add/{$}",
	"/projects/{project}/integrations/{$}",
	"/projects/{project}/integrations/add/{$}",
	"/projects/{project}/integrations/{id}/test/{$}",
	"/projects/{project}/integrations/{id}/remove/{$}",
	"/projects/{project}/integrations/{id}/edit/{$}",
	"/projects/{project}/status-page/{$}",
}

// stripPings is how many of its newest pings the checks page reads for the run strip of a
// check whose kept runs are behind (check.Check.RunsCurrent): about KeptRuns runs with their
// starts.
const stripPings = 2 * check.KeptRuns

// dashboardRoutes adds the dashboard's pages to the route table.
func (s *Server) dashboardRoutes() {
	s.mux.HandleFunc("GET /projects/{project}/checks/{$}", s.handleChecks)
	s.mux.HandleFunc("POST /projects/{project}/checks/add/{$}", s.handleAddCheck)
	s.mux.HandleFunc("GET /checks/{code}/details/{$}", s.handleDetails)
	s.mux.HandleFunc("GET /checks/{code}/pings/{n}/{$}", s.handlePingBody)
	s.mux.HandleFunc("GET /checks/{code}/preview/{$}", s.handlePreview)
	s.mux.HandleFunc("POST /checks/{code}/name/{$}", s.handleEditName)
	s.mux.HandleFunc("POST /checks/{code}/timeout/{$}", s.handleEditTimeout)
	s.mux.HandleFunc("POST /checks/{code}/filters/{$}", s.handleEditFilters)
	s.mux.HandleFunc("POST /checks/{code}/channels/{$}", s.handleEditChannels)
	s.mux.HandleFunc("POST /checks/{code}/pause/{$}", s.handlePause)
	s.mux.HandleFunc("POST /checks/{code}/resume/{$}", s.handleResume)
	s.mux.HandleFunc("POST /checks/{code}/remove/{$}", s.handleRemove)
	s.mux.HandleFunc("GET /projects/{project}/integrations/{$}", s.handleChannels)
	s.mux.HandleFunc("POST /projects/{project}/integrations/add/{$}", s.handleAddChannel)
	s.mux.HandleFunc("POST /projects/{project}/integrations/{id}/test/{$}", s.handleTestChannel)
	s.mux.HandleFunc("POST /projects/{project}/integrations/{id}/remove/{$}", s.handleRemoveChannel)
	s.mux.HandleFunc("POST /projects/{project}/integrations/{id}/edit/{$}", s.handleEditChannel)
	s.mux.HandleFunc(ChecksPrefix, s.handleNotFound)
}

// membership is the viewer's place in one project.
type membership struct {
	Viewer  *viewer
	Project *check.Project
	Role    people.Role
}

// CanWrite, CanSeeSecrets: what the templates ask of the role (people's one permission table,
// the same the API enforces).
func (m *membership) CanWrite() bool { return m.Role.CanWrite() }

// CanSeeSecrets reports whether the viewer may see ping URLs.
func (m *membership) CanSeeSecrets() bool { return m.Role.CanSeeSecrets() }

// requireMember answers the request unless a signed-in member of the project asks: sign-in
// first, and 404 for a project the viewer is not a member of (as for one that does not exist:
// a page never tells an outsider which projects exist).
func (s *Server) requireMember(w http.ResponseWriter, r *http.Request, projectID string) (*membership, bool) {
	if s.st == nil {
		s.handleNotFound(w, r)
		return nil, false
	}
	v, ok := s.requireViewer(w, r)
	if !ok {
		return nil, false
	}
	ms, err := s.acc.People.Memberships(r.Context(), v.User.ID)
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	for _, m := range ms {
		if m.ProjectID != projectID {
			continue
		}
		p, err := s.st.Project(r.Context(), projectID)
		if errors.Is(err, store.ErrNotFound) {
			break
		}
		if err != nil {
			s.fail(w, r, err)
			return nil, false
		}
		return &membership{Viewer: v, Project: p, Role: m.Role}, true
	}
	s.pageNotFound(w, r, v)
	return nil, false
}

// requireCheck loads the check of a /checks/<code>/ URL for a member of its project. The code
// is the check's UUID for members who may see ping URLs, and its unique key (check.UniqueKey,
// resolved within the viewer's projects) for everyone: a read-only member asking by UUID gets
// 404, as if the check did not exist, since the UUID is the ping URL and read-only members never
// see it.
func (s *Server) requireCheck(w http.ResponseWriter, r *http.Request) (*check.Check, *membership, bool) {
	if s.st == nil {
		s.handleNotFound(w, r)
		return nil, nil, false
	}
	code := r.PathValue("code")
	if check.IsUniqueKey(code) {
		return s.requireCheckByKey(w, r, code)
	}
	if _, err := uuid.Parse(code); err != nil {
		s.handleNotFound(w, r)
		return nil, nil, false
	}
	c, err := s.st.Check(r.Context(), code)
	if errors.Is(err, store.ErrNotFound) {
		v, ok := s.requireViewer(w, r)
		if ok {
			s.pageNotFound(w, r, v)
		}
		return nil, nil, false
	}
	if err != nil {
		s.fail(w, r, err)
		return nil, nil, false
	}
	m, ok := s.requireMember(w, r, c.ProjectID)
	if !ok {
		return nil, nil, false
	}
	if !m.CanSeeSecrets() {
		s.pageNotFound(w, r, m.Viewer)
		return nil, nil, false
	}
	return c, m, true
}

// requireCheckByKey finds the check whose unique key is key among the checks of the viewer's
// projects; 404 when none has it.
func (s *Server) requireCheckByKey(w http.ResponseWriter, r *http.Request, key string) (*check.Check, *membership, bool) {
	v, ok := s.requireViewer(w, r)
	if !ok {
		return nil, nil, false
	}
	ms, err := s.acc.People.Memberships(r.Context(), v.User.ID)
	if err != nil {
		s.fail(w, r, err)
		return nil, nil, false
	}
	for _, pm := range ms {
		checks, err := s.st.Checks(r.Context(), pm.ProjectID)
		if err != nil {
			s.fail(w, r, fmt.Errorf("list checks of project %s: %w", pm.ProjectID, err))
			return nil, nil, false
		}
		for _, c := range checks {
			if check.UniqueKey(c.ID) != key {
				continue
			}
			m, ok := s.requireMember(w, r, c.ProjectID)
			if !ok {
				return nil, nil, false
			}
			return c, m, true
		}
	}
	s.pageNotFound(w, r, v)
	return nil, nil, false
}

// ref is how pages address check id for m: its UUID for members who may see ping URLs, its
// unique key for read-only members.
func (m *membership) ref(id string) string {
	if m.CanSeeSecrets() {
		return id
	}
	return check.UniqueKey(id)
}

// requireWriter is requireCheck for a form that changes the check: read-only members get 403.
func (s *Server) requireWriter(w http.ResponseWriter, r *http.Request) (*check.Check, *membership, bool) {
	c, m, ok := s.requireCheck(w, r)
	if !ok {
		return nil, nil, false
	}
	if !m.CanWrite() {
		s.forbidden(w, r, m)
		return nil, nil, false
	}
	return c, m, true
}

// pageNotFound is the signed-in 404.
func (s *Server) pageNotFound(w http.ResponseWriter, r *http.Request, v *viewer) {
	s.render(w, r, http.StatusNotFound, "message", &page{Title: "Page not found", Viewer: v,
		Message: "There is no page at this address, or it belongs to a project you are not a member of.",
		Link:    "/", LinkText: "Your projects"})
}

// forbidden answers a change a read-only member tried.
func (s *Server) forbidden(w http.ResponseWriter, r *http.Request, m *membership) {
	s.render(w, r, http.StatusForbidden, "message", &page{Title: "Not allowed", Viewer: m.Viewer,
		Message: "Your role in this project is read-only: you can look at its checks but not change them. " +
			"Ask an owner or a manager of the project for the member role.",
		Link: checksPath(m.Project.ID), LinkText: "Back to the checks"})
}

// checksPath is the URL of a project's checks page.
func checksPath(projectID string) string {
	return "/projects/" + url.PathEscape(projectID) + "/checks/"
}

// detailsPath is the URL of a check's details page.
func detailsPath(id string) string { return "/checks/" + id + "/details/" }

// statusView is how a page shows a status: an icon shape, a word and a colour, never colour
// alone.
type statusView struct {
	Key  string // CSS class and filter value: new, up, late, down, paused, running
	Word string
}

// Icon is the status's icon, a shape of its own for each (statusIcons).
func (v statusView) Icon() template.HTML { return statusIcons[v.Key] }

// statusIcons are the status icons by key: fixed SVG, drawn here rather than chosen by a
// template's chain of comparisons, which the checks page would run for each of a thousand rows.
var statusIcons = map[string]template.HTML{
	"up":      statusIcon(`<circle cx="7" cy="7" r="6"/><path class="glyph" d="M4 7.2l2 2 4-4.4"/>`),
	"down":    statusIcon(`<rect x="1" y="1" width="12" height="12" rx="2"/><path class="glyph" d="M4.5 4.5l5 5m0-5l-5 5"/>`),
	"late":    statusIcon(`<path d="M7 1l6.2 11.5H.8z"/><path class="glyph" d="M7 5v3.5m0 1.6v.4"/>`),
	"running": statusIcon(`<circle cx="7" cy="7" r="6"/><path class="glyph-fill" d="M5.5 4.2l4 2.8-4 2.8z"/>`),
	"paused":  statusIcon(`<rect x="2.5" y="2" width="3" height="10"/><rect x="8.5" y="2" width="3" height="10"/>`),
	"new":     statusIcon(`<circle class="hollow" cx="7" cy="7" r="5.5"/>`),
}

func statusIcon(shape string) template.HTML {
	return template.HTML(`<svg class="icon" width="14" height="14" viewBox="0 0 14 14" aria-hidden="true" focusable="false">` +
		shape + `</svg>`)
}

// statuses are the filterable statuses in the order the filter lists them.
var statuses = []statusView{
	{"down", "Down"}, {"late", "Late"}, {"running", "Running"}, {"up", "Up"}, {"new", "New"}, {"paused", "Paused"},
}

// statusOf maps the domain's reported status to the page's words: grace is "late", started
// "running", as in Healthchecks' dashboard.
func statusOf(st check.Status) statusView {
	switch st {
	case check.StatusGrace:
		return statuses[1]
	case check.StatusStarted:
		return statuses[2]
	case check.StatusUp:
		return statuses[3]
	case check.StatusNew:
		return statuses[4]
	case check.StatusPaused:
		return statuses[5]
	case check.StatusUnknown:
		// Held by an outage of Overdue's own ping intake: filtered with the late ones.
		return statusView{"late", "Unknown"}
	}
	return statuses[0]
}

// checkRow is one line of the checks page.
type checkRow struct {
	ID       string // how the viewer addresses the check (membership.ref): never a UUID for read-only members
	uuid     string
	Name     string
	Slug     string
	Tags     []string
	Status   statusView
	LastPing timeView
	Period   string
	Next     timeView
	Strip    template.HTML
}

// timeView is an instant as pages show it: relative text, the exact time on hover, and the
// machine-readable form the times script turns into the viewer's zone.
type timeView struct {
	Set      bool
	Relative string
	Exact    string // in the viewer's zone, for the title
	ISO      string
	// HTML is the <time> element of the "time" template: built here, where it costs one
	// concatenation, because the checks page shows two for each of a thousand rows and a
	// template spends a dozen reflective calls on each. It holds only formatted numbers and
	// fixed words, escaped all the same.
	HTML template.HTML
}

// timeOf describes t relative to now, with the exact time in now's zone (the viewer's: see
// Server.now); the zero time is "never".
func timeOf(t, now time.Time) timeView {
	if t.IsZero() {
		return timeView{Relative: "never", HTML: "never"}
	}
	v := timeView{Set: true, Relative: relative(t, now), Exact: t.In(now.Location()).Format("2006-01-02 15:04:05 MST"),
		ISO: t.UTC().Format(time.RFC3339)}
	v.HTML = template.HTML(`<time datetime="` + html.EscapeString(v.ISO) + `" title="` + html.EscapeString(v.Exact) + `">` +
		html.EscapeString(v.Relative) + `</time>`)
	return v
}

// checksView is the checks page's data.
type checksView struct {
	*membership
	Rows      []checkRow
	Total     int
	Statuses  []statusView
	Tags      []string
	Status    string // the filter's values, as asked
	Tag       string
	Query     string
	Refresh   int64 // milliseconds between live refreshes
	Counts    map[string]int
	Add       addForm
	Filtering bool
	MaxChecks int // how many checks the project may have (the API's cap)
}

// addForm is the create-check form's values.
type addForm struct {
	Name, Slug, Tags, Period, Grace string
}

// handleChecks serves GET /projects/{project}/checks/: every check of the project with its
// status, filtered by ?status=, ?tag= and ?q= (name or slug, case-insensitive) without scripts.
func (s *Server) handleChecks(w http.ResponseWriter, r *http.Request) {
	m, ok := s.requireMember(w, r, r.PathValue("project"))
	if !ok {
		return
	}
	s.renderChecks(w, r, m, http.StatusOK, nil, addForm{Period: "1 day", Grace: "1 hour"})
}

// renderChecks renders the checks page with the create form's values and errors.
func (s *Server) renderChecks(w http.ResponseWriter, r *http.Request, m *membership, status int, errs []fieldError, add addForm) {
	ctx := r.Context()
	q := r.URL.Query()
	view := &checksView{membership: m, Statuses: statuses, Status: q.Get("status"), Tag: q.Get("tag"),
		Query: strings.TrimSpace(q.Get("q")), Refresh: s.refresh.Milliseconds(), Counts: map[string]int{}, Add: add, MaxChecks: s.maxChecks}
	view.Filtering = view.Status != "" || view.Tag != "" || view.Query != ""
	rows, tags, err := s.checkRows(ctx, m.Project.ID, view)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	view.Rows, view.Tags = rows, tags
	s.render(w, r, status, "checks", &page{Title: m.Project.Name, Viewer: m.Viewer, Errors: errs, Data: view, Wide: true})
}

// checkRows builds the rows that pass the view's filter, and the project's tags.
func (s *Server) checkRows(ctx context.Context, projectID string, view *checksView) ([]checkRow, []string, error) {
	checks, err := s.st.Checks(ctx, projectID)
	if err != nil {
		return nil, nil, fmt.Errorf("list checks of project %s: %w", projectID, err)
	}
	view.Total = len(checks)
	now := s.now(view.Viewer)
	query := strings.ToLower(view.Query)
	tagSet := map[string]bool{}
	rows := make([]checkRow, 0, len(checks))
	var behind []int // rows whose check's kept runs are behind: their strips come from pings
	for _, c := range checks {
		tags := c.TagList()
		for _, t := range tags {
			tagSet[t] = true
		}
		sched, err := schedule.ForCheck(string(c.Kind), c.Schedule, c.TZ)
		if err != nil {
			sched = nil // a stored schedule was validated; show the check as if simple
		}
		st := statusOf(c.ReportedStatus(now, asSchedule(sched), true))
		view.Counts[st.Key]++
		if view.Status != "" && st.Key != view.Status {
			continue
		}
		if view.Tag != "" && !contains(tags, view.Tag) {
			continue
		}
		if query != "" && !strings.Contains(strings.ToLower(c.Name), query) && !strings.Contains(strings.ToLower(c.Slug), query) {
			continue
		}
		row := checkRow{ID: view.ref(c.ID), uuid: c.ID, Name: c.Name, Slug: c.Slug, Tags: tags, Status: st,
			LastPing: timeOf(c.LastPing, now), Period: periodWords(c)}
		if c.Status != check.StatusPaused && c.Status != check.StatusNew {
			row.Next = timeOf(c.NextPing(asSchedule(sched)), now)
		}
		if c.RunsCurrent() {
			row.Strip = runStrip(c.Runs)
		} else {
			behind = append(behind, len(rows))
		}
		rows = append(rows, row)
	}
	if err := s.loadStrips(ctx, rows, behind); err != nil {
		return nil, nil, err
	}
	tagList := make([]string, 0, len(tagSet))
	for t := range tagSet {
		tagList = append(tagList, t)
	}
	sort.Strings(tagList)
	return rows, tagList, nil
}

// stripReaders is how many checks' pings the checks page reads at once: the store answers
// one check at a time (a SQLite query, a DynamoDB Query), and on DynamoDB each is a round trip.
const stripReaders = 8

// loadStrips draws the run strips of the rows at indexes which from their checks' newest pings,
// stripReaders at a time: for checks whose kept runs are behind, pinged by a build before data
// model 13 and not written since (the store rebuilds their runs at the next write).
func (s *Server) loadStrips(ctx context.Context, rows []checkRow, which []int) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	errs := make(chan error, stripReaders)
	var wg sync.WaitGroup
	for range min(stripReaders, len(which)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				pings, err := s.st.Pings(ctx, rows[i].uuid, stripPings)
				if err != nil {
					errs <- fmt.Errorf("list pings of check %s: %w", rows[i].uuid, err)
					cancel()
					return
				}
				rows[i].Strip = runStrip(check.ReplayRuns(pings, check.KeptRuns))
			}
		}()
	}
feed:
	for _, i := range which {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return ctx.Err()
	}
}

// asSchedule turns ForCheck's answer into the domain's Schedule: nil stays an untyped nil.
func asSchedule(n schedule.Nexter) check.Schedule {
	if n == nil {
		return nil
	}
	return n
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// handleAddCheck serves POST /projects/{project}/checks/add/ (fields name, slug, tags, period,
// grace; an empty slug stays empty, as in API v3): creates a simple check and opens its details page, where its schedule can be set.
// The values are validated as the API validates them; errors show next to their fields.
func (s *Server) handleAddCheck(w http.ResponseWriter, r *http.Request) {
	m, ok := s.requireMember(w, r, r.PathValue("project"))
	if !ok {
		return
	}
	if !m.CanWrite() {
		s.forbidden(w, r, m)
		return
	}
	if err := readForm(w, r); err != nil {
		s.badForm(w, r)
		return
	}
	f := addForm{Name: strings.TrimSpace(r.PostForm.Get("name")), Slug: strings.TrimSpace(r.PostForm.Get("slug")),
		Tags: strings.Join(strings.Fields(r.PostForm.Get("tags")), " "), Period: strings.TrimSpace(r.PostForm.Get("period")),
		Grace: strings.TrimSpace(r.PostForm.Get("grace"))}
	now := s.acc.Now()
	c := check.New(uuid.NewString(), m.Project.ID, now)
	c.BadgeKey = uuid.NewString()
	c.Name, c.Tags = f.Name, f.Tags
	c.Slug = f.Slug // as in API v3: no slug unless given
	var errs []fieldError
	errs = append(errs, textErrors(c)...)
	if d, err := parsePeriod(f.Period, check.MinTimeout, check.MaxTimeout); err != nil {
		errs = append(errs, fieldError{"period", "Period " + err.Error()})
	} else {
		c.Timeout = d
	}
	if d, err := parsePeriod(f.Grace, check.MinTimeout, check.MaxTimeout); err != nil {
		errs = append(errs, fieldError{"grace", "Grace time " + err.Error()})
	} else {
		c.Grace = d
	}
	if len(errs) > 0 {
		s.renderChecks(w, r, m, http.StatusUnprocessableEntity, errs, f)
		return
	}
	// The API's cap (apiCheckLimit): counted as the API counts it, just before creating.
	existing, err := s.st.Checks(r.Context(), m.Project.ID)
	if err != nil {
		s.fail(w, r, fmt.Errorf("list checks of project %s: %w", m.Project.ID, err))
		return
	}
	if len(existing) >= s.maxChecks {
		s.renderChecks(w, r, m, http.StatusForbidden, []fieldError{{"name", fmt.Sprintf(
			"This project already has %d checks, the most a project may have. Remove checks it no longer needs, or put new ones in another project.",
			len(existing))}}, f)
		return
	}
	c.AlertAfter = c.GoingDownAfter(nil)
	if err := s.st.CreateCheck(r.Context(), c); err != nil {
		s.fail(w, r, fmt.Errorf("create check %s: %w", c.ID, err))
		return
	}
	s.log.InfoContext(r.Context(), "check created", "check", c.ID, "project", m.Project.ID, "user", m.Viewer.User.ID)
	redirect(w, r, detailsPath(c.ID))
}

// textErrors validates name, slug, tags and description with the API's rules (check.Validate*),
// each error against its field.
func textErrors(c *check.Check) []fieldError {
	var errs []fieldError
	for _, v := range []struct {
		field string
		err   error
	}{
		{"name", check.ValidateName(c.Name)},
		{"slug", check.ValidateSlug(c.Slug)},
		{"tags", check.ValidateTags(c.Tags)},
		{"desc", check.ValidateDesc(c.Desc)},
	} {
		if v.err != nil {
			var fe *check.FieldError
			if errors.As(v.err, &fe) {
				errs = append(errs, fieldError{v.field, upperFirst(fe.Error()) + ". " + fe.Advice()})
			} else {
				errs = append(errs, fieldError{v.field, upperFirst(v.err.Error())})
			}
		}
	}
	return errs
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// units are the words a period may be written with.
var units = []struct {
	names []string
	d     time.Duration
}{
	{[]string{"s", "sec", "second", "seconds"}, time.Second},
	{[]string{"m", "min", "minute", "minutes"}, time.Minute},
	{[]string{"h", "hour", "hours"}, time.Hour},
	{[]string{"d", "day", "days"}, 24 * time.Hour},
	{[]string{"w", "week", "weeks"}, 7 * 24 * time.Hour},
}

// parsePeriod reads "90 minutes", "1 day", "2h" or a bare number of seconds, within [lo, hi].
// Its errors complete a sentence that starts with the field's name.
func parsePeriod(s string, lo, hi time.Duration) (time.Duration, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	if s == "" {
		return 0, errors.New("is missing. Enter a duration such as 1 day, 6 hours or 30 minutes")
	}
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9') {
		i++
	}
	n, err := strconv.Atoi(s[:i])
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration. Write a number and a unit, such as 1 day, 6 hours or 30 minutes", s)
	}
	unit := strings.TrimSpace(s[i:])
	d := time.Duration(-1)
	if unit == "" {
		d = time.Second
	}
	for _, u := range units {
		if contains(u.names, unit) {
			d = u.d
		}
	}
	if d < 0 {
		return 0, fmt.Errorf("has the unit %q, which is not one of seconds, minutes, hours, days or weeks", unit)
	}
	total := time.Duration(n) * d
	if n > int(hi/d)+1 || total < lo || total > hi {
		return 0, fmt.Errorf("must be between %s and %s", durationWords(lo), durationWords(hi))
	}
	return total, nil
}
