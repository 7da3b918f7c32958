package httpapi

import (
	"strings"
	"testing"
	"time"
)

// TestChannelLate: the late option over the v3 channel API, and the checks' late-notice marker
// that follows it. Create and update take "late": true or false; kinds that cannot send a late
// notice, groups and Healthchecks-style webhooks refuse it with a 400 saying why; v3 shows it only
// when on, v1 and v2 never. A check whose channels reach a late channel is due at its grace
// start; turning the option off, or deleting the channel, moves it back to its deadline.
func TestChannelLate(t *testing.T) {
	f := newAPIFixture(t)
	rec := f.api("POST", "/api/v3/channels/", `{"kind":"email","value":"oncall@example.org","name":"Ops","late":true}`, keyA)
	if rec.Code != 201 {
		t.Fatalf("create with late = %d %s", rec.Code, rec.Body)
	}
	id := decode(t, rec)["id"].(string)
	wantResponse(t, f.api("GET", "/api/v3/channels/", "", keyA), 200, `{"channels": [{"id": "`+id+`", "name": "Ops", "kind": "email", "late": true}]}`)
	for _, v := range []string{"v1", "v2"} {
		wantResponse(t, f.api("GET", "/api/"+v+"/channels/", "", keyA), 200, `{"channels": [{"id": "`+id+`", "name": "Ops", "kind": "email"}]}`)
	}
	for _, tc := range []struct{ name, path, body, want string }{
		{"not a boolean", "/api/v3/channels/" + id, `{"late":"yes"}`, "late is not a boolean: send true or false"},
		{"an incident service", "/api/v3/channels/", `{"kind":"pd","value":{"service_key":"0123456789abcdef0123456789abcdef"},"late":true}`, "a pd channel cannot take late notices"},
		{"a chat service", "/api/v3/channels/", `{"kind":"slack","value":"https://hooks.slack.com/services/T/B/x","late":true}`, "late notices go to email, sms, sns, webhook channels"},
		{"a group", "/api/v3/channels/", `{"kind":"group","value":"` + id + `","late":true}`, "not on the group"},
		{"a Healthchecks webhook", "/api/v3/channels/", `{"kind":"webhook","value":{"url_down":"https://example.org/d","url_up":""},"late":true}`, "use the URL form"},
	} {
		rec := f.api("POST", tc.path, tc.body, keyA)
		if rec.Code != 400 || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("%s: %d %s, want 400 containing %q", tc.name, rec.Code, rec.Body, tc.want)
		}
	}

	// A check created with the channel is due at its grace start once it has pinged.
	rec = f.api("POST", "/api/v3/checks/", `{"name":"backup","timeout":3600,"grace":600,"channels":"*"}`, keyA)
	if rec.Code != 201 {
		t.Fatalf("create check = %d %s", rec.Code, rec.Body)
	}
	uuid := decode(t, rec)["ping_url"].(string)
	uuid = uuid[strings.LastIndex(uuid, "/")+1:]
	if rec := f.do("GET", "/ping/"+uuid, ""); rec.Code != 200 {
		t.Fatalf("ping = %d", rec.Code)
	}
	late, deadline := f.now.Add(time.Hour), f.now.Add(time.Hour+10*time.Minute)
	wantDue := func(when string, marker bool, due time.Time) {
		t.Helper()
		c := f.check(uuid)
		if c.LateNotice != marker || !c.AlertAfter.Equal(due) {
			t.Errorf("%s: LateNotice %v, AlertAfter %v; want %v, %v", when, c.LateNotice, c.AlertAfter, marker, due)
		}
	}
	wantDue("with a late channel", true, late)
	wantResponse(t, f.api("POST", "/api/v3/channels/"+id, `{"late":false}`, keyA), 200,
		`{"id": "`+id+`", "name": "Ops", "kind": "email", "deliverable": true}`)
	wantDue("late turned off", false, deadline)
	if rec := f.api("POST", "/api/v3/channels/"+id, `{"late":true}`, keyA); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"late": true`) {
		t.Errorf("late turned on = %d %s", rec.Code, rec.Body)
	}
	wantDue("late turned on again", true, late)
	// Reassigned through the checks API: the marker goes with the channels.
	if rec := f.api("POST", "/api/v3/checks/"+uuid, `{"channels":""}`, keyA); rec.Code != 200 {
		t.Fatalf("update channels = %d %s", rec.Code, rec.Body)
	}
	wantDue("no channels", false, deadline)
	if rec := f.api("POST", "/api/v3/checks/"+uuid, `{"channels":"Ops"}`, keyA); rec.Code != 200 {
		t.Fatalf("update channels = %d %s", rec.Code, rec.Body)
	}
	wantDue("the late channel again", true, late)
	if rec := f.api("DELETE", "/api/v3/channels/"+id, "", keyA); rec.Code != 200 {
		t.Fatalf("delete = %d %s", rec.Code, rec.Body)
	}
	wantDue("the channel deleted", false, deadline)
}
