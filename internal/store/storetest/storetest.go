// Package storetest is the conformance suite every store.Store must pass. A store's own tests
// call Run with a function that opens a fresh, empty store:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store {
//			s, err := sqlite.Open(filepath.Join(t.TempDir(), "overdue.db"), store.Options{})
//			...
//			return s
//		})
//	}
//
// Run calls open once per subtest and closes the store when the subtest ends; open should
// register the cleanup of anything else it makes (files, emulator tables) with t.Cleanup. The
// store must use the default Options (PingLimit 100).
//
// The suite pins down what the contract in package store leaves implicit:
//
//   - Instants come back in UTC, truncated to the microsecond (t.UTC().Truncate(time.Microsecond)):
//     microseconds are what Healthchecks keeps, and what SQLite and DynamoDB both store as
//     plain integers. Durations come back exactly.
//   - Empty and nil slices are the same (a check without channels, a ping without a body);
//     every other value, bodies that are not UTF-8 included, comes back byte for byte.
//   - Pings need not carry bodies, but must carry their sizes (BodySize); Ping must carry both.
//   - Listing the pings or flips of a check that does not exist is empty, or store.ErrNotFound.
//   - A key hash of "" finds nothing, and any number of projects may lack a read-only or ping key.
//   - A check's Channels keep their order.
//
// Everything runs on fixed instants, never the clock, and no test sleeps. Writes are kept modest
// (the largest tests make about a hundred UpdateCheck calls) so the suite runs against an
// emulator.
package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// Run runs the conformance suite, one subtest per behaviour, each on a store from open.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		test func(t *testing.T, s store.Store)
	}{
		{"Projects", testProjects},
		{"ProjectKeys", testProjectKeys},
		{"ProjectConflict", testProjectConflict},
		{"UpdateProject", testUpdateProject},
		{"DeleteProject", testDeleteProject},
		{"NotFound", testNotFound},
		{"CheckRoundTrip", testCheckRoundTrip},
		{"TimePrecision", testTimePrecision},
		{"CheckConflict", testCheckConflict},
		{"Checks", testChecks},
		{"ChecksBySlug", testChecksBySlug},
		{"BadgeKeys", testBadgeKeys},
		{"UpdateCheck", testUpdateCheck},
		{"Runs", testRuns},
		{"CheckRules", testCheckRules},
		{"LateNotice", testLateNotice},
		{"Windows", testWindows},
		{"StatusPages", testStatusPages},
		{"UpdateCheckError", testUpdateCheckError},
		{"Pings", testPings},
		{"PingLimit", testPingLimit},
		{"Flips", testFlips},
		{"UnprocessedFlips", testUnprocessedFlips},
		{"DueChecks", testDueChecks},
		{"Upcoming", testUpcoming},
		{"DeleteCheck", testDeleteCheck},
		{"DeleteParent", testDeleteParent},
		{"UpdateDependencies", testUpdateDependencies},
		{"DependencyRace", testDependencyRace},
		{"Channels", testChannels},
		{"UpdateChannel", testUpdateChannel},
		{"ConcurrentPings", testConcurrentPings},
		{"Probe", testProbe},
		{"Canary", testCanary},
		{"ConcurrentCanary", testConcurrentCanary},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close() = %v", err)
				}
			})
			tt.test(t, s)
		})
	}
}

// t0 is the suite's "now": every instant is derived from it.
var t0 = time.Date(2026, 11, 24, 20, 0, 0, 0, time.UTC)

// IDs are UUID-shaped, as the services make them; the first group says what they name.
func projectID(n int) string { return fmt.Sprintf("a0000000-0000-4000-8000-%012d", n) }
func checkID(n int) string   { return fmt.Sprintf("c0000000-0000-4000-8000-%012d", n) }
func channelID(n int) string { return fmt.Sprintf("e0000000-0000-4000-8000-%012d", n) }

// newProject is project n with every field set.
func newProject(n int, created time.Time) *check.Project {
	return &check.Project{
		ID:              projectID(n),
		Name:            fmt.Sprintf("Project %d", n),
		Created:         created,
		APIKeyHash:      check.HashKey(fmt.Sprintf("hcw_project%d", n)),
		ReadOnlyKeyHash: check.HashKey(fmt.Sprintf("hcr_project%d", n)),
		PingKeyHash:     check.HashKey(fmt.Sprintf("pingkey%d", n)),
		BadgeKey:        fmt.Sprintf("badge%d", n),
	}
}

// newCheck is a check as the API creates it: Healthchecks' defaults, a name and a slug.
func newCheck(n int, projectID string, created time.Time) *check.Check {
	c := check.New(checkID(n), projectID, created)
	c.Name = fmt.Sprintf("Check %d", n)
	c.Slug = fmt.Sprintf("check-%d", n)
	c.BadgeKey = fmt.Sprintf("checkbadge%d", n)
	return c
}

func newChannel(n int, projectID string, created time.Time) *check.Channel {
	return &check.Channel{
		ID:        channelID(n),
		ProjectID: projectID,
		Kind:      "email",
		Name:      fmt.Sprintf("Channel %d", n),
		Value:     fmt.Sprintf("ops%d@example.org", n),
		Created:   created,
	}
}

func createProject(t *testing.T, s store.Store, p *check.Project) {
	t.Helper()
	if err := s.CreateProject(t.Context(), p); err != nil {
		t.Fatalf("CreateProject(%s) = %v", p.ID, err)
	}
}

func createCheck(t *testing.T, s store.Store, c *check.Check) {
	t.Helper()
	if err := s.CreateCheck(t.Context(), c); err != nil {
		t.Fatalf("CreateCheck(%s) = %v", c.ID, err)
	}
}

func createChannel(t *testing.T, s store.Store, ch *check.Channel) {
	t.Helper()
	if err := s.CreateChannel(t.Context(), ch); err != nil {
		t.Fatalf("CreateChannel(%s) = %v", ch.ID, err)
	}
}

func loadCheck(t *testing.T, s store.Store, id string) *check.Check {
	t.Helper()
	c, err := s.Check(t.Context(), id)
	if err != nil {
		t.Fatalf("Check(%s) = %v", id, err)
	}
	return c
}

// applyPing records a signal at now through UpdateCheck, as the ping handler does, and returns
// the check, ping and flip as written.
func applyPing(t *testing.T, s store.Store, id string, sig check.Signal, now time.Time) (*check.Check, *check.Ping, *check.Flip) {
	t.Helper()
	var p *check.Ping
	var f *check.Flip
	c, err := s.UpdateCheck(t.Context(), id, func(c *check.Check) (store.Change, error) {
		// A store may call fn more than once; what the last call returns is what is written.
		p, f = c.ApplyPing(sig, now, nil)
		return store.Change{Ping: p, Flip: f}, nil
	})
	if err != nil {
		t.Fatalf("UpdateCheck(%s) applying a %s ping = %v", id, sig.Kind, err)
	}
	return c, p, f
}

// update runs fn on a check through UpdateCheck and writes the flip fn returns.
func update(t *testing.T, s store.Store, id string, fn func(c *check.Check) *check.Flip) *check.Check {
	t.Helper()
	c, err := s.UpdateCheck(t.Context(), id, func(c *check.Check) (store.Change, error) {
		return store.Change{Flip: fn(c)}, nil
	})
	if err != nil {
		t.Fatalf("UpdateCheck(%s) = %v", id, err)
	}
	return c
}

func success() check.Signal {
	return check.Signal{Kind: check.PingSuccess, Method: "GET", Scheme: "https", RemoteAddr: "192.0.2.10", UA: "curl/8.5.0"}
}

// pings lists every ping of a check, accepting store.ErrNotFound for a check that does not exist.
func pings(t *testing.T, s store.Store, id string) []*check.Ping {
	t.Helper()
	got, err := s.Pings(t.Context(), id, 1000)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Pings(%s, 1000) = %v", id, err)
	}
	return got
}

// flips lists every flip of a check, accepting store.ErrNotFound for a check that does not exist.
func flips(t *testing.T, s store.Store, id string) []*check.Flip {
	t.Helper()
	got, err := s.Flips(t.Context(), id, store.FlipQuery{})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Flips(%s) = %v", id, err)
	}
	return got
}

// requireAllSet fails when a fixture leaves a field zero, so a field added to a domain type is
// not silently left out of the round-trip tests (and of the stores); notStored names the fields a
// store never keeps.
func requireAllSet(t *testing.T, v any, notStored ...string) {
	t.Helper()
	rv := reflect.ValueOf(v)
	for i := range rv.NumField() {
		if rv.Field(i).IsZero() && !slices.Contains(notStored, rv.Type().Field(i).Name) {
			t.Fatalf("fixture %T leaves %s zero: set it so the round trip covers it", v, rv.Type().Field(i).Name)
		}
	}
}

// Options for comparing domain values. Flip IDs are the store's to choose, so tests compare
// them separately.
var (
	equateEmpty  = cmpopts.EquateEmpty()
	ignoreFlipID = cmpopts.IgnoreFields(check.Flip{}, "ID")
	ignoreBody   = cmpopts.IgnoreFields(check.Ping{}, "Body")
)

func checkIDs(cs []*check.Check) []string {
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return ids
}

func flipIDsSet(t *testing.T, fs []*check.Flip) {
	t.Helper()
	seen := make(map[string]bool)
	for _, f := range fs {
		if f.ID == "" {
			t.Errorf("flip %+v has no ID", f)
		}
		if seen[f.ID] {
			t.Errorf("flip ID %q is used twice", f.ID)
		}
		seen[f.ID] = true
	}
}
