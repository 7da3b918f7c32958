package main

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsses"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssesactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/overduehq/overdue/internal/store/dynamo"
)

// MailPingsProps configures the MailPings construct.
type MailPingsProps struct {
	// Stage is the stage being deployed; its PingDomain is the domain received.
	Stage Stage
	// Data is the table the function records pings in.
	Data *Data
}

// MailPings receives email pings (functions/mailping): an SES receipt rule set with one rule
// for the stage's ping domain, whose SNS action publishes each message, whole and Base64
// encoded, to a topic; the topic invokes the mailping function. The SNS action rather than an
// S3 bucket plus a Lambda action: the message reaches the function in its event, so there is
// no bucket of ping bodies to encrypt, expire and grant, and no second request per message;
// SES bounces what is over the action's 150 KB itself, and a ping keeps 100 kB anyway.
//
// SES has one active receipt rule set per region: the stack creates the set but does not
// activate it (that would replace whatever set the account uses). The operator activates it
// once, with the command in the MailRuleSetName output's description, or adds the rule to the
// active set by hand.
type MailPings struct {
	constructs.Construct
	// Topic is what the rule's SNS action publishes to.
	Topic awssns.Topic
	// RuleSet holds the rule for the ping domain.
	RuleSet awsses.ReceiptRuleSet
	// Function is the mailping function.
	Function awslambda.Function
	// Live is its live alias (the function itself when the stage turns aliases off), which
	// the topic invokes.
	Live awslambda.IFunction
	// DeadLetterQueue holds the email pings that could not be recorded: the events of
	// invocations that failed Lambda's retries, and messages SNS could not hand to the function.
	DeadLetterQueue awssqs.Queue
}

// NewMailPings creates the topic, the function and its subscription, the rule set and its rule,
// and, when the stage's hosted zone holds the ping domain, its MX record.
func NewMailPings(scope constructs.Construct, id string, props *MailPingsProps) *MailPings {
	c := constructs.NewConstruct(scope, jsii.String(id))
	st := props.Stage

	topic := awssns.NewTopic(c, jsii.String("Topic"), &awssns.TopicProps{
		DisplayName: jsii.String(fmt.Sprintf("Overdue %s email pings", st.Name)),
	})
	// SNS invokes the function asynchronously: Lambda retries a failed invocation twice and
	// then, without a dead-letter queue, drops the event, and with it the ping. Kept with the
	// stage's data, like the notifier's: what it holds is pings (their messages, Base64 in
	// the SNS envelope) that a job sent and Overdue did not record.
	dlq := awssqs.NewQueue(c, jsii.String("DeadLetterQueue"), &awssqs.QueueProps{
		RemovalPolicy:   st.removalPolicy(),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
	})
	fn, live := newFunction(c, "Function", functionProps{
		Stage:           st,
		DeadLetterQueue: dlq,
		Name:            "mailping",
		Description:     fmt.Sprintf("Overdue %s: records email to %s as pings", st.Name, st.PingDomain),
		MemoryMB:        st.Memory.MailPing,
		Environment:     map[string]*string{"PING_DOMAIN": jsii.String(st.PingDomain)},
		// One message: a check lookup or two and one transaction per recipient.
		Timeout: awscdk.Duration_Seconds(jsii.Number(10)),
		Data:    props.Data,
	})
	// The function reads checks (GetItem), a project by its ping key (GetItem) and its checks
	// by slug (Query on the project index, BatchGetItem), the project's maintenance windows when
	// a failure ping takes a check down (Query on the table), scans for the data-model guard's
	// probe, and writes the ping and flip with the check (Put and Update in a transaction).
	props.Data.GrantItems(fn, mailPingActions, dynamo.ProjectIndex)
	// The subscription is made directly, as notify's feedback subscription is: its endpoint is
	// the live alias's ARN written as the function's ARN and the alias's name (the CDK's
	// template validation warns, W3694, on a lambda endpoint that refers to an alias resource).
	// SNS may invoke the alias from this topic alone.
	endpoint := fn.FunctionArn()
	if st.Aliases {
		endpoint = jsii.String(*fn.FunctionArn() + ":" + LiveAlias)
	}
	sub := awssns.NewSubscription(c, jsii.String("Subscription"), &awssns.SubscriptionProps{
		Topic:    topic,
		Protocol: awssns.SubscriptionProtocol_LAMBDA,
		Endpoint: endpoint,
		// A message SNS cannot hand to the function at all (its permission or the alias gone)
		// lands in the same queue, rather than being dropped when SNS stops retrying.
		DeadLetterQueue: dlq,
	})
	sub.Node().AddDependency(live)
	live.AddPermission(jsii.String("PingTopic"), &awslambda.Permission{
		Principal: awsiam.NewServicePrincipal(jsii.String("sns.amazonaws.com"), nil),
		SourceArn: topic.TopicArn(),
	})

	ruleSet := awsses.NewReceiptRuleSet(c, jsii.String("RuleSet"), nil)
	// SES may publish to the topic for this account's rule set alone: no other account's
	// receipt rule can post pings (the confused-deputy conditions AWS advises).
	policy := topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("ses.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  jsii.Strings(*topic.TopicArn()),
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"AWS:SourceAccount": awscdk.Aws_ACCOUNT_ID()},
			"ArnLike": map[string]any{"AWS:SourceArn": awscdk.Fn_Join(jsii.String(""), &[]*string{
				jsii.String("arn:"), awscdk.Aws_PARTITION(), jsii.String(":ses:"), awscdk.Aws_REGION(), jsii.String(":"),
				awscdk.Aws_ACCOUNT_ID(), jsii.String(":receipt-rule-set/"), ruleSet.ReceiptRuleSetName(), jsii.String(":receipt-rule/*"),
			})},
		},
	}))
	rule := ruleSet.AddRule(jsii.String("Pings"), &awsses.ReceiptRuleOptions{
		Recipients:  jsii.Strings(st.PingDomain),
		Actions:     &[]awsses.IReceiptRuleAction{awssesactions.NewSns(&awssesactions.SnsProps{Topic: topic, Encoding: awssesactions.EmailEncoding_BASE64})},
		ScanEnabled: jsii.Bool(true),
		Enabled:     jsii.Bool(true),
	})
	// SES checks that it may publish when the rule is created.
	if policy.PolicyDependable != nil {
		rule.Node().AddDependency(policy.PolicyDependable)
	}

	if st.pingZone() {
		zone := awsroute53.HostedZone_FromHostedZoneAttributes(c, jsii.String("Zone"), &awsroute53.HostedZoneAttributes{
			HostedZoneId: jsii.String(st.HostedZoneID),
			ZoneName:     jsii.String(st.HostedZoneName),
		})
		awsroute53.NewMxRecord(c, jsii.String("Mx"), &awsroute53.MxRecordProps{
			Zone:       zone,
			RecordName: jsii.String(st.PingDomain),
			Values: &[]*awsroute53.MxRecordValue{{
				HostName: jsii.String(fmt.Sprintf("inbound-smtp.%s.amazonaws.com", *awscdk.Aws_REGION())),
				Priority: jsii.Number(10),
			}},
		})
	}
	return &MailPings{Construct: c, Topic: topic, RuleSet: ruleSet, Function: fn, Live: live, DeadLetterQueue: dlq}
}
