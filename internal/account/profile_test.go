package account

import (
	"errors"
	"testing"

	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/store"
)

func TestChangePassword(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	u := f.member(t, "ann@example.org", people.RoleOwner)
	here, err := f.svc.StartSession(ctx, u, "laptop")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.StartSession(ctx, u, "phone"); err != nil {
		t.Fatal(err)
	}
	_, link, err := f.svc.ResetPassword(ctx, u.Email)
	if err != nil {
		t.Fatal(err)
	}

	if _, err := f.svc.ChangePassword(ctx, u.ID, "wrong horse", "a new password", here.Session.IDHash); !errors.Is(err, ErrWrongPassword) {
		t.Errorf("wrong current password = %v, want ErrWrongPassword", err)
	}
	if _, err := f.svc.ChangePassword(ctx, u.ID, "a long password", "short", here.Session.IDHash); !errors.Is(err, ErrInvalid) {
		t.Errorf("short new password = %v, want ErrInvalid", err)
	}
	if list, _ := f.svc.People.Sessions(ctx, u.ID, f.now); len(list) != 2 {
		t.Fatalf("refused changes ended sessions: %d left", len(list))
	}
	ended, err := f.svc.ChangePassword(ctx, u.ID, "a long password", "a new password", here.Session.IDHash)
	if err != nil || ended != 1 {
		t.Fatalf("ChangePassword = %d, %v; want 1 session ended", ended, err)
	}
	list, _ := f.svc.People.Sessions(ctx, u.ID, f.now)
	if len(list) != 1 || list[0].IDHash != here.Session.IDHash {
		t.Errorf("sessions after the change: %+v, want only this one", list)
	}
	if _, err := f.svc.SignIn(ctx, u.Email, "a new password", "x", Continue{}); err != nil {
		t.Errorf("sign in with the new password: %v", err)
	}
	if _, err := f.svc.SignIn(ctx, u.Email, "a long password", "x", Continue{}); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("sign in with the old password: %v", err)
	}
	// A set-password link issued before the change would undo it: it no longer works.
	if _, err := f.svc.SetPassword(ctx, link, "an intruder's password"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("old set-password link after the change = %v, want ErrNotFound", err)
	}
}

func TestSetProfile(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	u := f.member(t, "ann@example.org", people.RoleOwner)
	got, err := f.svc.SetProfile(ctx, u.ID, "Ann", "Europe/Kiev")
	if err != nil || got.Name != "Ann" || got.TimeZone != "Europe/Kyiv" {
		t.Fatalf("SetProfile = %+v, %v; want Ann in Europe/Kyiv", got, err)
	}
	for _, tc := range []struct{ name, zone string }{{"Ann", "Local"}, {"Ann", "Mars/Base"}, {"A\x00", "UTC"}} {
		if _, err := f.svc.SetProfile(ctx, u.ID, tc.name, tc.zone); !errors.Is(err, ErrInvalid) {
			t.Errorf("SetProfile(%q, %q) = %v, want ErrInvalid", tc.name, tc.zone, err)
		}
	}
	if _, err := f.svc.SetProfile(ctx, "nobody", "x", ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetProfile(missing user) = %v, want ErrNotFound", err)
	}
}
