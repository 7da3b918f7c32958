package web

import (
	"math"
	"sync"
	"time"
)

// The public status pages are the one page anyone may request without signing in, and the
// dearest to serve (a 100-check page reads about 150 read units on DynamoDB, or takes about
// 50 ms of CPU on SQLite). Two things in the process keep what strangers can make it cost:
// the rendered page is kept for a while per page key (statusPages), and each client address
// gets a token bucket (clientLimiter). Both live in one process: on AWS, each instance of the
// api function has its own.

// Defaults of the status pages' cache and rate limit.
const (
	// DefaultStatusCacheTTL is how long a rendered status page is served from memory: as long
	// as browsers and shared caches may keep it (statusMaxAge), and the Cache-Control sent with
	// a kept page counts down what is left, so no reader sees a page older than a minute.
	DefaultStatusCacheTTL = time.Minute
	// statusCacheEntries and statusCacheBytes bound the cache: the least recently rendered
	// page goes first when either is reached. The largest page (100 checks, their 90-day
	// strips drawn in SVG) is about 1.1 MiB, a 10-check page about a tenth of it: the budget
	// keeps some 28 of the largest, or the 128 pages of 10 checks.
	statusCacheEntries = 128
	statusCacheBytes   = 32 << 20
)

// DefaultStatusLimit lets one client address request 30 status pages at once, and one a second
// after that: a person reloading, or a wall screen refreshing every few seconds, never meets it.
var DefaultStatusLimit = RateLimit{PerSecond: 1, Burst: 30}

// RateLimit is a token bucket: Burst requests at once, refilled at PerSecond.
type RateLimit struct {
	PerSecond float64
	Burst     int
}

// withDefaults fills a zero RateLimit from DefaultStatusLimit.
func (l RateLimit) withDefaults() RateLimit {
	if l.PerSecond <= 0 {
		l.PerSecond = DefaultStatusLimit.PerSecond
	}
	if l.Burst <= 0 {
		l.Burst = DefaultStatusLimit.Burst
	}
	return l
}

// statusPage is a rendered status page as kept.
type statusPage struct {
	body     []byte
	rendered time.Time
}

// statusPages keeps rendered status pages by key, at most ttl each, within the bounds above.
// A page changed through this process (its settings form) is dropped at once; one changed
// elsewhere (another instance, the API) is served as kept until ttl ends. Safe for concurrent
// use.
type statusPages struct {
	ttl time.Duration // <= 0: nothing is kept

	mu    sync.Mutex
	pages map[string]*statusPage
	bytes int
	gen   uint64 // counts drops: a page rendered from reads made before a drop is not kept
}

func newStatusPages(ttl time.Duration) *statusPages {
	return &statusPages{ttl: ttl, pages: map[string]*statusPage{}}
}

// get returns the page kept for key while it is younger than ttl at now; nil, and the
// generation to hand put, when there is none.
func (c *statusPages) get(key string, now time.Time) (*statusPage, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.pages[key]
	if !ok {
		return nil, c.gen
	}
	if age := now.Sub(p.rendered); age < 0 || age >= c.ttl {
		c.remove(key)
		return nil, c.gen
	}
	return p, c.gen
}

// put keeps p for key, first dropping expired pages, then the oldest, to stay within bounds,
// unless a page was dropped since get returned gen: p was rendered from reads that may have
// come before the change that dropped it (a page made private while it rendered must not come
// back). A page bigger than the whole budget is not kept.
func (c *statusPages) put(key string, p *statusPage, gen uint64) {
	if c.ttl <= 0 || len(p.body) > statusCacheBytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	c.remove(key)
	if len(c.pages) >= statusCacheEntries || c.bytes+len(p.body) > statusCacheBytes {
		for k, kept := range c.pages {
			if p.rendered.Sub(kept.rendered) >= c.ttl {
				c.remove(k)
			}
		}
	}
	for len(c.pages) >= statusCacheEntries || c.bytes+len(p.body) > statusCacheBytes {
		oldest := ""
		for k, kept := range c.pages {
			if oldest == "" || kept.rendered.Before(c.pages[oldest].rendered) {
				oldest = k
			}
		}
		c.remove(oldest)
	}
	c.pages[key] = p
	c.bytes += len(p.body)
}

// drop forgets the pages of keys, and makes pages being rendered meanwhile not kept.
func (c *statusPages) drop(keys ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, k := range keys {
		c.remove(k)
	}
}

func (c *statusPages) remove(key string) {
	if p, ok := c.pages[key]; ok {
		c.bytes -= len(p.body)
		delete(c.pages, key)
	}
}

// maxAge is the Cache-Control max-age, in whole seconds, of a page rendered at rendered and
// sent at now: what is left of the minute, so that a copy a browser or CDN keeps is never
// older than a minute either.
func maxAge(rendered, now time.Time) int {
	left := DefaultStatusCacheTTL - now.Sub(rendered)
	return max(0, int(left/time.Second))
}

// clientBuckets bounds how many client addresses the limiter remembers at once. Past it, the
// buckets that have refilled are forgotten (a full bucket is what a new client gets), then any.
const clientBuckets = 10000

// clientLimiter is a token bucket per client address, in memory.
type clientLimiter struct {
	limit RateLimit

	mu      sync.Mutex
	buckets map[string]*bucket
}

// bucket is one client's tokens as of at.
type bucket struct {
	tokens float64
	at     time.Time
}

func newClientLimiter(l RateLimit) *clientLimiter {
	return &clientLimiter{limit: l.withDefaults(), buckets: map[string]*bucket{}}
}

// tokensAt is b's tokens refilled up to now, at most Burst.
func (l *clientLimiter) tokensAt(b *bucket, now time.Time) float64 {
	elapsed := max(0, now.Sub(b.at).Seconds())
	return math.Min(float64(l.limit.Burst), b.tokens+elapsed*l.limit.PerSecond)
}

// allow takes a token from client's bucket at now. When there is none, it reports false and
// how long until there is one.
func (l *clientLimiter) allow(client string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[client]
	if !ok {
		if len(l.buckets) >= clientBuckets {
			l.forget(now)
		}
		b = &bucket{tokens: float64(l.limit.Burst), at: now}
		l.buckets[client] = b
	}
	b.tokens, b.at = l.tokensAt(b, now), now
	if b.tokens < 1 {
		wait := time.Duration((1 - b.tokens) / l.limit.PerSecond * float64(time.Second))
		return false, wait
	}
	b.tokens--
	return true, 0
}

// forget drops the buckets that have refilled, and, when none has, one bucket, whichever.
func (l *clientLimiter) forget(now time.Time) {
	for k, b := range l.buckets {
		if l.tokensAt(b, now) >= float64(l.limit.Burst) {
			delete(l.buckets, k)
		}
	}
	for k := range l.buckets {
		if len(l.buckets) < clientBuckets {
			return
		}
		delete(l.buckets, k)
	}
}

// retryAfter is a wait as Retry-After's whole seconds, rounded up, at least 1.
func retryAfter(wait time.Duration) int {
	return max(1, int(math.Ceil(wait.Seconds())))
}
