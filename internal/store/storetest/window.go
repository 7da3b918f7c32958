package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// testWindows: maintenance windows round-trip whole (one-off and recurring, each scope), are
// listed per project oldest first, and are deleted only by their own project.
func testWindows(t *testing.T, s store.Store) {
	ctx := t.Context()
	p1, p2 := newProject(1, t0), newProject(2, t0)
	createProject(t, s, p1)
	createProject(t, s, p2)
	oneOff := &check.Window{ID: "w1", ProjectID: p1.ID, CheckID: checkID(1),
		Start: t0.Add(time.Hour + 123*time.Microsecond), End: t0.Add(3 * time.Hour), Created: t0}
	recurring := &check.Window{ID: "w2", ProjectID: p1.ID, Tag: "backup", Schedule: "0 2 * * 6", TZ: "Europe/Riga",
		Duration: 2*time.Hour + time.Nanosecond, Created: t0.Add(time.Minute)}
	project := &check.Window{ID: "w3", ProjectID: p2.ID, Start: t0, End: t0.Add(time.Hour), Created: t0}
	for _, w := range []*check.Window{recurring, oneOff, project} {
		if err := s.CreateWindow(ctx, w); err != nil {
			t.Fatalf("CreateWindow(%s) = %v", w.ID, err)
		}
	}
	if err := s.CreateWindow(ctx, &check.Window{ID: "w1", ProjectID: p1.ID, Start: t0, End: t0.Add(time.Hour), Created: t0}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("CreateWindow(taken ID) = %v, want ErrConflict", err)
	}
	if err := s.CreateWindow(ctx, &check.Window{ID: "w9", ProjectID: "no-such-project", Start: t0, End: t0.Add(time.Hour), Created: t0}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("CreateWindow(no such project) = %v, want ErrNotFound", err)
	}
	got, err := s.Windows(ctx, p1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]*check.Window{oneOff, recurring}, got); diff != "" {
		t.Errorf("Windows(p1) (-want +got):\n%s", diff)
	}
	if err := s.DeleteWindow(ctx, p2.ID, "w1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteWindow(another project's window) = %v, want ErrNotFound", err)
	}
	if err := s.DeleteWindow(ctx, p1.ID, "w1"); err != nil {
		t.Errorf("DeleteWindow(w1) = %v", err)
	}
	if err := s.DeleteWindow(ctx, p1.ID, "w1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteWindow(w1) again = %v, want ErrNotFound", err)
	}
	if got, err := s.Windows(ctx, p1.ID); err != nil || len(got) != 1 || got[0].ID != "w2" {
		t.Errorf("Windows(p1) after the delete = %v, %v; want w2 only", got, err)
	}
	if got, err := s.Windows(ctx, p2.ID); err != nil || len(got) != 1 || got[0].ID != "w3" {
		t.Errorf("Windows(p2) = %v, %v; want w3", got, err)
	}
}
