package notify

import (
	"strings"
)

// gotifyKind pushes to a Gotify server (POST <url>/message, the application token in
// X-Gotify-Key, Markdown display). The value is {"url": "<server>", "token": "<app token>"},
// as Healthchecks stores it.
var gotifyKind = &kind{
	name:     "gotify",
	title:    "Gotify",
	userHost: true,
	validate: func(v string) error {
		_, _, err := gotifyValue(v)
		return err
	},
	request: func(c call) (outgoing, error) {
		server, token, _ := gotifyValue(c.Value)
		prio := 5
		if c.Card.Down {
			prio = 8
		}
		text := c.Card.summary() + "\n\n"
		for _, f := range c.Card.Facts {
			text += "**" + f.Label + ":** " + f.Value + "  \n"
		}
		if c.Card.Body != "" {
			text += "\n**Last ping body:**\n```\n" + c.Card.Body + "\n```\n"
		}
		extras := map[string]any{"client::display": map[string]any{"contentType": "text/markdown"}}
		if c.Card.URL != "" {
			text += "\n[View check](" + c.Card.URL + ")\n"
			extras["client::notification"] = map[string]any{"click": map[string]any{"url": c.Card.URL}}
		}
		return postJSON(strings.TrimRight(server, "/")+"/message",
			map[string]any{"title": c.Card.Title, "message": text, "priority": prio, "extras": extras},
			"X-Gotify-Key", token)
	},
}

func gotifyValue(value string) (server, token string, err error) {
	const want = `send {"url": "https://gotify.example.org", "token": "<application token>"}`
	doc, err := parseObject("gotify", value, want)
	if err != nil {
		return "", "", err
	}
	if server, err = stringField("gotify", doc, "url", true, want); err != nil {
		return "", "", err
	}
	if err := validateURLValue("gotify", "url", server, "https://gotify.example.org"); err != nil {
		return "", "", err
	}
	if token, err = stringField("gotify", doc, "token", true, want); err != nil {
		return "", "", err
	}
	if !isToken(strings.ReplaceAll(token, ".", "")) {
		return "", "", &ValueError{Kind: "gotify", Field: "token", Problem: "not a Gotify application token; " + want}
	}
	return server, token, nil
}
