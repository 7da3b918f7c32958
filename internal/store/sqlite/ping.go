package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

var (
	// pingSelect reads pings with their check's ID: the check's row, found by ID, gives the
	// integer key the pings are stored under in check_pings (data model version 21) and
	// n_pings, which the kept window needs (keptPings).
	pingSelect = `SELECT ` + pingFrom(pingColumns)
	// pingListSelect leaves the body out but keeps its size: listings never show bodies, and a
	// hundred bodies of 10 kB would be a megabyte read for nothing. Ping loads it.
	pingListSelect = `SELECT ` + pingFrom(withoutBody(pingColumns))
	flipSelect     = `SELECT ` + columns(flipColumns) + ` FROM flips`
)

// keptPings is the condition, after pingSelect's WHERE, that leaves out what the history trim
// has yet to delete, given the PingLimit as an argument: a check keeps the pings numbered in
// (n_pings - PingLimit, n_pings], and the committer deletes the older ones in chunks
// (pingTrimChunk), so that up to pingTrimChunk - 1 of them may still be stored.
const keptPings = ` AND p.n > c.n_pings - ?`

// pingFrom is the select list of cols (pingColumns, the first read as the check's ID) and the
// join of a check with its pings.
func pingFrom(cols []string) string {
	sel := make([]string, len(cols))
	for i, c := range cols {
		switch {
		case i == 0:
			sel[i] = "c.id"
		case c == "NULL":
			sel[i] = c
		default:
			sel[i] = "p." + c
		}
	}
	return columns(sel) + ` FROM checks AS c JOIN check_pings AS p ON p.check_seq = c.seq`
}

// withoutBody is cols with the body column read as NULL.
func withoutBody(cols []string) []string {
	out := slices.Clone(cols)
	out[slices.Index(out, "body")] = "NULL"
	return out
}

// Pings lists a check's newest pings, newest first, at most limit, without their bodies but with
// their sizes.
func (s *Store) Pings(ctx context.Context, checkID string, limit int) ([]*check.Ping, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("list pings of check %s: limit %d is not positive", checkID, limit)
	}
	rows, err := s.r.QueryContext(ctx, pingListSelect+` WHERE c.id = ?`+keptPings+` ORDER BY p.n DESC LIMIT ?`,
		checkID, s.opts.PingLimit, limit)
	if err != nil {
		return nil, fmt.Errorf("list pings of check %s: %w", checkID, err)
	}
	defer rows.Close()
	var out []*check.Ping
	for rows.Next() {
		var r pingRow
		if err := rows.Scan(r.fields()...); err != nil {
			return nil, fmt.Errorf("list pings of check %s: %w", checkID, err)
		}
		out = append(out, r.ping())
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list pings of check %s: %w", checkID, err)
	}
	return out, nil
}

// Ping loads one ping of a check by its number, with its body.
func (s *Store) Ping(ctx context.Context, checkID string, n int) (*check.Ping, error) {
	var r pingRow
	err := s.r.QueryRowContext(ctx, pingSelect+` WHERE c.id = ? AND p.n = ?`+keptPings,
		checkID, n, s.opts.PingLimit).Scan(r.fields()...)
	if err != nil {
		return nil, fmt.Errorf("load ping %d of check %s: %w", n, checkID, dbErr(err))
	}
	return r.ping(), nil
}

// Flips lists a check's flips created in [q.Since, q.Until), newest first.
func (s *Store) Flips(ctx context.Context, checkID string, q store.FlipQuery) ([]*check.Flip, error) {
	query := flipSelect + ` WHERE check_id = ?`
	args := []any{checkID}
	// Stored instants are truncated to microseconds; rounding the bounds up keeps the comparisons
	// exact: a stored µs value v is >= t (or < t) exactly when v >= bound(t) (or < bound(t)).
	if !q.Since.IsZero() {
		query += ` AND created >= ?`
		args = append(args, bound(q.Since))
	}
	if !q.Until.IsZero() {
		query += ` AND created < ?`
		args = append(args, bound(q.Until))
	}
	rows, err := s.r.QueryContext(ctx, query+` ORDER BY created DESC, id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("list flips of check %s: %w", checkID, err)
	}
	out, err := scanFlips(rows)
	if err != nil {
		return nil, fmt.Errorf("list flips of check %s: %w", checkID, err)
	}
	return out, nil
}

// UnprocessedFlips lists flips not yet handed to the notifier, oldest first, at most limit. It
// reads only the partial index on unprocessed flips.
func (s *Store) UnprocessedFlips(ctx context.Context, limit int) ([]*check.Flip, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("list unprocessed flips: limit %d is not positive", limit)
	}
	rows, err := s.r.QueryContext(ctx,
		flipSelect+` WHERE processed IS NULL ORDER BY created, id LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("list unprocessed flips: %w", err)
	}
	out, err := scanFlips(rows)
	if err != nil {
		return nil, fmt.Errorf("list unprocessed flips: %w", err)
	}
	return out, nil
}

// MarkFlipProcessed sets the flip's Processed time, in the store and in f, if it is still unset,
// and reports false when another worker got there first. An unknown flip is store.ErrNotFound.
func (s *Store) MarkFlipProcessed(ctx context.Context, f *check.Flip, at time.Time) (bool, error) {
	if at.IsZero() {
		return false, fmt.Errorf("mark flip %s processed: the time is zero", f.ID)
	}
	id, err := strconv.ParseInt(f.ID, 10, 64)
	if err != nil {
		return false, fmt.Errorf("mark flip %q processed: %w", f.ID, store.ErrNotFound)
	}
	var won bool
	err = s.write(ctx, func(tx *sql.Tx) error {
		// The condition on processed is what makes two notifiers agree on one winner.
		res, err := tx.ExecContext(ctx, `UPDATE flips SET processed = ? WHERE id = ? AND processed IS NULL`,
			instant(at), id)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 1 {
			won = true
			return nil
		}
		var one int
		return dbErr(tx.QueryRowContext(ctx, `SELECT 1 FROM flips WHERE id = ?`, id).Scan(&one))
	})
	if err != nil {
		return false, fmt.Errorf("mark flip %s processed: %w", f.ID, err)
	}
	if won {
		f.Processed = fromInstant(instant(at))
	}
	return won, nil
}
