// Package store is the storage contract Overdue's services use. Two stores implement it:
// store/sqlite (embedded, for `overdue serve`) and store/dynamo (production). Both pass the one
// conformance suite in store/storetest.
//
// Every write that matters goes through a read-modify-write closure (UpdateCheck) so the store
// owns the transaction: SQLite runs it in a transaction, DynamoDB as a conditional write on a
// version attribute with a bounded retry. Concurrent pings to one check never lose an update.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/seal"
)

// Errors every store translates its own failures into.
var (
	// ErrNotFound: the item does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict: a conditional write lost to another writer more often than the store retries,
	// or a unique value is taken.
	ErrConflict = errors.New("conflict")
)

// HealthError is a failed Probe explained: Reason says what is wrong, and what to do where the
// store knows, in words fit to show anyone who asks (no file paths, table names, keys or
// data); Err is the cause, for the log.
type HealthError struct {
	Reason string
	Err    error
}

// Error is the reason and the cause.
func (e *HealthError) Error() string { return e.Reason + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *HealthError) Unwrap() error { return e.Err }

// Change is what one read-modify-write of a check writes besides the check itself, in the same
// transaction: the ping that caused it and the flip it produced, each optional.
type Change struct {
	Ping *check.Ping
	Flip *check.Flip
}

// Precision: instants come back in UTC, truncated to the microsecond; durations exactly. Every
// method taking a limit requires it to be positive.

// Due is one entry of the due index: the check's AlertAfter, when the sweep must look at it.
type Due struct {
	CheckID string
	At      time.Time
}

// Options are the retention settings a store applies.
type Options struct {
	// PingLimit is how many of each check's newest pings are kept (default 100).
	PingLimit int
	// FlipRetention is how long processed flips are kept (default 90 days). Unprocessed flips are
	// the notifier's outbox and are never removed for age.
	FlipRetention time.Duration
	// Box seals channel values at rest (KeepValue, OpenValue). A store without one cannot write
	// channels to data whose minimum reader is SealReader or more, nor read a sealed value:
	// ErrNoBox.
	Box *seal.Box
}

// Defaults for Options.
const (
	DefaultPingLimit     = 100
	DefaultFlipRetention = 90 * 24 * time.Hour
)

// WithDefaults fills unset fields with the defaults.
func (o Options) WithDefaults() Options {
	if o.PingLimit <= 0 {
		o.PingLimit = DefaultPingLimit
	}
	if o.FlipRetention <= 0 {
		o.FlipRetention = DefaultFlipRetention
	}
	return o
}

// FlipQuery selects a check's flips: those created in [Since, Until) when set, newest first.
type FlipQuery struct {
	Since time.Time // zero: no lower bound
	Until time.Time // zero: no upper bound
}

// Store is the storage contract.
type Store interface {
	// CreateProject stores a new project. ErrConflict if the ID or a key hash is taken.
	CreateProject(ctx context.Context, p *check.Project) error
	// Project loads a project by ID.
	Project(ctx context.Context, id string) (*check.Project, error)
	// Projects lists every project, oldest first.
	Projects(ctx context.Context) ([]*check.Project, error)
	// ProjectByAPIKey finds the project whose read-write or read-only key hashes to keyHash, and
	// says which of the two it was.
	ProjectByAPIKey(ctx context.Context, keyHash string) (p *check.Project, readOnly bool, err error)
	// ProjectByPingKey finds the project whose ping key hashes to keyHash.
	ProjectByPingKey(ctx context.Context, keyHash string) (*check.Project, error)
	// ProjectByBadgeKey finds the project whose badge key is key: a lookup, not a scan of the
	// projects. ErrNotFound when none has it, and for "". Badge keys are random and public;
	// stores do not enforce their uniqueness, and with two projects sharing one it finds either.
	ProjectByBadgeKey(ctx context.Context, key string) (*check.Project, error)
	// UpdateProject loads the project, calls fn, and writes what fn changed (name, key hashes,
	// badge key; not the ID) atomically, key lookups included: a key whose hash changed or
	// became "" stops finding the project at once. ErrNotFound if the project is missing,
	// ErrConflict if a new key hash is taken. An error from fn aborts without writing and is
	// returned as is; fn may be called more than once.
	UpdateProject(ctx context.Context, id string, fn func(p *check.Project) error) (*check.Project, error)
	// DeleteProject removes a project that has no checks and no channels (ErrConflict while it
	// has any: delete those first), with its key lookups and its memberships. ErrNotFound if
	// missing.
	DeleteProject(ctx context.Context, id string) error

	// CreateCheck stores a new check. ErrConflict if the ID is taken.
	CreateCheck(ctx context.Context, c *check.Check) error
	// Check loads a check by ID.
	Check(ctx context.Context, id string) (*check.Check, error)
	// Checks lists a project's checks, oldest first.
	Checks(ctx context.Context, projectID string) ([]*check.Check, error)
	// ChecksBySlug lists a project's checks with exactly this slug (slugs are not unique).
	ChecksBySlug(ctx context.Context, projectID, slug string) ([]*check.Check, error)
	// CheckByBadgeKey finds the check whose badge key is key, as it is now: a lookup, not a scan
	// of the checks. ErrNotFound when none has it, and for "". As for projects, uniqueness is
	// not enforced. Check and project badge keys are separate: a check's key never finds a
	// project, nor the other way round.
	CheckByBadgeKey(ctx context.Context, key string) (*check.Check, error)
	// UpdateCheck loads the check, calls fn, and writes the check and fn's Change atomically. The
	// ping, if any, is stored with the number fn gave it; the store assigns the flip's ID and
	// trims the check's ping history to the newest PingLimit pings. If another writer changed the
	// check in between, the store reloads and calls fn again (a bounded number of times), so fn
	// must be free of side effects. An error from fn aborts without writing and is returned as
	// is. It returns the check as a later load would see it, and sets Change.Flip.ID once written.
	// A check whose Runs are behind (check.Check.RunsCurrent false: pings recorded by a build
	// that did not keep runs) gets them rebuilt from its kept pings (RebuildRuns) before fn sees
	// it, and written with fn's change; loads return Runs as stored.
	UpdateCheck(ctx context.Context, id string, fn func(c *check.Check) (Change, error)) (*check.Check, error)
	// UpdateDependencies is UpdateCheck for an update that may add parents to the check's
	// DependsOn, which must not close a cycle. fn gets, with the check, a Graph to read the
	// checks its parents lead to, and no other UpdateDependencies that adds parents to a check
	// of the project commits between those reads and this write: two updates that would
	// together close a cycle cannot both pass. SQLite reads them inside its write transaction;
	// DynamoDB reads them strongly consistent and writes the check together with a conditional
	// bump of the project's graph version, and when another such update got there first, calls
	// fn again (ErrConflict after a few tries). An update that adds no parent is written as
	// UpdateCheck writes it, with nothing more to pay than the reads fn made.
	UpdateDependencies(ctx context.Context, id string, fn func(c *check.Check, g Graph) (Change, error)) (*check.Check, error)
	// DeleteCheck removes a check with its pings and flips, and drops it from the DependsOn of
	// the checks of its project that list it. ErrNotFound if missing.
	DeleteCheck(ctx context.Context, id string) error

	// Pings lists a check's newest pings, newest first, at most limit, without their bodies
	// (Body may be nil; Ping carries it). A check without pings, or a missing one, gives none.
	Pings(ctx context.Context, checkID string, limit int) ([]*check.Ping, error)
	// Ping loads one ping of a check by its number, with its body.
	Ping(ctx context.Context, checkID string, n int) (*check.Ping, error)

	// Flips lists a check's flips, newest first.
	Flips(ctx context.Context, checkID string, q FlipQuery) ([]*check.Flip, error)
	// UnprocessedFlips lists flips not yet handed to the notifier, oldest first, at most limit.
	UnprocessedFlips(ctx context.Context, limit int) ([]*check.Flip, error)
	// MarkFlipProcessed sets the flip's Processed time if it is still unset. It reports false
	// when another worker got there first, and sets f.Processed when it wins; ErrNotFound if
	// the flip is gone.
	MarkFlipProcessed(ctx context.Context, f *check.Flip, at time.Time) (bool, error)

	// DueChecks lists checks whose AlertAfter is set and not after now, soonest first, at most
	// limit. Only checks that can go down by themselves have AlertAfter set, so the cost of
	// this follows the number of due checks, not the number of checks (on DynamoDB, plus the
	// checks whose deadline is in a bucket that has begun: see its DueChecks).
	DueChecks(ctx context.Context, now time.Time, limit int) ([]*check.Check, error)
	// Upcoming lists every entry of the due index with At in (after, until], soonest first
	// (ties by check ID): the checks that will be due in that window unless a ping comes first.
	// It has no limit, so that no cursor has to step through the many checks that share one
	// instant (cron checks of one schedule do): callers keep the window short. It reads the
	// index, and where the index only bounds the instant (DynamoDB's is keyed by buckets) the
	// checks it names that the sweep has not just read; the index may lag a write by a moment
	// (DynamoDB's is eventually consistent), which is why whoever acts on an entry reads the
	// check again.
	Upcoming(ctx context.Context, after, until time.Time) ([]Due, error)

	// CreateChannel stores a new channel. ErrConflict if the ID is taken.
	CreateChannel(ctx context.Context, ch *check.Channel) error
	// Channels lists a project's channels, oldest first, their values opened. A value that
	// names this server's key and does not open makes it a *DamagedError that still comes with
	// every channel, the damaged ones marked (OpenValues).
	Channels(ctx context.Context, projectID string) ([]*check.Channel, error)
	// UpdateChannel loads a project's channel, its value opened, lets fn change it, and stores
	// the result, its value sealed again. fn may change Name, Value, Disabled, LastError, Delay and Repeat; the
	// ID, project, kind and creation time stay as they were. ErrNotFound if the channel is not the
	// project's; an error from fn comes back wrapped (errors.Is finds it), and nothing is written.
	UpdateChannel(ctx context.Context, projectID, id string, fn func(ch *check.Channel) error) (*check.Channel, error)
	// DeleteChannel removes a channel and unassigns it from the project's checks. ErrNotFound if
	// missing.
	DeleteChannel(ctx context.Context, projectID, id string) error

	// CreateWindow stores a maintenance window. ErrConflict if the ID is taken, ErrNotFound if
	// the project does not exist.
	CreateWindow(ctx context.Context, w *check.Window) error
	// Windows lists a project's maintenance windows, oldest first: one read, whatever their
	// number (at most check.MaxWindows, which the API enforces).
	Windows(ctx context.Context, projectID string) ([]*check.Window, error)
	// DeleteWindow removes a project's window. ErrNotFound if the project has none by that ID.
	DeleteWindow(ctx context.Context, projectID, id string) error

	// StatusPage loads a project's status page. ErrNotFound when the project never saved one
	// (or does not exist).
	StatusPage(ctx context.Context, projectID string) (*check.StatusPage, error)
	// StatusPageByKey finds the status page whose Key is key: a lookup, not a scan of the
	// projects, whatever their number. ErrNotFound when none has it, and for "". It may find a
	// page whose project was deleted by a build that did not know status pages: callers load the
	// project too.
	StatusPageByKey(ctx context.Context, key string) (*check.StatusPage, error)
	// PutStatusPage stores a project's status page whole, replacing the one it had (the form
	// that edits it sends every field); a key that changed stops finding the page at once. The
	// page must pass check.StatusPage.Validate (the error says why, and nothing is written).
	// ErrNotFound if the project does not exist, ErrConflict if another project's page has the
	// key. DeleteProject removes the page with its project.
	PutStatusPage(ctx context.Context, sp *check.StatusPage) error

	// Probe proves that the store can be written now: one small write that commits, through the
	// path every other write takes, so that whatever makes writes fail (a full disk, a read-only
	// file system, a data model newer than this build) makes it fail too. It changes nothing
	// the services read, and is cheap enough to run every few seconds, not on every request.
	// When the store can say why it failed, the error is a *HealthError.
	Probe(ctx context.Context) error

	// Canary loads the install's ingestion canary (its check and project IDs), as the first
	// PutCanary stored it. ErrNotFound until then.
	Canary(ctx context.Context) (Canary, error)
	// PutCanary stores c as the install's ingestion canary unless one is stored already, and
	// returns the one stored: the first put wins, and every racer gets the winner's IDs. It
	// writes only the record, never the canary's project or check.
	PutCanary(ctx context.Context, c Canary) (Canary, error)

	// Close releases the store's resources.
	Close() error
}
