package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
)

// TestEndToEndChannelTiming is per-channel timing on the AWS path, on moto: the SMS channel has
// a 15-minute delay, the email channel repeats every 10 minutes. A failure at t0 reaches the
// function through the stream: the email goes out at once, the SMS is written ahead. The retry
// schedule (the function's one-minute EventBridge rule) then sends the email's repeat at t0+10m
// and the SMS at t0+15m, each once however many instances run it; the recovery at t0+17m sends
// both channels the up alert; and the repeat due at t0+20m finds the outage over and sends
// nothing. The table's delivery records, due list, flips and windows do it all: the same items
// and grants as a retry.
func TestEndToEndChannelTiming(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	for id, timing := range map[string][2]time.Duration{smsChannelID: {15 * time.Minute, 0}, emailChannelID: {0, 10 * time.Minute}} {
		if _, err := e.st.UpdateChannel(ctx, "8f14e45f-ceea-467f-a0e6-6d4b2f3c1a20", id, func(ch *check.Channel) error {
			ch.Delay, ch.Repeat = timing[0], timing[1]
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	subjects := func() (emails, sms []string) {
		t.Helper()
		got := e.sent(t)
		for _, m := range got.emails {
			emails = append(emails, strings.Fields(m.Subject)[0])
		}
		for _, m := range got.sms {
			sms = append(sms, strings.TrimSuffix(strings.Fields(m.Message)[0], ":"))
		}
		return emails, sms
	}
	want := func(when string, emails, sms []string) {
		t.Helper()
		gotE, gotS := subjects()
		if strings.Join(gotE, " ") != strings.Join(emails, " ") || strings.Join(gotS, " ") != strings.Join(sms, " ") {
			t.Fatalf("%s: emails %v, SMS %v; want %v and %v", when, gotE, gotS, emails, sms)
		}
	}
	schedule := json.RawMessage(readFixture(t, "retry-schedule.json"))
	tick := func(at time.Duration) {
		t.Helper()
		for range 2 { // two instances, as overlapping schedules may run
			if _, err := e.instanceAt(t, t0.Add(at)).invoke(ctx, schedule); err != nil {
				t.Fatalf("invoke(scheduled event) at t0+%v = %v", at, err)
			}
		}
	}

	e.ping(t, "", t0)
	e.notifyWith(t, e.instanceAt(t, t0), e.streamEvent(t))
	want("the failure", []string{"DOWN"}, nil)
	tick(9 * time.Minute)
	want("t0+9m", []string{"DOWN"}, nil)
	tick(10 * time.Minute)
	want("t0+10m", []string{"DOWN", "DOWN"}, nil)
	tick(15 * time.Minute)
	want("t0+15m", []string{"DOWN", "DOWN"}, []string{"DOWN"})

	e.ping(t, "/ping/"+checkID, t0.Add(17*time.Minute))
	e.notifyWith(t, e.instanceAt(t, t0.Add(17*time.Minute)), e.streamEvent(t)) // the whole stream: old records again
	want("the recovery", []string{"DOWN", "DOWN", "UP"}, []string{"DOWN", "UP"})
	tick(20 * time.Minute)
	tick(time.Hour)
	want("later", []string{"DOWN", "DOWN", "UP"}, []string{"DOWN", "UP"})
}
