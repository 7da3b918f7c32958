package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// deliverySchema creates the notifier's delivery records (store.Deliveries): data-model
// version 4 (addDeliveries) runs these statements as version 3 builds ran them when they
// started (IF NOT EXISTS), so that a table one of them created is left as it is. Frozen, like
// the baseline: change the table with a migration.
//
// One row per (flip, channel). There are no foreign keys: a delivery outlives its check and
// channel, so that a parked delivery stays visible and a late retry can see that its channel
// is gone. The flip's fields are copied in, so a retry needs no flip lookup. Both indexes are
// partial: the retry queue holds only deliveries still in progress, and the parked list only
// parked ones, so neither grows with the history of sent alerts.
var deliverySchema = []string{
	`CREATE TABLE IF NOT EXISTS deliveries (
		id           TEXT PRIMARY KEY,
		check_id     TEXT NOT NULL,
		flip_id      TEXT NOT NULL,
		flip_created INTEGER NOT NULL,
		old_status   TEXT NOT NULL,
		new_status   TEXT NOT NULL,
		reason       TEXT NOT NULL,
		channel_id   TEXT NOT NULL,
		project_id   TEXT NOT NULL,
		kind         TEXT NOT NULL,
		status       TEXT NOT NULL,
		attempts     INTEGER NOT NULL,
		next_attempt INTEGER,
		last_error   TEXT NOT NULL,
		created      INTEGER NOT NULL,
		updated      INTEGER NOT NULL,
		version      INTEGER NOT NULL
	) STRICT`,
	`CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (next_attempt)
		WHERE status IN ('pending', 'retrying')`,
	`CREATE INDEX IF NOT EXISTS deliveries_parked ON deliveries (project_id, updated)
		WHERE status = 'parked'`,
}

// deliveriesFinalIndex holds final deliveries by their last update, so that pruning them
// (deliveriesPrune) reads only those due to go. Its WHERE is deliveriesPrune's, word for word:
// SQLite uses a partial index only for a query whose WHERE implies the index's.
const deliveriesFinalIndex = `CREATE INDEX IF NOT EXISTS deliveries_final ON deliveries (updated)
		WHERE status IN ('sent', 'failed', 'parked')`

// deliveriesPrune deletes up to ?2 final deliveries (sent, failed, parked: store's Final) last
// updated before ?1. The DynamoDB store gives the same records a TTL of the flips' retention
// after their last update; here UpdateCheck runs this in every transaction that writes pings or
// flips and whose cut-off has passed the oldest final delivery (deliveriesOldest, which the
// committer remembers), a few rows at a time, so pruning costs at most one index probe per
// transaction and keeps up with any pace of alerts. Deliveries outlive their checks (a parked one stays listed after its check
// is gone), so this is not per check: it takes the oldest, whichever check they were for.
const deliveriesPrune = `DELETE FROM deliveries WHERE rowid IN (
		SELECT rowid FROM deliveries WHERE status IN ('sent', 'failed', 'parked') AND updated < ?1
		ORDER BY updated LIMIT ?2)`

// deliveriesOldest is the last update of the oldest delivery deliveriesPrune could delete,
// the first entry of deliveries_final (same WHERE).
const deliveriesOldest = `SELECT updated FROM deliveries WHERE status IN ('sent', 'failed', 'parked')
		ORDER BY updated LIMIT 1`

// deliveriesPruneBatch is how many old deliveries one write prunes at most.
const deliveriesPruneBatch = 16

var deliveryColumns = []string{
	"id", "check_id", "flip_id", "flip_created", "old_status", "new_status", "reason", "channel_id",
	"project_id", "kind", "status", "attempts", "next_attempt", "last_error", "created", "updated", "version",
}

var (
	deliveryInsert = `INSERT INTO deliveries (` + columns(deliveryColumns) + `) VALUES (` +
		placeholders(len(deliveryColumns)) + `) ON CONFLICT (id) DO NOTHING`
	deliverySelect = `SELECT ` + columns(deliveryColumns) + ` FROM deliveries`
	deliveryUpdate = `UPDATE deliveries SET status = ?, attempts = ?, next_attempt = ?, last_error = ?,
		updated = ?, version = version + 1 WHERE id = ? AND version = ?`
	deliveriesDue = deliverySelect + ` WHERE status IN ('pending', 'retrying') AND next_attempt <= ?
		ORDER BY next_attempt, id LIMIT ?`
	deliveriesParked = deliverySelect + ` WHERE project_id = ? AND status = 'parked'
		ORDER BY updated DESC, id DESC LIMIT ?`
)

// Deliveries is the SQLite implementation of store.Deliveries, in the store's database.
type Deliveries struct {
	s *Store
}

var _ store.Deliveries = (*Deliveries)(nil)

// Deliveries returns the delivery records kept in the store's database. It does no I/O: the
// table is part of the data model (version 4), which Open has checked.
func (s *Store) Deliveries() *Deliveries { return &Deliveries{s: s} }

// Claim stores d with Version 1 if no delivery has its ID; otherwise it returns the stored one.
func (ds *Deliveries) Claim(ctx context.Context, d *store.Delivery) (bool, *store.Delivery, error) {
	row := deliveryToRow(d)
	row.Version = 1
	var claimed bool
	var existing *store.Delivery
	err := ds.s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, deliveryInsert, row.fields()...)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 1 {
			claimed = true
			return nil
		}
		existing, err = scanDelivery(tx.QueryRowContext(ctx, deliverySelect+` WHERE id = ?`, d.ID))
		return dbErr(err)
	})
	if err != nil {
		return false, nil, fmt.Errorf("claim delivery %s: %w", d.ID, err)
	}
	if claimed {
		d.Version = 1
	}
	return claimed, existing, nil
}

// Get reads the delivery with this ID; store.ErrNotFound if there is none.
func (ds *Deliveries) Get(ctx context.Context, id string) (*store.Delivery, error) {
	d, err := scanDelivery(ds.s.r.QueryRowContext(ctx, deliverySelect+` WHERE id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("read delivery %s: %w", id, dbErr(err))
	}
	return d, nil
}

// Update writes d's state if the stored Version is still d.Version, and increments d.Version.
// It is store.ErrConflict if the record changed since, store.ErrNotFound if it is gone.
func (ds *Deliveries) Update(ctx context.Context, d *store.Delivery) error {
	err := ds.s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, deliveryUpdate, string(d.Status), d.Attempts, instant(d.NextAttempt),
			d.LastError, instant(d.Updated).Int64, d.ID, d.Version)
		if err != nil {
			return err
		}
		if err := mustAffect(res); !errors.Is(err, store.ErrNotFound) {
			return err
		}
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM deliveries WHERE id = ?`, d.ID).Scan(&one); err != nil {
			return dbErr(err)
		}
		return store.ErrConflict
	})
	if err != nil {
		return fmt.Errorf("update delivery %s: %w", d.ID, err)
	}
	d.Version++
	return nil
}

// Due lists pending and retrying deliveries whose NextAttempt is not after now, soonest first.
// It reads only the partial index of deliveries in progress.
func (ds *Deliveries) Due(ctx context.Context, now time.Time, limit int) ([]*store.Delivery, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("list due deliveries: limit %d is not positive", limit)
	}
	out, err := ds.list(ctx, deliveriesDue, now.UnixMicro(), limit)
	if err != nil {
		return nil, fmt.Errorf("list due deliveries: %w", err)
	}
	return out, nil
}

// Parked lists a project's parked deliveries, most recently updated first.
func (ds *Deliveries) Parked(ctx context.Context, projectID string, limit int) ([]*store.Delivery, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("list parked deliveries of project %s: limit %d is not positive", projectID, limit)
	}
	out, err := ds.list(ctx, deliveriesParked, projectID, limit)
	if err != nil {
		return nil, fmt.Errorf("list parked deliveries of project %s: %w", projectID, err)
	}
	return out, nil
}

// MarkChannelError sets the channel's last error and, with disable, disables it. A channel that
// does not exist in the project is store.ErrNotFound.
func (ds *Deliveries) MarkChannelError(ctx context.Context, projectID, channelID, msg string, disable bool) error {
	err := ds.s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx,
			`UPDATE channels SET last_error = ?, disabled = (disabled OR ?) WHERE id = ? AND project_id = ?`,
			msg, disable, channelID, projectID)
		if err != nil {
			return err
		}
		return mustAffect(res)
	})
	if err != nil {
		return fmt.Errorf("mark channel %s of project %s: %w", channelID, projectID, err)
	}
	return nil
}

func (ds *Deliveries) list(ctx context.Context, query string, args ...any) ([]*store.Delivery, error) {
	rows, err := ds.s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*store.Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// deliveryRow is a row of deliveries.
type deliveryRow struct {
	ID          string
	CheckID     string
	FlipID      string
	FlipCreated sql.NullInt64
	OldStatus   string
	NewStatus   string
	Reason      string
	ChannelID   string
	ProjectID   string
	Kind        string
	Status      string
	Attempts    int
	NextAttempt sql.NullInt64
	LastError   string
	Created     sql.NullInt64
	Updated     sql.NullInt64
	Version     int
}

func (r *deliveryRow) fields() []any {
	return []any{&r.ID, &r.CheckID, &r.FlipID, &r.FlipCreated, &r.OldStatus, &r.NewStatus, &r.Reason,
		&r.ChannelID, &r.ProjectID, &r.Kind, &r.Status, &r.Attempts, &r.NextAttempt, &r.LastError,
		&r.Created, &r.Updated, &r.Version}
}

func deliveryToRow(d *store.Delivery) *deliveryRow {
	return &deliveryRow{
		ID:          d.ID,
		CheckID:     d.Flip.CheckID,
		FlipID:      d.Flip.ID,
		FlipCreated: instant(d.Flip.Created),
		OldStatus:   string(d.Flip.OldStatus),
		NewStatus:   string(d.Flip.NewStatus),
		Reason:      d.Flip.Reason,
		ChannelID:   d.ChannelID,
		ProjectID:   d.ProjectID,
		Kind:        d.Kind,
		Status:      string(d.Status),
		Attempts:    d.Attempts,
		NextAttempt: instant(d.NextAttempt),
		LastError:   d.LastError,
		Created:     instant(d.Created),
		Updated:     instant(d.Updated),
		Version:     d.Version,
	}
}

func (r *deliveryRow) delivery() *store.Delivery {
	return &store.Delivery{
		ID: r.ID,
		Flip: check.Flip{
			ID:        r.FlipID,
			CheckID:   r.CheckID,
			Created:   fromInstant(r.FlipCreated),
			OldStatus: check.Status(r.OldStatus),
			NewStatus: check.Status(r.NewStatus),
			Reason:    r.Reason,
		},
		ChannelID:   r.ChannelID,
		ProjectID:   r.ProjectID,
		Kind:        r.Kind,
		Status:      store.DeliveryStatus(r.Status),
		Attempts:    r.Attempts,
		NextAttempt: fromInstant(r.NextAttempt),
		LastError:   r.LastError,
		Created:     fromInstant(r.Created),
		Updated:     fromInstant(r.Updated),
		Version:     r.Version,
	}
}

func scanDelivery(sc scanner) (*store.Delivery, error) {
	var r deliveryRow
	if err := sc.Scan(r.fields()...); err != nil {
		return nil, err
	}
	return r.delivery(), nil
}
