package notify

import (
	"net/http"
	"net/url"
)

// trelloKind adds a card to a Trello list when a check goes down (POST <base>/1/cards, base
// https://api.trello.com, OVERDUE_URL_TRELLO, form-encoded with the API key and token); up sends
// nothing, as in Healthchecks. The value is {"key": "<API key>", "token": "<token>",
// "list_id": "<list id>"}.
var trelloKind = &kind{
	name:     "trello",
	title:    "Trello",
	base:     "https://api.trello.com",
	downOnly: true,
	validate: func(v string) error {
		_, err := trelloValue(v)
		return err
	},
	request: func(c call) (outgoing, error) {
		tv, _ := trelloValue(c.Value)
		form := url.Values{
			"key": {tv["key"]}, "token": {tv["token"]}, "idList": {tv["list_id"]},
			"name": {excerpt(c.Card.Title, 512)}, "desc": {excerpt(c.Card.text(), 16000)}, "pos": {"top"},
		}
		if c.Card.URL != "" {
			form.Set("urlSource", c.Card.URL)
		}
		return outgoing{Method: http.MethodPost, URL: c.Base + "/1/cards",
			Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, Body: []byte(form.Encode())}, nil
	},
}

func trelloValue(value string) (map[string]string, error) {
	const want = `send {"key": "<API key>", "token": "<token>", "list_id": "<id of the list to add cards to>"}`
	doc, err := parseObject("trello", value, want)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, f := range []string{"key", "token", "list_id"} {
		v, err := stringField("trello", doc, f, true, want)
		if err != nil {
			return nil, err
		}
		if len(v) < 20 || !isToken(v) {
			return nil, &ValueError{Kind: "trello", Field: f, Problem: "is not a Trello " + f + "; " + want}
		}
		out[f] = v
	}
	return out, nil
}
