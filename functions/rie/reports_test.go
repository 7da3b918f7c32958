package rie

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/report"
	"github.com/overduehq/overdue/internal/store"
)

// TestReportsUnderEmulator runs the reports bootstrap on its schedule's event (wall-clock time:
// the bootstrap reads the system clock): a member with hourly reminders, whose last reminder was
// an hour's before this one, while "backup" is down, gets one reminder through SES naming it;
// the same event again sends nothing more, and the member's cursor has moved to this hour.
func TestReportsUnderEmulator(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	if err := w.st.Create(ctx, "test", time.Now().UTC()); err != nil { // what migrate's Create does
		t.Fatal(err)
	}
	w.seed(t)
	fn := startEmulator(t, "reports", w.env("reports"))
	event := json.RawMessage(fixture(t, "reports", "scheduled-event.json"))

	now := time.Now().UTC()
	if _, err := w.st.UpdateCheck(ctx, checkID, func(c *check.Check) (store.Change, error) {
		c.Status, c.LastPing = check.StatusDown, now.Add(-3*time.Minute)
		return store.Change{Flip: &check.Flip{CheckID: c.ID, Created: now, Processed: now, OldStatus: check.StatusNew, NewStatus: check.StatusDown}}, nil
	}); err != nil {
		t.Fatal(err)
	}
	u := &people.User{ID: "u0000000-0000-4000-8000-00000000r1e1", Email: w.email, Reports: people.ReportsOff,
		Reminders: people.RemindersHourly, Created: now.Add(-time.Hour)}
	// The reminder of the hour before this one went out: this hour's is owed.
	u.ReminderSlot = report.ReminderSlot(people.RemindersHourly, time.UTC, report.Offset(u.ID), now.Add(-time.Hour)).Key
	if err := w.st.People().CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := w.st.People().SetMembership(ctx, people.Membership{ProjectID: projectID, UserID: u.ID, Role: people.RoleMember, Created: now}); err != nil {
		t.Fatal(err)
	}

	fn.invokeJSON(t, event, nil)
	if got := w.emails(t); len(got) != 1 || got[0] != "Reminder: 1 check is down" {
		t.Fatalf("emails to %s after a run = %q, want one reminder", w.email, got)
	}
	fn.invokeJSON(t, event, nil)
	if got := w.emails(t); len(got) != 1 {
		t.Errorf("emails after a second run = %q, want still the one reminder", got)
	}
	got, err := w.st.People().User(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := report.ReminderSlot(people.RemindersHourly, time.UTC, report.Offset(u.ID), time.Now()).Key; got.ReminderSlot != want {
		t.Errorf("cursor after the runs = %q, want this hour's %q", got.ReminderSlot, want)
	}
	fn.waitContains(t, `"reminders":1`) // the function's log counts the reminder
}
