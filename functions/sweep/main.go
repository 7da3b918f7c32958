// Command sweep is the Lambda function an EventBridge schedule invokes every minute: one sweep
// (internal/sweep) that finds checks whose ping did not arrive in time and writes their flips.
// The notifier picks the flips up from the table's stream; this function sends nothing itself.
//
// A failed sweep returns its error, so Lambda counts it (and the alarm on the function's errors
// sees it); the next scheduled run sweeps again, and the store's conditional writes make a
// check flip once however many sweeps overlap.
//
// Environment: TABLE_NAME, LOG_LEVEL. Build with `make build` (dist/sweep/bootstrap).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"
	_ "time/tzdata" // cron and OnCalendar checks are evaluated in their zones; Lambda has no zone database.

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/overduehq/overdue/internal/lambdaenv"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/dynamo"
	"github.com/overduehq/overdue/internal/sweep"
)

// settings is the function's configuration, read once per cold start.
type settings struct {
	Table    string
	LogLevel slog.Level
}

// loadSettings reads the settings, failing with every missing or malformed variable named.
func loadSettings(env *lambdaenv.Env) (settings, error) {
	s := settings{Table: env.Require(lambdaenv.TableName), LogLevel: env.Level()}
	return s, env.Err()
}

func main() {
	if err := run(context.Background()); err != nil {
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
	log := lambdaenv.Logger(os.Stdout, cfg.LogLevel)
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("load AWS configuration: %w", err)
	}
	st := dynamo.New(dynamodb.NewFromConfig(awsCfg), cfg.Table, store.Options{})
	if err := startup(ctx, st); err != nil {
		// A build that cannot read the data sweeps nothing and says so on every run, until a
		// deploy fixes it; it never writes.
		log.Error("data model check failed; sweeping nothing", "table", cfg.Table, "error", err.Error())
		lambda.Start(func(ctx context.Context, _ events.EventBridgeEvent) error {
			log.ErrorContext(ctx, "data model check failed at cold start; sweeping nothing", "error", err.Error())
			return nil
		})
		return nil
	}
	h := newHandler(st, func() time.Time { return time.Now().UTC() }, log)
	lambda.Start(h.handle)
	return nil
}

// startup runs once per cold start, before the first sweep: the data-model guard (it never
// writes).
func startup(ctx context.Context, st *dynamo.Store) error {
	return st.Guard(ctx)
}

// handler runs one sweep per scheduled event.
type handler struct {
	sweeper *sweep.Sweeper
	now     func() time.Time
	log     *slog.Logger
}

// newHandler returns the handler over st, with now as the clock (tests pin it).
func newHandler(st store.Store, now func() time.Time, log *slog.Logger) *handler {
	return &handler{sweeper: &sweep.Sweeper{Store: st, Now: now, Logger: log}, now: now, log: log}
}

// handle sweeps at the handler's clock, not at the event's time: a delayed or retried
// invocation must judge checks by the time it actually runs, or it would flip checks that
// pinged in the meantime.
func (h *handler) handle(ctx context.Context, ev events.EventBridgeEvent) error {
	start := h.now()
	res, err := h.sweeper.Run(ctx)
	attrs := []any{"event", ev.ID, "scheduled", ev.Time, "lag", start.Sub(ev.Time).Round(time.Millisecond).String(),
		"examined", res.Examined, "flipped", res.Flipped}
	if err != nil {
		h.log.ErrorContext(ctx, "sweep failed", append(attrs, "error", err.Error())...)
		return fmt.Errorf("sweep: %w", err)
	}
	h.log.InfoContext(ctx, "swept", attrs...)
	return nil
}
