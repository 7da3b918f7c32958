package report_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/notify"
	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/report"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/dynamo"
	"github.com/overduehq/overdue/internal/store/dynamo/dynamotest"
	"github.com/overduehq/overdue/internal/store/sqlite"
)

// stores are the two stores the tests run on: SQLite, and DynamoDB on moto. On moto the clock
// takes longer steps over a shorter span, so that the shared emulator stays free enough for the
// other packages' tests.
var stores = []struct {
	name string
	open func(t *testing.T) (store.Store, store.People)
	step time.Duration
}{
	{"sqlite", func(t *testing.T) (store.Store, store.People) {
		st, err := sqlite.Open(filepath.Join(t.TempDir(), "overdue.db"), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st, st.People()
	}, 15 * time.Minute},
	{"dynamodb", func(t *testing.T) (store.Store, store.People) {
		db := dynamotest.Client(t)
		st := dynamo.New(db, dynamotest.ReadyTable(t, db, "overdue-report"), store.Options{})
		return st, st.People()
	}, time.Hour},
}

// sent is one message the outbox accepted.
type sent struct {
	to, subject, text, html, id string
	at                          time.Time
}

// outbox is a recording email transport on the test's clock. fail, when set, decides each
// send's failure by recipient, delivery ID and attempt (1 for the first send of that ID).
type outbox struct {
	mu       sync.Mutex
	now      func() time.Time
	sent     []sent
	attempts map[string]int
	fail     func(to, id string, attempt int) error
}

func (o *outbox) Send(_ context.Context, ch *check.Channel, m *notify.Message, id string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.attempts == nil {
		o.attempts = map[string]int{}
	}
	o.attempts[id]++
	if o.fail != nil {
		if err := o.fail(ch.Value, id, o.attempts[id]); err != nil {
			return err
		}
	}
	o.sent = append(o.sent, sent{to: ch.Value, subject: m.Subject, text: m.Text, html: m.HTML, id: id, at: o.now()})
	return nil
}

// to lists what went to one address, in order.
func (o *outbox) to(addr string) []sent {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []sent
	for _, s := range o.sent {
		if s.to == addr {
			out = append(out, s)
		}
	}
	return out
}

// clock is the tests' shared clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// fixture is a project with two checks, and people in it.
type fixture struct {
	st     store.Store
	ppl    store.People
	clock  *clock
	out    *outbox
	proj   *check.Project
	backup *check.Check // went down in November for three hours
	sync   *check.Check
}

func newFixture(t *testing.T, st store.Store, ppl store.People, start time.Time) *fixture {
	ctx := t.Context()
	f := &fixture{st: st, ppl: ppl, clock: &clock{t: start}}
	f.out = &outbox{now: f.clock.Now}
	f.proj = &check.Project{ID: "p0000000-0000-4000-8000-000000000001", Name: "Backups", Created: start,
		APIKeyHash: check.HashKey("hcw_report_test"), BadgeKey: "reportbadge"}
	if err := st.CreateProject(ctx, f.proj); err != nil {
		t.Fatal(err)
	}
	created := start.AddDate(0, -2, 0)
	for i, name := range []string{"backup", "sync"} {
		c := check.New(fmt.Sprintf("c0000000-0000-4000-8000-00000000000%d", i+1), f.proj.ID, created)
		c.Name, c.Timeout = name, 90*24*time.Hour // never late in these tests, unless made down
		c.Status, c.LastPing = check.StatusUp, start
		if err := st.CreateCheck(ctx, c); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			f.backup = c
		} else {
			f.sync = c
		}
	}
	return f
}

// person creates a member of the project with the settings.
func (f *fixture) person(t *testing.T, n int, tz string, reports people.ReportPeriod, reminders people.ReminderPeriod, role people.Role) *people.User {
	t.Helper()
	u := &people.User{ID: fmt.Sprintf("u0000000-0000-4000-8000-%012d", n), Email: fmt.Sprintf("person%d@example.org", n),
		TimeZone: tz, Reports: reports, Reminders: reminders, Created: f.clock.Now()}
	if err := f.ppl.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	if err := f.ppl.SetMembership(t.Context(), people.Membership{ProjectID: f.proj.ID, UserID: u.ID, Role: role, Created: f.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	return u
}

// flip records the check going to status at: the check's status and a flip, as a ping or the
// sweep would write them.
func (f *fixture) flip(t *testing.T, c *check.Check, to check.Status, at time.Time) {
	t.Helper()
	_, err := f.st.UpdateCheck(t.Context(), c.ID, func(c *check.Check) (store.Change, error) {
		fl := &check.Flip{CheckID: c.ID, Created: at, Processed: at, OldStatus: c.Status, NewStatus: to}
		c.Status = to
		if to == check.StatusUp {
			c.LastPing = at
		}
		return store.Change{Flip: fl}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) reporter() *report.Reporter {
	return &report.Reporter{Store: f.st, People: f.ppl, Mail: f.out, SiteRoot: "https://overdue.example.org", Now: f.clock.Now}
}

// run steps the clock from its time to until, and at each step runs two reporters at once (two
// sweeps, or two function instances, overlapping): every slot must still go out once.
func (f *fixture) run(t *testing.T, until time.Time, step time.Duration, at func(now time.Time)) {
	t.Helper()
	a, b := f.reporter(), f.reporter()
	for now := f.clock.Now(); !now.After(until); now = now.Add(step) {
		f.clock.Set(now)
		if at != nil {
			at(now)
		}
		var wg sync.WaitGroup
		var errA, errB error
		wg.Add(2)
		go func() { defer wg.Done(); _, errA = a.Run(t.Context()) }()
		go func() { defer wg.Done(); _, errB = b.Run(t.Context()) }()
		wg.Wait()
		if err := errors.Join(errA, errB); err != nil {
			t.Fatalf("Run at %v: %v", now, err)
		}
	}
}

// slotsOf is the slots of the mail a person got (from the delivery IDs), in order.
func slotsOf(mail []sent) []string {
	var out []string
	for _, m := range mail {
		_, slot, _ := strings.Cut(strings.TrimPrefix(m.id, "mailing-"), ":")
		_, slot, _ = strings.Cut(slot, ":")
		out = append(out, slot)
	}
	return out
}

// TestReportsOncePerPeriodInTheirZone: over six weeks of a fixed clock, with two reporters
// running at every step, each person gets exactly one report per period, between 09:00 and
// 11:00 on their own clock (plus a step): daily across the end of daylight saving time in New
// York (1 Nov 2026), weekly on Monday in Auckland while it is still Sunday in New York, monthly
// on the 1st in Riga; and none with reports off. The first report is the first whole period's
// after the person is first seen, as Healthchecks schedules it.
func TestReportsOncePerPeriodInTheirZone(t *testing.T) {
	for _, sc := range stores {
		t.Run(sc.name, func(t *testing.T) {
			st, ppl := sc.open(t)
			start, until := time.Date(2026, 10, 29, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 8, 12, 0, 0, 0, time.UTC)
			if sc.name == "dynamodb" {
				start = time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
			}
			f := newFixture(t, st, ppl, start)
			auckland := f.person(t, 1, "Pacific/Auckland", people.ReportsWeekly, people.RemindersOff, people.RoleOwner)
			newYork := f.person(t, 2, "America/New_York", people.ReportsWeekly, people.RemindersOff, people.RoleMember)
			daily := f.person(t, 3, "America/New_York", people.ReportsDaily, people.RemindersOff, people.RoleMember)
			monthly := f.person(t, 4, "Europe/Riga", "", people.RemindersOff, people.RoleReadOnly) // "": the default, monthly
			off := f.person(t, 5, "UTC", people.ReportsOff, people.RemindersOff, people.RoleMember)
			// backup was down for three hours on 10 November.
			down, up := time.Date(2026, 11, 10, 10, 0, 0, 0, time.UTC), time.Date(2026, 11, 10, 13, 0, 0, 0, time.UTC)
			flipped := false
			var aucklandFirst, newYorkFirst time.Time
			f.run(t, until, sc.step, func(now time.Time) {
				if !flipped && !now.Before(up) {
					f.flip(t, f.backup, check.StatusDown, down)
					f.flip(t, f.backup, check.StatusUp, up)
					flipped = true
				}
				// Monday 7 December, noon in Auckland, is Sunday 6 December, 18:00 in New York:
				// what went out before this step is what the runs up to 11:00 in Auckland sent.
				if now.Equal(time.Date(2026, 12, 6, 23, 0, 0, 0, time.UTC)) {
					aucklandFirst, newYorkFirst = lastAt(f.out.to(auckland.Email)), lastAt(f.out.to(newYork.Email))
				}
			})

			weeks := []string{"weekly:2026-11-30", "weekly:2026-12-07"}
			if sc.name == "sqlite" {
				weeks = append([]string{"weekly:2026-11-02", "weekly:2026-11-09", "weekly:2026-11-16", "weekly:2026-11-23"}, weeks...)
			}
			// In New York the first morning after the start is the start's UTC date's, the last
			// the 7th (the run ends at 07:00 on the 8th there).
			var days []string
			for d := start; d.Before(time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC)); d = d.AddDate(0, 0, 1) {
				days = append(days, "daily:"+d.Format("2006-01-02"))
			}
			months := []string{"monthly:2026-12"}
			if sc.name == "sqlite" {
				months = append([]string{"monthly:2026-11"}, months...)
			}
			for _, tc := range []struct {
				u    *people.User
				want []string
			}{
				{auckland, weeks}, {newYork, weeks}, {daily, days}, {monthly, months}, {off, nil},
			} {
				mail := f.out.to(tc.u.Email)
				if got := slotsOf(mail); !slices.Equal(got, tc.want) {
					t.Errorf("%s (%s, %s) got reports for %v, want %v", tc.u.Email, tc.u.TimeZone, tc.u.ReportPeriod(), got, tc.want)
				}
				loc, _ := time.LoadLocation(tc.u.TimeZone)
				for _, m := range mail {
					local := m.at.In(loc)
					from := time.Date(local.Year(), local.Month(), local.Day(), 9, 0, 0, 0, loc)
					if local.Before(from) || !local.Before(from.Add(2*time.Hour+sc.step)) {
						t.Errorf("%s's report %s went out at %v local, want between 09:00 and 11:00 (+ a step)", tc.u.Email, m.id, local)
					}
					switch tc.u.ReportPeriod() {
					case people.ReportsWeekly:
						if local.Weekday() != time.Monday {
							t.Errorf("%s's weekly report went out on a %v (%v local), want Monday", tc.u.Email, local.Weekday(), local)
						}
					case people.ReportsMonthly:
						if local.Day() != 1 {
							t.Errorf("%s's monthly report went out on the %d. (%v local), want the 1st", tc.u.Email, local.Day(), local)
						}
					}
				}
			}
			if aucklandFirst.IsZero() || aucklandFirst.Before(time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC)) {
				t.Errorf("by Monday 11:00 in Auckland, its last report went out at %v, want that Monday's", aucklandFirst)
			}
			if !newYorkFirst.Before(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) {
				t.Errorf("on Sunday in New York, its last report went out at %v, want the week before's", newYorkFirst)
			}

			// Riga's December report covers November, when backup was down once for three
			// hours; the read-only member sees no check IDs.
			if mail := f.out.to(monthly.Email); len(mail) > 0 {
				m := mail[len(mail)-1]
				for _, want := range []string{"Monthly report", "November 2026 (Europe/Riga)", "backup", "down once, 3 hours", "sync", "all 2 up",
					"https://overdue.example.org/projects/" + f.proj.ID + "/checks/"} {
					if !strings.Contains(m.subject+"\n"+m.text, want) {
						t.Errorf("monthly report lacks %q:\nSubject: %s\n%s", want, m.subject, m.text)
					}
				}
				if !strings.Contains(m.html, "down once, 3 hours") || strings.Contains(m.text+m.html, f.backup.ID) {
					t.Errorf("monthly report's HTML lacks the downtime, or a check ID shows:\n%s", m.html)
				}
			}
		})
	}
}

// lastAt is when the last of the mail went out; zero for none.
func lastAt(mail []sent) time.Time {
	if len(mail) == 0 {
		return time.Time{}
	}
	return mail[len(mail)-1].at
}

// TestRemindersWhileDown: hourly reminders go out at the person's minute of each hour while a
// check is down and list only what is down; daily ones in their morning; none once it is up.
func TestRemindersWhileDown(t *testing.T) {
	for _, sc := range stores {
		t.Run(sc.name, func(t *testing.T) {
			st, ppl := sc.open(t)
			start := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
			f := newFixture(t, st, ppl, start)
			hourly := f.person(t, 1, "UTC", people.ReportsOff, people.RemindersHourly, people.RoleMember)
			daily := f.person(t, 2, "Asia/Kolkata", people.ReportsOff, people.RemindersDaily, people.RoleMember)
			none := f.person(t, 3, "UTC", people.ReportsOff, people.RemindersOff, people.RoleMember)
			down, up := time.Date(2026, 12, 7, 2, 30, 0, 0, time.UTC), time.Date(2026, 12, 8, 6, 10, 0, 0, time.UTC)
			step := 5 * time.Minute
			if sc.name == "dynamodb" {
				step = 20 * time.Minute
			}
			// The flips are written at the first step at or after their time, when the
			// reporters would first see them.
			wentDown, cameUp := time.Time{}, time.Time{}
			f.run(t, time.Date(2026, 12, 9, 12, 0, 0, 0, time.UTC), step, func(now time.Time) {
				switch {
				case wentDown.IsZero() && !now.Before(down):
					f.flip(t, f.backup, check.StatusDown, down)
					wentDown = now
				case cameUp.IsZero() && !now.Before(up):
					f.flip(t, f.backup, check.StatusUp, up)
					cameUp = now
				}
			})
			// An hour's reminder goes out at the first step at or after its due minute, if the
			// check is down then.
			off := report.Offset(hourly.ID) % time.Hour
			var wantHours []string
			for h := down.Truncate(time.Hour); h.Before(up); h = h.Add(time.Hour) {
				at := start.Add((h.Add(off).Sub(start) + step - 1) / step * step)
				if !at.Before(wentDown) && at.Before(cameUp) {
					wantHours = append(wantHours, "hourly:"+h.Format("2006-01-02T15Z"))
				}
			}
			if len(wantHours) < 20 {
				t.Fatalf("the check is down for %v; want at least 20 hourly slots, got %v", up.Sub(down), wantHours)
			}
			if got := slotsOf(f.out.to(hourly.Email)); !slices.Equal(got, wantHours) {
				t.Errorf("hourly reminders for %v, want %v (down %v to %v, minute %v)", got, wantHours, down, up, off)
			}
			for _, m := range f.out.to(hourly.Email) {
				if !strings.Contains(m.text, "backup") || strings.Contains(m.text, "sync") || m.subject != "Reminder: 1 check is down" {
					t.Errorf("reminder %q lists:\n%s\nwant backup alone", m.subject, m.text)
				}
			}
			// In Kolkata (UTC+5:30) the mornings of the 7th and the 8th (03:30–05:30 UTC) came
			// while the check was down, the 9th's after it was up; the run started after the
			// 6th's, which it does not catch up on.
			if got := slotsOf(f.out.to(daily.Email)); !slices.Equal(got, []string{"daily:2026-12-07", "daily:2026-12-08"}) {
				t.Errorf("daily reminders for %v, want [daily:2026-12-07 daily:2026-12-08]", got)
			}
			if got := f.out.to(none.Email); len(got) != 0 {
				t.Errorf("%d reminders with reminders off", len(got))
			}
		})
	}
}

// TestFailedSendRetried: a send that fails transiently is tried again on a later run, with
// back-off, and goes out once; one that fails permanently is not tried again, and the next
// period's goes out as usual.
func TestFailedSendRetried(t *testing.T) {
	st, ppl := stores[0].open(t)
	start := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	f := newFixture(t, st, ppl, start)
	flaky := f.person(t, 1, "UTC", people.ReportsDaily, people.RemindersOff, people.RoleMember)
	bounced := f.person(t, 2, "UTC", people.ReportsDaily, people.RemindersOff, people.RoleMember)
	f.out.fail = func(to, id string, attempt int) error {
		switch {
		case to == flaky.Email && attempt <= 2:
			return errors.New("SMTP DATA: 451 try again later")
		case to == bounced.Email && strings.HasSuffix(id, "daily:2026-12-06"):
			return notify.Permanent(errors.New("SMTP RCPT TO: 550 no such mailbox"))
		}
		return nil
	}
	f.run(t, time.Date(2026, 12, 8, 12, 0, 0, 0, time.UTC), time.Minute, nil)
	if got := slotsOf(f.out.to(flaky.Email)); !slices.Equal(got, []string{"daily:2026-12-06", "daily:2026-12-07", "daily:2026-12-08"}) {
		t.Errorf("with two transient failures each, reports for %v; want each day's once", got)
	}
	if n := f.out.attempts["mailing-"+people.MailingID(flaky.ID, people.MailingReport, "daily:2026-12-06")]; n != 3 {
		t.Errorf("the flaky report was tried %d times, want 3", n)
	}
	if got := slotsOf(f.out.to(bounced.Email)); !slices.Equal(got, []string{"daily:2026-12-07", "daily:2026-12-08"}) {
		t.Errorf("after a permanent failure on the 6th, reports for %v; want the 7th's and the 8th's", got)
	}
	if n := f.out.attempts["mailing-"+people.MailingID(bounced.ID, people.MailingReport, "daily:2026-12-06")]; n != 1 {
		t.Errorf("the bounced report was tried %d times, want 1", n)
	}
	// The first retry came a minute after the failure, the second two minutes after that.
	mail := f.out.to(flaky.Email)
	first := report.ReportSlot(people.ReportsDaily, time.UTC, report.Offset(flaky.ID), time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)).Due
	if len(mail) > 0 && !mail[0].at.Equal(first.Add(3*time.Minute)) {
		t.Errorf("the flaky report went out at %v, want %v (due %v, retries after 1 and 2 min)", mail[0].at, first.Add(3*time.Minute), first)
	}
}
