package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/seal"
)

// ErrNoBox is the error of a channel write, or of a read that meets a sealed value, on a store
// opened without Options.Box: channel values are kept sealed under the server secret, and such a
// store has no way to seal or open them.
var ErrNoBox = errors.New("this store was opened without the server secret that channel values are sealed with")

// SealReader is the first data-model version whose builds open sealed channel values. A store
// seals a value only in data whose minimum reader is at least SealReader: data an older build
// may still use (a deploy between its phases, or one rolled back after its expand phase) gets
// values in clear text, which such a build reads, and the contract step that raises the minimum
// reader to SealReader seals them.
const SealReader = 7

// KeepValue is ch's value as a store keeps it in data whose minimum reader is minReader: sealed
// (SealValue) when minReader is at least SealReader, else in clear text, so that no build that
// cannot open a sealed value may meet one. Every store calls it on every channel it writes.
func KeepValue(box *seal.Box, ch *check.Channel, minReader int) (string, error) {
	if minReader < SealReader {
		return ch.Value, nil
	}
	return SealValue(box, ch)
}

// SealValue is ch's value sealed under box for ch's ID.
func SealValue(box *seal.Box, ch *check.Channel) (string, error) {
	if box == nil {
		return "", fmt.Errorf("channel %s: %w", ch.ID, ErrNoBox)
	}
	return box.Seal(ch.ID, ch.Value)
}

// OpenValue replaces ch's value, as a store read it, by its plaintext. A value that is not
// sealed is left as it is: channels written before data model 8 sealed them, which only a
// data model 7 store still holds (the deploy's contract phase seals them).
func OpenValue(box *seal.Box, ch *check.Channel) error {
	if !seal.IsSealed(ch.Value) {
		return nil
	}
	if box == nil {
		return fmt.Errorf("channel %s: %w", ch.ID, ErrNoBox)
	}
	v, err := box.Open(ch.ID, ch.Value)
	if err != nil {
		return err
	}
	ch.Value = v
	return nil
}

// DamagedError is the error of a channel listing that met values which do not open although they
// name this server's key: damaged, or copied from another channel. The listing still holds every
// channel, those with an empty Value and check.Channel.Damaged set, so that the notifier delivers
// to the others and parks these with the reason; every other caller treats it as the failure it is.
type DamagedError struct {
	Errs []error // one *seal.OpenError per damaged channel, oldest first
}

// Error names each damaged channel and what to do.
func (e *DamagedError) Error() string {
	msgs := make([]string, len(e.Errs))
	for i, err := range e.Errs {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "; ") + ": delete and re-create the channel, or restore the data from a backup"
}

// Unwrap returns the errors of the damaged channels.
func (e *DamagedError) Unwrap() []error { return e.Errs }

// OpenValues replaces the values of chs, as a store read them, by their plaintext. A value sealed
// under another server secret, or a store without a Box, fails the whole: every value names the
// same key, so this server has the wrong secret, and a listing that sends nothing keeps the
// alerts for the server that has the right one. A value that names this server's key and still
// does not open is damaged: that channel alone is emptied and marked, and the result is a
// *DamagedError beside the complete listing.
func OpenValues(box *seal.Box, chs []*check.Channel) error {
	var damaged []error
	for _, ch := range chs {
		err := OpenValue(box, ch)
		var open *seal.OpenError
		switch {
		case err == nil:
		case errors.As(err, &open) && !errors.Is(err, seal.ErrOtherKey):
			ch.Value, ch.Damaged = "", err.Error()
			damaged = append(damaged, err)
		default:
			return err
		}
	}
	if damaged != nil {
		return &DamagedError{Errs: damaged}
	}
	return nil
}

// ChannelLister is the part of a Store that lists channels.
type ChannelLister interface {
	Channels(ctx context.Context, projectID string) ([]*check.Channel, error)
}

// ListChannels lists a project's channels for a reader that needs their identity, not their
// values (listings, assignments, deletion): a damaged value marks its channel
// (check.Channel.Damaged) rather than failing the list, so a damaged channel can still be seen
// and deleted, and checks can still be created and assigned.
func ListChannels(ctx context.Context, st ChannelLister, projectID string) ([]*check.Channel, error) {
	chs, err := st.Channels(ctx, projectID)
	var damaged *DamagedError
	if errors.As(err, &damaged) {
		return chs, nil
	}
	return chs, err
}
