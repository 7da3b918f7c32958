package account

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
)

// tokenBytes is the entropy of every token: 256 bits, so that an unsalted SHA-256 is a safe
// way to store it (no guessing attack can enumerate the space).
const tokenBytes = 32

// Token prefixes say what a token is when one turns up in a log or a repository, as the
// "hcw_" of API keys does.
const (
	// PrefixAPIToken begins personal API tokens.
	PrefixAPIToken = "odp_"
)

// NewToken draws a token from r (crypto/rand.Reader in production): prefix followed by 43
// characters of unpadded base64url. It returns the token, to give to its holder once, and its
// hash, to store.
func NewToken(r io.Reader, prefix string) (token, hash string, err error) {
	b := make([]byte, tokenBytes)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", "", fmt.Errorf("read random bytes: %w", err)
	}
	token = prefix + base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token), nil
}

// HashToken is the stored form of a token: SHA-256, hex.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// TokenMatches reports, in constant time, whether token hashes to hash. Stores find tokens by
// their hash; this is for callers that hold a hash and a presented token.
func TokenMatches(token, hash string) bool {
	return subtle.ConstantTimeCompare([]byte(HashToken(token)), []byte(hash)) == 1
}
