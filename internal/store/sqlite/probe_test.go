package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/overduehq/overdue/internal/schema"
	"github.com/overduehq/overdue/internal/store"
)

// TestProbeCommits: a probe is a real write. Another connection sees the database change
// (PRAGMA data_version moves only when another connection commits a change), and the values in
// schema_meta stay as they were.
func TestProbeCommits(t *testing.T) {
	path := filepath.Join(t.TempDir(), "overdue.db")
	s, err := Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	db := rawDB(t, path)
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	read := func(q string) string {
		t.Helper()
		var v string
		if err := conn.QueryRowContext(ctx, q).Scan(&v); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return v
	}
	const meta = `SELECT group_concat(version || ',' || min_reader || ',' || build || ',' || applied_at, ';') FROM schema_meta`
	metaBefore, dv := read(meta), read(`PRAGMA data_version`)
	for i := range 3 {
		if err := s.Probe(ctx); err != nil {
			t.Fatalf("Probe() = %v", err)
		}
		next := read(`PRAGMA data_version`)
		if next == dv {
			t.Fatalf("probe %d: data_version stayed %s: nothing was committed", i+1, dv)
		}
		dv = next
	}
	if got := read(meta); got != metaBefore {
		t.Errorf("schema_meta = %q after probing, want %q unchanged", got, metaBefore)
	}
}

// TestProbeReadOnly: with the database read-only underneath the store (the writer reopened with
// SQLite's mode=ro, which holds for root too, unlike file permissions), the probe fails with a
// reason that says so and names no path.
func TestProbeReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret-dir", "overdue.db")
	s, err := Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ro, err := sql.Open("sqlite", dsn(path, url.Values{"mode": {"ro"}, "_txlock": {"immediate"}}))
	if err != nil {
		t.Fatal(err)
	}
	ro.SetMaxOpenConns(1)
	s.u.close()
	s.w.Close()
	s.w = ro
	if s.u, err = prepareUpdate(context.Background(), ro); err != nil {
		t.Fatal(err)
	}

	err = s.Probe(context.Background())
	var he *store.HealthError
	if !errors.As(err, &he) {
		t.Fatalf("Probe() = %v (%T), want a *store.HealthError", err, err)
	}
	if !strings.HasPrefix(he.Reason, "the database is read-only") {
		t.Errorf("Reason = %q (%v), want it to say the database is read-only", he.Reason, he.Err)
	}
	if strings.Contains(he.Reason, "secret-dir") {
		t.Errorf("Reason %q names the path", he.Reason)
	}
}

// TestProbeReasons: each failure the probe can meet gets words an operator can act on.
func TestProbeReasons(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want string
	}{
		{context.DeadlineExceeded, "the database did not answer in time"},
		{fmt.Errorf("update: %w", store.ErrNotFound), "the database has no data model record"},
		{errors.New("something else"), "the database cannot be written"},
		{fmt.Errorf("write: %w", &VersionError{Data: schema.Version{Version: SchemaVersion + 1, MinReader: SchemaVersion + 1}, Current: SchemaVersion}),
			fmt.Sprintf("data model version %d is newer than this build can use", SchemaVersion+1)},
	} {
		if got := probeReason(tt.err); !strings.HasPrefix(got, tt.want) {
			t.Errorf("probeReason(%v) = %q, want it to start %q", tt.err, got, tt.want)
		}
	}
}
