package storetest

import (
	"errors"
	"sync"
	"testing"

	"github.com/overduehq/overdue/internal/store"
)

// testCanary: no canary until one is put; the first put wins, later puts (and racing ones) get
// the winner's IDs; the record is no project and no check.
func testCanary(t *testing.T, s store.Store) {
	ctx := t.Context()
	if c, err := s.Canary(ctx); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Canary() on an empty store = %+v, %v; want ErrNotFound", c, err)
	}
	first := store.Canary{CheckID: "6f1b0e0e-6c1d-4a57-9d3a-0f2b8c9d1e01", ProjectID: "6f1b0e0e-6c1d-4a57-9d3a-0f2b8c9d1e02"}
	if got, err := s.PutCanary(ctx, first); err != nil || got != first {
		t.Fatalf("PutCanary(first) = %+v, %v; want %+v", got, err, first)
	}
	second := store.Canary{CheckID: "6f1b0e0e-6c1d-4a57-9d3a-0f2b8c9d1e03", ProjectID: "6f1b0e0e-6c1d-4a57-9d3a-0f2b8c9d1e04"}
	if got, err := s.PutCanary(ctx, second); err != nil || got != first {
		t.Errorf("PutCanary(second) = %+v, %v; want the first, %+v", got, err, first)
	}
	if got, err := s.Canary(ctx); err != nil || got != first {
		t.Errorf("Canary() = %+v, %v; want %+v", got, err, first)
	}
	if ps, err := s.Projects(ctx); err != nil || len(ps) != 0 {
		t.Errorf("Projects() = %d projects, %v; want none: the record is not the canary's project", len(ps), err)
	}
	if _, err := s.Check(ctx, first.CheckID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Check(canary) = %v; want ErrNotFound: PutCanary creates no check", err)
	}
}

// testConcurrentCanary: processes that race to put a canary all get the same one.
func testConcurrentCanary(t *testing.T, s store.Store) {
	ctx := t.Context()
	const racers = 6
	got := make([]store.Canary, racers)
	errs := make([]error, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			got[i], errs[i] = s.PutCanary(ctx, store.Canary{CheckID: newID(i, 'c'), ProjectID: newID(i, 'p')})
		})
	}
	wg.Wait()
	stored, err := s.Canary(ctx)
	if err != nil {
		t.Fatalf("Canary() = %v", err)
	}
	for i := range racers {
		if errs[i] != nil || got[i] != stored {
			t.Errorf("PutCanary #%d = %+v, %v; want the stored %+v", i, got[i], errs[i], stored)
		}
	}
}

// newID is a UUID-shaped ID for racer i.
func newID(i int, kind byte) string {
	return "00000000-0000-4000-8000-0000000000" + string(kind) + string(rune('0'+i))
}
