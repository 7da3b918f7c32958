package dynamo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/seal"
	"github.com/overduehq/overdue/internal/store"
)

// CreateProject stores a new project with a lookup item for each of its keys, in one
// transaction whose every put of the project or a key hash requires its key to be free: it is
// store.ErrConflict if the ID or a key hash is taken, and then nothing is written. The badge
// lookup is put without a condition: badge keys grant nothing, and their uniqueness is not
// enforced (as in the SQLite store).
func (s *Store) CreateProject(ctx context.Context, p *check.Project) error {
	if err := s.guardWrite(ctx); err != nil {
		return fmt.Errorf("create project %s: %w", p.ID, err)
	}
	it := projectToItem(p)
	items := []item{marshal(it)}
	if p.APIKeyHash != "" {
		items = append(items, marshal(it.lookup(apiKeyPrefix+p.APIKeyHash, false)))
	}
	if p.ReadOnlyKeyHash != "" && p.ReadOnlyKeyHash != p.APIKeyHash {
		items = append(items, marshal(it.lookup(apiKeyPrefix+p.ReadOnlyKeyHash, true)))
	}
	if p.PingKeyHash != "" {
		items = append(items, marshal(it.lookup(pingKeyPrefix+p.PingKeyHash, false)))
	}
	puts := make([]types.TransactWriteItem, len(items))
	for i, m := range items {
		puts[i] = types.TransactWriteItem{Put: &types.Put{
			Item:                     m,
			ConditionExpression:      aws.String("attribute_not_exists(#pk)"),
			ExpressionAttributeNames: pkNames,
		}}
	}
	if p.BadgeKey != "" {
		m := marshal(it.badgeLookup())
		items = append(items, m)
		puts = append(puts, types.TransactWriteItem{Put: &types.Put{Item: m}})
	}
	err := s.transact(ctx, puts, func() cost {
		var c cost
		for _, m := range items {
			c = c.plus(writeCost(nil, m, true))
		}
		return c
	})
	if err == nil {
		return nil
	}
	if slices.ContainsFunc(cancelReasons(err), func(r types.CancellationReason) bool {
		return aws.ToString(r.Code) == codeConditionFailed
	}) {
		// The SDK retries a request whose answer it did not get; if DynamoDB had applied the first
		// attempt, the retry finds our own items. Exactly our project under this ID is success.
		if got, err := s.Project(ctx, p.ID); err == nil && sameProject(got, p) {
			return nil
		}
		return fmt.Errorf("create project %s: the ID or a key is taken: %w", p.ID, store.ErrConflict)
	}
	return fmt.Errorf("create project %s: %w", p.ID, err)
}

// Project loads a project by ID, strongly consistent like Check.
func (s *Store) Project(ctx context.Context, id string) (*check.Project, error) {
	p, _, err := s.loadProject(ctx, projectKey(id), true)
	if err != nil {
		return nil, fmt.Errorf("load project %s: %w", id, err)
	}
	return p, nil
}

// loadProject reads a project or one of its key lookups.
func (s *Store) loadProject(ctx context.Context, key item, consistent bool) (*check.Project, bool, error) {
	m, err := s.get(ctx, key, consistent)
	if err != nil {
		return nil, false, err
	}
	if m == nil {
		return nil, false, store.ErrNotFound
	}
	it, err := unmarshal[projectItem](m)
	if err != nil {
		return nil, false, err
	}
	return it.project(), it.ReadOnly, nil
}

// Projects lists every project, oldest first, through the project index.
func (s *Store) Projects(ctx context.Context) ([]*check.Project, error) {
	entries, err := s.query(ctx, &dynamodb.QueryInput{
		IndexName:                 aws.String(ProjectIndex),
		KeyConditionExpression:    aws.String("#gpk = :gpk"),
		ExpressionAttributeNames:  map[string]string{"#gpk": ProjectIndexPartitionKey},
		ExpressionAttributeValues: item{":gpk": str(projectsGPK)},
	}, 0)
	if err != nil {
		return nil, fmt.Errorf("list projects: %w", err)
	}
	items, err := s.batchGet(ctx, primaryKeys(entries), false)
	if err != nil {
		return nil, fmt.Errorf("list projects: %w", err)
	}
	var out []*check.Project
	for _, m := range items {
		it, err := unmarshal[projectItem](m)
		if err != nil {
			return nil, fmt.Errorf("list projects: %w", err)
		}
		out = append(out, it.project())
	}
	slices.SortFunc(out, func(a, b *check.Project) int {
		return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

// ProjectByAPIKey finds the project whose read-write or read-only key hashes to keyHash: one
// eventually consistent read of the key's lookup item, which carries the project.
func (s *Store) ProjectByAPIKey(ctx context.Context, keyHash string) (*check.Project, bool, error) {
	if keyHash == "" {
		return nil, false, fmt.Errorf("find project by API key: %w", store.ErrNotFound)
	}
	p, readOnly, err := s.loadProject(ctx, apiKeyKey(keyHash), false)
	if err != nil {
		// Never the hash in the message: it identifies the key.
		return nil, false, fmt.Errorf("find project by API key: %w", err)
	}
	return p, readOnly, nil
}

// ProjectByPingKey finds the project whose ping key hashes to keyHash.
func (s *Store) ProjectByPingKey(ctx context.Context, keyHash string) (*check.Project, error) {
	if keyHash == "" {
		return nil, fmt.Errorf("find project by ping key: %w", store.ErrNotFound)
	}
	p, _, err := s.loadProject(ctx, pingKeyKey(keyHash), false)
	if err != nil {
		return nil, fmt.Errorf("find project by ping key: %w", err)
	}
	return p, nil
}

// ProjectByBadgeKey finds the project with this badge key: one eventually consistent read of its
// badge lookup, which carries the project.
//
// A project that a version 1 or 2 build created after the table was migrated to version 3 has
// no lookup (those builds do not write one; the migration gave one to every project before it).
// So when the lookup is missing, this lists the projects (a query and a batch read, linear in
// the number of projects, not of checks) and, if one has the key, writes its lookup, so that the
// next request is one read again. A miss is therefore not cheap: callers should look up only
// badge keys from URLs whose signature they have checked, as the badge handler does.
func (s *Store) ProjectByBadgeKey(ctx context.Context, key string) (*check.Project, error) {
	if key == "" {
		return nil, fmt.Errorf("find project by badge key: %w", store.ErrNotFound)
	}
	p, _, err := s.loadProject(ctx, projectBadgeKey(key), false)
	if errors.Is(err, store.ErrNotFound) {
		p, err = s.findProjectByBadgeKey(ctx, key)
	}
	if err != nil {
		return nil, fmt.Errorf("find project by badge key %q: %w", key, err)
	}
	return p, nil
}

// findProjectByBadgeKey is ProjectByBadgeKey the long way, for a project without a badge lookup:
// it lists the projects and writes the lookup of the one found.
func (s *Store) findProjectByBadgeKey(ctx context.Context, key string) (*check.Project, error) {
	projects, err := s.Projects(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range projects {
		if p.BadgeKey != key {
			continue
		}
		if err := s.guardWrite(ctx); err != nil {
			return nil, err
		}
		if err := s.putProjectBadgeLookup(ctx, projectToItem(p)); err != nil {
			return nil, fmt.Errorf("write the missing badge lookup of project %s: %w", p.ID, err)
		}
		return p, nil
	}
	return nil, store.ErrNotFound
}

// putProjectBadgeLookup writes a project's badge lookup unless one is there already (its own,
// or another project's with the same key, which it leaves alone).
func (s *Store) putProjectBadgeLookup(ctx context.Context, it *projectItem) error {
	m := marshal(it.badgeLookup())
	err := s.put(ctx, &dynamodb.PutItemInput{
		Item:                     m,
		ConditionExpression:      aws.String("attribute_not_exists(#pk)"),
		ExpressionAttributeNames: pkNames,
	}, func(replaced item) cost { return writeCost(replaced, m, false) })
	if isConditionFailed(err) {
		return nil
	}
	return err
}

// CreateChannel stores a new channel, its value sealed when the data's minimum reader opens
// sealed values and in clear text otherwise (store.KeepValue, sealing). It is
// store.ErrConflict if the ID is taken (in any project) and store.ErrNotFound if the project
// does not exist.
func (s *Store) CreateChannel(ctx context.Context, ch *check.Channel) error {
	if err := s.guardWrite(ctx); err != nil {
		return fmt.Errorf("create channel %s: %w", ch.ID, err)
	}
	sealed, err := s.sealing(ctx)
	if err != nil {
		return fmt.Errorf("create channel %s: %w", ch.ID, err)
	}
	for {
		it := channelToItem(ch)
		if it.Value, err = s.keepValue(ch, sealed); err != nil {
			return fmt.Errorf("create channel %s: %w", ch.ID, err)
		}
		m := marshal(it)
		items := []types.TransactWriteItem{
			{ConditionCheck: &types.ConditionCheck{
				Key:                      projectKey(ch.ProjectID),
				ConditionExpression:      aws.String("attribute_exists(#pk)"),
				ExpressionAttributeNames: pkNames,
			}},
			{Put: &types.Put{
				Item:                     m,
				ConditionExpression:      aws.String("attribute_not_exists(#pk)"),
				ExpressionAttributeNames: pkNames,
			}},
		}
		if !sealed {
			items = append(items, clearValueCheck())
		}
		err = s.transact(ctx, items, func() cost {
			c := conditionCheckCost.plus(writeCost(nil, m, true))
			if !sealed {
				c = c.plus(conditionCheckCost)
			}
			return c
		})
		reasons := cancelReasons(err)
		switch {
		case err == nil:
			return nil
		case !sealed && reasonIs(reasons, 2, codeConditionFailed):
			sealed = true // the minimum reader rose since the guard read it: seal after all
			continue
		case reasonIs(reasons, 0, codeConditionFailed):
			return fmt.Errorf("create channel %s: project %s: %w", ch.ID, ch.ProjectID, store.ErrNotFound)
		case reasonIs(reasons, 1, codeConditionFailed):
			// A retried request whose first attempt was applied finds our own channel: success.
			if stored, gerr := s.get(ctx, channelKey(ch.ID), true); gerr == nil && s.sameChannel(stored, m, ch) {
				return nil
			}
			return fmt.Errorf("create channel %s: %w", ch.ID, store.ErrConflict)
		}
		return fmt.Errorf("create channel %s: %w", ch.ID, err)
	}
}

// sealing reports whether a channel write seals its value: whether the data's minimum reader
// opens sealed values (store.SealReader), as the write guard last read it (at most
// schema.DefaultMaxAge old), or as META says when the store has no Gate. An answer that lags a
// rise of the minimum reader says clear, and the write that acts on it carries
// clearValueCheck, which fails once the minimum reader has risen; the write is then sealed.
// So no value is written in clear text after version 8's step raised the minimum reader, and
// none is sealed while a build that cannot open it may still use the data.
func (s *Store) sealing(ctx context.Context) (bool, error) {
	if s.Gate != nil {
		if v, ok := s.Gate.Data(); ok {
			return v.MinReader >= store.SealReader, nil
		}
	}
	v, err := s.Version(ctx)
	if err != nil {
		return false, err
	}
	return v.MinReader >= store.SealReader, nil
}

// keepValue is ch's value as a channel item keeps it: sealed, or in clear text.
func (s *Store) keepValue(ch *check.Channel, sealed bool) (string, error) {
	if sealed {
		return store.SealValue(s.opts.Box, ch)
	}
	return ch.Value, nil
}

// clearValueCheck is the condition of a channel write that keeps its value in clear text: the
// data's minimum reader is still below store.SealReader (META records none, or a lower one).
func clearValueCheck() types.TransactWriteItem {
	return types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
		Key:                       metaKey(),
		ConditionExpression:       aws.String("attribute_not_exists(#r) OR #r < :seal"),
		ExpressionAttributeNames:  map[string]string{"#r": metaMinReader},
		ExpressionAttributeValues: item{":seal": num(store.SealReader)},
	}}
}

// sameChannel reports whether the stored item is the channel ch, whose item is m: the same
// attributes, and a value that is ch's or opens to it (each sealing of a value differs).
func (s *Store) sameChannel(stored, m item, ch *check.Channel) bool {
	sealed := stringOf(stored["val"])
	a, b := maps.Clone(stored), maps.Clone(m)
	delete(a, "val")
	delete(b, "val")
	if !reflect.DeepEqual(a, b) {
		return false
	}
	if !seal.IsSealed(sealed) {
		return sealed == ch.Value
	}
	if s.opts.Box == nil {
		return false
	}
	v, err := s.opts.Box.Open(ch.ID, sealed)
	return err == nil && v == ch.Value
}

// Channels lists a project's channels, oldest first, through the project index. With a
// *store.DamagedError it still returns them all (store.OpenValues).
func (s *Store) Channels(ctx context.Context, projectID string) ([]*check.Channel, error) {
	entries, err := s.query(ctx, &dynamodb.QueryInput{
		IndexName:              aws.String(ProjectIndex),
		KeyConditionExpression: aws.String("#gpk = :gpk AND #gsk = :gsk"),
		ExpressionAttributeNames: map[string]string{
			"#gpk": ProjectIndexPartitionKey, "#gsk": ProjectIndexSortKey,
		},
		ExpressionAttributeValues: item{":gpk": str(projectPrefix + projectID), ":gsk": str(channelSK)},
	}, 0)
	if err != nil {
		return nil, fmt.Errorf("list channels of project %s: %w", projectID, err)
	}
	items, err := s.batchGet(ctx, primaryKeys(entries), false)
	if err != nil {
		return nil, fmt.Errorf("list channels of project %s: %w", projectID, err)
	}
	var out []*check.Channel
	for _, m := range items {
		it, err := unmarshal[channelItem](m)
		if err != nil {
			return nil, fmt.Errorf("list channels of project %s: %w", projectID, err)
		}
		if ch := it.channel(); ch.ProjectID == projectID {
			out = append(out, ch)
		}
	}
	slices.SortFunc(out, func(a, b *check.Channel) int {
		return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.ID, b.ID))
	})
	if err := store.OpenValues(s.opts.Box, out); err != nil {
		var damaged *store.DamagedError
		if errors.As(err, &damaged) {
			return out, fmt.Errorf("list channels of project %s: %w", projectID, err)
		}
		return nil, fmt.Errorf("list channels of project %s: %w", projectID, err)
	}
	return out, nil
}

// UpdateChannel loads a project's channel (strongly consistent), lets fn change it and puts the
// result, its value kept as CreateChannel keeps it, on the condition that the stored value is
// still the one read: each sealing differs, so an update that came between is caught, and the
// whole is tried again, a few times (a value kept in clear text, between a deploy's phases,
// catches only an update that changed it). A channel that is not the project's is
// store.ErrNotFound.
func (s *Store) UpdateChannel(ctx context.Context, projectID, id string, fn func(ch *check.Channel) error) (*check.Channel, error) {
	if err := s.guardWrite(ctx); err != nil {
		return nil, fmt.Errorf("update channel %s: %w", id, err)
	}
	sealed, err := s.sealing(ctx)
	if err != nil {
		return nil, fmt.Errorf("update channel %s: %w", id, err)
	}
	for attempt := 0; ; attempt++ {
		m, err := s.get(ctx, channelKey(id), true)
		if err != nil {
			return nil, fmt.Errorf("update channel %s of project %s: %w", id, projectID, err)
		}
		it, err := unmarshal[channelItem](m)
		if err != nil {
			return nil, fmt.Errorf("update channel %s: %w", id, err)
		}
		if it.ProjectID != projectID {
			return nil, fmt.Errorf("update channel %s of project %s: %w", id, projectID, store.ErrNotFound)
		}
		before := *it
		ch := it.channel()
		if err := store.OpenValue(s.opts.Box, ch); err != nil {
			return nil, fmt.Errorf("update channel %s: %w", id, err)
		}
		if err := fn(ch); err != nil {
			return nil, fmt.Errorf("update channel %s: %w", id, err)
		}
		ch.ID, ch.ProjectID, ch.Kind, ch.Created = id, before.ProjectID, before.Kind, fromMicros(before.Created)
		next := channelToItem(ch)
		if next.Value, err = s.keepValue(ch, sealed); err != nil {
			return nil, fmt.Errorf("update channel %s: %w", id, err)
		}
		nm := marshal(next)
		cond, values := "#pid = :pid AND attribute_not_exists(#val)", item{":pid": str(projectID)}
		if before.Value != "" {
			cond, values[":val"] = "#pid = :pid AND #val = :val", str(before.Value)
		}
		names := map[string]string{"#pid": "pid", "#val": "val"}
		var changed, risen bool
		if sealed {
			err = s.put(ctx, &dynamodb.PutItemInput{
				Item:                      nm,
				ConditionExpression:       aws.String(cond),
				ExpressionAttributeNames:  names,
				ExpressionAttributeValues: values,
			}, func(replaced item) cost { return writeCost(replaced, nm, false) })
			changed = isConditionFailed(err)
		} else {
			// In clear text: only while the minimum reader is below store.SealReader.
			err = s.transact(ctx, []types.TransactWriteItem{
				{Put: &types.Put{
					Item:                      nm,
					ConditionExpression:       aws.String(cond),
					ExpressionAttributeNames:  names,
					ExpressionAttributeValues: values,
				}},
				clearValueCheck(),
			}, func() cost { return writeCost(m, nm, true).plus(conditionCheckCost) })
			reasons := cancelReasons(err)
			changed, risen = reasonIs(reasons, 0, codeConditionFailed), reasonIs(reasons, 1, codeConditionFailed)
		}
		switch {
		case err == nil:
			return ch, nil
		case risen:
			sealed = true // the minimum reader rose since the guard read it: seal after all
			continue
		case !changed:
			return nil, fmt.Errorf("update channel %s: %w", id, err)
		case attempt == 2:
			return nil, fmt.Errorf("update channel %s: changed by others three times over: %w", id, store.ErrConflict)
		}
		if err := backoff(ctx, attempt); err != nil {
			return nil, err
		}
	}
}

// DeleteChannel removes a channel, on the condition that it belongs to the project, then
// unassigns it from the project's checks, one UpdateCheck each. The channel goes first: a
// delete cut short leaves checks naming a channel that no longer exists, which the notifier
// skips, rather than a channel that silently stopped alerting.
func (s *Store) DeleteChannel(ctx context.Context, projectID, id string) error {
	if err := s.guardWrite(ctx); err != nil {
		return fmt.Errorf("delete channel %s: %w", id, err)
	}
	err := s.delete(ctx, &dynamodb.DeleteItemInput{
		Key:                       channelKey(id),
		ConditionExpression:       aws.String("#pid = :pid"),
		ExpressionAttributeNames:  map[string]string{"#pid": "pid"},
		ExpressionAttributeValues: item{":pid": str(projectID)},
	}, func() cost {
		// A channel is a small item: one unit for it, one for its project index entry.
		return cost{table: 1, index: 1}
	})
	if isConditionFailed(err) {
		return fmt.Errorf("delete channel %s of project %s: %w", id, projectID, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("delete channel %s of project %s: %w", id, projectID, err)
	}
	checks, err := s.Checks(ctx, projectID)
	if err != nil {
		return fmt.Errorf("delete channel %s: unassign: %w", id, err)
	}
	for _, c := range checks {
		if !slices.Contains(c.Channels, id) {
			continue
		}
		_, err := s.UpdateCheck(ctx, c.ID, func(c *check.Check) (store.Change, error) {
			c.Channels = slices.DeleteFunc(c.Channels, func(ch string) bool { return ch == id })
			return store.Change{}, nil
		})
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("delete channel %s: unassign: %w", id, err)
		}
	}
	return nil
}

// primaryKeys takes the table keys out of index entries.
func primaryKeys(entries []item) []item {
	keys := make([]item, len(entries))
	for i, e := range entries {
		keys[i] = item{PartitionKey: e[PartitionKey], SortKey: e[SortKey]}
	}
	return keys
}

// sameProject reports whether a stored project is p as written: every field equal, the creation
// time at the store's microsecond precision.
func sameProject(stored, p *check.Project) bool {
	a, b := *stored, *p
	if !a.Created.Equal(b.Created.Truncate(time.Microsecond)) {
		return false
	}
	a.Created, b.Created = time.Time{}, time.Time{}
	return a == b
}
