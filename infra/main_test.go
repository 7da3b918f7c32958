package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// testRoot holds what the tests share: placeholder function binaries and the cloud assemblies.
var testRoot string

func TestMain(m *testing.M) {
	code := func() int {
		dir, err := os.MkdirTemp("", "overdue-infra-test-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		testRoot = dir
		return m.Run()
	}()
	// Stops the jsii kernel; without it every run leaves a jsii-runtime.* directory in $TMPDIR.
	jsii.Close()
	os.Exit(code)
}

// fakeDist returns a directory with a placeholder bootstrap for every function. Synthesis
// only zips the files; they are never run.
func fakeDist(t *testing.T) string {
	t.Helper()
	dist := filepath.Join(testRoot, "dist")
	for _, fn := range []string{"api", "sweep", "notify", "migrate", "timer", "mailping", "reports"} {
		p := filepath.Join(dist, fn, "bootstrap")
		if _, err := os.Stat(p); err == nil {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("#!/bin/sh\necho placeholder for "+fn+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dist
}

// cdkJSONContext is the "context" of cdk.json at the repository root: the feature flags the
// CLI gives the app, so the tests see the templates `cdk synth` writes.
func cdkJSONContext(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "cdk.json"))
	if err != nil {
		t.Fatalf("read cdk.json: %v", err)
	}
	var cfg struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatalf("cdk.json: %v", err)
	}
	return cfg.Context
}

// newTestApp returns an app with cdk.json's context, the given context and the placeholder
// binaries, writing its assembly under testRoot.
func newTestApp(t *testing.T, context map[string]any) awscdk.App {
	t.Helper()
	ctx := cdkJSONContext(t)
	ctx[contextDist] = fakeDist(t)
	for k, v := range context {
		ctx[k] = v
	}
	out, err := os.MkdirTemp(testRoot, "cdk.out-")
	if err != nil {
		t.Fatal(err)
	}
	return awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(out)})
}

// stageFrom reads the stage as main does, from the app's context and the given environment.
func stageFrom(t *testing.T, app awscdk.App, env map[string]string) Stage {
	t.Helper()
	st, err := loadStage(func(key string) any { return app.Node().TryGetContext(jsii.String(key)) },
		func(key string) string { return env[key] })
	if err != nil {
		t.Fatalf("loadStage: %v", err)
	}
	return st
}

// synthesized is a stack's template, as the assertions library sees it and as plain JSON.
type synthesized struct {
	assertions.Template
	Stage Stage
	JSON  map[string]any
}

var synthCache = map[string]*synthesized{}

// synth builds the stack for the given context and returns its template. Synthesis takes
// about a second, so each context is synthesized once per test binary.
func synth(t *testing.T, context map[string]any) *synthesized {
	t.Helper()
	key, _ := json.Marshal(context)
	if s, ok := synthCache[string(key)]; ok {
		return s
	}
	app := newTestApp(t, context)
	st := stageFrom(t, app, nil)
	stack, err := NewStack(app, &StackProps{Stage: st})
	if err != nil {
		t.Fatalf("NewStack: %v", err)
	}
	var s *synthesized
	expect(t, "synthesize", func() {
		tmpl := assertions.Template_FromStack(stack.Stack, nil)
		s = &synthesized{Template: tmpl, Stage: st, JSON: *tmpl.ToJSON()}
	})
	if s == nil {
		t.FailNow()
	}
	synthCache[string(key)] = s
	return s
}

// The stages the tests synthesize. full turns on every option.
var (
	devContext = map[string]any{
		contextStage:  "dev",
		contextStages: map[string]any{"dev": map[string]any{"emailFrom": "alerts@dev.example.org"}},
	}
	prodContext = map[string]any{
		contextStage:  "prod",
		contextStages: map[string]any{"prod": map[string]any{"emailFrom": "alerts@example.org", "alarmEmail": "oncall@example.org"}},
	}
	fullContext = map[string]any{
		contextStage:   "full",
		contextMigrate: true,
		contextBuild:   "v0.9.0-test",
		contextStages: map[string]any{"full": map[string]any{
			"alarmEmail":          "ops@example.org",
			"emailFrom":           "Overdue <alerts@example.org>",
			"domainName":          "status.example.org",
			"certificateArn":      "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555",
			"serviceUrls":         map[string]any{"pd": "https://events.eu.pagerduty.com/"},
			"hostedZoneId":        "Z0123456789ABCDEFGHIJ",
			"hostedZoneName":      "example.org",
			"heartbeatUrl":        "https://hc-ping.com/0f3a6e8c-1111-4222-8333-944444444444",
			"reservedConcurrency": map[string]any{"api": 50, "sweep": 3},
			"oidc": map[string]any{"issuer": "https://sso.example.org/realms/ops", "clientId": "overdue", "name": "Keycloak",
				"clientSecretArn": oidcSecretARN, "domains": []any{"example.org"}, "createAccounts": true},
		}},
	}
)

// oidcSecretARN is the full stage's OIDC client secret.
const oidcSecretARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:overdue/oidc-AbC123"

// expect runs f, which makes assertions that panic when they fail (the assertions library
// reports a failed match as a panic), and turns such a panic into a test error, so one failed
// match does not abort the whole test binary.
func expect(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s:\n%v", what, r)
		}
	}()
	f()
}

// resources returns the template's resources of one type, by logical ID.
func (s *synthesized) resources(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range s.JSON["Resources"].(map[string]any) {
		r := r.(map[string]any)
		if r["Type"] == typ {
			out[id] = r
		}
	}
	return out
}

// only returns the single resource of a type, failing the test if there is not exactly one.
func (s *synthesized) only(t *testing.T, typ string) (string, map[string]any) {
	t.Helper()
	rs := s.resources(typ)
	if len(rs) != 1 {
		t.Fatalf("%d resources of type %s, want 1", len(rs), typ)
	}
	for id, r := range rs {
		return id, r
	}
	panic("unreachable")
}

// mapping returns the event source mapping reading source (an EventSourceArn matcher value).
func (s *synthesized) mapping(t *testing.T, source any) map[string]any {
	t.Helper()
	for _, r := range s.resources("AWS::Lambda::EventSourceMapping") {
		if fmt.Sprint(props(r)["EventSourceArn"]) == fmt.Sprint(source) {
			return r
		}
	}
	t.Fatalf("no event source mapping reads %v", source)
	return nil
}

// notifyDLQ is the logical ID of the queue the stream mapping sends failed batches to.
func (s *synthesized) notifyDLQ(t *testing.T) string {
	t.Helper()
	tableID, _ := s.only(t, "AWS::DynamoDB::Table")
	dest := props(s.mapping(t, getAtt(tableID, "StreamArn")))["DestinationConfig"].(map[string]any)["OnFailure"].(map[string]any)["Destination"]
	return dest.(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
}

// timerQueue is the logical ID of the timer queue: the queue the timer function's environment
// names.
func (s *synthesized) timerQueue(t *testing.T) string {
	t.Helper()
	_, fn := s.function(t, "timer queue")
	v := props(fn)["Environment"].(map[string]any)["Variables"].(map[string]any)["TIMER_QUEUE_URL"]
	id, _ := v.(map[string]any)["Ref"].(string)
	if _, ok := s.resources("AWS::SQS::Queue")[id]; !ok {
		t.Fatalf("TIMER_QUEUE_URL of the timer function = %v, want a queue's URL", v)
	}
	return id
}

// function returns the Lambda function whose Description contains what, and its logical ID.
func (s *synthesized) function(t *testing.T, what string) (string, map[string]any) {
	t.Helper()
	var id string
	var fn map[string]any
	for fid, r := range s.resources("AWS::Lambda::Function") {
		if d, _ := props(r)["Description"].(string); strings.Contains(d, what) {
			if fn != nil {
				t.Fatalf("two functions described as %q", what)
			}
			id, fn = fid, r
		}
	}
	if fn == nil {
		t.Fatalf("no function described as %q", what)
	}
	return id, fn
}

// alias returns the logical ID of the live alias of the function whose Description contains
// what.
func (s *synthesized) alias(t *testing.T, what string) string {
	t.Helper()
	fnID, _ := s.function(t, what)
	for id, r := range s.resources("AWS::Lambda::Alias") {
		p := props(r)
		if fmt.Sprint(p["FunctionName"]) == fmt.Sprint(ref(fnID)) && p["Name"] == LiveAlias {
			return id
		}
	}
	t.Fatalf("no alias %q of the function described as %q", LiveAlias, what)
	return ""
}

// props is a resource's Properties.
func props(r map[string]any) map[string]any {
	p, _ := r["Properties"].(map[string]any)
	return p
}

// ref is the CloudFormation {"Ref": id}.
func ref(id string) map[string]any { return map[string]any{"Ref": id} }

// getAtt is the CloudFormation {"Fn::GetAtt": [id, attr]}.
func getAtt(id, attr string) map[string]any {
	return map[string]any{"Fn::GetAtt": []any{id, attr}}
}
