package notify

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
)

// zulipKind posts to Zulip as a bot (POST <site>/api/v1/messages, HTTP basic auth with the bot's
// email and API key, form-encoded). The value is Healthchecks' {"bot_email", "api_key", "site",
// "mtype": "stream" or "private", "to": stream name or user email, "topic": optional, default
// the check's name}.
var zulipKind = &kind{
	name:     "zulip",
	title:    "Zulip",
	userHost: true,
	validate: func(v string) error {
		_, err := zulipValue(v)
		return err
	},
	request: func(c call) (outgoing, error) {
		zc, _ := zulipValue(c.Value)
		var content strings.Builder
		mark := ":green_circle:"
		if c.Card.Down {
			mark = ":red_circle:"
		}
		name := "**" + c.Card.Name + "**"
		if c.Card.URL != "" {
			name = "[" + c.Card.Name + "](" + c.Card.URL + ")"
		}
		content.WriteString(mark + " The check " + name + " is **" + strings.ToUpper(c.Card.Status) + "**.\n")
		if c.Card.Why != "" {
			content.WriteString(c.Card.Why + "\n")
		}
		content.WriteString("\n")
		for _, f := range c.Card.Facts {
			content.WriteString("**" + f.Label + ":** " + f.Value + "\n")
		}
		if c.Card.Body != "" {
			content.WriteString("\n**Last ping body:**\n```\n" + c.Card.Body + "\n```\n")
		}
		topic := zc.topic
		if topic == "" {
			topic = excerpt(c.Card.Name, 60)
		}
		form := url.Values{"type": {zc.mtype}, "to": {zc.to}, "content": {content.String()}}
		if zc.mtype == "stream" {
			form.Set("topic", topic)
		}
		h := http.Header{
			"Content-Type":  {"application/x-www-form-urlencoded"},
			"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(zc.botEmail+":"+zc.apiKey))},
		}
		return outgoing{Method: http.MethodPost, URL: strings.TrimRight(zc.site, "/") + "/api/v1/messages",
			Header: h, Body: []byte(form.Encode())}, nil
	},
}

type zulipConfig struct {
	botEmail, apiKey, site, mtype, to, topic string
}

func zulipValue(value string) (zulipConfig, error) {
	const want = `send {"bot_email": "alerts-bot@example.zulipchat.com", "api_key": "<key>", "site": "https://example.zulipchat.com", "mtype": "stream", "to": "ops", "topic": "cron"}`
	var zc zulipConfig
	doc, err := parseObject("zulip", value, want)
	if err != nil {
		return zc, err
	}
	for _, f := range []struct {
		name     string
		p        *string
		required bool
	}{{"bot_email", &zc.botEmail, true}, {"api_key", &zc.apiKey, true}, {"site", &zc.site, true},
		{"mtype", &zc.mtype, false}, {"to", &zc.to, true}, {"topic", &zc.topic, false}} {
		if *f.p, err = stringField("zulip", doc, f.name, f.required, want); err != nil {
			return zc, err
		}
	}
	if !strings.Contains(zc.botEmail, "@") {
		return zc, &ValueError{Kind: "zulip", Field: "bot_email", Problem: "is not an email address; " + want}
	}
	if !isToken(zc.apiKey) {
		return zc, &ValueError{Kind: "zulip", Field: "api_key", Problem: "is not a Zulip API key; " + want}
	}
	if err := validateURLValue("zulip", "site", zc.site, "https://example.zulipchat.com"); err != nil {
		return zc, err
	}
	switch zc.mtype {
	case "":
		zc.mtype = "stream"
	case "stream", "private":
	default:
		return zc, &ValueError{Kind: "zulip", Field: "mtype", Problem: `must be "stream" or "private"`}
	}
	return zc, nil
}
