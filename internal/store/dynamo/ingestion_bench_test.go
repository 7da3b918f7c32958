package dynamo

import (
	"context"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/sweep"
)

// BenchmarkIngestionCapacity reports what the ingestion canary costs in DynamoDB capacity,
// measured on moto with the store's Meter: ping-* is one canary ping (the ping API's
// read-modify-write of the canary check with its ping), read-* one reading of its history (the
// store keeps its newest 100 pings), which the sweep makes once a run and the timer function at
// most every 5 s; count-* one write of an api instance's counts, counts-* one reading of the
// counts the verdicts need (four hours and an hour a day before).
//
//	./scripts/with-moto.sh go test -run '^$' -bench IngestionCapacity -benchtime 1x ./internal/store/dynamo/
func BenchmarkIngestionCapacity(b *testing.B) {
	ctx := context.Background()
	st := newStore(b)
	in, err := sweep.EnsureCanary(ctx, st, time.Minute, t0.Add(-3*time.Hour))
	if err != nil {
		b.Fatal(err)
	}
	ping := func(at time.Time) {
		_, err := st.UpdateCheck(ctx, in.CanaryID, func(c *check.Check) (store.Change, error) {
			p, f := c.ApplyPing(check.Signal{Kind: check.PingSuccess, Method: "GET", Scheme: "https",
				RemoteAddr: "203.0.113.7", UA: "Go-http-client/1.1"}, at, nil)
			return store.Change{Ping: p, Flip: f}, nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	for i := 120; i > 0; i-- {
		ping(t0.Add(-time.Duration(i) * time.Minute))
	}
	measure := func(f func()) Usage {
		st.Meter = &Meter{}
		defer func() { st.Meter = nil }()
		f()
		return st.Meter.Usage()
	}
	// Ping intake's counts for every minute the verdicts read: the last four hours, and the
	// hour a day before.
	log := st.IngestLog()
	for _, r := range [][2]time.Time{{t0.Add(-4*time.Hour - 5*time.Minute), t0.Add(time.Minute)}, {t0.Add(-25*time.Hour - 5*time.Minute), t0.Add(-23 * time.Hour)}} {
		for m := r[0]; m.Before(r[1]); m = m.Add(time.Minute) {
			if err := log.AddIngest(ctx, store.IngestMinute{Minute: m, Pings: 1234, Failed: 5}); err != nil {
				b.Fatal(err)
			}
		}
	}
	var pinged, read, counted, counts Usage
	for b.Loop() {
		pinged = measure(func() { ping(t0) })
		read = measure(func() {
			if _, err := in.Outages(ctx, st, t0); err != nil {
				b.Fatal(err)
			}
		})
		counted = measure(func() {
			if err := log.AddIngest(ctx, store.IngestMinute{Minute: t0, Pings: 250, Failed: 1}); err != nil {
				b.Fatal(err)
			}
		})
		in.Log = log
		counts = measure(func() {
			if _, err := in.Outages(ctx, st, t0); err != nil {
				b.Fatal(err)
			}
		}).Sub(read)
		in.Log = nil
	}
	b.ReportMetric(float64(pinged.Requests), "ping-requests")
	b.ReportMetric(pinged.RCU, "ping-RCU")
	b.ReportMetric(pinged.WCU, "ping-WCU")
	b.ReportMetric(float64(read.Requests), "read-requests")
	b.ReportMetric(read.RCU, "read-RCU")
	b.ReportMetric(counted.WCU, "count-WCU")
	b.ReportMetric(float64(counts.Requests), "counts-requests")
	b.ReportMetric(counts.RCU, "counts-RCU")
}
