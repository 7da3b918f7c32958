package rie

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/overduehq/overdue/functions/internal/streamtest"
	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/schedule"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/dynamo"
	"github.com/overduehq/overdue/internal/store/dynamo/dynamotest"
	"github.com/overduehq/overdue/internal/store/storetest"
)

// The fixtures' check and project key, and a second check the tests let go overdue.
const (
	checkID   = "5d3c6e5e-5a3b-4c1e-9f7a-2b1e8f0c9d41"
	nightlyID = "7a1f0c3e-2b4d-4e6f-8a9b-0c1d2e3f4a5b"
	projectID = "8f14e45f-ceea-467f-a0e6-6d4b2f3c1a20"
	channelID = "0c1e4a4e-8f5b-4b0e-9a61-3f2d1c0b9a81"
	apiKey    = "hcw_0123456789abcdefghijklmnopqr"
	secretKey = "0123456789abcdef0123456789abcdef"
)

var seq atomic.Int64

// world is one test's share of moto: its own table (and stream), its own SES sender domain and
// recipient, and the environment its functions run with.
type world struct {
	motoURL string
	db      *dynamodb.Client
	streams *dynamodbstreams.Client
	table   string
	st      *dynamo.Store
	from    string // EMAIL_FROM, on a domain verified in moto's SES
	email   string // the check's email channel
	seen    map[string]bool
}

func newWorld(t *testing.T) *world {
	t.Helper()
	url := dynamotest.URL(t)
	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(url),
	}
	unique := fmt.Sprintf("%d-%d", os.Getpid(), seq.Add(1))
	w := &world{
		motoURL: url,
		db:      dynamodb.NewFromConfig(cfg),
		streams: dynamodbstreams.NewFromConfig(cfg),
		email:   "ops-rie-" + unique + "@example.com",
		seen:    map[string]bool{},
	}
	w.table = dynamotest.Table(t, w.db, "overdue-rie")
	w.st = dynamo.New(w.db, w.table, store.Options{Box: storetest.BoxOf(t, secretKey)})
	domain := "overdue-rie-" + unique + ".example.com"
	if _, err := sesv2.NewFromConfig(cfg).CreateEmailIdentity(t.Context(), &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String(domain)}); err != nil {
		t.Fatalf("verify %s in SES: %v", domain, err)
	}
	w.from = "Overdue <alerts@" + domain + ">"
	return w
}

// env is the environment of function fn, as the CDK app sets it (with the secret's value in
// place of its ARN) plus what the AWS SDK needs to reach moto.
func (w *world) env(fn string) map[string]string {
	env := map[string]string{
		"AWS_ENDPOINT_URL":      w.motoURL,
		"AWS_ACCESS_KEY_ID":     "test",
		"AWS_SECRET_ACCESS_KEY": "test",
		"AWS_REGION":            "us-east-1",
		"TABLE_NAME":            w.table,
		"LOG_LEVEL":             "info",
	}
	switch fn {
	case "api":
		env["SITE_ROOT"] = "https://hc.example.com"
		env["OVERDUE_SECRET_KEY"] = secretKey
	case "notify":
		env["SITE_ROOT"] = "https://hc.example.com"
		env["OVERDUE_SECRET_KEY"] = secretKey
		env["EMAIL_FROM"] = w.from
	case "migrate":
		env["OVERDUE_SECRET_KEY"] = secretKey // migration 8 seals channel values
	// sweep and timer: the table alone, no secret (the canary's IDs are kept in the table).
	case "mailping":
		env["PING_DOMAIN"] = pingDomain
	case "reports":
		env["SITE_ROOT"] = "https://hc.example.com"
		env["EMAIL_FROM"] = w.from
	}
	return env
}

// seed stores what the fixtures address: the project with the fixtures' API key, an email
// channel, the fixtures' check "backup" and a second check, "nightly", both with the channel.
func (w *world) seed(t *testing.T) {
	t.Helper()
	ctx := t.Context()
	created := time.Now().UTC().Add(-2 * time.Hour)
	p := &check.Project{ID: projectID, Name: "Ops", Created: created,
		APIKeyHash: check.HashKey(apiKey), ReadOnlyKeyHash: check.HashKey("hcr_not-used-here"), PingKeyHash: check.HashKey("p")}
	if err := w.st.CreateProject(ctx, p); err != nil {
		t.Fatal(err)
	}
	ch := &check.Channel{ID: channelID, ProjectID: projectID, Kind: check.ChannelEmail, Name: "ops mail", Value: w.email, Created: created}
	if err := w.st.CreateChannel(ctx, ch); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ id, name string }{{checkID, "backup"}, {nightlyID, "nightly"}} {
		k := check.New(c.id, projectID, created)
		k.Name, k.Slug, k.Timeout, k.Grace = c.name, c.name, time.Minute, time.Minute
		k.Channels = []string{channelID}
		if err := w.st.CreateCheck(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
}

// pingAt records a success ping of check id at the instant at, through the store (the code
// of this build, in-process), so that the check is due at at + timeout + grace.
func (w *world) pingAt(t *testing.T, id string, at time.Time) {
	t.Helper()
	w.signalAt(t, id, check.Signal{Kind: check.PingSuccess, Method: "POST"}, at)
}

// signalAt applies the ping s to check id at the instant at, through the store.
func (w *world) signalAt(t *testing.T, id string, s check.Signal, at time.Time) {
	t.Helper()
	_, err := w.st.UpdateCheck(t.Context(), id, func(c *check.Check) (store.Change, error) {
		sched, err := schedule.ForCheck(string(c.Kind), c.Schedule, c.TZ)
		if err != nil {
			return store.Change{}, err
		}
		p, f := c.ApplyPing(s, at, sched)
		return store.Change{Ping: p, Flip: f}, nil
	})
	if err != nil {
		t.Fatalf("%s ping of %s at %v: %v", s.Kind, id, at, err)
	}
}

// status is check id's stored status.
func (w *world) status(t *testing.T, id string) check.Status {
	t.Helper()
	c, err := w.st.Check(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c.Status
}

// fixture reads functions/<fn>/testdata/<name>.
func fixture(t *testing.T, fn, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", fn, "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// apiEvent is the api fixture name, changed by edit.
func apiEvent(t *testing.T, name string, edit func(*events.APIGatewayV2HTTPRequest)) events.APIGatewayV2HTTPRequest {
	t.Helper()
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(fixture(t, "api", name), &ev); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(&ev)
		ev.Headers["content-length"] = strconv.Itoa(len(ev.Body))
	}
	return ev
}

// streamEvent reads the records of the table's stream this world has not read yet, as Lambda's
// poller does (streamtest.Records), and returns them as the Lambda event notify receives, with
// the number of records.
func (w *world) streamEvent(t *testing.T) (events.DynamoDBEvent, int) {
	t.Helper()
	recs, err := streamtest.Records(t.Context(), w.db, w.streams, w.table)
	if err != nil {
		t.Fatal(err)
	}
	ev := events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{}}
	for _, rec := range recs {
		if seq := rec.Change.SequenceNumber; !w.seen[seq] {
			w.seen[seq] = true
			ev.Records = append(ev.Records, rec)
		}
	}
	return ev, len(ev.Records)
}

// flipRecords counts the flip insertions among ev's records.
func flipRecords(ev events.DynamoDBEvent) int {
	n := 0
	for _, r := range ev.Records {
		if sk, ok := r.Change.Keys[dynamo.SortKey]; ok && r.EventName == "INSERT" &&
			len(sk.String()) > len(dynamo.FlipSortKeyPrefix) && sk.String()[:len(dynamo.FlipSortKeyPrefix)] == dynamo.FlipSortKeyPrefix {
			n++
		}
	}
	return n
}

// scan is every item of the table, read strongly consistent, keyed by "pk|sk".
func (w *world) scan(t *testing.T) map[string]map[string]types.AttributeValue {
	t.Helper()
	out := map[string]map[string]types.AttributeValue{}
	var start map[string]types.AttributeValue
	for {
		page, err := w.db.Scan(t.Context(), &dynamodb.ScanInput{TableName: &w.table, ConsistentRead: aws.Bool(true), ExclusiveStartKey: start})
		if err != nil {
			t.Fatalf("scan %s: %v", w.table, err)
		}
		for _, it := range page.Items {
			pk, _ := it[dynamo.PartitionKey].(*types.AttributeValueMemberS)
			sk, _ := it[dynamo.SortKey].(*types.AttributeValueMemberS)
			if pk == nil || sk == nil {
				t.Fatalf("item without string keys: %v", it)
			}
			out[pk.Value+"|"+sk.Value] = it
		}
		if len(page.LastEvaluatedKey) == 0 {
			return out
		}
		start = page.LastEvaluatedKey
	}
}

// logFlips logs, for a test that got other alerts than it wanted, the flip items of the table
// and what the sweep and notify functions printed (the sweep logs each flip it writes, notify
// each delivery): enough to tell a second flip from a second send of one. (A run once sent
// "DOWN | nightly" twice; it did not happen again in 41 runs, and nothing says which it was.)
func (w *world) logFlips(t *testing.T, fns instances) {
	t.Helper()
	for key, it := range w.scan(t) {
		if strings.Contains(key, "|"+dynamo.FlipSortKeyPrefix) {
			t.Logf("flip item %s: %v", key, it)
		}
	}
	t.Logf("sweep's output:\n%s", fns.sweep.out.String())
	t.Logf("notify's output:\n%s", fns.notify.out.String())
}

// emails are the subjects of the messages moto's SES holds for this world's recipient.
func (w *world) emails(t *testing.T) []string {
	t.Helper()
	var data struct {
		SES struct {
			Message []struct {
				Subject      string `json:"subject"`
				Destinations struct {
					ToAddresses []string `json:"ToAddresses"`
				} `json:"destinations"`
			} `json:"Message"`
		} `json:"ses"`
	}
	// moto serialises its whole state for this page and, while other packages' tests write to
	// it, now and then answers with an error page instead: the read is tried a few times.
	var err error
	for range 5 {
		if err = readJSON(w.motoURL+"/moto-api/data.json", &data); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("read moto's data.json: %v", err)
	}
	var subjects []string
	for _, m := range data.SES.Message {
		if slices.Contains(m.Destinations.ToAddresses, w.email) {
			subjects = append(subjects, m.Subject)
		}
	}
	slices.Sort(subjects)
	return subjects
}

func readJSON(url string, v any) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d: %.200s", resp.StatusCode, body)
	}
	return json.Unmarshal(body, v)
}

// diffItems describes how two scans differ: items added, removed or changed, by key; "" when
// they hold the same items with the same attributes.
func diffItems(before, after map[string]map[string]types.AttributeValue) string {
	var out []string
	for k, it := range before {
		next, ok := after[k]
		switch {
		case !ok:
			out = append(out, "removed "+k)
		case render(&types.AttributeValueMemberM{Value: it}) != render(&types.AttributeValueMemberM{Value: next}):
			out = append(out, fmt.Sprintf("changed %s:\n  was %s\n  now %s", k,
				render(&types.AttributeValueMemberM{Value: it}), render(&types.AttributeValueMemberM{Value: next})))
		}
	}
	for k, it := range after {
		if _, ok := before[k]; !ok {
			out = append(out, "added "+k+": "+render(&types.AttributeValueMemberM{Value: it}))
		}
	}
	slices.Sort(out)
	return strings.Join(out, "\n")
}

// render is an attribute value as text, with map keys and set members in order, so that equal
// values render equally.
func render(av types.AttributeValue) string {
	switch v := av.(type) {
	case *types.AttributeValueMemberS:
		return "S:" + strconv.Quote(v.Value)
	case *types.AttributeValueMemberN:
		return "N:" + v.Value
	case *types.AttributeValueMemberB:
		return "B:" + hex.EncodeToString(v.Value)
	case *types.AttributeValueMemberBOOL:
		return "BOOL:" + strconv.FormatBool(v.Value)
	case *types.AttributeValueMemberNULL:
		return "NULL"
	case *types.AttributeValueMemberSS:
		return "SS:" + strings.Join(slices.Sorted(slices.Values(v.Value)), ",")
	case *types.AttributeValueMemberNS:
		return "NS:" + strings.Join(slices.Sorted(slices.Values(v.Value)), ",")
	case *types.AttributeValueMemberBS:
		var s []string
		for _, b := range v.Value {
			s = append(s, hex.EncodeToString(b))
		}
		slices.Sort(s)
		return "BS:" + strings.Join(s, ",")
	case *types.AttributeValueMemberL:
		var s []string
		for _, x := range v.Value {
			s = append(s, render(x))
		}
		return "L:[" + strings.Join(s, " ") + "]"
	case *types.AttributeValueMemberM:
		var s []string
		for _, k := range slices.Sorted(maps.Keys(v.Value)) {
			s = append(s, k+"="+render(v.Value[k]))
		}
		return "M:{" + strings.Join(s, " ") + "}"
	}
	return fmt.Sprintf("%T", av)
}
