package dynamo

import (
	"strings"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// TestStatusPageReadCost is what a public status page reads on DynamoDB, measured with the
// Meter: the page by its key is one eventually consistent read of a small item (half a unit),
// and a chosen check's status changes are one query that reads flip items alone, however many
// pings (and bodies) the check has.
func TestStatusPageReadCost(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	if err := s.CreateProject(ctx, &check.Project{ID: "p", Name: "P", Created: t0}); err != nil {
		t.Fatal(err)
	}
	c := check.New("c0000000-0000-4000-8000-000000000001", "p", t0)
	if err := s.CreateCheck(ctx, c); err != nil {
		t.Fatal(err)
	}
	body := []byte(strings.Repeat("x", 2000))
	for i := 1; i <= 40; i++ {
		at := t0.Add(time.Duration(i) * time.Minute)
		if _, err := s.UpdateCheck(ctx, c.ID, func(c *check.Check) (store.Change, error) {
			kind := check.PingSuccess
			if i%10 == 0 {
				kind = check.PingFail
			}
			p, f := c.ApplyPing(check.Signal{Kind: kind, Body: body, Method: "POST", Scheme: "https"}, at, nil)
			return store.Change{Ping: p, Flip: f}, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	key := "abcdefghijklmnopqrstuvwx"
	if err := s.PutStatusPage(ctx, &check.StatusPage{ProjectID: "p", Key: key, Public: true, Checks: []string{c.ID}}); err != nil {
		t.Fatal(err)
	}

	s.Meter = &Meter{}
	if _, err := s.StatusPageByKey(ctx, key); err != nil {
		t.Fatal(err)
	}
	if u := s.Meter.Usage(); u.Requests != 1 || u.RCU != 0.5 {
		t.Errorf("StatusPageByKey: %d requests, %v RCU; want 1 request, 0.5 RCU", u.Requests, u.RCU)
	}

	s.Meter = &Meter{}
	flips, err := s.Flips(ctx, c.ID, store.FlipQuery{Since: t0})
	if err != nil {
		t.Fatal(err)
	}
	flipsUsage := s.Meter.Usage()
	s.Meter = &Meter{}
	if _, err := s.Pings(ctx, c.ID, 100); err != nil {
		t.Fatal(err)
	}
	pingsUsage := s.Meter.Usage()
	// 40 pings: new→up, then a failure and a success every ten: 1 + 2×3 + 1 flips.
	if len(flips) != 8 || flipsUsage.Requests != 1 || flipsUsage.RCU != 0.5 {
		t.Errorf("Flips: %d flips, %d requests, %v RCU; want 8 flips in 1 request of 0.5 RCU (flip items only)",
			len(flips), flipsUsage.Requests, flipsUsage.RCU)
	}
	t.Logf("a status page's reads for one check: page 0.5 RCU, flips %v RCU; listing its pings instead: %v RCU",
		flipsUsage.RCU, pingsUsage.RCU)
	if pingsUsage.RCU <= flipsUsage.RCU {
		t.Errorf("the pings listing cost %v RCU, no more than the flips' %v: the measure shows nothing", pingsUsage.RCU, flipsUsage.RCU)
	}
}
