package web

import (
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
// enough for a person who mistypes, and for an office behind one address; a guesser gets 40 a
// minute at most per account, across all the addresses it has.
var DefaultLimits = Limits{Window: 15 * time.Minute, PerAccount: 10, PerAddress: 50}

// Limiter counts failed sign-ins in fixed windows (the window of an instant is the instant
// truncated to Window), keyed by account or address. It lives in memory: one process's count.
// `overdue serve` is one process; on AWS each warm instance of the api function counts alone,
// so the limits there hold per instance (see the README, "Sign-in").
type Limiter struct {
	limits Limits
	mu     sync.Mutex
	window time.Time      // the start of the window the counts are for
	counts map[string]int // failures in it, by key
}

// NewMemoryLimiter returns a limiter that counts in memory.
func NewMemoryLimiter(l Limits) *Limiter {
	return &Limiter{limits: l, counts: map[string]int{}}
}

// roll starts a new window when now has left the current one; the old counts go with it, so
// memory holds one window's keys at most.
func (l *Limiter) roll(now time.Time) {
	if start := now.Truncate(l.limits.Window); !start.Equal(l.window) {
		l.window = start
		clear(l.counts)
	}
}

// Blocked reports whether the account or the address has used up its failures in now's window,
// and if so when it may try again.
func (l *Limiter) Blocked(account, address string, now time.Time) (bool, time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.roll(now)
	if l.counts["a:"+account] >= l.limits.PerAccount || l.counts["i:"+address] >= l.limits.PerAddress {
		return true, l.window.Add(l.limits.Window)
	}
	return false, time.Time{}
}

// Fail counts a failed sign-in against the account and the address.
func (l *Limiter) Fail(account, address string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.roll(now)
	l.counts["a:"+account]++
	l.counts["i:"+address]++
}

// Succeed forgets the account's failures: its owner got in, and should not be locked out by
// earlier typos. The address keeps its count.
func (l *Limiter) Succeed(account string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.roll(now)
	delete(l.counts, "a:"+account)
}
