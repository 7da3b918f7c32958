package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/schema"
	"github.com/overduehq/overdue/internal/store/dynamo"
)

// obj and arr keep the expected templates short.
type obj = map[string]any
type arr = []any

func like(m obj) assertions.Matcher { return assertions.Match_ObjectLike(&m) }

func TestTable(t *testing.T) {
	for _, tc := range []struct {
		context map[string]any
		name    string
		retain  bool
	}{
		{devContext, "overdue-dev-v1", false},
		{prodContext, "overdue-prod-v1", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := synth(t, tc.context)
			if want := fmt.Sprintf("overdue-%s-v%d", s.Stage.Name, dynamo.TableGeneration); tc.name != want {
				t.Fatalf("test table name %q, but the store's generation gives %q", tc.name, want)
			}
			key := func(name, typ string) obj { return obj{"AttributeName": name, "KeyType": typ} }
			expect(t, "table properties", func() {
				s.HasResourceProperties(jsii.String("AWS::DynamoDB::Table"), obj{
					"TableName":   tc.name,
					"BillingMode": "PAY_PER_REQUEST",
					"KeySchema":   arr{key(dynamo.PartitionKey, "HASH"), key(dynamo.SortKey, "RANGE")},
					"StreamSpecification": obj{
						"StreamViewType": "NEW_AND_OLD_IMAGES",
					},
					"TimeToLiveSpecification": obj{"AttributeName": dynamo.TTLAttribute, "Enabled": true},
					"PointInTimeRecoverySpecification": obj{
						"PointInTimeRecoveryEnabled": true,
					},
					"DeletionProtectionEnabled": tc.retain,
				})
			})
			policy := "Delete"
			if tc.retain {
				policy = "Retain"
			}
			expect(t, "table removal policy", func() {
				s.HasResource(jsii.String("AWS::DynamoDB::Table"), obj{
					"DeletionPolicy":      policy,
					"UpdateReplacePolicy": policy,
				})
			})
			expect(t, "signing secret", func() {
				s.HasResource(jsii.String("AWS::SecretsManager::Secret"), obj{
					"DeletionPolicy": policy,
					"Properties": like(obj{"GenerateSecretString": like(obj{
						"PasswordLength": 64, "ExcludePunctuation": true,
					})}),
				})
			})
			expect(t, "function log groups", func() {
				s.AllResources(jsii.String("AWS::Logs::LogGroup"), obj{
					"DeletionPolicy": policy,
					"Properties":     obj{"RetentionInDays": s.Stage.LogRetentionDays},
				})
			})
		})
	}
}

// TestTableIndexes checks the indexes against the store's constants. TestTableMatchesStore
// checks the whole table against the store's CreateTable on moto.
func TestTableIndexes(t *testing.T) {
	s := synth(t, devContext)
	_, table := s.only(t, "AWS::DynamoDB::Table")
	type index struct {
		PK, SK, SKType, Projection string
	}
	types := map[string]string{}
	for _, a := range props(table)["AttributeDefinitions"].([]any) {
		a := a.(map[string]any)
		types[a["AttributeName"].(string)] = a["AttributeType"].(string)
	}
	got := map[string]index{}
	for _, g := range props(table)["GlobalSecondaryIndexes"].([]any) {
		g := g.(map[string]any)
		ks := g["KeySchema"].([]any)
		pk := ks[0].(map[string]any)["AttributeName"].(string)
		sk := ks[1].(map[string]any)["AttributeName"].(string)
		if types[pk] != "S" {
			t.Errorf("index %s partition key %s has type %q, want S", g["IndexName"], pk, types[pk])
		}
		got[g["IndexName"].(string)] = index{pk, sk, types[sk], g["Projection"].(map[string]any)["ProjectionType"].(string)}
	}
	want := map[string]index{
		dynamo.DueIndex:         {dynamo.DueShardAttribute, dynamo.AlertAfterAttribute, "N", "KEYS_ONLY"},
		dynamo.DueBucketIndex:   {dynamo.DueBucketShardAttribute, dynamo.DueBucketAttribute, "N", "KEYS_ONLY"},
		dynamo.ProjectIndex:     {dynamo.ProjectIndexPartitionKey, dynamo.ProjectIndexSortKey, "S", "KEYS_ONLY"},
		dynamo.UnprocessedIndex: {dynamo.UnprocessedPartitionKey, dynamo.UnprocessedSortKey, "S", "ALL"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("indexes (-want +got):\n%s", diff)
	}
}

func TestFunctions(t *testing.T) {
	for _, context := range []map[string]any{devContext, prodContext} {
		s := synth(t, context)
		t.Run(s.Stage.Name, func(t *testing.T) {
			// Overdue's six functions (api, sweep, notify, migrate, timer, reports); the CDK's
			// custom-resource provider adds one of its own, in Node.js.
			if ids := s.goFunctions(); len(ids) != 6 {
				t.Errorf("Go functions = %v, want 6 (api, sweep, notify, migrate, timer, reports)", ids)
			}
			expect(t, "runtime and architecture", func() {
				s.ResourcePropertiesCountIs(jsii.String("AWS::Lambda::Function"), obj{
					"Runtime":       "provided.al2023",
					"Architectures": arr{"arm64"},
					"Handler":       "bootstrap",
					"LoggingConfig": obj{"LogGroup": assertions.Match_AnyValue()},
				}, jsii.Number(6))
			})
			tableID, _ := s.only(t, "AWS::DynamoDB::Table")
			secretID, _ := s.only(t, "AWS::SecretsManager::Secret")
			apiID, _ := s.only(t, "AWS::ApiGatewayV2::Api")
			for _, tc := range []struct {
				what   string
				memory int
				env    obj
			}{
				{"badge API", s.Stage.Memory.API, obj{
					"TABLE_NAME":      ref(tableID),
					"SECRET_ARN":      ref(secretID),
					"EMAIL_FROM":      s.Stage.EmailFrom,
					"SITE_ROOT":       getAtt(apiID, "ApiEndpoint"),
					"LOG_LEVEL":       "info",
					"NOTIFY_FUNCTION": s.notifyLive(t),
				}},
				// The ingestion canary: pinged through the public URL, its IDs in the table; no
				// secret (the whole environment is asserted: no SECRET_ARN).
				{"overdue checks", s.Stage.Memory.Sweep, obj{"TABLE_NAME": ref(tableID), "LOG_LEVEL": "info",
					"TIMER_QUEUE_URL": ref(s.timerQueue(t)), "SITE_ROOT": getAtt(apiID, "ApiEndpoint")}},
				{"timer queue", s.Stage.Memory.Timer, obj{"TABLE_NAME": ref(tableID), "LOG_LEVEL": "info",
					"TIMER_QUEUE_URL": ref(s.timerQueue(t))}},
				{"delivers flips", s.Stage.Memory.Notify, obj{
					"TABLE_NAME": ref(tableID),
					"SECRET_ARN": ref(secretID),
					"EMAIL_FROM": s.Stage.EmailFrom,
					"SITE_ROOT":  getAtt(apiID, "ApiEndpoint"),
					"LOG_LEVEL":  "info",

					"SES_CONFIGURATION_SET": "overdue-" + s.Stage.Name,
				}},
				// Migration 8 seals channel values under the secret.
				{"data-model guard", s.Stage.Memory.Migrate, obj{
					"TABLE_NAME": ref(tableID),
					"SECRET_ARN": ref(secretID),
					"LOG_LEVEL":  "info",
				}},
			} {
				_, fn := s.function(t, tc.what)
				p := props(fn)
				if got := p["MemorySize"]; got != float64(tc.memory) {
					t.Errorf("%s: MemorySize = %v, want %d", tc.what, got, tc.memory)
				}
				if m := p["MemorySize"].(float64); m < 128 || m > 256 {
					t.Errorf("%s: MemorySize = %v, want 128-256", tc.what, m)
				}
				got := p["Environment"].(map[string]any)["Variables"]
				if diff := cmp.Diff(map[string]any(tc.env), got); diff != "" {
					t.Errorf("%s: environment (-want +got):\n%s", tc.what, diff)
				}
			}
		})
	}
}

// TestGrants checks least privilege: no wildcard action anywhere, each function only the
// access it needs, and resource "*" only where IAM offers nothing narrower.
func TestGrants(t *testing.T) {
	s := synth(t, fullContext)
	roleOf := func(fnID string) string {
		role := props(s.resources("AWS::Lambda::Function")[fnID])["Role"].(map[string]any)
		return role["Fn::GetAtt"].([]any)[0].(string)
	}
	// statements by role logical ID
	statements := map[string][]map[string]any{}
	for _, p := range s.resources("AWS::IAM::Policy") {
		doc := props(p)["PolicyDocument"].(map[string]any)
		for _, r := range props(p)["Roles"].([]any) {
			role := r.(map[string]any)["Ref"].(string)
			for _, st := range doc["Statement"].([]any) {
				statements[role] = append(statements[role], st.(map[string]any))
			}
		}
	}
	actions := func(st map[string]any) []string {
		switch a := st["Action"].(type) {
		case string:
			return []string{a}
		case []any:
			var out []string
			for _, x := range a {
				out = append(out, x.(string))
			}
			return out
		}
		return nil
	}
	for role, sts := range statements {
		for _, st := range sts {
			for _, a := range actions(st) {
				if a == "*" || strings.HasSuffix(a, ":*") {
					t.Errorf("role %s is allowed %q: name the actions", role, a)
				}
			}
			if st["Resource"] == "*" {
				for _, a := range actions(st) {
					// sns:Publish: phone numbers have no ARN. X-Ray's actions have no
					// resources at all.
					if a != "sns:Publish" && a != "xray:PutTraceSegments" && a != "xray:PutTelemetryRecords" {
						t.Errorf("role %s is allowed %s on every resource", role, a)
					}
				}
			}
		}
	}
	allowed := func(fnID string) []string {
		var out []string
		for _, st := range statements[roleOf(fnID)] {
			out = append(out, actions(st)...)
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	for _, tc := range []struct {
		what      string
		want, not []string
	}{
		// The projects API: GetItem (tokens, memberships, projects), TransactWriteItems of Put,
		// Delete and ConditionCheck (project updates, memberships), UpdateItem (a token's last
		// use), DeleteItem (revoked tokens), BatchWriteItem (a deleted project's members).
		{"badge API", []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query", "dynamodb:DeleteItem",
			"dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem", "secretsmanager:GetSecretValue", "ses:SendEmail",
			// Channel tests run in the notify function (TestAPIInvokesOnlyNotify: on it alone).
			"lambda:InvokeFunction"},
			[]string{"sns:Publish", "dynamodb:GetRecords", "dynamodb:DescribeTable"}},
		// The sweep creates the ingestion canary (a conditional PutItem of its record, a
		// transaction with a ConditionCheck). No secret: it opens no channel value.
		{"overdue checks", []string{"dynamodb:Query", "dynamodb:UpdateItem", "dynamodb:PutItem", "dynamodb:BatchGetItem", "dynamodb:GetItem", "sqs:SendMessage",
			"dynamodb:ConditionCheckItem"},
			[]string{"secretsmanager:GetSecretValue", "ses:SendEmail", "sns:Publish", "dynamodb:DeleteItem",
				"dynamodb:BatchWriteItem", "dynamodb:GetRecords", "dynamodb:DescribeTable", "sqs:ReceiveMessage", "sqs:DeleteMessage"}},
		// Query: the project's maintenance windows, in the table (no index: below).
		// No secret: the ingestion canary's record is in the table.
		{"timer queue", []string{"dynamodb:GetItem", "dynamodb:Scan", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem",
			"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:SendMessage"},
			[]string{"secretsmanager:GetSecretValue", "dynamodb:BatchGetItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem",
				"dynamodb:GetRecords", "dynamodb:DescribeTable", "ses:SendEmail", "sns:Publish"}},
		// Delayed and repeated alerts (per-channel timing): PutItem claims them ahead, GetItem
		// reads a delivery record back (an up alert goes where the down went), Query reads the
		// flips since an alert's flip and the project's maintenance windows, and the due list.
		{"delivers flips", []string{"dynamodb:UpdateItem", "dynamodb:GetRecords", "dynamodb:DescribeStream",
			"dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:Query",
			"secretsmanager:GetSecretValue", "ses:SendEmail", "sns:Publish", "sqs:SendMessage"},
			[]string{"dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:DescribeTable"}},
		// Reports: reads of people, projects, checks and flips; its cursor and mailing records;
		// mail from the stage's sender. No secret (it reads no channel), nothing deleted.
		{"reports and reminders", []string{"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:PutItem",
			"dynamodb:UpdateItem", "ses:SendEmail"},
			[]string{"dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:GetRecords", "dynamodb:DescribeTable",
				"secretsmanager:GetSecretValue", "sns:Publish", "sqs:SendMessage", "lambda:InvokeFunction"}},
		// Migration 8 seals channel values under the secret; the canary of earlier builds is
		// found by the IDs derived from it.
		{"migrations", []string{"dynamodb:UpdateItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:BatchWriteItem", "secretsmanager:GetSecretValue"},
			[]string{"ses:SendEmail", "sns:Publish", "dynamodb:GetRecords", "dynamodb:DescribeTable"}},
	} {
		id, _ := s.function(t, tc.what)
		got := allowed(id)
		for _, a := range tc.want {
			if !slices.Contains(got, a) {
				t.Errorf("%s: %s not allowed; allowed: %v", tc.what, a, got)
			}
		}
		for _, a := range tc.not {
			if slices.Contains(got, a) {
				t.Errorf("%s: %s allowed, want not", tc.what, a)
			}
		}
	}

	// DynamoDB: each statement on the table, the named indexes, or the table's streams.
	tableID, _ := s.only(t, "AWS::DynamoDB::Table")
	for _, tc := range []struct {
		what    string
		indexes []string
	}{
		{"badge API", []string{dynamo.ProjectIndex, dynamo.UnprocessedIndex}},
		{"overdue checks", []string{dynamo.DueBucketIndex, dynamo.DueIndex}},
		{"timer queue", nil},
		{"delivers flips", []string{dynamo.ProjectIndex, dynamo.UnprocessedIndex}},
		{"reports and reminders", []string{dynamo.ProjectIndex}},
		{"migrations", []string{dynamo.DueBucketIndex, dynamo.DueIndex, dynamo.ProjectIndex, dynamo.UnprocessedIndex}},
	} {
		var queried []string
		for _, st := range statements[roleOf(mustID(t, s, tc.what))] {
			if !strings.HasPrefix(actions(st)[0], "dynamodb:") {
				continue
			}
			b, _ := json.Marshal(st["Resource"])
			if !strings.Contains(string(b), tableID) {
				t.Errorf("%s: DynamoDB statement on %s, want the table's ARN in it", tc.what, b)
			}
			for _, name := range []string{dynamo.DueIndex, dynamo.DueBucketIndex, dynamo.ProjectIndex, dynamo.UnprocessedIndex} {
				if strings.Contains(string(b), "/index/"+name) {
					queried = append(queried, name)
					if got := actions(st); len(got) != 1 || got[0] != "dynamodb:Query" {
						t.Errorf("%s: %v on index %s, want only dynamodb:Query", tc.what, got, name)
					}
				}
			}
			if strings.Contains(string(b), "/index/*") {
				t.Errorf("%s: a statement on every index: %s", tc.what, b)
			}
			if slices.Contains(actions(st), "dynamodb:GetRecords") && !strings.Contains(string(b), "/stream/*") {
				t.Errorf("%s: stream actions on %s, want the table's streams", tc.what, b)
			}
		}
		slices.Sort(queried)
		want := slices.Clone(tc.indexes)
		slices.Sort(want)
		if !slices.Equal(queried, want) {
			t.Errorf("%s may query indexes %v, want %v", tc.what, queried, want)
		}
	}

	// Secrets Manager: the signing secret alone, for every function that reads it (the api
	// function also reads the OIDC client secret: TestAPIOIDC).
	secretID, _ := s.only(t, "AWS::SecretsManager::Secret")
	for _, what := range []string{"delivers flips", "migrations"} {
		for _, st := range statements[roleOf(mustID(t, s, what))] {
			if !slices.Contains(actions(st), "secretsmanager:GetSecretValue") {
				continue
			}
			if b, _ := json.Marshal(st["Resource"]); !strings.Contains(string(b), secretID) || strings.Contains(string(b), `"*"`) {
				t.Errorf("%s: secretsmanager:GetSecretValue on %s, want the signing secret alone", what, b)
			}
		}
	}

	// Lambda: the api function invokes the notify function's live alias (channel tests), and
	// nothing else; no other function invokes anything.
	live, _ := json.Marshal(s.notifyLive(t))
	for _, what := range []string{"badge API", "overdue checks", "delivers flips", "data-model guard"} {
		invokes := 0
		for _, st := range statements[roleOf(mustID(t, s, what))] {
			if !slices.Contains(actions(st), "lambda:InvokeFunction") {
				continue
			}
			invokes++
			b, _ := json.Marshal(st["Resource"])
			if !strings.Contains(string(b), string(live)) || strings.Contains(string(b), `"*"`) {
				t.Errorf("%s: lambda:InvokeFunction on %s, want the notify function alone", what, b)
			}
		}
		if want := map[bool]int{true: 1, false: 0}[what == "badge API"]; invokes != want {
			t.Errorf("%s: %d statements allow lambda:InvokeFunction, want %d", what, invokes, want)
		}
	}

	// SES: only the sender's identities, the address and its domain; notify's alert mail
	// through the configuration set, the api's account mail (reset and invitation links)
	// without it.
	_, notify := s.function(t, "delivers flips")
	for what, viaSet := range map[string]bool{"delivers flips": true, "badge API": false} {
		sends := 0
		for _, st := range statements[roleOf(mustID(t, s, what))] {
			if !slices.Contains(actions(st), "ses:SendEmail") {
				continue
			}
			sends++
			b, _ := json.Marshal(st["Resource"])
			for _, want := range []string{":identity/alerts@example.org", ":identity/example.org"} {
				if !strings.Contains(string(b), want) {
					t.Errorf("%s: ses:SendEmail resources %s lack %q", what, b, want)
				}
			}
			if strings.Contains(string(b), `"*"`) {
				t.Errorf("%s: ses:SendEmail on every resource: %s", what, b)
			}
			if got := strings.Contains(string(b), ":configuration-set/"); got != viaSet {
				t.Errorf("%s: ses:SendEmail on the configuration set = %v, want %v: %s", what, got, viaSet, b)
			}
		}
		if sends != 1 {
			t.Errorf("%s: %d ses:SendEmail statements, want 1", what, sends)
		}
	}
	if got := props(notify)["Environment"].(map[string]any)["Variables"].(map[string]any)["EMAIL_FROM"]; got != "Overdue <alerts@example.org>" {
		t.Errorf("notify EMAIL_FROM = %v, want the stage's emailFrom", got)
	}
	if got := props(notify)["Environment"].(map[string]any)["Variables"].(map[string]any)["OVERDUE_URL_PD"]; got != "https://events.eu.pagerduty.com" {
		t.Errorf("notify OVERDUE_URL_PD = %v, want the stage's serviceUrls.pd without its trailing slash", got)
	}
}

func mustID(t *testing.T, s *synthesized, what string) string {
	t.Helper()
	id, _ := s.function(t, what)
	return id
}

func TestAPI(t *testing.T) {
	for _, context := range []map[string]any{devContext, prodContext} {
		s := synth(t, context)
		t.Run(s.Stage.Name, func(t *testing.T) {
			var got []string
			for _, r := range s.resources("AWS::ApiGatewayV2::Route") {
				got = append(got, props(r)["RouteKey"].(string))
			}
			slices.Sort(got)
			want := []string{"ANY /", "ANY /accounts/{proxy+}", "ANY /api/{proxy+}", "ANY /b/{proxy+}", "ANY /badge/{proxy+}", "ANY /checks/{proxy+}",
				"ANY /ping/{proxy+}", "ANY /projects/{proxy+}", "ANY /static/{proxy+}"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("routes (-want +got):\n%s", diff)
			}
			apiAlias := s.alias(t, "badge API")
			expect(t, "routes go to the api function's live alias", func() {
				s.AllResourcesProperties(jsii.String("AWS::ApiGatewayV2::Integration"), obj{
					"IntegrationType":      "AWS_PROXY",
					"IntegrationUri":       ref(apiAlias),
					"PayloadFormatVersion": "2.0",
				})
			})
			expect(t, "stage throttling", func() {
				s.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Stage"), obj{
					"StageName":  "$default",
					"AutoDeploy": true,
					"DefaultRouteSettings": obj{
						"ThrottlingRateLimit":  s.Stage.ThrottleRate,
						"ThrottlingBurstLimit": s.Stage.ThrottleBurst,
					},
				})
			})
			apiID, _ := s.only(t, "AWS::ApiGatewayV2::Api")
			expect(t, "URL output", func() {
				s.HasOutput(jsii.String("ApiUrl"), obj{"Value": getAtt(apiID, "ApiEndpoint")})
			})
			if n := len(s.resources("AWS::ApiGatewayV2::DomainName")); n != 0 {
				t.Errorf("%d custom domains without domainName, want 0", n)
			}
		})
	}
}

func TestAPICustomDomain(t *testing.T) {
	s := synth(t, fullContext)
	expect(t, "domain", func() {
		s.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::DomainName"), obj{
			"DomainName": "status.example.org",
			"DomainNameConfigurations": arr{like(obj{
				"CertificateArn": s.Stage.CertificateARN,
				"EndpointType":   "REGIONAL",
			})},
		})
	})
	domainID, _ := s.only(t, "AWS::ApiGatewayV2::DomainName")
	expect(t, "mapping", func() {
		s.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::ApiMapping"), obj{"DomainName": ref(domainID)})
	})
	expect(t, "outputs", func() {
		s.HasOutput(jsii.String("ApiUrl"), obj{"Value": "https://status.example.org"})
		s.HasOutput(jsii.String("ApiDomainTarget"), obj{"Value": getAtt(domainID, "RegionalDomainName")})
	})
	_, fn := s.function(t, "badge API")
	if got := props(fn)["Environment"].(map[string]any)["Variables"].(map[string]any)["SITE_ROOT"]; got != "https://status.example.org" {
		t.Errorf("SITE_ROOT = %v, want the custom domain", got)
	}
}

func TestSweepRule(t *testing.T) {
	s := synth(t, devContext)
	sweep := s.alias(t, "overdue checks")
	expect(t, "rule", func() {
		s.HasResourceProperties(jsii.String("AWS::Events::Rule"), obj{
			"ScheduleExpression": "rate(1 minute)",
			"State":              "ENABLED",
			"Targets": arr{like(obj{
				"Arn":         ref(sweep),
				"RetryPolicy": obj{"MaximumRetryAttempts": 0, "MaximumEventAgeInSeconds": 60},
			})},
		})
	})
	expect(t, "EventBridge may invoke the sweep", func() {
		s.HasResourceProperties(jsii.String("AWS::Lambda::Permission"), obj{
			"FunctionName": ref(sweep),
			"Principal":    "events.amazonaws.com",
		})
	})
}

func TestNotifyStream(t *testing.T) {
	s := synth(t, devContext)
	tableID, _ := s.only(t, "AWS::DynamoDB::Table")
	queueID := s.notifyDLQ(t)
	notify := s.alias(t, "delivers flips")
	expect(t, "event source mapping", func() {
		s.HasResourceProperties(jsii.String("AWS::Lambda::EventSourceMapping"), obj{
			"FunctionName":               assertions.Match_AnyValue(), // below
			"EventSourceArn":             getAtt(tableID, "StreamArn"),
			"StartingPosition":           "TRIM_HORIZON",
			"FunctionResponseTypes":      arr{"ReportBatchItemFailures"},
			"BisectBatchOnFunctionError": true,
			"MaximumRetryAttempts":       10,
			"DestinationConfig":          obj{"OnFailure": obj{"Destination": getAtt(queueID, "Arn")}},
			"FilterCriteria": obj{"Filters": arr{obj{
				"Pattern": assertions.Match_SerializedJson(obj{
					"eventName": arr{"INSERT"},
					"dynamodb":  obj{"Keys": obj{dynamo.SortKey: obj{"S": arr{obj{"prefix": "FLIP#"}}}}},
				}),
			}}},
		})
	})
	esm := s.mapping(t, getAtt(tableID, "StreamArn"))
	if b, _ := json.Marshal(props(esm)["FunctionName"]); !strings.Contains(string(b), ref(notify)["Ref"].(string)) || !strings.Contains(string(b), `":live"`) {
		t.Errorf("stream mapping's FunctionName = %s, want the notify function's live alias", b)
	}
	expect(t, "retry schedule", func() {
		s.HasResourceProperties(jsii.String("AWS::Events::Rule"), obj{
			"ScheduleExpression": "rate(1 minute)",
			"Targets":            arr{like(obj{"Arn": ref(notify)})},
		})
	})
	dlq := s.resources("AWS::SQS::Queue")[queueID]
	if dlq["DeletionPolicy"] != "Delete" || props(dlq)["MessageRetentionPeriod"] != float64(14*24*3600) || props(dlq)["SqsManagedSseEnabled"] != true {
		t.Errorf("dead-letter queue = %v, want deleted with the dev stack, 14 days' retention, encrypted", dlq)
	}
	prod := synth(t, prodContext)
	if dlq := prod.resources("AWS::SQS::Queue")[prod.notifyDLQ(t)]; dlq["DeletionPolicy"] != "Retain" || dlq["UpdateReplacePolicy"] != "Retain" {
		t.Errorf("prod dead-letter queue = %v, want retained", dlq)
	}
}

func TestAlarms(t *testing.T) {
	for _, tc := range []struct {
		context map[string]any
		alarms  int
		email   string
	}{
		// sweep, data model refused, dead letters, notify lag, parked, 5xx rate, p99 latency,
		// table throttles and system errors, sweep lag, SES bounces and complaints, timer dead
		// letters, lag and queue age, ingestion unhealthy, errors and throttles of each function
		// (reports included)
		{devContext, 16 + 2*6, ""},
		{prodContext, 16 + 2*6, "oncall@example.org"},
		{fullContext, 16 + 2*6, "ops@example.org"},
	} {
		s := synth(t, tc.context)
		t.Run(s.Stage.Name, func(t *testing.T) {
			// The ops topic, as the stack's output names it (the other topic carries SES feedback).
			topicID := s.JSON["Outputs"].(map[string]any)["OpsTopicArn"].(map[string]any)["Value"].(map[string]any)["Ref"].(string)
			expect(t, "alarm count", func() {
				s.ResourceCountIs(jsii.String("AWS::CloudWatch::Alarm"), jsii.Number(float64(tc.alarms)))
			})
			expect(t, "every alarm notifies the ops topic, in and out", func() {
				s.AllResourcesProperties(jsii.String("AWS::CloudWatch::Alarm"), obj{
					"AlarmActions": arr{ref(topicID)},
					"OKActions":    arr{ref(topicID)},
				})
			})
			if tc.email == "" {
				expect(t, "no subscription", func() {
					s.ResourcePropertiesCountIs(jsii.String("AWS::SNS::Subscription"), obj{"Protocol": "email"}, jsii.Number(0))
				})
			} else {
				expect(t, "email subscription", func() {
					s.HasResourceProperties(jsii.String("AWS::SNS::Subscription"), obj{
						"Protocol": "email", "Endpoint": tc.email, "TopicArn": ref(topicID),
					})
				})
			}

			sweep := mustID(t, s, "overdue checks")
			// alarmHas matches the named alarm with each of metrics among its Metrics, one at a
			// time: ArrayWith wants the template's order, which is not ours to fix.
			alarmHas := func(what, name string, want obj, metrics ...assertions.Matcher) {
				for _, m := range metrics {
					p := obj{"AlarmName": "Overdue-" + s.Stage.Name + "-" + name, "Metrics": assertions.Match_ArrayWith(&arr{m})}
					for k, v := range want {
						p[k] = v
					}
					expect(t, what, func() { s.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), p) })
				}
			}
			metricStat := func(id, namespace, name, dim string, value any, period int) assertions.Matcher {
				return like(obj{"Id": id, "ReturnData": false, "MetricStat": obj{
					"Metric": obj{
						"Namespace":  namespace,
						"MetricName": name,
						"Dimensions": arr{obj{"Name": dim, "Value": value}},
					},
					"Period": period,
					"Stat":   "Sum",
				}})
			}
			alarmHas("sweep not succeeding: invocations that did not fail, missing data breaching", "SweepNotSucceeding",
				obj{
					"EvaluationPeriods":  5,
					"DatapointsToAlarm":  5,
					"Threshold":          1,
					"ComparisonOperator": "LessThanThreshold",
					"TreatMissingData":   "breaching",
				},
				like(obj{"Expression": "FILL(invocations, 0) - FILL(errors, 0)", "ReturnData": true}),
				metricStat("invocations", "AWS/Lambda", "Invocations", "FunctionName", ref(sweep), 60),
				metricStat("errors", "AWS/Lambda", "Errors", "FunctionName", ref(sweep), 60),
			)
			for id, a := range s.resources("AWS::CloudWatch::Alarm") {
				if props(a)["MetricName"] == "Invocations" {
					t.Errorf("alarm %s watches Invocations alone: a sweep that runs and fails would look healthy", id)
				}
			}
			refused := []assertions.Matcher{like(obj{"Expression": "SUM(METRICS())", "ReturnData": true})}
			for _, fn := range s.goFunctions() {
				refused = append(refused, like(obj{"MetricStat": like(obj{"Metric": obj{
					"Namespace":  "Overdue",
					"MetricName": "DataModelRefused",
					"Dimensions": arr{obj{"Name": "Function", "Value": ref(fn)}},
				}})}))
			}
			alarmHas("data model refused by any function", "DataModelRefused",
				obj{
					"Threshold":          1,
					"ComparisonOperator": "GreaterThanOrEqualToThreshold",
					"TreatMissingData":   "notBreaching",
				},
				refused...)
			queueID := s.notifyDLQ(t)
			expect(t, "dead-letter queue not empty", func() {
				s.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), obj{
					"Namespace":          "AWS/SQS",
					"MetricName":         "ApproximateNumberOfMessagesVisible",
					"Dimensions":         arr{obj{"Name": "QueueName", "Value": getAtt(queueID, "QueueName")}},
					"Threshold":          1,
					"ComparisonOperator": "GreaterThanOrEqualToThreshold",
				})
			})
			expect(t, "parked deliveries counted from the notify logs", func() {
				s.HasResourceProperties(jsii.String("AWS::Logs::MetricFilter"), obj{
					"FilterPattern": `{ $.msg = "delivery parked" }`,
					"MetricTransformations": arr{like(obj{
						"MetricNamespace": "Overdue/" + s.Stage.Name, "MetricName": "ParkedDeliveries", "MetricValue": "1",
					})},
				})
				s.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), obj{
					"Namespace":          "Overdue/" + s.Stage.Name,
					"MetricName":         "ParkedDeliveries",
					"Threshold":          1,
					"ComparisonOperator": "GreaterThanOrEqualToThreshold",
				})
			})
			apiID, _ := s.only(t, "AWS::ApiGatewayV2::Api")
			metric := func(name string) assertions.Matcher {
				return like(obj{"MetricStat": like(obj{"Metric": obj{
					"Namespace":  "AWS/ApiGateway",
					"MetricName": name,
					"Dimensions": arr{obj{"Name": "ApiId", "Value": ref(apiID)}},
				}})})
			}
			expect(t, "API 5xx rate", func() {
				s.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), obj{
					"Metrics": assertions.Match_ArrayWith(&arr{
						like(obj{"Expression": assertions.Match_StringLikeRegexp(jsii.String("100 \\* errors / requests"))}),
						metric("5xx"),
						metric("Count"),
					}),
					"Threshold":          apiErrorRatePercent,
					"ComparisonOperator": "GreaterThanThreshold",
				})
			})
			alarmMetric := func(what, name string, want obj) {
				p := obj{"AlarmName": "Overdue-" + s.Stage.Name + "-" + name}
				for k, v := range want {
					p[k] = v
				}
				expect(t, what, func() { s.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), p) })
			}
			alarmMetric("API p99 latency", "ApiLatencyP99", obj{
				"Namespace": "AWS/ApiGateway", "MetricName": "Latency", "ExtendedStatistic": "p99",
				"Dimensions": arr{obj{"Name": "ApiId", "Value": ref(apiID)}},
				"Threshold":  apiLatencyP99Ms, "ComparisonOperator": "GreaterThanThreshold",
			})
			alarmMetric("sweep lag", "SweepLag", obj{
				"Namespace": "Overdue", "MetricName": "SweepLag", "Statistic": "Maximum", "Unit": "Milliseconds",
				"Dimensions": arr{obj{"Name": "Function", "Value": ref(sweep)}},
				"Threshold":  sweepLagMs, "ComparisonOperator": "GreaterThanThreshold",
			})
			// One alarm per outage of ping intake: any minute in which a sweep found one.
			alarmMetric("ingestion unhealthy", "IngestionUnhealthy", obj{
				"Namespace": "Overdue", "MetricName": "IngestionUnhealthy", "Statistic": "Maximum", "Unit": "Count", "Period": 60,
				"Dimensions": arr{obj{"Name": "Function", "Value": ref(sweep)}},
				"Threshold":  1, "ComparisonOperator": "GreaterThanOrEqualToThreshold", "EvaluationPeriods": 1,
				"TreatMissingData": "notBreaching",
			})
			alarmMetric("SES bounce rate", "SesBounceRate", obj{
				"Namespace": "AWS/SES", "MetricName": "Reputation.BounceRate", "Statistic": "Maximum",
				"Threshold": sesBounceRate, "ComparisonOperator": "GreaterThanThreshold",
			})
			alarmMetric("SES complaint rate", "SesComplaintRate", obj{
				"Namespace": "AWS/SES", "MetricName": "Reputation.ComplaintRate", "Statistic": "Maximum",
				"Threshold": sesComplaintRate, "ComparisonOperator": "GreaterThanThreshold",
			})
			tableID, _ := s.only(t, "AWS::DynamoDB::Table")
			for name, metricName := range map[string]string{"TableThrottles": "ThrottledRequests", "TableSystemErrors": "SystemErrors"} {
				var ops []assertions.Matcher
				for _, op := range []string{"GetItem", "Query", "UpdateItem", "TransactWriteItems"} {
					ops = append(ops, like(obj{"MetricStat": like(obj{"Metric": obj{
						"Namespace":  "AWS/DynamoDB",
						"MetricName": metricName,
						"Dimensions": assertions.Match_ArrayWith(&arr{
							obj{"Name": "Operation", "Value": op},
							obj{"Name": "TableName", "Value": ref(tableID)},
						}),
					}})}))
				}
				alarmHas("table "+metricName+" summed over the store's operations", name,
					obj{"Threshold": 1, "ComparisonOperator": "GreaterThanOrEqualToThreshold"}, ops...)
			}
			for _, id := range s.goFunctions() {
				for _, m := range []string{"Errors", "Throttles"} {
					expect(t, m+" of "+id, func() {
						s.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), obj{
							"Namespace":          "AWS/Lambda",
							"MetricName":         m,
							"Dimensions":         arr{obj{"Name": "FunctionName", "Value": ref(id)}},
							"Threshold":          1,
							"ComparisonOperator": "GreaterThanOrEqualToThreshold",
						})
					})
				}
			}
			// Alarm names carry the stage, so stages side by side do not collide.
			for id, a := range s.resources("AWS::CloudWatch::Alarm") {
				if name, _ := props(a)["AlarmName"].(string); !strings.HasPrefix(name, "Overdue-"+s.Stage.Name+"-") {
					t.Errorf("alarm %s is named %q, want the prefix Overdue-%s-", id, name, s.Stage.Name)
				}
			}
		})
	}
}

// goFunctions are the logical IDs of Overdue's own functions (not the CDK's provider framework).
func (s *synthesized) goFunctions() []string {
	var ids []string
	for id, r := range s.resources("AWS::Lambda::Function") {
		if props(r)["Runtime"] == "provided.al2023" {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

func TestMigrate(t *testing.T) {
	if n := len(synth(t, devContext).resources("Custom::OverdueSchema")); n != 2 {
		t.Errorf("%d migrate resources by default, want 2 (expand and contract): every deploy migrates", n)
	}
	off := map[string]any{contextStage: "dev", contextMigrate: false, contextStages: devContext[contextStages]}
	if n := len(synth(t, off).resources("Custom::OverdueSchema")); n != 0 {
		t.Errorf("%d migrate resources with -c migrate=false, want 0", n)
	}

	s := synth(t, fullContext)
	tableID, _ := s.only(t, "AWS::DynamoDB::Table")
	phases := map[string]string{} // phase -> logical ID
	for id, r := range s.resources("Custom::OverdueSchema") {
		p := props(r)
		ph, _ := p["Phase"].(string)
		phases[ph] = id
		if p["Build"] != "v0.9.0-test" {
			t.Errorf("%s resource Build = %v, want the build from -c build (v0.9.0-test)", ph, p["Build"])
		}
		if code, _ := p["CodeSHA256"].(string); len(code) != 64 {
			t.Errorf("%s resource CodeSHA256 = %v, want a SHA-256 in hex", ph, p["CodeSHA256"])
		}
	}
	for _, ph := range []string{"expand", "contract"} {
		expect(t, ph+" resource", func() {
			s.HasResourceProperties(jsii.String("Custom::OverdueSchema"), obj{
				"ServiceToken":  assertions.Match_AnyValue(),
				"TableName":     ref(tableID),
				"SchemaVersion": schema.Current,
				"Build":         "v0.9.0-test",
				"CodeSHA256":    assertions.Match_AnyValue(),
				"Phase":         ph,
			})
		})
	}
	expandID, contractID := phases["expand"], phases["contract"]
	if expandID == "" || contractID == "" {
		t.Fatalf("migrate resources by phase: %v, want expand and contract", phases)
	}
	if n := len(s.goFunctions()); n != 6 {
		t.Errorf("%d Go functions, want 6 (api, sweep, notify, migrate, timer, reports)", n)
	}
	contract := s.resources("Custom::OverdueSchema")[contractID]
	contractDeps, _ := contract["DependsOn"].([]any)
	for _, what := range []string{"badge API", "overdue checks", "delivers flips", "timer queue", "reports and reminders"} {
		fnID, fn := s.function(t, what)
		deps, _ := fn["DependsOn"].([]any)
		if !slices.Contains(deps, any(expandID)) {
			t.Errorf("%s function DependsOn %v, want it to include the expand resource %s", what, deps, expandID)
		}
		if slices.Contains(deps, any(contractID)) {
			t.Errorf("%s function depends on the contract resource: the contract must come after it", what)
		}
		if !slices.Contains(contractDeps, any(fnID)) {
			t.Errorf("contract resource DependsOn %v, want it to include the %s function %s", contractDeps, what, fnID)
		}
	}
	// After everything else: the alarms too, so a failure there rolls back before the contract.
	for id := range s.resources("AWS::CloudWatch::Alarm") {
		if !slices.Contains(contractDeps, any(id)) {
			t.Errorf("contract resource does not depend on alarm %s", id)
		}
	}
}

// TestMigrateRunsOnEveryDeploy: the migrate resources' properties change with the functions'
// code even when the build's name does not (a dirty tree), and without -c build the build is
// named "unversioned".
func TestMigrateRunsOnEveryDeploy(t *testing.T) {
	code := func(dist string) (string, string) {
		app := newTestApp(t, map[string]any{contextStages: devContext[contextStages], contextDist: dist})
		st := stageFrom(t, app, nil)
		stack, err := NewStack(app, &StackProps{Stage: st})
		if err != nil {
			t.Fatalf("NewStack: %v", err)
		}
		tmpl := *assertions.Template_FromStack(stack.Stack, nil).ToJSON()
		for _, r := range tmpl["Resources"].(map[string]any) {
			r := r.(map[string]any)
			if r["Type"] == "Custom::OverdueSchema" {
				p := props(r)
				return p["CodeSHA256"].(string), p["Build"].(string)
			}
		}
		t.Fatal("no migrate resource")
		return "", ""
	}
	dist := t.TempDir()
	for _, fn := range []string{"api", "sweep", "notify", "migrate", "timer", "reports"} {
		if err := os.MkdirAll(filepath.Join(dist, fn), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dist, fn, "bootstrap"), []byte("build one of "+fn), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	first, build := code(dist)
	if build != "unversioned" {
		t.Errorf("Build without -c build = %q, want unversioned", build)
	}
	if again, _ := code(dist); again != first {
		t.Errorf("CodeSHA256 of the same binaries changed: %s, then %s", first, again)
	}
	if err := os.WriteFile(filepath.Join(dist, "sweep", "bootstrap"), []byte("build two of sweep"), 0o755); err != nil {
		t.Fatal(err)
	}
	if changed, _ := code(dist); changed == first {
		t.Errorf("CodeSHA256 stayed %s when the sweep's binary changed: the deploy would not run the guard", first)
	}
}

// TestStagesSideBySide puts two stages in one app, as two deploys to one account do: their
// stacks and every named resource differ.
func TestStagesSideBySide(t *testing.T) {
	app := newTestApp(t, nil)
	stacks := map[string]*Stack{}
	for _, stage := range []string{"dev", "prod"} {
		st := defaultStage(stage)
		st.Dist = fakeDist(t)
		st.EmailFrom, st.AlarmEmail = "alerts@example.org", "oncall@example.org"
		stack, err := NewStack(app, &StackProps{Stage: st})
		if err != nil {
			t.Fatalf("NewStack(%s): %v", stage, err)
		}
		if got, want := *stack.StackName(), "Overdue-"+stage; got != want {
			t.Errorf("stack name %q, want %q", got, want)
		}
		stacks[stage] = stack
	}
	// Synthesis freezes the app, so both stacks are added first.
	names := map[string]string{}
	for stage, stack := range stacks {
		var tmpl map[string]any
		expect(t, "synthesize "+stage, func() { tmpl = *assertions.Template_FromStack(stack.Stack, nil).ToJSON() })
		if tmpl == nil {
			t.FailNow()
		}
		for id, r := range tmpl["Resources"].(map[string]any) {
			if r.(map[string]any)["Type"] == "AWS::Lambda::Alias" {
				continue // an alias's name is its function's own: every function has a "live"
			}
			p, _ := r.(map[string]any)["Properties"].(map[string]any)
			for _, k := range []string{"TableName", "AlarmName", "Name", "DashboardName"} {
				if n, ok := p[k].(string); ok {
					key := fmt.Sprint(r.(map[string]any)["Type"], " ", n)
					if other, dup := names[key]; dup {
						t.Errorf("%s %s of %s is also used by %s", k, n, stage, other)
					}
					names[key] = stage + "/" + id
				}
			}
		}
	}
	if len(names) < 2*11 {
		t.Errorf("found %d resource names in two stages, want at least 22 (tables and alarms): %v", len(names), names)
	}
}

// TestMissingBinaries: synthesis refuses, naming the files and `make build`, when the function
// binaries are not there.
func TestMissingBinaries(t *testing.T) {
	empty := t.TempDir()
	app := newTestApp(t, map[string]any{contextStages: devContext[contextStages], contextDist: empty})
	st := stageFrom(t, app, nil)
	_, err := NewStack(app, &StackProps{Stage: st})
	if err == nil {
		t.Fatal("NewStack with no binaries succeeded, want an error")
	}
	for _, want := range []string{"make build", empty + "/api/bootstrap", empty + "/sweep/bootstrap", empty + "/notify/bootstrap"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

// notifyLive is what the template names the notify function's live alias by: a Ref to the alias,
// or the function's ARN when the stage has no aliases.
func (s *synthesized) notifyLive(t *testing.T) any {
	t.Helper()
	notifyID, _ := s.function(t, "delivers flips")
	for id, r := range s.resources("AWS::Lambda::Alias") {
		if cmp.Equal(props(r)["FunctionName"], ref(notifyID)) {
			return ref(id)
		}
	}
	return getAtt(notifyID, "Arn")
}

// TestAPIOIDC: the stage's OIDC settings reach the api function, which alone may read the
// client secret, and only that secret with it; a stage without OIDC sets none of it.
func TestAPIOIDC(t *testing.T) {
	s := synth(t, fullContext)
	_, fn := s.function(t, "badge API")
	vars := props(fn)["Environment"].(map[string]any)["Variables"].(map[string]any)
	for k, want := range map[string]string{"OIDC_ISSUER": "https://sso.example.org/realms/ops", "OIDC_CLIENT_ID": "overdue",
		"OIDC_NAME": "Keycloak", "OIDC_CLIENT_SECRET_ARN": oidcSecretARN, "SSO_DOMAINS": "example.org", "SSO_CREATE_ACCOUNTS": "true"} {
		if vars[k] != want {
			t.Errorf("api function's %s = %v, want %q", k, vars[k], want)
		}
	}
	apiRole := props(fn)["Role"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
	found := false
	for _, p := range s.resources("AWS::IAM::Policy") {
		doc, _ := json.Marshal(props(p)["PolicyDocument"])
		if !strings.Contains(string(doc), oidcSecretARN) {
			continue
		}
		roles := props(p)["Roles"].([]any)
		if len(roles) != 1 || roles[0].(map[string]any)["Ref"] != apiRole {
			t.Errorf("a policy of roles %v names the OIDC client secret; only the api function's may", roles)
		}
		for _, st := range props(p)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			st := st.(map[string]any)
			b, _ := json.Marshal(st["Resource"])
			if !strings.Contains(string(b), oidcSecretARN) {
				continue
			}
			found = true
			if st["Action"] != "secretsmanager:GetSecretValue" || st["Resource"] != oidcSecretARN {
				t.Errorf("statement on the OIDC secret = %v on %v; want secretsmanager:GetSecretValue on it alone", st["Action"], st["Resource"])
			}
		}
	}
	if !found {
		t.Errorf("the api function may not read the OIDC client secret")
	}

	dev := synth(t, devContext)
	_, fn = dev.function(t, "badge API")
	for k := range props(fn)["Environment"].(map[string]any)["Variables"].(map[string]any) {
		if strings.HasPrefix(k, "OIDC_") || strings.HasPrefix(k, "SSO_") {
			t.Errorf("a stage without OIDC gives the api function %s", k)
		}
	}
}
