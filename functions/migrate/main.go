// Command migrate is the Lambda function behind the deploy's data-model custom resource: the
// CDK Provider framework calls it (onEvent) on every Create and Update of the resource, and it
// guards and migrates the table with internal/schema before the API, sweep and notify
// functions, which depend on the resource, are updated. A build that cannot use the data fails
// the resource with the guard's message, CloudFormation rolls the deploy back, and the data is
// untouched. Delete does nothing. See handle for the rules.
//
// Environment: TABLE_NAME (used when the resource names no TableName), SECRET_ARN (or
// OVERDUE_SECRET_KEY for local runs: migration 8 seals channel values under it, and the
// ingestion canary of builds before data model 17 derived its IDs from it), LOG_LEVEL. It
// needs dynamodb:GetItem, Scan and UpdateItem on the table and secretsmanager:GetSecretValue on
// the secret. Give it the longest timeout (15 minutes):
// a backfill runs as long as the table is large, and a run cut short is finished by the next.
// Build with `make build` (dist/migrate/bootstrap, linux/arm64, provided.al2023, lambda.norpc).
package main

import (
	"context"
	"time"
	_ "time/tzdata" // Lambda's provided.al2023 image has no zone database; the functions share one build setup.

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/overduehq/overdue/internal/lambdaenv"
	"github.com/overduehq/overdue/internal/schema"
)

// lockWait is how long a deploy waits for another migration of the table (an operator's
// `overdue migrate up`) to finish before it fails the resource with the holder's name.
const lockWait = 2 * time.Minute

// settings is the function's own configuration, read once per cold start.
type settings struct {
	Table string // optional: the resource's TableName property wins
}

// loadSettings reads the function's own variables.
func loadSettings(env *lambdaenv.Env) settings {
	return settings{Table: env.Get(lambdaenv.TableName)}
}

func main() { lambdaenv.Main(build) }

// build is the function's cold start: the shared root (no store: the table comes with each
// request) and the handler. A refusal fails the resource, and with it the deploy, and counts in
// the DataModelRefused metric.
func build(ctx context.Context, env *lambdaenv.Env) (any, error) {
	cfg := loadSettings(env)
	// The secret: migration 8 seals channel values under it.
	root, err := lambdaenv.Build(ctx, env, lambdaenv.Needs{Secret: true})
	if err != nil {
		return nil, err
	}
	h := &handler{
		db:       dynamodb.NewFromConfig(root.AWS),
		table:    cfg.Table,
		build:    schema.This(),
		now:      root.Now,
		lockWait: lockWait,
		log:      root.Log,
		box:      root.Box,
		secret:   root.Secret,
	}
	return func(ctx context.Context, req request) (response, error) {
		resp, err := h.handle(ctx, req)
		return resp, lambdaenv.Refuse(ctx, err, root.Log, root.Refusals)
	}, nil
}
