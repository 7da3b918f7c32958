package dynamo

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// A project's status page (data model 12) is two items: the page in its project's partition
// (pk PROJECT#<project>, sk STATUSPAGE), and its key lookup (pk STATUSKEY#<key>, sk
// STATUSPAGE), a copy of it, so that a reader of the public page finds it with one eventually
// consistent read of a small item. Both are written in one transaction. Neither is in an index.
// Older builds never read them; one that deletes a project removes the page item with the
// project's other items and leaves the lookup, which then names a project that does not exist:
// the status page handler loads the project, and answers 404.
const (
	statusPageSK    = "STATUSPAGE"
	statusKeyPrefix = "STATUSKEY#"
)

// statusPageItem is a status page or its lookup.
type statusPageItem struct {
	PK        string   `dynamodbav:"pk"`
	SK        string   `dynamodbav:"sk"`
	ProjectID string   `dynamodbav:"pid"`
	Key       string   `dynamodbav:"key"`
	Public    bool     `dynamodbav:"pub,omitempty"`
	Checks    []string `dynamodbav:"chk,omitempty"`
}

func statusPageKey(projectID string) item { return key(projectPrefix+projectID, statusPageSK) }

func statusLookupKey(k string) item { return key(statusKeyPrefix+k, statusPageSK) }

func statusPageToItem(sp *check.StatusPage) *statusPageItem {
	return &statusPageItem{PK: projectPrefix + sp.ProjectID, SK: statusPageSK, ProjectID: sp.ProjectID,
		Key: sp.Key, Public: sp.Public, Checks: sp.Checks}
}

func (it *statusPageItem) lookup() *statusPageItem {
	l := *it
	l.PK = statusKeyPrefix + it.Key
	return &l
}

func (it *statusPageItem) page() *check.StatusPage {
	return &check.StatusPage{ProjectID: it.ProjectID, Key: it.Key, Public: it.Public, Checks: it.Checks}
}

// loadStatusPage reads the page or a lookup; store.ErrNotFound when there is none.
func (s *Store) loadStatusPage(ctx context.Context, k item, consistent bool) (*statusPageItem, error) {
	m, err := s.get(ctx, k, consistent)
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, store.ErrNotFound
	}
	return unmarshal[statusPageItem](m)
}

// StatusPage loads a project's status page, strongly consistent (the page that edits it reads
// it back).
func (s *Store) StatusPage(ctx context.Context, projectID string) (*check.StatusPage, error) {
	it, err := s.loadStatusPage(ctx, statusPageKey(projectID), true)
	if err != nil {
		return nil, fmt.Errorf("load status page of project %s: %w", projectID, err)
	}
	return it.page(), nil
}

// StatusPageByKey finds a status page by its key: one eventually consistent read of the
// lookup (half a read unit), which carries the page.
func (s *Store) StatusPageByKey(ctx context.Context, k string) (*check.StatusPage, error) {
	if k == "" {
		return nil, fmt.Errorf("find status page by key: %w", store.ErrNotFound)
	}
	it, err := s.loadStatusPage(ctx, statusLookupKey(k), false)
	if err != nil {
		return nil, fmt.Errorf("find status page by key: %w", err)
	}
	return it.page(), nil
}

// PutStatusPage writes the page and its lookup in one transaction: on the conditions that the
// project exists (store.ErrNotFound), that the page is still as it was read (its key; another
// writer in between makes this read again, a bounded number of times), and that the new key's
// lookup is free or already this project's (store.ErrConflict). The old key's lookup is deleted
// in the same transaction when the key changed.
func (s *Store) PutStatusPage(ctx context.Context, sp *check.StatusPage) error {
	if err := sp.Validate(); err != nil {
		return fmt.Errorf("save status page: %w", err)
	}
	if err := s.guardWrite(ctx); err != nil {
		return fmt.Errorf("save status page of project %s: %w", sp.ProjectID, err)
	}
	it := statusPageToItem(sp)
	page, lookup := marshal(it), marshal(it.lookup())
	for attempt := 0; attempt < maxAttempts; attempt++ {
		if attempt > 0 {
			if err := backoff(ctx, attempt); err != nil {
				return err
			}
		}
		old, err := s.loadStatusPage(ctx, statusPageKey(sp.ProjectID), true)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("save status page of project %s: %w", sp.ProjectID, err)
		}
		pagePut := &types.Put{Item: page, ConditionExpression: aws.String("attribute_not_exists(#pk)"), ExpressionAttributeNames: pkNames}
		if old != nil {
			pagePut.ConditionExpression = aws.String("#key = :key")
			pagePut.ExpressionAttributeNames = map[string]string{"#key": "key"}
			pagePut.ExpressionAttributeValues = item{":key": str(old.Key)}
		}
		items := []types.TransactWriteItem{
			{ConditionCheck: &types.ConditionCheck{Key: projectKey(sp.ProjectID), ConditionExpression: exists, ExpressionAttributeNames: pkNames}},
			{Put: pagePut},
			{Put: &types.Put{Item: lookup, ConditionExpression: aws.String("attribute_not_exists(#pk) OR #pid = :pid"),
				ExpressionAttributeNames: map[string]string{"#pk": PartitionKey, "#pid": "pid"}, ExpressionAttributeValues: item{":pid": str(sp.ProjectID)}}},
		}
		if old != nil && old.Key != sp.Key {
			items = append(items, types.TransactWriteItem{Delete: &types.Delete{Key: statusLookupKey(old.Key)}})
		}
		err = s.transact(ctx, items, func() cost {
			c := conditionCheckCost.plus(writeCost(nil, page, true)).plus(writeCost(nil, lookup, true))
			if len(items) > 3 {
				c = c.plus(cost{table: 2})
			}
			return c
		})
		reasons := cancelReasons(err)
		switch {
		case err == nil:
			return nil
		case reasonIs(reasons, 0, codeConditionFailed):
			return fmt.Errorf("save status page of project %s: %w", sp.ProjectID, store.ErrNotFound)
		case reasonIs(reasons, 2, codeConditionFailed):
			return fmt.Errorf("save status page of project %s: the key is another project's: %w", sp.ProjectID, store.ErrConflict)
		case reasonIs(reasons, 1, codeConditionFailed), isTransactionConflict(err):
			continue // changed since we read it
		}
		return fmt.Errorf("save status page of project %s: %w", sp.ProjectID, err)
	}
	return fmt.Errorf("save status page of project %s: %w", sp.ProjectID, store.ErrConflict)
}

// statusPageDeletes are the deletes that remove a project's status page and its lookup, for
// DeleteProject's transaction: none when the project has no page.
func (s *Store) statusPageDeletes(ctx context.Context, projectID string) ([]types.TransactWriteItem, error) {
	old, err := s.loadStatusPage(ctx, statusPageKey(projectID), true)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load its status page: %w", err)
	}
	return []types.TransactWriteItem{
		{Delete: &types.Delete{Key: statusPageKey(projectID)}},
		{Delete: &types.Delete{Key: statusLookupKey(old.Key)}},
	}, nil
}
