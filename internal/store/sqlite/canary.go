package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/overduehq/overdue/internal/store"
)

// canarySchema is data-model version 17's table of the ingestion canary (addCanary): at most
// one row, the install's canary. Frozen like the baseline. No foreign key: the row is written
// before the canary's project and check (store.Store.PutCanary), so that two processes that
// race to create the canary agree on its IDs before either creates anything.
var canarySchema = []string{
	`CREATE TABLE IF NOT EXISTS canary (
		one        INTEGER PRIMARY KEY CHECK (one = 1),
		check_id   TEXT NOT NULL,
		project_id TEXT NOT NULL
	) STRICT`,
}

// Canary loads the install's ingestion canary; store.ErrNotFound before PutCanary.
func (s *Store) Canary(ctx context.Context) (store.Canary, error) {
	var c store.Canary
	err := s.r.QueryRowContext(ctx, `SELECT check_id, project_id FROM canary WHERE one = 1`).Scan(&c.CheckID, &c.ProjectID)
	if err != nil {
		return store.Canary{}, fmt.Errorf("load the ingestion canary: %w", dbErr(err))
	}
	return c, nil
}

// PutCanary stores c unless a canary is stored already, and returns the stored one, in one
// write transaction.
func (s *Store) PutCanary(ctx context.Context, c store.Canary) (store.Canary, error) {
	var got store.Canary
	err := s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO canary (one, check_id, project_id) VALUES (1, ?, ?) ON CONFLICT DO NOTHING`,
			c.CheckID, c.ProjectID); err != nil {
			return dbErr(err)
		}
		return dbErr(tx.QueryRowContext(ctx, `SELECT check_id, project_id FROM canary WHERE one = 1`).Scan(&got.CheckID, &got.ProjectID))
	})
	if err != nil {
		return store.Canary{}, fmt.Errorf("store the ingestion canary: %w", err)
	}
	return got, nil
}
