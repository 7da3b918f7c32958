package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/lambdaenv"
	"github.com/overduehq/overdue/internal/notify"
	"github.com/overduehq/overdue/internal/store"
)

// readFixture returns a fixture's bytes.
func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// readStream decodes a DynamoDB stream fixture.
func readStream(t *testing.T, name string) events.DynamoDBEvent {
	t.Helper()
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(readFixture(t, name), &ev); err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return ev
}

// TestEventsRoundTrip decodes every fixture into its events type and encodes it again: nothing
// may be lost or changed, attribute types included.
func TestEventsRoundTrip(t *testing.T) {
	for name, v := range map[string]any{
		"flip-insert.json":    &events.DynamoDBEvent{},
		"flip-modify.json":    &events.DynamoDBEvent{},
		"retry-schedule.json": &events.EventBridgeEvent{},
	} {
		t.Run(name, func(t *testing.T) {
			raw := readFixture(t, name)
			if err := json.Unmarshal(raw, v); err != nil {
				t.Fatal(err)
			}
			out, err := json.Marshal(v)
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
		})
	}
}

// The flip in flip-insert.json.
var fixtureFlip = &check.Flip{
	ID:        "1772442843000000-0000000002",
	CheckID:   "5d3c6e5e-5a3b-4c1e-9f7a-2b1e8f0c9d41",
	Created:   time.Date(2026, 3, 2, 9, 14, 3, 0, time.UTC),
	OldStatus: check.StatusNew,
	NewStatus: check.StatusDown,
	Reason:    check.ReasonFail,
}

func TestFlipFromRecord(t *testing.T) {
	insert := readStream(t, "flip-insert.json").Records[0]
	modify := readStream(t, "flip-modify.json").Records[0]
	remove := modify
	remove.EventName = "REMOVE"
	ping := insert
	ping.Change.Keys = map[string]events.DynamoDBAttributeValue{
		"pk": events.NewStringAttribute("CHECK#5d3c6e5e-5a3b-4c1e-9f7a-2b1e8f0c9d41"),
		"sk": events.NewStringAttribute("PING#000001"),
	}
	keysOnly := insert
	keysOnly.Change.NewImage = nil

	tests := []struct {
		name    string
		rec     events.DynamoDBEventRecord
		want    *check.Flip
		wantErr bool
	}{
		{"insert of a flip", insert, fixtureFlip, false},
		{"flip marked processed", modify, nil, false},
		{"flip expired", remove, nil, false},
		{"insert of a ping", ping, nil, false},
		{"no new image", keysOnly, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := flipFromRecord(tt.rec)
			if (err != nil) != tt.wantErr {
				t.Fatalf("flipFromRecord() error = %v, want error %v", err, tt.wantErr)
			}
			if ok != (tt.want != nil) {
				t.Fatalf("flipFromRecord() ok = %v, want %v", ok, tt.want != nil)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("flipFromRecord() (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFlipFromImageProcessed decodes the new image of a processed flip: pd becomes Processed.
func TestFlipFromImageProcessed(t *testing.T) {
	rec := readStream(t, "flip-modify.json").Records[0]
	f, ok, err := flipFromImage(rec.Change.NewImage)
	if err != nil || !ok {
		t.Fatalf("flipFromImage() = %v, %v", ok, err)
	}
	if want := time.Date(2026, 3, 2, 9, 14, 4, 250000000, time.UTC); !f.Processed.Equal(want) {
		t.Errorf("Processed = %v, want %v", f.Processed, want)
	}
}

// TestToAttributeValue converts every attribute type and decodes the result with the SDK.
func TestToAttributeValue(t *testing.T) {
	image := map[string]events.DynamoDBAttributeValue{
		"s":    events.NewStringAttribute("text"),
		"n":    events.NewNumberAttribute("-12.5"),
		"b":    events.NewBinaryAttribute([]byte{0, 1, 0xff}),
		"bool": events.NewBooleanAttribute(true),
		"null": events.NewNullAttribute(),
		"ss":   events.NewStringSetAttribute([]string{"a", "b"}),
		"ns":   events.NewNumberSetAttribute([]string{"1", "2"}),
		"bs":   events.NewBinarySetAttribute([][]byte{{1}, {2}}),
		"l":    events.NewListAttribute([]events.DynamoDBAttributeValue{events.NewStringAttribute("x"), events.NewNumberAttribute("7")}),
		"m":    events.NewMapAttribute(map[string]events.DynamoDBAttributeValue{"k": events.NewBooleanAttribute(false)}),
	}
	item, err := toItem(image)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		S    string         `dynamodbav:"s"`
		N    float64        `dynamodbav:"n"`
		B    []byte         `dynamodbav:"b"`
		Bool bool           `dynamodbav:"bool"`
		Null *string        `dynamodbav:"null"`
		SS   []string       `dynamodbav:"ss,stringset"`
		NS   []int          `dynamodbav:"ns,numberset"`
		BS   [][]byte       `dynamodbav:"bs,binaryset"`
		L    []any          `dynamodbav:"l"`
		M    map[string]any `dynamodbav:"m"`
	}
	if err := attributevalue.UnmarshalMap(item, &got); err != nil {
		t.Fatal(err)
	}
	if got.S != "text" || got.N != -12.5 || string(got.B) != "\x00\x01\xff" || !got.Bool || got.Null != nil ||
		!cmp.Equal(got.SS, []string{"a", "b"}) || !cmp.Equal(got.NS, []int{1, 2}) || !cmp.Equal(got.BS, [][]byte{{1}, {2}}) ||
		!cmp.Equal(got.L, []any{"x", 7.0}) || !cmp.Equal(got.M, map[string]any{"k": false}) {
		t.Errorf("decoded = %+v", got)
	}
}

// fakeDispatcher records the flips it is given and fails the ones named in fail.
type fakeDispatcher struct {
	delivered []*check.Flip
	fail      map[string]bool // flip IDs
	retries   int
	retryErr  error
}

func (f *fakeDispatcher) DeliverFlip(_ context.Context, fl *check.Flip) (int, error) {
	if f.fail[fl.ID] {
		return 0, errors.New("store unavailable")
	}
	f.delivered = append(f.delivered, fl)
	return 1, nil
}

func (f *fakeDispatcher) RetryDue(context.Context) (int, error) {
	f.retries++
	return 0, f.retryErr
}

// batch is a stream batch of: a flip marked processed (ignored), flip A inserted, a ping
// inserted (ignored), flip B inserted.
func batch(t *testing.T) (events.DynamoDBEvent, *check.Flip, *check.Flip) {
	insert := readStream(t, "flip-insert.json").Records[0]
	modify := readStream(t, "flip-modify.json").Records[0]
	ping := insert
	ping.Change.SequenceNumber = "4421584500000000017450439100"
	ping.Change.Keys = map[string]events.DynamoDBAttributeValue{"pk": insert.Change.Keys["pk"], "sk": events.NewStringAttribute("PING#000001")}
	b := insert
	b.EventID = "0f9e8d7c6b5a49382716a5b4c3d2e1f0"
	b.Change.SequenceNumber = "4421584700000000017450439200"
	b.Change.Keys = map[string]events.DynamoDBAttributeValue{"pk": insert.Change.Keys["pk"], "sk": events.NewStringAttribute("FLIP#1772442900000000-0000000003")}
	b.Change.NewImage = map[string]events.DynamoDBAttributeValue{}
	for k, v := range insert.Change.NewImage {
		b.Change.NewImage[k] = v
	}
	b.Change.NewImage["sk"] = b.Change.Keys["sk"]
	b.Change.NewImage["cr"] = events.NewNumberAttribute("1772442900000000")
	b.Change.NewImage["old"] = events.NewStringAttribute("down")
	b.Change.NewImage["new"] = events.NewStringAttribute("up")
	delete(b.Change.NewImage, "why")
	flipB := &check.Flip{ID: "1772442900000000-0000000003", CheckID: fixtureFlip.CheckID,
		Created: time.Unix(1772442900, 0).UTC(), OldStatus: check.StatusDown, NewStatus: check.StatusUp}
	return events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{modify, insert, ping, b}}, fixtureFlip, flipB
}

func TestHandleStream(t *testing.T) {
	ev, a, b := batch(t)
	d := &fakeDispatcher{}
	h := &handler{disp: d, log: slog.New(slog.DiscardHandler)}
	resp, err := h.handleStream(t.Context(), ev)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("handleStream() = %+v, %v; want no failures", resp, err)
	}
	if diff := cmp.Diff([]*check.Flip{a, b}, d.delivered); diff != "" {
		t.Errorf("delivered (-want +got):\n%s", diff)
	}
}

// TestHandleStreamFailure: the record that failed is reported, and nothing after it is tried,
// since Lambda resends everything from it.
func TestHandleStreamFailure(t *testing.T) {
	ev, a, b := batch(t)
	for _, tt := range []struct {
		fail          string
		wantSeq       string
		wantDelivered []*check.Flip
	}{
		{a.ID, ev.Records[1].Change.SequenceNumber, nil},
		{b.ID, ev.Records[3].Change.SequenceNumber, []*check.Flip{a}},
	} {
		d := &fakeDispatcher{fail: map[string]bool{tt.fail: true}}
		h := &handler{disp: d, log: slog.New(slog.DiscardHandler)}
		resp, err := h.handleStream(t.Context(), ev)
		if err != nil {
			t.Fatal(err)
		}
		want := []events.DynamoDBBatchItemFailure{{ItemIdentifier: tt.wantSeq}}
		if diff := cmp.Diff(want, resp.BatchItemFailures); diff != "" {
			t.Errorf("failing %s: BatchItemFailures (-want +got):\n%s", tt.fail, diff)
		}
		if diff := cmp.Diff(tt.wantDelivered, d.delivered); diff != "" {
			t.Errorf("failing %s: delivered (-want +got):\n%s", tt.fail, diff)
		}
	}
}

// TestInvoke routes both fixtures' JSON as the Lambda runtime hands it over.
func TestInvoke(t *testing.T) {
	d := &fakeDispatcher{}
	h := &handler{disp: d, log: slog.New(slog.DiscardHandler)}
	out, err := h.invoke(t.Context(), readFixture(t, "flip-insert.json"))
	if err != nil {
		t.Fatal(err)
	}
	if resp, ok := out.(events.DynamoDBEventResponse); !ok || len(resp.BatchItemFailures) != 0 || len(d.delivered) != 1 {
		t.Errorf("invoke(stream) = %#v, delivered %d; want an empty DynamoDBEventResponse and 1 flip", out, len(d.delivered))
	}
	if b, _ := json.Marshal(out); string(b) != `{"batchItemFailures":null}` && string(b) != `{"batchItemFailures":[]}` {
		t.Errorf("stream response encodes as %s", b)
	}
	if _, err := h.invoke(t.Context(), readFixture(t, "retry-schedule.json")); err != nil || d.retries != 1 {
		t.Errorf("invoke(schedule) = %v after %d retries, want nil after 1", err, d.retries)
	}
	d.retryErr = errors.New("throttled")
	if _, err := h.invoke(t.Context(), readFixture(t, "retry-schedule.json")); err == nil {
		t.Error("invoke(schedule) with a failing RetryDue = nil error")
	}
	if _, err := h.invoke(t.Context(), json.RawMessage(`{"hello":"world"}`)); err == nil {
		t.Error("invoke(unknown event) = nil error")
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
	for _, name := range []string{"TABLE_NAME", "EMAIL_FROM", "SECRET_ARN"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("Build(no variables) = %q, does not name %s", err, name)
		}
	}
	got := loadSettings(lambdaenv.New(func(k string) (string, bool) {
		v, ok := map[string]string{"EMAIL_FROM": "Overdue <alerts@example.com>", "OVERDUE_URL_PD": "http://127.0.0.1:9/"}[k]
		return v, ok
	}))
	if got.EmailFrom != "Overdue <alerts@example.com>" || got.SiteRoot != "" || len(got.BaseURLs) != 1 || got.BaseURLs["pd"] != "http://127.0.0.1:9" {
		t.Errorf("loadSettings = %+v", got)
	}

	// A malformed override fails the cold start with the others, naming its variable.
	env = lambdaenv.New(func(k string) (string, bool) {
		v, ok := map[string]string{"OVERDUE_URL_PD": "events.pagerduty.com"}[k]
		return v, ok
	})
	loadSettings(env)
	if _, err := lambdaenv.Build(t.Context(), env, needs); err == nil || !strings.Contains(err.Error(), "OVERDUE_URL_PD") {
		t.Errorf("Build(OVERDUE_URL_PD=events.pagerduty.com) = %v, want an error naming it", err)
	}
}

// TestNewDispatcherRejectsBadSender: a sender that is not an address fails the cold start,
// naming the variable, instead of failing every email later.
func TestNewDispatcherRejectsBadSender(t *testing.T) {
	_, err := newDispatcher(settings{EmailFrom: "alerts"}, clients{}, []byte("0123456789abcdef"), time.Now, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "EMAIL_FROM") {
		t.Errorf("newDispatcher(EMAIL_FROM=alerts) = %v, want an error naming EMAIL_FROM", err)
	}
}

// fakeMarker records MarkChannelError calls and answers err.
type fakeMarker struct {
	calls []string
	err   error
}

func (f *fakeMarker) MarkChannelError(_ context.Context, projectID, channelID, msg string, disable bool) error {
	f.calls = append(f.calls, fmt.Sprintf("%s/%s disable=%v: %s", projectID, channelID, disable, msg))
	return f.err
}

// TestSESFeedback: SES's bounce, through SNS (the fixture is an SNS event carrying an SES
// event-publishing record; it is not in TestEventsRoundTrip because SNS sends "Subject": null,
// which events.SNSEntity encodes back as ""), disables the channel its tags name; a channel that is gone is
// skipped; a store failure fails the invocation so Lambda retries it; an SES event for mail that
// was not Overdue's is ignored.
func TestSESFeedback(t *testing.T) {
	raw := readFixture(t, "ses-feedback.json")
	m := &fakeMarker{}
	h := &handler{disp: &fakeDispatcher{}, channels: m, log: slog.New(slog.DiscardHandler)}
	if _, err := h.invoke(t.Context(), raw); err != nil {
		t.Fatalf("invoke(SES bounce) = %v", err)
	}
	want := []string{"8f14e45f-ceea-467f-a0e6-6d4b2f3c1a20/c1d2e3f4-0000-4000-8000-000000000001 disable=true: " +
		"SES: the address bounced (permanent, General); the channel is disabled: fix the address and enable it again"}
	if diff := cmp.Diff(want, m.calls); diff != "" {
		t.Errorf("MarkChannelError calls (-want +got):\n%s", diff)
	}

	m.err = fmt.Errorf("channel: %w", store.ErrNotFound)
	if _, err := h.invoke(t.Context(), raw); err != nil {
		t.Errorf("invoke(SES bounce of a deleted channel) = %v, want nil", err)
	}
	m.err = errors.New("table unavailable")
	if _, err := h.invoke(t.Context(), raw); err == nil {
		t.Error("invoke(SES bounce) with a failing store = nil error")
	}

	var ev events.SNSEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	ev.Records[0].SNS.Message = `{"eventType":"Bounce","bounce":{"bounceType":"Permanent"},"mail":{"tags":{}}}`
	other, _ := json.Marshal(ev)
	m.calls, m.err = nil, nil
	if _, err := h.invoke(t.Context(), other); err != nil || len(m.calls) != 0 {
		t.Errorf("invoke(bounce of untagged mail) = %v with calls %v, want nil and none", err, m.calls)
	}
}

// channelList is a project's channels, as the store lists them.
type channelList []*check.Channel

func (l channelList) Channels(_ context.Context, project string) ([]*check.Channel, error) {
	var out []*check.Channel
	for _, ch := range l {
		if ch.ProjectID == project {
			out = append(out, ch)
		}
	}
	return out, nil
}

// TestChannelTestEvent: the api function's channel test, invoked with its JSON, is sent through
// the function's transports to the service, and the answer says sent or why not; an unknown
// channel is a refusal, not a failed invocation.
func TestChannelTestEvent(t *testing.T) {
	var got []string
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.URL.Path)
		if strings.HasSuffix(r.URL.Path, "/gone") {
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer svc.Close()
	chans := channelList{
		{ID: "e0000000-0000-4000-8000-000000000001", ProjectID: "p1", Kind: "mattermost", Name: "ok", Value: svc.URL + "/hooks/ok"},
		{ID: "e0000000-0000-4000-8000-000000000002", ProjectID: "p1", Kind: "mattermost", Name: "gone", Value: svc.URL + "/hooks/gone"},
	}
	tester := &notify.Tester{Transports: notify.NewServices(notify.ServicesConfig{}), Now: func() time.Time { return t0 }}
	h := &handler{disp: &fakeDispatcher{}, log: slog.New(slog.DiscardHandler), tester: tester, chans: chans}
	for _, tc := range []struct {
		channel string
		want    notify.RemoteResult
	}{
		{chans[0].ID, notify.RemoteResult{Sent: true}},
		{chans[1].ID, notify.RemoteResult{Refused: true, Error: "Mattermost answered 404"}},
		{"e0000000-0000-4000-8000-000000000009", notify.RemoteResult{Refused: true, Error: "project p1 has no channel e0000000-0000-4000-8000-000000000009"}},
	} {
		raw := `{"overdue": "channel-test", "project": "p1", "channel": "` + tc.channel + `"}`
		out, err := h.invoke(t.Context(), json.RawMessage(raw))
		if err != nil {
			t.Fatalf("invoke(%s) = %v", raw, err)
		}
		res, _ := out.(notify.RemoteResult)
		if res.Sent != tc.want.Sent || res.Refused != tc.want.Refused || res.Error != tc.want.Error {
			t.Errorf("invoke(%s) = %+v, want %+v", raw, res, tc.want)
		}
	}
	if len(got) != 2 || got[0] != "/hooks/ok" || got[1] != "/hooks/gone" {
		t.Errorf("the service got %v, want one request to each channel", got)
	}
}
