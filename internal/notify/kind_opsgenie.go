package notify

import (
	"net/url"
	"strings"
)

// opsgenieKind creates an Opsgenie alert on down and closes it on up (Alert API v2:
// POST <base>/v2/alerts, POST <base>/v2/alerts/<alias>/close?identifierType=alias), with the
// check's UUID as the alias, as Healthchecks does, so the close finds the alert the create
// opened. Authorization: GenieKey <key>. The value is the API integration key, or
// {"key": "…", "region": "us"|"eu"}; "eu" uses Opsgenie's EU endpoint unless OVERDUE_URL_OPSGENIE
// overrides the base.
var opsgenieKind = &kind{
	name:  "opsgenie",
	title: "Opsgenie",
	base:  opsgenieUS,
	validate: func(v string) error {
		_, _, err := opsgenieValue(v)
		return err
	},
	request: func(c call) (outgoing, error) {
		key, region, _ := opsgenieValue(c.Value)
		base := c.Base
		if region == "eu" && base == opsgenieUS {
			base = opsgenieEU
		}
		auth := []string{"Authorization", "GenieKey " + key}
		if !c.Card.Down {
			return postJSON(base+"/v2/alerts/"+url.PathEscape(c.Card.CheckID)+"/close?identifierType=alias",
				map[string]any{"source": "Overdue", "note": c.Card.Headline}, auth...)
		}
		details := map[string]any{}
		for _, f := range c.Card.Facts {
			details[f.Label] = f.Value
		}
		if c.Card.URL != "" {
			details["Full details"] = c.Card.URL
		}
		alert := map[string]any{
			"alias":       c.Card.CheckID,
			"message":     excerpt(c.Card.Title, 130),
			"description": excerpt(c.Card.text(), 15000),
			"source":      "Overdue",
			"details":     details,
		}
		if len(c.Card.Tags) > 0 {
			alert["tags"] = c.Card.Tags
		}
		return postJSON(base+"/v2/alerts", alert, auth...)
	},
}

// Opsgenie's endpoints.
const (
	opsgenieUS = "https://api.opsgenie.com"
	opsgenieEU = "https://api.eu.opsgenie.com"
)

func opsgenieValue(value string) (key, region string, err error) {
	const want = `send the API key of an Opsgenie API integration, or {"key": "<key>", "region": "us" or "eu"}`
	v := strings.TrimSpace(value)
	field := ""
	region = "us"
	if strings.HasPrefix(v, "{") {
		doc, err := parseObject("opsgenie", v, want)
		if err != nil {
			return "", "", err
		}
		if v, err = stringField("opsgenie", doc, "key", true, want); err != nil {
			return "", "", err
		}
		r, err := stringField("opsgenie", doc, "region", false, want)
		if err != nil {
			return "", "", err
		}
		switch r {
		case "", "us":
		case "eu":
			region = "eu"
		default:
			return "", "", &ValueError{Kind: "opsgenie", Field: "region", Problem: `must be "us" or "eu"`}
		}
		field = "key"
	}
	if len(v) < 20 || len(v) > 64 || !isToken(v) {
		return "", "", &ValueError{Kind: "opsgenie", Field: field, Problem: "not an Opsgenie API key; " + want}
	}
	return v, region, nil
}
