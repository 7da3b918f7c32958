package dynamo

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/sweep"
)

// countingTimers counts the timers a sweep arms, and keeps them.
type countingTimers struct{ armed []sweep.Timer }

func (c *countingTimers) Arm(_ context.Context, _ time.Time, ts []sweep.Timer) error {
	c.armed = append(c.armed, ts...)
	return nil
}

// BenchmarkTimerCapacity reports what precise timers cost in DynamoDB capacity, measured on moto
// with the store's Meter, per thousand checks that come due: a table of 2,000 checks, 1,000 of
// them due within the sweep's 90 s lookahead and none overdue. sweep-RCU is the sweep without
// timers (the checks ping every minute with a minute's grace: hour-wide buckets, most of them
// begun, each such check read once); arm-* is what arming adds to a sweep (the same sweep with
// timers, minus without: the keys of the buckets that begin within the window and their checks;
// those of buckets begun are known from the sweep); fire-* is one timer that flips its check (a strongly consistent read, then the
// sweep's read-modify-write with its flip), and stale-* one whose check pinged since (the read
// alone). The flip's writes are the ones the sweep would make a minute later anyway.
//
//	./scripts/with-moto.sh go test -run '^$' -bench TimerCapacity -benchtime 1x ./internal/store/dynamo/
func BenchmarkTimerCapacity(b *testing.B) {
	const total, due, fired = 2000, 1000, 10
	ctx := context.Background()
	st := newStore(b)
	now := t0
	var seed []types.WriteRequest
	for i := range total {
		c := check.New(fmt.Sprintf("c0000000-0000-4000-8000-%012d", i), "a0000000-0000-4000-8000-000000000001", now.Add(-48*time.Hour))
		c.Name, c.Slug = fmt.Sprintf("job %d", i), fmt.Sprintf("job-%d", i)
		c.Timeout, c.Grace = time.Minute, time.Minute
		c.Status, c.NPings = check.StatusUp, 1
		if i < due { // due in (now, now+90s]
			c.LastPing = now.Add(-2*time.Minute + time.Duration(i%90+1)*time.Second)
		} else { // due within the next two hours, past the window
			c.LastPing = now.Add(time.Duration(i%3600) * time.Second)
		}
		c.AlertAfter = c.GoingDownAfter(nil)
		seed = append(seed, types.WriteRequest{PutRequest: &types.PutRequest{Item: marshal(seededCheck(c))}})
	}
	if err := st.batchWrite(ctx, seed, freeWrite); err != nil {
		b.Fatalf("seed %d checks: %v", total, err)
	}
	measure := func(f func()) Usage {
		st.seen.begin(0) // each sweep measured as the first at its instant
		st.Meter = &Meter{}
		defer func() { st.Meter = nil }()
		f()
		return st.Meter.Usage()
	}
	var plain, armed, fire, stale Usage
	timers := &countingTimers{}
	for b.Loop() {
		timers.armed = nil
		plain = measure(func() {
			if _, err := (&sweep.Sweeper{Store: st, Now: func() time.Time { return now }}).Run(ctx); err != nil {
				b.Fatal(err)
			}
		})
		armed = measure(func() {
			res, err := (&sweep.Sweeper{Store: st, Now: func() time.Time { return now }, Timers: timers}).Run(ctx)
			if err != nil || res.Armed != due {
				b.Fatalf("sweep with timers = %+v, %v; want %d armed", res, err, due)
			}
		})
	}
	b.StopTimer()
	// Fire the first timers at their deadline: each flips its check.
	for _, tm := range timers.armed[:fired] {
		at := tm.Due
		u := measure(func() {
			res, err := (&sweep.Sweeper{Store: st, Now: func() time.Time { return at }}).Fire(ctx, tm)
			if err != nil || !res.Flipped {
				b.Fatalf("Fire(%v) = %+v, %v; want flipped", tm, res, err)
			}
		})
		fire = fire.Add(u)
	}
	// The same timers again: the checks are down, so each is one read (as for a check that
	// pinged since: its AlertAfter moved past now).
	for _, tm := range timers.armed[:fired] {
		at := tm.Due.Add(time.Second)
		stale = stale.Add(measure(func() {
			if res, err := (&sweep.Sweeper{Store: st, Now: func() time.Time { return at }}).Fire(ctx, tm); err != nil || res.Flipped {
				b.Fatalf("Fire(%v) again = %+v, %v; want nothing", tm, res, err)
			}
		}))
	}
	n := float64(b.N)
	perK := 1000.0 / due
	b.ReportMetric(plain.RCU/n, "sweep-RCU")
	b.ReportMetric(float64(armed.Requests-plain.Requests)/n*perK, "arm-requests/1k")
	b.ReportMetric((armed.RCU-plain.RCU)/n*perK, "arm-RCU/1k")
	b.ReportMetric(float64(fire.Requests)/fired, "fire-requests/timer")
	b.ReportMetric(fire.RCU/fired, "fire-RCU/timer")
	b.ReportMetric(fire.WCU/fired, "fire-WCU/timer")
	b.ReportMetric(stale.RCU/fired, "stale-RCU/timer")
	b.ReportMetric(float64(stale.Requests)/fired, "stale-requests/timer")
}
