package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/httpapi"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/sqlite"
	"github.com/overduehq/overdue/internal/store/storetest"
	"github.com/overduehq/overdue/internal/sweep"
)

// pingBenchConns is the connection count of the ping throughput target (issue 8).
const pingBenchConns = 16

// BenchmarkPingServer is `loadgen wrk` at 16 connections in one process, so that a CPU profile
// sees the server: the handler of `overdue serve` (httpapi.New over the SQLite store, with serve's
// ping counter, served by net/http on a loopback listener with serve's timeouts), and sixteen
// keep-alive connections, each POSTing a small body as fast as it is answered, to its own check
// (checks=16) or all to one busy check (checks=1). ns/op is the wall time per ping at that
// concurrency; pings/s its inverse. The server's goroutines carry the profiler
// label side=server and the client's side=client, so the profile can be cut to the server:
//
//	go test -run '^$' -bench PingServer -benchtime 5s -cpuprofile cpu.prof ./internal/httpapi/
//	go tool pprof -top -tagfocus side=server httpapi.test cpu.prof
func BenchmarkPingServer(b *testing.B) {
	for _, checks := range []int{pingBenchConns, 1} {
		b.Run(fmt.Sprintf("checks=%d", checks), func(b *testing.B) { benchPingServer(b, checks) })
	}
}

func benchPingServer(b *testing.B, checks int) {
	ctx := context.Background()
	// Opened under the server label: the store's committer goroutine, which runs the pings'
	// transactions (group commit), inherits it.
	var st *sqlite.Store
	var err error
	pprof.Do(ctx, pprof.Labels("side", "server"), func(context.Context) {
		st, err = sqlite.Open(filepath.Join(b.TempDir(), "overdue.db"), store.Options{Box: storetest.Box(b)})
	})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	now := time.Now().UTC()
	p := &check.Project{ID: "b0000000-0000-4000-8000-000000000001", Name: "Bench", Created: now,
		APIKeyHash: check.HashKey("hcw_bench"), ReadOnlyKeyHash: check.HashKey("hcr_bench"),
		PingKeyHash: check.HashKey("pk_bench")}
	if err := st.CreateProject(ctx, p); err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	var urls []string
	for i := range checks {
		c := check.New(fmt.Sprintf("c0000000-0000-4000-8000-%012d", i), p.ID, now)
		c.Name = fmt.Sprintf("load-%d", i)
		if err := st.CreateCheck(ctx, c); err != nil {
			b.Fatal(err)
		}
		urls = append(urls, base+"/ping/"+c.ID)
	}

	clock := func() time.Time { return time.Now().UTC() }
	srv := &http.Server{
		// Counting each ping request for the ingestion health, at once and in memory, as serve does.
		Handler: httpapi.New(httpapi.Config{Store: st, SiteRoot: base, Now: clock, SecretKey: []byte("bench-signing-secret"),
			PingCounter: &sweep.IngestCounter{Log: &sweep.MemoryIngestLog{}, Now: clock, Every: -1}}),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	go pprof.Do(ctx, pprof.Labels("side", "server"), func(context.Context) { _ = srv.Serve(ln) })
	defer srv.Close()

	tr := &http.Transport{MaxIdleConnsPerHost: pingBenchConns, MaxConnsPerHost: pingBenchConns, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	body := []byte("backup done: 1432 files, 0 errors")
	ping := func(u string) error {
		resp, err := client.Post(u, "text/plain", bytes.NewReader(body))
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		return err
	}
	// One ping per check off the clock; the connections it opens carry the client label.
	pprof.Do(ctx, pprof.Labels("side", "client"), func(context.Context) {
		for _, u := range urls {
			if err := ping(u); err != nil {
				b.Fatal(err)
			}
		}
	})

	var (
		next     atomic.Int64
		failures atomic.Int64
		wg       sync.WaitGroup
	)
	prof0 := st.CommitProfile()
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := range pingBenchConns {
		u := urls[i%len(urls)]
		wg.Go(func() {
			pprof.Do(ctx, pprof.Labels("side", "client"), func(context.Context) {
				for next.Add(1) <= int64(b.N) {
					if err := ping(u); err != nil {
						failures.Add(1)
					}
				}
			})
		})
	}
	wg.Wait()
	b.StopTimer()
	if n := failures.Load(); n > 0 {
		b.Fatalf("%d of %d pings failed", n, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pings/s")
	// CPU time per ping moves less than wall time when other processes load the machine.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/ping")
	reportCommits(b, prof0, st.CommitProfile())
}

// reportCommits reports where the committer's time went between two profiles: the mean batch,
// the committer's phases per batch (µs), the share of commits over sqlite.SlowCommit and the
// longest, and how long a ping waited for the committer to take it and to answer it.
func reportCommits(b *testing.B, p0, p sqlite.CommitProfile) {
	n := p.Batches - p0.Batches
	if n == 0 {
		return
	}
	updates := float64(p.Updates - p0.Updates)
	b.ReportMetric(updates/float64(n), "pings/txn")
	perBatch := func(d0, d time.Duration) float64 { return float64((d - d0).Microseconds()) / float64(n) }
	b.ReportMetric(perBatch(p0.Idle, p.Idle), "idle-µs/txn")
	b.ReportMetric(perBatch(p0.Gather, p.Gather), "gather-µs/txn")
	b.ReportMetric(perBatch(p0.Begin, p.Begin), "begin-µs/txn")
	b.ReportMetric(perBatch(p0.Apply, p.Apply), "apply-µs/txn")
	b.ReportMetric(perBatch(p0.Commit, p.Commit), "commit-µs/txn")
	b.ReportMetric(perBatch(p0.Answer, p.Answer), "answer-µs/txn")
	b.ReportMetric(100*float64(p.SlowCommits-p0.SlowCommits)/float64(n), "%slow-commits")
	b.ReportMetric(float64(p.MaxCommit.Microseconds())/1000, "max-commit-ms")
	b.ReportMetric(float64((p.Queued-p0.Queued).Microseconds())/updates, "queued-µs/ping")
	b.ReportMetric(float64((p.Waited-p0.Waited).Microseconds())/updates, "waited-µs/ping")
}

// cpuTime is the CPU time this process has used, user and system, client side included.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
