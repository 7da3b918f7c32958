// Command api is the Lambda function behind the API Gateway HTTP API: the ping API, the
// management API, badges and metrics. It adapts each payload 2.0 event to the one http.Handler
// in internal/httpapi with aws-lambda-go-api-proxy's httpadapter, so the handler never sees a
// Lambda event, and `overdue serve` runs the very same code over net/http.
//
// Environment: TABLE_NAME, SITE_ROOT, SECRET_ARN (or OVERDUE_SECRET_KEY for local runs),
// LOG_LEVEL. Build with `make build` (dist/api/bootstrap, linux/arm64, provided.al2023).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"
	_ "time/tzdata" // Lambda's provided.al2023 image has no zone database; schedules need one.

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/overduehq/overdue/internal/httpapi"
	"github.com/overduehq/overdue/internal/lambdaenv"
	"github.com/overduehq/overdue/internal/schema"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/dynamo"
)

// settings is the function's configuration, read once per cold start.
type settings struct {
	Table    string
	SiteRoot string
	Secret   lambdaenv.Secret
	LogLevel slog.Level
}

// loadSettings reads the settings, failing with every missing or malformed variable named.
func loadSettings(env *lambdaenv.Env) (settings, error) {
	s := settings{
		Table:    env.Require(lambdaenv.TableName),
		SiteRoot: env.Require(lambdaenv.SiteRoot),
		Secret:   env.Secret(),
		LogLevel: env.Level(),
	}
	return s, env.Err()
}

func main() {
	if err := run(context.Background()); err != nil {
		// Exiting fails the cold start: Lambda reports it as an init error and tries again with
		// the next request, rather than serving with half a configuration.
		lambdaenv.Logger(os.Stderr, slog.LevelError).Error("cold start failed", "error", err.Error())
		os.Exit(1)
	}
}

// run is the composition root: configuration, clients and the handler, built once, then
// handed to the Lambda runtime, which calls the handler for every request.
func run(ctx context.Context) error {
	cfg, err := loadSettings(lambdaenv.FromOS())
	if err != nil {
		return err
	}
	log := lambdaenv.Logger(os.Stdout, cfg.LogLevel)
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("load AWS configuration: %w", err)
	}
	var secrets lambdaenv.SecretsClient
	if cfg.Secret.ARN != "" {
		secrets = secretsmanager.NewFromConfig(awsCfg)
	}
	secret, err := cfg.Secret.Load(ctx, secrets)
	if err != nil {
		return err
	}
	db := dynamodb.NewFromConfig(awsCfg)
	st := dynamo.New(db, cfg.Table, store.Options{})

	var h http.Handler
	if err := startup(ctx, st); err != nil {
		var ve *schema.VersionError
		var pe *schema.PendingError
		if !errors.As(err, &ve) && !errors.As(err, &pe) {
			// META unreadable (throttling, permissions): fail the cold start and let Lambda
			// retry, rather than answer 503 for this instance's whole life.
			return err
		}
		// Code that meets data it cannot read answers 503 naming both versions, and never
		// writes (DESIGN.md, "code and data model ship together").
		log.Error("data model check failed; answering 503", "error", err.Error())
		h = unavailable(err)
	} else {
		h = newHandler(st, cfg, secret, log, func() time.Time { return time.Now().UTC() })
	}
	lambda.Start(httpadapter.NewV2(h).ProxyWithContext)
	return nil
}

// startup runs once per cold start, before the first request: the data-model guard. It never
// writes. It returns *schema.VersionError (data too new or too old for this build),
// *schema.PendingError (the deploy has not created or migrated the data model yet), or a plain
// error when META cannot be read.
func startup(ctx context.Context, st *dynamo.Store) error {
	return st.Guard(ctx)
}

// newHandler is the HTTP handler the function serves; the tests drive it through httpadapter
// with recorded API Gateway events. The table's delivery records serve the parked-deliveries
// listing.
func newHandler(st *dynamo.Store, cfg settings, secret []byte, log *slog.Logger, now func() time.Time) http.Handler {
	return httpapi.New(httpapi.Config{
		Store:      st,
		Deliveries: st.Deliveries(),
		Now:        now,
		SiteRoot:   cfg.SiteRoot,
		Logger:     log,
		SecretKey:  secret,
		// Undeliverable stays nil: functions/notify has a transport for every channel kind, so
		// every channel created here is deliverable.
		Undeliverable: nil,
	})
}

// unavailable answers every request 503 {"error": ...} with err's text, which names both
// data-model versions and what to do.
func unavailable(err error) http.Handler {
	body, _ := json.Marshal(map[string]string{"error": err.Error()})
	body = append(body, '\n')
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After", "60")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write(body)
	})
}
