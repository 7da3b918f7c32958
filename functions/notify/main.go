// Command notify is the Lambda function that delivers flips. The table's stream (new and old
// images) brings it every flip item the api and sweep functions insert; for each, it calls the
// notifier (internal/notify), which sends to the check's channels by email (SES), SMS (SNS),
// SNS topic or webhook, once per channel however often the record arrives. An EventBridge
// schedule invokes it too, to retry deliveries whose send failed transiently.
//
// A record the notifier could not handle (the table or a service failed) is reported in
// BatchItemFailures; Lambda sends it again, with the records after it. While the data model is
// one this build must not use, every invocation delivers nothing and fails, so Lambda retries
// the batch and counts the error, and each refusal counts in the DataModelRefused metric.
//
// Email goes through the SES configuration set SES_CONFIGURATION_SET when set, tagged with its
// project and channel; the set publishes bounces and complaints to an SNS topic that invokes
// this function too, and a permanent bounce or a complaint disables the channel it came from.
//
// Environment: TABLE_NAME, EMAIL_FROM, SES_CONFIGURATION_SET (optional), SECRET_ARN (or OVERDUE_SECRET_KEY for local runs; it
// derives webhook signing secrets), SITE_ROOT (optional: the link in messages), LOG_LEVEL, and
// optionally OVERDUE_URL_<KIND> (OVERDUE_URL_PD, …) to override a service's base URL.
// Build with `make build` (dist/notify/bootstrap).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"time"
	_ "time/tzdata" // messages show times in each check's zone; Lambda has no zone database.

	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/lambdaenv"
	"github.com/overduehq/overdue/internal/notify"
	"github.com/overduehq/overdue/internal/store/dynamo"
)

// settings is the function's own configuration, read once per cold start.
type settings struct {
	EmailFrom string
	SiteRoot  string
	// ConfigurationSet is the SES configuration set email goes through ("" for none).
	ConfigurationSet string
	// BaseURLs overrides service base URLs by kind (OVERDUE_URL_<KIND>).
	BaseURLs map[string]string
}

// loadSettings reads the function's own variables; lambdaenv.Build reports what is wrong with
// them together with the shared ones.
func loadSettings(env *lambdaenv.Env) settings {
	urls, err := notify.ParseBaseURLs(env.Lookup)
	env.Fail(err)
	return settings{EmailFrom: env.Require(lambdaenv.EmailFrom), SiteRoot: env.Get(lambdaenv.SiteRoot), BaseURLs: urls,
		ConfigurationSet: env.Get(lambdaenv.SESConfigurationSet)}
}

// needs are the shared pieces the function uses: the table and the signing secret.
var needs = lambdaenv.Needs{Store: true, Secret: true}

func main() { lambdaenv.Main(build) }

// build is the function's cold start: the shared root, the SES and SNS clients, the notifier.
func build(ctx context.Context, env *lambdaenv.Env) (any, error) {
	cfg := loadSettings(env)
	root, err := lambdaenv.Build(ctx, env, needs)
	if err != nil {
		return nil, err
	}
	disp, err := newDispatcher(cfg, clients{
		st:  root.Store,
		ses: sesv2.NewFromConfig(root.AWS),
		sns: sns.NewFromConfig(root.AWS),
	}, root.Secret, root.Now, root.Log)
	if err != nil {
		return nil, err
	}
	h := &handler{disp: disp, channels: root.Store.Deliveries(), log: root.Log, guard: root.Guard, refusals: root.Refusals,
		// The api function's channel tests run here, where the transports and their grants are.
		tester: &notify.Tester{Transports: disp.Transports, Undeliverable: disp.Undeliverable, SiteRoot: cfg.SiteRoot, Now: root.Now}, chans: root.Store}
	return h.invoke, nil
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
	email, err := notify.NewSES(c.ses, notify.SESConfig{From: cfg.EmailFrom, ConfigurationSet: cfg.ConfigurationSet})
	if err != nil {
		return nil, fmt.Errorf("configuration: %s: %w", lambdaenv.EmailFrom, err)
	}
	// BlockPrivate: the Lambda runtime API listens on 127.0.0.1, and a webhook must reach
	// nothing that is not public.
	webhook, err := notify.NewWebhook(notify.WebhookConfig{ServerSecret: secret, BlockPrivate: true})
	if err != nil {
		return nil, err
	}
	transports := map[string]notify.Transport{
		check.ChannelEmail:   email,
		check.ChannelSMS:     notify.NewSMS(c.sns),
		check.ChannelSNS:     notify.NewTopic(c.sns),
		check.ChannelWebhook: webhook,
	}
	// Service kinds (slack, pd, …): URLs from channel values may not reach private addresses,
	// as for webhooks; the operator's OVERDUE_URL_* overrides may.
	maps.Copy(transports, notify.NewServices(notify.ServicesConfig{BaseURLs: cfg.BaseURLs, BlockPrivate: true, Now: now}))
	return &notify.Dispatcher{
		Store: c.st,
		// The table's delivery records (dynamo.Deliveries): each (flip, channel) is claimed with a
		// conditional write, so a retried batch or a duplicate stream record never sends twice.
		Deliveries: c.st.Deliveries(),
		Transports: transports,
		// Shell channels run commands on a host of their own: never here.
		Undeliverable: map[string]string{notify.ChannelShell: notify.ShellUndeliverable},
		SiteRoot:      cfg.SiteRoot,
		Now:           now,
		Logger:        log,
	}, nil
}
