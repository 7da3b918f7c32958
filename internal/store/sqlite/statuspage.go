package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// statusPageSchema is data-model version 12's table of status pages (addStatusPages), one row
// per project that saved one. Frozen like the baseline. checks is a JSON array of check IDs,
// in the page's order; key is unique, so that a key finds one page.
var statusPageSchema = []string{
	`CREATE TABLE IF NOT EXISTS status_pages (
		project_id TEXT PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
		key        TEXT NOT NULL UNIQUE,
		public     INTEGER NOT NULL,
		checks     TEXT NOT NULL
	) STRICT`,
}

const statusPageColumns = `project_id, key, public, checks`

// StatusPage loads a project's status page; store.ErrNotFound when it has none.
func (s *Store) StatusPage(ctx context.Context, projectID string) (*check.StatusPage, error) {
	sp, err := scanStatusPage(s.r.QueryRowContext(ctx, `SELECT `+statusPageColumns+` FROM status_pages WHERE project_id = ?`, projectID))
	if err != nil {
		return nil, fmt.Errorf("load status page of project %s: %w", projectID, err)
	}
	return sp, nil
}

// StatusPageByKey finds the status page with this key through the table's unique index.
func (s *Store) StatusPageByKey(ctx context.Context, key string) (*check.StatusPage, error) {
	if key == "" {
		return nil, fmt.Errorf("find status page by key: %w", store.ErrNotFound)
	}
	sp, err := scanStatusPage(s.r.QueryRowContext(ctx, `SELECT `+statusPageColumns+` FROM status_pages WHERE key = ?`, key))
	if err != nil {
		return nil, fmt.Errorf("find status page by key: %w", err)
	}
	return sp, nil
}

// PutStatusPage inserts or replaces a project's status page: store.ErrNotFound when the
// project does not exist (its foreign key), store.ErrConflict when another page has the key.
func (s *Store) PutStatusPage(ctx context.Context, sp *check.StatusPage) error {
	if err := sp.Validate(); err != nil {
		return fmt.Errorf("save status page: %w", err)
	}
	checks := sp.Checks
	if checks == nil {
		checks = []string{}
	}
	list, err := json.Marshal(checks)
	if err != nil {
		return fmt.Errorf("save status page of project %s: %w", sp.ProjectID, err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO status_pages (`+statusPageColumns+`) VALUES (?, ?, ?, ?)
			ON CONFLICT (project_id) DO UPDATE SET key = excluded.key, public = excluded.public, checks = excluded.checks`,
			sp.ProjectID, sp.Key, sp.Public, string(list))
		return dbErr(err)
	})
	if err != nil {
		return fmt.Errorf("save status page of project %s: %w", sp.ProjectID, err)
	}
	return nil
}

func scanStatusPage(row *sql.Row) (*check.StatusPage, error) {
	var sp check.StatusPage
	var list string
	if err := row.Scan(&sp.ProjectID, &sp.Key, &sp.Public, &list); err != nil {
		return nil, dbErr(err)
	}
	if err := json.Unmarshal([]byte(list), &sp.Checks); err != nil {
		return nil, fmt.Errorf("status page of project %s: its check list: %w", sp.ProjectID, err)
	}
	return &sp, nil
}
