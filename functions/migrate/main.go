// Command migrate is the Lambda function behind the deploy's data-model custom resource: the
// CDK Provider framework calls it (onEvent) on every Create and Update of the resource, and it
// guards and migrates the table with internal/schema before the API, sweep and notify
// functions, which depend on the resource, are updated. A build that cannot use the data fails
// the resource with the guard's message, CloudFormation rolls the deploy back, and the data is
// untouched. Delete does nothing. See handle for the rules.
//
// Environment: TABLE_NAME (used when the resource names no TableName), LOG_LEVEL. It needs
// dynamodb:GetItem, Scan and UpdateItem on the table. Give it the longest timeout (15 minutes):
// a backfill runs as long as the table is large, and a run cut short is finished by the next.
// Build with `make build` (dist/migrate/bootstrap, linux/arm64, provided.al2023, lambda.norpc).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"
	_ "time/tzdata" // Lambda's provided.al2023 image has no zone database; the functions share one build setup.

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/overduehq/overdue/internal/lambdaenv"
	"github.com/overduehq/overdue/internal/schema"
)

// lockWait is how long a deploy waits for another migration of the table (an operator's
// `overdue migrate up`) to finish before it fails the resource with the holder's name.
const lockWait = 2 * time.Minute

// settings is the function's configuration, read once per cold start.
type settings struct {
	Table    string // optional: the resource's TableName property wins
	LogLevel slog.Level
}

// loadSettings reads the settings, failing with every malformed variable named.
func loadSettings(env *lambdaenv.Env) (settings, error) {
	s := settings{Table: env.Get(lambdaenv.TableName), LogLevel: env.Level()}
	return s, env.Err()
}

func main() {
	if err := run(context.Background()); err != nil {
		// A failed cold start fails the invocation, and with it the resource and the deploy.
		lambdaenv.Logger(os.Stderr, slog.LevelError).Error("cold start failed", "error", err.Error())
		os.Exit(1)
	}
}

// run is the composition root: configuration, the client and the handler, built once.
func run(ctx context.Context) error {
	cfg, err := loadSettings(lambdaenv.FromOS())
	if err != nil {
		return err
	}
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("load AWS configuration: %w", err)
	}
	h := &handler{
		db:       dynamodb.NewFromConfig(awsCfg),
		table:    cfg.Table,
		build:    schema.This(),
		now:      func() time.Time { return time.Now().UTC() },
		lockWait: lockWait,
		log:      lambdaenv.Logger(os.Stdout, cfg.LogLevel),
	}
	lambda.Start(h.handle)
	return nil
}
