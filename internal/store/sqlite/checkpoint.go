package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Checkpoints. In WAL mode a commit appends the pages it changed to the -wal file, and a
// checkpoint copies them back into the database file. A checkpoint is where the fsyncs are:
// with synchronous=NORMAL a commit only writes (into the operating system's cache, which a
// killed process cannot lose), and the checkpoint syncs the WAL before it overwrites database
// pages and the database before the WAL may start over. Left to SQLite, the connection that
// commits runs one whenever its commit leaves the WAL at 1000 pages or more, inside the commit:
// the committer's batch, and every ping waiting behind it, would wait for two fsyncs and the
// copy, several milliseconds, a few times a second under load (issue 18: 4% of the batches had
// a commit over a millisecond, the longest over 30 ms).
//
// So the write connection checkpoints itself only as a safety net (walSafetyNet pages), and a
// checkpointer goroutine with a connection of its own runs a PASSIVE checkpoint after every
// ckptEvery commits: it copies what is committed without taking the write lock or waiting for
// readers, while the committer goes on. Under a load that never pauses, the WAL cannot start
// over behind a checkpointer that is always a few commits behind; then the safety net runs in
// the commit that reaches walSafetyNet pages, with little left to copy.
const (
	// ckptEvery is the number of committed write transactions after which the checkpointer
	// runs: with a dozen pages to a transaction, about the 1000 pages of SQLite's default.
	ckptEvery = 64
	// walSafetyNet is the WAL size, in pages (32 MiB of 4 KiB pages), at which a commit runs
	// the checkpoint itself (PRAGMA wal_autocheckpoint).
	walSafetyNet = 8192
)

// checkpointer runs PASSIVE checkpoints off the committer (see above).
type checkpointer struct {
	db      *sql.DB       // one connection of its own, synchronous=NORMAL like the writer's
	kick    chan struct{} // buffered 1: a checkpoint is due
	quit    chan struct{}
	stopped chan struct{}
	ran     chan struct{} // buffered 1: a checkpoint has run since a test last looked
}

func newCheckpointer(db *sql.DB) *checkpointer {
	return &checkpointer{db: db, kick: make(chan struct{}, 1), quit: make(chan struct{}),
		stopped: make(chan struct{}), ran: make(chan struct{}, 1)}
}

// committed counts a committed write transaction and wakes the checkpointer every ckptEvery.
func (s *Store) committed() {
	if s.commits.Add(1)%ckptEvery == 0 {
		select {
		case s.ck.kick <- struct{}{}:
		default: // one is due already
		}
	}
}

// runCheckpoints is the checkpointer's loop.
func (s *Store) runCheckpoints() {
	ck := s.ck
	defer close(ck.stopped)
	for {
		select {
		case <-ck.kick:
		case <-ck.quit:
			return
		}
		start := time.Now()
		err := s.checkpoint(context.Background())
		s.cm.profMu.Lock()
		s.cm.prof.Checkpoints++
		s.cm.prof.CheckpointTime += time.Since(start)
		if err != nil {
			// Nothing is lost: the next one, or the writer's safety net, copies the pages.
			s.cm.prof.CheckpointErrors++
		}
		s.cm.profMu.Unlock()
		select {
		case ck.ran <- struct{}{}:
		default:
		}
	}
}

// checkpoint runs one PASSIVE checkpoint on the checkpointer's connection.
func (s *Store) checkpoint(ctx context.Context) error {
	var busy, log, done int
	if err := s.ck.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &log, &done); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// stop ends the checkpointer after the checkpoint in progress, if any.
func (ck *checkpointer) stop() {
	select {
	case <-ck.quit:
	default:
		close(ck.quit)
	}
	<-ck.stopped
}
