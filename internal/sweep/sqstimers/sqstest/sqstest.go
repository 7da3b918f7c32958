// Package sqstest gives tests an SQS queue on moto_server, and reads it as Lambda's event
// source mapping does: messages turned into the SQS event a function receives.
package sqstest

import (
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/overduehq/overdue/internal/store/dynamo/dynamotest"
)

// Region is the region of the queues (moto's default).
const Region = "us-east-1"

var seq atomic.Int64

// Queue is one test's queue on moto.
type Queue struct {
	Client *sqs.Client
	URL    string
	ARN    string
}

// New creates a queue named prefix-<pid>-<n> on moto and deletes it when the test ends.
func New(tb testing.TB, prefix string) *Queue {
	tb.Helper()
	url := dynamotest.URL(tb)
	client := sqs.NewFromConfig(aws.Config{
		Region:      Region,
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	}, func(o *sqs.Options) { o.BaseEndpoint = aws.String(url) })
	name := fmt.Sprintf("%s-%d-%d", prefix, os.Getpid(), seq.Add(1))
	out, err := client.CreateQueue(tb.Context(), &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		tb.Fatalf("create queue %s: %v", name, err)
	}
	q := &Queue{Client: client, URL: aws.ToString(out.QueueUrl)}
	attrs, err := client.GetQueueAttributes(tb.Context(), &sqs.GetQueueAttributesInput{
		QueueUrl: out.QueueUrl, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn},
	})
	if err != nil {
		tb.Fatalf("queue %s attributes: %v", name, err)
	}
	q.ARN = attrs.Attributes[string(types.QueueAttributeNameQueueArn)]
	tb.Cleanup(func() {
		_, _ = client.DeleteQueue(tb.Context(), &sqs.DeleteQueueInput{QueueUrl: out.QueueUrl})
	})
	return q
}

// Receive takes up to 10 visible messages, waiting up to wait seconds for the first (long
// polling, as the event source mapping does), and returns them as the SQS event Lambda would
// hand the function.
func (q *Queue) Receive(tb testing.TB, wait int32) events.SQSEvent {
	tb.Helper()
	out, err := q.Client.ReceiveMessage(tb.Context(), &sqs.ReceiveMessageInput{
		QueueUrl:                    aws.String(q.URL),
		MaxNumberOfMessages:         10,
		WaitTimeSeconds:             wait,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
	})
	if err != nil {
		tb.Fatalf("receive from %s: %v", q.URL, err)
	}
	ev := events.SQSEvent{Records: []events.SQSMessage{}}
	for _, m := range out.Messages {
		ev.Records = append(ev.Records, events.SQSMessage{
			MessageId:         aws.ToString(m.MessageId),
			ReceiptHandle:     aws.ToString(m.ReceiptHandle),
			Body:              aws.ToString(m.Body),
			Md5OfBody:         aws.ToString(m.MD5OfBody),
			Attributes:        m.Attributes,
			MessageAttributes: map[string]events.SQSMessageAttribute{},
			EventSource:       "aws:sqs",
			EventSourceARN:    q.ARN,
			AWSRegion:         Region,
		})
	}
	return ev
}

// Count is how many messages the queue holds, visible and delayed.
func (q *Queue) Count(tb testing.TB) (visible, delayed int) {
	tb.Helper()
	out, err := q.Client.GetQueueAttributes(tb.Context(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(q.URL),
		AttributeNames: []types.QueueAttributeName{
			types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesDelayed,
		},
	})
	if err != nil {
		tb.Fatalf("queue %s attributes: %v", q.URL, err)
	}
	visible, _ = strconv.Atoi(out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessages)])
	delayed, _ = strconv.Atoi(out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessagesDelayed)])
	return visible, delayed
}
