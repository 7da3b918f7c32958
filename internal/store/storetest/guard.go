package storetest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/schema"
	"github.com/overduehq/overdue/internal/store"
)

// GuardHooks are what RunGuard needs beyond the store: a way to move the data model under it,
// as another process would.
type GuardHooks struct {
	// SetVersion records v as the data's version and minimum reader the way a migration by
	// another build would (SQLite: user_version and a schema_meta row; DynamoDB: META),
	// without going through the store under test.
	SetVersion func(t *testing.T, v schema.Version)
	// Settle lets the store see the last SetVersion: for a store that caches the version (the
	// DynamoDB store's gate), advance its clock past the cache's age and the longest backoff;
	// nothing for one that reads the version in every write.
	Settle func(t *testing.T)
}

// RunGuard is the write guard's conformance test (issue 12): a store in use, whose data a newer
// build moves past it (a minimum reader above schema.Current), refuses every write with a
// *schema.VersionError naming both versions and changes nothing; data moved back into range is
// written again by the same store, with no reopening. Data an older build left unmigrated is
// refused the same way, with a *schema.PendingError. open returns a store whose data model is
// at schema.Current.
func RunGuard(t *testing.T, open func(t *testing.T) (store.Store, GuardHooks)) {
	s, h := open(t)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close() = %v", err)
		}
	})
	ctx := t.Context()
	p := newProject(1, t0)
	createProject(t, s, p)
	ch := newChannel(1, p.ID, t0)
	createChannel(t, s, ch)
	c := newCheck(1, p.ID, t0)
	c.Channels = []string{ch.ID}
	createCheck(t, s, c)
	applyPing(t, s, c.ID, success(), t0.Add(time.Minute))
	_, _, flip := applyPing(t, s, c.ID, check.Signal{Kind: check.PingFail, Method: "GET"}, t0.Add(2*time.Minute))
	if flip == nil {
		t.Fatal("a failure ping after a success wrote no flip")
	}
	before := dump(t, s, p.ID)

	// Every write of the contract, each of which would change the data if it went through.
	writes := []struct {
		name string
		fn   func() error
	}{
		{"CreateProject", func() error { return s.CreateProject(ctx, newProject(2, t0)) }},
		{"CreateCheck", func() error { return s.CreateCheck(ctx, newCheck(2, p.ID, t0)) }},
		{"UpdateCheck", func() error {
			_, err := s.UpdateCheck(ctx, c.ID, func(c *check.Check) (store.Change, error) {
				pg, f := c.ApplyPing(success(), t0.Add(3*time.Minute), nil)
				return store.Change{Ping: pg, Flip: f}, nil
			})
			return err
		}},
		{"DeleteCheck", func() error { return s.DeleteCheck(ctx, c.ID) }},
		{"MarkFlipProcessed", func() error {
			f := *flip
			_, err := s.MarkFlipProcessed(ctx, &f, t0.Add(3*time.Minute))
			return err
		}},
		{"CreateChannel", func() error { return s.CreateChannel(ctx, newChannel(2, p.ID, t0)) }},
		{"DeleteChannel", func() error { return s.DeleteChannel(ctx, p.ID, ch.ID) }},
		// The health probe writes through the same path, so /api/v3/status/ reports the refusal.
		{"Probe", func() error { return s.Probe(ctx) }},
	}

	refusals := []struct {
		name string
		data schema.Version
		want func(err error) string // "" when err is the right refusal
	}{
		{"too new", schema.Version{Version: schema.Current + 1, MinReader: schema.Current + 1}, func(err error) string {
			var ve *schema.VersionError
			if !errors.As(err, &ve) || !ve.Newer() {
				return "a *schema.VersionError for newer data"
			}
			for _, want := range []string{
				fmt.Sprintf("data model version %d", schema.Current+1),
				fmt.Sprintf("needs a build of version %d", schema.Current+1),
				fmt.Sprintf("this build writes version %d", schema.Current),
			} {
				if !strings.Contains(err.Error(), want) {
					return fmt.Sprintf("a message naming both versions (%q)", want)
				}
			}
			return ""
		}},
		{"not migrated", schema.Version{Version: unmigrated(), MinReader: 1}, func(err error) string {
			var pe *schema.PendingError
			if !errors.As(err, &pe) {
				return "a *schema.PendingError"
			}
			return ""
		}},
	}
	for _, r := range refusals {
		h.SetVersion(t, r.data)
		h.Settle(t)
		for _, w := range writes {
			if err := w.fn(); r.want(err) != "" {
				t.Errorf("data %s (%v): %s = %v, want %s", r.name, r.data, w.name, err, r.want(err))
			}
		}
		if diff := cmp.Diff(before, dump(t, s, p.ID)); diff != "" {
			t.Fatalf("data %s (%v): refused writes changed the data (-before +after):\n%s", r.name, r.data, diff)
		}
	}

	// Back in range (the newer build's contract rolled back, or the deploy migrated): the same
	// store writes again.
	h.SetVersion(t, schema.Version{Version: schema.Current, MinReader: schema.This().MinReader()})
	h.Settle(t)
	got, pg, _ := applyPing(t, s, c.ID, success(), t0.Add(3*time.Minute))
	if got.NPings != 3 || pg == nil {
		t.Errorf("after the data model came back into range, UpdateCheck wrote n_pings %d, want 3", got.NPings)
	}
	createProject(t, s, newProject(2, t0))
}

// dumped is what a project's data reads as through the contract, for before/after comparisons.
type dumped struct {
	Projects []*check.Project
	Checks   []*check.Check
	Channels []*check.Channel
	Pings    map[string][]*check.Ping
	Flips    map[string][]*check.Flip
	Outbox   []*check.Flip
}

func dump(t *testing.T, s store.Store, projectID string) dumped {
	t.Helper()
	ctx := t.Context()
	var d dumped
	var err error
	if d.Projects, err = s.Projects(ctx); err != nil {
		t.Fatalf("Projects() = %v", err)
	}
	if d.Checks, err = s.Checks(ctx, projectID); err != nil {
		t.Fatalf("Checks() = %v", err)
	}
	if d.Channels, err = s.Channels(ctx, projectID); err != nil {
		t.Fatalf("Channels() = %v", err)
	}
	d.Pings, d.Flips = map[string][]*check.Ping{}, map[string][]*check.Flip{}
	for _, c := range d.Checks {
		d.Pings[c.ID] = pings(t, s, c.ID)
		d.Flips[c.ID] = flips(t, s, c.ID)
	}
	if d.Outbox, err = s.UnprocessedFlips(ctx, 100); err != nil {
		t.Fatalf("UnprocessedFlips() = %v", err)
	}
	return d
}

// unmigrated is the newest version older than this build's that it may not write as it is: one
// that lacks an expand step of this build (data that lacks only the build's own contract steps
// is written as it is: schema.Build.AwaitsContract).
func unmigrated() int {
	b := schema.This()
	v := b.Current - 1
	for v > b.Oldest && b.AwaitsContract(v) {
		v--
	}
	return v
}
