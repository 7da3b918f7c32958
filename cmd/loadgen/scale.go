package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/sqlite"
	"github.com/overduehq/overdue/internal/sweep"
)

// scaleScript is wrk's script for `loadgen scale`: it POSTs pingBody to the paths listed one a
// line in the file %q, round robin (a Lua table constructor of 100,000 literal paths is past
// LuaJIT's limit of constants per function, so they are read), and prints the RESULT line
// parseWrk reads.
const scaleScript = `wrk.method = "POST"
wrk.body = %q
wrk.headers["Content-Type"] = "text/plain"
local paths = {}
for line in io.lines(%q) do paths[#paths + 1] = line end
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

// served is an `overdue serve` process on a data directory, and how long it took to listen.
type served struct {
	*child
	base    string
	startup time.Duration
}

// startServe runs `overdue serve --data data` on a free loopback port and waits until it listens;
// startup is from exec to its "listening on" line.
func startServe(bin, data string, interval time.Duration) (*served, error) {
	begin := time.Now()
	c, err := startChild("overdue serve", bin, []string{"serve", "--data", data, "--addr", "127.0.0.1:0",
		"--interval", interval.String()}, nil)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(5 * time.Minute)
	for i := 0; ; i++ {
		l, err := c.stdout.next(i, deadline)
		if err != nil {
			c.stop()
			return nil, c.failure(fmt.Errorf("waiting for a line matching %s: %w", listeningRe, err))
		}
		m := listeningRe.FindStringSubmatch(l.text)
		if m == nil {
			continue
		}
		if err := loopbackURL(m[1]); err != nil {
			c.stop()
			return nil, err
		}
		return &served{child: c, base: m[1], startup: l.at.Sub(begin)}, nil
	}
}

// memory is a process's resident set now (VmRSS) and at its peak so far (VmHWM), in bytes.
type memory struct{ rss, hwm int64 }

// readMemory reads /proc/<pid>/status.
func readMemory(pid int) (memory, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memory{}, err
	}
	var m memory
	for _, l := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) != 2 || f[1] != "kB" {
			continue
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			continue
		}
		switch k {
		case "VmRSS":
			m.rss = n * 1024
		case "VmHWM":
			m.hwm = n * 1024
		}
	}
	if m.rss == 0 {
		return m, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
	}
	return m, nil
}

// sampler records the largest VmRSS of a process while it runs.
type sampler struct {
	stop chan struct{}
	done chan struct{}
	peak int64
}

func sampleMemory(pid int, every time.Duration) *sampler {
	s := &sampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if m, err := readMemory(pid); err == nil {
				s.peak = max(s.peak, m.rss)
			}
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// end stops sampling and returns the peak.
func (s *sampler) end() int64 {
	close(s.stop)
	<-s.done
	return s.peak
}

// dbSize is the size of the database file and of its WAL.
func dbSize(data string) (db, wal int64) {
	if fi, err := os.Stat(filepath.Join(data, "overdue.db")); err == nil {
		db = fi.Size()
	}
	if fi, err := os.Stat(filepath.Join(data, "overdue.db-wal")); err == nil {
		wal = fi.Size()
	}
	return db, wal
}

// scaleRow is the wrk runs of one server in one configuration.
type scaleRow struct {
	server, pinged string
	conns          int
	runs           []wrkRun
	loads          []string
	peakRSS        int64
}

// timing is repeated measurements of one thing.
type timing []time.Duration

func (t timing) median() time.Duration {
	s := slices.Clone(t)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

func (t timing) spread() string {
	if len(t) < 2 {
		return "—"
	}
	return ms(slices.Min(t)) + "–" + ms(slices.Max(t))
}

// cmdScale is `loadgen scale --overdue BIN [--projects 100] [--checks-per-project 1000]
// [--pings 100] [--duration 5s] [--repeat 3] [--conns 16]`: issue 18's scale measurement. It
// builds a data directory of 100,000 checks with 100 kept pings each (scalegen.go), times one
// sweep with 1% of the checks due in process, then starts `overdue serve` on it, next to a
// serve on an empty data directory, and measures both: start time, resident memory idle and
// under wrk's load, the API's list of a project's checks and of a check's pings and the
// dashboard's checks and details pages (on the large one), and ping
// throughput and latency with wrk, one busy check and round robin over every check. It prints
// markdown for BENCHMARKS.md.
func cmdScale(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("scale", flag.ContinueOnError)
	bin := fs.String("overdue", "bin/overdue", "the overdue binary")
	wrkBin := fs.String("wrk", "wrk", "the wrk binary")
	projects := fs.Int("projects", 100, "projects")
	perProject := fs.Int("checks-per-project", 1000, "checks in each project")
	pings := fs.Int("pings", store.DefaultPingLimit, "kept pings per check (serve keeps 100)")
	duration := fs.Duration("duration", 5*time.Second, "time per wrk run (at most 1m)")
	repeat := fs.Int("repeat", 3, "wrk runs of each server in each configuration (at most 10)")
	conns := fs.Int("conns", 16, "wrk's connections")
	sweeps := fs.Int("sweeps", 5, "measured sweeps of each kind")
	interval := fs.Duration("interval", 2*time.Second, "the sweep interval of overdue serve (as it runs by default)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case *projects < 1 || *perProject < 1 || *projects**perProject > 1_000_000:
		return fmt.Errorf("scale: --projects %d, --checks-per-project %d: want 1 to 1,000,000 checks", *projects, *perProject)
	case *pings < 1 || *pings > store.DefaultPingLimit:
		return fmt.Errorf("scale: --pings %d: want 1 to %d (what serve keeps)", *pings, store.DefaultPingLimit)
	case *duration <= 0 || *duration > maxDuration:
		return fmt.Errorf("scale: --duration %s: want at most %s", *duration, maxDuration)
	case *repeat < 1 || *repeat > 10 || *sweeps < 1 || *sweeps > 100:
		return fmt.Errorf("scale: --repeat %d, --sweeps %d: want 1 to 10 runs and 1 to 100 sweeps", *repeat, *sweeps)
	case *conns < 1 || *conns > maxConns:
		return fmt.Errorf("scale: --conns %d: want 1 to %d", *conns, maxConns)
	}
	wrkPath, err := exec.LookPath(*wrkBin)
	if err != nil {
		return fmt.Errorf("scale: %w (apt-get install wrk)", err)
	}
	dir, err := os.MkdirTemp("", "loadgen-scale-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	data, empty := filepath.Join(dir, "scale"), filepath.Join(dir, "empty")

	// serve makes its data directory (the database, its secret, the Default project, the
	// canary) on a first start; the data set is then added to it.
	first, err := startServe(*bin, data, *interval)
	if err != nil {
		return err
	}
	firstStartup := first.startup
	first.stop()

	spec := scaleSpec{projects: *projects, checksPerProject: *perProject, pings: *pings, now: time.Now().UTC().Truncate(time.Second)}
	begin := time.Now()
	d, err := generate(ctx, filepath.Join(data, "overdue.db"), spec)
	if err != nil {
		return err
	}
	buildTime := time.Since(begin)
	builtDB, builtWAL := dbSize(data)

	dueSweeps, idleSweeps, err := measureSweeps(ctx, filepath.Join(data, "overdue.db"), d, spec, *sweeps)
	if err != nil {
		return err
	}

	big, err := startServe(*bin, data, *interval)
	if err != nil {
		return err
	}
	defer big.stop()
	small, err := startServe(*bin, empty, *interval)
	if err != nil {
		return err
	}
	defer small.stop()
	smallChecks, err := createChecks(ctx, small, 16)
	if err != nil {
		return err
	}

	// Idle: two rounds of the sweep loop after the start.
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(2 * *interval):
	}
	bigIdle, err := readMemory(big.cmd.Process.Pid)
	if err != nil {
		return err
	}
	smallIdle, err := readMemory(small.cmd.Process.Pid)
	if err != nil {
		return err
	}

	// The API and the dashboard: a project's checks, and one check's pings.
	viewed := d.projects[d.viewProject]
	someCheck := d.ids[d.viewProject**perProject+*perProject/2]
	var apiRows []apiRow
	for _, q := range []struct{ what, path string }{
		{fmt.Sprintf("API: GET /api/v3/checks/ (a project of %s checks)", thousands(float64(*perProject))), "/api/v3/checks/"},
		{fmt.Sprintf("API: GET /api/v3/checks/<uuid>/pings/ (%d pings)", *pings), "/api/v3/checks/" + someCheck + "/pings/"},
		{fmt.Sprintf("dashboard: the checks page (%s checks)", thousands(float64(*perProject))), "/projects/" + viewed.id + "/checks/"},
		{"dashboard: a check's details page", "/checks/" + someCheck + "/details/"},
	} {
		r, err := timeAPI(ctx, big.base+q.path, viewed.apiKey, d.session, 7)
		if err != nil {
			return err
		}
		r.what = q.what
		apiRows = append(apiRows, r)
	}

	// Ping load with wrk: the big server and the empty one side by side, one run each in turn.
	writePaths := func(name string, ids []string) (string, error) {
		var b strings.Builder
		for _, id := range ids {
			b.WriteString("/ping/" + id + "\n")
		}
		paths := filepath.Join(dir, name+".paths")
		if err := os.WriteFile(paths, []byte(b.String()), 0o644); err != nil {
			return "", err
		}
		script := filepath.Join(dir, name+".lua")
		return script, os.WriteFile(script, fmt.Appendf(nil, scaleScript, pingBody, paths), 0o644)
	}
	type config struct {
		srv    *served
		server string
		pinged string
		script string
	}
	var configs []config
	for _, c := range []struct {
		srv            *served
		server, pinged string
		ids            []string
	}{
		{small, "empty data directory", "1 check", smallChecks[:1]},
		{big, fmt.Sprintf("%s checks, %s pings", thousands(float64(len(d.ids))), thousands(float64(d.pingRows))), "1 check", d.ids[len(d.ids)/3 : len(d.ids)/3+1]},
		{small, "empty data directory", "16 checks, round robin", smallChecks},
		{big, fmt.Sprintf("%s checks, %s pings", thousands(float64(len(d.ids))), thousands(float64(d.pingRows))), fmt.Sprintf("all %s checks, round robin", thousands(float64(len(d.ids)))), d.ids},
	} {
		script, err := writePaths(fmt.Sprintf("cfg%d", len(configs)), c.ids)
		if err != nil {
			return err
		}
		configs = append(configs, config{c.srv, c.server, c.pinged, script})
	}
	runWrk := func(cfg config, d time.Duration) (wrkRun, error) {
		cmd := exec.CommandContext(ctx, wrkPath, "-t1", "-c"+strconv.Itoa(*conns), "-d"+d.String(),
			"--timeout", "5s", "-s", cfg.script, cfg.srv.base)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return wrkRun{}, fmt.Errorf("wrk: %w\n%s", err, out)
		}
		return parseWrk(out)
	}
	rows := make([]scaleRow, len(configs))
	for i, cfg := range configs {
		rows[i] = scaleRow{server: cfg.server, pinged: cfg.pinged, conns: *conns}
		if _, err := runWrk(cfg, time.Second); err != nil { // unmeasured, so that none is cold
			return err
		}
	}
	for range *repeat {
		for i, cfg := range configs {
			s := sampleMemory(cfg.srv.cmd.Process.Pid, 50*time.Millisecond)
			res, err := runWrk(cfg, *duration)
			peak := s.end()
			if err != nil {
				return err
			}
			rows[i].runs = append(rows[i].runs, res)
			rows[i].loads = append(rows[i].loads, loadAverage())
			rows[i].peakRSS = max(rows[i].peakRSS, peak)
		}
	}
	bigAfter, err := readMemory(big.cmd.Process.Pid)
	if err != nil {
		return err
	}
	smallAfter, err := readMemory(small.cmd.Process.Pid)
	if err != nil {
		return err
	}
	afterDB, afterWAL := dbSize(data)
	emptyDB, emptyWAL := dbSize(empty)
	var bigPeak, smallPeak int64
	for i, r := range rows {
		if configs[i].srv == big {
			bigPeak = max(bigPeak, r.peakRSS)
		} else {
			smallPeak = max(smallPeak, r.peakRSS)
		}
	}

	writeScale(stdout, scaleReport{
		spec: spec, data: d, buildTime: buildTime, builtDB: builtDB, builtWAL: builtWAL,
		dueSweeps: dueSweeps, idleSweeps: idleSweeps, firstStartup: firstStartup,
		bigStartup: big.startup, smallStartup: small.startup,
		bigIdle: bigIdle, smallIdle: smallIdle, bigAfter: bigAfter, smallAfter: smallAfter,
		bigPeak: bigPeak, smallPeak: smallPeak, afterDB: afterDB, afterWAL: afterWAL,
		emptyDB: emptyDB, emptyWAL: emptyWAL, api: apiRows, rows: rows,
	})
	return nil
}

// createChecks creates n checks in the Default project of a serve started on an empty data
// directory, through its API, with the key it printed on its first start.
func createChecks(ctx context.Context, s *served, n int) ([]string, error) {
	key, err := s.stdout.waitFor(apiKeyRe, startTimeout)
	if err != nil {
		return nil, s.failure(err)
	}
	o := &overdue{child: s.child, base: s.base, apiKey: key[1]}
	var ids []string
	for i := range n {
		id, err := o.createCheck(ctx, fmt.Sprintf("scale-%d", i), 24*time.Hour, time.Hour)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// apiRow is the times of one API request, repeated.
type apiRow struct {
	what  string
	times timing
	bytes int
}

// timeAPI GETs url n times with the API key and the session cookie, after one unmeasured
// request, and times each to the last byte of the answer.
func timeAPI(ctx context.Context, url, key, session string, n int) (apiRow, error) {
	var r apiRow
	for i := range n + 1 {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return r, err
		}
		req.Header.Set("X-Api-Key", key)
		req.AddCookie(&http.Cookie{Name: "overdue_session", Value: session})
		begin := time.Now()
		resp, err := localClient.Do(req)
		if err != nil {
			return r, err
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		took := time.Since(begin)
		if err != nil {
			return r, err
		}
		if resp.StatusCode != http.StatusOK || resp.Request.URL.String() != url {
			return r, fmt.Errorf("GET %s: status %d from %s: %.300s", url, resp.StatusCode, resp.Request.URL, b)
		}
		if i > 0 {
			r.times = append(r.times, took)
		}
		r.bytes = len(b)
	}
	return r, nil
}

// measureSweeps times sweeps in process on the data set, as serve's loop runs them (its store,
// sweep.Sweeper), with the clock pinned: n sweeps at d.sweepAt, where the due checks (1%) go
// down, each followed, off the clock, by putting those checks back as they were and marking
// their flips processed (so that serve, started next, has no alerts to send); and n sweeps
// at the time of generation, when nothing is due: what serve does every interval.
func measureSweeps(ctx context.Context, path string, d *scaleData, spec scaleSpec, n int) (due, idle timing, err error) {
	st, err := sqlite.Open(path, store.Options{PingLimit: spec.pings})
	if err != nil {
		return nil, nil, err
	}
	defer st.Close()
	saved := make(map[string]*check.Check, len(d.due))
	for _, id := range d.due {
		c, err := st.Check(ctx, id)
		if err != nil {
			return nil, nil, err
		}
		saved[id] = c
	}
	for range n {
		sw := &sweep.Sweeper{Store: st, Now: func() time.Time { return d.sweepAt }}
		begin := time.Now()
		res, err := sw.Run(ctx)
		took := time.Since(begin)
		if err != nil {
			return nil, nil, err
		}
		if res.Flipped != len(d.due) {
			return nil, nil, fmt.Errorf("sweep flipped %d checks, want %d", res.Flipped, len(d.due))
		}
		due = append(due, took)
		for id, c := range saved {
			_, err := st.UpdateCheck(ctx, id, func(cur *check.Check) (store.Change, error) {
				*cur = *c
				cur.Runs = slices.Clone(c.Runs)
				return store.Change{}, nil
			})
			if err != nil {
				return nil, nil, fmt.Errorf("put check %s back: %w", id, err)
			}
		}
		for {
			flips, err := st.UnprocessedFlips(ctx, 500)
			if err != nil {
				return nil, nil, err
			}
			if len(flips) == 0 {
				break
			}
			for _, f := range flips {
				if _, err := st.MarkFlipProcessed(ctx, f, f.Created); err != nil {
					return nil, nil, err
				}
			}
		}
	}
	for range n {
		sw := &sweep.Sweeper{Store: st, Now: func() time.Time { return spec.now }}
		begin := time.Now()
		res, err := sw.Run(ctx)
		took := time.Since(begin)
		if err != nil {
			return nil, nil, err
		}
		if res.Flipped != 0 {
			return nil, nil, fmt.Errorf("sweep at the time of generation flipped %d checks, want none", res.Flipped)
		}
		idle = append(idle, took)
	}
	return due, idle, nil
}

// scaleReport is everything cmdScale measured.
type scaleReport struct {
	spec                                     scaleSpec
	data                                     *scaleData
	buildTime                                time.Duration
	builtDB, builtWAL                        int64
	dueSweeps, idleSweeps                    timing
	firstStartup, bigStartup, smallStartup   time.Duration
	bigIdle, smallIdle, bigAfter, smallAfter memory
	bigPeak, smallPeak                       int64
	afterDB, afterWAL, emptyDB, emptyWAL     int64
	api                                      []apiRow
	rows                                     []scaleRow
}

// size formats bytes in MiB, or GiB from 10 GiB up.
func size(n int64) string {
	v := float64(n) / (1 << 20)
	switch {
	case v >= 10*1024:
		return fmt.Sprintf("%.1f GiB", v/1024)
	case v >= 100:
		return fmt.Sprintf("%s MiB", thousands(v))
	default:
		return fmt.Sprintf("%.1f MiB", v)
	}
}

// secs formats a duration in seconds with one decimal.
func secs(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }

func writeScale(w io.Writer, r scaleReport) {
	d := r.data
	n := len(d.ids)
	fmt.Fprintln(w, "The data set:")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| projects | checks | due at the measured sweep | kept pings per check | ping rows | database | WAL | built in | checks (CreateCheck) | pings (copy) | read back |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	fmt.Fprintf(w, "| %s | %s | %s | %d | %s | %s | %s | %s | %s | %s | %s |\n",
		thousands(float64(len(d.projects))), thousands(float64(n)), thousands(float64(len(d.due))), r.spec.pings,
		thousands(float64(d.pingRows)), size(r.builtDB), size(r.builtWAL), secs(r.buildTime),
		secs(d.checksTime), secs(d.pingsTime), secs(d.verifyTime))
	fmt.Fprintln(w)
	fmt.Fprintf(w, "The sweep, in process on that database (%d sweeps each; median, range):\n\n", len(r.dueSweeps))
	fmt.Fprintln(w, "| checks | due | time per sweep | range | per due check |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|")
	fmt.Fprintf(w, "| %s | %s (1%%) | %s | %s | %.0f µs |\n", thousands(float64(n)), thousands(float64(len(d.due))),
		ms(r.dueSweeps.median()), r.dueSweeps.spread(), float64(r.dueSweeps.median().Microseconds())/float64(max(1, len(d.due))))
	fmt.Fprintf(w, "| %s | 0 (serve's sweep every interval) | %s | %s | — |\n", thousands(float64(n)),
		ms(r.idleSweeps.median()), r.idleSweeps.spread())
	fmt.Fprintln(w)
	fmt.Fprintln(w, "`overdue serve` on it, and on an empty data directory in the same run:")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "| | %s checks, %s pings | empty data directory |\n", thousands(float64(n)), thousands(float64(d.pingRows)))
	fmt.Fprintln(w, "|---|---:|---:|")
	fmt.Fprintf(w, "| start (exec to listening) | %s | %s (first start: %s) |\n", ms(r.bigStartup), ms(r.smallStartup), ms(r.firstStartup))
	fmt.Fprintf(w, "| resident memory, idle (VmRSS) | %s | %s |\n", size(r.bigIdle.rss), size(r.smallIdle.rss))
	fmt.Fprintf(w, "| resident memory under wrk's load, highest sample (VmRSS every 50 ms) | %s | %s |\n", size(r.bigPeak), size(r.smallPeak))
	fmt.Fprintf(w, "| resident memory after the load (VmRSS) | %s | %s |\n", size(r.bigAfter.rss), size(r.smallAfter.rss))
	fmt.Fprintf(w, "| peak resident memory (VmHWM) | %s | %s |\n", size(r.bigAfter.hwm), size(r.smallAfter.hwm))
	fmt.Fprintf(w, "| database after the load | %s | %s |\n", size(r.afterDB), size(r.emptyDB))
	fmt.Fprintf(w, "| WAL after the load | %s | %s |\n", size(r.afterWAL), size(r.emptyWAL))
	fmt.Fprintln(w)
	fmt.Fprintf(w, "The API and the dashboard on the large data set (%d requests each, after one unmeasured; to the last byte):\n\n", len(r.api[0].times))
	fmt.Fprintln(w, "| request | median | range | answer |")
	fmt.Fprintln(w, "|---|---:|---:|---:|")
	for _, a := range r.api {
		fmt.Fprintf(w, "| %s | %s | %s | %s bytes |\n", a.what, ms(a.times.median()), a.times.spread(), thousands(float64(a.bytes)))
	}
	fmt.Fprintln(w)
	runs := len(r.rows[0].runs)
	fmt.Fprintf(w, "Pings, measured by wrk (%d connections; the two servers in turn, %d runs each):\n\n", r.rows[0].conns, runs)
	fmt.Fprintf(w, "| server | pings to | requests/s, median of %d | range | p50 | p99 | p99 range | max | requests | errors | load avg (1 min) |\n", runs)
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	msF := func(v float64) string { return ms(time.Duration(v)) }
	for _, row := range r.rows {
		wr := wrkRow{runs: row.runs}
		var reqs, errs int
		var worst time.Duration
		for _, run := range row.runs {
			reqs += run.requests
			errs += run.errors + run.non2xx
			worst = max(worst, run.max)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %d | %s |\n", row.server, row.pinged,
			thousands(wr.rps()), wr.spread(wrkRun.rps, thousands), ms(wr.p50()), ms(wr.p99()),
			wr.spread(func(x wrkRun) float64 { return float64(x.p99) }, msF), ms(worst),
			thousands(float64(reqs)), errs, strings.Join(row.loads, ", "))
	}
}
