package check

import (
	"bytes"
	"strings"
	"testing"
)

func TestGenerateKeys(t *testing.T) {
	// A deterministic source: every byte value in turn, so the rejection of biased bytes is
	// exercised too.
	src := make([]byte, 4096)
	for i := range src {
		src[i] = byte(i)
	}
	k, err := GenerateKeys(bytes.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		key    string
		prefix string
		length int
	}{
		"api":       {k.APIKey, "hcw_", 32},
		"read-only": {k.ReadOnlyKey, "hcr_", 32},
		"ping":      {k.PingKey, "", 22},
	} {
		if len(tc.key) != tc.length || !strings.HasPrefix(tc.key, tc.prefix) {
			t.Errorf("%s key %q: want %d characters starting %q", name, tc.key, tc.length, tc.prefix)
		}
		if strings.Trim(strings.TrimPrefix(tc.key, tc.prefix), keyAlphabet) != "" {
			t.Errorf("%s key %q has characters outside [a-z0-9]", name, tc.key)
		}
	}
	if k.APIKey[4:] == k.ReadOnlyKey[4:] {
		t.Errorf("read-write and read-only keys are equal")
	}
	if _, err := GenerateKeys(bytes.NewReader(src[:10])); err == nil {
		t.Errorf("GenerateKeys with a short source: want an error")
	}
}

func TestKeyMatches(t *testing.T) {
	h := HashKey("hcw_secret")
	if len(h) != 64 || strings.Contains(h, "secret") {
		t.Errorf("HashKey = %q, want 64 hex characters not containing the key", h)
	}
	if !KeyMatches("hcw_secret", h) {
		t.Errorf("KeyMatches(right key) = false")
	}
	if KeyMatches("hcw_secreT", h) || KeyMatches("", h) || KeyMatches("hcw_secret", "") {
		t.Errorf("KeyMatches accepted a wrong key or an empty hash")
	}
}
