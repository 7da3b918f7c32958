package project

import (
	"crypto/rand"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/sqlite"
	"github.com/overduehq/overdue/internal/store/storetest"
)

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func open(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "overdue.db"), store.Options{Box: storetest.Box(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.CreateProject(t.Context(), &check.Project{ID: "p1", Name: "Ops", Created: t0, BadgeKey: "b1"}); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestKeys(t *testing.T) {
	st := open(t)
	ctx := t.Context()
	if _, err := NewKey(ctx, st, rand.Reader, "p1", "master", false); !errors.Is(err, ErrUnknownKind) {
		t.Errorf("NewKey(master) = %v, want ErrUnknownKind", err)
	}
	if err := RevokeKey(ctx, st, "p1", check.KeyPing); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RevokeKey without a key = %v, want ErrNotFound", err)
	}
	key, err := NewKey(ctx, st, rand.Reader, "p1", check.KeyPing, false)
	if err != nil || len(key) != 22 {
		t.Fatalf("NewKey(ping) = %q, %v", key, err)
	}
	if p, err := st.ProjectByPingKey(ctx, check.HashKey(key)); err != nil || p.ID != "p1" {
		t.Fatalf("the new ping key finds %v, %v", p, err)
	}
	var ke *KeyExistsError
	if _, err := NewKey(ctx, st, rand.Reader, "p1", check.KeyPing, false); !errors.As(err, &ke) || ke.Kind != check.KeyPing {
		t.Errorf("NewKey over a key = %v, want a KeyExistsError", err)
	}
	rotated, err := NewKey(ctx, st, rand.Reader, "p1", check.KeyPing, true)
	if err != nil || rotated == key {
		t.Fatalf("rotate = %q, %v", rotated, err)
	}
	if _, err := st.ProjectByPingKey(ctx, check.HashKey(key)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the rotated-out key still finds the project: %v", err)
	}
	if err := RevokeKey(ctx, st, "p1", check.KeyPing); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ProjectByPingKey(ctx, check.HashKey(rotated)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the revoked key still finds the project: %v", err)
	}
	if _, err := NewKey(ctx, st, rand.Reader, "nope", check.KeyReadOnly, false); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("NewKey of a missing project = %v, want ErrNotFound", err)
	}
}

func TestDelete(t *testing.T) {
	st := open(t)
	ctx := t.Context()
	c := check.New("11111111-1111-4111-8111-111111111111", "p1", t0)
	if err := st.CreateCheck(ctx, c); err != nil {
		t.Fatal(err)
	}
	ch := &check.Channel{ID: "22222222-2222-4222-8222-222222222222", ProjectID: "p1", Kind: check.ChannelWebhook,
		Name: "hook", Value: "https://example.org/h", Created: t0}
	if err := st.CreateChannel(ctx, ch); err != nil {
		t.Fatal(err)
	}
	var ne *NotEmptyError
	if err := Delete(ctx, st, "p1", false); !errors.As(err, &ne) || ne.Checks != 1 || ne.Channels != 1 {
		t.Fatalf("Delete without force = %v, want NotEmptyError{1, 1}", err)
	}
	if _, err := st.Check(ctx, c.ID); err != nil {
		t.Fatalf("the refused delete removed the check: %v", err)
	}
	if err := Delete(ctx, st, "p1", true); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Project(ctx, "p1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("project after delete: %v", err)
	}
	if _, err := st.Check(ctx, c.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("check after delete: %v", err)
	}
	if err := Delete(ctx, st, "p1", true); err != nil {
		t.Errorf("deleting a deleted project = %v, want nil", err)
	}
}
