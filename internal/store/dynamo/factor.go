package dynamo

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/store"
)

// Second factors, recovery codes and challenges (data model version 11) are item types of their
// own; no existing item changes, so the step has nothing to migrate:
//
//	item           pk                 sk                 notes
//	second factor  USER#<user>        FACTOR#<id>        kind, name, public key or sealed secret, counter
//	recovery code  USER#<user>        RECOVERY#<hash>    nothing else: used by a conditional delete
//	challenge      CHALLENGE#<hash>   CHALLENGE          purpose, data; consumed by a conditional delete; TTL
//
// Factors and codes live in their user's partition: a sign-in lists the user's factors with one
// strongly consistent Query, and the factor's counter and a code's existence are the conditions
// that make a code good once (a TOTP step accepted twice, a recovery code used twice, each lose
// to a ConditionalCheckFailed). A challenge is looked up by the hash of the browser's token, as
// a session is.
const (
	factorPrefix    = "FACTOR#"
	recoveryPrefix  = "RECOVERY#"
	challengePrefix = "CHALLENGE#"

	challengeSK = "CHALLENGE"
)

type factorItem struct {
	PK      string `dynamodbav:"pk"`
	SK      string `dynamodbav:"sk"`
	ID      string `dynamodbav:"id"`
	UserID  string `dynamodbav:"uid"`
	Kind    string `dynamodbav:"kind"`
	Name    string `dynamodbav:"nm,omitempty"`
	Public  []byte `dynamodbav:"pub,omitempty"`
	Secret  []byte `dynamodbav:"sec,omitempty"`
	Counter int64  `dynamodbav:"ctr"`
	Created int64  `dynamodbav:"cr,omitempty"`
}

func (it *factorItem) factor() *people.SecondFactor {
	return &people.SecondFactor{ID: it.ID, UserID: it.UserID, Kind: people.FactorKind(it.Kind), Name: it.Name,
		Public: it.Public, Secret: it.Secret, Counter: it.Counter, Created: fromMicros(it.Created)}
}

type challengeItem struct {
	PK      string `dynamodbav:"pk"`
	SK      string `dynamodbav:"sk"`
	UserID  string `dynamodbav:"uid"`
	Purpose string `dynamodbav:"pu"`
	Data    []byte `dynamodbav:"d,omitempty"`
	Created int64  `dynamodbav:"cr,omitempty"`
	Expires int64  `dynamodbav:"ex"`
	TTL     int64  `dynamodbav:"ttl"`
}

func (it *challengeItem) challenge() *people.Challenge {
	return &people.Challenge{IDHash: strings.TrimPrefix(it.PK, challengePrefix), UserID: it.UserID,
		Purpose: people.ChallengePurpose(it.Purpose), Data: it.Data, Created: fromMicros(it.Created), Expires: fromMicros(it.Expires)}
}

func newFactorItem(f *people.SecondFactor) *factorItem {
	return &factorItem{PK: userPrefix + f.UserID, SK: factorPrefix + f.ID, ID: f.ID, UserID: f.UserID,
		Kind: string(f.Kind), Name: f.Name, Public: f.Public, Secret: f.Secret, Counter: f.Counter, Created: micros(f.Created)}
}

func factorKey(userID, factorID string) item { return key(userPrefix+userID, factorPrefix+factorID) }

// CreateSecondFactor puts the factor on a free key, in one transaction with a check that its
// user exists (as SQLite's foreign key does).
func (p *People) CreateSecondFactor(ctx context.Context, f *people.SecondFactor) error {
	if err := f.Validate(); err != nil {
		return fmt.Errorf("create second factor: %w", err)
	}
	if err := p.s.guardWrite(ctx); err != nil {
		return fmt.Errorf("create second factor %s: %w", f.ID, err)
	}
	fi := marshal(newFactorItem(f))
	err := p.transact(ctx, []types.TransactWriteItem{
		{ConditionCheck: &types.ConditionCheck{Key: key(userPrefix+f.UserID, userSK), ConditionExpression: exists,
			ExpressionAttributeNames: pkNames}},
		{Put: &types.Put{Item: fi, ConditionExpression: notExists, ExpressionAttributeNames: pkNames}},
	})
	switch {
	case conditionFailed(err, 0):
		err = store.ErrNotFound
	case conditionFailed(err, 1):
		err = store.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("create second factor %s: %w", f.ID, err)
	}
	return nil
}

// queryUser lists the items of the user's partition whose sort key begins with prefix,
// strongly consistent.
func (p *People) queryUser(ctx context.Context, userID, prefix string) ([]item, error) {
	return p.s.query(ctx, &dynamodb.QueryInput{
		ConsistentRead:            aws.Bool(true),
		KeyConditionExpression:    aws.String("#pk = :pk AND begins_with(#sk, :p)"),
		ExpressionAttributeNames:  map[string]string{"#pk": PartitionKey, "#sk": SortKey},
		ExpressionAttributeValues: item{":pk": str(userPrefix + userID), ":p": str(prefix)},
	}, 0)
}

// SecondFactors queries the user's partition for factors, oldest first.
func (p *People) SecondFactors(ctx context.Context, userID string) ([]*people.SecondFactor, error) {
	items, err := p.queryUser(ctx, userID, factorPrefix)
	if err != nil {
		return nil, fmt.Errorf("list second factors of user %s: %w", userID, err)
	}
	out := make([]*people.SecondFactor, 0, len(items))
	for _, m := range items {
		it, err := unmarshal[factorItem](m)
		if err != nil {
			return nil, fmt.Errorf("list second factors of user %s: %w", userID, err)
		}
		out = append(out, it.factor())
	}
	slices.SortFunc(out, func(a, b *people.SecondFactor) int {
		return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

// AdvanceSecondFactor sets the counter on the condition that the factor exists with a lower
// one; when the condition fails, a strongly consistent read tells a replay from a missing factor.
func (p *People) AdvanceSecondFactor(ctx context.Context, userID, factorID string, counter int64) error {
	if err := p.s.guardWrite(ctx); err != nil {
		return fmt.Errorf("advance second factor %s: %w", factorID, err)
	}
	_, err := p.s.update(ctx, &dynamodb.UpdateItemInput{
		Key:                       factorKey(userID, factorID),
		UpdateExpression:          aws.String("SET #ctr = :c"),
		ConditionExpression:       aws.String("attribute_exists(#pk) AND #ctr < :c"),
		ExpressionAttributeNames:  map[string]string{"#pk": PartitionKey, "#ctr": "ctr"},
		ExpressionAttributeValues: item{":c": num(counter)},
	}, func() cost { return cost{table: 1} })
	if isConditionFailed(err) {
		err = store.ErrConflict
		if m, gerr := p.s.get(ctx, factorKey(userID, factorID), true); gerr != nil {
			err = gerr
		} else if m == nil {
			err = store.ErrNotFound
		}
	}
	if err != nil {
		return fmt.Errorf("advance second factor %s: %w", factorID, err)
	}
	return nil
}

// DeleteSecondFactor deletes the factor on the condition that it exists.
func (p *People) DeleteSecondFactor(ctx context.Context, userID, factorID string) error {
	if err := p.s.guardWrite(ctx); err != nil {
		return fmt.Errorf("delete second factor %s: %w", factorID, err)
	}
	err := p.s.delete(ctx, &dynamodb.DeleteItemInput{Key: factorKey(userID, factorID), ConditionExpression: exists,
		ExpressionAttributeNames: pkNames}, func() cost { return cost{table: 1} })
	if isConditionFailed(err) {
		err = store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("delete second factor %s: %w", factorID, err)
	}
	return nil
}

// SetRecoveryCodes replaces the user's codes in one transaction: each old code is deleted on the
// condition that it is still there, and each new one put on the condition that it is not. Two
// replacements at once (two tabs) therefore cannot both land: the later one finds an old code
// gone, reads again and replaces what the other wrote, so the user is left with one set of ten,
// never twenty; and a failure changes nothing, so no old code survives beside new ones.
func (p *People) SetRecoveryCodes(ctx context.Context, userID string, hashes []string) error {
	if err := p.s.guardWrite(ctx); err != nil {
		return fmt.Errorf("set recovery codes of user %s: %w", userID, err)
	}
	for attempt := 0; attempt < maxAttempts; attempt++ {
		if attempt > 0 {
			if err := backoff(ctx, attempt); err != nil {
				return fmt.Errorf("set recovery codes of user %s: %w", userID, err)
			}
		}
		old, err := p.queryUser(ctx, userID, recoveryPrefix)
		if err != nil {
			return fmt.Errorf("set recovery codes of user %s: %w", userID, err)
		}
		keep := map[string]bool{}
		for _, h := range hashes {
			keep[recoveryPrefix+h] = true
		}
		var items []types.TransactWriteItem
		for _, m := range old {
			it, err := unmarshal[pointerItem](m) // the key alone
			if err != nil {
				return fmt.Errorf("set recovery codes of user %s: %w", userID, err)
			}
			if keep[it.SK] {
				delete(keep, it.SK) // already there: neither deleted nor put again
				continue
			}
			items = append(items, types.TransactWriteItem{Delete: &types.Delete{Key: key(it.PK, it.SK),
				ConditionExpression: exists, ExpressionAttributeNames: pkNames}})
		}
		for _, sk := range slices.Sorted(maps.Keys(keep)) {
			items = append(items, types.TransactWriteItem{Put: &types.Put{Item: key(userPrefix+userID, sk),
				ConditionExpression: notExists, ExpressionAttributeNames: pkNames}})
		}
		if len(items) == 0 {
			return nil
		}
		if len(items) > 100 {
			return fmt.Errorf("set recovery codes of user %s: %d old and new codes are more than one transaction holds", userID, len(items))
		}
		err = p.transact(ctx, items)
		reasons := cancelReasons(err)
		switch {
		case err == nil:
			return nil
		case isTransactionConflict(err), slices.ContainsFunc(reasons, func(r types.CancellationReason) bool {
			c := aws.ToString(r.Code)
			return c == codeConditionFailed || c == codeTransactionConflict
		}):
			continue // another replacement or a use of a code came first: read again
		default:
			return fmt.Errorf("set recovery codes of user %s: %w", userID, err)
		}
	}
	return fmt.Errorf("set recovery codes of user %s: %w", userID, store.ErrConflict)
}

// UseRecoveryCode deletes the code on the condition that it exists: exactly one caller wins.
func (p *People) UseRecoveryCode(ctx context.Context, userID, hash string) error {
	if err := p.s.guardWrite(ctx); err != nil {
		return fmt.Errorf("use recovery code of user %s: %w", userID, err)
	}
	err := p.s.delete(ctx, &dynamodb.DeleteItemInput{Key: key(userPrefix+userID, recoveryPrefix+hash),
		ConditionExpression: exists, ExpressionAttributeNames: pkNames}, func() cost { return cost{table: 1} })
	if isConditionFailed(err) {
		err = store.ErrNotFound
	}
	if err != nil {
		// Never the hash in the message: it identifies the code.
		return fmt.Errorf("use recovery code of user %s: %w", userID, err)
	}
	return nil
}

// RecoveryCodesLeft counts the user's code items (ten at most: one small Query).
func (p *People) RecoveryCodesLeft(ctx context.Context, userID string) (int, error) {
	items, err := p.queryUser(ctx, userID, recoveryPrefix)
	if err != nil {
		return 0, fmt.Errorf("count recovery codes of user %s: %w", userID, err)
	}
	return len(items), nil
}

// RecoveryCodes lists the hashes of the user's unused codes, sorted: one query of the user's
// code items (their sort keys carry the hashes).
func (p *People) RecoveryCodes(ctx context.Context, userID string) ([]string, error) {
	items, err := p.queryUser(ctx, userID, recoveryPrefix)
	if err != nil {
		return nil, fmt.Errorf("list recovery codes of user %s: %w", userID, err)
	}
	out := make([]string, 0, len(items))
	for _, m := range items {
		out = append(out, strings.TrimPrefix(stringOf(m[SortKey]), recoveryPrefix))
	}
	slices.Sort(out)
	return out, nil
}

// CreateChallenge puts the challenge on a free key, with a TTL at its expiry.
func (p *People) CreateChallenge(ctx context.Context, c *people.Challenge) error {
	if err := c.Validate(); err != nil {
		return fmt.Errorf("create challenge: %w", err)
	}
	m := marshal(&challengeItem{PK: challengePrefix + c.IDHash, SK: challengeSK, UserID: c.UserID, Purpose: string(c.Purpose),
		Data: c.Data, Created: micros(c.Created), Expires: micros(c.Expires), TTL: ttlOf(c.Expires)})
	if err := p.putNew(ctx, m); err != nil {
		return fmt.Errorf("create challenge for user %s: %w", c.UserID, err)
	}
	return nil
}

// Challenge reads the challenge (strongly consistent) if it has not expired.
func (p *People) Challenge(ctx context.Context, idHash string, now time.Time) (*people.Challenge, error) {
	m, err := p.s.get(ctx, key(challengePrefix+idHash, challengeSK), true)
	if err == nil && m == nil {
		err = store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load challenge: %w", err)
	}
	it, err := unmarshal[challengeItem](m)
	if err != nil {
		return nil, fmt.Errorf("load challenge: %w", err)
	}
	c := it.challenge()
	if c.Expired(now) {
		return nil, fmt.Errorf("load challenge: %w", store.ErrNotFound)
	}
	return c, nil
}

// ConsumeChallenge deletes and returns the challenge if it has not expired.
func (p *People) ConsumeChallenge(ctx context.Context, idHash string, now time.Time) (*people.Challenge, error) {
	m, err := p.consume(ctx, key(challengePrefix+idHash, challengeSK), now)
	if err != nil {
		return nil, fmt.Errorf("consume challenge: %w", err)
	}
	it, err := unmarshal[challengeItem](m)
	if err != nil {
		return nil, fmt.Errorf("consume challenge: %w", err)
	}
	return it.challenge(), nil
}
