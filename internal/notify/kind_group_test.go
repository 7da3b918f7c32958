package notify_test

import (
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/notify"
	"github.com/overduehq/overdue/internal/store"
)

// TestGroupFansOut: a group delivers to each of its targets with the target's own record, once
// even when the check also has the target directly; groups within it and channels of another
// project are skipped; running again sends nothing more.
func TestGroupFansOut(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	const other = "a0000000-0000-4000-8000-000000000002"
	if err := e.st.CreateProject(ctx, &check.Project{ID: other, Name: "Q", Created: t0,
		APIKeyHash: "d", ReadOnlyKeyHash: "e", PingKeyHash: "f"}); err != nil {
		t.Fatal(err)
	}
	foreign := &check.Channel{ID: "e0000000-0000-4000-8000-0000000000f1", ProjectID: other,
		Kind: check.ChannelSNS, Name: "theirs", Value: "arn:aws:sns:us-east-1:123456789012:theirs", Created: t0}
	inner := &check.Channel{ID: "e0000000-0000-4000-8000-0000000000a1", ProjectID: projectID,
		Kind: notify.ChannelGroup, Name: "inner", Value: e.chans[check.ChannelSNS].ID, Created: t0}
	group := &check.Channel{ID: "e0000000-0000-4000-8000-0000000000a2", ProjectID: projectID,
		Kind: notify.ChannelGroup, Name: "on call", Created: t0,
		Value: e.chans[check.ChannelSMS].ID + "," + e.chans[check.ChannelWebhook].ID + "," + inner.ID + "," + foreign.ID}
	for _, ch := range []*check.Channel{foreign, inner, group} {
		if err := e.st.CreateChannel(ctx, ch); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.st.UpdateCheck(ctx, e.check.ID, func(c *check.Check) (store.Change, error) {
		c.Channels = []string{e.chans[check.ChannelEmail].ID, e.chans[check.ChannelWebhook].ID, group.ID}
		return store.Change{}, nil
	}); err != nil {
		t.Fatal(err)
	}
	d := e.dispatcher()
	e.ping(t, check.PingSuccess)
	e.run(t, d)
	f := e.ping(t, check.PingFail)
	e.run(t, d)
	want := map[string]int{check.ChannelEmail: 1, check.ChannelSMS: 1, check.ChannelSNS: 0, check.ChannelWebhook: 1}
	for k, n := range want {
		if got := e.sends()[k]; got != n {
			t.Errorf("%s got %d messages, want %d", k, got, n)
		}
	}
	if rec := e.delivery(t, f, check.ChannelSMS); rec.Status != store.DeliverySent {
		t.Errorf("the group target's own record is %s, want sent", rec.Status)
	}
	e.now = e.now.Add(time.Hour)
	e.run(t, d)
	for k, n := range want {
		if got := e.sends()[k]; got != n {
			t.Errorf("after a second run %s got %d messages, want still %d", k, got, n)
		}
	}
}
