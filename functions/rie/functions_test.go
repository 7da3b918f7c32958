package rie

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/schema"
)

// instances are one warm instance of each function, over one world.
type instances struct {
	api, sweep, notify, migrate *emulator
}

func (fns instances) byName() map[string]*emulator {
	return map[string]*emulator{"api": fns.api, "sweep": fns.sweep, "notify": fns.notify, "migrate": fns.migrate}
}

// startAll starts an emulator for each function with the world's environment and extra.
func startAll(t *testing.T, w *world, extra map[string]string) instances {
	t.Helper()
	env := func(fn string) map[string]string {
		e := w.env(fn)
		maps.Copy(e, extra)
		return e
	}
	return instances{
		api:     startEmulator(t, "api", env("api")),
		sweep:   startEmulator(t, "sweep", env("sweep")),
		notify:  startEmulator(t, "notify", env("notify")),
		migrate: startEmulator(t, "migrate", env("migrate")),
	}
}

// migrateResponse is what the migrate function returns to the CDK Provider framework.
type migrateResponse struct {
	PhysicalResourceID string            `json:"PhysicalResourceId"`
	Data               map[string]string `json:"Data"`
}

// cfnEvent is the migrate fixture name for the world's table, with its ResponseURL at url.
func cfnEvent(t *testing.T, w *world, name, url string, edit func(props map[string]any)) map[string]any {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(fixture(t, "migrate", name), &ev); err != nil {
		t.Fatal(err)
	}
	ev["ResponseURL"] = url
	if ev["PhysicalResourceId"] != nil {
		ev["PhysicalResourceId"] = w.table
	}
	for _, key := range []string{"ResourceProperties", "OldResourceProperties"} {
		if props, ok := ev[key].(map[string]any); ok {
			props["TableName"] = w.table
			if edit != nil && key == "ResourceProperties" {
				edit(props)
			}
		}
	}
	return ev
}

// responseURL is a stand-in for CloudFormation's pre-signed response URL on loopback; it
// counts the requests it gets.
func responseURL(t *testing.T) (string, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/cloudformation-response", &n
}

// apiCall invokes the api function with ev and returns its API Gateway response.
func apiCall(t *testing.T, e *emulator, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, invocation) {
	t.Helper()
	var resp events.APIGatewayV2HTTPResponse
	inv := e.invokeJSON(t, ev, &resp)
	return resp, inv
}

// TestBootstrapsUnderEmulator runs each function's real bootstrap under the Runtime Interface
// Emulator against moto, in the order a deploy and then traffic reach them: migrate creates the
// data model for a CloudFormation Create; api takes a ping, a management call and a bad
// request as API Gateway v2 events; sweep finds the overdue check on a scheduled event; notify
// delivers the flips both wrote, read from the table's real stream, as email through SES.
func TestBootstrapsUnderEmulator(t *testing.T) {
	w := newWorld(t)
	fns := startAll(t, w, nil)
	cold, warm := map[string]invocation{}, map[string]invocation{}

	// migrate: Create on an empty table writes META at this build's version. The function
	// answers the CDK Provider framework, which PUTs the result to the ResponseURL: the function
	// itself must never, or CloudFormation would get two answers.
	url, puts := responseURL(t)
	var created migrateResponse
	cold["migrate"] = fns.migrate.invokeJSON(t, cfnEvent(t, w, "create.json", url, nil), &created)
	v, err := w.st.Version(t.Context())
	if err != nil || schema.Ready(v, schema.This()) != nil {
		t.Fatalf("after migrate Create the table records %v (%v), which this build cannot use as it is", v, err)
	}
	if created.PhysicalResourceID != w.table || created.Data["Version"] != strconv.Itoa(v.Version) || created.Data["MinReader"] != strconv.Itoa(v.MinReader) {
		t.Errorf("migrate Create = %+v, want PhysicalResourceId %s and the table's %v", created, w.table, v)
	}
	// A malformed resource fails the invocation (the framework turns that into FAILED).
	bad := fns.migrate.invoke(t, mustJSON(t, cfnEvent(t, w, "update.json", url, func(p map[string]any) { p["SchemaVersion"] = "three" })))
	warm["migrate"] = bad
	if fe, ok := bad.failed(); !ok || !strings.Contains(fe.Message, "SchemaVersion") {
		t.Errorf("migrate Update with SchemaVersion \"three\" = %s, want a function error naming SchemaVersion", bad.body)
	}
	before := w.scan(t)
	var deleted migrateResponse
	fns.migrate.invokeJSON(t, cfnEvent(t, w, "delete.json", url, nil), &deleted)
	if deleted.PhysicalResourceID != w.table {
		t.Errorf("migrate Delete = %+v, want PhysicalResourceId %s", deleted, w.table)
	}
	if diff := diffItems(before, w.scan(t)); diff != "" {
		t.Errorf("migrate Delete changed the table:\n%s", diff)
	}
	if n := puts.Load(); n != 0 {
		t.Errorf("the function sent %d requests to the ResponseURL, want none (the Provider framework answers)", n)
	}

	w.seed(t)
	w.pingAt(t, nightlyID, time.Now().UTC().Add(-time.Hour)) // up, and overdue since 58 min

	// api: the recorded failure ping, the recorded management call, a body that is not JSON.
	resp, inv := apiCall(t, fns.api, apiEvent(t, "ping-fail.json", nil))
	cold["api"] = inv
	if resp.StatusCode != http.StatusOK || resp.Body != "OK" {
		t.Errorf("POST /ping/%s/fail = %d %q, want 200 OK", checkID, resp.StatusCode, resp.Body)
	}
	if got := w.status(t, checkID); got != check.StatusDown {
		t.Errorf("after the failure ping, backup is %s, want down", got)
	}
	resp, warm["api"] = apiCall(t, fns.api, apiEvent(t, "list-checks.json", nil))
	var list struct {
		Checks []struct{ Name, Status string } `json:"checks"`
	}
	if err := json.Unmarshal([]byte(resp.Body), &list); resp.StatusCode != http.StatusOK || err != nil {
		t.Fatalf("GET /api/v3/checks/ = %d %q (%v), want 200 and JSON", resp.StatusCode, resp.Body, err)
	}
	var names []string
	for _, c := range list.Checks {
		names = append(names, c.Name+":"+c.Status)
	}
	slices.Sort(names)
	// The listing computes the status at now: nightly is down there before the sweep writes it.
	if want := []string{"backup:down", "nightly:down"}; !slices.Equal(names, want) {
		t.Errorf("GET /api/v3/checks/ lists %v, want %v", names, want)
	}
	resp, _ = apiCall(t, fns.api, apiEvent(t, "list-checks.json", func(ev *events.APIGatewayV2HTTPRequest) {
		ev.RequestContext.HTTP.Method, ev.Body = http.MethodPost, "this is not json"
	}))
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(resp.Body, "could not parse request body") {
		t.Errorf("POST /api/v3/checks/ with a body that is not JSON = %d %q, want 400 naming the body", resp.StatusCode, resp.Body)
	}

	// sweep: the scheduled event; nightly went down.
	if got := w.status(t, nightlyID); got != check.StatusUp {
		t.Fatalf("before the sweep, nightly is stored %s, want up", got)
	}
	cold["sweep"] = fns.sweep.invokeJSON(t, json.RawMessage(fixture(t, "sweep", "scheduled-event.json")), nil)
	if got := w.status(t, nightlyID); got != check.StatusDown {
		t.Errorf("after the sweep, nightly is %s, want down", got)
	}
	itemsAfterSweep := len(w.scan(t))
	warm["sweep"] = fns.sweep.invokeJSON(t, json.RawMessage(fixture(t, "sweep", "scheduled-event.json")), nil)
	if n := len(w.scan(t)); n != itemsAfterSweep {
		t.Errorf("a second sweep changed the number of items from %d to %d, want nothing left to flip", itemsAfterSweep, n)
	}

	// notify: what the stream holds, as Lambda's poller would hand it over.
	batch, n := w.streamEvent(t)
	if flips := flipRecords(batch); flips < 2 {
		t.Fatalf("the stream holds %d records, %d of them flip insertions; want at least the two downs", n, flips)
	}
	var out events.DynamoDBEventResponse
	cold["notify"] = fns.notify.invokeJSON(t, batch, &out)
	if len(out.BatchItemFailures) != 0 {
		t.Errorf("notify BatchItemFailures = %+v, want none", out.BatchItemFailures)
	}
	if got, want := w.emails(t), []string{"DOWN | backup", "DOWN | nightly"}; !slices.Equal(got, want) {
		t.Errorf("emails to %s = %q, want %q", w.email, got, want)
		w.logFlips(t, fns)
	}
	// Lambda may deliver a batch twice: the delivery records make the second time send nothing.
	warm["notify"] = fns.notify.invokeJSON(t, batch, &out)
	if got, want := w.emails(t), []string{"DOWN | backup", "DOWN | nightly"}; len(out.BatchItemFailures) != 0 || !slices.Equal(got, want) {
		t.Errorf("the same batch again: failures %+v, emails %q; want none and still %q", out.BatchItemFailures, got, want)
	}

	if d, err := bootstraps(); err == nil {
		t.Logf("bootstraps built in %v into %s", buildTime.Round(time.Millisecond), d)
	}
	for _, fn := range functions {
		t.Logf("%-7s first invocation (cold start included) %v, a warm one %v", fn,
			cold[fn].elapsed.Round(time.Millisecond), warm[fn].elapsed.Round(time.Millisecond))
	}
	// Every invocation went to the one warm bootstrap each emulator started.
	for fn, e := range fns.byName() {
		if pids := e.bootstrapPIDs(t); len(pids) != 1 {
			t.Errorf("%s: the emulator runs bootstraps %v, want one warm instance", fn, pids)
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
