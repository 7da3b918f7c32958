package notify_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/notify"
)

var serverSecret = []byte("0123456789abcdef0123456789abcdef")

func newWebhook(t *testing.T, cfg notify.WebhookConfig) *notify.Webhook {
	t.Helper()
	if cfg.ServerSecret == nil {
		cfg.ServerSecret = serverSecret
	}
	w, err := notify.NewWebhook(cfg)
	if err != nil {
		t.Fatalf("NewWebhook = %v", err)
	}
	return w
}

func message(t *testing.T) *notify.Message {
	t.Helper()
	m, err := notify.NewMessage(simpleAlert())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func hook(url string) *check.Channel {
	return &check.Channel{ID: "e0000000-0000-4000-8000-000000000001", ProjectID: "p", Kind: check.ChannelWebhook, Value: url}
}

// TestWebhookSignature verifies a request the way the package documentation tells receivers
// to, with nothing but the standard library and the channel's signing secret.
func TestWebhookSignature(t *testing.T) {
	type request struct {
		header http.Header
		body   []byte
	}
	got := make(chan request, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost {
			t.Errorf("method = %s, want POST", r.Method)
		}
		got <- request{r.Header, body}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	ch := hook(srv.URL + "/hook?token=abc")
	if err := newWebhook(t, notify.WebhookConfig{}).Send(t.Context(), ch, message(t), "c:7:e"); err != nil {
		t.Fatalf("Send = %v", err)
	}
	r := <-got
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	if id := r.header.Get("X-Overdue-Delivery"); id != "c:7:e" {
		t.Errorf("X-Overdue-Delivery = %q, want c:7:e", id)
	}
	secret := notify.WebhookSecret(serverSecret, ch.ID)
	if len(secret) != 64 {
		t.Errorf("WebhookSecret is %d characters, want 64", len(secret))
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(r.body)
	sig, ok := strings.CutPrefix(r.header.Get("X-Overdue-Signature"), "sha256=")
	want := hex.EncodeToString(mac.Sum(nil))
	if !ok || !hmac.Equal([]byte(sig), []byte(want)) {
		t.Errorf("X-Overdue-Signature = %q, want sha256=%s", r.header.Get("X-Overdue-Signature"), want)
	}
	var ev notify.Event
	if err := json.Unmarshal(r.body, &ev); err != nil || ev.Delivery != "c:7:e" || ev.Check.Name != "simple" {
		t.Errorf("body = %s (%v), want the event with its delivery ID", r.body, err)
	}

	// Each channel has its own secret, and none is the server secret.
	if other := notify.WebhookSecret(serverSecret, "e0000000-0000-4000-8000-000000000002"); other == secret {
		t.Error("two channels share a signing secret")
	}
	if notify.WebhookSecret([]byte("another server"), ch.ID) == secret {
		t.Error("two servers give a channel the same signing secret")
	}
}

func TestWebhookOutcomes(t *testing.T) {
	tests := []struct {
		status        int
		wantErr       bool
		wantPermanent bool
	}{
		{200, false, false},
		{201, false, false},
		{204, false, false},
		{400, true, true},
		{401, true, true},
		{404, true, true},
		{410, true, true},
		{408, true, false},
		{429, true, false},
		{500, true, false},
		{502, true, false},
		{503, true, false},
		{302, true, true}, // a redirect that is not followed
	}
	for _, tt := range tests {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if tt.status == 302 {
				http.Redirect(w, r, "/elsewhere", tt.status)
				return
			}
			w.WriteHeader(tt.status)
		}))
		err := newWebhook(t, notify.WebhookConfig{}).Send(t.Context(), hook(srv.URL), message(t), "d")
		srv.Close()
		if (err != nil) != tt.wantErr || notify.IsPermanent(err) != tt.wantPermanent {
			t.Errorf("status %d: Send = %v (permanent %v), want error %v, permanent %v",
				tt.status, err, notify.IsPermanent(err), tt.wantErr, tt.wantPermanent)
		}
		if err != nil && !strings.Contains(err.Error(), "Received status code") {
			t.Errorf("status %d: error %q, want Healthchecks' wording", tt.status, err)
		}
	}
}

// TestWebhookTimeout: a receiver that does not answer is a transient failure once the
// configured timeout passes. The handler waits for the request to be abandoned, not for a clock.
func TestWebhookTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body) // the server notices a closed connection only after the body
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	w := newWebhook(t, notify.WebhookConfig{Timeout: 20 * time.Millisecond})
	err := w.Send(t.Context(), hook(srv.URL+"/secret-token"), message(t), "d")
	if err == nil || notify.IsPermanent(err) {
		t.Fatalf("Send to a silent receiver = %v, want a transient error", err)
	}
	if strings.Contains(err.Error(), "secret-token") {
		t.Errorf("error %q carries the URL", err)
	}
}

func TestWebhookConnectionRefused(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	err := newWebhook(t, notify.WebhookConfig{}).Send(t.Context(), hook(url), message(t), "d")
	if err == nil || notify.IsPermanent(err) {
		t.Errorf("Send to a closed port = %v, want a transient error", err)
	}
}

func TestWebhookRedirects(t *testing.T) {
	var final atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		final.Add(1)
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/same":
			http.Redirect(w, r, "/final", http.StatusPermanentRedirect)
		case "/other":
			http.Redirect(w, r, other.URL+"/final", http.StatusTemporaryRedirect)
		case "/final":
			if body, _ := io.ReadAll(r.Body); r.Method != http.MethodPost || len(body) == 0 {
				t.Errorf("after a redirect: %s with %d bytes, want the POST and its body", r.Method, len(body))
			}
		}
	}))
	defer srv.Close()
	w := newWebhook(t, notify.WebhookConfig{})
	if err := w.Send(t.Context(), hook(srv.URL+"/same"), message(t), "d"); err != nil {
		t.Errorf("308 to the same host: Send = %v, want it followed", err)
	}
	err := w.Send(t.Context(), hook(srv.URL+"/other"), message(t), "d")
	if !notify.IsPermanent(err) || final.Load() != 0 {
		t.Errorf("307 to another host: Send = %v, %d requests there; want a permanent error and none", err, final.Load())
	}
}

func TestWebhookBlockPrivate(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	w := newWebhook(t, notify.WebhookConfig{BlockPrivate: true})
	err := w.Send(t.Context(), hook(srv.URL), message(t), "d")
	if !notify.IsPermanent(err) || hits.Load() != 0 {
		t.Errorf("Send to loopback with BlockPrivate = %v, %d requests; want a permanent error and none", err, hits.Load())
	}
	var pe *notify.PermanentError
	if !errors.As(err, &pe) {
		t.Errorf("error %v is not a *PermanentError", err)
	}
}

func TestWebhookCancelled(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := newWebhook(t, notify.WebhookConfig{}).Send(ctx, hook(srv.URL), message(t), "d")
	if err == nil || notify.IsPermanent(err) {
		t.Errorf("Send with a cancelled context = %v, want a transient error", err)
	}
}

// TestWebhookRetryAfter: a 429 or 503 with Retry-After (seconds or a date, read against the
// configured clock) tells the dispatcher when to retry.
func TestWebhookRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		status int
		header string
		want   time.Duration
	}{
		{429, "90", 90 * time.Second},
		{503, t0.Add(10 * time.Minute).Format(http.TimeFormat), 10 * time.Minute},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", tc.header)
			w.WriteHeader(tc.status)
		}))
		err := newWebhook(t, notify.WebhookConfig{Now: func() time.Time { return t0 }}).Send(t.Context(), hook(srv.URL), message(t), "d")
		srv.Close()
		if wait, ok := notify.RetryAfter(err); !ok || wait != tc.want || notify.IsPermanent(err) {
			t.Errorf("%d with Retry-After %q: Send = %v, wait %v; want transient, %v", tc.status, tc.header, err, wait, tc.want)
		}
	}
}
