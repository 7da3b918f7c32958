package notify

import "time"

// Retry is the retry policy for transient failures.
type Retry struct {
	// Backoff lists the waits before the second, third, … attempt; a delivery gets
	// len(Backoff)+1 attempts before it is parked. Nil means DefaultBackoff.
	Backoff []time.Duration
	// Lease is how long an attempt may take before another worker may assume its worker died
	// and try again. It must be longer than any send (see SendTimeout). Zero means DefaultLease.
	Lease time.Duration
	// SendTimeout bounds one attempt. Zero means DefaultSendTimeout.
	SendTimeout time.Duration
}

// Retry defaults: five attempts over about 42 minutes. There is no jitter: retries are already
// spread out by the times their flips happened, and a fixed schedule is one tests can pin.
var DefaultBackoff = []time.Duration{30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute}

// Defaults for Retry.
const (
	DefaultLease       = 2 * time.Minute
	DefaultSendTimeout = 30 * time.Second
)

func (r Retry) backoff() []time.Duration {
	if r.Backoff == nil {
		return DefaultBackoff
	}
	return r.Backoff
}

// MaxAttempts is how many attempts a delivery gets.
func (r Retry) MaxAttempts() int { return len(r.backoff()) + 1 }

// Delay is the wait after the failed attempt number attempt (1-based) before the next one.
func (r Retry) Delay(attempt int) time.Duration {
	b := r.backoff()
	if attempt < 1 || attempt > len(b) {
		return 0
	}
	return b[attempt-1]
}

func (r Retry) lease() time.Duration {
	if r.Lease <= 0 {
		return DefaultLease
	}
	return r.Lease
}

// sendTimeout is SendTimeout, but never more than half the lease: an attempt that outlived its
// lease could run alongside the retry another worker starts.
func (r Retry) sendTimeout() time.Duration {
	t := r.SendTimeout
	if t <= 0 {
		t = DefaultSendTimeout
	}
	return min(t, r.lease()/2)
}
