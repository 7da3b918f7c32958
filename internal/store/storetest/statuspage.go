package storetest

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// testStatusPages: a project's status page round-trips whole (its checks in their order), is
// found by its key and by nothing else, is replaced whole, gives up its old key when the key
// changes, keeps its key to itself, and goes with its project.
func testStatusPages(t *testing.T, s store.Store) {
	ctx := t.Context()
	p1, p2 := newProject(1, t0), newProject(2, t0)
	createProject(t, s, p1)
	createProject(t, s, p2)
	const k1, k2 = "statuskeyone0000000000aa", "statuskeytwo0000000000bb"

	if _, err := s.StatusPage(ctx, p1.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("StatusPage(never saved) = %v, want ErrNotFound", err)
	}
	for _, key := range []string{"", k1} {
		if _, err := s.StatusPageByKey(ctx, key); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("StatusPageByKey(%q) before any page = %v, want ErrNotFound", key, err)
		}
	}
	if err := s.PutStatusPage(ctx, &check.StatusPage{ProjectID: "a0000000-0000-4000-8000-999999999999", Key: k1}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("PutStatusPage(no such project) = %v, want ErrNotFound", err)
	}
	if err := s.PutStatusPage(ctx, &check.StatusPage{ProjectID: p1.ID, Key: "short"}); err == nil {
		t.Error("PutStatusPage(invalid key) succeeded; want the validation error")
	}

	page := &check.StatusPage{ProjectID: p1.ID, Key: k1, Public: true, Checks: []string{checkID(3), checkID(1), checkID(2)}}
	if err := s.PutStatusPage(ctx, page); err != nil {
		t.Fatalf("PutStatusPage = %v", err)
	}
	got, err := s.StatusPage(ctx, p1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(page, got); diff != "" {
		t.Errorf("StatusPage (-want +got):\n%s", diff)
	}
	got, err = s.StatusPageByKey(ctx, k1)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(page, got); diff != "" {
		t.Errorf("StatusPageByKey (-want +got):\n%s", diff)
	}

	// Another project cannot take the key.
	if err := s.PutStatusPage(ctx, &check.StatusPage{ProjectID: p2.ID, Key: k1}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("PutStatusPage(another project's key) = %v, want ErrConflict", err)
	}
	if _, err := s.StatusPage(ctx, p2.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("StatusPage(p2) after its refused put = %v, want ErrNotFound", err)
	}

	// Replaced whole: private, no checks, a new key; the old key finds nothing at once.
	moved := &check.StatusPage{ProjectID: p1.ID, Key: k2}
	if err := s.PutStatusPage(ctx, moved); err != nil {
		t.Fatalf("PutStatusPage(new key) = %v", err)
	}
	if _, err := s.StatusPageByKey(ctx, k1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("StatusPageByKey(old key) = %v, want ErrNotFound", err)
	}
	for name, load := range map[string]func() (*check.StatusPage, error){
		"StatusPage":      func() (*check.StatusPage, error) { return s.StatusPage(ctx, p1.ID) },
		"StatusPageByKey": func() (*check.StatusPage, error) { return s.StatusPageByKey(ctx, k2) },
	} {
		got, err := load()
		if err != nil {
			t.Fatalf("%s after the change = %v", name, err)
		}
		if diff := cmp.Diff(moved, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s after the change (-want +got):\n%s", name, diff)
		}
	}
	// The old key is free for another project now.
	if err := s.PutStatusPage(ctx, &check.StatusPage{ProjectID: p2.ID, Key: k1, Public: true}); err != nil {
		t.Errorf("PutStatusPage(p2, the key p1 gave up) = %v", err)
	}

	// The page goes with its project.
	if err := s.DeleteProject(ctx, p1.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.StatusPage(ctx, p1.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("StatusPage(deleted project) = %v, want ErrNotFound", err)
	}
	if _, err := s.StatusPageByKey(ctx, k2); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("StatusPageByKey(deleted project's key) = %v, want ErrNotFound", err)
	}
	if got, err := s.StatusPageByKey(ctx, k1); err != nil || got.ProjectID != p2.ID || !got.Public {
		t.Errorf("StatusPageByKey(p2's key) = %+v, %v; want p2's public page", got, err)
	}
}
