package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/overduehq/overdue/internal/lambdaenv"
)

// AlarmsProps configures the Alarms construct.
type AlarmsProps struct {
	// Stage is the stage being deployed.
	Stage Stage
	// Data is the table whose throttles and errors are watched.
	Data *Data
	// API, Sweep, Timers and Notify are the parts watched.
	API    *API
	Sweep  *Sweep
	Timers *Timers
	Notify *Notify
	// MailPings is watched when the stage receives email pings (nil otherwise).
	MailPings *MailPings
	// Functions are the functions whose errors and throttles are watched, by their name
	// (api, sweep, notify, migrate).
	Functions map[string]awslambda.IFunction
}

// Alarms watches Overdue itself. A monitor that is down is worse than none, because it is
// trusted: every alarm goes to the ops topic, on the way in and on recovery, and the topic
// mails the stage's alarm address.
type Alarms struct {
	constructs.Construct
	// Topic is the ops topic every alarm publishes to.
	Topic awssns.Topic
	// All lists the alarms.
	All []awscloudwatch.Alarm
	// Parked counts the deliveries the notifier parked (from its log).
	Parked awslogs.MetricFilter
}

// sweepLagMetric is the SweepLag metric the sweep function emits (lambdaenv.SweepLagMetric).
func sweepLagMetric(sw *Sweep, period awscdk.Duration, statistic string) awscloudwatch.Metric {
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:     jsii.String(refusedNamespace),
		MetricName:    jsii.String(lambdaenv.SweepLagMetric),
		DimensionsMap: &map[string]*string{refusedDimension: sw.Function.FunctionName()},
		Period:        period,
		Statistic:     jsii.String(statistic),
		Unit:          awscloudwatch.Unit_MILLISECONDS,
	})
}

// timerLagMetric is the TimerLag metric the timer function emits (lambdaenv.TimerLagMetric).
func timerLagMetric(tm *Timers, period awscdk.Duration, statistic string) awscloudwatch.Metric {
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:     jsii.String(refusedNamespace),
		MetricName:    jsii.String(lambdaenv.TimerLagMetric),
		DimensionsMap: &map[string]*string{refusedDimension: tm.Function.FunctionName()},
		Period:        period,
		Statistic:     jsii.String(statistic),
		Unit:          awscloudwatch.Unit_MILLISECONDS,
	})
}

// ingestionMetric is the IngestionUnhealthy metric the sweep function emits once per sweep
// (lambdaenv.IngestionUnhealthyMetric): 1 while an outage of ping intake lasts, else 0.
func ingestionMetric(sw *Sweep, period awscdk.Duration) awscloudwatch.Metric {
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:     jsii.String(refusedNamespace),
		MetricName:    jsii.String(lambdaenv.IngestionUnhealthyMetric),
		DimensionsMap: &map[string]*string{refusedDimension: sw.Function.FunctionName()},
		Period:        period,
		Statistic:     jsii.String("Maximum"),
		Unit:          awscloudwatch.Unit_COUNT,
	})
}

// The metric a function emits, in Embedded Metric Format, each time it refuses the data model
// (schema.Ready fails): namespace, name and dimension, whose value is the function's name as
// Lambda gives it (AWS_LAMBDA_FUNCTION_NAME), so stages in one account do not mix.
const (
	refusedNamespace = "Overdue"
	refusedMetric    = "DataModelRefused"
	refusedDimension = "Function"
)

// Thresholds of the alarms added for issue 17.
const (
	// apiLatencyP99Ms: the API's 99th percentile latency, over five minutes, three times in a
	// row. A ping is one conditional write and a few reads: well under 100 ms when healthy.
	apiLatencyP99Ms = 1000
	// sweepLagMs: how late a sweep started after its scheduled minute (the SweepLag metric);
	// EventBridge is usually within seconds. Beyond 30 s, "down" is noticed late.
	sweepLagMs = 30_000
	// timerLagMs: how long after a check's deadline its timer fired (the TimerLag metric).
	// By design within 1–2 s (a whole-second delay and the queue's poll); past 5 s, alerts
	// miss the promise.
	timerLagMs = 5_000
	// timerAgeSeconds: the oldest message on the timer queue. Timers are delayed at most 90 s
	// by the sweep (15 min when re-armed); one waiting longer is not being consumed.
	timerAgeSeconds = 20 * 60
	// sesBounceRate and sesComplaintRate are below where SES reviews an account (5 % bounces,
	// 0.1 % complaints) and, later, pauses its sending: alarm before that happens.
	sesBounceRate    = 0.04
	sesComplaintRate = 0.0008
)

// tableOperations are the DynamoDB operations the store calls: the table's throttle and
// system-error alarms sum them (CloudWatch reports both per operation).
var tableOperations = []awsdynamodb.Operation{
	awsdynamodb.Operation_GET_ITEM, awsdynamodb.Operation_BATCH_GET_ITEM, awsdynamodb.Operation_QUERY,
	awsdynamodb.Operation_SCAN, awsdynamodb.Operation_PUT_ITEM, awsdynamodb.Operation_UPDATE_ITEM,
	awsdynamodb.Operation_DELETE_ITEM, awsdynamodb.Operation_BATCH_WRITE_ITEM, awsdynamodb.Operation_TRANSACT_WRITE_ITEMS,
}

// apiErrorRatePercent is the share of API requests answered 5xx, over five minutes, that
// raises the alarm; apiErrorMinRequests keeps one failed request in a quiet five minutes from
// counting as 100 %.
const (
	apiErrorRatePercent = 5
	apiErrorMinRequests = 10
)

// NewAlarms creates the ops topic and the alarms.
func NewAlarms(scope constructs.Construct, id string, props *AlarmsProps) *Alarms {
	c := constructs.NewConstruct(scope, jsii.String(id))
	st := props.Stage
	a := &Alarms{Construct: c}

	a.Topic = awssns.NewTopic(c, jsii.String("Topic"), &awssns.TopicProps{
		DisplayName: jsii.String(fmt.Sprintf("Overdue %s ops", st.Name)),
	})
	if st.AlarmEmail != "" {
		a.Topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(st.AlarmEmail), nil))
	}
	action := awscloudwatchactions.NewSnsAction(a.Topic)

	minutes := func(n float64) awscdk.Duration { return awscdk.Duration_Minutes(jsii.Number(n)) }
	add := func(name, description string, props awscloudwatch.AlarmProps) {
		// Alarm names carry the stage: they are what the email subject shows.
		props.AlarmName = jsii.String(fmt.Sprintf("Overdue-%s-%s", st.Name, name))
		props.AlarmDescription = jsii.String(description)
		alarm := awscloudwatch.NewAlarm(c, jsii.String(name), &props)
		alarm.AddAlarmAction(action)
		alarm.AddOkAction(action)
		a.All = append(a.All, alarm)
	}

	sum := func(p awscdk.Duration) *awscloudwatch.MetricOptions {
		return &awscloudwatch.MetricOptions{Period: p, Statistic: jsii.String("Sum")}
	}
	maximum := func(p awscdk.Duration) *awscloudwatch.MetricOptions {
		return &awscloudwatch.MetricOptions{Period: p, Statistic: jsii.String("Maximum")}
	}

	// The sweep did not succeed: in five consecutive minutes, no invocation that did not fail.
	// Counting invocations alone would miss a sweep that runs and refuses (data it cannot use)
	// or fails every time. Missing data is breaching, because a sweep that never runs publishes
	// no metrics at all; FILL makes a minute with invocations but no Errors datapoint count.
	add("SweepNotSucceeding",
		"No sweep has succeeded for 5 minutes: no check goes down and nobody is alerted. Check the EventBridge rule, and the sweep function's errors and logs.",
		awscloudwatch.AlarmProps{
			Metric: awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
				Label:      jsii.String("successful sweeps"),
				Expression: jsii.String("FILL(invocations, 0) - FILL(errors, 0)"),
				UsingMetrics: &map[string]awscloudwatch.IMetric{
					"invocations": props.Sweep.Function.MetricInvocations(sum(minutes(1))),
					"errors":      props.Sweep.Function.MetricErrors(sum(minutes(1))),
				},
				Period: minutes(1),
			}),
			Threshold:          jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD,
			EvaluationPeriods:  jsii.Number(5),
			DatapointsToAlarm:  jsii.Number(5),
			TreatMissingData:   awscloudwatch.TreatMissingData_BREACHING,
		})

	// A function refused the data model: it meets data it cannot use (too new: a rollback past
	// a contract step; or not migrated yet) and serves 503s or does nothing. Each function
	// emits the metric itself (Embedded Metric Format) with its own name as the dimension.
	refused := map[string]awscloudwatch.IMetric{}
	for _, name := range slices.Sorted(maps.Keys(props.Functions)) {
		refused[name] = awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace:     jsii.String(refusedNamespace),
			MetricName:    jsii.String(refusedMetric),
			DimensionsMap: &map[string]*string{refusedDimension: props.Functions[name].FunctionName()},
			Period:        minutes(5),
			Statistic:     jsii.String("Sum"),
		})
	}
	add("DataModelRefused",
		"A function refused the data model in the last 5 minutes: it cannot use the data (too new after a rollback, or not yet migrated) and is not working. Read its logs; see README \"Upgrades and rollbacks\".",
		awscloudwatch.AlarmProps{
			Metric: awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
				Label:        jsii.String("refusals"),
				Expression:   jsii.String("SUM(METRICS())"),
				UsingMetrics: &refused,
				Period:       minutes(5),
			}),
			Threshold:          jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			EvaluationPeriods:  jsii.Number(1),
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})

	// A batch of flips failed every retry: some alerts were not delivered.
	add("NotifyDeadLetters",
		"Flips failed delivery after every retry and were dead-lettered: alerts were lost. Read the queue's messages and the notify function's logs.",
		awscloudwatch.AlarmProps{
			Metric:             props.Notify.DeadLetterQueue.MetricApproximateNumberOfMessagesVisible(maximum(minutes(1))),
			Threshold:          jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			EvaluationPeriods:  jsii.Number(1),
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})

	// Precise timers failed five receives: their checks went down at the next sweep instead.
	add("TimerDeadLetters",
		"Precise timers failed five times and were dead-lettered: their checks went down up to a minute late, at the sweep. Read the timer function's errors and logs.",
		awscloudwatch.AlarmProps{
			Metric:             props.Timers.DeadLetterQueue.MetricApproximateNumberOfMessagesVisible(maximum(minutes(1))),
			Threshold:          jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			EvaluationPeriods:  jsii.Number(1),
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
	// Email pings failed every retry: jobs pinged and Overdue did not record it.
	if props.MailPings != nil {
		add("MailPingDeadLetters",
			"Email pings could not be recorded after every retry and were dead-lettered: their checks may go down although the jobs ran. Read the queue's messages and the mailping function's logs.",
			awscloudwatch.AlarmProps{
				Metric:             props.MailPings.DeadLetterQueue.MetricApproximateNumberOfMessagesVisible(maximum(minutes(1))),
				Threshold:          jsii.Number(1),
				ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
				EvaluationPeriods:  jsii.Number(1),
				TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
			})
	}
	// Timers fire late: checks go down later than the 5 s the stack promises.
	add("TimerLag",
		fmt.Sprintf("Precise timers have fired more than %d s after their deadline for 3 of the last 5 minutes: checks go down late. Check the timer function's duration, throttles and errors.", timerLagMs/1000),
		awscloudwatch.AlarmProps{
			Metric:             timerLagMetric(props.Timers, minutes(1), "Maximum"),
			Threshold:          jsii.Number(timerLagMs),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
			EvaluationPeriods:  jsii.Number(5),
			DatapointsToAlarm:  jsii.Number(3),
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
	// Timers wait on the queue: the timer function is not consuming them.
	add("TimersNotConsumed",
		fmt.Sprintf("A precise timer has waited on its queue for more than %d minutes: the timer function is not consuming the queue, and checks go down only at the sweep. Check the event source mapping and the function.", timerAgeSeconds/60),
		awscloudwatch.AlarmProps{
			Metric:             props.Timers.Queue.MetricApproximateAgeOfOldestMessage(maximum(minutes(1))),
			Threshold:          jsii.Number(timerAgeSeconds),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
			EvaluationPeriods:  jsii.Number(3),
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})

	// Flips wait on the stream: the notifier is failing or slow, so alerts are late.
	add("NotifyLagging",
		"Flips have waited on the stream for more than 5 minutes: alerts are late. Check the notify function's errors and logs.",
		awscloudwatch.AlarmProps{
			Metric:             props.Notify.Function.Metric(jsii.String("IteratorAge"), maximum(minutes(1))),
			Threshold:          jsii.Number(5 * 60 * 1000), // milliseconds
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
			EvaluationPeriods:  jsii.Number(3),
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})

	// A delivery failed every retry and was parked: an alert did not reach its channel. The
	// notifier logs each one as "delivery parked" (internal/notify); the API lists them at
	// GET /api/v3/deliveries/parked/.
	a.Parked = awslogs.NewMetricFilter(c, jsii.String("ParkedDeliveries"), &awslogs.MetricFilterProps{
		LogGroup:        props.Notify.Function.LogGroup(),
		FilterPattern:   awslogs.FilterPattern_StringValue(jsii.String("$.msg"), jsii.String("="), jsii.String("delivery parked")),
		MetricNamespace: jsii.String("Overdue/" + st.Name),
		MetricName:      jsii.String("ParkedDeliveries"),
		MetricValue:     jsii.String("1"),
	})
	add("NotifyParked",
		"An alert delivery failed every retry and was parked: a channel did not get its alert. List them with GET /api/v3/deliveries/parked/ and fix the channel.",
		awscloudwatch.AlarmProps{
			Metric:             a.Parked.Metric(sum(minutes(5))),
			Threshold:          jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			EvaluationPeriods:  jsii.Number(1),
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})

	// The API answers 5xx to more than 5 % of at least 10 requests in five minutes.
	period := minutes(5)
	add("Api5xxRate",
		fmt.Sprintf("More than %d%% of API requests were answered 5xx in 5 minutes: pings may be lost. Check the api function's errors and logs.", apiErrorRatePercent),
		awscloudwatch.AlarmProps{
			Metric: awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
				Label:      jsii.String("5xx %"),
				Expression: jsii.String(fmt.Sprintf("IF(requests >= %d, 100 * errors / requests, 0)", apiErrorMinRequests)),
				UsingMetrics: &map[string]awscloudwatch.IMetric{
					"errors":   props.API.HTTPAPI.MetricServerError(sum(period)),
					"requests": props.API.HTTPAPI.MetricCount(sum(period)),
				},
				Period: period,
			}),
			Threshold:          jsii.Number(apiErrorRatePercent),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
			EvaluationPeriods:  jsii.Number(1),
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})

	// The API is slow: pings may time out in the jobs that send them.
	add("ApiLatencyP99",
		fmt.Sprintf("The API's 99th percentile latency has been over %d ms for 15 minutes: pings are slow and may time out. Check the api function's duration, its throttles, and the table's.", apiLatencyP99Ms),
		awscloudwatch.AlarmProps{
			Metric:             props.API.HTTPAPI.MetricLatency(&awscloudwatch.MetricOptions{Period: period, Statistic: jsii.String("p99")}),
			Threshold:          jsii.Number(apiLatencyP99Ms),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
			EvaluationPeriods:  jsii.Number(3),
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})

	// The table refused requests: pings, sweeps or deliveries failed or were retried.
	table := props.Data.Table
	add("TableThrottles",
		"DynamoDB throttled requests to the table in the last 5 minutes: pings, sweeps or deliveries were slowed or failed. On-demand tables throttle past twice their previous peak or the account's table limits; check the table's metrics.",
		awscloudwatch.AlarmProps{
			Metric: table.MetricThrottledRequestsForOperations(&awsdynamodb.OperationsMetricOptions{
				Operations: &tableOperations, Period: period, Statistic: jsii.String("Sum"),
			}),
			Threshold:          jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			EvaluationPeriods:  jsii.Number(1),
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
	add("TableSystemErrors",
		"DynamoDB answered requests to the table with internal errors (HTTP 500) in the last 5 minutes: a problem on AWS's side. Check the AWS Health Dashboard; the functions retry.",
		awscloudwatch.AlarmProps{
			Metric: table.MetricSystemErrorsForOperations(&awsdynamodb.SystemErrorsForOperationsMetricOptions{
				Operations: &tableOperations, Period: period, Statistic: jsii.String("Sum"),
			}),
			Threshold:          jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			EvaluationPeriods:  jsii.Number(1),
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})

	// Ping intake has an outage of ours: the one operator alarm that replaces a wave of false
	// alerts. One minute is enough: the sweep declares an outage only after the canary has been
	// quiet for the tolerance (150 s), and holds timeouts from then on. A sweep that does not
	// run emits nothing, and SweepNotSucceeding covers it.
	add("IngestionUnhealthy",
		"Pings are not reaching Overdue: the ingestion canary, pinged through the public endpoint every minute, has stopped arriving (API throttling or errors, a bad deploy, DNS, the table). Timeouts this could cause are held and checks show unknown, not down; they resume when ingestion recovers. Check the API's 5xx and throttles, the api function's errors and the table's.",
		awscloudwatch.AlarmProps{
			Metric:             ingestionMetric(props.Sweep, minutes(1)),
			Threshold:          jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			EvaluationPeriods:  jsii.Number(1),
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})

	// The sweep starts late: checks go down later than they should. Each sweep reports its lag
	// (functions/sweep, Embedded Metric Format).
	add("SweepLag",
		fmt.Sprintf("Sweeps have started more than %d s after their scheduled minute for 15 minutes: checks go down late. Check the sweep function's duration and throttles, and EventBridge.", sweepLagMs/1000),
		awscloudwatch.AlarmProps{
			Metric:             sweepLagMetric(props.Sweep, period, "Maximum"),
			Threshold:          jsii.Number(sweepLagMs),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
			EvaluationPeriods:  jsii.Number(3),
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})

	// SES reputation: an account whose bounce or complaint rate climbs is reviewed, then paused,
	// and then no email alert goes out at all. The rates are the account's in this region
	// (AWS/SES has no per-identity dimension for them).
	ses := func(name string) awscloudwatch.Metric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String("AWS/SES"), MetricName: jsii.String(name),
			Period: awscdk.Duration_Hours(jsii.Number(1)), Statistic: jsii.String("Maximum"),
		})
	}
	add("SesBounceRate",
		fmt.Sprintf("The account's SES bounce rate is over %.0f%%: SES reviews the account at 5%% and may pause its sending, and then no email alert goes out. Find the email channels that bounce (parked deliveries) and fix or remove them.", sesBounceRate*100),
		awscloudwatch.AlarmProps{
			Metric:             ses("Reputation.BounceRate"),
			Threshold:          jsii.Number(sesBounceRate),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
			EvaluationPeriods:  jsii.Number(1),
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
	add("SesComplaintRate",
		fmt.Sprintf("The account's SES complaint rate is over %.2f%%: SES reviews the account at 0.1%% and may pause its sending. Find who marks alerts as spam and remove that channel.", sesComplaintRate*100),
		awscloudwatch.AlarmProps{
			Metric:             ses("Reputation.ComplaintRate"),
			Threshold:          jsii.Number(sesComplaintRate),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
			EvaluationPeriods:  jsii.Number(1),
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})

	// Every function: any error or throttle in five minutes. Handlers map expected failures to
	// responses, so an invocation error is a bug, a broken dependency or a timeout.
	for _, name := range slices.Sorted(maps.Keys(props.Functions)) {
		fn := props.Functions[name]
		id := strings.ToUpper(name[:1]) + name[1:]
		add(id+"Errors",
			fmt.Sprintf("The %s function failed invocations in the last 5 minutes. Read its logs.", name),
			awscloudwatch.AlarmProps{
				Metric:             fn.MetricErrors(sum(period)),
				Threshold:          jsii.Number(1),
				ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
				EvaluationPeriods:  jsii.Number(1),
				TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
			})
		add(id+"Throttles",
			fmt.Sprintf("The %s function was throttled in the last 5 minutes: the account's concurrency is used up. Raise the limit or find what uses it.", name),
			awscloudwatch.AlarmProps{
				Metric:             fn.MetricThrottles(sum(period)),
				Threshold:          jsii.Number(1),
				ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
				EvaluationPeriods:  jsii.Number(1),
				TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
			})
	}
	return a
}
