// Package sweep finds checks that went down without a ping and records their flips.
//
// It reads only the store's due index (checks whose AlertAfter has passed), recomputes each one's
// status with the injected clock and writes the flip through the store's read-modify-write, so two
// sweeps running at once never flip a check twice: the second one finds the check already down
// (or its AlertAfter moved) when its closure runs, and writes nothing.
package sweep

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/schedule"
	"github.com/overduehq/overdue/internal/store"
)

// BadSchedulePushback is how far a check whose schedule cannot be evaluated is pushed ahead, so
// one broken check cannot make every sweep fail (Healthchecks does the same).
const BadSchedulePushback = time.Hour

// Sweeper runs sweeps.
type Sweeper struct {
	Store  store.Store
	Now    func() time.Time
	Logger *slog.Logger
	// Batch is how many due checks (or upcoming ones) one store query returns (default 100).
	Batch int
	// Timers, when set, gets a precise timer for every check due within Lookahead after each
	// sweep (see Fire); nil leaves the resolution of "down" to the sweeps' interval.
	Timers Timers
	// Lookahead is how far ahead timers are armed (default DefaultLookahead).
	Lookahead time.Duration
}

// Result counts what one sweep did.
type Result struct {
	Examined int // due checks looked at
	Flipped  int // checks that went down
	Armed    int // timers armed for checks due within the lookahead
}

// errSkip aborts an UpdateCheck whose check is no longer due: another writer got there first.
var errSkip = errors.New("no longer due")

// Run performs one sweep at s.Now(): every check due by then is examined once; then, with
// Timers set, a timer is armed for every check due within the lookahead.
func (s *Sweeper) Run(ctx context.Context) (Result, error) {
	now := s.Now()
	res, err := s.flipDue(ctx, now)
	if err != nil || s.Timers == nil {
		return res, err
	}
	res.Armed, err = s.arm(ctx, now)
	return res, err
}

// flipDue examines every check due by now once and flips those that went down.
func (s *Sweeper) flipDue(ctx context.Context, now time.Time) (Result, error) {
	var res Result
	batch := s.batch()
	seen := make(map[string]bool)
	windows := make(projectWindows)
	for {
		due, err := s.Store.DueChecks(ctx, now, batch)
		if err != nil {
			return res, fmt.Errorf("list due checks: %w", err)
		}
		progressed := false
		for _, c := range due {
			if seen[c.ID] {
				continue
			}
			seen[c.ID] = true
			progressed = true
			res.Examined++
			flipped, err := s.sweepOne(ctx, c, now, windows)
			if err != nil {
				return res, err
			}
			if flipped {
				res.Flipped++
			}
		}
		if !progressed || len(due) < batch {
			return res, nil
		}
	}
}

func (s *Sweeper) sweepOne(ctx context.Context, c *check.Check, now time.Time, pw projectWindows) (bool, error) {
	sched, err := schedule.ForCheck(string(c.Kind), c.Schedule, c.TZ)
	if err != nil {
		s.logger().Warn("schedule cannot be evaluated; pushed ahead",
			"check", c.ID, "kind", c.Kind, "error", err.Error(), "retry_at", now.Add(BadSchedulePushback))
		_, err := s.Store.UpdateCheck(ctx, c.ID, func(c *check.Check) (store.Change, error) {
			c.AlertAfter = now.Add(BadSchedulePushback)
			return store.Change{}, nil
		})
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return false, fmt.Errorf("push back check %s: %w", c.ID, err)
		}
		return false, nil
	}
	windows, err := pw.of(ctx, s.Store, c.ProjectID)
	if err != nil {
		return false, err
	}
	var flip *check.Flip
	_, err = s.Store.UpdateCheck(ctx, c.ID, func(c *check.Check) (store.Change, error) {
		if c.AlertAfter.IsZero() || c.AlertAfter.After(now) {
			return store.Change{}, errSkip
		}
		flip = c.Sweep(now, sched)
		// Inside a maintenance window, the down flip (or the alert a snooze held) waits.
		flip = c.Hold(flip, check.MaintenanceUntil(c, windows, now, windowSchedule), now)
		return store.Change{Flip: flip}, nil
	})
	switch {
	case errors.Is(err, errSkip), errors.Is(err, store.ErrNotFound):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("sweep check %s: %w", c.ID, err)
	}
	if flip != nil {
		s.logger().Info("check went down", "check", c.ID, "at", flip.Created, "from", flip.OldStatus)
	}
	return flip != nil, nil
}

// batch is how many entries one store query returns.
func (s *Sweeper) batch() int {
	if s.Batch <= 0 {
		return 100
	}
	return s.Batch
}

func (s *Sweeper) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// projectWindows caches, for one sweep, the maintenance windows of each project with a due
// check: one read per such project and sweep, so the cost still follows the due checks.
type projectWindows map[string][]*check.Window

func (pw projectWindows) of(ctx context.Context, st store.Store, projectID string) ([]*check.Window, error) {
	if w, ok := pw[projectID]; ok {
		return w, nil
	}
	w, err := st.Windows(ctx, projectID)
	if err != nil {
		return nil, fmt.Errorf("list maintenance windows of project %s: %w", projectID, err)
	}
	pw[projectID] = w
	return w, nil
}

// windowSchedule evaluates a recurring window's schedule; nil (never open) when it cannot.
func windowSchedule(w *check.Window) check.Schedule {
	sched, err := schedule.Parse(w.Schedule, w.TZ)
	if err != nil {
		return nil
	}
	return sched
}
