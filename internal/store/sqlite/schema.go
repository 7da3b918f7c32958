package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/overduehq/overdue/internal/schema"
)

// SchemaVersion is the data-model version this store writes: schema.Current.
const SchemaVersion = schema.Current

// VersionError is schema.VersionError: data this build can never use, too new or too old.
// Open and Migrator return it having written nothing.
type VersionError = schema.VersionError

// baseline creates data-model version 1, the first schema. It is frozen: a database created
// today runs it and then every migration's step, exactly as an old database is migrated, so the
// two cannot differ (testdata/v1.sql and TestFreshEqualsMigrated hold it to that). Change the
// data model by adding a migration, never by editing these statements.
//
// Instants are integer microseconds since the Unix epoch in UTC, NULL for the zero time: integers
// sort and compare in indexes without parsing, and microseconds are what Healthchecks keeps.
// Durations are integer nanoseconds, exactly time.Duration. Empty key hashes are NULL so that
// the unique indexes allow any number of projects without, say, a read-only key.
var baseline = []string{
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

// metaTable records the data's minimum reader and its migration history, one row per version
// reached: the minimum reader of the data is the largest recorded (it never falls), and the
// data version itself is PRAGMA user_version. Builds before version 2 did not have it.
const metaTable = `CREATE TABLE IF NOT EXISTS schema_meta (
	version    INTEGER PRIMARY KEY,
	min_reader INTEGER NOT NULL,
	build      TEXT NOT NULL,
	applied_at INTEGER NOT NULL
) STRICT`

// queryer is what reading the version needs: a *sql.DB, *sql.Conn or *sql.Tx.
type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// stored is what a database records about its data model.
type stored struct {
	schema.Version
	meta bool // the schema_meta table exists
}

// readVersion reads the data-model version, the minimum reader, and how many tables the
// database has, which tells an empty database (version 0, no tables) from one that is not ours
// (version 0, tables). A database without schema_meta (version 1, or one stamped by hand) gets
// its own version as minimum reader: without a record, only builds of that version are known to
// read it.
func readVersion(ctx context.Context, q queryer) (v stored, tables int, err error) {
	if err := q.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v.Version.Version); err != nil {
		return v, 0, fmt.Errorf("read user_version: %w", err)
	}
	err = q.QueryRowContext(ctx,
		`SELECT count(*), count(*) FILTER (WHERE name = 'schema_meta')
		FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\'`,
	).Scan(&tables, &v.meta)
	if err != nil {
		return v, 0, fmt.Errorf("count tables: %w", err)
	}
	if v.Version.Version == 0 {
		return v, tables, nil
	}
	v.MinReader = v.Version.Version
	if v.meta {
		var r sql.NullInt64
		if err := q.QueryRowContext(ctx, `SELECT max(min_reader) FROM schema_meta`).Scan(&r); err != nil {
			return v, 0, fmt.Errorf("read min_reader: %w", err)
		}
		if r.Valid {
			v.MinReader = int(r.Int64)
		}
	}
	return v, tables, nil
}

// guardVersion reads the data-model version and the minimum reader in one statement, for
// guardWrite; and the connection's data_version, which moves when another connection (another
// process: this one writes only through its one write connection) commits, for the committer's
// cache (group.go). schema_meta exists in every database Open accepts (version 2 on).
const guardVersion = `SELECT user_version, (SELECT max(min_reader) FROM schema_meta),
	(SELECT data_version FROM pragma_data_version) FROM pragma_user_version`

// guardWrite is the write guard: inside tx, which holds the write lock (BEGIN IMMEDIATE), so
// no other process can change the version before tx ends, it reads the version and the
// minimum reader and refuses with schema.Ready's error (a *VersionError when a newer build
// raised the minimum reader past this one) unless this build may write the data as it is. It
// costs one prepared statement reading the header and the few rows of schema_meta, a few
// microseconds beside a ping's write. It returns the connection's data_version.
func (s *Store) guardWrite(ctx context.Context, tx *sql.Tx) (int64, error) {
	v, dataVersion, err := s.txGuard(ctx, tx)
	if err != nil {
		return 0, err
	}
	return dataVersion, schema.Ready(v, schema.This())
}

// txVersion is the data-model version as tx sees it: inside a write transaction, what every
// other writer sees until it commits.
func (s *Store) txVersion(ctx context.Context, tx *sql.Tx) (schema.Version, error) {
	v, _, err := s.txGuard(ctx, tx)
	return v, err
}

// txGuard reads guardVersion in tx.
func (s *Store) txGuard(ctx context.Context, tx *sql.Tx) (schema.Version, int64, error) {
	var version, minReader sql.NullInt64
	var dataVersion int64
	if err := tx.StmtContext(ctx, s.u.guard).QueryRowContext(ctx).Scan(&version, &minReader, &dataVersion); err != nil {
		return schema.Version{}, 0, fmt.Errorf("read the data model version: %w", err)
	}
	v := schema.Version{Version: int(version.Int64), MinReader: int(version.Int64)}
	if minReader.Valid {
		v.MinReader = int(minReader.Int64)
	}
	return v, dataVersion, nil
}

// decide is schema.Check for this build plus what only SQLite can tell: a database with tables
// and no version was not made by Overdue, and one this build should be able to read that lacks
// schema_meta has been damaged.
func decide(v stored, tables int) (schema.Decision, error) {
	if v.Version == (schema.Version{}) && tables > 0 {
		return schema.Refuse, fmt.Errorf("database has %d tables but no data model version: "+
			"it was not created by Overdue; refusing to use it", tables)
	}
	d, err := schema.Check(v.Version, schema.This())
	if err != nil {
		return d, err
	}
	if !v.meta && v.Version.Version >= 2 {
		return schema.Refuse, fmt.Errorf("database records data model version %d but has no schema_meta table: "+
			"it is damaged or was not created by Overdue; restore a backup", v.Version.Version)
	}
	return d, nil
}

// checkVersion says whether Open may use a database as it is: an empty one (it creates it), one
// at this build's version or a newer one this build can read, or one that lacks only this
// build's contract steps (schema.Build.AwaitsContract). Other older data is a
// *schema.PendingError: Open never migrates; Migrator does, after a backup.
func checkVersion(v stored, tables int) error {
	d, err := decide(v, tables)
	if err != nil {
		return err
	}
	if d == schema.Migrate && !schema.This().AwaitsContract(v.Version.Version) {
		return &schema.PendingError{Data: v.Version, Current: schema.Current}
	}
	return nil
}

// initSchema is Open's half of creating a database: it checks the version again inside a write
// transaction (another process may have written since the read-only probe) and creates an
// empty database at this build's version. Open has no build name or clock of its own, so its
// history entry has an empty build and the wall-clock time; the CLI creates databases through
// Migrator first, which records both.
func initSchema(ctx context.Context, db *sql.DB) error {
	return createSchema(ctx, db, "", time.Now().UTC())
}

// createSchema creates an empty database at this build's version, in one transaction so that
// a database is either empty or complete. A database that is not empty is left alone if this
// build may use it, and refused otherwise.
func createSchema(ctx context.Context, db *sql.DB, build string, now time.Time) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()

	v, tables, err := readVersion(ctx, tx)
	if err != nil {
		return err
	}
	if err := checkVersion(v, tables); err != nil {
		return err
	}
	if v.Version != (schema.Version{}) {
		return nil
	}
	b := schema.This()
	for _, stmt := range baseline {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("create schema: %w", err)
		}
	}
	// The same steps an old database goes through, so that created and migrated databases are
	// the same; on empty tables the backfills cost nothing.
	for _, m := range b.Pending(1) {
		step, ok := stepFor(m.Version, nil) // no channels to seal yet
		if !ok {
			return fmt.Errorf("create schema: no SQLite step for data model version %d", m.Version)
		}
		if err := step(ctx, tx); err != nil {
			return fmt.Errorf("create schema: version %d: %w", m.Version, err)
		}
	}
	if err := record(ctx, tx, b.Current, b.MinReader(), build, now); err != nil {
		return fmt.Errorf("create schema: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// record notes, in tx, that the data reached version with minReader: a history row in
// schema_meta (kept if one exists: the first to reach a version is its history) and
// user_version.
func record(ctx context.Context, tx *sql.Tx, version, minReader int, build string, now time.Time) error {
	if _, err := tx.ExecContext(ctx, metaTable); err != nil {
		return fmt.Errorf("create schema_meta: %w", err)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO schema_meta (version, min_reader, build, applied_at)
		VALUES (?, ?, ?, ?) ON CONFLICT (version) DO NOTHING`, version, minReader, build, now.UnixMicro())
	if err != nil {
		return fmt.Errorf("record version %d: %w", version, err)
	}
	// PRAGMA takes no parameters; the value is a version number from package schema.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, version)); err != nil {
		return fmt.Errorf("set user_version: %w", err)
	}
	return nil
}
