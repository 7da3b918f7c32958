package dynamo

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/deliverytest"
)

// TestFlipFromImage decodes images of every kind of item the table holds, as this package
// writes them: flips come back as the domain flips they were, everything else is not a flip,
// and a damaged flip item is an error.
func TestFlipFromImage(t *testing.T) {
	const checkID = "c0000000-0000-4000-8000-000000000001"
	created := time.Date(2026, 3, 2, 9, 14, 3, 123456000, time.UTC)
	unprocessed := &check.Flip{CheckID: checkID, Created: created, OldStatus: check.StatusUp,
		NewStatus: check.StatusDown, Reason: check.ReasonFail}
	processed := &check.Flip{CheckID: checkID, Created: created, Processed: created.Add(time.Second),
		OldStatus: check.StatusDown, NewStatus: check.StatusUp}
	flipImage := func(f *check.Flip) item {
		return marshal(flipToItem(checkID, flipID(f.Created, 7), f, store.DefaultFlipRetention))
	}
	withID := func(f *check.Flip) *check.Flip {
		c := *f
		c.ID = flipID(f.Created, 7)
		return &c
	}
	without := func(m item, names ...string) item {
		c := make(item, len(m))
		for k, v := range m {
			c[k] = v
		}
		for _, n := range names {
			delete(c, n)
		}
		return c
	}
	with := func(m item, name, value string) item {
		c := without(m)
		c[name] = str(value)
		return c
	}

	c := check.New(checkID, "a0000000-0000-4000-8000-000000000001", created)
	tests := []struct {
		name    string
		image   item
		want    *check.Flip
		wantErr bool
	}{
		{"unprocessed flip", flipImage(unprocessed), withID(unprocessed), false},
		{"processed flip", flipImage(processed), withID(processed), false},
		{"check", marshal(checkToItem(c, 1, 100)), nil, false},
		{"ping", marshal(pingToItem(checkID, &check.Ping{N: 1, Created: created, Kind: check.PingSuccess}, 100)), nil, false},
		{"project", marshal(projectToItem(&check.Project{ID: "p", Name: "P", Created: created})), nil, false},
		{"delivery", marshal(deliveryToItem(deliverytest.Delivery(1, "p", "ch"), 1, "t", store.DefaultFlipRetention)), nil, false},
		{"META", metaKey(), nil, false},
		{"no keys", item{}, nil, false},
		{"flip without creation time", without(flipImage(unprocessed), "cr"), nil, true},
		{"flip without new status", without(flipImage(unprocessed), "new"), nil, true},
		{"flip with a malformed ID", with(flipImage(unprocessed), SortKey, "FLIP#yesterday"), nil, true},
		{"flip with text for its creation time", with(flipImage(unprocessed), "cr", "yesterday"), nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := FlipFromImage(tt.image)
			if (err != nil) != tt.wantErr {
				t.Fatalf("FlipFromImage() error = %v, want error %v", err, tt.wantErr)
			}
			if ok != (tt.want != nil) {
				t.Fatalf("FlipFromImage() ok = %v, want %v", ok, tt.want != nil)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("FlipFromImage() (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFlipFromImageWritten: the image of a flip as UpdateCheck wrote it to the table decodes to
// the flip the store lists.
func TestFlipFromImageWritten(t *testing.T) {
	s := newStore(t)
	c := setup(t, s)
	_, flip, err := ping(t.Context(), s, c.ID, check.Signal{Kind: check.PingFail, Method: "GET"}, t0)
	if err != nil || flip == nil {
		t.Fatalf("fail ping = %v, %v; want a flip", flip, err)
	}
	listed, err := s.Flips(t.Context(), c.ID, store.FlipQuery{})
	if err != nil || len(listed) != 1 {
		t.Fatalf("Flips = %v, %v", listed, err)
	}
	got, ok, err := FlipFromImage(s.rawItem(t, checkPrefix+c.ID, flipPrefix+flip.ID))
	if err != nil || !ok {
		t.Fatalf("FlipFromImage(written flip) = %v, %v", ok, err)
	}
	if diff := cmp.Diff(listed[0], got); diff != "" {
		t.Errorf("FlipFromImage(written flip) mismatch with Flips (-want +got):\n%s", diff)
	}
}
