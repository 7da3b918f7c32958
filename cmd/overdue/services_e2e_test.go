package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"
)

// serviceCall is one request a loopback service got.
type serviceCall struct {
	path string
	body map[string]any
}

// loopbackService records JSON POSTs and answers status.
func loopbackService(t *testing.T, status int) (*httptest.Server, chan serviceCall) {
	t.Helper()
	calls := make(chan serviceCall, 10)
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var doc map[string]any
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || json.Unmarshal(b, &doc) != nil {
			t.Errorf("%s %s (%s): %s, want a JSON POST", r.Method, r.URL.Path, r.Header.Get("Content-Type"), b)
		}
		calls <- serviceCall{r.URL.Path, doc}
		w.WriteHeader(status)
	}))
	t.Cleanup(s.Close)
	return s, calls
}

func waitService(t *testing.T, name string, calls <-chan serviceCall) serviceCall {
	t.Helper()
	select {
	case c := <-calls:
		return c
	case <-time.After(5 * time.Second):
		t.Fatalf("%s got nothing within 5s", name)
	}
	return serviceCall{}
}

// TestServeServiceChannels: on `overdue serve`, a slack channel pointed at a loopback receiver
// gets one message when a check fails and one when it recovers, and a pd channel, its service
// moved to loopback by OVERDUE_URL_PD, gets a trigger and then a resolve with the same dedup_key.
func TestServeServiceChannels(t *testing.T) {
	slack, slackCalls := loopbackService(t, http.StatusOK)
	pd, pdCalls := loopbackService(t, http.StatusAccepted)
	t.Setenv("OVERDUE_URL_PD", pd.URL+"/pagerduty")
	t.Setenv(secretEnv, "e2e-secret-0123456789abcdef")

	data := t.TempDir()
	var p projectOutput
	if err := json.Unmarshal([]byte(runCLI(t, "project", "create", "--data", data, "--name", "Ops", "--json")), &p); err != nil {
		t.Fatal(err)
	}
	runCLI(t, "channel", "add", "--data", data, "--project", p.ID, "--kind", "slack", "--value", slack.URL+"/services/T0/B0/KEY")
	const key = "0123456789abcdef0123456789abcdef"
	out := runCLI(t, "channel", "add", "--data", data, "--project", p.ID, "--kind", "pd", "--value", `{"service_key": "`+key+`"}`, "--json")
	if !strings.Contains(out, `"name": "PagerDuty"`) {
		t.Errorf("channel add pd = %s, want the service's name, not the key, as the default name", out)
	}

	s := startServer(t, data)
	base := s.waitFor(t, regexp.MustCompile(`^listening on (http://\S+)$`))[1]
	if code, body := get(t, base+"/ping/"+p.PingKey+"/nightly/fail?create=1"); code != 201 {
		t.Fatalf("fail ping = %d %q, want 201", code, body)
	}
	down := waitService(t, "slack", slackCalls)
	if down.path != "/services/T0/B0/KEY" || down.body["text"] != "DOWN | nightly" {
		t.Errorf("slack down = %s %v, want DOWN | nightly at the webhook's path", down.path, down.body["text"])
	}
	trigger := waitService(t, "pd", pdCalls)
	if trigger.path != "/pagerduty/v2/enqueue" || trigger.body["event_action"] != "trigger" || trigger.body["routing_key"] != key {
		t.Errorf("pd down = %s %v, want a trigger at /pagerduty/v2/enqueue", trigger.path, trigger.body)
	}

	if code, _ := get(t, base+"/ping/"+p.PingKey+"/nightly"); code != 200 {
		t.Fatalf("success ping = %d", code)
	}
	// The next message each service gets is the up one: the down one went out once.
	up := waitService(t, "slack", slackCalls)
	if up.body["text"] != "UP | nightly" {
		t.Errorf("slack's second message = %v, want UP | nightly", up.body["text"])
	}
	resolve := waitService(t, "pd", pdCalls)
	if resolve.body["event_action"] != "resolve" || resolve.body["dedup_key"] != trigger.body["dedup_key"] || trigger.body["dedup_key"] == "" {
		t.Errorf("pd up = %v, want a resolve with the trigger's dedup_key %v", resolve.body, trigger.body["dedup_key"])
	}
}
