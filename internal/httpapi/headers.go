package httpapi

import (
	"net/http"
	"sync/atomic"
	"time"
)

// Header values that most responses carry, each one slice shared by every response that sets it
// (setShared): Header.Set makes a new one-element slice for every call, and a ping answer sets
// eight headers, so sharing them is eight allocations fewer per ping.
var (
	frameDeny    = []string{"DENY"}
	noSniff      = []string{"nosniff"}
	sameOrigin   = []string{"same-origin"}
	neverCache   = []string{"max-age=0, no-cache, no-store, must-revalidate, private"}
	anyOrigin    = []string{"*"}
	textHTMLUTF8 = []string{"text/html; charset=utf-8"}
)

// setShared sets the header key, which must be in canonical form, to vals without copying it.
// vals is shared by every response that sets it, so nothing may write into it: net/http copies a
// response's header before it writes it out, and Header's Set, Add and Del replace a key's slice
// rather than change it (Add appends to a full slice, which copies it). Every slice passed here
// has its length as its capacity.
func setShared(h http.Header, key string, vals []string) { h[key] = vals }

// httpDate caches the HTTP date (http.TimeFormat) of one second, as a header value: the never-
// cache headers carry an Expires of the current second on every ping, and formatting it is a
// string and a slice per ping.
type httpDate struct {
	sec  int64
	vals []string // one element, shared (setShared)
}

// dateCache is the last httpDate made; a request in another second replaces it.
type dateCache struct{ last atomic.Pointer[httpDate] }

// header returns now's HTTP date as a shared header value.
func (d *dateCache) header(now time.Time) []string {
	sec := now.Unix()
	if c := d.last.Load(); c != nil && c.sec == sec {
		return c.vals
	}
	c := &httpDate{sec: sec, vals: []string{now.UTC().Format(http.TimeFormat)}}
	d.last.Store(c)
	return c.vals
}

// setNeverCache sets Healthchecks' never_cache headers: Expires now, and Cache-Control.
func (s *Server) setNeverCache(h http.Header, now time.Time) {
	setShared(h, "Expires", s.dates.header(now))
	setShared(h, "Cache-Control", neverCache)
}
