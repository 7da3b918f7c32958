package sqlite

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/deliverytest"
)

func openDeliveries(t *testing.T) (*Store, *Deliveries) {
	t.Helper()
	s := openStore(t, store.Options{})
	t.Cleanup(func() { s.Close() })
	ds, err := s.OpenDeliveries(t.Context())
	if err != nil {
		t.Fatalf("OpenDeliveries = %v", err)
	}
	return s, ds
}

func TestDeliveriesConformance(t *testing.T) {
	deliverytest.Run(t, func(t *testing.T) deliverytest.Stores {
		s, ds := openDeliveries(t)
		return deliverytest.Stores{Deliveries: ds, Store: s}
	})
}

// TestOpenDeliveriesTwice: the table is created once and its rows survive a second call and a
// reopen of the database.
func TestOpenDeliveriesTwice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "overdue.db")
	s, err := Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := s.OpenDeliveries(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	d := deliverytest.Delivery(1, "p", "ch")
	if ok, _, err := ds.Claim(t.Context(), d); !ok || err != nil {
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
	for range 2 {
		if ds, err = s.OpenDeliveries(t.Context()); err != nil {
			t.Fatalf("OpenDeliveries again = %v", err)
		}
	}
	if ok, existing, err := ds.Claim(t.Context(), deliverytest.Delivery(1, "p", "ch")); ok || err != nil || existing == nil {
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []any{"x", 3}
			if tt.name == "by id" {
				args = args[:1]
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
