package dynamo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Sign-in attempts and reset requests are counted in the table (web.Counters), so that every
// instance of the api function sees the same counts:
//
//	item            pk                      sk                    notes
//	attempt count   LIMIT#<sha256 of key>   W#<window, unix s>    n; TTL at the window's end
//
// The key (an email, a client address, or both) is hashed, so the table keeps no list of who
// tried. An attempt is counted before it is tried, by one UpdateItem per key that adds and
// returns the new count in one step (ADD, ReturnValues UPDATED_NEW: 1 WCU each, no read), so
// concurrent instances never both take the last free attempt. A new window is a new item, so
// nothing ever resets a count but a successful sign-in (one DeleteItem and one UpdateItem per
// key given back). Data model 6 readers ignore these items.
const (
	limitPrefix   = "LIMIT#"
	limitSKPrefix = "W#"
	limitCount    = "n"
)

// Attempts are the failure counters in the table; they implement web.Counters.
type Attempts struct{ s *Store }

// Attempts returns the store's failure counters.
func (s *Store) Attempts() *Attempts { return &Attempts{s: s} }

// attemptKey is the item of key's count in the window.
func attemptKey(window time.Time, key string) item {
	sum := sha256.Sum256([]byte(key))
	return item{PartitionKey: str(limitPrefix + hex.EncodeToString(sum[:])),
		SortKey: str(limitSKPrefix + strconv.FormatInt(window.Unix(), 10))}
}

// attemptItem is a count as stored.
type attemptItem struct {
	PK  string `dynamodbav:"pk"`
	SK  string `dynamodbav:"sk"`
	N   int    `dynamodbav:"n"`
	TTL int64  `dynamodbav:"ttl"`
}

// Add adds n to each key's count in the window and returns the counts after: one UpdateItem
// each (ADD n, the TTL, ReturnValues UPDATED_NEW), atomic per key.
func (a *Attempts) Add(ctx context.Context, window, expires time.Time, n int, keys ...string) ([]int, error) {
	if err := a.s.guardWrite(ctx); err != nil {
		return nil, fmt.Errorf("count attempt: %w", err)
	}
	out := make([]int, len(keys))
	for i, k := range keys {
		res, err := a.s.update(ctx, &dynamodb.UpdateItemInput{
			Key:                       attemptKey(window, k),
			UpdateExpression:          aws.String("ADD #n :n SET #ttl = :ttl"),
			ExpressionAttributeNames:  map[string]string{"#n": limitCount, "#ttl": TTLAttribute},
			ExpressionAttributeValues: item{":n": num(int64(n)), ":ttl": num(ttlOf(expires))},
			ReturnValues:              types.ReturnValueUpdatedNew,
		}, func() cost { return cost{table: 1} })
		if err != nil {
			return nil, fmt.Errorf("count attempt: %w", err)
		}
		nv, ok := res.Attributes[limitCount].(*types.AttributeValueMemberN)
		if !ok {
			return nil, fmt.Errorf("count attempt: the update returned no count")
		}
		if out[i], err = strconv.Atoi(nv.Value); err != nil {
			return nil, fmt.Errorf("count attempt: count %q: %w", nv.Value, err)
		}
	}
	return out, nil
}

// Reset deletes the key's count in the window.
func (a *Attempts) Reset(ctx context.Context, window time.Time, key string) error {
	if err := a.s.guardWrite(ctx); err != nil {
		return fmt.Errorf("reset attempts: %w", err)
	}
	err := a.s.delete(ctx, &dynamodb.DeleteItemInput{Key: attemptKey(window, key)}, func() cost { return cost{table: 1} })
	if err != nil {
		return fmt.Errorf("reset attempts: %w", err)
	}
	return nil
}
