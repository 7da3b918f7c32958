// Package streamtest turns records read through the DynamoDB Streams API into the event Lambda
// hands the notify function, so tests drive notify with what a real stream holds rather than
// with hand-written records. Lambda's poller makes the same conversion; the shapes differ only
// in their Go types (the Streams SDK's attribute unions against aws-lambda-go's).
package streamtest

import (
	"context"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// LambdaRecord is r, read from the stream whose ARN is arn, as Lambda hands it to a function.
func LambdaRecord(r streamtypes.Record, arn string) (events.DynamoDBEventRecord, error) {
	d := r.Dynamodb
	var images [3]map[string]events.DynamoDBAttributeValue
	for i, m := range []map[string]streamtypes.AttributeValue{d.Keys, d.NewImage, d.OldImage} {
		img, err := image(m)
		if err != nil {
			return events.DynamoDBEventRecord{}, fmt.Errorf("record %s: %w", aws.ToString(r.EventID), err)
		}
		images[i] = img
	}
	rec := events.DynamoDBEventRecord{
		AWSRegion:      aws.ToString(r.AwsRegion),
		EventID:        aws.ToString(r.EventID),
		EventName:      string(r.EventName),
		EventSource:    aws.ToString(r.EventSource),
		EventVersion:   aws.ToString(r.EventVersion),
		EventSourceArn: arn,
		Change: events.DynamoDBStreamRecord{
			Keys:           images[0],
			NewImage:       images[1],
			OldImage:       images[2],
			SequenceNumber: aws.ToString(d.SequenceNumber),
			SizeBytes:      aws.ToInt64(d.SizeBytes),
			StreamViewType: string(d.StreamViewType),
		},
	}
	if d.ApproximateCreationDateTime != nil {
		rec.Change.ApproximateCreationDateTime = events.SecondsEpochTime{Time: *d.ApproximateCreationDateTime}
	}
	return rec, nil
}

// image converts one item image; nil stays nil, as Lambda leaves an absent image out.
func image(m map[string]streamtypes.AttributeValue) (map[string]events.DynamoDBAttributeValue, error) {
	if m == nil {
		return nil, nil
	}
	out := make(map[string]events.DynamoDBAttributeValue, len(m))
	for k, v := range m {
		av, err := value(v)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", k, err)
		}
		out[k] = av
	}
	return out, nil
}

// value converts one attribute value, lists and maps included.
func value(v streamtypes.AttributeValue) (events.DynamoDBAttributeValue, error) {
	switch v := v.(type) {
	case *streamtypes.AttributeValueMemberS:
		return events.NewStringAttribute(v.Value), nil
	case *streamtypes.AttributeValueMemberN:
		return events.NewNumberAttribute(v.Value), nil
	case *streamtypes.AttributeValueMemberB:
		return events.NewBinaryAttribute(v.Value), nil
	case *streamtypes.AttributeValueMemberBOOL:
		return events.NewBooleanAttribute(v.Value), nil
	case *streamtypes.AttributeValueMemberNULL:
		return events.NewNullAttribute(), nil
	case *streamtypes.AttributeValueMemberSS:
		return events.NewStringSetAttribute(v.Value), nil
	case *streamtypes.AttributeValueMemberNS:
		return events.NewNumberSetAttribute(v.Value), nil
	case *streamtypes.AttributeValueMemberBS:
		return events.NewBinarySetAttribute(v.Value), nil
	case *streamtypes.AttributeValueMemberL:
		l := make([]events.DynamoDBAttributeValue, len(v.Value))
		for i, x := range v.Value {
			av, err := value(x)
			if err != nil {
				return events.DynamoDBAttributeValue{}, err
			}
			l[i] = av
		}
		return events.NewListAttribute(l), nil
	case *streamtypes.AttributeValueMemberM:
		m, err := image(v.Value)
		if err != nil {
			return events.DynamoDBAttributeValue{}, err
		}
		return events.NewMapAttribute(m), nil
	}
	return events.DynamoDBAttributeValue{}, fmt.Errorf("unexpected stream attribute type %T", v)
}

// TableAPI is the DynamoDB call Records makes: finding the table's stream.
type TableAPI interface {
	DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, opts ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
}

// StreamsAPI is the DynamoDB Streams calls Records makes.
type StreamsAPI interface {
	DescribeStream(ctx context.Context, in *dynamodbstreams.DescribeStreamInput, opts ...func(*dynamodbstreams.Options)) (*dynamodbstreams.DescribeStreamOutput, error)
	GetShardIterator(ctx context.Context, in *dynamodbstreams.GetShardIteratorInput, opts ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetShardIteratorOutput, error)
	GetRecords(ctx context.Context, in *dynamodbstreams.GetRecordsInput, opts ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetRecordsOutput, error)
}

// Records reads every record of table's stream as Lambda's poller does (DescribeStream,
// GetShardIterator from TRIM_HORIZON, GetRecords until a page comes back empty: an open shard's
// iterator never ends) and returns them as Lambda hands them to a function, oldest first per shard.
func Records(ctx context.Context, db TableAPI, streams StreamsAPI, table string) ([]events.DynamoDBEventRecord, error) {
	td, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &table})
	if err != nil {
		return nil, fmt.Errorf("describe table %s: %w", table, err)
	}
	arn := td.Table.LatestStreamArn
	if arn == nil {
		return nil, fmt.Errorf("table %s has no stream", table)
	}
	desc, err := streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: arn})
	if err != nil {
		return nil, fmt.Errorf("describe stream of %s: %w", table, err)
	}
	recs := []events.DynamoDBEventRecord{}
	for _, shard := range desc.StreamDescription.Shards {
		it, err := streams.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{
			StreamArn: arn, ShardId: shard.ShardId, ShardIteratorType: streamtypes.ShardIteratorTypeTrimHorizon,
		})
		if err != nil {
			return nil, fmt.Errorf("shard iterator of %s: %w", aws.ToString(shard.ShardId), err)
		}
		for iter := it.ShardIterator; iter != nil; {
			out, err := streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: iter})
			if err != nil {
				return nil, fmt.Errorf("records of %s: %w", aws.ToString(shard.ShardId), err)
			}
			if len(out.Records) == 0 {
				break
			}
			for _, r := range out.Records {
				rec, err := LambdaRecord(r, *arn)
				if err != nil {
					return nil, err
				}
				recs = append(recs, rec)
			}
			iter = out.NextShardIterator
		}
	}
	return recs, nil
}
