package sqlite

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// BenchmarkBatchPages counts the pages a group-commit batch of success pings writes to the WAL
// (a commit appends each page it changed once, as a frame: two pwrite system calls), by the
// table or index each page belongs to (SQLite's dbstat), in the steady state of `loadgen wrk`:
// every check at its 100 kept pings, so that every ping also trims one. Batches of 6 and 16
// pings, round robin over 16 checks or all on one. Nothing checkpoints while it counts, so that
// the WAL holds every frame the batches wrote.
//
//	go test -run '^$' -bench BatchPages -benchtime 200x ./internal/store/sqlite/
//
// frames/txn is the pages per transaction; <name>-pages/txn those of one table or index (leaf and
// internal b-tree pages together; page 1, the header with the free-list count, counts as
// "header"). apply-µs/txn and commit-µs/txn are the committer's phases (CommitProfile's Apply
// and Commit), wall time: a loaded machine inflates them.
func BenchmarkBatchPages(b *testing.B) {
	for _, checks := range []int{16, 1} {
		for _, size := range []int{6, 16} {
			b.Run(fmt.Sprintf("checks=%d/batch=%d", checks, size), func(b *testing.B) { benchBatchPages(b, checks, size) })
		}
	}
}

func benchBatchPages(b *testing.B, checks, size int) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "overdue.db")
	s, err := Open(path, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	// Nothing checkpoints while it counts, the writer's safety net neither: the WAL keeps every
	// frame (the write pool's one connection takes the setting).
	s.ck.stop()
	if _, err := s.w.ExecContext(ctx, `PRAGMA wal_autocheckpoint = 0`); err != nil {
		b.Fatal(err)
	}
	project := "b0000000-0000-4000-8000-000000000001"
	if err := s.CreateProject(ctx, &check.Project{ID: project, Created: t0}); err != nil {
		b.Fatal(err)
	}
	var ids []string
	for i := range checks {
		c := check.New(fmt.Sprintf("c0000000-0000-4000-8000-%012d", i), project, t0)
		c.Name = fmt.Sprintf("load-%d", i)
		if err := s.CreateCheck(ctx, c); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	k, at := 0, t0
	body := []byte("backup done: 1432 files, 0 errors") // loadgen's pingBody
	batch := func() []*update {
		out := make([]*update, size)
		for i := range out {
			id := ids[k%len(ids)]
			k++
			at = at.Add(time.Millisecond)
			now := at
			out[i] = newUpdate(id, func(c *check.Check) (store.Change, error) {
				p, f := c.ApplyPing(check.Signal{Kind: check.PingSuccess, Method: "POST", Body: body,
					Scheme: "http", RemoteAddr: "127.0.0.1", UA: "wrk"}, now, nil)
				return store.Change{Ping: p, Flip: f}, nil
			})
		}
		return out
	}
	// Every check past its 100 kept pings, off the clock.
	for range (store.DefaultPingLimit + 20) * checks / size {
		s.commit(batch(), nil)
	}
	_, before := walFrames(b, path)
	var apply, commit time.Duration
	b.ResetTimer()
	for range b.N {
		var t commitTimes
		s.commit(batch(), &t)
		apply += t.commit.Sub(t.apply)
		commit += t.answer.Sub(t.commit)
	}
	b.StopTimer()
	b.ReportMetric(float64(apply.Microseconds())/float64(b.N), "apply-µs/txn")
	b.ReportMetric(float64(commit.Microseconds())/float64(b.N), "commit-µs/txn")
	pages, commits := walFrames(b, path)
	if len(commits) < len(before)+b.N {
		b.Fatalf("%d commits in the WAL, want %d: it started over", len(commits)-len(before), b.N)
	}
	names := map[uint32]string{}
	rows, err := s.r.QueryContext(ctx, `SELECT name, pageno FROM dbstat`)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var name string
		var n uint32
		if err := rows.Scan(&name, &n); err != nil {
			b.Fatal(err)
		}
		names[n] = name
	}
	if err := rows.Close(); err != nil {
		b.Fatal(err)
	}
	counts := map[string]int{}
	total := 0
	for _, p := range pages[before[len(before)-1]:commits[len(before)+b.N-1]] {
		name := names[p]
		switch {
		case p == 1:
			name = "header"
		case name == "":
			name = "free-list"
		}
		counts[strings.TrimPrefix(name, "sqlite_")]++
		total++
	}
	b.ReportMetric(float64(total)/float64(b.N), "frames/txn")
	b.ReportMetric(float64(total)/float64(b.N*size), "frames/ping")
	for name, n := range counts {
		b.ReportMetric(float64(n)/float64(b.N), name+"-pages/txn")
	}
}

// walFrames reads the WAL file of the database at path: the page number of each frame of its
// current generation, in order, and the frame count after each commit frame.
func walFrames(tb testing.TB, path string) (pages []uint32, commits []int) {
	tb.Helper()
	wal, err := os.ReadFile(path + "-wal")
	if err != nil {
		tb.Fatal(err)
	}
	if len(wal) < 32 {
		return nil, nil
	}
	pageSize := int(binary.BigEndian.Uint32(wal[8:12]))
	salt := binary.BigEndian.Uint32(wal[16:20])
	for off := 32; off+24+pageSize <= len(wal); off += 24 + pageSize {
		frame := wal[off : off+24]
		if binary.BigEndian.Uint32(frame[8:12]) != salt {
			break // left from an earlier generation
		}
		pages = append(pages, binary.BigEndian.Uint32(frame[0:4]))
		if binary.BigEndian.Uint32(frame[4:8]) != 0 { // the database size: a commit frame
			commits = append(commits, len(pages))
		}
	}
	return pages, commits
}
