package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"
)

// TestTracingAndConcurrency: every Go function is traced by X-Ray, and runs with the stage's
// reserved concurrency: prod's defaults, a stage's own, none for dev.
func TestTracingAndConcurrency(t *testing.T) {
	for _, tc := range []struct {
		context map[string]any
		want    map[string]any // function description -> ReservedConcurrentExecutions (nil: none)
	}{
		{devContext, map[string]any{"badge API": nil, "overdue checks": nil, "delivers flips": nil, "migrations": nil, "timer queue": nil, "reports and reminders": nil}},
		{prodContext, map[string]any{"badge API": 100.0, "overdue checks": 2.0, "delivers flips": 10.0, "migrations": 2.0, "timer queue": 5.0}},
		{fullContext, map[string]any{"badge API": 50.0, "overdue checks": 3.0, "delivers flips": nil, "migrations": nil, "timer queue": nil}},
	} {
		s := synth(t, tc.context)
		t.Run(s.Stage.Name, func(t *testing.T) {
			expect(t, "tracing", func() {
				s.ResourcePropertiesCountIs(jsii.String("AWS::Lambda::Function"), obj{
					"Runtime": "provided.al2023", "TracingConfig": obj{"Mode": "Active"},
				}, jsii.Number(6))
			})
			for what, want := range tc.want {
				_, fn := s.function(t, what)
				if got := props(fn)["ReservedConcurrentExecutions"]; got != want {
					t.Errorf("%s: ReservedConcurrentExecutions = %v, want %v", what, got, want)
				}
			}
		})
	}
}

// TestLiveAliases: every Go function has the alias "live" on a version of its current code, and
// every caller invokes the alias: the API (TestAPI), the schedules (TestSweepRule,
// TestNotifyStream), the stream mapping (TestNotifyStream) and the migrate provider, here. The
// contract phase waits for the aliases too.
func TestLiveAliases(t *testing.T) {
	s := synth(t, fullContext)
	aliases := map[string]string{}
	for _, what := range []string{"badge API", "overdue checks", "delivers flips", "migrations"} {
		fnID := mustID(t, s, what)
		aliasID := s.alias(t, what)
		aliases[what] = aliasID
		version := props(s.resources("AWS::Lambda::Alias")[aliasID])["FunctionVersion"].(map[string]any)
		versionID := version["Fn::GetAtt"].([]any)[0].(string)
		v, ok := s.resources("AWS::Lambda::Version")[versionID]
		if !ok || fmt.Sprint(props(v)["FunctionName"]) != fmt.Sprint(ref(fnID)) {
			t.Errorf("%s: alias on %v, want a version of the function %s", what, version, fnID)
		}
	}
	expect(t, "the provider invokes the migrate alias", func() {
		s.HasResourceProperties(jsii.String("AWS::Lambda::Function"), obj{
			"Environment": obj{"Variables": obj{"USER_ON_EVENT_FUNCTION_ARN": ref(aliases["migrations"])}},
		})
	})
	var contractDeps []any
	for _, r := range s.resources("Custom::OverdueSchema") {
		if props(r)["Phase"] == "contract" {
			contractDeps, _ = r["DependsOn"].([]any)
		}
	}
	for _, what := range []string{"badge API", "overdue checks", "delivers flips"} {
		if !slices.Contains(contractDeps, any(aliases[what])) {
			t.Errorf("contract resource does not depend on the %s alias %s: it could contract before the alias moves", what, aliases[what])
		}
	}
}

// TestAliasesOff: with "aliases": false (the moto smoke deploy) there are no versions or
// aliases, and the callers invoke the functions.
func TestAliasesOff(t *testing.T) {
	s := synth(t, map[string]any{contextStage: "dev", contextStages: map[string]any{"dev": map[string]any{
		"emailFrom": "alerts@dev.example.org", "aliases": false,
	}}})
	if n := len(s.resources("AWS::Lambda::Alias")) + len(s.resources("AWS::Lambda::Version")); n != 0 {
		t.Errorf("%d aliases and versions with aliases off, want 0", n)
	}
	expect(t, "the sweep rule invokes the function", func() {
		s.HasResourceProperties(jsii.String("AWS::Events::Rule"), obj{
			"Targets": arr{like(obj{"Arn": getAtt(mustID(t, s, "overdue checks"), "Arn")})},
		})
	})
}

// TestAccessLogs: the API stage logs one JSON line per request to a log group with the stage's
// retention, with the fields an operator needs and never the path, query string or body.
func TestAccessLogs(t *testing.T) {
	for _, context := range []map[string]any{devContext, prodContext} {
		s := synth(t, context)
		t.Run(s.Stage.Name, func(t *testing.T) {
			_, stage := s.only(t, "AWS::ApiGatewayV2::Stage")
			settings, _ := props(stage)["AccessLogSettings"].(map[string]any)
			dest, _ := settings["DestinationArn"].(map[string]any)
			logs, ok := dest["Fn::GetAtt"].([]any)
			if !ok || logs[1] != "Arn" {
				t.Fatalf("access log destination = %v, want a log group's Arn", settings["DestinationArn"])
			}
			group := s.resources("AWS::Logs::LogGroup")[logs[0].(string)]
			if got := props(group)["RetentionInDays"]; got != float64(s.Stage.LogRetentionDays) {
				t.Errorf("access logs retention = %v, want %d", got, s.Stage.LogRetentionDays)
			}
			format, _ := settings["Format"].(string)
			var fields map[string]string
			if err := json.Unmarshal([]byte(format), &fields); err != nil {
				t.Fatalf("access log format %q is not JSON: %v", format, err)
			}
			for k, v := range map[string]string{
				"requestId": "$context.requestId", "ip": "$context.identity.sourceIp", "routeKey": "$context.routeKey",
				"status": "$context.status", "latency": "$context.responseLatency", "integrationError": "$context.integrationErrorMessage",
			} {
				if fields[k] != v {
					t.Errorf("access log field %s = %q, want %q", k, fields[k], v)
				}
			}
			for _, secret := range []string{"$context.path", "$context.requestPath", "querystring", "$request.", "body"} {
				if strings.Contains(strings.ToLower(format), strings.ToLower(secret)) {
					t.Errorf("access log format holds %s, which can carry ping keys: %s", secret, format)
				}
			}
		})
	}
}

// TestCustomDomainOnly: with a custom domain, the execute-api endpoint is off and, with a hosted
// zone, an alias record points the domain at the API's regional domain name.
func TestCustomDomainOnly(t *testing.T) {
	s := synth(t, fullContext)
	expect(t, "default endpoint off", func() {
		s.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Api"), obj{"DisableExecuteApiEndpoint": true})
	})
	domainID, _ := s.only(t, "AWS::ApiGatewayV2::DomainName")
	expect(t, "alias record", func() {
		s.HasResourceProperties(jsii.String("AWS::Route53::RecordSet"), obj{
			"Name":         "status.example.org.",
			"Type":         "A",
			"HostedZoneId": "Z0123456789ABCDEFGHIJ",
			"AliasTarget": obj{
				"DNSName":      getAtt(domainID, "RegionalDomainName"),
				"HostedZoneId": getAtt(domainID, "RegionalHostedZoneId"),
			},
		})
	})
	for _, context := range []map[string]any{devContext, prodContext} {
		s := synth(t, context)
		expect(t, s.Stage.Name+": default endpoint on without a domain", func() {
			s.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Api"), obj{"DisableExecuteApiEndpoint": false})
		})
		if n := len(s.resources("AWS::Route53::RecordSet")); n != 0 {
			t.Errorf("%s: %d DNS records without a domain, want 0", s.Stage.Name, n)
		}
	}
}

// TestHeartbeatURL: the stage's heartbeatUrl reaches the sweep as HEARTBEAT_URL, and no other
// function.
func TestHeartbeatURL(t *testing.T) {
	s := synth(t, fullContext)
	for _, what := range []string{"badge API", "overdue checks", "delivers flips", "migrations"} {
		_, fn := s.function(t, what)
		got := props(fn)["Environment"].(map[string]any)["Variables"].(map[string]any)["HEARTBEAT_URL"]
		want := any(nil)
		if what == "overdue checks" {
			want = "https://hc-ping.com/0f3a6e8c-1111-4222-8333-944444444444"
		}
		if got != want {
			t.Errorf("%s: HEARTBEAT_URL = %v, want %v", what, got, want)
		}
	}
	_, sweep := synth(t, devContext).function(t, "overdue checks")
	if _, ok := props(sweep)["Environment"].(map[string]any)["Variables"].(map[string]any)["HEARTBEAT_URL"]; ok {
		t.Error("dev sweep has HEARTBEAT_URL without heartbeatUrl")
	}
}

// TestDashboard: one dashboard per stage, graphing pings, errors, latency, sweep lag, parked
// deliveries and refusals.
func TestDashboard(t *testing.T) {
	s := synth(t, devContext)
	expect(t, "dashboard", func() {
		s.HasResourceProperties(jsii.String("AWS::CloudWatch::Dashboard"), obj{
			"DashboardName": "Overdue-dev", "DashboardBody": assertions.Match_AnyValue(),
		})
	})
	_, d := s.only(t, "AWS::CloudWatch::Dashboard")
	body, _ := json.Marshal(props(d)["DashboardBody"])
	for _, want := range []string{
		`\"AWS/ApiGateway\",\"Count\"`, `\"AWS/ApiGateway\",\"5xx\"`, `\"AWS/ApiGateway\",\"Latency\"`, `p99`,
		`\"Overdue\",\"SweepLag\"`, `\"AWS/Lambda\",\"Errors\"`, `\"ParkedDeliveries\"`, `\"Overdue\",\"DataModelRefused\"`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("dashboard body lacks %s:\n%s", want, body)
		}
	}
}

// TestSESFeedbackLoop: alert email goes through the stage's configuration set (the notify
// function's SES_CONFIGURATION_SET, and its ses:SendEmail allows the set), which publishes
// bounces and complaints to a topic SES may publish to and the notify function's live alias is
// subscribed to.
func TestSESFeedbackLoop(t *testing.T) {
	s := synth(t, devContext)
	expect(t, "configuration set", func() {
		s.HasResourceProperties(jsii.String("AWS::SES::ConfigurationSet"), obj{
			"Name": "overdue-dev", "ReputationOptions": obj{"ReputationMetricsEnabled": true},
		})
	})
	setID, _ := s.only(t, "AWS::SES::ConfigurationSet")
	_, dest := s.only(t, "AWS::SES::ConfigurationSetEventDestination")
	ed := props(dest)["EventDestination"].(map[string]any)
	topic, _ := ed["SnsDestination"].(map[string]any)["TopicARN"].(map[string]any)["Ref"].(string)
	if diff := cmp.Diff([]any{"bounce", "complaint"}, ed["MatchingEventTypes"]); diff != "" || ed["Enabled"] != true || fmt.Sprint(props(dest)["ConfigurationSetName"]) != fmt.Sprint(ref(setID)) {
		t.Errorf("event destination %v, want bounces and complaints of the set to a topic (-want +got types):\n%s", props(dest), diff)
	}
	expect(t, "SES may publish to the topic", func() {
		s.HasResourceProperties(jsii.String("AWS::SNS::TopicPolicy"), obj{
			"Topics": arr{ref(topic)},
			"PolicyDocument": like(obj{"Statement": arr{like(obj{
				"Action": "sns:Publish", "Principal": obj{"Service": "ses.amazonaws.com"}, "Resource": ref(topic),
			})}}),
		})
	})
	notifyID := mustID(t, s, "delivers flips")
	expect(t, "the notify alias is subscribed", func() {
		s.HasResourceProperties(jsii.String("AWS::SNS::Subscription"), obj{
			"Protocol": "lambda", "TopicArn": ref(topic),
			"Endpoint": obj{"Fn::Join": arr{"", arr{getAtt(notifyID, "Arn"), ":live"}}},
		})
		s.HasResourceProperties(jsii.String("AWS::Lambda::Permission"), obj{
			"Action": "lambda:InvokeFunction", "FunctionName": ref(s.alias(t, "delivers flips")),
			"Principal": "sns.amazonaws.com", "SourceArn": ref(topic),
		})
	})
	_, fn := s.function(t, "delivers flips")
	if got := props(fn)["Environment"].(map[string]any)["Variables"].(map[string]any)["SES_CONFIGURATION_SET"]; got != "overdue-dev" {
		t.Errorf("notify SES_CONFIGURATION_SET = %v, want overdue-dev", got)
	}
	// The notify function's policy (the api's sends account mail without the set).
	notifyRole, _ := json.Marshal(props(fn)["Role"].(map[string]any)["Fn::GetAtt"].([]any)[0])
	var sendOn string
	for _, p := range s.resources("AWS::IAM::Policy") {
		b, _ := json.Marshal(props(p)["PolicyDocument"])
		roles, _ := json.Marshal(props(p)["Roles"])
		if strings.Contains(string(b), "ses:SendEmail") && strings.Contains(string(roles), string(notifyRole)) {
			sendOn = string(b)
		}
	}
	if !strings.Contains(sendOn, ":configuration-set/overdue-dev") {
		t.Errorf("ses:SendEmail policy %s does not allow the configuration set", sendOn)
	}
}
