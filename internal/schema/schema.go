// Package schema is Overdue's data-model versioning: the version this build writes, the oldest
// it can read, the ordered list of migrations between them, and the guard that decides what a
// build may do with the data it finds: at start (Check, Ready), and for every write of a
// process that keeps running while another may migrate the data (Gate).
//
// It exists because of one failure: a self-hosted monitor that ran newer code, went back to an
// older release, and crashed on every write (`NOT NULL constraint failed: api_check.badge_key`)
// because the data had been migrated by the newer code and nothing told the older code. Here the
// data records two numbers: the version of the data model it is at, and the minimum reader, the
// oldest data-model version a build may write and still use this data. A build writes Current
// and reads from Oldest; Check compares the two pairs and says what to do. A build never
// migrates data down and never writes data it cannot read.
//
// The migrations here are metadata: what each one is, the version it produces, the minimum
// reader it leaves, and whether it expands (additive, old readers keep working) or contracts
// (removes or requires something, so old readers stop). The steps themselves are specific to a
// store and live in each store package, matched by version; a store implements Migrator and Run
// drives it. Where the data records its version: SQLite keeps it in PRAGMA user_version and the
// minimum reader and history in a schema_meta table; DynamoDB keeps all three in the item
// pk=META, sk=SCHEMA.
package schema

import (
	"fmt"
	"slices"
)

// Current is the data-model version this build writes. Data at a lower version (but at least
// Oldest) is migrated to it before use.
const Current = 21

// Oldest is the oldest data-model version this build can migrate from. Older data is refused
// with advice to upgrade through an earlier release first.
const Oldest = 1

// Version is what the data records about itself. The zero Version is a store with no data
// model yet (empty); any other has Version >= 1 and 1 <= MinReader <= Version.
type Version struct {
	// Version is the data-model version the data is at.
	Version int
	// MinReader is the oldest data-model version whose builds may still read and write the
	// data: a build that writes version MinReader or newer can use it.
	MinReader int
}

// String is "version 2 (min reader 1)".
func (v Version) String() string {
	if v == (Version{}) {
		return "no version (empty)"
	}
	return fmt.Sprintf("version %d (min reader %d)", v.Version, v.MinReader)
}

// Phase says what a migration does to older builds.
type Phase string

// The phases of a change to the data model; see docs/upgrades.md.
const (
	// Expand adds: a new column, attribute, index or table that builds not knowing it ignore.
	// The minimum reader does not rise.
	Expand Phase = "expand"
	// Contract removes or requires something older builds rely on or leave out. The minimum
	// reader rises to the first version whose builds do it the new way.
	Contract Phase = "contract"
)

// Migration describes one step of the data model, from Version-1 to Version. Each store
// implements it for itself; the implementations must be idempotent (applying a migration the
// data already has changes nothing) and resumable (a step interrupted half way is finished by
// running it again).
type Migration struct {
	// Version is the data-model version the migration produces.
	Version int
	// MinReader is the data's minimum reader once the migration has run.
	MinReader int
	// Phase is Expand or Contract.
	Phase Phase
	// Description says what changes and why, in one line.
	Description string
}

// migrations is the history of the data model, oldest first, one entry per version from 2
// (version 1 is the first schema, created as it is). Entries stay after their store steps are
// retired by raising Oldest: they record the minimum reader of every version.
var migrations = []Migration{
	{
		Version: 2, MinReader: 1, Phase: Expand,
		Description: "pings.body_size: the body's length in bytes, backfilled, kept filled for writers that omit it; " +
			"lets ping listings say whether a ping has a body without reading bodies",
	},
	{
		Version: 3, MinReader: 1, Phase: Expand,
		Description: "badge key lookups (SQLite: indexes on projects.badge_key and checks.badge_key; " +
			"DynamoDB: BADGEKEY# items, backfilled); ping writers fill pings.body_size themselves and listings read it",
	},
	{
		Version: 4, MinReader: 1, Phase: Expand,
		Description: "delivery records by migration (SQLite: the deliveries table, which version 3 builds created at start, " +
			"and an index of final deliveries by age, so that they are pruned on the flips' retention; DynamoDB: no change)",
	},
	{
		Version: 5, MinReader: 3, Phase: Contract,
		Description: "ping body sizes and badge key lookups required (SQLite: pings.body_size NOT NULL, its trigger dropped; " +
			"DynamoDB: both backfills run again); builds before version 3 do not write them",
	},
	{
		Version: 6, MinReader: 3, Phase: Expand,
		Description: "people: users, project memberships with a role, invitations, set-password links, sessions and personal API tokens " +
			"(SQLite: new tables; DynamoDB: new item types, no change to existing items)",
	},
	{
		Version: 7, MinReader: 3, Phase: Expand,
		Description: "builds read sealed channel values (encrypted under the server secret) as well as clear ones; " +
			"no change to the data: the version the contract below names as its minimum reader",
	},
	{
		Version: 8, MinReader: 7, Phase: Contract,
		Description: "every channel value sealed (AES-256-GCM under a key derived from the server secret); " +
			"builds before version 7 would take a sealed value for a target and must not read channels",
	},
	{
		Version: 9, MinReader: 7, Phase: Expand,
		Description: "alert rules of checks: run-time bounds, failure tolerance, snooze and their state " +
			"(SQLite: new columns of checks with defaults; DynamoDB: new optional attributes of check items, nothing to migrate)",
	},
	{
		Version: 10, MinReader: 7, Phase: Expand,
		Description: "maintenance windows, and when a held alert is due (SQLite: a new table and checks.held_until; " +
			"DynamoDB: a new item type and an optional attribute of check items, nothing to migrate)",
	},
	{
		Version: 11, MinReader: 7, Phase: Expand,
		Description: "second factors (TOTP secrets sealed, WebAuthn public keys), recovery codes (hashed) and sign-in challenges " +
			"(SQLite: new tables; DynamoDB: new item types, nothing to migrate)",
	},
	{
		Version: 12, MinReader: 7, Phase: Expand,
		Description: "public status pages of projects: the checks shown, the page's key and whether it is public " +
			"(SQLite: a new table; DynamoDB: new item types, nothing to migrate)",
	},
	{
		Version: 13, MinReader: 7, Phase: Expand,
		Description: "the newest runs of each check kept with it, for the checks page (SQLite: checks.runs and checks.runs_n; " +
			"DynamoDB: optional attributes of check items, nothing to migrate); checks whose runs are missing or behind " +
			"have them rebuilt from their pings when next written",
	},
	{
		Version: 14, MinReader: 7, Phase: Expand,
		Description: "email reports and reminders: each user's periods and the reporter's cursor, and a record per mail sent " +
			"(SQLite: new columns of users with defaults and a new table; DynamoDB: optional attributes of user items and a new item type, nothing to migrate)",
	},
	{
		Version: 15, MinReader: 7, Phase: Expand,
		Description: "check dependencies, failure rates and flapping with their state, and a note on flips " +
			"(SQLite: new columns of checks and flips with defaults; DynamoDB: new optional attributes, nothing to migrate)",
	},
	{
		Version: 16, MinReader: 7, Phase: Expand,
		Description: "per-channel timing: delay and repeat of a channel's alerts (SQLite: new columns of channels with defaults; " +
			"DynamoDB: new optional attributes of channel items, nothing to migrate)",
	},
	{
		Version: 17, MinReader: 7, Phase: Expand,
		Description: "the ingestion canary's check and project IDs kept in the data, random, instead of derived from the server secret " +
			"(SQLite: a new table; DynamoDB: a new item pk=META, sk=CANARY, nothing to migrate)",
	},
	{
		Version: 18, MinReader: 7, Phase: Expand,
		Description: "late notices: a channel's late option, a check's marker that its channels reach one and the period of its " +
			"last notice (SQLite: new columns of channels and checks with defaults; DynamoDB: new optional attributes, nothing to migrate)",
	},
	{
		Version: 19, MinReader: 7, Phase: Expand,
		Description: "a bucketed due index (DynamoDB: a new keys-only index on the deadline's bucket, written beside the exact one " +
			"and back-filled for every check in the due index, so that a ping that keeps its deadline in its bucket moves no index entry; " +
			"SQLite: no change)",
	},
	{
		Version: 20, MinReader: 19, Phase: Contract,
		Description: "the bucketed due index required (DynamoDB: the back-fill runs again over both due indexes, then checks leave " +
			"the exact index as they are written and the sweep reads the bucketed one); builds before version 19 move deadlines " +
			"without their bucket and must not write; SQLite: no change",
	},
	{
		Version: 21, MinReader: 19, Phase: Expand,
		Description: "pings keyed by the check's integer key (SQLite: checks gain seq, an integer unique per check, and the " +
			"pings move to a table check_pings keyed by (check_seq, n) instead of (check_id, n), copied in arrival order, so " +
			"that a ping writes a few small index entries instead of one carrying the 36-byte text ID; pings becomes a view " +
			"of it with check_id, which builds before 21 read, insert into and delete from through triggers; " +
			"DynamoDB: no change)",
	},
}

// Build is what a build knows about the data model: the version it writes, the oldest it
// reads, and the migrations. This returns the real one; tests make others.
type Build struct {
	// Current is the version the build writes.
	Current int
	// Oldest is the oldest version it can migrate from.
	Oldest int
	// Migrations lists every migration up to Current, oldest first.
	Migrations []Migration
}

// This is this build's data model: Current, Oldest and the migrations.
func This() Build {
	return Build{Current: Current, Oldest: Oldest, Migrations: slices.Clone(migrations)}
}

// Split divides the migrations that take data at version from to b.Current into the two
// phases of a deploy: now, the leading expand steps, which run before the new code takes
// traffic (the old code keeps working on their result); and later, everything from the first
// contract step on, which runs once no older code is left running. Migrations apply in version
// order, so an expand step that comes after a contract step (a deploy that skips a release) waits
// for the contract phase too.
func (b Build) Split(from int) (now, later []Migration) {
	pending := b.Pending(from)
	i := slices.IndexFunc(pending, func(m Migration) bool { return m.Phase == Contract })
	if i < 0 {
		return pending, nil
	}
	return pending[:i], pending[i:]
}

// AwaitsContract reports whether data at version from lacks only contract steps of b: every
// pending migration is a contract. Such data is usable by the build as it is, because a build
// never relies on its own contract steps: it ships them, and the release after it relies on
// them. This is what lets the deploy run a release's contract steps after its new code took
// traffic. It is false when nothing is pending.
func (b Build) AwaitsContract(from int) bool {
	pending := b.Pending(from)
	return len(pending) > 0 && !slices.ContainsFunc(pending, func(m Migration) bool { return m.Phase != Contract })
}

// Pending lists the migrations that take data at version from to b.Current, in order.
func (b Build) Pending(from int) []Migration {
	var out []Migration
	for _, m := range b.Migrations {
		if m.Version > from && m.Version <= b.Current {
			out = append(out, m)
		}
	}
	return out
}

// MinReader is the minimum reader of data at b.Current: what a store created by this build
// records.
func (b Build) MinReader() int {
	r := 1
	for _, m := range b.Migrations {
		if m.Version <= b.Current {
			r = m.MinReader
		}
	}
	return r
}

// Validate checks the rules every build's migration list follows: one migration per version
// from 2 to Current, in order; a minimum reader that never falls and stays below the version it
// belongs to (so builds one version back can always read the data: a rollback of one version
// is never refused); an expand step never raises the minimum reader and a contract step always
// does; and 1 <= Oldest <= Current.
func (b Build) Validate() error {
	if b.Oldest < 1 || b.Oldest > b.Current {
		return fmt.Errorf("oldest readable version %d is outside 1..%d", b.Oldest, b.Current)
	}
	if len(b.Migrations) != b.Current-1 {
		return fmt.Errorf("%d migrations for versions 2..%d, want one per version", len(b.Migrations), b.Current)
	}
	prev := 1
	for i, m := range b.Migrations {
		switch {
		case m.Version != i+2:
			return fmt.Errorf("migration %d is at position %d, want version %d there", m.Version, i, i+2)
		case m.MinReader < prev:
			return fmt.Errorf("migration %d lowers the minimum reader from %d to %d", m.Version, prev, m.MinReader)
		case m.MinReader >= m.Version:
			// Requiring readers of its own version would strand the build one version back:
			// rolling back one version must stay possible.
			return fmt.Errorf("migration %d sets a minimum reader of %d; at most %d, so that builds of version %d can still read the data",
				m.Version, m.MinReader, m.Version-1, m.Version-1)
		case m.Phase == Expand && m.MinReader != prev:
			return fmt.Errorf("migration %d expands but raises the minimum reader from %d to %d", m.Version, prev, m.MinReader)
		case m.Phase == Contract && m.MinReader == prev:
			return fmt.Errorf("migration %d contracts but keeps the minimum reader at %d", m.Version, prev)
		case m.Phase != Expand && m.Phase != Contract:
			return fmt.Errorf("migration %d has phase %q, want expand or contract", m.Version, m.Phase)
		case m.Description == "":
			return fmt.Errorf("migration %d has no description", m.Version)
		}
		prev = m.MinReader
	}
	return nil
}
