package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/schema"
	"github.com/overduehq/overdue/internal/store"
)

// The management API (/api/v1/, /api/v2/, /api/v3/), shared machinery: method dispatch with
// Healthchecks' CORS behaviour, API keys, request bodies and error responses. The versions share
// every handler; the version number only changes the URLs in responses, the status of a running
// check (v1 says "started") and whether setting a name also sets the slug (before v3).

// MaxAPIBody is the largest management API request body accepted. Check and channel requests are
// a few hundred bytes; the cap bounds what one request can make the server parse and store.
const MaxAPIBody = 64 << 10

// apiHandler serves one method of a management API endpoint for API version v.
type apiHandler func(w http.ResponseWriter, r *http.Request, v int)

// apiMethod pairs an HTTP method with its handler.
type apiMethod struct {
	method string
	h      apiHandler
}

func get(h apiHandler) apiMethod  { return apiMethod{http.MethodGet, h} }
func post(h apiHandler) apiMethod { return apiMethod{http.MethodPost, h} }
func del(h apiHandler) apiMethod  { return apiMethod{http.MethodDelete, h} }

// api is an endpoint of API version v answering methods, with Healthchecks' CORS decorator around
// it: every response the endpoint gives carries the CORS headers, OPTIONS is answered 204 without
// authentication, and any other method is 405 with an empty body and, as in Healthchecks, no
// Allow header. Route patterns carry no method so that a wrong method gets here (a method in the
// pattern would make ServeMux fall through to the catch-all and answer 404).
func (s *Server) api(v int, methods ...apiMethod) http.HandlerFunc {
	allow := "OPTIONS"
	for _, m := range methods {
		allow += ", " + m.method
	}
	return func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Allow-Headers", "X-Api-Key")
		h.Set("Access-Control-Allow-Methods", allow)
		h.Set("Access-Control-Max-Age", "600")
		if r.Method == http.MethodOptions {
			h.Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		for _, m := range methods {
			if r.Method == m.method {
				m.h(w, r, v)
				return
			}
		}
		writeBody(w, http.StatusMethodNotAllowed, "")
	}
}

// byCode routes a /checks/{code}/... URL on the form of {code}: a check UUID (canonical,
// lowercase) to byUUID, a unique key (40 characters of Healthchecks' [A-z0-9]) to byKey. Anything
// else, or a form with a nil handler, is an unknown URL: the HTML 404, without CORS headers.
func (s *Server) byCode(byUUID, byKey http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		code := r.PathValue("code")
		switch {
		case byUUID != nil && isCheckUUID(code):
			byUUID(w, r)
		case byKey != nil && isUniqueKey(code):
			byKey(w, r)
		default:
			s.handleNotFound(w, r)
		}
	}
}

// isUniqueKey reports whether s fits Healthchecks' route for unique keys: 40 characters from the
// range A-z (which also admits [ \ ] ^ _ `) and digits. Only real keys (40 lowercase hex digits)
// ever match a check.
func isUniqueKey(s string) bool {
	if len(s) != 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('A' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// The API's authentication and request errors, with Healthchecks' exact messages.
var (
	errMissingKey = &clientError{http.StatusUnauthorized, "missing api key"}
	errWrongKey   = &clientError{http.StatusUnauthorized, "wrong api key"}
	errParseBody  = &clientError{http.StatusBadRequest, "could not parse request body"}
	errNotObject  = &clientError{http.StatusBadRequest, "json validation error: value is not an object"}
	// Healthchecks has no cap this small (Django's is 2.5 MiB and answers an HTML 400); we say
	// what the limit is.
	errAPIBodyTooLarge = &clientError{http.StatusRequestEntityTooLarge,
		fmt.Sprintf("request body too large: send at most %d bytes", MaxAPIBody)}
)

// textError is an API error Healthchecks answers as text/html rather than JSON: 409 "check is not
// paused", and the empty 400 and 403 bodies.
type textError struct {
	status int
	body   string
}

func (e *textError) Error() string { return fmt.Sprintf("%d %q", e.status, e.body) }

var (
	errNotPaused  = &textError{http.StatusConflict, check.ErrNotPaused.Error()}
	errBadFilter  = &textError{http.StatusBadRequest, ""}
	errCheckLimit = &textError{http.StatusForbidden, ""}
	// errNoSuchKey is the answer for an unknown unique key: Healthchecks' view returns an empty
	// 404 itself, so unlike an unknown UUID it keeps the CORS headers.
	errNoSuchKey = &textError{http.StatusNotFound, ""}
)

// writeAPIError answers an API request with the response for err. Unknown checks and channels
// (store.ErrNotFound) get the HTML 404 without CORS headers, as Healthchecks' Http404 does.
// Internal errors are logged with attrs, which must never include keys or request bodies.
func (s *Server) writeAPIError(w http.ResponseWriter, r *http.Request, err error, attrs ...any) {
	var (
		te *textError
		ce *clientError
	)
	switch {
	case errors.As(err, &te):
		writeBody(w, te.status, te.body)
	case errors.As(err, &ce):
		writeJSON(w, ce.status, errorJSON{ce.message})
	case errors.Is(err, check.ErrNotPaused):
		writeBody(w, errNotPaused.status, errNotPaused.body)
	case errors.Is(err, store.ErrNotFound):
		s.writeAPINotFound(w)
	case errors.Is(err, store.ErrConflict):
		writeJSON(w, http.StatusConflict, errorJSON{"conflict, please retry"})
	case schema.Refused(err) != nil:
		status, msg := statusOf(err)
		writeJSON(w, status, errorJSON{msg})
	default:
		s.log.ErrorContext(r.Context(), "API request failed",
			append(attrs, "method", r.Method, "path", r.URL.Path, slog.Any("error", err))...)
		writeJSON(w, http.StatusInternalServerError, errorJSON{"internal server error"})
	}
}

// writeAPINotFound is the HTML 404 of an unknown check or channel, without the CORS headers the
// endpoint already set.
func (s *Server) writeAPINotFound(w http.ResponseWriter) {
	h := w.Header()
	for _, name := range []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Headers",
		"Access-Control-Allow-Methods", "Access-Control-Max-Age"} {
		h.Del(name)
	}
	writeBody(w, http.StatusNotFound, notFoundPage)
}

// keyAccess is which keys an endpoint accepts.
type keyAccess int

const (
	// readWrite endpoints reject the read-only key with 401 "wrong api key".
	readWrite keyAccess = iota
	// readOnlyOK endpoints accept both keys and show the read-only view with the read-only key.
	readOnlyOK
)

// bodyKey is the api_key member of a request body as Healthchecks reads it (str() of whatever
// value is there): a string's value, any other value's JSON text, "" when absent.
func bodyKey(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if v, ok := jsonString(raw); ok {
		return v
	}
	return string(raw)
}

// readJSONObject reads and parses the body of a POST to the API. An empty body is an empty
// object. The body is parsed whatever its Content-Type, as Healthchecks does; it must be UTF-8
// JSON whose top-level value is an object.
func readJSONObject(r *http.Request) (map[string]json.RawMessage, error) {
	if r.ContentLength > MaxAPIBody {
		return nil, errAPIBodyTooLarge
	}
	if r.Body == nil {
		return map[string]json.RawMessage{}, nil
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, MaxAPIBody+1))
	if err != nil {
		return nil, errBodyRead
	}
	if len(data) > MaxAPIBody {
		return nil, errAPIBodyTooLarge
	}
	if len(data) == 0 {
		return map[string]json.RawMessage{}, nil
	}
	if !utf8.Valid(data) || !json.Valid(data) {
		return nil, errParseBody
	}
	if trimmed := bytes.TrimLeft(data, " \t\r\n"); trimmed[0] != '{' {
		return nil, errNotObject
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return nil, errParseBody
	}
	return obj, nil
}

// loadCheck loads a check of project p. A check of another project is reported as not found:
// Healthchecks answers 403 there, which tells a caller holding any key that the UUID exists.
func (s *Server) loadCheck(ctx context.Context, p *check.Project, id string) (*check.Check, error) {
	c, err := s.store.Check(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.ProjectID != p.ID {
		return nil, fmt.Errorf("check %s is not in project %s: %w", id, p.ID, store.ErrNotFound)
	}
	return c, nil
}

// checkByUniqueKey finds the check of project p whose unique key is key; errNoSuchKey if none.
func (s *Server) checkByUniqueKey(ctx context.Context, p *check.Project, key string) (*check.Check, error) {
	checks, err := s.store.Checks(ctx, p.ID)
	if err != nil {
		return nil, fmt.Errorf("list checks of project %s: %w", p.ID, err)
	}
	for _, c := range checks {
		if check.UniqueKey(c.ID) == key {
			return c, nil
		}
	}
	return nil, errNoSuchKey
}

// handleStatus serves /api/v{1,2,3}/status/ (any method, no key): 200 "OK" when the store can
// be read and written, 503 with the reason when it cannot. Healthchecks runs SELECT 1 and
// answers 500 when that fails; a monitor whose database takes reads but refuses writes (a full
// disk, a read-only file system, a data model newer than the build) records no ping, so here
// the answer is OK only when a real write commits. The probe is cached (see storeHealth).
func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	if err := s.storeHealth(r.Context()); err != nil {
		w.Header().Set("Retry-After", strconv.Itoa(int(s.probeInterval/time.Second)))
		writeBody(w, http.StatusServiceUnavailable, "store unavailable: "+healthReason(err))
		return
	}
	writeBody(w, http.StatusOK, "OK")
}

// health is the status endpoint's last look at the store.
type health struct {
	mu      sync.Mutex // held while probing: concurrent requests wait for one probe
	checked time.Time  // when; zero: never
	err     error      // what it found
}

// probeTimeout bounds one probe, so a store that hangs answers 503 instead of holding every
// status request.
const probeTimeout = 5 * time.Second

// storeHealth is nil when the store can be read and written. It looks at most once per
// probeInterval of the injected clock and answers from that look in between, so a scraper
// polling the endpoint costs one read and one small write per interval, not per request.
func (s *Server) storeHealth(ctx context.Context) error {
	h := &s.health
	h.mu.Lock()
	defer h.mu.Unlock()
	now := s.now()
	if !h.checked.IsZero() && !now.Before(h.checked) && now.Sub(h.checked) < s.probeInterval {
		return h.err
	}
	// The probe's result is shared with other requests: the one that runs it must not cut it
	// short by going away.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), probeTimeout)
	defer cancel()
	err := s.probeStore(ctx)
	if err != nil {
		s.log.ErrorContext(ctx, "status: store unavailable", slog.Any("error", err))
	}
	h.checked, h.err = now, err
	return err
}

// probeStore writes (store.Store's Probe) and then reads (a lookup of a project that cannot
// exist, the cheapest query every store has). The write goes first: when both fail (the
// database or table is gone), the store's reason for the write is the more useful answer.
func (s *Server) probeStore(ctx context.Context) error {
	if err := s.store.Probe(ctx); err != nil {
		return fmt.Errorf("probe store: %w", err)
	}
	if _, err := s.store.Project(ctx, "status-probe"); err != nil && !errors.Is(err, store.ErrNotFound) {
		return &readError{err}
	}
	return nil
}

// readError is a store that failed the status endpoint's read.
type readError struct{ err error }

func (e *readError) Error() string { return "read: " + e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// healthReason is the part of a 503 status answer after "store unavailable: ": the store's own
// words when it has them (a *store.HealthError says nothing internal), otherwise only whether
// reads or writes failed. Details stay in the log.
func healthReason(err error) string {
	var (
		he *store.HealthError
		re *readError
	)
	switch {
	case errors.As(err, &he):
		return "writes fail: " + he.Reason
	case errors.As(err, &re):
		return "reads fail (the server log has the cause)"
	}
	return "writes fail (the server log has the cause)"
}

// handleAppendSlash serves the API's collection URLs without their trailing slash
// (/api/v{1,2,3}/checks, .../channels, .../status, .../checks/{code}/pings and
// .../checks/{code}/flips): 301 to the slashed URL, query included, when that URL exists, else the
// HTML 404, as Django's APPEND_SLASH does.
func (s *Server) handleAppendSlash(w http.ResponseWriter, r *http.Request) {
	target := apiSlashRedirect(r)
	if target == "" {
		s.handleNotFound(w, r)
		return
	}
	w.Header().Set("Location", target)
	writeBody(w, http.StatusMovedPermanently, "")
}

// apiSlashRedirect is where a request for an API collection URL without its trailing slash is
// sent, or "" when the slashed path is not an API URL either (say, {code} is not a UUID).
func apiSlashRedirect(r *http.Request) string {
	p := r.URL.Path
	rest, ok := strings.CutPrefix(p, "/api/v")
	if !ok || strings.HasSuffix(p, "/") || len(rest) < 2 || rest[0] < '1' || rest[0] > '3' || rest[1] != '/' {
		return ""
	}
	segs := strings.Split(rest[2:], "/")
	switch {
	case len(segs) == 1 && slices.Contains([]string{"checks", "channels", "badges", "status"}, segs[0]):
		// badges/ is served by the badge handlers; its slashless form redirects once routed here.
	case len(segs) == 3 && segs[0] == "checks" && segs[2] == "pings" && isCheckUUID(segs[1]):
	case len(segs) == 3 && segs[0] == "checks" && segs[2] == "flips" && (isCheckUUID(segs[1]) || isUniqueKey(segs[1])):
	default:
		return ""
	}
	target := p + "/"
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	return target
}

// parsePingNumber parses the {n} of a ping body URL: decimal digits (Django's int converter).
func parsePingNumber(s string) (int, bool) {
	if s == "" || !allDigits(s) {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
