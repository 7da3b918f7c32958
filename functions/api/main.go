// Command api is the Lambda function behind the API Gateway HTTP API: the ping API, the
// management API, badges, metrics and the sign-in pages (internal/web). It adapts each payload 2.0 event to the one http.Handler
// in internal/httpapi with aws-lambda-go-api-proxy's httpadapter, so the handler never sees a
// Lambda event, and `overdue serve` runs the very same code over net/http.
//
// While the table's data model is one this build must not use (not migrated yet, or moved past
// it by a newer build), every request is answered 503 naming both versions, nothing is written,
// and each refusal counts in the DataModelRefused metric; the instance serves again as soon as
// the data fits, without a cold start (lambdaenv.Root.Guard).
//
// Environment: TABLE_NAME, SITE_ROOT, SECRET_ARN (or OVERDUE_SECRET_KEY for local runs),
// LOG_LEVEL, EMAIL_FROM, the sender of account mail (reset and invitation links) through
// SES (without it the pages cannot send those links), and NOTIFY_FUNCTION, the notify function
// (its ARN), which runs the channel tests (POST /api/v3/channels/{id}/test): this function has
// no transports and no permission to send, only lambda:InvokeFunction on that function; without
// it channel tests answer 501. OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_NAME, OIDC_CLIENT_SECRET_ARN,
// SSO_DOMAINS and SSO_CREATE_ACCOUNTS turn on sign-in with an OpenID Connect provider (oidc.go).
// Build with `make build` (dist/api/bootstrap, linux/arm64, provided.al2023).
package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"
	_ "time/tzdata" // Lambda's provided.al2023 image has no zone database; schedules need one.

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/overduehq/overdue/internal/account"
	"github.com/overduehq/overdue/internal/httpapi"
	"github.com/overduehq/overdue/internal/lambdaenv"
	"github.com/overduehq/overdue/internal/notify"
	"github.com/overduehq/overdue/internal/schema"
	"github.com/overduehq/overdue/internal/seal"
	"github.com/overduehq/overdue/internal/store/dynamo"
	"github.com/overduehq/overdue/internal/sweep"
	"github.com/overduehq/overdue/internal/web"
)

// settings is the function's own configuration, read once per cold start.
type settings struct {
	SiteRoot  string
	EmailFrom string // "" sends no account mail
	// NotifyFunction is the ARN of the notify function, which runs channel tests; "" for none.
	NotifyFunction string
	// OIDC is sign-in with an OpenID Connect provider (oidc.go).
	OIDC oidcSettings
}

// notifyFunction is the variable naming the notify function.
const notifyFunction = "NOTIFY_FUNCTION"

// loadSettings reads the function's own variables; lambdaenv.Build reports what is wrong with
// them together with the shared ones.
func loadSettings(env *lambdaenv.Env) settings {
	return settings{SiteRoot: env.Require(lambdaenv.SiteRoot), EmailFrom: env.Get(lambdaenv.EmailFrom),
		NotifyFunction: env.Get(notifyFunction), OIDC: loadOIDC(env)}
}

// needs are the shared pieces the function uses: the table and the signing secret.
var needs = lambdaenv.Needs{Store: true, Secret: true}

func main() { lambdaenv.Main(build) }

// build is the function's cold start: the shared root, then the HTTP handler behind the guard.
func build(ctx context.Context, env *lambdaenv.Env) (any, error) {
	cfg := loadSettings(env)
	root, err := lambdaenv.Build(ctx, env, needs)
	if err != nil {
		return nil, err
	}
	var mailer account.Mailer
	if cfg.EmailFrom != "" {
		ses, err := notify.NewSES(sesv2.NewFromConfig(root.AWS), notify.SESConfig{From: cfg.EmailFrom})
		if err != nil {
			return nil, fmt.Errorf("configuration: %s %w", lambdaenv.EmailFrom, err)
		}
		mailer = account.MailerFunc(func(ctx context.Context, m account.Mail) error {
			return notify.SendText(ctx, ses, m.To, m.Subject, m.Text, m.Link)
		})
	}
	var tester httpapi.ChannelTester
	if cfg.NotifyFunction != "" {
		tester = &notify.RemoteTester{Invoke: invoker(lambda.NewFromConfig(root.AWS), cfg.NotifyFunction)}
	}
	sso, err := cfg.OIDC.config(ctx, secretsmanager.NewFromConfig(root.AWS))
	if err != nil {
		return nil, err
	}
	h, err := newHandler(root.Store, cfg, root.Secret, root.Log, root.Now, mailer, tester, sso)
	if err != nil {
		return nil, err
	}
	return httpadapter.NewV2(guarded(h, root.Guard)).ProxyWithContext, nil
}

// newHandler is the HTTP handler the function serves: the API and the pages, mounted as in
// `overdue serve`. The tests drive it through httpadapter with recorded API Gateway events. The
// table's delivery records serve the parked-deliveries listing; mailer (nil: none) sends reset
// and invitation links. Failed sign-ins are counted in the table (dynamo.Store.Attempts), so
// the limits hold across every instance of the function. sso (nil: none) adds sign-in with an
// OpenID Connect provider.
func newHandler(st *dynamo.Store, cfg settings, secret []byte, log *slog.Logger, now func() time.Time, mailer account.Mailer, tester httpapi.ChannelTester, sso *web.OIDCConfig) (http.Handler, error) {
	// The secrets of authenticator apps are sealed under the server secret, as channel values are.
	box, err := seal.New(secret)
	if err != nil {
		return nil, fmt.Errorf("server secret: %w", err)
	}
	acc := &account.Service{People: st.People(), Projects: st, Now: now, Rand: rand.Reader,
		Params: account.DefaultParams, Mailer: mailer, SiteRoot: cfg.SiteRoot, Box: box}
	api := httpapi.New(httpapi.Config{
		Store:      st,
		Tester:     tester,
		Deliveries: st.Deliveries(),
		Now:        now,
		SiteRoot:   cfg.SiteRoot,
		Logger:     log,
		SecretKey:  secret,
		Accounts:   acc,
		// The notify function delivers every kind but shell, which runs commands on a host of
		// its own (overdue serve --shell-channels).
		Undeliverable: map[string]string{notify.ChannelShell: notify.ShellUndeliverable},
		// Ping intake's counts, in the table for the sweep and timer functions' ingestion
		// health: written at most every 5 s per instance, a failure within a second.
		PingCounter: &sweep.IngestCounter{Log: st.IngestLog(), Now: now, Logger: log},
	})
	pages, err := web.New(web.Config{Accounts: acc, SiteRoot: cfg.SiteRoot, Logger: log,
		Limiter: web.NewLimiter(web.DefaultLimits, st.Attempts()), Checks: st, OIDC: sso, BadgeURL: api.BadgeURL})
	if err != nil {
		return nil, err
	}
	return web.Mount(pages, api), nil
}

// guarded serves h while guard lets the build use the data, and answers 503 naming both
// versions while it refuses. Code that meets data it cannot read answers 503 and never writes
// (DESIGN.md, "code and data model ship together"). A guard that could not read the version at
// all lets the request through: reads may still work, and every write asks the guard again.
func guarded(h http.Handler, guard func(context.Context) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if refusal := schema.Refused(guard(r.Context())); refusal != nil {
			unavailable(w, refusal)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// unavailable answers 503 {"error": ...} with the refusal's text, which names both data-model
// versions and what to do.
func unavailable(w http.ResponseWriter, refusal error) {
	body, _ := json.Marshal(map[string]string{"error": refusal.Error()})
	w.Header().Set("Content-Type", "application/json")
	// The guard reads the version again within 30 s; clients that honour this come back then.
	w.Header().Set("Retry-After", "30")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write(append(body, '\n'))
}

// lambdaInvoker is the part of the Lambda client invoker uses; *lambda.Client has it.
type lambdaInvoker interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, opts ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// invoker invokes function synchronously with a payload and returns its answer. A function
// error (the notify function failed, or refused the data model) is an error here.
func invoker(client lambdaInvoker, function string) func(ctx context.Context, payload []byte) ([]byte, error) {
	return func(ctx context.Context, payload []byte) ([]byte, error) {
		out, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: &function, Payload: payload})
		if err != nil {
			return nil, fmt.Errorf("invoke the notify function: %w", err)
		}
		if out.FunctionError != nil {
			return nil, fmt.Errorf("the notify function failed (%s): %s", *out.FunctionError, out.Payload)
		}
		return out.Payload, nil
	}
}
