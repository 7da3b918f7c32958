package main

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/customresources"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/overduehq/overdue/internal/schema"
	"github.com/overduehq/overdue/internal/store/dynamo"
)

// MigrateProps configures the Migrate construct.
type MigrateProps struct {
	// Stage is the stage being deployed; its Build names the build in the migration history.
	Stage Stage
	// Data is the table the migrations run on.
	Data *Data
	// CodeSHA256 identifies the functions' code (Stage.codeSHA256), so that every deploy of
	// new code updates the resources and runs the guard.
	CodeSHA256 string
}

// The migrate resources' properties. functions/migrate reads them (CloudFormation passes each
// as a string).
const (
	propTableName     = "TableName"
	propSchemaVersion = "SchemaVersion" // this build's schema.Current
	propBuild         = "Build"         // Stage.Build: recorded in the table's migration history
	propCodeSHA256    = "CodeSHA256"    // changes with any function's code: every deploy runs the guard
	propPhase         = "Phase"         // "expand" or "contract": which migrations this resource applies
)

// Migrate runs internal/schema's guard and migrations during `cdk deploy`, in two phases, as
// two CloudFormation custom resources (Custom::OverdueSchema) served by the migrate function
// through the CDK Provider framework:
//
//   - Resource (Phase expand) runs before any function takes new code: it refuses data the build
//     cannot use, failing (and so rolling back) the deploy with nothing changed, and applies the
//     pending expand steps, which the old code keeps working with. The stack makes the api,
//     sweep and notify functions depend on it.
//   - Contract (Phase contract) runs after every function runs the new code: it applies the
//     rest, the steps that raise the minimum reader, which the old code could not use. The
//     stack makes it depend on the functions and everything else in the stack, so it is the
//     last resource CloudFormation updates: a deploy that fails anywhere else rolls back
//     before the data is contracted.
//
// Both carry this build's data-model version, its name and the hash of the functions' code, so
// CloudFormation sends an Update on every deploy that brings new code (a new release, or a
// rollback to an older one), and a Create on the first deploy. On Delete the function does
// nothing, because the data outlives the stack; it always answers with the same
// PhysicalResourceId (the table name), so an Update is never a replacement.
type Migrate struct {
	constructs.Construct
	// Function is the migrate function (functions/migrate).
	Function awslambda.Function
	// Live is its live alias (the function itself when the stage turns aliases off), which the provider invokes.
	Live awslambda.IFunction
	// Resource is the expand phase; functions that need migrated data depend on it.
	Resource awscdk.CustomResource
	// Contract is the contract phase; it must depend on every function (see NewStack).
	Contract awscdk.CustomResource
}

// NewMigrate creates the migrate function, its provider and the two custom resources.
func NewMigrate(scope constructs.Construct, id string, props *MigrateProps) *Migrate {
	c := constructs.NewConstruct(scope, jsii.String(id))
	st := props.Stage

	fn, live := newFunction(c, "Function", functionProps{
		Stage:               st,
		Name:                "migrate",
		Description:         fmt.Sprintf("Overdue %s: data-model guard and migrations, run by cdk deploy", st.Name),
		MemoryMB:            st.Memory.Migrate,
		ReservedConcurrency: st.ReservedConcurrency.Migrate,
		// Lambda's limit. A migration that needs longer must be resumable and run again
		// (migrations are idempotent and resumable by contract).
		Timeout: awscdk.Duration_Minutes(jsii.Number(15)),
		// Migration 8 seals channel values under a key derived from the secret.
		Environment: map[string]*string{
			"SECRET_ARN": props.Data.Secret.SecretArn(),
		},
		Data: props.Data,
	})
	// Migrations scan the table, rewrite and delete items, in batches, and query any index.
	props.Data.GrantItems(fn, concat(readActions, writeActions, manageActions), dynamo.DueIndex, dynamo.DueBucketIndex, dynamo.ProjectIndex, dynamo.UnprocessedIndex)
	props.Data.Secret.GrantRead(fn, nil)

	retention, _ := st.logRetention() // validated by loadStage
	provider := customresources.NewProvider(c, jsii.String("Provider"), &customresources.ProviderProps{
		// The alias: the provider invokes the version this deploy published, never $LATEST.
		OnEventHandler: live,
		LogGroup: awslogs.NewLogGroup(c, jsii.String("ProviderLogs"), &awslogs.LogGroupProps{
			Retention:     retention,
			RemovalPolicy: st.removalPolicy(),
		}),
	})

	resource := func(id string, phase schema.Phase) awscdk.CustomResource {
		return awscdk.NewCustomResource(c, jsii.String(id), &awscdk.CustomResourceProps{
			ServiceToken: provider.ServiceToken(),
			ResourceType: jsii.String("Custom::OverdueSchema"),
			Properties: &map[string]interface{}{
				propTableName:     props.Data.Table.TableName(),
				propSchemaVersion: schema.Current,
				propBuild:         st.Build,
				propCodeSHA256:    props.CodeSHA256,
				propPhase:         string(phase),
			},
		})
	}
	// "Schema" is the ID the single resource had before the two phases: kept, so that the
	// first deploy with phases updates it rather than replacing it.
	return &Migrate{
		Construct: c,
		Function:  fn,
		Live:      live,
		Resource:  resource("Schema", schema.Expand),
		Contract:  resource("Contract", schema.Contract),
	}
}
