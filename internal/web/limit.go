package web

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"
)

// Limits are how many sign-in attempts and reset requests are allowed in a window before the
// form is refused until the window ends. A zero field takes DefaultLimits' value.
type Limits struct {
	Window time.Duration
	// PerAccountAddress bounds failed sign-ins to one email from one client address: the
	// limit a person who mistypes meets. It locks out no one but that address.
	PerAccountAddress int
	// PerAccount bounds failed sign-ins to one email from all addresses together, so that a
	// guesser with many addresses is still bounded; set well above PerAccountAddress, so that
	// someone who wants to lock an account out needs many addresses and as many tries.
	PerAccount int
	// PerAddress bounds failed sign-ins from one address to any email (an office behind one
	// address gets this many).
	PerAddress int
	// ResetsPerAccount and ResetsPerAddress bound reset requests (each may mail a link), counted
	// apart from sign-ins: reset requests never block signing in.
	ResetsPerAccount int
	ResetsPerAddress int
	// CodesPerAccount bounds failed second steps (a wrong code, recovery code or key) of one
	// account from all addresses together, counted apart from passwords: a right password
	// gives nothing back here, so someone who has the password still gets only this many
	// guesses at the code per window.
	CodesPerAccount int
}

// DefaultLimits allow, in 15 minutes, 10 failed sign-ins to one email from one address, 100 to
// one email from all addresses, 50 from one address; and 5 reset requests per email, 20 per
// address. A guesser gets 400 tries an hour at most per account, however many addresses it
// has; locking an owner out of the form takes 100 tries from 10 addresses every quarter hour.
var DefaultLimits = Limits{Window: 15 * time.Minute, PerAccountAddress: 10, PerAccount: 100, PerAddress: 50,
	ResetsPerAccount: 5, ResetsPerAddress: 20, CodesPerAccount: 5}

// withDefaults fills the zero fields from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	for _, f := range []struct {
		v   *int
		def int
	}{{&l.PerAccountAddress, d.PerAccountAddress}, {&l.PerAccount, d.PerAccount}, {&l.PerAddress, d.PerAddress},
		{&l.ResetsPerAccount, d.ResetsPerAccount}, {&l.ResetsPerAddress, d.ResetsPerAddress},
		{&l.CodesPerAccount, d.CodesPerAccount}} {
		if *f.v <= 0 {
			*f.v = f.def
		}
	}
	if l.Window <= 0 {
		l.Window = d.Window
	}
	return l
}

// Counters count attempts per key in fixed windows. MemoryCounters keeps them in the process
// (`overdue serve`); the DynamoDB store's Attempts keeps them in the table, so that every
// instance of the api function sees the same counts.
type Counters interface {
	// Add adds n (negative to give attempts back) to each key's count in the window and
	// returns the counts after the addition. Each key's addition and read are one atomic
	// step: concurrent callers each see a different count, so no two are let through on the
	// same last free attempt. The counts are not needed after expires.
	Add(ctx context.Context, window, expires time.Time, n int, keys ...string) ([]int, error)
	// Reset forgets the key's count in the window.
	Reset(ctx context.Context, window time.Time, key string) error
}

// Limiter decides, from Counters, whether a sign-in or a reset request may go ahead: the window
// of an instant is the instant truncated to Limits.Window. An attempt is reserved (counted)
// before the password is checked, and refused when the reservation goes over a limit, so that
// however many requests arrive at once, at most the limit are checked. A sign-in that succeeds
// gives its reservation back.
type Limiter struct {
	limits   Limits
	counters Counters
}

// NewLimiter returns a limiter over counters.
func NewLimiter(l Limits, c Counters) *Limiter {
	return &Limiter{limits: l.withDefaults(), counters: c}
}

// NewMemoryLimiter returns a limiter that counts in memory.
func NewMemoryLimiter(l Limits) *Limiter { return NewLimiter(l, NewMemoryCounters()) }

// keys name what the counters count apart. An account is an email as normalised.
func pairKey(account, address string) string { return "pair:" + account + "\x00" + address }
func accountKey(account string) string       { return "account:" + account }
func addressKey(address string) string       { return "address:" + address }
func resetKey(account string) string         { return "reset:" + account }
func resetAddressKey(address string) string  { return "reset-address:" + address }
func codeKey(account string) string          { return "code:" + account }

// Reservation is a sign-in attempt counted before its password is checked.
type Reservation struct {
	window           time.Time
	account, address string
}

// ReserveSignIn counts a sign-in attempt of the account from the address. It reports false,
// and when to try again, when the attempt goes over a limit: then the password must not be
// checked. An attempt refused by the email-and-address or the address limit does not count
// against the email's ceiling, so one address cannot use the ceiling up by being refused.
func (l *Limiter) ReserveSignIn(ctx context.Context, account, address string, now time.Time) (*Reservation, bool, time.Time, error) {
	window := now.Truncate(l.limits.Window)
	end := window.Add(l.limits.Window)
	n, err := l.counters.Add(ctx, window, end, 1, pairKey(account, address), addressKey(address))
	if err != nil {
		return nil, false, time.Time{}, err
	}
	if n[0] > l.limits.PerAccountAddress || n[1] > l.limits.PerAddress {
		return nil, false, end, nil
	}
	res := &Reservation{window: window, account: account, address: address}
	n, err = l.counters.Add(ctx, window, end, 1, accountKey(account))
	if err != nil {
		return nil, false, time.Time{}, err
	}
	if n[0] > l.limits.PerAccount {
		return nil, false, end, nil
	}
	return res, true, time.Time{}, nil
}

// Succeed gives a reservation back after the sign-in succeeded: its owner got in, and should
// not be locked out by earlier typos. The email-and-address count is forgotten; the email's
// and the address's counts lose this attempt, which was no failure, and keep the others.
func (l *Limiter) Succeed(ctx context.Context, res *Reservation) error {
	if err := l.counters.Reset(ctx, res.window, pairKey(res.account, res.address)); err != nil {
		return err
	}
	_, err := l.counters.Add(ctx, res.window, res.window.Add(l.limits.Window), -1,
		accountKey(res.account), addressKey(res.address))
	return err
}

// ReserveCode counts a second-step attempt of the account on its own counter; false, and when
// to try again, when it goes over CodesPerAccount (then the code must not be checked). A
// second step that succeeds gives its attempt back with SucceedCode; failures stay counted
// until the window ends, whatever passwords do meanwhile.
func (l *Limiter) ReserveCode(ctx context.Context, account string, now time.Time) (bool, time.Time, error) {
	window := now.Truncate(l.limits.Window)
	end := window.Add(l.limits.Window)
	n, err := l.counters.Add(ctx, window, end, 1, codeKey(account))
	if err != nil {
		return false, time.Time{}, err
	}
	if n[0] > l.limits.CodesPerAccount {
		return false, end, nil
	}
	return true, time.Time{}, nil
}

// SucceedCode gives back the second-step attempt of a reservation whose second step succeeded.
func (l *Limiter) SucceedCode(ctx context.Context, res *Reservation) error {
	_, err := l.counters.Add(ctx, res.window, res.window.Add(l.limits.Window), -1, codeKey(res.account))
	return err
}

// ReserveReset counts a reset request for the account from the address, apart from sign-ins;
// false, and when to try again, when it goes over a limit (then no link may be sent).
func (l *Limiter) ReserveReset(ctx context.Context, account, address string, now time.Time) (bool, time.Time, error) {
	window := now.Truncate(l.limits.Window)
	end := window.Add(l.limits.Window)
	n, err := l.counters.Add(ctx, window, end, 1, resetKey(account), resetAddressKey(address))
	if err != nil {
		return false, time.Time{}, err
	}
	if n[0] > l.limits.ResetsPerAccount || n[1] > l.limits.ResetsPerAddress {
		return false, end, nil
	}
	return true, time.Time{}, nil
}

// MemoryCounters are Counters in memory. They keep one window: counting in a new window drops
// the old one's counts, so memory holds one window's keys at most, each as its SHA-256 (32
// bytes whatever was posted; and no list of emails in memory).
type MemoryCounters struct {
	mu     sync.Mutex
	window time.Time
	counts map[[sha256.Size]byte]int
}

// NewMemoryCounters returns empty counters.
func NewMemoryCounters() *MemoryCounters {
	return &MemoryCounters{counts: map[[sha256.Size]byte]int{}}
}

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

// Add adds n to each key's count in the window, under one lock, and returns the counts after.
// A window older than the one kept counts nothing, and reads 0.
func (m *MemoryCounters) Add(_ context.Context, window, _ time.Time, n int, keys ...string) ([]int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]int, len(keys))
	if m.at(window) {
		for i, k := range keys {
			h := sha256.Sum256([]byte(k))
			m.counts[h] += n
			out[i] = m.counts[h]
		}
	}
	return out, nil
}

// Reset forgets the key's count in the window.
func (m *MemoryCounters) Reset(_ context.Context, window time.Time, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.at(window) {
		delete(m.counts, sha256.Sum256([]byte(key)))
	}
	return nil
}

// len is how many keys the counters hold (for tests).
func (m *MemoryCounters) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.counts)
}
