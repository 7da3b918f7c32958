package httpapi

import (
	"encoding/json"
	"testing"
)

// TestAccountSettings: a person reads their settings (monthly reports and no reminders until
// they choose, UTC without a zone), changes any of them, and gets a 400 saying what is wrong for
// a bad period, an unknown zone, an unknown member or a value that is not a string, with
// nothing written.
func TestAccountSettings(t *testing.T) {
	f := newPeopleFixture(t)
	member := []string{"Authorization", "Bearer " + f.tokens[cMember]}
	get := func() accountJSON {
		t.Helper()
		rec := f.do("GET", "/api/v3/account/", "", member...)
		var a accountJSON
		if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &a) != nil {
			t.Fatalf("GET /api/v3/account/ = %d %s", rec.Code, rec.Body)
		}
		return a
	}
	u := f.users[cMember]
	want := accountJSON{ID: u.ID, Email: u.Email, Name: u.Name, TZ: "UTC", Reports: "monthly", Reminders: "off"}
	if got := get(); got != want {
		t.Errorf("GET /api/v3/account/ = %+v, want %+v", got, want)
	}

	rec := f.do("POST", "/api/v3/account/", `{"tz":"Pacific/Auckland","reports":"Weekly","reminders":"hourly"}`, member...)
	want.TZ, want.Reports, want.Reminders = "Pacific/Auckland", "weekly", "hourly"
	var got accountJSON
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &got) != nil || got != want {
		t.Errorf("POST /api/v3/account/ = %d %s, want 200 %+v", rec.Code, rec.Body, want)
	}
	if got := get(); got != want {
		t.Errorf("GET after POST = %+v, want %+v", got, want)
	}
	// Another person's settings are their own.
	if other := f.users[cOwner]; other != nil {
		rec := f.do("GET", "/api/v3/account/", "", "Authorization", "Bearer "+f.tokens[cOwner])
		var a accountJSON
		if json.Unmarshal(rec.Body.Bytes(), &a) != nil || a.Email != other.Email || a.Reports != "monthly" {
			t.Errorf("the owner's settings = %s, want their own, untouched", rec.Body)
		}
	}

	for _, tc := range []struct{ body, msg string }{
		{`{"reports":"fortnightly","tz":"UTC"}`, `reports "fortnightly" is not one of off, daily, weekly, monthly`},
		{`{"reminders":"weekly"}`, `reminders "weekly" is not one of off, hourly, daily`},
		{`{"tz":"Mars/Olympus_Mons","reports":"off"}`, `time zone "Mars/Olympus_Mons" is not one the zone database knows: write an IANA name such as Europe/Riga, or UTC`},
		{`{"email":"x@example.org"}`, `json validation error: "email" is not a setting; send any of name, tz, reports, reminders`},
		{`{"reports":1}`, "json validation error: reports is not a string"},
		{`[]`, ""},
	} {
		rec := f.do("POST", "/api/v3/account/", tc.body, member...)
		if rec.Code != 400 {
			t.Errorf("POST %s = %d %s, want 400", tc.body, rec.Code, rec.Body)
			continue
		}
		if tc.msg != "" {
			wantError(t, rec, 400, tc.msg)
		}
	}
	if got := get(); got != want {
		t.Errorf("after refused POSTs = %+v, want %+v unchanged", got, want)
	}
	// A project key is not a person.
	if rec := f.do("GET", "/api/v3/account/", "", "X-Api-Key", keyA); rec.Code != 401 {
		t.Errorf("GET /api/v3/account/ with a project key = %d %s, want 401", rec.Code, rec.Body)
	}
}
