package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

var (
	projectInsert = `INSERT INTO projects (` + columns(projectColumns) + `) VALUES (` +
		placeholders(len(projectColumns)) + `)`
	projectSelect = `SELECT ` + columns(projectColumns) + ` FROM projects`
	// projectByBadgeKey reads the projects_badge_key index (data model version 3).
	projectByBadgeKey = projectSelect + ` WHERE badge_key = ? ORDER BY created, rowid LIMIT 1`
)

// CreateProject stores a new project. It is store.ErrConflict if the ID or one of the key hashes
// is taken.
func (s *Store) CreateProject(ctx context.Context, p *check.Project) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, projectInsert, projectToRow(p).fields()...)
		return dbErr(err)
	})
	if err != nil {
		return fmt.Errorf("create project %s: %w", p.ID, err)
	}
	return nil
}

// Project loads a project by ID.
func (s *Store) Project(ctx context.Context, id string) (*check.Project, error) {
	p, err := scanProject(s.r.QueryRowContext(ctx, projectSelect+` WHERE id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("load project %s: %w", id, dbErr(err))
	}
	return p, nil
}

// Projects lists every project, oldest first.
func (s *Store) Projects(ctx context.Context) ([]*check.Project, error) {
	rows, err := s.r.QueryContext(ctx, projectSelect+` ORDER BY created, rowid`)
	if err != nil {
		return nil, fmt.Errorf("list projects: %w", err)
	}
	defer rows.Close()
	var out []*check.Project
	for rows.Next() {
		p, err := scanProject(rows)
		if err != nil {
			return nil, fmt.Errorf("list projects: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list projects: %w", err)
	}
	return out, nil
}

// ProjectByAPIKey finds the project whose read-write or read-only key hashes to keyHash.
func (s *Store) ProjectByAPIKey(ctx context.Context, keyHash string) (*check.Project, bool, error) {
	if keyHash == "" {
		return nil, false, fmt.Errorf("find project by API key: %w", store.ErrNotFound)
	}
	// Two indexed lookups; SQLite answers the OR with both unique indexes.
	p, err := scanProject(s.r.QueryRowContext(ctx,
		projectSelect+` WHERE api_key_hash = ?1 OR read_only_key_hash = ?1`, keyHash))
	if err != nil {
		// Never the hash in the message: it identifies the key.
		return nil, false, fmt.Errorf("find project by API key: %w", dbErr(err))
	}
	return p, p.APIKeyHash != keyHash, nil
}

// ProjectByPingKey finds the project whose ping key hashes to keyHash.
func (s *Store) ProjectByPingKey(ctx context.Context, keyHash string) (*check.Project, error) {
	if keyHash == "" {
		return nil, fmt.Errorf("find project by ping key: %w", store.ErrNotFound)
	}
	p, err := scanProject(s.r.QueryRowContext(ctx, projectSelect+` WHERE ping_key_hash = ?`, keyHash))
	if err != nil {
		return nil, fmt.Errorf("find project by ping key: %w", dbErr(err))
	}
	return p, nil
}

// ProjectByBadgeKey finds the project whose badge key is key, through the projects_badge_key
// index; the oldest, should two share it.
func (s *Store) ProjectByBadgeKey(ctx context.Context, key string) (*check.Project, error) {
	if key == "" {
		return nil, fmt.Errorf("find project by badge key: %w", store.ErrNotFound)
	}
	p, err := scanProject(s.r.QueryRowContext(ctx, projectByBadgeKey, key))
	if err != nil {
		return nil, fmt.Errorf("find project by badge key %q: %w", key, dbErr(err))
	}
	return p, nil
}

// UpdateProject changes a project in a transaction: store.ErrConflict if a new key hash is
// taken, store.ErrNotFound if the project is missing.
func (s *Store) UpdateProject(ctx context.Context, id string, fn func(p *check.Project) error) (*check.Project, error) {
	var out *check.Project
	err := s.write(ctx, func(tx *sql.Tx) error {
		p, err := scanProject(tx.QueryRowContext(ctx, projectSelect+` WHERE id = ?`, id))
		if err != nil {
			return dbErr(err)
		}
		if err := fn(p); err != nil {
			return err
		}
		p.ID = id
		r := projectToRow(p)
		_, err = tx.ExecContext(ctx, `UPDATE projects SET name = ?, api_key_hash = ?, read_only_key_hash = ?,
			ping_key_hash = ?, badge_key = ? WHERE id = ?`, r.Name, r.APIKeyHash, r.ReadOnlyKeyHash, r.PingKeyHash, r.BadgeKey, id)
		if err != nil {
			return dbErr(err)
		}
		out = p
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("update project %s: %w", id, err)
	}
	return out, nil
}

// DeleteProject removes a project without checks or channels; its memberships and
// invitations go with it (ON DELETE CASCADE).
func (s *Store) DeleteProject(ctx context.Context, id string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM checks WHERE project_id = ?1) +
			(SELECT count(*) FROM channels WHERE project_id = ?1)`, id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("it still has %d checks and channels: %w", n, store.ErrConflict)
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM projects WHERE id = ?`, id)
		if err != nil {
			return err
		}
		return mustAffect(res)
	})
	if err != nil {
		return fmt.Errorf("delete project %s: %w", id, err)
	}
	return nil
}
