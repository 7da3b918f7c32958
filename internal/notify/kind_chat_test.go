package notify_test

import (
	"strings"
	"testing"
)

// TestSlack: an incoming-webhook POST of Block Kit blocks in a coloured attachment, mrkdwn
// escaped, for down and up.
func TestSlack(t *testing.T) {
	s := newService(t, 200, "ok")
	if err := sendKind(t, "slack", s.URL+"/services/T0/B0/KEY", downAlert(), nil); err != nil {
		t.Fatal(err)
	}
	r := s.one(t)
	wantJSON(t, r)
	if r.Path != "/services/T0/B0/KEY" {
		t.Errorf("path = %q, want the webhook's", r.Path)
	}
	doc := r.JSON(t)
	if got := path(t, doc, "text"); got != "DOWN | backup &lt;db&gt;" {
		t.Errorf("text = %q, want the escaped subject", got)
	}
	att := path(t, doc, "attachments", 0)
	if got := path(t, att, "color"); got != "#d9534f" {
		t.Errorf("color = %v, want red", got)
	}
	if got := path(t, att, "blocks", 0, "type"); got != "header" {
		t.Errorf("first block = %v, want a header", got)
	}
	if got := path(t, att, "blocks", 1, "text", "text").(string); !strings.Contains(got, "A failure signal arrived (Exit status 3).") {
		t.Errorf("section = %q, want why it went down", got)
	}
	fields := path(t, att, "blocks", 2, "fields").([]any)
	if len(fields) == 0 || len(fields) > 10 {
		t.Errorf("%d fields, want 1 to 10 (Slack's limit)", len(fields))
	}
	var all strings.Builder
	for i := range fields {
		all.WriteString(path(t, fields[i], "text").(string) + "\n")
	}
	for _, want := range []string{"*Schedule*\n0 3 * * * (Europe/Riga)", "*Last ping type*\nExit status 3"} {
		if !strings.Contains(all.String(), want) {
			t.Errorf("fields %q lack %q", all.String(), want)
		}
	}
	if got := path(t, att, "blocks", 3, "text", "text").(string); !strings.Contains(got, "```pg_dump: error: connection refused```") {
		t.Errorf("body block = %q, want the body excerpt", got)
	}
	if got := path(t, att, "blocks", 4, "elements", 0, "url"); got != "https://overdue.example/api/v3/checks/2753e3d5-83f9-46cb-a402-18ab2e8561c3" {
		t.Errorf("button url = %v, want the check's link", got)
	}

	if err := sendKind(t, "slack", s.URL+"/services/T0/B0/KEY", upAlert(), nil); err != nil {
		t.Fatal(err)
	}
	doc = s.one(t).JSON(t)
	if got := path(t, doc, "text"); got != "UP | backup &lt;db&gt;" {
		t.Errorf("up text = %q", got)
	}
	if got := path(t, doc, "attachments", 0, "color"); got != "#36a64f" {
		t.Errorf("up color = %v, want green", got)
	}
}

// TestDiscord: a webhook execution with one embed (title, description, colour as an integer,
// fields, ISO timestamp, url) and no mentions.
func TestDiscord(t *testing.T) {
	s := newService(t, 204, "")
	if err := sendKind(t, "discord", `{"webhook": {"url": "`+s.URL+`/api/webhooks/1/tok"}}`, downAlert(), nil); err != nil {
		t.Fatal(err)
	}
	r := s.one(t)
	wantJSON(t, r)
	if r.Path != "/api/webhooks/1/tok" {
		t.Errorf("path = %q", r.Path)
	}
	doc := r.JSON(t)
	embed := path(t, doc, "embeds", 0)
	if got := path(t, embed, "title"); got != "DOWN | backup <db>" {
		t.Errorf("title = %v", got)
	}
	if got := path(t, embed, "color"); got != float64(0xd9534f) {
		t.Errorf("color = %v, want %d", got, 0xd9534f)
	}
	if got := path(t, embed, "timestamp"); got != "2026-11-24T20:08:55Z" {
		t.Errorf("timestamp = %v", got)
	}
	if got := path(t, embed, "url"); got != "https://overdue.example/api/v3/checks/2753e3d5-83f9-46cb-a402-18ab2e8561c3" {
		t.Errorf("url = %v", got)
	}
	fields := path(t, embed, "fields").([]any)
	last := fields[len(fields)-1]
	if path(t, last, "name") != "Last ping body" || !strings.Contains(path(t, last, "value").(string), "connection refused") {
		t.Errorf("last field = %v, want the body excerpt", last)
	}
	if got := path(t, doc, "allowed_mentions", "parse"); len(got.([]any)) != 0 {
		t.Errorf("allowed_mentions.parse = %v, want none", got)
	}
	if err := sendKind(t, "discord", s.URL+"/api/webhooks/1/tok", upAlert(), nil); err != nil {
		t.Fatal(err)
	}
	embed = path(t, s.one(t).JSON(t), "embeds", 0)
	if path(t, embed, "title") != "UP | backup <db>" || path(t, embed, "color") != float64(0x36a64f) {
		t.Errorf("up embed = %v", embed)
	}
}

// TestTeamsWorkflow: a message with one Adaptive Card attachment.
func TestTeamsWorkflow(t *testing.T) {
	s := newService(t, 202, "")
	if err := sendKind(t, "msteamsw", s.URL+"/workflows/abc/triggers/manual/paths/invoke?sig=SECRET", downAlert(), nil); err != nil {
		t.Fatal(err)
	}
	r := s.one(t)
	wantJSON(t, r)
	if r.Path != "/workflows/abc/triggers/manual/paths/invoke" || r.Query != "sig=SECRET" {
		t.Errorf("URL = %s?%s, want the workflow's, query kept", r.Path, r.Query)
	}
	doc := r.JSON(t)
	if path(t, doc, "type") != "message" || path(t, doc, "attachments", 0, "contentType") != "application/vnd.microsoft.card.adaptive" {
		t.Errorf("envelope = %v", doc)
	}
	card := path(t, doc, "attachments", 0, "content")
	if path(t, card, "type") != "AdaptiveCard" || path(t, card, "version") != "1.4" {
		t.Errorf("card type/version = %v/%v", path(t, card, "type"), path(t, card, "version"))
	}
	if path(t, card, "body", 0, "text") != "DOWN | backup <db>" || path(t, card, "body", 0, "color") != "Attention" {
		t.Errorf("title block = %v", path(t, card, "body", 0))
	}
	if path(t, card, "body", 2, "type") != "FactSet" || path(t, card, "body", 2, "facts", 0, "title") != "Reason" {
		t.Errorf("facts = %v", path(t, card, "body", 2))
	}
	if path(t, card, "actions", 0, "type") != "Action.OpenUrl" {
		t.Errorf("actions = %v", path(t, card, "actions"))
	}
	if err := sendKind(t, "msteamsw", s.URL+"/w", upAlert(), nil); err != nil {
		t.Fatal(err)
	}
	card = path(t, s.one(t).JSON(t), "attachments", 0, "content")
	if path(t, card, "body", 0, "color") != "Good" {
		t.Errorf("up title block = %v", path(t, card, "body", 0))
	}
}

// TestMattermost: Slack's attachment format, which Mattermost's incoming webhooks take.
func TestMattermost(t *testing.T) {
	s := newService(t, 200, "ok")
	if err := sendKind(t, "mattermost", s.URL+"/hooks/key", downAlert(), nil); err != nil {
		t.Fatal(err)
	}
	r := s.one(t)
	wantJSON(t, r)
	att := path(t, r.JSON(t), "attachments", 0)
	if path(t, att, "title") != "DOWN | backup <db>" || path(t, att, "color") != "#d9534f" ||
		path(t, att, "title_link") != "https://overdue.example/api/v3/checks/2753e3d5-83f9-46cb-a402-18ab2e8561c3" {
		t.Errorf("attachment = %v", att)
	}
	if f := path(t, att, "fields", 0); path(t, f, "title") != "Reason" || path(t, f, "short") != true {
		t.Errorf("first field = %v", f)
	}
	if err := sendKind(t, "mattermost", s.URL+"/hooks/key", upAlert(), nil); err != nil {
		t.Fatal(err)
	}
	if att := path(t, s.one(t).JSON(t), "attachments", 0); path(t, att, "color") != "#36a64f" {
		t.Errorf("up attachment = %v", att)
	}
}

// TestGoogleChat: a card (cardsV2) with header, facts and a button, and "text" for the
// notification line.
func TestGoogleChat(t *testing.T) {
	s := newService(t, 200, `{"name":"spaces/x/messages/y"}`)
	u := s.URL + "/v1/spaces/AAAA/messages?key=KEY&token=TOKEN"
	if err := sendKind(t, "googlechat", u, downAlert(), nil); err != nil {
		t.Fatal(err)
	}
	r := s.one(t)
	if r.Method != "POST" || r.Header.Get("Content-Type") != "application/json; charset=UTF-8" ||
		r.Path != "/v1/spaces/AAAA/messages" || r.Query != "key=KEY&token=TOKEN" {
		t.Errorf("request = %s %s?%s (%s)", r.Method, r.Path, r.Query, r.Header.Get("Content-Type"))
	}
	doc := r.JSON(t)
	card := path(t, doc, "cardsV2", 0, "card")
	if path(t, doc, "text") != "DOWN | backup <db>" || path(t, card, "header", "title") != "DOWN | backup <db>" ||
		path(t, card, "header", "subtitle") != "has gone down" {
		t.Errorf("down = %v", doc)
	}
	widgets := path(t, card, "sections", 0, "widgets").([]any)
	if got := path(t, widgets[0], "textParagraph", "text").(string); !strings.Contains(got, "backup &lt;db&gt;") {
		t.Errorf("first widget = %q, want the escaped headline", got)
	}
	if got := path(t, widgets[len(widgets)-1], "buttonList", "buttons", 0, "onClick", "openLink", "url"); got != "https://overdue.example/api/v3/checks/"+checkUUID {
		t.Errorf("button = %v", got)
	}
	if err := sendKind(t, "googlechat", u, upAlert(), nil); err != nil {
		t.Fatal(err)
	}
	if up := s.one(t).JSON(t); path(t, up, "cardsV2", 0, "card", "header", "subtitle") != "is up" {
		t.Errorf("up = %v", up)
	}
}

// TestRocketChat: the Slack-style attachment Rocket.Chat's incoming webhooks take.
func TestRocketChat(t *testing.T) {
	s := newService(t, 200, `{"success":true}`)
	u := s.URL + "/hooks/ID/TOKEN"
	if err := sendKind(t, "rocketchat", u, downAlert(), nil); err != nil {
		t.Fatal(err)
	}
	r := s.one(t)
	wantJSON(t, r)
	att := path(t, r.JSON(t), "attachments", 0)
	if r.Path != "/hooks/ID/TOKEN" || path(t, att, "title") != "DOWN | backup <db>" || path(t, att, "color") != "#d9534f" {
		t.Errorf("down = %s %v", r.Path, att)
	}
	if !strings.Contains(path(t, att, "text").(string), "connection refused") {
		t.Errorf("text = %v, want the body excerpt", path(t, att, "text"))
	}
	if err := sendKind(t, "rocketchat", u, upAlert(), nil); err != nil {
		t.Fatal(err)
	}
	if att := path(t, s.one(t).JSON(t), "attachments", 0); path(t, att, "color") != "#36a64f" {
		t.Errorf("up = %v", att)
	}
}
