package peopletest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/store"
)

// testUserSettings: UpdateUser writes the periods and the reporter's cursors, keeps what it
// does not own (email, name, zone, password hash, creation), returns fn's error as is without writing,
// refuses what Validate refuses, and is ErrNotFound for a missing user. A user created with
// settings keeps them; one created without reads monthly reports and no reminders.
func testUserSettings(t *testing.T, s Stores) {
	ctx := t.Context()
	u := newUser(1, t0)
	createUser(t, s, u)
	if got, _ := s.People.User(ctx, u.ID); got == nil || got.ReportPeriod() != people.ReportsMonthly || got.ReminderPeriod() != people.RemindersOff {
		t.Fatalf("a new user's periods = %v; want monthly reports, no reminders", got)
	}
	got, err := s.People.UpdateUser(ctx, u.ID, func(v *people.User) error {
		v.Reports, v.Reminders = people.ReportsWeekly, people.RemindersHourly
		v.ReportSlot, v.ReminderSlot = "weekly:2026-12-07", "hourly:2026-12-07T09Z"
		// Not UpdateUser's to change:
		v.Email, v.Name, v.TimeZone, v.PasswordHash, v.Created = "thief@example.org", "Renamed", "Pacific/Auckland", "stolen", t0.Add(time.Hour)
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateUser = %v", err)
	}
	want := storedUser(u)
	want.Reports, want.Reminders = people.ReportsWeekly, people.RemindersHourly
	want.ReportSlot, want.ReminderSlot = "weekly:2026-12-07", "hourly:2026-12-07T09Z"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("UpdateUser's result mismatch (-want +got):\n%s", diff)
	}
	for what, load := range map[string]func() (*people.User, error){
		"User":        func() (*people.User, error) { return s.People.User(ctx, u.ID) },
		"UserByEmail": func() (*people.User, error) { return s.People.UserByEmail(ctx, u.Email) },
		"Users": func() (*people.User, error) {
			all, err := s.People.Users(ctx)
			if err != nil || len(all) != 1 {
				return nil, fmt.Errorf("%d users, %v", len(all), err)
			}
			return all[0], nil
		},
	} {
		got, err := load()
		if err != nil {
			t.Fatalf("%s after UpdateUser = %v", what, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s after UpdateUser mismatch (-want +got):\n%s", what, diff)
		}
	}

	// A password and a profile set meanwhile survive a later update, and the periods go back
	// to unset.
	if err := s.People.SetPasswordHash(ctx, u.ID, "new-hash"); err != nil {
		t.Fatal(err)
	}
	if err := s.People.SetProfile(ctx, u.ID, "Renamed", "Pacific/Auckland"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.People.UpdateUser(ctx, u.ID, func(v *people.User) error {
		v.Reports, v.Reminders, v.ReportSlot, v.ReminderSlot = "", "", "", ""
		return nil
	}); err != nil {
		t.Fatalf("UpdateUser to unset = %v", err)
	}
	want.PasswordHash, want.Name, want.TimeZone = "new-hash", "Renamed", "Pacific/Auckland"
	want.Reports, want.Reminders, want.ReportSlot, want.ReminderSlot = "", "", "", ""
	if got, err := s.People.User(ctx, u.ID); err != nil || !cmp.Equal(want, got) {
		t.Errorf("User after unsetting = %v, %v; want %+v (-want +got):\n%s", got, err, want, cmp.Diff(want, got))
	}

	boom := errors.New("boom")
	_, err = s.People.UpdateUser(ctx, u.ID, func(v *people.User) error { v.Reports = people.ReportsDaily; return boom })
	wantErr(t, "UpdateUser with fn failing", err, boom)
	_, err = s.People.UpdateUser(ctx, u.ID, func(v *people.User) error { v.Reports = "fortnightly"; return nil })
	if err == nil {
		t.Error("UpdateUser with reports fortnightly = nil, want an error")
	}
	if got, _ := s.People.User(ctx, u.ID); got == nil || got.Reports != "" {
		t.Errorf("after refused updates the user is %+v, want it unchanged", got)
	}
	_, err = s.People.UpdateUser(ctx, userID(99), func(*people.User) error { return nil })
	wantErr(t, "UpdateUser(missing)", err, store.ErrNotFound)

	withSettings := newUser(2, t0)
	withSettings.Reports, withSettings.Reminders = people.ReportsOff, people.RemindersDaily
	createUser(t, s, withSettings)
	if got, err := s.People.User(ctx, withSettings.ID); err != nil || got.Reports != people.ReportsOff || got.Reminders != people.RemindersDaily {
		t.Errorf("a user created with settings reads %+v, %v; want reports off, daily reminders", got, err)
	}
}

// testConcurrentUserUpdates: updates at once from several writers are all kept, none lost to
// another's write of what it read.
func testConcurrentUserUpdates(t *testing.T, s Stores) {
	u := newUser(1, t0)
	createUser(t, s, u)
	const n = 6
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.People.UpdateUser(t.Context(), u.ID, func(v *people.User) error {
				v.ReportSlot += fmt.Sprintf("<%d>", i)
				return nil
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("UpdateUser #%d = %v", i, err)
		}
	}
	got, err := s.People.User(t.Context(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if !strings.Contains(got.ReportSlot, fmt.Sprintf("<%d>", i)) {
			t.Errorf("cursor after %d concurrent updates = %q: update %d was lost", n, got.ReportSlot, i)
		}
	}
}

func mailing(userID string, slot string) *people.Mailing {
	return &people.Mailing{UserID: userID, Kind: people.MailingReport, Slot: slot, Status: people.MailingPending,
		Attempts: 1, NextAttempt: t0.Add(2 * time.Minute), Created: t0, Updated: t0}
}

// testMailings: a mailing is claimed once per user, kind and slot; the loser gets the stored
// record; updates are conditional on the version.
func testMailings(t *testing.T, s Stores) {
	ctx := t.Context()
	u := newUser(1, t0)
	createUser(t, s, u)
	m := mailing(u.ID, "weekly:2026-12-07")
	ok, existing, err := s.People.ClaimMailing(ctx, m)
	if !ok || existing != nil || err != nil || m.Version != 1 {
		t.Fatalf("first ClaimMailing = %v, %v, %v, version %d; want claimed, version 1", ok, existing, err, m.Version)
	}
	stored := *m
	stored.Created, stored.Updated, stored.NextAttempt = tr(m.Created), tr(m.Updated), tr(m.NextAttempt)
	ok, existing, err = s.People.ClaimMailing(ctx, mailing(u.ID, "weekly:2026-12-07"))
	if ok || err != nil {
		t.Fatalf("second ClaimMailing = %v, %v; want not claimed", ok, err)
	}
	if diff := cmp.Diff(&stored, existing); diff != "" {
		t.Errorf("second ClaimMailing's existing record mismatch (-want +got):\n%s", diff)
	}
	// Another kind, slot or user is another record.
	reminder := mailing(u.ID, "weekly:2026-12-07")
	reminder.Kind = people.MailingReminder
	other := newUser(2, t0)
	createUser(t, s, other)
	for _, m := range []*people.Mailing{reminder, mailing(u.ID, "weekly:2026-12-14"), mailing(other.ID, "weekly:2026-12-07")} {
		if ok, _, err := s.People.ClaimMailing(ctx, m); !ok || err != nil {
			t.Errorf("ClaimMailing(%s) = %v, %v; want claimed", m.ID(), ok, err)
		}
	}

	// Sent: version 2; the same version again is stale.
	sent := *existing
	sent.Status, sent.NextAttempt, sent.Updated = people.MailingSent, time.Time{}, t0.Add(time.Minute)
	if err := s.People.UpdateMailing(ctx, &sent); err != nil || sent.Version != 2 {
		t.Fatalf("UpdateMailing = %v, version %d; want nil, 2", err, sent.Version)
	}
	stale := *existing
	stale.Status, stale.LastError = people.MailingRetrying, "SMTP: 451 try later"
	wantErr(t, "UpdateMailing with a stale version", s.People.UpdateMailing(ctx, &stale), store.ErrConflict)
	_, got, _ := s.People.ClaimMailing(ctx, mailing(u.ID, "weekly:2026-12-07"))
	want := sent
	want.Updated = tr(sent.Updated)
	if diff := cmp.Diff(&want, got); diff != "" {
		t.Errorf("record after UpdateMailing mismatch (-want +got):\n%s", diff)
	}
	missing := mailing(u.ID, "monthly:2026-12")
	missing.Version = 1
	wantErr(t, "UpdateMailing(missing)", s.People.UpdateMailing(ctx, missing), store.ErrNotFound)
	bad := mailing(u.ID, "")
	if ok, _, err := s.People.ClaimMailing(ctx, bad); ok || err == nil {
		t.Errorf("ClaimMailing without a slot = %v, %v; want an error", ok, err)
	}
}

// testConcurrentMailingClaims: of many claims of one slot at once, exactly one wins.
func testConcurrentMailingClaims(t *testing.T, s Stores) {
	u := newUser(1, t0)
	createUser(t, s, u)
	const n = 8
	won := make([]bool, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			won[i], _, errs[i] = s.People.ClaimMailing(t.Context(), mailing(u.ID, "daily:2026-12-07"))
		}()
	}
	wg.Wait()
	winners := 0
	for i := range n {
		if errs[i] != nil {
			t.Errorf("ClaimMailing #%d = %v", i, errs[i])
		}
		if won[i] {
			winners++
		}
	}
	if winners != 1 {
		t.Errorf("%d of %d concurrent claims of one slot won, want exactly 1", winners, n)
	}
}
