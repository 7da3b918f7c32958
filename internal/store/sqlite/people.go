package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/store"
)

// peopleSchema is data-model version 6 (addPeople): the accounts of package people. Frozen like
// the baseline: change these tables with a later migration.
//
// Only hashes of secrets are stored: password_hash is argon2id, token and session hashes are
// SHA-256 of 256 random bits. Emails are stored normalised, so the UNIQUE constraint is the
// one rule that a second account for one inbox cannot pass, however many create at once.
// Memberships, invitations, resets, sessions and tokens go with their user or project (ON
// DELETE CASCADE; no build deletes either yet). Each table with an expiry has an index on it, so
// that creating a row prunes a few expired ones (pruneBatch) without reading the rest; DynamoDB
// gives the same items a TTL.
var peopleSchema = []string{
	`CREATE TABLE IF NOT EXISTS users (
		id            TEXT PRIMARY KEY,
		email         TEXT NOT NULL UNIQUE,
		name          TEXT NOT NULL,
		password_hash TEXT NOT NULL,
		tz            TEXT NOT NULL,
		created       INTEGER NOT NULL
	) STRICT`,
	`CREATE TABLE IF NOT EXISTS memberships (
		project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
		user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
		role       TEXT NOT NULL,
		created    INTEGER NOT NULL,
		PRIMARY KEY (project_id, user_id)
	) STRICT`,
	`CREATE INDEX IF NOT EXISTS memberships_user ON memberships (user_id, project_id)`,
	`CREATE TABLE IF NOT EXISTS invitations (
		token_hash TEXT PRIMARY KEY,
		project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
		email      TEXT NOT NULL,
		role       TEXT NOT NULL,
		inviter_id TEXT NOT NULL,
		created    INTEGER NOT NULL,
		expires    INTEGER NOT NULL
	) STRICT`,
	`CREATE INDEX IF NOT EXISTS invitations_expires ON invitations (expires)`,
	`CREATE TABLE IF NOT EXISTS password_resets (
		token_hash TEXT PRIMARY KEY,
		user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
		created    INTEGER NOT NULL,
		expires    INTEGER NOT NULL
	) STRICT`,
	`CREATE INDEX IF NOT EXISTS password_resets_expires ON password_resets (expires)`,
	`CREATE TABLE IF NOT EXISTS sessions (
		id_hash   TEXT PRIMARY KEY,
		user_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
		created   INTEGER NOT NULL,
		last_seen INTEGER NOT NULL,
		expires   INTEGER NOT NULL,
		client    TEXT NOT NULL
	) STRICT`,
	`CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user_id)`,
	`CREATE INDEX IF NOT EXISTS sessions_expires ON sessions (expires)`,
	`CREATE TABLE IF NOT EXISTS api_tokens (
		id        TEXT PRIMARY KEY,
		hash      TEXT NOT NULL UNIQUE,
		user_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
		name      TEXT NOT NULL,
		created   INTEGER NOT NULL,
		last_used INTEGER
	) STRICT`,
	`CREATE INDEX IF NOT EXISTS api_tokens_user ON api_tokens (user_id)`,
}

// pruneBatch is how many expired rows one create removes at most.
const pruneBatch = 16

// People is the SQLite implementation of store.People, in the store's database.
type People struct {
	s *Store
}

var _ store.People = (*People)(nil)

// People returns the accounts kept in the store's database. It does no I/O: the tables are part
// of the data model (version 6), which Open has checked.
func (s *Store) People() *People { return &People{s: s} }

const userSelect = `SELECT id, email, name, password_hash, tz, created, reports, reminders, report_slot, reminder_slot FROM users`

func scanUser(sc scanner) (*people.User, error) {
	var u people.User
	var created sql.NullInt64
	if err := sc.Scan(&u.ID, &u.Email, &u.Name, &u.PasswordHash, &u.TimeZone, &created,
		&u.Reports, &u.Reminders, &u.ReportSlot, &u.ReminderSlot); err != nil {
		return nil, err
	}
	u.Created = fromInstant(created)
	return &u, nil
}

// CreateUser stores a new user; the primary key and the unique email make it ErrConflict.
func (p *People) CreateUser(ctx context.Context, u *people.User) error {
	return p.CreateUserWithFactors(ctx, u, nil, nil)
}

// CreateUserWithFactors inserts the user, its factors and its codes in one transaction.
func (p *People) CreateUserWithFactors(ctx context.Context, u *people.User, factors []*people.SecondFactor, codes []string) error {
	if err := store.ValidateUserWithFactors(u, factors, codes); err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	err := p.s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO users (id, email, name, password_hash, tz, created,
			reports, reminders, report_slot, reminder_slot) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			u.ID, u.Email, u.Name, u.PasswordHash, u.TimeZone, instant(u.Created).Int64,
			string(u.Reports), string(u.Reminders), u.ReportSlot, u.ReminderSlot)
		if err != nil {
			return dbErr(err)
		}
		for _, f := range factors {
			if err := insertFactor(ctx, tx, f); err != nil {
				return err
			}
		}
		for _, h := range codes {
			if _, err := tx.ExecContext(ctx, `INSERT INTO recovery_codes (user_id, hash) VALUES (?, ?)`, u.ID, h); err != nil {
				return dbErr(err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("create user %s: %w", u.ID, err)
	}
	return nil
}

// User loads a user by ID.
func (p *People) User(ctx context.Context, id string) (*people.User, error) {
	u, err := scanUser(p.s.r.QueryRowContext(ctx, userSelect+` WHERE id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("load user %s: %w", id, dbErr(err))
	}
	return u, nil
}

// UserByEmail loads a user by normalised email.
func (p *People) UserByEmail(ctx context.Context, email string) (*people.User, error) {
	u, err := scanUser(p.s.r.QueryRowContext(ctx, userSelect+` WHERE email = ?`, email))
	if err != nil {
		return nil, fmt.Errorf("find user by email: %w", dbErr(err))
	}
	return u, nil
}

// Users lists every user, oldest first.
func (p *People) Users(ctx context.Context) ([]*people.User, error) {
	rows, err := p.s.r.QueryContext(ctx, userSelect+` ORDER BY created, id`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []*people.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// SetPasswordHash replaces a user's password hash.
func (p *People) SetPasswordHash(ctx context.Context, userID, hash string) error {
	err := p.s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, hash, userID)
		if err != nil {
			return err
		}
		return mustAffect(res)
	})
	if err != nil {
		return fmt.Errorf("set password of user %s: %w", userID, err)
	}
	return nil
}

// SetProfile replaces a user's display name and time zone.
func (p *People) SetProfile(ctx context.Context, userID, name, timeZone string) error {
	err := p.s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET name = ?, tz = ? WHERE id = ?`, name, timeZone, userID)
		if err != nil {
			return err
		}
		return mustAffect(res)
	})
	if err != nil {
		return fmt.Errorf("set profile of user %s: %w", userID, err)
	}
	return nil
}

// UpdateUser runs fn on the user and writes the settings and cursors it owns, in one write
// transaction, which no other writer can interleave with.
func (p *People) UpdateUser(ctx context.Context, id string, fn func(u *people.User) error) (*people.User, error) {
	var out *people.User
	var fnErr error
	err := p.s.write(ctx, func(tx *sql.Tx) error {
		u, err := scanUser(tx.QueryRowContext(ctx, userSelect+` WHERE id = ?`, id))
		if err != nil {
			return dbErr(err)
		}
		orig := *u
		if fnErr = fn(u); fnErr != nil {
			return fnErr
		}
		u.ID, u.Email, u.Name, u.PasswordHash, u.TimeZone, u.Created = orig.ID, orig.Email, orig.Name, orig.PasswordHash, orig.TimeZone, orig.Created
		if err := u.Validate(); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE users SET reports = ?, reminders = ?, report_slot = ?, reminder_slot = ?
			WHERE id = ?`, string(u.Reports), string(u.Reminders), u.ReportSlot, u.ReminderSlot, id)
		out = u
		return err
	})
	if fnErr != nil {
		return nil, fnErr
	}
	if err != nil {
		return nil, fmt.Errorf("update user %s: %w", id, err)
	}
	return out, nil
}

// lastOwner reports whether userID is the only owner of projectID, inside tx (a write
// transaction, so no other writer can change the answer before the change commits).
func lastOwner(ctx context.Context, tx *sql.Tx, projectID, userID string) (bool, error) {
	var role string
	err := tx.QueryRowContext(ctx, `SELECT role FROM memberships WHERE project_id = ? AND user_id = ?`,
		projectID, userID).Scan(&role)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	if people.Role(role) != people.RoleOwner {
		return false, nil
	}
	var owners int
	err = tx.QueryRowContext(ctx, `SELECT count(*) FROM memberships WHERE project_id = ? AND role = ?`,
		projectID, string(people.RoleOwner)).Scan(&owners)
	return owners == 1, err
}

// SetMembership creates the membership or changes its role, in one write transaction with the
// last-owner check.
func (p *People) SetMembership(ctx context.Context, m people.Membership) error {
	if err := m.Validate(); err != nil {
		return fmt.Errorf("set membership: %w", err)
	}
	err := p.s.write(ctx, func(tx *sql.Tx) error {
		if m.Role != people.RoleOwner {
			last, err := lastOwner(ctx, tx, m.ProjectID, m.UserID)
			if err != nil {
				return err
			}
			if last {
				return store.ErrLastOwner
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO memberships (project_id, user_id, role, created) VALUES (?, ?, ?, ?)
			ON CONFLICT (project_id, user_id) DO UPDATE SET role = excluded.role`,
			m.ProjectID, m.UserID, string(m.Role), instant(m.Created).Int64)
		return dbErr(err)
	})
	if err != nil {
		return fmt.Errorf("set membership of user %s in project %s: %w", m.UserID, m.ProjectID, err)
	}
	return nil
}

// RemoveMembership removes the user from the project unless that leaves it without an owner.
func (p *People) RemoveMembership(ctx context.Context, projectID, userID string) error {
	err := p.s.write(ctx, func(tx *sql.Tx) error {
		last, err := lastOwner(ctx, tx, projectID, userID)
		if err != nil {
			return err
		}
		if last {
			return store.ErrLastOwner
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM memberships WHERE project_id = ? AND user_id = ?`, projectID, userID)
		if err != nil {
			return err
		}
		return mustAffect(res)
	})
	if err != nil {
		return fmt.Errorf("remove user %s from project %s: %w", userID, projectID, err)
	}
	return nil
}

// ChangeMembership reads the membership, asks change and writes its answer in one write
// transaction, with the last-owner check.
func (p *People) ChangeMembership(ctx context.Context, projectID, userID string, change func(cur people.Role) (people.Role, error)) error {
	err := p.s.write(ctx, func(tx *sql.Tx) error {
		var cur string
		err := tx.QueryRowContext(ctx, `SELECT role FROM memberships WHERE project_id = ? AND user_id = ?`,
			projectID, userID).Scan(&cur)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		role, err := change(people.Role(cur))
		if err != nil {
			return err
		}
		if role == people.Role(cur) {
			return nil
		}
		if role != "" {
			if err := (people.Membership{ProjectID: projectID, UserID: userID, Role: role}).Validate(); err != nil {
				return err
			}
		}
		if cur == string(people.RoleOwner) {
			last, err := lastOwner(ctx, tx, projectID, userID)
			if err != nil {
				return err
			}
			if last {
				return store.ErrLastOwner
			}
		}
		if role == "" {
			_, err = tx.ExecContext(ctx, `DELETE FROM memberships WHERE project_id = ? AND user_id = ?`, projectID, userID)
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE memberships SET role = ? WHERE project_id = ? AND user_id = ?`,
				string(role), projectID, userID)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("change membership of user %s in project %s: %w", userID, projectID, err)
	}
	return nil
}

const membershipSelect = `SELECT project_id, user_id, role, created FROM memberships`

func (p *People) memberships(ctx context.Context, where, arg string) ([]people.Membership, error) {
	rows, err := p.s.r.QueryContext(ctx, membershipSelect+` WHERE `+where, arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []people.Membership
	for rows.Next() {
		var m people.Membership
		var role string
		var created sql.NullInt64
		if err := rows.Scan(&m.ProjectID, &m.UserID, &role, &created); err != nil {
			return nil, err
		}
		m.Role, m.Created = people.Role(role), fromInstant(created)
		out = append(out, m)
	}
	return out, rows.Err()
}

// Memberships lists the user's memberships, by project ID.
func (p *People) Memberships(ctx context.Context, userID string) ([]people.Membership, error) {
	out, err := p.memberships(ctx, `user_id = ? ORDER BY project_id`, userID)
	if err != nil {
		return nil, fmt.Errorf("list memberships of user %s: %w", userID, err)
	}
	return out, nil
}

// Members lists the project's memberships, by user ID.
func (p *People) Members(ctx context.Context, projectID string) ([]people.Membership, error) {
	out, err := p.memberships(ctx, `project_id = ? ORDER BY user_id`, projectID)
	if err != nil {
		return nil, fmt.Errorf("list members of project %s: %w", projectID, err)
	}
	return out, nil
}

// prune deletes up to pruneBatch rows of table that expired before now.
func prune(ctx context.Context, tx *sql.Tx, table string, now time.Time) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE rowid IN (
		SELECT rowid FROM `+table+` WHERE expires < ? ORDER BY expires LIMIT ?)`, instant(now).Int64, pruneBatch)
	return err
}

// CreateInvitation stores an invitation and prunes a few expired ones.
func (p *People) CreateInvitation(ctx context.Context, inv *people.Invitation) error {
	if err := inv.Validate(); err != nil {
		return fmt.Errorf("create invitation: %w", err)
	}
	err := p.s.write(ctx, func(tx *sql.Tx) error {
		if err := prune(ctx, tx, "invitations", inv.Created); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO invitations (token_hash, project_id, email, role, inviter_id, created, expires)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, inv.TokenHash, inv.ProjectID, inv.Email, string(inv.Role), inv.InviterID,
			instant(inv.Created).Int64, instant(inv.Expires).Int64)
		return dbErr(err)
	})
	if err != nil {
		return fmt.Errorf("create invitation to project %s: %w", inv.ProjectID, err)
	}
	return nil
}

// Invitation loads the invitation if it has not expired.
func (p *People) Invitation(ctx context.Context, tokenHash string, now time.Time) (*people.Invitation, error) {
	var inv people.Invitation
	var role string
	var created, expires sql.NullInt64
	err := p.s.r.QueryRowContext(ctx, `SELECT token_hash, project_id, email, role, inviter_id, created, expires
		FROM invitations WHERE token_hash = ? AND expires > ?`, tokenHash, instant(now).Int64).
		Scan(&inv.TokenHash, &inv.ProjectID, &inv.Email, &role, &inv.InviterID, &created, &expires)
	if err != nil {
		return nil, fmt.Errorf("load invitation: %w", dbErr(err))
	}
	inv.Role, inv.Created, inv.Expires = people.Role(role), fromInstant(created), fromInstant(expires)
	return &inv, nil
}

// ConsumeInvitation deletes the invitation and returns it, if it has not expired: one DELETE …
// RETURNING, so of two callers exactly one gets the row.
func (p *People) ConsumeInvitation(ctx context.Context, tokenHash string, now time.Time) (*people.Invitation, error) {
	var inv people.Invitation
	err := p.s.write(ctx, func(tx *sql.Tx) error {
		var role string
		var created, expires sql.NullInt64
		err := tx.QueryRowContext(ctx, `DELETE FROM invitations WHERE token_hash = ? AND expires > ?
			RETURNING token_hash, project_id, email, role, inviter_id, created, expires`, tokenHash, instant(now).Int64).
			Scan(&inv.TokenHash, &inv.ProjectID, &inv.Email, &role, &inv.InviterID, &created, &expires)
		inv.Role, inv.Created, inv.Expires = people.Role(role), fromInstant(created), fromInstant(expires)
		return dbErr(err)
	})
	if err != nil {
		return nil, fmt.Errorf("consume invitation: %w", err)
	}
	return &inv, nil
}

// Invitations lists the project's unexpired invitations, oldest first.
func (p *People) Invitations(ctx context.Context, projectID string, now time.Time) ([]*people.Invitation, error) {
	rows, err := p.s.r.QueryContext(ctx, `SELECT token_hash, project_id, email, role, inviter_id, created, expires
		FROM invitations WHERE project_id = ? AND expires > ? ORDER BY created, token_hash`, projectID, instant(now).Int64)
	if err != nil {
		return nil, fmt.Errorf("list invitations of project %s: %w", projectID, err)
	}
	defer rows.Close()
	var out []*people.Invitation
	for rows.Next() {
		var inv people.Invitation
		var role string
		var created, expires sql.NullInt64
		if err := rows.Scan(&inv.TokenHash, &inv.ProjectID, &inv.Email, &role, &inv.InviterID, &created, &expires); err != nil {
			return nil, fmt.Errorf("list invitations of project %s: %w", projectID, err)
		}
		inv.Role, inv.Created, inv.Expires = people.Role(role), fromInstant(created), fromInstant(expires)
		out = append(out, &inv)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list invitations of project %s: %w", projectID, err)
	}
	return out, nil
}

// CancelInvitation deletes the project's invitation.
func (p *People) CancelInvitation(ctx context.Context, projectID, tokenHash string) error {
	err := p.s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM invitations WHERE token_hash = ? AND project_id = ?`, tokenHash, projectID)
		if err != nil {
			return err
		}
		return mustAffect(res)
	})
	if err != nil {
		return fmt.Errorf("cancel invitation to project %s: %w", projectID, err)
	}
	return nil
}

// CreatePasswordReset stores a set-password link and prunes a few expired ones.
func (p *People) CreatePasswordReset(ctx context.Context, r *people.PasswordReset) error {
	if err := r.Validate(); err != nil {
		return fmt.Errorf("create password reset: %w", err)
	}
	err := p.s.write(ctx, func(tx *sql.Tx) error {
		if err := prune(ctx, tx, "password_resets", r.Created); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO password_resets (token_hash, user_id, created, expires) VALUES (?, ?, ?, ?)`,
			r.TokenHash, r.UserID, instant(r.Created).Int64, instant(r.Expires).Int64)
		return dbErr(err)
	})
	if err != nil {
		return fmt.Errorf("create password reset for user %s: %w", r.UserID, err)
	}
	return nil
}

// ConsumePasswordReset deletes the link and returns it, if it has not expired; exactly once.
func (p *People) ConsumePasswordReset(ctx context.Context, tokenHash string, now time.Time) (*people.PasswordReset, error) {
	var r people.PasswordReset
	err := p.s.write(ctx, func(tx *sql.Tx) error {
		var created, expires sql.NullInt64
		err := tx.QueryRowContext(ctx, `DELETE FROM password_resets WHERE token_hash = ? AND expires > ?
			RETURNING token_hash, user_id, created, expires`, tokenHash, instant(now).Int64).
			Scan(&r.TokenHash, &r.UserID, &created, &expires)
		r.Created, r.Expires = fromInstant(created), fromInstant(expires)
		return dbErr(err)
	})
	if err != nil {
		return nil, fmt.Errorf("consume password reset: %w", err)
	}
	return &r, nil
}

// DeletePasswordResets deletes every set-password link of the user.
func (p *People) DeletePasswordResets(ctx context.Context, userID string) (int, error) {
	var n int64
	err := p.s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM password_resets WHERE user_id = ?`, userID)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("delete password resets of user %s: %w", userID, err)
	}
	return int(n), nil
}

const sessionSelect = `SELECT id_hash, user_id, created, last_seen, expires, client FROM sessions`

func scanSession(sc scanner) (*people.Session, error) {
	var s people.Session
	var created, seen, expires sql.NullInt64
	if err := sc.Scan(&s.IDHash, &s.UserID, &created, &seen, &expires, &s.Client); err != nil {
		return nil, err
	}
	s.Created, s.LastSeen, s.Expires = fromInstant(created), fromInstant(seen), fromInstant(expires)
	return &s, nil
}

// CreateSession stores a session and prunes a few expired ones.
func (p *People) CreateSession(ctx context.Context, s *people.Session) error {
	if err := s.Validate(); err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	err := p.s.write(ctx, func(tx *sql.Tx) error {
		if err := prune(ctx, tx, "sessions", s.Created); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (id_hash, user_id, created, last_seen, expires, client)
			VALUES (?, ?, ?, ?, ?, ?)`, s.IDHash, s.UserID, instant(s.Created).Int64, instant(s.LastSeen).Int64,
			instant(s.Expires).Int64, s.Client)
		return dbErr(err)
	})
	if err != nil {
		return fmt.Errorf("create session for user %s: %w", s.UserID, err)
	}
	return nil
}

// Session loads a session that has not expired at now.
func (p *People) Session(ctx context.Context, idHash string, now time.Time) (*people.Session, error) {
	s, err := scanSession(p.s.r.QueryRowContext(ctx, sessionSelect+` WHERE id_hash = ? AND expires > ?`,
		idHash, instant(now).Int64))
	if err != nil {
		return nil, fmt.Errorf("load session: %w", dbErr(err))
	}
	return s, nil
}

// TouchSession sets the session's LastSeen and Expires if it is live at lastSeen.
func (p *People) TouchSession(ctx context.Context, idHash string, lastSeen, expires time.Time) error {
	err := p.s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sessions SET last_seen = ?1, expires = ?2 WHERE id_hash = ?3 AND expires > ?1`,
			instant(lastSeen).Int64, instant(expires).Int64, idHash)
		if err != nil {
			return err
		}
		return mustAffect(res)
	})
	if err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// DeleteSession removes one session.
func (p *People) DeleteSession(ctx context.Context, idHash string) error {
	err := p.s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = ?`, idHash)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteSessions removes every session of the user.
func (p *People) DeleteSessions(ctx context.Context, userID string) (int, error) {
	var n int64
	err := p.s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("delete sessions of user %s: %w", userID, err)
	}
	return int(n), nil
}

// Sessions lists the user's live sessions, newest first.
func (p *People) Sessions(ctx context.Context, userID string, now time.Time) ([]*people.Session, error) {
	rows, err := p.s.r.QueryContext(ctx, sessionSelect+` WHERE user_id = ? AND expires > ? ORDER BY created DESC, id_hash`,
		userID, instant(now).Int64)
	if err != nil {
		return nil, fmt.Errorf("list sessions of user %s: %w", userID, err)
	}
	defer rows.Close()
	var out []*people.Session
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, fmt.Errorf("list sessions of user %s: %w", userID, err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// CreateAPIToken stores a personal API token.
func (p *People) CreateAPIToken(ctx context.Context, t *people.APIToken) error {
	if err := t.Validate(); err != nil {
		return fmt.Errorf("create API token: %w", err)
	}
	err := p.s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO api_tokens (id, hash, user_id, name, created, last_used)
			VALUES (?, ?, ?, ?, ?, ?)`, t.ID, t.Hash, t.UserID, t.Name, instant(t.Created).Int64, instant(t.LastUsed))
		return dbErr(err)
	})
	if err != nil {
		return fmt.Errorf("create API token %s: %w", t.ID, err)
	}
	return nil
}

const tokenSelect = `SELECT id, hash, user_id, name, created, last_used FROM api_tokens`

func scanToken(sc scanner) (*people.APIToken, error) {
	var t people.APIToken
	var created, used sql.NullInt64
	if err := sc.Scan(&t.ID, &t.Hash, &t.UserID, &t.Name, &created, &used); err != nil {
		return nil, err
	}
	t.Created, t.LastUsed = fromInstant(created), fromInstant(used)
	return &t, nil
}

// APITokenByHash finds a token by its hash.
func (p *People) APITokenByHash(ctx context.Context, hash string) (*people.APIToken, error) {
	t, err := scanToken(p.s.r.QueryRowContext(ctx, tokenSelect+` WHERE hash = ?`, hash))
	if err != nil {
		// Never the hash in the message: it identifies the token.
		return nil, fmt.Errorf("find API token: %w", dbErr(err))
	}
	return t, nil
}

// APITokens lists the user's tokens, oldest first.
func (p *People) APITokens(ctx context.Context, userID string) ([]*people.APIToken, error) {
	rows, err := p.s.r.QueryContext(ctx, tokenSelect+` WHERE user_id = ? ORDER BY created, id`, userID)
	if err != nil {
		return nil, fmt.Errorf("list API tokens of user %s: %w", userID, err)
	}
	defer rows.Close()
	var out []*people.APIToken
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("list API tokens of user %s: %w", userID, err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// TouchAPIToken sets the token's LastUsed.
func (p *People) TouchAPIToken(ctx context.Context, hash string, at time.Time) error {
	err := p.s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE api_tokens SET last_used = ? WHERE hash = ?`, instant(at), hash)
		if err != nil {
			return err
		}
		return mustAffect(res)
	})
	if err != nil {
		return fmt.Errorf("touch API token: %w", err)
	}
	return nil
}

// RevokeAPIToken removes the user's token with the ID.
func (p *People) RevokeAPIToken(ctx context.Context, userID, tokenID string) error {
	err := p.s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM api_tokens WHERE id = ? AND user_id = ?`, tokenID, userID)
		if err != nil {
			return err
		}
		return mustAffect(res)
	})
	if err != nil {
		return fmt.Errorf("revoke API token %s: %w", tokenID, err)
	}
	return nil
}
