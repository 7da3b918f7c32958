// Command infra is the CDK app that deploys Overdue to AWS: one stack per stage, Overdue-<stage>,
// holding the table, the api, sweep and notify functions, the HTTP API, the sweep schedule, the
// stream subscription and the alarms. cdk.json at the repository root runs it; see the README
// (make synth / diff / deploy STAGE=...).
//
// Configuration is read once, here: the stage (-c stage=dev|prod|<name>, default dev), its
// settings from the "stages" context object over the built-in defaults (config.go), the
// account and region from CDK_DEFAULT_ACCOUNT and CDK_DEFAULT_REGION, and where the function
// binaries are (-c dist=DIR, else $OVERDUE_DIST, else dist). Every construct takes the
// resulting Stage as it is.
//
// The functions are built separately (`make build`), so nothing of the CDK reaches a Lambda
// binary: infra imports internal packages for their constants, never the other way round.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

func main() {
	err := run()
	// Stops the jsii kernel (a node process) and removes its temporary files.
	jsii.Close()
	if err != nil {
		fmt.Fprintf(os.Stderr, "overdue infra: %v\n", err)
		os.Exit(1)
	}
}

// run reads the configuration, builds the stack and writes the cloud assembly (to CDK_OUTDIR,
// which the CDK CLI sets).
func run() error {
	app := awscdk.NewApp(nil)
	stage, err := loadStage(func(key string) any { return app.Node().TryGetContext(jsii.String(key)) }, os.Getenv)
	if err != nil {
		return err
	}
	if _, err := NewStack(app, &StackProps{Stage: stage}); err != nil {
		return err
	}
	app.Synth(nil)
	return nil
}
