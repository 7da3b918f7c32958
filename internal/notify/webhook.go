package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"

	"github.com/overduehq/overdue/internal/check"
)

// Transport sends a message to one channel. An error is retried unless marked with Permanent;
// the transport decides which of its failures are the channel's fault (permanent: the address,
// number, topic or URL is wrong) and which are passing (throttling, 5xx, timeouts, our own
// configuration), which are transient.
type Transport interface {
	Send(ctx context.Context, ch *check.Channel, m *Message, deliveryID string) error
}

// Webhook headers.
const (
	// SignatureHeader carries "sha256=" and the hex HMAC-SHA256 of the request body, keyed with
	// the channel's signing secret (WebhookSecret).
	SignatureHeader = "X-Overdue-Signature"
	// DeliveryHeader carries the delivery ID, the same on every attempt, so receivers can
	// drop repeats.
	DeliveryHeader = "X-Overdue-Delivery"
)

// DefaultWebhookTimeout bounds one webhook request, connection included.
const DefaultWebhookTimeout = 10 * time.Second

// WebhookSecret is a webhook channel's signing secret: 64 hex characters, derived from the
// server secret and the channel ID. Each channel gets its own, so a receiver that knows its
// secret can neither forge requests to other receivers nor learn the server secret (which also
// signs badge URLs). Show it to the channel's owner; receivers check a request with
//
//	hex(HMAC-SHA256(key = the secret's 64 ASCII characters, message = the raw body))
//
// against the X-Overdue-Signature header after its "sha256=" prefix, compared in constant time.
func WebhookSecret(serverSecret []byte, channelID string) string {
	mac := hmac.New(sha256.New, serverSecret)
	mac.Write([]byte("overdue webhook signing secret v1\x00" + channelID))
	return hex.EncodeToString(mac.Sum(nil))
}

// Sign is the X-Overdue-Signature value of body under a channel's signing secret.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// WebhookConfig configures the webhook transport.
type WebhookConfig struct {
	// ServerSecret derives each channel's signing secret (WebhookSecret). Required.
	ServerSecret []byte
	// Timeout bounds one request; zero means DefaultWebhookTimeout.
	Timeout time.Duration
	// BlockPrivate refuses to connect to loopback, private, link-local and other non-public
	// addresses, checked on the address actually dialled (so DNS cannot smuggle one in). Set it
	// wherever the notifier runs next to things a webhook must not reach (in Lambda, the runtime
	// API on 127.0.0.1); leave it off for `overdue serve` posting to a local receiver.
	BlockPrivate bool
	// Transport is the HTTP transport; nil means a clone of http.DefaultTransport. Tests use it.
	Transport http.RoundTripper
	// Now reads the clock, for Retry-After dates; nil means time.Now.
	Now func() time.Time
}

// Webhook POSTs a message's Event as JSON to the channel's URL.
//
// Outcome: 2xx is sent. 408, 429 and 5xx, timeouts and network errors are transient, and a
// Retry-After on them is honoured (RetryAfterError). Other 4xx
// answers and redirects are permanent: the URL is wrong, and asking again will not change the
// answer. Redirects are followed only to the same scheme and host and only with 307 or 308,
// which keep the method and body; anything else would resend the alert somewhere the channel's
// owner did not name, or turn the POST into a GET.
type Webhook struct {
	secret []byte
	client *http.Client
	now    func() time.Time
}

// NewWebhook returns the webhook transport. It does no I/O.
func NewWebhook(cfg WebhookConfig) (*Webhook, error) {
	if len(cfg.ServerSecret) == 0 {
		return nil, errors.New("webhook: the server secret is empty")
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultWebhookTimeout
	}
	rt := cfg.Transport
	if rt == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		if cfg.BlockPrivate {
			d := &net.Dialer{Timeout: timeout, Control: refusePrivate}
			tr.DialContext = d.DialContext
			tr.Proxy = nil // a proxy would dial the address for us, unchecked
		}
		rt = tr
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Webhook{
		now:    now,
		secret: cfg.ServerSecret,
		client: &http.Client{Transport: rt, Timeout: timeout, CheckRedirect: sameOriginRedirect},
	}, nil
}

// Send POSTs the event to a channel whose value is a URL. A channel in Healthchecks' JSON form
// (kind_webhook.go) gets its own request for the flip's direction instead, or nothing when that
// direction's URL is empty. Either way the request carries the signature of its body (of no
// bytes for a GET) and the delivery ID.
func (w *Webhook) Send(ctx context.Context, ch *check.Channel, m *Message, deliveryID string) error {
	out := outgoing{Method: http.MethodPost, URL: ch.Value, Header: http.Header{"Content-Type": {"application/json"}}}
	if isWebhookJSON(ch.Value) {
		down, up, err := parseWebhookJSON(ch.Value)
		if err != nil {
			return Permanent(err)
		}
		spec := up
		if m.Event.Flip.New == string(check.StatusDown) {
			spec = down
		}
		var ok bool
		if out, ok = spec.request(m.hook); !ok {
			return nil // Healthchecks' is_noop: no URL for this direction
		}
	} else {
		body, err := m.JSON(deliveryID)
		if err != nil {
			return fmt.Errorf("encode event: %w", err)
		}
		out.Body = body
	}
	req, err := http.NewRequestWithContext(ctx, out.Method, out.URL, bytes.NewReader(out.Body))
	if err != nil {
		// Not the URL itself: it may carry a token.
		return Permanent(errors.New("the webhook URL is not valid"))
	}
	if len(out.Body) == 0 {
		req.Body, req.ContentLength = nil, 0 // a GET with no body, not an empty chunked one
	}
	for name, vs := range out.Header {
		req.Header[name] = vs
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "Overdue")
	}
	req.Header.Set(SignatureHeader, Sign(WebhookSecret(w.secret, ch.ID), out.Body))
	req.Header.Set(DeliveryHeader, deliveryID)
	resp, err := w.client.Do(req)
	if err != nil {
		if errors.Is(err, errPrivateAddress) {
			return Permanent(err)
		}
		if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
			return errors.New("the webhook did not answer in time")
		}
		return err
	}
	defer resp.Body.Close()
	// Read a little of the body so the connection can be reused; its content is not kept.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	code := resp.StatusCode
	// Healthchecks' wording, capitalised as it is shown: the channel's last error.
	err = fmt.Errorf("Received status code %d", code)
	switch {
	case code >= 200 && code < 300:
		return nil
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
		if wait, ok := parseRetryAfter(resp.Header.Get("Retry-After"), w.now()); ok {
			return &RetryAfterError{Err: err, Wait: wait}
		}
		return err
	case code >= 300 && code < 400:
		return Permanent(fmt.Errorf("%w (a redirect, not followed: use the final URL)", err))
	}
	return Permanent(err)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// sameOriginRedirect follows 307 and 308 to the same scheme and host, at most 3 times.
func sameOriginRedirect(req *http.Request, via []*http.Request) error {
	first := via[0].URL
	if len(via) > 3 || req.Response == nil ||
		(req.Response.StatusCode != http.StatusTemporaryRedirect && req.Response.StatusCode != http.StatusPermanentRedirect) ||
		req.URL.Scheme != first.Scheme || req.URL.Host != first.Host {
		return http.ErrUseLastResponse
	}
	return nil
}

var errPrivateAddress = errors.New("the webhook's host is not a public address")

// refusePrivate is a net.Dialer Control function: it runs after name resolution, on the address
// about to be dialled.
func refusePrivate(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return errPrivateAddress
	}
	a := ap.Addr().Unmap()
	if !a.IsGlobalUnicast() || a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() ||
		sharedAddressSpace.Contains(a) {
		return errPrivateAddress
	}
	return nil
}

// sharedAddressSpace is RFC 6598 carrier-grade NAT space, which IsPrivate does not cover.
var sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10")
