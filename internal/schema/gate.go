package schema

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Defaults for GateConfig.
const (
	// DefaultMaxAge is how long a Gate trusts an answer that let the build use the data. It is
	// the window in which a process can still write after another raised the minimum reader
	// past it; each instance pays one read of the data's version per window in which it writes
	// (see README, "Upgrades and rollbacks").
	DefaultMaxAge = 5 * time.Second
	// DefaultMinBackoff is the first wait before a Gate that refused reads the version again.
	DefaultMinBackoff = time.Second
	// DefaultMaxBackoff caps the doubling wait of a Gate that keeps refusing: a refusing
	// process serves again at most this long after the data fits.
	DefaultMaxBackoff = 30 * time.Second
)

// GateConfig configures a Gate; zero fields take the defaults.
type GateConfig struct {
	// Build is what the process knows of the data model. Zero: This().
	Build Build
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// MaxAge is how long an answer that lets the build use the data is trusted. Default
	// DefaultMaxAge.
	MaxAge time.Duration
	// MinBackoff and MaxBackoff bound the wait before a refusing Gate reads again: it starts
	// at MinBackoff and doubles with every refusal in a row up to MaxBackoff. Defaults
	// DefaultMinBackoff and DefaultMaxBackoff.
	MinBackoff, MaxBackoff time.Duration
}

// Gate is Ready for a process that keeps running while another may migrate the data under it:
// a warm Lambda instance, `overdue serve` on DynamoDB. Check reads what the data records and
// applies Ready, and keeps the answer for a while so that a write costs no extra read:
//
//   - an answer that lets the build use the data holds for MaxAge, then the next Check reads
//     again; so a process notices a minimum reader raised past it within MaxAge;
//   - a refusal holds for a wait that starts at MinBackoff and doubles up to MaxBackoff, then
//     the next Check reads again; so a process that met data not migrated yet, or too new,
//     serves again within MaxBackoff of the data fitting, without a restart;
//   - a failed read is not an answer: Check returns the error (not a refusal) and the next
//     Check reads again.
//
// A Gate reads at most once at a time: concurrent Checks wait for the one read. It is safe for
// concurrent use.
type Gate struct {
	read       func(context.Context) (Version, error)
	build      Build
	now        func() time.Time
	maxAge     time.Duration
	minBackoff time.Duration
	maxBackoff time.Duration

	mu    sync.Mutex
	known bool          // err is an answer
	err   error         // the answer: nil, or the refusal
	data  Version       // what the data recorded when the answer was read
	until time.Time     // the answer holds before this instant
	wait  time.Duration // the last refusal's wait; zero after an answer that let the build in
}

// NewGate returns a Gate that reads the data's version with read (a store's Version). It does
// no I/O.
func NewGate(read func(context.Context) (Version, error), cfg GateConfig) *Gate {
	g := &Gate{read: read, build: cfg.Build, now: cfg.Now, maxAge: cfg.MaxAge,
		minBackoff: cfg.MinBackoff, maxBackoff: cfg.MaxBackoff}
	if g.build.Current == 0 {
		g.build = This()
	}
	if g.now == nil {
		g.now = time.Now
	}
	if g.maxAge <= 0 {
		g.maxAge = DefaultMaxAge
	}
	if g.minBackoff <= 0 {
		g.minBackoff = DefaultMinBackoff
	}
	if g.maxBackoff <= 0 {
		g.maxBackoff = DefaultMaxBackoff
	}
	g.maxBackoff = max(g.maxBackoff, g.minBackoff)
	return g
}

// Check returns nil when the build may use the data as it is, a refusal (Ready's error; Refused
// finds it) when it must write nothing, or the read's error when the version could not be read,
// in which case the caller must not write either.
func (g *Gate) Check(ctx context.Context) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	if g.known && now.Before(g.until) {
		return g.err
	}
	v, err := g.read(ctx)
	if err != nil {
		return fmt.Errorf("read the data model version: %w", err)
	}
	g.known, g.err, g.data = true, Ready(v, g.build), v
	if g.err == nil {
		g.wait = 0
		g.until = now.Add(g.maxAge)
		return nil
	}
	g.wait = min(max(2*g.wait, g.minBackoff), g.maxBackoff)
	g.until = now.Add(g.wait)
	return g.err
}

// Data is what the data recorded when the Gate last read it, and whether it has read it: the
// version and minimum reader behind the answer Check gives, as old as MaxAge at most while
// that answer lets the build in. A writer whose choice depends on the minimum reader (a
// channel value sealed or in clear text) uses it right after Check; it may lag a change by
// MaxAge, so that writer must make its write conditional on what it assumed, or the change's
// author must wait MaxAge out.
func (g *Gate) Data() (Version, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.data, g.known
}
