package notify

// teamsKind posts to a Microsoft Teams workflow ("Post to a channel when a webhook request is
// received"): the value is the workflow's URL. The message is an Adaptive Card in a message
// attachment, the shape the workflow template posts to the channel.
var teamsKind = &kind{
	name:     "msteamsw",
	title:    "Microsoft Teams",
	userHost: true,
	validate: func(v string) error {
		return validateURLValue("msteamsw", "", v, "https://prod-00.westeurope.logic.azure.com/workflows/…")
	},
	request: func(c call) (outgoing, error) { return postJSON(c.Value, teamsPayload(c.Card)) },
}

// teamsPayload is an Adaptive Card 1.4: a coloured title, the headline and why, the facts as a
// FactSet, the body excerpt in monospace, and an Open URL action to the check.
func teamsPayload(c card) map[string]any {
	color := "Good"
	if c.Down {
		color = "Attention"
	}
	var facts []any
	for _, f := range c.Facts {
		facts = append(facts, map[string]any{"title": f.Label, "value": f.Value})
	}
	body := []any{
		map[string]any{"type": "TextBlock", "text": c.Title, "weight": "Bolder", "size": "Large", "color": color, "wrap": true},
		map[string]any{"type": "TextBlock", "text": c.summary(), "wrap": true},
		map[string]any{"type": "FactSet", "facts": facts},
	}
	if c.Body != "" {
		body = append(body,
			map[string]any{"type": "TextBlock", "text": "Last ping body", "weight": "Bolder", "wrap": true},
			map[string]any{"type": "TextBlock", "text": c.Body, "fontType": "Monospace", "wrap": true})
	}
	content := map[string]any{
		"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
		"type":    "AdaptiveCard",
		"version": "1.4",
		"body":    body,
	}
	if c.URL != "" {
		content["actions"] = []any{map[string]any{"type": "Action.OpenUrl", "title": "View check", "url": c.URL}}
	}
	return map[string]any{
		"type": "message",
		"attachments": []any{map[string]any{
			"contentType": "application/vnd.microsoft.card.adaptive",
			"contentUrl":  nil,
			"content":     content,
		}},
	}
}
