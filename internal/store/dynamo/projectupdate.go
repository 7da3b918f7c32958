package dynamo

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// UpdateProject reads the project (strongly consistent), calls fn, and writes the project and
// every key lookup in one transaction, since each lookup carries a copy of the project: a key
// whose hash changed loses its old lookup and gains a new one, on the condition that the new
// hash is free (store.ErrConflict otherwise). The project's put is conditional on the values
// it read, so two updates at once cannot lose one; the loser reads again, a bounded number of
// times.
func (s *Store) UpdateProject(ctx context.Context, id string, fn func(p *check.Project) error) (*check.Project, error) {
	if err := s.guardWrite(ctx); err != nil {
		return nil, fmt.Errorf("update project %s: %w", id, err)
	}
	for attempt := 0; attempt < maxAttempts; attempt++ {
		if attempt > 0 {
			if err := backoff(ctx, attempt); err != nil {
				return nil, err
			}
		}
		old, _, err := s.loadProject(ctx, projectKey(id), true)
		if err != nil {
			return nil, fmt.Errorf("update project %s: %w", id, err)
		}
		p := *old
		if err := fn(&p); err != nil {
			return nil, err
		}
		p.ID = id
		items, fresh := projectUpdateItems(old, &p)
		err = s.transact(ctx, items, func() cost {
			var c cost
			for _, it := range items {
				if it.Put != nil {
					c = c.plus(writeCost(nil, it.Put.Item, true))
				} else {
					c = c.plus(cost{table: 2})
				}
			}
			return c
		})
		reasons := cancelReasons(err)
		switch {
		case err == nil:
			return &p, nil
		case reasonIs(reasons, 0, codeConditionFailed), isTransactionConflict(err):
			continue // changed since we read it
		case slices.ContainsFunc(fresh, func(i int) bool { return reasonIs(reasons, i, codeConditionFailed) }):
			return nil, fmt.Errorf("update project %s: a new key is taken: %w", id, store.ErrConflict)
		default:
			return nil, fmt.Errorf("update project %s: %w", id, err)
		}
	}
	return nil, fmt.Errorf("update project %s: %w", id, store.ErrConflict)
}

// projectUpdateItems is the transaction that turns project old into p: the project's put
// first (conditional on old's values), then its lookups. fresh lists the indexes of the puts of
// new key hashes, whose condition is that the hash is free.
func projectUpdateItems(old, p *check.Project) (items []types.TransactWriteItem, fresh []int) {
	it := projectToItem(p)
	cond, names, values := "attribute_exists(#pk)", map[string]string{"#pk": PartitionKey}, item{}
	for i, f := range []struct{ attr, v string }{
		{"name", old.Name}, {"ak", old.APIKeyHash}, {"rk", old.ReadOnlyKeyHash},
		{"pkh", old.PingKeyHash}, {"bk", old.BadgeKey},
	} {
		n := fmt.Sprintf("#a%d", i)
		names[n] = f.attr
		if f.v == "" {
			cond += " AND attribute_not_exists(" + n + ")"
			continue
		}
		v := fmt.Sprintf(":v%d", i)
		cond += " AND " + n + " = " + v
		values[v] = str(f.v)
	}
	items = append(items, types.TransactWriteItem{Put: &types.Put{Item: marshal(it),
		ConditionExpression: aws.String(cond), ExpressionAttributeNames: names, ExpressionAttributeValues: nilIfEmpty(values)}})

	keys := []struct {
		prefix           string
		oldHash, newHash string
		readOnly         bool
	}{
		{apiKeyPrefix, old.APIKeyHash, p.APIKeyHash, false},
		{apiKeyPrefix, old.ReadOnlyKeyHash, p.ReadOnlyKeyHash, true},
		{pingKeyPrefix, old.PingKeyHash, p.PingKeyHash, false},
	}
	touched := map[string]bool{}
	for _, k := range keys {
		switch {
		case k.oldHash == k.newHash && k.newHash != "":
			if !touched[k.prefix+k.newHash] {
				touched[k.prefix+k.newHash] = true
				items = append(items, types.TransactWriteItem{Put: &types.Put{Item: marshal(it.lookup(k.prefix+k.newHash, k.readOnly))}})
			}
		case k.oldHash != k.newHash:
			if k.oldHash != "" && !touched[k.prefix+k.oldHash] {
				touched[k.prefix+k.oldHash] = true
				items = append(items, types.TransactWriteItem{Delete: &types.Delete{Key: item{
					PartitionKey: str(k.prefix + k.oldHash), SortKey: str(keySK)}}})
			}
			if k.newHash != "" && !touched[k.prefix+k.newHash] {
				touched[k.prefix+k.newHash] = true
				fresh = append(fresh, len(items))
				items = append(items, types.TransactWriteItem{Put: &types.Put{Item: marshal(it.lookup(k.prefix+k.newHash, k.readOnly)),
					ConditionExpression: aws.String("attribute_not_exists(#pk)"), ExpressionAttributeNames: pkNames}})
			}
		}
	}
	if old.BadgeKey != "" && old.BadgeKey != p.BadgeKey {
		items = append(items, types.TransactWriteItem{Delete: &types.Delete{Key: projectBadgeKey(old.BadgeKey)}})
	}
	if p.BadgeKey != "" {
		items = append(items, types.TransactWriteItem{Put: &types.Put{Item: marshal(it.badgeLookup())}})
	}
	return items, fresh
}

// DeleteProject removes a project that has no checks and no channels: first, in one
// transaction, the project, its key and badge lookups and its status page with its lookup, so
// that no key works a moment longer; then its members (both sides of each membership) and its owner count. A delete cut
// short after the transaction leaves memberships of a project that does not exist, which
// readers skip, and which a repeated delete does not reach: stores list members by project.
func (s *Store) DeleteProject(ctx context.Context, id string) error {
	if err := s.guardWrite(ctx); err != nil {
		return fmt.Errorf("delete project %s: %w", id, err)
	}
	p, _, err := s.loadProject(ctx, projectKey(id), true)
	if err != nil {
		return fmt.Errorf("delete project %s: %w", id, err)
	}
	checks, err := s.Checks(ctx, id)
	if err != nil {
		return fmt.Errorf("delete project %s: %w", id, err)
	}
	chans, err := s.Channels(ctx, id)
	if err != nil {
		return fmt.Errorf("delete project %s: %w", id, err)
	}
	if n := len(checks) + len(chans); n > 0 {
		return fmt.Errorf("delete project %s: it still has %d checks and channels: %w", id, n, store.ErrConflict)
	}
	items := []types.TransactWriteItem{{Delete: &types.Delete{Key: projectKey(id),
		ConditionExpression: exists, ExpressionAttributeNames: pkNames}}}
	seen := map[string]bool{}
	for _, k := range []item{apiKeyKey(p.APIKeyHash), apiKeyKey(p.ReadOnlyKeyHash), pingKeyKey(p.PingKeyHash), projectBadgeKey(p.BadgeKey)} {
		pk := k[PartitionKey].(*types.AttributeValueMemberS).Value
		if strings.HasSuffix(pk, "#") || seen[pk] {
			continue // no such key
		}
		seen[pk] = true
		items = append(items, types.TransactWriteItem{Delete: &types.Delete{Key: k}})
	}
	pageDeletes, err := s.statusPageDeletes(ctx, id)
	if err != nil {
		return fmt.Errorf("delete project %s: %w", id, err)
	}
	items = append(items, pageDeletes...)
	err = s.transact(ctx, items, func() cost { return cost{table: 2 * float64(len(items)), index: 2} })
	if reasonIs(cancelReasons(err), 0, codeConditionFailed) {
		return fmt.Errorf("delete project %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("delete project %s: %w", id, err)
	}
	rest, err := s.query(ctx, &dynamodb.QueryInput{
		ConsistentRead:            aws.Bool(true),
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": PartitionKey},
		ExpressionAttributeValues: item{":pk": str(projectPrefix + id)},
	}, 0)
	if err != nil {
		return fmt.Errorf("delete project %s: list its members and invitations: %w", id, err)
	}
	var writes []types.WriteRequest
	for _, m := range rest {
		writes = append(writes, types.WriteRequest{DeleteRequest: &types.DeleteRequest{
			Key: item{PartitionKey: m[PartitionKey], SortKey: m[SortKey]}}})
		if mi, err := unmarshal[memberItem](m); err == nil && mi.UserID != "" {
			writes = append(writes, types.WriteRequest{DeleteRequest: &types.DeleteRequest{
				Key: key(userPrefix+mi.UserID, memberPrefix+id)}})
		}
		// An invitation's pointer: the invitation goes too, or its link would still open.
		if pi, err := unmarshal[pointerItem](m); err == nil && strings.HasPrefix(pi.SK, invitePrefix) && pi.Hash != "" {
			writes = append(writes, types.WriteRequest{DeleteRequest: &types.DeleteRequest{
				Key: key(invitePrefix+pi.Hash, inviteSK)}})
		}
	}
	if err := s.batchWrite(ctx, writes, func(types.WriteRequest) cost { return cost{table: 1} }); err != nil {
		return fmt.Errorf("delete project %s: remove its members and invitations: %w", id, err)
	}
	return nil
}
