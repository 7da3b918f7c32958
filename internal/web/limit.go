package web

import (
	"context"
	"sync"
	"time"
)

// Limits are how many failed sign-ins are allowed in a window, per account and per client
// address, before sign-in is refused until the window ends.
type Limits struct {
	Window     time.Duration
	PerAccount int
	PerAddress int
}

// DefaultLimits allow 10 failed sign-ins per account and 50 per client address in 15 minutes:
// enough for a person who mistypes, and for an office behind one address; a guesser gets 40 an
// hour at most per account, however many addresses it has.
var DefaultLimits = Limits{Window: 15 * time.Minute, PerAccount: 10, PerAddress: 50}

// Counters count failures per key in fixed windows. MemoryCounters keeps them in the process
// (`overdue serve`); the DynamoDB store's Attempts keeps them in the table, so that every
// instance of the api function sees the same counts.
type Counters interface {
	// Count returns how many failures each key has in the window that starts at window.
	Count(ctx context.Context, window time.Time, keys ...string) ([]int, error)
	// Add counts one failure for each key in the window; the counts are not needed after
	// expires.
	Add(ctx context.Context, window, expires time.Time, keys ...string) error
	// Reset forgets the key's failures in the window.
	Reset(ctx context.Context, window time.Time, key string) error
}

// Limiter decides, from Counters, whether a sign-in may be tried: the window of an instant is
// the instant truncated to Limits.Window, and an account or an address that has used up its
// failures in the current window waits for the next.
type Limiter struct {
	limits   Limits
	counters Counters
}

// NewLimiter returns a limiter over counters.
func NewLimiter(l Limits, c Counters) *Limiter { return &Limiter{limits: l, counters: c} }

// NewMemoryLimiter returns a limiter that counts in memory.
func NewMemoryLimiter(l Limits) *Limiter { return NewLimiter(l, NewMemoryCounters()) }

// keys name an account and an address apart, as the counters see them.
func accountKey(account string) string { return "account:" + account }
func addressKey(address string) string { return "address:" + address }

// Blocked reports whether the account or the address has used up its failures in now's window,
// and if so when it may try again.
func (l *Limiter) Blocked(ctx context.Context, account, address string, now time.Time) (bool, time.Time, error) {
	window := now.Truncate(l.limits.Window)
	n, err := l.counters.Count(ctx, window, accountKey(account), addressKey(address))
	if err != nil {
		return false, time.Time{}, err
	}
	if n[0] >= l.limits.PerAccount || n[1] >= l.limits.PerAddress {
		return true, window.Add(l.limits.Window), nil
	}
	return false, time.Time{}, nil
}

// Fail counts a failed sign-in against the account and the address.
func (l *Limiter) Fail(ctx context.Context, account, address string, now time.Time) error {
	window := now.Truncate(l.limits.Window)
	return l.counters.Add(ctx, window, window.Add(l.limits.Window), accountKey(account), addressKey(address))
}

// Succeed forgets the account's failures: its owner got in, and should not be locked out by
// earlier typos. The address keeps its count.
func (l *Limiter) Succeed(ctx context.Context, account string, now time.Time) error {
	return l.counters.Reset(ctx, now.Truncate(l.limits.Window), accountKey(account))
}

// MemoryCounters are Counters in memory. They keep one window: counting in a new window drops
// the old one's counts, so memory holds one window's keys at most.
type MemoryCounters struct {
	mu     sync.Mutex
	window time.Time
	counts map[string]int
}

// NewMemoryCounters returns empty counters.
func NewMemoryCounters() *MemoryCounters { return &MemoryCounters{counts: map[string]int{}} }

// at moves the counters to window, dropping older counts; false when window is older than the
// one kept (its counts are gone).
func (m *MemoryCounters) at(window time.Time) bool {
	switch {
	case window.After(m.window):
		m.window = window
		clear(m.counts)
	case window.Before(m.window):
		return false
	}
	return true
}

// Count returns the keys' counts in the window.
func (m *MemoryCounters) Count(_ context.Context, window time.Time, keys ...string) ([]int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]int, len(keys))
	if m.at(window) {
		for i, k := range keys {
			out[i] = m.counts[k]
		}
	}
	return out, nil
}

// Add counts one for each key in the window.
func (m *MemoryCounters) Add(_ context.Context, window, _ time.Time, keys ...string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.at(window) {
		for _, k := range keys {
			m.counts[k]++
		}
	}
	return nil
}

// Reset forgets the key's count in the window.
func (m *MemoryCounters) Reset(_ context.Context, window time.Time, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.at(window) {
		delete(m.counts, key)
	}
	return nil
}
