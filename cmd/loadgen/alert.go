package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// alertGrace is the grace time of the measured checks: the smallest the API accepts. A /start
// ping makes a check due at the start plus its grace, whatever its timeout.
const alertGrace = time.Minute

// alertSample is one check's way from due to alerted, on loadgen's clock.
type alertSample struct {
	due     time.Time // the start ping (midway through its request) plus the grace time
	flipped time.Time // serve logged "check went down": the sweep wrote the flip
	alerted time.Time // serve printed "DOWN | <name>": the console notifier was called
}

var (
	downRe = regexp.MustCompile(`^DOWN \| (alert-\d+)$`)
	wentRe = regexp.MustCompile(`msg="check went down" check=([0-9a-f-]{36})`)
)

// cmdAlert is `loadgen alert --overdue BIN [--intervals 2s,500ms] [--checks 12]`: for each
// sweep interval it starts `overdue serve --interval I`, creates checks with a one-minute grace
// time through the API, sends each a /start ping (a run that never finishes), staggered so that
// their due moments fall at every phase of the sweep loop, and times when serve wrote each flip
// (its log line) and printed each alert (its console notifier), against the moment the check
// was due. The intervals run side by side, each in its own process; they are idle but for
// these few checks.
func cmdAlert(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("alert", flag.ContinueOnError)
	bin := fs.String("overdue", "bin/overdue", "the overdue binary")
	intervalsFlag := fs.String("intervals", "2s,500ms", "sweep intervals of overdue serve, comma-separated")
	n := fs.Int("checks", 12, "checks per interval (at most 100)")
	stagger := fs.Duration("stagger", 173*time.Millisecond, "time between two start pings")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n < 1 || *n > 100 || *stagger < 0 || *stagger > 10*time.Second {
		return fmt.Errorf("alert: --checks %d, --stagger %s: want 1 to 100 checks, at most 10s apart", *n, *stagger)
	}
	var intervals []time.Duration
	for _, f := range strings.Split(*intervalsFlag, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(f))
		if err != nil || d < 100*time.Millisecond || d > time.Minute {
			return fmt.Errorf("alert: --intervals: %q: want durations from 100ms to 1m", f)
		}
		intervals = append(intervals, d)
	}
	dir, err := os.MkdirTemp("", "loadgen-alert-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	samples := make([][]alertSample, len(intervals))
	errs := make([]error, len(intervals))
	var wg sync.WaitGroup
	for i, iv := range intervals {
		wg.Go(func() { samples[i], errs[i] = measureAlerts(ctx, *bin, dir, iv, *n, *stagger) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}

	fmt.Fprintln(stdout, "| `--interval` | alerts | due → flip written, p50 / max | flip → alert, p50 / max | alerts that waited a further interval | due → alert: min | p50 | mean | max |")
	fmt.Fprintln(stdout, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for i, iv := range intervals {
		var toFlip, toAlert, total []time.Duration
		waited := 0
		for _, s := range samples[i] {
			toFlip = append(toFlip, s.flipped.Sub(s.due))
			toAlert = append(toAlert, s.alerted.Sub(s.flipped))
			total = append(total, s.alerted.Sub(s.due))
			// Without the wait, flip → alert is the notifier's own work: a few milliseconds.
			if s.alerted.Sub(s.flipped) > iv/2 {
				waited++
			}
		}
		fmt.Fprintf(stdout, "| %s | %d | %s / %s | %s / %s | %d of %d | %s | %s | %s | %s |\n", iv, len(total),
			ms(median(toFlip)), ms(slices.Max(toFlip)), ms(median(toAlert)), ms(slices.Max(toAlert)), waited, len(total),
			ms(slices.Min(total)), ms(median(total)), ms(mean(total)), ms(slices.Max(total)))
	}
	return nil
}

// measureAlerts runs one `overdue serve` with the given sweep interval and times n alerts.
func measureAlerts(ctx context.Context, bin, dir string, interval time.Duration, n int, stagger time.Duration) ([]alertSample, error) {
	srv, err := startOverdue(bin, dir, interval)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	names := make(map[string]int) // check name → index
	ids := make(map[string]int)   // check ID → index
	var uuids []string
	for i := range n {
		name := fmt.Sprintf("alert-%02d", i)
		id, err := srv.createCheck(ctx, name, 24*time.Hour, alertGrace)
		if err != nil {
			return nil, err
		}
		names[name], ids[id] = i, i
		uuids = append(uuids, id)
	}

	samples := make([]alertSample, n)
	for i, id := range uuids {
		if i > 0 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(stagger):
			}
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.base+"/ping/"+id+"/start", nil)
		if err != nil {
			return nil, err
		}
		sent := time.Now()
		resp, err := localClient.Do(req)
		if err != nil {
			return nil, fmt.Errorf("start ping: %w", err)
		}
		answered := time.Now()
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("start ping: status %d", resp.StatusCode)
		}
		samples[i].due = sent.Add(answered.Sub(sent) / 2).Add(alertGrace)
	}

	deadline := samples[n-1].due.Add(2*interval + 30*time.Second)
	if err := collect(srv.stdout, downRe, names, deadline, func(i int, at time.Time) { samples[i].alerted = at }); err != nil {
		return nil, srv.failure(fmt.Errorf("interval %s: %w", interval, err))
	}
	// Each flip is logged before its alert is printed, so its line is there by now.
	if err := collect(srv.stderr, wentRe, ids, time.Now().Add(5*time.Second), func(i int, at time.Time) { samples[i].flipped = at }); err != nil {
		return nil, srv.failure(fmt.Errorf("interval %s: %w", interval, err))
	}
	return samples, nil
}

// collect reads s from the start until a line matching re has named every key of want
// (re's first group), calling got with the key's index and the line's time for the first of
// each.
func collect(s *stream, re *regexp.Regexp, want map[string]int, deadline time.Time, got func(int, time.Time)) error {
	seen := make(map[string]bool)
	for i := 0; len(seen) < len(want); i++ {
		l, err := s.next(i, deadline)
		if err != nil {
			return fmt.Errorf("%d of %d lines matching %s: %w", len(seen), len(want), re, err)
		}
		m := re.FindStringSubmatch(l.text)
		if m == nil || seen[m[1]] {
			continue
		}
		if idx, ok := want[m[1]]; ok {
			seen[m[1]] = true
			got(idx, l.at)
		}
	}
	return nil
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func mean(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return sum / time.Duration(len(ds))
}
