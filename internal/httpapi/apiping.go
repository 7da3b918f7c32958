package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// pingLogLimit is how many of a check's newest pings the API lists and serves bodies of
// (Healthchecks' ping_log_limit). It is the store's default retention: the store keeps no more.
const pingLogLimit = store.DefaultPingLimit

// Bounds of the flips filters (Healthchecks' FlipsFiltersForm).
const (
	maxFlipTimestamp = 10_000_000_000
	maxFlipSeconds   = 31_536_000
)

// pingsJSON is the body of the pings list.
type pingsJSON struct {
	Pings []pingJSON `json:"pings"`
}

// flipsJSON is the body of the flips list.
type flipsJSON struct {
	Flips []flipJSON `json:"flips"`
}

// handleListPings serves GET /api/v{1,2,3}/checks/{uuid}/pings/ (read-write key only): the
// check's newest pings, newest first, each with the duration of its run when the run's start is
// in the list.
func (s *Server) handleListPings(w http.ResponseWriter, r *http.Request, v int) {
	ctx := r.Context()
	p, _, err := s.authenticate(ctx, r, nil, readWrite)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	id := r.PathValue("code")
	if _, err := s.loadCheck(ctx, p, id); err != nil {
		s.writeAPIError(w, r, err, "check", id)
		return
	}
	pings, err := s.store.Pings(ctx, id, pingLogLimit)
	if err != nil {
		s.writeAPIError(w, r, fmt.Errorf("list pings of check %s: %w", id, err), "check", id)
		return
	}
	// body_url must be null for a ping without a body. The listing leaves bodies out but says how
	// big each is; only a ping whose size the store does not know (written to DynamoDB by a build
	// before data model version 2) is loaded once more to find out.
	for _, ping := range pings {
		if ping.BodySize != check.BodySizeUnknown {
			continue
		}
		full, err := s.store.Ping(ctx, id, ping.N)
		if err != nil {
			ping.BodySize = 0 // trimmed in between: no body to link to
			continue
		}
		ping.BodySize = len(full.Body)
	}
	writeJSON(w, http.StatusOK, pingsJSON{Pings: s.renderPings(id, pings, v)})
}

// handlePingBody serves GET /api/v{1,2,3}/checks/{uuid}/pings/{n}/body (read-write key only): the
// stored body, byte for byte, as text/plain. A ping older than the newest pingLogLimit, a missing
// ping and a ping without a body are 404.
func (s *Server) handlePingBody(w http.ResponseWriter, r *http.Request, v int) {
	ctx := r.Context()
	p, _, err := s.authenticate(ctx, r, nil, readWrite)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	id := r.PathValue("code")
	c, err := s.loadCheck(ctx, p, id)
	if err != nil {
		s.writeAPIError(w, r, err, "check", id)
		return
	}
	n, ok := parsePingNumber(r.PathValue("n"))
	if !ok || n <= c.NPings-pingLogLimit {
		s.writeAPINotFound(w)
		return
	}
	ping, err := s.store.Ping(ctx, id, n)
	if err != nil {
		s.writeAPIError(w, r, fmt.Errorf("load ping %d of check %s: %w", n, id, err), "check", id)
		return
	}
	if len(ping.Body) == 0 {
		s.writeAPINotFound(w)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(ping.Body)
}

// handleListFlips serves GET /api/v{1,2,3}/checks/{uuid}/flips/ and
// /api/v{1,2,3}/checks/{unique_key}/flips/ (read-only keys too): the check's status changes,
// newest first, filtered by ?start= and ?end= (Unix times) and ?seconds= (the last n seconds).
// A filter that is not a whole number in range is 400 with an empty body.
func (s *Server) handleListFlips(w http.ResponseWriter, r *http.Request, v int) {
	ctx := r.Context()
	p, _, err := s.authenticate(ctx, r, nil, readOnlyOK)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	code := r.PathValue("code")
	var c *check.Check
	if isCheckUUID(code) {
		c, err = s.loadCheck(ctx, p, code)
	} else {
		c, err = s.checkByUniqueKey(ctx, p, code)
	}
	if err != nil {
		s.writeAPIError(w, r, err, "check", code)
		return
	}
	q, err := flipQuery(r.URL.Query(), s.now())
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	flips, err := s.store.Flips(ctx, c.ID, q)
	if err != nil {
		s.writeAPIError(w, r, fmt.Errorf("list flips of check %s: %w", c.ID, err), "check", c.ID)
		return
	}
	writeJSON(w, http.StatusOK, flipsJSON{Flips: renderFlips(flips, v)})
}

// flipQuery reads the flips filters. Zero (like absent or empty) means no filter, as in
// Healthchecks; start and seconds both bound the flips from below, and the later bound wins.
func flipQuery(q url.Values, now time.Time) (store.FlipQuery, error) {
	var fq store.FlipQuery
	for _, f := range []struct {
		name string
		max  int64
		set  func(n int64)
	}{
		{"start", maxFlipTimestamp, func(n int64) { fq.Since = laterOf(fq.Since, time.Unix(n, 0)) }},
		{"end", maxFlipTimestamp, func(n int64) { fq.Until = time.Unix(n, 0) }},
		{"seconds", maxFlipSeconds, func(n int64) { fq.Since = laterOf(fq.Since, now.Add(-time.Duration(n)*time.Second)) }},
	} {
		raw, ok := lastValue(q, f.name)
		if !ok {
			continue
		}
		n, present, valid := formInteger(raw)
		if !valid || present && (n < 0 || n > f.max) {
			return store.FlipQuery{}, errBadFilter
		}
		if present && n != 0 {
			f.set(n)
		}
	}
	return fq, nil
}

func laterOf(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// formInteger reads a query value as Django's IntegerField does: "" is no value; otherwise a
// trailing ".000" is dropped and the rest must be an integer, surrounding white space and a sign
// allowed.
func formInteger(s string) (n int64, present, valid bool) {
	if s == "" {
		return 0, false, true
	}
	if i := strings.LastIndexByte(s, '.'); i >= 0 && strings.Trim(strings.TrimRight(s[i+1:], " \t\n\r\f\v"), "0") == "" {
		s = s[:i]
	}
	s = strings.TrimSpace(s)
	digits := strings.TrimLeft(s, "+-")
	if len(s)-len(digits) > 1 || digits == "" || !allDigits(digits) {
		return 0, true, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		// Too large for int64: out of range either way, on the side of its sign.
		if strings.HasPrefix(s, "-") {
			return -1, true, true
		}
		return maxFlipTimestamp + 1, true, true
	}
	return n, true, true
}
