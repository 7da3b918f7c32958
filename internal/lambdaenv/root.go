package lambdaenv

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/overduehq/overdue/internal/schema"
	"github.com/overduehq/overdue/internal/seal"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/dynamo"
)

// Needs says which of the shared pieces a function builds at cold start.
type Needs struct {
	// Store: TABLE_NAME is required, and the root has the DynamoDB store with its write guard.
	Store bool
	// Secret: SECRET_ARN (or OVERDUE_SECRET_KEY) is required, and the root has the secret and
	// the Box of channel values; the store gets the Box (a store without one cannot write or
	// read channels).
	Secret bool
}

// Root is what every function builds once per cold start, in this order: the shared variables
// (read with the function's own, so that one failed start names every problem), the logger, the
// AWS configuration, the signing secret, and the store, whose data-model guard is checked once.
// Each main adds only what is particular to it.
type Root struct {
	// Log writes JSON lines to standard output at LOG_LEVEL.
	Log *slog.Logger
	// AWS is the SDK configuration from the function's environment and role.
	AWS aws.Config
	// Table is TABLE_NAME ("" without Needs.Store).
	Table string
	// Store is the table's store (nil without Needs.Store). Its Gate guards every write and is
	// what the handlers ask before they work (see Guard).
	Store *dynamo.Store
	// Secret is the signing secret (nil without Needs.Secret).
	Secret []byte
	// Box seals and opens channel values under a key derived from Secret (nil without
	// Needs.Secret); the store has it.
	Box *seal.Box
	// Refusals emits the DataModelRefused metric.
	Refusals *Refusals
	// Metrics emits the function's other metrics (the sweep's lag).
	Metrics *Metrics
	// Now is the clock: UTC wall time.
	Now func() time.Time
}

// Build builds the root. env has already read the function's own variables: their problems are
// reported here with the shared ones. A data model this build must not use does not fail the
// cold start: it is logged and counted, and the handlers refuse each invocation until the data
// fits (Guard), so that the instance recovers without a cold start. A META that cannot be read
// (permissions, a missing table) does fail it, so that Lambda retries the start.
func Build(ctx context.Context, env *Env, needs Needs) (*Root, error) {
	r := &Root{Now: func() time.Time { return time.Now().UTC() }}
	if needs.Store {
		r.Table = env.Require(TableName)
	}
	var secret Secret
	if needs.Secret {
		secret = env.Secret()
	}
	level := env.Level()
	maxAge := env.Duration(GuardMaxAge, schema.DefaultMaxAge)
	function := env.Get(FunctionName)
	if err := env.Err(); err != nil {
		return nil, err
	}
	r.Log = Logger(os.Stdout, level)
	r.Refusals = &Refusals{W: os.Stdout, Function: function, Now: r.Now}
	r.Metrics = &Metrics{W: os.Stdout, Function: function, Now: r.Now}
	var err error
	if r.AWS, err = config.LoadDefaultConfig(ctx); err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	if needs.Secret {
		var secrets SecretsClient
		if secret.ARN != "" {
			secrets = secretsmanager.NewFromConfig(r.AWS)
		}
		if r.Secret, err = secret.Load(ctx, secrets); err != nil {
			return nil, err
		}
		if r.Box, err = seal.New(r.Secret); err != nil {
			return nil, err
		}
	}
	if needs.Store {
		r.Store = dynamo.New(dynamodb.NewFromConfig(r.AWS), r.Table, store.Options{Box: r.Box})
		r.Store.Gate = schema.NewGate(r.Store.Version, schema.GateConfig{Build: dynamo.GateBuild(), MaxAge: maxAge})
		if err := r.Guard(ctx); err != nil && schema.Refused(err) == nil {
			return nil, err
		}
	}
	return r, nil
}

// Guard is the data-model check a handler makes before it works: nil when the build may use the
// table; otherwise the error, and the handler must do nothing and fail its invocation. A refusal
// (schema.Refused) is logged and counted in the DataModelRefused metric. It reads META at most
// once per 5 s (GUARD_MAX_AGE) while the data fits, and after a refusal after 1 s, doubling up
// to 30 s.
func (r *Root) Guard(ctx context.Context) error {
	return Refuse(ctx, r.Store.Gate.Check(ctx), r.Log, r.Refusals)
}

// Refuse logs err and counts it in the DataModelRefused metric (unless refusals is nil) when it
// is a refusal of the data model, and returns it: handlers pass the errors they fail with
// through it.
func Refuse(ctx context.Context, err error, log *slog.Logger, refusals *Refusals) error {
	if refusal := schema.Refused(err); refusal != nil {
		log.ErrorContext(ctx, "data model refused; doing nothing", "error", refusal.Error())
		if refusals != nil {
			refusals.Refused(refusal)
		}
	}
	return err
}

// Main runs a function: build reads the function's variables and builds its handler on the
// root; Main hands the handler to the Lambda runtime. A failed cold start is logged and exits
// with status 1: Lambda reports it as an init error and tries again with the next invocation,
// rather than running with half a configuration.
func Main(build func(ctx context.Context, env *Env) (handler any, err error)) {
	h, err := build(context.Background(), FromOS())
	if err != nil {
		Logger(os.Stderr, slog.LevelError).Error("cold start failed", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h)
}
