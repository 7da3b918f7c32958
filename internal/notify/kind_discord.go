package notify

import (
	"strconv"
	"strings"
	"time"
)

// discordKind posts to a Discord webhook: the value is the webhook URL
// (https://discord.com/api/webhooks/<id>/<token>), or Healthchecks' stored form,
// {"webhook": {"url": "…"}}. The message is one embed: title, description, colour, fields,
// timestamp and a link to the check.
var discordKind = &kind{
	name:     "discord",
	title:    "Discord",
	userHost: true,
	validate: func(v string) error {
		_, err := hookURL("discord", v, "webhook", "https://discord.com/api/webhooks/123/abc")
		return err
	},
	request: func(c call) (outgoing, error) {
		u, _ := hookURL("discord", c.Value, "webhook", "")
		return postJSON(u, discordPayload(c.Card))
	},
}

// discordPayload is a webhook execution body with one embed, inside Discord's limits (title
// 256, description 4096, field value 1024, 25 fields).
func discordPayload(c card) map[string]any {
	color, _ := strconv.ParseInt(strings.TrimPrefix(c.color(), "#"), 16, 32)
	var fields []any
	for _, f := range c.Facts {
		fields = append(fields, map[string]any{"name": excerpt(f.Label, 256), "value": excerpt(f.Value, 1024), "inline": true})
	}
	if c.Body != "" {
		fields = append(fields, map[string]any{"name": "Last ping body", "value": "```\n" + excerpt(strings.ReplaceAll(c.Body, "```", "ˋˋˋ"), 1000) + "\n```"})
	}
	embed := map[string]any{
		"title":       excerpt(c.Title, 256),
		"description": excerpt(c.summary(), 4096),
		"color":       color,
		"fields":      fields,
		"timestamp":   c.At.Format(time.RFC3339),
	}
	if c.URL != "" {
		embed["url"] = c.URL
	}
	// No "content" mention: an alert should not ping @everyone unless the owner asks.
	return map[string]any{"embeds": []any{embed}, "allowed_mentions": map[string]any{"parse": []any{}}}
}
