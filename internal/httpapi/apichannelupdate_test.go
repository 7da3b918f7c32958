package httpapi

import (
	"strings"
	"testing"
)

// TestUpdateChannel: POST /api/v3/channels/{id} renames a channel and changes its value, with
// create's validation naming the bad field; a value sent re-enables a disabled channel; the value
// is never in the answer nor in the logs; kind cannot change; another project's channel is not
// found.
func TestUpdateChannel(t *testing.T) {
	f := newAPIFixture(t)
	const oldHook = "https://hooks.slack.com/services/T0/B0/oLdToKeN1111"
	const newHook = "https://hooks.slack.com/services/T0/B0/nEwToKeN2222"
	created := decode(t, f.api("POST", "/api/v3/channels/", `{"kind":"slack","value":"`+oldHook+`"}`, keyA))
	id := created["id"].(string)
	path := "/api/v3/channels/" + id
	stored := func() (name, value string, disabled bool, lastError string) {
		t.Helper()
		chans, err := f.store.Channels(t.Context(), f.project.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, ch := range chans {
			if ch.ID == id {
				return ch.Name, ch.Value, ch.Disabled, ch.LastError
			}
		}
		t.Fatalf("channel %s is gone", id)
		return
	}
	// A service refused it for good (the notifier's doing).
	if err := f.store.Deliveries().MarkChannelError(t.Context(), f.project.ID, id, "Slack: 404 no_service", true); err != nil {
		t.Fatal(err)
	}

	// The name alone: the value and the disabled state stay.
	rec := f.api("POST", path, `{"name":"Ops Slack"}`, keyA)
	wantResponse(t, rec, 200, `{"id": "`+id+`", "name": "Ops Slack", "kind": "slack", "deliverable": true}`)
	if name, value, disabled, _ := stored(); name != "Ops Slack" || value != oldHook || !disabled {
		t.Errorf("after a rename: %q %q disabled=%v, want the new name, the old value, still disabled", name, value, disabled)
	}

	// A new value (kind may be sent when it is the channel's): stored, and the channel enabled.
	rec = f.api("POST", path, `{"kind":"slack","value":"`+newHook+`"}`, keyA)
	wantResponse(t, rec, 200, `{"id": "`+id+`", "name": "Ops Slack", "kind": "slack", "deliverable": true}`)
	if name, value, disabled, lastError := stored(); name != "Ops Slack" || value != newHook || disabled || lastError != "" {
		t.Errorf("after a new value: %q %q disabled=%v %q, want the new value, enabled, no error", name, value, disabled, lastError)
	}

	for _, tc := range []struct{ name, body, want string }{
		{"bad value", `{"value":"ftp://hooks.example.org/x"}`, "invalid slack channel value"},
		{"value not a string", `{"value":12}`, "value is not a string"},
		{"new kind", `{"kind":"pd","value":"abc"}`, `kind: a slack channel cannot become \"pd\"`},
		{"name too long", `{"name":"` + strings.Repeat("n", 101) + `"}`, "name"},
	} {
		rec := f.api("POST", path, tc.body, keyA)
		if rec.Code != 400 || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("%s: %d %s, want 400 containing %q", tc.name, rec.Code, rec.Body, tc.want)
		}
	}
	if name, value, _, _ := stored(); name != "Ops Slack" || value != newHook {
		t.Errorf("after refused updates: %q %q, want them unchanged", name, value)
	}
	// Another project's key does not find it; a read-only key may not change it.
	if rec := f.api("POST", path, `{"name":"x"}`, keyB); rec.Code != 404 {
		t.Errorf("update with another project's key = %d, want 404", rec.Code)
	}
	if rec := f.api("POST", path, `{"name":"x"}`, keyARO); rec.Code != 401 {
		t.Errorf("update with the read-only key = %d %s, want 401", rec.Code, rec.Body)
	}
	for _, secret := range []string{"oLdToKeN1111", "nEwToKeN2222"} {
		if strings.Contains(f.logs.String(), secret) {
			t.Errorf("the logs show the channel's value %q", secret)
		}
	}

	// A group may not name itself.
	email := decode(t, f.api("POST", "/api/v3/channels/", `{"kind":"email","value":"ops@example.org"}`, keyA))["id"].(string)
	group := decode(t, f.api("POST", "/api/v3/channels/", `{"kind":"group","value":"`+email+`"}`, keyA))["id"].(string)
	rec = f.api("POST", "/api/v3/channels/"+group, `{"value":"`+email+`,`+group+`"}`, keyA)
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), group) {
		t.Errorf("a group naming itself = %d %s, want 400 naming it", rec.Code, rec.Body)
	}
	rec = f.api("POST", "/api/v3/channels/"+group, `{"value":"`+email+`,`+id+`"}`, keyA)
	if rec.Code != 200 {
		t.Errorf("a group of two channels = %d %s, want 200", rec.Code, rec.Body)
	}
}
