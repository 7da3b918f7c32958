package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/lambdaenv"
	"github.com/overduehq/overdue/internal/schema"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/dynamo"
	"github.com/overduehq/overdue/internal/store/dynamo/dynamotest"
	"github.com/overduehq/overdue/internal/sweep"
	"github.com/overduehq/overdue/internal/sweep/sqstimers"
	"github.com/overduehq/overdue/internal/sweep/sqstimers/sqstest"
)

const checkID = "5d3c6e5e-5a3b-4c1e-9f7a-2b1e8f0c9d41"

// t0 is when the check last pinged; with 1 min timeout and 1 min grace the fixture's timer is
// due at t0+2 min.
var (
	t0  = time.Date(2026, 3, 2, 9, 14, 0, 0, time.UTC)
	due = t0.Add(2 * time.Minute)
)

func readEvent(t *testing.T) (events.SQSEvent, []byte) {
	t.Helper()
	raw, err := os.ReadFile("testdata/sqs-event.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev events.SQSEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	return ev, raw
}

// TestEventRoundTrip decodes the SQS event and encodes it again, unchanged; its body is a timer.
func TestEventRoundTrip(t *testing.T) {
	ev, raw := readEvent(t)
	out, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	var want, got any
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	// The library always writes md5OfMessageAttributes, which Lambda leaves out when a
	// message has no attributes.
	delete(got.(map[string]any)["Records"].([]any)[0].(map[string]any), "md5OfMessageAttributes")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip changed the event (-fixture +re-encoded):\n%s", diff)
	}
	tm, err := sqstimers.Decode(ev.Records[0].Body)
	if err != nil || tm.CheckID != checkID || !tm.Due.Equal(due) {
		t.Errorf("Decode(fixture body) = %+v, %v; want check %s due %v", tm, err, checkID, due)
	}
}

// TestTimerFlipsAtDeadline drives the handler with the fixture 1.2 s after its deadline: the
// check goes down, its flip dated at the deadline, and the invocation reports 1200 ms of lag;
// the same message again (SQS delivers at least once) changes nothing.
func TestTimerFlipsAtDeadline(t *testing.T) {
	st := newStore(t)
	seed(t, st)
	ev, _ := readEvent(t)
	now := due.Add(1200 * time.Millisecond)
	h, metrics, _ := testHandler(t, st, func() time.Time { return now })

	for i := range 2 {
		resp, err := h.handle(t.Context(), ev)
		if err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("handle() #%d = %+v, %v; want no failures", i+1, resp, err)
		}
		now = now.Add(time.Second)
	}
	flips, err := st.Flips(t.Context(), checkID, store.FlipQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var downs []*check.Flip
	for _, f := range flips {
		if f.NewStatus == check.StatusDown {
			downs = append(downs, f)
		}
	}
	if len(downs) != 1 || !downs[0].Created.Equal(due) || downs[0].Reason != check.ReasonTimeout {
		t.Errorf("down flips = %+v, want one timeout dated %v", downs, due)
	}
	lines := strings.Split(strings.TrimSpace(metrics.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"TimerLag":1200`) {
		t.Errorf("metric lines = %q, want one per invocation, the first with TimerLag 1200", lines)
	}
}

// TestTimerEarlyIsArmedAgain: a message that arrives before its deadline flips nothing and is
// sent again with the time left as its delay.
func TestTimerEarlyIsArmedAgain(t *testing.T) {
	st := newStore(t)
	seed(t, st)
	ev, _ := readEvent(t)
	h, _, q := testHandler(t, st, func() time.Time { return due.Add(-1500 * time.Millisecond) })
	resp, err := h.handle(t.Context(), ev)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("handle() early = %+v, %v; want no failures", resp, err)
	}
	if c, err := st.Check(t.Context(), checkID); err != nil || c.Status != check.StatusUp {
		t.Errorf("after an early timer: %+v, %v; want the check still up", c, err)
	}
	if visible, delayed := q.Count(t); visible != 0 || delayed != 1 {
		t.Errorf("queue holds %d visible and %d delayed, want the timer delayed again", visible, delayed)
	}
}

// TestTimerFailures: a malformed message is reported alone in BatchItemFailures (it reaches the
// dead-letter queue after its receives) and a good record in the same batch is handled.
func TestTimerFailures(t *testing.T) {
	st := newStore(t)
	seed(t, st)
	ev, _ := readEvent(t)
	good := ev.Records[0]
	bad := good
	bad.MessageId, bad.Body = "bad-1", `{"check":""}`
	ev.Records = []events.SQSMessage{bad, good}
	var logs bytes.Buffer
	h, _, _ := testHandler(t, st, func() time.Time { return due.Add(time.Second) })
	h.root.Log = lambdaenv.Logger(&logs, slog.LevelInfo)
	resp, err := h.handle(t.Context(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if want := []events.SQSBatchItemFailure{{ItemIdentifier: "bad-1"}}; !cmp.Equal(want, resp.BatchItemFailures) {
		t.Errorf("BatchItemFailures = %+v, want %+v", resp.BatchItemFailures, want)
	}
	if c, err := st.Check(t.Context(), checkID); err != nil || c.Status != check.StatusDown {
		t.Errorf("the good record: %+v, %v; want the check down", c, err)
	}
	if !strings.Contains(logs.String(), "timer message refused") || strings.Contains(logs.String(), `{\"check\"`) {
		t.Errorf("logs = %s; want the refusal without the body", logs.String())
	}

	// A table that cannot be read fails the invocation whole: every message comes back.
	missing, _, _ := testHandler(t, dynamo.New(dynamotest.Client(t), "overdue-no-such-table", store.Options{}), func() time.Time { return due.Add(time.Second) })
	if _, err = missing.handle(t.Context(), events.SQSEvent{Records: []events.SQSMessage{good}}); err == nil {
		t.Error("handle() on a missing table = nil error")
	}
}

// TestTimerRefusalFails: while the data model is one this build must not use, the invocation
// fails whole (every message comes back) and writes nothing.
func TestTimerRefusalFails(t *testing.T) {
	db := dynamotest.Client(t)
	table := dynamotest.ReadyTable(t, db, "overdue-fn-timer")
	st := dynamo.New(db, table, store.Options{})
	seed(t, st)
	now := due.Add(time.Second)
	st.Gate = schema.NewGate(st.Version, schema.GateConfig{Now: func() time.Time { return now }})
	h, _, _ := testHandler(t, st, func() time.Time { return now })
	dynamotest.SetVersion(t, db, table, schema.Version{Version: schema.Current + 1, MinReader: schema.Current + 1})
	ev, _ := readEvent(t)
	_, err := h.handle(t.Context(), ev)
	var ve *schema.VersionError
	if !errors.As(err, &ve) {
		t.Fatalf("handle() on moved data = %v, want a *schema.VersionError", err)
	}
	if c, _ := st.Check(t.Context(), checkID); c == nil || c.Status != check.StatusUp {
		t.Errorf("after a refused invocation the check is %+v, want up", c)
	}
}

// TestSettings: a cold start without TIMER_QUEUE_URL or TABLE_NAME fails naming both.
func TestSettings(t *testing.T) {
	env := lambdaenv.New(func(string) (string, bool) { return "", false })
	_, err := build(t.Context(), env)
	if err == nil || !strings.Contains(err.Error(), "TABLE_NAME") || !strings.Contains(err.Error(), "TIMER_QUEUE_URL") {
		t.Errorf("build(no variables) = %v, want an error naming TABLE_NAME and TIMER_QUEUE_URL", err)
	}
}

// testHandler is the handler over st with the clock now, re-arming on a fresh queue on moto;
// the second result receives its metric lines.
func testHandler(t *testing.T, st *dynamo.Store, now func() time.Time) (*handler, *bytes.Buffer, *sqstest.Queue) {
	t.Helper()
	q := sqstest.New(t, "overdue-fn-timer")
	var metrics bytes.Buffer
	root := &lambdaenv.Root{Store: st, Now: now, Log: slog.New(slog.DiscardHandler),
		Refusals: &lambdaenv.Refusals{W: &metrics, Function: "overdue-dev-timer", Now: now},
		Metrics:  &lambdaenv.Metrics{W: &metrics, Function: "overdue-dev-timer", Now: now}}
	return newHandler(root, &sqstimers.Queue{Client: q.Client, URL: q.URL}, lambdaenv.DefaultIngestionTolerance), &metrics, q
}

// TestTimerHeldDuringOutage: a timer that fires while the canary the sweep pings every minute
// has been quiet for longer than the tolerance (150 s) holds the check instead of taking it
// down: no flip, the check reported unknown, its AlertAfter moved on by the tolerance. With the
// canary pinging again, the check resumes as if it had pinged at the recovery: a later timer at
// that deadline finds it pinged and leaves it up.
func TestTimerHeldDuringOutage(t *testing.T) {
	st := newStore(t)
	seed(t, st)
	ctx := t.Context()
	canary, err := sweep.EnsureCanary(ctx, st, lambdaenv.CanaryEvery, t0.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	pingAt := func(id string, at time.Time) {
		t.Helper()
		if _, err := st.UpdateCheck(ctx, id, func(c *check.Check) (store.Change, error) {
			p, f := c.ApplyPing(check.Signal{Kind: check.PingSuccess, Method: "GET", Scheme: "https"}, at, nil)
			return store.Change{Ping: p, Flip: f}, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	for at := t0.Add(-5 * time.Minute); !at.After(t0.Add(-time.Minute)); at = at.Add(time.Minute) {
		pingAt(canary.CanaryID, at) // the canary's last ping that got through: t0-1m
	}
	ev, _ := readEvent(t)
	now := due.Add(time.Second) // 3 min after the canary's last ping
	h, _, _ := testHandler(t, st, func() time.Time { return now })
	if resp, err := h.handle(ctx, ev); err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("handle() during the outage = %+v, %v", resp, err)
	}
	c, err := st.Check(ctx, checkID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != check.StatusUp || !c.AlertAfter.Equal(now.Add(lambdaenv.DefaultIngestionTolerance)) || !c.Unknown(now, nil) {
		t.Errorf("during the outage: status %s, AlertAfter %v, unknown %v; want up, held until %v, unknown",
			c.Status, c.AlertAfter, c.Unknown(now, nil), now.Add(lambdaenv.DefaultIngestionTolerance))
	}

	// Ingestion recovers at due+1m; the job pings a minute later, within its resumed period.
	recovered := due.Add(time.Minute)
	pingAt(canary.CanaryID, recovered)
	now = c.AlertAfter // the hold's own timer
	if resp, err := h.handle(ctx, events.SQSEvent{Records: []events.SQSMessage{timerMessage(t, ev, checkID, now)}}); err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("handle() after the recovery = %+v, %v", resp, err)
	}
	if c, err = st.Check(ctx, checkID); err != nil || !c.AlertAfter.Equal(recovered.Add(2*time.Minute)) {
		t.Fatalf("after the recovery: %+v, %v; want held until a period after the recovery, %v", c, err, recovered.Add(2*time.Minute))
	}
	pingAt(checkID, recovered.Add(time.Minute))
	now = recovered.Add(2 * time.Minute)
	if resp, err := h.handle(ctx, events.SQSEvent{Records: []events.SQSMessage{timerMessage(t, ev, checkID, now)}}); err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("handle() at the resumed deadline = %+v, %v", resp, err)
	}
	flips, err := st.Flips(ctx, checkID, store.FlipQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range flips {
		if f.NewStatus == check.StatusDown {
			t.Errorf("down flip %+v: a job whose pings the outage refused went down", f)
		}
	}
}

// timerMessage is the fixture's record carrying a timer for id due at due.
func timerMessage(t *testing.T, ev events.SQSEvent, id string, due time.Time) events.SQSMessage {
	t.Helper()
	body, err := sqstimers.Encode(sweep.Timer{CheckID: id, Due: due})
	if err != nil {
		t.Fatal(err)
	}
	r := ev.Records[0]
	r.Body = body
	return r
}

func newStore(t *testing.T) *dynamo.Store {
	t.Helper()
	db := dynamotest.Client(t)
	return dynamo.New(db, dynamotest.ReadyTable(t, db, "overdue-fn-timer"), store.Options{})
}

// seed stores a project and the check (1 min timeout, 1 min grace), pinged at t0.
func seed(t *testing.T, st store.Store) {
	t.Helper()
	ctx := t.Context()
	p := &check.Project{ID: "8f14e45f-ceea-467f-a0e6-6d4b2f3c1a20", Name: "Ops", Created: t0.Add(-time.Hour),
		APIKeyHash: check.HashKey("hcw_a"), ReadOnlyKeyHash: check.HashKey("hcr_a"), PingKeyHash: check.HashKey("p")}
	if err := st.CreateProject(ctx, p); err != nil {
		t.Fatal(err)
	}
	c := check.New(checkID, p.ID, t0.Add(-time.Hour))
	c.Name, c.Timeout, c.Grace = "backup", time.Minute, time.Minute
	if err := st.CreateCheck(ctx, c); err != nil {
		t.Fatal(err)
	}
	_, err := st.UpdateCheck(ctx, checkID, func(c *check.Check) (store.Change, error) {
		p, f := c.ApplyPing(check.Signal{Kind: check.PingSuccess, Method: "POST", Scheme: "https"}, t0, nil)
		return store.Change{Ping: p, Flip: f}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestTimerFindsCanaryLater: a timer function started before the sweep created the canary holds
// nothing, looks for the canary again once a minute (not on every batch), and judges by it once
// it exists.
func TestTimerFindsCanaryLater(t *testing.T) {
	st := newStore(t)
	ctx := t.Context()
	now := t0
	h, _, _ := testHandler(t, st, func() time.Time { return now })
	var empty events.SQSEvent
	if _, err := h.handle(ctx, empty); err != nil {
		t.Fatal(err)
	}
	if h.sweeper.Ingestion != nil {
		t.Fatalf("Ingestion = %+v before the canary exists; want none", h.sweeper.Ingestion)
	}
	canary, err := sweep.EnsureCanary(ctx, st, lambdaenv.CanaryEvery, t0)
	if err != nil {
		t.Fatal(err)
	}
	now = t0.Add(59 * time.Second)
	if _, err := h.handle(ctx, empty); err != nil || h.sweeper.Ingestion != nil {
		t.Fatalf("handle() 59 s later = %v, Ingestion %+v; want no look yet", err, h.sweeper.Ingestion)
	}
	now = t0.Add(time.Minute)
	if _, err := h.handle(ctx, empty); err != nil {
		t.Fatal(err)
	}
	in := h.sweeper.Ingestion
	if in == nil || in.CanaryID != canary.CanaryID || in.Tolerance != lambdaenv.DefaultIngestionTolerance || in.Log == nil {
		t.Errorf("Ingestion a minute later = %+v; want canary %s judged with the default tolerance and the intake counts", in, canary.CanaryID)
	}
}
