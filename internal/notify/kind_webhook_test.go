package notify_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/notify"
)

// hcWebhook is a channel in Healthchecks' stored webhook form, pointed at u.
func hcWebhook(u string) *check.Channel {
	doc := map[string]any{
		"method_down": "POST",
		"url_down":    u + "/down?name=$NAME&tags=$TAGS&t1=$TAG1&now=$NOW&code=$CODE&body=$BODY",
		"body_down":   `{"text": "$NAME is $STATUS ($EXITSTATUS)", "name": $NAME_JSON, "out": $BODY_JSON, "t10": "$TAG10", "raw": "$BODY"}`,
		"headers_down": map[string]string{
			"Content-Type": "application/json",
			"X-Check":      "$NAME ☃",
		},
		"method_up":  "GET",
		"url_up":     u + "/up/$CODE?s=$STATUS",
		"body_up":    "ignored for GET",
		"headers_up": map[string]string{},
	}
	b, _ := json.Marshal(doc)
	return hook(string(b))
}

// TestHealthchecksWebhook: a channel in Healthchecks' JSON form sends its own request for down
// and for up, placeholders expanded as Healthchecks' Webhook.prepare does (URL-encoded in the
// URL, raw in the body, Latin-1 in headers), each signed over its body.
func TestHealthchecksWebhook(t *testing.T) {
	s := newService(t, 200, "")
	ch := hcWebhook(s.URL)
	if err := notify.ValidateChannel(check.ChannelWebhook, ch.Value); err != nil {
		t.Fatalf("ValidateChannel = %v", err)
	}
	w := newWebhook(t, notify.WebhookConfig{})
	secret := notify.WebhookSecret(serverSecret, ch.ID)

	down := downAlert()
	down.Check.Tags = "prod db/1"
	if err := w.Send(t.Context(), ch, messageOf(t, down), "d-1"); err != nil {
		t.Fatalf("Send down = %v", err)
	}
	r := s.one(t)
	if r.Method != "POST" || r.Path != "/down" {
		t.Errorf("down request = %s %s, want POST /down", r.Method, r.Path)
	}
	// $BODY is not expanded in URLs; "/" stays, as Python's quote leaves it.
	wantQuery := "name=backup%20%3Cdb%3E&tags=prod%20db/1&t1=prod&now=2026-11-24T20%3A08%3A55%2B00%3A00" +
		"&code=2753e3d5-83f9-46cb-a402-18ab2e8561c3&body=$BODY"
	if r.Query != wantQuery {
		t.Errorf("down query = %s\nwant %s", r.Query, wantQuery)
	}
	wantBody := `{"text": "backup <db> is down (3)", "name": "backup <db>", "out": "pg_dump: error: connection refused", "t10": "prod0", "raw": "pg_dump: error: connection refused"}`
	if string(r.Body) != wantBody {
		t.Errorf("down body = %s\nwant %s", r.Body, wantBody)
	}
	if got := r.Header.Get("X-Check"); got != "backup <db> &#9731;" {
		t.Errorf("X-Check = %q, want the name with the snowman as a character reference", got)
	}
	if got := r.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q", got)
	}
	if got, want := r.Header.Get(notify.SignatureHeader), notify.Sign(secret, r.Body); got != want {
		t.Errorf("down signature = %q, want %q", got, want)
	}
	if got := r.Header.Get(notify.DeliveryHeader); got != "d-1" {
		t.Errorf("down delivery = %q, want d-1", got)
	}

	if err := w.Send(t.Context(), ch, messageOf(t, upAlert()), "d-2"); err != nil {
		t.Fatalf("Send up = %v", err)
	}
	r = s.one(t)
	if r.Method != "GET" || r.Path != "/up/2753e3d5-83f9-46cb-a402-18ab2e8561c3" || r.Query != "s=up" {
		t.Errorf("up request = %s %s?%s, want GET /up/<uuid>?s=up", r.Method, r.Path, r.Query)
	}
	if len(r.Body) != 0 {
		t.Errorf("up body = %q, want none for GET", r.Body)
	}
	if got, want := r.Header.Get(notify.SignatureHeader), notify.Sign(secret, nil); got != want {
		t.Errorf("up signature = %q, want the signature of no bytes %q", got, want)
	}
}

// TestHealthchecksWebhookPlaceholders: values are not expanded twice, $JSON is the check as
// Healthchecks' to_dict, written by json.dumps, and an empty URL sends nothing.
func TestHealthchecksWebhookPlaceholders(t *testing.T) {
	s := newService(t, 200, "")
	ch := hook(`{"method_down": "PUT", "url_down": "` + s.URL + `/d", "body_down": "$NAME|$JSON", "headers_down": {},
		"method_up": "GET", "url_up": "", "body_up": "", "headers_up": {}}`)
	a := downAlert()
	a.Check.Name = "$STATUS é"
	a.Check.Channels = []string{"b", "a"}
	a.SiteRoot = "https://overdue.example"
	w := newWebhook(t, notify.WebhookConfig{})
	if err := w.Send(t.Context(), ch, messageOf(t, a), "d"); err != nil {
		t.Fatal(err)
	}
	name, doc, _ := strings.Cut(string(s.one(t).Body), "|")
	if name != "$STATUS é" {
		t.Errorf("$NAME = %q, want the name unexpanded", name)
	}
	for _, want := range []string{`{"name": "$STATUS \u00e9", "slug": "simple", "tags": "prod db", "desc": "", "grace": 60, `,
		`"status": "down", `, `"uuid": "2753e3d5-83f9-46cb-a402-18ab2e8561c3", "ping_url": "https://overdue.example/ping/2753e3d5-83f9-46cb-a402-18ab2e8561c3", `,
		`"channels": "a,b", "schedule": "0 3 * * *", "tz": "Europe/Riga"}`} {
		if !strings.Contains(doc, want) {
			t.Errorf("$JSON lacks %s:\n%s", want, doc)
		}
	}
	var parsed map[string]any
	if err := json.Unmarshal([]byte(doc), &parsed); err != nil {
		t.Errorf("$JSON is not JSON: %v", err)
	}

	// No up URL: the up notification sends nothing and succeeds (Healthchecks' is_noop).
	if err := w.Send(t.Context(), ch, messageOf(t, upAlert()), "u"); err != nil {
		t.Fatalf("Send up = %v", err)
	}
	select {
	case r := <-s.got:
		t.Errorf("up sent %s %s, want nothing", r.Method, r.Path)
	default:
	}
}

// TestHealthchecksWebhookValidation: errors name the bad field.
func TestHealthchecksWebhookValidation(t *testing.T) {
	for _, tc := range []struct{ value, want string }{
		{`{"method_down": "DELETE", "url_down": "https://x.example/"}`, `field "method_down": "DELETE" is not a method`},
		{`{"url_down": "ftp://x.example/"}`, `field "url_down": the scheme must be https or http`},
		{`{"url_down": "", "url_up": ""}`, `field "url_down": url_down and url_up are both empty`},
		{`{"url_up": "https://x.example/", "headers_up": {"Bad Name": "v"}}`, `field "headers_up": "Bad Name" is not a valid header name`},
		{`{"url_up": "https://x.example/", "headers_up": {"X-Overdue-Signature": "v"}}`, `field "headers_up": "X-Overdue-Signature" is set by Overdue`},
		{`{"url_up": "https://x.example/", "headers_up": ["x"]}`, `field "headers_up": is not an object`},
		{`{"url_up": "https://x.example/", "body_up": 3}`, `field "body_up": is not a string`},
		{`{"url_up": "https://x.example/", "urlup": "x"}`, `field "urlup": is not a webhook field`},
	} {
		err := notify.ValidateChannel(check.ChannelWebhook, tc.value)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ValidateChannel(webhook, %s) = %v, want %q", tc.value, err, tc.want)
		}
	}
	if err := notify.ValidateChannel(check.ChannelWebhook, `{"url_up": "https://x.example/$CODE"}`); err != nil {
		t.Errorf("ValidateChannel of an up-only webhook = %v", err)
	}
	if got := notify.DefaultChannelName(check.ChannelWebhook, `{"url_up": "https://x.example/?token=s"}`); got != "Webhook" {
		t.Errorf("DefaultChannelName = %q, want Webhook (not the value, which may hold a token)", got)
	}
}
