package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/overduehq/overdue/functions/internal/streamtest"
	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/httpapi"
	"github.com/overduehq/overdue/internal/lambdaenv"
	"github.com/overduehq/overdue/internal/notify"
	"github.com/overduehq/overdue/internal/schema"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/dynamo"
	"github.com/overduehq/overdue/internal/store/dynamo/dynamotest"
	"github.com/overduehq/overdue/internal/store/storetest"
	"github.com/overduehq/overdue/internal/sweep"
)

// The end-to-end tests run the production path on moto_server: the api function's handler
// (httpapi through httpadapter, fed the api function's recorded API Gateway event) or a sweep
// writes a flip; the flip is read back through the DynamoDB Streams API as Lambda's poller
// would; the records, encoded as the Lambda event, go through this function's entry point; and
// the email and SMS are looked up in moto's SES and SNS stores. moto is shared with every
// other package's tests, so each test has its own table, sender domain, recipient address and
// phone number, and nothing resets moto.

const motoMissing = "moto_server is not running: run the tests with 'make test' (which starts it), " +
	"or install it with pip install 'moto[server]'"

// The api fixtures' check, and the channels the tests give it.
const (
	checkID        = "5d3c6e5e-5a3b-4c1e-9f7a-2b1e8f0c9d41"
	emailChannelID = "0c1e4a4e-8f5b-4b0e-9a61-3f2d1c0b9a81"
	smsChannelID   = "0c1e4a4e-8f5b-4b0e-9a61-3f2d1c0b9a82"
)

var (
	t0  = time.Date(2026, 3, 2, 9, 14, 3, 0, time.UTC) // the api fixture's instant
	seq atomic.Int64
)

// env is one test's world on moto.
type env struct {
	url     string
	db      *dynamodb.Client
	streams *dynamodbstreams.Client
	table   string
	st      *dynamo.Store
	h       *handler
	email   string // the check's email channel
	phone   string // the check's SMS channel

	cfg    settings
	ses    *sesv2.Client
	sns    *sns.Client
	unique string // this test's tag in names moto shares with other tests
}

// instance builds the function's handler as a cold start does, over its own store on the
// test's table, with the clock at t0 + 1 h: a second call is a second Lambda instance.
func (e *env) instance(t *testing.T) *handler {
	t.Helper()
	return e.instanceAt(t, t0.Add(time.Hour))
}

// instanceAt is instance with the clock at now.
func (e *env) instanceAt(t *testing.T, now time.Time) *handler {
	t.Helper()
	st := dynamo.New(e.db, e.table, store.Options{Box: storetest.BoxOf(t, "0123456789abcdef0123456789abcdef")})
	disp, err := newDispatcher(e.cfg, clients{st: st, ses: e.ses, sns: e.sns},
		[]byte("0123456789abcdef0123456789abcdef"), func() time.Time { return now }, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := disp.Deliveries.(*dynamo.Deliveries); !ok {
		t.Fatalf("dispatcher's delivery records are %T, want the table's (*dynamo.Deliveries)", disp.Deliveries)
	}
	return &handler{disp: disp, log: slog.New(slog.DiscardHandler)}
}

func newEnv(t *testing.T) *env {
	t.Helper()
	url := os.Getenv("OVERDUE_MOTO_URL")
	if url == "" {
		t.Fatal(motoMissing)
	}
	ctx := t.Context()
	n := seq.Add(1)
	unique := fmt.Sprintf("%d-%d", os.Getpid(), n)
	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(url),
	}
	e := &env{
		url:     url,
		db:      dynamodb.NewFromConfig(cfg),
		streams: dynamodbstreams.NewFromConfig(cfg),
		email:   "ops-" + unique + "@example.com",
		// E.164: +1 555 and seven digits unique to this test.
		phone: fmt.Sprintf("+1555%07d", (int64(os.Getpid())*100+n)%10_000_000),
	}
	e.table = dynamotest.ReadyTable(t, e.db, "overdue-fn-notify")
	// SES sends only from verified identities; a domain verifies every address in it.
	domain := "overdue-" + unique + ".example.com"
	sesClient := sesv2.NewFromConfig(cfg)
	if _, err := sesClient.CreateEmailIdentity(ctx, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String(domain)}); err != nil {
		t.Fatalf("verify %s in SES: %v", domain, err)
	}
	e.st = dynamo.New(e.db, e.table, store.Options{Box: storetest.BoxOf(t, "0123456789abcdef0123456789abcdef")})
	e.cfg = settings{EmailFrom: "Overdue <alerts@" + domain + ">", SiteRoot: "https://hc.example.com"}
	e.ses, e.sns, e.unique = sesClient, sns.NewFromConfig(cfg), unique
	e.h = e.instance(t)
	e.seed(t)
	return e
}

// seed stores the project, an email and an SMS channel, and the check (1 min timeout and grace)
// with both channels.
func (e *env) seed(t *testing.T) {
	t.Helper()
	ctx := t.Context()
	p := &check.Project{ID: "8f14e45f-ceea-467f-a0e6-6d4b2f3c1a20", Name: "Ops", Created: t0.Add(-time.Hour),
		APIKeyHash: check.HashKey("hcw_a"), ReadOnlyKeyHash: check.HashKey("hcr_a"), PingKeyHash: check.HashKey("p")}
	if err := e.st.CreateProject(ctx, p); err != nil {
		t.Fatal(err)
	}
	channels := []*check.Channel{
		{ID: emailChannelID, ProjectID: p.ID, Kind: check.ChannelEmail, Name: "ops mail", Value: e.email, Created: t0.Add(-time.Hour)},
		{ID: smsChannelID, ProjectID: p.ID, Kind: check.ChannelSMS, Name: "on call", Value: e.phone, Created: t0.Add(-time.Hour)},
	}
	for _, ch := range channels {
		if err := e.st.CreateChannel(ctx, ch); err != nil {
			t.Fatal(err)
		}
	}
	c := check.New(checkID, p.ID, t0.Add(-time.Hour))
	c.Name, c.Slug, c.Timeout, c.Grace = "backup", "backup", time.Minute, time.Minute
	c.Channels = []string{channels[0].ID, channels[1].ID}
	if err := e.st.CreateCheck(ctx, c); err != nil {
		t.Fatal(err)
	}
}

// ping sends the api function's recorded POST /ping/<uuid>/fail, at path instead when set,
// through httpapi and httpadapter, at the instant at.
func (e *env) ping(t *testing.T, path string, at time.Time) {
	t.Helper()
	raw, err := os.ReadFile("../api/testdata/ping-fail.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	if path != "" {
		ev.RawPath, ev.RequestContext.HTTP.Path, ev.Body = path, path, "ok\n"
	}
	api := httpapi.New(httpapi.Config{Store: e.st, Now: func() time.Time { return at }, SiteRoot: "https://hc.example.com",
		SecretKey: []byte("0123456789abcdef0123456789abcdef")})
	resp, err := httpadapter.NewV2(api).ProxyWithContext(t.Context(), ev)
	if err != nil || resp.StatusCode != http.StatusOK || resp.Body != "OK" {
		t.Fatalf("%s %s = %d %q, %v; want 200 OK", ev.RequestContext.HTTP.Method, ev.RawPath, resp.StatusCode, resp.Body, err)
	}
}

// streamEvent reads the table's whole stream as Lambda's poller does (streamtest.Records) and
// returns the records as the Lambda event's JSON.
func (e *env) streamEvent(t *testing.T) json.RawMessage {
	t.Helper()
	recs, err := streamtest.Records(t.Context(), e.db, e.streams, e.table)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(events.DynamoDBEvent{Records: recs})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// notify hands the stream's records to the function's entry point and wants no failures.
func (e *env) notify(t *testing.T, raw json.RawMessage) {
	t.Helper()
	e.notifyWith(t, e.h, raw)
}

// notifyWith is notify through the handler of another instance.
func (e *env) notifyWith(t *testing.T, h *handler, raw json.RawMessage) {
	t.Helper()
	out, err := h.invoke(t.Context(), raw)
	if err != nil {
		t.Fatalf("invoke() = %v", err)
	}
	if resp := out.(events.DynamoDBEventResponse); len(resp.BatchItemFailures) > 0 {
		t.Fatalf("BatchItemFailures = %+v", resp.BatchItemFailures)
	}
}

// sent is what moto's SES and SNS stores hold for this test's recipient and phone number.
type sent struct {
	emails []motoEmail
	sms    []motoSMS
}

type motoEmail struct {
	Source       string `json:"source"`
	Subject      string `json:"subject"`
	Body         string `json:"body"`
	Destinations struct {
		ToAddresses []string `json:"ToAddresses"`
	} `json:"destinations"`
}

type motoSMS struct {
	PhoneNumber string `json:"phone_number"`
	Message     string `json:"message"`
}

// sent reads moto's /moto-api/data.json (global to the server) and keeps this test's messages.
// moto serialises its whole state for that page and, while other packages' tests write to it,
// now and then answers with an error page instead; the read is tried again a few times.
func (e *env) sent(t *testing.T) sent {
	t.Helper()
	var data struct {
		SES struct {
			Message []motoEmail `json:"Message"`
		} `json:"ses"`
		SNS struct {
			SMS []motoSMS `json:"SMS"`
		} `json:"sns"`
	}
	var err error
	for range 5 {
		if err = e.readMotoData(&data); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("read moto's data.json: %v", err)
	}
	var s sent
	for _, m := range data.SES.Message {
		if slices.Contains(m.Destinations.ToAddresses, e.email) {
			s.emails = append(s.emails, m)
		}
	}
	for _, m := range data.SNS.SMS {
		if m.PhoneNumber == e.phone {
			s.sms = append(s.sms, m)
		}
	}
	return s
}

// readMotoData decodes moto's /moto-api/data.json into v.
func (e *env) readMotoData(v any) error {
	resp, err := http.Get(e.url + "/moto-api/data.json")
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

// TestEndToEndFailureSignal: POST /ping/<uuid>/fail → flip in the table → stream → notify →
// one email in SES and one SMS in SNS; the same records again send nothing more.
func TestEndToEndFailureSignal(t *testing.T) {
	e := newEnv(t)
	e.ping(t, "", t0)
	records := e.streamEvent(t)
	e.notify(t, records)

	got := e.sent(t)
	if len(got.emails) != 1 {
		t.Fatalf("emails to %s = %d, want 1", e.email, len(got.emails))
	}
	if m := got.emails[0]; m.Subject != "DOWN | backup" || !strings.Contains(m.Source, "alerts@overdue-") {
		t.Errorf("email = subject %q from %q, want \"DOWN | backup\" from the configured sender", m.Subject, m.Source)
	}
	if len(got.sms) != 1 || !strings.HasPrefix(got.sms[0].Message, `DOWN: "backup" received a failure signal`) {
		t.Errorf("SMS to %s = %+v, want one failure alert", e.phone, got.sms)
	}

	// Lambda delivers a batch again after a timeout or a failure elsewhere in it, and a
	// duplicate stream record can reach another instance: both find the delivery records
	// taken (a conditional PutItem in the table) and send nothing.
	e.notify(t, records)
	e.notifyWith(t, e.instance(t), records)
	if again := e.sent(t); len(again.emails) != 1 || len(again.sms) != 1 {
		t.Errorf("after the same records three times: %d emails, %d SMS; want 1 and 1", len(again.emails), len(again.sms))
	}
	flips, err := e.st.Flips(t.Context(), checkID, store.FlipQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(flips) != 1 || flips[0].Processed.IsZero() {
		t.Fatalf("flips = %+v, want one, processed", flips)
	}
	for _, ch := range []string{emailChannelID, smsChannelID} {
		d := e.delivery(t, store.DeliveryID(checkID, flips[0].ID, ch))
		if d.Status != store.DeliverySent || d.Attempts != 1 || d.Version != 2 {
			t.Errorf("delivery to %s: status %s, %d attempts, version %d; want sent at the first attempt, version 2",
				ch, d.Status, d.Attempts, d.Version)
		}
	}
}

// delivery reads a delivery record back from the table. Claim returns the stored record
// without writing when there is one, which is the only read store.Deliveries has.
func (e *env) delivery(t *testing.T, id string) *store.Delivery {
	t.Helper()
	probe := &store.Delivery{ID: id, Status: store.DeliveryFailed}
	claimed, existing, err := e.st.Deliveries().Claim(t.Context(), probe)
	if err != nil || claimed {
		t.Fatalf("no delivery record %s (Claim = %v, %v)", id, claimed, err)
	}
	return existing
}

// TestEndToEndTimeout: a success ping at t0, then a sweep with the clock past timeout and grace
// flips the check down → stream → notify → one "DOWN" email and one "overdue" SMS.
func TestEndToEndTimeout(t *testing.T) {
	e := newEnv(t)
	e.ping(t, "/ping/"+checkID, t0)
	sw := &sweep.Sweeper{Store: e.st, Now: func() time.Time { return t0.Add(3 * time.Minute) }}
	res, err := sw.Run(t.Context())
	if err != nil || res.Flipped != 1 {
		t.Fatalf("sweep = %+v, %v; want 1 flipped", res, err)
	}
	records := e.streamEvent(t)
	e.notify(t, records)
	e.notify(t, records)

	got := e.sent(t)
	if len(got.emails) != 1 || got.emails[0].Subject != "DOWN | backup" {
		t.Fatalf("emails to %s = %+v, want one \"DOWN | backup\"", e.email, got.emails)
	}
	if len(got.sms) != 1 || !strings.HasPrefix(got.sms[0].Message, `DOWN: "backup" is overdue (last ping Mar 2 09:14 UTC)`) {
		t.Errorf("SMS to %s = %+v, want one overdue alert", e.phone, got.sms)
	}
}

// TestEndToEndRetry: the email's first attempt fails transiently (its sender is not verified in
// SES yet) while the SMS goes out. Once the sender is verified and the backoff has passed, the
// scheduled event finds the email on the due list in the table and sends it; the record ends
// sent after two attempts, and a second schedule sends nothing more.
func TestEndToEndRetry(t *testing.T) {
	e := newEnv(t)
	domain := "later-" + e.unique + ".example.com"
	e.cfg.EmailFrom = "Overdue <alerts@" + domain + ">"
	e.ping(t, "", t0)
	e.notifyWith(t, e.instanceAt(t, t0.Add(time.Hour)), e.streamEvent(t))
	if got := e.sent(t); len(got.emails) != 0 || len(got.sms) != 1 {
		t.Fatalf("first attempt: %d emails, %d SMS; want 0 (sender not verified) and 1", len(got.emails), len(got.sms))
	}
	flips, err := e.st.Flips(t.Context(), checkID, store.FlipQuery{})
	if err != nil || len(flips) != 1 {
		t.Fatalf("flips = %+v, %v; want one", flips, err)
	}
	emailID := store.DeliveryID(checkID, flips[0].ID, emailChannelID)
	if d := e.delivery(t, emailID); d.Status != store.DeliveryRetrying || d.Attempts != 1 || !strings.Contains(d.LastError, "SES") {
		t.Fatalf("email delivery after the first attempt: %s, %d attempts, error %q; want retrying after 1 with the SES error",
			d.Status, d.Attempts, d.LastError)
	}

	if _, err := e.ses.CreateEmailIdentity(t.Context(), &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String(domain)}); err != nil {
		t.Fatalf("verify %s in SES: %v", domain, err)
	}
	schedule := json.RawMessage(readFixture(t, "retry-schedule.json"))
	later := e.instanceAt(t, t0.Add(time.Hour+notify.DefaultBackoff[0]))
	for range 2 {
		if _, err := later.invoke(t.Context(), schedule); err != nil {
			t.Fatalf("invoke(scheduled event) = %v", err)
		}
	}
	got := e.sent(t)
	if len(got.emails) != 1 || got.emails[0].Subject != "DOWN | backup" || len(got.sms) != 1 {
		t.Errorf("after the retry: %d emails, %d SMS; want one \"DOWN | backup\" email and the one SMS", len(got.emails), len(got.sms))
	}
	if d := e.delivery(t, emailID); d.Status != store.DeliverySent || d.Attempts != 2 || d.LastError != "" {
		t.Errorf("email delivery after the retry: %s, %d attempts, error %q; want sent after 2, no error", d.Status, d.Attempts, d.LastError)
	}
}

// TestWarmInstanceRefusesAndRecovers is issue 12's seed scenario on the notifier: a warm instance
// whose table a newer build moved past it fails every invocation, stream batches and retry
// schedules alike (so Lambda retries the batch and counts the error), counts each refusal in the
// DataModelRefused metric, and changes no item; once the data model is back in range it works
// again, with no cold start.
func TestWarmInstanceRefusesAndRecovers(t *testing.T) {
	e := newEnv(t)
	now := t0.Add(time.Hour)
	h := e.instanceAt(t, now)
	st := h.disp.(*notify.Dispatcher).Store.(*dynamo.Store)
	st.Gate = schema.NewGate(st.Version, schema.GateConfig{Now: func() time.Time { return now }})
	var metrics bytes.Buffer
	root := &lambdaenv.Root{Log: slog.New(slog.DiscardHandler), Store: st, Now: func() time.Time { return now },
		Refusals: &lambdaenv.Refusals{W: &metrics, Function: "overdue-dev-notify", Now: func() time.Time { return now }}}
	h.guard, h.refusals = root.Guard, root.Refusals

	dynamotest.SetVersion(t, e.db, e.table, schema.Version{Version: schema.Current + 1, MinReader: schema.Current + 1})
	before := dynamotest.ItemCount(t, e.db, e.table)
	for _, fixture := range []string{"flip-insert.json", "retry-schedule.json"} {
		_, err := h.invoke(t.Context(), readFixture(t, fixture))
		var ve *schema.VersionError
		if !errors.As(err, &ve) {
			t.Errorf("invoke(%s) on moved data = %v, want a *schema.VersionError", fixture, err)
		}
	}
	if got := dynamotest.ItemCount(t, e.db, e.table); got != before {
		t.Errorf("items = %d after refused invocations, want %d", got, before)
	}
	if n := strings.Count(metrics.String(), `"DataModelRefused":1`); n != 2 {
		t.Errorf("metric lines = %d, want one per refused invocation (2):\n%s", n, metrics.String())
	}

	dynamotest.SetVersion(t, e.db, e.table, schema.Version{Version: schema.Current, MinReader: 1})
	now = now.Add(schema.DefaultMaxBackoff)
	if _, err := h.invoke(t.Context(), readFixture(t, "retry-schedule.json")); err != nil {
		t.Errorf("invoke(retry-schedule.json) once the data fits = %v, want nil", err)
	}
}
