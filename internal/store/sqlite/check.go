package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

var (
	// checkInsert gives the new check the next integer key (data model version 21): the
	// largest, read from the checks_seq index, plus one.
	checkInsert = `INSERT INTO checks (` + columns(checkColumns) + `, seq) VALUES (` +
		placeholders(len(checkColumns)) + `, (SELECT coalesce(max(seq), 0) + 1 FROM checks))`
	checkLoad = checkSelect + ` WHERE id = ?`
	// checkLoadSeq is checkLoad with the check's integer key after the channels: the committer
	// writes and trims the check's pings by it.
	checkLoadSeq = `SELECT ` + columns(checkColumns) + `, ` + checkChannels + `, seq FROM checks WHERE id = ?`
	// checkByBadgeKey reads the checks_badge_key index (data model version 3).
	checkByBadgeKey = checkSelect + ` WHERE badge_key = ? ORDER BY created, rowid LIMIT 1`
	// checkUpdate sets every column but the first, id, which is the last argument.
	checkUpdate = `UPDATE checks SET ` + assignments(checkColumns[1:]) + ` WHERE id = ?`
)

const (
	flipInsert = `INSERT INTO flips (check_id, created, processed, old_status, new_status, reason, note)
		VALUES (?, ?, ?, ?, ?, ?, ?)`
	// flipsExpire leaves unprocessed flips however old they are: they are the notifier's outbox,
	// and only the notifier decides that one is not worth delivering.
	flipsExpire = `DELETE FROM flips WHERE check_id = ? AND created < ? AND processed IS NOT NULL`
	// flipsOldest is the creation time of the oldest flip flipsExpire could delete: it walks the
	// check's flips_check entries from the oldest to the first processed one.
	flipsOldest = `SELECT created FROM flips WHERE check_id = ? AND processed IS NOT NULL
		ORDER BY created LIMIT 1`
)

// rowsPerStmt are the sizes of the multi-row forms of the ping insert and the history trim
// (insertPings, trimPings): a batch writes its pings, and trims its checks' histories, in as
// few statements as these add up to (13 pings: 8, 4 and 1), one statement per ping or per
// check costing a few microseconds of driver work besides SQLite's.
var rowsPerStmt = [...]int{1, 2, 4, 8, 16}

// pingsInsert inserts n pings.
func pingsInsert(n int) string {
	values := "(" + placeholders(len(pingColumns)) + ")"
	return `INSERT INTO check_pings (` + columns(pingColumns) + `) VALUES ` +
		strings.TrimSuffix(strings.Repeat(values+", ", n), ", ")
}

// stateUpdateMany sets only the columns a ping or a flip changes, of n checks: the arguments of
// each are its state columns and then its ID. SQLite rewrites the entries of every index on a
// column an UPDATE sets, whether or not its value changed: the full checkUpdate rewrote four
// index entries of each pinged check for nothing; this rewrites only checks_due's. One
// statement for the checks of a batch, instead of one each, saves the driver's work per
// statement; SQLite reads the VALUES rows and finds each check by its primary key.
func stateUpdateMany(n int) string {
	set := make([]string, len(stateColumns))
	for i, c := range stateColumns {
		set[i] = fmt.Sprintf("%s = v.column%d", c, i+1)
	}
	values := "(" + placeholders(len(stateColumns)+1) + ")"
	return `UPDATE checks SET ` + strings.Join(set, ", ") + ` FROM (VALUES ` +
		strings.TrimSuffix(strings.Repeat(values+", ", n), ", ") +
		fmt.Sprintf(`) AS v WHERE checks.id = v.column%d`, len(stateColumns)+1)
}

// pingsTrimMany deletes the pings of n checks numbered up to a given number: arguments in
// pairs, the check's integer key and the highest number to delete (pingTrim). It starts at the
// oldest entry of each check's index and stops at the first one kept. SQLite runs each term of
// the OR as its own search of the primary key.
func pingsTrimMany(n int) string {
	return `DELETE FROM check_pings WHERE ` +
		strings.TrimSuffix(strings.Repeat("(check_seq = ? AND n <= ?) OR ", n), " OR ")
}

// updateStmts are UpdateCheck's statements and the write guard's, prepared once on the write
// connection: parsing them anew took a third of the time of a ping.
type updateStmts struct {
	guard, load, update, insertFlip, expireFlips, pruneDeliveries *sql.Stmt

	flipsFloor, deliveriesFloor *sql.Stmt // the oldest row expireFlips and pruneDeliveries could delete

	// insertPings[i] inserts rowsPerStmt[i] pings; trimPings[i] trims rowsPerStmt[i] checks;
	// updateStates[i] writes the state of rowsPerStmt[i] checks.
	insertPings, trimPings, updateStates [len(rowsPerStmt)]*sql.Stmt
}

func (u *updateStmts) all() []**sql.Stmt {
	all := []**sql.Stmt{&u.guard, &u.load, &u.update, &u.insertFlip, &u.expireFlips,
		&u.pruneDeliveries, &u.flipsFloor, &u.deliveriesFloor}
	for i := range rowsPerStmt {
		all = append(all, &u.insertPings[i], &u.trimPings[i], &u.updateStates[i])
	}
	return all
}

func prepareUpdate(ctx context.Context, db *sql.DB) (*updateStmts, error) {
	var u updateStmts
	queries := []string{guardVersion, checkLoadSeq, checkUpdate, flipInsert, flipsExpire,
		deliveriesPrune, flipsOldest, deliveriesOldest}
	for _, n := range rowsPerStmt {
		queries = append(queries, pingsInsert(n), pingsTrimMany(n), stateUpdateMany(n))
	}
	for i, stmt := range u.all() {
		var err error
		if *stmt, err = db.PrepareContext(ctx, queries[i]); err != nil {
			u.close()
			return nil, fmt.Errorf("prepare %q: %w", queries[i], err)
		}
	}
	return &u, nil
}

func (u *updateStmts) close() error {
	var errs []error
	for _, stmt := range u.all() {
		if *stmt != nil {
			errs = append(errs, (*stmt).Close())
		}
	}
	return errors.Join(errs...)
}

// CreateCheck stores a new check with its channel list. It is store.ErrConflict if the ID is
// taken and store.ErrNotFound if the project does not exist.
func (s *Store) CreateCheck(ctx context.Context, c *check.Check) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, checkInsert, checkToRow(c).fields()...); err != nil {
			return dbErr(err)
		}
		return insertChannels(ctx, tx, c.ID, c.Channels)
	})
	if err != nil {
		return fmt.Errorf("create check %s: %w", c.ID, err)
	}
	return nil
}

// Check loads a check by ID.
func (s *Store) Check(ctx context.Context, id string) (*check.Check, error) {
	c, err := scanCheck(s.r.QueryRowContext(ctx, checkLoad, id))
	if err != nil {
		return nil, fmt.Errorf("load check %s: %w", id, dbErr(err))
	}
	return c, nil
}

// Checks lists a project's checks, oldest first.
func (s *Store) Checks(ctx context.Context, projectID string) ([]*check.Check, error) {
	rows, err := s.r.QueryContext(ctx, checkSelect+` WHERE project_id = ? ORDER BY created, rowid`, projectID)
	if err != nil {
		return nil, fmt.Errorf("list checks of project %s: %w", projectID, err)
	}
	out, err := scanChecks(rows)
	if err != nil {
		return nil, fmt.Errorf("list checks of project %s: %w", projectID, err)
	}
	return out, nil
}

// ChecksBySlug lists a project's checks with exactly this slug, oldest first.
func (s *Store) ChecksBySlug(ctx context.Context, projectID, slug string) ([]*check.Check, error) {
	rows, err := s.r.QueryContext(ctx,
		checkSelect+` WHERE project_id = ? AND slug = ? ORDER BY created, rowid`, projectID, slug)
	if err != nil {
		return nil, fmt.Errorf("find checks of project %s by slug %q: %w", projectID, slug, err)
	}
	out, err := scanChecks(rows)
	if err != nil {
		return nil, fmt.Errorf("find checks of project %s by slug %q: %w", projectID, slug, err)
	}
	return out, nil
}

// CheckByBadgeKey finds the check whose badge key is key, through the checks_badge_key index;
// the oldest, should two share it.
func (s *Store) CheckByBadgeKey(ctx context.Context, key string) (*check.Check, error) {
	if key == "" {
		return nil, fmt.Errorf("find check by badge key: %w", store.ErrNotFound)
	}
	c, err := scanCheck(s.r.QueryRowContext(ctx, checkByBadgeKey, key))
	if err != nil {
		return nil, fmt.Errorf("find check by badge key %q: %w", key, dbErr(err))
	}
	return c, nil
}

// UpdateCheck loads the check, calls fn, and writes the check, fn's ping and fn's flip in one
// transaction, which it shares with the other updates waiting at the same time (group commit,
// see group.go); it returns once that transaction has committed. The updates of a transaction
// are applied one after another in the order they arrived, each seeing the check as the one
// before left it, and no other writer can change the check in between; fn may run more than
// once only if another update in its transaction failed. The flip's ID is set once committed.
// After writing a ping, it deletes the check's pings numbered n_pings - PingLimit or lower
// (with pings numbered by n_pings, the newest PingLimit stay); after writing a ping or a flip,
// it deletes the check's processed flips older than FlipRetention before that ping's or flip's
// time, and a few final deliveries (of any check) last updated before then. The returned check
// is as a later load would return it.
func (s *Store) UpdateCheck(ctx context.Context, id string, fn func(c *check.Check) (store.Change, error)) (*check.Check, error) {
	u := &update{ctx: ctx, id: id, fn: fn, done: make(chan struct{})}
	s.cm.submit(u)
	if u.err != nil {
		return nil, u.err
	}
	return u.written.check(), nil
}

// UpdateDependencies is UpdateCheck in a write transaction of its own, with fn's Graph reading
// inside it: SQLite's one writer holds every other write off from the first read to the
// commit, so the graph fn reads is the graph its write joins. It does not go through group
// commit, whose batches keep checks in memory between their updates and between batches;
// updates of depends_on are rare, and wait for the batch in progress like any other write.
func (s *Store) UpdateDependencies(ctx context.Context, id string, fn func(c *check.Check, g store.Graph) (store.Change, error)) (*check.Check, error) {
	// The committer's cache may be read by apply, and is changed by the committer after its
	// commits: held off meanwhile, and emptied so that this transaction reads every check from
	// the data (this write moves s.others, so the committer's next batch starts afresh too).
	s.cm.mu.Lock()
	defer s.cm.mu.Unlock()
	s.cm.cache.forget()
	u := &update{ctx: ctx, id: id, done: make(chan struct{})}
	err := s.write(ctx, func(tx *sql.Tx) error {
		u.reset()
		load := tx.StmtContext(ctx, s.u.load)
		g := func(cid string) (*check.Check, error) {
			var seq int64
			c, err := scanCheckAnd(load.QueryRowContext(ctx, cid), &seq)
			if err != nil {
				return nil, fmt.Errorf("load check %s: %w", cid, dbErr(err))
			}
			return c, nil
		}
		u.fn = func(c *check.Check) (store.Change, error) { return fn(c, g) }
		return s.apply(ctx, tx, []*update{u}, newBatchState(&s.cm.cache))
	})
	u.finish(err)
	if u.err != nil {
		return nil, u.err
	}
	return u.written.check(), nil
}

// DeleteCheck removes a check; its channel list, pings and flips go with it (ON DELETE CASCADE).
// In the same transaction it drops the check from the depends_on of every check of its project.
func (s *Store) DeleteCheck(ctx context.Context, id string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		var projectID string
		err := tx.QueryRowContext(ctx, `DELETE FROM checks WHERE id = ? RETURNING project_id`, id).Scan(&projectID)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		return dropParent(ctx, tx, projectID, id)
	})
	if err != nil {
		return fmt.Errorf("delete check %s: %w", id, err)
	}
	return nil
}

// dropParent removes id from the depends_on of the project's checks that list it. IDs are UUIDs, so the
// LIKE finds no other check's entry by accident; the list is rewritten in Go all the same.
func dropParent(ctx context.Context, tx *sql.Tx, projectID, id string) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, depends_on FROM checks
		WHERE project_id = ? AND depends_on LIKE '%' || ? || '%'`, projectID, id)
	if err != nil {
		return fmt.Errorf("find checks depending on it: %w", err)
	}
	lists := map[string]string{}
	for rows.Next() {
		var child, deps string
		if err := rows.Scan(&child, &deps); err != nil {
			rows.Close()
			return fmt.Errorf("find checks depending on it: %w", err)
		}
		lists[child] = deps
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("find checks depending on it: %w", err)
	}
	for child, deps := range lists {
		c := &check.Check{DependsOn: splitList(deps)}
		if !c.DropParent(id) {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE checks SET depends_on = ? WHERE id = ?`, strings.Join(c.DependsOn, ","), child); err != nil {
			return fmt.Errorf("drop it from the depends_on of check %s: %w", child, err)
		}
	}
	return nil
}

// DueChecks lists checks whose AlertAfter is set and not after now, soonest first, at most
// limit. It reads only the partial index on alert_after.
func (s *Store) DueChecks(ctx context.Context, now time.Time, limit int) ([]*check.Check, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("list due checks: limit %d is not positive", limit)
	}
	// alert_after is truncated to microseconds, so "<= now" is "<= now truncated".
	rows, err := s.r.QueryContext(ctx, checkSelect+` WHERE alert_after IS NOT NULL AND alert_after <= ?
		ORDER BY alert_after, rowid LIMIT ?`, now.UnixMicro(), limit)
	if err != nil {
		return nil, fmt.Errorf("list due checks: %w", err)
	}
	out, err := scanChecks(rows)
	if err != nil {
		return nil, fmt.Errorf("list due checks: %w", err)
	}
	return out, nil
}

// Upcoming lists due-index entries with alert_after in (after, until], soonest first.
func (s *Store) Upcoming(ctx context.Context, after, until time.Time) ([]store.Due, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, alert_after FROM checks
		WHERE alert_after IS NOT NULL AND alert_after > ? AND alert_after <= ?
		ORDER BY alert_after, id`, after.UnixMicro(), until.UnixMicro())
	if err != nil {
		return nil, fmt.Errorf("list upcoming checks: %w", err)
	}
	defer rows.Close()
	var out []store.Due
	for rows.Next() {
		var d store.Due
		var at int64
		if err := rows.Scan(&d.CheckID, &at); err != nil {
			return nil, fmt.Errorf("list upcoming checks: %w", err)
		}
		d.At = time.UnixMicro(at).UTC()
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list upcoming checks: %w", err)
	}
	return out, nil
}

func insertChannels(ctx context.Context, tx *sql.Tx, checkID string, ids []string) error {
	for i, chID := range ids {
		_, err := tx.ExecContext(ctx,
			`INSERT INTO check_channels (check_id, position, channel_id) VALUES (?, ?, ?)`, checkID, i, chID)
		if err != nil {
			return fmt.Errorf("assign channel %s: %w", chID, err)
		}
	}
	return nil
}

// mustAffect is store.ErrNotFound when a statement changed no row.
func mustAffect(res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}
