package dynamo

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/schema"
	"github.com/overduehq/overdue/internal/store"
)

// TestLock: one holder at a time; a second migrator is told who holds the lock and until
// when; an expired lock is taken over, and its former holder cannot release it.
func TestLock(t *testing.T) {
	ctx := t.Context()
	a := newBareStore(t)
	b := New(a.db, a.table, store.Options{Box: testBox})
	if err := a.Lock(ctx, t0); err != nil {
		t.Fatalf("a.Lock = %v", err)
	}
	err := b.Lock(ctx, t0.Add(time.Minute))
	var le *LockError
	if !errors.As(err, &le) || le.Owner == "" || !le.Expires.Equal(t0.Add(lockTTL)) {
		t.Fatalf("b.Lock while a holds it = %v, want a *LockError naming a and its expiry", err)
	}
	if !strings.Contains(err.Error(), "another migration of table "+a.table+" is running") {
		t.Errorf("LockError = %q", err)
	}
	// a stalls past the expiry: b takes the lock over, and a's release fails.
	if err := b.Lock(ctx, t0.Add(lockTTL+time.Second)); err != nil {
		t.Fatalf("b.Lock after a's lock expired = %v", err)
	}
	if err := a.Unlock(ctx); err == nil {
		t.Errorf("a.Unlock of a lock b took over = nil, want an error")
	}
	if err := b.Unlock(ctx); err != nil {
		t.Errorf("b.Unlock = %v", err)
	}
	if err := a.Lock(ctx, t0.Add(lockTTL+2*time.Second)); err != nil {
		t.Errorf("a.Lock after b released = %v", err)
	}
	if err := a.Unlock(ctx); err != nil {
		t.Errorf("a.Unlock = %v", err)
	}
}

// TestRunWhileLocked: a migration that meets another migrator's lock, and does not wait,
// fails with a clear error and writes nothing.
func TestRunWhileLocked(t *testing.T) {
	ctx := t.Context()
	s := newBareStore(t)
	seedV1(t, s, 1, 4)
	holder := New(s.db, s.table, store.Options{Box: testBox})
	if err := holder.Lock(ctx, t0); err != nil {
		t.Fatal(err)
	}
	before := scanAll(t, s)
	_, err := schema.Run(ctx, s, runOpts("v0.2.0"))
	var le *LockError
	if !errors.As(err, &le) {
		t.Fatalf("Run while another migrator holds the lock = %v, want a *LockError", err)
	}
	if diff := cmp.Diff(before, scanAll(t, s)); diff != "" {
		t.Errorf("a refused migration wrote (-before +after):\n%s", diff)
	}
}

// TestConcurrentMigrations: migrators started at once on version 1 data (the deploy's custom
// resource and an operator, say): exactly one applies the migrations, the others wait for the
// lock and find nothing left to do, and the history has one entry per version.
//
// moto checks a write's condition and applies it in separate steps without a lock, so two
// conditional writes at once can both succeed; the test client (motoClient) serializes write
// requests, as DynamoDB's writes are atomic, and leaves reads concurrent.
func TestConcurrentMigrations(t *testing.T) {
	ctx := t.Context()
	first := newBareStore(t)
	seedV1(t, first, 4, 25)
	const migrators = 4
	reports := make([]*schema.Report, migrators)
	errs := make([]error, migrators)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range migrators {
		s := New(first.db, first.table, store.Options{Box: testBox})
		s.LockWait = time.Minute
		wg.Go(func() {
			<-start
			reports[i], errs[i] = schema.Run(ctx, s, runOpts("v0.2.0"))
		})
	}
	close(start)
	wg.Wait()
	applied, waited := 0, 0
	for i := range migrators {
		if errs[i] != nil {
			t.Errorf("migrator %d: %v", i, errs[i])
			continue
		}
		applied += len(reports[i].Applied)
		if reports[i].Decision == schema.Migrate && len(reports[i].Applied) == 0 {
			waited++ // it set out to migrate, met the lock, and found the work done
		}
		if reports[i].After != (schema.Version{Version: schema.Current, MinReader: schema.This().MinReader()}) {
			t.Errorf("migrator %d left the data at %v", i, reports[i].After)
		}
	}
	if want := schema.Current - 1; applied != want {
		t.Errorf("%d migrations applied, want exactly %d (each once)", applied, want)
	}
	if waited == 0 {
		t.Errorf("no migrator waited for the lock: the test did not make them race")
	}
	hist, err := first.History(ctx)
	if err != nil || len(hist) != schema.Current-1 || hist[0].Version != 2 {
		t.Errorf("History = %+v, %v; want one entry for each version from 2", hist, err)
	}
	lookups := 0
	for _, m := range scanAll(t, first) {
		if strings.HasPrefix(m["sk"].(string), pingPrefix) && m["bs"] == nil {
			t.Errorf("%s %s has no bs", m["pk"], m["sk"])
		}
		if m["sk"] == checkSK && m["bk"] != nil && m["bkl"] != "BOOL:true" {
			t.Errorf("%s has a badge key but no bkl", m["pk"])
		}
		if strings.HasPrefix(m["pk"].(string), badgeKeyPrefix) {
			lookups++
		}
		if m["pk"] == metaPK && (m[metaLockOwner] != nil || m[metaLockExpires] != nil) {
			t.Errorf("META still holds a lock: %v", m)
		}
	}
	if lookups != 4 { // the badged project's and three of the four checks'
		t.Errorf("%d badge lookups, want 4", lookups)
	}
}

// lostAnswer passes requests on and, for the next UpdateItem after armed is set, applies it
// and then throws DynamoDB's answer away, answering 500 instead: what the SDK sees when a
// connection drops after the write went through. The SDK retries that request.
type lostAnswer struct {
	next  http.RoundTripper
	armed atomic.Bool
}

func (l *lostAnswer) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Header.Get("X-Amz-Target") != "DynamoDB_20120810.UpdateItem" || !l.armed.CompareAndSwap(true, false) {
		return l.next.RoundTrip(r)
	}
	res, err := l.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return &http.Response{
		StatusCode: http.StatusInternalServerError, Status: "500 Internal Server Error",
		Header:  http.Header{"Content-Type": {"application/x-amz-json-1.0"}},
		Body:    io.NopCloser(strings.NewReader(`{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"lost"}`)),
		Request: r, ProtoMajor: 1, ProtoMinor: 1,
	}, nil
}

// TestLockRetried: taking and releasing the migration lock survive the SDK retrying a request
// whose answer was lost after DynamoDB applied it. The retried take finds the lock already
// ours (it used to wait out LockWait and fail naming itself as the holder), and the retried
// release finds it free (it used to say the lock "expired and is no longer ours": a migration
// that had succeeded failed TestMigrateDynamoDB under load).
func TestLockRetried(t *testing.T) {
	ctx := t.Context()
	bare := newBareStore(t)
	lost := &lostAnswer{next: http.DefaultTransport}
	client := dynamodb.New(bare.db.Options(), func(o *dynamodb.Options) {
		o.HTTPClient = &http.Client{Transport: lost}
	})
	s := New(client, bare.table, store.Options{Box: testBox})
	s.LockWait = 0

	lost.armed.Store(true)
	if err := s.Lock(ctx, t0); err != nil {
		t.Fatalf("Lock whose answer was lost and retried = %v, want nil", err)
	}
	if lost.armed.Load() {
		t.Fatal("the take was not sent through the lossy transport")
	}
	other := New(bare.db, bare.table, store.Options{Box: testBox})
	other.LockWait = 0
	var le *LockError
	if err := other.Lock(ctx, t0.Add(time.Minute)); !errors.As(err, &le) {
		t.Fatalf("another migrator's Lock while s holds it = %v, want a *LockError", err)
	}

	lost.armed.Store(true)
	if err := s.Unlock(ctx); err != nil {
		t.Fatalf("Unlock whose answer was lost and retried = %v, want nil", err)
	}
	if lost.armed.Load() {
		t.Fatal("the release was not sent through the lossy transport")
	}
	if err := other.Lock(ctx, t0.Add(time.Minute)); err != nil {
		t.Errorf("another migrator's Lock after s released = %v, want nil", err)
	}
}
