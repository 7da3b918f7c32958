package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"
	"time"
)

// webhookCall is one request the test receiver got.
type webhookCall struct {
	body      []byte
	signature string
}

// TestServeWebhookDelivery: a /fail ping reaches a local HTTP receiver within 5 seconds, once,
// with a valid signature; the recovery is delivered after it.
func TestServeWebhookDelivery(t *testing.T) {
	calls := make(chan webhookCall, 10)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		calls <- webhookCall{body: b, signature: r.Header.Get("X-Overdue-Signature")}
	}))
	defer receiver.Close()

	t.Setenv(secretEnv, "e2e-secret-0123456789abcdef")
	data := t.TempDir()
	var p projectOutput
	if err := json.Unmarshal([]byte(runCLI(t, "project", "create", "--data", data, "--name", "Ops", "--json")), &p); err != nil {
		t.Fatal(err)
	}
	var ch channelOutput
	out := runCLI(t, "channel", "add", "--data", data, "--project", p.ID, "--kind", "webhook", "--value", receiver.URL+"/hook", "--json")
	if err := json.Unmarshal([]byte(out), &ch); err != nil || len(ch.Secret) != 64 {
		t.Fatalf("channel add = %s (%v), want a 64-character signing secret", out, err)
	}

	s := startServer(t, data)
	base := s.waitFor(t, regexp.MustCompile(`^listening on (http://\S+)$`))[1]
	// Auto-provisioning assigns every channel of the project to the new check.
	if code, body := get(t, base+"/ping/"+p.PingKey+"/nightly/fail?create=1"); code != 201 {
		t.Fatalf("fail ping = %d %q, want 201", code, body)
	}
	down := waitCall(t, calls, 5*time.Second)
	verify(t, down, ch.Secret, "down")

	// Recovery: the next delivery is the up alert, so the down alert was sent exactly once.
	if code, _ := get(t, base+"/ping/"+p.PingKey+"/nightly"); code != 200 {
		t.Fatalf("success ping = %d", code)
	}
	up := waitCall(t, calls, 5*time.Second)
	verify(t, up, ch.Secret, "up")
}

func waitCall(t *testing.T, calls <-chan webhookCall, within time.Duration) webhookCall {
	t.Helper()
	select {
	case c := <-calls:
		return c
	case <-time.After(within):
		t.Fatalf("no webhook within %v", within)
	}
	return webhookCall{}
}

func verify(t *testing.T, c webhookCall, secret, status string) {
	t.Helper()
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(c.body)
	if want := "sha256=" + hex.EncodeToString(mac.Sum(nil)); !hmac.Equal([]byte(c.signature), []byte(want)) {
		t.Errorf("X-Overdue-Signature = %q, want %q", c.signature, want)
	}
	var ev struct {
		Check struct{ Name string } `json:"check"`
		Flip  struct{ New string }  `json:"flip"`
	}
	if err := json.Unmarshal(c.body, &ev); err != nil {
		t.Fatalf("webhook body %s: %v", c.body, err)
	}
	if ev.Check.Name != "nightly" || ev.Flip.New != status {
		t.Errorf("webhook event = %s, want check nightly going %s", c.body, status)
	}
}
