// Package totp computes and checks time-based one-time passwords (RFC 6238): HMAC-SHA1 over the
// number of 30-second steps since the Unix epoch, truncated to 6 digits (RFC 4226), which is what
// every authenticator app does by default. It is pure: the time is passed in, the randomness too,
// and it imports nothing of ours.
package totp

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
)

// The parameters every authenticator app understands without being told: the otpauth URI
// names them anyway.
const (
	// Period is the length of a time step.
	Period = 30 * time.Second
	// Digits is the length of a code.
	Digits = 6
	// SecretSize is the length of a new secret in bytes: 160 bits, RFC 4226's recommendation and
	// the size of an HMAC-SHA1 key.
	SecretSize = 20
	// Skew is how many steps before and after the current one a code may be from: one either
	// way, so that a phone whose clock is half a minute off, or a code typed as it changes, works.
	Skew = 1
)

// encoding is base32 without padding, as authenticator apps take secrets.
var encoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewSecret draws a secret of SecretSize bytes from r (crypto/rand.Reader in production).
func NewSecret(r io.Reader) ([]byte, error) {
	b := make([]byte, SecretSize)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, fmt.Errorf("read random bytes: %w", err)
	}
	return b, nil
}

// Encode is the secret as people type it into an app: base32, unpadded.
func Encode(secret []byte) string { return encoding.EncodeToString(secret) }

// Decode reads a secret written by Encode (spaces and case ignored).
func Decode(s string) ([]byte, error) {
	s = strings.ToUpper(strings.ReplaceAll(s, " ", ""))
	b, err := encoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil, errors.New("the secret is not base32")
	}
	return b, nil
}

// Step is the time step t falls in.
func Step(t time.Time) int64 { return t.Unix() / int64(Period/time.Second) }

// Code is the code of a step: HOTP (RFC 4226) with the step as the counter, digits long.
func Code(secret []byte, step int64, digits int) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(step))
	mac := hmac.New(sha1.New, secret)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	n := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, n%mod)
}

// Normalize removes what people type around a code: spaces and a dash in the middle ("123 456").
func Normalize(code string) string {
	return strings.NewReplacer(" ", "", "-", "", "\t", "").Replace(strings.TrimSpace(code))
}

// Match finds the step within Skew of now whose code is code (normalised), comparing every
// candidate in constant time. The caller must then refuse the step if it, or a later one, was
// accepted before: a code is good once (RFC 6238 §5.2).
func Match(secret []byte, code string, now time.Time) (step int64, ok bool) {
	code = Normalize(code)
	if len(code) != Digits {
		return 0, false
	}
	cur := Step(now)
	for s := cur - Skew; s <= cur+Skew; s++ {
		if subtle.ConstantTimeCompare([]byte(Code(secret, s, Digits)), []byte(code)) == 1 {
			step, ok = s, true
		}
	}
	return step, ok
}

// URI is the otpauth:// URI an authenticator app reads from a QR code (Google Authenticator's
// Key Uri Format): the issuer and the account label, the secret, and the parameters spelled out.
func URI(issuer, account string, secret []byte) string {
	label := url.PathEscape(issuer) + ":" + url.PathEscape(account)
	q := url.Values{}
	q.Set("secret", Encode(secret))
	q.Set("issuer", issuer)
	q.Set("algorithm", "SHA1")
	q.Set("digits", fmt.Sprint(Digits))
	q.Set("period", fmt.Sprint(int(Period/time.Second)))
	return "otpauth://totp/" + label + "?" + q.Encode()
}
