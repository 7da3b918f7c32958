package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/store"
)

// factorSchema is data-model version 11 (addSecondFactors): second factors, recovery codes and
// challenges (ceremonies in progress). Frozen like the baseline: change these tables with a later
// migration.
//
// A TOTP secret is stored sealed (package account seals it under the server secret before the
// store sees it); a WebAuthn factor's public key needs no secret. Recovery codes are stored as
// hashes only, one row each, so that using one is a DELETE that exactly one caller wins.
// Challenges are found by the hash of the browser's token, as sessions are, and expire within
// minutes; creating one prunes a few expired ones (pruneBatch).
var factorSchema = []string{
	`CREATE TABLE IF NOT EXISTS second_factors (
		id      TEXT PRIMARY KEY,
		user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
		kind    TEXT NOT NULL,
		name    TEXT NOT NULL,
		public  BLOB NOT NULL,
		secret  BLOB NOT NULL,
		counter INTEGER NOT NULL,
		created INTEGER NOT NULL
	) STRICT`,
	`CREATE INDEX IF NOT EXISTS second_factors_user ON second_factors (user_id, created)`,
	`CREATE TABLE IF NOT EXISTS recovery_codes (
		user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
		hash    TEXT NOT NULL,
		PRIMARY KEY (user_id, hash)
	) STRICT`,
	`CREATE TABLE IF NOT EXISTS challenges (
		id_hash TEXT PRIMARY KEY,
		user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
		purpose TEXT NOT NULL,
		data    BLOB NOT NULL,
		created INTEGER NOT NULL,
		expires INTEGER NOT NULL
	) STRICT`,
	`CREATE INDEX IF NOT EXISTS challenges_expires ON challenges (expires)`,
}

// addSecondFactors is version 11, an expand step: the tables of factorSchema.
//
// Expand, so the minimum reader stays 7: the tables are new and older builds never name them.
// What that means for a rollback: an older build signs people in with their password alone,
// as it always did, until this release is back (README, Second factors).
func addSecondFactors(ctx context.Context, tx *sql.Tx) error {
	for _, stmt := range factorSchema {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("second factor tables: %w", err)
		}
	}
	return nil
}

// orEmpty keeps a nil byte slice out of a NOT NULL BLOB column.
func orEmpty(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// orNil reads an empty BLOB back as nil, as the factor was before it was stored.
func orNil(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// CreateSecondFactor stores a factor; the primary key makes a taken ID ErrConflict and the
// foreign key a missing user ErrNotFound.
func (p *People) CreateSecondFactor(ctx context.Context, f *people.SecondFactor) error {
	if err := f.Validate(); err != nil {
		return fmt.Errorf("create second factor: %w", err)
	}
	err := p.s.write(ctx, func(tx *sql.Tx) error { return insertFactor(ctx, tx, f) })
	if err != nil {
		return fmt.Errorf("create second factor %s: %w", f.ID, err)
	}
	return nil
}

func insertFactor(ctx context.Context, tx *sql.Tx, f *people.SecondFactor) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO second_factors (id, user_id, kind, name, public, secret, counter, created)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, f.ID, f.UserID, string(f.Kind), f.Name, orEmpty(f.Public), orEmpty(f.Secret),
		f.Counter, instant(f.Created).Int64)
	return dbErr(err)
}

// SecondFactors lists the user's factors, oldest first.
func (p *People) SecondFactors(ctx context.Context, userID string) ([]*people.SecondFactor, error) {
	rows, err := p.s.r.QueryContext(ctx, `SELECT id, user_id, kind, name, public, secret, counter, created
		FROM second_factors WHERE user_id = ? ORDER BY created, id`, userID)
	if err != nil {
		return nil, fmt.Errorf("list second factors of user %s: %w", userID, err)
	}
	defer rows.Close()
	var out []*people.SecondFactor
	for rows.Next() {
		var f people.SecondFactor
		var kind string
		var created sql.NullInt64
		if err := rows.Scan(&f.ID, &f.UserID, &kind, &f.Name, &f.Public, &f.Secret, &f.Counter, &created); err != nil {
			return nil, fmt.Errorf("list second factors of user %s: %w", userID, err)
		}
		f.Kind, f.Created, f.Public, f.Secret = people.FactorKind(kind), fromInstant(created), orNil(f.Public), orNil(f.Secret)
		out = append(out, &f)
	}
	return out, rows.Err()
}

// AdvanceSecondFactor raises the factor's counter in one conditional UPDATE: ErrConflict when
// the stored counter is not lower, ErrNotFound when the user has no such factor.
func (p *People) AdvanceSecondFactor(ctx context.Context, userID, factorID string, counter int64) error {
	err := p.s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE second_factors SET counter = ? WHERE id = ? AND user_id = ? AND counter < ?`,
			counter, factorID, userID, counter)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		var one int
		err = tx.QueryRowContext(ctx, `SELECT 1 FROM second_factors WHERE id = ? AND user_id = ?`, factorID, userID).Scan(&one)
		if err != nil {
			return dbErr(err)
		}
		return store.ErrConflict // there, with a counter at or above this one: a replay
	})
	if err != nil {
		return fmt.Errorf("advance second factor %s: %w", factorID, err)
	}
	return nil
}

// DeleteSecondFactor removes the user's factor.
func (p *People) DeleteSecondFactor(ctx context.Context, userID, factorID string) error {
	err := p.s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM second_factors WHERE id = ? AND user_id = ?`, factorID, userID)
		if err != nil {
			return err
		}
		return mustAffect(res)
	})
	if err != nil {
		return fmt.Errorf("delete second factor %s: %w", factorID, err)
	}
	return nil
}

// SetRecoveryCodes replaces the user's codes in one transaction.
func (p *People) SetRecoveryCodes(ctx context.Context, userID string, hashes []string) error {
	err := p.s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
			return err
		}
		for _, h := range hashes {
			if _, err := tx.ExecContext(ctx, `INSERT INTO recovery_codes (user_id, hash) VALUES (?, ?)`, userID, h); err != nil {
				return dbErr(err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("set recovery codes of user %s: %w", userID, err)
	}
	return nil
}

// UseRecoveryCode deletes the code: one DELETE, so of two callers exactly one removes the row.
func (p *People) UseRecoveryCode(ctx context.Context, userID, hash string) error {
	err := p.s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = ? AND hash = ?`, userID, hash)
		if err != nil {
			return err
		}
		return mustAffect(res)
	})
	if err != nil {
		// Never the hash in the message: it identifies the code.
		return fmt.Errorf("use recovery code of user %s: %w", userID, err)
	}
	return nil
}

// RecoveryCodesLeft counts the user's codes.
func (p *People) RecoveryCodesLeft(ctx context.Context, userID string) (int, error) {
	var n int
	if err := p.s.r.QueryRowContext(ctx, `SELECT count(*) FROM recovery_codes WHERE user_id = ?`, userID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count recovery codes of user %s: %w", userID, err)
	}
	return n, nil
}

// RecoveryCodes lists the hashes of the user's unused codes, sorted.
func (p *People) RecoveryCodes(ctx context.Context, userID string) ([]string, error) {
	rows, err := p.s.r.QueryContext(ctx, `SELECT hash FROM recovery_codes WHERE user_id = ? ORDER BY hash`, userID)
	if err != nil {
		return nil, fmt.Errorf("list recovery codes of user %s: %w", userID, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, fmt.Errorf("list recovery codes of user %s: %w", userID, err)
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list recovery codes of user %s: %w", userID, err)
	}
	return out, nil
}

// CreateChallenge stores a challenge and prunes a few expired ones.
func (p *People) CreateChallenge(ctx context.Context, c *people.Challenge) error {
	if err := c.Validate(); err != nil {
		return fmt.Errorf("create challenge: %w", err)
	}
	err := p.s.write(ctx, func(tx *sql.Tx) error {
		if err := prune(ctx, tx, "challenges", c.Created); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO challenges (id_hash, user_id, purpose, data, created, expires)
			VALUES (?, ?, ?, ?, ?, ?)`, c.IDHash, c.UserID, string(c.Purpose), orEmpty(c.Data),
			instant(c.Created).Int64, instant(c.Expires).Int64)
		return dbErr(err)
	})
	if err != nil {
		return fmt.Errorf("create challenge for user %s: %w", c.UserID, err)
	}
	return nil
}

const challengeColumns = `id_hash, user_id, purpose, data, created, expires`

func scanChallenge(sc scanner) (*people.Challenge, error) {
	var c people.Challenge
	var purpose string
	var created, expires sql.NullInt64
	if err := sc.Scan(&c.IDHash, &c.UserID, &purpose, &c.Data, &created, &expires); err != nil {
		return nil, err
	}
	c.Purpose, c.Data, c.Created, c.Expires = people.ChallengePurpose(purpose), orNil(c.Data), fromInstant(created), fromInstant(expires)
	return &c, nil
}

// Challenge loads a challenge that has not expired at now.
func (p *People) Challenge(ctx context.Context, idHash string, now time.Time) (*people.Challenge, error) {
	c, err := scanChallenge(p.s.r.QueryRowContext(ctx, `SELECT `+challengeColumns+` FROM challenges
		WHERE id_hash = ? AND expires > ?`, idHash, instant(now).Int64))
	if err != nil {
		return nil, fmt.Errorf("load challenge: %w", dbErr(err))
	}
	return c, nil
}

// ConsumeChallenge deletes and returns the challenge if it has not expired: one DELETE …
// RETURNING, so of two callers exactly one gets it.
func (p *People) ConsumeChallenge(ctx context.Context, idHash string, now time.Time) (*people.Challenge, error) {
	var c *people.Challenge
	err := p.s.write(ctx, func(tx *sql.Tx) (err error) {
		c, err = scanChallenge(tx.QueryRowContext(ctx, `DELETE FROM challenges WHERE id_hash = ? AND expires > ?
			RETURNING `+challengeColumns, idHash, instant(now).Int64))
		return dbErr(err)
	})
	if err != nil {
		return nil, fmt.Errorf("consume challenge: %w", err)
	}
	return c, nil
}
