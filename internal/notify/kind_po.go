package notify

import (
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// pushoverKind sends Pushover messages (POST <base>/1/messages.json, base
// https://api.pushover.net, OVERDUE_URL_PO, form-encoded, HTML). The value is
// {"user_key": "<user or group key>", "app_token": "<application token>", "priority": -2…2
// (down, default 0), "priority_up": -2…2 (default 0)}. Emergency priority (2) repeats every
// 5 minutes for an hour until acknowledged, as Healthchecks sets it.
var pushoverKind = &kind{
	name:  "po",
	title: "Pushover",
	base:  "https://api.pushover.net",
	validate: func(v string) error {
		_, err := pushoverValue(v)
		return err
	},
	request: func(c call) (outgoing, error) {
		pv, _ := pushoverValue(c.Value)
		prio := pv.priorityUp
		if c.Card.Down {
			prio = pv.priority
		}
		var msg strings.Builder
		msg.WriteString(html.EscapeString(c.Card.summary()) + "\n")
		for _, f := range c.Card.Facts {
			msg.WriteString("<b>" + html.EscapeString(f.Label) + ":</b> " + html.EscapeString(f.Value) + "\n")
		}
		if c.Card.Body != "" {
			msg.WriteString("<b>Last ping body:</b>\n<font color=\"#555555\">" + html.EscapeString(excerpt(c.Card.Body, 300)) + "</font>\n")
		}
		form := url.Values{
			"token":     {pv.appToken},
			"user":      {pv.userKey},
			"title":     {excerpt(c.Card.Title, 250)},
			"message":   {excerpt(msg.String(), 1024)},
			"html":      {"1"},
			"priority":  {strconv.Itoa(prio)},
			"timestamp": {strconv.FormatInt(c.Card.At.Unix(), 10)},
		}
		if prio == 2 {
			form.Set("retry", "300")
			form.Set("expire", "3600")
		}
		if c.Card.URL != "" {
			form.Set("url", c.Card.URL)
			form.Set("url_title", "View check")
		}
		return outgoing{
			Method: http.MethodPost,
			URL:    c.Base + "/1/messages.json",
			Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
			Body:   []byte(form.Encode()),
		}, nil
	},
}

type pushoverConfig struct {
	userKey, appToken    string
	priority, priorityUp int
}

func pushoverValue(value string) (pushoverConfig, error) {
	const want = `send {"user_key": "<30-character user or group key>", "app_token": "<30-character application token>", "priority": 0, "priority_up": 0}`
	var pc pushoverConfig
	doc, err := parseObject("po", value, want)
	if err != nil {
		return pc, err
	}
	for field, p := range map[string]*string{"user_key": &pc.userKey, "app_token": &pc.appToken} {
		if *p, err = stringField("po", doc, field, true, want); err != nil {
			return pc, err
		}
		if len(*p) != 30 || !isToken(*p) {
			return pc, &ValueError{Kind: "po", Field: field, Problem: "is not 30 letters and digits; " + want}
		}
	}
	for field, p := range map[string]*int{"priority": &pc.priority, "priority_up": &pc.priorityUp} {
		if raw, ok := doc[field]; ok && raw != nil {
			n, ok := raw.(float64)
			if !ok || n != float64(int(n)) || n < -2 || n > 2 {
				return pc, &ValueError{Kind: "po", Field: field, Problem: "must be a whole number from -2 (lowest) to 2 (emergency)"}
			}
			*p = int(n)
		}
	}
	return pc, nil
}
