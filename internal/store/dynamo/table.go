package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TableGeneration is the generation of the key schema below. It goes into the table name,
// overdue-<stage>-v<generation>: a change to the table's keys, or to the keys or projection of
// an index, is a new generation, filled by a migration, never an edit of a live table. Adding
// an index is not: DynamoDB builds a new global secondary index on a live table (CloudFormation
// adds one per deployment), so a data-model step may add one and back-fill its keys, and a
// later one drop an index nothing reads any more.
const TableGeneration = 1

// The table's physical attribute and index names, for the CDK app to create the same table.
// Attributes not named here are the store's own business (see the item structs).
const (
	// PartitionKey and SortKey (both strings) are the table's primary key.
	PartitionKey = "pk"
	SortKey      = "sk"
	// TTLAttribute holds the epoch second after which DynamoDB may delete an item (pings and
	// processed flips only).
	TTLAttribute = "ttl"

	// DueIndex is the sparse index the sweep reads: only checks that can go down by themselves
	// carry its keys. Partition DueShardAttribute (string, "DUE#00".."DUE#15"), sort
	// AlertAfterAttribute (number, microseconds since the epoch). Projection: keys only.
	DueIndex            = "due"
	DueShardAttribute   = "dsh"
	AlertAfterAttribute = "aa"

	// DueBucketIndex is the due index by bucket (data model version 19): the same checks as
	// DueIndex, keyed by the start of the bucket that holds their AlertAfter rather than by
	// AlertAfter itself, so that a ping that keeps the deadline in its bucket leaves the entry
	// where it is (due.go). Partition DueBucketShardAttribute (string, "DUE#00".."DUE#15", the
	// check's shard), sort DueBucketAttribute (number, the bucket's start in seconds since the
	// epoch). Projection: keys only.
	DueBucketIndex          = "bucket"
	DueBucketShardAttribute = "dbs"
	DueBucketAttribute      = "dbk"

	// ProjectIndex lists what belongs to a project and every project. Partition
	// ProjectIndexPartitionKey (string), sort ProjectIndexSortKey (string). Projection: keys only.
	ProjectIndex             = "project"
	ProjectIndexPartitionKey = "gpk"
	ProjectIndexSortKey      = "gsk"

	// UnprocessedIndex holds the notifier's work lists: flips not yet processed (the outbox),
	// deliveries in progress (the retry queue) and each project's parked deliveries, each in
	// partitions of its own; nothing else carries its keys. Partition UnprocessedPartitionKey
	// (string), sort UnprocessedSortKey (string). Projection: all attributes (the items are
	// small, and on a list only for a short while or, parked, without changing).
	UnprocessedIndex        = "unprocessed"
	UnprocessedPartitionKey = "upk"
	UnprocessedSortKey      = "usk"

	// FlipSortKeyPrefix begins the sort key of every flip item, and of no other item: a stream
	// filter (the CDK app's event source) or consumer can tell flips by it. FlipFromImage
	// decodes them.
	FlipSortKeyPrefix = "FLIP#"

	// DueShards is how many partitions the due index spreads checks over. Every sweep queries
	// each of them, so it is part of the data model: changing it is a migration.
	DueShards = 16
)

// indexSpec describes a global secondary index: its keys and whether it projects every
// attribute (true) or only the keys. CreateTable and the capacity model both read it.
type indexSpec struct {
	name     string
	pk, sk   string
	skNumber bool // the sort key is a number; all other index keys are strings
	all      bool
}

var indexes = []indexSpec{
	{name: DueIndex, pk: DueShardAttribute, sk: AlertAfterAttribute, skNumber: true},
	{name: DueBucketIndex, pk: DueBucketShardAttribute, sk: DueBucketAttribute, skNumber: true},
	{name: ProjectIndex, pk: ProjectIndexPartitionKey, sk: ProjectIndexSortKey},
	{name: UnprocessedIndex, pk: UnprocessedPartitionKey, sk: UnprocessedSortKey, all: true},
}

// CreateTable creates the store's table as the CDK app does: the primary key, the four
// indexes, on-demand billing, a stream with new and old images, and TTL on TTLAttribute. It
// waits until the table is ACTIVE. Point-in-time recovery is left to the deployment.
func CreateTable(ctx context.Context, client *dynamodb.Client, table string) error {
	attrs := []types.AttributeDefinition{
		{AttributeName: aws.String(PartitionKey), AttributeType: types.ScalarAttributeTypeS},
		{AttributeName: aws.String(SortKey), AttributeType: types.ScalarAttributeTypeS},
	}
	var gsis []types.GlobalSecondaryIndex
	for _, ix := range indexes {
		skType := types.ScalarAttributeTypeS
		if ix.skNumber {
			skType = types.ScalarAttributeTypeN
		}
		attrs = append(attrs,
			types.AttributeDefinition{AttributeName: aws.String(ix.pk), AttributeType: types.ScalarAttributeTypeS},
			types.AttributeDefinition{AttributeName: aws.String(ix.sk), AttributeType: skType})
		projection := types.ProjectionTypeKeysOnly
		if ix.all {
			projection = types.ProjectionTypeAll
		}
		gsis = append(gsis, types.GlobalSecondaryIndex{
			IndexName: aws.String(ix.name),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(ix.pk), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(ix.sk), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: projection},
		})
	}
	_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		AttributeDefinitions: attrs,
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(PartitionKey), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(SortKey), KeyType: types.KeyTypeRange},
		},
		GlobalSecondaryIndexes: gsis,
		BillingMode:            types.BillingModePayPerRequest,
		StreamSpecification: &types.StreamSpecification{
			StreamEnabled:  aws.Bool(true),
			StreamViewType: types.StreamViewTypeNewAndOldImages,
		},
	})
	if err != nil {
		return fmt.Errorf("create table %s: %w", table, err)
	}
	waiter := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
		// The default first delay is 20 s; an emulator is ready at once, DynamoDB in seconds.
		o.MinDelay = 500 * time.Millisecond
		o.MaxDelay = 5 * time.Second
	})
	if err := waiter.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)}, 5*time.Minute); err != nil {
		return fmt.Errorf("create table %s: wait until active: %w", table, err)
	}
	_, err = client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(table),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String(TTLAttribute),
			Enabled:       aws.Bool(true),
		},
	})
	if err != nil {
		return fmt.Errorf("create table %s: enable TTL: %w", table, err)
	}
	return nil
}
