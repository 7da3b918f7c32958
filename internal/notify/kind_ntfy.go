package notify

import (
	"net/url"
	"strings"
)

// ntfyKind publishes to an ntfy topic (JSON publishing: POST to the server's root with the topic
// in the body). The value is the topic URL (https://ntfy.sh/mytopic), or, as Healthchecks stores
// it, {"topic": "…", "url": "<server, default OVERDUE_URL_NTFY or https://ntfy.sh>",
// "priority": 1–5 (down, default 4), "priority_up": 1–5 (default 3), "token": "<access token>",
// "tags": [extra tags]}. Down is tagged red_circle, up green_circle; the notification opens the
// check.
var ntfyKind = &kind{
	name:     "ntfy",
	title:    "ntfy",
	base:     "https://ntfy.sh",
	userHost: true,
	validate: func(v string) error {
		_, err := ntfyValue(v)
		return err
	},
	request: func(c call) (outgoing, error) {
		nv, _ := ntfyValue(c.Value)
		server := nv.server
		if server == "" {
			server = c.Base
		}
		prio, tag := nv.priorityUp, "green_circle"
		if c.Card.Down {
			prio, tag = nv.priority, "red_circle"
		}
		msg := map[string]any{
			"topic":    nv.topic,
			"title":    c.Card.Title,
			"message":  excerpt(c.Card.text(), 4000),
			"priority": prio,
			"tags":     append([]string{tag}, nv.tags...),
		}
		if c.Card.URL != "" {
			msg["click"] = c.Card.URL
			msg["actions"] = []any{map[string]any{"action": "view", "label": "View check", "url": c.Card.URL}}
		}
		var auth []string
		if nv.token != "" {
			auth = []string{"Authorization", "Bearer " + nv.token}
		}
		return postJSON(strings.TrimRight(server, "/")+"/", msg, auth...)
	},
}

type ntfyConfig struct {
	server, topic, token string
	priority, priorityUp int
	tags                 []string
}

func ntfyValue(value string) (ntfyConfig, error) {
	const want = `send the topic URL, such as https://ntfy.sh/mytopic, or {"topic": "mytopic", "url": "https://ntfy.example.org", "priority": 4, "priority_up": 3}`
	nc := ntfyConfig{priority: 4, priorityUp: 3}
	v := strings.TrimSpace(value)
	if !strings.HasPrefix(v, "{") {
		if err := validateURLValue("ntfy", "", v, "https://ntfy.sh/mytopic"); err != nil {
			return nc, err
		}
		u, _ := url.Parse(v)
		i := strings.LastIndexByte(u.Path, '/')
		nc.topic = u.Path[i+1:]
		u.Path, u.RawQuery, u.Fragment = u.Path[:i], "", ""
		nc.server = u.String()
		if !validTopic(nc.topic) {
			return nc, &ValueError{Kind: "ntfy", Problem: "the URL does not end in a topic name (letters, digits, - and _); " + want}
		}
		return nc, nil
	}
	doc, err := parseObject("ntfy", v, want)
	if err != nil {
		return nc, err
	}
	if nc.topic, err = stringField("ntfy", doc, "topic", true, want); err != nil {
		return nc, err
	}
	if !validTopic(nc.topic) {
		return nc, &ValueError{Kind: "ntfy", Field: "topic", Problem: "must be 1 to 64 letters, digits, - and _; " + want}
	}
	if nc.server, err = stringField("ntfy", doc, "url", false, want); err != nil {
		return nc, err
	}
	if nc.server != "" {
		if err := validateURLValue("ntfy", "url", nc.server, "https://ntfy.example.org"); err != nil {
			return nc, err
		}
	}
	if nc.token, err = stringField("ntfy", doc, "token", false, want); err != nil {
		return nc, err
	}
	for field, p := range map[string]*int{"priority": &nc.priority, "priority_up": &nc.priorityUp} {
		if raw, ok := doc[field]; ok && raw != nil {
			n, ok := raw.(float64)
			if !ok || n != float64(int(n)) || n < 1 || n > 5 {
				return nc, &ValueError{Kind: "ntfy", Field: field, Problem: "must be a whole number from 1 (min) to 5 (max)"}
			}
			*p = int(n)
		}
	}
	if raw, ok := doc["tags"]; ok && raw != nil {
		list, ok := raw.([]any)
		for _, x := range list {
			s, isStr := x.(string)
			if !isStr || s == "" {
				ok = false
				break
			}
			nc.tags = append(nc.tags, s)
		}
		if !ok {
			return nc, &ValueError{Kind: "ntfy", Field: "tags", Problem: `must be a list of tag names, such as ["backup", "warning"]`}
		}
	}
	return nc, nil
}

func validTopic(s string) bool { return len(s) <= 64 && isToken(s) }
