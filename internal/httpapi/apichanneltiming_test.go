package httpapi

import (
	"strings"
	"testing"
	"time"
)

// TestChannelTiming: delay and repeat over the v3 channel API. Create and update take them in
// whole seconds and refuse what is out of range with a 400 naming the field and the range; a
// group takes none; the v3 channel object shows them only when set, v1 and v2 never.
func TestChannelTiming(t *testing.T) {
	f := newAPIFixture(t)
	rec := f.api("POST", "/api/v3/channels/", `{"kind":"email","value":"oncall@example.org","name":"Phone","delay":900,"repeat":3600}`, keyA)
	if rec.Code != 201 {
		t.Fatalf("create with timing = %d %s", rec.Code, rec.Body)
	}
	created := decode(t, rec)
	id := created["id"].(string)
	if created["delay"] != 900.0 || created["repeat"] != 3600.0 {
		t.Errorf("create answered %v, want delay 900 and repeat 3600", created)
	}
	plain := decode(t, f.api("POST", "/api/v3/channels/", `{"kind":"email","value":"team@example.org","name":"Team"}`, keyA))["id"].(string)

	wantList := func(v, want string) {
		t.Helper()
		rec := f.api("GET", "/api/"+v+"/channels/", "", keyA)
		wantResponse(t, rec, 200, want)
	}
	wantList("v3", `{"channels": [{"id": "`+id+`", "name": "Phone", "kind": "email", "delay": 900, "repeat": 3600}, `+
		`{"id": "`+plain+`", "name": "Team", "kind": "email"}]}`)
	for _, v := range []string{"v1", "v2"} {
		wantList(v, `{"channels": [{"id": "`+id+`", "name": "Phone", "kind": "email"}, {"id": "`+plain+`", "name": "Team", "kind": "email"}]}`)
	}

	stored := func(id string) (delay, repeat time.Duration) {
		t.Helper()
		chans, err := f.store.Channels(t.Context(), f.project.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, ch := range chans {
			if ch.ID == id {
				return ch.Delay, ch.Repeat
			}
		}
		t.Fatalf("channel %s is gone", id)
		return
	}
	// An update changes what it names and keeps the rest; 0 turns one off.
	path := "/api/v3/channels/" + id
	wantResponse(t, f.api("POST", path, `{"repeat":0}`, keyA), 200,
		`{"id": "`+id+`", "name": "Phone", "kind": "email", "delay": 900, "deliverable": true}`)
	if d, r := stored(id); d != 15*time.Minute || r != 0 {
		t.Errorf("after repeat 0: delay %v repeat %v, want 15m0s and off", d, r)
	}
	wantResponse(t, f.api("POST", path, `{"delay":0,"name":"Phone now"}`, keyA), 200,
		`{"id": "`+id+`", "name": "Phone now", "kind": "email", "deliverable": true}`)

	for _, tc := range []struct{ name, path, body, want string }{
		{"delay negative", path, `{"delay":-1}`, "delay is out of range (0 (at once) to 604800 seconds)"},
		{"delay over a week", path, `{"delay":604801}`, "delay is out of range"},
		{"delay huge", path, `{"delay":9223372036854775807}`, "delay is out of range"},
		{"delay not a number", path, `{"delay":"15m"}`, "delay is not a number: send whole seconds, 0 for off"},
		{"delay fractional", path, `{"delay":1.5}`, "delay is not a number"},
		{"repeat too short", path, `{"repeat":60}`, "repeat is out of range (0 (off) or 300 to 2678400 seconds)"},
		{"repeat too long", path, `{"repeat":2678401}`, "repeat is out of range"},
		{"create with a bad repeat", "/api/v3/channels/", `{"kind":"email","value":"x@example.org","repeat":10}`, "repeat is out of range"},
	} {
		rec := f.api("POST", tc.path, tc.body, keyA)
		if rec.Code != 400 || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("%s: %d %s, want 400 containing %q", tc.name, rec.Code, rec.Body, tc.want)
		}
	}
	if d, r := stored(id); d != 0 || r != 0 {
		t.Errorf("after refused updates: delay %v repeat %v, want both off as last set", d, r)
	}

	// A group: its targets' own timing applies, so it takes none.
	rec = f.api("POST", "/api/v3/channels/", `{"kind":"group","value":"`+id+`","delay":60}`, keyA)
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), "set them on those channels, not on the group") {
		t.Errorf("group with a delay = %d %s, want 400 saying where timing goes", rec.Code, rec.Body)
	}
	group := decode(t, f.api("POST", "/api/v3/channels/", `{"kind":"group","value":"`+id+`"}`, keyA))["id"].(string)
	if rec := f.api("POST", "/api/v3/channels/"+group, `{"repeat":600}`, keyA); rec.Code != 400 {
		t.Errorf("group update with a repeat = %d %s, want 400", rec.Code, rec.Body)
	}
}
