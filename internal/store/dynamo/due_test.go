package dynamo

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/overduehq/overdue/internal/check"
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
		"#dbs": DueBucketShardAttribute, "#dbk": DueBucketAttribute, "#dsh": DueShardAttribute, "#aa": AlertAfterAttribute,
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
	setRaw(t, s, ids[0], "REMOVE #dbs, #dbk", nil)
	setRaw(t, s, ids[1], "REMOVE #dbs, #dbk", nil)
	setRaw(t, s, ids[2], "SET #dbk = :b", item{":b": num(want[ids[2]] + 7200)})
	setRaw(t, s, ids[3], "REMOVE #aa, #dsh", nil)

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
