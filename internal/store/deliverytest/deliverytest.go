// Package deliverytest is the conformance suite for store.Deliveries: every store that keeps
// delivery records (SQLite, and DynamoDB on moto) runs Run against itself.
package deliverytest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// t0 has a nanosecond part, so the suite sees the microsecond truncation stores apply.
var t0 = time.Date(2026, 11, 24, 20, 10, 55, 123456789, time.UTC)

// Stores is what the suite needs: the delivery records under test and the store holding the
// projects and channels they refer to (for the SQLite store, two views of one database).
type Stores struct {
	Deliveries store.Deliveries
	Store      store.Store
}

// Run runs the suite. open returns empty stores for one subtest.
func Run(t *testing.T, open func(t *testing.T) Stores) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s Stores)
	}{
		{"ClaimOnce", testClaimOnce},
		{"Get", testGet},
		{"RoundTrip", testRoundTrip},
		{"Update", testUpdate},
		{"Due", testDue},
		{"Parked", testParked},
		{"MarkChannelError", testMarkChannelError},
		{"NonPositiveLimits", testNonPositiveLimits},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

// Delivery returns a pending delivery of flip n to channel ch in project p, created at t0.
func Delivery(n int, projectID, channelID string) *store.Delivery {
	f := check.Flip{
		ID:        fmt.Sprint(n),
		CheckID:   fmt.Sprintf("c0000000-0000-4000-8000-%012d", n),
		Created:   t0.Add(-time.Minute),
		OldStatus: check.StatusUp,
		NewStatus: check.StatusDown,
		Reason:    check.ReasonFail,
	}
	return &store.Delivery{
		ID:          store.DeliveryID(f.CheckID, f.ID, channelID),
		Flip:        f,
		ChannelID:   channelID,
		ProjectID:   projectID,
		Kind:        check.ChannelWebhook,
		Status:      store.DeliveryPending,
		Attempts:    1,
		NextAttempt: t0.Add(2 * time.Minute),
		Created:     t0,
		Updated:     t0,
	}
}

// stored is d as a store returns it: instants in UTC, truncated to the microsecond.
func stored(d *store.Delivery) *store.Delivery {
	c := *d
	tr := func(t time.Time) time.Time {
		if t.IsZero() {
			return t
		}
		return t.UTC().Truncate(time.Microsecond)
	}
	c.Flip.Created = tr(c.Flip.Created)
	c.NextAttempt, c.Created, c.Updated = tr(c.NextAttempt), tr(c.Created), tr(c.Updated)
	return &c
}

func claim(t *testing.T, ds store.Deliveries, d *store.Delivery) {
	t.Helper()
	ok, existing, err := ds.Claim(t.Context(), d)
	if err != nil || !ok || existing != nil {
		t.Fatalf("Claim(%s) = %v, %v, %v; want claimed", d.ID, ok, existing, err)
	}
}

func update(t *testing.T, ds store.Deliveries, d *store.Delivery) {
	t.Helper()
	if err := ds.Update(t.Context(), d); err != nil {
		t.Fatalf("Update(%s) = %v", d.ID, err)
	}
}

// load reads one delivery back through Claim, which returns the stored record without writing.
func load(t *testing.T, ds store.Deliveries, id string) *store.Delivery {
	t.Helper()
	probe := Delivery(999, "p", "x")
	probe.ID = id
	ok, existing, err := ds.Claim(t.Context(), probe)
	if err != nil || ok {
		t.Fatalf("Claim(%s) to read it back = %v, %v; want the existing record", id, ok, err)
	}
	return existing
}

func testClaimOnce(t *testing.T, s Stores) {
	ctx := t.Context()
	d := Delivery(1, "p", "ch1")
	claim(t, s.Deliveries, d)
	if d.Version != 1 {
		t.Errorf("Version after Claim = %d, want 1", d.Version)
	}
	again := Delivery(1, "p", "ch1")
	again.Status, again.Attempts = store.DeliverySent, 7
	ok, existing, err := s.Deliveries.Claim(ctx, again)
	if err != nil || ok {
		t.Fatalf("second Claim = %v, %v; want not claimed", ok, err)
	}
	if diff := cmp.Diff(stored(d), existing); diff != "" {
		t.Errorf("second Claim returned (-want +got):\n%s", diff)
	}
	if again.Version != 0 {
		t.Errorf("losing Claim set Version = %d, want it untouched", again.Version)
	}
	// Another channel of the same flip is another delivery.
	claim(t, s.Deliveries, Delivery(1, "p", "ch2"))
}

func testGet(t *testing.T, s Stores) {
	ctx := t.Context()
	d := Delivery(1, "p", "ch1")
	if _, err := s.Deliveries.Get(ctx, d.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get(%s) before Claim = %v, want ErrNotFound", d.ID, err)
	}
	claim(t, s.Deliveries, d)
	got, err := s.Deliveries.Get(ctx, d.ID)
	if err != nil {
		t.Fatalf("Get(%s) = %v", d.ID, err)
	}
	if diff := cmp.Diff(stored(d), got); diff != "" {
		t.Errorf("Get after Claim (-want +got):\n%s", diff)
	}
	d.Status, d.Attempts, d.NextAttempt, d.LastError = store.DeliveryFailed, 0, time.Time{}, "not sent"
	update(t, s.Deliveries, d)
	if got, err = s.Deliveries.Get(ctx, d.ID); err != nil || got.Status != store.DeliveryFailed || got.Version != 2 || got.LastError != "not sent" {
		t.Errorf("Get after Update = %+v, %v; want failed at version 2 with its error", got, err)
	}
	// IDs are exact: another channel's record of the same flip is not this one.
	if _, err := s.Deliveries.Get(ctx, store.DeliveryID(d.Flip.CheckID, d.Flip.ID, "ch2")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get of another channel's record = %v, want ErrNotFound", err)
	}
}

func testRoundTrip(t *testing.T, s Stores) {
	d := Delivery(1, "p", "ch1")
	d.Flip.OldStatus, d.Flip.NewStatus, d.Flip.Reason = check.StatusDown, check.StatusUp, ""
	d.Kind = check.ChannelEmail
	claim(t, s.Deliveries, d)
	d.Status, d.Attempts, d.LastError = store.DeliveryRetrying, 2, "Received status code 503"
	d.NextAttempt, d.Updated = t0.Add(10*time.Minute+time.Nanosecond), t0.Add(time.Minute)
	update(t, s.Deliveries, d)
	if d.Version != 2 {
		t.Errorf("Version after Update = %d, want 2", d.Version)
	}
	if diff := cmp.Diff(stored(d), load(t, s.Deliveries, d.ID)); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	// Final statuses clear NextAttempt.
	d.Status, d.NextAttempt, d.LastError = store.DeliverySent, time.Time{}, ""
	update(t, s.Deliveries, d)
	if diff := cmp.Diff(stored(d), load(t, s.Deliveries, d.ID)); diff != "" {
		t.Errorf("round trip of a sent delivery (-want +got):\n%s", diff)
	}
}

func testUpdate(t *testing.T, s Stores) {
	ctx := t.Context()
	d := Delivery(1, "p", "ch1")
	claim(t, s.Deliveries, d)
	// Two workers read version 1; the first to write wins.
	a, b := *d, *d
	a.Attempts, b.Attempts = 2, 2
	update(t, s.Deliveries, &a)
	if err := s.Deliveries.Update(ctx, &b); !errors.Is(err, store.ErrConflict) {
		t.Errorf("Update with a stale version = %v, want ErrConflict", err)
	}
	if b.Version != 1 {
		t.Errorf("failed Update changed Version to %d, want 1", b.Version)
	}
	// The identity fields never change.
	a.ProjectID, a.ChannelID, a.Kind = "other", "other", "other"
	a.Status = store.DeliveryParked
	update(t, s.Deliveries, &a)
	got := load(t, s.Deliveries, d.ID)
	if got.ProjectID != "p" || got.ChannelID != "ch1" || got.Kind != check.ChannelWebhook || got.Status != store.DeliveryParked {
		t.Errorf("after Update: project %q, channel %q, kind %q, status %q; want p, ch1, webhook, parked",
			got.ProjectID, got.ChannelID, got.Kind, got.Status)
	}
	missing := Delivery(2, "p", "ch1")
	if err := s.Deliveries.Update(ctx, missing); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Update of a missing delivery = %v, want ErrNotFound", err)
	}
}

func testDue(t *testing.T, s Stores) {
	ctx := t.Context()
	mk := func(n int, status store.DeliveryStatus, next time.Time) *store.Delivery {
		d := Delivery(n, "p", "ch")
		claim(t, s.Deliveries, d)
		d.Status, d.NextAttempt = status, next
		update(t, s.Deliveries, d)
		return d
	}
	now := t0.Add(time.Hour)
	late := mk(1, store.DeliveryRetrying, now.Add(-time.Minute))
	exact := mk(2, store.DeliveryRetrying, now)
	lease := mk(3, store.DeliveryPending, now.Add(-time.Hour)) // a crashed attempt
	mk(4, store.DeliveryRetrying, now.Add(time.Microsecond))   // not yet
	mk(5, store.DeliveryPending, now.Add(time.Minute))         // attempt in progress
	mk(6, store.DeliverySent, time.Time{})
	mk(7, store.DeliveryParked, time.Time{})
	mk(8, store.DeliveryFailed, time.Time{})

	got, err := s.Deliveries.Due(ctx, now, 10)
	if err != nil {
		t.Fatalf("Due = %v", err)
	}
	want := []*store.Delivery{stored(lease), stored(late), stored(exact)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Due(now) mismatch, want soonest first (-want +got):\n%s", diff)
	}
	got, err = s.Deliveries.Due(ctx, now, 2)
	if err != nil || len(got) != 2 || got[0].ID != lease.ID || got[1].ID != late.ID {
		t.Errorf("Due(now, 2) = %d records, %v; want the two soonest", len(got), err)
	}
}

func testParked(t *testing.T, s Stores) {
	ctx := t.Context()
	mk := func(n int, projectID string, status store.DeliveryStatus, updated time.Time) *store.Delivery {
		d := Delivery(n, projectID, "ch")
		claim(t, s.Deliveries, d)
		d.Status, d.NextAttempt, d.Updated, d.LastError = status, time.Time{}, updated, "Received status code 503"
		if status == store.DeliveryRetrying {
			d.NextAttempt = updated.Add(time.Minute)
		}
		update(t, s.Deliveries, d)
		return d
	}
	older := mk(1, "p", store.DeliveryParked, t0.Add(time.Minute))
	newer := mk(2, "p", store.DeliveryParked, t0.Add(time.Hour))
	mk(3, "q", store.DeliveryParked, t0.Add(time.Hour))
	mk(4, "p", store.DeliveryRetrying, t0.Add(time.Hour))
	mk(5, "p", store.DeliveryFailed, t0.Add(time.Hour))

	got, err := s.Deliveries.Parked(ctx, "p", 10)
	if err != nil {
		t.Fatalf("Parked = %v", err)
	}
	if diff := cmp.Diff([]*store.Delivery{stored(newer), stored(older)}, got); diff != "" {
		t.Errorf("Parked(p) mismatch, want newest first (-want +got):\n%s", diff)
	}
	got, err = s.Deliveries.Parked(ctx, "p", 1)
	if err != nil || len(got) != 1 || got[0].ID != newer.ID {
		t.Errorf("Parked(p, 1) = %d records, %v; want the newest", len(got), err)
	}
	if got, err := s.Deliveries.Parked(ctx, "none", 10); err != nil || len(got) != 0 {
		t.Errorf("Parked(none) = %v, %v; want nothing", got, err)
	}
}

func testMarkChannelError(t *testing.T, s Stores) {
	ctx := t.Context()
	p := &check.Project{ID: "a0000000-0000-4000-8000-000000000001", Name: "P", Created: t0,
		APIKeyHash: "k1", ReadOnlyKeyHash: "k2", PingKeyHash: "k3", BadgeKey: "b"}
	if err := s.Store.CreateProject(ctx, p); err != nil {
		t.Fatalf("CreateProject = %v", err)
	}
	ch := &check.Channel{ID: "e0000000-0000-4000-8000-000000000001", ProjectID: p.ID, Kind: check.ChannelWebhook,
		Name: "hook", Value: "https://example.org/hook", Created: t0}
	other := &check.Channel{ID: "e0000000-0000-4000-8000-000000000002", ProjectID: p.ID, Kind: check.ChannelEmail,
		Name: "mail", Value: "alice@example.org", Created: t0}
	for _, c := range []*check.Channel{ch, other} {
		if err := s.Store.CreateChannel(ctx, c); err != nil {
			t.Fatalf("CreateChannel = %v", err)
		}
	}
	state := func(id string) (string, bool) {
		t.Helper()
		chs, err := s.Store.Channels(ctx, p.ID)
		if err != nil {
			t.Fatalf("Channels = %v", err)
		}
		for _, c := range chs {
			if c.ID == id {
				return c.LastError, c.Disabled
			}
		}
		t.Fatalf("channel %s is gone", id)
		return "", false
	}
	steps := []struct {
		msg       string
		disable   bool
		wantError string
		wantOff   bool
	}{
		{"not delivered after 5 attempts: Received status code 503", false, "not delivered after 5 attempts: Received status code 503", false},
		{"", false, "", false},
		{"Received status code 404", true, "Received status code 404", true},
		// Clearing the error does not re-enable the channel: that is its owner's call.
		{"", false, "", true},
	}
	for i, st := range steps {
		if err := s.Deliveries.MarkChannelError(ctx, p.ID, ch.ID, st.msg, st.disable); err != nil {
			t.Fatalf("step %d: MarkChannelError = %v", i, err)
		}
		if gotErr, gotOff := state(ch.ID); gotErr != st.wantError || gotOff != st.wantOff {
			t.Errorf("step %d: channel = %q, disabled %v; want %q, %v", i, gotErr, gotOff, st.wantError, st.wantOff)
		}
	}
	if gotErr, gotOff := state(other.ID); gotErr != "" || gotOff {
		t.Errorf("other channel = %q, disabled %v; want untouched", gotErr, gotOff)
	}
	for _, tt := range []struct{ project, channel string }{
		{p.ID, "e0000000-0000-4000-8000-000000000009"},
		{"a0000000-0000-4000-8000-000000000009", ch.ID}, // the channel, but not in this project
	} {
		err := s.Deliveries.MarkChannelError(ctx, tt.project, tt.channel, "x", true)
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("MarkChannelError(%s, %s) = %v, want ErrNotFound", tt.project, tt.channel, err)
		}
	}
}

func testNonPositiveLimits(t *testing.T, s Stores) {
	ctx := context.Background()
	if _, err := s.Deliveries.Due(ctx, t0, 0); err == nil {
		t.Error("Due(limit 0) = nil error, want an error")
	}
	if _, err := s.Deliveries.Parked(ctx, "p", -1); err == nil {
		t.Error("Parked(limit -1) = nil error, want an error")
	}
}
