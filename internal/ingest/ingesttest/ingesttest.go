// Package ingesttest is the test every source of pings runs: a failure ping, from whatever
// transport, inside a maintenance window or while a check it depends on is down, is held like
// the HTTP API's, and alerts once when the hold ends. The HTTP ping API (httpapi's
// TestPingHolds, over SQLite), the email pings of `overdue serve --smtp-listen` (SQLite) and
// those of the mailping function (DynamoDB on moto) run it.
package ingesttest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/sweep"
)

// Project is the project Holds creates its checks in.
const Project = "5d1e8c0a-7b3f-4a62-9e4d-0c1b2a3f4e5d"

// The checks Holds creates, by UUID.
const (
	InWindow  = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d" // has a one-off window from T0+30m to T0+2h
	Child     = "1b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e" // depends on Parent
	Parent    = "2c3d4e5f-6a7b-4c8d-ae9f-1a2b3c4d5e6f" // down from T0+2m
	Unguarded = "3d4e5f6a-7b8c-4d9e-bfa0-2b3c4d5e6f7a" // no window, no parent: alerts at once
)

// T0 is when Holds's checks were last pinged; the failure pings come an hour later.
var T0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// Fail sends a failure ping of check id at the instant at, through the transport under test.
// Every check Holds creates filters the email subject with the failure keyword "FAILED" (HTTP
// transports may ping /fail instead).
type Fail func(t *testing.T, id string, at time.Time)

// Holds creates Project with four checks in st (the project keyed by pingKeyHash, which may be
// empty) and runs the scenario with fail as the ping's transport:
//
//   - Unguarded fails at T0+1h: its down alert is due at once (an unprocessed down flip).
//   - InWindow fails at T0+1h, inside its window: down, the flip processed (nobody alerted), the
//     alert owed until the window's end (HeldUntil, AlertAfter); the sweep just before the end
//     sends nothing, the sweep at the end sends exactly one down→down alert with reason fail.
//   - Child fails at T0+1h while Parent is down (past its deadline, not yet swept): held,
//     noted "held: db is down"; Parent recovers at T0+1h1m; the sweep at T0+1h2m sends Child's
//     one alert.
func Holds(t *testing.T, st store.Store, pingKeyHash string, fail Fail) {
	t.Helper()
	ctx := context.Background()
	if err := st.CreateProject(ctx, &check.Project{ID: Project, Name: "Holds", Created: T0.Add(-time.Hour),
		PingKeyHash: pingKeyHash, BadgeKey: "holds-badge"}); err != nil {
		t.Fatal(err)
	}
	hourly := func(c *check.Check) { c.Timeout, c.Grace = time.Hour, time.Hour }
	seed(t, st, InWindow, "nightly", hourly)
	seed(t, st, Unguarded, "plain", hourly)
	seed(t, st, Parent, "db", func(c *check.Check) { c.Timeout, c.Grace = time.Minute, time.Minute })
	seed(t, st, Child, "backup", func(c *check.Check) { hourly(c); c.DependsOn = []string{Parent} })
	if err := st.CreateWindow(ctx, &check.Window{ID: "w-holds", ProjectID: Project, CheckID: InWindow,
		Start: T0.Add(30 * time.Minute), End: T0.Add(2 * time.Hour), Created: T0}); err != nil {
		t.Fatal(err)
	}

	at := T0.Add(time.Hour)
	for _, id := range []string{Unguarded, InWindow, Child} {
		fail(t, id, at)
	}
	for _, id := range []string{Unguarded, InWindow, Child} {
		if c := load(t, st, id); c.Status != check.StatusDown {
			t.Errorf("check %s after its failure ping: status %s, want down", id, c.Status)
		}
	}
	if got := alerts(t, st, Unguarded); len(got) != 1 || got[0].Reason != check.ReasonFail {
		t.Errorf("alerts of the unguarded check = %v, want its one down alert at once", got)
	}

	// The window holds InWindow's alert until its end.
	if got := alerts(t, st, InWindow); len(got) != 0 {
		t.Errorf("alerts of the check in its window = %v, want none while it is open", got)
	}
	end := T0.Add(2 * time.Hour)
	if c := load(t, st, InWindow); !c.HeldUntil.Equal(end) || !c.AlertAfter.Equal(end) || c.HeldReason != check.ReasonFail {
		t.Errorf("check in its window: held until %v (reason %q), alert after %v; want %v, fail, %v",
			c.HeldUntil, c.HeldReason, c.AlertAfter, end, end)
	}
	// The parent holds Child's alert, noted.
	if got := alerts(t, st, Child); len(got) != 0 {
		t.Errorf("alerts of the child = %v, want none while its parent is down", got)
	}
	if fs := flips(t, st, Child); len(fs) == 0 || fs[0].NewStatus != check.StatusDown || fs[0].Note != "held: db is down" {
		t.Errorf("child's newest flip = %v, want a down flip noted %q", fs, "held: db is down")
	}
	if c := load(t, st, Child); c.HeldParent != Parent {
		t.Errorf("child's held parent = %q, want %s", c.HeldParent, Parent)
	}

	var now time.Time
	sw := &sweep.Sweeper{Store: st, Now: func() time.Time { return now }}
	run := func(t0 time.Time) {
		t.Helper()
		now = t0
		if _, err := sw.Run(ctx); err != nil {
			t.Fatalf("sweep at %v: %v", t0, err)
		}
	}
	run(at) // Parent goes down (its own alert); Child stays held.
	if got := alerts(t, st, Child); len(got) != 0 {
		t.Errorf("alerts of the child after the sweep at %v = %v, want none: its parent is down", at, got)
	}
	_, err := st.UpdateCheck(ctx, Parent, func(c *check.Check) (store.Change, error) {
		p, f := c.ApplyPing(check.Signal{Kind: check.PingSuccess}, at.Add(time.Minute), nil)
		return store.Change{Ping: p, Flip: f}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	run(at.Add(2 * time.Minute))
	if got := alerts(t, st, Child); len(got) != 1 || got[0].OldStatus != check.StatusDown || got[0].Reason != check.ReasonFail {
		t.Errorf("alerts of the child once its parent is up = %v, want one down→down alert, reason fail", got)
	}

	run(end.Add(-time.Second))
	if got := alerts(t, st, InWindow); len(got) != 0 {
		t.Errorf("alerts of the check in its window a second before its end = %v, want none", got)
	}
	run(end)
	if got := alerts(t, st, InWindow); len(got) != 1 || got[0].OldStatus != check.StatusDown ||
		got[0].Reason != check.ReasonFail || !got[0].Created.Equal(end) {
		t.Errorf("alerts of the check in its window at its end = %v, want one down→down alert, reason fail, at %v", got, end)
	}
	run(end.Add(time.Minute))
	if got := alerts(t, st, InWindow); len(got) != 1 {
		t.Errorf("alerts of the check in its window a minute after its end = %d, want still the one", len(got))
	}
	if got := alerts(t, st, Unguarded); len(got) != 1 {
		t.Errorf("alerts of the unguarded check after the sweeps = %d, want still the one", len(got))
	}
}

// seed creates check id, named name, failing on FAILED in the subject, pinged up at T0.
func seed(t *testing.T, st store.Store, id, name string, set func(*check.Check)) {
	t.Helper()
	c := check.New(id, Project, T0.Add(-time.Hour))
	c.Name, c.Slug, c.FilterSubject, c.FailureKw = name, name, true, "FAILED"
	set(c)
	if err := st.CreateCheck(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	_, err := st.UpdateCheck(context.Background(), id, func(c *check.Check) (store.Change, error) {
		p, f := c.ApplyPing(check.Signal{Kind: check.PingSuccess}, T0, nil)
		return store.Change{Ping: p, Flip: f}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func load(t *testing.T, st store.Store, id string) *check.Check {
	t.Helper()
	c, err := st.Check(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// flips are the check's flips, newest first.
func flips(t *testing.T, st store.Store, id string) flipList {
	t.Helper()
	fs, err := st.Flips(context.Background(), id, store.FlipQuery{})
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

// flipList is a readable list of flips for failure messages.
type flipList []*check.Flip

func (l flipList) String() string {
	var b strings.Builder
	b.WriteString("[")
	for i, f := range l {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s→%s reason %q note %q at %s processed %v", f.OldStatus, f.NewStatus, f.Reason, f.Note,
			f.Created.Format(time.RFC3339), !f.Processed.IsZero())
	}
	b.WriteString("]")
	return b.String()
}

// alerts are the check's down flips that reach the notifier (unprocessed), newest first.
func alerts(t *testing.T, st store.Store, id string) flipList {
	t.Helper()
	var out flipList
	for _, f := range flips(t, st, id) {
		if f.NewStatus == check.StatusDown && f.Processed.IsZero() {
			out = append(out, f)
		}
	}
	return out
}
