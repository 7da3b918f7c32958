package schema

import (
	"context"
	"errors"
	"testing"
	"time"
)

// fakeData is a store's version that tests move, counting the reads.
type fakeData struct {
	v     Version
	err   error
	reads int
}

func (d *fakeData) read(context.Context) (Version, error) {
	d.reads++
	return d.v, d.err
}

// clock is a settable clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock                   { return &clock{time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }
func newGate(d *fakeData, c *clock) *Gate {
	return NewGate(d.read, GateConfig{Build: build3, Now: c.now})
}
func refusedKind(err error) (string, error) { return kindOf(Refused(err)), err }

func kindOf(err error) string {
	switch err.(type) {
	case nil:
		return "ready"
	case *VersionError:
		return "version"
	case *PendingError:
		return "pending"
	case *DamagedError:
		return "damaged"
	}
	return "other"
}

// TestGateMaxAge is the window a running process keeps: an answer that let it in is trusted for
// DefaultMaxAge, one read per window however many writes, and a minimum reader raised past the
// build is seen by the first Check after the window.
func TestGateMaxAge(t *testing.T) {
	data := &fakeData{v: Version{3, 1}}
	c := newClock()
	g := newGate(data, c)
	for range 100 {
		if err := g.Check(t.Context()); err != nil {
			t.Fatalf("Check() = %v, want nil", err)
		}
	}
	if data.reads != 1 {
		t.Errorf("100 Checks in one window read the version %d times, want 1", data.reads)
	}

	data.v = Version{4, 4} // a newer build contracted
	c.advance(DefaultMaxAge - time.Nanosecond)
	if err := g.Check(t.Context()); err != nil {
		t.Errorf("Check() just inside the window = %v, want nil (the trusted answer)", err)
	}
	c.advance(time.Nanosecond)
	err := g.Check(t.Context())
	var ve *VersionError
	if !errors.As(err, &ve) || !ve.Newer() || ve.Data != data.v || ve.Current != build3.Current {
		t.Errorf("Check() once the window ended = %v, want a *VersionError naming %v and version %d", err, data.v, build3.Current)
	}
	if data.reads != 2 {
		t.Errorf("reads = %d, want 2", data.reads)
	}
}

// TestGateRecovers: a refusing Gate reads again after 1 s, 2 s, 4 s … up to 30 s, answering
// the refusal in between without reading, and lets the process in at the first read after the
// data fits; the backoff starts over after that.
func TestGateRecovers(t *testing.T) {
	for _, start := range []struct {
		name string
		v    Version
		want string
	}{
		{"not migrated yet", Version{}, "pending"},
		{"too new", Version{4, 4}, "version"},
		{"damaged", Version{2, 3}, "damaged"},
	} {
		t.Run(start.name, func(t *testing.T) {
			data := &fakeData{v: start.v}
			c := newClock()
			g := newGate(data, c)
			waits := []time.Duration{1, 2, 4, 8, 16, 30, 30}
			for i, w := range waits {
				w *= time.Second
				if kind, err := refusedKind(g.Check(t.Context())); kind != start.want {
					t.Fatalf("refusal %d: Check() = %v (%s), want %s", i+1, err, kind, start.want)
				}
				if data.reads != i+1 {
					t.Fatalf("refusal %d: reads = %d, want %d", i+1, data.reads, i+1)
				}
				c.advance(w - time.Nanosecond)
				if kind, _ := refusedKind(g.Check(t.Context())); kind != start.want || data.reads != i+1 {
					t.Fatalf("refusal %d: %v later: %s after %d reads, want the cached refusal (%s, %d reads)",
						i+1, w-time.Nanosecond, kind, data.reads, start.want, i+1)
				}
				c.advance(time.Nanosecond)
			}

			data.v = Version{3, 2} // the deploy migrated the data, or rolled back the newer build
			if err := g.Check(t.Context()); err != nil {
				t.Fatalf("Check() once the data fits = %v, want nil", err)
			}
			// Refused again later, the wait starts over at a second.
			data.v = start.v
			c.advance(DefaultMaxAge)
			if kind, _ := refusedKind(g.Check(t.Context())); kind != start.want {
				t.Fatalf("Check() = %s, want %s", kind, start.want)
			}
			data.v = Version{3, 2}
			c.advance(time.Second)
			if err := g.Check(t.Context()); err != nil {
				t.Errorf("Check() a second after the second refusal = %v, want nil: the backoff did not start over", err)
			}
		})
	}
}

// TestGateReadError: a failed read is neither a refusal nor remembered.
func TestGateReadError(t *testing.T) {
	data := &fakeData{err: errors.New("throttled")}
	c := newClock()
	g := newGate(data, c)
	err := g.Check(t.Context())
	if err == nil || Refused(err) != nil {
		t.Fatalf("Check() with a failing read = %v, want an error that is not a refusal", err)
	}
	data.err = nil
	data.v = Version{3, 3}
	if err := g.Check(t.Context()); err != nil || data.reads != 2 {
		t.Errorf("Check() after the read recovered = %v after %d reads, want nil after 2", err, data.reads)
	}
}
