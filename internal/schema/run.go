package schema

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Migrator is what a store implements so that Run can guard and migrate it. Implementations
// check the data's version again under their own write lock or condition, so two migrators at
// once, or a migrator and a running server, cannot both apply a step.
type Migrator interface {
	// Version reads what the data records, without writing anything: the zero Version for an
	// empty store.
	Version(ctx context.Context) (Version, error)
	// Create makes the data model of an empty store at the build's Current, recording the
	// minimum reader and a history entry for build at now. Creating a store that another
	// process created in the meantime is not an error if the result is usable.
	Create(ctx context.Context, build string, now time.Time) error
	// Apply runs the store's step for m and records it: the data's version becomes m.Version,
	// its minimum reader m.MinReader, and the history gains an entry for build at now, in one
	// transaction where the store has them. It is idempotent (data already at m.Version or
	// later is left alone) and resumable (a step cut short is finished by applying it again),
	// and refuses data more than one version behind m.
	Apply(ctx context.Context, m Migration, build string, now time.Time) error
}

// Locker is implemented by stores without transactions that span a migration (DynamoDB): Run
// holds the lock while it migrates, so two migrators cannot interleave. Lock fails, and Run
// writes nothing, when another holder's lock has not expired.
type Locker interface {
	Lock(ctx context.Context, now time.Time) error
	Unlock(ctx context.Context) error
}

// Backuper is implemented by stores that copy the data before migrating it (SQLite: a copy of
// the database file next to it). Backup returns where the copy is.
type Backuper interface {
	Backup(ctx context.Context, from Version) (string, error)
}

// Entry is one line of a store's migration history: the version reached, the minimum reader
// it left, the build that did it and when.
type Entry struct {
	Version   int
	MinReader int
	Build     string // empty when the store does not know (a database created by sqlite.Open)
	At        time.Time
}

// RunOptions configure Run.
type RunOptions struct {
	// Build is the data model to bring the store to; normally This().
	Build Build
	// Name identifies the build in the history, e.g. its release or git describe.
	Name string
	// Now is the clock for history entries and locks.
	Now func() time.Time
	// DryRun reports what Run would do and writes nothing.
	DryRun bool
	// Phase limits the migrations Run applies, for a deploy that runs them in two steps (see
	// Build.Split): Expand applies the leading expand steps only, before the new code takes
	// traffic; Contract applies everything pending, once every function runs the new code. The
	// zero Phase applies everything at once, for a single process that stops its old code
	// before migrating (`overdue serve`, `overdue migrate up`).
	Phase Phase
}

// Report is what Run found and did.
type Report struct {
	Before   Version     // the data as found
	After    Version     // the data afterwards (Before on a dry run, a refusal, Use or UseNewer)
	Decision Decision    // Check's decision on Before
	Pending  []Migration // the migrations from Before to the build's Current
	Applied  []Migration // the migrations Run applied (none on a dry run)
	Deferred []Migration // the pending migrations an Expand phase leaves to the contract phase
	Backup   string      // the copy a Backuper made before migrating, if any
}

// Run guards and, when allowed, brings a store to opts.Build.Current: it reads the version,
// refuses data the build cannot use (returning Check's error, having written nothing), creates
// an empty store, and migrates older data: under the store's lock if it is a Locker, after a
// backup if it is a Backuper, one migration at a time, as far as opts.Phase allows. Newer data
// that the build can read is left exactly as it is.
func Run(ctx context.Context, m Migrator, opts RunOptions) (*Report, error) {
	before, err := m.Version(ctx)
	if err != nil {
		return nil, fmt.Errorf("read data model version: %w", err)
	}
	rep := &Report{Before: before, After: before}
	rep.Decision, err = Check(before, opts.Build)
	if err != nil {
		return rep, err
	}
	if rep.Decision == Migrate {
		rep.Pending = opts.Build.Pending(before.Version)
		if opts.Phase == Expand {
			_, rep.Deferred = opts.Build.Split(before.Version)
		}
	}
	if opts.DryRun {
		return rep, nil
	}
	switch rep.Decision {
	case Migrate:
		if len(rep.Deferred) == len(rep.Pending) {
			// Nothing for this phase: no lock, no backup, no write.
			return rep, nil
		}
		if err := migrate(ctx, m, opts, rep); err != nil {
			// Steps that succeeded before the failure stay; say where the data is now.
			if v, verr := m.Version(ctx); verr == nil {
				rep.After = v
			}
			return rep, err
		}
	case Create:
		if err := m.Create(ctx, opts.Name, opts.Now()); err != nil {
			return rep, fmt.Errorf("create data model version %d: %w", opts.Build.Current, err)
		}
	default:
		return rep, nil
	}
	rep.After, err = m.Version(ctx)
	if err != nil {
		return rep, fmt.Errorf("read data model version: %w", err)
	}
	return rep, nil
}

// migrate applies rep.Pending, or the part of it opts.Phase allows, under the store's lock if
// it has one.
func migrate(ctx context.Context, m Migrator, opts RunOptions, rep *Report) (err error) {
	from := rep.Before
	if l, ok := m.(Locker); ok {
		if err := l.Lock(ctx, opts.Now()); err != nil {
			return fmt.Errorf("lock for migration: %w", err)
		}
		defer func() {
			// The lock expires by itself; failing to release it early only delays the next run.
			if uerr := l.Unlock(context.WithoutCancel(ctx)); uerr != nil {
				err = errors.Join(err, fmt.Errorf("unlock after migration: %w", uerr))
			}
		}()
		// Another migrator may have finished while we waited for the lock.
		if from, err = m.Version(ctx); err != nil {
			return fmt.Errorf("read data model version: %w", err)
		}
		d, cerr := Check(from, opts.Build)
		if cerr != nil {
			return cerr
		}
		if d != Migrate {
			return nil
		}
	}
	steps := opts.Build.Pending(from.Version)
	if opts.Phase == Expand {
		steps, rep.Deferred = opts.Build.Split(from.Version)
	}
	if len(steps) == 0 {
		return nil
	}
	if b, ok := m.(Backuper); ok {
		path, err := b.Backup(ctx, from)
		if err != nil {
			return fmt.Errorf("back up before migrating: %w", err)
		}
		rep.Backup = path
	}
	for _, mig := range steps {
		if err := m.Apply(ctx, mig, opts.Name, opts.Now()); err != nil {
			return fmt.Errorf("migrate to version %d (%s): %w", mig.Version, mig.Phase, err)
		}
		rep.Applied = append(rep.Applied, mig)
	}
	return nil
}
