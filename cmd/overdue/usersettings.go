package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/overduehq/overdue/internal/account"
	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/store"
)

// settingsOutput is a user's settings as `overdue user settings --json` prints them: the
// fields of GET /api/v3/account/.
type settingsOutput struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	Name      string `json:"name"`
	TZ        string `json:"tz"`
	Reports   string `json:"reports"`
	Reminders string `json:"reminders"`
}

// cmdUserSettings is `overdue user settings --email E [--name N] [--tz ZONE] [--reports
// off|daily|weekly|monthly] [--reminders off|hourly|daily] [--json]`: the user's settings, after
// changing the ones given (all are checked before anything is written).
func cmdUserSettings(ctx context.Context, args []string, stdout, _ io.Writer) error {
	fs := newFlags("user settings")
	stf := addStoreFlags(fs)
	email := fs.String("email", "", "the user's email address (required)")
	name := fs.String("name", "", "set the display name")
	tz := fs.String("tz", "", "set the time zone of reports and reminders, an IANA name such as Europe/Riga")
	reports := fs.String("reports", "", "set how often the email report comes: off, daily, weekly or monthly")
	reminders := fs.String("reminders", "", "set how often a reminder comes while a check is down: off, hourly or daily")
	asJSON := fs.Bool("json", false, "print the settings as JSON")
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return err
	}
	if err := noPositional(fs, pos); err != nil {
		return err
	}
	if *email == "" {
		return usagef("user settings: --email is required")
	}
	norm, err := people.NormalizeEmail(*email)
	if err != nil {
		return usagef("user settings: --email: %s", err)
	}
	var set account.Settings
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "name":
			set.Name = name
		case "tz":
			set.TimeZone = tz
		case "reports":
			set.Reports = reports
		case "reminders":
			set.Reminders = reminders
		}
	})
	// The values are checked before the store is opened, so that a refused command leaves
	// nothing behind.
	if _, _, _, err := set.Check(); err != nil {
		return usagef("user settings: %s", strings.TrimPrefix(err.Error(), account.ErrInvalid.Error()+": "))
	}
	if err := stf.requireDatabase(fs.Name()); err != nil {
		return err
	}
	st, err := stf.open(ctx, fs.Name())
	if err != nil {
		return err
	}
	defer st.Close()
	svc, err := accounts(st)
	if err != nil {
		return err
	}
	u, err := svc.People.UserByEmail(ctx, norm)
	if errors.Is(err, store.ErrNotFound) {
		return usagef("user settings: --email %s: no such user (list them with overdue user list)", norm)
	}
	if err != nil {
		return err
	}
	if set != (account.Settings{}) {
		if u, err = svc.UpdateSettings(ctx, u.ID, set); err != nil {
			return err
		}
	}
	out := settingsOutput{ID: u.ID, Email: u.Email, Name: u.Name, TZ: u.TimeZone,
		Reports: string(u.ReportPeriod()), Reminders: string(u.ReminderPeriod())}
	if out.TZ == "" {
		out.TZ = "UTC"
	}
	if *asJSON {
		return writeJSON(stdout, out)
	}
	fmt.Fprintf(stdout, "%s  %q  time zone %s  reports %s  reminders %s\n", out.Email, out.Name, out.TZ, out.Reports, out.Reminders)
	return nil
}
