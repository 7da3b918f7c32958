// Package ingest records what can take a check down from outside the sweep: pings, from the
// HTTP ping API (package httpapi) and from email (package mailping), and a snooze (the API, its
// ping-URL form and `overdue check snooze`). Every rule of the check itself (failure tolerance
// and rate, run-time bounds, flapping, a snooze) is check.Check.ApplyPing's; the holds that
// need more than the check, the project's maintenance windows and the checks it depends on, are
// applied here, so that every source of pings gets all of them from one place.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/checksched"
	"github.com/overduehq/overdue/internal/store"
)

// Store is what recording needs of the store (store.Store has it all).
type Store interface {
	UpdateCheck(ctx context.Context, id string, fn func(c *check.Check) (store.Change, error)) (*check.Check, error)
	Check(ctx context.Context, id string) (*check.Check, error)
	Windows(ctx context.Context, projectID string) ([]*check.Window, error)
}

// Recorder records pings and snoozes through the store.
type Recorder struct {
	Store Store
	// Log receives a warning when a check's stored schedule no longer parses; nil discards it.
	Log *slog.Logger
}

// Hold passes a flip an update made through the holds of windows and parents: it returns the
// flip to write (held, or nil when an owed alert being released is taken back).
type Hold func(f *check.Flip) *check.Flip

// Ping records sig as a ping of check id at now: check.Check.ApplyPing with the check's
// schedule, then the holds of windows and parents on the flip it makes. accept, when not nil,
// sees the check first and may refuse the ping with an error (returned as it is, nothing
// written): the HTTP API validates the exit status and the run id only once the check is
// known. A stored schedule that no longer parses (a zone dropped from tzdata) does not lose
// the ping: the check is timed as a simple one until someone fixes it, and a warning is logged.
func (r *Recorder) Ping(ctx context.Context, id string, sig check.Signal, now time.Time, accept func(c *check.Check) error) (*check.Check, error) {
	// The busiest path of the server: everything it keeps is in one updater, so that a ping
	// allocates it and the function the store calls, and nothing else here.
	u := &updater{r: r, id: id, now: now, sig: sig, accept: accept}
	c, err := u.run(ctx)
	if u.schedErr != nil {
		r.log().WarnContext(ctx, "check schedule does not parse; ping applied as simple", "check", id, "error", u.schedErr)
	}
	return c, err
}

// Snooze applies a snooze of d to check id at now (check.Check.Snooze), and writes the alert it
// releases, if any, with it: held again by an open maintenance window or a down parent. A
// projectID that is not empty must be the check's (store.ErrNotFound otherwise). A bad length
// is check.Check.Snooze's error.
func (r *Recorder) Snooze(ctx context.Context, id, projectID string, d time.Duration, now time.Time) (*check.Check, error) {
	return r.Update(ctx, id, now, func(c *check.Check, hold Hold) (store.Change, error) {
		if projectID != "" && c.ProjectID != projectID {
			return store.Change{}, store.ErrNotFound
		}
		sched, _ := checksched.For(c)
		f, err := c.Snooze(d, now, sched)
		if err != nil {
			return store.Change{}, err
		}
		return store.Change{Flip: hold(f)}, nil
	})
}

// errNeedMore aborts a check update that turned out to need the project's windows or the checks
// it depends on: Update loads them and runs the update again (nothing was written).
var errNeedMore = errors.New("the project's maintenance windows or the check's parents are needed")

// Update runs the store's UpdateCheck with fn, which gets a Hold to pass each flip it makes
// through: a down flip inside a maintenance window is held (check.Check.Hold), and so is one
// while a check it depends on is down (check.Check.HoldForParent). The project's windows and
// the parents are read only when a flip needs them, so an ordinary ping costs nothing more;
// when one does, fn runs again once they are read (fn may run more than once, as UpdateCheck's
// fn may).
func (r *Recorder) Update(ctx context.Context, id string, now time.Time,
	fn func(c *check.Check, hold Hold) (store.Change, error)) (*check.Check, error) {
	u := &updater{r: r, id: id, now: now, fn: fn}
	u.holdFn = u.hold
	return u.run(ctx)
}

// updater is one Update or Ping: the change to make, and what the holds have loaded so far.
type updater struct {
	r   *Recorder
	id  string
	now time.Time

	// Either fn (Update), which gets holdFn, or a ping (Ping).
	fn       func(c *check.Check, hold Hold) (store.Change, error)
	holdFn   Hold
	sig      check.Signal
	accept   func(c *check.Check) error
	schedErr error // the check's schedule did not parse (Ping)

	// Loaded when a flip needs them (hold), then the update runs again.
	windows     []*check.Window
	parents     map[string]*check.Check // nil: deleted
	loaded      bool
	projectID   string
	needParents []string

	// The attempt in progress: the check the store handed to apply, and whether a hold found
	// it needs the windows.
	c      *check.Check
	needed bool
}

// run runs the update until it needs nothing more loaded.
func (u *updater) run(ctx context.Context) (*check.Check, error) {
	apply := u.apply // one function value for every attempt
	for {
		c, err := u.r.Store.UpdateCheck(ctx, u.id, apply)
		if !errors.Is(err, errNeedMore) {
			return c, err
		}
		if !u.loaded {
			if u.windows, err = u.r.Store.Windows(ctx, u.projectID); err != nil {
				return nil, fmt.Errorf("list maintenance windows of project %s: %w", u.projectID, err)
			}
			u.loaded = true
		}
		for _, pid := range u.needParents {
			p, err := u.r.Store.Check(ctx, pid)
			switch {
			case errors.Is(err, store.ErrNotFound):
				p = nil
			case err != nil:
				return nil, fmt.Errorf("load check %s, which check %s depends on: %w", pid, u.id, err)
			}
			if u.parents == nil {
				u.parents = map[string]*check.Check{}
			}
			u.parents[pid] = p
		}
	}
}

// apply is the function UpdateCheck runs on the check (it may run more than once).
func (u *updater) apply(c *check.Check) (store.Change, error) {
	u.c, u.needed, u.needParents = c, false, nil
	var change store.Change
	var err error
	if u.fn != nil {
		change, err = u.fn(c, u.holdFn)
	} else {
		change, err = u.ping(c)
	}
	if err == nil && (u.needed || len(u.needParents) > 0) {
		u.projectID = c.ProjectID
		return store.Change{}, errNeedMore
	}
	return change, err
}

// ping applies the ping (Ping) to c.
func (u *updater) ping(c *check.Check) (store.Change, error) {
	if u.accept != nil {
		if err := u.accept(c); err != nil {
			return store.Change{}, err
		}
	}
	sched, err := checksched.For(c)
	u.schedErr = err
	p, f := c.ApplyPing(u.sig, u.now, sched)
	return store.Change{Ping: p, Flip: u.hold(f)}, nil
}

// hold is the Hold of the attempt in progress.
func (u *updater) hold(f *check.Flip) *check.Flip {
	// Only a down flip that would alert (a snooze has not held it already) can be held.
	if f == nil || f.NewStatus != check.StatusDown || !f.Processed.IsZero() {
		return f
	}
	if !u.loaded {
		u.needed = true
		return f
	}
	c := u.c
	f = c.Hold(f, check.MaintenanceUntil(c, u.windows, u.now, checksched.Window), u.now)
	if f == nil || !f.Processed.IsZero() || len(c.DependsOn) == 0 {
		return f
	}
	var known []*check.Check
	for _, pid := range c.DependsOn {
		p, ok := u.parents[pid]
		switch {
		case !ok:
			u.needParents = append(u.needParents, pid)
		case p != nil:
			known = append(known, p)
		}
	}
	if len(u.needParents) > 0 {
		return f
	}
	return c.HoldForParent(f, check.DownParent(known, u.now, checksched.Parent), u.now)
}

func (r *Recorder) log() *slog.Logger {
	if r.Log == nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return r.Log
}
