package check

import (
	"strings"
	"time"
)

// PingKind is what a ping tells about the job.
type PingKind string

// The ping kinds.
const (
	PingSuccess PingKind = "success"
	PingStart   PingKind = "start"
	PingFail    PingKind = "fail"
	PingLog     PingKind = "log"
	PingIgnored PingKind = "ign"
)

// Flip reasons.
const (
	ReasonNone    = ""
	ReasonTimeout = "timeout" // the ping did not arrive in time
	ReasonFail    = "fail"    // a failure signal arrived
	ReasonNoStart = "nostart" // the start ping did not arrive within StartGrace
	ReasonRuntime = "runtime" // a started run did not finish within MaxRuntime
	ReasonTooFast = "toofast" // a success came sooner than MinRuntime after its start
	// ReasonFlapping marks the flapping notice: the flip (to up or down) that made the check
	// change status more than Flap.Changes times within Flap.Window.
	ReasonFlapping = "flapping"
	// ReasonSettled marks the one alert a flapping check sends when it settles in a status
	// other than the one its last alert announced.
	ReasonSettled = "settled"
)

// Ping is one received signal. N is its 1-based sequence number within the check.
type Ping struct {
	CheckID    string
	N          int
	Created    time.Time
	Kind       PingKind
	Scheme     string // http, https
	RemoteAddr string
	Method     string
	UA         string
	Body       []byte
	// BodySize is the body's length in bytes, 0 without one. Ping listings leave the bodies out
	// but keep their sizes, so that a listing can tell which pings have one. It is -1 when the
	// store does not know it: a ping written by a build before data model version 2, on a store
	// that could not fill it in (DynamoDB has no triggers).
	BodySize int
	// ExitStatus is the exit status from a /<0-255> URL; nil when the URL had none.
	ExitStatus *int
	RID        string // run id, lowercase canonical UUID, or ""
}

// BodySizeUnknown is Ping.BodySize when the store does not know the size.
const BodySizeUnknown = -1

// Flip is a change of a check's stored status. Flips are the outbox: the notifier delivers each
// unprocessed flip once.
type Flip struct {
	ID        string // assigned by the store; orders flips of one check by creation
	CheckID   string
	Created   time.Time
	Processed time.Time // zero: not yet handed to the notifier
	OldStatus Status
	NewStatus Status
	Reason    string
	// Note says why a flip that would have alerted did not, when a rule of Overdue's other than
	// a snooze or a maintenance window held it: "held: db is down" (a check it depends on was
	// down) or NoteFlapping. Empty otherwise.
	Note string
}

// NoteFlapping is the Note of a flip a flapping check held.
const NoteFlapping = "held: flapping"

// Notifies reports whether the flip alerts anyone. As in Healthchecks, new→up and paused→up are
// silent, and only flips to up or down are ever delivered.
func (f *Flip) Notifies() bool {
	switch f.NewStatus {
	case StatusDown:
		return true
	case StatusUp:
		return f.OldStatus != StatusNew && f.OldStatus != StatusPaused
	}
	return false
}

// Signal is a ping as it arrives, before the check decides what it means.
type Signal struct {
	// Kind is the action named by the URL: success, start, fail or log.
	Kind       PingKind
	Method     string
	Body       []byte // already truncated to the body limit
	ExitStatus *int
	RID        string
	Scheme     string
	RemoteAddr string
	UA         string
	// Email marks a ping that came by email: Subject and Text (the plain-text parts and a
	// text rendering of the HTML parts) are what its keyword filters read, Body the whole message.
	Email   bool
	Subject string
	Text    string
}

// Classify turns the URL's action into the ping kind this check records, in Healthchecks' order:
// a non-POST request to a POST-only check is ignored; otherwise, with filter_http_body, the body's
// keywords replace the URL's action entirely; a paused check with manual resume ignores
// everything.
//
// An email ping is a success unless the subject or body filter is on: then the subject (with
// filter_subject) and the text (with filter_body), joined by a newline, decide as above.
// Allowed methods and the HTTP body filter do not apply to email.
func (c *Check) Classify(s Signal) PingKind {
	kind := s.Kind
	switch {
	case s.Email:
		if c.FilterSubject || c.FilterBody {
			var parts []string
			if c.FilterSubject {
				parts = append(parts, s.Subject)
			}
			if c.FilterBody {
				parts = append(parts, s.Text)
			}
			kind = c.classifyText(strings.Join(parts, "\n"))
		}
	default:
		if c.Methods == "POST" && s.Method != "POST" {
			kind = PingIgnored
		}
		if kind != PingIgnored && c.FilterHTTPBody {
			// Healthchecks decodes strictly and fails with a 500 on invalid UTF-8; we match bytes,
			// which gives the same answer for every valid body and no error for the others.
			kind = c.classifyText(string(s.Body))
		}
	}
	if c.Status == StatusPaused && c.ManualResume {
		kind = PingIgnored
	}
	return kind
}

func (c *Check) classifyText(text string) PingKind {
	switch {
	case MatchKeywords(text, c.FailureKw):
		return PingFail
	case MatchKeywords(text, c.SuccessKw):
		return PingSuccess
	case MatchKeywords(text, c.StartKw):
		return PingStart
	case c.FilterDefaultFail:
		return PingFail
	}
	return PingIgnored
}

// MatchKeywords reports whether any comma-separated keyword (trimmed, empty ones skipped) occurs
// in text, case-sensitively.
func MatchKeywords(text, keywords string) bool {
	for _, kw := range strings.Split(keywords, ",") {
		kw = strings.TrimSpace(kw)
		if kw != "" && strings.Contains(text, kw) {
			return true
		}
	}
	return false
}

// ApplyPing records a signal at now: it classifies it, updates the check's timing fields, status
// and ping count, and returns the ping to store (numbered) and the flip to store, if the status
// changed.
func (c *Check) ApplyPing(s Signal, now time.Time, sched Schedule) (*Ping, *Flip) {
	kind := c.Classify(s)
	var flip *Flip
	switch kind {
	case PingStart:
		c.LastStart = now
		c.LastStartRID = s.RID
	case PingSuccess, PingFail:
		c.LastPing = now
		c.LastDuration = finishRun(&c.LastStart, &c.LastStartRID, kind, s.RID, now)
		if c.RunsCurrent() {
			c.Runs = appendRun(c.Runs, Run{N: c.NPings + 1, At: now, Failed: kind == PingFail, Duration: c.LastDuration}, KeptRuns)
		}
		newStatus, reason := c.afterSignal(kind, now)
		if c.Status != newStatus {
			flip = &Flip{CheckID: c.ID, Created: now, OldStatus: c.Status, NewStatus: newStatus, Reason: reason}
			c.Status = newStatus
			c.flap(flip, now)
			c.hold(flip, now)
		}
	}
	c.AlertAfter = c.NextDue(sched)
	if c.RunsCurrent() {
		c.RunsN++ // Runs stays current; if it was not, it stays behind until the store rebuilds it
	}
	c.NPings++
	p := &Ping{
		CheckID:    c.ID,
		N:          c.NPings,
		Created:    now,
		Kind:       kind,
		Scheme:     s.Scheme,
		RemoteAddr: s.RemoteAddr,
		Method:     s.Method,
		UA:         truncateRunes(s.UA, MaxUserAgent),
		Body:       s.Body,
		BodySize:   len(s.Body),
		ExitStatus: s.ExitStatus,
		RID:        s.RID,
	}
	return p, flip
}

// Durations computes the run duration of each success or fail ping in pings (any order of
// input; the result is keyed by N): the time since the most recent earlier start with the same
// run id (no run id matches no run id) with no success or fail of that run id in between. Gaps of
// MaxDuration or more, and ping number 1, get none.
func Durations(pings []*Ping) map[int]time.Duration {
	sorted := make([]*Ping, len(pings))
	copy(sorted, pings)
	for i := 1; i < len(sorted); i++ { // insertion sort by N: lists are short and nearly sorted
		for j := i; j > 0 && sorted[j].N < sorted[j-1].N; j-- {
			sorted[j], sorted[j-1] = sorted[j-1], sorted[j]
		}
	}
	out := make(map[int]time.Duration)
	starts := make(map[string]time.Time)
	for _, p := range sorted {
		switch p.Kind {
		case PingStart:
			starts[p.RID] = p.Created
		case PingSuccess, PingFail:
			st, ok := starts[p.RID]
			delete(starts, p.RID)
			if !ok || p.N == 1 {
				continue
			}
			if d := p.Created.Sub(st); d < MaxDuration {
				out[p.N] = d
			}
		}
	}
	return out
}

// Channel is where alerts go: an email address, a phone number, an SNS topic or a webhook.
type Channel struct {
	ID        string
	ProjectID string
	Kind      string
	Name      string
	Value     string
	Created   time.Time
	Disabled  bool
	LastError string
	// Damaged, set by a store's read and never stored, says why the stored value did not open
	// (damaged, or sealed for another channel); Value is then empty and nothing can be sent.
	Damaged string

	// Timing (timing.go), Overdue's extension: zero values are Healthchecks' behaviour, every
	// alert at once and once.

	// Delay holds this channel's down alert until the check has been down this long; a check
	// that recovers sooner sends this channel neither the down nor the up.
	Delay time.Duration
	// Repeat sends the down alert again every Repeat while the check stays down.
	Repeat time.Duration
	// Late also sends this channel a late notice when a check it is assigned to passes its
	// expected time without the ping (late.go): once per period, never delayed.
	Late bool
}

// truncateRunes keeps the first n characters of s, counting characters like Healthchecks' Python
// slicing rather than bytes.
func truncateRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	count := 0
	for i := range s {
		if count == n {
			return s[:i]
		}
		count++
	}
	return s
}
