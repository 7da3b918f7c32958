package notify

import (
	"strings"
	"time"
)

// pagerDutyKind sends PagerDuty Events API v2 events (POST <base>/v2/enqueue, base
// https://events.pagerduty.com, OVERDUE_URL_PD). The value is the service's integration
// (routing) key, or Healthchecks' stored form {"service_key": "…"}.
//
// Down triggers an alert and up resolves it, both with the check's UUID as dedup_key, as
// Healthchecks does: the resolve closes the incident the trigger opened, every retry of either
// is one event to PagerDuty, and a channel moved over from Healthchecks resolves the incidents
// Healthchecks opened.
var pagerDutyKind = &kind{
	name:  "pd",
	title: "PagerDuty",
	base:  "https://events.pagerduty.com",
	validate: func(v string) error {
		_, err := pdKey(v)
		return err
	},
	request: func(c call) (outgoing, error) {
		key, _ := pdKey(c.Value)
		ev := map[string]any{
			"routing_key": key,
			"dedup_key":   c.Card.CheckID,
		}
		if c.Card.Down {
			ev["event_action"] = "trigger"
			details := map[string]any{}
			for _, f := range c.Card.Facts {
				details[f.Label] = f.Value
			}
			if c.Card.Body != "" {
				details["Last ping body"] = c.Card.Body
			}
			ev["payload"] = map[string]any{
				"summary":        excerpt(c.Card.Title+": "+c.Card.summary(), 1024),
				"source":         excerpt(c.Card.Name, 255),
				"severity":       "critical",
				"timestamp":      c.Card.At.Format(time.RFC3339),
				"custom_details": details,
			}
			ev["client"] = "Overdue"
			if c.Card.URL != "" {
				ev["client_url"] = c.Card.URL
				ev["links"] = []any{map[string]any{"href": c.Card.URL, "text": "View check"}}
			}
		} else {
			ev["event_action"] = "resolve"
		}
		return postJSON(c.Base+"/v2/enqueue", ev)
	},
}

// pdKey is the routing key of a pd value: a plain key or {"service_key": "…"}.
func pdKey(value string) (string, error) {
	const want = `send the integration key of an "Events API v2" integration (32 characters), or {"service_key": "<key>"}`
	v := strings.TrimSpace(value)
	field := ""
	if strings.HasPrefix(v, "{") {
		doc, err := parseObject("pd", v, want)
		if err != nil {
			return "", err
		}
		if v, err = stringField("pd", doc, "service_key", true, want); err != nil {
			return "", err
		}
		field = "service_key"
	}
	if len(v) < 20 || len(v) > 64 || !isToken(v) {
		return "", &ValueError{Kind: "pd", Field: field, Problem: "not a PagerDuty integration key; " + want}
	}
	return v, nil
}

// isToken reports whether s is letters, digits, '-' and '_' only: the alphabet of service keys
// and tokens, which never need escaping in a URL or a header.
func isToken(s string) bool {
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return s != ""
}
