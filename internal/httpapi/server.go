// Package httpapi is Overdue's one http.Handler: the Healthchecks-compatible ping API and
// management API (/api/v1/, /api/v2/, /api/v3/), badges and metrics, all in one route table.
//
// The same handler is served by net/http in `overdue serve` and adapted from API Gateway events in
// functions/api, so nothing here knows which edge a request came through. Status codes, bodies and
// headers follow what a real Healthchecks v3.13 answered (shared/spec/healthchecks-observed.md);
// where this package deliberately differs, the comment at the spot says so.
package httpapi

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/overduehq/overdue/internal/account"
	"github.com/overduehq/overdue/internal/ingest"
	"github.com/overduehq/overdue/internal/store"
)

// Defaults for Config.
const (
	// DefaultPingBodyLimit is how many bytes of a ping body are stored (Healthchecks'
	// PING_BODY_LIMIT).
	DefaultPingBodyLimit = 10000
	// DefaultMaxChecksPerProject caps auto-provisioning (?create=1). Healthchecks allows an owner
	// twice their check_limit, which is 10000 on a self-hosted instance.
	DefaultMaxChecksPerProject = 20000
	// MaxRequestBody is the largest request body accepted, unless the ping body limit is larger
	// (Django's DATA_UPLOAD_MAX_MEMORY_SIZE, 2.5 MiB).
	MaxRequestBody = 2621440
	// DefaultStatusProbeInterval is how long /api/v3/status/ answers from its last probe of the
	// store before it probes again.
	DefaultStatusProbeInterval = 10 * time.Second
)

// Config is what the handler needs; main builds it once.
type Config struct {
	// Store holds projects, checks and pings. Required.
	Store store.Store
	// Now is the clock; tests pin it. Default time.Now.
	Now func() time.Time
	// SiteRoot is the public base URL (e.g. "http://localhost:8000") used in URLs shown to users.
	SiteRoot string
	// PingBodyLimit is how many bytes of a ping body are stored; longer bodies are truncated, not
	// rejected. It is announced in the Ping-Body-Limit header. Zero means DefaultPingBodyLimit; a
	// negative value means no truncation (bodies up to MaxRequestBody are stored whole, and the
	// header is omitted, like Healthchecks with PING_BODY_LIMIT=None).
	PingBodyLimit int
	// NewID returns a new check UUID in lowercase canonical form. Default: random version 4.
	NewID func() string
	// Logger receives structured logs. Default: discard.
	Logger *slog.Logger
	// MaxChecksPerProject is how many checks a project may have before ?create=1 stops creating
	// more (answering 404, as Healthchecks does). Creating checks through the management API stops
	// at half of it (403), as Healthchecks lets auto-provisioning go to twice the account's
	// limit. Zero means DefaultMaxChecksPerProject.
	MaxChecksPerProject int
	// Deliveries, when set, lets the API list parked alert deliveries
	// (GET /api/v3/deliveries/parked/).
	Deliveries store.Deliveries
	// Undeliverable maps each channel kind the notifier behind this API cannot deliver to why
	// and how to enable it. Creating such a channel succeeds, and the answer says so. Nil: every
	// kind is deliverable (on AWS the notify function has a transport for each).
	Undeliverable map[string]string
	// SecretKey signs badge URLs (HMAC). It must stay the same across restarts, or published
	// badge URLs stop working. Required for badges.
	SecretKey []byte
	// StatusProbeInterval is how long the status endpoint reuses its last read-and-write probe
	// of the store, by the Now clock. Zero means DefaultStatusProbeInterval.
	StatusProbeInterval time.Duration
	// Tester, when set, sends test notifications (POST /api/v3/channels/{id}/test); without it
	// that endpoint answers 501.
	Tester ChannelTester
	// Accounts, when set, authenticates personal API tokens and serves the projects, members
	// and tokens APIs; without it those answer 501 and only project keys are accepted. Its
	// People must be the accounts of Store.
	Accounts *account.Service
	// Rand is the source of new project keys (crypto/rand.Reader in production, the default).
	Rand io.Reader
	// PingCounter, when set, counts every ping request answered, and whether it was answered
	// with a server error, for the ingestion health (sweep.IngestCounter).
	PingCounter PingCounter
}

// PingCounter counts ping requests for the ingestion health: failed when the request was
// answered with a server error (the ping could not be recorded).
type PingCounter interface {
	CountPing(ctx context.Context, failed bool)
}

// Server is the API handler. Build it with New.
type Server struct {
	store      store.Store
	now        func() time.Time
	siteRoot   string
	bodyLimit  int // bytes stored per ping; negative: no truncation
	newID      func() string
	log        *slog.Logger
	maxChecks  int
	secret     []byte
	deliveries store.Deliveries
	// undeliverable is Config.Undeliverable.
	undeliverable map[string]string
	tester        ChannelTester
	accounts      *account.Service
	rand          io.Reader
	pingCounter   PingCounter
	mux           *http.ServeMux

	probeInterval time.Duration
	health        health // the status endpoint's cached probe

	rec             *ingest.Recorder // records pings and snoozes (recorder)
	dates           dateCache        // the Expires header of the ping answers
	bodyLimitHeader []string         // Ping-Body-Limit's value, shared (setShared); nil: none
}

// New returns the API handler.
func New(cfg Config) *Server {
	s := &Server{
		store:         cfg.Store,
		now:           cfg.Now,
		siteRoot:      strings.TrimRight(cfg.SiteRoot, "/"),
		bodyLimit:     cfg.PingBodyLimit,
		newID:         cfg.NewID,
		log:           cfg.Logger,
		maxChecks:     cfg.MaxChecksPerProject,
		secret:        cfg.SecretKey,
		deliveries:    cfg.Deliveries,
		undeliverable: cfg.Undeliverable,
		tester:        cfg.Tester,
		accounts:      cfg.Accounts,
		rand:          cfg.Rand,
		pingCounter:   cfg.PingCounter,
		mux:           http.NewServeMux(),

		probeInterval: cfg.StatusProbeInterval,
	}
	if s.probeInterval <= 0 {
		s.probeInterval = DefaultStatusProbeInterval
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.bodyLimit == 0 {
		s.bodyLimit = DefaultPingBodyLimit
	}
	if s.newID == nil {
		s.newID = uuid.NewString
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.maxChecks <= 0 {
		s.maxChecks = DefaultMaxChecksPerProject
	}
	if s.bodyLimit > 0 {
		s.bodyLimitHeader = []string{strconv.Itoa(s.bodyLimit)}
	}
	s.rec = &ingest.Recorder{Store: s.store, Log: s.log}
	s.routes()
	return s
}

// routes is the route table: every URL the API answers, in one place.
//
// The ping API's UUID and slug forms share path shapes (/ping/<uuid>/fail and
// /ping/<ping-key>/<slug> are both two segments), and ServeMux cannot constrain a wildcard, so
// each shape has one handler that tells the forms apart the way Healthchecks' ordered routes do.
// Ping patterns carry no method: every method is a ping.
func (s *Server) routes() {
	s.mux.HandleFunc("/ping/{code}", s.handlePingUUID)
	s.mux.HandleFunc("/ping/{code}/{$}", s.handlePingUUID)
	s.mux.HandleFunc("/ping/{first}/{second}", s.handlePingPair)
	s.mux.HandleFunc("/ping/{key}/{slug}/{action}", s.handlePingSlugAction)

	// The management API. The three versions share every handler (the version only changes URLs
	// in responses and two details of the check JSON). Patterns carry no method: s.api dispatches
	// on it, so that a wrong method is 405 and not the catch-all's 404. {code} is a check UUID or,
	// where Healthchecks allows it, a unique key; byCode tells them apart.
	for v := 1; v <= 3; v++ {
		p := "/api/v" + strconv.Itoa(v)
		s.mux.HandleFunc(p+"/checks/{$}", s.api(v, post(s.handleCreateCheck), get(s.handleListChecks)))
		s.mux.HandleFunc(p+"/checks/{code}", s.byCode(
			s.api(v, get(s.handleGetCheck), post(s.handleUpdateCheck), del(s.handleDeleteCheck)),
			s.api(v, get(s.handleGetCheckByUniqueKey))))
		s.mux.HandleFunc(p+"/checks/{code}/pause", s.byCode(s.api(v, post(s.handlePauseCheck)), nil))
		s.mux.HandleFunc(p+"/checks/{code}/resume", s.byCode(s.api(v, post(s.handleResumeCheck)), nil))
		s.mux.HandleFunc(p+"/checks/{code}/pings/{$}", s.byCode(s.api(v, get(s.handleListPings)), nil))
		s.mux.HandleFunc(p+"/checks/{code}/pings/{n}/body", s.byCode(s.api(v, get(s.handlePingBody)), nil))
		flips := s.api(v, get(s.handleListFlips))
		s.mux.HandleFunc(p+"/checks/{code}/flips/{$}", s.byCode(flips, flips))
		s.mux.HandleFunc(p+"/status/{$}", s.handleStatus)
		s.mux.HandleFunc(p+"/badges/{$}", s.handleBadgeList)

		// The collection URLs without their trailing slash. ServeMux would redirect them itself,
		// with 307 and whatever {code} is; Healthchecks (Django's APPEND_SLASH) answers 301, and
		// only when the slashed URL exists.
		for _, col := range []string{"/checks", "/checks/{code}/pings", "/checks/{code}/flips", "/channels", "/status", "/badges"} {
			s.mux.HandleFunc(p+col, s.handleAppendSlash)
		}
	}
	// Channels: v1 and v2 list them as Healthchecks does; v3 also creates and deletes them, an
	// Overdue extension (Healthchecks has no API for it), so the older versions stay exactly
	// Healthchecks' (POST there is 405).
	s.mux.HandleFunc("/api/v1/channels/{$}", s.api(1, get(s.handleListChannels)))
	s.mux.HandleFunc("/api/v2/channels/{$}", s.api(2, get(s.handleListChannels)))
	s.mux.HandleFunc("/api/v3/channels/{$}", s.api(3, post(s.handleCreateChannel), get(s.handleListChannels)))
	s.mux.HandleFunc("/api/v3/channels/{id}", s.byChannelID(s.api(3, post(s.handleUpdateChannel), del(s.handleDeleteChannel))))
	s.mux.HandleFunc("/api/v3/channels/{id}/test", s.byChannelID(s.api(3, post(s.handleTestChannel))))
	// Maintenance windows: an Overdue extension (apiwindow.go).
	s.mux.HandleFunc("/api/v3/maintenance/{$}", s.api(3, post(s.handleCreateWindow), get(s.handleListWindows)))
	s.mux.HandleFunc("/api/v3/maintenance/{id}", s.api(3, del(s.handleDeleteWindow)))
	// Snooze: an Overdue extension (alert rules, apirules.go).
	s.mux.HandleFunc("/api/v3/checks/{code}/snooze", s.byCode(s.api(3, post(s.handleSnoozeCheck)), nil))
	// Parked deliveries: alerts that kept failing, an Overdue extension.
	s.mux.HandleFunc("/api/v3/deliveries/parked/{$}", s.api(3, get(s.handleListParked)))

	// Projects, their keys and members, and personal API tokens: Overdue extensions for
	// people, authenticated by a personal API token (authz.go).
	s.mux.HandleFunc("/api/v3/projects/{$}", s.api(3, get(s.handleListProjects), post(s.handleCreateProject)))
	s.mux.HandleFunc("/api/v3/projects/{project}", s.api(3, get(s.handleGetProject), post(s.handleRenameProject), del(s.handleDeleteProject)))
	s.mux.HandleFunc("/api/v3/projects/{project}/keys/{$}", s.api(3, get(s.handleListKeys), post(s.handleCreateKey)))
	s.mux.HandleFunc("/api/v3/projects/{project}/keys/{kind}", s.api(3, del(s.handleRevokeKey)))
	s.mux.HandleFunc("/api/v3/projects/{project}/members/{$}", s.api(3, get(s.handleListMembers), post(s.handleInvite)))
	s.mux.HandleFunc("/api/v3/projects/{project}/members/{user}", s.api(3, post(s.handleSetMember), del(s.handleRemoveMember)))
	s.mux.HandleFunc("/api/v3/projects/{project}/invitations/{$}", s.api(3, get(s.handleListInvitations)))
	s.mux.HandleFunc("/api/v3/projects/{project}/invitations/{id}", s.api(3, del(s.handleCancelInvitation)))
	s.mux.HandleFunc("/api/v3/tokens/{$}", s.api(3, get(s.handleListTokens), post(s.handleCreateToken)))
	s.mux.HandleFunc("/api/v3/tokens/{id}", s.api(3, del(s.handleRevokeToken)))
	s.mux.HandleFunc("/api/v3/account/{$}", s.api(3, get(s.handleGetAccount), post(s.handleUpdateAccount)))

	// Badges: project and tag badges are signed with the secret key; a check's own badge is
	// addressed by its unguessable badge key. Methods are dispatched inside the handlers.
	s.mux.HandleFunc("/badge/{key}/{file}", s.handleProjectBadge)
	s.mux.HandleFunc("/badge/{key}/{sig}/{file}", s.handleTagBadge)
	s.mux.HandleFunc("/b/{states}/{file}", s.handleCheckBadge)

	// Prometheus: the read-only key in the path, or as a bearer token.
	s.mux.HandleFunc("/projects/{project}/metrics/{key}", s.handleMetrics)
	s.mux.HandleFunc("/projects/{project}/checks/metrics/{key}", s.handleMetrics)
	s.mux.HandleFunc("/projects/{project}/metrics/{$}", s.handleMetricsBearer)

	// Anything else gets the HTML page a Django site answers for an unknown URL.
	s.mux.HandleFunc("/", s.handleNotFound)
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Django's security middleware sets these on every response; clients and scanners that
	// compare the two servers see the same thing.
	h := w.Header()
	setShared(h, "X-Frame-Options", frameDeny)
	setShared(h, "X-Content-Type-Options", noSniff)
	setShared(h, "Referrer-Policy", sameOrigin)

	// The request line is logged at debug level only: without it, nothing is recorded or built
	// (the ping path's hottest code).
	if !s.log.Enabled(r.Context(), slog.LevelDebug) {
		s.mux.ServeHTTP(w, r)
		return
	}
	rec := &statusRecorder{ResponseWriter: w}
	s.mux.ServeHTTP(rec, r)
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	// The path of a slug ping carries the project's ping key; redactPath removes it. The query is
	// left out entirely.
	s.log.DebugContext(r.Context(), "request",
		"method", r.Method, "path", redactPath(r.URL.Path), "status", status)
}

// handleNotFound serves every URL no other route claims: 404 with a small HTML page.
func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	writeBody(w, http.StatusNotFound, notFoundPage)
}

// notFoundPage is the body of a 404 for an unknown URL, shaped like Django's default page.
const notFoundPage = `<!doctype html>
<html lang="en">
<head>
  <title>Not Found</title>
</head>
<body>
  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>
</body>
</html>
`

// writeBody writes a text/html response, the content type every Healthchecks ping response has,
// plain-text bodies included.
func writeBody(w http.ResponseWriter, status int, body string) {
	setShared(w.Header(), "Content-Type", textHTMLUTF8)
	w.WriteHeader(status)
	// A HEAD response has no body; net/http discards it, which is what clients expect (uWSGI and
	// gunicorn send it anyway).
	_, _ = io.WriteString(w, body)
}

// statusRecorder remembers the status a handler wrote, for the request log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// redactPath returns a request path that is safe to log. In /ping/<first>/... the first segment is
// a ping key unless it is a check UUID (/ping/<uuid>/fail); a ping key is a secret, so anything
// else there is replaced, mistyped URLs included.
func redactPath(p string) string {
	// /projects/<id>/metrics/<key> and /projects/<id>/checks/metrics/<key> carry a read-only API
	// key; everything after "/metrics/" goes.
	if rest, ok := strings.CutPrefix(p, "/projects/"); ok {
		if i := strings.Index(rest, "/metrics/"); i >= 0 && i+len("/metrics/") < len(rest) {
			return "/projects/" + rest[:i] + "/metrics/<redacted>"
		}
		return p
	}
	rest, ok := strings.CutPrefix(p, "/ping/")
	if !ok {
		return p
	}
	first, tail, more := strings.Cut(rest, "/")
	if first == "" || isCheckUUID(first) {
		return p
	}
	if !more {
		return "/ping/<redacted>"
	}
	return "/ping/<redacted>/" + tail
}
