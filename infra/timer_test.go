package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"
)

// TestTimers: the timer queue (delays held an hour at most, a minute's visibility, five
// receives then the dead-letter queue), its dead-letter queue (14 days, retained in prod), the
// mapping that invokes the timer function's live alias with each message as soon as its delay
// ends, and no more pollers than the function's reserved instances.
func TestTimers(t *testing.T) {
	for _, tc := range []struct {
		context map[string]any
		retain  bool
		maxConc any
	}{
		{devContext, false, nil},
		{prodContext, true, map[string]any{"MaximumConcurrency": 5.0}},
	} {
		s := synth(t, tc.context)
		t.Run(s.Stage.Name, func(t *testing.T) {
			queueID := s.timerQueue(t)
			queue := props(s.resources("AWS::SQS::Queue")[queueID])
			redrive, _ := queue["RedrivePolicy"].(map[string]any)
			if queue["VisibilityTimeout"] != 60.0 || queue["MessageRetentionPeriod"] != 3600.0 || queue["SqsManagedSseEnabled"] != true || redrive["maxReceiveCount"] != 5.0 {
				t.Errorf("timer queue = %v, want visibility 60 s, retention 1 h, encrypted, 5 receives", queue)
			}
			dlqID := redrive["deadLetterTargetArn"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
			dlq := s.resources("AWS::SQS::Queue")[dlqID]
			policy := "Delete"
			if tc.retain {
				policy = "Retain"
			}
			if dlq["DeletionPolicy"] != policy || props(dlq)["MessageRetentionPeriod"] != float64(14*24*3600) {
				t.Errorf("timer dead-letter queue = %v, want DeletionPolicy %s and 14 days' retention", dlq, policy)
			}

			esm := props(s.mapping(t, getAtt(queueID, "Arn")))
			if esm["BatchSize"] != 10.0 || fmt.Sprint(esm["FunctionResponseTypes"]) != "[ReportBatchItemFailures]" ||
				esm["MaximumBatchingWindowInSeconds"] != nil || fmt.Sprint(esm["ScalingConfig"]) != fmt.Sprint(tc.maxConc) {
				t.Errorf("timer mapping = %v, want batches of 10, no batching window, item failures, scaling %v", esm, tc.maxConc)
			}
			if b, _ := json.Marshal(esm["FunctionName"]); !strings.Contains(string(b), s.alias(t, "timer queue")) {
				t.Errorf("timer mapping invokes %s, want the timer function's live alias", b)
			}
			for _, name := range []string{"TimerDeadLetters", "TimerLag", "TimersNotConsumed"} {
				expect(t, name, func() {
					s.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), obj{"AlarmName": "Overdue-" + s.Stage.Name + "-" + name})
				})
			}
			expect(t, "timer lag alarm on the function's TimerLag metric", func() {
				s.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), obj{
					"Namespace":  "Overdue",
					"MetricName": "TimerLag",
					"Dimensions": arr{obj{"Name": "Function", "Value": ref(mustID(t, s, "timer queue"))}},
					"Threshold":  5000,
				})
			})
		})
	}
}

// TestTimerQueueGrants: the only SQS actions on the timer queue are the sweep's sending and
// the timer function's consuming and sending, each on that queue's ARN alone.
func TestTimerQueueGrants(t *testing.T) {
	s := synth(t, fullContext)
	queueID := s.timerQueue(t)
	roleOf := func(what string) string {
		_, fn := s.function(t, what)
		return props(fn)["Role"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
	}
	sweepRole, timerRole := roleOf("overdue checks"), roleOf("timer queue")
	found := map[string]bool{}
	for _, p := range s.resources("AWS::IAM::Policy") {
		for _, st := range props(p)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			st := st.(map[string]any)
			b, _ := json.Marshal(st)
			if !strings.Contains(string(b), `"sqs:`) || !strings.Contains(string(b), queueID) {
				continue
			}
			res, _ := json.Marshal(st["Resource"])
			if want, _ := json.Marshal(getAtt(queueID, "Arn")); string(res) != string(want) {
				t.Errorf("SQS statement %s, want it on the timer queue's ARN alone", b)
			}
			for _, r := range props(p)["Roles"].([]any) {
				role := r.(map[string]any)["Ref"].(string)
				found[role] = true
				if role != sweepRole && role != timerRole {
					t.Errorf("role %s may use the timer queue: %s", role, b)
				}
				if role == sweepRole && strings.Contains(string(b), "sqs:ReceiveMessage") {
					t.Errorf("the sweep may receive timers: %s", b)
				}
			}
		}
	}
	if !found[sweepRole] || !found[timerRole] {
		t.Errorf("SQS statements on the timer queue for roles %v, want the sweep's and the timer function's", found)
	}
}
