package notify_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestZulip: a form-encoded message to a stream topic, as the bot (basic auth).
func TestZulip(t *testing.T) {
	s := newService(t, 200, `{"result":"success","msg":"","id":42}`)
	value := `{"bot_email": "alerts-bot@example.zulipchat.com", "api_key": "Zk3pQ9xLm2", "site": "` + s.URL + `", "mtype": "stream", "to": "ops"}`
	if err := sendKind(t, "zulip", value, downAlert(), nil); err != nil {
		t.Fatal(err)
	}
	r := s.one(t)
	req := &http.Request{Header: r.Header}
	user, pass, ok := req.BasicAuth()
	if r.Method != "POST" || r.Path != "/api/v1/messages" || !ok || user != "alerts-bot@example.zulipchat.com" || pass != "Zk3pQ9xLm2" ||
		r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		t.Errorf("request = %s %s, basic auth %q/%q %v", r.Method, r.Path, user, pass, ok)
	}
	form, _ := url.ParseQuery(string(r.Body))
	if form.Get("type") != "stream" || form.Get("to") != "ops" || form.Get("topic") != "backup <db>" {
		t.Errorf("form = %v", form)
	}
	if c := form.Get("content"); !strings.Contains(c, ":red_circle: The check [backup <db>](https://overdue.example/api/v3/checks/"+checkUUID+") is **DOWN**.") ||
		!strings.Contains(c, "```\npg_dump: error: connection refused\n```") {
		t.Errorf("content = %q", c)
	}
	if err := sendKind(t, "zulip", value, upAlert(), nil); err != nil {
		t.Fatal(err)
	}
	form, _ = url.ParseQuery(string(s.one(t).Body))
	if !strings.Contains(form.Get("content"), ":green_circle:") || form.Get("topic") != "backup <db>" {
		t.Errorf("up form = %v", form)
	}
	bad := newService(t, 401, `{"result":"error","msg":"Invalid API key","code":"INVALID_API_KEY"}`)
	value = strings.Replace(value, s.URL, bad.URL, 1)
	if err := sendKind(t, "zulip", value, downAlert(), nil); !isPermanentWith(err, "Zulip answered 401: Invalid API key") {
		t.Errorf("Send to a 401 = %v", err)
	}
}

// TestMatrix: an m.notice PUT with the delivery ID as transaction ID, bearer token, HTML body.
func TestMatrix(t *testing.T) {
	s := newService(t, 200, `{"event_id":"$x"}`)
	value := `{"room_id": "!ops:example.org", "access_token": "syt_abc_123"}`
	bases := map[string]string{"matrix": s.URL}
	if err := sendKind(t, "matrix", value, downAlert(), bases); err != nil {
		t.Fatal(err)
	}
	r := s.one(t)
	if r.Method != http.MethodPut || r.Path != "/_matrix/client/v3/rooms/!ops:example.org/send/m.room.message/delivery-1" ||
		r.Header.Get("Authorization") != "Bearer syt_abc_123" || r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("request = %s %s (%q)", r.Method, r.Path, r.Header.Get("Authorization"))
	}
	doc := r.JSON(t)
	if path(t, doc, "msgtype") != "m.notice" || path(t, doc, "format") != "org.matrix.custom.html" ||
		!strings.HasPrefix(path(t, doc, "body").(string), "DOWN | backup <db>\n") ||
		!strings.Contains(path(t, doc, "formatted_body").(string), "backup &lt;db&gt;</a> is <b>DOWN</b>") {
		t.Errorf("down = %v", doc)
	}
	if err := sendKind(t, "matrix", value, upAlert(), bases); err != nil {
		t.Fatal(err)
	}
	if up := s.one(t).JSON(t); !strings.HasPrefix(path(t, up, "body").(string), "UP | backup <db>") {
		t.Errorf("up = %v", up)
	}
	// Every string of the value is cut out of the error, the room ID too: scrubbing errs on the safe side.
	bad := newService(t, 403, `{"errcode":"M_FORBIDDEN","error":"User @bot:example.org not in room !ops:example.org"}`)
	if err := sendKind(t, "matrix", value, downAlert(), map[string]string{"matrix": bad.URL}); !isPermanentWith(err, "Matrix answered 403: User @bot:example.org not in room …") {
		t.Errorf("Send to a 403 = %v", err)
	}
}
