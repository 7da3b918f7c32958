package notify_test

import (
	"testing"
)

// TestPagerDuty: Events API v2, trigger on down and resolve on up with the same dedup_key (the
// check's UUID), at <base>/v2/enqueue with the routing key in the body.
func TestPagerDuty(t *testing.T) {
	s := newService(t, 202, `{"status":"success","message":"Event processed","dedup_key":"x"}`)
	bases := map[string]string{"pd": s.URL + "/pd"}
	const key = "0123456789abcdef0123456789abcdef"
	if err := sendKind(t, "pd", `{"service_key": "`+key+`"}`, downAlert(), bases); err != nil {
		t.Fatal(err)
	}
	r := s.one(t)
	wantJSON(t, r)
	if r.Path != "/pd/v2/enqueue" {
		t.Errorf("path = %q, want /pd/v2/enqueue", r.Path)
	}
	down := r.JSON(t)
	for k, want := range map[string]any{"routing_key": key, "event_action": "trigger",
		"dedup_key": "2753e3d5-83f9-46cb-a402-18ab2e8561c3", "client": "Overdue"} {
		if got := path(t, down, k); got != want {
			t.Errorf("trigger %s = %v, want %v", k, got, want)
		}
	}
	for k, want := range map[string]any{"severity": "critical", "source": "backup <db>", "timestamp": "2026-11-24T20:08:55Z"} {
		if got := path(t, down, "payload", k); got != want {
			t.Errorf("trigger payload.%s = %v, want %v", k, got, want)
		}
	}
	if got := path(t, down, "payload", "summary").(string); got[:18] != "DOWN | backup <db>" {
		t.Errorf("summary = %q", got)
	}
	if got := path(t, down, "payload", "custom_details", "Last ping type"); got != "Exit status 3" {
		t.Errorf("custom_details = %v", path(t, down, "payload", "custom_details"))
	}

	if err := sendKind(t, "pd", key, upAlert(), bases); err != nil {
		t.Fatal(err)
	}
	up := s.one(t).JSON(t)
	if path(t, up, "event_action") != "resolve" || path(t, up, "dedup_key") != path(t, down, "dedup_key") ||
		path(t, up, "routing_key") != key {
		t.Errorf("resolve = %v, want the trigger's dedup_key and key", up)
	}

	// PagerDuty's documented refusal of a bad event is permanent, with its message.
	bad := newService(t, 400, `{"status":"invalid event","message":"Event object is invalid","errors":["Length of 'routing_key' is incorrect"]}`)
	err := sendKind(t, "pd", key, downAlert(), map[string]string{"pd": bad.URL})
	if err == nil || err.Error() != "PagerDuty answered 400: Event object is invalid" {
		t.Errorf("Send to a 400 = %v", err)
	}
}
