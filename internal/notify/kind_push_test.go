package notify_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/notify"
)

func isPermanent(err error) bool { return notify.IsPermanent(err) }

// TestTelegram: sendMessage at <base>/bot<token>/sendMessage, HTML parse mode, escaped.
func TestTelegram(t *testing.T) {
	s := newService(t, 200, `{"ok":true,"result":{}}`)
	bases := map[string]string{"telegram": s.URL}
	const token = "123456:ABCdefGHIjklMNOpqrSTUvwxYZ0123456"
	value := `{"token": "` + token + `", "chat_id": -1001234567890, "thread_id": 7}`
	if err := sendKind(t, "telegram", value, downAlert(), bases); err != nil {
		t.Fatal(err)
	}
	r := s.one(t)
	wantJSON(t, r)
	if r.Path != "/bot"+token+"/sendMessage" {
		t.Errorf("path = %q", r.Path)
	}
	doc := r.JSON(t)
	if path(t, doc, "parse_mode") != "HTML" || path(t, doc, "chat_id") != float64(-1001234567890) || path(t, doc, "message_thread_id") != float64(7) {
		t.Errorf("body = %v", doc)
	}
	text := path(t, doc, "text").(string)
	for _, want := range []string{`🔴 The check <a href="https://overdue.example/api/v3/checks/` + checkUUID + `">backup &lt;db&gt;</a> is <b>DOWN</b>.`,
		"A failure signal arrived (Exit status 3).", "<pre>pg_dump: error: connection refused</pre>"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if err := sendKind(t, "telegram", `{"token": "`+token+`", "chat_id": "@ops_alerts"}`, upAlert(), bases); err != nil {
		t.Fatal(err)
	}
	up := s.one(t).JSON(t)
	if path(t, up, "chat_id") != "@ops_alerts" || !strings.Contains(path(t, up, "text").(string), "🟢") {
		t.Errorf("up = %v", up)
	}
	// Telegram's refusal: the description, without the token the URL carries.
	bad := newService(t, 400, `{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}`)
	if err := sendKind(t, "telegram", value, downAlert(), map[string]string{"telegram": bad.URL}); !isPermanentWith(err, "Telegram answered 400: Bad Request: chat not found") {
		t.Errorf("Send to a 400 = %v", err)
	}
	// Its flood control puts the wait in the body.
	flood := newService(t, 429, `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 35","parameters":{"retry_after":35}}`)
	err := sendKind(t, "telegram", value, downAlert(), map[string]string{"telegram": flood.URL})
	if wait, ok := notify.RetryAfter(err); !ok || wait != 35*time.Second || isPermanent(err) {
		t.Errorf("Send to a 429 = %v, wait %v; want transient, 35s", err, wait)
	}
}

// TestNtfy: JSON publishing to the server root, priority and tags by status, bearer token.
func TestNtfy(t *testing.T) {
	s := newService(t, 200, `{"id":"x"}`)
	value := `{"topic": "backups", "url": "` + s.URL + `", "priority": 5, "priority_up": 2, "token": "tk_secret", "tags": ["db"]}`
	if err := sendKind(t, "ntfy", value, downAlert(), nil); err != nil {
		t.Fatal(err)
	}
	r := s.one(t)
	wantJSON(t, r)
	if r.Path != "/" || r.Header.Get("Authorization") != "Bearer tk_secret" {
		t.Errorf("request = %s (%q)", r.Path, r.Header.Get("Authorization"))
	}
	doc := r.JSON(t)
	if path(t, doc, "topic") != "backups" || path(t, doc, "priority") != float64(5) || path(t, doc, "tags", 0) != "red_circle" ||
		path(t, doc, "tags", 1) != "db" || path(t, doc, "title") != "DOWN | backup <db>" ||
		path(t, doc, "click") != "https://overdue.example/api/v3/checks/"+checkUUID || path(t, doc, "actions", 0, "action") != "view" {
		t.Errorf("down = %v", doc)
	}
	// A plain topic URL; the server is the URL without the topic.
	if err := sendKind(t, "ntfy", s.URL+"/alerts", upAlert(), nil); err != nil {
		t.Fatal(err)
	}
	r = s.one(t)
	up := r.JSON(t)
	if r.Path != "/" || r.Header.Get("Authorization") != "" || path(t, up, "topic") != "alerts" ||
		path(t, up, "priority") != float64(3) || path(t, up, "tags", 0) != "green_circle" {
		t.Errorf("up = %s %v", r.Path, up)
	}
	// Without a server, OVERDUE_URL_NTFY's.
	if err := sendKind(t, "ntfy", `{"topic": "t1"}`, upAlert(), map[string]string{"ntfy": s.URL + "/ntfy"}); err != nil {
		t.Fatal(err)
	}
	if r := s.one(t); r.Path != "/ntfy/" {
		t.Errorf("path = %q, want the configured server's root", r.Path)
	}
}

// TestGotify: POST <server>/message with the app token in X-Gotify-Key, Markdown extras.
func TestGotify(t *testing.T) {
	s := newService(t, 200, `{"id":1}`)
	value := `{"url": "` + s.URL + `/gotify/", "token": "AbCdEf.123"}`
	if err := sendKind(t, "gotify", value, downAlert(), nil); err != nil {
		t.Fatal(err)
	}
	r := s.one(t)
	wantJSON(t, r)
	doc := r.JSON(t)
	if r.Path != "/gotify/message" || r.Header.Get("X-Gotify-Key") != "AbCdEf.123" || r.Query != "" {
		t.Errorf("request = %s?%s (%q)", r.Path, r.Query, r.Header.Get("X-Gotify-Key"))
	}
	if path(t, doc, "title") != "DOWN | backup <db>" || path(t, doc, "priority") != float64(8) ||
		path(t, doc, "extras", "client::display", "contentType") != "text/markdown" {
		t.Errorf("down = %v", doc)
	}
	if err := sendKind(t, "gotify", value, upAlert(), nil); err != nil {
		t.Fatal(err)
	}
	if up := s.one(t).JSON(t); path(t, up, "priority") != float64(5) || path(t, up, "title") != "UP | backup <db>" {
		t.Errorf("up = %v", up)
	}
	bad := newService(t, 401, `{"error":"Unauthorized","errorCode":401,"errorDescription":"you need to provide a valid access token or user credentials to access this api"}`)
	if err := sendKind(t, "gotify", `{"url": "`+bad.URL+`", "token": "AbCdEf.123"}`, downAlert(), nil); !isPermanentWith(err, "Gotify answered 401: Unauthorized") {
		t.Errorf("Send to a 401 = %v", err)
	}
}

// TestPushover: form-encoded messages.json with token, user, HTML, priority by status and the
// emergency retry/expire.
func TestPushover(t *testing.T) {
	s := newService(t, 200, `{"status":1,"request":"x"}`)
	bases := map[string]string{"po": s.URL}
	const user, app = "uQiRzpo4DXghDmr9QzzfQu27cmVRsG", "azGDORePK8gMaC0QOYAMyEEuzJnyUi"
	value := `{"user_key": "` + user + `", "app_token": "` + app + `", "priority": 2, "priority_up": -1}`
	if err := sendKind(t, "po", value, downAlert(), bases); err != nil {
		t.Fatal(err)
	}
	r := s.one(t)
	if r.Method != "POST" || r.Path != "/1/messages.json" || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		t.Errorf("request = %s %s (%s)", r.Method, r.Path, r.Header.Get("Content-Type"))
	}
	form, err := url.ParseQuery(string(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"token": app, "user": user, "title": "DOWN | backup <db>", "html": "1",
		"priority": "2", "retry": "300", "expire": "3600", "url": "https://overdue.example/api/v3/checks/" + checkUUID,
		"timestamp": "1795550935"} {
		if got := form.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if !strings.Contains(form.Get("message"), "<b>Last ping type:</b> Exit status 3") {
		t.Errorf("message = %q", form.Get("message"))
	}
	if err := sendKind(t, "po", value, upAlert(), bases); err != nil {
		t.Fatal(err)
	}
	form, _ = url.ParseQuery(string(s.one(t).Body))
	if form.Get("priority") != "-1" || form.Has("retry") || form.Get("title") != "UP | backup <db>" {
		t.Errorf("up form = %v", form)
	}
	bad := newService(t, 400, `{"user":"invalid","errors":["user identifier is not a valid user, group, or subscribed user key"],"status":0,"request":"x"}`)
	if err := sendKind(t, "po", value, downAlert(), map[string]string{"po": bad.URL}); !isPermanentWith(err, "Pushover answered 400: user identifier is not a valid user, group, or subscribed user key") {
		t.Errorf("Send to a 400 = %v", err)
	}
}
