package rie

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/lambdaenv"
	"github.com/overduehq/overdue/internal/schema"
	"github.com/overduehq/overdue/internal/store/dynamo"
)

// setDataModel writes version and minimum reader on the table's META item directly, as another
// build's migration would (a newer build's contract step; a restore).
func (w *world) setDataModel(t *testing.T, v schema.Version) {
	t.Helper()
	_, err := w.db.UpdateItem(t.Context(), &dynamodb.UpdateItemInput{
		TableName: &w.table,
		Key: map[string]types.AttributeValue{
			dynamo.PartitionKey: &types.AttributeValueMemberS{Value: "META"},
			dynamo.SortKey:      &types.AttributeValueMemberS{Value: "SCHEMA"},
		},
		UpdateExpression:    aws.String("SET version = :v, min_reader = :r"),
		ConditionExpression: aws.String("attribute_exists(version)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":v": &types.AttributeValueMemberN{Value: strconv.Itoa(v.Version)},
			":r": &types.AttributeValueMemberN{Value: strconv.Itoa(v.MinReader)},
		},
	})
	if err != nil {
		t.Fatalf("set the data model to %v: %v", v, err)
	}
}

// pids is the bootstrap process of each function's warm instance.
func (fns instances) pids(t *testing.T) map[string][]int {
	t.Helper()
	out := map[string][]int{}
	for fn, e := range fns.byName() {
		out[fn] = e.bootstrapPIDs(t)
	}
	return out
}

// TestSeedScenario is issue 12's scenario on the real bootstraps: warm instances of all four
// functions; the data model moved past them by a newer build's contract step (the minimum
// reader raised above this build); every function refuses — api answers 503 naming both
// versions, sweep and notify fail their invocations so that Lambda counts the errors, migrate
// fails the deploy — and not one item of the table changes. Then the data model moves back
// into range and the same instances, never restarted, serve again.
func TestSeedScenario(t *testing.T) {
	w := newWorld(t)
	fns := startAll(t, w, map[string]string{lambdaenv.GuardMaxAge: "1ns"})
	url, _ := responseURL(t)

	// Warm every instance on data they can use. A warm instance trusts a data-model check that
	// let it write for GUARD_MAX_AGE (5 s by default: the window README's "Upgrades and
	// rollbacks" states, which the deploy's ordering closes and the dynamo store's tests pin with
	// a moved clock); here it is 1 ns, so that the first thing each instance does after the move
	// reads META again, without the test waiting out the window.
	fns.migrate.invokeJSON(t, cfnEvent(t, w, "create.json", url, nil), nil)
	w.seed(t)
	if resp, _ := apiCall(t, fns.api, apiEvent(t, "list-checks.json", nil)); resp.StatusCode != http.StatusOK {
		t.Fatalf("warm-up GET /api/v3/checks/ = %d %q, want 200", resp.StatusCode, resp.Body)
	}
	fns.sweep.invokeJSON(t, json.RawMessage(fixture(t, "sweep", "scheduled-event.json")), nil)
	warmBatch, _ := w.streamEvent(t) // the seed's records: nothing to deliver
	var out events.DynamoDBEventResponse
	fns.notify.invokeJSON(t, warmBatch, &out)
	if len(out.BatchItemFailures) != 0 {
		t.Fatalf("warm-up notify BatchItemFailures = %+v, want none", out.BatchItemFailures)
	}
	warm := fns.pids(t)

	// Work for each of them: nightly overdue for the sweep; a failure flip of backup on the
	// stream for notify (written in-process by this build, before the data model moves).
	w.pingAt(t, nightlyID, time.Now().UTC().Add(-time.Hour))
	w.failAt(t, checkID, time.Now().UTC().Add(-time.Minute))
	batch, _ := w.streamEvent(t)
	if flipRecords(batch) == 0 {
		t.Fatal("the stream holds no flip for notify to deliver")
	}

	// A newer build's contract step: its version, and a minimum reader above this build.
	orig, err := w.st.Version(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	newer := schema.Version{Version: schema.Current + 2, MinReader: schema.Current + 1}
	w.setDataModel(t, newer)
	before := w.scan(t)
	wantMsg := []string{
		fmt.Sprintf("data model version %d is newer than this build can use", newer.Version),
		fmt.Sprintf("this build writes version %d", schema.Current),
	}

	// api: a ping and a management write answer 503 with the guard's message.
	for _, ev := range []events.APIGatewayV2HTTPRequest{
		apiEvent(t, "ping-fail.json", nil),
		apiEvent(t, "list-checks.json", func(ev *events.APIGatewayV2HTTPRequest) {
			ev.RequestContext.HTTP.Method, ev.Body = http.MethodPost, `{"name": "written after the move", "timeout": 3600}`
		}),
	} {
		resp, _ := apiCall(t, fns.api, ev)
		if resp.StatusCode != http.StatusServiceUnavailable || !containsAll(resp.Body, wantMsg) {
			t.Errorf("%s %s on data %v = %d %q, want 503 naming both versions",
				ev.RequestContext.HTTP.Method, ev.RawPath, newer, resp.StatusCode, resp.Body)
		}
	}
	// sweep: the invocation fails (Lambda counts an error) and flips nothing.
	inv := fns.sweep.invoke(t, fixture(t, "sweep", "scheduled-event.json"))
	if fe, ok := inv.failed(); !ok || !containsAll(fe.Message, wantMsg) {
		t.Errorf("sweep on data %v = %s, want a function error naming both versions", newer, inv.body)
	}
	// notify: the flip is not delivered and the batch is not done: a function error, or the
	// flip's record among the batch item failures (Lambda sends it again).
	inv = fns.notify.invoke(t, mustJSON(t, batch))
	t.Logf("notify on data %v answered %s", newer, inv.body)
	if fe, ok := inv.failed(); !ok {
		var resp events.DynamoDBEventResponse
		if err := json.Unmarshal(inv.body, &resp); err != nil || len(resp.BatchItemFailures) == 0 {
			t.Errorf("notify on data %v = %s, want a function error or batch item failures", newer, inv.body)
		}
	} else if !containsAll(fe.Message, wantMsg) {
		t.Errorf("notify on data %v failed with %q, want the guard's message", newer, fe.Message)
	}
	// migrate: a deploy of this build fails, naming both versions.
	inv = fns.migrate.invoke(t, mustJSON(t, cfnEvent(t, w, "update.json", url, func(p map[string]any) {
		p["SchemaVersion"] = strconv.Itoa(schema.Current)
	})))
	if fe, ok := inv.failed(); !ok || !containsAll(fe.Message, wantMsg) {
		t.Errorf("migrate Update on data %v = %s, want a function error naming both versions", newer, inv.body)
	}

	if diff := diffItems(before, w.scan(t)); diff != "" {
		t.Errorf("items changed while the data model was past the functions:\n%s", diff)
	}
	if got := w.emails(t); len(got) != 0 {
		t.Errorf("emails sent while the data model was past notify: %q", got)
	}
	if got := fns.pids(t); !equalPIDs(got, warm) {
		t.Errorf("bootstraps %v after the refusals, want the warm instances %v", got, warm)
	}

	// The data model moves back into range (a restore, or the newer build rolled back before
	// its contract step): the same instances serve again, after their backoff, without a
	// restart. Each invocation below is retried until it is served, as Lambda's callers retry.
	w.setDataModel(t, orig)
	served := func(what string, try func() bool) {
		t.Helper()
		start := time.Now()
		deadline := start.Add(recoveryDeadline)
		tries := 1
		for ; !try(); tries++ {
			if time.Now().After(deadline) {
				t.Fatalf("%s: still refused %v after the data model moved back", what, recoveryDeadline)
			}
			time.Sleep(pollInterval)
		}
		t.Logf("%s served again after %v (%d invocations)", what, time.Since(start).Round(time.Millisecond), tries)
	}
	served("api ping", func() bool {
		resp, _ := apiCall(t, fns.api, apiEvent(t, "ping-fail.json", nil))
		return resp.StatusCode == http.StatusOK && resp.Body == "OK"
	})
	served("sweep", func() bool {
		_, failed := fns.sweep.invoke(t, fixture(t, "sweep", "scheduled-event.json")).failed()
		return !failed
	})
	if got := w.status(t, nightlyID); got != check.StatusDown {
		t.Errorf("after the sweep served again, nightly is %s, want down", got)
	}
	served("notify", func() bool {
		var resp events.DynamoDBEventResponse
		inv := fns.notify.invoke(t, mustJSON(t, batch))
		_, failed := inv.failed()
		return !failed && json.Unmarshal(inv.body, &resp) == nil && len(resp.BatchItemFailures) == 0
	})
	if got, want := w.emails(t), []string{"DOWN | backup"}; !slices.Equal(got, want) {
		t.Errorf("emails after notify served again = %q, want %q", got, want)
	}
	if got := fns.pids(t); !equalPIDs(got, warm) {
		t.Errorf("bootstraps %v after recovery, want the warm instances %v: they must recover without a restart", got, warm)
	}
}

// How long a refusing instance may take to serve again once the data fits (its backoff), and
// how often the test asks.
const (
	recoveryDeadline = 45 * time.Second
	pollInterval     = 100 * time.Millisecond
)

// failAt records a failure ping of check id at the instant at, through the store.
func (w *world) failAt(t *testing.T, id string, at time.Time) {
	t.Helper()
	w.signalAt(t, id, check.Signal{Kind: check.PingFail, Method: "POST"}, at)
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

func equalPIDs(a, b map[string][]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) || len(v) != 1 {
			return false
		}
	}
	return true
}
