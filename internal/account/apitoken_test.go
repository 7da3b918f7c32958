package account

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestAPITokenLifecycle(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	c, err := f.svc.CreateUser(ctx, NewUser{Email: "alice@example.org", Password: "correct horse"})
	if err != nil {
		t.Fatal(err)
	}
	uid := c.User.ID

	if _, _, err := f.svc.CreateAPIToken(ctx, uid, "  "); !errors.Is(err, ErrInvalid) {
		t.Errorf("CreateAPIToken(blank name) = %v, want ErrInvalid", err)
	}
	if _, _, err := f.svc.CreateAPIToken(ctx, "no-such-user", "ci"); err == nil {
		t.Errorf("CreateAPIToken(unknown user) = nil error")
	}
	tok, rec, err := f.svc.CreateAPIToken(ctx, uid, " terraform ")
	if err != nil {
		t.Fatalf("CreateAPIToken = %v", err)
	}
	if !LooksLikeAPIToken(tok) || rec.Name != "terraform" || rec.Hash != HashToken(tok) || strings.Contains(rec.Hash, tok[4:]) {
		t.Errorf("CreateAPIToken = %q, %+v: want an odp_ token, the trimmed name and only its hash stored", tok, rec)
	}

	// First use records the time; a use within TouchInterval does not write again.
	f.now = t0.Add(time.Hour)
	got, u, err := f.svc.AuthenticateAPIToken(ctx, tok)
	if err != nil || u.ID != uid || got.ID != rec.ID {
		t.Fatalf("AuthenticateAPIToken = %+v, %+v, %v", got, u, err)
	}
	f.now = t0.Add(time.Hour + 30*time.Second)
	if _, _, err := f.svc.AuthenticateAPIToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	list, _ := f.st.People().APITokens(ctx, uid)
	if len(list) != 1 || !list[0].LastUsed.Equal(t0.Add(time.Hour)) {
		t.Errorf("after two uses 30 s apart, LastUsed = %v, want the first use %v", list[0].LastUsed, t0.Add(time.Hour))
	}
	f.now = t0.Add(time.Hour + 2*time.Minute)
	if _, _, err := f.svc.AuthenticateAPIToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	list, _ = f.st.People().APITokens(ctx, uid)
	if !list[0].LastUsed.Equal(f.now) {
		t.Errorf("LastUsed = %v, want %v after a use two minutes later", list[0].LastUsed, f.now)
	}

	for _, bad := range []string{"", "odp_", tok + "x", tok[:len(tok)-1] + "!", "hcw_" + tok[4:], strings.Replace(tok, tok[10:11], "Q", 1) + ""} {
		if bad == tok {
			continue
		}
		if _, _, err := f.svc.AuthenticateAPIToken(ctx, bad); !errors.Is(err, ErrBadToken) {
			t.Errorf("AuthenticateAPIToken(%q) = %v, want ErrBadToken", bad, err)
		}
	}
	if err := f.st.People().RevokeAPIToken(ctx, uid, rec.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.AuthenticateAPIToken(ctx, tok); !errors.Is(err, ErrBadToken) {
		t.Errorf("AuthenticateAPIToken(revoked) = %v, want ErrBadToken", err)
	}
}
