package notify

// pagerTreeKind sends to a PagerTree webhook integration: the value is the integration's URL
// (https://api.pagertree.com/integration/<id>). Down is event_type "create" and up "resolve",
// both with the check's UUID as "id", so the resolve closes the alert the create opened.
var pagerTreeKind = &kind{
	name:     "pagertree",
	title:    "PagerTree",
	userHost: true,
	validate: func(v string) error {
		return validateURLValue("pagertree", "", v, "https://api.pagertree.com/integration/int_xxxx")
	},
	request: func(c call) (outgoing, error) {
		event := "resolve"
		if c.Card.Down {
			event = "create"
		}
		body := map[string]any{
			"id":          c.Card.CheckID,
			"event_type":  event,
			"title":       c.Card.Title,
			"description": excerpt(c.Card.text(), 10000),
			"urgency":     "high",
			"tags":        c.Card.Tags,
		}
		if c.Card.Tags == nil {
			body["tags"] = []string{}
		}
		return postJSON(c.Value, body)
	},
}
