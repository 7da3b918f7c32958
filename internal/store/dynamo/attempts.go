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

// Failed sign-ins are counted in the table (web.Counters), so that every instance of the api
// function sees the same counts:
//
//	item            pk                      sk                    notes
//	attempt count   LIMIT#<sha256 of key>   W#<window, unix s>    n; TTL at the window's end
//
// The key (an email or a client address) is hashed, so the table keeps no list of who tried.
// A failure costs one UpdateItem per key (ADD, no read first: 1 WCU each); the check before a
// sign-in one BatchGetItem of two eventually consistent reads (1 RCU): a count a second behind
// lets a guesser one try more, no more. A new window is a new item, so nothing ever resets a
// count but a successful sign-in (one DeleteItem). Data model 6 readers ignore these items.
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

// Count reads the keys' counts in the window (0 for a key never counted).
func (a *Attempts) Count(ctx context.Context, window time.Time, keys ...string) ([]int, error) {
	ks := make([]item, len(keys))
	index := map[string]int{} // partition key → position in keys
	for i, k := range keys {
		ks[i] = attemptKey(window, k)
		index[ks[i][PartitionKey].(*types.AttributeValueMemberS).Value] = i
	}
	items, err := a.s.batchGet(ctx, ks, false)
	if err != nil {
		return nil, fmt.Errorf("count attempts: %w", err)
	}
	out := make([]int, len(keys))
	for _, m := range items {
		it, err := unmarshal[attemptItem](m)
		if err != nil {
			return nil, fmt.Errorf("count attempts: %w", err)
		}
		if i, ok := index[it.PK]; ok {
			out[i] = it.N
		}
	}
	return out, nil
}

// Add counts one failure for each key in the window: one UpdateItem each, ADD n 1 and the TTL.
func (a *Attempts) Add(ctx context.Context, window, expires time.Time, keys ...string) error {
	if err := a.s.guardWrite(ctx); err != nil {
		return fmt.Errorf("count attempt: %w", err)
	}
	for _, k := range keys {
		_, err := a.s.update(ctx, &dynamodb.UpdateItemInput{
			Key:                       attemptKey(window, k),
			UpdateExpression:          aws.String("ADD #n :one SET #ttl = :ttl"),
			ExpressionAttributeNames:  map[string]string{"#n": limitCount, "#ttl": TTLAttribute},
			ExpressionAttributeValues: item{":one": num(1), ":ttl": num(ttlOf(expires))},
		}, func() cost { return cost{table: 1} })
		if err != nil {
			return fmt.Errorf("count attempt: %w", err)
		}
	}
	return nil
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
