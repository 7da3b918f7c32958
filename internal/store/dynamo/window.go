package dynamo

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// windowPrefix starts the sort key of a maintenance window (data model version 8): pk
// PROJECT#<project>, sk WINDOW#<id>. In the project's partition, so that the windows a down flip
// must consult are one strongly consistent query of a handful of small items.
const windowPrefix = "WINDOW#"

// windowItem is a maintenance window.
type windowItem struct {
	PK       string `dynamodbav:"pk"`
	SK       string `dynamodbav:"sk"`
	CheckID  string `dynamodbav:"cid,omitempty"`
	Tag      string `dynamodbav:"tag,omitempty"`
	Start    int64  `dynamodbav:"st,omitempty"`
	End      int64  `dynamodbav:"en,omitempty"`
	Schedule string `dynamodbav:"sch,omitempty"`
	TZ       string `dynamodbav:"tz,omitempty"`
	Duration int64  `dynamodbav:"du,omitempty"`
	Created  int64  `dynamodbav:"cr,omitempty"`
}

func windowKey(projectID, id string) item {
	return item{PartitionKey: str(projectPrefix + projectID), SortKey: str(windowPrefix + id)}
}

func windowToItem(w *check.Window) *windowItem {
	return &windowItem{
		PK: projectPrefix + w.ProjectID, SK: windowPrefix + w.ID,
		CheckID: w.CheckID, Tag: w.Tag, Start: micros(w.Start), End: micros(w.End),
		Schedule: w.Schedule, TZ: w.TZ, Duration: int64(w.Duration), Created: micros(w.Created),
	}
}

func (it *windowItem) window() *check.Window {
	return &check.Window{
		ID: strings.TrimPrefix(it.SK, windowPrefix), ProjectID: strings.TrimPrefix(it.PK, projectPrefix),
		CheckID: it.CheckID, Tag: it.Tag, Start: fromMicros(it.Start), End: fromMicros(it.End),
		Schedule: it.Schedule, TZ: it.TZ, Duration: time.Duration(it.Duration), Created: fromMicros(it.Created),
	}
}

// CreateWindow stores a maintenance window, on the condition that its project exists
// (store.ErrNotFound) and that the ID is free in it (store.ErrConflict).
func (s *Store) CreateWindow(ctx context.Context, w *check.Window) error {
	if err := s.guardWrite(ctx); err != nil {
		return fmt.Errorf("create window %s: %w", w.ID, err)
	}
	m := marshal(windowToItem(w))
	err := s.transact(ctx, []types.TransactWriteItem{
		{ConditionCheck: &types.ConditionCheck{
			Key:                      projectKey(w.ProjectID),
			ConditionExpression:      aws.String("attribute_exists(#pk)"),
			ExpressionAttributeNames: pkNames,
		}},
		{Put: &types.Put{
			Item:                     m,
			ConditionExpression:      aws.String("attribute_not_exists(#pk)"),
			ExpressionAttributeNames: pkNames,
		}},
	}, func() cost { return conditionCheckCost.plus(writeCost(nil, m, true)) })
	reasons := cancelReasons(err)
	switch {
	case err == nil:
		return nil
	case reasonIs(reasons, 0, codeConditionFailed):
		return fmt.Errorf("create window %s: project %s: %w", w.ID, w.ProjectID, store.ErrNotFound)
	case reasonIs(reasons, 1, codeConditionFailed):
		return fmt.Errorf("create window %s: %w", w.ID, store.ErrConflict)
	}
	return fmt.Errorf("create window %s: %w", w.ID, err)
}

// Windows lists a project's maintenance windows, oldest first: one strongly consistent query of
// the project's partition.
func (s *Store) Windows(ctx context.Context, projectID string) ([]*check.Window, error) {
	items, err := s.query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String("#pk = :pk AND begins_with(#sk, :sk)"),
		ExpressionAttributeNames:  map[string]string{"#pk": PartitionKey, "#sk": SortKey},
		ExpressionAttributeValues: item{":pk": str(projectPrefix + projectID), ":sk": str(windowPrefix)},
		ConsistentRead:            aws.Bool(true),
	}, 0)
	if err != nil {
		return nil, fmt.Errorf("list windows of project %s: %w", projectID, err)
	}
	out := make([]*check.Window, 0, len(items))
	for _, m := range items {
		it, err := unmarshal[windowItem](m)
		if err != nil {
			return nil, fmt.Errorf("list windows of project %s: %w", projectID, err)
		}
		out = append(out, it.window())
	}
	slices.SortFunc(out, func(a, b *check.Window) int {
		return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

// DeleteWindow removes a project's maintenance window; store.ErrNotFound if it has none by id.
func (s *Store) DeleteWindow(ctx context.Context, projectID, id string) error {
	if err := s.guardWrite(ctx); err != nil {
		return fmt.Errorf("delete window %s: %w", id, err)
	}
	err := s.delete(ctx, &dynamodb.DeleteItemInput{
		Key:                      windowKey(projectID, id),
		ConditionExpression:      aws.String("attribute_exists(#pk)"),
		ExpressionAttributeNames: pkNames,
	}, func() cost { return cost{table: 1} })
	if isConditionFailed(err) {
		return fmt.Errorf("delete window %s of project %s: %w", id, projectID, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("delete window %s of project %s: %w", id, projectID, err)
	}
	return nil
}
