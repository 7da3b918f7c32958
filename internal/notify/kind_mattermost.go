package notify

// mattermostKind posts to a Mattermost incoming webhook: the value is the webhook URL
// (https://mattermost.example.org/hooks/<key>). Mattermost takes Slack's older attachment
// format (not Block Kit): a coloured attachment with a title linking to the check and short
// fields.
var mattermostKind = &kind{
	name:     "mattermost",
	title:    "Mattermost",
	userHost: true,
	validate: func(v string) error {
		return validateURLValue("mattermost", "", v, "https://mattermost.example.org/hooks/xxx-generatedkey-xxx")
	},
	request: func(c call) (outgoing, error) { return postJSON(c.Value, attachmentPayload(c.Card)) },
}

// attachmentPayload is the Slack-attachment message Mattermost and Rocket.Chat accept: "text"
// in Markdown and one attachment with title, title_link, text, color and fields.
func attachmentPayload(c card) map[string]any {
	var fields []any
	for _, f := range c.Facts {
		fields = append(fields, map[string]any{"short": true, "title": f.Label, "value": f.Value})
	}
	text := c.summary()
	if c.Body != "" {
		text += "\n\n**Last ping body**\n```\n" + c.Body + "\n```"
	}
	att := map[string]any{
		"fallback": c.Title,
		"color":    c.color(),
		"title":    c.Title,
		"text":     text,
		"fields":   fields,
	}
	if c.URL != "" {
		att["title_link"] = c.URL
	}
	return map[string]any{"text": c.Title, "attachments": []any{att}}
}
