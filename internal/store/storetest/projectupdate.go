package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// testUpdateProject renames a project and changes and removes its keys: every lookup follows
// at once, a taken hash is refused with nothing written, and fn's error aborts.
func testUpdateProject(t *testing.T, s store.Store) {
	ctx := t.Context()
	p1, p2 := newProject(1, t0), newProject(2, t0.Add(time.Hour))
	createProject(t, s, p1)
	createProject(t, s, p2)

	got, err := s.UpdateProject(ctx, p1.ID, func(p *check.Project) error {
		p.Name = "Renamed"
		return nil
	})
	if err != nil || got.Name != "Renamed" {
		t.Fatalf("UpdateProject(rename) = %+v, %v", got, err)
	}
	// The lookups carry the new name (DynamoDB keeps a copy of the project in each).
	if p, _, err := s.ProjectByAPIKey(ctx, p1.APIKeyHash); err != nil || p.Name != "Renamed" {
		t.Errorf("ProjectByAPIKey after rename = %+v, %v, want the new name", p, err)
	}
	if p, err := s.ProjectByPingKey(ctx, p1.PingKeyHash); err != nil || p.Name != "Renamed" {
		t.Errorf("ProjectByPingKey after rename = %+v, %v, want the new name", p, err)
	}

	newRW := check.HashKey("hcw_rotated")
	_, err = s.UpdateProject(ctx, p1.ID, func(p *check.Project) error {
		p.APIKeyHash = newRW
		p.PingKeyHash = ""
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateProject(rotate, revoke) = %v", err)
	}
	if _, _, err := s.ProjectByAPIKey(ctx, p1.APIKeyHash); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("old read-write key after rotation: %v, want ErrNotFound", err)
	}
	if p, ro, err := s.ProjectByAPIKey(ctx, newRW); err != nil || p.ID != p1.ID || ro {
		t.Errorf("new read-write key = %v, %v, %v, want project 1, read-write", p, ro, err)
	}
	if p, ro, err := s.ProjectByAPIKey(ctx, p1.ReadOnlyKeyHash); err != nil || p.ID != p1.ID || !ro {
		t.Errorf("untouched read-only key = %v, %v, %v, want project 1, read-only", p, ro, err)
	}
	if _, err := s.ProjectByPingKey(ctx, p1.PingKeyHash); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoked ping key: %v, want ErrNotFound", err)
	}

	// Another project's key is taken: nothing changes.
	_, err = s.UpdateProject(ctx, p1.ID, func(p *check.Project) error {
		p.Name = "Not written"
		p.ReadOnlyKeyHash = p2.ReadOnlyKeyHash
		return nil
	})
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("UpdateProject(taken key) = %v, want ErrConflict", err)
	}
	want := *p1
	want.Name, want.APIKeyHash, want.PingKeyHash = "Renamed", newRW, ""
	if p, err := s.Project(ctx, p1.ID); err != nil || !cmp.Equal(&want, p) {
		t.Errorf("Project after a refused update (-want +got):\n%s", cmp.Diff(&want, p))
	}
	if p, _, err := s.ProjectByAPIKey(ctx, p2.ReadOnlyKeyHash); err != nil || p.ID != p2.ID {
		t.Errorf("project 2's key after the refused update = %v, %v", p, err)
	}

	boom := errors.New("boom")
	if _, err := s.UpdateProject(ctx, p1.ID, func(p *check.Project) error { p.Name = "x"; return boom }); !errors.Is(err, boom) {
		t.Errorf("UpdateProject(fn fails) = %v, want fn's error", err)
	}
	if _, err := s.UpdateProject(ctx, projectID(99), func(*check.Project) error { return nil }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateProject(missing) = %v, want ErrNotFound", err)
	}
}

// testDeleteProject refuses a project with checks or channels, and then removes it with its
// key lookups, leaving other projects alone.
func testDeleteProject(t *testing.T, s store.Store) {
	ctx := t.Context()
	p1, p2 := newProject(1, t0), newProject(2, t0.Add(time.Hour))
	createProject(t, s, p1)
	createProject(t, s, p2)
	c := newCheck(1, p1.ID, t0)
	createCheck(t, s, c)
	ch := newChannel(1, p1.ID, t0)
	createChannel(t, s, ch)

	if err := s.DeleteProject(ctx, p1.ID); !errors.Is(err, store.ErrConflict) {
		t.Errorf("DeleteProject(with a check and a channel) = %v, want ErrConflict", err)
	}
	if err := s.DeleteCheck(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteProject(ctx, p1.ID); !errors.Is(err, store.ErrConflict) {
		t.Errorf("DeleteProject(with a channel) = %v, want ErrConflict", err)
	}
	if err := s.DeleteChannel(ctx, p1.ID, ch.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteProject(ctx, p1.ID); err != nil {
		t.Fatalf("DeleteProject(empty) = %v", err)
	}
	if _, err := s.Project(ctx, p1.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Project(deleted) = %v, want ErrNotFound", err)
	}
	for name, hash := range map[string]string{"read-write": p1.APIKeyHash, "read-only": p1.ReadOnlyKeyHash} {
		if _, _, err := s.ProjectByAPIKey(ctx, hash); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s key of the deleted project: %v, want ErrNotFound", name, err)
		}
	}
	if _, err := s.ProjectByPingKey(ctx, p1.PingKeyHash); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ping key of the deleted project: %v, want ErrNotFound", err)
	}
	if all, err := s.Projects(ctx); err != nil || len(all) != 1 || all[0].ID != p2.ID {
		t.Errorf("Projects() after delete = %v, %v, want project 2 only", all, err)
	}
	if err := s.DeleteProject(ctx, p1.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteProject(again) = %v, want ErrNotFound", err)
	}
}
