package report

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"html/template"
	"slices"
	"strings"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/notify"
	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/store"
)

// view is what a report or reminder shows.
type view struct {
	Kind     people.MailingKind
	Title    string // "Weekly report", "Reminder"
	Period   string // "30 Nov – 6 Dec 2026 (Europe/Riga)"; "" for reminders
	Previous string // the column of the period before: "previous week"
	Down     int    // checks down now
	Total    int
	Projects []projectView
	Settings string // where to change what one receives
}

type projectView struct {
	Name   string
	URL    string
	Checks []checkView
}

type checkView struct {
	Name     string
	Status   check.Status
	LastPing string // "7 Dec 08:02" in the user's zone, "never"
	// Downs and Downtime are the period's; PrevDowns and PrevDowntime the one before's. NoData
	// and PrevNoData mark periods that ended before the check existed.
	Downs, PrevDowns       int
	Downtime, PrevDowntime time.Duration
	NoData, PrevNoData     bool
}

// Outage is the period's column for a check: "—" before it existed, "none", or how often it
// went down and for how long in all.
func (c checkView) Outage() string { return outage(c.NoData, c.Downs, c.Downtime) }

// PrevOutage is Outage for the period before.
func (c checkView) PrevOutage() string { return outage(c.PrevNoData, c.PrevDowns, c.PrevDowntime) }

func outage(noData bool, n int, d time.Duration) string {
	switch {
	case noData:
		return "—"
	case n == 0 && d == 0:
		return "none"
	case n == 0: // down since before the period
		return fmt.Sprintf("down %s", notify.Downtime(d))
	case n == 1:
		return fmt.Sprintf("down once, %s", notify.Downtime(d))
	}
	return fmt.Sprintf("down %d times, %s", n, notify.Downtime(d))
}

// compose reads what the user's mail of kind for the slot says, and renders it; nil when there
// is nothing to send: a reminder with nothing down, or a report for someone without checks or
// whose checks have had no ping in Quiet (as Healthchecks skips such accounts).
func (w *world) compose(ctx context.Context, u *people.User, kind people.MailingKind, slot Slot) (*notify.Message, error) {
	projects, err := w.checksOf(ctx, u)
	if err != nil {
		return nil, err
	}
	loc := u.Location()
	v := &view{Kind: kind, Settings: w.settings()}
	var lastPing time.Time
	for _, p := range projects {
		pv := projectView{Name: p.project.Name, URL: w.r.SiteRoot + "/projects/" + p.project.ID + "/checks/"}
		if pv.Name == "" {
			pv.Name = "Project " + p.project.ID
		}
		for _, c := range p.checks {
			st := status(c, w.now)
			v.Total++
			if st == check.StatusDown {
				v.Down++
			} else if kind == people.MailingReminder {
				continue
			}
			if c.LastPing.After(lastPing) {
				lastPing = c.LastPing
			}
			cv := checkView{Name: checkName(c, p.role), Status: st, LastPing: "never"}
			if !c.LastPing.IsZero() {
				cv.LastPing = c.LastPing.In(loc).Format("2 Jan 15:04")
			}
			if kind == people.MailingReport {
				flips, err := w.r.Store.Flips(ctx, c.ID, store.FlipQuery{Since: slot.Before})
				if err != nil {
					return nil, fmt.Errorf("flips of check %s: %w", c.ID, err)
				}
				cv.NoData, cv.PrevNoData = !c.Created.Before(slot.To), !c.Created.Before(slot.From)
				cv.Downs, cv.Downtime = downtime(flips, c.Status, slot.From, slot.To)
				cv.PrevDowns, cv.PrevDowntime = downtime(flips, c.Status, slot.Before, slot.From)
			}
			pv.Checks = append(pv.Checks, cv)
		}
		if len(pv.Checks) > 0 {
			// Down first, then by name: what needs attention leads.
			slices.SortStableFunc(pv.Checks, func(a, b checkView) int {
				return cmp.Or(-cmp.Compare(rank(a.Status), rank(b.Status)), strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)))
			})
			v.Projects = append(v.Projects, pv)
		}
	}
	if kind == people.MailingReminder && v.Down == 0 {
		return nil, nil
	}
	if kind == people.MailingReport && (v.Total == 0 || lastPing.IsZero() || w.now.Sub(lastPing) > Quiet) {
		return nil, nil
	}
	var subject string
	switch kind {
	case people.MailingReport:
		period := u.ReportPeriod()
		v.Title = reportTitles[period]
		v.Previous = "previous " + periodNouns[period]
		v.Period = periodText(slot, period, loc)
		subject = fmt.Sprintf("%s, %s: %s", v.Title, v.Period, countText(v.Down, v.Total))
	default:
		v.Title = "Reminder"
		subject = fmt.Sprintf("Reminder: %s", downText(v.Down))
	}
	return render(v, subject)
}

// rank orders statuses for the report: down first.
func rank(s check.Status) int {
	switch s {
	case check.StatusDown:
		return 3
	case check.StatusGrace, check.StatusUnknown:
		return 2
	case check.StatusUp:
		return 1
	}
	return 0
}

var (
	reportTitles = map[people.ReportPeriod]string{people.ReportsDaily: "Daily report", people.ReportsWeekly: "Weekly report",
		people.ReportsMonthly: "Monthly report"}
	periodNouns = map[people.ReportPeriod]string{people.ReportsDaily: "day", people.ReportsWeekly: "week",
		people.ReportsMonthly: "month"}
)

// periodText names the period a report covers, in the user's zone.
func periodText(slot Slot, period people.ReportPeriod, loc *time.Location) string {
	from, last := slot.From.In(loc), slot.To.In(loc).AddDate(0, 0, -1)
	var s string
	switch period {
	case people.ReportsDaily:
		s = from.Format("Mon 2 Jan 2006")
	case people.ReportsMonthly:
		s = from.Format("January 2006")
	default:
		s = from.Format("2 Jan") + " – " + last.Format("2 Jan 2006")
	}
	return s + " (" + loc.String() + ")"
}

func countText(down, total int) string {
	if down == 0 {
		return fmt.Sprintf("all %d up", total)
	}
	return fmt.Sprintf("%d of %d down", down, total)
}

func downText(n int) string {
	if n == 1 {
		return "1 check is down"
	}
	return fmt.Sprintf("%d checks are down", n)
}

// checkName is how a check is named to a member: its name, else its slug, else its ID; to a
// read-only member, who never sees a check's UUID, its unique key instead of the ID.
func checkName(c *check.Check, role people.Role) string {
	switch {
	case c.Name != "":
		return c.Name
	case c.Slug != "":
		return c.Slug
	case !role.CanSeeSecrets():
		return check.UniqueKey(c.ID)
	}
	return c.ID
}

// settings says where the person changes what they receive.
func (w *world) settings() string {
	return "You get this because of your settings at " + w.r.SiteRoot + ". To change how often reports and reminders " +
		"come, or to stop them, POST {\"reports\": \"off\", \"reminders\": \"off\"} (or another period) to " +
		w.r.SiteRoot + "/api/v3/account/ with a personal API token, or ask the operator to run " +
		"overdue user settings --email <you> --reports off --reminders off."
}

// downtime counts the flips to down within [from, to) and sums the time the check spent down
// within it, from its flips since at least from (in any order) and its stored status now: the
// status before the first flip is that flip's old status, and after the last, current.
func downtime(flips []*check.Flip, current check.Status, from, to time.Time) (n int, d time.Duration) {
	fs := slices.Clone(flips)
	slices.SortFunc(fs, func(a, b *check.Flip) int { return a.Created.Compare(b.Created) })
	overlap := func(start, end time.Time) time.Duration {
		if start.Before(from) {
			start = from
		}
		if end.After(to) {
			end = to
		}
		if end.After(start) {
			return end.Sub(start)
		}
		return 0
	}
	status, since := current, time.Time{}
	if len(fs) > 0 {
		status = fs[0].OldStatus
	}
	for _, f := range fs {
		if status == check.StatusDown {
			d += overlap(since, f.Created)
		}
		if f.NewStatus == check.StatusDown && !f.Created.Before(from) && f.Created.Before(to) {
			n++
		}
		status, since = f.NewStatus, f.Created
	}
	if status == check.StatusDown {
		d += overlap(since, to)
	}
	return n, d
}

// render writes the message: the text as the subject and lines, and the HTML from the same
// view through html/template, which escapes every name (names are what members typed).
func render(v *view, subject string) (*notify.Message, error) {
	var text strings.Builder
	fmt.Fprintf(&text, "%s\n", v.Title)
	if v.Period != "" {
		fmt.Fprintf(&text, "%s\n", v.Period)
	}
	if v.Kind == people.MailingReport {
		fmt.Fprintf(&text, "%s.\n", capitalize(countText(v.Down, v.Total)))
	} else {
		fmt.Fprintf(&text, "%s.\n", capitalize(downText(v.Down)))
	}
	for _, p := range v.Projects {
		fmt.Fprintf(&text, "\n%s (%s)\n", p.Name, p.URL)
		for _, c := range p.Checks {
			fmt.Fprintf(&text, "  %-6s %s — last ping %s", strings.ToUpper(string(c.Status)), c.Name, c.LastPing)
			if v.Kind == people.MailingReport {
				fmt.Fprintf(&text, "; this period: %s; %s: %s", c.Outage(), v.Previous, c.PrevOutage())
			}
			text.WriteString("\n")
		}
	}
	fmt.Fprintf(&text, "\n%s\n", v.Settings)

	var html bytes.Buffer
	if err := mailHTML.Execute(&html, v); err != nil {
		return nil, fmt.Errorf("render %s: %w", v.Kind, err)
	}
	return &notify.Message{Subject: subject, Text: text.String(), HTML: html.String()}, nil
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

var mailHTML = template.Must(template.New("mail").Parse(`<h2>{{.Title}}</h2>
{{if .Period}}<p>{{.Period}}</p>
{{end}}{{range .Projects}}<h3><a href="{{.URL}}">{{.Name}}</a></h3>
<table cellpadding="4" style="border-collapse:collapse">
<tr><th align="left">Check</th><th align="left">Status</th><th align="left">Last ping</th>{{if eq $.Kind "report"}}<th align="left">This period</th><th align="left">{{$.Previous}}</th>{{end}}</tr>
{{range .Checks}}<tr><td>{{.Name}}</td><td>{{if eq .Status "down"}}<b>DOWN</b>{{else}}{{.Status}}{{end}}</td><td>{{.LastPing}}</td>{{if eq $.Kind "report"}}<td>{{.Outage}}</td><td>{{.PrevOutage}}</td>{{end}}</tr>
{{end}}</table>
{{end}}<p><small>{{.Settings}}</small></p>
`))
