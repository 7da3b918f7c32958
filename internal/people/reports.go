package people

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ReportPeriod is how often a user gets the email report on their projects' checks:
// Healthchecks' Profile.reports, with its names.
type ReportPeriod string

// The report periods. A report goes out between 09:00 and 11:00 in the user's time zone: every
// day (daily), on Mondays (weekly) or on the 1st of the month (monthly), as in Healthchecks.
const (
	ReportsOff     ReportPeriod = "off"
	ReportsDaily   ReportPeriod = "daily"
	ReportsWeekly  ReportPeriod = "weekly"
	ReportsMonthly ReportPeriod = "monthly"
)

// DefaultReports is the period of a user who never chose one: monthly, Healthchecks' default.
const DefaultReports = ReportsMonthly

// ParseReportPeriod accepts off, daily, weekly or monthly, in any case.
func ParseReportPeriod(s string) (ReportPeriod, error) {
	switch p := ReportPeriod(strings.ToLower(strings.TrimSpace(s))); p {
	case ReportsOff, ReportsDaily, ReportsWeekly, ReportsMonthly:
		return p, nil
	}
	return "", fmt.Errorf("reports %q is not one of off, daily, weekly, monthly", s)
}

// ReminderPeriod is how often a user is reminded by email while a check of theirs is down:
// Healthchecks' Profile.nag_period (off, one hour, one day), by name.
type ReminderPeriod string

// The reminder periods.
const (
	RemindersOff    ReminderPeriod = "off"
	RemindersHourly ReminderPeriod = "hourly"
	RemindersDaily  ReminderPeriod = "daily"
)

// ParseReminderPeriod accepts off, hourly or daily, in any case.
func ParseReminderPeriod(s string) (ReminderPeriod, error) {
	switch p := ReminderPeriod(strings.ToLower(strings.TrimSpace(s))); p {
	case RemindersOff, RemindersHourly, RemindersDaily:
		return p, nil
	}
	return "", fmt.Errorf("reminders %q is not one of off, hourly, daily", s)
}

// ReportPeriod is the user's report period: Reports, or DefaultReports when unset.
func (u *User) ReportPeriod() ReportPeriod {
	if u.Reports == "" {
		return DefaultReports
	}
	return u.Reports
}

// ReminderPeriod is the user's reminder period: Reminders, or RemindersOff when unset.
func (u *User) ReminderPeriod() ReminderPeriod {
	if u.Reminders == "" {
		return RemindersOff
	}
	return u.Reminders
}

// Location is the user's time zone, UTC when unset or unknown to this build (the zone was
// validated when it was set).
func (u *User) Location() *time.Location {
	if u.TimeZone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(u.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// MailingKind is what a Mailing sends.
type MailingKind string

// The kinds of mailing.
const (
	MailingReport   MailingKind = "report"
	MailingReminder MailingKind = "reminder"
)

// MailingStatus is where a Mailing stands.
type MailingStatus string

// The mailing statuses. Sent and failed are final: nothing is sent for the slot again.
const (
	// MailingPending: a sender holds it until NextAttempt; past that, it died and the mail is
	// due again.
	MailingPending MailingStatus = "pending"
	// MailingRetrying: the last send failed transiently; the next is due at NextAttempt.
	MailingRetrying MailingStatus = "retrying"
	// MailingSent: the mail transport accepted the message.
	MailingSent MailingStatus = "sent"
	// MailingFailed: a permanent failure, or every attempt failed. Not retried.
	MailingFailed MailingStatus = "failed"
)

// Final reports whether nothing follows s.
func (s MailingStatus) Final() bool { return s == MailingSent || s == MailingFailed }

// Mailing records one report or reminder owed to a user for one slot (a report period, an
// hour or a day of reminders): the idempotent record that makes it go out once. Its ID is the
// user, the kind and the slot, so whoever deals with the slot a second time (a retried or a
// concurrent sweep) arrives at the same record and finds it taken.
type Mailing struct {
	UserID string
	Kind   MailingKind
	// Slot names the period, as the reporter keys it (e.g. "weekly:2026-12-07").
	Slot   string
	Status MailingStatus
	// Attempts counts the sends started, including one in progress.
	Attempts int
	// NextAttempt is when a pending mailing's hold ends or a retrying one is due; zero when
	// final.
	NextAttempt time.Time
	LastError   string
	Created     time.Time
	Updated     time.Time
	// Version is the record's write count: a claim stores 1, every update adds 1, and an
	// update is conditional on it, so two senders never both take one mailing.
	Version int
}

// ID is the record's deterministic ID.
func (m *Mailing) ID() string { return MailingID(m.UserID, m.Kind, m.Slot) }

// MailingID is the ID of the mailing of kind to the user for the slot.
func MailingID(userID string, kind MailingKind, slot string) string {
	return userID + ":" + string(kind) + ":" + slot
}

// Validate checks a mailing before it is stored.
func (m *Mailing) Validate() error {
	switch {
	case m.UserID == "" || m.Slot == "":
		return errors.New("mailing needs a user and a slot")
	case m.Kind != MailingReport && m.Kind != MailingReminder:
		return fmt.Errorf("mailing kind %q is not report or reminder", m.Kind)
	}
	switch m.Status {
	case MailingPending, MailingRetrying, MailingSent, MailingFailed:
		return nil
	}
	return fmt.Errorf("mailing status %q is not pending, retrying, sent or failed", m.Status)
}

// MailingRetention is how long a mailing record is kept after its creation: past its slot and
// any retry of it, long enough that a cursor put back by a restore finds the record.
const MailingRetention = 100 * 24 * time.Hour
