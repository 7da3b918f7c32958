package sweep

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// HeartbeatTimeout bounds one heartbeat request: a slow outside monitor must not hold up the
// sweep that pings it.
const HeartbeatTimeout = 5 * time.Second

// Heartbeat pings an outside monitor after a successful sweep: the monitor of the monitor. URL
// is any Healthchecks-compatible ping URL (another Overdue's included); the outside monitor
// alerts when the pings stop, which is when Overdue itself stopped sweeping. A failed ping is
// logged and otherwise ignored: the sweep did its work, and the outside monitor notices a run
// of failures by itself.
type Heartbeat struct {
	// URL is requested with GET; "" turns the heartbeat off.
	URL string
	// Every is the least time between two pings (0: after every sweep). `overdue serve` sweeps
	// every few seconds and pings at most once a minute; the Lambda sweep runs once a minute
	// and pings every time.
	Every time.Duration
	// Client sends the request; nil is http.DefaultClient. Each request is bounded by
	// HeartbeatTimeout whatever the client's own timeout.
	Client *http.Client
	// Now is the clock.
	Now func() time.Time
	// Logger receives failures.
	Logger *slog.Logger

	mu   sync.Mutex
	last time.Time
}

// Beat pings URL unless it is off or the last ping was less than Every ago. It returns the
// failure it logged, for tests; callers ignore it.
func (h *Heartbeat) Beat(ctx context.Context) error {
	if h == nil || h.URL == "" {
		return nil
	}
	now := h.Now()
	h.mu.Lock()
	if !h.last.IsZero() && now.Sub(h.last) < h.Every {
		h.mu.Unlock()
		return nil
	}
	// Counted on the attempt, not on success: an outside monitor that is down is not asked
	// more often than one that is up.
	h.last = now
	h.mu.Unlock()

	err := h.ping(ctx)
	if err != nil && h.Logger != nil {
		h.Logger.WarnContext(ctx, "heartbeat failed", "error", err.Error())
	}
	return err
}

func (h *Heartbeat) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, HeartbeatTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.URL, nil)
	if err != nil {
		return fmt.Errorf("heartbeat: %w", redact(err))
	}
	client := h.Client
	if client == nil {
		client = http.DefaultClient
	}
	res, err := client.Do(req)
	if err != nil {
		// The URL can carry a ping key: the error names the host only.
		return fmt.Errorf("heartbeat to %s: %w", req.URL.Host, redact(err))
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 4096))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return fmt.Errorf("heartbeat to %s: status %s", req.URL.Host, res.Status)
	}
	return nil
}

// redact drops the URL from a *url.Error, which would otherwise quote it whole.
func redact(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}
