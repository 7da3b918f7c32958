package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/store"
)

// reportColumns and mailingSchema are data-model version 14 (addReports): each user's report
// and reminder settings with the reporter's cursor, and the mailings table, the idempotent
// record of each report and reminder sent. Frozen like the baseline: change them with a later
// migration. Every column has a default, so an older build's insert of a user, which does not
// name them, stores the defaults (monthly reports, no reminders, nothing sent yet).
var reportColumns = []struct{ name, decl string }{
	{"reports", "TEXT NOT NULL DEFAULT ''"},
	{"reminders", "TEXT NOT NULL DEFAULT ''"},
	{"report_slot", "TEXT NOT NULL DEFAULT ''"},
	{"reminder_slot", "TEXT NOT NULL DEFAULT ''"},
}

var mailingSchema = []string{
	`CREATE TABLE IF NOT EXISTS mailings (
		user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
		kind         TEXT NOT NULL,
		slot         TEXT NOT NULL,
		status       TEXT NOT NULL,
		attempts     INTEGER NOT NULL,
		next_attempt INTEGER,
		last_error   TEXT NOT NULL,
		created      INTEGER NOT NULL,
		updated      INTEGER NOT NULL,
		version      INTEGER NOT NULL,
		PRIMARY KEY (user_id, kind, slot)
	) STRICT`,
	`CREATE INDEX IF NOT EXISTS mailings_created ON mailings (created)`,
}

// addReports is version 14, an expand step: users gain reportColumns, and the mailings table
// (mailingSchema) is created.
//
// Expand, so the minimum reader stays 7: older builds name the user columns they read and
// write, so they never see these, and never touch the new table. Columns already there are
// skipped, so a step cut short is finished by the next run.
func addReports(ctx context.Context, tx *sql.Tx) error {
	for _, col := range reportColumns {
		has, err := hasColumn(ctx, tx, "users", col.name)
		if err != nil {
			return err
		}
		if has {
			continue
		}
		if _, err := tx.ExecContext(ctx, `ALTER TABLE users ADD COLUMN `+col.name+` `+col.decl); err != nil {
			return fmt.Errorf("add users.%s: %w", col.name, err)
		}
	}
	for _, stmt := range mailingSchema {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("mailings: %w", err)
		}
	}
	return nil
}

const mailingSelect = `SELECT user_id, kind, slot, status, attempts, next_attempt, last_error, created, updated, version FROM mailings`

func scanMailing(sc scanner) (*people.Mailing, error) {
	var m people.Mailing
	var next sql.NullInt64
	var created, updated int64
	if err := sc.Scan(&m.UserID, &m.Kind, &m.Slot, &m.Status, &m.Attempts, &next, &m.LastError, &created, &updated, &m.Version); err != nil {
		return nil, err
	}
	m.NextAttempt = fromInstant(next)
	m.Created = fromInstant(sql.NullInt64{Int64: created, Valid: true})
	m.Updated = fromInstant(sql.NullInt64{Int64: updated, Valid: true})
	return &m, nil
}

// ClaimMailing inserts the record unless one has its key, in one transaction that also removes
// a few of the user's records older than people.MailingRetention (as DynamoDB's TTL does).
func (p *People) ClaimMailing(ctx context.Context, m *people.Mailing) (bool, *people.Mailing, error) {
	if err := m.Validate(); err != nil {
		return false, nil, fmt.Errorf("claim mailing: %w", err)
	}
	var claimed bool
	var existing *people.Mailing
	err := p.s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM mailings WHERE rowid IN
			(SELECT rowid FROM mailings WHERE created < ? ORDER BY created LIMIT ?)`,
			instant(m.Created.Add(-people.MailingRetention)).Int64, pruneBatch); err != nil {
			return fmt.Errorf("prune mailings: %w", err)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO mailings
			(user_id, kind, slot, status, attempts, next_attempt, last_error, created, updated, version)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1) ON CONFLICT DO NOTHING`,
			m.UserID, string(m.Kind), m.Slot, string(m.Status), m.Attempts, instant(m.NextAttempt), m.LastError,
			instant(m.Created).Int64, instant(m.Updated).Int64)
		if err != nil {
			return dbErr(err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			claimed = err == nil
			return err
		}
		existing, err = scanMailing(tx.QueryRowContext(ctx, mailingSelect+` WHERE user_id = ? AND kind = ? AND slot = ?`,
			m.UserID, string(m.Kind), m.Slot))
		return dbErr(err)
	})
	if err != nil {
		return false, nil, fmt.Errorf("claim mailing %s: %w", m.ID(), err)
	}
	if claimed {
		m.Version = 1
	}
	return claimed, existing, nil
}

// UpdateMailing writes the record's state if the stored version is still m.Version.
func (p *People) UpdateMailing(ctx context.Context, m *people.Mailing) error {
	if err := m.Validate(); err != nil {
		return fmt.Errorf("update mailing: %w", err)
	}
	err := p.s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE mailings SET status = ?, attempts = ?, next_attempt = ?, last_error = ?,
			updated = ?, version = version + 1 WHERE user_id = ? AND kind = ? AND slot = ? AND version = ?`,
			string(m.Status), m.Attempts, instant(m.NextAttempt), m.LastError, instant(m.Updated).Int64,
			m.UserID, string(m.Kind), m.Slot, m.Version)
		if err != nil {
			return err
		}
		if err := mustAffect(res); !errors.Is(err, store.ErrNotFound) {
			return err
		}
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM mailings WHERE user_id = ? AND kind = ? AND slot = ?`,
			m.UserID, string(m.Kind), m.Slot).Scan(&one); err != nil {
			return dbErr(err)
		}
		return store.ErrConflict
	})
	if err != nil {
		return fmt.Errorf("update mailing %s: %w", m.ID(), err)
	}
	m.Version++
	return nil
}
