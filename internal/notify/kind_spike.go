package notify

// spikeKind sends to a Spike.sh incoming webhook: the value is the integration's URL. Down and up
// carry the same check_id (the check's UUID) and a status, as Healthchecks sends them, so Spike
// resolves the incident the down alert opened.
var spikeKind = &kind{
	name:     "spike",
	title:    "Spike",
	userHost: true,
	validate: func(v string) error {
		return validateURLValue("spike", "", v, "https://api.spike.sh/api/v1/integrations/<token>/hc")
	},
	request: func(c call) (outgoing, error) {
		return postJSON(c.Value, map[string]any{
			"check_id": c.Card.CheckID,
			"title":    c.Card.Title,
			"message":  excerpt(c.Card.text(), 10000),
			"status":   c.Card.Status,
		})
	},
}
