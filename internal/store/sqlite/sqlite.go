// Package sqlite is the embedded store behind `overdue serve`: one SQLite database file, reached
// through the pure-Go driver modernc.org/sqlite, so the binary needs no cgo.
//
// Locking. SQLite allows one writer at a time, and a writer that meets another inside SQLite
// waits on a busy timeout and can still fail with SQLITE_BUSY, notably when a deferred
// transaction tries to upgrade its read lock. This store avoids that: every write goes through a
// pool of exactly one connection, and every write transaction starts with BEGIN IMMEDIATE, so
// writers queue in Go for that connection and hold the write lock from their first statement.
// Check updates (every ping) go through one committer goroutine that applies the updates
// waiting together in one transaction (group commit, group.go).
// Reads use a separate pool and, in WAL mode, never wait for the writer. The busy timeout is
// only for other processes opening the same file.
//
// Precision. Instants are stored as microseconds since the epoch and come back in UTC, truncated
// to the microsecond; durations are stored exactly.
//
// Data-model version. The version lives in PRAGMA user_version. Open reads it through a
// read-only connection before anything can write, and refuses data newer than SchemaVersion
// with a *VersionError, leaving the database file byte for byte as it was. Every write reads
// it again, with the minimum reader, inside its transaction and before its first change
// (guardWrite): a newer build's `overdue migrate up` on the same file while this process runs
// makes the next write fail with the refusal and change nothing, and once the data fits again
// the next write goes through. (Reading a database
// in WAL mode needs its -wal and -shm files; SQLite creates them, empty, if they are missing, and
// Open leaves them: another process may be using them.)
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/overduehq/overdue/internal/store"
)

// Store is the SQLite implementation of store.Store. It is safe for concurrent use.
type Store struct {
	w    *sql.DB // one connection; every transaction on it is BEGIN IMMEDIATE
	r    *sql.DB // read-only connections
	u    *updateStmts
	cm   *committer    // group commit of UpdateCheck (group.go)
	ck   *checkpointer // checkpoints off the committer (checkpoint.go)
	opts store.Options

	commits atomic.Uint64 // write transactions committed, for the checkpointer

	// others counts the write transactions begun outside the committer. The committer's cache
	// of checks (group.go) is good only while it has not moved.
	others atomic.Uint64
}

var _ store.Store = (*Store)(nil)

// busyTimeout is how long a connection waits for a lock held by another process, in milliseconds.
const busyTimeout = 10000

// Open opens the database file at path, creating it and its directory if missing, and creates
// the tables of an empty database. It refuses, with a *VersionError and without writing, a
// database whose data model is newer than SchemaVersion.
func Open(path string, opts store.Options) (*Store, error) {
	ctx := context.Background()
	if path == "" || path == ":memory:" {
		// Two pools on an in-memory database would be two separate databases.
		return nil, fmt.Errorf("open %q: the SQLite store needs a database file", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := probeVersion(ctx, abs); err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o750); err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}

	// The journal mode is not in the DSN: it is a persistent change to the file, and it must not
	// happen before initSchema has checked the version under the write lock.
	w, err := sql.Open("sqlite", dsn(abs, url.Values{
		"_pragma": {fmt.Sprintf("busy_timeout(%d)", busyTimeout), "foreign_keys(1)", "synchronous(NORMAL)",
			fmt.Sprintf("wal_autocheckpoint(%d)", walSafetyNet)},
		"_txlock": {"immediate"},
	}))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	if err := initSchema(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// WAL lets readers run while a write is in progress; with it, synchronous=NORMAL is safe
	// against corruption and may lose only the last transactions on power loss.
	var mode string
	if err := w.QueryRowContext(ctx, `PRAGMA journal_mode = WAL`).Scan(&mode); err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: set WAL mode: %w", path, err)
	}
	if mode != "wal" {
		w.Close()
		return nil, fmt.Errorf("open %s: set WAL mode: journal mode is %q", path, mode)
	}

	u, err := prepareUpdate(ctx, w)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}

	r, err := sql.Open("sqlite", dsn(abs, url.Values{
		"_pragma":     {fmt.Sprintf("busy_timeout(%d)", busyTimeout)},
		"_query_only": {"1"},
	}))
	if err != nil {
		u.close()
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	r.SetMaxOpenConns(max(4, runtime.GOMAXPROCS(0)))
	// The checkpointer's connection syncs as the writer's does: its checkpoints fsync the WAL
	// before they copy it, and the database before the WAL may start over.
	ck, err := sql.Open("sqlite", dsn(abs, url.Values{
		"_pragma": {fmt.Sprintf("busy_timeout(%d)", busyTimeout), "synchronous(NORMAL)"},
	}))
	if err != nil {
		r.Close()
		u.close()
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	ck.SetMaxOpenConns(1)
	s := &Store{w: w, r: r, u: u, cm: newCommitter(), ck: newCheckpointer(ck), opts: opts.WithDefaults()}
	go s.run()
	go s.runCheckpoints()
	return s, nil
}

// probeVersion reads the version of an existing database through a read-only connection, so
// that data this build must refuse is refused before anything, not even the journal mode,
// is written.
func probeVersion(ctx context.Context, path string) error {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	db, err := sql.Open("sqlite", dsn(path, url.Values{
		"mode":    {"ro"},
		"_pragma": {fmt.Sprintf("busy_timeout(%d)", busyTimeout)},
	}))
	if err != nil {
		return err
	}
	defer db.Close()
	version, tables, err := readVersion(ctx, db)
	if err != nil {
		return err
	}
	return checkVersion(version, tables)
}

// dsn makes a file: URI, so that SQLite itself sees URI parameters like mode=ro and a path with
// '?' or '#' in it survives.
func dsn(path string, params url.Values) string {
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path), RawQuery: params.Encode()}
	return u.String()
}

// Close stops the committer, after it has answered the updates it took, and the checkpointer,
// and closes the connection pools. The last connection to close checkpoints the WAL into the
// database file. Updates after Close fail.
func (s *Store) Close() error {
	s.cm.stop()
	s.ck.stop()
	return errors.Join(s.r.Close(), s.ck.db.Close(), s.u.close(), s.w.Close())
}

// dbErr translates driver errors into the store's: no rows is store.ErrNotFound, a taken unique
// value is store.ErrConflict, a missing parent row (foreign key) is store.ErrNotFound. Both the
// store error and the driver's stay visible to errors.Is and errors.As.
func dbErr(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %w", store.ErrConflict, err)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("%w: %w", store.ErrNotFound, err)
		}
	}
	return err
}

// write runs fn in a write transaction (BEGIN IMMEDIATE on the one write connection) and
// commits if fn returns nil. Every write of the store but the committer's (writeBatch, the
// same steps) goes through it, and it runs fn only if this build may still write the data
// (guardWrite): another process (`overdue migrate up` of a newer build) may have raised the
// minimum reader since Open.
//
// A write that is not the committer's may change checks, their channels, pings or flips behind
// the committer's cache: it counts itself in s.others while it holds the write connection, so
// that the committer's next transaction, which can only begin once this one has ended, sees
// the count moved and forgets what it knew.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	s.others.Add(1)
	if _, err := s.guardWrite(ctx, tx); err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", dbErr(err))
	}
	s.committed()
	return nil
}
