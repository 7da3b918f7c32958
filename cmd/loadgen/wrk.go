package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Targets of issue 18 for the ping API measured with wrk: overdue's throughput as a share of the
// bare server's in the same run, and its p99 at wrkTargetConns connections.
const (
	wrkTargetConns    = 16
	wrkTargetOneCheck = 0.25 // every connection pings one busy check
	wrkTargetChecks   = 0.30 // the connections' pings spread over 16 checks
	wrkTargetP99      = 10 * time.Millisecond
)

// wrkScript POSTs pingBody to the paths it is given, round robin, and prints one RESULT line
// when the run ends. %s is the Lua list of paths.
const wrkScript = `wrk.method = "POST"
wrk.body = %q
wrk.headers["Content-Type"] = "text/plain"
local paths = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format(nil, paths[(i %% #paths) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%%d duration_us=%%d errors=%%d non2xx=%%d p50_us=%%d p99_us=%%d max_us=%%d\n",
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99), latency.max))
end
`

// wrkRun is what one wrk run reported.
type wrkRun struct {
	requests, errors, non2xx int
	duration                 time.Duration
	p50, p99, max            time.Duration
	cpu                      time.Duration // the server process's CPU time over the run; 0: not measured
}

// cpuPerRequest is the server's CPU time per request answered, in microseconds (0: unknown).
func (r wrkRun) cpuPerRequest() float64 {
	if r.cpu <= 0 || r.requests <= 0 {
		return 0
	}
	return float64(r.cpu.Microseconds()) / float64(r.requests)
}

// clockTick is the unit of the CPU times in /proc/<pid>/stat (USER_HZ, 100 on Linux).
const clockTick = 10 * time.Millisecond

// processCPU is the CPU time (user and system, every thread) the process pid has used so far.
func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, in parentheses, may hold spaces: the fields count from its end.
	_, rest, ok := bytes.Cut(b, []byte(") "))
	f := strings.Fields(string(rest))
	if !ok || len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %q", pid, b)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64) // field 14 of proc(5)
	stime, err2 := strconv.ParseInt(f[12], 10, 64) // field 15
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %q", pid, b)
	}
	return time.Duration(utime+stime) * clockTick, nil
}

func (r wrkRun) rps() float64 {
	if r.duration <= 0 {
		return 0
	}
	return float64(r.requests-r.non2xx) / r.duration.Seconds()
}

// parseWrk reads the RESULT line wrkScript prints.
func parseWrk(out []byte) (wrkRun, error) {
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		fields, ok := strings.CutPrefix(sc.Text(), "RESULT ")
		if !ok {
			continue
		}
		v := map[string]int64{}
		for _, f := range strings.Fields(fields) {
			k, s, _ := strings.Cut(f, "=")
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return wrkRun{}, fmt.Errorf("wrk result %q: %w", f, err)
			}
			v[k] = n
		}
		us := func(k string) time.Duration { return time.Duration(v[k]) * time.Microsecond }
		return wrkRun{requests: int(v["requests"]), errors: int(v["errors"]), non2xx: int(v["non2xx"]),
			duration: us("duration_us"), p50: us("p50_us"), p99: us("p99_us"), max: us("max_us")}, nil
	}
	return wrkRun{}, fmt.Errorf("no RESULT line in wrk's output:\n%s", out)
}

// wrkRow is the runs of one server in one configuration.
type wrkRow struct {
	checks, conns int
	server        string
	runs          []wrkRun
	loads         []string
}

// median is the median of f over the runs.
func (r wrkRow) median(f func(wrkRun) float64) float64 {
	var v []float64
	for _, run := range r.runs {
		v = append(v, f(run))
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

func (r wrkRow) rps() float64 { return r.median(wrkRun.rps) }
func (r wrkRow) p50() time.Duration {
	return time.Duration(r.median(func(w wrkRun) float64 { return float64(w.p50) }))
}
func (r wrkRow) p99() time.Duration {
	return time.Duration(r.median(func(w wrkRun) float64 { return float64(w.p99) }))
}

// spread is the lowest and highest value of f over the runs, formatted by format.
func (r wrkRow) spread(f func(wrkRun) float64, format func(float64) string) string {
	if len(r.runs) < 2 {
		return "—"
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, run := range r.runs {
		lo, hi = math.Min(lo, f(run)), math.Max(hi, f(run))
	}
	return format(lo) + "–" + format(hi)
}

// cmdWrk is `loadgen wrk --overdue BIN [--wrk wrk] [--checks 1,16] [--conns 16,64] [--duration 5s]
// [--repeat 3]`: the ping throughput of `overdue serve` on SQLite measured by wrk, an external
// load generator written in C, against the bare net/http server in the same run. For each
// number of checks and of connections it runs wrk on the bare server, then on overdue, --repeat
// times: one wrk thread, every connection keep-alive, POSTing pingBody to /ping/<uuid> of the
// checks round robin. It prints a markdown table and the verdict on issue 18's targets.
func cmdWrk(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("wrk", flag.ContinueOnError)
	bin := fs.String("overdue", "bin/overdue", "the overdue binary")
	wrkBin := fs.String("wrk", "wrk", "the wrk binary")
	checksFlag := fs.String("checks", "1,16", "numbers of checks the pings spread over, comma-separated")
	connsFlag := fs.String("conns", "16,64", "connection counts, comma-separated")
	duration := fs.Duration("duration", 5*time.Second, "time per run (at most 1m)")
	interval := fs.Duration("interval", 2*time.Second, "the sweep interval of overdue serve (as it runs by default)")
	repeat := fs.Int("repeat", 3, "runs of each server in each configuration (at most 10)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	checkCounts, err := parseInts(*checksFlag)
	if err != nil {
		return fmt.Errorf("wrk: --checks: %w", err)
	}
	conns, err := parseInts(*connsFlag)
	if err != nil {
		return fmt.Errorf("wrk: --conns: %w", err)
	}
	if *repeat < 1 || *repeat > 10 {
		return fmt.Errorf("wrk: --repeat %d: want 1 to 10", *repeat)
	}
	if *duration <= 0 || *duration > maxDuration {
		return fmt.Errorf("wrk: --duration %s: want at most %s", *duration, maxDuration)
	}
	wrkPath, err := exec.LookPath(*wrkBin)
	if err != nil {
		return fmt.Errorf("wrk: %w (apt-get install wrk)", err)
	}
	dir, err := os.MkdirTemp("", "loadgen-wrk-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	servers, err := startPair(ctx, *bin, dir, *interval, maxOf(checkCounts), "wrk")
	if err != nil {
		return err
	}
	defer servers.stop()
	bareURL, srv, ids := servers.bareURL, servers.srv, servers.ids

	// run runs wrk once with the script for the first n checks, against the server process pid.
	run := func(base string, pid, n, c int, d time.Duration) (wrkRun, error) {
		if err := loopbackURL(base); err != nil {
			return wrkRun{}, err
		}
		var paths []string
		for _, id := range ids[:n] {
			paths = append(paths, strconv.Quote("/ping/"+id))
		}
		script := filepath.Join(dir, "ping.lua")
		if err := os.WriteFile(script, fmt.Appendf(nil, wrkScript, pingBody, strings.Join(paths, ", ")), 0o644); err != nil {
			return wrkRun{}, err
		}
		cmd := exec.CommandContext(ctx, wrkPath, "-t1", "-c"+strconv.Itoa(c), "-d"+d.String(),
			"--timeout", "5s", "-s", script, base)
		before, cpuErr := processCPU(pid)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return wrkRun{}, fmt.Errorf("wrk: %w\n%s", err, out)
		}
		after, err := processCPU(pid)
		res, perr := parseWrk(out)
		if cpuErr == nil && err == nil {
			res.cpu = after - before
		}
		return res, perr
	}

	var rows []wrkRow
	for _, n := range checkCounts {
		for _, c := range conns {
			// One unmeasured second each, so that neither server is measured cold.
			for _, base := range []string{bareURL, srv.base} {
				if _, err := run(base, 0, n, c, time.Second); err != nil {
					return err
				}
			}
			b := wrkRow{checks: n, conns: c, server: "bare net/http"}
			o := wrkRow{checks: n, conns: c, server: "overdue serve"}
			for range *repeat {
				for _, row := range []*wrkRow{&b, &o} {
					base, pid := bareURL, servers.bare.cmd.Process.Pid
					if row == &o {
						base, pid = srv.base, srv.cmd.Process.Pid
					}
					res, err := run(base, pid, n, c, *duration)
					if err != nil {
						return err
					}
					row.runs = append(row.runs, res)
					row.loads = append(row.loads, loadAverage())
				}
			}
			rows = append(rows, b, o)
		}
	}
	writeWrkTable(stdout, rows)
	return nil
}

// writeWrkTable prints the runs and the verdict on the targets.
func writeWrkTable(w io.Writer, rows []wrkRow) {
	runs := 0
	if len(rows) > 0 {
		runs = len(rows[0].runs)
	}
	fmt.Fprintf(w, "| checks | connections | server | requests/s, median of %d | range | p50 | p99 | p99 range | max | requests | errors | of bare | server CPU per request | load avg (1 min) |\n", runs)
	fmt.Fprintln(w, "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	type key struct{ checks, conns int }
	bare := map[key]float64{}
	msF := func(v float64) string { return ms(time.Duration(v)) }
	for _, r := range rows {
		ratio := "—"
		if r.server == "bare net/http" {
			bare[key{r.checks, r.conns}] = r.rps()
		} else if b := bare[key{r.checks, r.conns}]; b > 0 {
			ratio = fmt.Sprintf("**%.0f%%**", 100*r.rps()/b)
		}
		var reqs, errs int
		var worst time.Duration
		for _, run := range r.runs {
			reqs += run.requests
			errs += run.errors + run.non2xx
			worst = max(worst, run.max)
		}
		cpu := "—"
		if us := r.median(wrkRun.cpuPerRequest); us > 0 {
			cpu = fmt.Sprintf("%.0f µs", us)
		}
		fmt.Fprintf(w, "| %d | %d | %s | %s | %s | %s | %s | %s | %s | %s | %d | %s | %s | %s |\n", r.checks, r.conns, r.server,
			thousands(r.rps()), r.spread(wrkRun.rps, thousands), ms(r.p50()), ms(r.p99()),
			r.spread(func(w wrkRun) float64 { return float64(w.p99) }, msF), ms(worst),
			thousands(float64(reqs)), errs, ratio, cpu, strings.Join(r.loads, ", "))
	}
	fmt.Fprintln(w)
	for _, r := range rows {
		b := bare[key{r.checks, r.conns}]
		if r.server == "bare net/http" || b == 0 {
			continue
		}
		target, what := wrkTargetChecks, fmt.Sprintf("across %d checks", r.checks)
		if r.checks == 1 {
			target, what = wrkTargetOneCheck, "one busy check"
		}
		ratio := r.rps() / b
		verdict := "met"
		if ratio < target {
			verdict = "missed"
		}
		fmt.Fprintf(w, "- wrk, %s, %d connections: %.0f%% of the bare server (%s against %s req/s), **target (at least %.0f%%) %s**.\n",
			what, r.conns, 100*ratio, thousands(r.rps()), thousands(b), 100*target, verdict)
		if r.conns == wrkTargetConns {
			verdict = "met"
			if r.p99() >= wrkTargetP99 {
				verdict = "missed"
			}
			fmt.Fprintf(w, "- wrk, %s, %d connections: p99 %s (bare server %s), **target (under %s) %s**.\n",
				what, r.conns, ms(r.p99()), ms(bareP99(rows, r)), ms(wrkTargetP99), verdict)
		}
	}
}

// bareP99 is the p99 of the bare server in r's configuration.
func bareP99(rows []wrkRow, r wrkRow) time.Duration {
	for _, b := range rows {
		if b.server == "bare net/http" && b.checks == r.checks && b.conns == r.conns {
			return b.p99()
		}
	}
	return 0
}
