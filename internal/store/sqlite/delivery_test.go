package sqlite

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/deliverytest"
)

func openDeliveries(t *testing.T) (*Store, *Deliveries) {
	t.Helper()
	s := openStore(t, store.Options{})
	t.Cleanup(func() { s.Close() })
	return s, s.Deliveries()
}

func TestDeliveriesConformance(t *testing.T) {
	deliverytest.Run(t, func(t *testing.T) deliverytest.Stores {
		s, ds := openDeliveries(t)
		return deliverytest.Stores{Deliveries: ds, Store: s}
	})
}

// TestDeliveriesSurviveReopen: the table is part of the data model, and its rows outlive the
// process that wrote them.
func TestDeliveriesSurviveReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "overdue.db")
	s, err := Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if ok, _, err := s.Deliveries().Claim(t.Context(), deliverytest.Delivery(1, "p", "ch")); !ok || err != nil {
		t.Fatalf("Claim = %v, %v", ok, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(path, store.Options{})
	if err != nil {
		t.Fatalf("reopen = %v", err)
	}
	defer s.Close()
	if ok, existing, err := s.Deliveries().Claim(t.Context(), deliverytest.Delivery(1, "p", "ch")); ok || err != nil || existing == nil {
		t.Errorf("Claim after reopen = %v, %v, %v; want the record kept", ok, existing, err)
	}
}

// TestDeliveryQueryPlans: the retry queue and the parked list read their partial indexes, so
// their cost follows the deliveries in progress or parked, not every alert ever sent.
func TestDeliveryQueryPlans(t *testing.T) {
	s, _ := openDeliveries(t)
	tests := []struct{ name, query, want string }{
		{"due", deliveriesDue, "SEARCH deliveries USING INDEX deliveries_due (next_attempt<?)"},
		{"parked", deliveriesParked, "SEARCH deliveries USING INDEX deliveries_parked (project_id=?)"},
		{"by id", deliverySelect + ` WHERE id = ?`, "SEARCH deliveries USING INDEX sqlite_autoindex_deliveries_1 (id=?)"},
		{"prune", deliveriesPrune, "SEARCH deliveries USING INDEX deliveries_final (updated<?)"},
		{"oldest to prune", deliveriesOldest, "SCAN deliveries USING INDEX deliveries_final"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []any{"x", 3}
			switch tt.name {
			case "by id":
				args = args[:1]
			case "oldest to prune":
				args = nil
			}
			rows, err := s.r.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+tt.query, args...)
			if err != nil {
				t.Fatalf("EXPLAIN QUERY PLAN = %v", err)
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			if !slices.Contains(plan, tt.want) {
				t.Errorf("plan of %s = %q, want a step %q", tt.name, plan, tt.want)
			}
		})
	}
}

// TestDeliveriesPruned: final deliveries (sent, failed, parked) last updated more than the
// flips' retention before a ping are deleted with it, whatever check they were for; deliveries
// still in progress are kept however old, like unprocessed flips.
func TestDeliveriesPruned(t *testing.T) {
	ctx := t.Context()
	s := openStore(t, store.Options{FlipRetention: 24 * time.Hour})
	defer s.Close()
	ds := s.Deliveries()
	t0 := time.Date(2026, 11, 24, 20, 0, 0, 0, time.UTC)
	kept, pruned := []string{}, []string{}
	for i, d := range []struct {
		status  store.DeliveryStatus
		updated time.Duration // after t0
		prune   bool
	}{
		{store.DeliverySent, 0, true},
		{store.DeliveryFailed, time.Hour, true},
		{store.DeliveryParked, 2 * time.Hour, true},
		{store.DeliverySent, 26 * time.Hour, false}, // within the retention
		{store.DeliveryPending, 0, false},           // in progress: never for age
		{store.DeliveryRetrying, 0, false},
	} {
		rec := deliverytest.Delivery(i+1, "p1", "e1")
		rec.Status, rec.Created, rec.Updated = d.status, t0, t0.Add(d.updated)
		if ok, _, err := ds.Claim(ctx, rec); !ok || err != nil {
			t.Fatalf("Claim = %v, %v", ok, err)
		}
		if d.prune {
			pruned = append(pruned, rec.ID)
		} else {
			kept = append(kept, rec.ID)
		}
	}
	if err := s.CreateProject(ctx, &check.Project{ID: "p1", Created: t0}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateCheck(ctx, check.New("c1", "p1", t0)); err != nil {
		t.Fatal(err)
	}
	// A ping 27 hours after t0: the retention reaches back to t0+3h.
	if _, err := s.UpdateCheck(ctx, "c1", func(c *check.Check) (store.Change, error) {
		p, f := c.ApplyPing(check.Signal{Kind: check.PingSuccess}, t0.Add(27*time.Hour), nil)
		return store.Change{Ping: p, Flip: f}, nil
	}); err != nil {
		t.Fatal(err)
	}
	var left []string
	rows, err := s.r.QueryContext(ctx, `SELECT id FROM deliveries ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		left = append(left, id)
	}
	slices.Sort(kept)
	if !slices.Equal(left, kept) {
		t.Errorf("deliveries after the ping = %q, want %q (pruned: %q)", left, kept, pruned)
	}
}
