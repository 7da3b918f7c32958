package dynamo

import (
	"errors"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/schema"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/deliverytest"
	"github.com/overduehq/overdue/internal/store/storetest"
)

// testClock is a settable clock for a store's gate.
type testClock struct{ t time.Time }

func (c *testClock) now() time.Time { return c.t }

// guardedStore is a store over a table at this build's version whose gate runs on a clock the
// test moves.
func guardedStore(t *testing.T) (*Store, *testClock) {
	t.Helper()
	clock := &testClock{t0}
	s := New(motoClient(t), newReadyTable(t), store.Options{Box: testBox})
	s.Gate = schema.NewGate(s.Version, schema.GateConfig{Now: clock.now})
	return s, clock
}

// TestWriteGuard: a warm store refuses every write once another process's migration raised the
// minimum reader past it, within the gate's window, and writes again once the data fits.
// Settling moves the gate's clock past both its window and its longest backoff.
func TestWriteGuard(t *testing.T) {
	storetest.RunGuard(t, func(t *testing.T) (store.Store, storetest.GuardHooks) {
		s, clock := guardedStore(t)
		return s, storetest.GuardHooks{
			SetVersion: func(t *testing.T, v schema.Version) { putMeta(t, s, v.Version, v.MinReader, "other-build") },
			Settle:     func(*testing.T) { clock.t = clock.t.Add(schema.DefaultMaxBackoff) },
		}
	})
}

// TestWriteGuardWindow is the window that remains on DynamoDB, and what it costs. A store that read
// META at t writes unchecked until t+5 s: that is the window, in which a write can still land
// after another process raised the minimum reader. From t+5 s on it refuses, and the table's
// items stay as they were. The gate reads META once per window however many writes, one
// strongly consistent GetItem of 1 RCU; while refusing it reads at 1, 2, 4 … 30 s.
func TestWriteGuardWindow(t *testing.T) {
	ctx := t.Context()
	s, clock := guardedStore(t)
	s.Meter = &Meter{}
	c := setup(t, s)
	pings := func(from int) Usage {
		t.Helper()
		before := s.Meter.Usage()
		for i := from; i < from+5; i++ {
			if _, _, err := ping(ctx, s, c.ID, check.Signal{Kind: check.PingLog}, t0.Add(time.Duration(i)*time.Second)); err != nil {
				t.Fatal(err)
			}
		}
		return s.Meter.Usage().Sub(before)
	}
	guarded := pings(0)
	gate := s.Gate
	s.Gate = nil
	unguarded := pings(5)
	s.Gate = gate
	// Five pings within the window ask DynamoDB nothing about the version.
	if guarded.Requests != unguarded.Requests || guarded.RCU != unguarded.RCU {
		t.Errorf("5 guarded pings in one window made %d requests (%v RCU), unguarded ones %d (%v RCU); want the same",
			guarded.Requests, guarded.RCU, unguarded.Requests, unguarded.RCU)
	}

	// The cost of the guard: moving past the window costs exactly one read of META.
	clock.t = clock.t.Add(schema.DefaultMaxAge)
	before := s.Meter.Usage()
	if err := s.Gate.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if got := s.Meter.Usage().Sub(before); got.Requests != 1 || got.RCU != 1 {
		t.Errorf("the gate's read of META cost %d requests and %v RCU, want 1 and 1", got.Requests, got.RCU)
	}
	// A newer build contracts the data model.
	putMeta(t, s, schema.Current+1, schema.Current+1, "other-build")

	// Inside the window the store still writes: this is the window the README states.
	clock.t = clock.t.Add(schema.DefaultMaxAge - time.Millisecond)
	if _, _, err := ping(ctx, s, c.ID, check.Signal{Kind: check.PingLog}, t0.Add(time.Minute)); err != nil {
		t.Fatalf("a ping inside the window = %v, want it written (the cached answer)", err)
	}
	items := len(scanAll(t, s))

	// The window ends: every write is refused, and no item changes.
	clock.t = clock.t.Add(time.Millisecond)
	before = s.Meter.Usage()
	_, _, err := ping(ctx, s, c.ID, check.Signal{Kind: check.PingLog}, t0.Add(2*time.Minute))
	var ve *schema.VersionError
	if !errors.As(err, &ve) || ve.Data.MinReader != schema.Current+1 || ve.Current != schema.Current {
		t.Fatalf("a ping after the window = %v, want a *schema.VersionError naming min reader %d and version %d",
			err, schema.Current+1, schema.Current)
	}
	ds := s.Deliveries()
	if _, _, err := ds.Claim(ctx, deliverytest.Delivery(1, "p", "ch")); !errors.As(err, &ve) {
		t.Errorf("Claim after the window = %v, want a *schema.VersionError", err)
	}
	if err := ds.MarkChannelError(ctx, "p", "ch", "boom", true); !errors.As(err, &ve) {
		t.Errorf("MarkChannelError after the window = %v, want a *schema.VersionError", err)
	}
	if got := s.Meter.Usage().Sub(before); got.Requests != 1 || got.WCU != 0 {
		t.Errorf("refused writes made %d requests and %v WCU, want one read of META and no write", got.Requests, got.WCU)
	}
	if got := len(scanAll(t, s)); got != items {
		t.Errorf("the table has %d items after refused writes, want %d", got, items)
	}
}
