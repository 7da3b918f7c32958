package notify_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// BenchmarkRetryDueTimed measures one notifier retry pass with 10 repeated alerts due, among
// pending alerts written ahead for later (repeats and delays not due yet): the pass reads the due
// list alone, so its cost follows the alerts due, not the alerts pending nor the channels.
func BenchmarkRetryDueTimed(b *testing.B) {
	for _, pending := range []int{100, 10000} {
		b.Run(fmt.Sprintf("pending=%d", pending), func(b *testing.B) {
			e := newEnv(b)
			e.setTiming(b, check.ChannelWebhook, 0, 10*time.Minute)
			e.ping(b, check.PingSuccess)
			e.now = e.now.Add(time.Minute)
			down := e.ping(b, check.PingFail)
			down.ID = "2" // as the store numbered it: new→up is 1
			ch := e.chans[check.ChannelWebhook]
			claim := func(id string, at time.Time) {
				rec := &store.Delivery{ID: id, Flip: *down, ChannelID: ch.ID, ProjectID: projectID, Kind: ch.Kind,
					Status: store.DeliveryRetrying, NextAttempt: at, Created: e.now, Updated: e.now}
				if ok, _, err := e.ds.Claim(b.Context(), rec); err != nil || !ok {
					b.Fatalf("Claim(%s) = %v, %v", id, ok, err)
				}
			}
			for i := range pending {
				claim(fmt.Sprintf("pending:%d", i), e.now.Add(time.Duration(1000+i)*time.Hour))
			}
			d := e.dispatcher()
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				e.now = e.now.Add(time.Second)
				for j := range 10 {
					// Even repeat numbers: the successors the sends claim are odd.
					claim(store.DeliveryID(e.check.ID, down.ID, ch.ID)+fmt.Sprintf("#r%d", 2*(1000000+i*10+j)), e.now)
				}
				b.StartTimer()
				if n, err := d.RetryDue(b.Context()); err != nil || n != 10 {
					b.Fatalf("RetryDue = %d, %v; want 10 sent", n, err)
				}
			}
		})
	}
}
