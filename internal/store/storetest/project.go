package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

func testProjects(t *testing.T, s store.Store) {
	ctx := t.Context()
	newer := newProject(1, t0.Add(3*time.Hour))
	older := newProject(2, t0)
	requireAllSet(t, *newer)
	createProject(t, s, newer)
	createProject(t, s, older)

	got, err := s.Project(ctx, newer.ID)
	if err != nil {
		t.Fatalf("Project(%s) = %v", newer.ID, err)
	}
	if diff := cmp.Diff(newer, got); diff != "" {
		t.Errorf("Project(%s) mismatch (-want +got):\n%s", newer.ID, diff)
	}

	all, err := s.Projects(ctx)
	if err != nil {
		t.Fatalf("Projects() = %v", err)
	}
	if diff := cmp.Diff([]*check.Project{older, newer}, all); diff != "" {
		t.Errorf("Projects() mismatch, want oldest first (-want +got):\n%s", diff)
	}
}

func testProjectKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	p1 := newProject(1, t0)
	p2 := newProject(2, t0.Add(time.Hour))
	p2.PingKeyHash = "" // a project without a ping key
	createProject(t, s, p1)
	createProject(t, s, p2)

	apiTests := []struct {
		name         string
		hash         string
		want         *check.Project
		wantReadOnly bool
	}{
		{"read-write key", p1.APIKeyHash, p1, false},
		{"read-only key", p1.ReadOnlyKeyHash, p1, true},
		{"other project's read-write key", p2.APIKeyHash, p2, false},
		{"other project's read-only key", p2.ReadOnlyKeyHash, p2, true},
		{"ping key", p1.PingKeyHash, nil, false},
		{"unknown key", check.HashKey("hcw_unknown"), nil, false},
		{"empty hash", "", nil, false},
	}
	for _, tt := range apiTests {
		t.Run("api/"+tt.name, func(t *testing.T) {
			got, readOnly, err := s.ProjectByAPIKey(ctx, tt.hash)
			if tt.want == nil {
				if !errors.Is(err, store.ErrNotFound) {
					t.Fatalf("ProjectByAPIKey(%.8s…) = %v, %v, want ErrNotFound", tt.hash, got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ProjectByAPIKey(%.8s…) = %v", tt.hash, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ProjectByAPIKey(%.8s…) mismatch (-want +got):\n%s", tt.hash, diff)
			}
			if readOnly != tt.wantReadOnly {
				t.Errorf("ProjectByAPIKey(%.8s…) readOnly = %v, want %v", tt.hash, readOnly, tt.wantReadOnly)
			}
		})
	}

	pingTests := []struct {
		name string
		hash string
		want *check.Project
	}{
		{"ping key", p1.PingKeyHash, p1},
		{"API key", p1.APIKeyHash, nil},
		{"unknown key", check.HashKey("unknown"), nil},
		{"empty hash", "", nil},
	}
	for _, tt := range pingTests {
		t.Run("ping/"+tt.name, func(t *testing.T) {
			got, err := s.ProjectByPingKey(ctx, tt.hash)
			if tt.want == nil {
				if !errors.Is(err, store.ErrNotFound) {
					t.Fatalf("ProjectByPingKey(%.8s…) = %v, %v, want ErrNotFound", tt.hash, got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ProjectByPingKey(%.8s…) = %v", tt.hash, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ProjectByPingKey(%.8s…) mismatch (-want +got):\n%s", tt.hash, diff)
			}
		})
	}
}

func testProjectConflict(t *testing.T, s store.Store) {
	ctx := t.Context()
	p1 := newProject(1, t0)
	createProject(t, s, p1)

	tests := []struct {
		name   string
		modify func(p *check.Project)
	}{
		{"same ID", func(p *check.Project) { p.ID = p1.ID }},
		{"same read-write key", func(p *check.Project) { p.APIKeyHash = p1.APIKeyHash }},
		{"same read-only key", func(p *check.Project) { p.ReadOnlyKeyHash = p1.ReadOnlyKeyHash }},
		{"same ping key", func(p *check.Project) { p.PingKeyHash = p1.PingKeyHash }},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProject(10+i, t0.Add(time.Hour))
			tt.modify(p)
			if err := s.CreateProject(ctx, p); !errors.Is(err, store.ErrConflict) {
				t.Fatalf("CreateProject(%s) = %v, want ErrConflict", tt.name, err)
			}
			// Nothing of the refused project may remain, and the first must be intact.
			if p.ID != p1.ID {
				if got, err := s.Project(ctx, p.ID); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("Project(%s) after refused create = %v, %v, want ErrNotFound", p.ID, got, err)
				}
			}
			got, err := s.Project(ctx, p1.ID)
			if err != nil {
				t.Fatalf("Project(%s) = %v", p1.ID, err)
			}
			if diff := cmp.Diff(p1, got); diff != "" {
				t.Errorf("Project(%s) after refused create mismatch (-want +got):\n%s", p1.ID, diff)
			}
		})
	}

	t.Run("no read-only or ping key twice", func(t *testing.T) {
		for _, n := range []int{20, 21} {
			p := newProject(n, t0)
			p.ReadOnlyKeyHash = ""
			p.PingKeyHash = ""
			if err := s.CreateProject(ctx, p); err != nil {
				t.Fatalf("CreateProject(%s without read-only and ping keys) = %v", p.ID, err)
			}
		}
	})
}

// testNotFound: every lookup of something that does not exist is store.ErrNotFound.
func testNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	p := newProject(1, t0)
	createProject(t, s, p)
	c := newCheck(1, p.ID, t0)
	createCheck(t, s, c)
	missing := checkID(99)

	tests := []struct {
		name string
		call func() error
	}{
		{"Project", func() error { _, err := s.Project(ctx, projectID(99)); return err }},
		{"Check", func() error { _, err := s.Check(ctx, missing); return err }},
		{"DeleteCheck", func() error { return s.DeleteCheck(ctx, missing) }},
		{"Ping of a missing check", func() error { _, err := s.Ping(ctx, missing, 1); return err }},
		{"Ping never received", func() error { _, err := s.Ping(ctx, c.ID, 1); return err }},
		{"DeleteChannel", func() error { return s.DeleteChannel(ctx, p.ID, channelID(99)) }},
		{"UpdateCheck", func() error {
			_, err := s.UpdateCheck(ctx, missing, func(*check.Check) (store.Change, error) {
				t.Errorf("UpdateCheck(%s) called fn for a missing check", missing)
				return store.Change{}, nil
			})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s = %v, want ErrNotFound", tt.name, err)
			}
		})
	}
	if _, err := s.Check(ctx, missing); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Check(%s) after UpdateCheck on it = %v, want ErrNotFound: UpdateCheck must not create", missing, err)
	}
}
