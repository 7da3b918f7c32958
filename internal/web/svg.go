package web

import (
	"fmt"
	"html/template"
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
	const w, h, bar, gap = 4 * check.KeptRuns, 24, 3, 1
	var b strings.Builder
	ok, failed := 0, 0
	for _, r := range runs {
		if r.Failed {
			failed++
		} else {
			ok++
		}
	}
	fmt.Fprintf(&b, `<svg class="strip" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="last %d runs: %d succeeded, %d failed">`,
		w, h, w, h, len(runs), ok, failed)
	fmt.Fprintf(&b, `<line class="base" x1="0" y1="%d" x2="%d" y2="%d"/>`, h/2, w, h/2)
	longest := longestRun(runs)
	x := w - len(runs)*(bar+gap)
	for _, r := range runs {
		l := barLength(r.Duration, longest, h/2-1)
		title := "success"
		if r.Failed {
			title = "failure"
		}
		if r.Duration > 0 {
			title += ", " + runWords(r.Duration)
		}
		if r.Failed {
			fmt.Fprintf(&b, `<rect class="fail" x="%d" y="%d" width="%d" height="%d"><title>%s</title></rect>`, x, h/2+1, bar, l, title)
		} else {
			fmt.Fprintf(&b, `<rect class="ok" x="%d" y="%d" width="%d" height="%d"><title>%s</title></rect>`, x, h/2-l, bar, l, title)
		}
		x += bar + gap
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // built from numbers and fixed words only
}

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
