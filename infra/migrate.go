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
)

// MigrateProps configures the Migrate construct.
type MigrateProps struct {
	// Stage is the stage being deployed.
	Stage Stage
	// Data is the table the migrations run on.
	Data *Data
}

// Migrate runs internal/schema's guard and migrations during `cdk deploy`, before any
// function takes traffic: a CloudFormation custom resource (Custom::OverdueSchema), served by
// the migrate function through the CDK Provider framework.
//
// Its properties carry this build's data-model version, so CloudFormation sends the function
// an Update whenever a deploy brings a different version (a new release, or a rollback to an
// older one), and a Create on the first deploy. The function must: on Create and Update,
// run schema.Check and the pending migrations, and fail (which fails and rolls back the
// deploy, changing nothing) when the data is newer than the build can handle; on Delete, do
// nothing, because the data outlives the stack's deletion in a stage that retains it; and always
// answer with the same PhysicalResourceId (the table name), so an Update never turns into a
// replacement and a Delete of the old one. CloudFormation passes the properties as strings.
//
// The stack makes the api, sweep and notify functions depend on Resource, so on every deploy
// they are created or updated only after the migration succeeded.
type Migrate struct {
	constructs.Construct
	// Function is the migrate function (functions/migrate).
	Function awslambda.Function
	// Resource is the custom resource; functions that need migrated data depend on it.
	Resource awscdk.CustomResource
}

// NewMigrate creates the migrate function, its provider and the custom resource.
func NewMigrate(scope constructs.Construct, id string, props *MigrateProps) *Migrate {
	c := constructs.NewConstruct(scope, jsii.String(id))
	st := props.Stage

	fn := newFunction(c, "Function", functionProps{
		Stage:       st,
		Name:        "migrate",
		Description: fmt.Sprintf("Overdue %s: data-model guard and migrations, run by cdk deploy", st.Name),
		MemoryMB:    st.Memory.Migrate,
		// Lambda's limit. A migration that needs longer must be resumable and run again
		// (migrations are idempotent and resumable by contract).
		Timeout: awscdk.Duration_Minutes(jsii.Number(15)),
		Data:    props.Data,
	})
	props.Data.Table.GrantReadWriteData(fn)

	retention, _ := st.logRetention() // validated by loadStage
	provider := customresources.NewProvider(c, jsii.String("Provider"), &customresources.ProviderProps{
		OnEventHandler: fn,
		LogGroup: awslogs.NewLogGroup(c, jsii.String("ProviderLogs"), &awslogs.LogGroupProps{
			Retention:     retention,
			RemovalPolicy: st.removalPolicy(),
		}),
	})

	res := awscdk.NewCustomResource(c, jsii.String("Schema"), &awscdk.CustomResourceProps{
		ServiceToken: provider.ServiceToken(),
		ResourceType: jsii.String("Custom::OverdueSchema"),
		Properties: &map[string]interface{}{
			"TableName":     props.Data.Table.TableName(),
			"SchemaVersion": schema.Current,
		},
	})

	return &Migrate{Construct: c, Function: fn, Resource: res}
}
