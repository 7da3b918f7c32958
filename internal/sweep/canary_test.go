package sweep

import (
	"regexp"
	"testing"
	"time"
)

// TestEnsureCanary: the canary's IDs derive from the secret (a UUID, another for another
// secret), and a second start finds the canary instead of creating another.
func TestEnsureCanary(t *testing.T) {
	st := openStore(t)
	secret, now := []byte("0123456789abcdef0123456789abcdef"), time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	first, err := EnsureCanary(t.Context(), st, secret, 10*time.Second, now)
	if err != nil {
		t.Fatal(err)
	}
	again, err := EnsureCanary(t.Context(), st, secret, time.Minute, now.Add(time.Hour))
	if err != nil || again.CanaryID != first.CanaryID || first.Every != 10*time.Second || again.Every != time.Minute {
		t.Fatalf("second EnsureCanary = %+v, %v; want the same canary %s, pinged every minute", again, err, first.CanaryID)
	}
	if first.CanaryID != CanaryID(secret) {
		t.Errorf("EnsureCanary's canary %s, CanaryID says %s", first.CanaryID, CanaryID(secret))
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(first.CanaryID) {
		t.Errorf("canary ID %q is not a version 4 UUID", first.CanaryID)
	}
	if other := CanaryID([]byte("another secret, another install")); other == first.CanaryID {
		t.Error("two secrets derive the same canary ID")
	}
	projects, err := st.Projects(t.Context())
	if err != nil || len(projects) != 1 || projects[0].Name != CanaryProjectName {
		t.Errorf("projects = %v, %v; want the canary's alone", projects, err)
	}
	c, err := st.Check(t.Context(), first.CanaryID)
	if err != nil || len(c.Channels) != 0 || c.Timeout != 24*time.Hour {
		t.Errorf("canary check = %+v, %v; want no channel and a day's timeout", c, err)
	}
}
