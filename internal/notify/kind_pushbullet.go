package notify

import "strings"

// pushbulletKind pushes a note through Pushbullet (POST <base>/v2/pushes, base
// https://api.pushbullet.com, OVERDUE_URL_PUSHBULLET, the access token in Access-Token). The
// value is the account's access token, as Healthchecks stores it.
var pushbulletKind = &kind{
	name:  "pushbullet",
	title: "Pushbullet",
	base:  "https://api.pushbullet.com",
	validate: func(v string) error {
		v = strings.TrimSpace(v)
		if len(v) < 20 || len(v) > 100 || !isToken(strings.ReplaceAll(v, ".", "")) {
			return &ValueError{Kind: "pushbullet", Problem: "not a Pushbullet access token; send the token from Settings → Account → Create Access Token"}
		}
		return nil
	},
	request: func(c call) (outgoing, error) {
		note := map[string]any{"type": "note", "title": c.Card.Title, "body": excerpt(c.Card.text(), 4000)}
		if c.Card.URL != "" {
			note = map[string]any{"type": "link", "title": c.Card.Title, "body": excerpt(c.Card.text(), 4000), "url": c.Card.URL}
		}
		return postJSON(c.Base+"/v2/pushes", note, "Access-Token", strings.TrimSpace(c.Value))
	},
}
