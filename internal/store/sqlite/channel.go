package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

var (
	channelInsert = `INSERT INTO channels (` + columns(channelColumns) + `) VALUES (` +
		placeholders(len(channelColumns)) + `)`
	channelSelect = `SELECT ` + columns(channelColumns) + ` FROM channels`
)

// CreateChannel stores a new channel, its value sealed when the data's minimum reader opens
// sealed values (store.KeepValue), read in the same transaction. It is store.ErrConflict if the
// ID is taken and store.ErrNotFound if the project does not exist.
func (s *Store) CreateChannel(ctx context.Context, ch *check.Channel) error {
	row := channelToRow(ch)
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		if row.Value, err = s.keepValue(ctx, tx, ch); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, channelInsert, row.fields()...)
		return dbErr(err)
	})
	if err != nil {
		return fmt.Errorf("create channel %s: %w", ch.ID, err)
	}
	return nil
}

// Channels lists a project's channels, oldest first. With a *store.DamagedError it still
// returns them all (store.OpenValues).
func (s *Store) Channels(ctx context.Context, projectID string) ([]*check.Channel, error) {
	rows, err := s.r.QueryContext(ctx, channelSelect+` WHERE project_id = ? ORDER BY created, rowid`, projectID)
	if err != nil {
		return nil, fmt.Errorf("list channels of project %s: %w", projectID, err)
	}
	defer rows.Close()
	var out []*check.Channel
	for rows.Next() {
		var r channelRow
		if err := rows.Scan(r.fields()...); err != nil {
			return nil, fmt.Errorf("list channels of project %s: %w", projectID, err)
		}
		out = append(out, r.channel())
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list channels of project %s: %w", projectID, err)
	}
	if err := store.OpenValues(s.opts.Box, out); err != nil {
		var damaged *store.DamagedError
		if errors.As(err, &damaged) {
			return out, fmt.Errorf("list channels of project %s: %w", projectID, err)
		}
		return nil, fmt.Errorf("list channels of project %s: %w", projectID, err)
	}
	return out, nil
}

// UpdateChannel loads a project's channel, lets fn change it and stores the result, its value
// kept as CreateChannel keeps it, in one transaction. A channel that is not the project's is store.ErrNotFound.
func (s *Store) UpdateChannel(ctx context.Context, projectID, id string, fn func(ch *check.Channel) error) (*check.Channel, error) {
	var out *check.Channel
	err := s.write(ctx, func(tx *sql.Tx) error {
		var r channelRow
		err := tx.QueryRowContext(ctx, channelSelect+` WHERE id = ? AND project_id = ?`, id, projectID).Scan(r.fields()...)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		ch := r.channel()
		if err := store.OpenValue(s.opts.Box, ch); err != nil {
			return err
		}
		if err := fn(ch); err != nil {
			return err
		}
		ch.ID, ch.ProjectID, ch.Kind, ch.Created = r.ID, r.ProjectID, r.Kind, fromInstant(r.Created)
		row := channelToRow(ch)
		if row.Value, err = s.keepValue(ctx, tx, ch); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE channels SET name = ?, value = ?, disabled = ?, last_error = ?,
			alert_delay = ?, alert_repeat = ?, alert_late = ? WHERE id = ?`,
			row.Name, row.Value, row.Disabled, row.LastError, row.Delay, row.Repeat, row.Late, row.ID)
		out = ch
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("update channel %s of project %s: %w", id, projectID, err)
	}
	return out, nil
}

// DeleteChannel removes a project's channel and unassigns it from every check, in one
// transaction. A channel that does not exist in the project is store.ErrNotFound.
func (s *Store) DeleteChannel(ctx context.Context, projectID, id string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM channels WHERE id = ? AND project_id = ?`, id, projectID)
		if err != nil {
			return err
		}
		if err := mustAffect(res); err != nil {
			return err
		}
		// Positions of the remaining channels keep their gaps; only their order matters.
		_, err = tx.ExecContext(ctx, `DELETE FROM check_channels WHERE channel_id = ?`, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete channel %s of project %s: %w", id, projectID, err)
	}
	return nil
}

// keepValue is ch's value as tx stores it: sealed when the data's minimum reader opens sealed
// values, in clear text otherwise (store.KeepValue).
func (s *Store) keepValue(ctx context.Context, tx *sql.Tx, ch *check.Channel) (string, error) {
	v, err := s.txVersion(ctx, tx)
	if err != nil {
		return "", err
	}
	return store.KeepValue(s.opts.Box, ch, v.MinReader)
}
