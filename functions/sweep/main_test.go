package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/httpapi"
	"github.com/overduehq/overdue/internal/lambdaenv"
	"github.com/overduehq/overdue/internal/schema"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/dynamo"
	"github.com/overduehq/overdue/internal/store/dynamo/dynamotest"
	"github.com/overduehq/overdue/internal/sweep/sqstimers"
	"github.com/overduehq/overdue/internal/sweep/sqstimers/sqstest"
)

const checkID = "5d3c6e5e-5a3b-4c1e-9f7a-2b1e8f0c9d41"

// t0 is when the check last pinged; the fixture's schedule fires at t0+3 min.
var t0 = time.Date(2026, 3, 2, 9, 14, 0, 0, time.UTC)

func readEvent(t *testing.T) (events.EventBridgeEvent, []byte) {
	t.Helper()
	raw, err := os.ReadFile("testdata/scheduled-event.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev events.EventBridgeEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	return ev, raw
}

// TestEventRoundTrip decodes the scheduled event and encodes it again, unchanged.
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
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip changed the event (-fixture +re-encoded):\n%s", diff)
	}
	if ev.DetailType != "Scheduled Event" || !ev.Time.Equal(t0.Add(3*time.Minute)) {
		t.Errorf("event = %q at %v, want a Scheduled Event at %v", ev.DetailType, ev.Time, t0.Add(3*time.Minute))
	}
}

// TestSweepFlipsOverdueCheck pings a check (1 min timeout, 1 min grace) at t0 and runs the
// handler with the scheduled event at pinned clocks: in its grace period nothing happens; past
// its grace the check goes down with one timeout flip; a second sweep writes nothing more.
func TestSweepFlipsOverdueCheck(t *testing.T) {
	st := newStore(t)
	ctx := t.Context()
	seed(t, st)
	ev, _ := readEvent(t)

	var now time.Time
	var logs bytes.Buffer
	h, _ := testHandler(st, func() time.Time { return now }, lambdaenv.Logger(&logs, slog.LevelInfo))

	for _, step := range []struct {
		at        time.Time
		status    check.Status
		flipCount int
	}{
		{t0.Add(90 * time.Second), check.StatusUp, 1}, // in grace: only the new→up flip of the ping
		{t0.Add(3 * time.Minute), check.StatusDown, 2},
		{t0.Add(4 * time.Minute), check.StatusDown, 2}, // already down: no second flip
	} {
		now = step.at
		if err := h.handle(ctx, ev); err != nil {
			t.Fatalf("handle() at %v = %v", step.at, err)
		}
		c, err := st.Check(ctx, checkID)
		if err != nil {
			t.Fatal(err)
		}
		flips, err := st.Flips(ctx, checkID, store.FlipQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != step.status || len(flips) != step.flipCount {
			t.Fatalf("after the sweep at %v: status %s with %d flips, want %s with %d", step.at, c.Status, len(flips), step.status, step.flipCount)
		}
	}
	flips, _ := st.Flips(ctx, checkID, store.FlipQuery{})
	down := flips[0] // newest first
	// The flip is dated when the check went down (timeout plus grace after the ping), not when
	// the sweep noticed, as in Healthchecks.
	want := &check.Flip{ID: down.ID, CheckID: checkID, Created: t0.Add(2 * time.Minute),
		OldStatus: check.StatusUp, NewStatus: check.StatusDown, Reason: check.ReasonTimeout}
	if diff := cmp.Diff(want, down); diff != "" {
		t.Errorf("flip (-want +got):\n%s", diff)
	}

	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q is not JSON: %v", l, err)
		}
		if m["msg"] == "swept" {
			lines = append(lines, m)
		}
	}
	if len(lines) != 3 || lines[1]["flipped"] != float64(1) || lines[1]["event"] != ev.ID || lines[1]["lag"] != "0s" {
		t.Errorf("swept log lines = %v, want three, the second with flipped 1, the event ID and lag 0s", lines)
	}
}

// TestSweepLagAndHeartbeat: every sweep writes its lag behind the scheduled time as one
// Embedded Metric Format line (namespace Overdue, metric SweepLag in milliseconds, dimension
// Function), and each successful one pings the heartbeat URL on a loopback server; a heartbeat
// that fails is logged and does not fail the sweep; a sweep that fails does not ping.
func TestSweepLagAndHeartbeat(t *testing.T) {
	st := newStore(t)
	seed(t, st)
	ev, _ := readEvent(t)
	var hits atomic.Int32
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/ping/heartbeat-uuid" {
			t.Errorf("heartbeat %s %s, want GET /ping/heartbeat-uuid", r.Method, r.URL.Path)
		}
		hits.Add(1)
		w.WriteHeader(status)
	}))
	defer srv.Close()

	now := ev.Time.Add(1500 * time.Millisecond)
	var logs bytes.Buffer
	h, metrics := testHandlerBeating(st, func() time.Time { return now }, lambdaenv.Logger(&logs, slog.LevelInfo), srv.URL+"/ping/heartbeat-uuid")
	if err := h.handle(t.Context(), ev); err != nil {
		t.Fatalf("handle() = %v", err)
	}
	if got := hits.Load(); got != 1 {
		t.Errorf("heartbeat pings after a sweep = %d, want 1", got)
	}
	var line map[string]any
	if err := json.Unmarshal(metrics.Bytes(), &line); err != nil {
		t.Fatalf("metric line %q: %v", metrics.String(), err)
	}
	want := map[string]any{
		"_aws": map[string]any{
			"Timestamp": float64(now.UnixMilli()),
			"CloudWatchMetrics": []any{map[string]any{
				"Namespace":  "Overdue",
				"Dimensions": []any{[]any{"Function"}},
				"Metrics":    []any{map[string]any{"Name": "SweepLag", "Unit": "Milliseconds"}},
			}},
		},
		"Function": "overdue-dev-sweep",
		"SweepLag": float64(1500),
	}
	if diff := cmp.Diff(want, line); diff != "" {
		t.Errorf("metric line (-want +got):\n%s", diff)
	}

	status = http.StatusInternalServerError
	now = now.Add(time.Minute)
	if err := h.handle(t.Context(), ev); err != nil {
		t.Fatalf("handle() with a failing heartbeat = %v, want nil", err)
	}
	if got := hits.Load(); got != 2 || !strings.Contains(logs.String(), "heartbeat failed") {
		t.Errorf("pings = %d, logs %s; want 2 and a \"heartbeat failed\" line", got, logs.String())
	}

	failing, _ := testHandlerBeating(dynamo.New(motoDB(t), "overdue-no-such-table", store.Options{}),
		func() time.Time { return now }, slog.New(slog.DiscardHandler), srv.URL+"/ping/heartbeat-uuid")
	if err := failing.handle(t.Context(), ev); err == nil {
		t.Fatal("handle() on a missing table = nil error")
	}
	if got := hits.Load(); got != 2 {
		t.Errorf("pings = %d after a failed sweep, want still 2", got)
	}
}

// TestHeartbeatSetting: HEARTBEAT_URL must be an absolute http(s) URL.
func TestHeartbeatSetting(t *testing.T) {
	env := lambdaenv.New(func(k string) (string, bool) {
		return map[string]string{lambdaenv.HeartbeatURL: "hc-ping.com/secret"}[k], k == lambdaenv.HeartbeatURL
	})
	if _, err := build(t.Context(), env); err == nil || !strings.Contains(err.Error(), "HEARTBEAT_URL") || strings.Contains(err.Error(), "secret") {
		t.Errorf("build(HEARTBEAT_URL without a scheme) = %v, want an error naming the variable and not its value", err)
	}
}

// TestSweepFailureIsReturned: a sweep that cannot read the table fails the invocation, so
// Lambda counts the error.
func TestSweepFailureIsReturned(t *testing.T) {
	db := motoDB(t)
	h, _ := testHandler(dynamo.New(db, "overdue-no-such-table", store.Options{}), func() time.Time { return t0 },
		slog.New(slog.DiscardHandler))
	ev, _ := readEvent(t)
	if err := h.handle(t.Context(), ev); err == nil {
		t.Fatal("handle() on a missing table = nil error")
	}
}

// TestSweepRefusalFails is issue 12's seed scenario on the sweep: a warm instance whose table a
// newer build moved past it fails every invocation (so its Errors metric and the "sweeps not
// succeeding" alarm see it), counts it in the DataModelRefused metric, and flips nothing, though
// a check is overdue; once the data model is back in range, the next invocation sweeps.
func TestSweepRefusalFails(t *testing.T) {
	db := motoDB(t)
	table := dynamotest.ReadyTable(t, db, "overdue-fn-sweep")
	st := dynamo.New(db, table, store.Options{})
	seed(t, st)
	now := t0.Add(3 * time.Minute) // the check is overdue
	st.Gate = schema.NewGate(st.Version, schema.GateConfig{Now: func() time.Time { return now }})
	h, metrics := testHandler(st, func() time.Time { return now }, slog.New(slog.DiscardHandler))
	ev, _ := readEvent(t)

	dynamotest.SetVersion(t, db, table, schema.Version{Version: schema.Current + 1, MinReader: schema.Current + 1})
	before := dynamotest.ItemCount(t, db, table)
	for range 2 {
		err := h.handle(t.Context(), ev)
		var ve *schema.VersionError
		if !errors.As(err, &ve) {
			t.Fatalf("handle() on moved data = %v, want a *schema.VersionError", err)
		}
	}
	if got := dynamotest.ItemCount(t, db, table); got != before {
		t.Errorf("items = %d after refused sweeps, want %d", got, before)
	}
	if n := strings.Count(metrics.String(), `"DataModelRefused":1`); n != 2 {
		t.Errorf("metric lines = %d, want one per refused invocation (2):\n%s", n, metrics)
	}

	dynamotest.SetVersion(t, db, table, schema.Version{Version: schema.Current, MinReader: 1})
	now = now.Add(schema.DefaultMaxBackoff)
	if err := h.handle(t.Context(), ev); err != nil {
		t.Fatalf("handle() once the data fits = %v", err)
	}
	if c, err := st.Check(t.Context(), checkID); err != nil || c.Status != check.StatusDown {
		t.Errorf("after the sweep: %v, %v; want the check down", c, err)
	}
}

// TestSettings: a cold start without TABLE_NAME fails naming it.
func TestSettings(t *testing.T) {
	env := lambdaenv.New(func(string) (string, bool) { return "", false })
	if _, err := lambdaenv.Build(t.Context(), env, needs); err == nil || !strings.Contains(err.Error(), "TABLE_NAME") {
		t.Errorf("Build(no variables) = %v, want an error naming TABLE_NAME", err)
	}
}

// testHandler is the handler over st with the clock now, logging to log; the second result
// receives its metric lines.
func testHandler(st *dynamo.Store, now func() time.Time, log *slog.Logger) (*handler, *bytes.Buffer) {
	return testHandlerBeating(st, now, log, "")
}

// testHandlerBeating is testHandler pinging heartbeat after each successful sweep.
func testHandlerBeating(st *dynamo.Store, now func() time.Time, log *slog.Logger, heartbeat string) (*handler, *bytes.Buffer) {
	var metrics bytes.Buffer
	return newHandler(&lambdaenv.Root{Store: st, Now: now, Log: log,
		Refusals: &lambdaenv.Refusals{W: &metrics, Function: "overdue-dev-sweep", Now: now},
		Metrics:  &lambdaenv.Metrics{W: &metrics, Function: "overdue-dev-sweep", Now: now}}, heartbeat, nil), &metrics
}

// seed stores a project and the check, then pings it (success) at t0.
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

// secretKey is the signing secret of the tests' ping API (badge URLs); the sweep never has it.
const secretKey = "0123456789abcdef0123456789abcdef"

// The tests run against moto_server, which scripts/with-moto.sh starts and names in
// OVERDUE_MOTO_URL. Each test gets a table of its own, deleted when it ends; moto is shared
// with every other package's tests, so nothing here resets it.

const motoMissing = "moto_server is not running: run the tests with 'make test' (which starts it), " +
	"or install it with pip install 'moto[server]'"

func motoDB(t *testing.T) *dynamodb.Client {
	t.Helper()
	url := os.Getenv("OVERDUE_MOTO_URL")
	if url == "" {
		t.Fatal(motoMissing)
	}
	return dynamodb.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	}, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(url) })
}

// newStore is the sweep's store as the function builds it: no Box, so that a sweep that read or
// wrote a channel value would fail with store.ErrNoBox.
func newStore(t *testing.T) *dynamo.Store {
	t.Helper()
	db := motoDB(t)
	table := dynamotest.ReadyTable(t, db, "overdue-fn-sweep")
	return dynamo.New(db, table, store.Options{})
}

// TestSweepArmsTimers: with the timer queue configured, a sweep 30 s before the check's
// deadline flips nothing and leaves one timer on the queue, delayed until the deadline.
func TestSweepArmsTimers(t *testing.T) {
	st := newStore(t)
	seed(t, st)
	ev, _ := readEvent(t)
	q := sqstest.New(t, "overdue-fn-sweep")
	now := t0.Add(90 * time.Second) // the check is due at t0+2m
	var logs bytes.Buffer
	h, _ := testHandler(st, func() time.Time { return now }, lambdaenv.Logger(&logs, slog.LevelInfo))
	h.sweeper.Timers = &sqstimers.Queue{Client: q.Client, URL: q.URL}
	if err := h.handle(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	if visible, delayed := q.Count(t); visible+delayed != 1 {
		t.Errorf("queue holds %d visible and %d delayed messages, want the one timer", visible, delayed)
	}
	if !strings.Contains(logs.String(), `"armed":1`) {
		t.Errorf("logs = %s, want the sweep's line with armed 1", logs.String())
	}
}

// TestSweepCanary is the ingestion guard on the sweep function, over the real ping API on a
// loopback server standing in for the stage's public endpoint (SITE_ROOT). Sweeps run every
// minute of a pinned clock and each first pings the canary through that endpoint; from t0-30s
// to t0+3m30s the endpoint refuses every ping with 503, as a throttled API would. The check
// "backup" (due at t0+2m, its job stopped) is held while the outage lasts, reported unknown,
// and goes down one period after the recovery; "nightly", whose job kept pinging every 2
// minutes (its pings at t0+1m and t0+3m refused), is held and never goes down. Every sweep
// reports IngestionUnhealthy: 0 before, 1 while the canary's pings are missing, 0 after.
func TestSweepCanary(t *testing.T) {
	st := newStore(t)
	ctx := t.Context()
	seed(t, st)
	const nightlyID = "7a1f0c3e-2b4d-4e6f-8a9b-0c1d2e3f4a5b"
	c := check.New(nightlyID, "8f14e45f-ceea-467f-a0e6-6d4b2f3c1a20", t0.Add(-time.Hour))
	c.Name, c.Timeout, c.Grace = "nightly", 2*time.Minute, time.Minute
	c.Status, c.NPings, c.LastPing = check.StatusUp, 1, t0.Add(-time.Minute)
	c.AlertAfter = c.NextDue(nil) // t0+2m
	if err := st.CreateCheck(ctx, c); err != nil {
		t.Fatal(err)
	}

	now := t0.Add(-3 * time.Minute)
	clock := func() time.Time { return now }
	outage := func() bool { return !now.Before(t0.Add(-30*time.Second)) && now.Before(t0.Add(210*time.Second)) }
	api := httpapi.New(httpapi.Config{Store: st, Now: clock, SecretKey: []byte(secretKey)})
	refused := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if outage() {
			refused++
			http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
			return
		}
		api.ServeHTTP(w, r)
	}))
	defer srv.Close()

	h, metrics := testHandler(st, clock, slog.New(slog.DiscardHandler))
	h.canary = &canary{site: srv.URL + "/", tolerance: lambdaenv.DefaultIngestionTolerance}
	ev, _ := readEvent(t)
	var unhealthy []string
	for ; !now.After(t0.Add(7 * time.Minute)); now = now.Add(time.Minute) {
		if (now.Equal(t0.Add(time.Minute)) || now.Equal(t0.Add(3*time.Minute)) || now.Equal(t0.Add(5*time.Minute))) && !outage() {
			if res, err := http.Get(srv.URL + "/ping/" + nightlyID); err != nil || res.StatusCode != 200 {
				t.Fatalf("nightly's ping at %v: %v, %v", now.Sub(t0), res, err)
			}
		} else if now.Equal(t0.Add(time.Minute)) || now.Equal(t0.Add(3*time.Minute)) {
			refused++ // nightly's job pinged; the outage refused it
		}
		metrics.Reset()
		if err := h.handle(ctx, ev); err != nil {
			t.Fatalf("sweep at %v: %v", now.Sub(t0), err)
		}
		var line map[string]any
		for _, l := range strings.Split(strings.TrimSpace(metrics.String()), "\n") {
			if strings.Contains(l, lambdaenv.IngestionUnhealthyMetric) {
				if err := json.Unmarshal([]byte(l), &line); err != nil {
					t.Fatal(err)
				}
			}
		}
		unhealthy = append(unhealthy, fmt.Sprint(line[lambdaenv.IngestionUnhealthyMetric]))
		if now.Equal(t0.Add(3 * time.Minute)) {
			b, err := st.Check(ctx, checkID)
			if err != nil || !b.Unknown(now, nil) {
				t.Errorf("backup during the outage: %+v, %v; want held (unknown)", b, err)
			}
		}
	}
	// Sweeps at t0-3m … t0+7m: the canary's last ping through is t0-1m; the sweep at t0+2m is
	// the first more than 150 s after it; the one at t0+4m pings it again.
	want := []string{"0", "0", "0", "0", "0", "1", "1", "0", "0", "0", "0"}
	if diff := cmp.Diff(want, unhealthy); diff != "" {
		t.Errorf("IngestionUnhealthy by sweep from t0-3m (-want +got):\n%s", diff)
	}
	downs := func(id string) int {
		flips, err := st.Flips(ctx, id, store.FlipQuery{})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, f := range flips {
			if f.NewStatus == check.StatusDown {
				n++
			}
		}
		return n
	}
	if n := downs(nightlyID); n != 0 {
		t.Errorf("nightly, whose job kept pinging, went down %d times", n)
	}
	b, err := st.Check(ctx, checkID)
	if err != nil || b.Status != check.StatusDown || downs(checkID) != 1 {
		t.Errorf("backup, whose job stopped: %+v, %v, %d down flips; want down once, after the recovery", b, err, downs(checkID))
	}
	if refused < 5 {
		t.Errorf("%d pings refused: the outage was not exercised", refused)
	}
}
