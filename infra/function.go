package main

import (
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// functionProps describes one of Overdue's Go functions.
type functionProps struct {
	// Stage is the stage being deployed.
	Stage Stage
	// Name is the function's directory under Stage.Dist (api, sweep, notify, migrate).
	Name string
	// Description is shown in the Lambda console.
	Description string
	// MemoryMB is the memory size.
	MemoryMB int
	// ReservedConcurrency is the function's reserved concurrency; 0 reserves none.
	ReservedConcurrency int
	// Timeout bounds one invocation.
	Timeout awscdk.Duration
	// Environment is added to the one every function gets (TABLE_NAME, LOG_LEVEL).
	Environment map[string]*string
	// Data is the table and secret; the function gets the table's name.
	Data *Data
	// DeadLetterQueue, when set, receives the events of asynchronous invocations (SNS, SES)
	// that failed every retry, instead of Lambda dropping them; the function's role may send
	// to it.
	DeadLetterQueue awssqs.IQueue
}

// newFunction makes a Go function from Stage.Dist/<name>/bootstrap, built by `make build` for
// the provided.al2023 runtime on arm64 (Graviton: cheaper per millisecond than x86 and as fast
// for this code), with its own log group so retention and removal follow the stage, X-Ray
// tracing, and the stage's reserved concurrency. Grants are the caller's.
//
// The second result is what callers invoke: the function's alias "live" (LiveAlias) on a version
// published from the current code and configuration. Everything that invokes the function (the
// API, the schedules, the stream mapping, the migrate provider) invokes the alias, so that what
// runs is a version named in the stack, and a deploy moves every caller to the new code in one
// step. With Stage.Aliases off (the moto smoke deploy: moto's CloudFormation has no
// AWS::Lambda::Alias), it is the function itself.
func newFunction(scope constructs.Construct, id string, p functionProps) (awslambda.Function, awslambda.IFunction) {
	retention, err := p.Stage.logRetention()
	if err != nil {
		// loadStage validated the stage; reaching this is a programming error.
		panic(err)
	}
	// An explicit log group instead of the function's LogRetention option: that one is set by
	// a custom resource (a Lambda function the CDK adds) after the fact, this one is a plain
	// AWS::Logs::LogGroup with the retention on it.
	logs := awslogs.NewLogGroup(scope, jsii.String(id+"Logs"), &awslogs.LogGroupProps{
		Retention:     retention,
		RemovalPolicy: p.Stage.removalPolicy(),
	})
	env := map[string]*string{
		"TABLE_NAME": p.Data.Table.TableName(),
		"LOG_LEVEL":  jsii.String(p.Stage.LogLevel),
	}
	for k, v := range p.Environment {
		env[k] = v
	}
	props := &awslambda.FunctionProps{
		Description:  jsii.String(p.Description),
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String("bootstrap"),
		Code:         awslambda.Code_FromAsset(jsii.String(filepath.Join(p.Stage.Dist, p.Name)), nil),
		MemorySize:   jsii.Number(float64(p.MemoryMB)),
		Timeout:      p.Timeout,
		Environment:  &env,
		LogGroup:     logs,
		// Traces every invocation and the AWS SDK calls it makes (the role gets the X-Ray
		// actions, which IAM allows on no narrower resource than "*").
		Tracing: awslambda.Tracing_ACTIVE,
		// A replaced version is deleted: the stack's rollback is a deploy of the older build
		// (README, "Upgrades and rollbacks"), which publishes its code again; retained ones
		// would pile up in the account's code storage.
		CurrentVersionOptions: &awslambda.VersionOptions{RemovalPolicy: awscdk.RemovalPolicy_DESTROY},
	}
	if p.DeadLetterQueue != nil {
		props.DeadLetterQueue = p.DeadLetterQueue
	}
	if p.ReservedConcurrency > 0 {
		props.ReservedConcurrentExecutions = jsii.Number(float64(p.ReservedConcurrency))
	}
	fn := awslambda.NewFunction(scope, jsii.String(id), props)
	if !p.Stage.Aliases {
		return fn, fn
	}
	alias := awslambda.NewAlias(scope, jsii.String(id+"Live"), &awslambda.AliasProps{
		AliasName: jsii.String(LiveAlias),
		Version:   fn.CurrentVersion(),
	})
	return fn, alias
}

// LiveAlias is the name of every function's alias, the one its callers invoke.
const LiveAlias = "live"

// removalPolicy is what happens to stateful resources when the stack is deleted or they are
// replaced: retained for a stage that keeps its data (prod), destroyed otherwise.
func (s Stage) removalPolicy() awscdk.RemovalPolicy {
	if s.Retain {
		return awscdk.RemovalPolicy_RETAIN
	}
	return awscdk.RemovalPolicy_DESTROY
}
