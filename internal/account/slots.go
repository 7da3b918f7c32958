package account

import (
	"context"
	"errors"
	"runtime"
	"time"
)

// ErrBusy is a password that could not be hashed or checked because every hashing slot stayed
// taken for the whole wait: the server is busy; try again shortly.
var ErrBusy = errors.New("too many passwords being checked at once")

// DefaultHashWait is how long a request waits for a hashing slot before ErrBusy.
const DefaultHashWait = 5 * time.Second

// HashSlots bound how many argon2id hashes and verifications run at once. Each holds its
// parameters' memory (19 MiB with DefaultParams) and a core for tens of milliseconds, so a
// burst of sign-ins unbounded would exhaust memory long before the rate limits refuse anyone.
type HashSlots struct {
	slots chan struct{}
	wait  time.Duration
}

// NewHashSlots returns n slots (n < 1: 2×GOMAXPROCS) with a wait for a free slot of wait
// (0: DefaultHashWait).
func NewHashSlots(n int, wait time.Duration) *HashSlots {
	if n < 1 {
		n = 2 * runtime.GOMAXPROCS(0)
	}
	if wait <= 0 {
		wait = DefaultHashWait
	}
	return &HashSlots{slots: make(chan struct{}, n), wait: wait}
}

// Acquire takes a slot, waiting at most the slots' wait (or until ctx ends); ErrBusy when none
// came free. Call the returned function to give the slot back.
func (h *HashSlots) Acquire(ctx context.Context) (release func(), err error) {
	select {
	case h.slots <- struct{}{}:
		return h.release, nil
	default:
	}
	t := time.NewTimer(h.wait)
	defer t.Stop()
	select {
	case h.slots <- struct{}{}:
		return h.release, nil
	case <-t.C:
		return nil, ErrBusy
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (h *HashSlots) release() { <-h.slots }

// hashing runs f, which hashes or verifies a password, in one of the service's slots.
func (s *Service) hashing(ctx context.Context, f func() error) error {
	s.slotsOnce.Do(func() {
		if s.Hashing == nil {
			s.Hashing = NewHashSlots(0, 0)
		}
	})
	release, err := s.Hashing.Acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	return f()
}

// hashPassword is HashPassword with the service's randomness and parameters, in a slot.
func (s *Service) hashPassword(ctx context.Context, pw string) (string, error) {
	var hash string
	err := s.hashing(ctx, func() (err error) {
		hash, err = HashPassword(pw, s.Rand, s.Params)
		return err
	})
	return hash, err
}
