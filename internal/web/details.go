package web

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/schedule"
	"github.com/overduehq/overdue/internal/store"
)

// logPings is how many of a check's newest pings the details page reads; the store keeps at
// most its PingLimit (100 by default) anyway.
const logPings = 100

// previewRuns is how many next run times the schedule preview lists.
const previewRuns = 5

// detailsView is the details page's data.
type detailsView struct {
	*membership
	ID       string // how the viewer addresses the check (membership.ref): never the UUID for read-only members
	uuid     string
	Name     string
	Slug     string
	Tags     []string
	Desc     string
	Status   statusView
	LastPing timeView
	Next     timeView
	Period   string
	Paused   bool
	PingURL  string
	SlugURL  string
	Examples []example
	Events   []event
	Chart    template.HTML
	Runs     int
	Edit     nameForm
	Timing   timingForm
	Preview  *previewView
	// Uptime is the last months' uptime (uptime.go), of check c.
	Uptime   []monthRow
	c        *check.Check
	Filters  filtersForm
	Channels []channelChoice // the project's, for members who may see the check's channels (filters.go)
	assigned []string        // the channels ticked: the check's, or as posted
}

// example is a ready-to-paste way to ping the check.
type example struct {
	ID, Title, Code string
}

// nameForm is the name, slug, tags and description form's values.
type nameForm struct {
	Name, Slug, Tags, Desc string
}

// timingForm is the period or schedule form's values. Kind is "simple" or "schedule".
type timingForm struct {
	Kind, Period, Grace, Schedule, TZ string
}

// event is one line of the event log: a ping or a status change.
type event struct {
	At   timeView
	Flip bool
	// A status change.
	Old, New statusView
	Reason   string
	// A ping.
	N          int
	Kind       string // success, fail, start, log, ign
	Word       string
	Method     string
	Scheme     string
	Source     string
	UA         string
	Exit       string // "" without one
	RID        string
	BodySize   int
	Duration   string
	sortAt     time.Time
	sortFlipID string
}

// pingWords name the ping kinds in the log.
var pingWords = map[check.PingKind]string{
	check.PingSuccess: "Success", check.PingFail: "Failure", check.PingStart: "Started",
	check.PingLog: "Log", check.PingIgnored: "Ignored",
}

// handleDetails serves GET /checks/{code}/details/: the check, its ping URLs and examples (not
// for read-only members), its event log, the duration chart and the forms that change it.
// ?schedule= and ?tz= prefill the schedule form and preview it: the preview without scripts.
func (s *Server) handleDetails(w http.ResponseWriter, r *http.Request) {
	c, m, ok := s.requireCheck(w, r)
	if !ok {
		return
	}
	view := s.detailsOf(c, m, r)
	if q := r.URL.Query(); q.Has("schedule") {
		view.Timing.Kind, view.Timing.Schedule, view.Timing.TZ = "schedule", q.Get("schedule"), q.Get("tz")
		view.Preview = s.preview(view.Timing.Schedule, view.Timing.TZ)
	}
	s.renderDetails(w, r, http.StatusOK, view, nil)
}

// detailsOf loads what the details page shows of c, with the forms holding c's values.
func (s *Server) detailsOf(c *check.Check, m *membership, r *http.Request) *detailsView {
	now := s.now(m.Viewer)
	sched, _ := schedule.ForCheck(string(c.Kind), c.Schedule, c.TZ)
	view := &detailsView{membership: m, c: c, ID: m.ref(c.ID), uuid: c.ID, Name: c.Name, Slug: c.Slug, Tags: c.TagList(), Desc: c.Desc,
		Status: statusOf(c.ReportedStatus(now, asSchedule(sched), true)), LastPing: timeOf(c.LastPing, now),
		Period: periodWords(c), Paused: c.Status == check.StatusPaused,
		Edit:    nameForm{Name: c.Name, Slug: c.Slug, Tags: c.Tags, Desc: c.Desc},
		Timing:  timingForm{Kind: "simple", Period: durationWords(c.Timeout), Grace: durationWords(c.Grace), Schedule: "0 * * * *", TZ: c.TZ},
		Filters: filtersOf(c), assigned: c.Channels}
	if c.Kind != check.KindSimple {
		view.Timing.Kind, view.Timing.Schedule = "schedule", c.Schedule
	}
	if c.Status != check.StatusPaused && c.Status != check.StatusNew {
		view.Next = timeOf(c.NextPing(asSchedule(sched)), now)
	}
	if m.CanSeeSecrets() {
		root := s.root(r)
		view.PingURL = root + "/ping/" + c.ID
		if c.Slug != "" {
			view.SlugURL = root + "/ping/<ping key>/" + c.Slug
		}
		view.Examples = examples(root, view.PingURL, c.ID)
	}
	view.Preview = s.preview(view.Timing.Schedule, view.Timing.TZ)
	return view
}

// loadLog fills the event log and the chart; errors are the store's. Read-only members see the
// status changes and the run durations but no pings (their sources, user agents and bodies), as
// the API keeps ping lists to read-write callers.
func (s *Server) loadLog(r *http.Request, id string, view *detailsView) error {
	now := s.now(view.Viewer)
	pings, err := s.st.Pings(r.Context(), id, logPings)
	if err != nil {
		return fmt.Errorf("list pings of check %s: %w", id, err)
	}
	var since time.Time
	if len(pings) == logPings {
		since = pings[len(pings)-1].Created // older flips would sit alone at the end of the log
	}
	flips, err := s.st.Flips(r.Context(), id, store.FlipQuery{Since: since})
	if err != nil {
		return fmt.Errorf("list flips of check %s: %w", id, err)
	}
	durs := check.Durations(pings)
	events := make([]event, 0, len(pings)+len(flips))
	for _, p := range pings {
		if !view.CanSeeSecrets() {
			break
		}
		e := event{At: timeOf(p.Created, now), N: p.N, Kind: string(p.Kind), Word: pingWords[p.Kind], Method: p.Method,
			Scheme: p.Scheme, Source: p.RemoteAddr, UA: p.UA, RID: p.RID, BodySize: p.BodySize, sortAt: p.Created}
		if e.Word == "" {
			e.Word = string(p.Kind)
		}
		if p.ExitStatus != nil {
			e.Exit = strconv.Itoa(*p.ExitStatus)
		}
		if d, ok := durs[p.N]; ok {
			e.Duration = runWords(d)
		}
		events = append(events, e)
	}
	for _, f := range flips {
		newStatus := f.NewStatus
		if f.IsLate() {
			newStatus = check.StatusGrace // a late notice: shown as the check turning late
		}
		events = append(events, event{At: timeOf(f.Created, now), Flip: true, Old: statusOf(f.OldStatus),
			New: statusOf(newStatus), Reason: flipReason(f.Reason), sortAt: f.Created, sortFlipID: f.ID})
	}
	// Newest first; at the same instant the status change goes above the ping that caused it.
	sort.SliceStable(events, func(i, j int) bool {
		if !events[i].sortAt.Equal(events[j].sortAt) {
			return events[i].sortAt.After(events[j].sortAt)
		}
		return events[i].Flip && !events[j].Flip
	})
	view.Events = events
	runs := runsOf(pings)
	view.Runs = len(runs)
	view.Chart = durationChart(runs)
	return nil
}

// flipReason says why a status changed.
func flipReason(reason string) string {
	switch reason {
	case check.ReasonTimeout:
		return "the expected ping did not arrive in time"
	case check.ReasonFail:
		return "a failure was reported"
	case check.ReasonLate:
		return "the expected ping had not arrived; the late notice went out"
	}
	return ""
}

// renderDetails renders the details page with its event log.
func (s *Server) renderDetails(w http.ResponseWriter, r *http.Request, status int, view *detailsView, errs []fieldError) {
	if err := s.loadLog(r, view.uuid, view); err != nil {
		s.fail(w, r, err)
		return
	}
	var err error
	if view.Uptime, err = s.monthlyUptime(r.Context(), view.c, s.acc.Now()); err != nil {
		s.fail(w, r, err)
		return
	}
	if err = s.loadChannels(r, view); err != nil {
		s.fail(w, r, err)
		return
	}
	title := view.Name
	if title == "" {
		title = "Unnamed check"
	}
	s.render(w, r, status, "details", &page{Title: title, Viewer: view.Viewer, Errors: errs, Data: view, Wide: true})
}

// root is the site root for URLs shown on pages: the configured one, else the request's host.
func (s *Server) root(r *http.Request) string {
	if s.siteRoot != "" {
		return s.siteRoot
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// examples are ready-to-paste ways to ping the check.
func examples(root, pingURL, id string) []example {
	return []example{
		{"ex-crontab", "crontab", "# m h dom mon dow command\n8 6 * * * /home/user/backup.sh && curl -fsS -m 10 --retry 5 -o /dev/null " + pingURL},
		{"ex-curl", "curl", "curl -fsS -m 10 --retry 5 -o /dev/null " + pingURL + "/start\n" +
			"/home/user/backup.sh\ncurl -fsS -m 10 --retry 5 --data-raw \"exit $?\" -o /dev/null " + pingURL + "/$?"},
		{"ex-runitor", "runitor", "runitor -api-url " + root + "/ping -uuid " + id + " -- /home/user/backup.sh"},
		{"ex-powershell", "PowerShell", "Invoke-RestMethod " + pingURL},
	}
}

// previewView is the schedule preview: the next run times, or what is wrong with the schedule.
type previewView struct {
	Error string
	Zone  string
	Kind  string // cron or OnCalendar
	Runs  []previewRun
}

// previewRun is one run time, in the check's zone and in UTC (the times script adds the
// viewer's zone).
type previewRun struct {
	Local, UTC, ISO string
}

// preview evaluates a schedule as the schedule form would save it.
func (s *Server) preview(expr, tz string) *previewView {
	sched, kind, zone, err := parseSchedule(expr, tz)
	if err != nil {
		return &previewView{Error: err.Error()}
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		loc = time.UTC
	}
	p := &previewView{Zone: zone, Kind: "cron"}
	if kind == check.KindOnCalendar {
		p.Kind = "OnCalendar"
	}
	t := s.acc.Now()
	for range previewRuns {
		t = sched.Next(t)
		if t.IsZero() {
			break
		}
		p.Runs = append(p.Runs, previewRun{Local: t.In(loc).Format("Mon 2006-01-02 15:04 MST"),
			UTC: t.UTC().Format("Mon 2006-01-02 15:04 UTC"), ISO: t.UTC().Format(time.RFC3339)})
	}
	if len(p.Runs) == 0 {
		p.Error = "This schedule never runs after now."
	}
	return p
}

// parseSchedule accepts what the API accepts (Healthchecks' rule): five fields on one line are
// cron, anything else OnCalendar, and it must fire at least once after 2000-01-01; the zone is
// stored under its current name. Errors say what to do.
func parseSchedule(expr, tz string) (*schedule.Schedule, check.Kind, string, error) {
	expr = strings.TrimSpace(expr)
	if expr == "" {
		return nil, "", "", errors.New("Enter a schedule: a cron expression such as 0 3 * * * or an OnCalendar expression such as Mon..Fri 03:00.")
	}
	if tz == "" {
		tz = "UTC"
	}
	zone, err := schedule.CanonicalZone(tz)
	if err != nil {
		return nil, "", "", fmt.Errorf("%q is not a time zone we know. Use a name such as UTC, Europe/Berlin or America/New_York.", tz)
	}
	var (
		sched *schedule.Schedule
		kind  check.Kind
	)
	if !strings.Contains(expr, "\n") && len(strings.FieldsFunc(expr, func(r rune) bool {
		return unicode.IsSpace(r) || r >= 0x1c && r <= 0x1f
	})) == 5 {
		sched, err = schedule.ParseCron(expr, zone)
		kind = check.KindCron
	} else {
		sched, err = schedule.ParseOnCalendar(expr, zone)
		kind = check.KindOnCalendar
	}
	if err != nil {
		return nil, "", "", fmt.Errorf("%q is not a valid cron or OnCalendar expression (%v). A cron expression has five fields: minute hour day-of-month month day-of-week.", expr, err)
	}
	if sched.Next(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)).IsZero() {
		return nil, "", "", fmt.Errorf("%q never runs. Choose a schedule that runs at least once.", expr)
	}
	return sched, kind, zone, nil
}

// handlePreview serves GET /checks/{code}/preview/?schedule=&tz=: the preview alone, an HTML
// fragment the schedule script puts into the form while one types.
func (s *Server) handlePreview(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := s.requireCheck(w, r); !ok {
		return
	}
	q := r.URL.Query()
	var buf bytes.Buffer
	if err := s.pages["details"].ExecuteTemplate(&buf, "preview", s.preview(q.Get("schedule"), q.Get("tz"))); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

// pingView is the page of one ping with its body.
type pingView struct {
	*membership
	CheckID string
	Event   event
	Body    string
	Binary  bool
}

// handlePingBody serves GET /checks/{code}/pings/{n}/: one ping with its body (as text; a body
// that is not UTF-8 is said to be binary, with its size).
func (s *Server) handlePingBody(w http.ResponseWriter, r *http.Request) {
	c, m, ok := s.requireCheck(w, r)
	if !ok {
		return
	}
	if !m.CanSeeSecrets() {
		s.render(w, r, http.StatusForbidden, "message", &page{Title: "Not allowed", Viewer: m.Viewer,
			Message: "Your role in this project is read-only: pings and their bodies are shown to members only. " +
				"Ask an owner or a manager of the project for the member role.",
			Link: detailsPath(m.ref(c.ID)), LinkText: "Back to the check"})
		return
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 {
		s.pageNotFound(w, r, m.Viewer)
		return
	}
	p, err := s.st.Ping(r.Context(), c.ID, n)
	if errors.Is(err, store.ErrNotFound) {
		s.render(w, r, http.StatusNotFound, "message", &page{Title: "Ping not found", Viewer: m.Viewer,
			Message: "This ping is no longer kept: only the newest pings of a check are.", Link: detailsPath(c.ID), LinkText: "Back to the check"})
		return
	}
	if err != nil {
		s.fail(w, r, fmt.Errorf("load ping %d of check %s: %w", n, c.ID, err))
		return
	}
	now := s.now(m.Viewer)
	view := &pingView{membership: m, CheckID: c.ID, Event: event{At: timeOf(p.Created, now), N: p.N, Kind: string(p.Kind),
		Word: pingWords[p.Kind], Method: p.Method, Scheme: p.Scheme, Source: p.RemoteAddr, UA: p.UA, RID: p.RID, BodySize: len(p.Body)}}
	if p.ExitStatus != nil {
		view.Event.Exit = strconv.Itoa(*p.ExitStatus)
	}
	if utf8.Valid(p.Body) {
		view.Body = string(p.Body)
	} else {
		view.Binary = true
	}
	s.render(w, r, http.StatusOK, "ping", &page{Title: fmt.Sprintf("Ping #%d", p.N), Viewer: m.Viewer, Data: view})
}

// handleEditName serves POST /checks/{code}/name/ (fields name, slug, tags, desc), validated as
// the API validates them.
func (s *Server) handleEditName(w http.ResponseWriter, r *http.Request) {
	c, m, ok := s.requireWriter(w, r)
	if !ok {
		return
	}
	if err := readForm(w, r); err != nil {
		s.badForm(w, r)
		return
	}
	f := nameForm{Name: strings.TrimSpace(r.PostForm.Get("name")), Slug: strings.TrimSpace(r.PostForm.Get("slug")),
		Tags: strings.Join(strings.Fields(r.PostForm.Get("tags")), " "), Desc: r.PostForm.Get("desc")}
	trial := *c
	trial.Name, trial.Slug, trial.Tags, trial.Desc = f.Name, f.Slug, f.Tags, f.Desc
	if errs := textErrors(&trial); len(errs) > 0 {
		view := s.detailsOf(c, m, r)
		view.Edit = f
		s.renderDetails(w, r, http.StatusUnprocessableEntity, view, errs)
		return
	}
	s.updateAndReturn(w, r, c.ID, func(c *check.Check) (store.Change, error) {
		c.Name, c.Slug, c.Tags, c.Desc = f.Name, f.Slug, f.Tags, f.Desc
		return store.Change{}, nil
	})
}

// handleEditTimeout serves POST /checks/{code}/timeout/ (fields kind=simple with period and
// grace, or kind=schedule with schedule, tz and grace).
func (s *Server) handleEditTimeout(w http.ResponseWriter, r *http.Request) {
	c, m, ok := s.requireWriter(w, r)
	if !ok {
		return
	}
	if err := readForm(w, r); err != nil {
		s.badForm(w, r)
		return
	}
	f := timingForm{Kind: r.PostForm.Get("kind"), Period: strings.TrimSpace(r.PostForm.Get("period")),
		Grace: strings.TrimSpace(r.PostForm.Get("grace")), Schedule: strings.TrimSpace(r.PostForm.Get("schedule")),
		TZ: strings.TrimSpace(r.PostForm.Get("tz"))}
	var errs []fieldError
	grace, err := parsePeriod(f.Grace, check.MinTimeout, check.MaxTimeout)
	if err != nil {
		errs = append(errs, fieldError{"grace", "Grace time " + err.Error()})
	}
	var (
		timeout time.Duration
		kind    = check.KindSimple
		zone    string
	)
	switch f.Kind {
	case "simple":
		if timeout, err = parsePeriod(f.Period, check.MinTimeout, check.MaxTimeout); err != nil {
			errs = append(errs, fieldError{"period", "Period " + err.Error()})
		}
	case "schedule":
		if _, kind, zone, err = parseSchedule(f.Schedule, f.TZ); err != nil {
			field := "schedule"
			if strings.Contains(err.Error(), "time zone") {
				field = "tz"
			}
			errs = append(errs, fieldError{field, err.Error()})
		}
	default:
		errs = append(errs, fieldError{"kind-simple", "Choose whether the check expects a ping every period or on a schedule."})
	}
	if len(errs) > 0 {
		view := s.detailsOf(c, m, r)
		view.Timing = f
		view.Preview = s.preview(f.Schedule, f.TZ)
		s.renderDetails(w, r, http.StatusUnprocessableEntity, view, errs)
		return
	}
	s.updateAndReturn(w, r, c.ID, func(c *check.Check) (store.Change, error) {
		c.Grace, c.Kind = grace, kind
		if kind == check.KindSimple {
			c.Timeout = timeout
		} else {
			c.Schedule, c.TZ = f.Schedule, zone
		}
		return store.Change{}, nil
	})
}

// updateAndReturn changes the check through the store, recomputes when it goes down, and
// returns to its details page.
func (s *Server) updateAndReturn(w http.ResponseWriter, r *http.Request, id string, fn func(*check.Check) (store.Change, error)) {
	_, err := s.st.UpdateCheck(r.Context(), id, func(c *check.Check) (store.Change, error) {
		ch, err := fn(c)
		if err != nil {
			return ch, err
		}
		sched, err := schedule.ForCheck(string(c.Kind), c.Schedule, c.TZ)
		if err != nil {
			return ch, err
		}
		c.AlertAfter = c.GoingDownAfter(asSchedule(sched))
		return ch, nil
	})
	if errors.Is(err, check.ErrNotPaused) {
		redirect(w, r, detailsPath(id)) // resumed by someone else meanwhile: nothing to do
		return
	}
	if err != nil {
		s.fail(w, r, fmt.Errorf("update check %s: %w", id, err))
		return
	}
	redirect(w, r, detailsPath(id))
}

// handlePause serves POST /checks/{code}/pause/: as the API's pause (a flip is recorded).
func (s *Server) handlePause(w http.ResponseWriter, r *http.Request) {
	c, _, ok := s.requireWriter(w, r)
	if !ok {
		return
	}
	now := s.acc.Now()
	s.updateAndReturn(w, r, c.ID, func(c *check.Check) (store.Change, error) {
		return store.Change{Flip: c.Pause(now)}, nil
	})
}

// handleResume serves POST /checks/{code}/resume/: a paused check becomes new.
func (s *Server) handleResume(w http.ResponseWriter, r *http.Request) {
	c, _, ok := s.requireWriter(w, r)
	if !ok {
		return
	}
	now := s.acc.Now()
	s.updateAndReturn(w, r, c.ID, func(c *check.Check) (store.Change, error) {
		f, err := c.Resume(now)
		return store.Change{Flip: f}, err
	})
}

// handleRemove serves POST /checks/{code}/remove/: deletes the check with its pings and flips,
// and goes to the project's checks.
func (s *Server) handleRemove(w http.ResponseWriter, r *http.Request) {
	c, m, ok := s.requireWriter(w, r)
	if !ok {
		return
	}
	if err := s.st.DeleteCheck(r.Context(), c.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.fail(w, r, fmt.Errorf("delete check %s: %w", c.ID, err))
		return
	}
	s.log.InfoContext(r.Context(), "check deleted", "check", c.ID, "project", m.Project.ID, "user", m.Viewer.User.ID)
	redirect(w, r, checksPath(m.Project.ID))
}
