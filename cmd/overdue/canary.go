package main

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
	"github.com/overduehq/overdue/internal/sweep"
)

// canaryEvery is how often `overdue serve` pings its canary: the resolution of the ingestion
// health it judges (an outage is a gap of three of these).
const canaryEvery = 10 * time.Second

// canaryProjectName names the project that holds the canary.
const canaryProjectName = "Overdue internal: ingestion canary"

// derivedID is a UUID (version 4 layout) derived from the signing secret and label: the same
// for every process of one install, and not guessable without the secret, so nobody outside can
// keep the canary alive by pinging it.
func derivedID(secret []byte, label string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("overdue:" + label))
	b := m.Sum(nil)[:16]
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// ensureCanary creates the canary's project and check unless they exist, and returns the
// ingestion judge over them. The project's keys are random and thrown away: nobody manages it.
// The check has no channel and a day's timeout: it never alerts anyone.
func ensureCanary(ctx context.Context, st store.Store, secret []byte, now time.Time) (*sweep.Ingestion, error) {
	projectID, checkID := derivedID(secret, "canary-project"), derivedID(secret, "canary-check")
	if _, err := st.Check(ctx, checkID); err == nil {
		return &sweep.Ingestion{CanaryID: checkID, Every: canaryEvery}, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("canary check: %w", err)
	}
	key := func() string { return check.HashKey(rand.Text()) }
	p := &check.Project{ID: projectID, Name: canaryProjectName, Created: now,
		APIKeyHash: key(), ReadOnlyKeyHash: key(), PingKeyHash: key()}
	if err := st.CreateProject(ctx, p); err != nil && !errors.Is(err, store.ErrConflict) {
		return nil, fmt.Errorf("canary project: %w", err)
	}
	c := check.New(checkID, projectID, now)
	c.Name, c.Timeout, c.Grace = "ingestion canary", 24*time.Hour, time.Hour
	if err := st.CreateCheck(ctx, c); err != nil && !errors.Is(err, store.ErrConflict) {
		return nil, fmt.Errorf("canary check: %w", err)
	}
	return &sweep.Ingestion{CanaryID: checkID, Every: canaryEvery}, nil
}
