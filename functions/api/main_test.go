package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/httpapi"
	"github.com/overduehq/overdue/internal/lambdaenv"
	"github.com/overduehq/overdue/internal/notify"
	"github.com/overduehq/overdue/internal/schema"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/dynamo"
	"github.com/overduehq/overdue/internal/store/dynamo/dynamotest"
	"github.com/overduehq/overdue/internal/store/storetest"
)

// The fixtures' check, project key and the instant the tests pretend it is.
const (
	checkID = "5d3c6e5e-5a3b-4c1e-9f7a-2b1e8f0c9d41"
	apiKey  = "hcw_0123456789abcdefghijklmnopqr"
)

var t0 = time.Date(2026, 3, 2, 9, 14, 3, 0, time.UTC)

// readEvent decodes a fixture into the API Gateway v2 request type.
func readEvent(t *testing.T, name string) (events.APIGatewayV2HTTPRequest, []byte) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return ev, raw
}

// TestEventsRoundTrip decodes every fixture into the events type and encodes it again: nothing
// in the payload may be lost or changed on the way in. The one thing encoding adds is an empty
// requestContext.authentication (a struct, which encoding/json cannot omit); API Gateway sends
// it only with mutual TLS.
func TestEventsRoundTrip(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			ev, raw := readEvent(t, filepath.Base(path))
			out, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			var want, got map[string]any
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatal(err)
			}
			rc := got["requestContext"].(map[string]any)
			if ev.RequestContext.Authentication.ClientCert.ClientCertPem == "" {
				delete(rc, "authentication")
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("round trip changed the event (-fixture +re-encoded):\n%s", diff)
			}
		})
	}
}

// TestPingFail sends the recorded POST /ping/<uuid>/fail through the adapter: 200 OK, and the
// ping, its body and the flip it caused are in the table.
func TestPingFail(t *testing.T) {
	st := newStore(t)
	ctx := t.Context()
	seed(t, st)
	var logs bytes.Buffer
	h := httpadapter.NewV2(handler(t, st, testSettings(), []byte("0123456789abcdef0123456789abcdef"),
		slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})), fixedClock))

	ev, _ := readEvent(t, "ping-fail.json")
	resp, err := h.ProxyWithContext(ctx, ev)
	if err != nil {
		t.Fatalf("ProxyWithContext() error = %v", err)
	}
	if resp.StatusCode != http.StatusOK || resp.Body != "OK" {
		t.Fatalf("POST /ping/<uuid>/fail = %d %q, want 200 \"OK\"", resp.StatusCode, resp.Body)
	}

	c, err := st.Check(ctx, checkID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != check.StatusDown || c.NPings != 1 || !c.LastPing.Equal(t0) {
		t.Errorf("check after the ping: status %s, %d pings, last ping %v; want down, 1, %v", c.Status, c.NPings, c.LastPing, t0)
	}
	p, err := st.Ping(ctx, checkID, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := &check.Ping{
		CheckID: checkID, N: 1, Created: t0, Kind: check.PingFail, Scheme: "https",
		RemoteAddr: "203.0.113.7", Method: "POST", UA: "curl/8.5.0",
		Body:     []byte("backup: disk full (exit status 3)\nerr\n"),
		BodySize: 38,
		RID:      "0b5a1f0e-8a1c-4f7e-9d3b-6c2e1a4b7f90",
	}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("stored ping (-want +got):\n%s", diff)
	}
	flips, err := st.Flips(ctx, checkID, store.FlipQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(flips) != 1 || flips[0].NewStatus != check.StatusDown || flips[0].Reason != check.ReasonFail {
		t.Errorf("flips = %+v, want one to down for a failure signal", flips)
	}
	if strings.Contains(logs.String(), "disk full") {
		t.Errorf("the ping body reached the logs:\n%s", logs.String())
	}
}

// TestListChecks sends the recorded GET /api/v3/checks/ with X-Api-Key through the adapter.
func TestListChecks(t *testing.T) {
	st := newStore(t)
	seed(t, st)
	var logs bytes.Buffer
	h := httpadapter.NewV2(handler(t, st, testSettings(), []byte("0123456789abcdef0123456789abcdef"),
		slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})), fixedClock))

	ev, _ := readEvent(t, "list-checks.json")
	resp, err := h.ProxyWithContext(t.Context(), ev)
	if err != nil {
		t.Fatalf("ProxyWithContext() error = %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v3/checks/ = %d %q, want 200", resp.StatusCode, resp.Body)
	}
	if ct := resp.Headers["Content-Type"]; !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var got struct {
		Checks []struct {
			Name    string `json:"name"`
			UUID    string `json:"uuid"`
			Status  string `json:"status"`
			PingURL string `json:"ping_url"`
		} `json:"checks"`
	}
	if err := json.Unmarshal([]byte(resp.Body), &got); err != nil {
		t.Fatalf("decode %q: %v", resp.Body, err)
	}
	if len(got.Checks) != 1 {
		t.Fatalf("checks = %+v, want the one seeded", got.Checks)
	}
	c := got.Checks[0]
	if c.Name != "backup" || c.UUID != checkID || c.Status != "new" || c.PingURL != "https://hc.example.com/ping/"+checkID {
		t.Errorf("check = %+v, want backup %s new with its ping URL on SITE_ROOT", c, checkID)
	}
	if strings.Contains(logs.String(), apiKey) {
		t.Errorf("the API key reached the logs:\n%s", logs.String())
	}
}

// TestSettings: one failed cold start names every missing variable, the function's own and the
// shared ones.
func TestSettings(t *testing.T) {
	env := lambdaenv.New(func(string) (string, bool) { return "", false })
	loadSettings(env)
	_, err := lambdaenv.Build(t.Context(), env, needs)
	if err == nil {
		t.Fatal("Build(no variables) = nil error")
	}
	for _, name := range []string{"TABLE_NAME", "SITE_ROOT", "SECRET_ARN"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("Build(no variables) = %q, does not name %s", err, name)
		}
	}
	got := loadSettings(lambdaenv.New(func(k string) (string, bool) {
		return map[string]string{"SITE_ROOT": "https://hc.example.com"}[k], true
	}))
	if got != (settings{SiteRoot: "https://hc.example.com"}) {
		t.Errorf("loadSettings = %+v", got)
	}
}

// TestWarmInstanceRefusesAndRecovers is issue 12's seed scenario on the api handler: a warm
// instance whose table a newer build moved past it answers every request 503 naming both
// versions, counts each refusal in the DataModelRefused metric, and writes no item; once the
// data model is back in range it serves again, with no cold start.
func TestWarmInstanceRefusesAndRecovers(t *testing.T) {
	st, db, table := newStoreTable(t)
	seed(t, st)
	clock := t0
	st.Gate = schema.NewGate(st.Version, schema.GateConfig{Now: func() time.Time { return clock }})
	var metrics bytes.Buffer
	root := &lambdaenv.Root{Log: slog.New(slog.DiscardHandler), Store: st, Now: fixedClock,
		Refusals: &lambdaenv.Refusals{W: &metrics, Function: "overdue-dev-api", Now: fixedClock}}
	h := httpadapter.NewV2(guarded(handler(t, st, testSettings(), []byte("0123456789abcdef0123456789abcdef"),
		slog.New(slog.DiscardHandler), fixedClock), root.Guard))
	ev, _ := readEvent(t, "ping-fail.json")
	if resp, err := h.ProxyWithContext(t.Context(), ev); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("ping before the move = %d, %v; want 200", resp.StatusCode, err)
	}

	dynamotest.SetVersion(t, db, table, schema.Version{Version: schema.Current + 1, MinReader: schema.Current + 1})
	clock = clock.Add(schema.DefaultMaxAge)
	before := dynamotest.ItemCount(t, db, table)
	list, _ := readEvent(t, "list-checks.json")
	for _, e := range []events.APIGatewayV2HTTPRequest{ev, list} {
		resp, err := h.ProxyWithContext(t.Context(), e)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusServiceUnavailable ||
			!strings.Contains(resp.Body, fmt.Sprintf("this build writes version %d", schema.Current)) ||
			!strings.Contains(resp.Body, fmt.Sprintf("needs a build of version %d", schema.Current+1)) {
			t.Errorf("%s on moved data = %d %q, want 503 naming both versions", e.RawPath, resp.StatusCode, resp.Body)
		}
	}
	if got := dynamotest.ItemCount(t, db, table); got != before {
		t.Errorf("items = %d after refused requests, want %d", got, before)
	}
	if n := strings.Count(metrics.String(), `"DataModelRefused":1`); n != 2 {
		t.Errorf("metric lines = %d, want one per refused request (2):\n%s", n, metrics.String())
	}

	dynamotest.SetVersion(t, db, table, schema.Version{Version: schema.Current, MinReader: 1})
	clock = clock.Add(schema.DefaultMaxBackoff)
	if resp, err := h.ProxyWithContext(t.Context(), ev); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("ping once the data fits = %d %q, %v; want 200 without a cold start", resp.StatusCode, resp.Body, err)
	}
}

func fixedClock() time.Time { return t0 }

// handler is newHandler without mail, failing the test if it cannot be built.
func handler(t *testing.T, st *dynamo.Store, cfg settings, secret []byte, log *slog.Logger, now func() time.Time) http.Handler {
	t.Helper()
	h, err := newHandler(st, cfg, secret, log, now, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func testSettings() settings {
	return settings{SiteRoot: "https://hc.example.com"}
}

// seed stores the fixtures' project (whose read-write key is apiKey) and check (simple, 1 min
// timeout and grace, new).
func seed(t *testing.T, st store.Store) {
	t.Helper()
	p := &check.Project{ID: "8f14e45f-ceea-467f-a0e6-6d4b2f3c1a20", Name: "Ops", Created: t0.Add(-time.Hour),
		APIKeyHash: check.HashKey(apiKey), ReadOnlyKeyHash: check.HashKey("hcr_read-only-key-not-used-here"),
		PingKeyHash: check.HashKey("pingkeynotusedhere0000"), BadgeKey: "b1"}
	if err := st.CreateProject(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	c := check.New(checkID, p.ID, t0.Add(-time.Hour))
	c.Name, c.Slug, c.Timeout, c.Grace = "backup", "backup", time.Minute, time.Minute
	if err := st.CreateCheck(t.Context(), c); err != nil {
		t.Fatal(err)
	}
}

// The tests run against moto_server, which scripts/with-moto.sh starts and names in
// OVERDUE_MOTO_URL. Each test gets a table of its own, deleted when it ends; moto is shared
// with every other package's tests, so nothing here resets it.

const motoMissing = "moto_server is not running: run the tests with 'make test' (which starts it), " +
	"or install it with pip install 'moto[server]'"

func newStore(t *testing.T) *dynamo.Store {
	t.Helper()
	st, _, _ := newStoreTable(t)
	return st
}

// newStoreTable is newStore, with the client and the table's name for tests that break it.
func newStoreTable(t *testing.T) (*dynamo.Store, *dynamodb.Client, string) {
	t.Helper()
	url := os.Getenv("OVERDUE_MOTO_URL")
	if url == "" {
		t.Fatal(motoMissing)
	}
	db := dynamodb.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	}, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(url) })
	table := dynamotest.ReadyTable(t, db, "overdue-fn-api")
	return dynamo.New(db, table, store.Options{Box: storetest.BoxOf(t, "0123456789abcdef0123456789abcdef")}), db, table
}

// TestStatusTableGone: /api/v3/status/ probes the table with a real write; with the table
// deleted under the function it answers 503 saying so, without naming the table. The same
// handler answered OK before.
func TestStatusTableGone(t *testing.T) {
	st, db, table := newStoreTable(t)
	now := t0
	h := httpadapter.NewV2(handler(t, st, testSettings(), []byte("0123456789abcdef0123456789abcdef"),
		slog.New(slog.DiscardHandler), func() time.Time { return now }))
	ev, _ := readEvent(t, "list-checks.json")
	ev.RawPath, ev.RequestContext.HTTP.Path = "/api/v3/status/", "/api/v3/status/"
	ev.Headers = map[string]string{}

	resp, err := h.ProxyWithContext(t.Context(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Body != "OK" {
		t.Fatalf("status with the table = %d %q, want 200 OK", resp.StatusCode, resp.Body)
	}
	if _, err := db.DeleteTable(t.Context(), &dynamodb.DeleteTableInput{TableName: &table}); err != nil {
		t.Fatal(err)
	}
	now = now.Add(httpapi.DefaultStatusProbeInterval) // past the cached answer
	resp, err = h.ProxyWithContext(t.Context(), ev)
	if err != nil {
		t.Fatal(err)
	}
	want := "store unavailable: writes fail: the table does not exist: deploy the stage, or check the table name the function was given"
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Body != want {
		t.Errorf("status without the table = %d %q, want 503 %q", resp.StatusCode, resp.Body, want)
	}
	if strings.Contains(resp.Body, table) {
		t.Errorf("the answer names the table: %q", resp.Body)
	}
}

// TestParkedDeliveries: the parked listing reads the table's delivery records. The recorded
// GET /api/v3/checks/ is sent to /api/v3/deliveries/parked/ instead, after a delivery of the
// project was parked.
func TestParkedDeliveries(t *testing.T) {
	st := newStore(t)
	seed(t, st)
	ds := st.Deliveries()
	d := &store.Delivery{
		ID:        store.DeliveryID(checkID, "1", "0c1e4a4e-8f5b-4b0e-9a61-3f2d1c0b9a81"),
		Flip:      check.Flip{ID: "1", CheckID: checkID, Created: t0, OldStatus: check.StatusUp, NewStatus: check.StatusDown},
		ChannelID: "0c1e4a4e-8f5b-4b0e-9a61-3f2d1c0b9a81", ProjectID: "8f14e45f-ceea-467f-a0e6-6d4b2f3c1a20",
		Kind: check.ChannelWebhook, Status: store.DeliveryPending, Attempts: 5, NextAttempt: t0.Add(time.Minute),
		Created: t0, Updated: t0,
	}
	if ok, _, err := ds.Claim(t.Context(), d); !ok || err != nil {
		t.Fatalf("Claim = %v, %v", ok, err)
	}
	d.Status, d.NextAttempt, d.LastError = store.DeliveryParked, time.Time{}, "Received status code 503"
	if err := ds.Update(t.Context(), d); err != nil {
		t.Fatal(err)
	}
	h := httpadapter.NewV2(handler(t, st, testSettings(), []byte("0123456789abcdef0123456789abcdef"),
		slog.New(slog.DiscardHandler), fixedClock))
	ev, _ := readEvent(t, "list-checks.json")
	ev.RawPath, ev.RequestContext.HTTP.Path = "/api/v3/deliveries/parked/", "/api/v3/deliveries/parked/"
	resp, err := h.ProxyWithContext(t.Context(), ev)
	if err != nil {
		t.Fatalf("ProxyWithContext() error = %v", err)
	}
	var got struct {
		Deliveries []struct {
			ID        string `json:"id"`
			LastError string `json:"last_error"`
		} `json:"deliveries"`
	}
	if err := json.Unmarshal([]byte(resp.Body), &got); resp.StatusCode != http.StatusOK || err != nil {
		t.Fatalf("GET /api/v3/deliveries/parked/ = %d %q, want 200 JSON", resp.StatusCode, resp.Body)
	}
	if len(got.Deliveries) != 1 || got.Deliveries[0].ID != d.ID || got.Deliveries[0].LastError != d.LastError {
		t.Errorf("parked deliveries = %+v, want the one parked", got.Deliveries)
	}
}

// fakeLambda answers Invoke as the notify function would, recording the payloads.
type fakeLambda struct {
	payloads []string
	answer   string
	fnErr    string
}

func (f *fakeLambda) Invoke(_ context.Context, in *lambda.InvokeInput, _ ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	f.payloads = append(f.payloads, string(in.Payload))
	out := &lambda.InvokeOutput{Payload: []byte(f.answer), StatusCode: 200}
	if f.fnErr != "" {
		out.FunctionError = &f.fnErr
	}
	return out, nil
}

// TestChannelTestThroughNotify: POST /api/v3/channels/{id}/test asks the notify function (by
// NOTIFY_FUNCTION) with the project and channel IDs, never the value, and answers what it
// says: 200 sent, 400 with a refusal, 500 when the function failed.
func TestChannelTestThroughNotify(t *testing.T) {
	st := newStore(t)
	seed(t, st)
	ch := &check.Channel{ID: "0c1e4a4e-8f5b-4b0e-9a61-3f2d1c0b9a81", ProjectID: "8f14e45f-ceea-467f-a0e6-6d4b2f3c1a20",
		Kind: "slack", Name: "Slack", Value: "https://hooks.slack.com/services/T0/B0/sEcReT", Created: t0}
	if err := st.CreateChannel(t.Context(), ch); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		answer, fnErr string
		status        int
		body          string
	}{
		{`{"sent": true}`, "", http.StatusOK, `"result": "sent"`},
		{`{"sent": false, "refused": true, "error": "Slack answered 404"}`, "", http.StatusBadRequest, "Slack answered 404"},
		{`{"errorMessage": "channel test: list channels"}`, "Unhandled", http.StatusInternalServerError, "internal server error"},
	} {
		fake := &fakeLambda{answer: tc.answer, fnErr: tc.fnErr}
		tester := &notify.RemoteTester{Invoke: invoker(fake, "arn:aws:lambda:eu-west-1:123456789012:function:notify:live")}
		h, err := newHandler(st, testSettings(), []byte("0123456789abcdef0123456789abcdef"), slog.New(slog.DiscardHandler), fixedClock, nil, tester, nil)
		if err != nil {
			t.Fatal(err)
		}
		ev, _ := readEvent(t, "list-checks.json")
		path := "/api/v3/channels/" + ch.ID + "/test"
		ev.RawPath, ev.RequestContext.HTTP.Path, ev.RequestContext.HTTP.Method = path, path, http.MethodPost
		resp, err := httpadapter.NewV2(h).ProxyWithContext(t.Context(), ev)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != tc.status || !strings.Contains(resp.Body, tc.body) {
			t.Errorf("answer %s: POST %s = %d %s, want %d containing %q", tc.answer, path, resp.StatusCode, resp.Body, tc.status, tc.body)
		}
		want := `{"overdue":"channel-test","project":"8f14e45f-ceea-467f-a0e6-6d4b2f3c1a20","channel":"` + ch.ID + `"}`
		if len(fake.payloads) != 1 || fake.payloads[0] != want {
			t.Errorf("the notify function was asked %v, want once with %s", fake.payloads, want)
		}
	}
}
