package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// SchemaVersion is the data-model version this build writes and reads. It lives in the database
// as PRAGMA user_version; a database that records a newer version is refused without a write.
const SchemaVersion = 1

// VersionError is returned by Open when the database was written by a newer data model than this
// build understands. Nothing has been written to the database when it is returned.
type VersionError struct {
	Data  int // the version recorded in the database
	Build int // the newest version this build understands (SchemaVersion)
}

// Error names both versions and what the operator can do about it.
func (e *VersionError) Error() string {
	return fmt.Sprintf("data model version %d is newer than this build understands (%d): "+
		"deploy a build that understands version %d, or restore a backup", e.Data, e.Build, e.Data)
}

// schema creates data-model version 1.
//
// Instants are integer microseconds since the Unix epoch in UTC, NULL for the zero time: integers
// sort and compare in indexes without parsing, and microseconds are what Healthchecks keeps.
// Durations are integer nanoseconds, exactly time.Duration. Empty key hashes are NULL so that
// the unique indexes allow any number of projects without, say, a read-only key.
var schema = []string{
	`CREATE TABLE projects (
		id                 TEXT PRIMARY KEY,
		name               TEXT NOT NULL,
		created            INTEGER NOT NULL,
		api_key_hash       TEXT UNIQUE,
		read_only_key_hash TEXT UNIQUE,
		ping_key_hash      TEXT UNIQUE,
		badge_key          TEXT NOT NULL
	) STRICT`,

	`CREATE TABLE checks (
		id                  TEXT PRIMARY KEY,
		project_id          TEXT NOT NULL REFERENCES projects (id),
		name                TEXT NOT NULL,
		slug                TEXT NOT NULL,
		tags                TEXT NOT NULL,
		description         TEXT NOT NULL,
		created             INTEGER NOT NULL,
		kind                TEXT NOT NULL,
		timeout             INTEGER NOT NULL,
		schedule            TEXT NOT NULL,
		tz                  TEXT NOT NULL,
		grace               INTEGER NOT NULL,
		methods             TEXT NOT NULL,
		manual_resume       INTEGER NOT NULL,
		start_kw            TEXT NOT NULL,
		success_kw          TEXT NOT NULL,
		failure_kw          TEXT NOT NULL,
		filter_subject      INTEGER NOT NULL,
		filter_body         INTEGER NOT NULL,
		filter_http_body    INTEGER NOT NULL,
		filter_default_fail INTEGER NOT NULL,
		badge_key           TEXT NOT NULL,
		status              TEXT NOT NULL,
		n_pings             INTEGER NOT NULL,
		last_ping           INTEGER,
		last_start          INTEGER,
		last_start_rid      TEXT NOT NULL,
		last_duration       INTEGER NOT NULL,
		alert_after         INTEGER
	) STRICT`,
	`CREATE INDEX checks_project ON checks (project_id, created)`,
	// Slugs are not unique; created orders the checks that share one.
	`CREATE INDEX checks_slug ON checks (project_id, slug, created)`,
	// The sweep reads only this index: its size follows the checks that can go down, not all checks.
	`CREATE INDEX checks_due ON checks (alert_after) WHERE alert_after IS NOT NULL`,

	// A check's channels in the order the check lists them. channel_id has no foreign key: a
	// check may name a channel the store has not seen (the DynamoDB store cannot check either),
	// and DeleteChannel removes the rows itself.
	`CREATE TABLE check_channels (
		check_id   TEXT NOT NULL REFERENCES checks (id) ON DELETE CASCADE,
		position   INTEGER NOT NULL,
		channel_id TEXT NOT NULL,
		PRIMARY KEY (check_id, position)
	) STRICT, WITHOUT ROWID`,
	`CREATE INDEX check_channels_channel ON check_channels (channel_id)`,

	// Bodies of up to tens of kilobytes keep this a rowid table: WITHOUT ROWID suits small rows.
	`CREATE TABLE pings (
		check_id    TEXT NOT NULL REFERENCES checks (id) ON DELETE CASCADE,
		n           INTEGER NOT NULL,
		created     INTEGER NOT NULL,
		kind        TEXT NOT NULL,
		scheme      TEXT NOT NULL,
		remote_addr TEXT NOT NULL,
		method      TEXT NOT NULL,
		ua          TEXT NOT NULL,
		body        BLOB,
		exit_status INTEGER,
		rid         TEXT NOT NULL,
		PRIMARY KEY (check_id, n)
	) STRICT`,

	// AUTOINCREMENT so that a flip ID is never reused after the newest flip is deleted: the
	// notifier's delivery records are keyed by flip ID, and a reused ID would look delivered.
	`CREATE TABLE flips (
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		check_id   TEXT NOT NULL REFERENCES checks (id) ON DELETE CASCADE,
		created    INTEGER NOT NULL,
		processed  INTEGER,
		old_status TEXT NOT NULL,
		new_status TEXT NOT NULL,
		reason     TEXT NOT NULL
	) STRICT`,
	`CREATE INDEX flips_check ON flips (check_id, created)`,
	// The notifier's queue: only unprocessed flips are in it, so it stays small.
	`CREATE INDEX flips_unprocessed ON flips (created, id) WHERE processed IS NULL`,

	`CREATE TABLE channels (
		id         TEXT PRIMARY KEY,
		project_id TEXT NOT NULL REFERENCES projects (id),
		kind       TEXT NOT NULL,
		name       TEXT NOT NULL,
		value      TEXT NOT NULL,
		created    INTEGER NOT NULL,
		disabled   INTEGER NOT NULL,
		last_error TEXT NOT NULL
	) STRICT`,
	`CREATE INDEX channels_project ON channels (project_id, created)`,
}

// queryer is what reading the version needs: a *sql.DB or a *sql.Tx.
type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// readVersion reads the data-model version and how many tables the database has, which tells an
// empty database (version 0, no tables) from one that is not ours (version 0, tables).
func readVersion(ctx context.Context, q queryer) (version, tables int, err error) {
	if err := q.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
		return 0, 0, fmt.Errorf("read user_version: %w", err)
	}
	err = q.QueryRowContext(ctx,
		`SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\'`,
	).Scan(&tables)
	if err != nil {
		return 0, 0, fmt.Errorf("count tables: %w", err)
	}
	return version, tables, nil
}

// checkVersion says whether this build may use a database with the given version and number of
// tables.
func checkVersion(version, tables int) error {
	switch {
	case version > SchemaVersion:
		return &VersionError{Data: version, Build: SchemaVersion}
	case version == 0 && tables > 0:
		return fmt.Errorf("database has %d tables but no data model version: "+
			"it was not created by Overdue; refusing to use it", tables)
	case version > 0 && version < SchemaVersion:
		// Unreachable while SchemaVersion is 1; upgrades belong to internal/schema.
		return fmt.Errorf("data model version %d is older than this build's (%d) and no migration exists",
			version, SchemaVersion)
	}
	return nil
}

// initSchema checks the version again inside a write transaction (another process may have
// written since the read-only probe) and creates the tables of an empty database, setting
// user_version in the same transaction so that a database is either empty or complete.
func initSchema(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()

	version, tables, err := readVersion(ctx, tx)
	if err != nil {
		return err
	}
	if err := checkVersion(version, tables); err != nil {
		return err
	}
	if version == SchemaVersion {
		return nil
	}
	for _, stmt := range schema {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("create schema: %w", err)
		}
	}
	// PRAGMA takes no parameters; the value is our own constant.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, SchemaVersion)); err != nil {
		return fmt.Errorf("set user_version: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
