package check

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"io"
)

// Keys are a project's secrets in plain text. They exist only between generation and the one
// time they are shown; the store keeps HashKey of each.
type Keys struct {
	APIKey      string // read-write, "hcw_" + 28 characters
	ReadOnlyKey string // read-only, "hcr_" + 28 characters
	PingKey     string // 22 characters of [a-z0-9], used in slug ping URLs
}

const keyAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// GenerateKeys draws a project's keys from r (crypto/rand.Reader in production).
func GenerateKeys(r io.Reader) (Keys, error) {
	api, err := randomString(r, 28)
	if err != nil {
		return Keys{}, err
	}
	ro, err := randomString(r, 28)
	if err != nil {
		return Keys{}, err
	}
	pk, err := randomString(r, 22)
	if err != nil {
		return Keys{}, err
	}
	return Keys{APIKey: "hcw_" + api, ReadOnlyKey: "hcr_" + ro, PingKey: pk}, nil
}

func randomString(r io.Reader, n int) (string, error) {
	buf := make([]byte, n)
	out := make([]byte, 0, n)
	for len(out) < n {
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", fmt.Errorf("read random bytes: %w", err)
		}
		for _, b := range buf {
			// Reject the top of the byte range so every character is equally likely.
			if int(b) < 256-256%len(keyAlphabet) && len(out) < n {
				out = append(out, keyAlphabet[int(b)%len(keyAlphabet)])
			}
		}
	}
	return string(out), nil
}

// HashKey is how keys are stored and looked up: the hex SHA-256 of the key. API keys and ping
// keys are random and long, so a fast unsalted hash is enough to keep them out of the data.
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// KeyMatches compares a presented key with a stored hash in constant time.
func KeyMatches(key, hash string) bool {
	if hash == "" {
		return false
	}
	got := HashKey(key)
	return subtle.ConstantTimeCompare([]byte(got), []byte(hash)) == 1
}

// The kinds of project key, as the projects API and the settings page name them. A project has
// at most one key of each kind.
const (
	KeyReadWrite = "read-write"
	KeyReadOnly  = "read-only"
	KeyPing      = "ping"
)

// KeyKinds lists the kinds of project key, in the order they are listed.
var KeyKinds = []string{KeyReadWrite, KeyReadOnly, KeyPing}

// KeyHash points at the project's hash of the key of kind; nil for an unknown kind.
func (p *Project) KeyHash(kind string) *string {
	switch kind {
	case KeyReadWrite:
		return &p.APIKeyHash
	case KeyReadOnly:
		return &p.ReadOnlyKeyHash
	case KeyPing:
		return &p.PingKeyHash
	}
	return nil
}

// Key is the plain key of kind among k; "" for an unknown kind.
func (k Keys) Key(kind string) string {
	switch kind {
	case KeyReadWrite:
		return k.APIKey
	case KeyReadOnly:
		return k.ReadOnlyKey
	case KeyPing:
		return k.PingKey
	}
	return ""
}

// KeyHint is what a listing shows of a stored key: the first 8 hex digits of its hash, which
// whoever holds the key can compute (printf %s "$KEY" | sha256sum) and which says nothing
// about the key.
func KeyHint(hash string) string {
	if len(hash) > 8 {
		hash = hash[:8]
	}
	return "sha256:" + hash
}
