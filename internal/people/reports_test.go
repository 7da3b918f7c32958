package people

import (
	"testing"
	"time"
)

// TestPeriods: the names Healthchecks uses, in any case; anything else is refused, and a user
// holding it does not validate. Unset periods read as monthly reports and no reminders.
func TestPeriods(t *testing.T) {
	for in, want := range map[string]ReportPeriod{"off": ReportsOff, "Daily": ReportsDaily, " weekly ": ReportsWeekly, "MONTHLY": ReportsMonthly} {
		if got, err := ParseReportPeriod(in); err != nil || got != want {
			t.Errorf("ParseReportPeriod(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "hourly", "yearly"} {
		if _, err := ParseReportPeriod(in); err == nil {
			t.Errorf("ParseReportPeriod(%q) = nil error, want one", in)
		}
	}
	for in, want := range map[string]ReminderPeriod{"off": RemindersOff, "Hourly": RemindersHourly, "daily": RemindersDaily} {
		if got, err := ParseReminderPeriod(in); err != nil || got != want {
			t.Errorf("ParseReminderPeriod(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseReminderPeriod("weekly"); err == nil {
		t.Error("ParseReminderPeriod(weekly) = nil error, want one")
	}
	u := &User{ID: "u1", Email: "a@example.org", Created: time.Now()}
	if u.ReportPeriod() != ReportsMonthly || u.ReminderPeriod() != RemindersOff || u.Location() != time.UTC {
		t.Errorf("an unset user reads %s, %s, %v; want monthly, off, UTC", u.ReportPeriod(), u.ReminderPeriod(), u.Location())
	}
	if err := u.Validate(); err != nil {
		t.Errorf("Validate = %v", err)
	}
	for _, bad := range []*User{{Reports: "Weekly"}, {Reminders: "weekly"}} {
		v := *u
		v.Reports, v.Reminders = bad.Reports, bad.Reminders
		if err := v.Validate(); err == nil {
			t.Errorf("Validate with reports %q, reminders %q = nil, want an error", v.Reports, v.Reminders)
		}
	}
	u.TimeZone = "Pacific/Auckland"
	if got := u.Location().String(); got != "Pacific/Auckland" {
		t.Errorf("Location = %s, want Pacific/Auckland", got)
	}
}

// TestMailingValidate: a mailing needs a user, a slot, a kind and a status.
func TestMailingValidate(t *testing.T) {
	ok := Mailing{UserID: "u1", Kind: MailingReport, Slot: "weekly:2026-12-07", Status: MailingPending}
	if err := ok.Validate(); err != nil || ok.ID() != "u1:report:weekly:2026-12-07" {
		t.Errorf("Validate = %v, ID = %q", err, ok.ID())
	}
	for _, m := range []Mailing{
		{Kind: MailingReport, Slot: "s", Status: MailingSent},
		{UserID: "u1", Kind: MailingReport, Status: MailingSent},
		{UserID: "u1", Kind: "digest", Slot: "s", Status: MailingSent},
		{UserID: "u1", Kind: MailingReminder, Slot: "s", Status: "queued"},
	} {
		if err := m.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil, want an error", m)
		}
	}
	if !MailingSent.Final() || !MailingFailed.Final() || MailingPending.Final() || MailingRetrying.Final() {
		t.Error("Final: want sent and failed final, pending and retrying not")
	}
}
