package notify

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/overduehq/overdue/internal/check"
)

// MaxBodyExcerpt is how much of the last ping's body a service message shows, in characters.
// Chat services cap messages (Slack's section text at 3000, Discord's embed field at 1024); a
// short excerpt keeps every layout inside its limit with room for the rest.
const MaxBodyExcerpt = 500

// card is an alert as facts, from which each service kind lays out its message. It is built once
// per flip with the Message.
type card struct {
	CheckID  string
	Name     string // the check's name, or its UUID when unnamed; one line
	Status   string // "down" or "up"
	Down     bool
	Title    string // "DOWN | backup"
	Headline string // `The check "backup" has gone down.`
	// Why is what made it go down, in Healthchecks' words; "" for up.
	Why string
	// Facts are the label/value lines of the text alert: reason, tags, period or schedule, last
	// ping, when, check.
	Facts []field
	Tags  []string
	// Body is an excerpt of the last ping's body, "" when it had none.
	Body string
	URL  string
	At   time.Time
}

func newCard(a Alert) card {
	c := card{
		CheckID:  a.Check.ID,
		Name:     oneLine(displayName(a.Check)),
		Status:   string(a.Flip.NewStatus),
		Down:     a.Flip.NewStatus == check.StatusDown,
		Title:    Subject(a),
		Headline: headline(a),
		Facts:    fields(a),
		Tags:     a.Check.TagList(),
		URL:      a.URL,
		At:       a.Flip.Created.UTC(),
	}
	if c.Down {
		switch a.Flip.Reason {
		case check.ReasonTimeout:
			c.Why = "The success signal did not arrive on time, and the grace time has passed."
		case check.ReasonFail:
			c.Why = "A failure signal arrived."
			if a.LastPing != nil && a.LastPing.Kind == check.PingFail {
				c.Why = "A failure signal arrived (" + PingType(a.LastPing) + ")."
			}
		case check.ReasonNoStart:
			c.Why = "The start signal did not arrive within the start grace time."
		case check.ReasonRuntime:
			c.Why = "The run started but did not finish within the maximum run time."
		case check.ReasonTooFast:
			c.Why = "The run finished sooner than the minimum run time."
		}
	}
	switch a.Flip.Reason {
	case check.ReasonFlapping:
		c.Why = "The check is flapping: it changes status more often than its flapping rule allows. Further alerts are held until it settles."
	case check.ReasonSettled:
		c.Why = "The check stopped flapping; this is its status now."
	}
	if a.LastPing != nil && len(a.LastPing.Body) > 0 {
		c.Body = excerpt(strings.ToValidUTF8(string(a.LastPing.Body), "\uFFFD"), MaxBodyExcerpt)
	}
	return c
}

// excerpt is s cut to at most n characters, the cut marked with an ellipsis.
func excerpt(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// summary is the alert in one line: "DOWN | backup: The success signal did not arrive …".
func (c card) summary() string {
	if c.Why == "" {
		return c.Headline
	}
	return c.Headline + " " + c.Why
}

// text is the alert as plain lines: headline, why, the facts, the body excerpt, the link.
func (c card) text() string {
	var b strings.Builder
	b.WriteString(c.Headline + "\n")
	for _, f := range c.Facts {
		b.WriteString(f.Label + ": " + f.Value + "\n")
	}
	if c.Body != "" {
		b.WriteString("Last ping body:\n" + c.Body + "\n")
	}
	if c.URL != "" {
		b.WriteString("Details: " + c.URL + "\n")
	}
	return b.String()
}
