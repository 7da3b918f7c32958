package rie

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/overduehq/overdue/internal/check"
)

// pingDomain is the mailping function's PING_DOMAIN, the fixture's.
const pingDomain = "ping.example.org"

// TestMailPingUnderEmulator runs the mailping bootstrap on the SNS event SES publishes for a
// received message (functions/mailping's fixture, addressed to the world's check "backup"):
// the message becomes a success ping of the check, scheme email, its body the message; a
// message to an address that names no check writes nothing and does not fail.
func TestMailPingUnderEmulator(t *testing.T) {
	w := newWorld(t)
	if err := w.st.Create(t.Context(), "test", time.Now().UTC()); err != nil { // what migrate's Create does
		t.Fatal(err)
	}
	w.seed(t)
	fn := startEmulator(t, "mailping", w.env("mailping"))

	event := func(recipient string) (events.SNSEvent, []byte) {
		var ev events.SNSEvent
		if err := json.Unmarshal(fixture(t, "mailping", "sns-ses-received.json"), &ev); err != nil {
			t.Fatal(err)
		}
		var n map[string]any
		if err := json.Unmarshal([]byte(ev.Records[0].SNS.Message), &n); err != nil {
			t.Fatal(err)
		}
		n["receipt"].(map[string]any)["recipients"] = []string{recipient}
		raw := []byte("From: cron@host.example.org\r\nTo: " + recipient + "\r\nSubject: backup done\r\n\r\n12 files\r\n")
		n["content"] = base64.StdEncoding.EncodeToString(raw)
		b, _ := json.Marshal(n)
		ev.Records[0].SNS.Message = string(b)
		return ev, raw
	}

	ev, raw := event(checkID + "@" + pingDomain)
	fn.invokeJSON(t, ev, nil)
	ps, err := w.st.Pings(t.Context(), checkID, 5)
	if err != nil || len(ps) != 1 {
		t.Fatalf("pings of backup = %v, %v; want one", ps, err)
	}
	p, err := w.st.Ping(t.Context(), checkID, ps[0].N)
	if err != nil {
		t.Fatal(err)
	}
	if p.Kind != check.PingSuccess || p.Scheme != "email" || !bytes.Equal(p.Body, raw) {
		t.Errorf("ping = kind %v, scheme %q, body %q; want a success by email with the message", p.Kind, p.Scheme, p.Body)
	}
	if st := w.status(t, checkID); st != check.StatusUp {
		t.Errorf("backup is %s after its email ping, want up", st)
	}

	before := w.scan(t)
	ev, _ = event("0f0e0d0c-0b0a-4908-8706-050403020100@" + pingDomain)
	fn.invokeJSON(t, ev, nil) // fails the test on a function error
	if d := diffItems(before, w.scan(t)); d != "" {
		t.Errorf("a mail for no check wrote:\n%s", d)
	}
	if out := fn.out.String(); strings.Contains(out, "12 files") {
		t.Errorf("the function logged the message:\n%s", out)
	}
}
