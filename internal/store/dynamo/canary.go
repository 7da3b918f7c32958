package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/overduehq/overdue/internal/store"
)

// canarySK is the sort key of the ingestion canary's record (data model 17), pk=META,
// sk=CANARY: the install's canary check and project IDs (store.Canary). Like the probe, it sits
// in the META partition, so that no scan of checks, pings or projects meets it and hasData
// skips it; the stream filter passes only flips.
const canarySK = "CANARY"

// canaryItem is the canary's record.
type canaryItem struct {
	PK        string `dynamodbav:"pk"`
	SK        string `dynamodbav:"sk"`
	CheckID   string `dynamodbav:"cid"`
	ProjectID string `dynamodbav:"pid"`
}

func canaryKey() item { return key(metaPK, canarySK) }

// Canary (store.Store) reads the canary's record, strongly consistent (one read unit), so that
// a process that lost PutCanary's race a moment ago reads the winner.
func (s *Store) Canary(ctx context.Context) (store.Canary, error) {
	m, err := s.get(ctx, canaryKey(), true)
	if err != nil {
		return store.Canary{}, fmt.Errorf("load the ingestion canary: %w", err)
	}
	if m == nil {
		return store.Canary{}, fmt.Errorf("load the ingestion canary: %w", store.ErrNotFound)
	}
	it, err := unmarshal[canaryItem](m)
	if err != nil {
		return store.Canary{}, fmt.Errorf("load the ingestion canary: %w", err)
	}
	return store.Canary{CheckID: it.CheckID, ProjectID: it.ProjectID}, nil
}

// PutCanary (store.Store) puts the record on the condition that there is none (one write
// unit), through the write guard; when the condition fails, it reads the record that won.
func (s *Store) PutCanary(ctx context.Context, c store.Canary) (store.Canary, error) {
	if err := s.guardWrite(ctx); err != nil {
		return store.Canary{}, fmt.Errorf("store the ingestion canary: %w", err)
	}
	m := marshal(&canaryItem{PK: metaPK, SK: canarySK, CheckID: c.CheckID, ProjectID: c.ProjectID})
	err := s.put(ctx, &dynamodb.PutItemInput{
		Item:                     m,
		ConditionExpression:      aws.String("attribute_not_exists(#pk)"),
		ExpressionAttributeNames: map[string]string{"#pk": PartitionKey},
	}, func(replaced item) cost { return writeCost(replaced, m, false) })
	if isConditionFailed(err) {
		return s.Canary(ctx)
	}
	if err != nil {
		return store.Canary{}, fmt.Errorf("store the ingestion canary: %w", err)
	}
	return c, nil
}
