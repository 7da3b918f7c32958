package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/overduehq/overdue/internal/schema"
	"github.com/overduehq/overdue/internal/store"
)

// Probe (store.Store) changes the newest row of schema_meta and changes it back, in one write
// transaction like every other write: the row's page is journaled and the commit appends it to
// the WAL, so a read-only file or file system, a full disk or a lock held elsewhere fails the
// probe as it would fail a ping, while no reader ever sees a value change. (Writing the values a
// row already has would not do: SQLite skips an update that leaves the record's bytes as they
// were, and the commit then writes nothing.) The row exists in every database Open accepts
// (version 2 and later have schema_meta and record the version they reached), so the probe needs
// no table of its own and no change to the data model.
func (s *Store) Probe(ctx context.Context) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		for _, step := range []string{"+", "-"} {
			res, err := tx.ExecContext(ctx, `UPDATE schema_meta SET applied_at = applied_at `+step+` 1
				WHERE version = (SELECT max(version) FROM schema_meta)`)
			if err != nil {
				return err
			}
			if err := mustAffect(res); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return &store.HealthError{Reason: probeReason(err), Err: fmt.Errorf("probe write: %w", err)}
	}
	return nil
}

// probeReason says in a few words why a probe failed, naming no path: what Probe's HealthError
// shows to anyone who asks.
func probeReason(err error) string {
	var se *sqlite.Error
	switch {
	case schema.Refused(err) != nil:
		return schema.Refused(err).Error()
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return "the database did not answer in time"
	case errors.Is(err, store.ErrNotFound):
		return "the database has no data model record (schema_meta is empty): it is damaged; restore a backup"
	case errors.As(err, &se):
		switch se.Code() & 0xff { // the primary result code
		case sqlite3.SQLITE_READONLY:
			return "the database is read-only: check the permissions of its file and directory, " +
				"and that its file system is mounted read-write"
		case sqlite3.SQLITE_FULL:
			return "the disk holding the database is full"
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return "the database is locked by another process"
		case sqlite3.SQLITE_IOERR:
			return "the database file cannot be written (I/O error)"
		case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
			return "the database file is damaged; restore a backup"
		case sqlite3.SQLITE_CANTOPEN:
			return "the database file cannot be opened"
		}
	}
	return "the database cannot be written"
}
