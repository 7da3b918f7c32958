// Package report sends each person the email reports and reminders they chose (issue 19): a
// daily, weekly or monthly report on every check of the projects they belong to, and an hourly
// or daily reminder while one of those checks is down, each in their time zone. The sweep loop
// of `overdue serve` runs it locally; the reports function runs it on AWS.
//
// Each slot (a report period, a reminder hour or day) goes out once per person: the Reporter
// claims an idempotent record keyed by the person, the kind and the slot (store.People's
// ClaimMailing, a conditional create, as deliveries have), so a retried or concurrent run finds
// it taken and sends nothing. A send that fails transiently is retried on a later run, with
// back-off, until it goes out or has failed MaxAttempts times. Once a slot is dealt with, the
// person's cursor (people.User.ReportSlot, ReminderSlot) moves past it, so a run reads a
// person's checks only when something is owed: its cost is one listing of the users plus the
// reads of what it sends.
package report

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/notify"
	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/schedule"
	"github.com/overduehq/overdue/internal/store"
)

// Limits of sending.
const (
	// MaxAttempts is how many sends of one slot's mail are tried before it is given up as failed.
	MaxAttempts = 5
	// Hold is how long a sender holds a slot it claimed before another may take it over,
	// believing the first died mid-send: longer than a send may take (SendTimeout).
	Hold = 2 * time.Minute
	// FirstRetry is the wait before the second attempt; each further one waits twice as long.
	FirstRetry = time.Minute
	// SendTimeout bounds one send, so that a mail server that hangs holds up the run (and, in
	// `overdue serve`, the sweep loop) no longer than this.
	SendTimeout = 30 * time.Second
	// Quiet is how long since its last ping a person's checks must all have been silent for their
	// reports to stop: Healthchecks skips the report of an account with no ping in 180 days.
	Quiet = 180 * 24 * time.Hour
)

// Reporter runs reports and reminders. Its fields are set once; Run may be called from one
// goroutine at a time (several Reporters over one store may run at once: that is what the
// mailing records are for).
type Reporter struct {
	Store  store.Store
	People store.People
	// Mail is the email transport (SMTP or SES) the mail goes through.
	Mail notify.Transport
	// SiteRoot is the base of the dashboard links, e.g. https://overdue.example.org.
	SiteRoot string
	Now      func() time.Time
	Logger   *slog.Logger
}

// Result counts what one run did.
type Result struct {
	Reports   int // reports sent
	Reminders int // reminders sent
	Retrying  int // sends that failed and will be tried again
	Failed    int // sends given up (permanent failure, or MaxAttempts)
}

// Run deals with every person whose report or reminder slot is due at the reporter's clock.
// A failure with one person is logged and counted, and the others are still served; the first
// store error is returned at the end, so the function fails its invocation and the platform
// counts it.
func (r *Reporter) Run(ctx context.Context) (Result, error) {
	now := r.Now().UTC()
	users, err := r.People.Users(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("reports: %w", err)
	}
	var res Result
	var first error
	w := &world{r: r, now: now, projects: map[string]*projectChecks{}}
	for _, u := range users {
		if err := w.serve(ctx, u, &res); err != nil {
			r.logger().Error("report or reminder failed", "user", u.ID, "error", err.Error())
			if first == nil {
				first = err
			}
		}
	}
	return res, first
}

// world is one run's view: the clock and the projects read so far.
type world struct {
	r        *Reporter
	now      time.Time
	projects map[string]*projectChecks
}

// projectChecks is a project with its checks, read once per run.
type projectChecks struct {
	project *check.Project
	checks  []*check.Check
}

// serve sends the user's report and reminder if a slot of either is owed.
func (w *world) serve(ctx context.Context, u *people.User, res *Result) error {
	loc, offset := u.Location(), Offset(u.ID)
	if p := u.ReportPeriod(); p != people.ReportsOff {
		slot := ReportSlot(p, loc, offset, w.now)
		if err := w.owe(ctx, u, people.MailingReport, string(p), slot, u.ReportSlot, res); err != nil {
			return err
		}
	}
	if p := u.ReminderPeriod(); p != people.RemindersOff {
		slot := ReminderSlot(p, loc, offset, w.now)
		if err := w.owe(ctx, u, people.MailingReminder, string(p), slot, u.ReminderSlot, res); err != nil {
			return err
		}
	}
	return nil
}

// owe deals with the slot unless the user's cursor is at it already. A cursor of another
// period (none yet, or the person changed the period) moves to the slot without sending: the
// first mail is the next slot's, as in Healthchecks, where choosing a period schedules the
// first report rather than sending one.
func (w *world) owe(ctx context.Context, u *people.User, kind people.MailingKind, period string, slot Slot, cursor string, res *Result) error {
	if slotPeriod(cursor) != period {
		return w.advance(ctx, u, kind, slot)
	}
	if slot.Key <= cursor {
		// Dealt with already; or, after the person moved to a zone behind their old one, a slot
		// before the one they last got (keys of one period sort as their dates).
		return nil
	}
	mail, err := w.compose(ctx, u, kind, slot)
	if err != nil {
		return err
	}
	if mail == nil { // nothing to say: nothing down to remind of, or no ping in Quiet
		return w.advance(ctx, u, kind, slot)
	}
	done, err := w.send(ctx, u, kind, slot, mail, res)
	if err != nil || !done {
		return err
	}
	return w.advance(ctx, u, kind, slot)
}

// advance moves the user's cursor of kind to the slot, unless it is there already (another
// run moved it).
func (w *world) advance(ctx context.Context, u *people.User, kind people.MailingKind, slot Slot) error {
	_, err := w.r.People.UpdateUser(ctx, u.ID, func(u *people.User) error {
		if kind == people.MailingReport {
			u.ReportSlot = slot.Key
		} else {
			u.ReminderSlot = slot.Key
		}
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil // the user is gone
	}
	return err
}

// send claims the slot's mailing record and sends the mail, or takes over a record whose
// sender died or whose retry is due. done is true when the slot needs nothing more (sent,
// given up, or already final): the cursor may move.
func (w *world) send(ctx context.Context, u *people.User, kind people.MailingKind, slot Slot, mail *notify.Message, res *Result) (done bool, err error) {
	rec := &people.Mailing{UserID: u.ID, Kind: kind, Slot: slot.Key, Status: people.MailingPending, Attempts: 1,
		NextAttempt: w.now.Add(Hold), Created: w.now, Updated: w.now}
	claimed, existing, err := w.r.People.ClaimMailing(ctx, rec)
	if err != nil {
		return false, err
	}
	if !claimed {
		switch {
		case existing.Status.Final():
			return true, nil
		case existing.NextAttempt.After(w.now):
			return false, nil // another sender holds it, or its retry is not due yet
		}
		rec = existing
		rec.Status, rec.Attempts, rec.NextAttempt, rec.Updated = people.MailingPending, rec.Attempts+1, w.now.Add(Hold), w.now
		if err := w.r.People.UpdateMailing(ctx, rec); errors.Is(err, store.ErrConflict) {
			return false, nil // another sender took it over first
		} else if err != nil {
			return false, err
		}
	}

	ch := &check.Channel{Kind: check.ChannelEmail, Value: u.Email}
	sctx, cancel := context.WithTimeout(ctx, SendTimeout)
	sendErr := w.r.Mail.Send(sctx, ch, mail, "mailing-"+rec.ID())
	cancel()
	rec.Updated = w.now
	switch {
	case sendErr == nil:
		rec.Status, rec.NextAttempt, rec.LastError = people.MailingSent, time.Time{}, ""
		if kind == people.MailingReport {
			res.Reports++
		} else {
			res.Reminders++
		}
		w.r.logger().Info("mail sent", "user", u.ID, "kind", kind, "slot", slot.Key)
	case notify.IsPermanent(sendErr) || rec.Attempts >= MaxAttempts:
		rec.Status, rec.NextAttempt, rec.LastError = people.MailingFailed, time.Time{}, errText(sendErr)
		res.Failed++
		w.r.logger().Error("mail failed; given up", "user", u.ID, "kind", kind, "slot", slot.Key,
			"attempts", rec.Attempts, "error", rec.LastError)
	default:
		rec.Status, rec.LastError = people.MailingRetrying, errText(sendErr)
		rec.NextAttempt = w.now.Add(FirstRetry << (rec.Attempts - 1))
		res.Retrying++
		w.r.logger().Warn("mail failed; will retry", "user", u.ID, "kind", kind, "slot", slot.Key,
			"attempts", rec.Attempts, "retry_at", rec.NextAttempt, "error", rec.LastError)
	}
	if err := w.r.People.UpdateMailing(ctx, rec); err != nil {
		// Sent but not recorded: the hold runs out and another run could send it again. The
		// Message-ID is the same (derived from the record's ID), so mail systems that
		// deduplicate on it drop the repeat.
		return false, err
	}
	return rec.Status.Final(), nil
}

// errText is an error as a mailing record keeps it.
func errText(err error) string {
	s := err.Error()
	if r := []rune(s); len(r) > notify.MaxErrorLen {
		s = string(r[:notify.MaxErrorLen])
	}
	return s
}

// checksOf lists the projects the user belongs to, with their checks and the user's role,
// by project name.
func (w *world) checksOf(ctx context.Context, u *people.User) ([]memberView, error) {
	ms, err := w.r.People.Memberships(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	var out []memberView
	for _, m := range ms {
		pc, ok := w.projects[m.ProjectID]
		if !ok {
			p, err := w.r.Store.Project(ctx, m.ProjectID)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			checks, err := w.r.Store.Checks(ctx, m.ProjectID)
			if err != nil {
				return nil, err
			}
			pc = &projectChecks{project: p, checks: checks}
			w.projects[m.ProjectID] = pc
		}
		out = append(out, memberView{projectChecks: pc, role: m.Role})
	}
	slices.SortFunc(out, func(a, b memberView) int {
		return strings.Compare(strings.ToLower(a.project.Name), strings.ToLower(b.project.Name))
	})
	return out, nil
}

// memberView is a project as one member sees it.
type memberView struct {
	*projectChecks
	role people.Role
}

// status is the check's status at now as the API v3 reports it (without "started"; "unknown"
// while a timeout is held for an outage of ours); a schedule that cannot be evaluated leaves the
// stored status.
func status(c *check.Check, now time.Time) check.Status {
	sched, err := schedule.ForCheck(string(c.Kind), c.Schedule, c.TZ)
	if err != nil {
		return c.Status
	}
	return c.ReportedStatus(now, sched, false)
}

func (r *Reporter) logger() *slog.Logger {
	if r.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Logger
}
