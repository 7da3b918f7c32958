package check

import (
	"fmt"
	"io"
	"slices"
)

// StatusPage is a project's read-only status page: the checks it shows, and whether anyone may
// read it, signed in or not. Its address is /status/<Key>/: a random key, never the project's
// ID or any key that grants something, so that publishing the page tells nobody how to reach
// the project's API or ping URLs.
type StatusPage struct {
	ProjectID string
	// Key is the page's address, StatusKeyLength characters of [a-z0-9]. It is public once the
	// page is, grants nothing but reading the page, and changes when an owner asks for a new
	// address.
	Key string
	// Public makes the page readable by anyone with its address; while false it answers 404.
	Public bool
	// Checks are the IDs of the checks the page shows, in the order the page lists them. A check
	// deleted since it was chosen is skipped, as is one that moved to another project.
	Checks []string
}

// Limits of a status page.
const (
	// StatusKeyLength is how long a generated status page key is: 24 characters of 36, 124
	// bits, too many to guess.
	StatusKeyLength = 24
	// MaxStatusChecks is how many checks one status page shows: rendering reads each one and
	// its status changes, so a page stays cheap however large its project.
	MaxStatusChecks = 100
)

// GenerateStatusKey draws a status page key from r (crypto/rand.Reader in production).
func GenerateStatusKey(r io.Reader) (string, error) {
	return randomString(r, StatusKeyLength)
}

// ValidateStatusKey accepts a status page key: 16 to 64 characters of [a-z0-9] (generated keys
// have StatusKeyLength; imported ones may be any length in that range).
func ValidateStatusKey(key string) error {
	if len(key) < 16 || len(key) > 64 {
		return fmt.Errorf("status page key is %d characters long; it must have 16 to 64", len(key))
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return fmt.Errorf("status page key has %q at position %d; it may hold only a-z and 0-9", c, i+1)
		}
	}
	return nil
}

// Validate checks what every store keeps of a status page: a project, a valid key, at most
// MaxStatusChecks checks, none twice.
func (sp *StatusPage) Validate() error {
	if sp.ProjectID == "" {
		return fmt.Errorf("status page has no project")
	}
	if err := ValidateStatusKey(sp.Key); err != nil {
		return err
	}
	if len(sp.Checks) > MaxStatusChecks {
		return fmt.Errorf("a status page shows at most %d checks; %d were chosen", MaxStatusChecks, len(sp.Checks))
	}
	seen := make(map[string]bool, len(sp.Checks))
	for _, id := range sp.Checks {
		if id == "" {
			return fmt.Errorf("status page lists a check without an ID")
		}
		if seen[id] {
			return fmt.Errorf("status page lists check %s twice", id)
		}
		seen[id] = true
	}
	return nil
}

// Shows reports whether the page lists check id.
func (sp *StatusPage) Shows(id string) bool { return slices.Contains(sp.Checks, id) }
