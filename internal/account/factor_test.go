package account

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/storetest"
	"github.com/overduehq/overdue/internal/totp"
)

// enrolled makes a user with a password and an authenticator app; it returns the user and the
// app's secret.
func (f *fixture) enrolled(t *testing.T) (*people.User, []byte, []string) {
	t.Helper()
	f.svc.Box = storetest.Box(t)
	c, err := f.svc.CreateUser(t.Context(), NewUser{Email: "alice@example.org", Password: "correct horse"})
	if err != nil {
		t.Fatal(err)
	}
	e, err := f.svc.BeginTOTP(t.Context(), c.User, "")
	if err != nil {
		t.Fatal(err)
	}
	secret, err := totp.Decode(e.Secret)
	if err != nil {
		t.Fatal(err)
	}
	done, err := f.svc.ConfirmTOTP(t.Context(), c.User, e.Token, totp.Code(secret, totp.Step(f.now), totp.Digits))
	if err != nil {
		t.Fatalf("ConfirmTOTP = %v", err)
	}
	if done.Factor.Name != DefaultTOTPName || len(done.RecoveryCodes) != RecoveryCodeCount {
		t.Fatalf("ConfirmTOTP = %+v, want the default name and %d recovery codes", done, RecoveryCodeCount)
	}
	f.now = f.now.Add(time.Minute)
	return c.User, secret, done.RecoveryCodes
}

func TestEnterWithoutFactorsStartsASession(t *testing.T) {
	f := newFixture(t)
	c, err := f.svc.CreateUser(t.Context(), NewUser{Email: "a@example.org", Password: "correct horse"})
	if err != nil {
		t.Fatal(err)
	}
	in, err := f.svc.SignIn(t.Context(), "a@example.org", "correct horse", "test", Continue{Next: "/x/"})
	if err != nil || in.Session == nil || in.SecondStep != nil || in.Token == "" {
		t.Fatalf("SignIn without factors = %+v, %v; want a session", in, err)
	}
	_ = c
}

func TestEnterWithFactorsWaitsForTheSecond(t *testing.T) {
	f := newFixture(t)
	u, secret, _ := f.enrolled(t)
	in, err := f.svc.SignIn(t.Context(), "alice@example.org", "correct horse", "test", Continue{Next: "/checks/", Notice: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	if in.Session != nil || in.Token != "" || in.SecondStep == nil || !in.SecondStep.Expires.Equal(f.now.Add(ChallengeTTL)) {
		t.Fatalf("SignIn with a factor = %+v; want no session, a second step for %v", in, ChallengeTTL)
	}
	if ss, _ := f.st.People().Sessions(t.Context(), u.ID, f.now); len(ss) != 0 {
		t.Errorf("sessions after the password alone = %d, want 0", len(ss))
	}
	p, err := f.svc.PendingSignIn(t.Context(), in.SecondStep.Token)
	if err != nil || !p.TOTP || p.Keys || !p.Recovery || p.User.ID != u.ID {
		t.Errorf("PendingSignIn = %+v, %v; want TOTP and recovery codes", p, err)
	}
	if _, _, err := f.svc.FinishWithCode(t.Context(), in.SecondStep.Token, "000000", "test"); !errors.Is(err, ErrWrongCode) {
		t.Errorf("FinishWithCode(wrong) = %v, want ErrWrongCode", err)
	}
	got, then, err := f.svc.FinishWithCode(t.Context(), in.SecondStep.Token, totp.Code(secret, totp.Step(f.now), totp.Digits), "test")
	if err != nil || got.Session == nil || then.Next != "/checks/" || then.Notice != "hello" {
		t.Fatalf("FinishWithCode = %+v, %+v, %v; want a session and where to go", got, then, err)
	}
	// The pending sign-in is used up.
	if _, err := f.svc.PendingSignIn(t.Context(), in.SecondStep.Token); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("PendingSignIn after finishing = %v, want ErrNotFound", err)
	}
}

// TestCodeAcceptedOnce: of requests carrying one code at once, one signs in.
func TestCodeAcceptedOnce(t *testing.T) {
	f := newFixture(t)
	_, secret, _ := f.enrolled(t)
	code := totp.Code(secret, totp.Step(f.now), totp.Digits)
	const n = 5
	tokens := make([]string, n)
	for i := range tokens {
		in, err := f.svc.SignIn(t.Context(), "alice@example.org", "correct horse", "test", Continue{})
		if err != nil {
			t.Fatal(err)
		}
		tokens[i] = in.SecondStep.Token
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, errs[i] = f.svc.FinishWithCode(t.Context(), tokens[i], code, "test")
		}()
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, ErrCodeUsed):
			t.Errorf("FinishWithCode #%d = %v, want nil or ErrCodeUsed", i, err)
		}
	}
	if won != 1 {
		t.Errorf("%d of %d sign-ins with one code won, want 1", won, n)
	}
}

func TestRecoveryCodes(t *testing.T) {
	f := newFixture(t)
	u, _, codes := f.enrolled(t)
	seen := map[string]bool{}
	for _, c := range codes {
		if len(c) != 19 || strings.Count(c, "-") != 3 || seen[c] {
			t.Errorf("recovery code %q: want 4 groups of 4, all different", c)
		}
		seen[c] = true
	}
	begin := func() string {
		in, err := f.svc.SignIn(t.Context(), "alice@example.org", "correct horse", "test", Continue{})
		if err != nil {
			t.Fatal(err)
		}
		return in.SecondStep.Token
	}
	if _, _, err := f.svc.FinishWithRecoveryCode(t.Context(), begin(), " "+strings.ToUpper(codes[0])+" ", "test"); err != nil {
		t.Errorf("FinishWithRecoveryCode(upper case, spaces) = %v", err)
	}
	if _, _, err := f.svc.FinishWithRecoveryCode(t.Context(), begin(), codes[0], "test"); !errors.Is(err, ErrWrongCode) {
		t.Errorf("FinishWithRecoveryCode(used) = %v, want ErrWrongCode", err)
	}
	if _, n, _ := f.svc.SecondFactors(t.Context(), u.ID); n != RecoveryCodeCount-1 {
		t.Errorf("recovery codes left = %d, want %d", n, RecoveryCodeCount-1)
	}
	// The store holds hashes, bound to the user: the code itself is nowhere.
	if recoveryHash(u.ID, codes[1]) == recoveryHash("someone else", codes[1]) {
		t.Errorf("a recovery code hashes alike for two users")
	}
}

func TestRemoveFactor(t *testing.T) {
	f := newFixture(t)
	u, secret, codes := f.enrolled(t)
	fs, _, _ := f.svc.SecondFactors(t.Context(), u.ID)
	if err := f.svc.RemoveFactor(t.Context(), u, fs[0].ID, "", ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("RemoveFactor(no proof) = %v, want ErrInvalid", err)
	}
	if err := f.svc.RemoveFactor(t.Context(), u, fs[0].ID, "wrong password", ""); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("RemoveFactor(wrong password) = %v, want ErrBadCredentials", err)
	}
	if err := f.svc.RemoveFactor(t.Context(), u, fs[0].ID, "", "111111"); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("RemoveFactor(wrong code) = %v, want ErrBadCredentials", err)
	}
	if err := f.svc.RemoveFactor(t.Context(), u, fs[0].ID, "", totp.Code(secret, totp.Step(f.now), totp.Digits)); err != nil {
		t.Fatalf("RemoveFactor(current code) = %v", err)
	}
	fs, left, _ := f.svc.SecondFactors(t.Context(), u.ID)
	if len(fs) != 0 || left != 0 {
		t.Errorf("after removing the last factor: %d factors, %d recovery codes; want none", len(fs), left)
	}
	_ = codes
	in, err := f.svc.SignIn(t.Context(), "alice@example.org", "correct horse", "test", Continue{})
	if err != nil || in.Session == nil {
		t.Errorf("SignIn after removing every factor = %+v, %v; want a session", in, err)
	}
}

func TestRemoveSecondFactors(t *testing.T) {
	f := newFixture(t)
	u, _, _ := f.enrolled(t)
	n, err := f.svc.RemoveSecondFactors(t.Context(), u.ID)
	if err != nil || n != 1 {
		t.Fatalf("RemoveSecondFactors = %d, %v; want 1", n, err)
	}
	fs, left, _ := f.svc.SecondFactors(t.Context(), u.ID)
	if len(fs) != 0 || left != 0 {
		t.Errorf("after RemoveSecondFactors: %d factors, %d codes", len(fs), left)
	}
}

func TestTOTPEnrolmentExpires(t *testing.T) {
	f := newFixture(t)
	f.svc.Box = storetest.Box(t)
	c, err := f.svc.CreateUser(t.Context(), NewUser{Email: "a@example.org", Password: "correct horse"})
	if err != nil {
		t.Fatal(err)
	}
	e, err := f.svc.BeginTOTP(t.Context(), c.User, strings.Repeat("n", people.MaxFactorNameLen+1))
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("BeginTOTP(long name) = %+v, %v; want ErrInvalid", e, err)
	}
	e, err = f.svc.BeginTOTP(t.Context(), c.User, "Phone")
	if err != nil {
		t.Fatal(err)
	}
	secret, _ := totp.Decode(e.Secret)
	f.now = f.now.Add(ChallengeTTL)
	if _, err := f.svc.ConfirmTOTP(t.Context(), c.User, e.Token, totp.Code(secret, totp.Step(f.now), totp.Digits)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ConfirmTOTP after %v = %v, want ErrNotFound", ChallengeTTL, err)
	}
}

func TestNoBoxNoTOTP(t *testing.T) {
	f := newFixture(t)
	c, err := f.svc.CreateUser(t.Context(), NewUser{Email: "a@example.org", Password: "correct horse"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.BeginTOTP(t.Context(), c.User, ""); !errors.Is(err, ErrNoBox) {
		t.Errorf("BeginTOTP without a box = %v, want ErrNoBox", err)
	}
}
