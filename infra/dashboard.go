package main

import (
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// DashboardProps configures the Dashboard construct.
type DashboardProps struct {
	// Stage is the stage being deployed.
	Stage Stage
	// API, Sweep, Timers and Alarms are graphed.
	API    *API
	Sweep  *Sweep
	Timers *Timers
	Alarms *Alarms
	// Functions are the functions whose errors and refusals are graphed, by name.
	Functions map[string]awslambda.IFunction
}

// Dashboard is the stage's CloudWatch dashboard, Overdue-<stage>: one page an operator opens
// when an alarm fires or someone asks whether Overdue is well. Each row answers a question:
// are pings arriving and answered (requests, 4xx and 5xx), how fast, is the sweep on time, are
// functions failing, are alerts delivered (parked deliveries), does any function refuse the
// data model.
type Dashboard struct {
	constructs.Construct
	// Dashboard is the CloudWatch dashboard.
	Dashboard awscloudwatch.Dashboard
}

// NewDashboard creates the dashboard.
func NewDashboard(scope constructs.Construct, id string, props *DashboardProps) *Dashboard {
	c := constructs.NewConstruct(scope, jsii.String(id))
	st := props.Stage
	minute := awscdk.Duration_Minutes(jsii.Number(1))
	opts := func(stat, label string) *awscloudwatch.MetricOptions {
		return &awscloudwatch.MetricOptions{Period: minute, Statistic: jsii.String(stat), Label: jsii.String(label)}
	}
	graph := func(title string, left ...awscloudwatch.IMetric) awscloudwatch.GraphWidget {
		return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String(title), Left: &left, Width: jsii.Number(12), Height: jsii.Number(6),
		})
	}
	names := slices.Sorted(maps.Keys(props.Functions))
	var errs, refused []awscloudwatch.IMetric
	for _, name := range names {
		fn := props.Functions[name]
		errs = append(errs, fn.MetricErrors(opts("Sum", name+" errors")), fn.MetricThrottles(opts("Sum", name+" throttles")))
		refused = append(refused, awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace:     jsii.String(refusedNamespace),
			MetricName:    jsii.String(refusedMetric),
			DimensionsMap: &map[string]*string{refusedDimension: fn.FunctionName()},
			Period:        minute,
			Statistic:     jsii.String("Sum"),
			Label:         jsii.String(name),
		}))
	}
	api := props.API.HTTPAPI
	d := awscloudwatch.NewDashboard(c, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		DashboardName: jsii.String(fmt.Sprintf("Overdue-%s", st.Name)),
		Widgets: &[]*[]awscloudwatch.IWidget{
			{
				graph("Pings and API requests (per minute)",
					api.MetricCount(opts("Sum", "requests")),
					api.MetricClientError(opts("Sum", "4xx")),
					api.MetricServerError(opts("Sum", "5xx"))),
				graph("API latency (ms)",
					api.MetricLatency(opts("p50", "p50")),
					api.MetricLatency(opts("p99", "p99")),
					api.MetricIntegrationLatency(opts("p99", "integration p99"))),
			},
			{
				graph("Sweep lag behind its schedule, timers behind their deadline (ms)",
					sweepLagMetric(props.Sweep, minute, "Maximum"),
					props.Sweep.Function.MetricDuration(opts("Maximum", "sweep duration")),
					timerLagMetric(props.Timers, minute, "Maximum")),
				graph("Function errors and throttles", errs...),
			},
			{
				graph("Deliveries parked (alerts that failed every retry)",
					props.Alarms.Parked.Metric(opts("Sum", "parked"))),
				graph("Data-model refusals", refused...),
			},
		},
	})
	// The CDK tags dashboards like everything else in the stack, but the CloudFormation
	// schema cfn-lint checks against has no Tags on AWS::CloudWatch::Dashboard (E3002).
	awscdk.Tags_Of(d).Remove(jsii.String(stageTag), &awscdk.TagProps{Priority: jsii.Number(1000)})
	return &Dashboard{Construct: c, Dashboard: d}
}
