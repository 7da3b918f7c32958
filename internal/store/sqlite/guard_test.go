package sqlite

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/overduehq/overdue/internal/schema"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/deliverytest"
	"github.com/overduehq/overdue/internal/store/storetest"
)

// setVersion records v in the database at path through a connection of its own, as another
// process's `overdue migrate up` would: the history row and user_version, in one transaction.
func setVersion(t *testing.T, path string, v schema.Version) {
	t.Helper()
	db := rawDB(t, path)
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for _, stmt := range []string{
		`DELETE FROM schema_meta`,
		fmt.Sprintf(`INSERT INTO schema_meta VALUES (%d, %d, 'other-build', 0)`, v.Version, v.MinReader),
		fmt.Sprintf(`PRAGMA user_version = %d`, v.Version),
	} {
		if _, err := tx.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// TestWriteGuard: the store reads the version in every write, so another process's migration is
// seen by the very next write, and needs no settling.
func TestWriteGuard(t *testing.T) {
	storetest.RunGuard(t, func(t *testing.T) (store.Store, storetest.GuardHooks) {
		path := filepath.Join(t.TempDir(), "overdue.db")
		s, err := Open(path, store.Options{Box: testBox})
		if err != nil {
			t.Fatal(err)
		}
		return s, storetest.GuardHooks{
			SetVersion: func(t *testing.T, v schema.Version) { setVersion(t, path, v) },
			Settle:     func(*testing.T) {},
		}
	})
}

// TestWriteGuardDeliveries: the delivery records' writes are guarded like the store's.
func TestWriteGuardDeliveries(t *testing.T) {
	path := filepath.Join(t.TempDir(), "overdue.db")
	s, err := Open(path, store.Options{Box: testBox})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := t.Context()
	ds := s.Deliveries()
	setVersion(t, path, schema.Version{Version: schema.Current + 1, MinReader: schema.Current + 1})
	var ve *schema.VersionError
	d := deliverytest.Delivery(1, "p1", "ch1")
	if _, _, err := ds.Claim(ctx, d); !errors.As(err, &ve) {
		t.Errorf("Claim = %v, want a *schema.VersionError", err)
	}
	if err := ds.MarkChannelError(ctx, "p1", "ch1", "boom", true); !errors.As(err, &ve) {
		t.Errorf("MarkChannelError = %v, want a *schema.VersionError", err)
	}
	setVersion(t, path, schema.Version{Version: schema.Current, MinReader: 1})
	if claimed, _, err := ds.Claim(ctx, d); err != nil || !claimed {
		t.Errorf("Claim once the data fits = %v, %v; want claimed", claimed, err)
	}
}
