// Package account is the service side of people: password hashing and checking, the random
// tokens behind sessions, links and personal API tokens, and the operations the command line
// (and later the sign-in pages) run over the store: creating users, issuing set-password
// links, granting roles. Secrets pass through here in plain text and nowhere else: the store
// sees only hashes, and nothing here logs.
package account

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Argon2Params are the cost parameters of an argon2id hash.
type Argon2Params struct {
	Time    uint32 // passes over memory
	Memory  uint32 // KiB
	Threads uint8
	SaltLen int
	KeyLen  uint32
}

// DefaultParams follow OWASP's Password Storage Cheat Sheet (its first argon2id configuration:
// 19 MiB of memory, 2 iterations, 1 degree of parallelism), with a 16-byte salt and a 32-byte
// hash. They take about 30 ms on one core and fit a 128 MB Lambda; each hash records its own
// parameters, so raising them later leaves existing hashes verifiable.
var DefaultParams = Argon2Params{Time: 2, Memory: 19 * 1024, Threads: 1, SaltLen: 16, KeyLen: 32}

// Password limits. The upper bound keeps one sign-in from hashing megabytes.
const (
	MinPasswordLen = 8
	MaxPasswordLen = 1024
)

// ErrPasswordMismatch is a password that does not match its hash.
var ErrPasswordMismatch = errors.New("password does not match")

// ValidatePassword accepts a new password of MinPasswordLen to MaxPasswordLen bytes, valid UTF-8.
func ValidatePassword(pw string) error {
	switch {
	case !utf8.ValidString(pw):
		return errors.New("password is not valid UTF-8")
	case utf8.RuneCountInString(pw) < MinPasswordLen:
		return fmt.Errorf("password is too short (at least %d characters)", MinPasswordLen)
	case len(pw) > MaxPasswordLen:
		return fmt.Errorf("password is too long (at most %d bytes)", MaxPasswordLen)
	}
	return nil
}

// HashPassword hashes pw with argon2id, a fresh salt from r (crypto/rand.Reader in
// production) and p, in the PHC string form
// $argon2id$v=19$m=<KiB>,t=<time>,p=<threads>$<salt>$<hash> (unpadded standard base64).
func HashPassword(pw string, r io.Reader, p Argon2Params) (string, error) {
	salt := make([]byte, p.SaltLen)
	if _, err := io.ReadFull(r, salt); err != nil {
		return "", fmt.Errorf("read salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword checks pw against an encoded hash from HashPassword, comparing in constant
// time. It is nil on a match, ErrPasswordMismatch otherwise, and another error for a hash it
// cannot read (which never says anything about pw).
func VerifyPassword(encoded, pw string) error {
	p, salt, want, err := decodeHash(encoded)
	if err != nil {
		return err
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return ErrPasswordMismatch
	}
	return nil
}

// maxMemory bounds the memory a stored hash may ask for (1 GiB), so a damaged or planted hash
// cannot exhaust the server.
const maxMemory = 1 << 20

func decodeHash(encoded string) (p Argon2Params, salt, key []byte, err error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, errors.New("password hash is not an argon2id PHC string")
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, fmt.Errorf("password hash has argon2 version %q, want v=%d", parts[2], argon2.Version)
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, fmt.Errorf("password hash parameters %q: %w", parts[3], err)
	}
	if p.Memory == 0 || p.Memory > maxMemory || p.Time == 0 || p.Time > 100 || p.Threads == 0 {
		return p, nil, nil, fmt.Errorf("password hash parameters %q are out of range", parts[3])
	}
	b64 := base64.RawStdEncoding
	if salt, err = b64.DecodeString(parts[4]); err != nil || len(salt) < 8 {
		return p, nil, nil, errors.New("password hash has a bad salt")
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) < 16 {
		return p, nil, nil, errors.New("password hash has a bad key")
	}
	return p, salt, key, nil
}

// Passwords checks sign-in passwords so that an unknown email costs what a wrong password
// costs: for a user without a hash it verifies against a dummy hash made once with the same
// parameters, and then answers ErrPasswordMismatch.
type Passwords struct {
	Params Argon2Params
	Rand   io.Reader

	once  sync.Once
	dummy string
	err   error
}

// Check verifies pw against hash, or, when hash is "" (no such user, or no password set),
// against the dummy hash, and fails. The caller answers both failures the same way.
func (ps *Passwords) Check(hash, pw string) error {
	if hash != "" {
		return VerifyPassword(hash, pw)
	}
	ps.once.Do(func() { ps.dummy, ps.err = HashPassword("overdue dummy password", ps.Rand, ps.Params) })
	if ps.err != nil {
		return ps.err
	}
	_ = VerifyPassword(ps.dummy, pw) // the work, not the answer
	return ErrPasswordMismatch
}
