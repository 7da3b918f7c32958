// Package lambdaenv is the one composition root the Lambda functions in functions/ share: Main
// runs a function's cold start and hands its handler to the runtime, and Build makes what every
// function needs (environment variables read once, failing with the names of every missing or
// malformed variable; the JSON logger; the AWS configuration; the signing secret, fetched once
// from AWS Secrets Manager; the DynamoDB store with its data-model guard, checked once), so that
// each main holds only what is particular to it.
//
// The guard keeps holding after the cold start: Root.Guard is asked before every invocation, and
// the store asks it before every write. A function that refuses the data model does nothing,
// fails its invocation, and counts the refusal in the DataModelRefused metric (Refusals), which
// the stack alarms on.
//
// CDK sets the variables from the constructs (table name, site URL, sender address, secret ARN),
// so nothing physical is hard-coded in a function. A function that starts without one fails its
// cold start with a message naming it, which Lambda shows as an init error, rather than failing
// each request in some less obvious way.
package lambdaenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// The variables the functions read; each function's doc comment lists its own.
const (
	// TableName names the DynamoDB table (overdue-<stage>-v<generation>).
	TableName = "TABLE_NAME"
	// LogLevel is debug, info, warn or error (default info).
	LogLevel = "LOG_LEVEL"
	// SiteRoot is the public base URL, e.g. https://overdue.example.com.
	SiteRoot = "SITE_ROOT"
	// SecretARN is the ARN of the Secrets Manager secret holding the signing secret.
	SecretARN = "SECRET_ARN"
	// SecretKey holds the signing secret itself, for local and emulator runs; SecretARN wins
	// when both are set.
	SecretKey = "OVERDUE_SECRET_KEY"
	// EmailFrom is the sender of alert email, an address on an identity verified in SES.
	EmailFrom = "EMAIL_FROM"
	// GuardMaxAge is how long a warm instance trusts a data-model check that let it write, a Go
	// duration such as 5s (the default, schema.DefaultMaxAge). It is the window in which an
	// instance can still write after a newer build raised the minimum reader past it; a shorter
	// one costs one more read of META per interval per writing instance. CDK leaves it unset;
	// the emulator tests set it to 1ns, so that every write reads META.
	GuardMaxAge = "GUARD_MAX_AGE"
	// SESConfigurationSet names the SES configuration set the notifier sends email through,
	// whose event destination brings bounces and complaints back to it. Optional.
	SESConfigurationSet = "SES_CONFIGURATION_SET"
	// HeartbeatURL is an outside monitor's ping URL (any Healthchecks-compatible one) that the
	// sweep requests after every successful run: the monitor of the monitor. Optional.
	HeartbeatURL = "HEARTBEAT_URL"
	// TimerQueueURL is the URL of the SQS queue of precise timers (internal/sweep/sqstimers):
	// the sweep sends a delayed message to it for each check due before the next sweep, and
	// the timer function receives them and re-reads each check at its deadline. Optional for
	// the sweep (without it, checks go down at the next sweep, within a minute); required for
	// the timer function, which arms a timer that came early again.
	TimerQueueURL = "TIMER_QUEUE_URL"
	// IngestionTolerance is the longest gap between two pings of the ingestion canary (which the
	// sweep sends every minute) that is not an outage of ping intake, a Go duration (default
	// DefaultIngestionTolerance). The sweep and timer functions read it; tests shorten it.
	IngestionTolerance = "INGESTION_TOLERANCE"
)

// CanaryEvery is how often the sweep function pings the ingestion canary: once per sweep.
const CanaryEvery = time.Minute

// DefaultIngestionTolerance is INGESTION_TOLERANCE when unset: two and a half canary intervals,
// so that one sweep that starts late (EventBridge's jitter, a cold start) or is skipped is no
// outage, and two missed canary pings are.
const DefaultIngestionTolerance = 150 * time.Second

// MinSecretLen is the shortest signing secret accepted, as `overdue serve` requires.
const MinSecretLen = 16

// Env reads variables and collects what is wrong with them, so that one start names every
// problem at once instead of one per deploy.
type Env struct {
	lookup func(string) (string, bool)
	errs   []error
}

// New reads variables through lookup; main passes os.LookupEnv, tests a map's.
func New(lookup func(string) (string, bool)) *Env { return &Env{lookup: lookup} }

// FromOS reads the process environment.
func FromOS() *Env { return New(os.LookupEnv) }

// Require returns the value of name, recording it as missing when unset or blank.
func (e *Env) Require(name string) string {
	v := e.Get(name)
	if v == "" {
		e.errs = append(e.errs, fmt.Errorf("environment variable %s is not set", name))
	}
	return v
}

// Get returns the value of name without surrounding space, "" when unset.
func (e *Env) Get(name string) string {
	v, _ := e.lookup(name)
	return strings.TrimSpace(v)
}

// Lookup returns the value of name without surrounding space, and whether it is set and not
// blank: the shape of os.LookupEnv, for parsers that take a lookup function.
func (e *Env) Lookup(name string) (string, bool) {
	v := e.Get(name)
	return v, v != ""
}

// Fail records a problem a function found with its own variables, so that it is reported with
// the others. Fail(nil) does nothing.
func (e *Env) Fail(err error) {
	if err != nil {
		e.errs = append(e.errs, err)
	}
}

// Duration returns name as a positive Go duration (such as 5s or 500ms), def when unset, and
// records an error when it is malformed or not positive.
func (e *Env) Duration(name string, def time.Duration) time.Duration {
	v := e.Get(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		e.errs = append(e.errs, fmt.Errorf("environment variable %s is %q: use a positive duration such as 5s or 500ms", name, v))
		return def
	}
	return d
}

// URL returns name as an absolute http(s) URL, "" when unset, and records an error when it is
// something else. The error does not repeat the value: a ping URL can carry a key.
func (e *Env) URL(name string) string {
	v := e.Get(name)
	if v == "" {
		return ""
	}
	if u, err := url.Parse(v); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		e.errs = append(e.errs, fmt.Errorf("environment variable %s is not an absolute http:// or https:// URL", name))
		return ""
	}
	return v
}

// Level returns LOG_LEVEL as a slog level: debug, info (the default), warn or error, in any case.
func (e *Env) Level() slog.Level {
	v := e.Get(LogLevel)
	if v == "" {
		return slog.LevelInfo
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(v)); err != nil {
		e.errs = append(e.errs, fmt.Errorf("environment variable %s is %q: use debug, info, warn or error", LogLevel, v))
		return slog.LevelInfo
	}
	return l
}

// Secret says where the signing secret comes from: SECRET_ARN, else OVERDUE_SECRET_KEY. It
// records an error when neither is set or the key is too short.
func (e *Env) Secret() Secret {
	if arn := e.Get(SecretARN); arn != "" {
		return Secret{ARN: arn}
	}
	key := e.Get(SecretKey)
	switch {
	case key == "":
		e.errs = append(e.errs, fmt.Errorf("environment variable %s is not set (or %s for local runs)", SecretARN, SecretKey))
	case len(key) < MinSecretLen:
		e.errs = append(e.errs, fmt.Errorf("environment variable %s is %d characters: use at least %d random characters", SecretKey, len(key), MinSecretLen))
	}
	return Secret{Key: []byte(key)}
}

// Err reports every problem recorded so far, nil if none.
func (e *Env) Err() error {
	if len(e.errs) == 0 {
		return nil
	}
	// One line, so the init error shows whole in the Lambda console and in one log field.
	msgs := make([]string, len(e.errs))
	for i, err := range e.errs {
		msgs[i] = err.Error()
	}
	return errors.New("configuration: " + strings.Join(msgs, "; "))
}

// Logger returns the functions' logger: JSON lines on w at level. Lambda sends each line to
// CloudWatch Logs, where the JSON fields can be queried. A line logged with a context of an
// invocation (the *Context methods) carries its Lambda request ID as "request", which ties it
// to the platform's START, END and REPORT lines.
func Logger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(requestIDHandler{slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})})
}

// requestIDHandler adds the invocation's request ID to every record logged with its context.
type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		r.AddAttrs(slog.String("request", lc.AwsRequestID))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(attrs)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

// Secret is the location of the signing secret (badge URLs, webhook signatures): an ARN to
// fetch, or the key itself.
type Secret struct {
	ARN string
	Key []byte
}

// SecretsClient is the part of the Secrets Manager client Load uses; *secretsmanager.Client
// has it.
type SecretsClient interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// Load returns the signing secret: the key itself, or the string value of the secret at ARN
// (one GetSecretValue; call it once per cold start). client may be nil when there is no ARN.
// The error never carries the secret.
func (s Secret) Load(ctx context.Context, client SecretsClient) ([]byte, error) {
	if s.ARN == "" {
		return s.Key, nil
	}
	if client == nil {
		return nil, errors.New("load signing secret: no Secrets Manager client")
	}
	out, err := client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(s.ARN)})
	if err != nil {
		return nil, fmt.Errorf("load signing secret %s: %w", s.ARN, err)
	}
	v := strings.TrimSpace(aws.ToString(out.SecretString))
	if len(v) < MinSecretLen {
		return nil, fmt.Errorf("load signing secret %s: it is %d characters (a string secret of at least %d is required)", s.ARN, len(v), MinSecretLen)
	}
	return []byte(v), nil
}
