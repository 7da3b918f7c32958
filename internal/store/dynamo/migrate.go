package dynamo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/overduehq/overdue/internal/schema"
)

// Migrations on DynamoDB have no transaction to run in: a step may touch every item of the
// table, far beyond TransactWriteItems' hundred. Instead:
//
//   - schema.Run holds the migration lock (Lock, Unlock) while it migrates, so two migrators
//     (the deploy's custom resource and an operator's `overdue migrate up`, or two deploys)
//     never interleave: the second waits up to LockWait, then finds the work done, or fails
//     with the holder's name and writes nothing.
//   - every step is idempotent and resumable: it touches only items that still lack what it
//     adds, each with a conditional write, so a run cut short (a Lambda timeout, a lost lock)
//     is finished by the next one.
//   - the version on META moves only after the step is complete, with an UpdateItem on the
//     condition that it is still the version the step started from, so even two migrators that
//     overlapped (a lock that expired under a stalled holder) record each version once.
//
// The lock is two attributes on META, taken with an UpdateItem on the condition that there
// is no owner or the owner's lock has expired, and released on the condition that we still
// own it. It expires by itself after lockTTL, so a migrator that dies never blocks the next
// for longer than that; a live one renews it after each page of work.

// lockTTL is how long the migration lock lasts without renewal: the longest a Lambda function
// runs, so a custom resource killed by its timeout frees the lock by the time CloudFormation
// could retry.
const lockTTL = 15 * time.Minute

// migrationLock is the lock a Store holds, between Lock and Unlock.
type migrationLock struct {
	mu    sync.Mutex
	owner string    // "" when not held
	base  time.Time // the clock reading Lock was given
	at    time.Time // the local monotonic time of that reading, to advance base by
}

// now is the caller's clock advanced by the time elapsed since Lock: the instant renewals and
// waits measure expiry against.
func (l *migrationLock) now() time.Time {
	return l.base.Add(time.Since(l.at))
}

var _ schema.Locker = (*Store)(nil)

// LockError is Lock failing because another migrator holds the lock.
type LockError struct {
	Table   string
	Owner   string    // who holds it: host, process and a random tag
	Expires time.Time // when it lapses unless renewed
}

// Error says who holds the lock, until when, and what to do.
func (e *LockError) Error() string {
	return fmt.Sprintf("another migration of table %s is running (lock held by %s until %s): "+
		"let it finish and run again, or wait until the lock expires if that migrator has died",
		e.Table, e.Owner, e.Expires.UTC().Format(time.RFC3339))
}

// Lock takes the migration lock on the table (schema.Locker), waiting up to s.LockWait while
// another migrator holds it, then failing with a *LockError. now is the caller's clock: the
// lock expires lockTTL after it.
func (s *Store) Lock(ctx context.Context, now time.Time) error {
	s.mlock.mu.Lock()
	defer s.mlock.mu.Unlock()
	if s.mlock.owner != "" {
		return fmt.Errorf("lock table %s for migration: this store holds the lock already", s.table)
	}
	owner := lockOwner()
	start := time.Now()
	for attempt := 1; ; attempt++ {
		cur := now.Add(time.Since(start))
		_, err := s.update(ctx, &dynamodb.UpdateItemInput{
			Key:                 metaKey(),
			UpdateExpression:    aws.String("SET #o = :o, #e = :e"),
			ConditionExpression: aws.String("attribute_not_exists(#o) OR #e < :now"),
			ExpressionAttributeNames: map[string]string{
				"#o": metaLockOwner, "#e": metaLockExpires,
			},
			ExpressionAttributeValues: item{
				":o":   str(owner),
				":e":   num(cur.Add(lockTTL).Unix()),
				":now": num(cur.Unix()),
			},
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}, func() cost { return cost{table: 1} })
		if err == nil {
			s.mlock.owner, s.mlock.base, s.mlock.at = owner, cur, time.Now()
			return nil
		}
		var ccf *types.ConditionalCheckFailedException
		if !errors.As(err, &ccf) {
			return fmt.Errorf("lock table %s for migration: %w", s.table, err)
		}
		if stringOf(ccf.Item[metaLockOwner]) == owner {
			// The SDK retried a request whose answer was lost after DynamoDB applied it:
			// the lock is ours already, with the expiry this attempt or the last one set.
			s.mlock.owner, s.mlock.base, s.mlock.at = owner, cur, time.Now()
			return nil
		}
		held := &LockError{Table: s.table, Owner: stringOf(ccf.Item[metaLockOwner])}
		if exp, err := numberOf(ccf.Item[metaLockExpires]); err == nil {
			held.Expires = time.Unix(exp, 0).UTC()
		}
		if time.Since(start) >= s.LockWait {
			return held
		}
		// Poll: the holder releases the lock when it is done, and nothing tells us when.
		if err := backoff(ctx, attempt); err != nil {
			return fmt.Errorf("%w (stopped waiting: %w)", held, err)
		}
	}
}

// Unlock releases the migration lock, on the condition that this store still holds it.
// Failing to release it is reported but harmless: it expires by itself.
func (s *Store) Unlock(ctx context.Context) error {
	s.mlock.mu.Lock()
	defer s.mlock.mu.Unlock()
	owner := s.mlock.owner
	if owner == "" {
		return nil
	}
	s.mlock.owner = ""
	_, err := s.update(ctx, &dynamodb.UpdateItemInput{
		Key:                       metaKey(),
		UpdateExpression:          aws.String("REMOVE #o, #e"),
		ConditionExpression:       aws.String("#o = :o"),
		ExpressionAttributeNames:  map[string]string{"#o": metaLockOwner, "#e": metaLockExpires},
		ExpressionAttributeValues: item{":o": str(owner)},
		// On a refusal, say who holds the lock now: nobody means the SDK retried a release
		// DynamoDB had applied (its answer was lost), and the lock is released.
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}, func() cost { return cost{table: 1} })
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		if _, held := ccf.Item[metaLockOwner]; !held {
			return nil
		}
		return fmt.Errorf("unlock table %s: the migration lock expired and is no longer ours", s.table)
	}
	if err != nil {
		return fmt.Errorf("unlock table %s: %w", s.table, err)
	}
	return nil
}

// renewLock extends the migration lock, if this store holds it, to lockTTL from now. Steps
// call it after each page of work, so that a long backfill keeps the lock; a lock lost to
// another migrator (ours expired while we stalled) stops the step.
func (s *Store) renewLock(ctx context.Context) error {
	s.mlock.mu.Lock()
	defer s.mlock.mu.Unlock()
	if s.mlock.owner == "" {
		return nil
	}
	_, err := s.update(ctx, &dynamodb.UpdateItemInput{
		Key:                       metaKey(),
		UpdateExpression:          aws.String("SET #e = :e"),
		ConditionExpression:       aws.String("#o = :o"),
		ExpressionAttributeNames:  map[string]string{"#o": metaLockOwner, "#e": metaLockExpires},
		ExpressionAttributeValues: item{":o": str(s.mlock.owner), ":e": num(s.mlock.now().Add(lockTTL).Unix())},
	}, func() cost { return cost{table: 1} })
	if isConditionFailed(err) {
		s.mlock.owner = ""
		return fmt.Errorf("table %s: the migration lock expired and another migrator took it; "+
			"the work done so far stays and the next run finishes it", s.table)
	}
	if err != nil {
		return fmt.Errorf("renew the migration lock of table %s: %w", s.table, err)
	}
	return nil
}

// lockOwner names this migrator in the lock, for the message another one shows: host,
// process and a random tag, since two stores in one process are two migrators.
func lockOwner() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown-host"
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail
	return host + "/" + strconv.Itoa(os.Getpid()) + "/" + hex.EncodeToString(b)
}

// Apply runs the DynamoDB step of mig and then records it on META (schema.Migrator): the
// version becomes mig.Version, the minimum reader mig.MinReader, and the history gains an
// entry for build at now. A table already at mig.Version or later is left alone; one more than
// a version behind, or with no data model, is an error. The step is idempotent and resumable,
// and the record is conditional on the version the step started from.
func (s *Store) Apply(ctx context.Context, mig schema.Migration, build string, now time.Time) error {
	step, ok := steps[mig.Version]
	if !ok {
		return fmt.Errorf("no DynamoDB step for data model version %d", mig.Version)
	}
	from, recorded, err := s.readVersion(ctx)
	if err != nil {
		return err
	}
	switch {
	case from == (schema.Version{}):
		return fmt.Errorf("table %s: %w", s.table, errNoDataModel)
	case from.Version >= mig.Version:
		return nil // applied already, by us earlier or by another migrator
	case from.Version != mig.Version-1:
		return fmt.Errorf("table %s: data model version %d cannot take migration %d: apply %d first",
			s.table, from.Version, mig.Version, from.Version+1)
	}
	if _, err := schema.Check(from, schema.This()); err != nil {
		return err
	}
	if step != nil { // nil: nothing to do on DynamoDB, only the version to record
		if err := step(ctx, s); err != nil {
			return fmt.Errorf("table %s: %w", s.table, err)
		}
	}
	return s.record(ctx, from, recorded, mig, build, now)
}

// record moves META from version from (recorded there, or implied by an unversioned table's
// data) to mig, appending a history entry, on the condition that the version is still the
// same: of two migrators that both finished the step, one records it.
func (s *Store) record(ctx context.Context, from schema.Version, recorded bool, mig schema.Migration, build string, now time.Time) error {
	names := map[string]string{"#v": metaVersion, "#r": metaMinReader, "#h": metaHistory}
	values := item{
		":v":     num(int64(mig.Version)),
		":r":     num(int64(mig.MinReader)),
		":entry": listOf(mapOf(marshal(newMetaEntry(mig.Version, mig.MinReader, build, now)))),
		":none":  listOf(),
	}
	cond := "attribute_not_exists(#v)"
	if recorded {
		cond = "#v = :from"
		values[":from"] = num(int64(from.Version))
	}
	_, err := s.update(ctx, &dynamodb.UpdateItemInput{
		Key:                       metaKey(),
		UpdateExpression:          aws.String("SET #v = :v, #r = :r, #h = list_append(if_not_exists(#h, :none), :entry)"),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	}, func() cost { return cost{table: 1} })
	if isConditionFailed(err) {
		v, verr := s.Version(ctx)
		if verr != nil {
			return verr
		}
		if v.Version >= mig.Version {
			return nil // another migrator recorded it
		}
		return fmt.Errorf("table %s: the data model changed to %v during migration %d; run the migration again",
			s.table, v, mig.Version)
	}
	if err != nil {
		return fmt.Errorf("record data model version %d on table %s: %w", mig.Version, s.table, err)
	}
	return nil
}

func listOf(vs ...types.AttributeValue) types.AttributeValue {
	if vs == nil {
		vs = []types.AttributeValue{}
	}
	return &types.AttributeValueMemberL{Value: vs}
}

func mapOf(m item) types.AttributeValue {
	return &types.AttributeValueMemberM{Value: m}
}
