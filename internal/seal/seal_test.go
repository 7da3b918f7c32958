package seal

import (
	"errors"
	"strings"
	"testing"
)

const secret = "0123456789abcdef0123456789abcdef"

func newBox(t *testing.T, s string) *Box {
	t.Helper()
	b, err := New([]byte(s))
	if err != nil {
		t.Fatalf("New = %v", err)
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	b := newBox(t, secret)
	for _, plain := range []string{"", "ops@example.org", `{"token":"x","chat_id":"1"}`, strings.Repeat("é", 3000)} {
		sealed, err := b.Seal("ch1", plain)
		if err != nil {
			t.Fatalf("Seal(%q) = %v", plain, err)
		}
		if !IsSealed(sealed) || (plain != "" && strings.Contains(sealed, plain)) {
			t.Errorf("Seal(%q) = %q, want a sealed value without the plaintext", plain, sealed)
		}
		got, err := b.Open("ch1", sealed)
		if err != nil || got != plain {
			t.Errorf("Open(Seal(%q)) = %q, %v", plain, got, err)
		}
		// A second Box over the same secret (another process) opens it too.
		if got, err := newBox(t, secret).Open("ch1", sealed); err != nil || got != plain {
			t.Errorf("another Box's Open = %q, %v", got, err)
		}
	}
	a, _ := b.Seal("ch1", "same")
	c, _ := b.Seal("ch1", "same")
	if a == c {
		t.Errorf("two seals of one value are equal (%q): the nonce is not random", a)
	}
}

func TestOpenRefuses(t *testing.T) {
	b := newBox(t, secret)
	sealed, err := b.Seal("ch1", "https://hooks.slack.com/services/T/B/key")
	if err != nil {
		t.Fatal(err)
	}
	flip := []byte(sealed)
	flip[len(flip)-3] ^= 'A' ^ 'B'
	other := newBox(t, "another secret of 32 characters!")
	for _, tc := range []struct {
		name, id, value string
		box             *Box
		otherKey        bool
	}{
		{"another channel", "ch2", sealed, b, false},
		{"tampered", "ch1", string(flip), b, false},
		{"truncated", "ch1", sealed[:len(Prefix)+12], b, false},
		{"not sealed", "ch1", "https://example.org", b, false},
		{"another secret", "ch1", sealed, other, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.box.Open(tc.id, tc.value)
			var oe *OpenError
			if !errors.As(err, &oe) || got != "" {
				t.Fatalf("Open = %q, %v; want an *OpenError", got, err)
			}
			if errors.Is(err, ErrOtherKey) != tc.otherKey {
				t.Errorf("Open = %v; errors.Is(ErrOtherKey) = %v, want %v", err, !tc.otherKey, tc.otherKey)
			}
			if strings.Contains(err.Error(), "hooks.slack.com") {
				t.Errorf("the error %q shows the value", err)
			}
			if !strings.Contains(err.Error(), tc.id) {
				t.Errorf("the error %q does not name the channel", err)
			}
		})
	}
	kb, _ := b.KeyID()
	ko, _ := other.KeyID()
	if kb == ko || len(kb) != 8 {
		t.Errorf("key IDs %q and %q: want 8 hex digits, different for different secrets", kb, ko)
	}
}

func TestDeferred(t *testing.T) {
	loads := 0
	b := Deferred(func() ([]byte, error) { loads++; return []byte(secret), nil })
	if loads != 0 {
		t.Fatalf("Deferred loaded the secret %d times before use, want 0", loads)
	}
	sealed, err := b.Seal("ch1", "v")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Open("ch1", sealed); err != nil {
		t.Fatal(err)
	}
	if loads != 1 {
		t.Errorf("the secret was loaded %d times, want once", loads)
	}
	failing := Deferred(func() ([]byte, error) { return nil, errors.New("no secret.key") })
	if _, err := failing.Seal("ch1", "v"); err == nil || !strings.Contains(err.Error(), "no secret.key") {
		t.Errorf("Seal with a failing loader = %v, want its error", err)
	}
	if _, err := New([]byte("short")); err == nil {
		t.Error("New with a 5-byte secret = nil error, want a refusal")
	}
}
