package main

import (
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"
)

// TestReports: the reports function knows the sender and the site root, runs every five
// minutes from a schedule that invokes its live alias (no retries: the next run does the work),
// may send email only as the stage's sender (the address or its domain, without a
// configuration set), and its errors and throttles alarm like every function's.
func TestReports(t *testing.T) {
	s := synth(t, fullContext)
	fnID, fn := s.function(t, "reports and reminders")
	vars := props(fn)["Environment"].(map[string]any)["Variables"].(map[string]any)
	if vars["EMAIL_FROM"] != "Overdue <alerts@example.org>" || vars["SITE_ROOT"] == nil || vars["TABLE_NAME"] == nil {
		t.Errorf("reports function's environment = %v, want EMAIL_FROM, SITE_ROOT and TABLE_NAME", vars)
	}
	if _, ok := vars["SECRET_ARN"]; ok {
		t.Errorf("reports function gets the signing secret; it reads no channel and must not")
	}
	expect(t, "schedule every five minutes, invoking the live alias, no retries", func() {
		s.HasResourceProperties(jsii.String("AWS::Events::Rule"), obj{
			"ScheduleExpression": "rate(5 minutes)",
			"Targets": arr{like(obj{"Arn": ref(s.alias(t, "reports and reminders")),
				"RetryPolicy": obj{"MaximumRetryAttempts": 0, "MaximumEventAgeInSeconds": 300}})},
		})
	})
	role := props(fn)["Role"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
	sends := 0
	for _, p := range s.resources("AWS::IAM::Policy") {
		if !strings.Contains(jsonOf(props(p)["Roles"]), `"`+role+`"`) {
			continue
		}
		for _, st := range props(p)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			st := st.(map[string]any)
			if jsonOf(st["Action"]) != `"ses:SendEmail"` {
				continue
			}
			sends++
			res := jsonOf(st["Resource"])
			if !strings.Contains(res, ":identity/alerts@example.org") || !strings.Contains(res, ":identity/example.org") || strings.Contains(res, "configuration-set") {
				t.Errorf("reports may send email on %s, want the sender's identities alone", res)
			}
		}
	}
	if sends != 1 {
		t.Errorf("%d ses:SendEmail statements for the reports function, want 1", sends)
	}
	for _, name := range []string{"ReportsErrors", "ReportsThrottles"} {
		expect(t, name, func() {
			s.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), obj{"AlarmName": "Overdue-full-" + name,
				"Dimensions": arr{obj{"Name": "FunctionName", "Value": ref(fnID)}}})
		})
	}
}
