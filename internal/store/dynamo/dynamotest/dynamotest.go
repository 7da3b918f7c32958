// Package dynamotest gives tests a DynamoDB on moto_server: a client, and tables that are
// created fresh for one test and deleted after it.
//
// `make test` runs the tests under scripts/with-moto.sh, which starts moto on a free loopback
// port and exports OVERDUE_MOTO_URL. Without it the tests fail, saying how to get moto; they
// never skip.
package dynamotest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/overduehq/overdue/internal/schema"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/dynamo"
)

// MotoMissing is the failure message when moto_server is not running.
const MotoMissing = "moto_server is not running: run the tests with 'make test' (which starts it), or install it with pip install 'moto[server]'"

// URL returns moto's base URL, failing the test when it is not set.
func URL(tb testing.TB) string {
	tb.Helper()
	url := os.Getenv("OVERDUE_MOTO_URL")
	if url == "" {
		tb.Fatal(MotoMissing)
	}
	return url
}

// Client returns a DynamoDB client for moto with static test credentials.
func Client(tb testing.TB) *dynamodb.Client {
	tb.Helper()
	url := URL(tb)
	return dynamodb.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	}, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(url) })
}

var seq atomic.Int64

// Table creates a table (dynamo.CreateTable) named prefix-<pid>-<n>, unique to this test
// process, and deletes it when the test ends.
//
// moto answers some requests with a transient error under load and the SDK retries them; a
// retried CreateTable whose first attempt went through then finds the table it made, and a
// retried DeleteTable finds it gone. The name is this process's own, so both mean success.
func Table(tb testing.TB, client *dynamodb.Client, prefix string) string {
	tb.Helper()
	name := fmt.Sprintf("%s-%d-%d", prefix, os.Getpid(), seq.Add(1))
	var inUse *types.ResourceInUseException
	if err := dynamo.CreateTable(context.Background(), client, name); err != nil && !errors.As(err, &inUse) {
		tb.Fatalf("create table %s: %v", name, err)
	}
	tb.Cleanup(func() {
		var gone *types.ResourceNotFoundException
		if _, err := client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: &name}); err != nil && !errors.As(err, &gone) {
			tb.Errorf("delete table %s: %v", name, err)
		}
	})
	return name
}

// ReadyTable is Table with the data model created at this build's version, as the deploy's
// migrate step leaves a new table: stores over it pass the write guard.
func ReadyTable(tb testing.TB, client *dynamodb.Client, prefix string) string {
	tb.Helper()
	name := Table(tb, client, prefix)
	if err := dynamo.New(client, name, store.Options{}).Create(context.Background(), "test", time.Now().UTC()); err != nil {
		tb.Fatalf("create the data model of table %s: %v", name, err)
	}
	return name
}

// SetVersion records v on the table's META item as another build's migration would (a newer
// build's contract step, or a restore), without going through a store of this build.
func SetVersion(tb testing.TB, client *dynamodb.Client, table string, v schema.Version) {
	tb.Helper()
	_, err := client.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
		TableName: &table,
		Key: map[string]types.AttributeValue{
			dynamo.PartitionKey: &types.AttributeValueMemberS{Value: "META"},
			dynamo.SortKey:      &types.AttributeValueMemberS{Value: "SCHEMA"},
		},
		UpdateExpression:         aws.String("SET #v = :v, #r = :r"),
		ExpressionAttributeNames: map[string]string{"#v": "version", "#r": "min_reader"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":v": &types.AttributeValueMemberN{Value: strconv.Itoa(v.Version)},
			":r": &types.AttributeValueMemberN{Value: strconv.Itoa(v.MinReader)},
		},
	})
	if err != nil {
		tb.Fatalf("set the data model of table %s to %v: %v", table, v, err)
	}
}

// ItemCount counts the table's items, with a strongly consistent scan.
func ItemCount(tb testing.TB, client *dynamodb.Client, table string) int {
	tb.Helper()
	n := 0
	in := &dynamodb.ScanInput{TableName: &table, ConsistentRead: aws.Bool(true), Select: types.SelectCount}
	for {
		out, err := client.Scan(context.Background(), in)
		if err != nil {
			tb.Fatalf("scan %s: %v", table, err)
		}
		n += int(out.Count)
		if len(out.LastEvaluatedKey) == 0 {
			return n
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}
