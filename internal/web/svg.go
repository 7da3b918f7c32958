package web

import (
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/overduehq/overdue/internal/check"
)

// runsOf picks the success and fail pings of pings (newest first, as the store lists them),
// oldest first, with their durations as the event log shows them (check.Durations).
func runsOf(pings []*check.Ping) []check.Run {
	durs := check.Durations(pings)
	var runs []check.Run
	for i := len(pings) - 1; i >= 0; i-- {
		p := pings[i]
		if p.Kind != check.PingSuccess && p.Kind != check.PingFail {
			continue
		}
		runs = append(runs, check.Run{N: p.N, At: p.Created, Failed: p.Kind == check.PingFail, Duration: durs[p.N]})
	}
	return runs
}

// runStrip draws a check's recent runs, oldest left: successes rise above the middle line,
// failures hang below it, so the outcome shows in the shape and not in colour alone; a bar's
// length is the run's duration against the longest of the strip (full length when unknown).
func runStrip(runs []check.Run) template.HTML {
	// strconv appends, not fmt: the checks page draws a thousand of these.
	const w, h, bar, gap = stripWidth, stripHeight, stripBar, stripGap
	ok, failed := 0, 0
	for _, r := range runs {
		if r.Failed {
			failed++
		} else {
			ok++
		}
	}
	b := make([]byte, 0, 256+100*len(runs))
	b = append(b, stripOpen...)
	b = strconv.AppendInt(b, int64(len(runs)), 10)
	b = append(b, ` runs: `...)
	b = strconv.AppendInt(b, int64(ok), 10)
	b = append(b, ` succeeded, `...)
	b = strconv.AppendInt(b, int64(failed), 10)
	b = append(b, stripBase...)
	longest := longestRun(runs)
	x := w - len(runs)*(bar+gap)
	for _, r := range runs {
		l := barLength(r.Duration, longest, h/2-1)
		y, class, title := h/2-l, `ok`, `success`
		if r.Failed {
			y, class, title = h/2+1, `fail`, `failure`
		}
		b = append(b, `<rect class="`+class+`" x="`...)
		b = strconv.AppendInt(b, int64(x), 10)
		b = append(b, `" y="`...)
		b = strconv.AppendInt(b, int64(y), 10)
		b = append(b, stripBarWidth...)
		b = strconv.AppendInt(b, int64(l), 10)
		b = append(b, `"><title>`+title...)
		if r.Duration > 0 {
			b = append(b, ", "+runWords(r.Duration)...)
		}
		b = append(b, `</title></rect>`...)
		x += bar + gap
	}
	b = append(b, `</svg>`...)
	return template.HTML(b) // built from numbers and fixed words only
}

// The run strip's geometry: one bar and a gap per run.
const (
	stripBar, stripGap = 3, 1
	stripWidth         = check.KeptRuns * (stripBar + stripGap)
	stripHeight        = 24
)

// The run strip's fixed markup.
var (
	stripOpen = fmt.Sprintf(`<svg class="strip" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="last `,
		stripWidth, stripHeight, stripWidth, stripHeight)
	stripBase     = fmt.Sprintf(` failed"><line class="base" x1="0" y1="%d" x2="%d" y2="%d"/>`, stripHeight/2, stripWidth, stripHeight/2)
	stripBarWidth = fmt.Sprintf(`" width="%d" height="`, stripBar)
)

func longestRun(runs []check.Run) time.Duration {
	var longest time.Duration
	for _, r := range runs {
		longest = max(longest, r.Duration)
	}
	return longest
}

// barLength scales d to at most full, at least 2 so a bar is always visible; unknown durations
// are full length.
func barLength(d, longest time.Duration, full int) int {
	if d <= 0 || longest <= 0 {
		return full
	}
	return max(2, int(float64(full)*float64(d)/float64(longest)))
}

// durationChart draws the run durations of the details page: one bar per run, oldest left,
// failures drawn in the failure style and marked with a cross under the bar; the axis says
// the longest duration.
func durationChart(runs []check.Run) template.HTML {
	const h, plot, bar, gap, left = 140, 110, 8, 2, 70
	w := left + max(len(runs), 10)*(bar+gap)
	var b strings.Builder
	failed := 0
	for _, r := range runs {
		if r.Failed {
			failed++
		}
	}
	longest := longestRun(runs)
	fmt.Fprintf(&b, `<svg class="chart" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="durations of the last %d runs, longest %s; %d failed">`,
		w, h, w, h, len(runs), runWords(longest), failed)
	fmt.Fprintf(&b, `<text class="axis" x="0" y="12">%s</text><text class="axis" x="0" y="%d">0</text>`, runWords(longest), plot)
	fmt.Fprintf(&b, `<line class="base" x1="%d" y1="%d" x2="%d" y2="%d"/>`, left-4, plot, w, plot)
	x := left
	for _, r := range runs {
		l := barLength(r.Duration, longest, plot-4)
		cls, title := "ok", "success"
		if r.Failed {
			cls, title = "fail", "failure"
		}
		dur := "duration unknown"
		if r.Duration > 0 {
			dur = runWords(r.Duration)
		}
		fmt.Fprintf(&b, `<rect class="%s" x="%d" y="%d" width="%d" height="%d"><title>#%d %s, %s, %s</title></rect>`,
			cls, x, plot-l, bar, l, r.N, title, dur, r.At.UTC().Format("2006-01-02 15:04 UTC"))
		if r.Failed {
			fmt.Fprintf(&b, `<path class="mark" d="M%d %dl%d %dm0 -%dl-%d %d"/>`, x, plot+6, bar, bar, bar, bar, bar)
		}
		x += bar + gap
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // built from numbers and fixed words only
}
