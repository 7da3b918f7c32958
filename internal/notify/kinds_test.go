package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/notify"
)

// request is one request a loopback service received.
type request struct {
	Method, Path, Query string
	Header              http.Header
	Body                []byte
}

// JSON decodes the body into a generic document.
func (r request) JSON(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(r.Body, &doc); err != nil {
		t.Fatalf("body %s is not a JSON object: %v", r.Body, err)
	}
	return doc
}

// service is a loopback stand-in for a vendor: it records requests and answers as told.
type service struct {
	*httptest.Server
	got    chan request
	status int
	header http.Header
	body   string
}

func newService(t *testing.T, status int, body string, header ...string) *service {
	t.Helper()
	s := &service{got: make(chan request, 10), status: status, body: body, header: http.Header{}}
	for i := 0; i+1 < len(header); i += 2 {
		s.header.Set(header[i], header[i+1])
	}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.got <- request{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), b}
		for k, vs := range s.header {
			w.Header()[k] = vs
		}
		w.WriteHeader(s.status)
		io.WriteString(w, s.body)
	}))
	t.Cleanup(s.Close)
	return s
}

// one is the one request the service got.
func (s *service) one(t *testing.T) request {
	t.Helper()
	select {
	case r := <-s.got:
		return r
	default:
		t.Fatal("the service got no request")
	}
	return request{}
}

// downAlert is a check that went down on a failure signal, exit status 3, with a body.
func downAlert() notify.Alert {
	a := exitAlert(3)
	a.Check.Name = "backup <db>"
	a.LastPing.Body = []byte("pg_dump: error: connection refused")
	a.URL = "https://overdue.example/api/v3/checks/" + a.Check.ID
	return a
}

// upAlert is the same check coming back up.
func upAlert() notify.Alert {
	a := downAlert()
	a.Flip = &check.Flip{ID: "8", CheckID: a.Check.ID, Created: t0.Add(5 * time.Minute),
		OldStatus: check.StatusDown, NewStatus: check.StatusUp}
	a.LastPing = &check.Ping{CheckID: a.Check.ID, N: 5, Created: t0.Add(5 * time.Minute), Kind: check.PingSuccess}
	return a
}

func messageOf(t *testing.T, a notify.Alert) *notify.Message {
	t.Helper()
	m, err := notify.NewMessage(a)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// sendKind sends a to a channel of kind with value through the service transports, with the
// base URLs given.
func sendKind(t *testing.T, kind, value string, a notify.Alert, bases map[string]string) error {
	t.Helper()
	if err := notify.ValidateChannel(kind, value); err != nil {
		t.Fatalf("ValidateChannel(%s, …) = %v", kind, err)
	}
	tr := notify.NewServices(notify.ServicesConfig{BaseURLs: bases, Now: func() time.Time { return t0 }})[kind]
	if tr == nil {
		t.Fatalf("no transport for %s", kind)
	}
	ch := &check.Channel{ID: "e0000000-0000-4000-8000-000000000009", ProjectID: "p", Kind: kind, Value: value}
	return tr.Send(t.Context(), ch, messageOf(t, a), "delivery-1")
}

// path digs a value out of a decoded JSON document: keys for objects, indexes for arrays.
func path(t *testing.T, doc any, keys ...any) any {
	t.Helper()
	cur := doc
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, ok := cur.(map[string]any)
			if !ok {
				t.Fatalf("at %q: %v is not an object", k, cur)
			}
			cur = m[k]
		case int:
			a, ok := cur.([]any)
			if !ok || k >= len(a) {
				t.Fatalf("at [%d]: %v is not an array that long", k, cur)
			}
			cur = a[k]
		}
	}
	return cur
}

func wantJSON(t *testing.T, r request) {
	t.Helper()
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("request = %s with Content-Type %q, want a POST of application/json", r.Method, r.Header.Get("Content-Type"))
	}
}

// TestServiceOutcomes: how every service kind's answers are classified, on one kind.
func TestServiceOutcomes(t *testing.T) {
	for _, tc := range []struct {
		name      string
		status    int
		body      string
		header    []string
		permanent bool
		wait      time.Duration // Retry-After, 0 for none
		errText   string
	}{
		{name: "ok", status: 200},
		{name: "accepted", status: 202},
		{name: "throttled", status: 429, header: []string{"Retry-After", "120"}, wait: 2 * time.Minute, errText: "Slack answered 429"},
		{name: "throttled, date", status: 429, header: []string{"Retry-After", t0.Add(time.Hour).Format(http.TimeFormat)}, wait: time.Hour},
		{name: "throttled, absurd", status: 429, header: []string{"Retry-After", "99999999"}, wait: notify.MaxRetryAfter},
		{name: "unavailable", status: 503, errText: "Slack answered 503"},
		{name: "not found", status: 404, body: "no_service", permanent: true, errText: "Slack answered 404: no_service"},
		{name: "json error", status: 400, body: `{"message": "Invalid blocks"}`, permanent: true, errText: "Slack answered 400: Invalid blocks"},
		{name: "echoes the key", status: 403, body: "invalid_token T000/B000/SECRETKEY123", permanent: true, errText: "Slack answered 403: invalid_token T000/B000/…"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newService(t, tc.status, tc.body, tc.header...)
			err := sendKind(t, "slack", s.URL+"/services/T000/B000/SECRETKEY123", downAlert(), nil)
			s.one(t)
			if tc.status < 300 {
				if err != nil {
					t.Fatalf("Send = %v, want nil", err)
				}
				return
			}
			if err == nil || notify.IsPermanent(err) != tc.permanent {
				t.Fatalf("Send = %v (permanent %v), want permanent %v", err, notify.IsPermanent(err), tc.permanent)
			}
			wait, ok := notify.RetryAfter(err)
			if wait != tc.wait || ok != (tc.wait != 0) {
				t.Errorf("RetryAfter = %v, %v; want %v", wait, ok, tc.wait)
			}
			if tc.errText != "" && err.Error() != tc.errText {
				t.Errorf("error = %q, want %q", err, tc.errText)
			}
			if strings.Contains(err.Error(), "SECRETKEY123") {
				t.Errorf("error %q carries the webhook's key", err)
			}
		})
	}
}

func TestServiceTimeoutIsTransient(t *testing.T) {
	release := make(chan struct{})
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer s.Close()
	defer close(release)
	tr := notify.NewServices(notify.ServicesConfig{Timeout: 50 * time.Millisecond})["slack"]
	err := tr.Send(context.Background(), &check.Channel{Kind: "slack", Value: s.URL + "/x"}, messageOf(t, downAlert()), "d")
	if err == nil || notify.IsPermanent(err) || err.Error() != "Slack did not answer in time" {
		t.Errorf("Send = %v, want a transient timeout", err)
	}
}

func TestServiceBlockPrivate(t *testing.T) {
	s := newService(t, 200, "")
	tr := notify.NewServices(notify.ServicesConfig{BlockPrivate: true})["slack"]
	err := tr.Send(t.Context(), &check.Channel{Kind: "slack", Value: s.URL + "/x"}, messageOf(t, downAlert()), "d")
	if !notify.IsPermanent(err) {
		t.Errorf("Send to loopback with BlockPrivate = %v, want a permanent refusal", err)
	}
}

// TestServiceBaseURLNotGuarded: with BlockPrivate, an ntfy channel naming a loopback server is
// refused, but the operator's OVERDUE_URL_NTFY on loopback is reached.
func TestServiceBaseURLNotGuarded(t *testing.T) {
	s := newService(t, 200, "")
	tr := notify.NewServices(notify.ServicesConfig{BlockPrivate: true, BaseURLs: map[string]string{"ntfy": s.URL}})["ntfy"]
	m := messageOf(t, downAlert())
	if err := tr.Send(t.Context(), &check.Channel{Kind: "ntfy", Value: `{"topic": "t"}`}, m, "d"); err != nil {
		t.Errorf("Send to the configured server = %v, want it reached", err)
	}
	s.one(t)
	if err := tr.Send(t.Context(), &check.Channel{Kind: "ntfy", Value: `{"topic": "t", "url": "http://127.0.0.1:1"}`}, m, "d"); !notify.IsPermanent(err) {
		t.Errorf("Send to a server the value names on loopback = %v, want a permanent refusal", err)
	}
}

func TestValidateChannel(t *testing.T) {
	for _, tc := range []struct {
		kind, value string
		want        string // "" for valid; else a part of the error
	}{
		{"email", "alice@example.org", ""},
		{"slack", "https://hooks.slack.com/services/T000/B000/XXXX", ""},
		{"slack", `{"incoming_webhook": {"url": "https://hooks.slack.com/services/T/B/X"}}`, ""},
		{"slack", "hooks.slack.com/services/T/B/X", "the scheme must be https"},
		{"slack", `{"incoming_webhook": {}}`, `field "incoming_webhook.url"`},
		{"slack", "", "invalid slack channel value: it is empty"},
		{"discord", `{"webhook": {"url": "https://discord.com/api/webhooks/1/a"}}`, ""},
		{"msteamsw", "ftp://x", "the scheme must be https"},
		{"mattermost", "https://mm.example.org/hooks/abc", ""},
		{"pd", "0123456789abcdef0123456789abcdef", ""},
		{"pd", `{"service_key": "0123456789abcdef0123456789abcdef", "account": "acme"}`, ""},
		{"pd", `{"service": "x"}`, `field "service_key": is missing`},
		{"pd", `{"service_key": "short"}`, `field "service_key": not a PagerDuty integration key`},
		{"pd", "not a key!", "not a PagerDuty integration key"},
		{"opsgenie", `{"key": "eb243592-faa2-4ba2-a551-1afdf565c889", "region": "mars"}`, `field "region": must be "us" or "eu"`},
		{"opsgenie", `{"region": "eu"}`, `field "key": is missing`},
		{"telegram", `{"token": "123:abc", "chat_id": 1}`, `field "token": not a bot token`},
		{"telegram", `{"token": "123456:ABCdefGHIjklMNOpqrSTUvwxYZ0123456"}`, `field "chat_id": is missing`},
		{"telegram", `{"token": "123456:ABCdefGHIjklMNOpqrSTUvwxYZ0123456", "chat_id": "ops"}`, `field "chat_id": is neither`},
		{"telegram", `{"token": "123456:ABCdefGHIjklMNOpqrSTUvwxYZ0123456", "chat_id": 5, "thread_id": -1}`, `field "thread_id"`},
		{"ntfy", "https://ntfy.sh/alerts", ""},
		{"ntfy", `{"topic": "alerts", "priority": 9}`, `field "priority": must be a whole number from 1`},
		{"ntfy", `{"topic": "a/b"}`, `field "topic"`},
		{"ntfy", `{"topic": "a", "tags": "x"}`, `field "tags"`},
		{"gotify", `{"url": "https://gotify.example.org"}`, `field "token": is missing`},
		{"gotify", `{"url": "gotify.example.org", "token": "x"}`, `field "url": the scheme must be https`},
		{"googlechat", "https://chat.googleapis.com/v1/spaces/A/messages?key=k&token=t", ""},
		{"rocketchat", "", "invalid rocketchat channel value: it is empty"},
		{"po", `{"user_key": "uQiRzpo4DXghDmr9QzzfQu27cmVRsG"}`, `field "app_token": is missing`},
		{"po", `{"user_key": "short", "app_token": "azGDORePK8gMaC0QOYAMyEEuzJnyUi"}`, `field "user_key": is not 30`},
		{"po", `{"user_key": "uQiRzpo4DXghDmr9QzzfQu27cmVRsG", "app_token": "azGDORePK8gMaC0QOYAMyEEuzJnyUi", "priority": 3}`, `field "priority"`},
		{"victorops", "https://alert.victorops.com/integrations/generic/20131114/alert/k/r", ""},
		{"pagertree", "not a url", "invalid pagertree channel value"},
		{"zulip", `{"bot_email": "bot@example.org", "api_key": "k1", "site": "https://z.example.org", "to": "ops", "mtype": "group"}`, `field "mtype"`},
		{"zulip", `{"bot_email": "bot", "api_key": "k1", "site": "https://z.example.org", "to": "ops"}`, `field "bot_email"`},
		{"zulip", `{"bot_email": "bot@example.org", "api_key": "k1", "site": "https://z.example.org"}`, `field "to": is missing`},
		{"matrix", `{"room_id": "#ops:example.org", "access_token": "t"}`, `field "room_id": is not a room ID`},
		{"matrix", `{"room_id": "!ops:example.org"}`, `field "access_token": is missing`},
		{"matrix", `{"room_id": "!ops:example.org", "access_token": "t", "homeserver": "matrix.org"}`, `field "homeserver"`},
		{"pushbullet", "short", "not a Pushbullet access token"},
		{"spike", "x", "invalid spike channel value"},
		{"trello", `{"key": "0123456789abcdef0123456789abcdef", "token": "0123456789abcdef0123456789abcdef"}`, `field "list_id": is missing`},
		{"call", `{"account_sid": "XX0123456789abcdef0123456789abcdef", "auth_token": "0123456789abcdef0123", "from": "+14155550100", "to": "+14155550101"}`, `field "account_sid"`},
		{"whatsapp", `{"account_sid": "AC0123456789abcdef0123456789abcdef", "auth_token": "0123456789abcdef0123", "from": "+14155550100", "to": "14155550101"}`, `field "to": is not an E.164`},
		{"signal", `{"from": "+14155550100", "to": "group.YWJjZA=="}`, ""},
		{"signal", `{"from": "4155550100", "to": "+14155550101"}`, `field "from"`},
		{"signal", `{"from": "+14155550100", "to": "ops"}`, `field "to": is neither`},
		{"carrier-pigeon", "x", `unknown channel kind "carrier-pigeon": send one of email, sms, sns, webhook, slack`},
		{"", "x", "channel kind is missing"},
	} {
		err := notify.ValidateChannel(tc.kind, tc.value)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("ValidateChannel(%q, %q) = %v, want nil", tc.kind, tc.value, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("ValidateChannel(%q, %q) = %v, want an error containing %q", tc.kind, tc.value, err, tc.want)
		}
	}
}

func TestParseBaseURLs(t *testing.T) {
	env := map[string]string{"OVERDUE_URL_PD": "http://127.0.0.1:9/pd/", "OVERDUE_URL_SLACK": "http://ignored"}
	got, err := notify.ParseBaseURLs(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil || len(got) != 1 || got["pd"] != "http://127.0.0.1:9/pd" {
		t.Errorf("ParseBaseURLs = %v, %v; want pd only (slack's value is its URL), without the trailing slash", got, err)
	}
	env = map[string]string{"OVERDUE_URL_PD": "events.example"}
	_, err = notify.ParseBaseURLs(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err == nil || !strings.Contains(err.Error(), "OVERDUE_URL_PD") {
		t.Errorf("ParseBaseURLs(bad) = %v, want an error naming OVERDUE_URL_PD", err)
	}
}

// TestRetryAfterHonoured: a Retry-After later than the next backoff step moves the retry; an
// earlier one does not shorten it.
func TestRetryAfterHonoured(t *testing.T) {
	for _, tc := range []struct {
		wait, want time.Duration
	}{
		{5 * time.Minute, 5 * time.Minute},
		{10 * time.Second, notify.DefaultBackoff[0]},
	} {
		e := newEnv(t)
		d := e.dispatcher()
		hook := e.fakes[check.ChannelWebhook]
		hook.fail(&notify.RetryAfterError{Err: errors.New("Slack answered 429"), Wait: tc.wait})
		e.ping(t, check.PingSuccess)
		f := e.ping(t, check.PingFail)
		e.run(t, d)
		rec := e.delivery(t, f, check.ChannelWebhook)
		if rec.Status != "retrying" || !rec.NextAttempt.Equal(e.now.Add(tc.want)) {
			t.Errorf("Retry-After %v: %s, next %v; want retrying at +%v", tc.wait, rec.Status, rec.NextAttempt.Sub(e.now), tc.want)
		}
	}
}
