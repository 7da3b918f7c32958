package check

import (
	"crypto/sha1"
	"encoding/hex"
	"strings"
)

// UniqueKey is a check's read-only identifier, Healthchecks' unique_key: the hex SHA-1 of the
// first 16 hex digits of its UUID without dashes. It is stable and reveals nothing a ping could
// use, so read-only callers (the read-only API key, read-only members on the dashboard) address
// checks by it instead of the UUID, which is the ping URL.
func UniqueKey(id string) string {
	digits := strings.ToLower(strings.ReplaceAll(id, "-", ""))
	if len(digits) > 16 {
		digits = digits[:16]
	}
	// SHA-1 is Healthchecks' choice and part of the contract: clients match on these values.
	sum := sha1.Sum([]byte(digits))
	return hex.EncodeToString(sum[:])
}

// IsUniqueKey reports whether s has the form of a UniqueKey: 40 lowercase hex digits.
func IsUniqueKey(s string) bool {
	if len(s) != 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
