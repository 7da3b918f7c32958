package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/overduehq/overdue/internal/account"
	"github.com/overduehq/overdue/internal/people"
)

// The account API, an Overdue extension: a person reads and changes their own settings (name,
// time zone, email reports and reminders), authenticated by a personal API token. Healthchecks
// has these on its account page only.

// accountJSON is a person's settings as the API shows them. reports and reminders are always
// a period's name: a person who never chose reports gets "monthly", Healthchecks' default.
type accountJSON struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	Name      string `json:"name"`
	TZ        string `json:"tz"`
	Reports   string `json:"reports"`
	Reminders string `json:"reminders"`
}

func renderAccount(u *people.User) accountJSON {
	tz := u.TimeZone
	if tz == "" {
		tz = "UTC"
	}
	return accountJSON{ID: u.ID, Email: u.Email, Name: u.Name, TZ: tz,
		Reports: string(u.ReportPeriod()), Reminders: string(u.ReminderPeriod())}
}

// accountFields are the members POST /api/v3/account/ accepts.
var accountFields = []string{"name", "tz", "reports", "reminders"}

// handleGetAccount serves GET /api/v3/account/: the caller's settings.
func (s *Server) handleGetAccount(w http.ResponseWriter, r *http.Request, _ int) {
	c, err := s.authorizeUser(r.Context(), r, "", needView)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, renderAccount(c.user))
}

// handleUpdateAccount serves POST /api/v3/account/ {"name", "tz", "reports", "reminders"}: any
// of them, each a string; reports off, daily, weekly or monthly; reminders off, hourly or daily;
// tz an IANA zone name. Nothing is written unless every member is valid; the answer is the
// settings as they are now.
func (s *Server) handleUpdateAccount(w http.ResponseWriter, r *http.Request, _ int) {
	ctx := r.Context()
	body, err := readJSONObject(r)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	c, err := s.authorizeUser(ctx, r, "", needView)
	if err != nil {
		s.writeAPIError(w, r, err)
		return
	}
	var set account.Settings
	for name, raw := range body {
		if !slices.Contains(accountFields, name) {
			s.writeAPIError(w, r, validationError(fmt.Sprintf("%q is not a setting; send any of %s", name, strings.Join(accountFields, ", "))))
			return
		}
		v, ok := jsonString(raw)
		if !ok {
			s.writeAPIError(w, r, validationError(name+" is not a string"))
			return
		}
		switch name {
		case "name":
			set.Name = &v
		case "tz":
			set.TimeZone = &v
		case "reports":
			set.Reports = &v
		case "reminders":
			set.Reminders = &v
		}
	}
	u, err := s.accounts.UpdateSettings(ctx, c.user.ID, set)
	if errors.Is(err, account.ErrInvalid) {
		s.writeAPIError(w, r, invalidRequest(err))
		return
	}
	if err != nil {
		s.writeAPIError(w, r, fmt.Errorf("update account: %w", err))
		return
	}
	s.log.InfoContext(ctx, "account settings updated", "user", u.ID)
	writeJSON(w, http.StatusOK, renderAccount(u))
}
