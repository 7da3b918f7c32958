package project

import (
	"context"
	"errors"
	"fmt"

	"github.com/overduehq/overdue/internal/check"
)

// WindowStore is what AddWindow needs of the store (store.Store has it all).
type WindowStore interface {
	Check(ctx context.Context, id string) (*check.Check, error)
	Windows(ctx context.Context, projectID string) ([]*check.Window, error)
	CreateWindow(ctx context.Context, w *check.Window) error
}

// ErrNotProjectCheck is a window for a check that is not one of the window's project.
var ErrNotProjectCheck = errors.New("check is not a check of this project")

// ErrTooManyWindows is a window past check.MaxWindows.
var ErrTooManyWindows = fmt.Errorf("a project has at most %d maintenance windows: delete one first", check.MaxWindows)

// AddWindow stores the maintenance window w, already validated (check.Window.Validate and its
// schedule), with the rules the API and the CLI share: a window for one check needs that check
// in its project (ErrNotProjectCheck), and a project has at most check.MaxWindows
// (ErrTooManyWindows).
func AddWindow(ctx context.Context, st WindowStore, w *check.Window) error {
	if w.CheckID != "" {
		if c, err := st.Check(ctx, w.CheckID); err != nil || c.ProjectID != w.ProjectID {
			return ErrNotProjectCheck
		}
	}
	existing, err := st.Windows(ctx, w.ProjectID)
	if err != nil {
		return fmt.Errorf("list maintenance windows of project %s: %w", w.ProjectID, err)
	}
	if len(existing) >= check.MaxWindows {
		return ErrTooManyWindows
	}
	if err := st.CreateWindow(ctx, w); err != nil {
		return fmt.Errorf("create maintenance window: %w", err)
	}
	return nil
}
