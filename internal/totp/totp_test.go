package totp

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestRFC6238Vectors: the SHA-1 rows of RFC 6238's Appendix B (8 digits, the 20-byte ASCII
// secret "12345678901234567890").
func TestRFC6238Vectors(t *testing.T) {
	secret := []byte("12345678901234567890")
	tests := []struct {
		unix int64
		want string
	}{
		{59, "94287082"},
		{1111111109, "07081804"},
		{1111111111, "14050471"},
		{1234567890, "89005924"},
		{2000000000, "69279037"},
		{20000000000, "65353130"},
	}
	for _, tt := range tests {
		if got := Code(secret, Step(time.Unix(tt.unix, 0)), 8); got != tt.want {
			t.Errorf("Code at %d = %s, want %s", tt.unix, got, tt.want)
		}
	}
}

// TestRFC4226Vectors: the 6-digit HOTP values of RFC 4226's Appendix D, counters 0 to 9.
func TestRFC4226Vectors(t *testing.T) {
	secret := []byte("12345678901234567890")
	want := []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"}
	for i, w := range want {
		if got := Code(secret, int64(i), Digits); got != w {
			t.Errorf("Code(counter %d) = %s, want %s", i, got, w)
		}
	}
}

func TestMatch(t *testing.T) {
	secret := []byte("12345678901234567890")
	now := time.Unix(1234567890, 0) // step 41152263
	cur := Step(now)
	tests := []struct {
		name     string
		code     string
		wantStep int64
		wantOK   bool
	}{
		{"current", Code(secret, cur, Digits), cur, true},
		{"previous step", Code(secret, cur-1, Digits), cur - 1, true},
		{"next step", Code(secret, cur+1, Digits), cur + 1, true},
		{"two steps old", Code(secret, cur-2, Digits), 0, false},
		{"two steps ahead", Code(secret, cur+2, Digits), 0, false},
		{"typed with a space", Code(secret, cur, Digits)[:3] + " " + Code(secret, cur, Digits)[3:], cur, true},
		{"too short", Code(secret, cur, Digits)[:5], 0, false},
		{"empty", "", 0, false},
		{"letters", "abcdef", 0, false},
	}
	for _, tt := range tests {
		step, ok := Match(secret, tt.code, now)
		if ok != tt.wantOK || (ok && step != tt.wantStep) {
			t.Errorf("%s: Match(%q) = %d, %v; want %d, %v", tt.name, tt.code, step, ok, tt.wantStep, tt.wantOK)
		}
	}
}

func TestSecretRoundTrip(t *testing.T) {
	secret, err := NewSecret(bytes.NewReader(bytes.Repeat([]byte{0xa5}, 64)))
	if err != nil || len(secret) != SecretSize {
		t.Fatalf("NewSecret = %x, %v", secret, err)
	}
	enc := Encode(secret)
	if strings.Contains(enc, "=") || len(enc) != 32 {
		t.Errorf("Encode = %q, want 32 unpadded base32 characters", enc)
	}
	got, err := Decode(strings.ToLower(enc[:4]) + " " + enc[4:])
	if err != nil || !bytes.Equal(got, secret) {
		t.Errorf("Decode(lowercase, spaced) = %x, %v; want %x", got, err, secret)
	}
	if _, err := Decode("not base32!"); err == nil {
		t.Error("Decode(garbage) = nil error")
	}
	if _, err := NewSecret(bytes.NewReader(nil)); err == nil {
		t.Error("NewSecret(empty reader) = nil error")
	}
}

func TestURI(t *testing.T) {
	got := URI("Overdue", "alice@example.org", []byte("12345678901234567890"))
	want := "otpauth://totp/Overdue:alice@example.org?algorithm=SHA1&digits=6&issuer=Overdue&period=30&secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	if got != want {
		t.Errorf("URI = %s\nwant   %s", got, want)
	}
	if got := URI("Over due", "a b@example.org", []byte{1}); !strings.HasPrefix(got, "otpauth://totp/Over%20due:a%20b@example.org?") {
		t.Errorf("URI with spaces = %s, want them escaped in the label", got)
	}
}
