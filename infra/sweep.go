package main

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/overduehq/overdue/internal/store/dynamo"
)

// SweepProps configures the Sweep construct.
type SweepProps struct {
	// Stage is the stage being deployed.
	Stage Stage
	// Data is the table the sweep reads and writes.
	Data *Data
	// Timers is where the sweep arms precise timers.
	Timers *Timers
	// SiteRoot is the stage's public URL (the API's), through which the sweep pings the
	// ingestion canary.
	SiteRoot *string
}

// Sweep finds overdue checks: an EventBridge rule runs the sweep function every minute, and it
// queries the due index, writes flips for the checks that went down, and arms a precise timer
// (Timers) for each check due within the next 90 s.
type Sweep struct {
	constructs.Construct
	// Function is the sweep function.
	Function awslambda.Function
	// Live is its live alias (the function itself when the stage turns aliases off), which the schedule invokes.
	Live awslambda.IFunction
	// Rule is the schedule.
	Rule awsevents.Rule
}

// sweepRate is how often the sweep runs: the resolution of "down" for every check.
var sweepRate = awsevents.Schedule_Rate(awscdk.Duration_Minutes(jsii.Number(1)))

// NewSweep creates the sweep function and its schedule.
func NewSweep(scope constructs.Construct, id string, props *SweepProps) *Sweep {
	c := constructs.NewConstruct(scope, jsii.String(id))
	st := props.Stage

	env := map[string]*string{
		"TIMER_QUEUE_URL": props.Timers.Queue.QueueUrl(),
		// The ingestion canary: pinged through the public URL before every sweep, its random
		// IDs kept in the table. No SECRET_ARN: the sweep never reads the signing secret, so it
		// cannot open channel values, and Secrets Manager cannot stop it.
		"SITE_ROOT": props.SiteRoot,
	}
	if st.HeartbeatURL != "" {
		env["HEARTBEAT_URL"] = jsii.String(st.HeartbeatURL)
	}
	fn, live := newFunction(c, "Function", functionProps{
		Stage:               st,
		Name:                "sweep",
		Description:         fmt.Sprintf("Overdue %s: finds overdue checks every minute", st.Name),
		MemoryMB:            st.Memory.Sweep,
		ReservedConcurrency: st.ReservedConcurrency.Sweep,
		Environment:         env,
		// Shorter than the schedule, so one sweep ends before the next starts in the usual case;
		// two at once are safe anyway (conditional writes never double-flip a check).
		Timeout: awscdk.Duration_Seconds(jsii.Number(50)),
		Data:    props.Data,
	})
	// The sweep queries the due indexes (the bucketed one; the exact one too until the data's
	// minimum reader is 19), loads the checks they name, and writes each flip with its
	// check's update in one transaction (Update and Put); it deletes nothing. At its first run
	// it puts the ingestion canary's record (a conditional PutItem) and creates its project and
	// check (a transaction with a ConditionCheck that the project exists).
	props.Data.GrantItems(fn, concat(readActions, writeActions, []string{"dynamodb:ConditionCheckItem"}), dynamo.DueIndex, dynamo.DueBucketIndex)
	// It sends timers (SendMessageBatch is authorized as sqs:SendMessage).
	props.Timers.Queue.GrantSendMessages(fn)

	rule := awsevents.NewRule(c, jsii.String("Schedule"), &awsevents.RuleProps{
		Description: jsii.String(fmt.Sprintf("Overdue %s: run the sweep", st.Name)),
		Schedule:    sweepRate,
	})
	rule.AddTarget(awseventstargets.NewLambdaFunction(live, &awseventstargets.LambdaFunctionProps{
		// A failed or late sweep is not worth retrying: the next one starts within a minute
		// and does the same work with a fresher clock.
		RetryAttempts: jsii.Number(0),
		MaxEventAge:   awscdk.Duration_Seconds(jsii.Number(60)),
	}))

	return &Sweep{Construct: c, Function: fn, Live: live, Rule: rule}
}
