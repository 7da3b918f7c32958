package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/overduehq/overdue/internal/seal"
	"github.com/overduehq/overdue/internal/store"
)

// Version 7 is an expand step that changes no item (nil in steps): builds of version 7 and later
// open sealed channel values (store.OpenValue) and take a value in clear text as it is, so
// they work before and after version 8, which names version 7 as its minimum reader.

// sealChannelValues is version 8, a contract step: every channel item whose value (val) is
// still in clear text gets it sealed under the server secret (store.SealValue), so that no
// item of the table holds a service token, webhook URL or password in clear text.
//
// Contract, so the minimum reader rises to 7: a version 6 build would read a sealed value as an
// address or URL and send to it; the guard refuses the data to it first. The step runs in the
// deploy's contract phase, once every function runs this release. Until then this release
// writes values in clear text too (store.KeepValue): the data's minimum reader is still 3, and a
// rollback may put the version 6 functions back over it.
//
// So the step first raises the minimum reader to 7 on META, the version staying 7
// (raiseSealReader): from then on the version 6 release is refused the data, this release's
// guard still serves it (schema.Build.AwaitsContract), and its channel writes seal. A writer
// that still acts on an older answer of its guard writes in clear text only on the condition
// that META's minimum reader is below 7 (clearValueCheck), which now fails, and it seals
// instead; so no clear value is written after the raise, and the scan that follows, which
// starts after it, finds every clear value there is. Only then does Apply record version 8.
// A run cut short leaves data at version 7 with minimum reader 7: the version 6 release refuses
// it (exit status 3, 503) rather than misread a value sealed so far, and the next run goes on.
//
// It scans, strongly consistent, for channel items whose val does not start with seal.Prefix, a
// page at a time, and seals each with an UpdateItem on the condition that val is still the value
// it read; a channel deleted or rewritten since the scan is left to its writer. A run cut short
// leaves what it sealed, and the next run goes on with the rest. The clear values remain where
// DynamoDB keeps copies it does not let us rewrite (point-in-time recovery, for its 35 days; the
// stream, for 24 hours), which the README says.
func (s *Store) sealChannelValues(ctx context.Context) error {
	if err := s.raiseSealReader(ctx); err != nil {
		return err
	}
	in := &dynamodb.ScanInput{
		ConsistentRead:   aws.Bool(true),
		FilterExpression: aws.String("#sk = :channel AND attribute_exists(#val) AND NOT begins_with(#val, :sealed)"),
		// The whole item, for the write's cost (the scan reads it whole anyway).
		ExpressionAttributeNames:  map[string]string{"#sk": SortKey, "#val": "val"},
		ExpressionAttributeValues: item{":channel": str(channelSK), ":sealed": str(seal.Prefix)},
	}
	for {
		page, next, err := s.scanPage(ctx, in)
		if err != nil {
			return fmt.Errorf("seal channel values: scan: %w", err)
		}
		if len(page) > 0 && s.opts.Box == nil {
			return fmt.Errorf("seal channel values: %w: the migration to version 8 seals the channel values under it "+
				"(the functions read it from SECRET_ARN; overdue migrate from OVERDUE_SECRET_KEY)", store.ErrNoBox)
		}
		if err := s.forEach(ctx, page, s.sealChannelValue); err != nil {
			return fmt.Errorf("seal channel values: %w", err)
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

// sealChannelValue seals the value of one scanned channel item.
func (s *Store) sealChannelValue(ctx context.Context, m item) error {
	id := stringOf(m[PartitionKey])[len(channelPrefix):]
	sealed, err := s.opts.Box.Seal(id, stringOf(m["val"]))
	if err != nil {
		return err
	}
	_, err = s.update(ctx, &dynamodb.UpdateItemInput{
		Key:                       item{PartitionKey: m[PartitionKey], SortKey: m[SortKey]},
		UpdateExpression:          aws.String("SET #val = :sealed"),
		ConditionExpression:       aws.String("#val = :clear"),
		ExpressionAttributeNames:  map[string]string{"#val": "val"},
		ExpressionAttributeValues: item{":sealed": str(sealed), ":clear": m["val"]},
	}, func() cost {
		// The project index holds keys only, and val is not one of them: the table alone pays.
		return cost{table: writeUnits(itemSize(m) - len(stringOf(m["val"])) + len(sealed))}
	})
	if isConditionFailed(err) {
		return nil // deleted or rewritten since the scan: its writer sealed it
	}
	if err != nil {
		return fmt.Errorf("channel %s: %w", id, err)
	}
	return nil
}

// raiseSealReader is the first half of version 8: META's minimum reader rises to
// store.SealReader, on the condition that the data is at version 7 and its minimum reader
// below that. Data whose minimum reader is already there (a run cut short after it, or a rerun
// of the step on later data) is left as it is.
func (s *Store) raiseSealReader(ctx context.Context) error {
	_, err := s.update(ctx, &dynamodb.UpdateItemInput{
		Key:                       metaKey(),
		UpdateExpression:          aws.String("SET #r = :r"),
		ConditionExpression:       aws.String("#v = :v AND #r < :r"),
		ExpressionAttributeNames:  map[string]string{"#v": metaVersion, "#r": metaMinReader},
		ExpressionAttributeValues: item{":v": num(store.SealReader), ":r": num(store.SealReader)},
	}, func() cost { return cost{table: 1} })
	if !isConditionFailed(err) {
		if err != nil {
			return fmt.Errorf("seal channel values: raise the minimum reader to %d: %w", store.SealReader, err)
		}
		return nil
	}
	v, err := s.Version(ctx)
	if err != nil {
		return fmt.Errorf("seal channel values: %w", err)
	}
	if v.Version < store.SealReader || v.MinReader < store.SealReader {
		return fmt.Errorf("seal channel values: table %s is at data model %v, not version %d: "+
			"run the migrations before version 8 first", s.table, v, store.SealReader)
	}
	return nil
}
