package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/overduehq/overdue/internal/check"
)

// windowSchema is data-model version 8's table of maintenance windows (addMaintenance). Frozen
// like the baseline. Instants are microseconds (NULL for none), the duration nanoseconds.
var windowSchema = []string{
	`CREATE TABLE IF NOT EXISTS maintenance_windows (
		id         TEXT PRIMARY KEY,
		project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
		check_id   TEXT NOT NULL,
		tag        TEXT NOT NULL,
		start_at   INTEGER,
		end_at     INTEGER,
		schedule   TEXT NOT NULL,
		tz         TEXT NOT NULL,
		duration   INTEGER NOT NULL,
		created    INTEGER NOT NULL
	) STRICT`,
	`CREATE INDEX IF NOT EXISTS maintenance_windows_project ON maintenance_windows (project_id, created)`,
}

const windowColumns = `id, project_id, check_id, tag, start_at, end_at, schedule, tz, duration, created`

// CreateWindow stores a maintenance window: store.ErrConflict if the ID is taken,
// store.ErrNotFound if the project does not exist.
func (s *Store) CreateWindow(ctx context.Context, w *check.Window) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO maintenance_windows (`+windowColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			w.ID, w.ProjectID, w.CheckID, w.Tag, instant(w.Start), instant(w.End), w.Schedule, w.TZ, int64(w.Duration), instant(w.Created))
		return dbErr(err)
	})
	if err != nil {
		return fmt.Errorf("create window %s: %w", w.ID, err)
	}
	return nil
}

// Windows lists a project's maintenance windows, oldest first.
func (s *Store) Windows(ctx context.Context, projectID string) ([]*check.Window, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+windowColumns+` FROM maintenance_windows
		WHERE project_id = ? ORDER BY created, id`, projectID)
	if err != nil {
		return nil, fmt.Errorf("list windows of project %s: %w", projectID, err)
	}
	defer rows.Close()
	out := []*check.Window{}
	for rows.Next() {
		var w check.Window
		var start, end, created sql.NullInt64
		var duration int64
		if err := rows.Scan(&w.ID, &w.ProjectID, &w.CheckID, &w.Tag, &start, &end, &w.Schedule, &w.TZ, &duration, &created); err != nil {
			return nil, fmt.Errorf("list windows of project %s: %w", projectID, err)
		}
		w.Start, w.End, w.Created, w.Duration = fromInstant(start), fromInstant(end), fromInstant(created), time.Duration(duration)
		out = append(out, &w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list windows of project %s: %w", projectID, err)
	}
	return out, nil
}

// DeleteWindow removes a project's maintenance window; store.ErrNotFound if it has none by id.
func (s *Store) DeleteWindow(ctx context.Context, projectID, id string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM maintenance_windows WHERE id = ? AND project_id = ?`, id, projectID)
		if err != nil {
			return err
		}
		return mustAffect(res)
	})
	if err != nil {
		return fmt.Errorf("delete window %s of project %s: %w", id, projectID, err)
	}
	return nil
}
