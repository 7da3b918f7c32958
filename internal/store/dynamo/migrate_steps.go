package dynamo

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// steps are the DynamoDB implementations of the migrations in package schema, by the version
// each produces. Each is idempotent (it touches only items that still lack what it adds) and
// resumable (a run cut short is finished by the next), because no transaction spans it; Apply
// records the version only once the step has returned. TestEveryMigrationHasAStep holds the
// list to schema's.
var steps = map[int]func(ctx context.Context, s *Store) error{
	2: func(ctx context.Context, s *Store) error { return s.backfillBodySize(ctx) },
}

// backfillWorkers is how many ping updates one page of the backfill has in flight.
const backfillWorkers = 8

// backfillBodySize is version 2, an expand step: ping items gain bs, the stored body's length
// in bytes (0 without a body), so that a ping listing can say whether each ping has a body,
// which Healthchecks' body_url needs, without reading the bodies it leaves out. The attribute
// is bs, not body_size, for the reason every item attribute is short: it is stored in every
// ping.
//
// Expand, so the minimum reader stays 1: nothing requires bs, and a build that does not know
// it reads and writes pings as before. This release's writer sets it on every ping
// (pingToItem). DynamoDB has no trigger to fill it for writers that do not, so pings written by
// a version 1 build (the old functions still serving while a deploy runs, or a rollback) lack
// it: code reading bs must take its absence as "unknown" until a contract step requires it,
// and that step must run this backfill again first (it is idempotent) to catch those pings.
//
// The backfill scans the table, strongly consistent, for ping items without bs, a page at a
// time, and sets each one's size with an UpdateItem on the condition that the slot still holds
// the same ping (n) and still lacks bs. A slot that a newer ping took since the scan read it
// is left to that ping's writer. Deflated bodies are inflated to be measured. After each page
// the migration lock is renewed, so a backfill longer than the lock's expiry keeps it; a run
// cut short (a Lambda timeout, a lost lock) leaves the sizes it set, and the next run goes on
// with the pings still without one.
func (s *Store) backfillBodySize(ctx context.Context) error {
	in := &dynamodb.ScanInput{
		ConsistentRead:       aws.Bool(true),
		FilterExpression:     aws.String("begins_with(#sk, :ping) AND attribute_not_exists(#bs)"),
		ProjectionExpression: aws.String("#pk, #sk, #n, #b, #bz"),
		ExpressionAttributeNames: map[string]string{
			"#pk": PartitionKey, "#sk": SortKey, "#n": "n", "#b": "b", "#bz": "bz", "#bs": "bs",
		},
		ExpressionAttributeValues: item{":ping": str(pingPrefix)},
	}
	for {
		page, next, err := s.scanPage(ctx, in)
		if err != nil {
			return fmt.Errorf("backfill ping body sizes: scan: %w", err)
		}
		if err := s.setBodySizes(ctx, page); err != nil {
			return err
		}
		if err := s.renewLock(ctx); err != nil {
			return err
		}
		if next == nil {
			return nil
		}
		in.ExclusiveStartKey = next
	}
}

// setBodySizes sets bs on the scanned ping items, a few at a time; the first error stops it.
func (s *Store) setBodySizes(ctx context.Context, pings []item) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	work := make(chan item)
	var wg sync.WaitGroup
	for range min(backfillWorkers, len(pings)) {
		wg.Go(func() {
			for m := range work {
				if err := s.setBodySize(ctx, m); err != nil {
					cancel(err)
				}
			}
		})
	}
feed:
	for _, m := range pings {
		select {
		case work <- m:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	return context.Cause(ctx)
}

// setBodySize measures one scanned ping and writes its size, if the slot still holds it
// without one.
func (s *Store) setBodySize(ctx context.Context, m item) error {
	it, err := unmarshal[pingItem](m)
	if err != nil {
		return fmt.Errorf("backfill ping body sizes: %w", err)
	}
	body, err := decodeBody(it.Body, it.BodyDeflated)
	if err != nil {
		return fmt.Errorf("backfill ping body sizes: ping %d in %s: %w", it.N, it.PK, err)
	}
	_, err = s.update(ctx, &dynamodb.UpdateItemInput{
		Key:                       item{PartitionKey: m[PartitionKey], SortKey: m[SortKey]},
		UpdateExpression:          aws.String("SET #bs = :bs"),
		ConditionExpression:       aws.String("#n = :n AND attribute_not_exists(#bs)"),
		ExpressionAttributeNames:  map[string]string{"#n": "n", "#bs": "bs"},
		ExpressionAttributeValues: item{":n": m["n"], ":bs": num(int64(len(body)))},
	}, func() cost {
		// The scan projected only part of the ping; a ping's other attributes are about 140
		// bytes (doc.go). Pings are in no index.
		return cost{table: writeUnits(itemSize(m) + 140)}
	})
	if isConditionFailed(err) {
		return nil // a newer ping took the slot, or another migrator got here first
	}
	if err != nil {
		return fmt.Errorf("backfill ping body sizes: ping %d in %s: %w", it.N, it.PK, err)
	}
	return nil
}
