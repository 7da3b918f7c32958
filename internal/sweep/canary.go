package sweep

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// CanaryProjectName names the project that holds the ingestion canary.
const CanaryProjectName = "Overdue internal: ingestion canary"

// CanaryID is the canary check's UUID for an install whose signing secret is secret: the same
// for every process of the install (`overdue serve`, or the sweep and timer functions), and not
// guessable without the secret, so nobody outside can keep the canary alive by pinging it.
func CanaryID(secret []byte) string { return derivedID(secret, "canary-check") }

// derivedID is a UUID (version 4 layout) derived from the signing secret and label.
func derivedID(secret []byte, label string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("overdue:" + label))
	b := m.Sum(nil)[:16]
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// EnsureCanary creates the canary's project and check unless they exist (one read when they
// do), and returns the ingestion judge over them, the canary pinged every every. The project's
// keys are random and thrown away: nobody manages it. The check has no channel and a day's
// timeout: it never alerts anyone.
func EnsureCanary(ctx context.Context, st store.Store, secret []byte, every time.Duration, now time.Time) (*Ingestion, error) {
	in := &Ingestion{CanaryID: CanaryID(secret), Every: every}
	if _, err := st.Check(ctx, in.CanaryID); err == nil {
		return in, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("canary check: %w", err)
	}
	key := func() string { return check.HashKey(rand.Text()) }
	projectID := derivedID(secret, "canary-project")
	p := &check.Project{ID: projectID, Name: CanaryProjectName, Created: now,
		APIKeyHash: key(), ReadOnlyKeyHash: key(), PingKeyHash: key()}
	if err := st.CreateProject(ctx, p); err != nil && !errors.Is(err, store.ErrConflict) {
		return nil, fmt.Errorf("canary project: %w", err)
	}
	c := check.New(in.CanaryID, projectID, now)
	c.Name, c.Timeout, c.Grace = "ingestion canary", 24*time.Hour, time.Hour
	if err := st.CreateCheck(ctx, c); err != nil && !errors.Is(err, store.ErrConflict) {
		return nil, fmt.Errorf("canary check: %w", err)
	}
	return in, nil
}
