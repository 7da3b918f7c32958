package main

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// StackProps configures an Overdue stack.
type StackProps struct {
	awscdk.StackProps
	// Stage is the stage to deploy, from loadStage.
	Stage Stage
}

// Stack is one deployment of Overdue: one stage, with its own table, functions, API and
// alarms. Stages deploy side by side in one account because every name that must be unique
// carries the stage.
type Stack struct {
	awscdk.Stack
	Data   *Data
	API    *API
	Sweep  *Sweep
	Timers *Timers
	Notify *Notify
	// Reports mails people their reports and reminders (reports.go).
	Reports *Reports
	// MailPings is nil unless the stage has a PingDomain (see mailping.go).
	MailPings *MailPings
	// Migrate is nil unless the stage has Migrate set (see migrate.go).
	Migrate *Migrate
	Alarms  *Alarms
	// Dashboard is the stage's CloudWatch dashboard.
	Dashboard *Dashboard
}

// stageTag is the tag every resource of the stack carries, with the stage's name.
const stageTag = "overdue:stage"

// StackName is the name of a stage's stack: Overdue-<stage>.
func StackName(stage string) string { return "Overdue-" + stage }

// NewStack builds the stage's stack. It fails, before creating anything, when a function's
// binary is missing from Stage.Dist.
func NewStack(scope constructs.Construct, props *StackProps) (*Stack, error) {
	st := props.Stage
	if err := st.checkDist(); err != nil {
		return nil, err
	}
	sp := props.StackProps
	if sp.StackName == nil {
		sp.StackName = jsii.String(StackName(st.Name))
	}
	if sp.Description == nil {
		sp.Description = jsii.String(fmt.Sprintf("Overdue %s: cron-job and heartbeat monitor", st.Name))
	}
	if sp.Env == nil && (st.Account != "" || st.Region != "") {
		sp.Env = &awscdk.Environment{}
		if st.Account != "" {
			sp.Env.Account = jsii.String(st.Account)
		}
		if st.Region != "" {
			sp.Env.Region = jsii.String(st.Region)
		}
	}
	if sp.TerminationProtection == nil {
		// A stage that keeps its data also refuses `cdk destroy` until protection is lifted.
		sp.TerminationProtection = jsii.Bool(st.Retain)
	}
	s := &Stack{Stack: awscdk.NewStack(scope, jsii.String(StackName(st.Name)), &sp)}
	awscdk.Tags_Of(s.Stack).Add(jsii.String(stageTag), jsii.String(st.Name), nil)

	s.Data = NewData(s.Stack, "Data", &DataProps{Stage: st})
	s.API = NewAPI(s.Stack, "Api", &APIProps{Stage: st, Data: s.Data})
	s.Timers = NewTimers(s.Stack, "Timers", &TimersProps{Stage: st, Data: s.Data})
	s.Sweep = NewSweep(s.Stack, "Sweep", &SweepProps{Stage: st, Data: s.Data, Timers: s.Timers, SiteRoot: s.API.URL})
	s.Notify = NewNotify(s.Stack, "Notify", &NotifyProps{Stage: st, Data: s.Data, SiteRoot: s.API.URL})
	// Channel tests (POST /api/v3/channels/{id}/test) run in the notify function, which has the
	// transports and the grants to send: the api function may only invoke it.
	s.API.Function.AddEnvironment(jsii.String("NOTIFY_FUNCTION"), s.Notify.Live.FunctionArn(), nil)
	s.Notify.Live.GrantInvoke(s.API.Function)
	s.Reports = NewReports(s.Stack, "Reports", &ReportsProps{Stage: st, Data: s.Data, SiteRoot: s.API.URL})

	functions := map[string]awslambda.IFunction{
		"api":     s.API.Function,
		"sweep":   s.Sweep.Function,
		"notify":  s.Notify.Function,
		"timer":   s.Timers.Function,
		"reports": s.Reports.Function,
	}
	if st.PingDomain != "" {
		s.MailPings = NewMailPings(s.Stack, "MailPings", &MailPingsProps{Stage: st, Data: s.Data})
		functions["mailping"] = s.MailPings.Function
	}
	if st.Migrate {
		code, err := st.codeSHA256()
		if err != nil {
			return nil, err
		}
		s.Migrate = NewMigrate(s.Stack, "Migrate", &MigrateProps{Stage: st, Data: s.Data, CodeSHA256: code})
		// No function runs new code on data the expand phase has not brought up to date.
		for _, fn := range functions {
			fn.Node().AddDependency(s.Migrate.Resource)
		}
		functions["migrate"] = s.Migrate.Function
	}

	s.Alarms = NewAlarms(s.Stack, "Alarms", &AlarmsProps{
		Stage: st, Data: s.Data, API: s.API, Sweep: s.Sweep, Notify: s.Notify, Timers: s.Timers, MailPings: s.MailPings, Functions: functions,
	})
	s.Dashboard = NewDashboard(s.Stack, "Dashboard", &DashboardProps{
		Stage: st, API: s.API, Sweep: s.Sweep, Timers: s.Timers, Alarms: s.Alarms, Functions: functions,
	})

	if s.Migrate != nil {
		// The contract phase raises the minimum reader: it runs only once every function runs
		// the new code (the constructs hold the functions, their new versions and the live
		// aliases moved onto them), and after everything else in the stack, so that a deploy failing
		// anywhere else rolls back to old code over data that old code can still use.
		s.Migrate.Contract.Node().AddDependency(s.API.Construct, s.Sweep.Construct, s.Timers.Construct, s.Notify.Construct, s.Reports.Construct, s.Alarms.Construct, s.Dashboard.Construct)
		if s.MailPings != nil {
			s.Migrate.Contract.Node().AddDependency(s.MailPings.Construct)
		}
	}

	// A stage that keeps its data is one people rely on: say that nobody hears its alarms.
	// Dev stages go without as a rule.
	if st.Retain && st.AlarmEmail == "" {
		awscdk.Annotations_Of(s.Stack).AddWarningV2(jsii.String("overdue:noAlarmEmail"),
			jsii.String(fmt.Sprintf("stage %s has no alarmEmail: alarms go to the ops topic, which nobody is subscribed to", st.Name)))
	}

	output := func(id string, value *string, description string) {
		awscdk.NewCfnOutput(s.Stack, jsii.String(id), &awscdk.CfnOutputProps{Value: value, Description: jsii.String(description)})
	}
	output("ApiUrl", s.API.URL, "Base URL of the ping and management API")
	if s.API.Domain != nil {
		output("ApiDomainTarget", s.API.Domain.RegionalDomainName(),
			fmt.Sprintf("Point a CNAME (or Route 53 alias) for %s at this name", st.DomainName))
	}
	output("TableName", s.Data.Table.TableName(), "The DynamoDB table")
	output("OpsTopicArn", s.Alarms.Topic.TopicArn(), "SNS topic the alarms publish to")
	output("DeadLetterQueueUrl", s.Notify.DeadLetterQueue.QueueUrl(), "Flip batches that failed delivery")
	if s.MailPings != nil {
		output("MailRuleSetName", s.MailPings.RuleSet.ReceiptRuleSetName(),
			fmt.Sprintf("SES receipt rule set for email pings to %s: activate it once with aws ses set-active-receipt-rule-set --rule-set-name <this>", st.PingDomain))
		output("MailPingDeadLetterQueueUrl", s.MailPings.DeadLetterQueue.QueueUrl(), "Email pings that could not be recorded")
	}
	output("TimerDeadLetterQueueUrl", s.Timers.DeadLetterQueue.QueueUrl(), "Precise timers that failed five times")
	return s, nil
}
