package sqstimers

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/sweep"
	"github.com/overduehq/overdue/internal/sweep/sqstimers/sqstest"
)

func TestDelay(t *testing.T) {
	now := time.Date(2026, 12, 6, 23, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		due  time.Time
		want time.Duration
	}{
		{now.Add(-time.Hour), 0},
		{now, 0},
		{now.Add(time.Microsecond), time.Second}, // rounded up: never early
		{now.Add(59 * time.Second), 59 * time.Second},
		{now.Add(59*time.Second + time.Millisecond), 60 * time.Second},
		{now.Add(MaxDelay), MaxDelay},
		{now.Add(time.Hour), MaxDelay}, // held as long as SQS can; Fire arms it again
	} {
		if got := Delay(now, tt.due); got != tt.want {
			t.Errorf("Delay(now, now%+v) = %v, want %v", tt.due.Sub(now), got, tt.want)
		}
	}
}

func TestDecodeRefuses(t *testing.T) {
	for _, body := range []string{``, `[]`, `{"check":"a"}`, `{"due":"2026-12-06T23:00:00Z"}`, `{"check":"a","due":"tomorrow"}`} {
		if tm, err := Decode(body); err == nil {
			t.Errorf("Decode(%q) = %+v, want an error", body, tm)
		}
	}
}

// TestArmOnMoto sends twelve timers (two requests) to a queue on moto: those already due are
// received at once, in the Lambda event shape, and decode to what was armed; the others stay
// delayed.
func TestArmOnMoto(t *testing.T) {
	q := sqstest.New(t, "overdue-timers")
	now := time.Now().UTC()
	var ts, due []sweep.Timer
	for i := range 12 {
		tm := sweep.Timer{CheckID: string(rune('a' + i)), Due: now.Add(10 * time.Minute).Truncate(time.Microsecond)}
		if i%3 == 0 {
			tm.Due = now.Add(-time.Duration(i) * time.Second).Truncate(time.Microsecond)
			due = append(due, tm)
		}
		ts = append(ts, tm)
	}
	if err := (&Queue{Client: q.Client, URL: q.URL}).Arm(t.Context(), now, ts); err != nil {
		t.Fatal(err)
	}
	if visible, delayed := q.Count(t); visible != len(due) || delayed != len(ts)-len(due) {
		t.Errorf("queue holds %d visible and %d delayed, want %d and %d", visible, delayed, len(due), len(ts)-len(due))
	}
	var got []sweep.Timer
	for range 3 {
		ev := q.Receive(t, 0)
		for _, r := range ev.Records {
			if r.EventSource != "aws:sqs" || r.EventSourceARN != q.ARN || r.ReceiptHandle == "" {
				t.Errorf("record %+v lacks the event source mapping's fields", r)
			}
			tm, err := Decode(r.Body)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, tm)
		}
	}
	slices.SortFunc(got, func(a, b sweep.Timer) int { return b.Due.Compare(a.Due) })
	if diff := cmp.Diff(due, got); diff != "" {
		t.Errorf("received timers (-armed due +received):\n%s", diff)
	}
}
