package main

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// TimersProps configures the Timers construct.
type TimersProps struct {
	// Stage is the stage being deployed.
	Stage Stage
	// Data is the table the timer function reads and writes.
	Data *Data
}

// Timers are the precise timers (internal/sweep/sqstimers): a queue the sweep sends a delayed
// message to for each check due before its next run, and the timer function, which a queue
// event source mapping invokes with each message once its delay ends, to flip the check within
// seconds of its deadline. Messages that fail five receives go to a dead-letter queue, kept 14
// days (and with the stack's deletion in a stage that keeps its data).
type Timers struct {
	constructs.Construct
	// Queue holds the armed timers.
	Queue awssqs.Queue
	// DeadLetterQueue holds the messages the function failed five times.
	DeadLetterQueue awssqs.Queue
	// Function is the timer function.
	Function awslambda.Function
	// Live is its live alias (the function itself when the stage turns aliases off), which the
	// event source mapping invokes.
	Live awslambda.IFunction
}

// timerMaxReceives is how many times a timer is received before it goes to the dead-letter
// queue: a timer that fails that often is long late, and the sweep has flipped its check.
const timerMaxReceives = 5

// NewTimers creates the queues, the timer function and its event source mapping. The sweep
// is granted sending through GrantArm.
func NewTimers(scope constructs.Construct, id string, props *TimersProps) *Timers {
	c := constructs.NewConstruct(scope, jsii.String(id))
	st := props.Stage

	dlq := awssqs.NewQueue(c, jsii.String("DeadLetterQueue"), &awssqs.QueueProps{
		RemovalPolicy:   st.removalPolicy(),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
	})
	queue := awssqs.NewQueue(c, jsii.String("Queue"), &awssqs.QueueProps{
		// Six times the function's timeout, as AWS advises for a queue a function consumes: a
		// batch in flight is not handed to a second instance.
		VisibilityTimeout: awscdk.Duration_Seconds(jsii.Number(60)),
		// A timer an hour old is worth nothing: the sweep has long flipped its check.
		RetentionPeriod: awscdk.Duration_Hours(jsii.Number(1)),
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		DeadLetterQueue: &awssqs.DeadLetterQueue{Queue: dlq, MaxReceiveCount: jsii.Number(timerMaxReceives)},
		// Transient: what it holds is re-armed by the next sweep.
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})

	fn, live := newFunction(c, "Function", functionProps{
		Stage:               st,
		Name:                "timer",
		Description:         fmt.Sprintf("Overdue %s: flips checks at their deadline from the timer queue", st.Name),
		MemoryMB:            st.Memory.Timer,
		ReservedConcurrency: st.ReservedConcurrency.Timer,
		Environment: map[string]*string{
			// No SECRET_ARN: the function finds the ingestion canary in the table, and never
			// reads the signing secret (nor, so, a channel value).
			"TIMER_QUEUE_URL": queue.QueueUrl(),
		},
		// A batch is ten reads and at most ten transactions.
		Timeout: awscdk.Duration_Seconds(jsii.Number(10)),
		Data:    props.Data,
	})
	// The function reads a check (GetItem; Scan only for the data-model guard's probe of an
	// unversioned table), the maintenance windows of its project when it is due (Query of the
	// project's partition in the table), and writes its flip with the check (Put and Update in a
	// transaction). It queries no index.
	props.Data.GrantItems(fn, timerActions)
	// Receive and delete (the event source mapping, with the function's role), and send: a
	// timer that came early is armed again.
	queue.GrantConsumeMessages(fn)
	queue.GrantSendMessages(fn)

	esm := &awslambda.EventSourceMappingProps{
		Target:         live,
		EventSourceArn: queue.QueueArn(),
		BatchSize:      jsii.Number(10),
		// No batching window: a timer is handed over as soon as its delay ends.
		ReportBatchItemFailures: jsii.Bool(true),
	}
	if n := st.ReservedConcurrency.Timer; n >= 2 {
		// No more pollers than instances: a throttled message waits out its visibility timeout.
		esm.MaxConcurrency = jsii.Number(float64(n))
	}
	awslambda.NewEventSourceMapping(c, jsii.String("Mapping"), esm)

	return &Timers{Construct: c, Queue: queue, DeadLetterQueue: dlq, Function: fn, Live: live}
}
