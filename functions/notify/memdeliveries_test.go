package main

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/overduehq/overdue/internal/notify"
	"github.com/overduehq/overdue/internal/store"
)

// memDeliveries keeps delivery records in memory, with the conditional semantics of
// notify.Deliveries (Claim creates once, Update is conditional on Version). The end-to-end
// tests use it while the dynamo store has no delivery records of its own.
type memDeliveries struct {
	mu   sync.Mutex
	recs map[string]notify.Delivery
}

var _ notify.Deliveries = (*memDeliveries)(nil)

func newMemDeliveries() *memDeliveries { return &memDeliveries{recs: map[string]notify.Delivery{}} }

func (m *memDeliveries) Claim(_ context.Context, d *notify.Delivery) (bool, *notify.Delivery, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if got, ok := m.recs[d.ID]; ok {
		return false, &got, nil
	}
	d.Version = 1
	m.recs[d.ID] = *d
	return true, nil, nil
}

func (m *memDeliveries) Update(_ context.Context, d *notify.Delivery) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	got, ok := m.recs[d.ID]
	switch {
	case !ok:
		return store.ErrNotFound
	case got.Version != d.Version:
		return store.ErrConflict
	}
	got.Status, got.Attempts, got.NextAttempt, got.LastError, got.Updated = d.Status, d.Attempts, d.NextAttempt, d.LastError, d.Updated
	got.Version++
	d.Version = got.Version
	m.recs[d.ID] = got
	return nil
}

func (m *memDeliveries) Due(_ context.Context, now time.Time, limit int) ([]*notify.Delivery, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*notify.Delivery
	for _, d := range m.recs {
		if !d.Status.Final() && !d.NextAttempt.IsZero() && !d.NextAttempt.After(now) {
			out = append(out, &d)
		}
	}
	slices.SortFunc(out, func(a, b *notify.Delivery) int { return a.NextAttempt.Compare(b.NextAttempt) })
	return out[:min(len(out), limit)], nil
}

func (m *memDeliveries) Parked(_ context.Context, projectID string, limit int) ([]*notify.Delivery, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*notify.Delivery
	for _, d := range m.recs {
		if d.ProjectID == projectID && d.Status == notify.DeliveryParked {
			out = append(out, &d)
		}
	}
	slices.SortFunc(out, func(a, b *notify.Delivery) int { return b.Updated.Compare(a.Updated) })
	return out[:min(len(out), limit)], nil
}

// MarkChannelError is not recorded: the tests' channels never fail.
func (m *memDeliveries) MarkChannelError(context.Context, string, string, string, bool) error {
	return nil
}
