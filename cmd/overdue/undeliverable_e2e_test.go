package main

import (
	"encoding/json"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// TestServeUndeliverable: a server with no way to send email, SMS or SNS says so at start,
// says so when such a channel is created through the API, and parks an alert to it with the
// reason and how to enable it, visible in GET /api/v3/deliveries/parked/.
func TestServeUndeliverable(t *testing.T) {
	data := t.TempDir()
	var p projectOutput
	if err := json.Unmarshal([]byte(runCLI(t, "project", "create", "--data", data, "--name", "Ops", "--json")), &p); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, data)
	for _, kind := range []string{"email", "sms", "sns"} {
		s.waitFor(t, regexp.MustCompile(`^Warning: this server cannot deliver `+kind+` channels: start overdue serve with .*--aws.*parked`))
	}
	base := s.waitFor(t, regexp.MustCompile(`^listening on (http://\S+)$`))[1]
	for _, line := range s.seen {
		if strings.Contains(line, "webhook channels") {
			t.Errorf("start-up warned about webhooks, which serve always delivers: %q", line)
		}
	}

	// The channel is created, and the answer says it will not be delivered, and how to fix that.
	req, _ := http.NewRequest("POST", base+"/api/v3/channels/", strings.NewReader(`{"kind": "email", "value": "ops@example.org"}`))
	req.Header.Set("X-Api-Key", p.APIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var ch struct {
		ID          string `json:"id"`
		Deliverable *bool  `json:"deliverable"`
		Warning     string `json:"warning"`
	}
	json.NewDecoder(resp.Body).Decode(&ch)
	resp.Body.Close()
	if resp.StatusCode != 201 || ch.Deliverable == nil || *ch.Deliverable || !strings.Contains(ch.Warning, "--smtp-host") {
		t.Fatalf("POST /api/v3/channels/ = %d %+v, want 201, deliverable false and a warning naming --smtp-host", resp.StatusCode, ch)
	}

	// An alert to it is parked with that reason. The console prints the alert after the
	// channels have been handled, so the parked record is there once the line is.
	if code, body := get(t, base+"/ping/"+p.PingKey+"/nightly/fail?create=1"); code != 201 {
		t.Fatalf("fail ping = %d %q, want 201", code, body)
	}
	s.waitFor(t, regexp.MustCompile(`^DOWN \| nightly$`))
	req, _ = http.NewRequest("GET", base+"/api/v3/deliveries/parked/", nil)
	req.Header.Set("X-Api-Key", p.APIKey)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var parked struct {
		Deliveries []deliveryView `json:"deliveries"`
	}
	json.NewDecoder(resp.Body).Decode(&parked)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(parked.Deliveries) != 1 {
		t.Fatalf("GET /api/v3/deliveries/parked/ = %d %+v, want one parked delivery", resp.StatusCode, parked)
	}
	d := parked.Deliveries[0]
	if d.Channel != ch.ID || d.Kind != "email" || d.Status != "parked" || d.Flip != "down" ||
		d.LastError != ch.Warning {
		t.Errorf("parked delivery = %+v, want the email channel's down alert with last_error %q", d, ch.Warning)
	}

	// check create, with no --site-root, prints a ping URL of this server (from serve.json)
	// that works.
	out, stderr := runCLIBoth(t, "check", "create", "--data", data, "--project", p.ID, "--name", "hourly", "--json")
	var c checkOutput
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c.PingURL, base+"/ping/") || !strings.Contains(stderr, "serve.json") {
		t.Errorf("ping_url = %s, stderr %q; want this server's URL %s and a note saying where it came from", c.PingURL, stderr, base)
	}
	if code, body := get(t, c.PingURL); code != 200 || body != "OK" {
		t.Errorf("GET %s = %d %q, want 200 OK", c.PingURL, code, body)
	}

	// channel add on the same data directory warns on stderr.
	_, stderr = runCLIBoth(t, "channel", "add", "--data", data, "--project", p.ID, "--kind", "sms", "--value", "+14155550100")
	if !strings.Contains(stderr, "cannot deliver sms channels") {
		t.Errorf("channel add sms: stderr %q, want a warning that this server cannot deliver it", stderr)
	}
}

// deliveryView is a delivery as GET /api/v3/deliveries/parked/ shows it.
type deliveryView struct {
	Channel   string `json:"channel"`
	Kind      string `json:"kind"`
	Status    string `json:"status"`
	Flip      string `json:"flip"`
	LastError string `json:"last_error"`
}

// runCLIBoth runs the built binary and returns its stdout and stderr, failing on a non-zero exit.
func runCLIBoth(t *testing.T, args ...string) (string, string) {
	t.Helper()
	bin, err := binary()
	if err != nil {
		t.Fatalf("build overdue: %v", err)
	}
	cmd := exec.CommandContext(t.Context(), bin, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("overdue %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out), stderr.String()
}
