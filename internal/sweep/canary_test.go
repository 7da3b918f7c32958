package sweep

import (
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// TestEnsureCanary: the first start makes a random canary and keeps its IDs in the store; a
// second start (another process) finds the same canary instead of creating another; a process
// that only judges ingestion finds it too, and nothing before it exists.
func TestEnsureCanary(t *testing.T) {
	st := openStore(t)
	ctx, now := t.Context(), time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	if in, err := FindCanary(ctx, st, time.Minute); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("FindCanary before any = %+v, %v; want ErrNotFound", in, err)
	}
	first, err := EnsureCanary(ctx, st, 10*time.Second, now)
	if err != nil {
		t.Fatal(err)
	}
	again, err := EnsureCanary(ctx, st, time.Minute, now.Add(time.Hour))
	if err != nil || again.CanaryID != first.CanaryID || first.Every != 10*time.Second || again.Every != time.Minute {
		t.Fatalf("second EnsureCanary = %+v, %v; want the same canary %s, pinged every minute", again, err, first.CanaryID)
	}
	if !uuidV4.MatchString(first.CanaryID) {
		t.Errorf("canary ID %q is not a version 4 UUID", first.CanaryID)
	}
	found, err := FindCanary(ctx, st, time.Minute)
	if err != nil || found.CanaryID != first.CanaryID {
		t.Errorf("FindCanary = %+v, %v; want canary %s", found, err, first.CanaryID)
	}
	rec, err := st.Canary(ctx)
	if err != nil || rec.CheckID != first.CanaryID {
		t.Fatalf("stored canary = %+v, %v; want check %s", rec, err, first.CanaryID)
	}
	projects, err := st.Projects(ctx)
	if err != nil || len(projects) != 1 || projects[0].Name != CanaryProjectName || projects[0].ID != rec.ProjectID {
		t.Errorf("projects = %v, %v; want the canary's alone, %s", projects, err, rec.ProjectID)
	}
	c, err := st.Check(ctx, first.CanaryID)
	if err != nil || len(c.Channels) != 0 || c.Timeout != 24*time.Hour || c.ProjectID != rec.ProjectID {
		t.Errorf("canary check = %+v, %v; want no channel and a day's timeout, in the canary's project", c, err)
	}

	// Another install gets another canary.
	other, err := EnsureCanary(ctx, openStore(t), time.Minute, now)
	if err != nil || other.CanaryID == first.CanaryID {
		t.Errorf("another install's canary = %+v, %v; want another ID than %s", other, err, first.CanaryID)
	}
}

// TestEnsureCanaryResumes: a process that put the canary's record and stopped before creating
// its project and check leaves them to the next start, which creates them under the record's IDs.
func TestEnsureCanaryResumes(t *testing.T) {
	st := openStore(t)
	ctx, now := t.Context(), time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	rec := store.Canary{CheckID: "0b8f0a34-8a4e-4c55-9a44-5d3c55e0a001", ProjectID: "0b8f0a34-8a4e-4c55-9a44-5d3c55e0a002"}
	if _, err := st.PutCanary(ctx, rec); err != nil {
		t.Fatal(err)
	}
	in, err := EnsureCanary(ctx, st, time.Minute, now)
	if err != nil || in.CanaryID != rec.CheckID {
		t.Fatalf("EnsureCanary = %+v, %v; want the stored canary %s", in, err, rec.CheckID)
	}
	if c, err := st.Check(ctx, rec.CheckID); err != nil || c.ProjectID != rec.ProjectID {
		t.Errorf("canary check = %+v, %v; want it created in project %s", c, err, rec.ProjectID)
	}
}

// TestAdoptCanary: an install whose earlier build derived the canary's IDs from the secret keeps
// that canary (its pings are the ingestion history); one without it, or with a canary stored
// already, is left alone.
func TestAdoptCanary(t *testing.T) {
	secret, now := []byte("0123456789abcdef0123456789abcdef"), time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	legacy := LegacyCanary(secret)
	if !uuidV4.MatchString(legacy.CheckID) || legacy.CheckID == derivedID([]byte("another secret, another install"), "canary-check") {
		t.Fatalf("derived canary ID %q: want a version 4 UUID that depends on the secret", legacy.CheckID)
	}
	createLegacy := func(t *testing.T, st store.Store) {
		t.Helper()
		p := &check.Project{ID: legacy.ProjectID, Name: CanaryProjectName, Created: now, APIKeyHash: "a", ReadOnlyKeyHash: "b", PingKeyHash: "c"}
		if err := st.CreateProject(t.Context(), p); err != nil {
			t.Fatal(err)
		}
		if err := st.CreateCheck(t.Context(), check.New(legacy.CheckID, legacy.ProjectID, now)); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("derived canary", func(t *testing.T) {
		st, ctx := openStore(t), t.Context()
		createLegacy(t, st)
		if err := AdoptCanary(ctx, st, secret); err != nil {
			t.Fatal(err)
		}
		in, err := EnsureCanary(ctx, st, time.Minute, now)
		if err != nil || in.CanaryID != legacy.CheckID {
			t.Fatalf("EnsureCanary after adoption = %+v, %v; want the derived canary %s", in, err, legacy.CheckID)
		}
		if rec, err := st.Canary(ctx); err != nil || rec != legacy {
			t.Errorf("stored canary = %+v, %v; want %+v", rec, err, legacy)
		}
		if ps, err := st.Projects(ctx); err != nil || len(ps) != 1 {
			t.Errorf("projects = %d, %v; want the one canary project", len(ps), err)
		}
	})
	t.Run("no derived canary", func(t *testing.T) {
		st, ctx := openStore(t), t.Context()
		if err := AdoptCanary(ctx, st, secret); err != nil {
			t.Fatal(err)
		}
		if rec, err := st.Canary(ctx); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("stored canary = %+v, %v; want none: nothing to adopt", rec, err)
		}
		in, err := EnsureCanary(ctx, st, time.Minute, now)
		if err != nil || in.CanaryID == legacy.CheckID {
			t.Errorf("EnsureCanary = %+v, %v; want a random canary, not the derived one", in, err)
		}
	})
	t.Run("canary stored already", func(t *testing.T) {
		st, ctx := openStore(t), t.Context()
		first, err := EnsureCanary(ctx, st, time.Minute, now)
		if err != nil {
			t.Fatal(err)
		}
		createLegacy(t, st) // an older build still running, say, after a rollback
		if err := AdoptCanary(ctx, st, secret); err != nil {
			t.Fatal(err)
		}
		if rec, err := st.Canary(ctx); err != nil || rec.CheckID != first.CanaryID {
			t.Errorf("stored canary = %+v, %v; want the one stored first, %s", rec, err, first.CanaryID)
		}
	})
}
