package sweep

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// CanaryProjectName names the project that holds the ingestion canary.
const CanaryProjectName = "Overdue internal: ingestion canary"

// EnsureCanary makes sure the install has its ingestion canary, and returns the ingestion judge
// over it, the canary pinged every every. The canary's IDs are random and kept in the data
// (store.Canary): the first process to get here puts them, on the condition that none are
// there, and every other process reads the winner's, so that `overdue serve`, or the sweep and
// timer functions, agree on one canary without the server secret; nobody outside can guess its
// ping URL to keep it alive. Then it creates the canary's project and check unless they exist
// (two reads when they do). The project's keys are random and thrown away: nobody manages it.
// The check has no channel and a day's timeout: it never alerts anyone.
func EnsureCanary(ctx context.Context, st store.Store, every time.Duration, now time.Time) (*Ingestion, error) {
	c, err := st.Canary(ctx)
	if errors.Is(err, store.ErrNotFound) {
		c, err = st.PutCanary(ctx, store.Canary{CheckID: uuid.NewString(), ProjectID: uuid.NewString()})
	}
	if err != nil {
		return nil, fmt.Errorf("canary: %w", err)
	}
	in := &Ingestion{CanaryID: c.CheckID, Every: every}
	if _, err := st.Check(ctx, c.CheckID); err == nil {
		return in, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("canary check: %w", err)
	}
	// A process that stopped between the record and the check (or lost a race to create
	// them) leaves them to the next: creating an existing one is a conflict, and harmless.
	key := func() string { return check.HashKey(rand.Text()) }
	p := &check.Project{ID: c.ProjectID, Name: CanaryProjectName, Created: now,
		APIKeyHash: key(), ReadOnlyKeyHash: key(), PingKeyHash: key()}
	if err := st.CreateProject(ctx, p); err != nil && !errors.Is(err, store.ErrConflict) {
		return nil, fmt.Errorf("canary project: %w", err)
	}
	ch := check.New(c.CheckID, c.ProjectID, now)
	ch.Name, ch.Timeout, ch.Grace = "ingestion canary", 24*time.Hour, time.Hour
	if err := st.CreateCheck(ctx, ch); err != nil && !errors.Is(err, store.ErrConflict) {
		return nil, fmt.Errorf("canary check: %w", err)
	}
	return in, nil
}

// FindCanary returns the ingestion judge over the install's canary, pinged every every, for a
// process that judges ingestion but does not ping the canary (the timer function):
// store.ErrNotFound (wrapped) until a process that pings it has put it (EnsureCanary).
func FindCanary(ctx context.Context, st store.Store, every time.Duration) (*Ingestion, error) {
	c, err := st.Canary(ctx)
	if err != nil {
		return nil, fmt.Errorf("canary: %w", err)
	}
	return &Ingestion{CanaryID: c.CheckID, Every: every}, nil
}

// AdoptCanary keeps the canary of an install whose earlier builds derived its IDs from the
// server secret (up to data model 16): when the data has no canary yet and the derived check
// exists, it puts the derived IDs, so that the canary keeps its pings (the ingestion history the
// sweep judges by) and no second canary project appears. It does nothing otherwise. Only a
// process that has the secret for another reason calls it: the migrate function (which seals
// channel values) at every deploy, before the new sweep runs; `overdue serve` at start.
func AdoptCanary(ctx context.Context, st store.Store, secret []byte) error {
	if _, err := st.Canary(ctx); err == nil {
		return nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("adopt the canary: %w", err)
	}
	derived := LegacyCanary(secret)
	if _, err := st.Check(ctx, derived.CheckID); errors.Is(err, store.ErrNotFound) {
		return nil
	} else if err != nil {
		return fmt.Errorf("adopt the canary: %w", err)
	}
	if _, err := st.PutCanary(ctx, derived); err != nil {
		return fmt.Errorf("adopt the canary: %w", err)
	}
	return nil
}

// LegacyCanary is the canary that builds up to data model 16 derived from the signing secret,
// which AdoptCanary looks for.
func LegacyCanary(secret []byte) store.Canary {
	return store.Canary{CheckID: derivedID(secret, "canary-check"), ProjectID: derivedID(secret, "canary-project")}
}

// derivedID is the UUID (version 4 layout) that builds up to data model 16 derived from the
// signing secret and label for the canary's check and project.
func derivedID(secret []byte, label string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("overdue:" + label))
	b := m.Sum(nil)[:16]
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
