package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/account"
	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/sqlite"
)

func runStdin(stdin string, args ...string) (int, string, string) {
	var stdout, stderr strings.Builder
	code := runIO(context.Background(), args, strings.NewReader(stdin), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// TestUserCommands walks the commands for people on one data directory: an owner created with a
// password from standard input, a user created without one (a set-password link), the lists,
// and a reset link that works exactly once against the store.
func TestUserCommands(t *testing.T) {
	data := t.TempDir()
	_, out, _ := runIn("project", "create", "--data", data, "--name", "Ops", "--json")
	var p projectOutput
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}

	code, out, stderr := runStdin("correct horse battery\n", "user", "create", "--data", data, "--email", "Alice@Example.org",
		"--name", "Alice", "--password-stdin", "--project", p.ID, "--role", "owner", "--json")
	if code != 0 {
		t.Fatalf("user create: exit %d, %s", code, stderr)
	}
	if strings.Contains(out+stderr, "correct horse") {
		t.Errorf("the password was printed: %q %q", out, stderr)
	}
	var alice userOutput
	if err := json.Unmarshal([]byte(out), &alice); err != nil {
		t.Fatal(err)
	}
	if alice.Email != "alice@example.org" || !alice.HasPassword || alice.SetPasswordURL != "" ||
		len(alice.Projects) != 1 || alice.Projects[0].Role != "owner" {
		t.Errorf("user create = %+v; want alice, normalised, with a password, owner of %s, no link", alice, p.ID)
	}

	code, out, stderr = runIn("user", "create", "--data", data, "--email", "bob@example.org", "--site-root", "https://overdue.example.org/")
	if code != 0 {
		t.Fatalf("user create bob: exit %d, %s", code, stderr)
	}
	const prefix = "https://overdue.example.org/accounts/set-password/"
	i := strings.Index(out, prefix)
	if i < 0 || !strings.Contains(out, "within 24 hours") {
		t.Fatalf("user create without a password printed %q, want a set-password link under --site-root", out)
	}
	bobToken := strings.TrimSuffix(strings.Fields(out[i+len(prefix):])[0], "/")

	code, _, stderr = runIn("user", "create", "--data", data, "--email", "BOB@example.org")
	if code != exitUsage || !strings.Contains(stderr, "a user with this email exists") {
		t.Errorf("user create with a taken email: exit %d, %q; want 2 and why", code, stderr)
	}

	code, out, stderr = runIn("user", "list", "--data", data, "--json")
	if code != 0 {
		t.Fatalf("user list: exit %d, %s", code, stderr)
	}
	var list struct{ Users []userOutput }
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Users) != 2 || list.Users[0].Email != "alice@example.org" || list.Users[1].Email != "bob@example.org" ||
		list.Users[1].HasPassword || len(list.Users[1].Projects) != 0 {
		t.Errorf("user list = %+v; want alice then bob, bob without password or projects", list.Users)
	}

	code, out, stderr = runIn("project", "members", "--data", data, "--project", p.ID, "--json")
	if code != 0 {
		t.Fatalf("project members: exit %d, %s", code, stderr)
	}
	var members struct{ Members []membershipOutput }
	if err := json.Unmarshal([]byte(out), &members); err != nil {
		t.Fatal(err)
	}
	if len(members.Members) != 1 || members.Members[0].Email != "alice@example.org" || members.Members[0].Role != "owner" {
		t.Errorf("project members = %+v; want alice, owner", members.Members)
	}

	code, out, stderr = runIn("user", "reset-password", "--data", data, "--email", "ALICE@example.org")
	if code != 0 || !strings.Contains(stderr, "assumes http://127.0.0.1:8000") {
		t.Fatalf("user reset-password: exit %d, %q %q", code, out, stderr)
	}
	i = strings.Index(out, "/accounts/set-password/")
	aliceToken := strings.TrimSuffix(strings.Fields(out[i+len("/accounts/set-password/"):])[0], "/")

	// The links work once each, against the store the commands wrote.
	st, err := sqlite.Open(filepath.Join(data, dbName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := &account.Service{People: st.People(), Projects: st, Now: func() time.Time { return time.Now().UTC() },
		Rand: rand.Reader, Params: account.Argon2Params{Time: 1, Memory: 64, Threads: 1, SaltLen: 16, KeyLen: 32}}
	ctx := t.Context()
	for _, tok := range []string{bobToken, aliceToken} {
		set, err := svc.SetPassword(ctx, tok, "a brand new password")
		if err != nil {
			t.Fatalf("SetPassword with a printed link = %v", err)
		}
		u := set.User
		if err := account.VerifyPassword(u.PasswordHash, "a brand new password"); err != nil {
			t.Errorf("after the link, %s's password = %v", u.Email, err)
		}
		if _, err := svc.SetPassword(ctx, tok, "yet another password"); err == nil {
			t.Errorf("a printed link worked twice")
		}
	}
}

// TestResetPasswordRemovesSecondFactors: a reset link alone leaves a user's second factors (and
// says so); --remove-second-factors removes them and the recovery codes, for a user who lost them.
func TestResetPasswordRemovesSecondFactors(t *testing.T) {
	data := t.TempDir()
	code, _, stderr := runStdin("correct horse battery\n", "user", "create", "--data", data, "--email", "alice@example.org", "--password-stdin")
	if code != 0 {
		t.Fatalf("user create: exit %d, %s", code, stderr)
	}
	st, err := sqlite.Open(filepath.Join(data, dbName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	u, err := st.People().UserByEmail(ctx, "alice@example.org")
	if err != nil {
		t.Fatal(err)
	}
	f := &people.SecondFactor{ID: "f1", UserID: u.ID, Kind: people.FactorWebAuthn, Name: "key", Public: []byte(`{}`), Created: time.Now()}
	if err := st.People().CreateSecondFactor(ctx, f); err != nil {
		t.Fatal(err)
	}
	if err := st.People().SetRecoveryCodes(ctx, u.ID, []string{"h1", "h2"}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	left := func() (int, int) {
		st, err := sqlite.Open(filepath.Join(data, dbName), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		fs, _ := st.People().SecondFactors(ctx, u.ID)
		n, _ := st.People().RecoveryCodesLeft(ctx, u.ID)
		return len(fs), n
	}

	code, out, stderr := runIn("user", "reset-password", "--data", data, "--email", "alice@example.org")
	if code != 0 || !strings.Contains(out, "alice@example.org has 1 second factor: signing in after the link still asks for one") {
		t.Errorf("reset-password without the flag: exit %d, %q %q", code, out, stderr)
	}
	if fs, codes := left(); fs != 1 || codes != 2 {
		t.Errorf("after reset-password without the flag: %d factors, %d codes; want both kept", fs, codes)
	}
	code, out, stderr = runIn("user", "reset-password", "--data", data, "--email", "alice@example.org", "--remove-second-factors")
	if code != 0 || !strings.Contains(out, "Removed 1 second factor of alice@example.org, and the recovery codes") ||
		!strings.Contains(out, "/accounts/set-password/") {
		t.Errorf("reset-password --remove-second-factors: exit %d, %q %q", code, out, stderr)
	}
	if fs, codes := left(); fs != 0 || codes != 0 {
		t.Errorf("after --remove-second-factors: %d factors, %d codes; want none", fs, codes)
	}
}
