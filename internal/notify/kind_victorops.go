package notify

// victorOpsKind sends to Splunk On-Call (VictorOps) through its REST endpoint integration: the
// value is the endpoint URL with its routing key
// (https://alert.victorops.com/integrations/generic/20131114/alert/<api key>/<routing key>).
// Down is CRITICAL and up RECOVERY for the same entity_id, the check's UUID, so the recovery
// resolves the incident the alert opened.
var victorOpsKind = &kind{
	name:     "victorops",
	title:    "Splunk On-Call",
	userHost: true,
	validate: func(v string) error {
		return validateURLValue("victorops", "", v, "https://alert.victorops.com/integrations/generic/20131114/alert/<api key>/<routing key>")
	},
	request: func(c call) (outgoing, error) {
		msgType := "RECOVERY"
		if c.Card.Down {
			msgType = "CRITICAL"
		}
		body := map[string]any{
			"entity_id":           c.Card.CheckID,
			"message_type":        msgType,
			"entity_display_name": c.Card.Title,
			"state_message":       excerpt(c.Card.text(), 10000),
			"monitoring_tool":     "Overdue",
			"state_start_time":    c.Card.At.Unix(),
		}
		if c.Card.URL != "" {
			body["alert_url"] = c.Card.URL
		}
		return postJSON(c.Value, body)
	},
}
