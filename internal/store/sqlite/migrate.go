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
	"strings"
	"time"

	"github.com/overduehq/overdue/internal/schema"
	"github.com/overduehq/overdue/internal/seal"
)

// Migrator guards and migrates one database file, for schema.Run and `overdue migrate`. It
// implements schema.Migrator and schema.Backuper. It holds nothing open: each method opens the
// file for as long as it needs it. Reading the version never writes; a database that the
// guard refuses is left byte for byte as it was.
//
// Every migration runs in one write transaction (BEGIN IMMEDIATE) that re-reads the version
// first, so two migrators, or a migrator and a running `overdue serve`, cannot both apply a
// step: the second finds the version already reached and does nothing. A crash rolls the
// transaction back, and the next run starts the step again.
type Migrator struct {
	path string

	// Box seals the channel values that version 8 finds in clear text (migrate_seal.go).
	// Without it, that step fails, saying the server secret is needed; the others run.
	Box *seal.Box
}

var (
	_ schema.Migrator = (*Migrator)(nil)
	_ schema.Backuper = (*Migrator)(nil)
)

// NewMigrator returns a Migrator for the database file at path. It does no I/O.
func NewMigrator(path string) *Migrator {
	return &Migrator{path: path}
}

// Path is the database file.
func (m *Migrator) Path() string { return m.path }

// Version reads the data model the database records, through a read-only connection: the zero
// Version when the file does not exist or is empty. A database not created by Overdue, or one
// damaged so that its version cannot be trusted, is an error.
func (m *Migrator) Version(ctx context.Context) (schema.Version, error) {
	var v stored
	err := m.read(ctx, func(db *sql.DB) error {
		var tables int
		var err error
		if v, tables, err = readVersion(ctx, db); err != nil {
			return err
		}
		_, err = decide(v, tables)
		var ve *VersionError
		if errors.As(err, &ve) {
			// Refusing is the caller's decision (schema.Check); the version itself was read fine.
			return nil
		}
		return err
	})
	return v.Version, err
}

// History lists the migrations recorded in schema_meta, oldest first; none for a database
// without the table (version 1, or no database).
func (m *Migrator) History(ctx context.Context) ([]schema.Entry, error) {
	var out []schema.Entry
	err := m.read(ctx, func(db *sql.DB) error {
		v, _, err := readVersion(ctx, db)
		if err != nil || !v.meta {
			return err
		}
		rows, err := db.QueryContext(ctx,
			`SELECT version, min_reader, build, applied_at FROM schema_meta ORDER BY version`)
		if err != nil {
			return fmt.Errorf("read schema_meta: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var e schema.Entry
			var at int64
			if err := rows.Scan(&e.Version, &e.MinReader, &e.Build, &at); err != nil {
				return fmt.Errorf("read schema_meta: %w", err)
			}
			e.At = time.UnixMicro(at).UTC()
			out = append(out, e)
		}
		return rows.Err()
	})
	return out, err
}

// read runs fn on a read-only connection to the database; it does nothing when the file does
// not exist, so that looking never creates one.
func (m *Migrator) read(ctx context.Context, fn func(db *sql.DB) error) error {
	if _, err := os.Stat(m.path); errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	db, err := sql.Open("sqlite", dsn(m.absPath(), url.Values{
		"mode":    {"ro"},
		"_pragma": {fmt.Sprintf("busy_timeout(%d)", busyTimeout)},
	}))
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(db)
}

// write opens the database for a migration: one connection, BEGIN IMMEDIATE, and foreign keys
// off, because the SQLite recipe for changing a table (create the new one, copy, drop, rename)
// needs them off; each step ends with a foreign key check instead.
func (m *Migrator) write() (*sql.DB, error) {
	if err := os.MkdirAll(filepath.Dir(m.absPath()), 0o750); err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", dsn(m.absPath(), url.Values{
		"_pragma": {fmt.Sprintf("busy_timeout(%d)", busyTimeout), "foreign_keys(0)"},
		"_txlock": {"immediate"},
	}))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

func (m *Migrator) absPath() string {
	if abs, err := filepath.Abs(m.path); err == nil {
		return abs
	}
	return m.path
}

// Create creates the data model of an empty or missing database at schema.Current, recording
// build and now in its history. A database another process created meanwhile is left alone if
// this build can use it.
func (m *Migrator) Create(ctx context.Context, build string, now time.Time) error {
	db, err := m.write()
	if err != nil {
		return fmt.Errorf("open %s: %w", m.path, err)
	}
	defer db.Close()
	if err := createSchema(ctx, db, build, now); err != nil {
		return fmt.Errorf("create %s: %w", m.path, err)
	}
	return nil
}

// Apply runs the SQLite step of mig and records it (user_version, schema_meta) in one
// transaction. A database already at mig.Version or later is left alone; one more than a
// version behind, or one this build may not touch, is an error.
func (m *Migrator) Apply(ctx context.Context, mig schema.Migration, build string, now time.Time) error {
	step, ok := stepFor(mig.Version, m.Box)
	if !ok {
		return fmt.Errorf("no SQLite step for data model version %d", mig.Version)
	}
	db, err := m.write()
	if err != nil {
		return fmt.Errorf("open %s: %w", m.path, err)
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()

	v, tables, err := readVersion(ctx, tx)
	if err != nil {
		return err
	}
	if _, err := decide(v, tables); err != nil {
		return err
	}
	switch have := v.Version.Version; {
	case have >= mig.Version:
		return nil // applied already, by us earlier or by another process
	case have != mig.Version-1:
		return fmt.Errorf("data model version %d cannot take migration %d: apply %d first", have, mig.Version, have+1)
	}
	if err := step(ctx, tx); err != nil {
		return err
	}
	if err := record(ctx, tx, mig.Version, mig.MinReader, build, now); err != nil {
		return err
	}
	if err := foreignKeyCheck(ctx, tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// foreignKeyCheck fails if any row references a missing parent, which a step run with foreign
// keys off could otherwise leave behind.
func foreignKeyCheck(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `PRAGMA foreign_key_check`)
	if err != nil {
		return fmt.Errorf("foreign key check: %w", err)
	}
	defer rows.Close()
	if rows.Next() {
		var table, parent string
		var rowid sql.NullInt64
		var fkid int
		if err := rows.Scan(&table, &rowid, &parent, &fkid); err != nil {
			return fmt.Errorf("foreign key check: %w", err)
		}
		return fmt.Errorf("foreign key check: a row of %s (rowid %v) references a missing %s", table, rowid.Int64, parent)
	}
	return rows.Err()
}

// BackupPath is where Backup will copy the database before migrating it from version from:
// the database's name with ".bak-v<from>", and ".2", ".3"… after that if a backup of the same
// version is already there: an existing backup is never overwritten.
func (m *Migrator) BackupPath(from int) (string, error) {
	base := fmt.Sprintf("%s.bak-v%d", m.path, from)
	for i := 1; i < 1000; i++ {
		p := base
		if i > 1 {
			p = fmt.Sprintf("%s.%d", base, i)
		}
		if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
			return p, nil
		} else if err != nil {
			return "", err
		}
	}
	return "", fmt.Errorf("%s and 998 more backups exist: remove old ones", base)
}

// Backup copies the database to BackupPath(from.Version) with VACUUM INTO on a read-only
// connection: a consistent snapshot even in WAL mode with a server writing, and a compact
// file. The copy is synced to disk and checked (its version, and PRAGMA quick_check) before
// Backup returns, so a migration never starts without a usable way back.
func (m *Migrator) Backup(ctx context.Context, from schema.Version) (string, error) {
	dest, err := m.BackupPath(from.Version)
	if err != nil {
		return "", err
	}
	err = m.read(ctx, func(db *sql.DB) error {
		_, err := db.ExecContext(ctx, `VACUUM INTO ?`, dest)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("copy %s to %s: %w", m.path, dest, err)
	}
	if err := syncFile(dest); err != nil {
		return "", err
	}
	got, err := NewMigrator(dest).quickCheck(ctx)
	if err != nil {
		return "", fmt.Errorf("check backup %s: %w", dest, err)
	}
	if got != from {
		return "", fmt.Errorf("check backup %s: it records %v, want %v", dest, got, from)
	}
	return dest, nil
}

// quickCheck runs PRAGMA quick_check and reads the version.
func (m *Migrator) quickCheck(ctx context.Context) (schema.Version, error) {
	var v stored
	err := m.read(ctx, func(db *sql.DB) error {
		var res string
		if err := db.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&res); err != nil {
			return err
		}
		if res != "ok" {
			return errors.New(strings.TrimSpace(res))
		}
		var err error
		v, _, err = readVersion(ctx, db)
		return err
	})
	return v.Version, err
}

// syncFile flushes a new file and its directory entry to disk.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	// Some filesystems cannot sync a directory; the file itself is on disk.
	_ = d.Sync()
	return nil
}
