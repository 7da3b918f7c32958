package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"
)

// mailContext is a stage with a ping domain in its hosted zone.
var mailContext = map[string]any{
	contextStage: "mail",
	contextStages: map[string]any{"mail": map[string]any{
		"emailFrom":      "alerts@example.org",
		"domainName":     "status.example.org",
		"certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555",
		"hostedZoneId":   "Z0123456789ABCDEFGHIJ",
		"hostedZoneName": "example.org",
		"pingDomain":     "ping.example.org",
	}},
}

// TestNoMailPingsWithoutDomain: a stage without a ping domain receives no mail.
func TestNoMailPingsWithoutDomain(t *testing.T) {
	s := synth(t, fullContext)
	for _, typ := range []string{"AWS::SES::ReceiptRuleSet", "AWS::SES::ReceiptRule"} {
		if n := len(s.resources(typ)); n != 0 {
			t.Errorf("%d resources of type %s without pingDomain, want 0", n, typ)
		}
	}
	for _, r := range s.resources("AWS::Route53::RecordSet") {
		if props(r)["Type"] == "MX" {
			t.Errorf("an MX record without pingDomain: %v", props(r))
		}
	}
}

// TestMailPings: the rule for the ping domain publishes the whole message, Base64, to a topic
// that only SES in this account may publish to; the topic invokes the mailping function's live
// alias, which knows the domain; the zone gets the MX record of the region's SES endpoint.
func TestMailPings(t *testing.T) {
	s := synth(t, mailContext)
	setID, _ := s.only(t, "AWS::SES::ReceiptRuleSet")
	_, rule := s.only(t, "AWS::SES::ReceiptRule")
	topicID := ""
	for id, r := range s.resources("AWS::SNS::Topic") {
		if strings.Contains(jsonOf(props(r)["DisplayName"]), "email pings") {
			topicID = id
		}
	}
	if topicID == "" {
		t.Fatal("no topic for email pings")
	}
	r := props(rule)
	if got := jsonOf(r["RuleSetName"]); got != jsonOf(ref(setID)) {
		t.Errorf("rule's RuleSetName = %s, want the stack's rule set", got)
	}
	want := map[string]any{
		"Enabled": true, "ScanEnabled": true, "Recipients": []any{"ping.example.org"},
		"Actions": []any{map[string]any{"SNSAction": map[string]any{"TopicArn": ref(topicID), "Encoding": "Base64"}}},
	}
	gotRule := props(rule)["Rule"].(map[string]any)
	for k, v := range want {
		if jsonOf(gotRule[k]) != jsonOf(v) {
			t.Errorf("rule's %s = %s, want %s", k, jsonOf(gotRule[k]), jsonOf(v))
		}
	}

	// Only SES, on behalf of this account, may publish.
	doc := ""
	for _, p := range s.resources("AWS::SNS::TopicPolicy") {
		if strings.Contains(jsonOf(props(p)["Topics"]), `"`+topicID+`"`) {
			doc = jsonOf(props(p)["PolicyDocument"])
		}
	}
	for _, w := range []string{`"Service":"ses.amazonaws.com"`, `"sns:Publish"`, `"AWS:SourceAccount":{"Ref":"AWS::AccountId"}`,
		`":receipt-rule-set/",{"Ref":"` + setID + `"},":receipt-rule/*"`} {
		if !strings.Contains(strings.ReplaceAll(doc, "SNS:Publish", "sns:Publish"), w) {
			t.Errorf("topic policy %s lacks %s", doc, w)
		}
	}

	fnID, fn := s.function(t, "records email to ping.example.org")
	if v := props(fn)["Environment"].(map[string]any)["Variables"].(map[string]any)["PING_DOMAIN"]; v != "ping.example.org" {
		t.Errorf("PING_DOMAIN = %v, want ping.example.org", v)
	}
	alias := s.alias(t, "records email to ping.example.org")
	subs := 0
	for _, sub := range s.resources("AWS::SNS::Subscription") {
		p := props(sub)
		if jsonOf(p["TopicArn"]) != jsonOf(ref(topicID)) {
			continue
		}
		subs++
		if p["Protocol"] != "lambda" || !strings.Contains(jsonOf(p["Endpoint"]), `"`+fnID+`"`) || !strings.Contains(jsonOf(p["Endpoint"]), ":live") {
			t.Errorf("subscription = %s, want the topic invoking the function's live alias", jsonOf(p))
		}
	}
	if subs != 1 {
		t.Errorf("%d subscriptions to the ping topic, want 1", subs)
	}
	invokers := 0
	for _, perm := range s.resources("AWS::Lambda::Permission") {
		p := props(perm)
		if p["Principal"] == "sns.amazonaws.com" && jsonOf(p["SourceArn"]) == jsonOf(ref(topicID)) {
			invokers++
			if jsonOf(p["FunctionName"]) != jsonOf(ref(alias)) {
				t.Errorf("SNS may invoke %s from the ping topic, want the live alias", jsonOf(p["FunctionName"]))
			}
		}
	}
	if invokers != 1 {
		t.Errorf("%d permissions for SNS to invoke from the ping topic, want 1", invokers)
	}

	// Least privilege: the store's reads and writes the function reaches, Query on the table
	// (maintenance windows) and on the project index only.
	role := props(fn)["Role"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
	var dynamoActions []string
	for _, p := range s.resources("AWS::IAM::Policy") {
		if !strings.Contains(jsonOf(props(p)["Roles"]), `"`+role+`"`) {
			continue
		}
		for _, st := range props(p)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			st := st.(map[string]any)
			acts := []any{st["Action"]}
			if l, ok := st["Action"].([]any); ok {
				acts = l
			}
			for _, a := range acts {
				a := a.(string)
				if a == "sqs:SendMessage" && jsonOf(st["Resource"]) == jsonOf(getAtt(s.mailPingDLQ(t), "Arn")) {
					continue // its dead-letter queue (TestMailPingDeadLetters)
				}
				if !strings.HasPrefix(a, "dynamodb:") {
					if !strings.HasPrefix(a, "xray:") {
						t.Errorf("mailping function may %s on %s", a, jsonOf(st["Resource"]))
					}
					continue
				}
				if a == "dynamodb:Query" && strings.Contains(jsonOf(st["Resource"]), "/index/") && !strings.Contains(jsonOf(st["Resource"]), "/index/project") {
					t.Errorf("Query allowed on %s, want the table and the project index only", jsonOf(st["Resource"]))
				}
				dynamoActions = append(dynamoActions, a)
			}
		}
	}
	slices.Sort(dynamoActions)
	wantActions := []string{"dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:Query", "dynamodb:Scan", "dynamodb:UpdateItem"}
	if !slices.Equal(dynamoActions, wantActions) {
		t.Errorf("DynamoDB actions of %s = %v, want %v", fnID, dynamoActions, wantActions)
	}

	var mx []map[string]any
	for _, r := range s.resources("AWS::Route53::RecordSet") {
		if props(r)["Type"] == "MX" {
			mx = append(mx, props(r))
		}
	}
	if len(mx) != 1 || mx[0]["Name"] != "ping.example.org." || !strings.Contains(jsonOf(mx[0]["ResourceRecords"]), `10 inbound-smtp.`) ||
		!strings.Contains(jsonOf(mx[0]["ResourceRecords"]), `{"Ref":"AWS::Region"}`) {
		t.Errorf("MX records = %s, want one for ping.example.org. to inbound-smtp.<region>.amazonaws.com", jsonOf(mx))
	}
	alarmed := false
	for _, a := range s.resources("AWS::CloudWatch::Alarm") {
		if strings.Contains(jsonOf(props(a)["AlarmDescription"]), "The mailping function failed") {
			alarmed = true
		}
	}
	if !alarmed {
		t.Error("no alarm on the mailping function's errors")
	}
	out, ok := s.JSON["Outputs"].(map[string]any)["MailRuleSetName"].(map[string]any)
	if !ok || jsonOf(out["Value"]) != jsonOf(ref(setID)) || !strings.Contains(out["Description"].(string), "set-active-receipt-rule-set") {
		t.Errorf("output MailRuleSetName = %s, want the rule set's name and how to activate it", jsonOf(out))
	}
}

// mailPingDLQ is the logical ID of the mailping function's dead-letter queue: the target of
// the function's DeadLetterConfig.
func (s *synthesized) mailPingDLQ(t *testing.T) string {
	t.Helper()
	_, fn := s.function(t, "records email to ping.example.org")
	dlc, _ := props(fn)["DeadLetterConfig"].(map[string]any)
	target, _ := dlc["TargetArn"].(map[string]any)["Fn::GetAtt"].([]any)
	if len(target) != 2 || target[1] != "Arn" {
		t.Fatalf("mailping function's DeadLetterConfig = %s, want a queue of the stack", jsonOf(dlc))
	}
	return target[0].(string)
}

// TestMailPingDeadLetters: an email ping whose invocation fails Lambda's retries, or that SNS
// cannot hand to the function, lands in a dead-letter queue (14 days, encrypted, retained in a
// stage that keeps its data) instead of being dropped; an alarm watches the queue, and the
// stack outputs its URL.
func TestMailPingDeadLetters(t *testing.T) {
	prodMail := map[string]any{contextStage: "prod", contextStages: map[string]any{
		"prod": mailContext[contextStages].(map[string]any)["mail"]}}
	for _, tc := range []struct {
		context map[string]any
		policy  string
	}{{mailContext, "Delete"}, {prodMail, "Retain"}} {
		s := synth(t, tc.context)
		t.Run(s.Stage.Name, func(t *testing.T) {
			dlqID := s.mailPingDLQ(t)
			dlq := s.resources("AWS::SQS::Queue")[dlqID]
			if dlq["DeletionPolicy"] != tc.policy || props(dlq)["MessageRetentionPeriod"] != float64(14*24*3600) || props(dlq)["SqsManagedSseEnabled"] != true {
				t.Errorf("mailping dead-letter queue = %v, want DeletionPolicy %s, 14 days' retention, encrypted", dlq, tc.policy)
			}
			subs := 0
			for _, sub := range s.resources("AWS::SNS::Subscription") {
				p := props(sub)
				if !strings.Contains(jsonOf(p["Endpoint"]), "live") || p["Protocol"] != "lambda" || !strings.Contains(jsonOf(p["TopicArn"]), "MailPings") {
					continue
				}
				subs++
				if got := jsonOf(p["RedrivePolicy"]); got != jsonOf(map[string]any{"deadLetterTargetArn": getAtt(dlqID, "Arn")}) {
					t.Errorf("ping subscription's RedrivePolicy = %s, want the dead-letter queue", got)
				}
			}
			if subs != 1 {
				t.Errorf("%d ping subscriptions, want 1", subs)
			}
			// SNS may send to the queue for that topic alone.
			queuePolicy := ""
			for _, p := range s.resources("AWS::SQS::QueuePolicy") {
				if strings.Contains(jsonOf(props(p)["Queues"]), `"`+dlqID+`"`) {
					queuePolicy = jsonOf(props(p)["PolicyDocument"])
				}
			}
			for _, w := range []string{`"Service":"sns.amazonaws.com"`, `"sqs:SendMessage"`, `"aws:SourceArn"`} {
				if !strings.Contains(queuePolicy, w) {
					t.Errorf("dead-letter queue policy %s lacks %s", queuePolicy, w)
				}
			}
			expect(t, "MailPingDeadLetters alarm", func() {
				s.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), obj{
					"AlarmName":  "Overdue-" + s.Stage.Name + "-MailPingDeadLetters",
					"MetricName": "ApproximateNumberOfMessagesVisible",
					"Dimensions": arr{obj{"Name": "QueueName", "Value": getAtt(dlqID, "QueueName")}},
					"Threshold":  1,
				})
			})
			out, _ := s.JSON["Outputs"].(map[string]any)["MailPingDeadLetterQueueUrl"].(map[string]any)
			if jsonOf(out["Value"]) != jsonOf(ref(dlqID)) {
				t.Errorf("output MailPingDeadLetterQueueUrl = %s, want the queue's URL", jsonOf(out))
			}
		})
	}
	// A stage without email pings has no such alarm.
	for _, a := range synth(t, devContext).resources("AWS::CloudWatch::Alarm") {
		if strings.HasSuffix(jsonOf(props(a)["AlarmName"]), `MailPingDeadLetters"`) {
			t.Error("a MailPingDeadLetters alarm in a stage without pingDomain")
		}
	}
}

// TestPingDomainValidated: a ping domain that is not a domain name is refused by name.
func TestPingDomainValidated(t *testing.T) {
	st := devStage("dev")
	st.EmailFrom = "alerts@example.org"
	for _, bad := range []string{"pings@example.org", "example.org.", "localhost", "-x.example.org"} {
		st.PingDomain = bad
		if err := st.validate(); err == nil || !strings.Contains(err.Error(), "pingDomain") {
			t.Errorf("validate(pingDomain %q) = %v, want an error naming pingDomain", bad, err)
		}
	}
	st.PingDomain = "Ping.Example.org"
	if err := st.validate(); err != nil {
		t.Errorf("validate(pingDomain %q) = %v", st.PingDomain, err)
	}
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
