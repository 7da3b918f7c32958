package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/overduehq/overdue/internal/check"
)

// The management API's wire types. Field order is the order Healthchecks emits the keys in
// (healthchecks-observed.md §4, healthchecks-behaviour.md §4.4); clients that compare responses
// textually, and the golden tests, depend on it. Keys that Healthchecks leaves out in some
// responses are pointers with omitempty; keys that are always present are never omitempty.

// checkJSON is a check as the API shows it.
type checkJSON struct {
	Name              string   `json:"name"`
	Slug              string   `json:"slug"`
	Tags              string   `json:"tags"`
	Desc              string   `json:"desc"`
	Grace             int64    `json:"grace"`
	NPings            int      `json:"n_pings"`
	Status            string   `json:"status"`
	Started           bool     `json:"started"`
	LastPing          *isoTime `json:"last_ping"`
	NextPing          *isoTime `json:"next_ping"`
	ManualResume      bool     `json:"manual_resume"`
	Methods           string   `json:"methods"`
	Subject           string   `json:"subject"`
	SubjectFail       string   `json:"subject_fail"`
	StartKw           string   `json:"start_kw"`
	SuccessKw         string   `json:"success_kw"`
	FailureKw         string   `json:"failure_kw"`
	FilterSubject     bool     `json:"filter_subject"`
	FilterBody        bool     `json:"filter_body"`
	FilterHTTPBody    bool     `json:"filter_http_body"`
	FilterDefaultFail bool     `json:"filter_default_fail"`
	BadgeURL          string   `json:"badge_url"`
	// LastDuration is present only when the last run's duration is known.
	LastDuration *int64 `json:"last_duration,omitempty"`
	// UniqueKey replaces UUID, the URLs and Channels in the read-only view.
	UniqueKey string  `json:"unique_key,omitempty"`
	UUID      string  `json:"uuid,omitempty"`
	PingURL   string  `json:"ping_url,omitempty"`
	UpdateURL string  `json:"update_url,omitempty"`
	PauseURL  string  `json:"pause_url,omitempty"`
	ResumeURL string  `json:"resume_url,omitempty"`
	Channels  *string `json:"channels,omitempty"`
	// Timeout is present for simple checks, Schedule and TZ for cron and OnCalendar checks.
	Timeout  *int64  `json:"timeout,omitempty"`
	Schedule *string `json:"schedule,omitempty"`
	TZ       *string `json:"tz,omitempty"`
	// Overdue's alert rules (apirules.go): v3 only, each only when on.
	StartGrace       *int64   `json:"start_grace,omitempty"`
	MaxRuntime       *int64   `json:"max_runtime,omitempty"`
	MinRuntime       *int64   `json:"min_runtime,omitempty"`
	FailureTolerance *int     `json:"failure_tolerance,omitempty"`
	SnoozedUntil     *isoTime `json:"snoozed_until,omitempty"`
	// Dependencies, failure rate and flapping (apirules.go): v3 only, each only when on; Held
	// while a parent's down or flapping holds the check's alerts.
	DependsOn   []string         `json:"depends_on,omitempty"`
	FailureRate *countWindowJSON `json:"failure_rate,omitempty"`
	Flapping    *countWindowJSON `json:"flapping,omitempty"`
	Held        string           `json:"held,omitempty"`
	// MaintenanceUntil is the end of the maintenance window covering the check now (v3, GET).
	MaintenanceUntil *isoTime `json:"maintenance_until,omitempty"`
}

// pingJSON is one entry of the pings list.
type pingJSON struct {
	Type       string   `json:"type"`
	Date       pingTime `json:"date"`
	N          int      `json:"n"`
	Scheme     string   `json:"scheme"`
	RemoteAddr *string  `json:"remote_addr"`
	Method     string   `json:"method"`
	UA         string   `json:"ua"`
	RID        *string  `json:"rid"`
	BodyURL    *string  `json:"body_url"`
	// Duration is present only when a start of the same run is in the list.
	Duration *pyFloat `json:"duration,omitempty"`
}

// flipJSON is one entry of the flips list. Up is 1 for a flip to up, 0 for anything else
// (pause and resume flips included).
type flipJSON struct {
	Timestamp isoTime `json:"timestamp"`
	Up        int     `json:"up"`
	// Note is v3's, when a rule held the flip's alert: "held: db is down", "held: flapping".
	Note string `json:"note,omitempty"`
}

// channelJSON is a channel as the API shows it: never its target, which may be a secret URL.
type channelJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Delay and Repeat are the channel's timing in seconds, Overdue's extension: in v3 answers
	// only, and only when set, so a channel without timing looks as Healthchecks shows it.
	Delay  int64 `json:"delay,omitempty"`
	Repeat int64 `json:"repeat,omitempty"`
	// Late says the channel also gets late notices: v3 only, and only when true.
	Late bool `json:"late,omitempty"`
}

// errorJSON is the body of every JSON error.
type errorJSON struct {
	Error string `json:"error"`
}

// isoTime is an instant in whole seconds, UTC, with a "+00:00" offset, as Healthchecks writes
// last_ping, next_ping and flip timestamps (microseconds are cut, not rounded).
type isoTime time.Time

// MarshalJSON implements json.Marshaler.
func (t isoTime) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(t).UTC().Format("2006-01-02T15:04:05") + `+00:00"`), nil
}

// isoTimePtr is nil for the zero Time ("never", JSON null).
func isoTimePtr(t time.Time) *isoTime {
	if t.IsZero() {
		return nil
	}
	v := isoTime(t)
	return &v
}

// pingTime is a ping's date: like isoTime, but with six digits of microseconds when they are not
// zero, as Python's isoformat writes them.
type pingTime time.Time

// MarshalJSON implements json.Marshaler.
func (t pingTime) MarshalJSON() ([]byte, error) {
	u := time.Time(t).UTC()
	s := u.Format("2006-01-02T15:04:05")
	if us := u.Nanosecond() / 1000; us != 0 {
		s += fmt.Sprintf(".%06d", us)
	}
	return []byte(`"` + s + `+00:00"`), nil
}

// pyFloat is a number written as Python writes a float: always with a fractional part, so 120
// seconds is 120.0. Only values Python writes without an exponent, 0 and magnitudes in
// [1e-4, 1e16), are supported; run durations are far inside that range.
type pyFloat float64

// MarshalJSON implements json.Marshaler.
func (f pyFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if abs := math.Abs(v); math.IsNaN(v) || abs >= 1e16 || abs != 0 && abs < 1e-4 {
		return nil, fmt.Errorf("pyFloat cannot encode %v", v)
	}
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return []byte(s), nil
}

// renderCheck is the check's JSON for API version v at now. readOnly gives the read-only view:
// unique_key instead of the UUID, the URLs and the channels.
func (s *Server) renderCheck(c *check.Check, v int, readOnly bool, now time.Time) checkJSON {
	sched, _ := scheduleFor(c) // a schedule that no longer parses times the check as simple
	j := checkJSON{
		Name:              c.Name,
		Slug:              c.Slug,
		Tags:              c.Tags,
		Desc:              c.Desc,
		Grace:             seconds(c.Grace),
		NPings:            c.NPings,
		Status:            string(reportedStatus(c, sched, v, now)),
		Started:           c.Started(),
		LastPing:          isoTimePtr(c.LastPing),
		NextPing:          isoTimePtr(c.NextPing(sched)),
		ManualResume:      c.ManualResume,
		Methods:           c.Methods,
		StartKw:           c.StartKw,
		SuccessKw:         c.SuccessKw,
		FailureKw:         c.FailureKw,
		FilterSubject:     c.FilterSubject,
		FilterBody:        c.FilterBody,
		FilterHTTPBody:    c.FilterHTTPBody,
		FilterDefaultFail: c.FilterDefaultFail,
		BadgeURL:          s.siteRoot + "/b/2/" + c.BadgeKey + ".svg",
	}
	// subject and subject_fail are the deprecated names of the keywords, shown only while
	// subject filtering is on.
	if c.FilterSubject {
		j.Subject, j.SubjectFail = c.SuccessKw, c.FailureKw
	}
	if c.LastDuration != 0 {
		d := seconds(c.LastDuration)
		j.LastDuration = &d
	}
	if readOnly {
		j.UniqueKey = check.UniqueKey(c.ID)
	} else {
		j.UUID = c.ID
		j.PingURL = s.siteRoot + "/ping/" + c.ID
		j.UpdateURL = s.apiURL(v, "/checks/"+c.ID)
		j.PauseURL = j.UpdateURL + "/pause"
		j.ResumeURL = j.UpdateURL + "/resume"
		ids := slices.Clone(c.Channels)
		slices.Sort(ids)
		channels := strings.Join(ids, ",")
		j.Channels = &channels
	}
	switch c.Kind {
	case check.KindCron, check.KindOnCalendar:
		expr, tz := c.Schedule, c.TZ
		j.Schedule, j.TZ = &expr, &tz
	default:
		t := seconds(c.Timeout)
		j.Timeout = &t
	}
	if v >= 3 {
		renderRules(&j, c, readOnly, now)
	}
	return j
}

// reportedStatus is the check's status for API version v at now. A check whose timeout is held
// by an outage of Overdue's ping intake (check.Check.Unknown) is "unknown" in v3, an Overdue
// extension; v1 and v2 say "grace", Healthchecks' word for late with no alert sent, so that its
// clients (and exporters that alert on down) do not take a held check for a down one.
func reportedStatus(c *check.Check, sched check.Schedule, v int, now time.Time) check.Status {
	st := c.ReportedStatus(now, sched, v == 1)
	if st == check.StatusUnknown && v < 3 {
		return check.StatusGrace
	}
	return st
}

// renderPings is the pings list for API version v, pings newest first. A ping gets a body_url
// when its BodySize is positive.
func (s *Server) renderPings(checkID string, pings []*check.Ping, v int) []pingJSON {
	durations := check.Durations(pings)
	out := make([]pingJSON, 0, len(pings))
	for _, p := range pings {
		j := pingJSON{
			Type:       string(p.Kind),
			Date:       pingTime(p.Created),
			N:          p.N,
			Scheme:     p.Scheme,
			RemoteAddr: nullable(p.RemoteAddr),
			Method:     p.Method,
			UA:         p.UA,
			RID:        nullable(p.RID),
		}
		if j.Type == "" {
			j.Type = string(check.PingSuccess)
		}
		if p.BodySize > 0 {
			u := s.apiURL(v, fmt.Sprintf("/checks/%s/pings/%d/body", checkID, p.N))
			j.BodyURL = &u
		}
		if d, ok := durations[p.N]; ok {
			f := pyFloat(math.Round(d.Seconds()*100) / 100)
			j.Duration = &f
		}
		out = append(out, j)
	}
	return out
}

// renderFlips is the flips list, flips newest first. The alert a snooze held and released at its
// end is recorded as a down→down flip (check.Check.Sweep); it changed no status, so it is not
// listed: the list stays Healthchecks' list of status changes.
//
// In v3 a flip a dependency or flapping held carries its note.
func renderFlips(flips []*check.Flip, v int) []flipJSON {
	out := make([]flipJSON, 0, len(flips))
	for _, f := range flips {
		if f.OldStatus == f.NewStatus {
			continue
		}
		j := flipJSON{Timestamp: isoTime(f.Created)}
		if f.NewStatus == check.StatusUp {
			j.Up = 1
		}
		if v >= 3 {
			j.Note = f.Note
		}
		out = append(out, j)
	}
	return out
}

func renderChannel(ch *check.Channel) channelJSON {
	return channelJSON{ID: ch.ID, Name: ch.Name, Kind: ch.Kind, Delay: seconds(ch.Delay), Repeat: seconds(ch.Repeat), Late: ch.Late}
}

// renderChannelV is the channel as API version v shows it: v1 and v2 without Overdue's fields.
func renderChannelV(ch *check.Channel, v int) channelJSON {
	out := renderChannel(ch)
	if v < 3 {
		out.Delay, out.Repeat, out.Late = 0, 0, false
	}
	return out
}

// apiURL is the absolute URL of an API path under version v.
func (s *Server) apiURL(v int, path string) string {
	return s.siteRoot + "/api/v" + strconv.Itoa(v) + path
}

// seconds is a duration in whole seconds, truncated.
func seconds(d time.Duration) int64 { return int64(d / time.Second) }

// nullable is nil for "" (JSON null).
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// writeJSON writes v as the management API's JSON: Content-Type application/json, and the text
// Python's json.dumps produces (", " and ": " separators, non-ASCII escaped as \uXXXX), so
// responses are byte-for-byte those of Healthchecks.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := marshalPython(v)
	if err != nil {
		// Only a wire type with a broken MarshalJSON gets here: a bug, not a request problem.
		status = http.StatusInternalServerError
		body = []byte(`{"error": "internal server error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// marshalPython encodes v as Python's json.dumps(v) would with its default settings.
func marshalPython(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return pythonize(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), nil
}

// pythonize rewrites compact JSON from encoding/json into Python's default json.dumps form: a
// space after every "," and ":" outside strings, and every non-ASCII character (and DEL) inside
// strings escaped as \uXXXX, with surrogate pairs beyond the BMP. encoding/json already escapes
// control characters the way Python does.
func pythonize(in []byte) []byte {
	out := make([]byte, 0, len(in)+len(in)/8)
	inString, escaped := false, false
	for i := 0; i < len(in); {
		c := in[i]
		if !inString {
			out = append(out, c)
			switch c {
			case '"':
				inString = true
			case ',', ':':
				out = append(out, ' ')
			}
			i++
			continue
		}
		switch {
		case escaped:
			escaped = false
			out = append(out, c)
		case c == '\\':
			escaped = true
			out = append(out, c)
		case c == '"':
			inString = false
			out = append(out, c)
		case c == 0x7f:
			out = append(out, `\u007f`...)
		case c < utf8.RuneSelf:
			out = append(out, c)
		default:
			r, size := utf8.DecodeRune(in[i:])
			if r >= 0x10000 {
				r -= 0x10000
				out = fmt.Appendf(out, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
			} else {
				out = fmt.Appendf(out, `\u%04x`, r)
			}
			i += size
			continue
		}
		i++
	}
	return out
}
