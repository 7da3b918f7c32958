package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Bounds on every load, whatever the flags say: loadgen is a benchmark, never a flood.
const (
	maxDuration = time.Minute
	maxRequests = 5_000_000
	maxConns    = 256
)

// A load is a closed loop of requests: conns workers, each on its own keep-alive connection,
// each sending its next request as soon as it has read the answer to the previous one. It
// runs for warmup (unmeasured), then for duration, or until maxReqs measured requests.
type load struct {
	urls     []string // worker i uses urls[i%len(urls)]
	body     []byte   // POSTed as text/plain; nil: GET
	conns    int
	warmup   time.Duration
	duration time.Duration
	maxReqs  int
}

// result is what one measured phase of a load saw.
type result struct {
	requests   int             // answered 200
	errors     int             // failed, or answered anything but 200
	elapsed    time.Duration   // from the first request to the last answer
	latencies  []time.Duration // of the requests answered 200, sorted
	firstError string
}

// rps is the throughput: requests answered 200 per second.
func (r result) rps() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.requests) / r.elapsed.Seconds()
}

// percentile is the nearest-rank p-th percentile (0 < p <= 100) of the latencies.
func (r result) percentile(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(r.latencies)))) - 1
	return r.latencies[min(max(i, 0), len(r.latencies)-1)]
}

// validate checks the load's bounds and that every URL is on loopback.
func (l load) validate() error {
	switch {
	case len(l.urls) == 0:
		return fmt.Errorf("no URL to load")
	case l.conns < 1 || l.conns > maxConns:
		return fmt.Errorf("%d connections: want 1 to %d", l.conns, maxConns)
	case l.duration <= 0 || l.duration > maxDuration || l.warmup < 0 || l.warmup > maxDuration:
		return fmt.Errorf("duration %s, warm-up %s: want at most %s each", l.duration, l.warmup, maxDuration)
	case l.maxReqs < 1 || l.maxReqs > maxRequests:
		return fmt.Errorf("%d requests: want 1 to %d", l.maxReqs, maxRequests)
	}
	for _, u := range l.urls {
		if err := loopbackURL(u); err != nil {
			return err
		}
	}
	return nil
}

// loopbackURL refuses any URL that is not plain HTTP to a loopback address.
func loopbackURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if u.Scheme != "http" {
		return fmt.Errorf("%s: only http:// URLs on loopback", raw)
	}
	if !loopbackHost(u.Hostname()) {
		return fmt.Errorf("%s: only loopback addresses (127.0.0.0/8, ::1, localhost)", raw)
	}
	return nil
}

func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// loopbackDial dials only loopback addresses, whatever a redirect or a resolver says.
func loopbackDial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if !loopbackHost(host) {
		return nil, fmt.Errorf("refusing to dial %s: not loopback", addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// run warms up, then measures.
func (l load) run(ctx context.Context) (result, error) {
	if err := l.validate(); err != nil {
		return result{}, err
	}
	tr := &http.Transport{
		DialContext:         loopbackDial,
		MaxIdleConnsPerHost: l.conns,
		MaxConnsPerHost:     l.conns,
		DisableCompression:  true,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{
		Transport:     tr,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	if l.warmup > 0 {
		l.phase(ctx, client, l.warmup, maxRequests)
	}
	return l.phase(ctx, client, l.duration, l.maxReqs), nil
}

// phase runs the workers for d or n requests, whichever ends first.
func (l load) phase(ctx context.Context, client *http.Client, d time.Duration, n int) result {
	ctx, cancel := context.WithTimeout(ctx, d+15*time.Second) // a hung request cannot hang loadgen
	defer cancel()
	var (
		budget  atomic.Int64
		mu      sync.Mutex
		res     result
		wg      sync.WaitGroup
		perConn = make([][]time.Duration, l.conns)
	)
	budget.Store(int64(n))
	start := time.Now()
	deadline := start.Add(d)
	for w := range l.conns {
		u := l.urls[w%len(l.urls)]
		wg.Go(func() {
			lat := make([]time.Duration, 0, 4096)
			errs, first := 0, ""
			for time.Now().Before(deadline) && budget.Add(-1) >= 0 && ctx.Err() == nil {
				t := time.Now()
				err := l.do(ctx, client, u)
				if err != nil {
					errs++
					if first == "" {
						first = err.Error()
					}
					continue
				}
				lat = append(lat, time.Since(t))
			}
			perConn[w] = lat
			mu.Lock()
			res.errors += errs
			if res.firstError == "" {
				res.firstError = first
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	for _, lat := range perConn {
		res.latencies = append(res.latencies, lat...)
	}
	slices.Sort(res.latencies)
	res.requests = len(res.latencies)
	return res
}

// do sends one request and reads the whole answer.
func (l load) do(ctx context.Context, client *http.Client, u string) error {
	method, body := http.MethodGet, io.Reader(nil)
	if l.body != nil {
		method, body = http.MethodPost, bytes.NewReader(l.body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return err
	}
	if l.body != nil {
		req.Header.Set("Content-Type", "text/plain")
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: status %d", method, redact(u), resp.StatusCode)
	}
	return nil
}

// redact drops the path of a URL for messages: ping URLs carry check IDs.
func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "<url>"
	}
	return p.Scheme + "://" + p.Host + "/…"
}
