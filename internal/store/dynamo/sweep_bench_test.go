package dynamo

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/sweep"
)

// splitStore is the store a benchmarked sweep runs on. DueChecks goes to big, the seeded table,
// metered by find; UpdateCheck goes to flips, metered by flip. flips is big itself, or a table
// holding only copies of the due checks: moto deep-copies the whole table for every
// TransactWriteItems (a flip is one), which makes a hundred flips in a table of 10,000 checks
// take six minutes. A flip's capacity depends only on the sizes of the items it reads and
// writes, which are the same in either table; each check flipped in the side table is copied
// back to big unmetered, so that the sweep's next DueChecks finds it gone. The sweep calls the
// store one method at a time, so switching meters between calls is safe.
type splitStore struct {
	store.Store // big, for anything else
	big, flips  *Store
	find, flip  *Meter
	calls       int // DueChecks calls
}

func newSplitStore(big, flips *Store) *splitStore {
	return &splitStore{Store: big, big: big, flips: flips, find: &Meter{}, flip: &Meter{}}
}

func (s *splitStore) DueChecks(ctx context.Context, now time.Time, limit int) ([]*check.Check, error) {
	s.calls++
	s.big.Meter = s.find
	defer func() { s.big.Meter = nil }()
	return s.big.DueChecks(ctx, now, limit)
}

func (s *splitStore) UpdateCheck(ctx context.Context, id string, fn func(c *check.Check) (store.Change, error)) (*check.Check, error) {
	s.flips.Meter = s.flip
	c, err := s.flips.UpdateCheck(ctx, id, fn)
	s.flips.Meter = nil
	if err != nil || s.flips == s.big {
		return c, err
	}
	it, err := s.flips.get(ctx, checkKey(id), true)
	if err != nil {
		return nil, fmt.Errorf("copy back check %s: %w", id, err)
	}
	w := types.WriteRequest{PutRequest: &types.PutRequest{Item: it}}
	if err := s.big.batchWrite(ctx, []types.WriteRequest{w}, freeWrite); err != nil {
		return nil, fmt.Errorf("copy back check %s: %w", id, err)
	}
	return c, nil
}

// freeWrite prices the unmetered writes that set a benchmark up.
func freeWrite(types.WriteRequest) cost { return cost{} }

// sideTableAbove is the table size from which flips run in a side table (see splitStore).
const sideTableAbove = 2000

// sweepBatch is sweep.Sweeper's default batch: how many due checks one DueChecks returns.
const sweepBatch = 100

// flipCost is what flipping one due check cost (UpdateCheck with a flip), as measured.
type flipCost struct{ requests, rcu, wcu float64 }

// sweepModel is what one sweep of due overdue checks costs by the capacity rules, given the
// size of a due-index entry (keys only) and the measured cost of one flip. The sweep calls
// DueChecks until it returns fewer than a batch: due/batch+1 calls. Every call queries all
// DueShards shards (one page each, its entries' sizes summed, half a unit per 4 KB, at least
// half a unit), then fetches the batch with BatchGetItem (half a unit per check, each under
// 4 KB). Flipped checks leave the index, so each call sees a batch fewer.
func sweepModel(due int, entryBytes float64, flip flipCost) Usage {
	var u Usage
	for remaining := due; ; remaining -= sweepBatch {
		perShard := math.Min(sweepBatch, float64(remaining)/DueShards)
		u.Requests += DueShards
		u.RCU += DueShards * readUnits(int(math.Ceil(perShard*entryBytes)), false)
		if fetched := min(remaining, sweepBatch); fetched > 0 {
			u.Requests++
			u.RCU += float64(fetched) * readUnits(0, false)
		}
		if remaining < sweepBatch {
			break
		}
	}
	u.Requests += int(math.Round(float64(due) * flip.requests))
	u.RCU += float64(due) * flip.rcu
	u.WCU += float64(due) * flip.wcu
	return u
}

// measuredFlip is the per-flip cost measured by the first BenchmarkSweepCapacity size, which
// the model of the other sizes uses.
var measuredFlip *flipCost

// BenchmarkSweepCapacity reports the DynamoDB capacity of one sweep (sweep.Sweeper.Run) over
// 1,000 and 10,000 checks with 1% due, measured on moto with the store's Meter; and, without
// any request, the capacity of a sweep over 100,000 checks with 1,000 due computed by
// sweepModel from the flip cost measured at 1,000 checks (seeding 100,000 items into moto
// takes minutes, and moto's index queries scan the whole table). The measured rows report the
// model's figure beside their own (model-RCU, model-WCU), so the model is checked where it can
// be. find-* is DueChecks (shard queries and the fetch), flip-* the read-modify-writes with
// their flips. Time per sweep on moto says nothing about DynamoDB; the SQLite sweep benchmark
// in internal/sweep times the same code.
//
//	./scripts/with-moto.sh go test -run '^$' -bench SweepCapacity -benchtime 1x ./internal/store/dynamo/
func BenchmarkSweepCapacity(b *testing.B) {
	for _, bc := range []struct {
		total, due int
		computed   bool
	}{
		{1000, 10, false}, {10000, 100, false}, {100000, 1000, true},
	} {
		name := fmt.Sprintf("checks=%d/due=%d", bc.total, bc.due)
		if bc.computed {
			name += "/computed"
		}
		b.Run(name, func(b *testing.B) {
			if bc.computed {
				computedSweep(b, bc.due)
				return
			}
			measureSweep(b, bc.total, bc.due)
		})
	}
}

// dueEntryBytes is the size of a due check's keys-only entry in the (bucketed) due index.
func dueEntryBytes(c *check.Check) float64 {
	for _, ix := range indexes {
		if ix.name == DueBucketIndex {
			return float64(itemSize(indexEntry(ix, marshal(seededCheck(c)))))
		}
	}
	panic("no due index")
}

// sweepCheck is the i-th seeded check: the first due are overdue at now, the rest up and
// going down within the next two hours.
func sweepCheck(i, due int, now time.Time) *check.Check {
	c := check.New(fmt.Sprintf("c0000000-0000-4000-8000-%012d", i), "a0000000-0000-4000-8000-000000000001", now.Add(-48*time.Hour))
	c.Name, c.Slug = fmt.Sprintf("job %d", i), fmt.Sprintf("job-%d", i)
	c.Timeout, c.Grace = time.Hour, time.Hour
	c.Status, c.NPings = check.StatusUp, 1
	if i < due {
		c.LastPing = now.Add(-2*time.Hour - time.Duration(i)*time.Second)
	} else {
		c.LastPing = now.Add(-time.Duration(i%3600) * time.Second)
	}
	c.AlertAfter = c.GoingDownAfter(nil)
	return c
}

// measureSweep seeds total checks, the first due of them overdue, into a table on moto, and
// reports what one sweep of them consumes, split into finding and flipping, beside the model.
func measureSweep(b *testing.B, total, due int) {
	ctx := context.Background()
	big := newStore(b)
	now := t0
	var seed, overdue []types.WriteRequest
	entryBytes := 0.0
	for i := range total {
		c := sweepCheck(i, due, now)
		w := types.WriteRequest{PutRequest: &types.PutRequest{Item: marshal(seededCheck(c))}}
		seed = append(seed, w)
		if i < due {
			overdue = append(overdue, w)
			entryBytes += dueEntryBytes(c)
		}
	}
	entryBytes /= float64(due)
	start := time.Now()
	if err := big.batchWrite(ctx, seed, freeWrite); err != nil {
		b.Fatalf("seed %d checks: %v", total, err)
	}
	flips := big
	if total > sideTableAbove {
		flips = newStore(b)
		if err := flips.batchWrite(ctx, overdue, freeWrite); err != nil {
			b.Fatalf("seed the side table: %v", err)
		}
	}
	b.Logf("seeded %d checks in %s; flips in the seeded table: %v", total, time.Since(start).Round(time.Millisecond), flips == big)

	split := newSplitStore(big, flips)
	sw := &sweep.Sweeper{Store: split, Now: func() time.Time { return now }, Batch: sweepBatch}
	for b.Loop() {
		res, err := sw.Run(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if res.Flipped != due {
			b.Fatalf("sweep flipped %d checks, want %d", res.Flipped, due)
		}
		b.StopTimer()
		for _, s := range []*Store{big, flips} { // back to up, version 1
			if err := s.batchWrite(ctx, overdue, freeWrite); err != nil {
				b.Fatalf("re-arm: %v", err)
			}
		}
		b.StartTimer()
	}
	n := float64(b.N)
	find, flip := split.find.Usage(), split.flip.Usage()
	fc := flipCost{float64(flip.Requests) / n / float64(due), flip.RCU / n / float64(due), flip.WCU / n / float64(due)}
	if measuredFlip == nil {
		measuredFlip = &fc
	}
	model := sweepModel(due, entryBytes, *measuredFlip)
	b.ReportMetric(float64(find.Requests+flip.Requests)/n, "requests/op")
	b.ReportMetric((find.RCU+flip.RCU)/n, "RCU/op")
	b.ReportMetric((find.WCU+flip.WCU)/n, "WCU/op")
	b.ReportMetric(float64(split.calls)/n, "DueChecks/op")
	b.ReportMetric(find.RCU/n, "find-RCU/op")
	b.ReportMetric(flip.RCU/n, "flip-RCU/op")
	b.ReportMetric(flip.WCU/n, "flip-WCU/op")
	b.ReportMetric(model.RCU, "model-RCU/op")
	b.ReportMetric(model.WCU, "model-WCU/op")
	b.ReportMetric(entryBytes, "due-entry-B")
	b.ReportMetric((find.ReportedRCU+flip.ReportedRCU)/n, "moto-RCU/op")
}

// computedSweep reports the model's figures for a sweep that is not run.
func computedSweep(b *testing.B, due int) {
	if measuredFlip == nil {
		b.Skip("the flip cost comes from the measured checks=1000 case: run it too")
	}
	entryBytes := dueEntryBytes(sweepCheck(0, 1, t0))
	model := sweepModel(due, entryBytes, *measuredFlip)
	for b.Loop() {
	}
	b.ReportMetric(float64(model.Requests), "requests/op")
	b.ReportMetric(model.RCU, "RCU/op")
	b.ReportMetric(model.WCU, "WCU/op")
	b.ReportMetric(float64(due/sweepBatch+1), "DueChecks/op")
	b.ReportMetric(model.RCU-float64(due)*measuredFlip.rcu, "find-RCU/op")
	b.ReportMetric(float64(due)*measuredFlip.rcu, "flip-RCU/op")
	b.ReportMetric(float64(due)*measuredFlip.wcu, "flip-WCU/op")
	b.ReportMetric(model.RCU, "model-RCU/op")
	b.ReportMetric(model.WCU, "model-WCU/op")
	b.ReportMetric(entryBytes, "due-entry-B")
	b.ReportMetric(0, "ns/op")
}
