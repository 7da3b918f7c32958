package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"

	"github.com/overduehq/overdue/internal/notify"
)

// Context keys the app reads (`cdk synth -c key=value`, or "context" in cdk.json).
const (
	// contextStage names the stage to synthesize: dev (the default), prod or any other name.
	contextStage = "stage"
	// contextStages holds per-stage settings over the built-in defaults: an object from stage
	// name to a Stage in JSON (see the json tags), in cdk.json or as a JSON string on -c.
	contextStages = "stages"
	// contextDist is the directory holding <fn>/bootstrap, the output of `make build`.
	contextDist = "dist"
	// contextMigrate turns on the migrate custom resource (functions/migrate). See migrate.go.
	contextMigrate = "migrate"
	// contextBuild names the build being deployed (`make` passes `git describe`): the migrate
	// resources carry it, and the table's migration history records it.
	contextBuild = "build"
)

// envDist is the environment variable read when no dist context is given.
const envDist = "OVERDUE_DIST"

// Stage is everything that differs between deployments of Overdue. It is read once, in
// main, from the CDK context and the environment; the constructs take it as it is.
//
// The JSON names are the keys of a stage's entry in the "stages" context object, e.g. in
// cdk.json: "stages": {"prod": {"alarmEmail": "ops@example.org", "emailFrom": "alerts@example.org"}}.
type Stage struct {
	// Name is the stage: it names the stack (Overdue-<name>) and the table
	// (overdue-<name>-v<generation>), so stages deploy side by side in one account.
	Name string `json:"-"`
	// Account and Region come from CDK_DEFAULT_ACCOUNT and CDK_DEFAULT_REGION, which the CDK
	// CLI sets from the credentials in use. Empty means an environment-agnostic stack.
	Account string `json:"-"`
	Region  string `json:"-"`

	// Retain keeps the table, the signing secret and the logs when the stack is deleted or a
	// resource replaced, and turns on the table's deletion protection. On for prod.
	Retain bool `json:"retain"`
	// AlarmEmail is subscribed to the ops topic the alarms publish to. Optional; the
	// subscription must be confirmed from the email AWS sends.
	AlarmEmail string `json:"alarmEmail"`
	// EmailFrom is the sender of alert emails, an address or "Name <address>" on an identity
	// verified in SES. Required: the notify function does not start without it.
	EmailFrom string `json:"emailFrom"`
	// DomainName and CertificateARN give the HTTP API a custom domain (both or neither). The
	// certificate is an ACM certificate in the stack's region covering the domain.
	DomainName     string `json:"domainName"`
	CertificateARN string `json:"certificateArn"`
	// HostedZoneID and HostedZoneName name the Route 53 public hosted zone that holds
	// DomainName (both or neither, only with DomainName): the stack then creates the alias
	// record pointing the domain at the API. Without them, point DNS at the ApiDomainTarget
	// output yourself.
	HostedZoneID   string `json:"hostedZoneId"`
	HostedZoneName string `json:"hostedZoneName"`
	// SiteRoot is the base URL the API hands out in ping and badge URLs (SITE_ROOT), for an API
	// reached through a CDN or proxy. Optional: the default is https://<DomainName>, or the
	// API's own endpoint without a custom domain.
	SiteRoot string `json:"siteRoot"`
	// SigningSecretARN is the complete ARN of an existing Secrets Manager secret to sign badge
	// URLs and webhooks with, instead of one the stack generates: to keep the key of an install
	// moved from `overdue serve`, so the badge URLs it published stay valid. Optional.
	SigningSecretARN string `json:"signingSecretArn"`
	// ServiceURLs overrides channel services' base URLs by kind, e.g. {"pd":
	// "https://events.eu.pagerduty.com"}: the notify function gets each as OVERDUE_URL_<KIND>.
	// Optional; for a regional endpoint or a proxy.
	ServiceURLs map[string]string `json:"serviceUrls"`
	// ThrottleRate (requests per second, steady) and ThrottleBurst bound the API stage.
	ThrottleRate  float64 `json:"throttleRate"`
	ThrottleBurst int     `json:"throttleBurst"`
	// LogRetentionDays is how long function logs are kept: one of CloudWatch's values (1, 3,
	// 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ...).
	LogRetentionDays int `json:"logRetentionDays"`
	// LogLevel is given to every function as LOG_LEVEL: debug, info, warn or error.
	LogLevel string `json:"logLevel"`
	// Memory is each function's memory size in MB.
	Memory Memory `json:"memory"`
	// ReservedConcurrency is each function's reserved concurrency: the most instances it runs
	// at once, and a share of the account's concurrency kept for it. 0 leaves a function
	// unreserved, sharing the account's pool (the default for every stage but prod).
	ReservedConcurrency Concurrency `json:"reservedConcurrency"`
	// Aliases puts every function behind its alias "live" on a version published by the deploy,
	// which every caller invokes (on by default). Off makes callers invoke the functions
	// directly: only for the moto smoke deploy, whose CloudFormation cannot create aliases.
	Aliases bool `json:"aliases"`
	// HeartbeatURL is an outside monitor's ping URL (any Healthchecks-compatible one, another
	// Overdue's included) that the sweep requests after every successful run, so that someone
	// hears when Overdue itself stops. Optional; it reaches the sweep as HEARTBEAT_URL.
	HeartbeatURL string `json:"heartbeatUrl"`
	// PingDomain is the domain email pings are sent to (<uuid>@<pingDomain>): the stack then
	// receives its mail with an SES receipt rule and the mailping function (see mailping.go).
	// Optional; without it the stage takes no email pings. The stack's region must be one where
	// SES receives email, and the domain must be verified in SES.
	PingDomain string `json:"pingDomain"`
	// OIDC, when set, adds sign-in with an OpenID Connect provider to the pages (oidc.go).
	OIDC *OIDCStage `json:"oidc"`

	// Dist is the directory holding <fn>/bootstrap (-c dist=..., else $OVERDUE_DIST, else
	// "dist").
	Dist string `json:"-"`
	// Migrate adds the migrate custom resource (default on; -c migrate=false turns it off for
	// emulators that cannot run functions); see migrate.go.
	Migrate bool `json:"-"`
	// Build names the build (-c build=..., which make sets to `git describe --always --dirty`;
	// "unversioned" without it).
	Build string `json:"-"`
}

// Memory is the memory size of each function, in MB. Lambda gives CPU in proportion to it.
type Memory struct {
	API     int `json:"api"`
	Sweep   int `json:"sweep"`
	Notify  int `json:"notify"`
	Migrate int `json:"migrate"`
	Timer   int `json:"timer"`
	// MailPing is the mailping function's, deployed only with a PingDomain.
	MailPing int `json:"mailping"`
	// Reports is the reports function's.
	Reports int `json:"reports"`
}

// Concurrency is the reserved concurrency of each function; 0 reserves none.
type Concurrency struct {
	API     int `json:"api"`
	Sweep   int `json:"sweep"`
	Notify  int `json:"notify"`
	Migrate int `json:"migrate"`
	Timer   int `json:"timer"`
}

// devStage is the default for every stage but prod: everything can be destroyed, logs are
// kept two weeks.
func devStage(name string) Stage {
	return Stage{
		Name:             name,
		ThrottleRate:     50,
		ThrottleBurst:    100,
		LogRetentionDays: 14,
		LogLevel:         "info",
		// The API answers people and their jobs: more memory is more CPU and lower latency.
		// The sweep and the notifier are background work that waits on the network.
		Memory:  Memory{API: 256, Sweep: 128, Notify: 128, Migrate: 256, Timer: 128, MailPing: 128, Reports: 128},
		Aliases: true,
	}
}

// prodStage is the default for prod: stateful resources are retained and the table is
// protected from deletion.
func prodStage() Stage {
	s := devStage("prod")
	s.Retain = true
	s.ThrottleRate = 200
	s.ThrottleBurst = 400
	s.LogRetentionDays = 90
	// Reserved, so that a runaway function elsewhere in the account cannot starve the ping API,
	// and a flood of pings cannot starve the sweep and the notifier. The API's share is what the
	// stage's throttle (200 requests/s) needs at the API's ~50 ms per request, with headroom;
	// the sweep runs once a minute (two may overlap); notify runs one instance per stream shard
	// plus the retry schedule; migrate runs during deploys; the timer function gets the five
	// instances the SQS event source mapping starts with (its maximum concurrency, so that it
	// is never throttled: a throttled timer waits out its visibility timeout). 119 in all: the
	// account keeps at least 100 unreserved, so a default account (1000) has room, a new one
	// (often 10) does not.
	s.ReservedConcurrency = Concurrency{API: 100, Sweep: 2, Notify: 10, Migrate: 2, Timer: 5}
	return s
}

// defaultStage returns the built-in settings of the named stage.
func defaultStage(name string) Stage {
	if name == "prod" {
		return prodStage()
	}
	return devStage(name)
}

// stageName is what a stage may be called: it goes into the stack name and the table name.
var stageName = regexp.MustCompile(`^[a-z][a-z0-9-]{0,19}$`)

// loadStage reads the stage configuration: context (through ctx, which returns nil for a key
// not set) over the built-in defaults, and the environment (through env). It fails naming the
// setting that is wrong and how to fix it.
func loadStage(ctx func(key string) any, env func(key string) string) (Stage, error) {
	name := "dev"
	if v := ctx(contextStage); v != nil {
		s, ok := v.(string)
		if !ok {
			return Stage{}, fmt.Errorf("context %q: want a stage name, got %v", contextStage, v)
		}
		name = s
	}
	if !stageName.MatchString(name) {
		return Stage{}, fmt.Errorf("stage %q: want 1-20 lowercase letters, digits and dashes, starting with a letter (e.g. -c stage=dev)", name)
	}
	st := defaultStage(name)

	if err := overlayStage(&st, ctx(contextStages)); err != nil {
		return Stage{}, err
	}

	st.Account = env("CDK_DEFAULT_ACCOUNT")
	st.Region = env("CDK_DEFAULT_REGION")

	st.Dist = "dist"
	if v := env(envDist); v != "" {
		st.Dist = v
	}
	if v := ctx(contextDist); v != nil {
		s, ok := v.(string)
		if !ok || s == "" {
			return Stage{}, fmt.Errorf("context %q: want a directory, got %v", contextDist, v)
		}
		st.Dist = s
	}

	// Every deploy migrates before new code takes traffic; only the moto smoke test, where no
	// function can run, turns it off (-c migrate=false).
	st.Migrate = true
	if v := ctx(contextMigrate); v != nil {
		b, err := contextBool(v)
		if err != nil {
			return Stage{}, fmt.Errorf("context %q: %w", contextMigrate, err)
		}
		st.Migrate = b
	}

	st.Build = "unversioned"
	if v := ctx(contextBuild); v != nil {
		s, ok := v.(string)
		if !ok || strings.TrimSpace(s) == "" {
			return Stage{}, fmt.Errorf("context %q: want the build's name, such as v0.3.0, got %v", contextBuild, v)
		}
		st.Build = strings.TrimSpace(s)
	}

	if err := st.validate(); err != nil {
		return Stage{}, fmt.Errorf("stage %s: %w", st.Name, err)
	}
	return st, nil
}

// overlayStage decodes the stage's entry of the "stages" context object over st. Only the
// fields present change; an unknown field is an error, so a typo does not deploy a default.
func overlayStage(st *Stage, v any) error {
	if v == nil {
		return nil
	}
	var all map[string]json.RawMessage
	var raw []byte
	if s, ok := v.(string); ok { // -c stages='{...}' arrives as a string
		raw = []byte(s)
	} else {
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("context %q: %w", contextStages, err)
		}
		raw = b
	}
	if err := json.Unmarshal(raw, &all); err != nil {
		return fmt.Errorf("context %q: want an object from stage name to settings: %w", contextStages, err)
	}
	entry, ok := all[st.Name]
	if !ok || string(entry) == "null" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(entry))
	dec.DisallowUnknownFields()
	if err := dec.Decode(st); err != nil {
		return fmt.Errorf("context %q, stage %s: %w", contextStages, st.Name, err)
	}
	return nil
}

// contextBool reads a flag given as a JSON boolean (cdk.json) or a string (-c key=true).
func contextBool(v any) (bool, error) {
	switch v := v.(type) {
	case bool:
		return v, nil
	case string:
		b, err := strconv.ParseBool(v)
		if err != nil {
			return false, fmt.Errorf("want true or false, got %q", v)
		}
		return b, nil
	}
	return false, fmt.Errorf("want true or false, got %v", v)
}

// validate checks the settings that would otherwise fail late, in CloudFormation.
func (s Stage) validate() error {
	var errs []error
	if s.AlarmEmail != "" {
		if _, err := mail.ParseAddress(s.AlarmEmail); err != nil {
			errs = append(errs, fmt.Errorf("alarmEmail %q is not an email address", s.AlarmEmail))
		}
	}
	if s.EmailFrom == "" {
		errs = append(errs, fmt.Errorf("emailFrom is not set: give the sender of alert email, an address on an identity verified in SES, under %q in cdk.json's context (\"%s\": {\"%s\": {\"emailFrom\": \"alerts@example.org\"}}) or with -c", contextStages, contextStages, s.Name))
	} else if _, err := s.sender(); err != nil {
		errs = append(errs, err)
	}
	if (s.DomainName == "") != (s.CertificateARN == "") {
		errs = append(errs, errors.New("domainName and certificateArn go together: set both for a custom domain, or neither"))
	}
	if (s.HostedZoneID == "") != (s.HostedZoneName == "") {
		errs = append(errs, errors.New("hostedZoneId and hostedZoneName go together: set both for a Route 53 record, or neither"))
	}
	if s.HostedZoneID != "" && s.DomainName == "" {
		errs = append(errs, errors.New("hostedZoneId is set without domainName: the record is the custom domain's"))
	}
	if s.HostedZoneName != "" && s.DomainName != "" {
		zone := strings.TrimSuffix(s.HostedZoneName, ".")
		if s.DomainName != zone && !strings.HasSuffix(s.DomainName, "."+zone) {
			errs = append(errs, fmt.Errorf("domainName %q is not in hostedZoneName %q", s.DomainName, s.HostedZoneName))
		}
	}
	if s.HeartbeatURL != "" {
		// The URL may carry a ping key: the message does not repeat it.
		if u, err := url.Parse(s.HeartbeatURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, errors.New("heartbeatUrl: want an absolute http(s) URL, e.g. https://hc-ping.com/<uuid>"))
		}
	}
	for fn, n := range map[string]int{"api": s.ReservedConcurrency.API, "sweep": s.ReservedConcurrency.Sweep, "notify": s.ReservedConcurrency.Notify, "migrate": s.ReservedConcurrency.Migrate, "timer": s.ReservedConcurrency.Timer} {
		if n < 0 {
			errs = append(errs, fmt.Errorf("reservedConcurrency.%s = %d: want 0 (none reserved) or more", fn, n))
		}
	}
	if s.PingDomain != "" && !domainName.MatchString(s.PingDomain) {
		errs = append(errs, fmt.Errorf("pingDomain %q: want a domain name such as ping.example.org, without @ or a trailing dot", s.PingDomain))
	}
	if s.CertificateARN != "" && !strings.HasPrefix(s.CertificateARN, "arn:") {
		errs = append(errs, fmt.Errorf("certificateArn %q is not an ARN", s.CertificateARN))
	}
	if s.SiteRoot != "" {
		if u, err := url.Parse(s.SiteRoot); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.HasSuffix(s.SiteRoot, "/") {
			errs = append(errs, fmt.Errorf("siteRoot %q: want an absolute http(s) URL without a trailing slash, e.g. https://status.example.org", s.SiteRoot))
		}
	}
	if s.OIDC != nil {
		if err := s.OIDC.validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if s.SigningSecretARN != "" && !secretARN.MatchString(s.SigningSecretARN) {
		errs = append(errs, fmt.Errorf("signingSecretArn %q: want a secret's complete ARN, arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>", s.SigningSecretARN))
	}
	if len(s.ServiceURLs) > 0 {
		vars := map[string]string{}
		for kind, u := range s.ServiceURLs {
			if !slices.Contains(notify.BaseURLVariables(), notify.BaseURLVariable(kind)) {
				errs = append(errs, fmt.Errorf("serviceUrls.%s: not a channel kind with a service URL; use one of %s",
					kind, strings.Join(serviceURLKinds(), ", ")))
				continue
			}
			vars[notify.BaseURLVariable(kind)] = u
		}
		if _, err := notify.ParseBaseURLs(func(k string) (string, bool) { v, ok := vars[k]; return v, ok }); err != nil {
			errs = append(errs, fmt.Errorf("serviceUrls: %w", err))
		}
	}
	if s.ThrottleRate <= 0 || s.ThrottleBurst <= 0 {
		errs = append(errs, fmt.Errorf("throttleRate (%v) and throttleBurst (%d) must be positive", s.ThrottleRate, s.ThrottleBurst))
	}
	if _, err := s.logRetention(); err != nil {
		errs = append(errs, err)
	}
	switch s.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("logLevel %q: want debug, info, warn or error", s.LogLevel))
	}
	for fn, mb := range map[string]int{"api": s.Memory.API, "sweep": s.Memory.Sweep, "notify": s.Memory.Notify, "migrate": s.Memory.Migrate, "timer": s.Memory.Timer, "mailping": s.Memory.MailPing, "reports": s.Memory.Reports} {
		if mb < 128 || mb > 10240 {
			errs = append(errs, fmt.Errorf("memory.%s = %d MB: Lambda allows 128 to 10240", fn, mb))
		}
	}
	return errors.Join(errs...)
}

// serviceURLKinds are the kinds ServiceURLs may name.
func serviceURLKinds() []string {
	var out []string
	for _, kind := range notify.ServiceKinds() {
		if slices.Contains(notify.BaseURLVariables(), notify.BaseURLVariable(kind)) {
			out = append(out, kind)
		}
	}
	return out
}

// secretARN is a secret's complete ARN: the name ends in a dash and six random characters.
var secretARN = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+-[A-Za-z0-9]{6}$`)

// domainName is a DNS name of at least two labels, in lower or upper case.
var domainName = regexp.MustCompile(`^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$`)

// pingZone says whether the Route 53 hosted zone holds PingDomain, so the stack adds its MX record.
func (s Stage) pingZone() bool {
	zone := strings.ToLower(strings.TrimSuffix(s.HostedZoneName, "."))
	d := strings.ToLower(s.PingDomain)
	return zone != "" && d != "" && (d == zone || strings.HasSuffix(d, "."+zone))
}

// sender is the bare address of EmailFrom, for the SES identity it sends from.
func (s Stage) sender() (string, error) {
	a, err := mail.ParseAddress(s.EmailFrom)
	if err != nil {
		return "", fmt.Errorf("emailFrom %q: want an address or \"Name <address>\"", s.EmailFrom)
	}
	return strings.ToLower(a.Address), nil
}

// retentionDays maps the retention periods CloudWatch Logs accepts to the CDK's names for them.
var retentionDays = map[int]awslogs.RetentionDays{
	1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS, 5: awslogs.RetentionDays_FIVE_DAYS,
	7: awslogs.RetentionDays_ONE_WEEK, 14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
	60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS, 120: awslogs.RetentionDays_FOUR_MONTHS,
	150: awslogs.RetentionDays_FIVE_MONTHS, 180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
	400: awslogs.RetentionDays_THIRTEEN_MONTHS, 545: awslogs.RetentionDays_EIGHTEEN_MONTHS, 731: awslogs.RetentionDays_TWO_YEARS,
	1096: awslogs.RetentionDays_THREE_YEARS, 1827: awslogs.RetentionDays_FIVE_YEARS, 2192: awslogs.RetentionDays_SIX_YEARS,
	2557: awslogs.RetentionDays_SEVEN_YEARS, 2922: awslogs.RetentionDays_EIGHT_YEARS, 3288: awslogs.RetentionDays_NINE_YEARS,
	3653: awslogs.RetentionDays_TEN_YEARS,
}

// logRetention is LogRetentionDays as the CDK names it.
func (s Stage) logRetention() (awslogs.RetentionDays, error) {
	r, ok := retentionDays[s.LogRetentionDays]
	if !ok {
		return "", fmt.Errorf("logRetentionDays %d: CloudWatch Logs accepts 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653", s.LogRetentionDays)
	}
	return r, nil
}

// functions lists the Lambda functions this stage deploys, by their directory under Dist.
func (s Stage) functions() []string {
	fns := []string{"api", "sweep", "notify", "timer", "reports"}
	if s.Migrate {
		fns = append(fns, "migrate")
	}
	if s.PingDomain != "" {
		fns = append(fns, "mailping")
	}
	return fns
}

// codeSHA256 is the SHA-256, in hex, of the function binaries in Dist, each with its name: it
// changes whenever any function's code does, even between two builds with the same name (a
// dirty tree).
func (s Stage) codeSHA256() (string, error) {
	h := sha256.New()
	for _, fn := range s.functions() {
		b, err := os.ReadFile(filepath.Join(s.Dist, fn, "bootstrap"))
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %d\n", fn, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// checkDist fails, naming every missing binary and how to build it, unless Dist holds a
// bootstrap for each function. Without this the CDK fails later with a bare "no such file".
func (s Stage) checkDist() error {
	var missing []string
	for _, fn := range s.functions() {
		p := filepath.Join(s.Dist, fn, "bootstrap")
		if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing function binaries %s: run `make build` first (it writes dist/<fn>/bootstrap for linux/arm64), or point -c dist=DIR at a directory holding them",
			strings.Join(missing, ", "))
	}
	return nil
}
