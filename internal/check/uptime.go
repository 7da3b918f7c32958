package check

import (
	"slices"
	"sort"
	"time"
)

// History is what the uptime of a check is computed from: its status changes (flips), its
// status now, when it was created, and from when its flips are complete. Nothing else is read:
// no pings, so the cost follows the number of status changes, not of pings.
//
// Time counts as up while the check's stored status is up (late, in its grace time or running
// included: a check is down only once the sweep or a failure says so), as down while it is
// down, and not at all while it is new (never pinged since it was created or resumed), paused,
// before it was created, or before Known. Uptime is up time over up plus down time, so pausing
// a check for a week neither raises nor lowers it.
type History struct {
	// Status is the check's stored status (new, up, down or paused) at the end of the spans.
	Status Status
	// Created is when the check was created: nothing is counted before it.
	Created time.Time
	// Known is when the flips start being complete (the store keeps processed flips for a
	// retention period, store.Options.FlipRetention): time before it is not counted, since a
	// flip dropped for its age would make it look as the oldest kept flip's old status. Zero: the
	// flips are complete since Created.
	Known time.Time
	// Flips are the check's status changes from Known on, in any order (stores list them newest
	// first). Older ones may be included; they change nothing.
	Flips []*Flip
}

// Span is how a check spent one interval [Start, End): up, down, and, the rest of it, not
// monitored (new, paused, not yet created or before its known history).
type Span struct {
	Start, End time.Time
	Up, Down   time.Duration
	// Outages counts the down periods that overlap the span: one that crosses a bound counts
	// in both spans (for the whole period's count, ask for one span over it).
	Outages int
}

// DayState is how a status page draws a span.
type DayState string

// The day states.
const (
	DayUp      DayState = "up"      // monitored and never down
	DayPartial DayState = "partial" // down part of the monitored time
	DayDown    DayState = "down"    // down all of the monitored time
	DayNone    DayState = "none"    // not monitored at all: no data
)

// State classifies the span.
func (s Span) State() DayState {
	switch {
	case s.Up+s.Down == 0:
		return DayNone
	case s.Down == 0:
		return DayUp
	case s.Up == 0:
		return DayDown
	}
	return DayPartial
}

// Uptime is the share of the monitored time the check was up, in hundredths of a percent
// (0 to 10000), rounded down so that any downtime shows: 10000 only with none at all. ok is
// false when the span holds no monitored time.
func (s Span) Uptime() (basisPoints int, ok bool) {
	if s.Up+s.Down == 0 {
		return 0, false
	}
	if s.Down == 0 {
		return 10000, true
	}
	// Whole seconds keep the product in range (90 days are 7.8e6 s); a downtime shorter than a
	// second still costs a hundredth.
	up, total := int64(s.Up/time.Second), int64((s.Up+s.Down+time.Second-1)/time.Second)
	if bp := int(up * 10000 / total); bp < 10000 {
		return bp, true
	}
	return 9999, true
}

// segment is a stretch of time in one stored status.
type segment struct {
	from, to time.Time
	status   Status
}

// segments are the check's statuses from max(Created, Known) to end, oldest first, adjacent
// stretches of one status merged (a down→down flip, a held alert released, is no new outage).
// They are found walking back from the status now through each flip's old status, as
// Healthchecks computes downtimes: a flip lost at the far end then costs nothing, because the
// walk never reaches past Known.
func (h History) segments(end time.Time) []segment {
	flips := slices.Clone(h.Flips)
	slices.Reverse(flips) // newest first as listed: oldest first, ties in creation order
	sort.SliceStable(flips, func(i, j int) bool { return flips[i].Created.Before(flips[j].Created) })
	start := h.Created
	if h.Known.After(start) {
		start = h.Known
	}
	var back []segment
	cur, status := end, h.Status
	for i := len(flips) - 1; i >= 0 && cur.After(start); i-- {
		at := flips[i].Created
		if at.After(cur) {
			at = cur // a flip stamped after end (or out of order) starts nothing later than what follows it
		}
		if at.After(start) {
			back = append(back, segment{from: at, to: cur, status: status})
		} else {
			back = append(back, segment{from: start, to: cur, status: status})
		}
		cur, status = at, flips[i].OldStatus
	}
	if cur.After(start) {
		back = append(back, segment{from: start, to: cur, status: status})
	}
	var out []segment
	for i := len(back) - 1; i >= 0; i-- {
		s := back[i]
		if !s.to.After(s.from) {
			continue
		}
		if n := len(out); n > 0 && out[n-1].status == s.status && out[n-1].to.Equal(s.from) {
			out[n-1].to = s.to
			continue
		}
		out = append(out, s)
	}
	return out
}

// Spans divides the time from bounds[0] to the last bound into len(bounds)-1 spans, [bounds[i],
// bounds[i+1]), and says how the check spent each. bounds must ascend; the last is usually now
// (DayBounds, MonthBounds). With fewer than two bounds there are no spans.
func (h History) Spans(bounds []time.Time) []Span {
	if len(bounds) < 2 {
		return nil
	}
	spans := make([]Span, len(bounds)-1)
	for i := range spans {
		spans[i] = Span{Start: bounds[i], End: bounds[i+1]}
	}
	for _, seg := range h.segments(bounds[len(bounds)-1]) {
		if seg.status != StatusUp && seg.status != StatusDown {
			continue
		}
		first := sort.Search(len(spans), func(i int) bool { return spans[i].End.After(seg.from) })
		for i := first; i < len(spans) && spans[i].Start.Before(seg.to); i++ {
			sp := &spans[i]
			from, to := later(seg.from, sp.Start), earlier(seg.to, sp.End)
			d := to.Sub(from)
			if d <= 0 {
				continue
			}
			if seg.status == StatusUp {
				sp.Up += d
				continue
			}
			sp.Down += d
			sp.Outages++
		}
	}
	return spans
}

// DayBounds are the bounds of the last days calendar days in loc, today included: the
// midnights from days-1 days ago up to today's, then now (today is a span so far).
func DayBounds(now time.Time, days int, loc *time.Location) []time.Time {
	local := now.In(loc)
	bounds := make([]time.Time, 0, days+1)
	for i := days - 1; i >= 0; i-- {
		bounds = append(bounds, time.Date(local.Year(), local.Month(), local.Day()-i, 0, 0, 0, 0, loc))
	}
	return append(bounds, now)
}

// MonthBounds are the bounds of the last months calendar months in loc, this one included:
// the first instants of each, then now.
func MonthBounds(now time.Time, months int, loc *time.Location) []time.Time {
	local := now.In(loc)
	bounds := make([]time.Time, 0, months+1)
	for i := months - 1; i >= 0; i-- {
		bounds = append(bounds, time.Date(local.Year(), local.Month()-time.Month(i), 1, 0, 0, 0, 0, loc))
	}
	return append(bounds, now)
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
