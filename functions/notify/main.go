// Command notify is the Lambda function that delivers flips. The table's stream (new and old
// images) brings it every flip item the api and sweep functions insert; for each, it calls the
// notifier (internal/notify), which sends to the check's channels by email (SES), SMS (SNS),
// SNS topic or webhook, once per channel however often the record arrives. An EventBridge
// schedule invokes it too, to retry deliveries whose send failed transiently.
//
// A record the notifier could not handle (the table or a service failed) is reported in
// BatchItemFailures; Lambda sends it again, with the records after it.
//
// Environment: TABLE_NAME, EMAIL_FROM, SECRET_ARN (or OVERDUE_SECRET_KEY for local runs; it
// derives webhook signing secrets), SITE_ROOT (optional: the link in messages), LOG_LEVEL.
// Build with `make build` (dist/notify/bootstrap).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"
	_ "time/tzdata" // messages show times in each check's zone; Lambda has no zone database.

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/lambdaenv"
	"github.com/overduehq/overdue/internal/notify"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/dynamo"
)

// settings is the function's configuration, read once per cold start.
type settings struct {
	Table     string
	EmailFrom string
	SiteRoot  string
	Secret    lambdaenv.Secret
	LogLevel  slog.Level
}

// loadSettings reads the settings, failing with every missing or malformed variable named.
func loadSettings(env *lambdaenv.Env) (settings, error) {
	s := settings{
		Table:     env.Require(lambdaenv.TableName),
		EmailFrom: env.Require(lambdaenv.EmailFrom),
		SiteRoot:  env.Get(lambdaenv.SiteRoot),
		Secret:    env.Secret(),
		LogLevel:  env.Level(),
	}
	return s, env.Err()
}

func main() {
	if err := run(context.Background()); err != nil {
		lambdaenv.Logger(os.Stderr, slog.LevelError).Error("cold start failed", "error", err.Error())
		os.Exit(1)
	}
}

// run is the composition root: configuration, clients and the handler, built once.
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
	st := dynamo.New(dynamodb.NewFromConfig(awsCfg), cfg.Table, store.Options{})
	if err := startup(ctx, st); err != nil {
		// Failing the cold start sends nothing and leaves the flips in the stream (and the
		// outbox) for a build that can read them; answering success would drop the batch.
		log.Error("data model check failed; delivering nothing", "table", cfg.Table, "error", err.Error())
		return err
	}
	disp, err := newDispatcher(cfg, clients{
		st:  st,
		ses: sesv2.NewFromConfig(awsCfg),
		sns: sns.NewFromConfig(awsCfg),
	}, secret, func() time.Time { return time.Now().UTC() }, log)
	if err != nil {
		return err
	}
	h := &handler{disp: disp, log: log}
	lambda.Start(h.invoke)
	return nil
}

// startup runs once per cold start, before the first batch: the data-model guard (it never
// writes).
func startup(ctx context.Context, st *dynamo.Store) error {
	return st.Guard(ctx)
}

// clients are the store and AWS clients the dispatcher uses, built once per process.
type clients struct {
	st  *dynamo.Store
	ses notify.SESClient
	sns notify.SNSClient
}

// newDispatcher builds the notifier: the store, the delivery records and a transport for each
// channel kind. Tests build it the same way against moto.
func newDispatcher(cfg settings, c clients, secret []byte, now func() time.Time, log *slog.Logger) (*notify.Dispatcher, error) {
	email, err := notify.NewSES(c.ses, notify.SESConfig{From: cfg.EmailFrom})
	if err != nil {
		return nil, fmt.Errorf("configuration: %s: %w", lambdaenv.EmailFrom, err)
	}
	// BlockPrivate: the Lambda runtime API listens on 127.0.0.1, and a webhook must reach
	// nothing that is not public.
	webhook, err := notify.NewWebhook(notify.WebhookConfig{ServerSecret: secret, BlockPrivate: true})
	if err != nil {
		return nil, err
	}
	return &notify.Dispatcher{
		Store:      c.st,
		Deliveries: deliveries(c.st),
		Transports: map[string]notify.Transport{
			check.ChannelEmail:   email,
			check.ChannelSMS:     notify.NewSMS(c.sns),
			check.ChannelSNS:     notify.NewTopic(c.sns),
			check.ChannelWebhook: webhook,
		},
		SiteRoot: cfg.SiteRoot,
		Now:      now,
		Logger:   log,
	}, nil
}

// deliveries returns the delivery records, kept in the store's table (see dynamo.Deliveries):
// each (flip, channel) is claimed with a conditional write, so a retried batch or a duplicate
// stream record never sends a second message.
func deliveries(st *dynamo.Store) notify.Deliveries {
	return st.Deliveries()
}
