package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
)

// steps are the SQLite implementations of the migrations in package schema, by the version
// each produces. Every step runs inside the migration's transaction and is idempotent: run on
// data that already has it, or that a crash left half done, it finishes the job and changes
// nothing else. TestEveryMigrationHasAStep holds the list to schema's.
var steps = map[int]func(ctx context.Context, tx *sql.Tx) error{
	2: addPingBodySize,
	3: addBadgeKeyIndexes,
	4: addDeliveries,
	5: requirePingBodySize,
	6: addPeople,
	7: readSealedValues,
	// 8 needs the server secret: boxSteps (migrate_seal.go).
	9:  addCheckRules,
	10: addMaintenance,
	11: addSecondFactors,
	12: addStatusPages,
	13: addCheckRuns,
	14: addReports,
	15: addDependencies,
	16: addChannelTiming,
	17: addCanary,
	18: addLateNotices,
	19: dynamoDueBuckets,
	20: dynamoDueBuckets,
	21: keyPingsBySeq,
}

// dynamoDueBuckets is versions 19 (expand) and 20 (contract), steps for DynamoDB alone (its
// bucketed due index): SQLite's partial index on alert_after is exact and costs nothing per
// ping, so nothing changes. Version 20 still raises the minimum reader to 19 here too: the
// data model's versions are one line for both stores.
func dynamoDueBuckets(context.Context, *sql.Tx) error { return nil }

// addPingBodySize is version 2, an expand step: pings gain body_size, the body's length in
// bytes (0 without a body), so that a ping listing can say whether each ping has a body, which
// Healthchecks' body_url needs, without reading the bodies it leaves out.
//
// Expand, so the minimum reader stays 1: the column is nullable and nothing requires it, so a
// build that does not know it reads and writes pings as before. Such writers (a version 1 build
// after a rollback, and the ping insert of this release, which does not list the column yet)
// would leave it NULL; the trigger fills it in the same transaction, so the column stays
// complete whoever writes, and the next release can start relying on it. The contract that
// makes it NOT NULL is a later version's (docs/upgrades.md).
func addPingBodySize(ctx context.Context, tx *sql.Tx) error {
	has, err := hasColumn(ctx, tx, "pings", "body_size")
	if err != nil {
		return err
	}
	if !has { // ADD COLUMN has no IF NOT EXISTS
		if _, err := tx.ExecContext(ctx, `ALTER TABLE pings ADD COLUMN body_size INTEGER`); err != nil {
			return fmt.Errorf("add pings.body_size: %w", err)
		}
	}
	// body is a BLOB column of a STRICT table, so length() counts bytes, never characters.
	stmts := []string{
		`CREATE TRIGGER IF NOT EXISTS pings_body_size AFTER INSERT ON pings
		FOR EACH ROW WHEN NEW.body_size IS NULL
		BEGIN
			UPDATE pings SET body_size = coalesce(length(NEW.body), 0) WHERE rowid = NEW.rowid;
		END`,
		// Only rows still without a size: a second run, or one after a crash, goes on from there.
		`UPDATE pings SET body_size = coalesce(length(body), 0) WHERE body_size IS NULL`,
	}
	for _, stmt := range stmts {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("pings.body_size: %w", err)
		}
	}
	return nil
}

// addBadgeKeyIndexes is version 3, an expand step: indexes on the badge keys of projects and
// checks, so that a badge request finds its project or check by one index lookup instead of
// reading every project and every check.
//
// Expand, so the minimum reader stays 1: an index changes no row, and builds that do not know
// it read and write the tables as before while SQLite keeps it up to date for them. The
// indexes are not UNIQUE, although badge keys are random UUIDs: a unique index would make an
// insert by any build fail on a duplicate, which is the crash this versioning exists to
// prevent, and would fail this migration on data that happens to hold one.
//
// Version 3 also starts relying on pings.body_size (version 2): this release's ping insert
// writes it and the ping listing reads it. That needs no change to the data: the column and
// its trigger stay, so version 1 and 2 builds that leave it out still get it filled.
func addBadgeKeyIndexes(ctx context.Context, tx *sql.Tx) error {
	for _, stmt := range []string{
		`CREATE INDEX IF NOT EXISTS projects_badge_key ON projects (badge_key)`,
		`CREATE INDEX IF NOT EXISTS checks_badge_key ON checks (badge_key)`,
	} {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("badge key indexes: %w", err)
		}
	}
	return nil
}

// addDeliveries is version 4, an expand step: the notifier's delivery records (notify.Deliveries),
// one row per (flip, channel), get their table from a versioned migration like every other table.
// Version 3 builds created it themselves when `overdue serve` started (OpenDeliveries, with the
// same statements, IF NOT EXISTS), so on their databases the table is usually there already, and
// the step leaves it and its rows as they are. It adds one index, deliveries_final, so that the
// store can prune final deliveries older than the flips' retention (UpdateCheck) without reading
// the rest.
//
// Expand, so the minimum reader stays 1: builds that do not know the table or the index never
// read them, version 3 builds find their table where they expect it, and SQLite keeps the index
// up to date for them.
func addDeliveries(ctx context.Context, tx *sql.Tx) error {
	for _, stmt := range append(slices.Clip(deliverySchema), deliveriesFinalIndex) {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("deliveries table: %w", err)
		}
	}
	return nil
}

// requirePingBodySize is version 5, a contract step: pings.body_size becomes NOT NULL, and the
// trigger that filled it for writers that left it out goes.
//
// Contract, so the minimum reader rises to 3: version 3 and later builds write the column with
// every ping; version 1 and 2 builds leave it out, and their insert would now fail with a NOT NULL
// constraint error, the crash this versioning exists to prevent. With the minimum reader at 3 they
// never get to try: the guard refuses the data (exit status 3, 503) before they write.
//
// SQLite cannot change a column's constraints in place, so this follows its recipe for changing
// a table: create the new table, copy every row (a size still missing, which the trigger makes
// impossible, is computed on the way), drop the old table (and with it its trigger), and rename
// the new one. pings has no index of its own besides its primary key, and no table refers to it.
// It runs in the migration's transaction with foreign keys off, and Apply checks them before it
// commits. A database that already has the NOT NULL column is left alone.
func requirePingBodySize(ctx context.Context, tx *sql.Tx) error {
	var notNull bool
	err := tx.QueryRowContext(ctx, `SELECT "notnull" FROM pragma_table_info('pings') WHERE name = 'body_size'`).Scan(&notNull)
	if err != nil {
		return fmt.Errorf("inspect pings.body_size: %w", err)
	}
	if notNull {
		_, err := tx.ExecContext(ctx, `DROP TRIGGER IF EXISTS pings_body_size`)
		return err
	}
	for _, stmt := range []string{
		`CREATE TABLE pings_contracted (
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
		body_size   INTEGER NOT NULL,
		PRIMARY KEY (check_id, n)
	) STRICT`,
		`INSERT INTO pings_contracted
		SELECT check_id, n, created, kind, scheme, remote_addr, method, ua, body, exit_status, rid,
			coalesce(body_size, length(body), 0)
		FROM pings`,
		`DROP TABLE pings`,
		`ALTER TABLE pings_contracted RENAME TO pings`,
	} {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("require pings.body_size: %w", err)
		}
	}
	return nil
}

// addPeople is version 6, an expand step: the tables of accounts (package people): users,
// memberships of projects with a role, invitations, set-password links, sessions and personal
// API tokens (peopleSchema).
//
// Expand, so the minimum reader stays 3: the tables are new, and builds that do not know them
// never read or write them. The memberships and invitations refer to projects with ON DELETE
// CASCADE; no build deletes projects, so older builds cannot trip over the references.
func addPeople(ctx context.Context, tx *sql.Tx) error {
	for _, stmt := range peopleSchema {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("people tables: %w", err)
		}
	}
	return nil
}

// ruleColumns are data-model version 9 (addCheckRules): the alert rules of a check (package
// check, rules.go) and the state they keep. Frozen like the baseline: change them by a later
// migration. Every column has a default, so an older build's insert, which does not name them,
// stores a check with every rule off (Healthchecks' behaviour).
var ruleColumns = []struct{ name, decl string }{
	{"start_grace", "INTEGER NOT NULL DEFAULT 0"},
	{"max_runtime", "INTEGER NOT NULL DEFAULT 0"},
	{"min_runtime", "INTEGER NOT NULL DEFAULT 0"},
	{"failure_tolerance", "INTEGER NOT NULL DEFAULT 0"},
	{"snooze_until", "INTEGER"},
	{"fail_streak", "INTEGER NOT NULL DEFAULT 0"},
	{"held_reason", "TEXT NOT NULL DEFAULT ''"},
}

// addCheckRules is version 9, an expand step: checks gain the alert rules' columns
// (ruleColumns).
//
// Expand, so the minimum reader stays 7 (version 8's): older builds list the columns they read and write, so
// they never see these; their inserts get the defaults, and their updates set only their own
// columns, so a rule set by this build survives a check rewritten by an older one (which, while
// it runs, times the check without the rules). Columns already there are skipped, so a step cut
// short is finished by the next run.
func addCheckRules(ctx context.Context, tx *sql.Tx) error {
	for _, col := range ruleColumns {
		if err := addColumn(ctx, tx, "checks", col.name, col.decl); err != nil {
			return err
		}
	}
	return nil
}

// addMaintenance is version 10, an expand step: the maintenance windows' table (windowSchema)
// and checks.held_until, when an alert a snooze or a window holds is due (NULL: none).
//
// Expand, so the minimum reader stays 7: the table is new, and the column nullable; older
// builds never name either. An alert a version 9 build held has no held_until: it stays due at
// the end of its snooze (check.Check.NextDue).
func addMaintenance(ctx context.Context, tx *sql.Tx) error {
	for _, stmt := range windowSchema {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("maintenance windows: %w", err)
		}
	}
	has, err := hasColumn(ctx, tx, "checks", "held_until")
	if err != nil || has {
		return err
	}
	if _, err := tx.ExecContext(ctx, `ALTER TABLE checks ADD COLUMN held_until INTEGER`); err != nil {
		return fmt.Errorf("add checks.held_until: %w", err)
	}
	return nil
}

// addStatusPages is version 12, an expand step: the status pages' table (statusPageSchema),
// one row per project that saved its page.
//
// Expand, so the minimum reader stays 7: the table is new and older builds never name it; a
// project an older build deletes takes its page with it (ON DELETE CASCADE).
func addStatusPages(ctx context.Context, tx *sql.Tx) error {
	for _, stmt := range statusPageSchema {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("status pages: %w", err)
		}
	}
	return nil
}

// addCheckRuns is version 13, an expand step: checks.runs, the check's newest runs
// (check.Check.Runs, store.EncodeRuns; NULL: none), and checks.runs_n, the ping count up to which
// they are complete (0 for every check already there).
//
// Expand, so the minimum reader stays 7: older builds never name the columns; their inserts get
// the defaults, and their updates count pings without touching runs_n, so the runs of a check
// such a build pinged are behind (runs_n < n_pings), which UpdateCheck repairs from the pings.
// Nothing is backfilled here for the same reason: a check with pings and runs_n 0 is behind
// until its next write, and the checks page reads the pings of such a check meanwhile.
func addCheckRuns(ctx context.Context, tx *sql.Tx) error {
	for _, col := range []struct{ name, decl string }{
		{"runs", "BLOB"},
		{"runs_n", "INTEGER NOT NULL DEFAULT 0"},
	} {
		if err := addColumn(ctx, tx, "checks", col.name, col.decl); err != nil {
			return err
		}
	}
	return nil
}

// dependencyColumns are data-model version 15 (addDependencies): checks' dependencies, failure
// rate and flapping rules and their state, and the flips' note. Frozen like the baseline.
var dependencyColumns = []struct{ table, name, decl string }{
	{"checks", "depends_on", "TEXT NOT NULL DEFAULT ''"},
	{"checks", "rate_failures", "INTEGER NOT NULL DEFAULT 0"},
	{"checks", "rate_window", "INTEGER NOT NULL DEFAULT 0"},
	{"checks", "flap_changes", "INTEGER NOT NULL DEFAULT 0"},
	{"checks", "flap_window", "INTEGER NOT NULL DEFAULT 0"},
	{"checks", "held_parent", "TEXT NOT NULL DEFAULT ''"},
	{"checks", "held_note", "TEXT NOT NULL DEFAULT ''"},
	{"checks", "fail_times", "TEXT NOT NULL DEFAULT ''"},
	{"checks", "change_times", "TEXT NOT NULL DEFAULT ''"},
	{"checks", "flap_sent", "TEXT NOT NULL DEFAULT ''"},
	{"flips", "note", "TEXT NOT NULL DEFAULT ''"},
}

// addDependencies is version 15, an expand step: checks gain depends_on, failure_rate and
// flapping with the state they keep, and flips a note ("held: db is down").
//
// Expand, so the minimum reader stays 7, as for version 9: every column has a default (every
// rule off, no note); older builds name the columns they read and write, so their inserts get
// the defaults and their updates keep what this build set. Columns already there are skipped.
func addDependencies(ctx context.Context, tx *sql.Tx) error {
	for _, col := range dependencyColumns {
		if err := addColumn(ctx, tx, col.table, col.name, col.decl); err != nil {
			return err
		}
	}
	return nil
}

// channelTimingColumns are data-model version 16 (addChannelTiming): a channel's delay and
// repeat (check.Channel), in nanoseconds. Frozen like the baseline. Their defaults are 0, so an
// older build's insert stores a channel that alerts at once and once (Healthchecks' behaviour).
var channelTimingColumns = []struct{ name, decl string }{
	{"alert_delay", "INTEGER NOT NULL DEFAULT 0"},
	{"alert_repeat", "INTEGER NOT NULL DEFAULT 0"},
}

// addChannelTiming is version 16, an expand step: channels gain their timing columns
// (channelTimingColumns).
//
// Expand, so the minimum reader stays 7: older builds list the columns they read and write, so
// they never see these, and their updates leave them as they are; while such a build runs, it
// alerts every channel at once and once. Columns already there are skipped, so a step cut short
// is finished by the next run.
func addChannelTiming(ctx context.Context, tx *sql.Tx) error {
	for _, col := range channelTimingColumns {
		if err := addColumn(ctx, tx, "channels", col.name, col.decl); err != nil {
			return err
		}
	}
	return nil
}

// addCanary is version 17, an expand step: the table of the ingestion canary's IDs
// (canarySchema), which the first process to need the canary fills with random ones, so that
// no process derives them from the server secret. `overdue serve` adopts the canary an earlier
// build derived (sweep.AdoptCanary), so nothing is filled here.
//
// Expand, so the minimum reader stays 7: older builds never name the table, and derive the
// canary's ID as before; the canary they ping is the one adopted, as long as the secret is the
// same.
func addCanary(ctx context.Context, tx *sql.Tx) error {
	for _, stmt := range canarySchema {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("canary: %w", err)
		}
	}
	return nil
}

// lateColumns are data-model version 18 (addLateNotices): a channel's late option, a check's
// marker that its channels reach one (late_notice) and the grace start of its last late notice
// (late_for, an instant). Frozen like the baseline. Their defaults are off and none, so an older
// build's insert stores a channel without late notices and a check that is due at its deadline
// only, as before.
var lateColumns = []struct{ table, name, decl string }{
	{"channels", "alert_late", "INTEGER NOT NULL DEFAULT 0"},
	{"checks", "late_notice", "INTEGER NOT NULL DEFAULT 0"},
	{"checks", "late_for", "INTEGER"},
}

// addLateNotices is version 18, an expand step: channels gain their late option and checks the
// late-notice marker and state (lateColumns).
//
// Expand, so the minimum reader stays 7: older builds list the columns they read and write, so
// they never see these, and their updates leave them as they are. While such a build runs, its
// pings and sweeps compute alert_after without the late notice, so a check may be first due at
// its deadline (no late notice that period) and nobody gets a late notice; no alert is lost or
// doubled. Columns already there are skipped, so a step cut short is finished by the next run.
func addLateNotices(ctx context.Context, tx *sql.Tx) error {
	for _, col := range lateColumns {
		if err := addColumn(ctx, tx, col.table, col.name, col.decl); err != nil {
			return err
		}
	}
	return nil
}

// checkPings is the table of pings from data-model version 21 on (keyPingsBySeq), frozen like
// the baseline: keyed by the check's integer key and the ping's number. Bodies of up to tens of
// kilobytes keep it a rowid table (rows appended in arrival order); its primary key's index
// holds three small integers an entry (check_seq, n, rowid), where the text key's held the
// check's 36-byte ID, so that the entries of a check's kept pings fit a few hundred bytes and
// a ping's insert and its check's trim change the one index page that holds them.
const checkPings = `CREATE TABLE check_pings (
	check_seq   INTEGER NOT NULL REFERENCES checks (seq) ON DELETE CASCADE,
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
	body_size   INTEGER NOT NULL,
	PRIMARY KEY (check_seq, n)
) STRICT`

// pingsView is what builds before version 21 read and write as the table pings, frozen like
// the baseline: check_pings with the check's ID for its key, the columns in the old table's
// order, and triggers that turn their inserts and deletes (UpdateCheck's ping and trim; they
// never update a ping) into check_pings'. checks_seq_default gives a check such a build
// creates, without seq, the next key. The insert of a ping of a check that does not exist fails
// on check_seq's NOT NULL instead of the foreign key; those builds load the check first.
var pingsView = []string{
	`CREATE VIEW pings AS
	SELECT c.id AS check_id, p.n, p.created, p.kind, p.scheme, p.remote_addr, p.method, p.ua, p.body,
		p.exit_status, p.rid, p.body_size
	FROM check_pings AS p JOIN checks AS c ON c.seq = p.check_seq`,
	`CREATE TRIGGER pings_insert INSTEAD OF INSERT ON pings
	BEGIN
		INSERT INTO check_pings (check_seq, n, created, kind, scheme, remote_addr, method, ua, body,
			exit_status, rid, body_size)
		VALUES ((SELECT seq FROM checks WHERE id = NEW.check_id), NEW.n, NEW.created, NEW.kind, NEW.scheme,
			NEW.remote_addr, NEW.method, NEW.ua, NEW.body, NEW.exit_status, NEW.rid,
			coalesce(NEW.body_size, length(NEW.body), 0));
	END`,
	`CREATE TRIGGER pings_delete INSTEAD OF DELETE ON pings
	BEGIN
		DELETE FROM check_pings WHERE check_seq = (SELECT seq FROM checks WHERE id = OLD.check_id) AND n = OLD.n;
	END`,
	`CREATE TRIGGER checks_seq_default AFTER INSERT ON checks FOR EACH ROW WHEN NEW.seq IS NULL
	BEGIN
		UPDATE checks SET seq = (SELECT coalesce(max(seq), 0) + 1 FROM checks) WHERE rowid = NEW.rowid;
	END`,
}

// keyPingsBySeq is version 21, an expand step: checks gain seq, an integer unique per check
// (checks_seq), and the pings move to check_pings, keyed by (check_seq, n) instead of
// (check_id, n); pings becomes a view of them (pingsView).
//
// Why: every ping writes an entry of the pings' primary-key index, and every trim deletes one.
// With the check's 36-byte text ID in each entry, the entries of 16 busy checks filled about
// 30 index pages, so that a group-commit batch of 6 pings of 6 checks changed 7 of them, half
// the pages its commit appended to the WAL (BENCHMARKS.md §1). With an integer the entries are
// about a quarter the size.
//
// seq is filled from the rowid here, and a new check takes the largest seq plus one
// (checkInsert, or checks_seq_default for an older build's insert): a seq is never reused while
// a ping of its check exists, because deleting a check deletes its pings (ON DELETE CASCADE) in
// the same transaction. It is an explicit column, not the rowid: a rowid not aliased by
// INTEGER PRIMARY KEY may change on VACUUM. The column is nullable (ALTER TABLE cannot add a
// NOT NULL column without a default, and rewriting checks, which three tables refer to, is not
// worth it); the trigger fills it whoever inserts, and the unique index makes it a key the
// pings can refer to.
//
// Expand, so the minimum reader stays 19: builds of versions 19 and 20 read, insert and trim
// pings by check_id through the view and its triggers, as they did the table (more slowly),
// and a rollback to them needs no restore. Their trim deletes a check's pings beyond its 100
// newest at once, which is what this build's readers show anyway. A later release's contract
// step may drop the view and its triggers once no build before 21 may write.
//
// The copy follows SQLite's recipe for changing a table (as version 5 did): the new table,
// every row copied in rowid order (arrival order, so that the new rowids keep it), the old
// table dropped, in the migration's one transaction: a crash rolls it all back, and the next
// run starts again. A database that already has check_pings is left alone.
func keyPingsBySeq(ctx context.Context, tx *sql.Tx) error {
	var done bool
	err := tx.QueryRowContext(ctx, `SELECT count(*) > 0 FROM sqlite_schema WHERE type = 'table' AND name = 'check_pings'`).Scan(&done)
	if err != nil || done {
		return err
	}
	if err := addColumn(ctx, tx, "checks", "seq", "INTEGER"); err != nil {
		return err
	}
	stmts := []string{
		`UPDATE checks SET seq = rowid WHERE seq IS NULL`,
		`CREATE UNIQUE INDEX IF NOT EXISTS checks_seq ON checks (seq)`,
		checkPings,
		`INSERT INTO check_pings (check_seq, n, created, kind, scheme, remote_addr, method, ua, body,
			exit_status, rid, body_size)
		SELECT c.seq, p.n, p.created, p.kind, p.scheme, p.remote_addr, p.method, p.ua, p.body,
			p.exit_status, p.rid, p.body_size
		FROM pings AS p JOIN checks AS c ON c.id = p.check_id
		ORDER BY p.rowid`,
		`DROP TABLE pings`,
	}
	for _, stmt := range append(stmts, pingsView...) {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("key pings by check seq: %w", err)
		}
	}
	return nil
}

// addColumn adds the column name to table with its declaration decl, unless the table already
// has it, so that a step cut short is finished by the next run.
func addColumn(ctx context.Context, tx *sql.Tx, table, name, decl string) error {
	has, err := hasColumn(ctx, tx, table, name)
	if err != nil || has {
		return err
	}
	if _, err := tx.ExecContext(ctx, `ALTER TABLE `+table+` ADD COLUMN `+name+` `+decl); err != nil {
		return fmt.Errorf("add %s.%s: %w", table, name, err)
	}
	return nil
}

// hasColumn reports whether table has a column named col.
func hasColumn(ctx context.Context, q queryer, table, col string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM pragma_table_info(?) WHERE name = ?`, table, col).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("inspect %s: %w", table, err)
	}
	return n > 0, nil
}
