package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/ingest/ingesttest"
	"github.com/overduehq/overdue/internal/lambdaenv"
	"github.com/overduehq/overdue/internal/mailping"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/dynamo"
	"github.com/overduehq/overdue/internal/store/dynamo/dynamotest"
)

const (
	domain  = "ping.example.org"
	checkID = "9c7d2f4e-3b1a-4e8d-a6c5-b4e3d2c1f0a9" // the fixture's recipient
	slugID  = "1e2d3c4b-5a69-4788-9a6b-5c4d3e2f1a0b"
	pingKey = "abcdefghijklmnopqrstuv"
)

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// readEvent returns the fixture: an SNS event carrying SES's notification of a received
// message (the SNS action, Base64 content), and that notification decoded as a map to vary.
func readEvent(t *testing.T) (events.SNSEvent, map[string]any) {
	t.Helper()
	raw, err := os.ReadFile("testdata/sns-ses-received.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev events.SNSEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	var n map[string]any
	if err := json.Unmarshal([]byte(ev.Records[0].SNS.Message), &n); err != nil {
		t.Fatal(err)
	}
	return ev, n
}

// with returns ev carrying n as its one notification.
func with(t *testing.T, ev events.SNSEvent, n map[string]any) events.SNSEvent {
	t.Helper()
	b, err := json.Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	ev.Records[0].SNS.Message = string(b)
	return ev
}

func newStore(t *testing.T) *dynamo.Store {
	t.Helper()
	db := dynamotest.Client(t)
	return dynamo.New(db, dynamotest.ReadyTable(t, db, "overdue-fn-mailping"), store.Options{})
}

// seed stores a project with two checks: the fixture's, which fails on FAILED in the subject,
// and one addressed by slug, which starts on "starting" in the body.
func seed(t *testing.T, st store.Store) {
	t.Helper()
	ctx := t.Context()
	p := &check.Project{ID: "8f14e45f-ceea-467f-a0e6-6d4b2f3c1a20", Name: "Ops", Created: t0,
		APIKeyHash: check.HashKey("hcw_a"), ReadOnlyKeyHash: check.HashKey("hcr_a"), PingKeyHash: check.HashKey(pingKey)}
	if err := st.CreateProject(ctx, p); err != nil {
		t.Fatal(err)
	}
	c := check.New(checkID, p.ID, t0)
	c.Name, c.Slug, c.FilterSubject, c.FailureKw = "backup", "backup", true, "FAILED"
	s := check.New(slugID, p.ID, t0)
	s.Name, s.Slug, s.FilterBody, s.StartKw = "sync", "sync", true, "starting"
	for _, c := range []*check.Check{c, s} {
		if err := st.CreateCheck(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
}

func testHandler(t *testing.T, st *dynamo.Store) (*handler, *bytes.Buffer) {
	t.Helper()
	now := func() time.Time { return t0.Add(time.Hour) }
	var logs bytes.Buffer
	root := &lambdaenv.Root{Store: st, Now: now, Log: slog.New(slog.NewJSONHandler(&logs, nil)),
		Refusals: &lambdaenv.Refusals{W: &logs, Function: "overdue-dev-mailping", Now: now}}
	return newHandler(root, domain), &logs
}

// pings returns the check's pings, newest first, with their bodies.
func pings(t *testing.T, st store.Store, id string) []*check.Ping {
	t.Helper()
	ps, err := st.Pings(t.Context(), id, 10)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]*check.Ping, len(ps))
	for i, p := range ps {
		if out[i], err = st.Ping(t.Context(), id, p.N); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestFixtureIsAFailurePing: the fixture's mail says FAILED in its subject, so the check's
// subject filter makes it a failure ping, kept whole as the ping's body, and the check goes
// down; the logs carry neither the subject nor the body.
func TestFixtureIsAFailurePing(t *testing.T) {
	st := newStore(t)
	seed(t, st)
	h, logs := testHandler(t, st)
	ev, n := readEvent(t)
	if err := h.handle(t.Context(), ev); err != nil {
		t.Fatalf("handle(fixture) = %v", err)
	}
	ps := pings(t, st, checkID)
	if len(ps) != 1 {
		t.Fatalf("pings = %d, want 1", len(ps))
	}
	want, _ := base64.StdEncoding.DecodeString(n["content"].(string))
	if p := ps[0]; p.Kind != check.PingFail || p.Scheme != "email" || !bytes.Equal(p.Body, want) || p.UA != "Email from cron@host.example.org" {
		t.Errorf("ping = kind %v, scheme %q, ua %q, body %d bytes; want fail, email, Email from cron@host.example.org, the message's %d bytes",
			p.Kind, p.Scheme, p.UA, len(p.Body), len(want))
	}
	c, err := st.Check(t.Context(), checkID)
	if err != nil || c.Status != check.StatusDown {
		t.Errorf("check after a failure ping = %+v, %v; want down", c, err)
	}
	for _, secret := range []string{"FAILED", "Cannot open"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("logs carry the message (%q):\n%s", secret, logs)
		}
	}
}

// TestSlugAddressAndBodyFilter: mail to <ping key>+<slug>@domain pings that check, and its body
// filter reads the decoded body: "starting" makes it a start.
func TestSlugAddressAndBodyFilter(t *testing.T) {
	st := newStore(t)
	seed(t, st)
	h, _ := testHandler(t, st)
	ev, n := readEvent(t)
	to := pingKey + "+sync@PING.example.org"
	n["receipt"].(map[string]any)["recipients"] = []string{to}
	msg := "From: cron@host.example.org\r\nTo: " + to + "\r\nSubject: sync\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nsync is starting=\r\n now\r\n"
	n["content"] = base64.StdEncoding.EncodeToString([]byte(msg))
	if err := h.handle(t.Context(), with(t, ev, n)); err != nil {
		t.Fatalf("handle = %v", err)
	}
	ps := pings(t, st, slugID)
	if len(ps) != 1 || ps[0].Kind != check.PingStart {
		t.Errorf("pings of the slug check = %+v, want one start", ps)
	}
	if ps := pings(t, st, checkID); len(ps) != 0 {
		t.Errorf("pings of the other check = %d, want 0", len(ps))
	}
}

// TestNoCheckIsDropped: recipients that name no check (an unknown UUID, a wrong shape, another
// domain, an unknown ping key) record nothing and fail nothing: SES has accepted the mail, and
// retrying would not help.
func TestNoCheckIsDropped(t *testing.T) {
	st := newStore(t)
	seed(t, st)
	h, logs := testHandler(t, st)
	ev, n := readEvent(t)
	n["receipt"].(map[string]any)["recipients"] = []string{
		"0f0e0d0c-0b0a-4908-8706-050403020100@" + domain,
		"postmaster@" + domain,
		checkID + "@example.com",
		"zyxwvutsrqponmlkjihgfe+backup@" + domain,
	}
	if err := h.handle(t.Context(), with(t, ev, n)); err != nil {
		t.Fatalf("handle = %v, want nil", err)
	}
	for _, id := range []string{checkID, slugID} {
		if ps := pings(t, st, id); len(ps) != 0 {
			t.Errorf("pings of %s = %d, want 0", id, len(ps))
		}
	}
	if got := strings.Count(logs.String(), "email ping for no check"); got != 4 {
		t.Errorf("log lines for no check = %d, want 4:\n%s", got, logs)
	}
}

// TestOversizedIsCapped: a message over the cap is a ping whose body is its first 100 kB (SES
// itself refuses what is over 150 KB for the SNS action).
func TestOversizedIsCapped(t *testing.T) {
	st := newStore(t)
	seed(t, st)
	h, _ := testHandler(t, st)
	ev, n := readEvent(t)
	msg := "Subject: backup FAILED\r\n\r\n" + strings.Repeat("0123456789abcdef\r\n", 7000) // 126 kB
	n["content"] = base64.StdEncoding.EncodeToString([]byte(msg))
	if err := h.handle(t.Context(), with(t, ev, n)); err != nil {
		t.Fatalf("handle = %v", err)
	}
	ps := pings(t, st, checkID)
	if len(ps) != 1 || ps[0].Kind != check.PingFail || len(ps[0].Body) != mailping.DefaultBodyLimit || string(ps[0].Body) != msg[:mailping.DefaultBodyLimit] {
		t.Errorf("pings = %d (kind %v, body %d bytes), want one failure with the first %d bytes", len(ps), kindOf(ps), bodyLen(ps), mailping.DefaultBodyLimit)
	}
}

// TestNoContentUsesHeaders: a notification without content (SES sends none when the rule's
// action does not carry the message) is still a ping, and the subject filter reads the subject
// from the notification's headers.
func TestNoContentUsesHeaders(t *testing.T) {
	st := newStore(t)
	seed(t, st)
	h, _ := testHandler(t, st)
	ev, n := readEvent(t)
	delete(n, "content")
	if err := h.handle(t.Context(), with(t, ev, n)); err != nil {
		t.Fatalf("handle = %v", err)
	}
	ps := pings(t, st, checkID)
	if len(ps) != 1 || ps[0].Kind != check.PingFail || !strings.Contains(string(ps[0].Body), "Subject: backup FAILED on host\r\n") {
		t.Errorf("pings = %d (kind %v), want one failure whose body holds the headers", len(ps), kindOf(ps))
	}
}

// TestUnreadableIsDropped: a message that is not an SES receipt notification, or whose content
// is not Base64, is logged and dropped without failing the invocation.
func TestUnreadableIsDropped(t *testing.T) {
	st := newStore(t)
	seed(t, st)
	h, logs := testHandler(t, st)
	ev, n := readEvent(t)
	n["content"] = "%%% not base64"
	bad := with(t, ev, n)
	other, _ := readEvent(t)
	other.Records[0].SNS.Message = `{"notificationType":"Bounce"}`
	bad.Records = append(bad.Records, other.Records...)
	if err := h.handle(t.Context(), bad); err != nil {
		t.Fatalf("handle = %v, want nil", err)
	}
	if ps := pings(t, st, checkID); len(ps) != 0 {
		t.Errorf("pings = %d, want 0", len(ps))
	}
	if got := strings.Count(logs.String(), "email notification dropped"); got != 2 {
		t.Errorf("dropped lines = %d, want 2:\n%s", got, logs)
	}
}

func kindOf(ps []*check.Ping) any {
	if len(ps) == 0 {
		return nil
	}
	return ps[0].Kind
}

func bodyLen(ps []*check.Ping) int {
	if len(ps) == 0 {
		return 0
	}
	return len(ps[0].Body)
}

// TestHolds: email pings through the function go through the HTTP ping's rules: a failure
// inside a maintenance window or under a down parent is held, and alerts once when the hold
// ends (ingesttest.Holds), over DynamoDB. Each ping is the fixture's notification, addressed to
// the check.
func TestHolds(t *testing.T) {
	st := newStore(t)
	var now time.Time
	clock := func() time.Time { return now }
	var logs bytes.Buffer
	root := &lambdaenv.Root{Store: st, Now: clock, Log: slog.New(slog.NewJSONHandler(&logs, nil)),
		Refusals: &lambdaenv.Refusals{W: &logs, Function: "overdue-dev-mailping", Now: clock}}
	h := newHandler(root, domain)
	ingesttest.Holds(t, st, "", func(t *testing.T, id string, at time.Time) {
		t.Helper()
		now = at
		ev, n := readEvent(t)
		n["receipt"].(map[string]any)["recipients"] = []string{id + "@" + domain}
		if err := h.handle(t.Context(), with(t, ev, n)); err != nil {
			t.Fatalf("handle(the fixture to %s) = %v", id, err)
		}
	})
}
