package sweep

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/overduehq/overdue/internal/store"
)

// DefaultLookahead is how far ahead a sweep arms timers when Sweeper.Lookahead is unset: the
// one-minute schedule plus the 30 s a sweep may start late before the SweepLag alarm, so that
// every deadline is armed by at least one sweep that runs before it (about half by two: a
// duplicate timer costs one message and never a second alert).
const DefaultLookahead = 90 * time.Second

// Timer asks for one check to be looked at again at the instant it is due: its AlertAfter
// when the timer was armed.
type Timer struct {
	CheckID string
	Due     time.Time
}

// Timers arms precise timers: each fires (reaches Sweeper.Fire) at its Due, or as soon after as
// the transport allows, and never much before. On AWS it is an SQS queue with per-message
// delays. A timer that is lost costs precision only: the next sweep finds the check due.
type Timers interface {
	// Arm arms ts, judged from now (the instant their delays are counted from).
	Arm(ctx context.Context, now time.Time, ts []Timer) error
}

// arm arms a timer for every check due in (now, now+lookahead]: the ones this sweep did not
// flip and that will be due before (or soon after) the next sweep runs. It reads only the due
// index, the whole window at once (many checks can share one instant: a page boundary there
// would need a cursor the index does not give across its shards), and hands the timers over
// in chunks of Batch.
func (s *Sweeper) arm(ctx context.Context, now time.Time) (int, error) {
	ahead := s.Lookahead
	if ahead <= 0 {
		ahead = DefaultLookahead
	}
	due, err := s.Store.Upcoming(ctx, now, now.Add(ahead))
	if err != nil {
		return 0, fmt.Errorf("list upcoming checks: %w", err)
	}
	armed, batch := 0, s.batch()
	for start := 0; start < len(due); start += batch {
		chunk := due[start:min(start+batch, len(due))]
		ts := make([]Timer, len(chunk))
		for i, d := range chunk {
			ts[i] = Timer{CheckID: d.CheckID, Due: d.At}
		}
		if err := s.Timers.Arm(ctx, now, ts); err != nil {
			return armed, fmt.Errorf("arm %d timers: %w", len(ts), err)
		}
		armed += len(ts)
	}
	return armed, nil
}

// Fired says what Fire did with one timer.
type Fired struct {
	// Flipped: the check went down, and its flip was written.
	Flipped bool
	// Late: the check's late notice was written (check.ReasonLate).
	Late bool
	// Held: the check's timeout was held, because ping intake had an outage in its ping window
	// (see Ingestion); it is looked at again later.
	Held bool
	// Early is how long before its Due the timer fired (zero when it was not early): the check
	// was not looked at, and the caller arms the timer again for what is left.
	Early time.Duration
}

// Fire handles one timer at s.Now(): it reads the check and, if it is due (its AlertAfter has
// passed), decides and writes its flip exactly as a sweep does, through the same conditional
// write. A check that pinged since the timer was armed (its AlertAfter moved past now), went
// down already, or was deleted is left alone, so a duplicate or re-armed timer never writes a
// second flip.
func (s *Sweeper) Fire(ctx context.Context, t Timer) (Fired, error) {
	now := s.Now()
	if t.Due.After(now) {
		return Fired{Early: t.Due.Sub(now)}, nil
	}
	c, err := s.Store.Check(ctx, t.CheckID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return Fired{}, nil
	case err != nil:
		return Fired{}, fmt.Errorf("load check %s: %w", t.CheckID, err)
	}
	if c.AlertAfter.IsZero() || c.AlertAfter.After(now) {
		// One read and no write: pinged since, paused, or down already.
		return Fired{}, nil
	}
	if err := s.readOutages(ctx, now, outagesMaxAge); err != nil {
		return Fired{}, err
	}
	flip, held, err := s.sweepOne(ctx, c, now, newLookups())
	return Fired{Flipped: flip != nil && !flip.IsLate(), Late: flip.IsLate(), Held: held}, err
}
