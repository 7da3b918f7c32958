package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/lambdaenv"
	"github.com/overduehq/overdue/internal/schema"
	"github.com/overduehq/overdue/internal/seal"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/dynamo"
	"github.com/overduehq/overdue/internal/store/dynamo/dynamotest"
	"github.com/overduehq/overdue/internal/sweep"
)

var t0 = time.Date(2026, 11, 24, 20, 1, 12, 0, time.UTC)

// readRequest loads a fixture: a custom resource request as CloudFormation sends it, through
// the Provider framework.
func readRequest(t *testing.T, name string) (request, []byte) {
	t.Helper()
	raw, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var req request
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return req, raw
}

// TestRequestRoundTrip decodes each fixture and encodes it again, unchanged.
func TestRequestRoundTrip(t *testing.T) {
	for _, tt := range []struct {
		file, requestType string
		physicalID, old   bool
	}{
		{"create.json", "Create", false, false},
		{"update.json", "Update", true, true},
		{"delete.json", "Delete", true, false},
	} {
		t.Run(tt.file, func(t *testing.T) {
			req, raw := readRequest(t, tt.file)
			out, err := json.Marshal(req)
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
				t.Errorf("round trip changed the request (-fixture +re-encoded):\n%s", diff)
			}
			if req.RequestType != tt.requestType || (req.PhysicalResourceID != "") != tt.physicalID ||
				(req.OldResourceProperties != nil) != tt.old {
				t.Errorf("request = %+v, want a %s request", req, tt.requestType)
			}
			if req.ResourceProperties[propSchemaVersion] != strconv.Itoa(schema.Current) ||
				req.ResourceProperties[propTableName] != "overdue-prod-v1" || req.ServiceToken == "" {
				t.Errorf("ResourceProperties = %v, want this build's version as a string and the table", req.ResourceProperties)
			}
		})
	}
}

// TestResponseShape: the Provider framework reads PhysicalResourceId and Data from what
// onEvent returns.
func TestResponseShape(t *testing.T) {
	h := &handler{}
	b, err := json.Marshal(h.answer("overdue-prod-v1", schema.Version{Version: 2, MinReader: 1}))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"PhysicalResourceId":"overdue-prod-v1","Data":{"MinReader":"1","Version":"2"}}`
	if string(b) != want {
		t.Errorf("response = %s, want %s", b, want)
	}
}

func motoDB(t *testing.T) *dynamodb.Client {
	t.Helper()
	url := os.Getenv("OVERDUE_MOTO_URL")
	if url == "" {
		t.Fatal("moto_server is not running: run the tests with 'make test' (which starts it), or install it with pip install 'moto[server]'")
	}
	return dynamodb.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	}, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(url) })
}

// newTable creates a table for one test and deletes it at the end.
func newTable(t *testing.T, db *dynamodb.Client) string {
	t.Helper()
	table := dynamotest.Table(t, db, "overdue-fn-migrate")
	return table
}

func newHandler(db *dynamodb.Client, logs *bytes.Buffer) *handler {
	return &handler{
		db:     db,
		build:  schema.This(),
		now:    func() time.Time { return t0 },
		log:    lambdaenv.Logger(logs, slog.LevelInfo),
		box:    testBox,
		secret: []byte(testSecret),
	}
}

// testSecret is the signing secret of the tests' function.
const testSecret = "0123456789abcdef0123456789abcdef"

// testBox seals channel values as the function's would under the tests' secret.
var testBox = func() *seal.Box {
	b, err := seal.New([]byte(testSecret))
	if err != nil {
		panic(err)
	}
	return b
}()

// forTable points a fixture at the test's table.
func forTable(req request, table string) request {
	req.ResourceProperties = clone(req.ResourceProperties)
	req.ResourceProperties[propTableName] = table
	return req
}

func clone(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// seedVersion1 writes a project, a check and a ping as the release before versioned data
// models did: data and no META item, which the store reads as version 1.
func seedVersion1(t *testing.T, db *dynamodb.Client, table string) {
	t.Helper()
	ctx := t.Context()
	st := dynamo.New(db, table, store.Options{Box: testBox})
	st.Gate = nil // that release had no write guard
	p := &check.Project{ID: "a0000000-0000-4000-8000-000000000001", Name: "Legacy", Created: t0,
		APIKeyHash: check.HashKey("hcw_legacy"), PingKeyHash: check.HashKey("legacy")}
	if err := st.CreateProject(ctx, p); err != nil {
		t.Fatal(err)
	}
	c := check.New("c0000000-0000-4000-8000-000000000001", p.ID, t0)
	c.Name, c.Slug = "backup", "backup"
	if err := st.CreateCheck(ctx, c); err != nil {
		t.Fatal(err)
	}
}

// putMeta records a data model as a build of that version would.
func putMeta(t *testing.T, db *dynamodb.Client, table string, version, minReader int) {
	t.Helper()
	_, err := db.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: &table, Item: map[string]types.AttributeValue{
		"pk":         &types.AttributeValueMemberS{Value: "META"},
		"sk":         &types.AttributeValueMemberS{Value: "SCHEMA"},
		"version":    &types.AttributeValueMemberN{Value: strconv.Itoa(version)},
		"min_reader": &types.AttributeValueMemberN{Value: strconv.Itoa(minReader)},
	}})
	if err != nil {
		t.Fatal(err)
	}
}

// scan reads every item of the table, in key order.
func scan(t *testing.T, db *dynamodb.Client, table string) []map[string]types.AttributeValue {
	t.Helper()
	var out []map[string]types.AttributeValue
	in := &dynamodb.ScanInput{TableName: &table, ConsistentRead: aws.Bool(true)}
	for {
		res, err := db.Scan(t.Context(), in)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, res.Items...)
		if len(res.LastEvaluatedKey) == 0 {
			break
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
	key := func(m map[string]types.AttributeValue) string {
		return m["pk"].(*types.AttributeValueMemberS).Value + "\x00" + m["sk"].(*types.AttributeValueMemberS).Value
	}
	slices.SortFunc(out, func(a, b map[string]types.AttributeValue) int { return strings.Compare(key(a), key(b)) })
	return out
}

func TestCreateOnEmptyTable(t *testing.T) {
	db := motoDB(t)
	table := newTable(t, db)
	var logs bytes.Buffer
	req, _ := readRequest(t, "create.json")
	resp, err := newHandler(db, &logs).handle(t.Context(), forTable(req, table))
	if err != nil {
		t.Fatalf("Create = %v", err)
	}
	want := response{PhysicalResourceID: table, Data: map[string]string{
		"Version": strconv.Itoa(schema.Current), "MinReader": strconv.Itoa(schema.This().MinReader())}}
	if diff := cmp.Diff(want, resp); diff != "" {
		t.Errorf("response mismatch (-want +got):\n%s", diff)
	}
	st := dynamo.New(db, table, store.Options{Box: testBox})
	if v, err := st.Version(t.Context()); err != nil || v.Version != schema.Current {
		t.Errorf("Version after Create = %v, %v; want %d", v, err, schema.Current)
	}
	hist, err := st.History(t.Context())
	if err != nil || len(hist) != 1 || hist[0].Build != "v0.2.0" || !hist[0].At.Equal(t0) {
		t.Errorf("History = %+v, %v; want one entry by v0.2.0 (the Build property) at t0", hist, err)
	}
	if !strings.Contains(logs.String(), `"msg":"data model ready"`) || !strings.Contains(logs.String(), `"decision":"create"`) {
		t.Errorf("logs %s lack the decision", logs.String())
	}
}

// TestUpdateAdoptsCanary: a deploy over a stage whose earlier sweep derived the ingestion
// canary's IDs from the secret records them as the stage's canary, before the new sweep (which
// has no secret) runs, so the canary and its pings stay; a stage without one gets none from
// the deploy (the sweep makes a random one at its first run).
func TestUpdateAdoptsCanary(t *testing.T) {
	db := motoDB(t)
	var logs bytes.Buffer
	create, _ := readRequest(t, "create.json")
	update, _ := readRequest(t, "update.json")
	legacy := sweep.LegacyCanary([]byte(testSecret))

	table := newTable(t, db)
	if _, err := newHandler(db, &logs).handle(t.Context(), forTable(create, table)); err != nil {
		t.Fatalf("Create = %v", err)
	}
	st := dynamo.New(db, table, store.Options{Box: testBox})
	if c, err := st.Canary(t.Context()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("canary after creating an empty stage = %+v, %v; want none", c, err)
	}
	// What the sweep of an earlier build created at its first run.
	if err := st.CreateProject(t.Context(), &check.Project{ID: legacy.ProjectID, Name: sweep.CanaryProjectName, Created: t0,
		APIKeyHash: "a", ReadOnlyKeyHash: "b", PingKeyHash: "c"}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateCheck(t.Context(), check.New(legacy.CheckID, legacy.ProjectID, t0)); err != nil {
		t.Fatal(err)
	}
	if _, err := newHandler(db, &logs).handle(t.Context(), forTable(update, table)); err != nil {
		t.Fatalf("Update = %v", err)
	}
	if c, err := st.Canary(t.Context()); err != nil || c != legacy {
		t.Errorf("canary after the deploy = %+v, %v; want the derived one, %+v", c, err, legacy)
	}
	in, err := sweep.EnsureCanary(t.Context(), st, time.Minute, t0)
	if err != nil || in.CanaryID != legacy.CheckID {
		t.Errorf("the new sweep's canary = %+v, %v; want %s", in, err, legacy.CheckID)
	}
}

func TestUpdateMigratesVersion1(t *testing.T) {
	db := motoDB(t)
	table := newTable(t, db)
	seedVersion1(t, db, table)
	var logs bytes.Buffer
	req, _ := readRequest(t, "update.json")
	resp, err := newHandler(db, &logs).handle(t.Context(), forTable(req, table))
	if err != nil {
		t.Fatalf("Update = %v", err)
	}
	// The fixture is the expand resource: it applies the expand steps up to the first contract.
	expand, _ := schema.This().Split(1)
	last := expand[len(expand)-1].Version
	if resp.PhysicalResourceID != table || resp.Data["Version"] != strconv.Itoa(last) || resp.Data["MinReader"] != "1" {
		t.Errorf("response = %+v, want version %d, min reader 1", resp, last)
	}
	st := dynamo.New(db, table, store.Options{Box: testBox})
	hist, err := st.History(t.Context())
	if err != nil || len(hist) != last-1 || hist[0].Version != 2 || hist[len(hist)-1].Version != last ||
		hist[0].Build != "v0.2.1" {
		t.Errorf("History = %+v, %v; want the migrations to 2 … %d by v0.2.1", hist, err, last)
	}
	if c, err := st.Check(t.Context(), "c0000000-0000-4000-8000-000000000001"); err != nil || c.Name != "backup" {
		t.Errorf("Check after migrating = %v, %v", c, err)
	}
	// Deploying again: nothing to do, nothing written.
	before := scan(t, db, table)
	if _, err := newHandler(db, &logs).handle(t.Context(), forTable(req, table)); err != nil {
		t.Errorf("Update again = %v", err)
	}
	if !reflect.DeepEqual(before, scan(t, db, table)) {
		t.Errorf("a second Update changed the table")
	}
}

// TestUpdateRefusesNewerData is the refused downgrade: deploying this build over data whose
// minimum reader is above it fails the resource with the guard's message, which the Provider
// framework makes the Reason, and the table is item for item as it was.
func TestUpdateRefusesNewerData(t *testing.T) {
	db := motoDB(t)
	table := newTable(t, db)
	seedVersion1(t, db, table)
	putMeta(t, db, table, schema.Current+1, schema.Current+1)
	before := scan(t, db, table)
	var logs bytes.Buffer
	req, _ := readRequest(t, "update.json")
	_, err := newHandler(db, &logs).handle(t.Context(), forTable(req, table))
	if err == nil {
		t.Fatal("Update over newer data = nil, want the guard's refusal")
	}
	want := (&schema.VersionError{Data: schema.Version{Version: schema.Current + 1, MinReader: schema.Current + 1},
		Current: schema.Current, Oldest: schema.Oldest}).Error()
	if got := err.Error(); got != "table "+table+": "+want {
		t.Errorf("error =\n  %q\nwant\n  %q", got, "table "+table+": "+want)
	}
	if !reflect.DeepEqual(before, scan(t, db, table)) {
		t.Errorf("the refused table changed")
	}
	if !strings.Contains(logs.String(), `"level":"ERROR"`) || !strings.Contains(logs.String(), `"decision":"refuse"`) {
		t.Errorf("logs %s lack the refusal", logs.String())
	}
}

// TestUpdateDuringRollback: CloudFormation rolling back sends the previous properties to this
// build's function; it succeeds, reports the data, and writes nothing, even on data it could
// migrate.
func TestUpdateDuringRollback(t *testing.T) {
	db := motoDB(t)
	table := newTable(t, db)
	seedVersion1(t, db, table)
	before := scan(t, db, table)
	req, _ := readRequest(t, "update.json")
	req = forTable(req, table)
	req.ResourceProperties[propSchemaVersion], req.OldResourceProperties[propSchemaVersion] =
		strconv.Itoa(schema.Current+1), strconv.Itoa(schema.Current)
	var logs bytes.Buffer
	resp, err := newHandler(db, &logs).handle(t.Context(), req)
	if err != nil {
		t.Fatalf("rollback Update = %v", err)
	}
	if resp.Data["Version"] != "1" {
		t.Errorf("response = %+v, want the data's version 1", resp)
	}
	if !reflect.DeepEqual(before, scan(t, db, table)) {
		t.Errorf("a rollback Update changed the table")
	}
	if !strings.Contains(logs.String(), "rollback in progress") {
		t.Errorf("logs %s do not say why nothing was done", logs.String())
	}
}

// TestDeleteTouchesNothing: deleting the stack or replacing the resource leaves the data, even
// data this build could not use.
func TestDeleteTouchesNothing(t *testing.T) {
	db := motoDB(t)
	table := newTable(t, db)
	seedVersion1(t, db, table)
	putMeta(t, db, table, schema.Current+1, schema.Current+1)
	before := scan(t, db, table)
	req, _ := readRequest(t, "delete.json")
	var logs bytes.Buffer
	resp, err := newHandler(db, &logs).handle(t.Context(), forTable(req, table))
	if err != nil {
		t.Fatalf("Delete = %v", err)
	}
	if resp.PhysicalResourceID != req.PhysicalResourceID {
		t.Errorf("Delete answered PhysicalResourceId %q, want the request's %q (the framework refuses a change)",
			resp.PhysicalResourceID, req.PhysicalResourceID)
	}
	if !reflect.DeepEqual(before, scan(t, db, table)) {
		t.Errorf("Delete changed the table")
	}
}

func TestBadRequests(t *testing.T) {
	db := motoDB(t)
	create, _ := readRequest(t, "create.json")
	without := func(k string) request {
		r := create
		r.ResourceProperties = clone(r.ResourceProperties)
		delete(r.ResourceProperties, k)
		return r
	}
	withVersion := func(v any) request {
		r := without(propSchemaVersion)
		r.ResourceProperties[propSchemaVersion] = v
		return r
	}
	withProp := func(k string, v any) request {
		r := without(k)
		r.ResourceProperties[k] = v
		return r
	}
	unknown := create
	unknown.RequestType = "Replace"
	for _, tt := range []struct {
		name string
		req  request
		want string
	}{
		{"unknown request type", unknown, `unknown RequestType "Replace"`},
		{"no schema version", without(propSchemaVersion), "resource property SchemaVersion is missing"},
		{"schema version not a number", withVersion("two"), `resource property SchemaVersion is "two"`},
		{"no table anywhere", without(propTableName), "no table: set resource property TableName or the environment variable TABLE_NAME"},
		{"unknown phase", withProp(propPhase, "migrate"), `resource property Phase is "migrate": want "expand" or "contract"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			_, err := newHandler(db, &logs).handle(t.Context(), tt.req)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("handle = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// TestTableFromEnvironment: without a TableName property the function uses TABLE_NAME.
func TestTableFromEnvironment(t *testing.T) {
	db := motoDB(t)
	table := newTable(t, db)
	cfg := loadSettings(lambdaenv.New(func(k string) (string, bool) {
		v, ok := map[string]string{"TABLE_NAME": table}[k]
		return v, ok
	}))
	req, _ := readRequest(t, "create.json")
	delete(req.ResourceProperties, propTableName)
	var logs bytes.Buffer
	h := newHandler(db, &logs)
	h.table = cfg.Table
	resp, err := h.handle(t.Context(), req)
	if err != nil || resp.PhysicalResourceID != table {
		t.Errorf("Create with TABLE_NAME = %+v, %v", resp, err)
	}
}

// build5 is the release that shipped the body-size contract (version 5).
func build5() schema.Build {
	return schema.Build{Current: 5, Oldest: 1, Migrations: schema.This().Migrations[:4]}
}

// phases runs one deploy as CloudFormation does: the expand resource, then (after the
// functions) the contract resource, both with the build name given.
func phases(t *testing.T, db *dynamodb.Client, table, build string, between func(expand response, logs string)) response {
	t.Helper()
	var logs bytes.Buffer
	req, _ := readRequest(t, "update.json")
	req = forTable(req, table)
	req.ResourceProperties[propBuild] = build
	resp, err := newHandler(db, &logs).handle(t.Context(), req)
	if err != nil {
		t.Fatalf("expand Update = %v", err)
	}
	between(resp, logs.String())
	req.ResourceProperties = clone(req.ResourceProperties)
	req.ResourceProperties[propPhase] = "contract"
	resp, err = newHandler(db, &logs).handle(t.Context(), req)
	if err != nil {
		t.Fatalf("contract Update = %v", err)
	}
	return resp
}

func historyOf(t *testing.T, st *dynamo.Store) []string {
	t.Helper()
	hist, err := st.History(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range hist {
		got = append(got, fmt.Sprintf("%d/%d by %s", e.Version, e.MinReader, e.Build))
	}
	return got
}

// build6 is the release before sealed channel values (v0.2.0).
func build6() schema.Build {
	return schema.Build{Current: 6, Oldest: 1, Migrations: schema.This().Migrations[:5]}
}

// TestPhases is one deploy of this build over the previous release's data (version 6, with a
// channel whose value that release wrote in clear text), as CloudFormation runs it: the expand
// resource before the functions applies the expand step 7, after which the new functions' store
// reads the clear value as it is; the contract resource after them seals it (8, min reader 7).
// Each history entry names the build from the resource's properties.
func TestPhases(t *testing.T) {
	ctx := t.Context()
	db := motoDB(t)
	table := newTable(t, db)
	seedVersion1(t, db, table)
	st := dynamo.New(db, table, store.Options{Box: testBox})
	if _, err := schema.Run(ctx, st, schema.RunOptions{Build: build6(), Name: "v0.2.0", Now: func() time.Time { return t0 }}); err != nil {
		t.Fatal(err)
	}
	const project, channel, secret = "a0000000-0000-4000-8000-000000000001", "e0000000-0000-4000-8000-000000000001",
		"https://hooks.slack.com/services/T0/B0/cLeArSeCrEt"
	channelKey := map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "CHANNEL#" + channel},
		"sk": &types.AttributeValueMemberS{Value: "CHANNEL"},
	}
	item := maps.Clone(channelKey)
	for k, v := range map[string]string{"pid": project, "kind": "slack", "name": "ops", "val": secret,
		"gpk": "PROJECT#" + project, "gsk": "CHANNEL"} {
		item[k] = &types.AttributeValueMemberS{Value: v}
	}
	item["cr"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(t0.UnixMicro(), 10)}
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: item}); err != nil {
		t.Fatal(err)
	}
	storedValue := func() string {
		t.Helper()
		out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: channelKey, ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		return out.Item["val"].(*types.AttributeValueMemberS).Value
	}
	openedValue := func() string {
		t.Helper()
		chans, err := st.Channels(ctx, project)
		if err != nil || len(chans) != 1 {
			t.Fatalf("Channels = %v, %v; want the one channel", chans, err)
		}
		return chans[0].Value
	}

	resp := phases(t, db, table, "v0.3.0", func(resp response, logs string) {
		if resp.Data["Version"] != "7" || resp.Data["MinReader"] != "3" {
			t.Errorf("expand response = %+v, want version 7, min reader 3", resp)
		}
		if !strings.Contains(logs, `"applied":"7"`) || !strings.Contains(logs, `"deferred_to_contract":"`+versionsFrom(8)+`"`) {
			t.Errorf("logs %s do not say the expand phase applied 7 and left 8 to %d", logs, schema.Current)
		}
		if err := schema.NewGate(st.Version, schema.GateConfig{Build: dynamo.GateBuild()}).Check(ctx); err != nil {
			t.Errorf("the functions' guard between the phases = %v, want the new code to use the data", err)
		}
		if err := schema.NewGate(st.Version, schema.GateConfig{Build: build6()}).Check(ctx); err != nil {
			t.Errorf("the previous release's guard between the phases = %v, want it to keep working", err)
		}
		if got := openedValue(); got != secret {
			t.Errorf("the new code reads the clear value as %q, want %q", got, secret)
		}
	})
	if resp.Data["Version"] != strconv.Itoa(schema.Current) || resp.Data["MinReader"] != strconv.Itoa(schema.This().MinReader()) {
		t.Errorf("contract response = %+v, want version %d, min reader %d", resp, schema.Current, schema.This().MinReader())
	}
	if v := storedValue(); !seal.IsSealed(v) || strings.Contains(v, "cLeArSeCrEt") {
		t.Errorf("the stored value after the contract = %q, want it sealed", v)
	}
	if got := openedValue(); got != secret {
		t.Errorf("the sealed value opens to %q, want %q", got, secret)
	}
	want := historyWant(func(v int) string { return map[bool]string{true: "v0.2.0", false: "v0.3.0"}[v <= 6] })
	if got := historyOf(t, st); !slices.Equal(got, want) {
		t.Errorf("History = %q, want %q", got, want)
	}
}

// TestPhasesSkippingARelease is a deploy of this build over version 1 data, skipping the
// release with the contract (README, "A deploy that skips a release"): the expand phase stops
// before the contract to 5, so this build's expand step 6 waits with it, and the new
// functions refuse the data (a *PendingError, 503) until the contract phase has run both.
func TestPhasesSkippingARelease(t *testing.T) {
	db := motoDB(t)
	table := newTable(t, db)
	seedVersion1(t, db, table)
	st := dynamo.New(db, table, store.Options{Box: testBox})
	resp := phases(t, db, table, "v0.5.0", func(resp response, logs string) {
		if resp.Data["Version"] != "4" || resp.Data["MinReader"] != "1" {
			t.Errorf("expand response = %+v, want version 4, min reader 1: the contract to 5 waits", resp)
		}
		if !strings.Contains(logs, `"deferred_to_contract":"`+versionsFrom(5)+`"`) {
			t.Errorf("logs %s do not say what waits for the contract phase", logs)
		}
		var pe *schema.PendingError
		if err := schema.NewGate(st.Version, schema.GateConfig{}).Check(t.Context()); !errors.As(err, &pe) {
			t.Errorf("the functions' guard between the phases = %v, want a *PendingError until the contract phase", err)
		}
	})
	if resp.Data["Version"] != strconv.Itoa(schema.Current) || resp.Data["MinReader"] != strconv.Itoa(schema.This().MinReader()) {
		t.Errorf("contract response = %+v, want version %d, min reader %d", resp, schema.Current, schema.This().MinReader())
	}
	want := historyWant(func(int) string { return "v0.5.0" })
	if got := historyOf(t, st); !slices.Equal(got, want) {
		t.Errorf("History = %q, want %q", got, want)
	}
}

// versionsFrom is the log's list of the versions from v to schema.Current: "8,9,…".
func versionsFrom(v int) string {
	var out []string
	for ; v <= schema.Current; v++ {
		out = append(out, strconv.Itoa(v))
	}
	return strings.Join(out, ",")
}

// historyWant is the history of every migration as historyOf shows it, each applied by the
// build by names: the list grows with every data-model step, so it is read from schema.
func historyWant(by func(version int) string) []string {
	var out []string
	for _, m := range schema.This().Migrations {
		out = append(out, fmt.Sprintf("%d/%d by %s", m.Version, m.MinReader, by(m.Version)))
	}
	return out
}
