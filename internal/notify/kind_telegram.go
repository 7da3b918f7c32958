package notify

import (
	"html"
	"strconv"
	"strings"
)

// telegramKind sends through a Telegram bot (Bot API sendMessage:
// POST <base>/bot<token>/sendMessage, base https://api.telegram.org, OVERDUE_URL_TELEGRAM), in
// HTML parse mode. The value is {"token": "<bot token>", "chat_id": <id or "@channel">,
// "thread_id": <optional topic id>}.
var telegramKind = &kind{
	name:  "telegram",
	title: "Telegram",
	base:  "https://api.telegram.org",
	validate: func(v string) error {
		_, err := telegramValue(v)
		return err
	},
	request: func(c call) (outgoing, error) {
		tv, _ := telegramValue(c.Value)
		body := map[string]any{
			"chat_id":                  tv.chatID,
			"text":                     telegramHTML(c.Card),
			"parse_mode":               "HTML",
			"disable_web_page_preview": true,
		}
		if tv.threadID != 0 {
			body["message_thread_id"] = tv.threadID
		}
		return postJSON(c.Base+"/bot"+tv.token+"/sendMessage", body)
	},
}

type telegramConfig struct {
	token    string
	chatID   any // int64 or "@channelusername"
	threadID int64
}

func telegramValue(value string) (telegramConfig, error) {
	const want = `send {"token": "<bot token from @BotFather>", "chat_id": <chat id or "@channel">}`
	doc, err := parseObject("telegram", value, want)
	if err != nil {
		return telegramConfig{}, err
	}
	var tc telegramConfig
	if tc.token, err = stringField("telegram", doc, "token", true, want); err != nil {
		return tc, err
	}
	id, secret, ok := strings.Cut(tc.token, ":")
	if _, err := strconv.ParseInt(id, 10, 64); !ok || err != nil || len(secret) < 20 || !isToken(secret) {
		return tc, &ValueError{Kind: "telegram", Field: "token", Problem: "not a bot token (<digits>:<secret>); " + want}
	}
	switch v := doc["chat_id"].(type) {
	case float64:
		if v != float64(int64(v)) {
			return tc, &ValueError{Kind: "telegram", Field: "chat_id", Problem: "is not a whole number; " + want}
		}
		tc.chatID = int64(v)
	case string:
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			tc.chatID = n
		} else if strings.HasPrefix(v, "@") && len(v) > 1 && isToken(v[1:]) {
			tc.chatID = v
		} else {
			return tc, &ValueError{Kind: "telegram", Field: "chat_id", Problem: `is neither a chat id nor "@channelusername"; ` + want}
		}
	case nil:
		return tc, &ValueError{Kind: "telegram", Field: "chat_id", Problem: "is missing; " + want}
	default:
		return tc, &ValueError{Kind: "telegram", Field: "chat_id", Problem: "is not a number or a string; " + want}
	}
	if raw, ok := doc["thread_id"]; ok && raw != nil {
		n, ok := raw.(float64)
		if !ok || n != float64(int64(n)) || n < 1 {
			return tc, &ValueError{Kind: "telegram", Field: "thread_id", Problem: "is not a positive whole number; " + want}
		}
		tc.threadID = int64(n)
	}
	return tc, nil
}

// telegramHTML lays a card out in the HTML subset Telegram's parse_mode HTML takes (b, i, a,
// code, pre), escaped, within sendMessage's 4096 characters.
func telegramHTML(c card) string {
	e := html.EscapeString
	var b strings.Builder
	mark := "🟢"
	if c.Down {
		mark = "🔴"
	}
	name := "<b>" + e(c.Name) + "</b>"
	if c.URL != "" {
		name = `<a href="` + e(c.URL) + `">` + e(c.Name) + "</a>"
	}
	b.WriteString(mark + " The check " + name + " is <b>" + strings.ToUpper(c.Status) + "</b>.\n")
	if c.Why != "" {
		b.WriteString(e(c.Why) + "\n")
	}
	b.WriteString("\n")
	for _, f := range c.Facts {
		b.WriteString("<b>" + e(f.Label) + ":</b> " + e(f.Value) + "\n")
	}
	if c.Body != "" {
		b.WriteString("\n<b>Last ping body:</b>\n<pre>" + e(c.Body) + "</pre>\n")
	}
	return b.String()
}
