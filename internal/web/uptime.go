package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"strings"
	"sync"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// Uptime is computed from flips alone (check.History), in UTC: a day or a month is the same for
// every viewer, so a status page is one document whoever reads it, and caches can share it.

// historyDays is how many days a status page draws: the flips' retention
// (store.DefaultFlipRetention) keeps every status change of them.
const historyDays = 90

// uptimeMonths is how many calendar months the details page lists, this one included.
const uptimeMonths = 3

// loadWorkers is how many checks a status page reads at once.
const loadWorkers = 8

// historyOf is the uptime input of c from its flips since since (status changes before since
// cannot change any span after it), complete from the flips' retention on.
func (s *Server) historyOf(ctx context.Context, c *check.Check, since, now time.Time) (check.History, error) {
	flips, err := s.st.Flips(ctx, c.ID, store.FlipQuery{Since: since})
	if err != nil {
		return check.History{}, fmt.Errorf("list flips of check %s: %w", c.ID, err)
	}
	return check.History{Status: c.Status, Created: c.Created, Known: now.Add(-store.DefaultFlipRetention), Flips: flips}, nil
}

// loaded is a check of a status page with its history.
type loaded struct {
	c       *check.Check
	history check.History
}

// loadChecks reads the checks ids of project projectID with their flips since since, a few at
// a time, in the order of ids; checks that are gone, or are another project's, are left out.
func (s *Server) loadChecks(ctx context.Context, projectID string, ids []string, since, now time.Time) ([]loaded, error) {
	out := make([]*loaded, len(ids))
	errs := make([]error, len(ids))
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(loadWorkers, len(ids)) {
		wg.Go(func() {
			for i := range work {
				c, err := s.st.Check(ctx, ids[i])
				if errors.Is(err, store.ErrNotFound) || (err == nil && c.ProjectID != projectID) {
					continue
				}
				if err != nil {
					errs[i] = fmt.Errorf("load check %s: %w", ids[i], err)
					continue
				}
				h, err := s.historyOf(ctx, c, since, now)
				if err != nil {
					errs[i] = err
					continue
				}
				out[i] = &loaded{c: c, history: h}
			}
		})
	}
	for i := range ids {
		work <- i
	}
	close(work)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var list []loaded
	for _, l := range out {
		if l != nil {
			list = append(list, *l)
		}
	}
	return list, nil
}

// percent is a span's uptime as pages show it: "99.95%" (rounded down, check.Span.Uptime),
// "100%" with no downtime, "no data" without monitored time.
func percent(sp check.Span) string {
	bp, ok := sp.Uptime()
	switch {
	case !ok:
		return "no data"
	case bp == 10000:
		return "100%"
	}
	return fmt.Sprintf("%d.%02d%%", bp/100, bp%100)
}

// uptimeWords is a span's uptime and downtime in words, for a day's title.
func uptimeWords(sp check.Span) string {
	switch {
	case sp.Up+sp.Down == 0:
		return "no data"
	case sp.Down == 0:
		return "up, 100%"
	}
	return fmt.Sprintf("down %s, %s up", downWords(sp.Down), percent(sp))
}

// downWords is a downtime: "45 s", "12 min", "3 h 5 min".
func downWords(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d/time.Minute))
	}
	return fmt.Sprintf("%d h %d min", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

// dayStrip draws a status page's days, oldest left: one bar per day, drawn in the state's
// colour and, so that colour is never the only sign, a dot under a partial day, a cross under a
// down day, and a low stub for a day without data. Each bar's title says the date and the
// downtime; the label counts the days of each state.
func dayStrip(spans []check.Span) template.HTML {
	const bar, gap, h, top = 6, 2, 34, 24
	w := len(spans) * (bar + gap)
	counts := map[check.DayState]int{}
	for _, sp := range spans {
		counts[sp.State()]++
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="days" viewBox="0 0 %d %d" preserveAspectRatio="none" role="img" aria-label="last %d days: %d up, %d partly down, %d down, %d without data">`,
		w, h, len(spans), counts[check.DayUp], counts[check.DayPartial], counts[check.DayDown], counts[check.DayNone])
	for i, sp := range spans {
		x := i * (bar + gap)
		title := sp.Start.UTC().Format("Mon 2 Jan 2006") + ": " + uptimeWords(sp)
		state := sp.State()
		if state == check.DayNone {
			fmt.Fprintf(&b, `<rect class="d-none" x="%d" y="%d" width="%d" height="4"><title>%s</title></rect>`, x, top-4, bar, title)
			continue
		}
		fmt.Fprintf(&b, `<rect class="d-%s" x="%d" y="0" width="%d" height="%d"><title>%s</title></rect>`, state, x, bar, top, title)
		switch state {
		case check.DayPartial:
			fmt.Fprintf(&b, `<circle class="m-partial" cx="%d" cy="%d" r="2"/>`, x+bar/2, top+6)
		case check.DayDown:
			fmt.Fprintf(&b, `<path class="m-down" d="M%d %dl%d %dm0 -%dl-%d %d"/>`, x, top+3, bar, bar, bar, bar, bar)
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // built from numbers, dates and fixed words only
}

// monthRow is one line of the details page's uptime table.
type monthRow struct {
	Month   string // "November 2026"
	Uptime  string // "99.95%", or "no data"
	Down    string // "12 min", or "none"
	Outages int
	From    string // set when the month's start is older than the kept history: "8 Sep"
}

// monthlyUptime is the uptime of c in each of the last uptimeMonths calendar months (UTC),
// newest first; months wholly before the kept history are left out.
func (s *Server) monthlyUptime(ctx context.Context, c *check.Check, now time.Time) ([]monthRow, error) {
	bounds := check.MonthBounds(now, uptimeMonths, time.UTC)
	h, err := s.historyOf(ctx, c, bounds[0], now)
	if err != nil {
		return nil, err
	}
	var rows []monthRow
	for _, sp := range h.Spans(bounds) {
		if !sp.End.After(h.Known) {
			continue
		}
		row := monthRow{Month: sp.Start.Format("January 2006"), Uptime: percent(sp), Down: "none", Outages: sp.Outages}
		if sp.Down > 0 {
			row.Down = downWords(sp.Down)
		}
		if h.Known.After(sp.Start) {
			row.From = h.Known.UTC().Format("2 Jan")
		}
		rows = append([]monthRow{row}, rows...)
	}
	return rows, nil
}
