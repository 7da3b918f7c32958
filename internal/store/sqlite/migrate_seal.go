package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/overduehq/overdue/internal/seal"
	"github.com/overduehq/overdue/internal/store"
)

// boxSteps are the steps that need the server secret, which Apply passes from Migrator.Box.
var boxSteps = map[int]func(ctx context.Context, tx *sql.Tx, box *seal.Box) error{
	8: sealChannelValues,
}

// stepFor is the step that produces version v, given box for the steps that need it.
func stepFor(v int, box *seal.Box) (func(ctx context.Context, tx *sql.Tx) error, bool) {
	if boxed, ok := boxSteps[v]; ok {
		return func(ctx context.Context, tx *sql.Tx) error { return boxed(ctx, tx, box) }, true
	}
	step, ok := steps[v]
	return step, ok
}

// readSealedValues is version 7, an expand step that changes no data: builds of version 7 and
// later open sealed channel values (store.OpenValue) and take a value in clear text as it is,
// so they work on data before and after version 8. The version exists so that version 8 can
// name a minimum reader that reads sealed values; builds before it would take one for a
// target.
func readSealedValues(context.Context, *sql.Tx) error { return nil }

// sealChannelValues is version 8, a contract step: every channel value still in clear text is
// sealed under the server secret (store.SealValue), so that the database file holds no service
// token, webhook URL or password in clear text.
//
// Contract, so the minimum reader rises to 7: a version 6 build would read a sealed value as an
// address or URL and send to it. The guard refuses the data to such builds (exit status 3, 503)
// before they read a channel.
//
// secure_delete makes SQLite overwrite the space the clear values leave with zeros, so that
// they do not linger in free space of the file; the values stay in the backup taken before the
// migration (overdue.db.bak-v6 for data of the previous release), which the README says to remove once it is not
// needed for a rollback. A value already sealed is left alone, so a second run changes nothing.
func sealChannelValues(ctx context.Context, tx *sql.Tx, box *seal.Box) error {
	if _, err := tx.ExecContext(ctx, `PRAGMA secure_delete = ON`); err != nil {
		return fmt.Errorf("seal channel values: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, value FROM channels WHERE substr(value, 1, ?) <> ?`,
		len(seal.Prefix), seal.Prefix)
	if err != nil {
		return fmt.Errorf("seal channel values: %w", err)
	}
	type clear struct{ id, value string }
	var todo []clear
	for rows.Next() {
		var c clear
		if err := rows.Scan(&c.id, &c.value); err != nil {
			rows.Close()
			return fmt.Errorf("seal channel values: %w", err)
		}
		todo = append(todo, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("seal channel values: %w", err)
	}
	if len(todo) > 0 && box == nil {
		return fmt.Errorf("seal channel values: %w: the migration to version 8 seals %d channel values under it "+
			"(overdue finds it in the data directory's secret.key, or in OVERDUE_SECRET_KEY)", store.ErrNoBox, len(todo))
	}
	for _, c := range todo {
		sealed, err := box.Seal(c.id, c.value)
		if err != nil {
			return fmt.Errorf("seal channel values: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE channels SET value = ? WHERE id = ?`, sealed, c.id); err != nil {
			return fmt.Errorf("seal channel %s: %w", c.id, err)
		}
	}
	return nil
}
