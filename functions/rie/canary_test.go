package rie

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/lambdaenv"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/sweep"
	"github.com/overduehq/overdue/internal/sweep/sqstimers"
)

// gateway stands in for API Gateway in front of the api function: a loopback server that turns
// each request into an API Gateway v2 event (the api fixture's shape), invokes the function
// under the emulator and writes its answer back; or, while refusing is set, answers 503 as a
// throttled or failing API would, and counts the refusal.
type gateway struct {
	*httptest.Server
	refusing atomic.Bool
	refused  atomic.Int64
}

func newGateway(t *testing.T, api *emulator) *gateway {
	t.Helper()
	g := &gateway{}
	g.Server = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if g.refusing.Load() {
			g.refused.Add(1)
			http.Error(rw, "Service Unavailable", http.StatusServiceUnavailable)
			return
		}
		ev := apiEvent(t, "list-checks.json", func(ev *events.APIGatewayV2HTTPRequest) {
			ev.RawPath, ev.RequestContext.HTTP.Path, ev.RequestContext.HTTP.Method = r.URL.Path, r.URL.Path, r.Method
			ev.Headers["user-agent"] = r.UserAgent()
		})
		resp, _ := apiCall(t, api, ev)
		rw.WriteHeader(resp.StatusCode)
		_, _ = rw.Write([]byte(resp.Body))
	}))
	t.Cleanup(g.Close)
	return g
}

// TestCanaryUnderEmulator is the ingestion guard with the real bootstraps. The sweep's SITE_ROOT
// is a stand-in for API Gateway in front of the api function, so the sweep pings its canary
// through the public endpoint as on AWS. The canary last got through 4 minutes ago (its pings
// recorded in-process; the tolerance is 150 s), and the endpoint now refuses every ping: the
// sweep holds the overdue check "backup" (the API reports it unknown in v3, grace in v1) and
// reports IngestionUnhealthy 1; the timer function, handed a timer for the overdue "nightly"
// just before, has held it the same way. Nobody is alerted: no down flip. Once the endpoint accepts pings again, the
// next sweep's canary ping gets through and it reports IngestionUnhealthy 0.
func TestCanaryUnderEmulator(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	if err := w.st.Create(ctx, "test", time.Now().UTC()); err != nil { // what migrate's Create does
		t.Fatal(err)
	}
	api := startEmulator(t, "api", w.env("api"))
	gw := newGateway(t, api)
	sweepEnv, timerEnv := w.env("sweep"), w.env("timer")
	sweepEnv["SITE_ROOT"] = gw.URL
	// The timer function re-arms only timers that come early; this test sends none.
	timerEnv["TIMER_QUEUE_URL"] = "http://127.0.0.1:1/unused-queue"
	sweepFn, timerFn := startEmulator(t, "sweep", sweepEnv), startEmulator(t, "timer", timerEnv)
	w.seed(t)

	now := time.Now().UTC()
	// The canary as the sweep's first run creates it (random IDs kept in the table): the
	// sweep and timer functions find it there, neither holds the signing secret.
	canary, err := sweep.EnsureCanary(ctx, w.st, lambdaenv.CanaryEvery, now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for i := 10; i >= 4; i-- {
		w.pingAt(t, canary.CanaryID, now.Add(-time.Duration(i)*time.Minute))
	}
	// Both checks (1 min timeout, 1 min grace) are a second past their deadline.
	for _, id := range []string{checkID, nightlyID} {
		w.pingAt(t, id, now.Add(-2*time.Minute-time.Second))
	}

	gw.refusing.Store(true)
	// The timer of nightly fires first: the timer function judges the outage by itself.
	body, err := sqstimers.Encode(sweep.Timer{CheckID: nightlyID, Due: now.Add(-time.Second).Truncate(time.Microsecond)})
	if err != nil {
		t.Fatal(err)
	}
	var resp events.SQSEventResponse
	timerFn.invokeJSON(t, events.SQSEvent{Records: []events.SQSMessage{{MessageId: "held-1", Body: body, EventSource: "aws:sqs"}}}, &resp)
	if len(resp.BatchItemFailures) != 0 {
		t.Errorf("timer: failures %+v; want none", resp.BatchItemFailures)
	}
	timerFn.waitContains(t, `"held":true`)
	scheduled := json.RawMessage(fixture(t, "sweep", "scheduled-event.json"))
	sweepFn.invokeJSON(t, scheduled, nil)
	if gw.refused.Load() != 1 {
		t.Fatalf("the sweep's canary pings refused = %d, want 1: it did not ping through SITE_ROOT", gw.refused.Load())
	}
	// The sweep logs its line, then reports the metric: once the metric is there, both are.
	out := sweepFn.waitOutput(t, "IngestionUnhealthy", func(out string) bool { return len(ingestionUnhealthy(out)) >= 1 })
	if got := ingestionUnhealthy(out); len(got) != 1 || got[0] != "1" {
		t.Errorf("IngestionUnhealthy = %v during the outage, want [1]", got)
	}
	if !strings.Contains(out, `"examined":1,"flipped":0,"armed":0,"held":1`) {
		t.Errorf("the sweep did not hold backup alone (nightly held already):\n%s", out)
	}
	for _, id := range []string{checkID, nightlyID} {
		c, err := w.st.Check(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if at := time.Now().UTC(); c.Status != check.StatusUp || !c.Unknown(at, nil) {
			t.Errorf("%s during the outage: %s, AlertAfter %v; want up and held (unknown)", id, c.Status, c.AlertAfter)
		}
		flips, err := w.st.Flips(ctx, id, store.FlipQuery{})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range flips {
			if f.NewStatus == check.StatusDown {
				t.Errorf("%s went down during the outage: %+v", id, f)
			}
		}
	}
	for version, want := range map[string]string{"v1": "grace", "v3": "unknown"} {
		r, _ := apiCall(t, api, apiEvent(t, "list-checks.json", func(ev *events.APIGatewayV2HTTPRequest) {
			ev.RawPath = "/api/" + version + "/checks/" + checkID
			ev.RequestContext.HTTP.Path = ev.RawPath
		}))
		var got struct{ Status string }
		if err := json.Unmarshal([]byte(r.Body), &got); err != nil || got.Status != want {
			t.Errorf("GET /api/%s/checks/backup = %d %s, want status %s", version, r.StatusCode, r.Body, want)
		}
	}

	gw.refusing.Store(false)
	sweepFn.invokeJSON(t, scheduled, nil)
	out = sweepFn.waitOutput(t, "a second IngestionUnhealthy", func(out string) bool { return len(ingestionUnhealthy(out)) >= 2 })
	if got := ingestionUnhealthy(out); len(got) != 2 || got[1] != "0" {
		t.Errorf("IngestionUnhealthy = %v after the recovery, want [1 0]", got)
	}
	pings, err := w.st.Pings(ctx, canary.CanaryID, 1)
	if err != nil || len(pings) != 1 || time.Since(pings[0].Created) > time.Minute {
		t.Errorf("the canary's newest ping = %v, %v; want the sweep's, through the api function", pings, err)
	}
}

// ingestionUnhealthy lists the IngestionUnhealthy values in the sweep function's output, in order.
func ingestionUnhealthy(output string) []string {
	var out []string
	for _, line := range strings.Split(output, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) != nil {
			continue
		}
		if v, ok := m[lambdaenv.IngestionUnhealthyMetric].(float64); ok {
			out = append(out, map[bool]string{true: "1", false: "0"}[v == 1])
		}
	}
	return out
}
