package notify

import (
	"encoding/json"
	"fmt"
	"html/template"
	"strings"
	"time"
	"unicode"

	"github.com/overduehq/overdue/internal/check"
)

// Alert is a flip with what a message about it needs.
type Alert struct {
	Flip  *check.Flip
	Check *check.Check
	// LastPing is the check's newest ping at or before the flip, of any kind; nil when unknown.
	LastPing *check.Ping
	// URL links to the check; "" for none.
	URL string
	// SiteRoot is the server's public root URL, for the URLs in a Healthchecks webhook's $JSON;
	// "" when unknown.
	SiteRoot string
	// DownSince is when the check went down, for an alert that it is up again: the up message
	// says how long it was down. Zero when unknown (or for a down alert).
	DownSince time.Time
}

// downtime is how long the check of an up alert was down, or 0 when unknown.
func (a Alert) downtime() time.Duration {
	if a.Flip.NewStatus != check.StatusUp || a.DownSince.IsZero() || !a.Flip.Created.After(a.DownSince) {
		return 0
	}
	return a.Flip.Created.Sub(a.DownSince)
}

// Downtime writes how long a check was down as people read it: whole minutes from one minute on
// ("2 hours 14 minutes"), seconds below ("45 seconds").
func Downtime(d time.Duration) string {
	if d >= time.Minute {
		return HumanDuration(d.Truncate(time.Minute))
	}
	return HumanDuration(d.Truncate(time.Second))
}

// shortDowntime is Downtime for an SMS: the largest unit and the one after it, when not zero
// ("2 h 14 min", "3 d", "45 s").
func shortDowntime(d time.Duration) string {
	units := []struct {
		name string
		size time.Duration
	}{{"d", 24 * time.Hour}, {"h", time.Hour}, {"min", time.Minute}, {"s", time.Second}}
	for i, u := range units {
		n := d / u.size
		if n == 0 && i < len(units)-1 {
			continue
		}
		out := fmt.Sprintf("%d %s", n, u.name)
		if i+1 < len(units) {
			if m := (d - n*u.size) / units[i+1].size; m > 0 {
				out += fmt.Sprintf(" %d %s", m, units[i+1].name)
			}
		}
		return out
	}
	return "0 s"
}

// Message is everything the transports send about one flip, rendered once per flip and shared
// by its channels. It holds no secrets. Only the facts the service kinds lay out (card) carry an
// excerpt of the last ping's body, as Healthchecks' chat messages do, and a Healthchecks-style
// webhook's $BODY the whole body: the job's own output, sent to its owners' channel, and never
// logged.
type Message struct {
	Subject string // "DOWN | backup"
	Text    string // plain-text body (email text part, console, SMTP)
	HTML    string // HTML body (email HTML part)
	SMS     string // one SMS-sized line
	Event   Event  // the JSON document for webhooks and SNS topics, without its delivery ID

	// card is the alert as facts, for the kinds that lay messages out in their service's own
	// format (Slack blocks, Discord embeds, …).
	card card
	// hook holds the values of a Healthchecks-style webhook's placeholders; its $BODY is the
	// last ping's whole body, sent only where the channel's own template asks for it.
	hook webhookFacts
}

// Event is the JSON document POSTed to webhooks and published to SNS topics. Its field names are
// a public interface: add fields, never rename them.
type Event struct {
	// Event is "flip" for a status change, "late" for a late notice (check.ReasonLate: the
	// check is in its grace period; check.status is then "grace", flip.old and flip.new "up").
	Event    string     `json:"event"`
	Check    EventCheck `json:"check"`
	Flip     EventFlip  `json:"flip"`
	Delivery string     `json:"delivery"` // the delivery ID, the same on every retry: dedupe on it
}

// EventCheck describes the check in an Event.
type EventCheck struct {
	UUID   string `json:"uuid"`
	Name   string `json:"name"`
	Slug   string `json:"slug"`
	Tags   string `json:"tags"`   // space-separated, as in the Healthchecks API
	Status string `json:"status"` // the status the check flipped to ("grace" for a late notice)
	URL    string `json:"url,omitempty"`
}

// EventFlip describes the flip in an Event.
type EventFlip struct {
	Old    string `json:"old"`
	New    string `json:"new"`
	Reason string `json:"reason"` // "timeout", "fail", "nostart", "runtime", "toofast", "late", … or ""
	At     string `json:"at"`     // RFC 3339, UTC, whole seconds
	// DownSeconds is how long the check was down, in whole seconds, for a flip to up; absent
	// when unknown and for other flips.
	DownSeconds int64 `json:"down_seconds,omitempty"`
}

// JSON is the event for one delivery.
func (m *Message) JSON(deliveryID string) ([]byte, error) {
	e := m.Event
	e.Delivery = deliveryID
	return json.Marshal(e)
}

// NewMessage renders the messages about an alert.
func NewMessage(a Alert) (*Message, error) {
	var html strings.Builder
	v := htmlView{
		Subject:  Subject(a),
		Down:     a.Flip.NewStatus == check.StatusDown,
		Late:     a.Flip.IsLate(),
		Name:     displayName(a.Check),
		Headline: headline(a),
		Fields:   fields(a),
		URL:      a.URL,
	}
	if err := htmlTemplate.Execute(&html, v); err != nil {
		return nil, fmt.Errorf("render HTML alert: %w", err)
	}
	event, status := "flip", string(a.Flip.NewStatus)
	if a.Flip.IsLate() {
		// Not a status change: the check is in its grace period, as v1 and v2 report it.
		event, status = "late", string(check.StatusGrace)
	}
	return &Message{
		card:    newCard(a),
		hook:    newWebhookFacts(a),
		Subject: v.Subject,
		Text:    Text(a),
		HTML:    html.String(),
		SMS:     ShortText(a),
		Event: Event{
			Event: event,
			Check: EventCheck{
				UUID:   a.Check.ID,
				Name:   a.Check.Name,
				Slug:   a.Check.Slug,
				Tags:   a.Check.Tags,
				Status: status,
				URL:    a.URL,
			},
			Flip: EventFlip{
				Old:         string(a.Flip.OldStatus),
				New:         string(a.Flip.NewStatus),
				Reason:      a.Flip.Reason,
				At:          a.Flip.Created.UTC().Truncate(time.Second).Format(time.RFC3339),
				DownSeconds: int64(a.downtime() / time.Second),
			},
		},
	}, nil
}

// Subject is the alert's one-line summary, as Healthchecks words it: "DOWN | name". Control
// characters in the name become spaces, so the subject is always one header line.
func Subject(a Alert) string {
	if a.Flip.IsLate() {
		return "LATE | " + oneLine(displayName(a.Check))
	}
	return strings.ToUpper(string(a.Flip.NewStatus)) + " | " + oneLine(displayName(a.Check))
}

// Text renders the alert as plain text: the subject, a headline and one "Label: value" line
// per fact, ending in a blank line.
func Text(a Alert) string {
	var b strings.Builder
	b.WriteString(Subject(a) + "\n")
	b.WriteString(headline(a) + "\n")
	for _, f := range fields(a) {
		fmt.Fprintf(&b, "%s: %s\n", f.Label, f.Value)
	}
	if a.URL != "" {
		fmt.Fprintf(&b, "Details: %s\n", a.URL)
	}
	b.WriteString("\n")
	return b.String()
}

// field is one fact of an alert, the same in the text and the HTML body.
type field struct{ Label, Value string }

func headline(a Alert) string {
	if a.Flip.IsLate() {
		return fmt.Sprintf("The check %q is late: its ping was expected at %s and has not arrived yet.", displayName(a.Check), formatTime(a.Flip.Created))
	}
	if a.Flip.NewStatus == check.StatusDown {
		return fmt.Sprintf("The check %q has gone down.", displayName(a.Check))
	}
	if d := a.downtime(); d > 0 {
		return fmt.Sprintf("The check %q is now up; it was down for %s.", displayName(a.Check), Downtime(d))
	}
	return fmt.Sprintf("The check %q is now up.", displayName(a.Check))
}

// fields lists what the alert tells, in Healthchecks' wording (healthchecks-observed.md §5).
func fields(a Alert) []field {
	var out []field
	if a.Flip.NewStatus == check.StatusDown {
		switch a.Flip.Reason {
		case check.ReasonTimeout:
			out = append(out, field{"Reason", "success signal did not arrive on time, grace time passed."})
		case check.ReasonFail:
			out = append(out, field{"Reason", "received a failure signal."})
		case check.ReasonNoStart:
			out = append(out, field{"Reason", "did not start: the start signal did not arrive within the start grace time."})
		case check.ReasonRuntime:
			out = append(out, field{"Reason", "running too long: the run did not finish within the maximum run time."})
		case check.ReasonTooFast:
			out = append(out, field{"Reason", "finished too fast: the run took less than the minimum run time."})
		}
	}
	switch a.Flip.Reason {
	case check.ReasonFlapping:
		out = append(out, field{"Flapping", "the check changes status more often than its flapping rule allows; further alerts are held until it settles."})
	case check.ReasonSettled:
		out = append(out, field{"Settled", "the check stopped flapping; this is its status now."})
	case check.ReasonLate:
		out = append(out, field{"Late", fmt.Sprintf("the expected ping has not arrived; the check goes down if it does not arrive within its grace time (%s).", HumanDuration(a.Check.Grace))})
	}
	if d := a.downtime(); d > 0 {
		out = append(out, field{"Down for", Downtime(d)})
	}
	if a.Check.Tags != "" {
		out = append(out, field{"Tags", strings.Join(a.Check.TagList(), ", ")})
	}
	if a.Check.Kind == check.KindSimple {
		out = append(out, field{"Period", HumanDuration(a.Check.Timeout)})
	} else {
		out = append(out, field{"Schedule", fmt.Sprintf("%s (%s)", a.Check.Schedule, a.Check.TZ)})
	}
	switch {
	case a.LastPing != nil:
		out = append(out, field{"Last ping type", PingType(a.LastPing)},
			field{"Last ping", formatTime(a.LastPing.Created)})
	case !a.Check.LastPing.IsZero():
		out = append(out, field{"Last ping", formatTime(a.Check.LastPing)})
	default:
		out = append(out, field{"Last ping", "never"})
	}
	when := field{"Status changed to " + string(a.Flip.NewStatus) + " at", formatTime(a.Flip.Created)}
	if a.Flip.IsLate() {
		when = field{"Late since", formatTime(a.Flip.Created)}
	}
	out = append(out, when, field{"Check", a.Check.ID})
	return out
}

// PingType names a ping's kind as Healthchecks' alerts do: Success, Failure, Exit status 7,
// Start, Log or Ignored.
func PingType(p *check.Ping) string {
	switch p.Kind {
	case check.PingFail:
		if p.ExitStatus != nil && *p.ExitStatus > 0 {
			return fmt.Sprintf("Exit status %d", *p.ExitStatus)
		}
		return "Failure"
	case check.PingStart:
		return "Start"
	case check.PingLog:
		return "Log"
	case check.PingIgnored:
		return "Ignored"
	}
	return "Success"
}

func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

// htmlView is what htmlTemplate shows. html/template escapes every value for its context, so a
// check named `<b>&` is shown, not interpreted, and a URL that is not http(s) is neutralised.
type htmlView struct {
	Subject  string
	Down     bool
	Late     bool
	Name     string
	Headline string
	Fields   []field
	URL      string
}

var htmlTemplate = template.Must(template.New("alert").Parse(`<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; color: #333;">
<h1 style="font-size: 20px;">{{if .Down}}<span style="color: #d9534f;">DOWN</span>{{else if .Late}}<span style="color: #f0ad4e;">LATE</span>{{else}}<span style="color: #22bc66;">UP</span>{{end}} | {{.Name}}</h1>
<p>{{.Headline}}</p>
<table cellpadding="4" cellspacing="0">
{{- range .Fields}}
<tr><th align="left" valign="top" style="padding-right: 16px;">{{.Label}}</th><td>{{.Value}}</td></tr>
{{- end}}
</table>
{{- if .URL}}
<p><a href="{{.URL}}">View the check</a></p>
{{- end}}
</body>
</html>
`))

// ShortText renders the alert as one SMS: at most 160 GSM characters, or 70 when the text needs
// Unicode, so it is never split. The check name is shortened to fit.
//
//	DOWN: "backup" is overdue (last ping Nov 24 20:08 UTC)
//	DOWN: "backup" received a failure signal (Nov 24 20:10 UTC)
//	UP: "backup" is up again (Nov 24 20:12 UTC)
//	LATE: "backup" is late (expected Nov 24 20:00 UTC)
func ShortText(a Alert) string {
	const stamp = "Jan 2 15:04 UTC"
	var format string
	switch {
	case a.Flip.IsLate():
		format = `LATE: "%s" is late (expected ` + a.Flip.Created.UTC().Format(stamp) + `)`
	case a.Flip.Reason == check.ReasonFlapping:
		format = strings.ToUpper(string(a.Flip.NewStatus)) + `: "%s" is flapping, alerts held until it settles (` + a.Flip.Created.UTC().Format(stamp) + `)`
	case a.Flip.Reason == check.ReasonSettled:
		format = strings.ToUpper(string(a.Flip.NewStatus)) + `: "%s" stopped flapping (` + a.Flip.Created.UTC().Format(stamp) + `)`
	case a.Flip.NewStatus == check.StatusUp && a.downtime() > 0:
		format = `UP: "%s" is up again after ` + shortDowntime(a.downtime()) + ` (` + a.Flip.Created.UTC().Format(stamp) + `)`
	case a.Flip.NewStatus == check.StatusUp:
		format = `UP: "%s" is up again (` + a.Flip.Created.UTC().Format(stamp) + `)`
	case a.Flip.Reason == check.ReasonFail:
		format = `DOWN: "%s" received a failure signal (` + a.Flip.Created.UTC().Format(stamp) + `)`
	case a.Flip.Reason == check.ReasonNoStart:
		format = `DOWN: "%s" did not start (` + a.Flip.Created.UTC().Format(stamp) + `)`
	case a.Flip.Reason == check.ReasonRuntime:
		format = `DOWN: "%s" is running too long (` + a.Flip.Created.UTC().Format(stamp) + `)`
	case a.Flip.Reason == check.ReasonTooFast:
		format = `DOWN: "%s" finished too fast (` + a.Flip.Created.UTC().Format(stamp) + `)`
	case !a.Check.LastPing.IsZero():
		format = `DOWN: "%s" is overdue (last ping ` + a.Check.LastPing.UTC().Format(stamp) + `)`
	default:
		format = `DOWN: "%s" is overdue (never pinged)`
	}
	name := []rune(oneLine(displayName(a.Check)))
	if s := fmt.Sprintf(format, string(name)); smsFits(s) {
		return s
	}
	// Shorten the name, marking the cut with three dots (GSM-7 has no ellipsis character).
	for k := len(name) - 1; k > 0; k-- {
		if s := fmt.Sprintf(format, string(name[:k])+"..."); smsFits(s) {
			return s
		}
	}
	return fmt.Sprintf(format, "...")
}

func smsFits(s string) bool {
	n, limit := smsLength(s)
	return n <= limit
}

// smsLength is the length of s in SMS units and the single-message limit for its encoding: GSM
// 7-bit (160, where ^{}\[~]| take two units) when s is plain printable ASCII other than the
// backquote, else UCS-2 (70 UTF-16 units).
func smsLength(s string) (n, limit int) {
	gsm := true
	for _, r := range s {
		if r < ' ' || r > '~' || r == '`' {
			gsm = false
			break
		}
		n++
		if strings.ContainsRune(`^{}\[~]|`, r) {
			n++
		}
	}
	if gsm {
		return n, 160
	}
	n = 0
	for _, r := range s {
		n++
		if r > 0xFFFF {
			n++ // a surrogate pair
		}
	}
	return n, 70
}

func displayName(c *check.Check) string {
	if c.Name != "" {
		return c.Name
	}
	return c.ID
}

// oneLine replaces control characters (newlines, tabs) with spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// HumanDuration writes a duration the way Healthchecks shows periods: "1 day", "2 hours 30
// minutes", "90 seconds" is "1 minute 30 seconds". Zero is "0 seconds".
func HumanDuration(d time.Duration) string {
	units := []struct {
		name string
		size time.Duration
	}{
		{"week", 7 * 24 * time.Hour}, {"day", 24 * time.Hour}, {"hour", time.Hour},
		{"minute", time.Minute}, {"second", time.Second},
	}
	var parts []string
	for _, u := range units {
		n := d / u.size
		if n == 0 {
			continue
		}
		d -= n * u.size
		if n == 1 {
			parts = append(parts, "1 "+u.name)
		} else {
			parts = append(parts, fmt.Sprintf("%d %ss", n, u.name))
		}
	}
	if len(parts) == 0 {
		return "0 seconds"
	}
	return strings.Join(parts, " ")
}
