package main

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsses"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/overduehq/overdue/internal/notify"
	"github.com/overduehq/overdue/internal/store/dynamo"
)

// NotifyProps configures the Notify construct.
type NotifyProps struct {
	// Stage is the stage being deployed.
	Stage Stage
	// Data is the table whose stream carries the flips.
	Data *Data
	// SiteRoot is the API's public URL, for the links in messages (API.URL).
	SiteRoot *string
}

// Notify delivers flips: the table's stream, filtered to new flip items, invokes the notify
// function, which sends email through SES, SMS and topic messages through SNS, and webhooks.
// Records that keep failing go, as stream positions, to a dead-letter queue that an alarm
// watches. A schedule invokes the function every minute as well, to retry sends that failed
// transiently (those are recorded in the table, not reported to Lambda).
type Notify struct {
	constructs.Construct
	// Function is the notify function.
	Function awslambda.Function
	// Live is its live alias (the function itself when the stage turns aliases off), which the stream mapping and the retry schedule invoke.
	Live awslambda.IFunction
	// DeadLetterQueue receives the records of batches that failed every retry.
	DeadLetterQueue awssqs.Queue
	// RetryRule invokes the function every minute to retry failed sends.
	RetryRule awsevents.Rule
	// EmailEvents is the SES configuration set alert email goes through; it publishes
	// bounces and complaints to Feedback, which invokes the function: a permanent bounce or a
	// complaint disables the email channel it came from.
	EmailEvents awsses.ConfigurationSet
	// Feedback is the SNS topic of SES bounces and complaints.
	Feedback awssns.Topic
}

// ConfigurationSetName is the name of the stage's SES configuration set: overdue-<stage>. It is
// given, not generated, so the function's environment and its SES permission name it without
// a reference to the set (emulators that cannot create one still deploy the rest).
func ConfigurationSetName(stage string) string { return "overdue-" + stage }

// flipPrefix begins the sort key of every flip item (internal/store/dynamo: FLIP#<id>).
const flipPrefix = "FLIP#"

// flipFilter passes only new flips to the notifier: INSERT events whose sort key begins with
// FLIP#. Everything else on the stream (pings, check updates, flips marked processed, TTL
// deletions) never invokes it, and is not billed. It is the event-filtering pattern
//
//	{"eventName": ["INSERT"], "dynamodb": {"Keys": {"sk": {"S": [{"prefix": "FLIP#"}]}}}}
func flipFilter() *map[string]interface{} {
	return awslambda.FilterCriteria_Filter(&map[string]interface{}{
		"eventName": awslambda.FilterRule_IsEqual(jsii.String("INSERT")),
		"dynamodb": map[string]interface{}{
			"Keys": map[string]interface{}{
				dynamo.SortKey: map[string]interface{}{
					"S": awslambda.FilterRule_BeginsWith(jsii.String(flipPrefix)),
				},
			},
		},
	})
}

// senderIdentities are the ARNs of the SES identities a send from the stage's sender may be
// authorized against: the address itself, or its domain when the whole domain is verified.
// Either may be the one.
func senderIdentities(scope constructs.Construct, st Stage) []*string {
	sender, _ := st.sender() // validated by loadStage
	stack := awscdk.Stack_Of(scope)
	identity := func(name string) *string {
		return stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("ses"), Resource: jsii.String("identity"), ResourceName: jsii.String(name)})
	}
	return []*string{identity(sender), identity(sender[strings.LastIndex(sender, "@")+1:])}
}

// NewNotify creates the notify function, its stream subscription, its dead-letter queue and
// its retry schedule.
func NewNotify(scope constructs.Construct, id string, props *NotifyProps) *Notify {
	c := constructs.NewConstruct(scope, jsii.String(id))
	st := props.Stage

	cfgSet := ConfigurationSetName(st.Name)
	env := map[string]*string{
		"SECRET_ARN":            props.Data.Secret.SecretArn(),
		"EMAIL_FROM":            jsii.String(st.EmailFrom),
		"SES_CONFIGURATION_SET": jsii.String(cfgSet),
		"SITE_ROOT":             props.SiteRoot,
	}
	for kind, u := range st.ServiceURLs {
		env[notify.BaseURLVariable(kind)] = jsii.String(strings.TrimRight(u, "/"))
	}
	fn, live := newFunction(c, "Function", functionProps{
		Stage:               st,
		Name:                "notify",
		Description:         fmt.Sprintf("Overdue %s: delivers flips by email, SMS, SNS and webhook", st.Name),
		MemoryMB:            st.Memory.Notify,
		ReservedConcurrency: st.ReservedConcurrency.Notify,
		// A batch is up to ten flips, each to a few channels, and one send may take up to 30 s
		// (internal/notify's send timeout) before it is recorded for a retry.
		Timeout:     awscdk.Duration_Minutes(jsii.Number(5)),
		Environment: env,
		Data:        props.Data,
	})
	// Read and write: the notifier reads checks and channels (the project index), finds flips
	// and deliveries still to do (the unprocessed index), marks flips processed and keeps a
	// delivery record per channel so a retried batch never alerts twice. It deletes nothing.
	props.Data.GrantItems(fn, concat(readActions, writeActions), dynamo.ProjectIndex, dynamo.UnprocessedIndex)
	props.Data.Secret.GrantRead(fn, nil)

	stack := awscdk.Stack_Of(c)
	// Sending through a configuration set is authorized against the set too.
	sendOn := append(senderIdentities(c, st), stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("ses"), Resource: jsii.String("configuration-set"), ResourceName: jsii.String(cfgSet),
	}))
	fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("ses:SendEmail"),
		Resources: &sendOn,
	}))

	// Bounces and complaints come back: SES publishes them for the configuration set to the
	// feedback topic, which invokes the function's alias.
	feedback := awssns.NewTopic(c, jsii.String("SesFeedback"), &awssns.TopicProps{
		DisplayName: jsii.String(fmt.Sprintf("Overdue %s SES bounces and complaints", st.Name)),
	})
	emailEvents := awsses.NewConfigurationSet(c, jsii.String("EmailEvents"), &awsses.ConfigurationSetProps{
		ConfigurationSetName: jsii.String(cfgSet),
		// The account-level reputation metrics (the SesBounceRate and SesComplaintRate alarms)
		// plus this set's own.
		ReputationMetrics: jsii.Bool(true),
	})
	emailEvents.AddEventDestination(jsii.String("Feedback"), &awsses.ConfigurationSetEventDestinationOptions{
		Destination: awsses.EventDestination_SnsTopic(feedback),
		Events:      &[]awsses.EmailSendingEvent{awsses.EmailSendingEvent_BOUNCE, awsses.EmailSendingEvent_COMPLAINT},
	})
	// SMS goes to phone numbers, which have no ARN: SNS Publish to a phone number can only be
	// allowed on resource "*". The sns channel kind publishes to topics the channel names,
	// which are not known when deploying. The action stays exactly sns:Publish, the one
	// statement on "*" besides X-Ray's (which has no resources either).
	fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("sns:Publish"),
		Resources: jsii.Strings("*"),
	}))

	dlq := awssqs.NewQueue(c, jsii.String("DeadLetterQueue"), &awssqs.QueueProps{
		// What it holds is the record of lost alerts: kept with the stage's data.
		RemovalPolicy: st.removalPolicy(),
		// Stream records live 24 hours, so what the queue holds (shard, sequence numbers of the
		// failed batch) is for diagnosis; two weeks gives time to look.
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
	})

	// The mapping is made directly rather than with DynamoEventSource, whose grant adds
	// dynamodb:ListStreams on every resource; the stream's own actions are granted below,
	// scoped to this table's streams.
	awslambda.NewEventSourceMapping(c, jsii.String("Stream"), &awslambda.EventSourceMappingProps{
		Target:         live,
		EventSourceArn: props.Data.Table.TableStreamArn(),
		// From the oldest record the stream holds, so flips written while the mapping is being
		// created, or disabled, are still delivered.
		StartingPosition: awslambda.StartingPosition_TRIM_HORIZON,
		BatchSize:        jsii.Number(10),
		Filters:          &[]*map[string]interface{}{flipFilter()},
		// The function reports the first record it could not handle, and Lambda resumes the
		// shard from that record: done records are not sent again, and a check's flips stay in
		// order. Without this setting Lambda would ignore the report and lose the record.
		ReportBatchItemFailures: jsii.Bool(true),
		// A batch that fails as a whole (a crash, a timeout) is split in halves until the record
		// that fails is alone, so one bad flip does not hold back the others. Splitting does not
		// count as a retry.
		BisectBatchOnError: jsii.Bool(true),
		// Bounded: after ten retries or six hours the record's position goes to the
		// dead-letter queue, the shard moves on, and the queue's alarm says so.
		RetryAttempts: jsii.Number(10),
		MaxRecordAge:  awscdk.Duration_Hours(jsii.Number(6)),
		OnFailure:     awslambdaeventsources.NewSqsDlq(dlq),
	})
	awsiam.Grant_AddToPrincipal(&awsiam.GrantOnPrincipalOptions{
		Grantee:      fn,
		Actions:      jsii.Strings("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"),
		ResourceArns: jsii.Strings(*props.Data.Table.TableArn() + "/stream/*"),
	})

	// Sends that failed transiently are recorded with their next attempt (the first after 30 s);
	// nothing else would make that attempt until the next flip.
	retry := awsevents.NewRule(c, jsii.String("RetrySchedule"), &awsevents.RuleProps{
		Description: jsii.String(fmt.Sprintf("Overdue %s: retry failed notification sends", st.Name)),
		Schedule:    awsevents.Schedule_Rate(awscdk.Duration_Minutes(jsii.Number(1))),
	})
	retry.AddTarget(awseventstargets.NewLambdaFunction(live, &awseventstargets.LambdaFunctionProps{
		// The next run retries whatever this one missed.
		RetryAttempts: jsii.Number(0),
		MaxEventAge:   awscdk.Duration_Seconds(jsii.Number(60)),
	}))

	// The subscription is made directly, not with LambdaSubscription: its endpoint is the
	// live alias's ARN, written as the function's ARN and the alias's name, because the CDK's
	// template validation warns (W3694) when a lambda subscription's endpoint refers to an alias
	// resource, though SNS invokes an alias like a function.
	endpoint := fn.FunctionArn()
	if st.Aliases {
		endpoint = jsii.String(*fn.FunctionArn() + ":" + LiveAlias)
	}
	sub := awssns.NewSubscription(c, jsii.String("FeedbackSubscription"), &awssns.SubscriptionProps{
		Topic:    feedback,
		Protocol: awssns.SubscriptionProtocol_LAMBDA,
		Endpoint: endpoint,
	})
	sub.Node().AddDependency(live)
	live.AddPermission(jsii.String("SesFeedback"), &awslambda.Permission{
		Principal: awsiam.NewServicePrincipal(jsii.String("sns.amazonaws.com"), nil),
		SourceArn: feedback.TopicArn(),
	})

	return &Notify{Construct: c, Function: fn, Live: live, DeadLetterQueue: dlq, RetryRule: retry,
		EmailEvents: emailEvents, Feedback: feedback}
}
