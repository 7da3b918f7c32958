package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// pingBody is the small body every ping carries: a line of job output, 33 bytes.
var pingBody = []byte("backup done: 1432 files, 0 errors")

// Targets of issue 8 for the ping API, at targetConns connections.
const (
	targetConns = 16
	targetRatio = 0.30
	targetP99   = 20 * time.Millisecond
)

// pingRow is one line of the throughput table: the runs of one server at one connection count.
type pingRow struct {
	conns  int
	server string
	runs   []result
	loads  []string // the 1-minute load average when each run ended
}

// rps is the median of the runs' throughputs.
func (r pingRow) rps() float64 {
	var v []float64
	for _, res := range r.runs {
		v = append(v, res.rps())
	}
	slices.Sort(v)
	if len(v) == 0 {
		return 0
	}
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// pooled is every run's requests as one result: latency percentiles over all of them.
func (r pingRow) pooled() result {
	var p result
	for _, res := range r.runs {
		p.requests += res.requests
		p.errors += res.errors
		p.elapsed += res.elapsed
		p.latencies = append(p.latencies, res.latencies...)
	}
	slices.Sort(p.latencies)
	return p
}

// spread is the lowest and highest throughput of the runs.
func (r pingRow) spread() string {
	lo, hi := math.Inf(1), 0.0
	for _, res := range r.runs {
		lo, hi = math.Min(lo, res.rps()), math.Max(hi, res.rps())
	}
	if len(r.runs) < 2 {
		return "—"
	}
	return thousands(lo) + "–" + thousands(hi)
}

// cmdPing is `loadgen ping --overdue BIN [--conns 1,16,64] [--duration 5s] [--repeat 3]`: it
// starts `overdue serve` on SQLite and a bare net/http server (`loadgen bare`), creates one check
// per connection through the API, and POSTs small pings at each connection count, the bare
// server and overdue in turn, --repeat times, so both see the same moments of a shared machine.
// It prints a markdown table (throughput: the median run; latency: all runs' requests together)
// and whether the targets were met.
func cmdPing(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("ping", flag.ContinueOnError)
	bin := fs.String("overdue", "bin/overdue", "the overdue binary")
	connsFlag := fs.String("conns", "1,16,64", "connection counts, comma-separated")
	duration := fs.Duration("duration", 5*time.Second, "measured time per run (at most 1m)")
	warmup := fs.Duration("warmup", time.Second, "unmeasured time before each run")
	limit := fs.Int("max-requests", 2_000_000, "measured requests per run, at most")
	interval := fs.Duration("interval", 2*time.Second, "the sweep interval of overdue serve (as it runs by default)")
	repeat := fs.Int("repeat", 3, "runs of each server at each connection count (at most 10)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	conns, err := parseInts(*connsFlag)
	if err != nil {
		return fmt.Errorf("ping: --conns: %w", err)
	}
	if *repeat < 1 || *repeat > 10 {
		return fmt.Errorf("ping: --repeat %d: want 1 to 10", *repeat)
	}
	dir, err := os.MkdirTemp("", "loadgen-ping-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	// One check per connection, as many jobs would ping: each connection pings its own.
	servers, err := startPair(ctx, *bin, dir, *interval, maxOf(conns), "load")
	if err != nil {
		return err
	}
	defer servers.stop()
	bareURL, srv, ids := servers.bareURL, servers.srv, servers.ids
	urlsOf := func(base string) []string {
		var us []string
		for _, id := range ids {
			us = append(us, base+"/ping/"+id)
		}
		return us
	}

	var rows []pingRow
	for _, n := range conns {
		bare := pingRow{conns: n, server: "bare net/http"}
		over := pingRow{conns: n, server: "overdue serve"}
		for range *repeat {
			for _, row := range []*pingRow{&bare, &over} {
				base := bareURL
				if row == &over {
					base = srv.base
				}
				l := load{urls: urlsOf(base), body: pingBody, conns: n, warmup: *warmup, duration: *duration, maxReqs: *limit}
				res, err := l.run(ctx)
				if err != nil {
					return err
				}
				if res.errors > 0 {
					fmt.Fprintf(os.Stderr, "loadgen ping: %s at %d connections: %d errors, first: %s\n", row.server, n, res.errors, res.firstError)
				}
				row.runs = append(row.runs, res)
				row.loads = append(row.loads, loadAverage())
			}
		}
		rows = append(rows, bare, over)
	}
	writePingTable(stdout, rows)
	return nil
}

// writePingTable prints the runs and the verdict on the targets.
func writePingTable(w io.Writer, rows []pingRow) {
	runs := 0
	if len(rows) > 0 {
		runs = len(rows[0].runs)
	}
	fmt.Fprintf(w, "| connections | server | requests/s, median of %d | range | p50 | p99 | max | requests | errors | of bare | load avg (1 min) |\n", runs)
	fmt.Fprintln(w, "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	bare := map[int]float64{}
	for _, r := range rows {
		ratio := "—"
		if r.server == "bare net/http" {
			bare[r.conns] = r.rps()
		} else if b := bare[r.conns]; b > 0 {
			ratio = fmt.Sprintf("**%.0f%%**", 100*r.rps()/b)
		}
		p := r.pooled()
		fmt.Fprintf(w, "| %d | %s | %s | %s | %s | %s | %s | %s | %d | %s | %s |\n", r.conns, r.server,
			thousands(r.rps()), r.spread(), ms(p.percentile(50)), ms(p.percentile(99)), ms(p.percentile(100)),
			thousands(float64(p.requests)), p.errors, ratio, strings.Join(r.loads, ", "))
	}
	fmt.Fprintln(w)
	for _, r := range rows {
		if r.conns != targetConns || r.server == "bare net/http" || bare[r.conns] == 0 {
			continue
		}
		ratio := r.rps() / bare[r.conns]
		if ratio >= targetRatio {
			fmt.Fprintf(w, "- Throughput at %d connections: %.0f%% of the bare server, **target (at least %.0f%%) met**.\n",
				targetConns, 100*ratio, 100*targetRatio)
		} else {
			fmt.Fprintf(w, "- Throughput at %d connections: %.0f%% of the bare server, **target (at least %.0f%%) missed** by %.0f points (%.0f%% short of it).\n",
				targetConns, 100*ratio, 100*targetRatio, 100*(targetRatio-ratio), 100*(1-ratio/targetRatio))
		}
		p99 := r.pooled().percentile(99)
		if p99 < targetP99 {
			fmt.Fprintf(w, "- p99 at %d connections: %s, **target (under %s) met**.\n", targetConns, ms(p99), ms(targetP99))
		} else {
			fmt.Fprintf(w, "- p99 at %d connections: %s, **target (under %s) missed** by %s (%.0f%% over).\n",
				targetConns, ms(p99), ms(targetP99), ms(p99-targetP99), 100*(float64(p99)/float64(targetP99)-1))
		}
	}
}

// loadAverage is the 1-minute load average, or "?" where /proc/loadavg is missing.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return "?"
}

// parseInts parses "1,16,64".
func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > maxConns {
			return nil, fmt.Errorf("%q: want whole numbers from 1 to %d", f, maxConns)
		}
		out = append(out, n)
	}
	return out, nil
}

func maxOf(ns []int) int {
	m := 0
	for _, n := range ns {
		m = max(m, n)
	}
	return m
}

// ms formats a duration in milliseconds with three significant digits.
func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f ms", v)
	case v >= 10:
		return fmt.Sprintf("%.1f ms", v)
	default:
		return fmt.Sprintf("%.2f ms", v)
	}
}

// thousands formats a count with thousands separators: 12,345.
func thousands(v float64) string {
	s := strconv.FormatInt(int64(v+0.5), 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
