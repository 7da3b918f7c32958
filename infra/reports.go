package main

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/overduehq/overdue/internal/store/dynamo"
)

// ReportsProps configures the Reports construct.
type ReportsProps struct {
	// Stage is the stage being deployed; its EmailFrom is the sender.
	Stage Stage
	// Data is the table the function reads people, projects, checks and flips from, and keeps
	// its mailing records in.
	Data *Data
	// SiteRoot is the base of the dashboard links in the mail.
	SiteRoot *string
}

// Reports mails people their reports and reminders (functions/reports, internal/report): an
// EventBridge rule runs the function every five minutes.
type Reports struct {
	constructs.Construct
	// Function is the reports function.
	Function awslambda.Function
	// Live is its live alias (the function itself when the stage turns aliases off), which the
	// schedule invokes.
	Live awslambda.IFunction
	// Rule is the schedule.
	Rule awsevents.Rule
}

// reportsRate is how often the reports function runs: reports and daily reminders go out
// within this of each person's minute of 09:00–11:00, hourly reminders of their minute of the
// hour.
var reportsRate = awsevents.Schedule_Rate(awscdk.Duration_Minutes(jsii.Number(5)))

// NewReports creates the reports function and its schedule.
func NewReports(scope constructs.Construct, id string, props *ReportsProps) *Reports {
	c := constructs.NewConstruct(scope, jsii.String(id))
	st := props.Stage
	fn, live := newFunction(c, "Function", functionProps{
		Stage:       st,
		Name:        "reports",
		Description: fmt.Sprintf("Overdue %s: mails people their reports and reminders", st.Name),
		MemoryMB:    st.Memory.Reports,
		Environment: map[string]*string{"EMAIL_FROM": jsii.String(st.EmailFrom), "SITE_ROOT": props.SiteRoot},
		// A run lists the users and, for those with mail due, reads their checks and sends one
		// message each; what a run leaves undone the next one does.
		Timeout: awscdk.Duration_Minutes(jsii.Number(2)),
		Data:    props.Data,
	})
	// The function lists users (Query on the project index, BatchGetItem), reads a user's
	// memberships (Query on the table), their projects (GetItem) and checks (Query on the project
	// index, BatchGetItem) and each check's flips (Query on the table); it writes the user's
	// cursor (UpdateItem) and its mailing records (PutItem, UpdateItem); Scan is the data-model
	// guard's. It deletes nothing.
	props.Data.GrantItems(fn, concat(readActions, writeActions), dynamo.ProjectIndex)
	// It sends from the stage's sender, without a configuration set.
	identities := senderIdentities(c, st)
	fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("ses:SendEmail"),
		Resources: &identities,
	}))

	rule := awsevents.NewRule(c, jsii.String("Schedule"), &awsevents.RuleProps{
		Description: jsii.String(fmt.Sprintf("Overdue %s: send reports and reminders", st.Name)),
		Schedule:    reportsRate,
	})
	rule.AddTarget(awseventstargets.NewLambdaFunction(live, &awseventstargets.LambdaFunctionProps{
		// The next run does what a failed one left, five minutes later.
		RetryAttempts: jsii.Number(0),
		MaxEventAge:   awscdk.Duration_Minutes(jsii.Number(5)),
	}))
	return &Reports{Construct: c, Function: fn, Live: live, Rule: rule}
}
