package notify

import (
	"encoding/base64"
	"html"
	"net/http"
	"net/url"

	"github.com/overduehq/overdue/internal/check"
)

// callKind phones a number through Twilio when a check goes down and reads the alert out (POST
// <base>/2010-04-01/Accounts/<sid>/Calls.json, base https://api.twilio.com, OVERDUE_URL_CALL,
// basic auth with the account SID and auth token, TwiML inline); up calls nobody, as in
// Healthchecks. The value is {"account_sid", "auth_token", "from", "to"}, the numbers in E.164.
var callKind = &kind{
	name:     "call",
	title:    "Twilio (call)",
	base:     twilioBase,
	downOnly: true,
	validate: func(v string) error {
		_, err := twilioValue("call", v)
		return err
	},
	request: func(c call) (outgoing, error) {
		tv, _ := twilioValue("call", c.Value)
		say := "Hello! A message from Overdue. " + c.Card.Headline + " " + c.Card.Why
		twiml := `<Response><Say>` + html.EscapeString(say) + `</Say><Pause length="1"/><Say>` + html.EscapeString(say) + `</Say></Response>`
		return twilioRequest(c.Base, "Calls.json", tv, url.Values{"To": {tv.to}, "From": {tv.from}, "Twiml": {twiml}}), nil
	},
}

// whatsAppKind sends a WhatsApp message through Twilio (POST
// <base>/2010-04-01/Accounts/<sid>/Messages.json, OVERDUE_URL_WHATSAPP), for down and up. The value
// is as for call; "from" is the Twilio WhatsApp sender.
var whatsAppKind = &kind{
	name:  "whatsapp",
	title: "Twilio (WhatsApp)",
	base:  twilioBase,
	validate: func(v string) error {
		_, err := twilioValue("whatsapp", v)
		return err
	},
	request: func(c call) (outgoing, error) {
		tv, _ := twilioValue("whatsapp", c.Value)
		body := "*" + c.Card.Title + "*\n" + c.Card.text()
		return twilioRequest(c.Base, "Messages.json", tv, url.Values{
			"To": {"whatsapp:" + tv.to}, "From": {"whatsapp:" + tv.from}, "Body": {excerpt(body, 1500)}}), nil
	},
}

const twilioBase = "https://api.twilio.com"

type twilioConfig struct{ sid, token, from, to string }

func twilioRequest(base, resource string, tv twilioConfig, form url.Values) outgoing {
	return outgoing{
		Method: http.MethodPost,
		URL:    base + "/2010-04-01/Accounts/" + url.PathEscape(tv.sid) + "/" + resource,
		Header: http.Header{
			"Content-Type":  {"application/x-www-form-urlencoded"},
			"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(tv.sid+":"+tv.token))},
		},
		Body: []byte(form.Encode()),
	}
}

func twilioValue(kind, value string) (twilioConfig, error) {
	const want = `send {"account_sid": "AC…", "auth_token": "<auth token>", "from": "+14155550100", "to": "+14155550199"}`
	var tv twilioConfig
	doc, err := parseObject(kind, value, want)
	if err != nil {
		return tv, err
	}
	for _, f := range []struct {
		name string
		p    *string
	}{{"account_sid", &tv.sid}, {"auth_token", &tv.token}, {"from", &tv.from}, {"to", &tv.to}} {
		if *f.p, err = stringField(kind, doc, f.name, true, want); err != nil {
			return tv, err
		}
	}
	if len(tv.sid) != 34 || tv.sid[:2] != "AC" || !isToken(tv.sid) {
		return tv, &ValueError{Kind: kind, Field: "account_sid", Problem: `is not a Twilio account SID ("AC" and 32 characters); ` + want}
	}
	if len(tv.token) < 20 || !isToken(tv.token) {
		return tv, &ValueError{Kind: kind, Field: "auth_token", Problem: "is not a Twilio auth token; " + want}
	}
	for _, f := range []struct{ name, v string }{{"from", tv.from}, {"to", tv.to}} {
		if err := check.ValidateChannel(check.ChannelSMS, f.v); err != nil {
			return tv, &ValueError{Kind: kind, Field: f.name, Problem: "is not an E.164 phone number such as +14155550100"}
		}
	}
	return tv, nil
}
