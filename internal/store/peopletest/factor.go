package peopletest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/store"
)

func factorID(n int) string { return fmt.Sprintf("f0000000-0000-4000-8000-%012d", n) }

func testSecondFactors(t *testing.T, s Stores) {
	ctx := t.Context()
	u, other := newUser(1, t0), newUser(2, t0)
	createUser(t, s, u)
	createUser(t, s, other)
	if got, err := s.People.SecondFactors(ctx, u.ID); err != nil || len(got) != 0 {
		t.Errorf("SecondFactors(no factors) = %v, %v; want none", got, err)
	}
	totp := &people.SecondFactor{ID: factorID(1), UserID: u.ID, Kind: people.FactorTOTP, Name: "Phone",
		Secret: []byte("ov-sealed:1:abcd:sealed-bytes"), Counter: 59000000, Created: t0.Add(time.Minute)}
	key := &people.SecondFactor{ID: factorID(2), UserID: u.ID, Kind: people.FactorWebAuthn, Name: "YubiKey",
		Public: []byte{0, 1, 2, 0xff, 0xfe}, Created: t0}
	theirs := &people.SecondFactor{ID: factorID(3), UserID: other.ID, Kind: people.FactorTOTP, Name: "",
		Secret: []byte{9}, Created: t0}
	for _, f := range []*people.SecondFactor{totp, key, theirs} {
		if err := s.People.CreateSecondFactor(ctx, f); err != nil {
			t.Fatalf("CreateSecondFactor(%s) = %v", f.ID, err)
		}
	}
	wantErr(t, "CreateSecondFactor(same ID)", s.People.CreateSecondFactor(ctx, totp), store.ErrConflict)
	orphan := *theirs
	orphan.ID, orphan.UserID = factorID(4), userID(99)
	wantErr(t, "CreateSecondFactor(missing user)", s.People.CreateSecondFactor(ctx, &orphan), store.ErrNotFound)
	bad := *key
	bad.ID, bad.Secret = factorID(5), []byte{1}
	if err := s.People.CreateSecondFactor(ctx, &bad); err == nil {
		t.Error("CreateSecondFactor(WebAuthn with a secret) = nil, want the validation error")
	}

	stored := func(f *people.SecondFactor) *people.SecondFactor {
		c := *f
		c.Created = tr(c.Created)
		return &c
	}
	got, err := s.People.SecondFactors(ctx, u.ID)
	if err != nil {
		t.Fatalf("SecondFactors = %v", err)
	}
	if diff := cmp.Diff([]*people.SecondFactor{stored(key), stored(totp)}, got); diff != "" {
		t.Errorf("SecondFactors, oldest first (-want +got):\n%s", diff)
	}

	// The counter only rises.
	if err := s.People.AdvanceSecondFactor(ctx, u.ID, totp.ID, totp.Counter+1); err != nil {
		t.Errorf("AdvanceSecondFactor(+1) = %v", err)
	}
	wantErr(t, "AdvanceSecondFactor(same step again)", s.People.AdvanceSecondFactor(ctx, u.ID, totp.ID, totp.Counter+1), store.ErrConflict)
	wantErr(t, "AdvanceSecondFactor(older step)", s.People.AdvanceSecondFactor(ctx, u.ID, totp.ID, totp.Counter), store.ErrConflict)
	wantErr(t, "AdvanceSecondFactor(another user's factor)", s.People.AdvanceSecondFactor(ctx, other.ID, totp.ID, totp.Counter+5), store.ErrNotFound)
	wantErr(t, "AdvanceSecondFactor(no such factor)", s.People.AdvanceSecondFactor(ctx, u.ID, factorID(9), 1), store.ErrNotFound)
	if err := s.People.AdvanceSecondFactor(ctx, u.ID, key.ID, 1); err != nil {
		t.Errorf("AdvanceSecondFactor(key from 0 to 1) = %v", err)
	}
	got, err = s.People.SecondFactors(ctx, u.ID)
	if err != nil || len(got) != 2 || got[0].Counter != 1 || got[1].Counter != totp.Counter+1 {
		t.Errorf("SecondFactors after advancing = %+v, %v; want counters 1 and %d", got, err, totp.Counter+1)
	}

	// Deleting takes the user's factor only.
	wantErr(t, "DeleteSecondFactor(another user's factor)", s.People.DeleteSecondFactor(ctx, other.ID, totp.ID), store.ErrNotFound)
	if err := s.People.DeleteSecondFactor(ctx, u.ID, totp.ID); err != nil {
		t.Fatalf("DeleteSecondFactor = %v", err)
	}
	wantErr(t, "DeleteSecondFactor(again)", s.People.DeleteSecondFactor(ctx, u.ID, totp.ID), store.ErrNotFound)
	wantErr(t, "AdvanceSecondFactor(deleted)", s.People.AdvanceSecondFactor(ctx, u.ID, totp.ID, totp.Counter+9), store.ErrNotFound)
	if got, err := s.People.SecondFactors(ctx, u.ID); err != nil || len(got) != 1 || got[0].ID != key.ID {
		t.Errorf("SecondFactors after deleting = %+v, %v; want the key alone", got, err)
	}
	if got, err := s.People.SecondFactors(ctx, other.ID); err != nil || len(got) != 1 || got[0].ID != theirs.ID {
		t.Errorf("SecondFactors(other user) = %+v, %v; want theirs, untouched", got, err)
	}
}

// testConcurrentFactorUse: one TOTP code presented by many requests at once is accepted once.
func testConcurrentFactorUse(t *testing.T, s Stores) {
	u := newUser(1, t0)
	createUser(t, s, u)
	f := &people.SecondFactor{ID: factorID(1), UserID: u.ID, Kind: people.FactorTOTP, Secret: []byte{1}, Counter: 100, Created: t0}
	if err := s.People.CreateSecondFactor(t.Context(), f); err != nil {
		t.Fatal(err)
	}
	const n = 6
	won := race(t, n, func(int) error { return s.People.AdvanceSecondFactor(t.Context(), u.ID, f.ID, 101) }, store.ErrConflict)
	if won != 1 {
		t.Errorf("%d of %d concurrent uses of one code won, want exactly 1", won, n)
	}
}

// race runs fn n times at once and counts the calls that succeeded; every other call must fail
// with loser.
func race(t *testing.T, n int, fn func(i int) error, loser error) int {
	t.Helper()
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn(i)
		}()
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, loser):
			t.Errorf("call #%d = %v, want nil or %v", i, err, loser)
		}
	}
	return won
}

func testRecoveryCodes(t *testing.T, s Stores) {
	ctx := t.Context()
	u, other := newUser(1, t0), newUser(2, t0)
	createUser(t, s, u)
	createUser(t, s, other)
	left := func(user string, want int) {
		t.Helper()
		if n, err := s.People.RecoveryCodesLeft(ctx, user); err != nil || n != want {
			t.Errorf("RecoveryCodesLeft = %d, %v; want %d", n, err, want)
		}
	}
	left(u.ID, 0)
	var first []string
	for i := range 10 {
		first = append(first, fmt.Sprintf("hash-code-%02d", i))
	}
	if err := s.People.SetRecoveryCodes(ctx, u.ID, first); err != nil {
		t.Fatalf("SetRecoveryCodes = %v", err)
	}
	if err := s.People.SetRecoveryCodes(ctx, other.ID, []string{"hash-code-00", "hash-theirs"}); err != nil {
		t.Fatalf("SetRecoveryCodes(other) = %v", err)
	}
	left(u.ID, 10)
	if err := s.People.UseRecoveryCode(ctx, u.ID, "hash-code-03"); err != nil {
		t.Errorf("UseRecoveryCode = %v", err)
	}
	wantErr(t, "UseRecoveryCode(used)", s.People.UseRecoveryCode(ctx, u.ID, "hash-code-03"), store.ErrNotFound)
	wantErr(t, "UseRecoveryCode(unknown)", s.People.UseRecoveryCode(ctx, u.ID, "hash-nothing"), store.ErrNotFound)
	wantErr(t, "UseRecoveryCode(another user's)", s.People.UseRecoveryCode(ctx, u.ID, "hash-theirs"), store.ErrNotFound)
	left(u.ID, 9)
	left(other.ID, 2)
	// The hashes left, sorted, the user's alone: what an export carries.
	want := slices.Concat(first[:3], first[4:])
	if got, err := s.People.RecoveryCodes(ctx, u.ID); err != nil || !slices.Equal(got, want) {
		t.Errorf("RecoveryCodes = %q, %v; want %q", got, err, want)
	}
	if got, err := s.People.RecoveryCodes(ctx, "no-such-user"); err != nil || len(got) != 0 {
		t.Errorf("RecoveryCodes(no user) = %q, %v; want none", got, err)
	}

	// Of many requests with one code at once, one gets in.
	won := race(t, 6, func(int) error { return s.People.UseRecoveryCode(ctx, u.ID, "hash-code-07") }, store.ErrNotFound)
	if won != 1 {
		t.Errorf("%d of 6 concurrent uses of one recovery code won, want exactly 1", won)
	}
	left(u.ID, 8)

	// New codes replace every old one.
	if err := s.People.SetRecoveryCodes(ctx, u.ID, []string{"hash-new-1", "hash-new-2"}); err != nil {
		t.Fatalf("SetRecoveryCodes(again) = %v", err)
	}
	left(u.ID, 2)
	wantErr(t, "UseRecoveryCode(replaced)", s.People.UseRecoveryCode(ctx, u.ID, "hash-code-00"), store.ErrNotFound)
	if err := s.People.UseRecoveryCode(ctx, u.ID, "hash-new-2"); err != nil {
		t.Errorf("UseRecoveryCode(new) = %v", err)
	}
	if err := s.People.SetRecoveryCodes(ctx, u.ID, nil); err != nil {
		t.Fatalf("SetRecoveryCodes(none) = %v", err)
	}
	left(u.ID, 0)
	if err := s.People.UseRecoveryCode(ctx, other.ID, "hash-code-00"); err != nil {
		t.Errorf("UseRecoveryCode(other user's code, untouched) = %v", err)
	}
}

func testChallenges(t *testing.T, s Stores) {
	ctx := t.Context()
	u := newUser(1, t0)
	createUser(t, s, u)
	c := &people.Challenge{IDHash: "hash-challenge-1", UserID: u.ID, Purpose: people.ChallengeSignIn,
		Data: []byte(`{"next":"/"}`), Created: t0, Expires: t0.Add(5 * time.Minute)}
	if err := s.People.CreateChallenge(ctx, c); err != nil {
		t.Fatalf("CreateChallenge = %v", err)
	}
	wantErr(t, "CreateChallenge(same hash)", s.People.CreateChallenge(ctx, c), store.ErrConflict)
	want := *c
	want.Created, want.Expires = tr(c.Created), tr(c.Expires)
	got, err := s.People.Challenge(ctx, c.IDHash, t0.Add(time.Minute))
	if err != nil {
		t.Fatalf("Challenge = %v", err)
	}
	if diff := cmp.Diff(&want, got); diff != "" {
		t.Errorf("Challenge mismatch (-want +got):\n%s", diff)
	}
	_, err = s.People.Challenge(ctx, c.IDHash, c.Expires)
	wantErr(t, "Challenge(expired)", err, store.ErrNotFound)
	_, err = s.People.ConsumeChallenge(ctx, c.IDHash, c.Expires.Add(time.Second))
	wantErr(t, "ConsumeChallenge(expired)", err, store.ErrNotFound)

	won := race(t, 6, func(int) error {
		got, err := s.People.ConsumeChallenge(ctx, c.IDHash, t0.Add(time.Minute))
		if err == nil && !cmp.Equal(&want, got) {
			return fmt.Errorf("ConsumeChallenge = %+v, want %+v", got, &want)
		}
		return err
	}, store.ErrNotFound)
	if won != 1 {
		t.Errorf("%d of 6 concurrent consumptions of one challenge won, want exactly 1", won)
	}
	_, err = s.People.Challenge(ctx, c.IDHash, t0.Add(time.Minute))
	wantErr(t, "Challenge(consumed)", err, store.ErrNotFound)

	// A challenge without data (a TOTP enrolment's data is never empty, but the store does not care).
	empty := &people.Challenge{IDHash: "hash-challenge-2", UserID: u.ID, Purpose: people.ChallengeWebAuthn,
		Created: t0, Expires: t0.Add(time.Minute)}
	if err := s.People.CreateChallenge(ctx, empty); err != nil {
		t.Fatalf("CreateChallenge(no data) = %v", err)
	}
	if got, err := s.People.ConsumeChallenge(ctx, empty.IDHash, t0); err != nil || len(got.Data) != 0 || got.Purpose != people.ChallengeWebAuthn {
		t.Errorf("ConsumeChallenge(no data) = %+v, %v", got, err)
	}
}

// testConcurrentRecoveryCodes: two new sets of codes asked for at once (two tabs) leave exactly
// one of them, whole: never twenty codes, never a mix.
func testConcurrentRecoveryCodes(t *testing.T, s Stores) {
	ctx := t.Context()
	u := newUser(1, t0)
	createUser(t, s, u)
	set := func(prefix string) []string {
		var out []string
		for i := range 10 {
			out = append(out, fmt.Sprintf("%s-%02d", prefix, i))
		}
		return out
	}
	if err := s.People.SetRecoveryCodes(ctx, u.ID, set("hash-old")); err != nil {
		t.Fatal(err)
	}
	for round := range 4 {
		a, b := set(fmt.Sprintf("hash-a%d", round)), set(fmt.Sprintf("hash-b%d", round))
		var wg sync.WaitGroup
		var errA, errB error
		wg.Go(func() { errA = s.People.SetRecoveryCodes(ctx, u.ID, a) })
		wg.Go(func() { errB = s.People.SetRecoveryCodes(ctx, u.ID, b) })
		wg.Wait()
		if errA != nil || errB != nil {
			t.Fatalf("round %d: SetRecoveryCodes = %v, %v", round, errA, errB)
		}
		if n, err := s.People.RecoveryCodesLeft(ctx, u.ID); err != nil || n != 10 {
			t.Fatalf("round %d: %d codes left (%v), want one set of 10", round, n, err)
		}
		usedA := s.People.UseRecoveryCode(ctx, u.ID, a[0]) == nil
		usedB := s.People.UseRecoveryCode(ctx, u.ID, b[0]) == nil
		if usedA == usedB {
			t.Fatalf("round %d: first code of set a usable %v, of set b %v: want exactly one set", round, usedA, usedB)
		}
	}
}

// testUserWithFactors: a user comes with its factors and codes in one write, or nothing of it is
// written (an email taken, a factor of someone else, too many).
func testUserWithFactors(t *testing.T, s Stores) {
	ctx := t.Context()
	u := newUser(1, t0)
	app := &people.SecondFactor{ID: factorID(1), UserID: u.ID, Kind: people.FactorTOTP, Name: "Phone",
		Secret: []byte("ov-sealed:1:abcd:sealed-bytes"), Counter: 59000000, Created: t0.Add(time.Minute)}
	key := &people.SecondFactor{ID: factorID(2), UserID: u.ID, Kind: people.FactorWebAuthn, Name: "YubiKey",
		Public: []byte{0, 1, 2, 0xff}, Counter: 7, Created: t0}
	codes := []string{"hash-b", "hash-a"}
	if err := s.People.CreateUserWithFactors(ctx, u, []*people.SecondFactor{app, key}, codes); err != nil {
		t.Fatalf("CreateUserWithFactors = %v", err)
	}
	if got, err := s.People.User(ctx, u.ID); err != nil || !cmp.Equal(got, storedUser(u)) {
		t.Errorf("User = %+v, %v; want %+v", got, err, storedUser(u))
	}
	stored := func(f *people.SecondFactor) *people.SecondFactor {
		c := *f
		c.Created = tr(c.Created)
		return &c
	}
	if got, err := s.People.SecondFactors(ctx, u.ID); err != nil || !cmp.Equal(got, []*people.SecondFactor{stored(key), stored(app)}) {
		t.Errorf("SecondFactors = %+v, %v; want the key and the app", got, err)
	}
	if got, err := s.People.RecoveryCodes(ctx, u.ID); err != nil || !slices.Equal(got, []string{"hash-a", "hash-b"}) {
		t.Errorf("RecoveryCodes = %q, %v; want hash-a, hash-b", got, err)
	}
	// A user without factors, as CreateUser.
	plain := newUser(2, t0)
	if err := s.People.CreateUserWithFactors(ctx, plain, nil, nil); err != nil {
		t.Fatalf("CreateUserWithFactors(no factors) = %v", err)
	}

	// Refused whole: nothing of the refused user is there afterwards.
	tooMany := make([]string, store.MaxUserFactorsAndCodes)
	for i := range tooMany {
		tooMany[i] = fmt.Sprintf("hash-%03d", i)
	}
	for _, tc := range []struct {
		name    string
		email   string
		factors func(userID string) []*people.SecondFactor
		codes   []string
		want    error
	}{
		{"email taken", u.Email, nil, []string{"hash-c"}, store.ErrConflict},
		{"another user's factor", "", func(string) []*people.SecondFactor { return []*people.SecondFactor{key} }, nil, nil},
		{"an invalid factor", "", func(id string) []*people.SecondFactor {
			return []*people.SecondFactor{{ID: factorID(8), UserID: id, Kind: people.FactorWebAuthn, Secret: []byte{1}}}
		}, nil, nil},
		{"a code twice", "", nil, []string{"hash-d", "hash-d"}, nil},
		{"too many", "", func(id string) []*people.SecondFactor {
			return []*people.SecondFactor{{ID: factorID(9), UserID: id, Kind: people.FactorTOTP, Secret: []byte{1}, Created: t0}}
		}, tooMany, nil},
	} {
		v := newUser(3, t0)
		if tc.email != "" {
			v.Email = tc.email
		}
		var fs []*people.SecondFactor
		if tc.factors != nil {
			fs = tc.factors(v.ID)
		}
		err := s.People.CreateUserWithFactors(ctx, v, fs, tc.codes)
		switch {
		case tc.want != nil:
			wantErr(t, "CreateUserWithFactors("+tc.name+")", err, tc.want)
		case err == nil:
			t.Errorf("CreateUserWithFactors(%s) = nil, want an error", tc.name)
		}
		if _, err := s.People.User(ctx, v.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("after CreateUserWithFactors(%s): User = %v, want ErrNotFound", tc.name, err)
		}
		if got, err := s.People.SecondFactors(ctx, v.ID); err != nil || len(got) != 0 {
			t.Errorf("after CreateUserWithFactors(%s): SecondFactors = %v, %v; want none", tc.name, got, err)
		}
		if got, err := s.People.RecoveryCodes(ctx, v.ID); err != nil || len(got) != 0 {
			t.Errorf("after CreateUserWithFactors(%s): RecoveryCodes = %q, %v; want none", tc.name, got, err)
		}
	}
	if got, err := s.People.SecondFactors(ctx, u.ID); err != nil || len(got) != 2 {
		t.Errorf("the first user's factors after the refusals = %v, %v; want its two", got, err)
	}
}
