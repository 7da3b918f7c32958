package dynamo

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/overduehq/overdue/internal/schema"
	"github.com/overduehq/overdue/internal/store"
)

// Store is the DynamoDB implementation of store.Store. It is safe for concurrent use.
type Store struct {
	db    *dynamodb.Client
	table string
	opts  store.Options

	// Meter, when set before the store is first used, adds up what every request costs. It
	// asks DynamoDB for ConsumedCapacity and sizes every item read and written; leave it nil
	// in production.
	Meter *Meter

	// LockWait is how long Lock (schema.Locker) waits for another migrator's lock to be
	// released or to expire before it fails; zero fails at once. Set it before migrating.
	LockWait time.Duration

	// Gate is the write guard (issue 12): every write of store.Store and of Deliveries asks it
	// first and writes nothing when it refuses, so a warm process never writes data whose
	// minimum reader has moved past this build. New sets one over Version with schema's
	// defaults: an answer that lets the build write is trusted for schema.DefaultMaxAge (5 s),
	// so a busy instance pays one strongly consistent read of META (1 RCU) per 5 s; a refusal
	// is read again after 1 s, doubling up to 30 s, so an instance serves again soon after the
	// data fits. Replace it before the store is first used to pin its clock, or to share it
	// with a handler that guards its requests with it. A nil Gate writes unguarded, as builds
	// before version 1 did; only tests standing in for such builds want that. Migrations
	// (Create, Apply, Lock) are not guarded by it: they run the guard themselves.
	Gate *schema.Gate

	locks checkLocks // UpdateCheck's, per check
	seen  seen       // candidates of the bucketed due index not due at the sweep's instant (due.go)
	// minReader is the data's minimum reader as bucketsOnly last learnt it (0: not yet).
	minReader atomic.Int64
	mlock     migrationLock // the migration lock this store holds, if any (migrate.go)
}

var _ store.Store = (*Store)(nil)

// New returns a store over table, which CreateTable (or the CDK app) made. It does no I/O.
func New(client *dynamodb.Client, table string, opts store.Options) *Store {
	s := &Store{db: client, table: table, opts: opts.WithDefaults()}
	s.Gate = schema.NewGate(s.Version, schema.GateConfig{Build: GateBuild()})
	return s
}

// guardWrite is the write guard: nil when this build may write the table, else the Gate's
// refusal (or its failure to read META), and the caller must write nothing.
func (s *Store) guardWrite(ctx context.Context) error {
	if s.Gate == nil {
		return nil
	}
	return s.Gate.Check(ctx)
}

// Close does nothing: the client belongs to the caller.
func (s *Store) Close() error { return nil }

// Retry budget of UpdateCheck's read-modify-write. The wait doubles from backoffBase up to
// backoffCap, with jitter, so that writers that lost together spread out instead of colliding
// again. A burst of N writers to one check needs about N read-then-write windows for the last
// of them, and a window is as long as a read plus a write take: fifty processes pinging one
// check at once got through in 16 attempts on an idle machine, but on a loaded 2-core CI
// machine, where each request to the emulator took far longer, the unluckiest three of fifty
// ran out (TestConcurrentPings). Thirty-two attempts (about 21 seconds of waiting at most,
// within the API's 29-second limit only when requests are quick, and the request's context
// ends it sooner) let a burst through however slow the round trips; a ping is worth waiting for.
const (
	maxAttempts = 32
	backoffBase = 10 * time.Millisecond
	backoffCap  = time.Second
)

// backoff waits before retry number attempt (from 1), or until ctx ends: a random time up to
// backoffBase·2^attempt ("full jitter", which spreads colliding writers best).
func backoff(ctx context.Context, attempt int) error {
	d := rand.N(min(backoffBase<<attempt, backoffCap) + 1)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// isConditionFailed reports whether a single-item write failed its condition.
func isConditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

// isTransactionConflict reports whether a write met a transaction in progress on its item.
func isTransactionConflict(err error) bool {
	var tc *types.TransactionConflictException
	return errors.As(err, &tc)
}

// cancelReasons returns the per-item reasons of a cancelled transaction, nil for other errors.
func cancelReasons(err error) []types.CancellationReason {
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		if tce.CancellationReasons == nil {
			return []types.CancellationReason{}
		}
		return tce.CancellationReasons
	}
	return nil
}

// reasonIs reports whether the i-th item of a cancelled transaction failed with code.
func reasonIs(reasons []types.CancellationReason, i int, code string) bool {
	return i < len(reasons) && aws.ToString(reasons[i].Code) == code
}

const (
	codeConditionFailed     = "ConditionalCheckFailed"
	codeTransactionConflict = "TransactionConflict"
)

// The methods below are the only calls to the client: each adds its usage to the meter.

func (s *Store) metered() bool { return s.Meter != nil }

func (s *Store) capacity() types.ReturnConsumedCapacity {
	if s.metered() {
		return types.ReturnConsumedCapacityTotal
	}
	return types.ReturnConsumedCapacityNone
}

// get reads one item; nil when there is none.
func (s *Store) get(ctx context.Context, key item, consistent bool) (item, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:              &s.table,
		Key:                    key,
		ConsistentRead:         aws.Bool(consistent),
		ReturnConsumedCapacity: s.capacity(),
	})
	if s.metered() {
		u := Usage{Requests: 1}
		if err == nil {
			u.RCU = readUnits(itemSize(out.Item), consistent)
			u.ReportedRCU = reportedOne(out.ConsumedCapacity)
		}
		s.Meter.add(u)
	}
	if err != nil {
		return nil, err
	}
	if len(out.Item) == 0 {
		return nil, nil
	}
	return out.Item, nil
}

// batchGetMax is how many keys one BatchGetItem may ask for.
const batchGetMax = 100

// batchGet reads the items with the given keys, in no particular order; missing ones are left
// out. Keys DynamoDB leaves unprocessed (throttling) are asked for again.
func (s *Store) batchGet(ctx context.Context, keys []item, consistent bool) ([]item, error) {
	var out []item
	for len(keys) > 0 {
		chunk := keys[:min(len(keys), batchGetMax)]
		keys = keys[len(chunk):]
		for attempt := 0; len(chunk) > 0; attempt++ {
			if attempt > 0 {
				if err := backoff(ctx, attempt); err != nil {
					return nil, err
				}
			}
			res, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{
				RequestItems: map[string]types.KeysAndAttributes{
					s.table: {Keys: chunk, ConsistentRead: aws.Bool(consistent)},
				},
				ReturnConsumedCapacity: s.capacity(),
			})
			if s.metered() {
				u := Usage{Requests: 1}
				if err == nil {
					got := res.Responses[s.table]
					for _, it := range got {
						u.RCU += readUnits(itemSize(it), consistent)
					}
					// A key that finds nothing still costs the minimum.
					missing := len(chunk) - len(got) - len(res.UnprocessedKeys[s.table].Keys)
					u.RCU += float64(max(0, missing)) * readUnits(0, consistent)
					u.ReportedRCU = reported(res.ConsumedCapacity...)
				}
				s.Meter.add(u)
			}
			if err != nil {
				return nil, err
			}
			out = append(out, res.Responses[s.table]...)
			chunk = res.UnprocessedKeys[s.table].Keys
		}
	}
	return out, nil
}

// query runs a query page by page until it has limit items (0: all of them).
func (s *Store) query(ctx context.Context, in *dynamodb.QueryInput, limit int) ([]item, error) {
	in.TableName = &s.table
	in.ReturnConsumedCapacity = s.capacity()
	var out []item
	for {
		if limit > 0 {
			in.Limit = aws.Int32(int32(limit - len(out)))
		}
		res, err := s.db.Query(ctx, in)
		if s.metered() {
			u := Usage{Requests: 1}
			if err == nil {
				size := 0
				for _, it := range res.Items {
					size += itemSize(it)
				}
				// A page is one unit of account: its items' sizes add up before rounding.
				u.RCU = readUnits(size, aws.ToBool(in.ConsistentRead))
				u.ReportedRCU = reportedOne(res.ConsumedCapacity)
			}
			s.Meter.add(u)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, res.Items...)
		if len(res.LastEvaluatedKey) == 0 || (limit > 0 && len(out) >= limit) {
			return out, nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
}

// put writes one item. cost models the write from the item it replaced, which the meter asks
// DynamoDB to return (nil when unknown).
func (s *Store) put(ctx context.Context, in *dynamodb.PutItemInput, model func(replaced item) cost) error {
	in.TableName = &s.table
	in.ReturnConsumedCapacity = s.capacity()
	if s.metered() && in.ReturnValues == "" {
		in.ReturnValues = types.ReturnValueAllOld
	}
	res, err := s.db.PutItem(ctx, in)
	if s.metered() {
		u := Usage{Requests: 1}
		var replaced item
		if err == nil {
			replaced = res.Attributes
			u.ReportedWCU = reportedOne(res.ConsumedCapacity)
		}
		u.WCU = model(replaced).charged(err == nil)
		s.Meter.add(u)
	}
	return err
}

// update runs one UpdateItem; model prices it.
func (s *Store) update(ctx context.Context, in *dynamodb.UpdateItemInput, model func() cost) (*dynamodb.UpdateItemOutput, error) {
	in.TableName = &s.table
	in.ReturnConsumedCapacity = s.capacity()
	res, err := s.db.UpdateItem(ctx, in)
	if s.metered() {
		u := Usage{Requests: 1, WCU: model().charged(err == nil)}
		if err == nil {
			u.ReportedWCU = reportedOne(res.ConsumedCapacity)
		}
		s.Meter.add(u)
	}
	return res, err
}

// delete runs one DeleteItem; model prices it.
func (s *Store) delete(ctx context.Context, in *dynamodb.DeleteItemInput, model func() cost) error {
	_, err := s.deleteOutput(ctx, in, model)
	return err
}

// deleteOutput is delete for a caller that needs DynamoDB's answer (ReturnValues).
func (s *Store) deleteOutput(ctx context.Context, in *dynamodb.DeleteItemInput, model func() cost) (*dynamodb.DeleteItemOutput, error) {
	in.TableName = &s.table
	in.ReturnConsumedCapacity = s.capacity()
	res, err := s.db.DeleteItem(ctx, in)
	if s.metered() {
		u := Usage{Requests: 1, WCU: model().charged(err == nil)}
		if err == nil {
			u.ReportedWCU = reportedOne(res.ConsumedCapacity)
		}
		s.Meter.add(u)
	}
	return res, err
}

// transact runs one TransactWriteItems on this table; model prices it. A cancelled
// transaction is charged its table writes.
func (s *Store) transact(ctx context.Context, items []types.TransactWriteItem, model func() cost) error {
	for i := range items {
		switch it := &items[i]; {
		case it.Put != nil:
			it.Put.TableName = &s.table
		case it.Update != nil:
			it.Update.TableName = &s.table
		case it.Delete != nil:
			it.Delete.TableName = &s.table
		case it.ConditionCheck != nil:
			it.ConditionCheck.TableName = &s.table
		}
	}
	res, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		TransactItems:          items,
		ReturnConsumedCapacity: s.capacity(),
	})
	if s.metered() {
		u := Usage{Requests: 1, WCU: model().charged(err == nil)}
		if err == nil {
			u.ReportedWCU = reported(res.ConsumedCapacity...)
		}
		s.Meter.add(u)
	}
	return err
}

// batchWriteMax is how many writes one BatchWriteItem may carry.
const batchWriteMax = 25

// batchWrite runs the writes in batches, retrying what DynamoDB leaves unprocessed. model
// prices each write.
func (s *Store) batchWrite(ctx context.Context, writes []types.WriteRequest, model func(w types.WriteRequest) cost) error {
	for len(writes) > 0 {
		chunk := writes[:min(len(writes), batchWriteMax)]
		writes = writes[len(chunk):]
		for attempt := 0; len(chunk) > 0; attempt++ {
			if attempt > 0 {
				if err := backoff(ctx, attempt); err != nil {
					return err
				}
			}
			res, err := s.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
				RequestItems:           map[string][]types.WriteRequest{s.table: chunk},
				ReturnConsumedCapacity: s.capacity(),
			})
			if err != nil {
				if s.metered() {
					s.Meter.add(Usage{Requests: 1})
				}
				return err
			}
			next := res.UnprocessedItems[s.table]
			if s.metered() {
				u := Usage{Requests: 1, ReportedWCU: reported(res.ConsumedCapacity...)}
				for _, w := range chunk {
					u.WCU += model(w).charged(true)
				}
				for _, w := range next { // charged when they are written
					u.WCU -= model(w).charged(true)
				}
				s.Meter.add(u)
			}
			chunk = next
		}
	}
	return nil
}
