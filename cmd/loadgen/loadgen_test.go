package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

func TestLoopbackURL(t *testing.T) {
	for _, tt := range []struct {
		url string
		ok  bool
	}{
		{"http://127.0.0.1:8000/ping/x", true},
		{"http://127.1.2.3:80/", true},
		{"http://[::1]:8000/", true},
		{"http://localhost:8000/", true},
		{"https://127.0.0.1:8000/", false},
		{"http://10.0.0.1:8000/", false},
		{"http://example.org/", false},
		{"http://0.0.0.0:8000/", false},
	} {
		if err := loopbackURL(tt.url); (err == nil) != tt.ok {
			t.Errorf("loopbackURL(%q) = %v, want ok %v", tt.url, err, tt.ok)
		}
	}
}

func TestLoadValidate(t *testing.T) {
	good := load{urls: []string{"http://127.0.0.1:1/"}, conns: 1, duration: time.Second, maxReqs: 10}
	if err := good.validate(); err != nil {
		t.Fatalf("validate(%+v) = %v, want nil", good, err)
	}
	for name, mod := range map[string]func(*load){
		"no URL":           func(l *load) { l.urls = nil },
		"remote URL":       func(l *load) { l.urls = []string{"http://192.0.2.1/"} },
		"no connections":   func(l *load) { l.conns = 0 },
		"too many":         func(l *load) { l.conns = maxConns + 1 },
		"too long":         func(l *load) { l.duration = maxDuration + time.Second },
		"unbounded count":  func(l *load) { l.maxReqs = maxRequests + 1 },
		"negative warm-up": func(l *load) { l.warmup = -time.Second },
	} {
		l := good
		mod(&l)
		if err := l.validate(); err == nil {
			t.Errorf("%s: validate(%+v) = nil, want an error", name, l)
		}
	}
}

func TestPercentile(t *testing.T) {
	r := result{}
	for i := 1; i <= 100; i++ {
		r.latencies = append(r.latencies, time.Duration(i)*time.Millisecond)
	}
	for _, tt := range []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {99, 99 * time.Millisecond}, {100, 100 * time.Millisecond}, {0.1, time.Millisecond}} {
		if got := r.percentile(tt.p); got != tt.want {
			t.Errorf("percentile(%v) = %v, want %v", tt.p, got, tt.want)
		}
	}
	if got := (result{}).percentile(50); got != 0 {
		t.Errorf("percentile of nothing = %v, want 0", got)
	}
}

// TestLoadRun drives a loopback test server with a load bounded by count: every request
// arrives with its body, and the count bound holds.
func TestLoadRun(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || string(b) != string(pingBody) {
			http.Error(w, "bad ping", http.StatusBadRequest)
			return
		}
		io.WriteString(w, "OK")
	}))
	defer srv.Close()
	l := load{urls: []string{srv.URL + "/ping/a", srv.URL + "/ping/b"}, body: pingBody, conns: 4,
		duration: 10 * time.Second, maxReqs: 200}
	res, err := l.run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.errors != 0 || res.requests != 200 {
		t.Errorf("run = %d requests, %d errors (first: %s), want 200 and 0", res.requests, res.errors, res.firstError)
	}
	if res.rps() <= 0 || res.percentile(50) <= 0 {
		t.Errorf("rps %v, p50 %v: want both positive", res.rps(), res.percentile(50))
	}
}

const benchOutput = `goos: linux
pkg: github.com/overduehq/overdue/internal/sweep
BenchmarkSweep/checks=1000/due=10-2         	      20	   1355411 ns/op	        10.00 due/op	       135.5 us/due-check
BenchmarkSweep/checks=100000/due=1000-2     	      20	 236571896 ns/op	      1000 due/op	       236.6 us/due-check
BenchmarkSweepCapacity/checks=100000/due=1000/computed-2         	       1	        11.00 DueChecks/op
PASS
`

func TestBenchMD(t *testing.T) {
	var out strings.Builder
	err := cmdBenchMD([]string{"--params", "checks,due", "--note", "how", "--cols", "ns/op=time,us/due-check=µs each,DueChecks/op=calls"},
		strings.NewReader(benchOutput), &out)
	if err != nil {
		t.Fatal(err)
	}
	want := `| checks | due | how | time | µs each | calls |
|---:|---:|---|---:|---:|---:|
| 1,000 | 10 |  | 1.36 ms | 135.5 | — |
| 100,000 | 1,000 |  | 237 ms | 236.6 | — |
| 100,000 | 1,000 | computed | — | — | 11 |
`
	if out.String() != want {
		t.Errorf("benchmd printed\n%s\nwant\n%s", out.String(), want)
	}
	if err := cmdBenchMD(nil, strings.NewReader("FAIL\n"), io.Discard); err == nil {
		t.Error("benchmd of no results = nil, want an error")
	}
}

const pingCapacityOutput = `BenchmarkPingCapacity/success/text-1KB-2   20  1 ns/op  4.5 CU/op  0.5 RCU/op  4 WCU/op  3 requests/op
BenchmarkPingCapacity/success/random-1KB-2   20  1 ns/op  5.5 CU/op  0.5 RCU/op  5 WCU/op  3 requests/op
BenchmarkPingCapacity/start/text-1KB-2   20  1 ns/op  4.5 CU/op  0.5 RCU/op  4 WCU/op  3 requests/op
BenchmarkPingCapacity/success/flip/text-1KB-2   20  1 ns/op  8.5 CU/op  0.5 RCU/op  8 WCU/op  2 requests/op
`

func TestCost(t *testing.T) {
	var out strings.Builder
	if err := cmdCost([]string{"--checks", "1000", "--every", "1m"}, strings.NewReader(pingCapacityOutput), &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| success, no flip | 3 | 0.5 | 4 | **4.5** | 5.5 |",
		"| success that flips the check up | 2 | 0.5 | 8 | 8.5 | — |",
		"Missed by 1.5 CU (50%)",
		// 1,000 checks × 43,800 pings a month × 4 WCU = 175.2 M WRU → $109.50; 21.9 M RRU → $2.74.
		"| success pings | 21,900,000 | 175,200,000 | $112.24 |",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("cost output lacks %q:\n%s", want, out.String())
		}
	}

	out.Reset()
	if err := cmdCost([]string{"--checks", "1000", "--every", "1m", "--target-cu", "4.5", "--sweep-per-ping", "0.5"},
		strings.NewReader(pingCapacityOutput), &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Met: 4.5 CU.** With the sweeps' reads of the check while its due bucket has begun (every minute, a minute's grace): 5 CU.",
		// 43.8 M pings × 0.5 RRU = 21.9 M RRU → $2.74.
		"| sweeps' reads of checks whose due bucket has begun (0.5 RCU a ping) | 21,900,000 | 0 | $2.74 |",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("cost output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestWritePingTable(t *testing.T) {
	res := func(rps float64, p99 time.Duration) result {
		return result{requests: int(rps), elapsed: time.Second, latencies: []time.Duration{p99}}
	}
	var out strings.Builder
	writePingTable(&out, []pingRow{
		{conns: 16, server: "bare net/http", runs: []result{res(10000, time.Millisecond)}, loads: []string{"1.00"}},
		{conns: 16, server: "overdue serve", runs: []result{res(1000, 25*time.Millisecond), res(2000, 5*time.Millisecond),
			res(2500, 30*time.Millisecond)}, loads: []string{"1.00", "1.20", "0.90"}},
	})
	for _, want := range []string{
		"| 16 | overdue serve | 2,000 | 1,000–2,500 |",
		"**20%**",
		"20% of the bare server, **target (at least 30%) missed** by 10 points",
		"p99 at 16 connections: 30.0 ms, **target (under 20.0 ms) missed** by 10.0 ms",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("ping table lacks %q:\n%s", want, out.String())
		}
	}
}

func TestStreamWaitFor(t *testing.T) {
	r, w := io.Pipe()
	s := newStream(r)
	go func() {
		io.WriteString(w, "First start\n  API key:           hcw_abc\nlistening on http://127.0.0.1:1234\n")
		w.Close()
	}()
	m, err := s.waitFor(listeningRe, 5*time.Second)
	if err != nil || m[1] != "http://127.0.0.1:1234" {
		t.Fatalf("waitFor(listening) = %q, %v", m, err)
	}
	if m, err := s.waitFor(apiKeyRe, time.Second); err != nil || m[1] != "hcw_abc" {
		t.Errorf("waitFor(API key) = %q, %v", m, err)
	}
	if _, err := s.waitFor(downRe, time.Second); err == nil {
		t.Error("waitFor of a line that never comes = nil, want an error")
	}
}

func TestParseWrk(t *testing.T) {
	out := []byte("Running 5s test @ http://127.0.0.1:1\n" +
		"RESULT requests=50000 duration_us=5000000 errors=2 non2xx=1000 p50_us=250 p99_us=4100 max_us=12000\n")
	got, err := parseWrk(out)
	if err != nil {
		t.Fatal(err)
	}
	want := wrkRun{requests: 50000, errors: 2, non2xx: 1000, duration: 5 * time.Second,
		p50: 250 * time.Microsecond, p99: 4100 * time.Microsecond, max: 12 * time.Millisecond}
	if got != want {
		t.Errorf("parseWrk = %+v, want %+v", got, want)
	}
	if got.rps() != 9800 {
		t.Errorf("rps = %v, want 9800 (answers other than 2xx do not count)", got.rps())
	}
	if _, err := parseWrk([]byte("wrk: connection refused\n")); err == nil {
		t.Error("parseWrk without a RESULT line = nil error, want one")
	}
}

// TestProcessCPU: the CPU time of this process, read from /proc, grows as it works.
func TestProcessCPU(t *testing.T) {
	before, err := processCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	var x uint64
	for after := before; after <= before; {
		for i := range 1 << 20 {
			x += uint64(i) * x
		}
		if after, err = processCPU(os.Getpid()); err != nil {
			t.Fatal(err)
		}
	}
	_ = x
}

func TestWrkVerdicts(t *testing.T) {
	run := func(rps int, p99 time.Duration) wrkRun {
		return wrkRun{requests: rps, duration: time.Second, p99: p99, cpu: time.Duration(rps) * 20 * time.Microsecond}
	}
	rows := []wrkRow{
		{checks: 1, conns: 16, server: "bare net/http", runs: []wrkRun{run(40000, time.Millisecond)}},
		{checks: 1, conns: 16, server: "overdue serve", runs: []wrkRun{run(10400, 12*time.Millisecond)}},
		{checks: 16, conns: 16, server: "bare net/http", runs: []wrkRun{run(40000, time.Millisecond)}},
		{checks: 16, conns: 16, server: "overdue serve", runs: []wrkRun{run(11000, 9*time.Millisecond)}},
	}
	var b strings.Builder
	writeWrkTable(&b, rows)
	for _, want := range []string{
		"one busy check, 16 connections: 26% of the bare server (10,400 against 40,000 req/s), **target (at least 25%) met**",
		"one busy check, 16 connections: p99 12.0 ms (bare server 1.00 ms), **target (under 10.0 ms) missed**",
		"across 16 checks, 16 connections: 28% of the bare server (11,000 against 40,000 req/s), **target (at least 30%) missed**",
		"across 16 checks, 16 connections: p99 9.00 ms (bare server 1.00 ms), **target (under 10.0 ms) met**",
		"| 16 | 16 | overdue serve | 11,000 |", "| **28%** | 20 µs |",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("wrk table does not say %q:\n%s", want, b.String())
		}
	}
}
