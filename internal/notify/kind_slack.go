package notify

import (
	"encoding/json"
	"strings"
)

// slackKind posts to a Slack incoming webhook: the channel's value is the webhook URL
// (https://hooks.slack.com/services/…), or Healthchecks' stored form of it,
// {"incoming_webhook": {"url": "…"}}. The message is Block Kit blocks inside a coloured
// attachment, with "text" as the notification's fallback.
var slackKind = &kind{
	name:     "slack",
	title:    "Slack",
	userHost: true,
	validate: func(v string) error {
		_, err := hookURL("slack", v, "incoming_webhook", "https://hooks.slack.com/services/T000/B000/XXXX")
		return err
	},
	request: func(c call) (outgoing, error) {
		u, _ := hookURL("slack", c.Value, "incoming_webhook", "")
		return postJSON(u, slackPayload(c.Card))
	},
}

// hookURL is a URL-valued channel's URL: the value itself, or the "url" inside the object
// under key, as Healthchecks stores the webhooks its OAuth flows return.
func hookURL(kind, value, key, example string) (string, error) {
	v := strings.TrimSpace(value)
	if strings.HasPrefix(v, "{") {
		var doc map[string]json.RawMessage
		var inner struct {
			URL string `json:"url"`
		}
		if json.Unmarshal([]byte(v), &doc) != nil {
			return "", &ValueError{Kind: kind, Problem: "not a JSON object; send the webhook URL such as " + example}
		}
		if raw, ok := doc[key]; !ok || json.Unmarshal(raw, &inner) != nil {
			return "", &ValueError{Kind: kind, Field: key + ".url", Problem: "is missing; send the webhook URL such as " + example}
		}
		return inner.URL, validateURLValue(kind, key+".url", inner.URL, example)
	}
	return v, validateURLValue(kind, "", v, example)
}

// Alert colours: Healthchecks' red and green.
const (
	colorDown = "#d9534f"
	colorUp   = "#36a64f"
)

func (c card) color() string {
	if c.Down {
		return colorDown
	}
	return colorUp
}

// slackEscape escapes the three characters Slack's mrkdwn reserves.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// slackPayload lays a card out in Block Kit: a header, the headline and why, up to ten facts
// (Slack's limit for a section's fields), the body excerpt in a code block, a button to the check.
func slackPayload(c card) map[string]any {
	text := func(t string) map[string]any { return map[string]any{"type": "mrkdwn", "text": t} }
	blocks := []any{
		map[string]any{"type": "header", "text": map[string]any{"type": "plain_text", "text": excerpt(c.Title, 150)}},
		map[string]any{"type": "section", "text": text(slackEscape(c.summary()))},
	}
	var facts []any
	for _, f := range c.Facts {
		if len(facts) == 10 {
			break
		}
		facts = append(facts, text("*"+slackEscape(f.Label)+"*\n"+slackEscape(f.Value)))
	}
	blocks = append(blocks, map[string]any{"type": "section", "fields": facts})
	if c.Body != "" {
		blocks = append(blocks, map[string]any{"type": "section",
			"text": text("*Last ping body*\n```" + slackEscape(c.Body) + "```")})
	}
	if c.URL != "" {
		blocks = append(blocks, map[string]any{"type": "actions", "elements": []any{map[string]any{
			"type": "button", "text": map[string]any{"type": "plain_text", "text": "View check"}, "url": c.URL,
		}}})
	}
	return map[string]any{
		"text":        slackEscape(c.Title),
		"attachments": []any{map[string]any{"color": c.color(), "blocks": blocks}},
	}
}
