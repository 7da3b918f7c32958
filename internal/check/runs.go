package check

import "time"

// KeptRuns is how many of its newest finished runs a check keeps (Check.Runs): what the checks
// page draws in a row's run strip.
const KeptRuns = 20

// Run is one finished run of a check: a success or a failure ping, and how long the run took.
type Run struct {
	N        int       // the ping's number
	At       time.Time // when it finished, to the millisecond
	Failed   bool
	Duration time.Duration // since its start ping, to the millisecond; 0: unknown (no start seen)
}

// RunsCurrent reports whether Runs lists every run up to the check's newest ping. It does not
// when a build that did not keep runs (before data model 13) recorded pings since: the stores
// rebuild Runs from the kept pings before they next change the check (RebuildRuns), and pages
// that meet such a check read its pings instead.
func (c *Check) RunsCurrent() bool { return c.RunsN == c.NPings }

// RebuildRuns sets Runs from pings, the check's kept pings in any order (ReplayRuns), and marks
// them current. A start ping older than the kept ones is not seen, so the oldest run may lose
// its duration; nothing else differs from what ApplyPing would have recorded.
func (c *Check) RebuildRuns(pings []*Ping) {
	c.Runs = ReplayRuns(pings, KeptRuns)
	c.RunsN = c.NPings
}

// ReplayRuns returns the newest limit runs among pings (any order), oldest first, with the
// durations ApplyPing measures: it replays the pings through the same start tracking, from no
// start. Use it where only pings are at hand; a check's own Runs are the same, kept as it goes.
func ReplayRuns(pings []*Ping, limit int) []Run {
	sorted := make([]*Ping, len(pings))
	copy(sorted, pings)
	for i := 1; i < len(sorted); i++ { // insertion sort by N: lists come newest first or sorted
		for j := i; j > 0 && sorted[j].N < sorted[j-1].N; j-- {
			sorted[j], sorted[j-1] = sorted[j-1], sorted[j]
		}
	}
	var (
		runs  []Run
		start time.Time
		rid   string
	)
	for _, p := range sorted {
		switch p.Kind {
		case PingStart:
			start, rid = p.Created, p.RID
		case PingSuccess, PingFail:
			d := finishRun(&start, &rid, p.Kind, p.RID, p.Created)
			runs = appendRun(runs, Run{N: p.N, At: p.Created, Failed: p.Kind == PingFail, Duration: d}, limit)
		}
	}
	return runs
}

// finishRun is what a success or a failure at now does to the run that started at *start with
// run id *rid (ApplyPing's rule, as Healthchecks applies it to last_start): the same run id ends
// the run and measures it; a failure, or a finish without a run id, ends it unmeasured; a
// success of another run id leaves it going. It returns the duration, 0 when unmeasured.
func finishRun(start *time.Time, rid *string, kind PingKind, pingRID string, now time.Time) time.Duration {
	if start.IsZero() {
		return 0
	}
	switch {
	case *rid == pingRID:
		d := now.Sub(*start)
		*start, *rid = time.Time{}, ""
		return d
	case kind == PingFail || pingRID == "":
		*start, *rid = time.Time{}, ""
	}
	return 0
}

// appendRun adds r to runs, oldest first, keeping the newest limit; times are kept to the
// millisecond, which is what the stores keep.
//
// Copies of a check share their Runs' array (the SQLite committer's cache hands the same runs to
// every check it makes of a row), so no run in it is ever changed: a new run goes into the spare
// capacity past the end of runs, and only into a slot no run has used (a zero Run: a run's N is
// at least 1). Another copy appending to the same runs finds the slot taken and moves to a new
// array, as it does when there is no room; a new array has room for limit runs more, so that a
// check pinged again and again slides its runs along it and allocates once every limit runs,
// not once a run. Two copies must therefore not be pinged at the same time, by two goroutines.
func appendRun(runs []Run, r Run, limit int) []Run {
	r.At = r.At.Truncate(time.Millisecond)
	r.Duration = r.Duration.Truncate(time.Millisecond)
	if r.Duration < 0 || r.Duration >= MaxDuration {
		r.Duration = 0 // a clock step, or a start forgotten for days: no duration worth drawing
	}
	if n := len(runs); n < cap(runs) && runs[:n+1][n] == (Run{}) {
		runs = append(runs, r)
		return runs[max(0, len(runs)-limit):]
	}
	keep := runs[max(0, len(runs)+1-limit):]
	out := make([]Run, 0, len(keep)+1+limit)
	return append(append(out, keep...), r)
}
