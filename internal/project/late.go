package project

import (
	"context"
	"errors"
	"fmt"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/schedule"
	"github.com/overduehq/overdue/internal/store"
)

// LateStore is what SyncLate needs of the store (store.Store has it all).
type LateStore interface {
	Checks(ctx context.Context, projectID string) ([]*check.Check, error)
	Channels(ctx context.Context, projectID string) ([]*check.Channel, error)
	UpdateCheck(ctx context.Context, id string, fn func(c *check.Check) (store.Change, error)) (*check.Check, error)
}

// SyncLate sets check.Check.LateNotice on every check of the project whose channels reach a
// channel with Late set (check.ReachesLate), clears it on the others, and moves each changed
// check's AlertAfter with it: a check is due at its grace start only while it has a late
// channel. Callers run it after a change that can change the answer for checks they did not
// edit: a channel's Late or a group's targets changed, a channel deleted, an import. It reads
// the project's channels and checks once and writes only the checks that change; a check whose
// channels are set in the same request (the checks API) gets its marker there instead. It
// reports how many checks changed.
func SyncLate(ctx context.Context, st LateStore, projectID string) (int, error) {
	chans, err := store.ListChannels(ctx, st, projectID)
	if err != nil {
		return 0, fmt.Errorf("list channels of project %s: %w", projectID, err)
	}
	checks, err := st.Checks(ctx, projectID)
	if err != nil {
		return 0, fmt.Errorf("list checks of project %s: %w", projectID, err)
	}
	changed := 0
	for _, c := range checks {
		if c.LateNotice == check.ReachesLate(c.Channels, chans) {
			continue
		}
		_, err := st.UpdateCheck(ctx, c.ID, func(c *check.Check) (store.Change, error) {
			SetLateNotice(c, check.ReachesLate(c.Channels, chans))
			return store.Change{}, nil
		})
		switch {
		case errors.Is(err, store.ErrNotFound):
			continue // deleted meanwhile
		case err != nil:
			return changed, fmt.Errorf("update check %s: %w", c.ID, err)
		}
		changed++
	}
	return changed, nil
}

// SetLateNotice sets c's LateNotice to on and, when that changes it, moves its AlertAfter
// (check.Check.NextDue) for a check the sweep is not holding for another reason. A check whose
// schedule cannot be evaluated keeps its AlertAfter: the sweep pushes it ahead.
func SetLateNotice(c *check.Check, on bool) {
	if c.LateNotice == on {
		return
	}
	c.LateNotice = on
	if c.Status != check.StatusUp {
		return // only an up check is ever late; a down one's AlertAfter is a held alert's
	}
	sched, err := schedule.ForCheck(string(c.Kind), c.Schedule, c.TZ)
	if err != nil {
		return
	}
	if c.AlertAfter.After(c.GoingDownAfter(sched)) {
		return // held past its deadline (an outage of ping intake): the sweep decides
	}
	c.AlertAfter = c.NextDue(sched)
}
