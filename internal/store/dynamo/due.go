package dynamo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// The bucketed due index (data model version 19; BENCHMARKS.md section 2 has the arithmetic).
//
// An exact due index (DueIndex, keyed by AlertAfter) moves its entry on every ping that moves
// the deadline, and DynamoDB bills a moved entry as a delete and a put: 2 of the 4.5 capacity
// units of a success ping. DueBucketIndex is keyed instead by the start of a bucket that holds
// AlertAfter, and DynamoDB writes an index entry only when the item's index keys change, so a
// ping that keeps the deadline in its bucket costs the read, the check and the ping: 2.5.
//
// The key is a lower bound: dbk <= AlertAfter always, so every check with AlertAfter <= now has
// dbk <= now and an index read "dbk <= now" finds every due check. It also finds candidates
// that are not due yet (their deadline is later in a bucket that has begun), which are read
// and left alone: alert times stay exact, and what the bucket saves on pings the sweep pays
// in reads of candidates, 0.5 read units each. Which bucket is cheaper depends on the check:
//
//   - a check that pings often with a short grace (minutely with a minute's grace) would move a
//     narrow bucket on every ping (2 units a ping); in a wide one (wideBucket) it moves once an
//     hour, and is a candidate at most sweeps of the hour (0.5 units a sweep, one sweep a minute);
//   - a check with a grace of some minutes or more, or that pings every few minutes or less
//     often, is never a candidate in a bucket as wide as its grace (while it pings on time its
//     deadline is at least a grace ahead, so it is in a later bucket than now), and moves when
//     its deadline crosses into the next one: at most once a ping, as with the exact index. In
//     a wide bucket it would be a candidate in most sweeps of the hour before its deadline:
//     every five minutes with a minute's grace, 2.5 units of reads a ping;
//   - a check with a late channel (check.LateNotice, data model 18) is due at its expected time,
//     not at the end of its grace: while it pings on time its next ping comes when its deadline
//     does, so in any bucket it is a candidate from the bucket's start to its deadline. It gets
//     the wide bucket when it pings every few minutes or more often, else a bucket of a second,
//     as exact as the exact index: it moves on every ping, as there, and is a candidate only in
//     the second before its deadline.
//
// A move costs what four candidate reads do, and the sweep runs every minute, hence the
// threshold: the wide bucket when both the slack (the time from the next ping, when it comes on
// time, to the deadline: the grace, or none for a late notice) and the time from one ping to the
// next are under narrowFrom, else a bucket as wide as the slack (at least minBucket, or a second
// for no slack). The width is a function of the check alone, so the key stays put between pings
// of a steady check.
const (
	// wideBucket is the bucket of a check that pings often and has a short grace.
	wideBucket = time.Hour
	// narrowFrom is the grace, or time between pings, from which a check's bucket is as wide
	// as its grace: four sweeps, the reads that cost what one move does.
	narrowFrom = 4 * time.Minute
	// minBucket is the narrowest bucket of a check with a grace.
	minBucket = time.Minute
)

// dueWidth is the width of the bucket of c's AlertAfter (see above). The time between pings
// is estimated from the check as it is: from the last ping to the time, slack before
// AlertAfter, when the next ping is expected.
func dueWidth(c *check.Check) time.Duration {
	slack := c.Grace
	if c.LateNotice {
		slack = 0 // due at the expected time itself (check.Check.LateAt)
	}
	gap := c.AlertAfter.Sub(c.LastPing) - slack
	if c.LastPing.IsZero() {
		gap = narrowFrom
	}
	if slack < narrowFrom && gap < narrowFrom {
		return wideBucket
	}
	if slack == 0 {
		return time.Second
	}
	return max(slack.Truncate(time.Second), minBucket)
}

// dueBucket is the bucketed due index's sort key of c: the start, in seconds since the epoch,
// of the bucket of width dueWidth(c) that holds c.AlertAfter, so never after it. c.AlertAfter
// must be set.
func dueBucket(c *check.Check) int64 {
	w := int64(dueWidth(c) / time.Second)
	at := c.AlertAfter.Unix() // floor: AlertAfter is after the epoch
	return at - at%w
}

// bucketReader is the first data-model version whose builds keep the bucketed due keys right
// on every write (version 19). In data whose minimum reader is at least bucketReader (version
// 20's contract has run the back-fill again, and builds that move a deadline without its
// bucket are refused), the bucketed index alone finds every due check: a write leaves the
// exact index (it drops dsh; DynamoDB bills the entry's delete once) and reads take the
// bucketed index alone. Below it, a write keeps both keys and a read takes both indexes: a
// check written last by a version 18 build is right in the exact one, one written by this
// build in the bucketed one.
const bucketReader = 19

// bucketsOnly reports whether the bucketed due index alone is read and written: whether the
// data's minimum reader is at least bucketReader, as the write guard last read it (a write
// asks the guard first, so at most schema.DefaultMaxAge old then; a process that has not
// written yet asks it once). A store without a Gate (tools, tests) reads META once and keeps
// the answer, as it keeps what a Gate said before it was taken away: a minimum reader never
// falls, and an answer that lags the rise says no, which is right too: the write keeps the
// exact key (one more index write) and the read takes both indexes.
func (s *Store) bucketsOnly(ctx context.Context) bool {
	if s.Gate != nil {
		v, ok := s.Gate.Data()
		if !ok {
			// A refusal or a failed read still leaves the version read, or none (then no).
			_ = s.Gate.Check(ctx)
			v, ok = s.Gate.Data()
		}
		if ok {
			s.minReader.Store(int64(v.MinReader))
		}
		return ok && v.MinReader >= bucketReader
	}
	if r := s.minReader.Load(); r > 0 {
		return r >= bucketReader
	}
	v, err := s.Version(ctx)
	if err != nil {
		return false
	}
	s.minReader.Store(int64(v.MinReader))
	return v.MinReader >= bucketReader
}

// seen is what this store last learnt of the AlertAfter of checks that were candidates of the
// bucketed index but not due, at one instant: the sweep's. A sweep calls DueChecks until a
// short batch, then Upcoming for its timers, all at the same now; without it every call would
// read again every candidate of the buckets that have begun, which are most of the checks that
// ping every minute. Writes of this store update it (note). A write by another process since
// the read is not seen: a check whose AlertAfter it moved, within the bucket, into the
// lookahead between this sweep's DueChecks and its Upcoming gets no timer from this sweep
// (Upcoming trusts the entry read here), so it flips at the next sweep, at most a sweep
// interval late, unless a timer armed earlier for it fires first.
type seen struct {
	mu       sync.Mutex
	now      int64            // the instant (µs) of the entries; 0: none
	complete bool             // every candidate with a bucket up to now is in later, or was due
	later    map[string]int64 // check ID → AlertAfter (µs; 0: none) as last read or written
}

// begin starts over unless the entries are for now.
func (m *seen) begin(now int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.now != now {
		m.now, m.complete, m.later = now, false, make(map[string]int64)
	}
}

// note records a check's AlertAfter as this store just wrote it.
func (m *seen) note(id string, at int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.later != nil {
		m.later[id] = at
	}
}

// dueEntry is one check a due index names: its key, and its AlertAfter when the index is the
// exact one (0 from the bucketed index, whose key only bounds it).
type dueEntry struct {
	id  string
	key item
	at  int64
}

// queryDue queries every shard of index (DueIndex or DueBucketIndex, at once) for the entries
// whose sort key is in [lo, hi], at most limit per shard (0: all).
func (s *Store) queryDue(ctx context.Context, index string, lo, hi int64, limit int) ([]dueEntry, error) {
	pk, sk := DueShardAttribute, AlertAfterAttribute
	if index == DueBucketIndex {
		pk, sk = DueBucketShardAttribute, DueBucketAttribute
	}
	shards := make([][]item, DueShards)
	errs := make([]error, DueShards)
	var wg sync.WaitGroup
	for i := range DueShards {
		wg.Go(func() {
			shards[i], errs[i] = s.query(ctx, &dynamodb.QueryInput{
				IndexName:                aws.String(index),
				KeyConditionExpression:   aws.String("#pk = :pk AND #sk BETWEEN :lo AND :hi"),
				ExpressionAttributeNames: map[string]string{"#pk": pk, "#sk": sk},
				ExpressionAttributeValues: item{
					":pk": str(fmt.Sprintf("%s%02d", duePrefix, i)),
					":lo": num(lo),
					":hi": num(hi),
				},
			}, limit)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var out []dueEntry
	for _, shard := range shards {
		for _, m := range shard {
			e := dueEntry{
				id:  strings.TrimPrefix(stringOf(m[PartitionKey]), checkPrefix),
				key: item{PartitionKey: m[PartitionKey], SortKey: m[SortKey]},
			}
			if index == DueIndex {
				at, err := numberOf(m[AlertAfterAttribute])
				if err != nil {
					return nil, err
				}
				e.at = at
			}
			out = append(out, e)
		}
	}
	return out, nil
}

// fetchDue reads the checks of entries (eventually consistent) and returns them by ID.
func (s *Store) fetchDue(ctx context.Context, entries []dueEntry) (map[string]*check.Check, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	keys := make([]item, 0, len(entries))
	have := make(map[string]bool, len(entries))
	for _, e := range entries {
		if !have[e.id] {
			have[e.id] = true
			keys = append(keys, e.key)
		}
	}
	items, err := s.batchGet(ctx, keys, false)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*check.Check, len(items))
	for _, m := range items {
		it, err := unmarshal[checkItem](m)
		if err != nil {
			return nil, err
		}
		c := it.check()
		out[c.ID] = c
	}
	return out, nil
}

// seconds is the second that holds the instant us (µs since the epoch): the bucketed key of
// an AlertAfter of us is at most seconds(us).
func seconds(us int64) int64 { return us / 1e6 }

// DueChecks lists checks whose AlertAfter is set and not after now, soonest first, at most
// limit.
//
// It reads the bucketed due index for every entry whose bucket has begun (a key up to now:
// every due check, and the candidates whose deadline is later in a bucket that has begun),
// fetches those checks with BatchGetItem, and keeps those whose exact AlertAfter is not after
// now; the others are remembered for the sweep's next call at the same now (seen), so each
// candidate is read once a sweep. Until the data's minimum reader is bucketReader it also
// reads the exact index for the due entries (at most limit a shard, as before), whose checks
// are fetched with the candidates. A check whose AlertAfter moved since the index was read is
// left out.
func (s *Store) DueChecks(ctx context.Context, now time.Time, limit int) ([]*check.Check, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("list due checks: limit %d is not positive", limit)
	}
	// Stored instants are truncated to the microsecond, so "<= now" is "<= now truncated".
	nowUS := now.UnixMicro()
	var fetch []dueEntry
	if !s.bucketsOnly(ctx) {
		exact, err := s.queryDue(ctx, DueIndex, 0, nowUS, limit)
		if err != nil {
			return nil, fmt.Errorf("list due checks: %w", err)
		}
		fetch = exact
	}
	cands, err := s.queryDue(ctx, DueBucketIndex, 0, seconds(nowUS), 0)
	if err != nil {
		return nil, fmt.Errorf("list due checks: %w", err)
	}
	s.seen.begin(nowUS)
	s.seen.mu.Lock()
	for _, e := range cands {
		if at, ok := s.seen.later[e.id]; ok && at > nowUS {
			continue // read at this now and not due: only a write can change that (see seen)
		}
		fetch = append(fetch, e)
	}
	s.seen.mu.Unlock()

	checks, err := s.fetchDue(ctx, fetch)
	if err != nil {
		return nil, fmt.Errorf("list due checks: %w", err)
	}
	var out []*check.Check
	s.seen.mu.Lock()
	for _, c := range checks {
		if at := micros(c.AlertAfter); at != 0 && at <= nowUS {
			out = append(out, c)
		} else if s.seen.now == nowUS {
			s.seen.later[c.ID] = at
		}
	}
	if s.seen.now == nowUS {
		s.seen.complete = true
	}
	s.seen.mu.Unlock()
	slices.SortFunc(out, func(a, b *check.Check) int {
		return cmp.Or(a.AlertAfter.Compare(b.AlertAfter), strings.Compare(a.ID, b.ID))
	})
	return out[:min(len(out), limit)], nil
}

// Upcoming lists the checks whose AlertAfter is in (after, until], soonest first (ties by ID).
//
// The bucketed index bounds AlertAfter, so the checks of the buckets that have begun by until
// are read for their exact AlertAfter: after a DueChecks at after (the sweep's order), only
// those whose bucket begins after it, the rest being known from it (seen); otherwise all of
// them. Until the data's minimum reader is bucketReader the exact index's entries in the
// window are added as they are.
func (s *Store) Upcoming(ctx context.Context, after, until time.Time) ([]store.Due, error) {
	// Stored instants are truncated to the microsecond: "> after" is ">= after + 1 µs".
	afterUS, hi := after.UnixMicro(), until.UnixMicro()
	lo := afterUS + 1
	if lo > hi {
		return nil, nil
	}
	found := make(map[string]int64)
	if !s.bucketsOnly(ctx) {
		exact, err := s.queryDue(ctx, DueIndex, lo, hi, 0)
		if err != nil {
			return nil, fmt.Errorf("list upcoming checks: %w", err)
		}
		for _, e := range exact {
			found[e.id] = e.at
		}
	}
	s.seen.mu.Lock()
	known := s.seen.now == afterUS && s.seen.complete
	var from int64
	if known {
		from = seconds(afterUS) + 1
		for id, at := range s.seen.later {
			if at >= lo && at <= hi {
				found[id] = at
			} else {
				delete(found, id) // read or written since the exact index was
			}
		}
	}
	s.seen.mu.Unlock()
	cands, err := s.queryDue(ctx, DueBucketIndex, from, seconds(hi), 0)
	if err != nil {
		return nil, fmt.Errorf("list upcoming checks: %w", err)
	}
	checks, err := s.fetchDue(ctx, cands)
	if err != nil {
		return nil, fmt.Errorf("list upcoming checks: %w", err)
	}
	for id, c := range checks {
		// The check as read has the last word over an index entry.
		if at := micros(c.AlertAfter); at >= lo && at <= hi {
			found[id] = at
		} else {
			delete(found, id)
		}
	}
	out := make([]store.Due, 0, len(found))
	for id, at := range found {
		out = append(out, store.Due{CheckID: id, At: time.UnixMicro(at).UTC()})
	}
	slices.SortFunc(out, func(a, b store.Due) int {
		return cmp.Or(a.At.Compare(b.At), strings.Compare(a.CheckID, b.CheckID))
	})
	return out, nil
}
