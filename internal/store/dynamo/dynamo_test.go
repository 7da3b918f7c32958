package dynamo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/seal"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/storetest"
)

// The tests run against moto_server, which scripts/with-moto.sh starts on a free port and
// names in OVERDUE_MOTO_URL. Each store gets a table of its own, deleted when its test ends:
// go test ./... runs packages in parallel against one moto, so nothing here resets it.

const motoMissing = "moto_server is not running: run the tests with 'make test' (which starts it), " +
	"or install it with pip install 'moto[server]'"

var (
	clientOnce sync.Once
	client     *dynamodb.Client
	tableSeq   atomic.Int64
)

// motoClient returns a client for moto_server, failing the test when there is none.
func motoClient(tb testing.TB) *dynamodb.Client {
	tb.Helper()
	url := os.Getenv("OVERDUE_MOTO_URL")
	if url == "" {
		tb.Fatal(motoMissing)
	}
	clientOnce.Do(func() {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 128 // the concurrency tests run that many requests at once
		client = dynamodb.NewFromConfig(aws.Config{
			Region:      "us-east-1",
			Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
			HTTPClient:  &http.Client{Transport: &atomicWrites{next: tr}},
		}, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(url) })
	})
	return client
}

// atomicWrites makes moto's writes atomic, as DynamoDB's are. moto_server serves requests on
// threads and checks a write's condition and applies it as separate steps without a lock, so
// two concurrent conditional writes to one item can both succeed: TestConcurrentPings lost a
// ping to it now and then, and a probe of 32 threads doing a plain read/UpdateItem-if-version
// loop with 30 SET clauses lost 60 to 84 of 320 increments. Serializing the write requests
// restores the guarantee; reads still run concurrently, so writers still lose races and retry.
type atomicWrites struct {
	next http.RoundTripper
	mu   sync.Mutex
}

func (a *atomicWrites) RoundTrip(r *http.Request) (*http.Response, error) {
	switch strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810.") {
	case "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems":
		// moto has applied the write before it sends the response headers.
		a.mu.Lock()
		defer a.mu.Unlock()
	}
	return a.next.RoundTrip(r)
}

// newTable creates a table with a name no other test process uses and deletes it at the end.
func newTable(tb testing.TB) string {
	tb.Helper()
	db := motoClient(tb)
	name := fmt.Sprintf("overdue-test-%d-%d", os.Getpid(), tableSeq.Add(1))
	// moto answers some requests with a transient error under load and the SDK retries them: a
	// retried CreateTable whose first attempt went through finds the table it made, and a retried
	// DeleteTable finds it gone. The name is this process's own, so both mean success (the same
	// rule as dynamotest.Table, which this package's own tests cannot import).
	var inUse *types.ResourceInUseException
	if err := CreateTable(context.Background(), db, name); err != nil && !errors.As(err, &inUse) {
		tb.Fatalf("CreateTable(%s) = %v", name, err)
	}
	tb.Cleanup(func() {
		var gone *types.ResourceNotFoundException
		if _, err := db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: &name}); err != nil && !errors.As(err, &gone) {
			tb.Errorf("delete table %s: %v", name, err)
		}
	})
	return name
}

// newStore is a store over a new table whose data model is at this build's version, as the
// deploy's migrate step leaves it: its writes pass the guard.
func newStore(tb testing.TB) *Store {
	tb.Helper()
	return New(motoClient(tb), newReadyTable(tb), store.Options{Box: testBox})
}

// newReadyTable is newTable with the data model created at this build's version.
func newReadyTable(tb testing.TB) string {
	tb.Helper()
	name := newTable(tb)
	if err := New(motoClient(tb), name, store.Options{Box: testBox}).Create(context.Background(), "test", t0); err != nil {
		tb.Fatalf("Create(%s) = %v", name, err)
	}
	return name
}

// newBareStore is a store over a new, empty table with no data model, whose writes are not
// guarded: it stands for builds from before data-model versions, for the tests of versions
// and migrations.
func newBareStore(tb testing.TB) *Store {
	tb.Helper()
	s := New(motoClient(tb), newTable(tb), store.Options{Box: testBox})
	s.Gate = nil
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return newStore(t) })
}

// TestCreateTable pins the table the CDK app must create too.
func TestCreateTable(t *testing.T) {
	db := motoClient(t)
	name := newTable(t)
	out, err := db.DescribeTable(t.Context(), &dynamodb.DescribeTableInput{TableName: &name})
	if err != nil {
		t.Fatal(err)
	}
	td := out.Table
	if td.TableStatus != types.TableStatusActive {
		t.Errorf("status = %s, want ACTIVE", td.TableStatus)
	}
	if td.BillingModeSummary == nil || td.BillingModeSummary.BillingMode != types.BillingModePayPerRequest {
		t.Errorf("billing = %+v, want PAY_PER_REQUEST", td.BillingModeSummary)
	}
	if s := td.StreamSpecification; s == nil || !aws.ToBool(s.StreamEnabled) || s.StreamViewType != types.StreamViewTypeNewAndOldImages {
		t.Errorf("stream = %+v, want NEW_AND_OLD_IMAGES", s)
	}
	keys := func(ks []types.KeySchemaElement) string {
		var parts []string
		for _, k := range ks {
			parts = append(parts, aws.ToString(k.AttributeName)+" "+string(k.KeyType))
		}
		return strings.Join(parts, ", ")
	}
	if got, want := keys(td.KeySchema), "pk HASH, sk RANGE"; got != want {
		t.Errorf("key schema = %s, want %s", got, want)
	}
	got := map[string]string{}
	for _, g := range td.GlobalSecondaryIndexes {
		got[aws.ToString(g.IndexName)] = keys(g.KeySchema) + " " + string(g.Projection.ProjectionType)
	}
	want := map[string]string{
		DueIndex:         "dsh HASH, aa RANGE KEYS_ONLY",
		DueBucketIndex:   "dbs HASH, dbk RANGE KEYS_ONLY",
		ProjectIndex:     "gpk HASH, gsk RANGE KEYS_ONLY",
		UnprocessedIndex: "upk HASH, usk RANGE ALL",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("indexes mismatch (-want +got):\n%s", diff)
	}
	ttl, err := db.DescribeTimeToLive(t.Context(), &dynamodb.DescribeTimeToLiveInput{TableName: &name})
	if err != nil {
		t.Fatal(err)
	}
	if d := ttl.TimeToLiveDescription; d.TimeToLiveStatus != types.TimeToLiveStatusEnabled || aws.ToString(d.AttributeName) != TTLAttribute {
		t.Errorf("TTL = %s on %q, want ENABLED on %q", d.TimeToLiveStatus, aws.ToString(d.AttributeName), TTLAttribute)
	}
}

var t0 = time.Date(2026, 11, 24, 20, 0, 0, 0, time.UTC)

// setup makes a project and a check in a fresh store.
func setup(tb testing.TB, s *Store) *check.Check {
	tb.Helper()
	ctx := context.Background()
	p := &check.Project{ID: "a0000000-0000-4000-8000-000000000001", Name: "Project", Created: t0,
		APIKeyHash: check.HashKey("hcw_x"), PingKeyHash: check.HashKey("pk")}
	if err := s.CreateProject(ctx, p); err != nil {
		tb.Fatalf("CreateProject = %v", err)
	}
	c := check.New("c0000000-0000-4000-8000-000000000001", p.ID, t0)
	c.Name, c.Slug = "Nightly backup", "nightly-backup"
	if err := s.CreateCheck(ctx, c); err != nil {
		tb.Fatalf("CreateCheck = %v", err)
	}
	return c
}

func ping(ctx context.Context, s *Store, id string, sig check.Signal, now time.Time) (*check.Check, *check.Flip, error) {
	var flip *check.Flip
	c, err := s.UpdateCheck(ctx, id, func(c *check.Check) (store.Change, error) {
		var p *check.Ping
		p, flip = c.ApplyPing(sig, now, nil)
		return store.Change{Ping: p, Flip: flip}, nil
	})
	return c, flip, err
}

// TestBodies: bodies come back byte for byte whether stored plain or deflated, and a body over
// MaxBody is cut, not refused.
func TestBodies(t *testing.T) {
	s := newStore(t)
	c := setup(t, s)
	random := make([]byte, 2000)
	for i := range random {
		random[i] = byte(rand.N(256))
	}
	huge := bytes.Repeat([]byte("0123456789abcdef"), 150_000/16) // 150 kB: over MaxBody
	for i, tt := range []struct {
		name     string
		body     []byte
		want     []byte
		deflated bool
	}{
		{"short", []byte("ok"), []byte("ok"), false},
		{"text", []byte(jobOutput), []byte(jobOutput), true},
		{"random", random, random, false},
		{"over MaxBody", huge, huge[:MaxBody], true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sig := check.Signal{Kind: check.PingLog, Method: "POST", Body: tt.body}
			if _, _, err := ping(t.Context(), s, c.ID, sig, t0.Add(time.Duration(i)*time.Second)); err != nil {
				t.Fatalf("ping with a %d-byte body = %v", len(tt.body), err)
			}
			got, err := s.Ping(t.Context(), c.ID, i+1)
			if err != nil {
				t.Fatalf("Ping(%d) = %v", i+1, err)
			}
			if !bytes.Equal(got.Body, tt.want) {
				t.Errorf("Ping(%d).Body: %d bytes, want %d", i+1, len(got.Body), len(tt.want))
			}
			if plain, deflated := encodeBody(tt.body); (deflated != nil) != tt.deflated {
				t.Errorf("encodeBody(%s) stored %d bytes plain, %d deflated; want deflated = %v",
					tt.name, len(plain), len(deflated), tt.deflated)
			}
		})
	}
}

// jobOutput is 1 KB of what a cron job prints: the kind of body pings carry.
var jobOutput = func() string {
	var b strings.Builder
	for i := 0; b.Len() < 1024; i++ {
		fmt.Fprintf(&b, "2026-11-24T02:30:%02d Z backup: copied /var/lib/postgres/base/16384/%d (%d kB)\n",
			i%60, 24576+i*7, 1000+i*37%900)
	}
	return b.String()[:1024]
}()

// TestItemSizes: the check item stays under the 1 KB of one write unit, so a ping writes the
// check for one unit, and the size model counts as DynamoDB does.
func TestItemSizes(t *testing.T) {
	c := check.New("c0000000-0000-4000-8000-000000000001", "a0000000-0000-4000-8000-000000000001", t0)
	c.Name, c.Slug, c.Tags, c.Desc = "Nightly backup of the accounting database", "nightly-backup-accounting", "prod db backup", "Runs at 02:30; pages the on-call."
	c.Kind, c.Schedule, c.TZ = check.KindCron, "30 2 * * *", "Europe/Riga"
	c.Channels = []string{"e0000000-0000-4000-8000-000000000001", "e0000000-0000-4000-8000-000000000002"}
	c.BadgeKey = "0f1e2d3c4b5a6978"
	c.ApplyPing(check.Signal{Kind: check.PingStart, RID: "7e0b6b5c-6c58-4a8e-9b1e-3f1a2b3c4d5e"}, t0, nil)
	size := itemSize(marshal(checkToItem(c, 123456, 100)))
	t.Logf("check item: %d bytes", size)
	if size > writeUnitSize {
		t.Errorf("check item is %d bytes, want at most %d (one write unit)", size, writeUnitSize)
	}

	for _, tt := range []struct {
		v    types.AttributeValue
		want int
	}{
		{num(0), 1}, {num(7), 2}, {num(12), 2}, {num(123), 3}, {num(-120), 2},
		{num(1795723200000000), 5}, {num(1795723200123456), 9}, // trailing zeros are trimmed
		{str("héllo"), 6}, {&types.AttributeValueMemberBOOL{Value: true}, 1},
		{&types.AttributeValueMemberL{Value: []types.AttributeValue{str("ab"), str("c")}}, 3 + 3 + 2},
	} {
		if got := valueSize(tt.v); got != tt.want {
			t.Errorf("valueSize(%v) = %d, want %d", tt.v, got, tt.want)
		}
	}
}

// TestFlipIDs: IDs sort as flips were created and encode the creation instant.
func TestFlipIDs(t *testing.T) {
	a, b, c := flipID(t0, 9), flipID(t0, 10), flipID(t0.Add(time.Microsecond), 2)
	if !(a < b && b < c) {
		t.Errorf("flip IDs %q, %q, %q do not sort in creation order", a, b, c)
	}
	if us, ok := parseFlipID(b); !ok || us != t0.UnixMicro() {
		t.Errorf("parseFlipID(%q) = %d, %v, want %d", b, us, ok, t0.UnixMicro())
	}
	for _, bad := range []string{"", "12", "abc-def", "0000000000000001-x", "1-0000000001"} {
		if _, ok := parseFlipID(bad); ok {
			t.Errorf("parseFlipID(%q) accepted a malformed ID", bad)
		}
	}
}

// TestUnknownAttributesSurvive: an attribute a newer release added to a check is kept by this
// release's UpdateCheck (expand, migrate, contract).
func TestUnknownAttributesSurvive(t *testing.T) {
	s := newStore(t)
	c := setup(t, s)
	ctx := t.Context()
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.table,
		Key:                       checkKey(c.ID),
		UpdateExpression:          aws.String("SET future = :f"),
		ExpressionAttributeValues: item{":f": str("from v2")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := ping(ctx, s, c.ID, check.Signal{Kind: check.PingSuccess}, t0); err != nil {
		t.Fatal(err)
	}
	m, err := s.get(ctx, checkKey(c.ID), true)
	if err != nil {
		t.Fatal(err)
	}
	if got := stringOf(m["future"]); got != "from v2" {
		t.Errorf("attribute future = %q after UpdateCheck, want it kept", got)
	}
}

// TestRing: a check's pings live in a ring sized by the PingLimit in force when it was made.
// Reads show the newest min(ring, PingLimit), whatever a slot holds, and a ping whose write
// never landed leaves a gap, not a stale ping.
func TestRing(t *testing.T) {
	table := newReadyTable(t)
	ctx := t.Context()
	s5 := New(motoClient(t), table, store.Options{PingLimit: 5, Box: testBox})
	c := setup(t, s5)
	for i := range 12 {
		if _, _, err := ping(ctx, s5, c.ID, check.Signal{Kind: check.PingLog}, t0.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	numbers := func(s *Store, limit int) []int {
		t.Helper()
		ps, err := s.Pings(ctx, c.ID, limit)
		if err != nil {
			t.Fatalf("Pings(%d) = %v", limit, err)
		}
		var ns []int
		for _, p := range ps {
			ns = append(ns, p.N)
		}
		return ns
	}
	s100 := New(motoClient(t), table, store.Options{Box: testBox})
	s3 := New(motoClient(t), table, store.Options{PingLimit: 3, Box: testBox})
	for _, tt := range []struct {
		name  string
		s     *Store
		limit int
		want  []int
	}{
		{"ring 5 wrapped", s5, 1000, []int{12, 11, 10, 9, 8}},
		{"limit inside the ring", s5, 2, []int{12, 11}},
		{"store with a larger PingLimit", s100, 1000, []int{12, 11, 10, 9, 8}},
		{"store with a smaller PingLimit", s3, 1000, []int{12, 11, 10}},
	} {
		if diff := cmp.Diff(tt.want, numbers(tt.s, tt.limit)); diff != "" {
			t.Errorf("%s: Pings mismatch (-want +got):\n%s", tt.name, diff)
		}
	}
	for _, tt := range []struct {
		s     *Store
		n     int
		found bool
	}{
		{s5, 7, false}, {s5, 8, true}, {s5, 12, true}, {s5, 13, false}, {s5, 0, false},
		{s100, 8, true}, {s100, 7, false}, // the ring is the check's, not the store's
		{s3, 9, false}, {s3, 10, true},
	} {
		p, err := tt.s.Ping(ctx, c.ID, tt.n)
		switch {
		case tt.found && (err != nil || p.N != tt.n):
			t.Errorf("Ping(%d) with PingLimit %d = %v, %v; want ping %d", tt.n, tt.s.opts.PingLimit, p, err, tt.n)
		case !tt.found && !errors.Is(err, store.ErrNotFound):
			t.Errorf("Ping(%d) with PingLimit %d = %v, %v; want ErrNotFound", tt.n, tt.s.opts.PingLimit, p, err)
		}
	}

	// Ping 13 is counted but its write never lands (the process died between the two writes):
	// its slot still holds ping 8, which is no longer in the history.
	if _, err := s5.UpdateCheck(ctx, c.ID, func(c *check.Check) (store.Change, error) {
		c.NPings++
		return store.Change{}, nil
	}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{12, 11, 10, 9}, numbers(s5, 1000)); diff != "" {
		t.Errorf("Pings after a lost ping write mismatch (-want +got):\n%s", diff)
	}
	for _, n := range []int{8, 13} {
		if _, err := s5.Ping(ctx, c.ID, n); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Ping(%d) after a lost write of ping 13 = %v, want ErrNotFound", n, err)
		}
	}
}

// TestConcurrentPings: 50 pings at once to one check, each through its own Store as if from
// 50 Lambda instances, so they really race on the version condition: n_pings grows by exactly
// 50, every ping number is used once, and exactly one flip (new → up) is written.
func TestConcurrentPings(t *testing.T) {
	table := newReadyTable(t)
	meter := &Meter{}
	s := New(motoClient(t), table, store.Options{Box: testBox})
	c := setup(t, s)

	const n = 50
	var wg sync.WaitGroup
	var flips atomic.Int64
	var most atomic.Int64 // requests of the unluckiest ping
	for i := range n {
		wg.Go(func() {
			own := New(motoClient(t), table, store.Options{Box: testBox})
			own.Meter = &Meter{}
			_, f, err := ping(t.Context(), own, c.ID, check.Signal{Kind: check.PingSuccess}, t0.Add(time.Duration(i)*time.Second))
			if err != nil {
				t.Errorf("ping %d = %v", i, err)
			}
			if f != nil {
				flips.Add(1)
			}
			u := own.Meter.Usage()
			for m := most.Load(); int64(u.Requests) > m && !most.CompareAndSwap(m, int64(u.Requests)); m = most.Load() {
			}
			meter.add(u)
		})
	}
	wg.Wait()

	got, err := s.Check(t.Context(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.NPings != n {
		t.Errorf("NPings = %d after %d concurrent pings, want %d", got.NPings, n, n)
	}
	ps, err := s.Pings(t.Context(), c.ID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var ns []int
	for _, p := range ps {
		ns = append(ns, p.N)
	}
	slices.Sort(ns)
	want := make([]int, n)
	for i := range want {
		want[i] = i + 1
	}
	if diff := cmp.Diff(want, ns); diff != "" {
		t.Errorf("ping numbers mismatch (-want +got):\n%s", diff)
	}
	fs, err := s.Flips(t.Context(), c.ID, store.FlipQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 || fs[0].OldStatus != check.StatusNew || fs[0].NewStatus != check.StatusUp || flips.Load() != 1 {
		t.Errorf("flips = %v (%d reported to callers), want exactly one new → up", fs, flips.Load())
	}
	u := meter.Usage()
	t.Logf("%d concurrent pings: %d requests (%.1f per ping, %d for the unluckiest), %.1f RCU, %.1f WCU modelled",
		n, u.Requests, float64(u.Requests)/n, most.Load(), u.RCU, u.WCU)
}

// TestSweepCapacity: with 2,000 checks of which 20 are overdue, one DueChecks call costs what
// 20 checks cost to read, plus a fixed half unit per due-index shard, and nothing per check
// that is not due. moto reports a constant per request, so the test asserts on the capacity
// modelled from item sizes and logs what moto reported beside it.
func TestSweepCapacity(t *testing.T) {
	const total, overdue = 2000, 20
	s := newStore(t)
	ctx := t.Context()
	now := t0

	var writes []types.WriteRequest
	var scanSize int
	due := make(map[string]bool)
	for i := range total {
		c := check.New(fmt.Sprintf("c0000000-0000-4000-8000-%012d", i), "a0000000-0000-4000-8000-000000000001", t0.Add(-48*time.Hour))
		c.Name, c.Slug = fmt.Sprintf("Check %d", i), fmt.Sprintf("check-%d", i)
		c.Status, c.NPings = check.StatusUp, 10
		switch {
		case i%(total/overdue) == 0: // overdue: last pinged 26 hours ago
			c.LastPing = now.Add(-26*time.Hour - time.Duration(i)*time.Second)
			due[c.ID] = true
		case i%3 == 0: // new or paused: not in the index at all
			c.Status = check.StatusPaused
		default: // up, due within the next day
			c.LastPing = now.Add(-time.Duration(i) * time.Second)
		}
		c.AlertAfter = c.GoingDownAfter(nil)
		m := marshal(seededCheck(c))
		scanSize += itemSize(m)
		writes = append(writes, types.WriteRequest{PutRequest: &types.PutRequest{Item: m}})
	}
	if err := s.batchWrite(ctx, writes, func(types.WriteRequest) cost { return cost{} }); err != nil {
		t.Fatalf("seed %d checks: %v", total, err)
	}

	// The sweep's guard has read the data's version (a sweep writes): not part of finding.
	if err := s.Gate.Check(ctx); err != nil {
		t.Fatal(err)
	}
	s.Meter = &Meter{}
	got, err := s.DueChecks(ctx, now, 100)
	if err != nil {
		t.Fatalf("DueChecks = %v", err)
	}
	u := s.Meter.Usage()
	if len(got) != overdue {
		t.Errorf("DueChecks returned %d checks, want %d", len(got), overdue)
	}
	for i, c := range got {
		if !due[c.ID] {
			t.Errorf("DueChecks returned %s, which is not overdue", c.ID)
		}
		if i > 0 && got[i-1].AlertAfter.After(c.AlertAfter) {
			t.Errorf("DueChecks not soonest first at %d", i)
		}
	}

	// What the alternatives would cost: reading every check one by one (GetItem or
	// BatchGetItem, eventually consistent), a Scan of them all (sizes summed per 4 KB), and
	// this index projecting all attributes instead of keys (no fetch; each shard's query sums
	// its due checks' sizes).
	perItem := float64(total) * readUnits(0, false)
	scan := readUnits(scanSize, false)
	allProjection := 0.0
	byShard := make(map[string]int)
	for _, c := range got {
		byShard[dueShard(c.ID)] += itemSize(marshal(seededCheck(c)))
	}
	for i := range DueShards {
		allProjection += readUnits(byShard[fmt.Sprintf("%s%02d", duePrefix, i)], false)
	}
	t.Logf("sweep over %d checks, %d overdue: %d requests, %.1f RCU modelled (%.1f for %d shard queries + %.1f to fetch %d checks); moto reported %.1f",
		total, overdue, u.Requests, u.RCU, DueShards*readUnits(0, false), DueShards,
		u.RCU-DueShards*readUnits(0, false), len(got), u.ReportedRCU)
	t.Logf("reading all %d checks: %.0f RCU one by one, %.1f RCU as a Scan (%d kB); an ALL-projection due index: %.1f RCU",
		total, perItem, scan, scanSize/1000, allProjection)

	// Cost follows the due checks: the fixed shard queries plus one eventually consistent read
	// per due check, and far below reading each check.
	if want := DueShards*readUnits(0, false) + overdue*readUnits(0, false); u.RCU > want {
		t.Errorf("sweep cost %.1f RCU, want at most %.1f (shards plus due checks)", u.RCU, want)
	}
	if u.RCU > 0.1*perItem {
		t.Errorf("sweep cost %.1f RCU, want under 10%% of reading every check (%.0f)", u.RCU, perItem)
	}
	if u.Requests > DueShards+1 {
		t.Errorf("sweep made %d requests, want %d shard queries and one BatchGetItem", u.Requests, DueShards)
	}
}

// BenchmarkPingCapacity reports what one ping of each kind costs in DynamoDB capacity, with a
// 1 KB body: as job output (text, which the store deflates) and as random bytes (which it
// cannot). RCU/op and WCU/op are modelled from item sizes by DynamoDB's rules; moto-RCU/op and
// moto-WCU/op are what moto reported, a constant per request. "flip" cases change the status,
// which writes a flip in a transaction.
//
//	./scripts/with-moto.sh go test ./internal/store/dynamo/ -run '^$' -bench PingCapacity
func BenchmarkPingCapacity(b *testing.B) {
	random := make([]byte, 1024)
	for i := range random {
		random[i] = byte(rand.N(256))
	}
	up := check.Signal{Kind: check.PingSuccess, Method: "POST"}
	down := check.Signal{Kind: check.PingFail, Method: "POST"}
	cases := []struct {
		name  string
		kind  check.PingKind
		setup *check.Signal // before every measured ping, unmeasured: the state to flip from
		prime check.Signal  // once, before the first: the state to stay in
	}{
		{"success", check.PingSuccess, nil, up},
		{"success/flip", check.PingSuccess, &down, up},
		{"start", check.PingStart, nil, up},
		{"fail", check.PingFail, nil, down},
		{"fail/flip", check.PingFail, &up, up},
		{"log", check.PingLog, nil, up},
	}
	bodies := []struct {
		name string
		body []byte
	}{{"text-1KB", []byte(jobOutput)}, {"random-1KB", random}}
	for _, tc := range cases {
		for _, body := range bodies {
			b.Run(tc.name+"/"+body.name, func(b *testing.B) {
				ctx := context.Background()
				s := newStore(b)
				c := setup(b, s)
				now := t0
				tick := func() time.Time { now = now.Add(time.Minute); return now }
				if _, _, err := ping(ctx, s, c.ID, tc.prime, tick()); err != nil {
					b.Fatal(err)
				}
				meter := &Meter{}
				var total Usage
				sig := check.Signal{Kind: tc.kind, Method: "POST", Scheme: "https",
					RemoteAddr: "192.0.2.10", UA: "runitor/1.3.0", Body: body.body}
				b.ResetTimer()
				for b.Loop() {
					if tc.setup != nil {
						if _, _, err := ping(ctx, s, c.ID, *tc.setup, tick()); err != nil {
							b.Fatal(err)
						}
					}
					s.Meter = meter
					before := meter.Usage()
					_, flip, err := ping(ctx, s, c.ID, sig, tick())
					if err != nil {
						b.Fatal(err)
					}
					if (flip != nil) != (tc.setup != nil) {
						b.Fatalf("%s ping flipped: %v, want a flip: %v", tc.kind, flip != nil, tc.setup != nil)
					}
					total = total.Add(meter.Usage().Sub(before))
					s.Meter = nil
				}
				n := float64(b.N)
				b.ReportMetric(total.RCU/n, "RCU/op")
				b.ReportMetric(total.WCU/n, "WCU/op")
				b.ReportMetric((total.RCU+total.WCU)/n, "CU/op")
				b.ReportMetric(float64(total.Requests)/n, "requests/op")
				b.ReportMetric(total.ReportedRCU/n, "moto-RCU/op")
				b.ReportMetric(total.ReportedWCU/n, "moto-WCU/op")
			})
		}
	}
}

// testBox seals channel values in this package's tests, under storetest.Box's secret.
var testBox = func() *seal.Box {
	b, err := seal.New([]byte("storetest server secret, 32 chars"))
	if err != nil {
		panic(err)
	}
	return b
}()
