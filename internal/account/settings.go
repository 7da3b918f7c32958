package account

import (
	"context"
	"fmt"

	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/schedule"
)

// Settings is what a person may change about themselves through the account API and `overdue
// user settings`: the display name, the time zone (of the pages, and of reports and
// reminders), and how often reports and reminders come. A nil field stays as it is.
type Settings struct {
	Name      *string
	TimeZone  *string
	Reports   *string
	Reminders *string
}

// Check validates every field of set: ErrInvalid saying what to fix. The zone comes back under
// its current name (as SetProfile stores it), "" for UTC.
func (set Settings) Check() (zone string, reports people.ReportPeriod, reminders people.ReminderPeriod, err error) {
	if set.Name != nil {
		if err := people.ValidateName(*set.Name); err != nil {
			return "", "", "", invalid(err)
		}
	}
	if set.TimeZone != nil && *set.TimeZone != "" {
		if zone, err = schedule.CanonicalZone(*set.TimeZone); err != nil {
			return "", "", "", invalid(fmt.Errorf("time zone %q is not one the zone database knows: write an IANA name such as Europe/Riga, or UTC", *set.TimeZone))
		}
	}
	if set.Reports != nil {
		if reports, err = people.ParseReportPeriod(*set.Reports); err != nil {
			return "", "", "", invalid(err)
		}
	}
	if set.Reminders != nil {
		if reminders, err = people.ParseReminderPeriod(*set.Reminders); err != nil {
			return "", "", "", invalid(err)
		}
	}
	return zone, reports, reminders, nil
}

// UpdateSettings checks every field of set first (ErrInvalid, and nothing written), then
// applies them: the name and zone as SetProfile does, the periods through UpdateUser. A new
// report or reminder period takes effect at its next slot: the first report of a new period is
// the next whole period's, as in Healthchecks. store.ErrNotFound if the user is missing.
func (s *Service) UpdateSettings(ctx context.Context, userID string, set Settings) (*people.User, error) {
	zone, reports, reminders, err := set.Check()
	if err != nil {
		return nil, err
	}
	if set.Name != nil || set.TimeZone != nil {
		u, err := s.People.User(ctx, userID)
		if err != nil {
			return nil, err
		}
		name, tz := u.Name, u.TimeZone
		if set.Name != nil {
			name = *set.Name
		}
		if set.TimeZone != nil {
			tz = zone
		}
		if err := s.People.SetProfile(ctx, userID, name, tz); err != nil {
			return nil, fmt.Errorf("update settings of user %s: %w", userID, err)
		}
	}
	if set.Reports != nil || set.Reminders != nil {
		_, err := s.People.UpdateUser(ctx, userID, func(u *people.User) error {
			if set.Reports != nil {
				u.Reports = reports
			}
			if set.Reminders != nil {
				u.Reminders = reminders
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("update settings of user %s: %w", userID, err)
		}
	}
	return s.People.User(ctx, userID)
}
