package sweep

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/overduehq/overdue/internal/store"
)

// DefaultIngestFlush is how long an IngestCounter keeps counts before it adds them to its log,
// when IngestCounter.Every is unset.
const DefaultIngestFlush = 5 * time.Second

// IngestCounter counts ping requests for the ingestion health: each process that takes pings
// (the api function on AWS, `overdue serve`) counts every ping request it answers, and whether
// it answered it with a server error (it could not record the ping). It adds the counts to Log
// in batches, at most every Every and at once for a failure (at most once a second), so that the
// cost follows the number of instances, not of pings. A batch that cannot be written is kept
// and written with the next one, for up to an hour.
type IngestCounter struct {
	// Log receives the counts.
	Log store.IngestLog
	// Now is the clock.
	Now func() time.Time
	// Every is the longest a count waits before it is written (default DefaultIngestFlush); a
	// negative value writes each count at once.
	Every time.Duration
	// Logger receives the failures to write counts.
	Logger *slog.Logger

	mu      sync.Mutex
	pending map[time.Time]store.IngestMinute
	last    time.Time // when counts were last written
}

// ingestKeep bounds the minutes an IngestCounter keeps while its log refuses them.
const ingestKeep = time.Hour

// CountPing counts one ping request answered at the counter's clock; failed: with a server
// error. It writes the counts when they are due, on the caller's time: a Lambda instance is
// frozen between invocations, so nothing can be written in the background.
func (c *IngestCounter) CountPing(ctx context.Context, failed bool) {
	now := c.Now().UTC()
	minute := now.Truncate(time.Minute)
	c.mu.Lock()
	if c.pending == nil {
		c.pending = make(map[time.Time]store.IngestMinute)
	}
	m := c.pending[minute]
	m.Minute = minute
	if failed {
		m.Failed++
	} else {
		m.Pings++
	}
	c.pending[minute] = m
	every := c.Every
	if every == 0 {
		every = DefaultIngestFlush
	}
	since := now.Sub(c.last)
	if since < every && !(failed && since >= time.Second) && len(c.pending) == 1 {
		c.mu.Unlock()
		return
	}
	// The batch is copied out and the map kept: with Every negative (overdue serve) this runs for
	// every ping, and a new map each time was two allocations a ping.
	var buf [4]store.IngestMinute
	batch := buf[:0]
	for _, m := range c.pending {
		batch = append(batch, m)
	}
	clear(c.pending)
	c.last = now
	c.mu.Unlock()

	var kept []store.IngestMinute
	for _, m := range batch {
		if err := c.Log.AddIngest(ctx, m); err != nil {
			if now.Sub(m.Minute) < ingestKeep {
				kept = append(kept, m)
			}
			if c.Logger != nil {
				c.Logger.WarnContext(ctx, "ping intake counts not written", "minute", m.Minute, "error", err.Error())
			}
		}
	}
	if len(kept) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pending == nil {
		c.pending = make(map[time.Time]store.IngestMinute)
	}
	for _, m := range kept {
		p := c.pending[m.Minute]
		p.Minute, p.Pings, p.Failed = m.Minute, p.Pings+m.Pings, p.Failed+m.Failed
		c.pending[m.Minute] = p
	}
}

// MemoryIngestLog is an IngestLog in memory: `overdue serve` is one process, which both takes
// the pings and sweeps. It keeps store.IngestRetention of minutes.
type MemoryIngestLog struct {
	mu      sync.Mutex
	minutes map[int64]store.IngestMinute // by the minute's Unix time
}

var _ store.IngestLog = (*MemoryIngestLog)(nil)

// AddIngest implements store.IngestLog.
func (l *MemoryIngestLog) AddIngest(_ context.Context, m store.IngestMinute) error {
	minute := m.Minute.UTC().Truncate(time.Minute)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.minutes == nil {
		l.minutes = make(map[int64]store.IngestMinute)
	}
	p, known := l.minutes[minute.Unix()]
	p.Minute, p.Pings, p.Failed = minute, p.Pings+m.Pings, p.Failed+m.Failed
	l.minutes[minute.Unix()] = p
	// Minutes past the retention go when a minute comes in that was not kept yet: a known one's
	// retention was applied when it came, and every ping of overdue serve adds to a known one
	// (going through the 26 hours of minutes each time took tens of µs a ping, under the lock).
	if !known {
		for k := range l.minutes {
			if minute.Sub(time.Unix(k, 0)) > store.IngestRetention {
				delete(l.minutes, k)
			}
		}
	}
	return nil
}

// IngestMinutes implements store.IngestLog.
func (l *MemoryIngestLog) IngestMinutes(_ context.Context, from, to time.Time) ([]store.IngestMinute, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []store.IngestMinute
	for _, m := range l.minutes {
		if !m.Minute.Before(from) && m.Minute.Before(to) {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b store.IngestMinute) int { return a.Minute.Compare(b.Minute) })
	return out, nil
}

// How ping intake's counts are judged (Ingestion.Log). A minute is an outage when:
//
//   - at least intakeFailedMin ping requests, and at least intakeFailedPercent of them, were
//     answered with a server error: the store refused or failed their writes. Counted at once
//     (a failure is written within a second), so this verdict reaches the current minute, and
//     the outage lasts into a new minute until that has taken intakeFailedMin requests;
//   - or its ping rate (requests of the intakeWindow minutes ending with it) is below half the
//     usual: the least of the same window one, two and three hours before and a day before (the
//     cron schedules most jobs keep repeat hourly and daily; the least of four keeps a batch of
//     jobs that ended an hour ago from looking like lost pings), when that is at least
//     intakeRateMin. Pings lost before they reach Overdue (the API throttled, DNS, a region's
//     network) show only here. A minute is judged intakeSettle after its end, when the
//     counters of every instance have written it.
const (
	intakeFailedMin     = 5
	intakeFailedPercent = 10
	intakeWindow        = 2
	intakeRateMin       = 20
	intakeSettle        = 20 * time.Second
	// intakeSpan is how far back minutes are judged: the ping windows the sweep decides on.
	intakeSpan = time.Hour
)

// intakeRefs are how far back the usual ping rate is read.
var intakeRefs = []time.Duration{time.Hour, 2 * time.Hour, 3 * time.Hour, 24 * time.Hour}

// The causes of an outage, as Outage.Cause names them.
const (
	CauseCanary = "canary"
	CauseFailed = "failed pings"
	CauseRate   = "ping rate"
)

// intakeOutages reads the counts the verdicts on the minutes of the last intakeSpan need (two
// queries: the last four hours, and the same hour a day before) and returns the outages they
// show, oldest first.
func (in *Ingestion) intakeOutages(ctx context.Context, now time.Time) ([]Outage, error) {
	end := now.UTC().Truncate(time.Minute).Add(time.Minute)
	back := intakeSpan + intakeWindow*time.Minute
	counts := make(map[int64]store.IngestMinute)
	for _, r := range [][2]time.Time{
		{end.Add(-back - 3*time.Hour), end},
		{end.Add(-back - 24*time.Hour), end.Add(-24 * time.Hour)},
	} {
		ms, err := in.Log.IngestMinutes(ctx, r[0], r[1])
		if err != nil {
			return nil, fmt.Errorf("read ping intake counts: %w", err)
		}
		for _, m := range ms {
			counts[m.Minute.Unix()] = m
		}
	}
	return judgeIntake(counts, now), nil
}

// judgeIntake returns the outages the counts show over the last intakeSpan, oldest first.
func judgeIntake(counts map[int64]store.IngestMinute, now time.Time) []Outage {
	cur := now.UTC().Truncate(time.Minute)
	settled := now.UTC().Add(-time.Minute - intakeSettle).Truncate(time.Minute) // the newest minute judged by its rate
	arrivals := func(m time.Time) int { c := counts[m.Unix()]; return c.Pings + c.Failed }
	window := func(m time.Time) int {
		n := 0
		for i := range intakeWindow {
			n += arrivals(m.Add(-time.Duration(i) * time.Minute))
		}
		return n
	}
	var out []Outage
	for m := cur.Add(-intakeSpan); !m.After(cur); m = m.Add(time.Minute) {
		if failing(counts[m.Unix()]) {
			o := Outage{Start: m, End: m.Add(time.Minute), Cause: CauseFailed}
			// It lasts while the current minute has not shown otherwise: until it has taken
			// intakeFailedMin requests, few enough of them failed, a minute only begun says
			// nothing.
			if next := counts[m.Add(time.Minute).Unix()]; m.Equal(cur) || m.Add(time.Minute).Equal(cur) && !healthy(next) {
				o.End = time.Time{}
			}
			out = append(out, o)
		}
		if m.After(settled) {
			continue
		}
		usual := -1
		for _, back := range intakeRefs {
			if w := window(m.Add(-back)); usual < 0 || w < usual {
				usual = w
			}
		}
		if usual >= intakeRateMin && 2*window(m) < usual {
			o := Outage{Start: m.Add(-(intakeWindow - 1) * time.Minute), End: m.Add(time.Minute), Cause: CauseRate}
			if m.Equal(settled) {
				o.End = time.Time{} // the minutes after it are not judged yet
			}
			out = append(out, o)
		}
	}
	return out
}

// failing reports whether a minute's ping requests failed enough to be an outage.
func failing(c store.IngestMinute) bool {
	return c.Failed >= intakeFailedMin && c.Failed*100 >= intakeFailedPercent*(c.Pings+c.Failed)
}

// healthy reports whether a minute's ping requests show intake working: enough of them, and too
// few failed to be an outage.
func healthy(c store.IngestMinute) bool {
	n := c.Pings + c.Failed
	return n >= intakeFailedMin && c.Failed*100 < intakeFailedPercent*n
}

// merge joins outages that overlap or touch into one, naming every cause, and returns them
// newest first. An ongoing one absorbs every later one.
func merge(outages []Outage) []Outage {
	if len(outages) == 0 {
		return nil
	}
	sorted := slices.Clone(outages)
	slices.SortFunc(sorted, func(a, b Outage) int { return a.Start.Compare(b.Start) })
	var out []Outage
	for _, o := range sorted {
		if n := len(out); n > 0 && (out[n-1].Ongoing() || !o.Start.After(out[n-1].End)) {
			last := &out[n-1]
			switch {
			case last.Ongoing():
			case o.Ongoing():
				last.End = time.Time{}
			case o.End.After(last.End):
				last.End = o.End
			}
			if !slices.Contains(strings.Split(last.Cause, ", "), o.Cause) {
				last.Cause += ", " + o.Cause
			}
			continue
		}
		out = append(out, o)
	}
	slices.Reverse(out)
	return out
}
