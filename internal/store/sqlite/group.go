package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// Group commit. A ping is a write, and SQLite has one writer: when every ping was its own
// transaction, the pings queued for the write connection and each paid for a whole commit
// (appending its pages to the WAL), which was most of a ping's time. Now UpdateCheck hands its
// read-modify-write to one committer goroutine, and the committer applies every update waiting
// when it is free, in the order they arrived, in one transaction, and answers each caller
// only once that transaction has committed. An update is acknowledged only after it is durable
// to the same degree as before (WAL, synchronous=NORMAL): a process killed at any moment loses
// no acknowledged ping.
//
// Within a batch, each update sees the check exactly as the updates before it in the batch left
// it (the committer keeps the check in memory between them), so the result is the one the
// updates would have had one transaction after another; only the statements are fewer: the
// check is loaded once and written once per batch, its ping history trimmed once and its old
// flips expired once. Pings and flips are inserted one by one, as they come.
//
// Nobody waits for a batch to fill: the committer takes what is waiting when it finishes the
// previous transaction, so an update on an idle store is committed at once, alone, and under
// load the batches grow with the queue. If a batch fails as a whole (a statement of one update
// fails: a taken ping number, say), the committer rolls it back and runs its updates again one
// transaction each, so that one bad update fails alone; fn may run twice, which UpdateCheck's
// contract allows.

// maxBatch bounds the updates in one transaction, so that one commit, and the wait of the first
// update in it, stays short.
const maxBatch = 256

// errClosed answers updates that arrive after Close.
var errClosed = errors.New("the store is closed")

// update is one UpdateCheck call waiting for the committer.
type update struct {
	ctx  context.Context
	id   string
	fn   func(c *check.Check) (store.Change, error)
	done chan struct{} // closed when the fields below are set

	written *check.Check
	err     error
	fnErr   bool // err came from fn, to be returned as it is
	flip    *check.Flip
	flipID  int64
}

// committer is the goroutine that owns group commit.
type committer struct {
	updates chan *update  // unbuffered: a send succeeds only when the committer takes it
	quit    chan struct{} // closed by Close
	stopped chan struct{} // closed when the committer has returned

	batches, applied atomic.Int64 // transactions run and updates taken, for CommitStats
}

// CommitStats reports how many write transactions group commit has run and how many check
// updates they carried: their ratio is the mean batch size, which benchmarks report.
func (s *Store) CommitStats() (transactions, updates int64) {
	return s.cm.batches.Load(), s.cm.applied.Load()
}

func newCommitter() *committer {
	return &committer{
		updates: make(chan *update),
		quit:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
}

// run is the committer's loop: take the first waiting update, every other one waiting, apply
// them in one transaction, answer them, again.
func (s *Store) run() {
	cm := s.cm
	defer close(cm.stopped)
	batch := make([]*update, 0, maxBatch)
	for {
		select {
		case u := <-cm.updates:
			batch = append(batch[:0], u)
		case <-cm.quit:
			return
		}
		// Let the handlers that are running reach their send first: under load that takes the
		// batch from two or three updates to six or more, for the price of one trip through
		// the scheduler; with nothing else runnable it returns at once.
		runtime.Gosched()
	gather:
		for len(batch) < maxBatch {
			select {
			case u := <-cm.updates:
				batch = append(batch, u)
			default:
				break gather
			}
		}
		s.commit(batch)
		clear(batch) // let the answered updates go
	}
}

// stop ends the committer after the batch in progress, if any, has been answered. Updates sent
// from then on fail with errClosed.
func (cm *committer) stop() {
	select {
	case <-cm.quit:
	default:
		close(cm.quit)
	}
	<-cm.stopped
}

// submit hands u to the committer and waits for its answer. Once taken, an update is always
// answered: the caller waits for the commit even if its context ends meanwhile, because its
// ping may be in the transaction already.
func (cm *committer) submit(u *update) {
	select {
	case cm.updates <- u:
		<-u.done
	case <-cm.quit:
		u.err = fmt.Errorf("update check %s: %w", u.id, errClosed)
	case <-u.ctx.Done():
		u.err = fmt.Errorf("update check %s: %w", u.id, u.ctx.Err())
	}
}

// commit applies batch in one transaction and answers every update in it.
func (s *Store) commit(batch []*update) {
	live := batch[:0:0]
	for _, u := range batch {
		if err := u.ctx.Err(); err != nil {
			u.finish(err)
			continue
		}
		live = append(live, u)
	}
	if len(live) == 0 {
		return
	}
	s.cm.batches.Add(1)
	s.cm.applied.Add(int64(len(live)))
	// The transaction is the store's, not any one caller's: a caller that goes away must not
	// roll back the others' pings.
	ctx := context.Background()
	err := s.write(ctx, func(tx *sql.Tx) error { return s.apply(ctx, tx, live) })
	if err != nil && len(live) > 1 {
		// One update's statement failed and took the others with it: each alone, to find it.
		for _, u := range live {
			u.reset()
			err := s.write(ctx, func(tx *sql.Tx) error { return s.apply(ctx, tx, []*update{u}) })
			u.finish(err)
		}
		return
	}
	for _, u := range live {
		u.finish(err)
	}
}

// reset forgets what a rolled-back apply set.
func (u *update) reset() {
	u.written, u.err, u.fnErr, u.flip, u.flipID = nil, nil, false, nil, 0
}

// finish answers u once its transaction has ended with err (nil: committed).
func (u *update) finish(err error) {
	switch {
	case u.fnErr:
	case err != nil:
		u.err, u.written = err, nil
	case u.err == nil && u.flip != nil:
		u.flip.ID = strconv.FormatInt(u.flipID, 10)
	}
	if u.err != nil && !u.fnErr {
		u.err = fmt.Errorf("update check %s: %w", u.id, u.err)
	}
	close(u.done)
}

// batchCheck is a check's state between the updates of one batch.
type batchCheck struct {
	cur      *check.Check // as a load would return it now; nil if the check does not exist
	loaded   *checkRow    // the check as stored when the batch began
	channels []string     // cur's channels as stored
	dirty    bool         // cur differs from the stored row
	trim     bool         // a ping was inserted
	expireAt time.Time    // the latest time a ping or flip was written at
}

// apply runs the updates of one batch inside tx, in order. An update whose fn fails, or whose
// check is missing, gets its error and writes nothing; the others go on. An error returned
// fails the whole transaction.
func (s *Store) apply(ctx context.Context, tx *sql.Tx, batch []*update) error {
	stmt := func(st *sql.Stmt) *sql.Stmt { return tx.StmtContext(ctx, st) }
	checks := make(map[string]*batchCheck, 4)
	var order []string // checks in the order the batch first touched them
	for _, u := range batch {
		bc := checks[u.id]
		if bc == nil {
			bc = &batchCheck{}
			c, err := scanCheck(stmt(s.u.load).QueryRowContext(ctx, u.id))
			switch {
			case errors.Is(err, sql.ErrNoRows):
			case err != nil:
				return fmt.Errorf("load check %s: %w", u.id, err)
			default:
				bc.cur, bc.channels, bc.loaded = c, c.Channels, checkToRow(c)
				if !c.RunsCurrent() {
					// Pinged by a build that did not keep runs: rebuilt from the pings, and
					// written with this batch's change.
					if err := s.rebuildRuns(ctx, tx, c); err != nil {
						return err
					}
				}
			}
			checks[u.id] = bc
			order = append(order, u.id)
		}
		if bc.cur == nil {
			u.err = store.ErrNotFound
			continue
		}

		c := checkToRow(bc.cur).check() // fn's own copy: it may fail halfway through changing it
		change, err := u.fn(c)
		if err != nil {
			u.err, u.fnErr = err, true
			continue
		}
		if c.ID != u.id || c.ProjectID != bc.cur.ProjectID {
			u.err = fmt.Errorf("fn moved the check to ID %s, project %s: IDs cannot change", c.ID, c.ProjectID)
			continue
		}
		row := checkToRow(c)
		if !slices.Equal(bc.channels, c.Channels) {
			if _, err := tx.ExecContext(ctx, `DELETE FROM check_channels WHERE check_id = ?`, u.id); err != nil {
				return err
			}
			if err := insertChannels(ctx, tx, u.id, c.Channels); err != nil {
				return err
			}
			bc.channels = slices.Clone(c.Channels)
		}
		if p := change.Ping; p != nil {
			if _, err := stmt(s.u.insertPing).ExecContext(ctx, pingToRow(u.id, p).fields()...); err != nil {
				return fmt.Errorf("insert ping %d of check %s: %w", p.N, u.id, dbErr(err))
			}
			bc.trim = true
			if p.Created.After(bc.expireAt) {
				bc.expireAt = p.Created
			}
		}
		if f := change.Flip; f != nil {
			res, err := stmt(s.u.insertFlip).ExecContext(ctx, u.id, instant(f.Created), instant(f.Processed),
				string(f.OldStatus), string(f.NewStatus), f.Reason, f.Note)
			if err != nil {
				return fmt.Errorf("insert flip of check %s: %w", u.id, dbErr(err))
			}
			if u.flipID, err = res.LastInsertId(); err != nil {
				return fmt.Errorf("insert flip of check %s: %w", u.id, err)
			}
			u.flip = f
			if f.Created.After(bc.expireAt) {
				bc.expireAt = f.Created
			}
		}
		bc.cur = row.check()
		bc.dirty = true
		u.written = row.check() // the caller's copy
	}

	// What one transaction per update would have done after each, once per check: the last
	// state of the check, the pings numbered within PingLimit of n_pings (n_pings only grows, so
	// trimming once keeps the same ones), processed flips older than the retention before the
	// latest write (the latest cut-off removes what every earlier one would have); then, once for
	// the transaction, a few final deliveries (of any check) older than the latest cut-off.
	var latest time.Time
	for _, id := range order {
		bc := checks[id]
		if !bc.dirty {
			continue
		}
		row := checkToRow(bc.cur)
		write, args := s.u.update, row.fields()[1:]
		if sameConfig(bc.loaded, row) {
			write, args = s.u.updateState, row.stateFields()
		}
		if _, err := stmt(write).ExecContext(ctx, append(args, id)...); err != nil {
			return fmt.Errorf("write check %s: %w", id, dbErr(err))
		}
		if bc.trim && bc.cur.NPings > s.opts.PingLimit {
			if _, err := stmt(s.u.trimPings).ExecContext(ctx, id, bc.cur.NPings-s.opts.PingLimit); err != nil {
				return fmt.Errorf("trim pings of check %s: %w", id, err)
			}
		}
		if !bc.expireAt.IsZero() {
			cutoff := bc.expireAt.Add(-s.opts.FlipRetention).UnixMicro()
			if _, err := stmt(s.u.expireFlips).ExecContext(ctx, id, cutoff); err != nil {
				return fmt.Errorf("delete old flips of check %s: %w", id, err)
			}
			if bc.expireAt.After(latest) {
				latest = bc.expireAt
			}
		}
	}
	if !latest.IsZero() {
		cutoff := latest.Add(-s.opts.FlipRetention).UnixMicro()
		if _, err := stmt(s.u.pruneDeliveries).ExecContext(ctx, cutoff, deliveriesPruneBatch); err != nil {
			return fmt.Errorf("delete old deliveries: %w", err)
		}
	}
	return nil
}

// rebuildRuns sets c's runs from its kept pings, read in tx (check.Check.RebuildRuns).
func (s *Store) rebuildRuns(ctx context.Context, tx *sql.Tx, c *check.Check) error {
	rows, err := tx.QueryContext(ctx, pingListSelect+` WHERE check_id = ? ORDER BY n`, c.ID)
	if err != nil {
		return fmt.Errorf("rebuild runs of check %s: %w", c.ID, err)
	}
	defer rows.Close()
	var pings []*check.Ping
	for rows.Next() {
		var r pingRow
		if err := rows.Scan(r.fields()...); err != nil {
			return fmt.Errorf("rebuild runs of check %s: %w", c.ID, err)
		}
		pings = append(pings, r.ping())
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("rebuild runs of check %s: %w", c.ID, err)
	}
	c.RebuildRuns(pings)
	return nil
}
