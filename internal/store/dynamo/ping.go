package dynamo

import (
	"bytes"
	"cmp"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// Retention and size limits of pings.
const (
	// PingTTL is when a ping expires after it was received. The ring of slots already keeps
	// each check's history to its newest pings; the TTL only collects what the ring cannot,
	// pings written by a request that raced the check's deletion. It is long so that a check
	// pinged every few days still keeps its newest hundred.
	PingTTL = 400 * 24 * time.Hour
	// MaxBody is the most of a ping body the store keeps; the rest is cut off, never refused.
	// The HTTP layer already cuts bodies to 10,000 bytes; this only keeps an item far from
	// DynamoDB's 400 KB limit whatever a caller passes.
	MaxBody = 100_000
	// compressMin is the smallest body worth compressing: below it a ping item is well under
	// the 1 KB of one write unit anyway.
	compressMin = 256
)

var deflaters = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(nil, flate.DefaultCompression)
	return w
}}

// encodeBody truncates a body to MaxBody and returns it either as is or deflated, whichever
// is smaller by a useful margin. Job output (logs, text) typically shrinks to a third, so a
// 1 KB body fits the ping into one write unit instead of two.
func encodeBody(body []byte) (plain, deflated []byte) {
	body = body[:min(len(body), MaxBody)]
	if len(body) < compressMin {
		return body, nil
	}
	var buf bytes.Buffer
	w := deflaters.Get().(*flate.Writer)
	defer deflaters.Put(w)
	w.Reset(&buf)
	if _, err := w.Write(body); err != nil { // writes to a bytes.Buffer do not fail
		return body, nil
	}
	if err := w.Close(); err != nil {
		return body, nil
	}
	if buf.Len() > len(body)*7/8 {
		return body, nil
	}
	return nil, buf.Bytes()
}

func decodeBody(plain, deflated []byte) ([]byte, error) {
	if deflated == nil {
		return plain, nil
	}
	body, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(deflated)), MaxBody+1))
	if err != nil {
		return nil, fmt.Errorf("inflate body: %w", err)
	}
	return body, nil
}

// history is the part of a check that locates its pings: how many it has had and its ring.
type history struct {
	nPings, ring, keep int
}

// history reads the check's ping count and ring size; ok is false when the check does not exist.
func (s *Store) history(ctx context.Context, checkID string) (history, bool, error) {
	m, err := s.get(ctx, checkKey(checkID), false)
	if err != nil || m == nil {
		return history{}, false, err
	}
	it, err := unmarshal[checkItem](m)
	if err != nil {
		return history{}, false, err
	}
	return s.historyOf(it), true, nil
}

func (s *Store) historyOf(it *checkItem) history {
	ring := it.Ring
	if ring <= 0 {
		ring = s.opts.PingLimit
	}
	// A ring made under a larger PingLimit keeps more than this store shows.
	return history{nPings: int(it.NPings), ring: ring, keep: min(ring, s.opts.PingLimit)}
}

// oldest is the lowest ping number still in the history.
func (h history) oldest() int { return max(1, h.nPings-h.keep+1) }

// Pings lists a check's newest pings, newest first, at most limit, without their bodies. It
// reads the check for its ping count, then the ring slots of the pings wanted: one or two
// ranges of sort keys, as the ring may wrap.
func (s *Store) Pings(ctx context.Context, checkID string, limit int) ([]*check.Ping, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("list pings of check %s: limit %d is not positive", checkID, limit)
	}
	h, ok, err := s.history(ctx, checkID)
	if err != nil {
		return nil, fmt.Errorf("list pings of check %s: %w", checkID, err)
	}
	if !ok || h.nPings == 0 {
		return nil, nil
	}
	lo := max(h.oldest(), h.nPings-limit+1)
	hi := h.nPings
	first, last := lo%h.ring, hi%h.ring
	ranges := [][2]int{{first, last}}
	if first > last {
		ranges = [][2]int{{first, h.ring - 1}, {0, last}}
	}
	var out []*check.Ping
	for _, r := range ranges {
		items, err := s.query(ctx, &dynamodb.QueryInput{
			KeyConditionExpression:   aws.String("#pk = :pk AND #sk BETWEEN :lo AND :hi"),
			ExpressionAttributeNames: map[string]string{"#pk": PartitionKey, "#sk": SortKey},
			ExpressionAttributeValues: item{
				":pk": str(checkPrefix + checkID),
				":lo": str(pingSK(r[0], h.ring)),
				":hi": str(pingSK(r[1], h.ring)),
			},
		}, 0)
		if err != nil {
			return nil, fmt.Errorf("list pings of check %s: %w", checkID, err)
		}
		for _, m := range items {
			it, err := unmarshal[pingItem](m)
			if err != nil {
				return nil, fmt.Errorf("list pings of check %s: %w", checkID, err)
			}
			// A slot can still hold the ping a lost write did not replace.
			if n := int(it.N); n < lo || n > hi {
				continue
			}
			p, _ := it.ping(false)
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b *check.Ping) int { return cmp.Compare(b.N, a.N) })
	return out, nil
}

// Ping loads one ping of a check by its number, with its body. One BatchGetItem reads the
// check and the ping's slot: the slot may hold a later ping, and the check says whether n is
// still in the history.
func (s *Store) Ping(ctx context.Context, checkID string, n int) (*check.Ping, error) {
	notFound := fmt.Errorf("load ping %d of check %s: %w", n, checkID, store.ErrNotFound)
	if n < 1 {
		return nil, notFound
	}
	items, err := s.batchGet(ctx, []item{checkKey(checkID), pingKey(checkID, n, s.opts.PingLimit)}, false)
	if err != nil {
		return nil, fmt.Errorf("load ping %d of check %s: %w", n, checkID, err)
	}
	var c *checkItem
	var slot item
	for _, m := range items {
		if stringOf(m[SortKey]) == checkSK {
			if c, err = unmarshal[checkItem](m); err != nil {
				return nil, fmt.Errorf("load ping %d of check %s: %w", n, checkID, err)
			}
		} else {
			slot = m
		}
	}
	if c == nil {
		return nil, notFound
	}
	h := s.historyOf(c)
	if n > h.nPings || n < h.oldest() {
		return nil, notFound
	}
	if h.ring != s.opts.PingLimit {
		// The check's ring is not the one guessed: read the right slot.
		if slot, err = s.get(ctx, pingKey(checkID, n, h.ring), false); err != nil {
			return nil, fmt.Errorf("load ping %d of check %s: %w", n, checkID, err)
		}
	}
	if slot == nil {
		return nil, notFound
	}
	it, err := unmarshal[pingItem](slot)
	if err != nil {
		return nil, fmt.Errorf("load ping %d of check %s: %w", n, checkID, err)
	}
	if int(it.N) != n {
		return nil, notFound
	}
	p, err := it.ping(true)
	if err != nil {
		return nil, fmt.Errorf("load ping %d of check %s: %w", n, checkID, err)
	}
	return p, nil
}

// Flips lists a check's flips created in [q.Since, q.Until), newest first: one range of sort
// keys, as flip keys begin with their creation instant.
func (s *Store) Flips(ctx context.Context, checkID string, q store.FlipQuery) ([]*check.Flip, error) {
	// Rounding the bounds up keeps the comparisons exact on truncated instants (see
	// boundMicros). A key is FLIP#<16 digits>-<10 digits>: "." sorts after "-", so
	// FLIP#<until-1>. is above every flip created in the last microsecond before Until.
	lo, hi := flipPrefix, flipPrefix+"~"
	if !q.Since.IsZero() {
		lo = fmt.Sprintf("%s%016d", flipPrefix, max(0, boundMicros(q.Since)))
	}
	if !q.Until.IsZero() {
		hi = fmt.Sprintf("%s%016d.", flipPrefix, boundMicros(q.Until)-1)
	}
	if lo > hi {
		return nil, nil
	}
	items, err := s.query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String("#pk = :pk AND #sk BETWEEN :lo AND :hi"),
		ExpressionAttributeNames:  map[string]string{"#pk": PartitionKey, "#sk": SortKey},
		ExpressionAttributeValues: item{":pk": str(checkPrefix + checkID), ":lo": str(lo), ":hi": str(hi)},
		ScanIndexForward:          aws.Bool(false),
	}, 0)
	if err != nil {
		return nil, fmt.Errorf("list flips of check %s: %w", checkID, err)
	}
	return decodeFlips(items)
}

func decodeFlips(items []item) ([]*check.Flip, error) {
	var out []*check.Flip
	for _, m := range items {
		it, err := unmarshal[flipItem](m)
		if err != nil {
			return nil, err
		}
		out = append(out, it.flip())
	}
	return out, nil
}

// UnprocessedFlips lists flips not yet handed to the notifier, oldest first, at most limit.
// It reads the outbox index, which holds nothing else.
func (s *Store) UnprocessedFlips(ctx context.Context, limit int) ([]*check.Flip, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("list unprocessed flips: limit %d is not positive", limit)
	}
	items, err := s.query(ctx, &dynamodb.QueryInput{
		IndexName:                 aws.String(UnprocessedIndex),
		KeyConditionExpression:    aws.String("#upk = :upk"),
		ExpressionAttributeNames:  map[string]string{"#upk": UnprocessedPartitionKey},
		ExpressionAttributeValues: item{":upk": str(unprocessedPK)},
	}, limit)
	if err != nil {
		return nil, fmt.Errorf("list unprocessed flips: %w", err)
	}
	out, err := decodeFlips(items)
	if err != nil {
		return nil, fmt.Errorf("list unprocessed flips: %w", err)
	}
	return out, nil
}

// MarkFlipProcessed sets the flip's Processed time, in the store and in f, if it is still
// unset, and reports false when another worker got there first. The update removes the flip
// from the outbox index and gives it its TTL, on the condition that it is still in the index:
// of two workers, exactly one meets it. An unknown flip is store.ErrNotFound.
func (s *Store) MarkFlipProcessed(ctx context.Context, f *check.Flip, at time.Time) (bool, error) {
	if at.IsZero() {
		return false, fmt.Errorf("mark flip %s processed: the time is zero", f.ID)
	}
	if err := s.guardWrite(ctx); err != nil {
		return false, fmt.Errorf("mark flip %s processed: %w", f.ID, err)
	}
	created, ok := parseFlipID(f.ID)
	if !ok {
		return false, fmt.Errorf("mark flip %q processed: %w", f.ID, store.ErrNotFound)
	}
	atUS := micros(at)
	_, err := s.update(ctx, &dynamodb.UpdateItemInput{
		Key:                 flipKey(f.CheckID, f.ID),
		UpdateExpression:    aws.String("SET #pd = :pd, #ttl = :ttl REMOVE #upk, #usk"),
		ConditionExpression: aws.String("attribute_exists(#upk)"),
		ExpressionAttributeNames: map[string]string{
			"#pd": "pd", "#ttl": TTLAttribute, "#upk": UnprocessedPartitionKey, "#usk": UnprocessedSortKey,
		},
		ExpressionAttributeValues: item{
			":pd":  num(atUS),
			":ttl": num(flipExpiry(created, s.opts.FlipRetention)),
		},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}, func() cost {
		// A flip is a small item: one unit for it, one for its leaving the outbox index.
		return cost{table: 1, index: 1}
	})
	var ccf *types.ConditionalCheckFailedException
	switch {
	case err == nil:
		f.Processed = fromMicros(atUS)
		return true, nil
	case errors.As(err, &ccf) && len(ccf.Item) > 0:
		return false, nil // processed by another worker
	case errors.As(err, &ccf):
		return false, fmt.Errorf("mark flip %s processed: %w", f.ID, store.ErrNotFound)
	}
	return false, fmt.Errorf("mark flip %s processed: %w", f.ID, err)
}
