package dynamo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// pkNames is the placeholder for the partition key in conditions ("pk" is not reserved, but
// the placeholder keeps every expression uniform).
var pkNames = map[string]string{"#pk": PartitionKey}

// CreateCheck stores a new check. It is store.ErrConflict if the ID is taken and
// store.ErrNotFound if the project does not exist: one transaction checks the project and puts
// the check and its badge lookup. The lookup is put without a condition: badge keys are random,
// grant nothing, and their uniqueness is not enforced (as in the SQLite store).
func (s *Store) CreateCheck(ctx context.Context, c *check.Check) error {
	if err := s.guardWrite(ctx); err != nil {
		return fmt.Errorf("create check %s: %w", c.ID, err)
	}
	it := checkToItem(c, 1, s.opts.PingLimit)
	if s.bucketsOnly(ctx) {
		it.DueShard = ""
	}
	m := marshal(it)
	items := []types.TransactWriteItem{
		{ConditionCheck: &types.ConditionCheck{
			Key:                      projectKey(c.ProjectID),
			ConditionExpression:      aws.String("attribute_exists(#pk)"),
			ExpressionAttributeNames: pkNames,
		}},
		{Put: &types.Put{
			Item:                     m,
			ConditionExpression:      aws.String("attribute_not_exists(#pk)"),
			ExpressionAttributeNames: pkNames,
		}},
	}
	var lookup item
	if c.BadgeKey != "" {
		lookup = marshal(checkBadgeToItem(c.BadgeKey, c.ID))
		items = append(items, types.TransactWriteItem{Put: &types.Put{Item: lookup}})
	}
	err := s.transact(ctx, items, func() cost {
		c := conditionCheckCost.plus(writeCost(nil, m, true))
		if lookup != nil {
			c = c.plus(writeCost(nil, lookup, true))
		}
		return c
	})
	reasons := cancelReasons(err)
	switch {
	case err == nil:
		s.seen.note(c.ID, it.AlertAfter)
		return nil
	case reasonIs(reasons, 0, codeConditionFailed):
		return fmt.Errorf("create check %s: project %s: %w", c.ID, c.ProjectID, store.ErrNotFound)
	case reasonIs(reasons, 1, codeConditionFailed):
		// A retried request whose first attempt was applied finds our own check: success.
		if got, gerr := s.Check(ctx, c.ID); gerr == nil && got.ProjectID == c.ProjectID && got.Name == c.Name &&
			got.BadgeKey == c.BadgeKey && got.Created.Equal(c.Created.Truncate(time.Microsecond)) {
			return nil
		}
		return fmt.Errorf("create check %s: %w", c.ID, store.ErrConflict)
	}
	return fmt.Errorf("create check %s: %w", c.ID, err)
}

// Check loads a check by ID. The read is strongly consistent: a client that has just created
// or changed a check (Terraform reads back what it wrote) must see it.
func (s *Store) Check(ctx context.Context, id string) (*check.Check, error) {
	m, err := s.get(ctx, checkKey(id), true)
	if err != nil {
		return nil, fmt.Errorf("load check %s: %w", id, err)
	}
	if m == nil {
		return nil, fmt.Errorf("load check %s: %w", id, store.ErrNotFound)
	}
	it, err := unmarshal[checkItem](m)
	if err != nil {
		return nil, fmt.Errorf("load check %s: %w", id, err)
	}
	return it.check(), nil
}

// CheckByBadgeKey finds the check with this badge key, as it is now: an eventually consistent
// read of its badge lookup, which names the check, then of the check (strongly consistent only
// if the first read misses it, as for a check created a moment ago). A lookup whose check is
// gone, or now has another badge key, finds nothing.
//
// A check that a version 1 or 2 build created after the table was migrated to version 3 has no
// lookup until this build's UpdateCheck first writes it (its next ping); until then its badge
// is not found. Unlike a project's, a check badge URL carries no signature, so a miss must stay
// one read: there is no fallback that reads the checks.
func (s *Store) CheckByBadgeKey(ctx context.Context, key string) (*check.Check, error) {
	notFound := fmt.Errorf("find check by badge key %q: %w", key, store.ErrNotFound)
	if key == "" {
		return nil, notFound
	}
	m, err := s.get(ctx, checkBadgeKey(key), false)
	if err != nil {
		return nil, fmt.Errorf("find check by badge key %q: %w", key, err)
	}
	if m == nil {
		return nil, notFound
	}
	lookup, err := unmarshal[checkBadgeItem](m)
	if err != nil {
		return nil, fmt.Errorf("find check by badge key %q: %w", key, err)
	}
	cm, err := s.get(ctx, checkKey(lookup.CheckID), false)
	if err == nil && cm == nil {
		cm, err = s.get(ctx, checkKey(lookup.CheckID), true)
	}
	if err != nil {
		return nil, fmt.Errorf("find check by badge key %q: %w", key, err)
	}
	if cm == nil {
		return nil, notFound
	}
	it, err := unmarshal[checkItem](cm)
	if err != nil {
		return nil, fmt.Errorf("find check by badge key %q: %w", key, err)
	}
	if it.BadgeKey != key {
		return nil, notFound
	}
	return it.check(), nil
}

// putCheckBadgeLookup writes the badge lookup of a check item that lacks one (no bkl): one
// written by a version 1 or 2 build. A lookup already there, the check's own or another
// check's with the same key, is left alone.
func (s *Store) putCheckBadgeLookup(ctx context.Context, it *checkItem) error {
	m := marshal(checkBadgeToItem(it.BadgeKey, strings.TrimPrefix(it.PK, checkPrefix)))
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

// Checks lists a project's checks, oldest first: the project index gives their keys, one
// BatchGetItem per hundred checks their items.
func (s *Store) Checks(ctx context.Context, projectID string) ([]*check.Check, error) {
	keys, err := s.query(ctx, &dynamodb.QueryInput{
		IndexName:              aws.String(ProjectIndex),
		KeyConditionExpression: aws.String("#gpk = :gpk AND begins_with(#gsk, :gsk)"),
		ExpressionAttributeNames: map[string]string{
			"#gpk": ProjectIndexPartitionKey, "#gsk": ProjectIndexSortKey,
		},
		ExpressionAttributeValues: item{":gpk": str(projectPrefix + projectID), ":gsk": str(checkPrefix)},
	}, 0)
	if err != nil {
		return nil, fmt.Errorf("list checks of project %s: %w", projectID, err)
	}
	out, err := s.loadChecks(ctx, keys, func(c *check.Check) bool { return c.ProjectID == projectID })
	if err != nil {
		return nil, fmt.Errorf("list checks of project %s: %w", projectID, err)
	}
	return out, nil
}

// ChecksBySlug lists a project's checks with exactly this slug, oldest first.
func (s *Store) ChecksBySlug(ctx context.Context, projectID, slug string) ([]*check.Check, error) {
	keys, err := s.query(ctx, &dynamodb.QueryInput{
		IndexName:              aws.String(ProjectIndex),
		KeyConditionExpression: aws.String("#gpk = :gpk AND #gsk = :gsk"),
		ExpressionAttributeNames: map[string]string{
			"#gpk": ProjectIndexPartitionKey, "#gsk": ProjectIndexSortKey,
		},
		ExpressionAttributeValues: item{":gpk": str(projectPrefix + projectID), ":gsk": str(checkPrefix + slug)},
	}, 0)
	if err != nil {
		return nil, fmt.Errorf("find checks of project %s by slug %q: %w", projectID, slug, err)
	}
	// The index is eventually consistent: a check renamed a moment ago may still be listed
	// under its old slug, so the items have the last word.
	out, err := s.loadChecks(ctx, keys, func(c *check.Check) bool {
		return c.ProjectID == projectID && c.Slug == slug
	})
	if err != nil {
		return nil, fmt.Errorf("find checks of project %s by slug %q: %w", projectID, slug, err)
	}
	return out, nil
}

// loadChecks fetches the checks that index entries point to, keeps those keep accepts and
// orders them oldest first (ties by ID: DynamoDB keeps no insertion order).
func (s *Store) loadChecks(ctx context.Context, entries []item, keep func(*check.Check) bool) ([]*check.Check, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	items, err := s.batchGet(ctx, primaryKeys(entries), false)
	if err != nil {
		return nil, err
	}
	var out []*check.Check
	for _, m := range items {
		it, err := unmarshal[checkItem](m)
		if err != nil {
			return nil, err
		}
		if c := it.check(); keep(c) {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b *check.Check) int {
		return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

// UpdateCheck loads the check, calls fn, and writes the check with fn's Change.
//
// The check is written with UpdateItem on the condition that its version is still the one
// read. Without a flip, the ping is put after the check, outside a transaction: its number was
// assigned by the conditional write, so no other writer can claim it, and a transaction would
// double the cost of both writes on every ping. With a flip, check, ping and flip go in one
// TransactWriteItems: the flip is the notifier's outbox and must exist exactly when the status
// changed.
//
// A lost condition comes back with the check as it now is (ReturnValuesOnConditionCheckFailure,
// at no charge), and fn is called again on that at once; after a second loss, each retry
// waits a jittered, growing backoff and reads the check again (strongly consistent), at most
// maxAttempts attempts in all; then it is store.ErrConflict. Every write carries a random
// token, so that a write that did happen but was retried by the SDK (a timeout after DynamoDB
// applied it) is recognised as ours rather than as a lost race, and fn's change is not
// applied twice.
//
// The first read is eventually consistent, half the price of a strong one: a stale copy only
// loses the condition. SET and REMOVE name only the attributes the domain maps to, so
// attributes this build does not know survive. Calls for one check in this process take turns
// (see checkLocks), so fn must not call UpdateCheck itself.
func (s *Store) UpdateCheck(ctx context.Context, id string, fn func(c *check.Check) (store.Change, error)) (*check.Check, error) {
	return s.updateCheck(ctx, id, fn, nil)
}

// updateCheck is UpdateCheck with, when extra is set, one more item for the write's
// transaction: extra sees the check's DependsOn as read and the check as fn left it, and
// returns the item (a condition another writer may have broken since fn ran: losing it is
// errGraphLost) or nil for none.
func (s *Store) updateCheck(ctx context.Context, id string, fn func(c *check.Check) (store.Change, error),
	extra func(prevDeps []string, c *check.Check) (*types.TransactWriteItem, error)) (*check.Check, error) {
	if err := s.guardWrite(ctx); err != nil {
		return nil, fmt.Errorf("update check %s: %w", id, err)
	}
	unlock, err := s.locks.lock(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("update check %s: %w", id, err)
	}
	defer unlock()

	old, err := s.get(ctx, checkKey(id), false)
	if err == nil && old == nil {
		// An eventually consistent read can miss a check created a moment ago.
		old, err = s.get(ctx, checkKey(id), true)
	}
	if err != nil {
		return nil, fmt.Errorf("update check %s: %w", id, err)
	}
	if err := s.ensureBadgeLookup(ctx, old); err != nil {
		return nil, fmt.Errorf("update check %s: %w", id, err)
	}
	graphLosses := 0
	for attempt := 1; ; attempt++ {
		if len(old) == 0 {
			return nil, fmt.Errorf("update check %s: %w", id, store.ErrNotFound)
		}
		prev, err := unmarshal[checkItem](old)
		if err != nil {
			return nil, fmt.Errorf("update check %s: %w", id, err)
		}
		c := prev.check()
		if !c.RunsCurrent() {
			// Pinged by a build that did not keep runs: rebuilt from the pings (one query,
			// once per check), and written with fn's change.
			pings, err := s.Pings(ctx, id, s.opts.PingLimit)
			if err != nil {
				return nil, fmt.Errorf("update check %s: rebuild its runs: %w", id, err)
			}
			c.RebuildRuns(pings)
		}
		prevDeps := slices.Clone(c.DependsOn)
		change, err := fn(c)
		if err != nil {
			return nil, err
		}
		if c.ID != id || c.ProjectID != prev.ProjectID {
			return nil, fmt.Errorf("update check %s: fn moved the check to ID %s, project %s: IDs cannot change",
				id, c.ID, c.ProjectID)
		}
		var more *types.TransactWriteItem
		if extra != nil {
			if more, err = extra(prevDeps, c); err != nil {
				return nil, fmt.Errorf("update check %s: %w", id, err)
			}
		}
		written, current, err := s.writeCheck(ctx, prev, old, c, change, more)
		if !errors.Is(err, errLost) {
			if err != nil {
				return nil, fmt.Errorf("update check %s: %w", id, err)
			}
			return written, nil
		}
		if errors.Is(err, errGraphLost) {
			if graphLosses++; graphLosses == maxGraphAttempts {
				return nil, fmt.Errorf("update check %s: other changes to the dependencies of project %s came first %d times: %w",
					id, c.ProjectID, graphLosses, store.ErrConflict)
			}
		}
		if attempt == maxAttempts {
			return nil, fmt.Errorf("update check %s: lost to other writers %d times: %w", id, attempt, store.ErrConflict)
		}
		if attempt == 1 && current != nil {
			// The check as it is now came back with the failure: one more try at once settles
			// the usual race of two (a start and a success ping) without a read.
			old = current
			continue
		}
		// Many writers: wait, so that they spread out, then read the check as it is by then.
		if err := backoff(ctx, attempt-1); err != nil {
			return nil, fmt.Errorf("update check %s: %w", id, err)
		}
		if old, err = s.get(ctx, checkKey(id), true); err != nil {
			return nil, fmt.Errorf("update check %s: %w", id, err)
		}
	}
}

// ensureBadgeLookup gives a check read without its badge lookup (bkl absent: written by a
// version 1 or 2 build) the lookup, before UpdateCheck writes it: the write then sets bkl with
// the check's other attributes (checkToItem sets it), so the lookup exists whenever bkl says so,
// and a check pays for this once.
func (s *Store) ensureBadgeLookup(ctx context.Context, old item) error {
	if len(old) == 0 || old["bkl"] != nil || stringOf(old["bk"]) == "" {
		return nil
	}
	it, err := unmarshal[checkItem](old)
	if err != nil {
		return err
	}
	if err := s.putCheckBadgeLookup(ctx, it); err != nil {
		return fmt.Errorf("write the missing badge lookup: %w", err)
	}
	return nil
}

// errLost is writeCheck's answer when another writer changed the check since it was read.
var errLost = errors.New("lost the write condition")

// writeCheck writes c over prev (old as read) with change, and extra, when not nil, in the
// same transaction. When another writer got there first it returns errLost with the check item
// as it now is (nil if DynamoDB did not return it, and an empty item if the check is gone), or
// errGraphLost when extra's condition failed. It sets the flip's ID once the flip is written.
func (s *Store) writeCheck(ctx context.Context, prev *checkItem, old item, c *check.Check, change store.Change, extra *types.TransactWriteItem) (*check.Check, item, error) {
	ring := prev.Ring
	if ring <= 0 {
		ring = s.opts.PingLimit
	}
	version := prev.Version + 1
	nextIt := checkToItem(c, version, ring)
	if s.bucketsOnly(ctx) {
		nextIt.DueShard = "" // out of the exact index (see bucketReader)
	}
	next := marshal(nextIt)
	set, remove := diff(old, next, checkAttrs)
	if len(set) == 0 && len(remove) == 0 && change.Ping == nil && change.Flip == nil && extra == nil {
		return prev.check(), nil, nil // nothing to write
	}
	token := strconv.FormatUint(rand.Uint64(), 36)
	upd := updateExpr(set, remove, next, prev.Version, version, token)
	upd.Key = checkKey(c.ID)
	after := applyDiff(old, next, set, remove)
	after[writeTokenAttr] = str(token)
	ours := func(current item) bool { return stringOf(current[writeTokenAttr]) == token }

	var ping item
	if change.Ping != nil {
		ping = marshal(pingToItem(c.ID, change.Ping, ring))
	}
	if change.Flip == nil && extra == nil {
		_, err := s.update(ctx, &dynamodb.UpdateItemInput{
			Key:                                 upd.Key,
			UpdateExpression:                    upd.UpdateExpression,
			ConditionExpression:                 upd.ConditionExpression,
			ExpressionAttributeNames:            upd.ExpressionAttributeNames,
			ExpressionAttributeValues:           upd.ExpressionAttributeValues,
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}, func() cost { return writeCost(old, after, false) })
		var ccf *types.ConditionalCheckFailedException
		switch {
		case errors.As(err, &ccf) && !ours(ccf.Item):
			return nil, orEmpty(ccf.Item), errLost
		case errors.As(err, &ccf): // our own write, retried after it was applied
		case isTransactionConflict(err):
			return nil, nil, errLost
		case err != nil:
			return nil, nil, err
		}
		s.seen.note(c.ID, nextIt.AlertAfter)
		if ping != nil {
			if err := s.putPing(ctx, ping); err != nil {
				return nil, nil, fmt.Errorf("check written, ping %d not: %w", change.Ping.N, err)
			}
		}
		return nextIt.check(), nil, nil
	}

	var fid string
	var flip item
	if change.Flip != nil {
		fid = flipID(change.Flip.Created, version)
		flip = marshal(flipToItem(c.ID, fid, change.Flip, s.opts.FlipRetention))
	}
	upd.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	items := []types.TransactWriteItem{{Update: upd}}
	if ping != nil {
		items = append(items, types.TransactWriteItem{Put: &types.Put{
			Item:                      ping,
			ConditionExpression:       aws.String(pingCondition),
			ExpressionAttributeNames:  pingConditionNames,
			ExpressionAttributeValues: item{":n": ping["n"]},
		}})
	}
	if flip != nil {
		items = append(items, types.TransactWriteItem{Put: &types.Put{
			Item:                     flip,
			ConditionExpression:      aws.String("attribute_not_exists(#pk)"),
			ExpressionAttributeNames: pkNames,
		}})
	}
	if extra != nil {
		items = append(items, *extra)
	}
	err := s.transact(ctx, items, func() cost {
		// The ping's slot may hold an older ping of another size; modelled as the same size.
		c := writeCost(old, after, true).plus(writeCost(nil, ping, true)).plus(writeCost(nil, flip, true))
		if extra != nil {
			c = c.plus(cost{table: 2}) // the graph version: a small item, written in a transaction
		}
		return c
	})
	reasons := cancelReasons(err)
	switch {
	case err == nil:
	case reasonIs(reasons, 0, codeConditionFailed) && ours(reasons[0].Item):
		// Our own transaction, retried after it was applied. (DynamoDB itself answers such a
		// retry with success: the SDK sends the same ClientRequestToken. moto does not.)
	case reasonIs(reasons, 0, codeConditionFailed):
		return nil, orEmpty(reasons[0].Item), errLost
	case extra != nil && reasonIs(reasons, len(items)-1, codeConditionFailed):
		return nil, nil, errGraphLost
	case slices.ContainsFunc(reasons, func(r types.CancellationReason) bool {
		return aws.ToString(r.Code) == codeTransactionConflict
	}):
		return nil, nil, errLost
	default:
		return nil, nil, err
	}
	s.seen.note(c.ID, nextIt.AlertAfter)
	if change.Flip != nil {
		change.Flip.ID = fid
	}
	return nextIt.check(), nil, nil
}

// writeTokenAttr holds the random token of the last UpdateCheck write of a check.
const writeTokenAttr = "wt"

// orEmpty turns the "no item" of a failed condition into an empty, non-nil item: the check
// is gone.
func orEmpty(it item) item {
	if it == nil {
		return item{}
	}
	return it
}

// pingCondition lets a ping into its ring slot unless a newer ping is there already: a put
// delayed past a whole turn of the ring must not overwrite the ping that replaced it.
const pingCondition = "attribute_not_exists(#pk) OR #n < :n"

var pingConditionNames = map[string]string{"#pk": PartitionKey, "#n": "n"}

// putPing writes a ping into its slot. A newer ping in the slot means this one has already
// left the history, so losing the condition is not an error.
func (s *Store) putPing(ctx context.Context, ping item) error {
	err := s.put(ctx, &dynamodb.PutItemInput{
		Item:                      ping,
		ConditionExpression:       aws.String(pingCondition),
		ExpressionAttributeNames:  pingConditionNames,
		ExpressionAttributeValues: item{":n": ping["n"]},
	}, func(replaced item) cost { return writeCost(replaced, ping, false) })
	if isConditionFailed(err) {
		return nil
	}
	return err
}

// diff lists the attributes among owned that next sets to a new value and those it no
// longer has.
func diff(old, next item, owned []string) (set, remove []string) {
	for _, name := range owned {
		nv, has := next[name]
		ov, had := old[name]
		switch {
		case has && (!had || !reflect.DeepEqual(ov, nv)):
			set = append(set, name)
		case !has && had:
			remove = append(remove, name)
		}
	}
	return set, remove
}

// applyDiff is old with the diff applied: the item as the update leaves it.
func applyDiff(old, next item, set, remove []string) item {
	after := make(item, len(old)+len(set))
	for k, v := range old {
		after[k] = v
	}
	for _, k := range set {
		after[k] = next[k]
	}
	for _, k := range remove {
		delete(after, k)
	}
	after["v"] = next["v"]
	return after
}

// updateExpr is the conditional update from version from to version to that sets and
// removes the named attributes and records the write's token. Every name goes through a
// placeholder: many (name, desc, kind, status...) are reserved words.
func updateExpr(set, remove []string, next item, from, to int64, token string) *types.Update {
	names := map[string]string{"#v": "v", "#wt": writeTokenAttr}
	values := item{":v": num(to), ":from": num(from), ":wt": str(token)}
	var b strings.Builder
	b.WriteString("SET #v = :v, #wt = :wt")
	for i, name := range set {
		ph := strconv.Itoa(i)
		names["#s"+ph] = name
		values[":s"+ph] = next[name]
		fmt.Fprintf(&b, ", #s%s = :s%s", ph, ph)
	}
	for i, name := range remove {
		ph := strconv.Itoa(i)
		names["#r"+ph] = name
		if i == 0 {
			b.WriteString(" REMOVE ")
		} else {
			b.WriteString(", ")
		}
		b.WriteString("#r" + ph)
	}
	return &types.Update{
		UpdateExpression:          aws.String(b.String()),
		ConditionExpression:       aws.String("#v = :from"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	}
}

// DeleteCheck removes a check with its pings, flips and badge lookup. Those go first, the check
// last, so that a delete cut short leaves a check that can be deleted again rather than items
// nobody can reach. (A ping racing the delete can still land after it; its TTL removes it.)
func (s *Store) DeleteCheck(ctx context.Context, id string) error {
	if err := s.guardWrite(ctx); err != nil {
		return fmt.Errorf("delete check %s: %w", id, err)
	}
	all, err := s.query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  pkNames,
		ExpressionAttributeValues: item{":pk": str(checkPrefix + id)},
		ConsistentRead:            aws.Bool(true),
	}, 0)
	if err != nil {
		return fmt.Errorf("delete check %s: %w", id, err)
	}
	var (
		found    item
		children []types.WriteRequest
		sizes    = make(map[string]int)
	)
	for _, m := range all {
		sk := m[SortKey].(*types.AttributeValueMemberS).Value
		if sk == checkSK {
			found = m
			continue
		}
		sizes[sk] = itemSize(m)
		children = append(children, types.WriteRequest{DeleteRequest: &types.DeleteRequest{
			Key: item{PartitionKey: m[PartitionKey], SortKey: m[SortKey]},
		}})
	}
	err = s.batchWrite(ctx, children, func(w types.WriteRequest) cost {
		// Unprocessed flips also leave the outbox index; few enough to leave out.
		return cost{table: writeUnits(sizes[w.DeleteRequest.Key[SortKey].(*types.AttributeValueMemberS).Value])}
	})
	if err != nil {
		return fmt.Errorf("delete check %s: delete pings and flips: %w", id, err)
	}
	if found == nil {
		return fmt.Errorf("delete check %s: %w", id, store.ErrNotFound)
	}
	// Before the check goes, so that a failure here leaves it to be deleted again.
	if err := s.dropParent(ctx, stringOf(found["pid"]), id); err != nil {
		return fmt.Errorf("delete check %s: %w", id, err)
	}
	if bk := stringOf(found["bk"]); bk != "" {
		// Only the check's own lookup: another check may share the key.
		err := s.delete(ctx, &dynamodb.DeleteItemInput{
			Key:                       checkBadgeKey(bk),
			ConditionExpression:       aws.String("#cid = :cid"),
			ExpressionAttributeNames:  map[string]string{"#cid": "cid"},
			ExpressionAttributeValues: item{":cid": str(id)},
		}, func() cost { return cost{table: 1} })
		if err != nil && !isConditionFailed(err) {
			return fmt.Errorf("delete check %s: delete its badge lookup: %w", id, err)
		}
	}
	err = s.delete(ctx, &dynamodb.DeleteItemInput{
		Key:                      checkKey(id),
		ConditionExpression:      aws.String("attribute_exists(#pk)"),
		ExpressionAttributeNames: pkNames,
	}, func() cost { return writeCost(found, nil, false) })
	if isConditionFailed(err) {
		return fmt.Errorf("delete check %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("delete check %s: %w", id, err)
	}
	s.seen.note(id, 0)
	return nil
}

// dropParent removes id from the DependsOn of the project's checks that list it: one query of
// the project index, and one conditional write per such check. A check the index has not yet
// shown with id keeps a dangling entry, which the rules read as a parent that is not down.
func (s *Store) dropParent(ctx context.Context, projectID, id string) error {
	checks, err := s.Checks(ctx, projectID)
	if err != nil {
		return fmt.Errorf("find checks depending on it: %w", err)
	}
	for _, c := range checks {
		if !slices.Contains(c.DependsOn, id) {
			continue
		}
		_, err := s.UpdateCheck(ctx, c.ID, func(c *check.Check) (store.Change, error) {
			c.DropParent(id)
			return store.Change{}, nil
		})
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("drop it from the depends_on of check %s: %w", c.ID, err)
		}
	}
	return nil
}

func numberOf(v types.AttributeValue) (int64, error) {
	n, ok := v.(*types.AttributeValueMemberN)
	if !ok {
		return 0, fmt.Errorf("attribute is %T, want a number", v)
	}
	return strconv.ParseInt(n.Value, 10, 64)
}

func stringOf(v types.AttributeValue) string {
	if s, ok := v.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}
