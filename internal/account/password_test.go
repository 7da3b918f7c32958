package account

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
)

// fast are parameters cheap enough for tests; DefaultParams is tested once for its form.
var fast = Argon2Params{Time: 1, Memory: 64, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestHashPasswordDefaults(t *testing.T) {
	h, err := HashPassword("correct horse", rand.Reader, DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("HashPassword = %q, want argon2id with m=19456, t=2, p=1", h)
	}
	if err := VerifyPassword(h, "correct horse"); err != nil {
		t.Errorf("VerifyPassword(right) = %v", err)
	}
}

func TestVerifyPassword(t *testing.T) {
	h, err := HashPassword("s3cret-passw0rd", rand.Reader, fast)
	if err != nil {
		t.Fatal(err)
	}
	h2, err := HashPassword("s3cret-passw0rd", rand.Reader, fast)
	if err != nil {
		t.Fatal(err)
	}
	if h == h2 {
		t.Errorf("two hashes of one password are equal: the salt is not fresh")
	}
	tests := []struct {
		name, hash, pw string
		want           error // nil, ErrPasswordMismatch, or errBad for any other error
	}{
		{"right", h, "s3cret-passw0rd", nil},
		{"wrong", h, "s3cret-passw0rD", ErrPasswordMismatch},
		{"empty", h, "", ErrPasswordMismatch},
		{"prefix", h, "s3cret", ErrPasswordMismatch},
		{"not PHC", "plaintext", "plaintext", errBad},
		{"bcrypt", "$2b$12$abcdefghijklmnopqrstuu", "x", errBad},
		{"huge memory", strings.Replace(h, "m=64", "m=99999999", 1), "s3cret-passw0rd", errBad},
		{"zero time", strings.Replace(h, "t=1", "t=0", 1), "s3cret-passw0rd", errBad},
		{"argon2i", strings.Replace(h, "argon2id", "argon2i", 1), "s3cret-passw0rd", errBad},
	}
	for _, tt := range tests {
		err := VerifyPassword(tt.hash, tt.pw)
		switch {
		case tt.want == errBad:
			if err == nil || errors.Is(err, ErrPasswordMismatch) {
				t.Errorf("%s: VerifyPassword = %v, want an error about the hash", tt.name, err)
			}
		case !errors.Is(err, tt.want) || (tt.want == nil && err != nil):
			t.Errorf("%s: VerifyPassword = %v, want %v", tt.name, err, tt.want)
		}
	}
}

var errBad = errors.New("bad hash")

func TestPasswordsCheckUnknownUser(t *testing.T) {
	ps := &Passwords{Params: fast, Rand: rand.Reader}
	if err := ps.Check("", "anything"); !errors.Is(err, ErrPasswordMismatch) {
		t.Errorf("Check(no hash) = %v, want ErrPasswordMismatch, the answer for a wrong password", err)
	}
	if ps.dummy == "" || !strings.HasPrefix(ps.dummy, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("dummy hash = %q, want one made with the same parameters as real hashes", ps.dummy)
	}
	// The dummy's own password does not sign anyone in.
	if err := ps.Check("", "overdue dummy password"); !errors.Is(err, ErrPasswordMismatch) {
		t.Errorf("Check(no hash, the dummy's password) = %v, want ErrPasswordMismatch", err)
	}
	h, _ := HashPassword("right-password", rand.Reader, fast)
	if err := ps.Check(h, "right-password"); err != nil {
		t.Errorf("Check(hash, right) = %v", err)
	}
}

func TestValidatePassword(t *testing.T) {
	for pw, ok := range map[string]bool{
		"short":                   false,
		"eight ch":                true,
		"ąčęėįšųūž":               true, // nine characters, more bytes
		strings.Repeat("x", 1025): false,
		"bad\xffutf8 password":    false,
	} {
		if err := ValidatePassword(pw); (err == nil) != ok {
			t.Errorf("ValidatePassword(%.20q) = %v, want ok %v", pw, err, ok)
		}
	}
}

func TestTokens(t *testing.T) {
	tok, hash, err := NewToken(rand.Reader, PrefixAPIToken)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok, "odp_") || len(tok) != 4+43 {
		t.Errorf("NewToken = %q, want odp_ and 43 characters", tok)
	}
	if hash != HashToken(tok) || len(hash) != 64 || strings.Contains(hash, tok[4:]) {
		t.Errorf("hash = %q, want the hex SHA-256 of the token", hash)
	}
	if !TokenMatches(tok, hash) || TokenMatches(tok+"x", hash) || TokenMatches(tok, "") {
		t.Errorf("TokenMatches: want true only for the token and its hash")
	}
	tok2, _, _ := NewToken(rand.Reader, "")
	if tok2 == tok[4:] {
		t.Errorf("two tokens are equal")
	}
	// Deterministic given the random source: tests pin it, production reads crypto/rand.
	a, _, _ := NewToken(bytes.NewReader(make([]byte, 32)), "")
	if a != "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" {
		t.Errorf("NewToken(zeros) = %q", a)
	}
	if _, _, err := NewToken(bytes.NewReader(make([]byte, 5)), ""); err == nil {
		t.Errorf("NewToken with a short random source = nil error")
	}
}
