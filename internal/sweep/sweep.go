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
	"github.com/overduehq/overdue/internal/checksched"
	"github.com/overduehq/overdue/internal/store"
)

// BadSchedulePushback is how far a check whose schedule cannot be evaluated is pushed ahead, so
// one broken check cannot make every sweep fail (Healthchecks does the same).
const BadSchedulePushback = time.Hour

// Sweeper runs sweeps. One Sweeper serves one loop or one function instance at a time: it
// keeps the ingestion outages it last read.
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
	// Ingestion, when set, holds timeouts that an outage of Overdue's own ping ingestion could
	// have caused (see Ingestion); nil sends every timeout down.
	Ingestion *Ingestion

	outages   []Outage  // as read at outagesAt
	outagesAt time.Time // zero: not read yet
}

// Result counts what one sweep did.
type Result struct {
	Examined int // due checks looked at
	Flipped  int // checks that went down (or had a held alert released, or settled)
	Late     int // late notices made (check.ReasonLate): not status changes
	Armed    int // timers armed for checks due within the lookahead
	Held     int // timeouts held because ingestion had an outage in their ping window
	// Outage is the ongoing outage of ping ingestion, if any (the zero Outage when none).
	Outage Outage
}

// errSkip aborts an UpdateCheck whose check is no longer due: another writer got there first.
var errSkip = errors.New("no longer due")

// Run performs one sweep at s.Now(): every check due by then is examined once; then, with
// Timers set, a timer is armed for every check due within the lookahead.
func (s *Sweeper) Run(ctx context.Context) (Result, error) {
	now := s.Now()
	if err := s.readOutages(ctx, now, 0); err != nil {
		return Result{}, err
	}
	res, err := s.flipDue(ctx, now)
	if len(s.outages) > 0 && s.outages[0].Ongoing() {
		res.Outage = s.outages[0]
	}
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
	look := newLookups()
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
			flip, held, err := s.sweepOne(ctx, c, now, look)
			if err != nil {
				return res, err
			}
			switch {
			case flip.IsLate():
				res.Late++
			case flip != nil:
				res.Flipped++
			}
			if held {
				res.Held++
			}
		}
		if !progressed || len(due) < batch {
			return res, nil
		}
	}
}

// sweepOne examines one due check at now and returns the flip it wrote (nil: none) and whether
// its timeout was held for an outage of ping intake.
func (s *Sweeper) sweepOne(ctx context.Context, c *check.Check, now time.Time, look *lookups) (written *check.Flip, held bool, err error) {
	sched, err := checksched.For(c)
	if err != nil {
		s.logger().Warn("schedule cannot be evaluated; pushed ahead",
			"check", c.ID, "kind", c.Kind, "error", err.Error(), "retry_at", now.Add(BadSchedulePushback))
		_, err := s.Store.UpdateCheck(ctx, c.ID, func(c *check.Check) (store.Change, error) {
			c.AlertAfter = now.Add(BadSchedulePushback)
			return store.Change{}, nil
		})
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, false, fmt.Errorf("push back check %s: %w", c.ID, err)
		}
		return nil, false, nil
	}
	windows, err := look.windows.of(ctx, s.Store, c.ProjectID)
	if err != nil {
		return nil, false, err
	}
	var flip *check.Flip
	var holdUntil time.Time
	var needParents []string
	// downParent is the first of c's parents that is down now (nil: none), or errNeedParents,
	// with needParents set, while some are not loaded yet.
	downParent := func(c *check.Check) (*check.Check, error) {
		parents, missing := look.parents.of(c.DependsOn)
		if len(missing) > 0 {
			needParents = missing
			return nil, errNeedParents
		}
		return check.DownParent(parents, now, checksched.Parent), nil
	}
	update := func(c *check.Check) (store.Change, error) {
		flip, holdUntil, needParents = nil, time.Time{}, nil
		if c.AlertAfter.IsZero() || c.AlertAfter.After(now) {
			return store.Change{}, errSkip
		}
		if s.Ingestion != nil && c.ID != s.Ingestion.CanaryID && c.Status != check.StatusDown {
			// Only a plain timeout can be a ping of ours lost: a run-time bound or another
			// rule's alert goes out as decided. The decision is tried on a copy.
			probe := *c
			if f := probe.Sweep(now, sched); f != nil && f.Reason == check.ReasonTimeout {
				if hold, until := s.Ingestion.hold(c, sched, s.outages, now); hold {
					c.AlertAfter, holdUntil = until, until
					return store.Change{}, nil
				}
			}
		}
		flip = c.Sweep(now, sched)
		if flip.IsLate() {
			// A late notice is dropped, not owed, inside a window or while a parent is down.
			var parent *check.Check
			if len(c.DependsOn) > 0 {
				var err error
				if parent, err = downParent(c); err != nil {
					return store.Change{}, err
				}
			}
			flip = c.HoldLate(flip, check.MaintenanceUntil(c, windows, now, checksched.Window), parent, now)
			if flip != nil && s.Ingestion != nil && s.Ingestion.lateDoubtful(flip.Created, s.outages, now) {
				flip = nil
			}
			return store.Change{Flip: flip}, nil
		}
		// Inside a maintenance window, the down flip (or the alert a snooze held) waits.
		flip = c.Hold(flip, check.MaintenanceUntil(c, windows, now, checksched.Window), now)
		// While a check it depends on is down, so does the alert.
		if flip != nil && flip.NewStatus == check.StatusDown && flip.Processed.IsZero() && len(c.DependsOn) > 0 {
			parent, err := downParent(c)
			if err != nil {
				return store.Change{}, err
			}
			flip = c.HoldForParent(flip, parent, now)
		}
		return store.Change{Flip: flip}, nil
	}
	_, err = s.Store.UpdateCheck(ctx, c.ID, update)
	if errors.Is(err, errNeedParents) {
		// Read outside the check's write, once per sweep for every child they have.
		if err := look.parents.load(ctx, s.Store, needParents); err != nil {
			return nil, false, err
		}
		_, err = s.Store.UpdateCheck(ctx, c.ID, update)
	}
	switch {
	case errors.Is(err, errSkip), errors.Is(err, store.ErrNotFound):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("sweep check %s: %w", c.ID, err)
	}
	if !holdUntil.IsZero() {
		s.logger().Info("timeout held: ingestion had an outage", "check", c.ID, "until", holdUntil)
	}
	switch {
	case flip.IsLate():
		s.logger().Info("check is late", "check", c.ID, "since", flip.Created)
	case flip != nil:
		s.logger().Info("check went down", "check", c.ID, "at", flip.Created, "from", flip.OldStatus)
	}
	return flip, !holdUntil.IsZero(), nil
}

// outagesMaxAge is how long Fire trusts outages it read: timers come in bursts.
const outagesMaxAge = 5 * time.Second

// readOutages reads the ingestion's outages at now unless they were read less than maxAge ago.
func (s *Sweeper) readOutages(ctx context.Context, now time.Time, maxAge time.Duration) error {
	if s.Ingestion == nil || (!s.outagesAt.IsZero() && now.Sub(s.outagesAt) < maxAge && !now.Before(s.outagesAt)) {
		return nil
	}
	outages, err := s.Ingestion.Outages(ctx, s.Store, now)
	if err != nil {
		return fmt.Errorf("ingestion health: %w", err)
	}
	s.outages, s.outagesAt = outages, now
	return nil
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

// errNeedParents aborts an UpdateCheck whose down alert may be held by a parent not yet read.
var errNeedParents = errors.New("parents needed")

// lookups are what one sweep reads besides the due checks: each project's windows, each
// parent's status, at most once.
type lookups struct {
	windows projectWindows
	parents parentChecks
}

func newLookups() *lookups {
	return &lookups{windows: make(projectWindows), parents: make(parentChecks)}
}

// parentChecks caches, for one sweep, the checks others depend on (nil: deleted). A parent
// with many children is read once per sweep, not once per child.
type parentChecks map[string]*check.Check

// of returns the cached parents among ids, and the IDs not read yet.
func (pc parentChecks) of(ids []string) (parents []*check.Check, missing []string) {
	for _, id := range ids {
		p, ok := pc[id]
		switch {
		case !ok:
			missing = append(missing, id)
		case p != nil:
			parents = append(parents, p)
		}
	}
	return parents, missing
}

// load reads the checks ids; a missing one is remembered as nil (not down).
func (pc parentChecks) load(ctx context.Context, st store.Store, ids []string) error {
	for _, id := range ids {
		p, err := st.Check(ctx, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			pc[id] = nil
		case err != nil:
			return fmt.Errorf("load check %s, a check others depend on: %w", id, err)
		default:
			pc[id] = p
		}
	}
	return nil
}
