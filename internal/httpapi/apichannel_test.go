package httpapi

import (
	"strings"
	"testing"

	"github.com/overduehq/overdue/internal/notify"
)

// TestCreateChannelUndeliverable: a kind the server cannot deliver is created all the same,
// and the answer says so and how to enable it; a deliverable kind on the same server says
// nothing more.
func TestCreateChannelUndeliverable(t *testing.T) {
	const reason = "this server cannot deliver email channels: start overdue serve with --smtp-host HOST"
	f := newAPIFixture(t, func(c *Config) {
		c.Undeliverable = map[string]string{"email": reason}
	})
	rec := f.api("POST", "/api/v3/channels/", `{"kind":"email","value":"ops@example.org"}`, keyA)
	if rec.Code != 201 {
		t.Fatalf("= %d %s, want 201", rec.Code, rec.Body)
	}
	m := decode(t, rec)
	if m["deliverable"] != false || m["warning"] != reason {
		t.Errorf("deliverable = %v, warning = %v; want false and %q", m["deliverable"], m["warning"], reason)
	}
	if keys := keysOf(t, rec.Body.Bytes()); strings.Join(keys, ",") != "id,name,kind,deliverable,warning" {
		t.Errorf("keys = %v, want id,name,kind,deliverable,warning", keys)
	}
	list := decode(t, f.api("GET", "/api/v3/channels/", "", keyA))["channels"].([]any)
	if len(list) != 1 {
		t.Errorf("listed %v, want the channel created", list)
	}
	m = decode(t, f.api("POST", "/api/v3/channels/", `{"kind":"webhook","value":"https://example.org/h"}`, keyA))
	if _, ok := m["warning"]; ok || m["deliverable"] != true {
		t.Errorf("webhook on the same server = %v, want deliverable and no warning", m)
	}
}

// TestCreateChannel covers POST /api/v3/channels/, Overdue's extension for managing channels.
func TestCreateChannel(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		status int
		want   string // JSON error message, or the created channel's name and kind
	}{
		{"email", `{"kind":"email","name":"Ops","value":"ops@example.org"}`, 201, "Ops email"},
		{"name defaults to the value", `{"kind":"sms","value":"+14155550100"}`, 201, "+14155550100 sms"},
		{"sns", `{"kind":"sns","value":"arn:aws:sns:eu-west-1:123456789012:alerts","unknown":1}`, 201,
			"arn:aws:sns:eu-west-1:123456789012:alerts sns"},
		{"webhook", `{"kind":"webhook","name":"Hook","value":"https://example.org/hook"}`, 201, "Hook webhook"},
		{"bad email", `{"kind":"email","value":"Alice <a@example.org>"}`, 400,
			`invalid email channel value "Alice <a@example.org>": not an email address; send a single address such as alice@example.org, without a display name`},
		{"bad phone", `{"kind":"sms","value":"12345"}`, 400, `invalid sms channel value "12345": not in E.164 form`},
		{"bad arn", `{"kind":"sns","value":"arn:aws:sqs:eu-west-1:123456789012:q"}`, 400, "not an SNS topic ARN"},
		{"bad url", `{"kind":"webhook","value":"ftp://example.org/"}`, 400, "the scheme must be http or https"},
		{"unknown kind", `{"kind":"carrier-pigeon","value":"x"}`, 400, `unknown channel kind "carrier-pigeon": send one of email, sms, sns, webhook, slack, `},
		{"no kind", `{"value":"x"}`, 400, "channel kind is missing: send one of email, sms, sns, webhook, slack, "},
		{"slack", `{"kind":"slack","value":"https://hooks.slack.com/services/T0/B0/KEY"}`, 201, "Slack slack"},
		{"pd as an object", `{"kind":"pd","name":"On call","value":{"service_key":"0123456789abcdef0123456789abcdef"}}`, 201, "On call pd"},
		{"pd without its key", `{"kind":"pd","value":{"account":"acme"}}`, 400, `invalid pd channel value: field "service_key": is missing`},
		{"slack not a URL", `{"kind":"slack","value":"hooks.slack.com"}`, 400, "invalid slack channel value: the scheme must be https"},
		{"no value", `{"kind":"email"}`, 400, "the email channel has no value: send a single address"},
		{"kind not a string", `{"kind":1,"value":"x"}`, 400, "json validation error: kind is not a string"},
		{"value null", `{"kind":"email","value":null}`, 400, "json validation error: value is not a string"},
		{"name too long", `{"kind":"email","value":"a@example.org","name":"` + strings.Repeat("n", 101) + `"}`, 400,
			"json validation error: name is too long (at most 100 characters)"},
		{"name with NUL", `{"kind":"email","value":"a@example.org","name":"ops\u0000"}`, 400,
			"json validation error: name contains a control character (U+0000 at character 4); remove it"},
		{"not json", `{`, 400, "could not parse request body"},
		{"not an object", `"email"`, 400, "json validation error: value is not an object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newAPIFixture(t)
			rec := f.api("POST", "/api/v3/channels/", tt.body, keyA)
			if tt.status != 201 {
				if rec.Code != tt.status {
					t.Errorf("= %d %s, want %d", rec.Code, rec.Body, tt.status)
				}
				m := decode(t, rec)
				if msg, _ := m["error"].(string); !strings.Contains(msg, tt.want) {
					t.Errorf("error = %q, want it to contain %q", msg, tt.want)
				}
				wantResponse(t, f.api("GET", "/api/v3/channels/", "", keyA), 200, `{"channels": []}`)
				return
			}
			if rec.Code != 201 {
				t.Fatalf("= %d %s, want 201", rec.Code, rec.Body)
			}
			wantCORS(t, rec, corsChannels)
			m := decode(t, rec)
			if got := m["name"].(string) + " " + m["kind"].(string); got != tt.want || !isCheckUUID(m["id"].(string)) {
				t.Errorf("created %v, want %s", m, tt.want)
			}
			wantKeys := "id,name,kind,deliverable"
			if m["deliverable"] != true {
				t.Errorf("deliverable = %v, want true on a server that delivers every kind", m["deliverable"])
			}
			if m["kind"] == "webhook" {
				// A webhook's signing secret is shown once, at creation.
				wantKeys += ",secret"
				if want := notify.WebhookSecret(f.secret, m["id"].(string)); m["secret"] != want {
					t.Errorf("secret = %v, want %s", m["secret"], want)
				}
			}
			if keys := keysOf(t, rec.Body.Bytes()); strings.Join(keys, ",") != wantKeys {
				t.Errorf("channel keys = %v, want %s", keys, wantKeys)
			}
			// It is listed, and stored with its value.
			list := decode(t, f.api("GET", "/api/v3/channels/", "", keyA))["channels"].([]any)
			if len(list) != 1 || list[0].(map[string]any)["id"] != m["id"] {
				t.Errorf("listed %v", list)
			}
		})
	}
}

// TestChannelLifecycle creates channels through the API, assigns them with "*", deletes one and
// checks that checks lose it.
func TestChannelLifecycle(t *testing.T) {
	f := newAPIFixture(t)
	first := decode(t, f.api("POST", "/api/v3/channels/", `{"kind":"email","value":"a@example.org"}`, keyA))
	second := decode(t, f.api("POST", "/api/v3/channels/", `{"api_key":"`+keyA+`","kind":"webhook","value":"https://example.org/h"}`, ""))
	c := decode(t, f.api("POST", "/api/v3/checks/", `{"name":"c","channels":"*"}`, keyA))
	id := c["uuid"].(string)
	if got := f.check(id).Channels; !sameSet(got, []string{first["id"].(string), second["id"].(string)}) {
		t.Fatalf("check channels = %v, want both", got)
	}

	rec := f.api("DELETE", "/api/v3/channels/"+first["id"].(string), "", keyA)
	wantResponse(t, rec, 200, `{"id": "`+first["id"].(string)+`", "name": "a@example.org", "kind": "email"}`)
	wantCORS(t, rec, "OPTIONS, POST, DELETE")
	if got := f.check(id).Channels; !sameSet(got, []string{second["id"].(string)}) {
		t.Errorf("after delete, check channels = %v, want the second only", got)
	}
	rec = f.api("DELETE", "/api/v3/channels/"+first["id"].(string), "", keyA)
	wantHTML(t, rec, 404, notFoundPage)
	wantNoCORS(t, rec)
	wantHTML(t, f.api("DELETE", "/api/v3/channels/"+uuidOf(9), "", keyA), 404, notFoundPage)
	wantHTML(t, f.api("DELETE", "/api/v3/channels/not-an-id", "", keyA), 404, notFoundPage)

	// v1 and v2 stay Healthchecks': listing only.
	for _, v := range []string{"v1", "v2"} {
		rec := f.api("POST", "/api/"+v+"/channels/", `{"kind":"email","value":"b@example.org"}`, keyA)
		wantResponse(t, rec, 405, "")
		wantCORS(t, rec, corsGet)
		wantHTML(t, f.api("DELETE", "/api/"+v+"/channels/"+second["id"].(string), "", keyA), 404, notFoundPage)
	}
	list := decode(t, f.api("GET", "/api/v1/channels/", "", keyA))["channels"].([]any)
	if len(list) != 1 {
		t.Errorf("channels after delete = %v, want one", list)
	}
}

// TestCreateGroupChannel: a group's targets must be channels of its own project, and not groups.
func TestCreateGroupChannel(t *testing.T) {
	f := newAPIFixture(t)
	email := decode(t, f.api("POST", "/api/v3/channels/", `{"kind":"email","value":"ops@example.org"}`, keyA))["id"].(string)
	theirs := decode(t, f.api("POST", "/api/v3/channels/", `{"kind":"email","value":"b@example.org"}`, keyB))["id"].(string)
	rec := f.api("POST", "/api/v3/channels/", `{"kind":"group","value":"`+email+`"}`, keyA)
	if rec.Code != 201 {
		t.Fatalf("group of the project's email channel = %d %s, want 201", rec.Code, rec.Body)
	}
	group := decode(t, rec)
	if group["name"] != "Group" || group["kind"] != "group" {
		t.Errorf("created %v, want name Group, kind group", group)
	}
	for _, tc := range []struct{ value, want string }{
		{group["id"].(string), "is a group; a group cannot contain groups"},
		{email + "," + theirs, "channel " + theirs + " is not a channel of this project"},
		{"", "invalid group channel value: it names no channel"},
		{email + ",nope", `invalid group channel value: "nope" is not a channel ID`},
	} {
		rec := f.api("POST", "/api/v3/channels/", `{"kind":"group","value":"`+tc.value+`"}`, keyA)
		if msg, _ := decode(t, rec)["error"].(string); rec.Code != 400 || !strings.Contains(msg, tc.want) {
			t.Errorf("group of %q = %d %s, want 400 containing %q", tc.value, rec.Code, msg, tc.want)
		}
	}
}
