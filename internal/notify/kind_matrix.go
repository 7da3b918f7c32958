package notify

import (
	"html"
	"net/http"
	"net/url"
	"strings"
)

// matrixKind sends an m.notice to a Matrix room (client-server API v3:
// PUT <homeserver>/_matrix/client/v3/rooms/<room>/send/m.room.message/<txn>, Authorization:
// Bearer <access token>). The transaction ID is the delivery ID, so the homeserver itself drops
// a retry of a message it already took. The value is {"room_id": "!room:example.org",
// "access_token": "<token of the bot's account>", "homeserver": "<URL, default
// OVERDUE_URL_MATRIX or https://matrix.org>"}.
var matrixKind = &kind{
	name:     "matrix",
	title:    "Matrix",
	base:     "https://matrix.org",
	userHost: true,
	validate: func(v string) error {
		_, err := matrixValue(v)
		return err
	},
	request: func(c call) (outgoing, error) {
		mc, _ := matrixValue(c.Value)
		server := mc.homeserver
		if server == "" {
			server = c.Base
		}
		var plain, rich strings.Builder
		plain.WriteString(c.Card.Title + "\n" + c.Card.text())
		e := html.EscapeString
		name := "<b>" + e(c.Card.Name) + "</b>"
		if c.Card.URL != "" {
			name = `<a href="` + e(c.Card.URL) + `">` + e(c.Card.Name) + "</a>"
		}
		rich.WriteString("<p>The check " + name + " is <b>" + strings.ToUpper(c.Card.Status) + "</b>.")
		if c.Card.Why != "" {
			rich.WriteString(" " + e(c.Card.Why))
		}
		rich.WriteString("</p><ul>")
		for _, f := range c.Card.Facts {
			rich.WriteString("<li><b>" + e(f.Label) + ":</b> " + e(f.Value) + "</li>")
		}
		rich.WriteString("</ul>")
		if c.Card.Body != "" {
			rich.WriteString("<p><b>Last ping body:</b></p><pre><code>" + e(c.Card.Body) + "</code></pre>")
		}
		out, err := postJSON(strings.TrimRight(server, "/")+"/_matrix/client/v3/rooms/"+url.PathEscape(mc.roomID)+
			"/send/m.room.message/"+url.PathEscape(c.Delivery),
			map[string]any{"msgtype": "m.notice", "body": plain.String(),
				"format": "org.matrix.custom.html", "formatted_body": rich.String()},
			"Authorization", "Bearer "+mc.token)
		out.Method = http.MethodPut
		return out, err
	},
}

type matrixConfig struct{ roomID, token, homeserver string }

func matrixValue(value string) (matrixConfig, error) {
	const want = `send {"room_id": "!abc:example.org", "access_token": "<token>", "homeserver": "https://matrix.example.org"}`
	var mc matrixConfig
	doc, err := parseObject("matrix", value, want)
	if err != nil {
		return mc, err
	}
	if mc.roomID, err = stringField("matrix", doc, "room_id", true, want); err != nil {
		return mc, err
	}
	if !strings.HasPrefix(mc.roomID, "!") || !strings.Contains(mc.roomID, ":") {
		return mc, &ValueError{Kind: "matrix", Field: "room_id", Problem: `is not a room ID ("!<id>:<server>"; find it in the room's settings); ` + want}
	}
	if mc.token, err = stringField("matrix", doc, "access_token", true, want); err != nil {
		return mc, err
	}
	if !isToken(strings.ReplaceAll(mc.token, ".", "")) {
		return mc, &ValueError{Kind: "matrix", Field: "access_token", Problem: "is not an access token; " + want}
	}
	if mc.homeserver, err = stringField("matrix", doc, "homeserver", false, want); err != nil {
		return mc, err
	}
	if mc.homeserver != "" {
		if err := validateURLValue("matrix", "homeserver", mc.homeserver, "https://matrix.example.org"); err != nil {
			return mc, err
		}
	}
	return mc, nil
}
