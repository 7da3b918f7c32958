package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/schema"
	"github.com/overduehq/overdue/internal/store"
)

// TestDueBucket: the bucket's width follows the check (a wide bucket for frequent pings with
// a short grace, one as wide as the grace otherwise), its start is never after AlertAfter, and
// a steady check's pings keep it in place until the deadline crosses into the next bucket. A
// check with a late channel is due at its expected time (no slack): a wide bucket when it pings
// often, else one of a second.
func TestDueBucket(t *testing.T) {
	at := time.Date(2026, 12, 7, 10, 17, 30, 0, time.UTC)
	for _, tt := range []struct {
		name           string
		period, grace  time.Duration
		late           bool
		wantWidth      time.Duration
		wantMovesPerHr int // over an hour of pings every period
	}{
		{"every minute, a minute's grace", time.Minute, time.Minute, false, wideBucket, 1},
		{"every 10 s, a minute's grace", 10 * time.Second, time.Minute, false, wideBucket, 1},
		{"every 3 minutes, 2 minutes' grace", 3 * time.Minute, 2 * time.Minute, false, wideBucket, 1},
		{"every 5 minutes, a minute's grace", 5 * time.Minute, time.Minute, false, time.Minute, 12},
		{"every minute, 10 minutes' grace", time.Minute, 10 * time.Minute, false, 10 * time.Minute, 6},
		{"daily, an hour's grace", 24 * time.Hour, time.Hour, false, time.Hour, 1},
		{"every minute, 30 s grace", time.Minute, 30 * time.Second, false, wideBucket, 1},
		{"late notice, every minute, a minute's grace", time.Minute, time.Minute, true, wideBucket, 1},
		{"late notice, every 3 minutes, 10 minutes' grace", 3 * time.Minute, 10 * time.Minute, true, wideBucket, 1},
		{"late notice, every 5 minutes, 5 minutes' grace", 5 * time.Minute, 5 * time.Minute, true, time.Second, 12},
		{"late notice, daily, an hour's grace", 24 * time.Hour, time.Hour, true, time.Second, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := check.New("c0000000-0000-4000-8000-000000000001", "a0000000-0000-4000-8000-000000000001", at)
			c.Timeout, c.Grace, c.LateNotice = tt.period, tt.grace, tt.late
			pingAt := func(now time.Time) {
				c.LastPing = now
				c.AlertAfter = now.Add(tt.period + tt.grace)
				if tt.late {
					c.AlertAfter = now.Add(tt.period) // the expected time: check.Check.LateAt
				}
			}
			pingAt(at)
			if got := dueWidth(c); got != tt.wantWidth {
				t.Errorf("dueWidth = %v, want %v", got, tt.wantWidth)
			}
			start := at.Truncate(time.Hour).Add(time.Hour) // a whole hour from a bucket's start
			pingAt(start.Add(-tt.period))
			moves, prev := 0, dueBucket(c)
			for now := start; now.Before(start.Add(time.Hour)); now = now.Add(tt.period) {
				pingAt(now)
				b := dueBucket(c)
				if b > c.AlertAfter.Unix() || c.AlertAfter.Unix()-b >= int64(dueWidth(c)/time.Second) {
					t.Fatalf("bucket %d for AlertAfter %d: want the start of a bucket of %v holding it", b, c.AlertAfter.Unix(), dueWidth(c))
				}
				if b != prev {
					moves++
				}
				prev = b
			}
			if moves != tt.wantMovesPerHr {
				t.Errorf("the bucket moved %d times in an hour of pings, want %d", moves, tt.wantMovesPerHr)
			}
		})
	}
}

// seedDue makes n up checks in s, each pinged once at t0, so each is in both due indexes.
func seedDue(t *testing.T, s *Store, n int) []string {
	t.Helper()
	ctx := t.Context()
	p := &check.Project{ID: "a0000000-0000-4000-8000-000000000001", Name: "Project", Created: t0,
		APIKeyHash: check.HashKey("hcw_x"), PingKeyHash: check.HashKey("pk")}
	if err := s.CreateProject(ctx, p); err != nil {
		t.Fatalf("CreateProject = %v", err)
	}
	var ids []string
	for i := range n {
		c := check.New(fmt.Sprintf("c0000000-0000-4000-8000-%012d", i), p.ID, t0)
		c.Timeout, c.Grace = time.Minute, time.Minute
		if err := s.CreateCheck(ctx, c); err != nil {
			t.Fatalf("CreateCheck = %v", err)
		}
		if _, _, err := ping(ctx, s, c.ID, check.Signal{Kind: check.PingSuccess, Method: "GET"}, t0); err != nil {
			t.Fatalf("ping = %v", err)
		}
		ids = append(ids, c.ID)
	}
	return ids
}

// setRaw changes a check item behind the store's back, as a build that does not know the
// bucketed keys leaves it.
func setRaw(t *testing.T, s *Store, id, expr string, values item) {
	t.Helper()
	in := &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: checkKey(id), UpdateExpression: aws.String(expr),
		ExpressionAttributeNames: map[string]string{},
	}
	for ph, name := range map[string]string{
		"#dbs": DueBucketShardAttribute, "#dbk": DueBucketAttribute, "#dsh": DueShardAttribute, "#aa": AlertAfterAttribute, "#lp": "lp",
	} {
		if strings.Contains(expr, ph) {
			in.ExpressionAttributeNames[ph] = name
		}
	}
	if len(values) > 0 {
		in.ExpressionAttributeValues = values
	}
	if _, err := s.db.UpdateItem(context.Background(), in); err != nil {
		t.Fatalf("UpdateItem(%s, %s) = %v", id, expr, err)
	}
}

// bucketKeys reads a check's bucketed due keys as stored.
func bucketKeys(t *testing.T, s *Store, id string) (string, int64) {
	t.Helper()
	m, err := s.get(context.Background(), checkKey(id), true)
	if err != nil || m == nil {
		t.Fatalf("get %s = %v, %v", id, m, err)
	}
	var b int64
	if m[DueBucketAttribute] != nil {
		b, _ = numberOf(m[DueBucketAttribute])
	}
	return stringOf(m[DueBucketShardAttribute]), b
}

// TestBackfillDueBuckets: the back-fill gives every check in the due index the bucketed keys it
// lacks or has wrong (as a build before version 19 leaves them), takes them from a check that
// left the due index, touches nothing else, and a second run writes nothing (idempotent); a
// run cut short is finished by the next (resumable: it reads every check again).
func TestBackfillDueBuckets(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	ids := seedDue(t, s, 6)
	want := make(map[string]int64)
	for _, id := range ids {
		shard, b := bucketKeys(t, s, id)
		if shard != dueShard(id) || b == 0 {
			t.Fatalf("check %s written with bucket keys %q, %d; want its shard and a bucket", id, shard, b)
		}
		want[id] = b
	}
	// What version 18 builds leave: no keys (written before the upgrade), a stale bucket (a
	// deadline moved without its bucket), keys on a check out of the due index (paused).
	// (Their writes put dsh on every check with AlertAfter.)
	for i, id := range ids {
		setRaw(t, s, id, "SET #dsh = :s", item{":s": str(dueShard(id))})
		switch i {
		case 0, 1:
			setRaw(t, s, id, "REMOVE #dbs, #dbk", nil)
		case 2:
			setRaw(t, s, id, "SET #dbk = :b", item{":b": num(want[id] + 7200)})
		case 3:
			setRaw(t, s, id, "REMOVE #aa, #dsh", nil)
		}
	}

	// A run cut short: only the old index's shard of ids[0] was done.
	if err := s.fixDueBucket(ctx, checkKey(ids[0])); err != nil {
		t.Fatal(err)
	}
	if shard, b := bucketKeys(t, s, ids[0]); shard != dueShard(ids[0]) || b != want[ids[0]] {
		t.Errorf("after fixing %s: keys %q, %d; want %q, %d", ids[0], shard, b, dueShard(ids[0]), want[ids[0]])
	}

	s.Meter = &Meter{}
	if err := s.backfillDueBuckets(ctx, DueIndex, DueBucketIndex); err != nil {
		t.Fatalf("backfillDueBuckets = %v", err)
	}
	first := s.Meter.Usage()
	for i, id := range ids {
		shard, b := bucketKeys(t, s, id)
		switch {
		case i == 3 && (shard != "" || b != 0):
			t.Errorf("check %s out of the due index keeps bucket keys %q, %d", id, shard, b)
		case i != 3 && (shard != dueShard(id) || b != want[id]):
			t.Errorf("check %s: keys %q, %d after the back-fill; want %q, %d", id, shard, b, dueShard(id), want[id])
		}
	}
	// Three checks written (ids[1], ids[2], ids[3]); ids[0] was done by the run cut short.
	if first.WCU < 3 || first.WCU > 3*4 {
		t.Errorf("back-fill wrote %.1f WCU, want three checks' writes", first.WCU)
	}
	before := first
	if err := s.backfillDueBuckets(ctx, DueIndex, DueBucketIndex); err != nil {
		t.Fatalf("backfillDueBuckets again = %v", err)
	}
	if again := s.Meter.Usage().Sub(before); again.WCU != 0 {
		t.Errorf("a second back-fill wrote %.1f WCU, want nothing", again.WCU)
	}
}

// minutely makes a check that pings every minute with a minute's grace (a wide bucket), pinged
// at at, in a store set up by setup.
func minutely(t *testing.T, s *Store, n int, at time.Time) *check.Check {
	t.Helper()
	ctx := t.Context()
	c := check.New(fmt.Sprintf("c0000000-0000-4000-8000-%012d", n), "a0000000-0000-4000-8000-000000000001", at)
	c.Timeout, c.Grace = time.Minute, time.Minute
	if err := s.CreateCheck(ctx, c); err != nil {
		t.Fatalf("CreateCheck = %v", err)
	}
	got, _, err := ping(ctx, s, c.ID, check.Signal{Kind: check.PingSuccess, Method: "GET"}, at)
	if err != nil {
		t.Fatalf("ping = %v", err)
	}
	if dueWidth(got) != wideBucket {
		t.Fatalf("a minutely check has a bucket of %v, want %v", dueWidth(got), wideBucket)
	}
	return got
}

// TestDueInBucket: a check whose bucket has begun is a candidate of every sweep (its check is
// read), but DueChecks gives it only once its exact AlertAfter has passed, and Upcoming at its
// exact instant; once it goes down it leaves the index. Pings within the bucket move no index
// entry: a success ping is 2.5 capacity units.
func TestDueInBucket(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	setup(t, s)
	at := time.Date(2026, 12, 7, 10, 17, 30, 0, time.UTC)
	c := minutely(t, s, 7, at)
	if want := at.Add(2 * time.Minute); !c.AlertAfter.Equal(want) {
		t.Fatalf("AlertAfter = %v, want %v", c.AlertAfter, want)
	}
	if _, b := bucketKeys(t, s, c.ID); b != at.Truncate(time.Hour).Unix() {
		t.Fatalf("bucket = %d, want the hour's start %d", b, at.Truncate(time.Hour).Unix())
	}

	// Pings a minute apart: the deadline moves, the bucket does not.
	s.Meter = &Meter{}
	for i := 1; i <= 5; i++ {
		if c, _, err := ping(ctx, s, c.ID, check.Signal{Kind: check.PingSuccess, Method: "GET"}, at.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		} else if m, _ := s.get(ctx, checkKey(c.ID), true); m[DueShardAttribute] != nil {
			t.Errorf("ping %d left the check in the exact index (dsh %v)", i, m[DueShardAttribute])
		}
	}
	pinged := s.Meter.Usage()
	// Each ping: a read (0.5), the check (1), the ping (1); the strongly consistent reads of
	// this test's checks above are 1 each.
	if got := pinged.RCU + pinged.WCU - 5*1; got != 5*2.5 {
		t.Errorf("5 pings within the bucket cost %.1f CU (RCU %.1f, WCU %.1f), want 12.5", got, pinged.RCU-5, pinged.WCU)
	}
	last := at.Add(5 * time.Minute)
	deadline := last.Add(2 * time.Minute)

	ids := func(cs []*check.Check) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	for _, tt := range []struct {
		now  time.Time
		want []string
	}{
		{last.Add(30 * time.Second), nil},
		{deadline.Add(-time.Microsecond), nil},
		{deadline, []string{c.ID}},
		{deadline.Add(time.Second), []string{c.ID}},
	} {
		s.Meter = &Meter{}
		got, err := s.DueChecks(ctx, tt.now, 10)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, ids(got)); diff != "" {
			t.Errorf("DueChecks(%v) (-want +got):\n%s", tt.now, diff)
		}
		// Sixteen shard queries and the candidate's read: it is read whether due or not.
		if u := s.Meter.Usage(); u.Requests != DueShards+1 {
			t.Errorf("DueChecks(%v) made %d requests, want %d queries and one BatchGetItem", tt.now, u.Requests, DueShards)
		}
	}
	up, err := s.Upcoming(ctx, deadline.Add(-time.Minute), deadline)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]store.Due{{CheckID: c.ID, At: deadline}}, up); diff != "" {
		t.Errorf("Upcoming (-want +got):\n%s", diff)
	}

	// The sweep takes it down at its deadline: it leaves the index.
	if _, err := s.UpdateCheck(ctx, c.ID, func(c *check.Check) (store.Change, error) {
		return store.Change{Flip: c.Sweep(deadline, nil)}, nil
	}); err != nil {
		t.Fatal(err)
	}
	if shard, b := bucketKeys(t, s, c.ID); shard != "" || b != 0 {
		t.Errorf("a down check keeps bucket keys %q, %d", shard, b)
	}
	if got, err := s.DueChecks(ctx, deadline.Add(time.Minute), 10); err != nil || len(got) != 0 {
		t.Errorf("DueChecks after the flip = %v, %v; want none", ids(got), err)
	}
}

// TestSeenCandidates: within one sweep (one now), candidates that are not due are read once:
// a second DueChecks and the sweep's Upcoming read none of them again, and Upcoming still gives
// their exact instants. A write by the store is seen; a later sweep reads them again.
func TestSeenCandidates(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	setup(t, s)
	at := time.Date(2026, 12, 7, 10, 17, 30, 0, time.UTC)
	const n = 30
	var want []store.Due
	for i := range n {
		c := minutely(t, s, 100+i, at.Add(time.Duration(i)*time.Second))
		want = append(want, store.Due{CheckID: c.ID, At: c.AlertAfter})
	}
	now := at.Add(time.Minute)
	s.Meter = &Meter{}
	if got, err := s.DueChecks(ctx, now, 10); err != nil || len(got) != 0 {
		t.Fatalf("DueChecks = %d checks, %v; want none", len(got), err)
	}
	first := s.Meter.Usage()
	if want := float64(n) * readUnits(0, false); first.RCU < want {
		t.Errorf("first DueChecks read %.1f RCU, want the %d candidates (%.1f) at least", first.RCU, n, want)
	}
	if _, err := s.DueChecks(ctx, now, 10); err != nil {
		t.Fatal(err)
	}
	up, err := s.Upcoming(ctx, now, now.Add(90*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	again := s.Meter.Usage().Sub(first)
	if again.Requests != 2*DueShards {
		t.Errorf("the second DueChecks and Upcoming made %d requests, want %d index queries and no reads", again.Requests, 2*DueShards)
	}
	if diff := cmp.Diff(want, up); diff != "" {
		t.Errorf("Upcoming from what DueChecks read (-want +got):\n%s", diff)
	}

	// A ping through this store moves one deadline past the window: seen.
	moved := want[0].CheckID
	if _, _, err := ping(ctx, s, moved, check.Signal{Kind: check.PingSuccess, Method: "GET"}, now); err != nil {
		t.Fatal(err)
	}
	up, err = s.Upcoming(ctx, now, now.Add(90*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want[1:], up); diff != "" {
		t.Errorf("Upcoming after a ping moved %s (-want +got):\n%s", moved, diff)
	}
	// The next sweep reads the candidates again.
	before := s.Meter.Usage()
	if _, err := s.DueChecks(ctx, now.Add(time.Minute), 10); err != nil {
		t.Fatal(err)
	}
	if u := s.Meter.Usage().Sub(before); u.Requests != DueShards+1 {
		t.Errorf("the next sweep's DueChecks made %d requests, want %d queries and a BatchGetItem", u.Requests, DueShards+1)
	}
}

// TestDueBeforeContract: on data at version 19 (minimum reader 7: a version 18 build may still
// write), checks keep both keys and DueChecks and Upcoming read both indexes, so a check that a
// version 18 build moved (its bucket stale) and one that a process past the contract wrote
// (no exact key) are both found. Version 20's step re-runs the back-fill; then writes leave the
// exact index, and a version 18 build is refused.
func TestDueBeforeContract(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	putMeta(t, s, 19, 7, "v-test")
	s = New(s.db, s.table, store.Options{Box: testBox}) // a fresh guard: it reads version 19
	setup(t, s)
	at := time.Date(2026, 12, 7, 10, 17, 30, 0, time.UTC)
	a := minutely(t, s, 11, at)
	b := minutely(t, s, 12, at)
	if m, _ := s.get(ctx, checkKey(a.ID), true); m[DueShardAttribute] == nil || m[DueBucketAttribute] == nil {
		t.Fatalf("check written on version 19 data: %v; want both due keys", m)
	}
	// A version 18 build moved a's deadline to 11:01 and left its bucket at 12:00 (a /start
	// moves a deadline earlier): only the exact index finds it. b was last written by a process
	// past the contract: no exact key, only the bucketed index finds it.
	late := time.Date(2026, 12, 7, 11, 1, 0, 0, time.UTC)
	setRaw(t, s, a.ID, "SET #aa = :aa, #lp = :lp", item{":aa": num(late.UnixMicro()), ":lp": num(late.Add(-2 * time.Minute).UnixMicro())})
	setRaw(t, s, b.ID, "REMOVE #dsh", nil)
	setRaw(t, s, a.ID, "SET #dbk = :b", item{":b": num(late.Truncate(time.Hour).Add(time.Hour).Unix())})
	got, err := s.DueChecks(ctx, late, 10)
	if err != nil {
		t.Fatal(err)
	}
	var gotIDs []string
	for _, c := range got {
		gotIDs = append(gotIDs, c.ID)
	}
	if diff := cmp.Diff([]string{b.ID, a.ID}, gotIDs); diff != "" {
		t.Errorf("DueChecks on version 19 data (-want +got):\n%s", diff)
	}

	// The contract: the back-fill over both indexes, then version 20, minimum reader 19, and
	// the versions after it.
	setRaw(t, s, a.ID, "REMOVE #dbs, #dbk", nil)
	rep, err := schema.Run(ctx, s, runOpts("v-next"))
	if err != nil {
		t.Fatal(err)
	}
	if want := (schema.Version{Version: schema.Current, MinReader: schema.This().MinReader()}); rep.After != want || want.MinReader < 19 {
		t.Fatalf("after the contract: %v, want %v (min reader at least 19)", rep.After, want)
	}
	if shard, bk := bucketKeys(t, s, a.ID); shard != dueShard(a.ID) || bk != late.Truncate(time.Hour).Unix() {
		t.Errorf("after the contract's back-fill a has keys %q, %d; want its shard and %d", shard, bk, late.Truncate(time.Hour).Unix())
	}
	s = New(s.db, s.table, store.Options{Box: testBox})
	if _, _, err := ping(ctx, s, a.ID, check.Signal{Kind: check.PingSuccess, Method: "GET"}, late); err != nil {
		t.Fatal(err)
	}
	if m, _ := s.get(ctx, checkKey(a.ID), true); m[DueShardAttribute] != nil || m[DueBucketAttribute] == nil {
		t.Errorf("check written on version 20 data: dsh %v, dbk %v; want only the bucket", m[DueShardAttribute], m[DueBucketAttribute])
	}
	// The rollback guard: a version 18 build is refused the data before it writes.
	v, err := s.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	build18 := schema.This()
	build18.Current, build18.Migrations = 18, build18.Migrations[:17]
	var ve *schema.VersionError
	if err := schema.Ready(v, build18); !errors.As(err, &ve) || !ve.Newer() {
		t.Errorf("Ready(%v) for a version 18 build = %v, want it refused as too new", v, err)
	}
	if err := schema.Ready(v, GateBuild()); err != nil {
		t.Errorf("Ready(%v) for this build = %v", v, err)
	}
}

// BenchmarkDueShapes computes, without a request, what the bucketed due index costs per success
// ping for checks of several shapes pinging on time: the bucket moves (2 write units each, a
// delete and a put of the entry) and the sweeps, one a minute, that read the check as a
// candidate whose bucket has begun (0.5 read units each), over 2,000 pings at an odd phase.
// Every success ping also reads the check (0.5) and writes it and the ping (1 each). With the
// exact index every success ping moved the entry: 4.5. A check with a late channel (late=yes)
// is due at its expected time (check.Check.LateAt), one period after its ping, not at the end
// of the grace; its next ping comes then.
//
//	go test -run '^$' -bench DueShapes ./internal/store/dynamo/
func BenchmarkDueShapes(b *testing.B) {
	for _, sh := range []struct {
		name          string
		period, grace time.Duration
		late          bool
	}{
		{"every=10s/grace=1m/late=no", 10 * time.Second, time.Minute, false},
		{"every=1m/grace=1m/late=no", time.Minute, time.Minute, false},
		{"every=1m/grace=5m/late=no", time.Minute, 5 * time.Minute, false},
		{"every=5m/grace=1m/late=no", 5 * time.Minute, time.Minute, false},
		{"every=5m/grace=5m/late=no", 5 * time.Minute, 5 * time.Minute, false},
		{"every=15m/grace=5m/late=no", 15 * time.Minute, 5 * time.Minute, false},
		{"every=1h/grace=1h/late=no", time.Hour, time.Hour, false},
		{"every=24h/grace=1h/late=no", 24 * time.Hour, time.Hour, false},
		{"every=1m/grace=1m/late=yes", time.Minute, time.Minute, true},
		{"every=5m/grace=5m/late=yes", 5 * time.Minute, 5 * time.Minute, true},
		{"every=24h/grace=1h/late=yes", 24 * time.Hour, time.Hour, true},
	} {
		b.Run(sh.name, func(b *testing.B) {
			const pings = 2000
			var moves, reads int
			lead := sh.period + sh.grace
			if sh.late {
				lead = sh.period
			}
			c := check.New("c0000000-0000-4000-8000-000000000001", "a0000000-0000-4000-8000-000000000001", t0)
			c.Timeout, c.Grace, c.LateNotice = sh.period, sh.grace, sh.late
			for b.Loop() {
				moves, reads = 0, 0
				start := t0.Add(17*time.Second + 300*time.Millisecond)
				prev := int64(-1)
				for k := range pings {
					at := start.Add(time.Duration(k) * sh.period)
					c.LastPing, c.AlertAfter = at, at.Add(lead)
					bk := dueBucket(c)
					if prev >= 0 && bk != prev {
						moves++
					}
					prev = bk
					// The sweeps before the next ping, on the minute.
					for s := at.Truncate(time.Minute).Add(time.Minute); s.Before(at.Add(sh.period)); s = s.Add(time.Minute) {
						if bk <= s.Unix() && s.Before(c.AlertAfter) {
							reads++
						}
					}
				}
			}
			write := 2.5 + 2*float64(moves)/pings
			sweep := 0.5 * float64(reads) / pings
			b.ReportMetric(write, "ping-CU")
			b.ReportMetric(sweep, "sweep-RCU/ping")
			b.ReportMetric(write+sweep, "CU/ping")
			b.ReportMetric(4.5, "exact-CU/ping")
			b.ReportMetric(dueWidth(c).Seconds(), "bucket-s")
		})
	}
}

// seededCheck is the item of a check as this build writes it on data at schema.Current (its
// minimum reader past bucketReader): in the bucketed due index alone. Benchmarks and tests seed
// checks with it, bypassing UpdateCheck.
func seededCheck(c *check.Check) *checkItem {
	it := checkToItem(c, 1, 100)
	it.DueShard = ""
	return it
}

// TestBackfillRacesAWrite: the contract's back-fill and a write of this build on the same check
// at once. A version 18 build moved the check's deadline from 10:19 to 11:01 and left its
// bucket at 10:00; this build reads the check, the back-fill gives it 11:00 (the bucket of 11:01)
// meanwhile, and the write moves the deadline back to 10:59 (a /start does), whose bucket is
// 10:00 again. The write's condition is the version it read: the back-fill must change it, or the
// write (which sets only what changed since its read, and the bucket did not) leaves 11:00 on
// a deadline of 10:59, and once the contract has run no sweep finds the check due.
func TestBackfillRacesAWrite(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	putMeta(t, s, 19, 7, "v-test")
	s = New(s.db, s.table, store.Options{Box: testBox}) // a fresh guard: it reads version 19
	setup(t, s)
	at := time.Date(2026, 12, 7, 10, 17, 30, 0, time.UTC)
	c := minutely(t, s, 21, at)
	moved := time.Date(2026, 12, 7, 11, 1, 0, 0, time.UTC)
	setRaw(t, s, c.ID, "SET #aa = :aa, #lp = :lp", item{":aa": num(moved.UnixMicro()), ":lp": num(moved.Add(-2 * time.Minute).UnixMicro())})

	start := time.Date(2026, 12, 7, 10, 58, 0, 0, time.UTC)
	deadline := start.Add(time.Minute)
	raced := false
	if _, err := s.UpdateCheck(ctx, c.ID, func(c *check.Check) (store.Change, error) {
		if !raced {
			raced = true
			if err := s.fixDueBucket(ctx, checkKey(c.ID)); err != nil {
				return store.Change{}, err
			}
		}
		c.AlertAfter = deadline
		return store.Change{}, nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, b := bucketKeys(t, s, c.ID); b > deadline.Unix() {
		t.Errorf("after the write raced the back-fill the bucket starts at %v, after the deadline %v",
			time.Unix(b, 0).UTC(), deadline)
	}

	// The contract has run: the bucketed index alone is read.
	putMeta(t, s, 20, 19, "v-next")
	s = New(s.db, s.table, store.Options{Box: testBox})
	got, err := s.DueChecks(ctx, deadline.Add(30*time.Second), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != c.ID {
		var ids []string
		for _, c := range got {
			ids = append(ids, c.ID)
		}
		t.Errorf("DueChecks 30 s after the deadline = %v, want %s", ids, c.ID)
	}
}
