package httpapi

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/checksched"
	"github.com/overduehq/overdue/internal/ingest"
	"github.com/overduehq/overdue/internal/store"
)

// pingTarget is what a ping URL names: a check by UUID, or by ping key and slug; and the action.
type pingTarget struct {
	code    string // check UUID; empty for the slug forms
	pingKey string // slug forms only; a secret, never logged
	slug    string
	kind    check.PingKind // success, start, fail or log, as the URL says
	exit    int            // exit status from /<int>, noExit when absent; may exceed 255
}

// noExit marks a URL without an exit status.
const noExit = -1

// snoozeAction is the last path segment of a ping URL that snoozes the check (pingSnooze).
const snoozeAction = "snooze"

// handlePingUUID serves /ping/{code} and /ping/{code}/: a success ping by check UUID.
func (s *Server) handlePingUUID(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	if !isCheckUUID(code) {
		s.handleNotFound(w, r)
		return
	}
	s.ping(w, r, pingTarget{code: code, kind: check.PingSuccess, exit: noExit})
}

// handlePingPair serves /ping/{first}/{second}: /ping/<uuid>/<action> when first is a check UUID
// and second an action (start, fail, log or an exit status), /ping/<uuid>/snooze (pingSnooze),
// otherwise /ping/<ping-key>/<slug>.
// As in Healthchecks, /ping/<uuid>/abc is therefore a slug ping with the UUID as ping key, and
// ends in 404 "not found".
func (s *Server) handlePingPair(w http.ResponseWriter, r *http.Request) {
	first, second := r.PathValue("first"), r.PathValue("second")
	if isCheckUUID(first) && second == snoozeAction {
		s.pingSnooze(w, r, pingTarget{code: first})
		return
	}
	if isCheckUUID(first) {
		if kind, exit, ok := parseAction(second); ok {
			s.ping(w, r, pingTarget{code: first, kind: kind, exit: exit})
			return
		}
	}
	if !isSlug(first) || !isSlug(second) {
		s.handleNotFound(w, r)
		return
	}
	s.ping(w, r, pingTarget{pingKey: first, slug: second, kind: check.PingSuccess, exit: noExit})
}

// handlePingSlugAction serves /ping/{key}/{slug}/{action}: start, fail, log or an exit status by
// ping key and slug, or snooze (pingSnooze).
func (s *Server) handlePingSlugAction(w http.ResponseWriter, r *http.Request) {
	key, slug := r.PathValue("key"), r.PathValue("slug")
	if r.PathValue("action") == snoozeAction && isSlug(key) && isSlug(slug) {
		s.pingSnooze(w, r, pingTarget{pingKey: key, slug: slug})
		return
	}
	kind, exit, ok := parseAction(r.PathValue("action"))
	if !ok || !isSlug(key) || !isSlug(slug) {
		s.handleNotFound(w, r)
		return
	}
	s.ping(w, r, pingTarget{pingKey: key, slug: slug, kind: kind, exit: exit})
}

// ping runs Healthchecks' ping pipeline for a routed URL. The order of the checks is observable
// and follows Healthchecks: uppercase slug, then the check lookup (and auto-provisioning), then
// the exit status, then the run id.
func (s *Server) ping(w http.ResponseWriter, r *http.Request, t pingTarget) {
	now := s.now()
	// Healthchecks' never_cache covers every response of the ping view, errors included.
	h := w.Header()
	s.setNeverCache(h, now)

	// Healthchecks v3.13 accepted uppercase slugs (/ping/<key>/UpperCase?create=1 answered 201);
	// v4.1 and the behaviour spec reject them with 400 before any lookup, and so do we: a slug
	// is lowercase everywhere else, and accepting both cases invites two checks that differ
	// only in case.
	if t.code == "" && hasUpper(t.slug) {
		s.writePingError(w, r, errInvalidURL)
		return
	}
	body, err := s.readBody(r)
	if err != nil {
		s.writePingError(w, r, err)
		return
	}
	// Most pings carry no query: nothing to parse then.
	var q url.Values
	if r.URL.RawQuery != "" {
		q = r.URL.Query()
	}
	sig := check.Signal{
		Kind:       t.kind,
		Method:     r.Method,
		Body:       body,
		Scheme:     scheme(r),
		RemoteAddr: remoteAddr(r),
		UA:         r.UserAgent(), // the domain keeps the first 200 characters
	}
	if t.exit != noExit && t.exit <= 255 {
		exit := t.exit
		sig.ExitStatus = &exit
	}
	rid, hasRID := lastValue(q, "rid")
	if hasRID && isRID(rid) {
		sig.RID = strings.ToLower(rid)
	}

	id, created := t.code, false
	if id == "" {
		create := false
		if v, ok := lastValue(q, "create"); ok && v == "1" {
			create = true
		}
		id, created, err = s.checkBySlug(r.Context(), t.pingKey, t.slug, create, now)
		if err != nil {
			s.writePingError(w, r, err)
			return
		}
	}

	// Validated once the store found the check, because Healthchecks answers an unknown
	// check with 404 before it looks at the exit status or the run id.
	var refuse error
	switch {
	case t.exit > 255:
		refuse = errInvalidURL
	case hasRID && !isRID(rid):
		refuse = errInvalidRID
	}
	var accept func(*check.Check) error // nil, and nothing allocated, for a valid ping
	if refuse != nil {
		accept = func(*check.Check) error { return refuse }
	}
	_, err = s.recorder().Ping(r.Context(), id, sig, now, accept)
	if err != nil {
		s.writePingError(w, r, fmt.Errorf("ping check %s: %w", id, err), "check", id)
		return
	}

	if s.bodyLimitHeader != nil {
		setShared(h, "Ping-Body-Limit", s.bodyLimitHeader)
	}
	setShared(h, "Access-Control-Allow-Origin", anyOrigin)
	s.countPing(r.Context(), false)
	if created {
		writeBody(w, http.StatusCreated, "Created")
		return
	}
	writeBody(w, http.StatusOK, "OK")
}

// countPing counts one ping request for the ingestion health, when a counter is set.
func (s *Server) countPing(ctx context.Context, failed bool) {
	if s.pingCounter != nil {
		s.pingCounter.CountPing(ctx, failed)
	}
}

// checkBySlug finds the one check with slug in the project whose ping key is pingKey, creating it
// when create is set and there is none. It reports whether it created the check.
func (s *Server) checkBySlug(ctx context.Context, pingKey, slug string, create bool, now time.Time) (string, bool, error) {
	p, err := s.store.ProjectByPingKey(ctx, check.HashKey(pingKey))
	if err != nil {
		return "", false, fmt.Errorf("find project by ping key: %w", err)
	}
	checks, err := s.store.ChecksBySlug(ctx, p.ID, slug)
	if err != nil {
		return "", false, fmt.Errorf("find checks of project %s by slug: %w", p.ID, err)
	}
	switch {
	case len(checks) == 1:
		return checks[0].ID, false, nil
	case len(checks) > 1:
		return "", false, errAmbiguousSlug
	case !create:
		return "", false, store.ErrNotFound
	}
	// The slug becomes the new check's slug and name, under the rules the management API applies
	// to both (the URL router has already limited it to [-a-z0-9_]; only its length is left).
	if err := check.ValidateSlug(slug); err != nil {
		return "", false, fieldError(err)
	}

	existing, err := s.store.Checks(ctx, p.ID)
	if err != nil {
		return "", false, fmt.Errorf("list checks of project %s: %w", p.ID, err)
	}
	if len(existing) >= s.maxChecks {
		return "", false, errTooManyChecks
	}
	channels, err := store.ListChannels(ctx, s.store, p.ID)
	if err != nil {
		return "", false, fmt.Errorf("list channels of project %s: %w", p.ID, err)
	}
	c := check.New(s.newID(), p.ID, now)
	c.Name = slug
	c.Slug = slug
	c.BadgeKey = s.newID()
	if err := c.ValidateText(); err != nil {
		return "", false, fieldError(err)
	}
	// Healthchecks assigns every channel of the project, disabled ones included.
	for _, ch := range channels {
		c.Channels = append(c.Channels, ch.ID)
	}
	c.LateNotice = check.ReachesLate(c.Channels, channels)
	// Two concurrent first pings can both get here and create two checks with the slug; the
	// next ping then answers 409 "ambiguous slug". Healthchecks has the same race.
	if err := s.store.CreateCheck(ctx, c); err != nil {
		return "", false, fmt.Errorf("create check %s: %w", c.ID, err)
	}
	s.log.InfoContext(ctx, "check auto-provisioned", "check", c.ID, "project", p.ID)
	return c.ID, true, nil
}

// readBody reads the part of the request body that is stored. A body over the request cap is
// rejected (Healthchecks: Django's upload limit), whether its length is declared or not: a
// declared length is judged before reading, and a body of unknown length (chunked) is read past
// the stored part, and discarded, up to one byte over the cap to tell. Otherwise a longer body is
// truncated, and nothing past the cap is ever read.
func (s *Server) readBody(r *http.Request) ([]byte, error) {
	limit := int64(max(MaxRequestBody, s.bodyLimit))
	if r.ContentLength > limit {
		return nil, errBodyTooLarge
	}
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	keep := limit
	if s.bodyLimit > 0 {
		keep = int64(s.bodyLimit)
	}
	if r.ContentLength > 0 {
		// A declared length is read into a buffer of exactly the stored size (io.ReadAll starts
		// at 512 bytes and grows by copying), as io.ReadAll would read it: up to an end, or an
		// error (net/http's when the body is shorter than declared).
		body := make([]byte, min(r.ContentLength, keep))
		n := 0
		for n < len(body) {
			m, err := r.Body.Read(body[n:])
			n += m
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, errBodyRead
			}
		}
		if n == 0 {
			return nil, nil
		}
		if int64(n) == r.ContentLength {
			// Read to its end: closed, net/http need not look for more before it answers.
			_ = r.Body.Close()
		}
		return body[:n], nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, keep))
	if err != nil {
		return nil, errBodyRead
	}
	if r.ContentLength < 0 {
		rest, err := io.Copy(io.Discard, io.LimitReader(r.Body, limit+1-int64(len(body))))
		if err != nil {
			return nil, errBodyRead
		}
		if int64(len(body))+rest > limit {
			return nil, errBodyTooLarge
		}
	}
	if len(body) == 0 {
		return nil, nil
	}
	return body, nil
}

// scheduleFor returns the check's cron or OnCalendar schedule, or nil for a simple check.
func scheduleFor(c *check.Check) (check.Schedule, error) { return checksched.For(c) }

// parseAction reads the last segment of a ping URL: start, fail, log or an exit status (decimal
// digits; 0 is success, anything else fail). Exit statuses over 255 are returned as they are, or
// as 256 when too large for an int, for the caller to reject after the check lookup.
func parseAction(seg string) (check.PingKind, int, bool) {
	switch seg {
	case "start":
		return check.PingStart, noExit, true
	case "fail":
		return check.PingFail, noExit, true
	case "log":
		return check.PingLog, noExit, true
	case "":
		return "", noExit, false
	}
	for i := 0; i < len(seg); i++ {
		if seg[i] < '0' || seg[i] > '9' {
			return "", noExit, false
		}
	}
	exit, err := strconv.Atoi(seg)
	if err != nil {
		exit = 256
	}
	if exit == 0 {
		return check.PingSuccess, 0, true
	}
	return check.PingFail, exit, true
}

// remoteAddr is the client's address as Healthchecks records it: the first element of
// X-Forwarded-For when the header is present (not trimmed), else the peer's host. A forwarded
// "a.b.c.d:port" loses its port; anything else, IPv6 and IPv4-mapped IPv6 included, is kept
// verbatim.
func remoteAddr(r *http.Request) string {
	if v, ok := r.Header["X-Forwarded-For"]; ok && len(v) > 0 {
		addr, _, _ := strings.Cut(v[0], ",")
		if _, err := netip.ParseAddr(addr); err != nil && strings.Count(addr, ".") == 3 {
			if i := strings.LastIndexByte(addr, ':'); i > strings.LastIndexByte(addr, '.') {
				addr = addr[:i]
			}
		}
		return truncate(addr, maxRemoteAddr)
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		// Adapters may hand over a bare address.
		return truncate(r.RemoteAddr, maxRemoteAddr)
	}
	return host
}

// scheme is X-Forwarded-Proto when present, else http: Healthchecks never looks at the connection
// itself, and behind API Gateway or a proxy it could not.
func scheme(r *http.Request) string {
	if v, ok := r.Header["X-Forwarded-Proto"]; ok && len(v) > 0 {
		return truncate(v[0], maxScheme)
	}
	return "http"
}

// Client-supplied headers are stored, so they are capped: an address is at most 45 characters
// (IPv4-mapped IPv6) plus a zone, and Healthchecks' scheme column holds 10.
const (
	maxRemoteAddr = 64
	maxScheme     = 10
)

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// lastValue returns the last value of a query parameter, as Django's QueryDict.get does, and
// whether the parameter was present at all (?rid= is present and empty).
func lastValue(q url.Values, key string) (string, bool) {
	v, ok := q[key]
	if !ok || len(v) == 0 {
		return "", false
	}
	return v[len(v)-1], true
}

// isCheckUUID reports whether s is a UUID in the only form ping URLs accept: canonical, lowercase.
func isCheckUUID(s string) bool { return isUUID(s, false) }

// isRID reports whether s is a valid run id: a canonical UUID in either case.
func isRID(s string) bool { return isUUID(s, true) }

func isUUID(s string, upperOK bool) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f':
		case upperOK && 'A' <= c && c <= 'F':
		default:
			return false
		}
	}
	return true
}

// isSlug reports whether s matches Django's slug converter, [-a-zA-Z0-9_]+, which ping keys and
// slugs both use in the router.
func isSlug(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func hasUpper(s string) bool {
	return strings.ToLower(s) != s
}

// recorder records pings and snoozes with the holds of windows and parents (package ingest),
// the one path that email pings take too.
func (s *Server) recorder() *ingest.Recorder { return s.rec }
