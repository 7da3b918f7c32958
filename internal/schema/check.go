package schema

import (
	"errors"
	"fmt"
)

// Decision is what a build does with the data it finds.
type Decision int

// The decisions of Check.
const (
	// Refuse: the build must not touch the data; Check's error says why and what to do.
	Refuse Decision = iota
	// Create: the store is empty; the build creates the data model at its Current.
	Create
	// Use: the data is at the build's Current.
	Use
	// UseNewer: the data is newer than the build, but its changes since were only expansions
	// (its minimum reader is at most the build's Current). The build uses it as it is: it never
	// migrates down and never changes the recorded version.
	UseNewer
	// Migrate: the data is older than the build and within reach; the build migrates it to
	// Current before using it.
	Migrate
)

// String names the decision as status output shows it.
func (d Decision) String() string {
	switch d {
	case Refuse:
		return "refuse"
	case Create:
		return "create"
	case Use:
		return "use"
	case UseNewer:
		return "use-newer"
	case Migrate:
		return "migrate"
	}
	return fmt.Sprintf("Decision(%d)", int(d))
}

// Check is the guard: given what the data records and what the build knows, it says what the
// build may do. It is the only place the rules live:
//
//	data                          decision
//	empty (Version{})             Create
//	MinReader > build.Current     Refuse, *VersionError (too new; checked before consistency)
//	Version > Current             UseNewer: run, never migrate down, never rewrite the version
//	Version == Current            Use
//	Oldest <= Version < Current   Migrate
//	Version < Oldest              Refuse, *VersionError (too old)
//	inconsistent pair             Refuse, *DamagedError (damaged, or not Overdue's)
//
// The error is non-nil exactly when the decision is Refuse.
func Check(data Version, build Build) (Decision, error) {
	switch v, r := data.Version, data.MinReader; {
	case data == Version{}:
		return Create, nil
	case v < 1 || r < 1:
		return Refuse, damaged(data)
	case r > build.Current:
		// Before the consistency check below: whatever else is wrong, a build older than the
		// minimum reader must not touch the data, and the advice is the same.
		return Refuse, &VersionError{Data: data, Current: build.Current, Oldest: build.Oldest}
	case r > v:
		return Refuse, damaged(data)
	case v > build.Current:
		return UseNewer, nil
	case v == build.Current:
		return Use, nil
	case v >= build.Oldest:
		return Migrate, nil
	default:
		return Refuse, &VersionError{Data: data, Current: build.Current, Oldest: build.Oldest}
	}
}

func damaged(data Version) error { return &DamagedError{Data: data} }

// DamagedError is data whose recorded version no Overdue build writes (a minimum reader above
// the version, a missing one): it is damaged, or not Overdue's. Nothing has been written when
// it is returned.
type DamagedError struct {
	Data Version // what the data records
}

// Error says what the data records and what to do.
func (e *DamagedError) Error() string {
	return fmt.Sprintf("the data records data model %v, which no Overdue build writes: "+
		"it is damaged or was not written by Overdue; restore a backup", e.Data)
}

// Refused returns the guard's refusal in err's chain (a *VersionError, *PendingError or
// *DamagedError) or nil when err is not one. Code that turns errors into answers uses it to
// tell "this build must not touch the data" (503, a failed invocation, the DataModelRefused
// metric) from any other failure, and to show the refusal's own message, which names both
// versions, without the context wrapped around it.
func Refused(err error) error {
	var (
		ve *VersionError
		pe *PendingError
		de *DamagedError
	)
	switch {
	case errors.As(err, &ve):
		return ve
	case errors.As(err, &pe):
		return pe
	case errors.As(err, &de):
		return de
	}
	return nil
}

// Ready is the guard for code that serves requests or runs jobs (the functions, the sweep, the
// notifier): nil when the build may use the data as it is (Use, UseNewer, or Migrate where only
// the build's own contract steps are pending: see Build.AwaitsContract); otherwise an error
// whose message is what to show, and the code must write nothing: a *VersionError when no
// migration can help this build, a *PendingError when the data must be created or migrated
// first, a *DamagedError when no build can. Refused finds any of them in a wrapped error.
func Ready(data Version, build Build) error {
	d, err := Check(data, build)
	switch d {
	case Use, UseNewer:
		return nil
	case Migrate:
		if build.AwaitsContract(data.Version) {
			return nil
		}
		return &PendingError{Data: data, Current: build.Current}
	case Create:
		return &PendingError{Data: data, Current: build.Current}
	}
	return err
}

// VersionError is data this build can never use: written by a newer build that changed what
// older builds rely on (too new), or older than the oldest version this build can migrate
// from (too old). Nothing has been written when it is returned. Its message names both
// versions and what to do, and is what `overdue serve` prints, what a function answers with
// 503, and what a failed deploy reports.
type VersionError struct {
	Data    Version // what the data records
	Current int     // the version this build writes
	Oldest  int     // the oldest version this build can migrate from
}

// Newer reports whether the data is too new (rather than too old) for this build.
func (e *VersionError) Newer() bool { return e.Data.MinReader > e.Current }

// Error names both versions and what the operator can do.
func (e *VersionError) Error() string {
	if e.Newer() {
		return fmt.Sprintf("data model version %d is newer than this build can use "+
			"(this build writes version %d; the data needs a build of version %d or newer): "+
			"deploy a build that understands version %d, or restore a backup taken before the upgrade",
			e.Data.Version, e.Current, e.Data.MinReader, e.Data.MinReader)
	}
	return fmt.Sprintf("data model version %d is older than this build can migrate "+
		"(this build writes version %d and migrates from version %d): "+
		"upgrade through a release that writes version %d first, then run this build",
		e.Data.Version, e.Current, e.Oldest, e.Oldest)
}

// PendingError is data this build can use only after migrating it (or, for an empty store,
// creating it). Ready returns it to code that must not migrate by itself.
type PendingError struct {
	Data    Version // what the data records; the zero Version for an empty store
	Current int     // the version this build writes
}

// Error names both versions. The caller adds how to migrate where it knows (the CLI command,
// the deploy step).
func (e *PendingError) Error() string {
	if e.Data == (Version{}) {
		return fmt.Sprintf("the store has no data model yet and must be created at version %d before use", e.Current)
	}
	return fmt.Sprintf("data model version %d is older than this build's (%d) and must be migrated before use",
		e.Data.Version, e.Current)
}
