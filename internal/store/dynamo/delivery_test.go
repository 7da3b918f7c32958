package dynamo

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/deliverytest"
)

func TestDeliveriesConformance(t *testing.T) {
	deliverytest.Run(t, func(t *testing.T) deliverytest.Stores {
		s := newStore(t)
		return deliverytest.Stores{Deliveries: s.Deliveries(), Store: s}
	})
}

// replay sends the next request for one DynamoDB operation twice and answers with the second
// response: what the SDK does when a response is lost after DynamoDB applied the write.
type replay struct {
	next   http.RoundTripper
	target atomic.Value // string: the operation to replay once, "" for none
}

func (r *replay) RoundTrip(req *http.Request) (*http.Response, error) {
	op := strings.TrimPrefix(req.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
	if want, _ := r.target.Load().(string); want == "" || op != want || !r.target.CompareAndSwap(want, "") {
		return r.next.RoundTrip(req)
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	first := req.Clone(req.Context())
	first.Body = io.NopCloser(bytes.NewReader(body))
	resp, err := r.next.RoundTrip(first)
	if err != nil {
		return nil, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	again := req.Clone(req.Context())
	again.Body = io.NopCloser(bytes.NewReader(body))
	return r.next.RoundTrip(again)
}

// TestDeliveryReplayedWrites: a claim or an update that reaches DynamoDB twice (the SDK retried
// it after the first had been applied) is recognised by its token as the caller's own write:
// the claim is still won, so the message is sent, and the update still succeeds.
func TestDeliveryReplayedWrites(t *testing.T) {
	ctx := t.Context()
	rt := &replay{next: http.DefaultTransport}
	db := dynamodb.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		HTTPClient:  &http.Client{Transport: rt},
	}, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(os.Getenv("OVERDUE_MOTO_URL")) })
	s := New(db, newReadyTable(t), store.Options{Box: testBox})
	ds := s.Deliveries()

	d := deliverytest.Delivery(1, "p", "ch")
	rt.target.Store("PutItem")
	ok, existing, err := ds.Claim(ctx, d)
	if err != nil || !ok || existing != nil || d.Version != 1 {
		t.Fatalf("replayed Claim = %v, %v, %v, version %d; want claimed, version 1", ok, existing, err, d.Version)
	}
	if v, _ := rt.target.Load().(string); v != "" {
		t.Fatalf("the Claim was not replayed")
	}
	// Someone else's claim of the same delivery still loses.
	if ok, existing, err := ds.Claim(ctx, deliverytest.Delivery(1, "p", "ch")); ok || err != nil || existing == nil {
		t.Errorf("second Claim = %v, %v, %v; want the existing record", ok, existing, err)
	}

	d.Status, d.Attempts, d.NextAttempt = store.DeliveryRetrying, 1, d.Updated.Add(time.Minute)
	rt.target.Store("UpdateItem")
	if err := ds.Update(ctx, d); err != nil || d.Version != 2 {
		t.Fatalf("replayed Update = %v, version %d; want nil, 2", err, d.Version)
	}
	stale := *d
	stale.Version = 1
	if err := ds.Update(ctx, &stale); err == nil {
		t.Errorf("Update with a stale version after a replayed one = nil, want ErrConflict")
	}
}

// TestDeliveryItems: what the records look like in the table. A delivery is on the due list
// while in progress and on its project's parked list once parked; sent, it is on neither and
// expires FlipRetention after its last update; and deleting its check leaves it alone.
func TestDeliveryItems(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	c := setup(t, s)
	ds := s.Deliveries()
	raw := func(d *store.Delivery) map[string]any {
		t.Helper()
		return plainItem(s.rawItem(t, deliveryPrefix+d.ID, deliverySK))
	}

	// Delivery 1 is of a flip of check 1, the check setup made.
	sent := deliverytest.Delivery(1, c.ProjectID, "ch")
	claim := func(d *store.Delivery) {
		t.Helper()
		if ok, _, err := ds.Claim(ctx, d); !ok || err != nil {
			t.Fatalf("Claim(%s) = %v, %v", d.ID, ok, err)
		}
	}
	claim(sent)
	if m := raw(sent); m["upk"] != "S:"+dueDeliveriesPK || m["ttl"] != nil {
		t.Errorf("pending delivery: upk %v, ttl %v; want %s and none", m["upk"], m["ttl"], dueDeliveriesPK)
	}
	sent.Status, sent.NextAttempt, sent.Updated = store.DeliverySent, time.Time{}, sent.Updated.Add(time.Second)
	if err := ds.Update(ctx, sent); err != nil {
		t.Fatal(err)
	}
	m := raw(sent)
	if m["upk"] != nil || m["usk"] != nil || m["na"] != nil {
		t.Errorf("sent delivery: upk %v, usk %v, na %v; want none", m["upk"], m["usk"], m["na"])
	}
	if want := sent.Updated.Add(store.DefaultFlipRetention).Unix(); m["ttl"] != fmt.Sprintf("N:%d", want) {
		t.Errorf("sent delivery: ttl %v, want %d", m["ttl"], want)
	}

	parked := deliverytest.Delivery(2, c.ProjectID, "ch")
	claim(parked)
	parked.Status, parked.NextAttempt, parked.LastError = store.DeliveryParked, time.Time{}, "Received status code 503"
	if err := ds.Update(ctx, parked); err != nil {
		t.Fatal(err)
	}
	if m := raw(parked); m["upk"] != "S:"+parkedDeliveriesPrefix+c.ProjectID || m["ttl"] == nil {
		t.Errorf("parked delivery: upk %v, ttl %v; want %s and a TTL", m["upk"], m["ttl"], parkedDeliveriesPrefix+c.ProjectID)
	}

	if err := s.DeleteCheck(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	got, err := ds.Parked(ctx, c.ProjectID, 10)
	if err != nil || len(got) != 1 || got[0].ID != parked.ID {
		t.Errorf("Parked after DeleteCheck = %v, %v; want the parked delivery", got, err)
	}
	if ok, existing, err := ds.Claim(ctx, deliverytest.Delivery(1, "p", "ch")); err != nil || ok {
		t.Errorf("Claim(%s) after DeleteCheck = %v, %v, %v; want the record kept", sent.ID, ok, existing, err)
	}
}
