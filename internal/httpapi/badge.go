package httpapi

// Badges: status images (and their JSON forms) for a whole project, for one tag, or for one
// check, meant to be embedded in READMEs and dashboards without credentials.
//
// Route-table lines for routes(). The patterns carry no method: each handler answers OPTIONS
// with 204 and other methods with 405 itself, because a "GET /badge/..." pattern next to the "/"
// catch-all would make ServeMux answer a POST with the catch-all's 404 instead of 405.
//
//	s.mux.HandleFunc("/badge/{key}/{file}", s.handleProjectBadge)
//	s.mux.HandleFunc("/badge/{key}/{sig}/{file}", s.handleTagBadge)
//	s.mux.HandleFunc("/b/{states}/{file}", s.handleCheckBadge)
//	s.mux.HandleFunc("/api/v1/badges/{$}", s.handleBadgeList)
//	s.mux.HandleFunc("/api/v2/badges/{$}", s.handleBadgeList)
//	s.mux.HandleFunc("/api/v3/badges/{$}", s.handleBadgeList)
//
// A project or tag badge URL is /badge/<project badge key>/<signature>[/<tag>].<format>. The
// signature proves that the URL was handed out by this server: without it anyone who learnt a
// project's badge key could enumerate its tags. It is checked before the store is touched, so a
// forged URL costs one HMAC.

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

const (
	// badgeSigLen is how many characters of the base64url HMAC a badge URL carries (48 bits).
	badgeSigLen = 8
	// badgeAllTag is the pseudo-tag of the badge covering every check of a project.
	badgeAllTag = "*"
	// badgeSiteLabel labels the all-checks badge (Healthchecks' MASTER_BADGE_LABEL).
	badgeSiteLabel = "Overdue"
	// badgeSigContext separates badge signatures from every other use of the server secret
	// (webhook signatures, say), so that no signature made for one can be replayed as another.
	badgeSigContext = "overdue badge v1\x00"
)

// The badge states. Two-state badges never show late.
const (
	badgeUp   = "up"
	badgeLate = "late"
	badgeDown = "down"
)

// badgeFormats are the formats a badge URL may end in.
var badgeFormats = []string{"svg", "json", "shields"}

// errNoBadgeSecret is answered by the badge listing when the server has no secret to sign with.
var errNoBadgeSecret = &clientError{http.StatusServiceUnavailable,
	"badges are disabled: the server has no secret key configured"}

// handleProjectBadge serves the badge of every check in a project:
// /badge/{key}/{file}, file being "<signature>[-2].<format>".
func (s *Server) handleProjectBadge(w http.ResponseWriter, r *http.Request) {
	if !s.badgeMethod(w, r) {
		return
	}
	sig, format, ok := splitBadgeFile(r.PathValue("file"))
	if !ok {
		s.handleNotFound(w, r)
		return
	}
	s.serveProjectBadge(w, r, r.PathValue("key"), sig, badgeAllTag, format)
}

// handleTagBadge serves the badge of the checks in a project carrying one tag:
// /badge/{key}/{sig}/{file}, file being "<tag>.<format>".
//
// The tag is percent-encoded twice in generated URLs (see badgeURL): ServeMux decodes the segment
// once and this decodes it again, so a tag may contain "/", "%" or anything else.
func (s *Server) handleTagBadge(w http.ResponseWriter, r *http.Request) {
	if !s.badgeMethod(w, r) {
		return
	}
	escaped, format, ok := splitBadgeFile(r.PathValue("file"))
	if !ok {
		s.handleNotFound(w, r)
		return
	}
	tag, err := url.PathUnescape(escaped)
	if err != nil || tag == "" {
		s.handleNotFound(w, r)
		return
	}
	s.serveProjectBadge(w, r, r.PathValue("key"), r.PathValue("sig"), tag, format)
}

// handleCheckBadge serves the badge of one check: /b/{states}/{file}, file being
// "<check badge key>.<format>". states 3 asks for a three-state badge, any other number for a
// two-state one, as in Healthchecks.
func (s *Server) handleCheckBadge(w http.ResponseWriter, r *http.Request) {
	if !s.badgeMethod(w, r) {
		return
	}
	statesSeg := r.PathValue("states")
	key, format, ok := splitBadgeFile(r.PathValue("file"))
	// The badge key of a check is a UUID; refusing anything else spares the store a lookup for
	// a URL that cannot name a check.
	if !ok || !badgeStatesValid(statesSeg) || !isCheckUUID(key) {
		s.handleNotFound(w, r)
		return
	}
	states := 2
	if n, err := strconv.Atoi(statesSeg); err == nil && n == 3 {
		states = 3
	}
	c, err := s.checkByBadgeKey(r.Context(), key)
	if err != nil {
		s.badgeLookupFailed(w, r, err)
		return
	}
	label := c.Name
	if label == "" {
		label = c.ID
	}
	s.writeBadge(w, format, label, s.badgeCounts(r.Context(), []*check.Check{c}, badgeAllTag), states)
}

// serveProjectBadge answers a project or tag badge once the URL has been taken apart.
func (s *Server) serveProjectBadge(w http.ResponseWriter, r *http.Request, key, sigSeg, tag, format string) {
	if len(s.secret) == 0 {
		s.log.WarnContext(r.Context(), "badge requested, but the server has no secret key to check its signature")
	}
	sig, states, ok := parseBadgeSig(sigSeg)
	if !ok || !s.badgeSigValid(key, tag, sig) {
		s.handleNotFound(w, r)
		return
	}
	p, err := s.projectByBadgeKey(r.Context(), key)
	if err != nil {
		s.badgeLookupFailed(w, r, err)
		return
	}
	checks, err := s.store.Checks(r.Context(), p.ID)
	if err != nil {
		s.badgeLookupFailed(w, r, fmt.Errorf("list checks of project %s: %w", p.ID, err))
		return
	}
	label := tag
	if tag == badgeAllTag {
		label = badgeSiteLabel
	}
	s.writeBadge(w, format, label, s.badgeCounts(r.Context(), checks, tag), states)
}

// badgeMethod answers the methods a badge URL does not serve, with Healthchecks' CORS headers on
// every answer, and reports whether the handler should go on (GET and HEAD).
func (s *Server) badgeMethod(w http.ResponseWriter, r *http.Request) bool {
	setBadgeCORS(w)
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		return true
	case http.MethodOptions:
		w.WriteHeader(http.StatusNoContent)
	default:
		w.Header().Set("Allow", "GET, OPTIONS")
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
	return false
}

// setBadgeCORS sets the CORS headers of Healthchecks' cors("GET") decorator. Unlike Healthchecks
// they are also on the 404s, which makes a failed badge fetch readable to browser scripts.
func setBadgeCORS(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Headers", "X-Api-Key")
	h.Set("Access-Control-Allow-Methods", "GET, OPTIONS")
	h.Set("Access-Control-Max-Age", "600")
}

// badgeLookupFailed answers a badge whose project or check could not be loaded: 404 when it does
// not exist, 500 (logged) when the store failed.
func (s *Server) badgeLookupFailed(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, store.ErrNotFound) {
		s.handleNotFound(w, r)
		return
	}
	s.log.ErrorContext(r.Context(), "badge lookup failed", slog.Any("error", err))
	writeBody(w, http.StatusInternalServerError, "internal server error")
}

// splitBadgeFile splits the last segment of a badge URL into its name and a known format.
func splitBadgeFile(file string) (name, format string, ok bool) {
	i := strings.LastIndexByte(file, '.')
	if i <= 0 {
		return "", "", false
	}
	name, format = file[:i], file[i+1:]
	return name, format, slices.Contains(badgeFormats, format)
}

// parseBadgeSig reads a signature segment: the bare signature for a three-state badge, or the
// signature followed by "-2" for a two-state one.
//
// Healthchecks compares only the first 8 characters and treats any other suffix as three-state
// (quirk). We accept exactly the two forms we generate: since our signatures are not
// Healthchecks' anyway, no published URL depends on the looser reading.
func parseBadgeSig(seg string) (sig string, states int, ok bool) {
	switch {
	case len(seg) == badgeSigLen:
		return seg, 3, true
	case len(seg) == badgeSigLen+2 && strings.HasSuffix(seg, "-2"):
		return seg[:badgeSigLen], 2, true
	}
	return "", 0, false
}

// badgeSignature signs a project badge key and tag: the first badgeSigLen characters of the
// unpadded base64url HMAC-SHA256, keyed with the server secret, of the key and the tag. The
// all-checks badge signs the tag "*".
func (s *Server) badgeSignature(badgeKey, tag string) string {
	mac := hmac.New(sha256.New, s.secret)
	mac.Write([]byte(badgeSigContext))
	mac.Write([]byte(badgeKey))
	// Badge keys never contain NUL, so the separator makes (key, tag) pairs unambiguous.
	mac.Write([]byte{0})
	mac.Write([]byte(tag))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))[:badgeSigLen]
}

// badgeSigValid reports whether sig signs badgeKey and tag. Without a secret nothing is valid:
// an HMAC with an empty key is one anybody can compute.
func (s *Server) badgeSigValid(badgeKey, tag, sig string) bool {
	if len(s.secret) == 0 {
		return false
	}
	return hmac.Equal([]byte(sig), []byte(s.badgeSignature(badgeKey, tag)))
}

// badgeURL is the absolute URL of a project badge: tag "*" for all of the project's checks,
// format "svg", "json" or "shields", states 2 or 3.
func (s *Server) badgeURL(badgeKey, tag, format string, states int) string {
	sig := s.badgeSignature(badgeKey, tag)
	if states != 3 {
		sig += "-2"
	}
	u := s.siteRoot + "/badge/" + url.PathEscape(badgeKey) + "/" + sig
	if tag != badgeAllTag {
		// Encoded twice, as Healthchecks does: handleTagBadge decodes once more after ServeMux,
		// so a "/" in a tag never splits the path and a "%" in a tag survives.
		u += "/" + escapeBadgeTag(escapeBadgeTag(tag))
	}
	return u + "." + format
}

// BadgeURL is the absolute URL of a project badge as the badge listing gives it: tag "*" for
// every check of the project, format "svg", "json" or "shields", states 2 or 3. "" when the
// server has no secret to sign badges with. The settings page (package web) shows these.
func (s *Server) BadgeURL(badgeKey, tag, format string, states int) string {
	if len(s.secret) == 0 {
		return ""
	}
	return s.badgeURL(badgeKey, tag, format, states)
}

// checkBadgeURL is the absolute URL of a check's own badge, format "svg", "json" or "shields",
// states 2 or 3. The API's badge_url is checkBadgeURL(c.BadgeKey, "svg", 2).
func (s *Server) checkBadgeURL(badgeKey, format string, states int) string {
	if states != 3 {
		states = 2
	}
	return s.siteRoot + "/b/" + strconv.Itoa(states) + "/" + url.PathEscape(badgeKey) + "." + format
}

// escapeBadgeTag percent-encodes every byte of a tag except ASCII letters, digits and "-._~"
// (Python's quote with nothing safe), so the result is a single, unambiguous path segment.
func escapeBadgeTag(tag string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(tag); i++ {
		c := tag[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '.', c == '_', c == '~':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}

// projectByBadgeKey finds the project with a badge key: one store lookup. The badge key is a
// lookup key, not a secret (the URL's signature, checked before this, is what proves it was
// handed out), so nothing here needs a constant-time comparison.
func (s *Server) projectByBadgeKey(ctx context.Context, key string) (*check.Project, error) {
	p, err := s.store.ProjectByBadgeKey(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("find project by badge key: %w", err)
	}
	return p, nil
}

// checkByBadgeKey finds the check with a badge key: one store lookup, whatever the number of
// checks. A check's badge key is public, like the project's.
func (s *Server) checkByBadgeKey(ctx context.Context, key string) (*check.Check, error) {
	c, err := s.store.CheckByBadgeKey(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("find check by badge key: %w", err)
	}
	return c, nil
}

// badgeCounts is what a badge summarises: how many checks it covers, and how many of those are
// in their grace period or down.
type badgeCounts struct {
	Total int `json:"total"`
	Grace int `json:"grace"`
	Down  int `json:"down"`
}

// state is the badge's state: down if any check is down; else, for a three-state badge, late if
// any is in its grace period; else up (new and paused checks, and no checks at all, are up).
func (n badgeCounts) state(states int) string {
	switch {
	case n.Down > 0:
		return badgeDown
	case states == 3 && n.Grace > 0:
		return badgeLate
	}
	return badgeUp
}

// badgeCounts counts the checks carrying tag ("*": all of them) by their status now.
func (s *Server) badgeCounts(ctx context.Context, checks []*check.Check, tag string) badgeCounts {
	now := s.now()
	var n badgeCounts
	for _, c := range checks {
		if tag != badgeAllTag && !slices.Contains(c.TagList(), tag) {
			continue
		}
		n.Total++
		switch s.publicStatus(ctx, c, now) {
		case check.StatusGrace:
			n.Grace++
		case check.StatusDown:
			n.Down++
		}
	}
	return n
}

// publicStatus is a check's status as badges and metrics report it: the v2/v3 status, in which a
// run in progress shows the underlying status (or down, once it has outlasted the grace time).
// A stored schedule that no longer parses times the check as a simple one, as pings do. A check
// held by an outage of Overdue's ping intake is grace (late), as in API v1 and v2.
func (s *Server) publicStatus(ctx context.Context, c *check.Check, now time.Time) check.Status {
	sched, err := scheduleFor(c)
	if err != nil {
		s.log.WarnContext(ctx, "check schedule does not parse; status computed as simple",
			"check", c.ID, "error", err)
		sched = nil
	}
	return reportedStatus(c, sched, 2, now)
}

// writeBadge writes a badge in format with its counts; states 2 shows late as up.
func (s *Server) writeBadge(w http.ResponseWriter, format, label string, n badgeCounts, states int) {
	state := n.state(states)
	h := w.Header()
	// A badge shows the state now; a cached one would keep showing a check up that is down.
	h.Set("Cache-Control", "max-age=0, no-cache, no-store, must-revalidate, private")
	h.Set("Expires", s.now().UTC().Format(http.TimeFormat))
	switch format {
	case "svg":
		h.Set("Content-Type", "image/svg+xml")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(badgeSVG(label, state)))
	case "json":
		writeBadgeJSON(w, http.StatusOK, struct {
			Status string `json:"status"`
			badgeCounts
		}{state, n})
	default: // "shields": the Shields.io endpoint format
		writeBadgeJSON(w, http.StatusOK, shieldsBadge{
			SchemaVersion: 1, Label: label, Message: state, Color: shieldsColors[state],
		})
	}
}

// shieldsBadge is the Shields.io endpoint badge format (https://shields.io/badges/endpoint-badge).
type shieldsBadge struct {
	SchemaVersion int    `json:"schemaVersion"`
	Label         string `json:"label"`
	Message       string `json:"message"`
	Color         string `json:"color"`
}

// shieldsColors are the Shields.io named colours of the badge states.
var shieldsColors = map[string]string{badgeUp: "success", badgeLate: "important", badgeDown: "critical"}

// writeBadgeJSON writes v as an application/json response. (To be merged with the management
// API's JSON writer.)
func writeBadgeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Only plain structs and maps of strings reach here.
		panic(fmt.Sprintf("encode badge JSON: %v", err))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// badgeColors are the SVG colours of the badge states (Shields' brightgreen, orange and red).
var badgeColors = map[string]string{badgeUp: "#4c1", badgeLate: "#fe7d37", badgeDown: "#e05d44"}

// badgePadding is the space on each side of a badge text, in pixels.
const badgePadding = 10

// badgeSVG renders a flat two-part badge: the label on grey, the state on its colour. Each
// part is as wide as its text plus padding, and textLength pins the text to that width, so
// the badge looks right even where the viewer's font differs from the one measured.
func badgeSVG(label, state string) string {
	lt, vt := badgeTextWidth(label), badgeTextWidth(state)
	lw, vw := int(lt+0.999)+2*badgePadding, int(vt+0.999)+2*badgePadding
	width := lw + vw
	el, ev := xmlText(label), xmlText(state)
	lx, vx := float64(lw)/2, float64(lw)+float64(vw)/2

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="20" role="img" aria-label="%s: %s">`+"\n", width, el, ev)
	fmt.Fprintf(&b, "<title>%s: %s</title>\n", el, ev)
	b.WriteString(`<linearGradient id="shine" x2="0" y2="100%">` +
		`<stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/>` +
		"</linearGradient>\n")
	fmt.Fprintf(&b, `<clipPath id="round"><rect width="%d" height="20" rx="3" fill="#fff"/></clipPath>`+"\n", width)
	fmt.Fprintf(&b, `<g clip-path="url(#round)">`+
		`<rect width="%d" height="20" fill="#555"/>`+
		`<rect x="%d" width="%d" height="20" fill="%s"/>`+
		`<rect width="%d" height="20" fill="url(#shine)"/></g>`+"\n",
		lw, lw, vw, badgeColors[state], width)
	b.WriteString(`<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">` + "\n")
	for _, t := range []struct {
		x, length float64
		text      string
	}{{lx, lt, el}, {vx, vt, ev}} {
		// A faint copy one pixel lower is the shadow that makes white text readable on green.
		fmt.Fprintf(&b, `<text x="%.1f" y="15" fill="#010101" fill-opacity=".3" textLength="%.1f" lengthAdjust="spacingAndGlyphs">%s</text>`+"\n",
			t.x, t.length, t.text)
		fmt.Fprintf(&b, `<text x="%.1f" y="14" textLength="%.1f" lengthAdjust="spacingAndGlyphs">%s</text>`+"\n",
			t.x, t.length, t.text)
	}
	b.WriteString("</g>\n</svg>\n")
	return b.String()
}

// xmlText escapes s for XML character data and attribute values; characters XML cannot carry
// (control characters, invalid UTF-8) become U+FFFD.
func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// verdanaWidths are the advance widths of printable ASCII (space to "~") in Verdana, in font
// units of a 2048-unit em; badges use Verdana at 11 px, as Shields does.
var verdanaWidths = [95]uint16{
	720, 817, 1178, 1870, 1396, 2467, 1600, 695, 1001, 1001, 1396, 1870, 807, 1001, 807, 1001, // space to /
	1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, // 0 to 9
	1001, 1001, 1870, 1870, 1870, 1118, 2134, // : to @
	1402, 1416, 1436, 1584, 1291, 1174, 1576, 1542, 862, 1001, 1426, 1145, 1765, // A to M
	1512, 1613, 1239, 1613, 1430, 1402, 1240, 1491, 1402, 2025, 1403, 1239, 1403, // N to Z
	1001, 1001, 1001, 1870, 1303, 1303, // [ to `
	1231, 1272, 1062, 1272, 1220, 720, 1272, 1292, 562, 687, 1186, 562, 1983, // a to m
	1292, 1233, 1272, 1272, 874, 1052, 807, 1292, 1186, 1642, 1186, 1186, 1052, // n to z
	1270, 1001, 1270, 1870, // { to ~
}

// badgeTextWidth estimates the width of s in pixels at 11 px Verdana. Characters outside the
// table are estimated: full-width scripts as one em, combining marks as nothing, anything else
// as a wide Latin letter, erring wide so that text is squeezed rather than clipped.
func badgeTextWidth(s string) float64 {
	const emUnits, fontPx, otherUnits = 2048, 11, 1600
	units := 0
	for _, r := range s {
		switch {
		case r >= ' ' && r <= '~':
			units += int(verdanaWidths[r-' '])
		case unicode.Is(unicode.Mn, r):
		case unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul):
			units += emUnits
		default:
			units += otherUnits
		}
	}
	return float64(units) * fontPx / emUnits
}

// badgeLinks are the URLs of one tag's badges in the badge listing: two-state without a suffix,
// three-state with "3".
type badgeLinks struct {
	SVG      string `json:"svg"`
	SVG3     string `json:"svg3"`
	JSON     string `json:"json"`
	JSON3    string `json:"json3"`
	Shields  string `json:"shields"`
	Shields3 string `json:"shields3"`
}

// handleBadgeList lists the badge URLs of the key's project, per tag and for "*":
// GET /api/v1/badges/, /api/v2/badges/ and /api/v3/badges/ (read-only key accepted).
func (s *Server) handleBadgeList(w http.ResponseWriter, r *http.Request) {
	if !s.badgeMethod(w, r) {
		return
	}
	p, err := s.badgeAuthProject(r)
	if err == nil && len(s.secret) == 0 {
		err = errNoBadgeSecret
	}
	var checks []*check.Check
	if err == nil {
		checks, err = s.store.Checks(r.Context(), p.ID)
		if err != nil {
			err = fmt.Errorf("list checks of project %s: %w", p.ID, err)
		}
	}
	if err != nil {
		status, msg := statusOf(err)
		if status >= http.StatusInternalServerError {
			s.log.ErrorContext(r.Context(), "badge listing failed", slog.Any("error", err))
		}
		writeBadgeJSON(w, status, map[string]string{"error": msg})
		return
	}

	tags := map[string]bool{badgeAllTag: true}
	for _, c := range checks {
		for _, t := range c.TagList() {
			tags[t] = true
		}
	}
	names := make([]string, 0, len(tags))
	for t := range tags {
		names = append(names, t)
	}
	sort.Strings(names)
	badges := make(map[string]badgeLinks, len(names))
	for _, t := range names {
		badges[t] = badgeLinks{
			SVG:      s.badgeURL(p.BadgeKey, t, "svg", 2),
			SVG3:     s.badgeURL(p.BadgeKey, t, "svg", 3),
			JSON:     s.badgeURL(p.BadgeKey, t, "json", 2),
			JSON3:    s.badgeURL(p.BadgeKey, t, "json", 3),
			Shields:  s.badgeURL(p.BadgeKey, t, "shields", 2),
			Shields3: s.badgeURL(p.BadgeKey, t, "shields", 3),
		}
	}
	writeBadgeJSON(w, http.StatusOK, map[string]any{"badges": badges})
}

// The API key errors, with Healthchecks' bodies.
var (
	errBadgeMissingKey = &clientError{http.StatusUnauthorized, "missing api key"}
	errBadgeWrongKey   = &clientError{http.StatusUnauthorized, "wrong api key"}
)

// badgeAuthProject authenticates a read-only-capable API request by its X-Api-Key header and
// returns the key's project: a key that is not 32 characters long is "missing" (401), one that
// matches no project is "wrong" (401). Read-write and read-only keys are both accepted.
//
// To be merged with the management API's auth helper once that lands.
func (s *Server) badgeAuthProject(r *http.Request) (*check.Project, error) {
	key := r.Header.Get("X-Api-Key")
	if len(key) != 32 {
		return nil, errBadgeMissingKey
	}
	p, _, err := s.store.ProjectByAPIKey(r.Context(), check.HashKey(key))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, errBadgeWrongKey
	case err != nil:
		return nil, fmt.Errorf("find project by api key: %w", err)
	}
	return p, nil
}

// badgeStatesValid reports whether the states segment of a check badge URL is a non-empty run of
// ASCII digits, as Django's int path converter requires.
func badgeStatesValid(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
