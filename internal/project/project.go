// Package project runs the operations on a project that both the projects API (package
// httpapi) and the settings page (package web) offer: creating, rotating and revoking its keys,
// and deleting it with what it holds. The callers decide who may; this package keeps the rules
// of the operations themselves in one place, so the two answer alike.
package project

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// Store is what the operations need of the store (store.Store has it all).
type Store interface {
	UpdateProject(ctx context.Context, id string, fn func(p *check.Project) error) (*check.Project, error)
	DeleteProject(ctx context.Context, id string) error
	Checks(ctx context.Context, projectID string) ([]*check.Check, error)
	DeleteCheck(ctx context.Context, id string) error
	Channels(ctx context.Context, projectID string) ([]*check.Channel, error)
	DeleteChannel(ctx context.Context, projectID, id string) error
}

// ErrUnknownKind is a key kind that is not one of check.KeyKinds.
var ErrUnknownKind = errors.New("key kind is not one of read-write, read-only, ping")

// KeyExistsError is a create of a key of a kind the project has, without replace: keys are not
// replaced silently.
type KeyExistsError struct {
	Project, Kind string
}

func (e *KeyExistsError) Error() string {
	return fmt.Sprintf("project %s has a %s key already: revoke it first, or replace it", e.Project, e.Kind)
}

// NewKey makes a key of kind for the project and stores its hash; the key is returned this
// once, in plain text. With replace, a key of that kind the project has stops working in the
// same write (a rotation); without it, such a key is a *KeyExistsError. ErrUnknownKind for an
// unknown kind, store.ErrNotFound for a missing project.
func NewKey(ctx context.Context, st Store, rnd io.Reader, projectID, kind string, replace bool) (string, error) {
	if (&check.Project{}).KeyHash(kind) == nil {
		return "", fmt.Errorf("%q: %w", kind, ErrUnknownKind)
	}
	keys, err := check.GenerateKeys(rnd)
	if err != nil {
		return "", fmt.Errorf("generate a key: %w", err)
	}
	key := keys.Key(kind)
	_, err = st.UpdateProject(ctx, projectID, func(p *check.Project) error {
		h := p.KeyHash(kind)
		if *h != "" && !replace {
			return &KeyExistsError{p.ID, kind}
		}
		*h = check.HashKey(key)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("create a %s key for project %s: %w", kind, projectID, err)
	}
	return key, nil
}

// RevokeKey makes the project's key of kind stop working at once. store.ErrNotFound when the
// project has none (or is missing), ErrUnknownKind for an unknown kind.
func RevokeKey(ctx context.Context, st Store, projectID, kind string) error {
	if (&check.Project{}).KeyHash(kind) == nil {
		return fmt.Errorf("%q: %w", kind, ErrUnknownKind)
	}
	_, err := st.UpdateProject(ctx, projectID, func(p *check.Project) error {
		h := p.KeyHash(kind)
		if *h == "" {
			return store.ErrNotFound
		}
		*h = ""
		return nil
	})
	if err != nil {
		return fmt.Errorf("revoke the %s key of project %s: %w", kind, projectID, err)
	}
	return nil
}

// NotEmptyError is a delete of a project that has checks or channels, without force.
type NotEmptyError struct {
	Checks, Channels int
}

func (e *NotEmptyError) Error() string {
	return fmt.Sprintf("the project has %d checks and %d channels", e.Checks, e.Channels)
}

// Delete removes the project, its keys and its memberships. A project with checks or channels is
// a *NotEmptyError unless force is given; with it, its checks (with their pings and flips) and
// channels go first. store.ErrConflict when a check or channel was added meanwhile (try again);
// a project that is gone already is no error.
func Delete(ctx context.Context, st Store, projectID string, force bool) error {
	checks, err := st.Checks(ctx, projectID)
	if err != nil {
		return fmt.Errorf("list checks of project %s: %w", projectID, err)
	}
	chans, err := store.ListChannels(ctx, st, projectID)
	if err != nil {
		return fmt.Errorf("list channels of project %s: %w", projectID, err)
	}
	if (len(checks) > 0 || len(chans) > 0) && !force {
		return &NotEmptyError{Checks: len(checks), Channels: len(chans)}
	}
	// Checks first: a delete cut short leaves a project with fewer checks, never checks
	// without a project; a repeated delete finishes the work.
	for _, ch := range checks {
		if err := st.DeleteCheck(ctx, ch.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("delete project %s: %w", projectID, err)
		}
	}
	for _, ch := range chans {
		if err := st.DeleteChannel(ctx, projectID, ch.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("delete project %s: %w", projectID, err)
		}
	}
	if err := st.DeleteProject(ctx, projectID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("delete project %s: %w", projectID, err)
	}
	return nil
}
