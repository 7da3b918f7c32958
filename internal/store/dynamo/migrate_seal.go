package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/overduehq/overdue/internal/seal"
	"github.com/overduehq/overdue/internal/store"
)

// Version 7 is an expand step that changes no item (noChange): builds of version 7 and later
// open sealed channel values (store.OpenValue) and take a value in clear text as it is, so
// they work before and after version 8, which names version 7 as its minimum reader.

// sealChannelValues is version 8, a contract step: every channel item whose value (val) is
// still in clear text gets it sealed under the server secret (store.SealValue), so that no
// item of the table holds a service token, webhook URL or password in clear text.
//
// Contract, so the minimum reader rises to 7: a version 6 build would read a sealed value as an
// address or URL and send to it; the guard refuses the data to it first. The step runs in the
// deploy's contract phase, once every function runs this release, which writes sealed values
// itself; it catches the channels written in clear text before and during the deploy.
//
// It scans, strongly consistent, for channel items whose val does not start with seal.Prefix, a
// page at a time, and seals each with an UpdateItem on the condition that val is still the value
// it read; a channel deleted or rewritten since the scan is left to its writer. A run cut short
// leaves what it sealed, and the next run goes on with the rest. The clear values remain where
// DynamoDB keeps copies it does not let us rewrite (point-in-time recovery, for its 35 days; the
// stream, for 24 hours), which the README says.
func (s *Store) sealChannelValues(ctx context.Context) error {
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
