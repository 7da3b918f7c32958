package notify

import (
	"strings"

	"github.com/overduehq/overdue/internal/check"
)

// signalKind sends Signal messages through a signal-cli REST API the operator runs
// (bbernhard/signal-cli-rest-api: POST <base>/v2/send), as Signal has no public API. Its address
// is OVERDUE_URL_SIGNAL (default http://127.0.0.1:8080, the service's own default). The value is
// {"from": "<the number registered with signal-cli>", "to": "<E.164 number or group ID>"}.
var signalKind = &kind{
	name:  "signal",
	title: "Signal",
	base:  "http://127.0.0.1:8080",
	validate: func(v string) error {
		_, _, err := signalValue(v)
		return err
	},
	request: func(c call) (outgoing, error) {
		from, to, _ := signalValue(c.Value)
		text := c.Card.Title + "\n" + c.Card.text()
		return postJSON(c.Base+"/v2/send", map[string]any{
			"number":     from,
			"recipients": []string{to},
			"message":    excerpt(text, 2000),
		})
	},
}

func signalValue(value string) (from, to string, err error) {
	const want = `send {"from": "<number registered with signal-cli, +…>", "to": "<E.164 number, or a group ID>"}`
	doc, err := parseObject("signal", value, want)
	if err != nil {
		return "", "", err
	}
	if from, err = stringField("signal", doc, "from", true, want); err != nil {
		return "", "", err
	}
	if check.ValidateChannel(check.ChannelSMS, from) != nil {
		return "", "", &ValueError{Kind: "signal", Field: "from", Problem: "is not an E.164 phone number; " + want}
	}
	if to, err = stringField("signal", doc, "to", true, want); err != nil {
		return "", "", err
	}
	// A group ID is "group." and base64; anything else must be a number.
	if !strings.HasPrefix(to, "group.") && check.ValidateChannel(check.ChannelSMS, to) != nil {
		return "", "", &ValueError{Kind: "signal", Field: "to", Problem: `is neither an E.164 phone number nor a group ID ("group.…"); ` + want}
	}
	return from, to, nil
}
