package sqlite

import (
	"database/sql"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// pingsInFile counts the pings in the database file itself, ignoring the WAL (immutable=1):
// what checkpoints have copied there.
func pingsInFile(t *testing.T, path string) int {
	t.Helper()
	db, err := sql.Open("sqlite", dsn(path, url.Values{"mode": {"ro"}, "immutable": {"1"}}))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(t.Context(), `SELECT count(*) FROM pings`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCheckpointsOffTheCommitter: commits leave their pages in the WAL (the writer checkpoints
// itself only at walSafetyNet pages), and every ckptEvery commits the checkpointer copies
// everything committed into the database file, on its own connection.
func TestCheckpointsOffTheCommitter(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "overdue.db")
	s, err := Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.CreateProject(ctx, &check.Project{ID: "p1", Created: t0}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateCheck(ctx, check.New("c1", "p1", t0)); err != nil {
		t.Fatal(err)
	}
	// A checkpoint of the creates' commits, if they reached ckptEvery, is out of the way.
	select {
	case <-s.ck.ran:
	default:
	}
	ping := func(i int) {
		t.Helper()
		if _, err := s.UpdateCheck(ctx, "c1", pingAt(check.PingSuccess, t0.Add(time.Duration(i)*time.Second))); err != nil {
			t.Fatal(err)
		}
	}
	// One at a time, so that each is its own transaction: up to one short of the next checkpoint.
	before := pingsInFile(t, path)
	pings := 0
	for s.commits.Load()%ckptEvery != ckptEvery-1 {
		ping(pings)
		pings++
	}
	if pings == 0 {
		ping(pings) // a whole round more
		pings++
		for s.commits.Load()%ckptEvery != ckptEvery-1 {
			ping(pings)
			pings++
		}
	}
	if n := pingsInFile(t, path); n != before {
		t.Fatalf("%d pings in the database file before the checkpointer ran, want %d: the writer checkpointed", n, before)
	}
	ping(pings) // the ckptEvery-th commit
	pings++
	<-s.ck.ran
	if n := pingsInFile(t, path); n != before+pings {
		t.Fatalf("%d pings in the database file after the checkpoint, want %d", n, before+pings)
	}
	if p := s.CommitProfile(); p.Checkpoints == 0 || p.CheckpointErrors != 0 {
		t.Fatalf("profile: %d checkpoints, %d failed; want some, none failed", p.Checkpoints, p.CheckpointErrors)
	}
}

// TestCommitProfile: the profile counts every batch and update, sorts the batches by size, and
// times the callers' waits.
func TestCommitProfile(t *testing.T) {
	ctx := t.Context()
	s := groupStore(t, store.Options{})
	p0 := s.CommitProfile()
	for i := range 3 {
		if _, err := s.UpdateCheck(ctx, "c1", pingAt(check.PingSuccess, t0.Add(time.Duration(i)*time.Second))); err != nil {
			t.Fatal(err)
		}
	}
	p := s.CommitProfile()
	if b, u := p.Batches-p0.Batches, p.Updates-p0.Updates; b != 3 || u != 3 {
		t.Fatalf("%d batches of %d updates, want 3 of 3 (one at a time)", b, u)
	}
	if n := p.Sizes[0] - p0.Sizes[0]; n != 3 {
		t.Fatalf("%d batches of one update, want 3", n)
	}
	if p.Waited <= p0.Waited || p.Commit <= p0.Commit {
		t.Fatalf("waited %s, committed %s: want both to grow", p.Waited-p0.Waited, p.Commit-p0.Commit)
	}
	for n, want := range map[int]int{1: 0, 2: 1, 3: 2, 4: 2, 5: 3, 16: 4, 17: 5, 256: 8, 1000: 8} {
		if got := sizeBucket(n); got != want {
			t.Errorf("sizeBucket(%d) = %d, want %d", n, got, want)
		}
	}
}
