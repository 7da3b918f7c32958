package main

import (
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// nextPath is what the Lambda runtime client (aws-lambda-go) polls for its next invocation
// once main has handed it the handler: configuration read, clients built.
const nextPath = "/2018-06-01/runtime/invocation/next"

// coldRow is one function's line in the footprint table.
type coldRow struct {
	name     string
	size     int64 // linux/arm64 bootstrap, bytes; 0 when missing
	deflated int64 // the same, deflated as a zip archive would be
	missing  string
	ready    []time.Duration
	peakRSS  []int64 // kB, VmHWM when the runtime API was polled
	failed   string
}

// cmdColdStart is `loadgen coldstart --arm64 DIR --host DIR [--runs 10] FUNCTION...`. For each
// function it reports the size of DIR/<fn>/bootstrap under --arm64 (what `make build` ships;
// DIR/<fn>/error.txt says why one is missing), and starts the bootstrap under --host (the same
// code built for this machine) --runs times with a Lambda environment whose runtime API is a
// fake one on loopback: the time from exec to the first GET of the next invocation is the
// function's ready time. A first, unmeasured start warms the page cache. Every process is
// killed by its PID once it has polled.
func cmdColdStart(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("coldstart", flag.ContinueOnError)
	armDir := fs.String("arm64", "", "directory of <fn>/bootstrap built for Lambda (linux/arm64)")
	hostDir := fs.String("host", "", "directory of <fn>/bootstrap built for this machine")
	runs := fs.Int("runs", 10, "measured starts per function (at most 100)")
	timeout := fs.Duration("timeout", 15*time.Second, "how long one start may take")
	endpoint := fs.String("endpoint", os.Getenv("AWS_ENDPOINT_URL"), "AWS endpoint the functions get (moto); loopback only")
	table := fs.String("table", "overdue-bench-v1", "TABLE_NAME the functions get (on moto: created and migrated)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *armDir == "" || *hostDir == "" || fs.NArg() == 0 {
		return errors.New("coldstart: --arm64 DIR, --host DIR and at least one function are required")
	}
	if *runs < 1 || *runs > 100 || *timeout <= 0 || *timeout > time.Minute {
		return fmt.Errorf("coldstart: --runs %d, --timeout %s: want 1 to 100 runs of at most 1m", *runs, *timeout)
	}
	if *endpoint != "" {
		if err := loopbackURL(*endpoint); err != nil {
			return fmt.Errorf("coldstart: --endpoint: %w", err)
		}
	}
	home, err := os.MkdirTemp("", "loadgen-coldstart-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(home)

	var rows []coldRow
	for _, fn := range fs.Args() {
		row := coldRow{name: fn}
		bin := filepath.Join(*armDir, fn, "bootstrap")
		if st, err := os.Stat(bin); err != nil {
			row.missing = missingReason(filepath.Join(*armDir, fn))
		} else {
			row.size = st.Size()
			if row.deflated, err = deflatedSize(bin); err != nil {
				return err
			}
		}
		host := filepath.Join(*hostDir, fn, "bootstrap")
		if _, err := os.Stat(host); err != nil {
			if row.missing == "" {
				row.missing = missingReason(filepath.Join(*hostDir, fn))
			}
			rows = append(rows, row)
			continue
		}
		for i := range *runs + 1 {
			ready, rss, err := startOnce(ctx, fn, host, home, *endpoint, *table, *timeout)
			if err != nil {
				row.failed = err.Error()
				break
			}
			if i > 0 {
				row.ready = append(row.ready, ready)
				row.peakRSS = append(row.peakRSS, rss)
			}
		}
		rows = append(rows, row)
	}

	fmt.Fprintf(stdout, "| function | bootstrap, linux/arm64 | zipped (deflate) | ready: p50 of %d | min | max | peak RSS at ready |\n", *runs)
	fmt.Fprintln(stdout, "|---|---:|---:|---:|---:|---:|---:|")
	for _, r := range rows {
		switch {
		case r.missing != "":
			fmt.Fprintf(stdout, "| %s | not built: %s | — | — | — | — | — |\n", r.name, r.missing)
		case r.failed != "":
			fmt.Fprintf(stdout, "| %s | %s | %s | did not get ready: %s | — | — | — |\n", r.name, mib(r.size), mib(r.deflated), r.failed)
		default:
			fmt.Fprintf(stdout, "| %s | %s | %s | %s | %s | %s | %.1f MiB |\n", r.name, mib(r.size), mib(r.deflated),
				ms(median(r.ready)), ms(slices.Min(r.ready)), ms(slices.Max(r.ready)), float64(slices.Max(r.peakRSS))/1024)
		}
	}
	return nil
}

// missingReason says why dir has no bootstrap: the first line of dir/error.txt, which
// scripts/bench.sh writes when a build fails (the first compiler message, not the "# package"
// header go build prints before it), or "no bootstrap".
func missingReason(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "error.txt"))
	if err != nil || len(bytes.TrimSpace(b)) == 0 {
		return "no bootstrap"
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	reason := lines[0]
	for _, l := range lines {
		if !strings.HasPrefix(l, "# ") {
			reason = l
			break
		}
	}
	return strings.ReplaceAll(reason, "|", "\\|")
}

// startOnce starts one function against a fresh fake runtime API and returns the time from exec
// to its first poll, and its peak resident memory then (kB).
func startOnce(ctx context.Context, fn, bin, home, endpoint, table string, timeout time.Duration) (time.Duration, int64, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, 0, err
	}
	polled := make(chan time.Time, 1)
	rt := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == nextPath {
			select {
			case polled <- time.Now():
			default:
			}
			<-r.Context().Done() // no invocation: the process is killed while it waits
			return
		}
		http.NotFound(w, r)
	})}
	go func() { _ = rt.Serve(ln) }()
	defer rt.Close()

	addr := ln.Addr().String()
	if endpoint == "" {
		endpoint = "http://" + addr // nothing answers AWS calls there: functions that read the table at start fail
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home, // no ~/.aws of the user's
		"AWS_LAMBDA_RUNTIME_API=" + addr,
		"AWS_LAMBDA_FUNCTION_NAME=overdue-bench-" + fn,
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512",
		"AWS_REGION=us-east-1", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		"AWS_ENDPOINT_URL=" + endpoint,
		"AWS_EC2_METADATA_DISABLED=true", // never look for instance metadata off loopback
		"TABLE_NAME=" + table,
		"SITE_ROOT=http://127.0.0.1:8000",
		"EMAIL_FROM=alerts@example.org",
		"OVERDUE_SECRET_KEY=loadgen-bench-signing-secret",
		"LOG_LEVEL=error",
	}
	start := time.Now()
	c, err := startChild(fn, bin, nil, env)
	if err != nil {
		return 0, 0, err
	}
	defer c.kill()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case at := <-polled:
		return at.Sub(start), peakRSS(c.cmd.Process.Pid), nil
	case <-c.exited:
		msg := strings.TrimSpace(c.stderr.text())
		if msg == "" {
			msg = fmt.Sprint(c.err)
		}
		first, _, _ := strings.Cut(msg, "\n")
		return 0, 0, fmt.Errorf("exited before polling: %s", strings.ReplaceAll(first, "|", "\\|"))
	case <-t.C:
		return 0, 0, fmt.Errorf("no poll within %s", timeout)
	case <-ctx.Done():
		return 0, 0, ctx.Err()
	}
}

// peakRSS is VmHWM of the process in kB, 0 where /proc does not say.
func peakRSS(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

// deflatedSize is the file's size deflated at the default level, as zip stores it.
func deflatedSize(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var n countWriter
	w, err := flate.NewWriter(&n, flate.DefaultCompression)
	if err != nil {
		return 0, err
	}
	if _, err := io.Copy(w, f); err != nil {
		return 0, err
	}
	if err := w.Close(); err != nil {
		return 0, err
	}
	return int64(n), nil
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) {
	*c += countWriter(len(p))
	return len(p), nil
}

// mib formats a size in MiB.
func mib(n int64) string {
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
