package sweep

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestHeartbeat pings a loopback monitor: GET at the URL, at most once per Every by the
// injected clock, a failure returned without the URL's path (which may hold a ping key).
func TestHeartbeat(t *testing.T) {
	var hits atomic.Int32
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/ping/secret-key/overdue-sweep" {
			t.Errorf("request %s %s, want GET /ping/secret-key/overdue-sweep", r.Method, r.URL.Path)
		}
		hits.Add(1)
		w.WriteHeader(status)
	}))
	defer srv.Close()

	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	h := &Heartbeat{URL: srv.URL + "/ping/secret-key/overdue-sweep", Every: time.Minute,
		Now: func() time.Time { return now }, Logger: slog.New(slog.DiscardHandler)}
	for _, step := range []struct {
		after time.Duration
		hits  int32
	}{
		{0, 1},
		{2 * time.Second, 1}, // within the minute: no ping
		{58 * time.Second, 2},
		{59 * time.Second, 2},
		{time.Second, 3},
	} {
		now = now.Add(step.after)
		if err := h.Beat(t.Context()); err != nil {
			t.Fatalf("Beat() at %v = %v", now, err)
		}
		if got := hits.Load(); got != step.hits {
			t.Errorf("after Beat() at %v: %d pings, want %d", now, got, step.hits)
		}
	}

	status = http.StatusNotFound
	now = now.Add(time.Minute)
	err := h.Beat(t.Context())
	if err == nil || !strings.Contains(err.Error(), "404") || strings.Contains(err.Error(), "secret-key") {
		t.Errorf("Beat() on a 404 = %v, want an error naming the status and not the URL's path", err)
	}

	srv.Close()
	now = now.Add(time.Minute)
	if err := h.Beat(t.Context()); err == nil || strings.Contains(err.Error(), "secret-key") {
		t.Errorf("Beat() to a closed server = %v, want an error without the URL's path", err)
	}

	var off *Heartbeat
	if err := off.Beat(t.Context()); err != nil {
		t.Errorf("nil heartbeat Beat() = %v", err)
	}
	if err := (&Heartbeat{}).Beat(t.Context()); err != nil {
		t.Errorf("heartbeat without a URL Beat() = %v", err)
	}
}
