package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strconv"
	"sync"
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
// check is written once per batch, its ping history trimmed once and its old flips expired
// once. Flips are inserted one by one, as they come; the batch's pings after its last update,
// in arrival order, several to a statement, and so are its checks' trims and their state
// writes (a check whose configuration changed is written whole, alone). Between batches the
// committer keeps the checks it wrote (cache): a busy check is loaded once, not once per
// batch, and its flips' expiry runs only when one is old enough to go; the cache is forgotten
// as soon as any other writer, in this process or another, has committed.
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
	sent time.Time     // when submit offered it to the committer (zero in tests that call commit)

	written *checkRow // the check as written; the caller makes its own copy (UpdateCheck)
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

	mu    sync.Mutex // held by commit, which tests also call beside the goroutine
	cache cache      // under mu

	profMu sync.Mutex
	prof   CommitProfile // under profMu
}

// CommitProfile is where group commit's time has gone since Open, summed over its batches
// (transactions) and the updates they carried. The committer is one goroutine, so Idle, Gather,
// Begin, Apply, Commit and Answer add up to its wall time; Queued and Waited are the callers'.
// Benchmarks report it per batch and per update (BenchmarkPingServer), to tell a committer that
// is busy (CPU or system calls) from one that waits.
type CommitProfile struct {
	Batches, Updates int64
	// Sizes counts the batches by their number of updates: Sizes[0] of 1, Sizes[i] of 2^(i-1)+1
	// to 2^i (2, 3–4, 5–8, … 129–256).
	Sizes [9]int64

	Idle   time.Duration // waiting for the first update of a batch
	Gather time.Duration // letting the running handlers reach their send, and taking the rest
	Begin  time.Duration // BEGIN IMMEDIATE and the write guard
	Apply  time.Duration // the updates' logic and the batch's statements
	Commit time.Duration // COMMIT: writing the WAL frames, and a checkpoint when one runs
	Answer time.Duration // waking the callers

	// Commits over SlowCommit, and the longest commit.
	SlowCommits int64
	MaxCommit   time.Duration

	Queued time.Duration // over the updates: from their send until the committer took them
	Waited time.Duration // over the updates: from their send until they were answered

	// The checkpointer's runs (checkpoint.go), which no update waits for, their time, and those
	// that failed.
	Checkpoints, CheckpointErrors int64
	CheckpointTime                time.Duration
}

// SlowCommit is the commit time over which CommitProfile counts a commit as slow: a tenth of
// issue 18's p99 target.
const SlowCommit = time.Millisecond

// CommitProfile returns the committer's profile since Open.
func (s *Store) CommitProfile() CommitProfile {
	s.cm.profMu.Lock()
	defer s.cm.profMu.Unlock()
	return s.cm.prof
}

// sizeBucket is the index of CommitProfile.Sizes for a batch of n updates.
func sizeBucket(n int) int {
	i := 0
	for 1<<i < n && i < len(CommitProfile{}.Sizes)-1 {
		i++
	}
	return i
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
	var t commitTimes
	for {
		t.idle = time.Now()
		select {
		case u := <-cm.updates:
			batch = append(batch[:0], u)
		case <-cm.quit:
			return
		}
		t.gather = time.Now()
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
		t.begin = time.Now()
		s.commit(batch, &t)
		cm.record(batch, &t)
		clear(batch) // let the answered updates go
	}
}

// commitTimes are the instants at which one batch went from one phase to the next.
type commitTimes struct {
	idle, gather, begin, apply, commit, answer, end time.Time
}

// record adds the batch's phases to the profile. A batch whose updates all ended before the
// transaction (their contexts were done) ran none, and counts only its wait.
func (cm *committer) record(batch []*update, t *commitTimes) {
	cm.profMu.Lock()
	defer cm.profMu.Unlock()
	p := &cm.prof
	p.Idle += t.gather.Sub(t.idle)
	p.Gather += t.begin.Sub(t.gather)
	if t.end.IsZero() {
		return
	}
	p.Batches++
	p.Updates += int64(len(batch))
	p.Sizes[sizeBucket(len(batch))]++
	p.Begin += t.apply.Sub(t.begin)
	p.Apply += t.commit.Sub(t.apply)
	c := t.answer.Sub(t.commit)
	p.Commit += c
	if c > SlowCommit {
		p.SlowCommits++
	}
	p.MaxCommit = max(p.MaxCommit, c)
	p.Answer += t.end.Sub(t.answer)
	for _, u := range batch {
		if !u.sent.IsZero() {
			p.Queued += t.begin.Sub(u.sent)
			p.Waited += t.end.Sub(u.sent)
		}
	}
	*t = commitTimes{}
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
	u.sent = time.Now()
	select {
	case cm.updates <- u:
		<-u.done
	case <-cm.quit:
		u.err = fmt.Errorf("update check %s: %w", u.id, errClosed)
	case <-u.ctx.Done():
		u.err = fmt.Errorf("update check %s: %w", u.id, u.ctx.Err())
	}
}

// commit applies batch in one transaction and answers every update in it. It notes in t, if
// not nil, when the transaction's phases began and ended.
func (s *Store) commit(batch []*update, t *commitTimes) {
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
	s.cm.mu.Lock()
	defer s.cm.mu.Unlock()
	// The transaction is the store's, not any one caller's: a caller that goes away must not
	// roll back the others' pings.
	ctx := context.Background()
	err := s.writeBatch(ctx, live, t)
	if err != nil && len(live) > 1 {
		// One update's statement failed and took the others with it: each alone, to find it.
		for _, u := range live {
			u.reset()
			u.finish(s.writeBatch(ctx, []*update{u}, nil))
		}
	} else {
		for _, u := range live {
			u.finish(err)
		}
	}
	if t != nil {
		t.end = time.Now()
	}
}

// writeBatch applies batch in one write transaction, as write does for the store's other
// writes (BEGIN IMMEDIATE, the write guard, commit), and keeps what the committed transaction
// wrote in the cache. It does not count itself in s.others. It notes in t, if not nil, when
// it began to apply the updates, to commit and to answer.
func (s *Store) writeBatch(ctx context.Context, batch []*update, t *commitTimes) error {
	if t == nil {
		t = new(commitTimes)
	}
	mark := func(at *time.Time) { *at = time.Now() }
	cc := &s.cm.cache
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		cc.forget()
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	dataVersion, err := s.guardWrite(ctx, tx)
	if err != nil {
		cc.forget()
		return err
	}
	// This transaction holds the write connection: no write of this process can run until it
	// ends, and none of another process (BEGIN IMMEDIATE holds the file's write lock).
	cc.check(s.others.Load(), dataVersion)
	b := newBatchState(cc)
	mark(&t.apply)
	if err := s.apply(ctx, tx, batch, b); err != nil {
		cc.forget()
		return err
	}
	mark(&t.commit)
	err = tx.Commit()
	mark(&t.answer)
	if err != nil {
		cc.forget()
		return fmt.Errorf("commit: %w", dbErr(err))
	}
	s.committed()
	b.keep(cc)
	return nil
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

// cache is what the committer knows of the stored data between its transactions, so that a
// batch need not read it again: the checks it read or wrote lately, as stored, and how far back
// a check's processed flips and the final deliveries go, so that a batch runs their expiry only
// when it would delete something. It is good only for the data as the committer left it. A
// write of this process that is not the committer's (write, which counts itself in
// Store.others) or a commit of another process (which moves the write connection's
// data_version) may have changed anything in it, so the next batch forgets it all; so does a
// transaction of the committer's that fails. Every statement a batch skips thanks to it is one
// that would have read or changed nothing, so the data end as they did without it.
type cache struct {
	valid       bool
	others      uint64 // Store.others when the cache was made
	dataVersion int64  // the write connection's data_version then
	checks      map[string]*cachedCheck
	deliveries  floor // of the final deliveries' last updates
}

// floor is a lower bound known to hold for a set of instants (microseconds): none of them is
// before at. math.MaxInt64 when the set is empty.
type floor struct {
	at    int64
	known bool // at was read in a transaction the cache is good for
}

// cachedCheck is a check as stored, its integer key, and the floor of its processed flips'
// creation times.
type cachedCheck struct {
	row   *checkRow // never changed once cached: a batch that writes the check replaces it
	seq   int64
	flips floor
}

// maxCached bounds the checks the cache holds (a few hundred bytes to a few kB each): when it is
// full, one more check comes in and a random one goes out.
const maxCached = 4096

// forget drops everything: the next batch reads what it needs again.
func (cc *cache) forget() { *cc = cache{} }

// check forgets everything if anyone but the committer may have written since the cache was
// made: others and dataVersion are read in the transaction about to use the cache.
func (cc *cache) check(others uint64, dataVersion int64) {
	if cc.valid && cc.others == others && cc.dataVersion == dataVersion {
		return
	}
	*cc = cache{valid: true, others: others, dataVersion: dataVersion, checks: make(map[string]*cachedCheck)}
}

// batchCheck is a check's state between the updates of one batch.
type batchCheck struct {
	cur      *checkRow // the check as a load would return it now; nil if it does not exist
	stored   *checkRow // the check as stored when the batch began
	channels []string  // cur's channels as stored
	seq      int64     // the check's integer key, which its pings are stored under
	dirty    bool      // cur differs from the stored row
	rebuilt  bool      // cur's runs were rebuilt from the pings, though the row keeps the old ones
	trim     bool      // a ping was inserted
	expireAt time.Time // the latest time a ping or flip was written at
	flips    floor
}

// batchState is what a batch learns as it goes, kept in the cache once it has committed.
type batchState struct {
	pings      []any // the rows of the pings to insert, in arrival order
	checks     map[string]*batchCheck
	order      []string // checks in the order the batch first touched them
	deliveries floor
}

func newBatchState(cc *cache) *batchState {
	return &batchState{checks: make(map[string]*batchCheck, 4), deliveries: cc.deliveries}
}

// keep puts what the committed batch b read and wrote into the cache.
func (b *batchState) keep(cc *cache) {
	cc.deliveries = b.deliveries
	for _, id := range b.order {
		bc := b.checks[id]
		if bc.cur == nil || (bc.rebuilt && !bc.dirty) {
			delete(cc.checks, id) // missing, or stored otherwise than cur
			continue
		}
		row := bc.stored
		if bc.dirty {
			row = bc.cur
		}
		if _, ok := cc.checks[id]; !ok && len(cc.checks) >= maxCached {
			for old := range cc.checks {
				delete(cc.checks, old)
				break
			}
		}
		cc.checks[id] = &cachedCheck{row: row, seq: bc.seq, flips: bc.flips}
	}
}

// touch returns the batch's state of check id, reading it from the cache or else from tx.
func (s *Store) touch(ctx context.Context, tx *sql.Tx, b *batchState, id string) (*batchCheck, error) {
	if bc := b.checks[id]; bc != nil {
		return bc, nil
	}
	bc := &batchCheck{}
	var c *check.Check // set when the runs must be rebuilt
	if e := s.cm.cache.checks[id]; e != nil {
		bc.cur, bc.stored, bc.channels, bc.seq, bc.flips = e.row, e.row, e.row.Channels, e.seq, e.flips
		if e.row.RunsN != e.row.NPings {
			c = e.row.check()
		}
	} else {
		loaded, err := scanCheckAnd(tx.StmtContext(ctx, s.u.load).QueryRowContext(ctx, id), &bc.seq)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return nil, fmt.Errorf("load check %s: %w", id, err)
		default:
			bc.stored = checkToRow(loaded)
			bc.cur, bc.channels = bc.stored, loaded.Channels
			if !loaded.RunsCurrent() {
				c = loaded
			}
		}
	}
	if c != nil {
		// Pinged by a build that did not keep runs (or runs that do not decode): rebuilt from
		// the pings, and written with this batch's change.
		if err := s.rebuildRuns(ctx, tx, c); err != nil {
			return nil, err
		}
		bc.cur, bc.rebuilt = checkToRow(c), true
	}
	b.checks[id] = bc
	b.order = append(b.order, id)
	return bc, nil
}

// apply runs the updates of one batch inside tx, in order. An update whose fn fails, or whose
// check is missing, gets its error and writes nothing; the others go on. An error returned
// fails the whole transaction.
func (s *Store) apply(ctx context.Context, tx *sql.Tx, batch []*update, b *batchState) error {
	stmt := func(st *sql.Stmt) *sql.Stmt { return tx.StmtContext(ctx, st) }
	for _, u := range batch {
		bc, err := s.touch(ctx, tx, b, u.id)
		if err != nil {
			return err
		}
		if bc.cur == nil {
			u.err = store.ErrNotFound
			continue
		}

		c := bc.cur.check() // fn's own copy: it may fail halfway through changing it
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
		row.Channels = slices.Clone(c.Channels) // the cache's own: the caller may keep c
		if !slices.Equal(bc.channels, c.Channels) {
			if _, err := tx.ExecContext(ctx, `DELETE FROM check_channels WHERE check_id = ?`, u.id); err != nil {
				return err
			}
			if err := insertChannels(ctx, tx, u.id, c.Channels); err != nil {
				return err
			}
			bc.channels = row.Channels
		}
		if p := change.Ping; p != nil {
			// A ping numbered at or below n_pings - PingLimit (an import's history beyond the
			// kept window) is not stored: the readers would never show it, and the chunked
			// trim may still hold a leftover of that number, which it would collide with.
			// Every build before the chunked trim deleted such a ping at once.
			if p.N > int(row.NPings)-s.opts.PingLimit {
				b.pings = append(b.pings, pingToRow(bc.seq, p).values()...) // inserted after the loop
				bc.trim = true
			}
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
			if at := f.Created.UnixMicro(); !f.Processed.IsZero() && at < bc.flips.at {
				bc.flips.at = at
			}
		}
		bc.cur = row
		bc.dirty = true
		u.written = row // the cache's, never changed: UpdateCheck copies it outside the committer
	}

	// What one transaction per update would have done after each, once per check: the last
	// state of the check, the pings numbered within PingLimit of n_pings (n_pings only grows, so
	// trimming once keeps the same ones), processed flips older than the retention before the
	// latest write (the latest cut-off removes what every earlier one would have); then, once for
	// the transaction, a few final deliveries (of any check) older than the latest cut-off. The
	// expiries run only when their floor says they would delete something.
	if _, err := execRows(ctx, tx, &s.u.insertPings, b.pings, len(pingColumns)); err != nil {
		if len(batch) == 1 {
			return fmt.Errorf("insert ping of check %s: %w", batch[0].id, dbErr(err))
		}
		return fmt.Errorf("insert pings: %w", dbErr(err))
	}
	var trims []any  // pairs: check's integer key, highest number to delete
	var states []any // the state columns of each check whose configuration is as stored, then its ID
	var latest time.Time
	for _, id := range b.order {
		bc := b.checks[id]
		if !bc.dirty {
			continue
		}
		if sameConfig(bc.stored, bc.cur) {
			states = append(append(states, bc.cur.stateFields()...), id) // written below, together
		} else {
			res, err := stmt(s.u.update).ExecContext(ctx, append(bc.cur.fields()[1:], id)...)
			if err != nil {
				return fmt.Errorf("write check %s: %w", id, dbErr(err))
			}
			if err := mustAffect(res); err != nil {
				// Gone behind the cache's back, which must not happen: the batch fails, the
				// cache is forgotten, and each update runs again alone on what is stored.
				return fmt.Errorf("write check %s: %w", id, err)
			}
		}
		if cut, ok := pingTrim(int(bc.stored.NPings), int(bc.cur.NPings), s.opts.PingLimit); bc.trim && ok {
			trims = append(trims, bc.seq, cut)
		}
		if !bc.expireAt.IsZero() {
			cutoff := bc.expireAt.Add(-s.opts.FlipRetention).UnixMicro()
			err := expire(&bc.flips, cutoff,
				func() *sql.Row { return stmt(s.u.flipsFloor).QueryRowContext(ctx, id) },
				func() error { _, err := stmt(s.u.expireFlips).ExecContext(ctx, id, cutoff); return err })
			if err != nil {
				return fmt.Errorf("delete old flips of check %s: %w", id, err)
			}
			if bc.expireAt.After(latest) {
				latest = bc.expireAt
			}
		}
	}
	width := len(stateColumns) + 1
	written, err := execRows(ctx, tx, &s.u.updateStates, states, width)
	if err == nil && written != int64(len(states)/width) {
		// A check gone behind the cache's back, as above.
		err = fmt.Errorf("%d of %d rows: %w", written, len(states)/width, store.ErrNotFound)
	}
	if err != nil {
		if len(states) == width {
			return fmt.Errorf("write check %s: %w", states[width-1], dbErr(err))
		}
		return fmt.Errorf("write checks: %w", dbErr(err))
	}
	if _, err := execRows(ctx, tx, &s.u.trimPings, trims, 2); err != nil {
		return fmt.Errorf("trim pings: %w", err)
	}
	if !latest.IsZero() {
		cutoff := latest.Add(-s.opts.FlipRetention).UnixMicro()
		err := expire(&b.deliveries, cutoff,
			func() *sql.Row { return stmt(s.u.deliveriesFloor).QueryRowContext(ctx) },
			func() error {
				_, err := stmt(s.u.pruneDeliveries).ExecContext(ctx, cutoff, deliveriesPruneBatch)
				return err
			})
		if err != nil {
			return fmt.Errorf("delete old deliveries: %w", err)
		}
	}
	return nil
}

// execRows runs stmts, the forms of one statement for rowsPerStmt rows, over the rows in args
// (width arguments each), in order, in as few statements as the sizes allow, and returns the
// rows they changed.
func execRows(ctx context.Context, tx *sql.Tx, stmts *[len(rowsPerStmt)]*sql.Stmt, args []any, width int) (int64, error) {
	var changed int64
	for rows := len(args) / width; rows > 0; {
		i := len(rowsPerStmt) - 1
		for rowsPerStmt[i] > rows {
			i--
		}
		n := rowsPerStmt[i] * width
		res, err := tx.StmtContext(ctx, stmts[i]).ExecContext(ctx, args[:n]...)
		if err != nil {
			return changed, err
		}
		k, err := res.RowsAffected()
		if err != nil {
			return changed, err
		}
		changed += k
		args, rows = args[n:], rows-rowsPerStmt[i]
	}
	return changed, nil
}

// expire runs del, which deletes rows older than cutoff, only if the floor f of their times
// says there may be some, and keeps f known: oldest reads the oldest time left (no row: none).
func expire(f *floor, cutoff int64, oldest func() *sql.Row, del func() error) error {
	read := func() error {
		var at int64
		err := oldest().Scan(&at)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			at = math.MaxInt64
		case err != nil:
			return err
		}
		*f = floor{at: at, known: true}
		return nil
	}
	if !f.known {
		if err := read(); err != nil {
			return err
		}
	}
	if cutoff <= f.at {
		return nil
	}
	if err := del(); err != nil {
		return err
	}
	return read()
}

// pingTrimChunk is how many pings the history trim deletes of a check at a time: it deletes a
// check's pings numbered up to a multiple of it, when n_pings - PingLimit reaches one. Pings
// one after another of a check share an index page, but rows of the table (in arrival order)
// only when the check is the only busy one; deleting 16 rows at a time changes the index page
// once, not 16 times. The readers leave out the up to pingTrimChunk - 1 pings below the kept
// window (keptPings), so what they see is exactly PingLimit's.
const pingTrimChunk = 16

// pingTrim says whether a batch that took a check from before to after pings must trim its
// history, and up to which number: when after - limit has reached a multiple of pingTrimChunk
// that before - limit had not.
func pingTrim(before, after, limit int) (cut int, ok bool) {
	cutAt := func(n int) int { return max(n-limit, 0) / pingTrimChunk * pingTrimChunk }
	cut = cutAt(after)
	return cut, cut > cutAt(before)
}

// rebuildRuns sets c's runs from its kept pings, read in tx (check.Check.RebuildRuns).
func (s *Store) rebuildRuns(ctx context.Context, tx *sql.Tx, c *check.Check) error {
	rows, err := tx.QueryContext(ctx, pingListSelect+` WHERE c.id = ?`+keptPings+` ORDER BY p.n`, c.ID, s.opts.PingLimit)
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
