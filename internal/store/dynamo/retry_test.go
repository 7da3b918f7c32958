package dynamo

import (
	"errors"
	"testing"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// TestCreateChannelRetried: the SDK retries a request whose answer it lost (moto, and DynamoDB
// under load, answer some with a transient error after applying them); the retry of a channel's
// creation finds exactly that channel and is a success. A different channel under the same ID is
// still a conflict.
func TestCreateChannelRetried(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	p := &check.Project{ID: "p1", Name: "Ops", Created: t0, APIKeyHash: check.HashKey("hcw_retry"), PingKeyHash: check.HashKey("retry")}
	if err := s.CreateProject(ctx, p); err != nil {
		t.Fatal(err)
	}
	ch := &check.Channel{ID: "c1", ProjectID: p.ID, Kind: check.ChannelEmail, Name: "ops", Value: "ops@example.com", Created: t0}
	if err := s.CreateChannel(ctx, ch); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateChannel(ctx, ch); err != nil {
		t.Errorf("CreateChannel(%s) retried = %v, want nil: the stored channel is this one", ch.ID, err)
	}
	other := *ch
	other.Value = "someone-else@example.com"
	if err := s.CreateChannel(ctx, &other); !errors.Is(err, store.ErrConflict) {
		t.Errorf("CreateChannel(%s) with another address = %v, want ErrConflict", ch.ID, err)
	}
}
