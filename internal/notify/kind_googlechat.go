package notify

import "html"

// googleChatKind posts to a Google Chat space's incoming webhook: the value is the webhook URL
// (https://chat.googleapis.com/v1/spaces/…/messages?key=…&token=…). The message is a card
// (cardsV2) with a header, the facts as decorated text, the body excerpt and a button, and
// "text" as the notification's line.
var googleChatKind = &kind{
	name:     "googlechat",
	title:    "Google Chat",
	userHost: true,
	validate: func(v string) error {
		return validateURLValue("googlechat", "", v, "https://chat.googleapis.com/v1/spaces/AAAA/messages?key=…&token=…")
	},
	request: func(c call) (outgoing, error) {
		widgets := []any{map[string]any{"textParagraph": map[string]any{"text": html.EscapeString(c.Card.summary())}}}
		for _, f := range c.Card.Facts {
			widgets = append(widgets, map[string]any{"decoratedText": map[string]any{
				"topLabel": f.Label, "text": html.EscapeString(f.Value), "wrapText": true}})
		}
		if c.Card.Body != "" {
			widgets = append(widgets, map[string]any{"decoratedText": map[string]any{
				"topLabel": "Last ping body", "text": "<font color=\"#555555\">" + html.EscapeString(c.Card.Body) + "</font>", "wrapText": true}})
		}
		if c.Card.URL != "" {
			widgets = append(widgets, map[string]any{"buttonList": map[string]any{"buttons": []any{map[string]any{
				"text": "View check", "onClick": map[string]any{"openLink": map[string]any{"url": c.Card.URL}}}}}})
		}
		subtitle := "is up"
		if c.Card.Down {
			subtitle = "has gone down"
		}
		msg := map[string]any{
			"text": c.Card.Title,
			"cardsV2": []any{map[string]any{
				"cardId": "overdue-" + c.Card.Status,
				"card": map[string]any{
					"header":   map[string]any{"title": c.Card.Title, "subtitle": subtitle},
					"sections": []any{map[string]any{"widgets": widgets}},
				},
			}},
		}
		return postJSON(c.Value, msg, "Content-Type", "application/json; charset=UTF-8")
	},
}
