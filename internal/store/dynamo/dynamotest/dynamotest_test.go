package dynamotest_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/overduehq/overdue/internal/store/dynamo"
	"github.com/overduehq/overdue/internal/store/dynamo/dynamotest"
)

// TestConditionalWritesAtomic checks the emulator the store tests run against applies a
// conditional write as DynamoDB does: the condition and the write as one step, so of writers
// racing on one item exactly one wins each round. moto_server alone does not (its threads check
// and then write): scripts/with-moto.sh starts it behind scripts/moto-server.py's per-table
// locks, and without them the stores' concurrency tests (TestConcurrentPings, the reporters'
// claims) fail now and then. So does this test against moto_server alone (1 run in 8 here):
// racing read-and-increment writers lose an increment (159 of 160), or two put-if-absent
// writers both win.
func TestConditionalWritesAtomic(t *testing.T) {
	ctx := context.Background()
	client := dynamotest.Client(t)
	table := dynamotest.Table(t, client, "atomic")
	const writers = 8

	key := func(pk string) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{
			dynamo.PartitionKey: &types.AttributeValueMemberS{Value: pk},
			dynamo.SortKey:      &types.AttributeValueMemberS{Value: "x"},
		}
	}
	var failed error
	var mu sync.Mutex
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if failed == nil {
			failed = err
		}
	}

	// Put-if-absent: one winner per key.
	const rounds = 30
	for r := 0; r < rounds; r++ {
		var wins sync.WaitGroup
		var won int
		for w := 0; w < writers; w++ {
			wins.Add(1)
			go func() {
				defer wins.Done()
				item := key(fmt.Sprintf("claim-%d", r))
				item["w"] = &types.AttributeValueMemberN{Value: strconv.Itoa(w)}
				_, err := client.PutItem(ctx, &dynamodb.PutItemInput{
					TableName: &table, Item: item,
					ConditionExpression: aws.String("attribute_not_exists(pk)"),
				})
				var lost *types.ConditionalCheckFailedException
				switch {
				case err == nil:
					mu.Lock()
					won++
					mu.Unlock()
				case !errors.As(err, &lost):
					fail(err)
				}
			}()
		}
		wins.Wait()
		if failed != nil {
			t.Fatal(failed)
		}
		if won != 1 {
			t.Fatalf("round %d: %d writers won a put-if-absent, want 1", r, won)
		}
	}

	// Read, then write the next value if the item still holds the read one.
	counter := key("counter")
	counter["n"] = &types.AttributeValueMemberN{Value: "0"}
	if _, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: counter}); err != nil {
		t.Fatal(err)
	}
	const each = 20
	var incs sync.WaitGroup
	for w := 0; w < writers; w++ {
		incs.Add(1)
		go func() {
			defer incs.Done()
			for done := 0; done < each; {
				got, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: key("counter"), ConsistentRead: aws.Bool(true)})
				if err != nil {
					fail(err)
					return
				}
				old := got.Item["n"].(*types.AttributeValueMemberN).Value
				n, _ := strconv.Atoi(old)
				_, err = client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
					TableName: &table, Key: key("counter"),
					UpdateExpression:    aws.String("SET n = :new"),
					ConditionExpression: aws.String("n = :old"),
					ExpressionAttributeValues: map[string]types.AttributeValue{
						":new": &types.AttributeValueMemberN{Value: strconv.Itoa(n + 1)},
						":old": &types.AttributeValueMemberN{Value: old},
					},
				})
				var lost *types.ConditionalCheckFailedException
				switch {
				case err == nil:
					done++
				case !errors.As(err, &lost):
					fail(err)
					return
				}
			}
		}()
	}
	incs.Wait()
	if failed != nil {
		t.Fatal(failed)
	}
	got, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: key("counter"), ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if n := got.Item["n"].(*types.AttributeValueMemberN).Value; n != strconv.Itoa(writers*each) {
		t.Fatalf("counter = %s after %d acknowledged conditional increments, want %d", n, writers*each, writers*each)
	}
}
