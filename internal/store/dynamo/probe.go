package dynamo

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/overduehq/overdue/internal/schema"
	"github.com/overduehq/overdue/internal/store"
)

// probeSK is the sort key of the probe item, pk=META, sk=PROBE: an item with nothing but its key,
// which Probe puts again and again. It sits in the META partition so that it is never taken
// for data (hasData skips META items) and no scan of checks, pings or projects meets it; the
// stream filter passes only flips, so its writes reach no consumer.
const probeSK = "PROBE"

// Probe (store.Store) puts the probe item: one PutItem through the store's write path (the
// write guard first, so a refusal is the reason), which fails, as a ping would, when the table is gone, the role may not write, or DynamoDB throttles
// writes. Putting an identical item is idempotent, and costs one write unit.
func (s *Store) Probe(ctx context.Context) error {
	if err := s.guardWrite(ctx); err != nil {
		return &store.HealthError{Reason: probeReason(err), Err: fmt.Errorf("probe write: %w", err)}
	}
	m := item{PartitionKey: str(metaPK), SortKey: str(probeSK)}
	err := s.put(ctx, &dynamodb.PutItemInput{Item: m},
		func(replaced item) cost { return writeCost(replaced, m, false) })
	if err != nil {
		return &store.HealthError{Reason: probeReason(err), Err: fmt.Errorf("probe write: %w", err)}
	}
	return nil
}

// probeReason says in a few words why a probe failed, naming neither the table nor the account:
// what Probe's HealthError shows to anyone who asks.
func probeReason(err error) string {
	var (
		rnf *types.ResourceNotFoundException
		api smithy.APIError
	)
	switch {
	case schema.Refused(err) != nil:
		return schema.Refused(err).Error()
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return "DynamoDB did not answer in time"
	case errors.As(err, &rnf):
		return "the table does not exist: deploy the stage, or check the table name the function was given"
	case errors.As(err, &api):
		switch api.ErrorCode() {
		case "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded":
			return "DynamoDB is throttling writes"
		case "AccessDeniedException", "UnrecognizedClientException":
			return "the function may not write the table: check its role"
		}
	}
	return "the table cannot be written"
}
