package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/overduehq/overdue/internal/check"
)

// kind is one channel kind delivered to a service over HTTP: how to validate a channel's value,
// and how to turn a message into the service's request. Each lives in its own kind_<name>.go and
// is listed once in serviceKinds. Both functions are pure: sending, status handling, Retry-After
// and secret scrubbing are shared (service.Send).
type kind struct {
	// name is the kind as Healthchecks' API names it ("slack", "pd", …).
	name string
	// title names the service in errors: "Slack", "PagerDuty".
	title string
	// base is the service's default base URL, overridden by OVERDUE_URL_<NAME>; "" for kinds
	// whose channel value is the URL to post to.
	base string
	// userHost is set when the request goes to a host the channel's value names (a webhook URL,
	// a self-hosted server): where the notifier must not reach private addresses, it cannot.
	userHost bool
	// validate checks a channel's value; errors are *ValueError naming the bad field.
	validate func(value string) error
	// request renders the request for one delivery.
	request func(c call) (outgoing, error)
	// downOnly kinds send nothing for up (a phone call, a Trello card: Healthchecks' is_noop);
	// their up deliveries are recorded as sent without a request.
	downOnly bool
	// exchange, when set, delivers with several requests instead of request's one (GitHub
	// finds the issue to close before closing it). do sends one request and classifies the
	// answer as Send does, returning the body of a 2xx.
	exchange func(c call, do func(outgoing) ([]byte, error)) error
	// rateLimited says an answer outside 429/408/5xx is the service's rate limit, so transient
	// (GitHub answers 403 to a token over its limit).
	rateLimited func(code int, h http.Header) bool
}

// call is what a kind's request is made from.
type call struct {
	Value    string // the channel's value, already valid
	Base     string // the service's base URL, without a trailing slash
	Card     card
	Delivery string // the delivery ID, the same on every attempt
	// Ref is what an earlier request of the same exchange found: the GitHub issue's number.
	Ref string
}

// outgoing is one HTTP request to a service.
type outgoing struct {
	Method string
	URL    string
	Header http.Header
	Body   []byte
}

// postJSON is the common outgoing request: POST the JSON encoding of v.
func postJSON(u string, v any, header ...string) (outgoing, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return outgoing{}, err
	}
	h := http.Header{"Content-Type": {"application/json"}}
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	return outgoing{Method: http.MethodPost, URL: u, Header: h, Body: body}, nil
}

// serviceKinds is the registry of service kinds, in the order the README and error messages
// list them.
var serviceKinds = []*kind{
	slackKind,
	discordKind,
	teamsKind,
	mattermostKind,
	pagerDutyKind,
	opsgenieKind,
	telegramKind,
	ntfyKind,
	gotifyKind,
	googleChatKind,
	rocketChatKind,
	pushoverKind,
	victorOpsKind,
	pagerTreeKind,
	zulipKind,
	matrixKind,
	pushbulletKind,
	spikeKind,
	trelloKind,
	callKind,
	whatsAppKind,
	signalKind,
	githubKind,
}

// lookupKind is the registered service kind named name, or nil.
func lookupKind(name string) *kind {
	for _, k := range serviceKinds {
		if k.name == name {
			return k
		}
	}
	return nil
}

// ChannelKinds lists every channel kind this build can be configured with: the core kinds of
// package check (email, sms, sns, webhook), then the service kinds, then group and shell.
func ChannelKinds() []string {
	out := slices.Clone(check.ChannelKinds)
	for _, k := range serviceKinds {
		out = append(out, k.name)
	}
	return append(out, ChannelGroup, ChannelShell)
}

// ServiceKinds lists the kinds sent to a service over HTTP (slack, pd, …): the kinds
// NewServices makes transports for.
func ServiceKinds() []string {
	out := make([]string, len(serviceKinds))
	for i, k := range serviceKinds {
		out[i] = k.name
	}
	return out
}

// DefaultChannelName is the name a channel created without one gets: the value for the core
// kinds (an address, a number, a topic, a URL), the service's name for the others, whose values
// hold keys that a listing must not show.
func DefaultChannelName(kind, value string) string {
	if k := lookupKind(kind); k != nil {
		return k.title
	}
	if kind == check.ChannelWebhook && isWebhookJSON(value) {
		return "Webhook" // its headers may hold tokens
	}
	if kind == ChannelGroup {
		return "Group"
	}
	if kind == ChannelShell {
		return "Shell command"
	}
	return value
}

// ValueHint is how a listing shows a channel's value: whole for the kinds whose value is an
// address (email, sms, sns, group), else "…" and the last four characters of its longest part
// (the key, token or URL segment), since the value holds a secret.
func ValueHint(kind, value string) string {
	switch kind {
	case check.ChannelEmail, check.ChannelSMS, check.ChannelSNS, ChannelGroup:
		return value
	}
	part := value
	for _, p := range secretsOf(value) {
		if p != value {
			part = p
			break
		}
	}
	r := []rune(part)
	if len(r) < 8 {
		return "…" // too short to show any of it
	}
	return "…" + string(r[len(r)-4:])
}

// ValueError says which part of a channel's value is wrong and what to send instead.
type ValueError struct {
	Kind string
	// Field is the bad field of a JSON value ("service_key"), or "" when the value as a whole
	// is wrong.
	Field   string
	Problem string
}

// Error reads `invalid pd channel value: field "service_key": …`.
func (e *ValueError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("invalid %s channel value: %s", e.Kind, e.Problem)
	}
	return fmt.Sprintf("invalid %s channel value: field %q: %s", e.Kind, e.Field, e.Problem)
}

// ValidateChannel checks that value configures a channel of kind, for the API and the CLI. The
// core kinds are checked by check.ValidateChannel; a service kind by its own validator, whose
// error names the bad field. It does no I/O.
func ValidateChannel(kind, value string) error {
	if kind == check.ChannelWebhook && isWebhookJSON(value) {
		_, _, err := parseWebhookJSON(value)
		return err
	}
	if slices.Contains(check.ChannelKinds, kind) {
		return check.ValidateChannel(kind, value)
	}
	if kind == ChannelGroup {
		return validateGroup(value)
	}
	if kind == ChannelShell {
		return validateShell(value)
	}
	k := lookupKind(kind)
	switch {
	case kind == "":
		return fmt.Errorf("channel kind is missing: send one of %s", strings.Join(ChannelKinds(), ", "))
	case k == nil:
		return fmt.Errorf("unknown channel kind %q: send one of %s", kind, strings.Join(ChannelKinds(), ", "))
	}
	return k.validate(value)
}

// BaseURLVariable is the environment variable that overrides the base URL of kind's service:
// OVERDUE_URL_ and the kind in capitals (OVERDUE_URL_PD, OVERDUE_URL_TELEGRAM).
func BaseURLVariable(kind string) string { return "OVERDUE_URL_" + strings.ToUpper(kind) }

// BaseURLVariables lists the variables ParseBaseURLs reads, one per kind with a fixed service
// URL. Kinds whose channel value is the URL (slack, discord, msteamsw, mattermost, …) have none.
func BaseURLVariables() []string {
	var out []string
	for _, k := range serviceKinds {
		if k.base != "" {
			out = append(out, BaseURLVariable(k.name))
		}
	}
	return out
}

// ParseBaseURLs reads the base URL overrides through lookup (the composition root passes
// os.LookupEnv or its own configuration reader; this package reads no environment) and returns
// them by kind. An override must be an absolute http or https URL; the error names the variable.
func ParseBaseURLs(lookup func(name string) (string, bool)) (map[string]string, error) {
	out := map[string]string{}
	var errs []error
	for _, k := range serviceKinds {
		if k.base == "" {
			continue
		}
		name := BaseURLVariable(k.name)
		v, ok := lookup(name)
		v = strings.TrimSpace(v)
		if !ok || v == "" {
			continue
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("environment variable %s is %q: use an absolute http:// or https:// URL such as %s", name, v, k.base))
			continue
		}
		out[k.name] = strings.TrimRight(v, "/")
	}
	return out, errors.Join(errs...)
}

// ServicesConfig configures the service transports.
type ServicesConfig struct {
	// BaseURLs overrides services' base URLs by kind (ParseBaseURLs).
	BaseURLs map[string]string
	// Timeout bounds one request; zero means DefaultWebhookTimeout.
	Timeout time.Duration
	// BlockPrivate refuses private and loopback addresses for kinds whose host comes from the
	// channel's value (see WebhookConfig.BlockPrivate). Configured base URLs are the operator's
	// and are not checked.
	BlockPrivate bool
	// Transport is the HTTP transport; nil means a clone of http.DefaultTransport. Tests use it.
	Transport http.RoundTripper
	// Now reads the clock, for Retry-After dates; nil means time.Now.
	Now func() time.Time
}

// NewServices returns a transport for every service kind, by kind. It does no I/O.
func NewServices(cfg ServicesConfig) map[string]Transport {
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultWebhookTimeout
	}
	open, guarded := cfg.Transport, cfg.Transport
	if cfg.Transport == nil {
		open = http.DefaultTransport.(*http.Transport).Clone()
		guarded = open
		if cfg.BlockPrivate {
			tr := http.DefaultTransport.(*http.Transport).Clone()
			tr.DialContext = (&net.Dialer{Timeout: timeout, Control: refusePrivate}).DialContext
			tr.Proxy = nil // a proxy would dial the address for us, unchecked
			guarded = tr
		}
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	client := func(rt http.RoundTripper) *http.Client {
		return &http.Client{Transport: rt, Timeout: timeout, CheckRedirect: sameOriginRedirect}
	}
	out := map[string]Transport{}
	for _, k := range serviceKinds {
		base := k.base
		if b := cfg.BaseURLs[k.name]; b != "" {
			base = b
		}
		out[k.name] = &service{kind: k, base: strings.TrimRight(base, "/"), now: now,
			open: client(open), guarded: client(guarded)}
	}
	return out
}

// service sends one kind's messages.
type service struct {
	kind *kind
	base string
	// open reaches the service's base URL, which is the operator's; guarded reaches hosts a
	// channel's value names, refusing private addresses where BlockPrivate asks it to.
	open, guarded *http.Client
	now           func() time.Time
}

// client is the HTTP client for a request to u: guarded unless u is under the base URL.
func (s *service) client(u string) *http.Client {
	if s.kind.userHost && (s.base == "" || !strings.HasPrefix(u, s.base+"/")) {
		return s.guarded
	}
	return s.open
}

// MaxRetryAfter caps the wait a service's Retry-After can ask for: an alert later than this is
// of little use, and a service must not be able to hold a delivery for ever.
const MaxRetryAfter = 6 * time.Hour

// Send renders the kind's request and sends it (or, for a kind with an exchange, runs it). 2xx
// is sent. 429, 408 and 5xx, timeouts and network errors are transient; a Retry-After on them is
// honoured (RetryAfter). Other answers are permanent, with the service's own error text,
// scrubbed of the channel's secrets.
func (s *service) Send(ctx context.Context, ch *check.Channel, m *Message, deliveryID string) error {
	k := s.kind
	if err := k.validate(ch.Value); err != nil {
		return Permanent(err)
	}
	if k.downOnly && !m.card.Down {
		return nil
	}
	c := call{Value: ch.Value, Base: s.base, Card: m.card, Delivery: deliveryID}
	do := func(out outgoing) ([]byte, error) { return s.do(ctx, ch, out) }
	if k.exchange != nil {
		return k.exchange(c, do)
	}
	out, err := k.request(c)
	if err != nil {
		return Permanent(fmt.Errorf("%s: %w", k.title, err))
	}
	_, err = do(out)
	return err
}

// maxAnswer bounds the body of a service's 2xx answer that a kind reads (GitHub's issue list).
const maxAnswer = 8 << 20

// do sends one request and classifies the answer as Send documents; on 2xx it returns the body
// (up to maxAnswer).
func (s *service) do(ctx context.Context, ch *check.Channel, out outgoing) ([]byte, error) {
	k := s.kind
	req, err := http.NewRequestWithContext(ctx, out.Method, out.URL, bytes.NewReader(out.Body))
	if err != nil {
		return nil, Permanent(fmt.Errorf("%s: the URL is not valid", k.title)) // not the URL: it may hold a key
	}
	for name, vs := range out.Header {
		req.Header[name] = vs
	}
	req.Header.Set("User-Agent", "Overdue")
	resp, err := s.client(out.URL).Do(req)
	if err != nil {
		switch {
		case errors.Is(err, errPrivateAddress):
			return nil, Permanent(fmt.Errorf("%s: %w", k.title, err))
		case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
			return nil, fmt.Errorf("%s did not answer in time", k.title)
		}
		return nil, fmt.Errorf("%s: %s", k.title, scrub(errorText(err), ch.Value))
	}
	defer resp.Body.Close()
	code := resp.StatusCode
	if code >= 200 && code < 300 {
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
		if err != nil {
			return nil, fmt.Errorf("%s: reading its answer: %s", k.title, scrub(errorText(err), ch.Value))
		}
		return body, nil
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	msg := fmt.Sprintf("%s answered %d", k.title, code)
	if detail := scrub(serviceError(body), ch.Value); detail != "" {
		msg += ": " + detail
	}
	err = errors.New(msg)
	limited := k.rateLimited != nil && k.rateLimited(code, resp.Header)
	switch {
	case code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code >= 500 || limited:
		if wait, ok := parseRetryAfter(resp.Header.Get("Retry-After"), s.now()); ok {
			return nil, &RetryAfterError{Err: err, Wait: wait}
		}
		if wait, ok := bodyRetryAfter(body); ok && code == http.StatusTooManyRequests {
			return nil, &RetryAfterError{Err: err, Wait: wait}
		}
		return nil, err
	case code >= 300 && code < 400:
		return nil, Permanent(fmt.Errorf("%w (a redirect, not followed)", err))
	}
	return nil, Permanent(err)
}

// RetryAfterError is a transient failure whose service said when to try again. The dispatcher
// waits at least Wait, even when its next backoff step is sooner.
type RetryAfterError struct {
	Err  error
	Wait time.Duration
}

// Error is the underlying error's text.
func (e *RetryAfterError) Error() string { return e.Err.Error() }

// Unwrap gives errors.Is and errors.As the underlying error.
func (e *RetryAfterError) Unwrap() error { return e.Err }

// RetryAfter is the wait a failure asked for, if it did (RetryAfterError).
func RetryAfter(err error) (time.Duration, bool) {
	var ra *RetryAfterError
	if errors.As(err, &ra) {
		return ra.Wait, true
	}
	return 0, false
}

// parseRetryAfter reads a Retry-After header: delay seconds or an HTTP date, capped at
// MaxRetryAfter.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	var wait time.Duration
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		wait = time.Duration(min(n, int64(MaxRetryAfter/time.Second))) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		wait = max(t.Sub(now), 0)
	} else {
		return 0, false
	}
	return min(wait, MaxRetryAfter), true
}

// serviceError is the error a service put in its answer: the "message", "description", "error",
// "errors", "detail" or "msg" of a JSON body, else the body as text; on one line, short.
func serviceError(body []byte) string {
	var doc map[string]any
	text := string(body)
	if json.Unmarshal(body, &doc) == nil {
		text = ""
		for _, key := range []string{"message", "description", "error", "errors", "detail", "msg"} {
			if v, ok := doc[key]; ok {
				if s, ok := v.(string); ok {
					text = s
				} else if list, ok := v.([]any); ok && allStrings(list) {
					parts := make([]string, len(list))
					for i, x := range list {
						parts[i] = x.(string)
					}
					text = strings.Join(parts, "; ")
				} else if b, err := json.Marshal(v); err == nil {
					text = string(b)
				}
				break
			}
		}
	}
	text = strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(text, "")))
	return excerpt(text, 120)
}

func allStrings(list []any) bool {
	for _, x := range list {
		if _, ok := x.(string); !ok {
			return false
		}
	}
	return len(list) > 0
}

// bodyRetryAfter is the wait some services put in a 429's JSON body instead of the header:
// Discord's "retry_after" and Telegram's "parameters": {"retry_after"}, in seconds.
func bodyRetryAfter(body []byte) (time.Duration, bool) {
	var doc struct {
		RetryAfter *float64 `json:"retry_after"`
		Parameters struct {
			RetryAfter *float64 `json:"retry_after"`
		} `json:"parameters"`
	}
	if json.Unmarshal(body, &doc) != nil {
		return 0, false
	}
	secs := doc.RetryAfter
	if secs == nil {
		secs = doc.Parameters.RetryAfter
	}
	if secs == nil || *secs < 0 {
		return 0, false
	}
	return min(time.Duration(*secs*float64(time.Second)).Round(time.Second), MaxRetryAfter), true
}

// scrub removes the channel's secrets from s: the value, and every part of it that could be a
// key (JSON strings, URL path segments and query values), so a service that echoes a token back
// in its error does not get it stored.
func scrub(s, value string) string {
	for _, secret := range secretsOf(value) {
		s = strings.ReplaceAll(s, secret, "…")
	}
	return s
}

func secretsOf(value string) []string {
	parts := []string{value}
	var doc map[string]any
	if json.Unmarshal([]byte(value), &doc) == nil {
		var walk func(v any)
		walk = func(v any) {
			switch v := v.(type) {
			case string:
				parts = append(parts, v)
				if u, err := url.Parse(v); err == nil && u.Host != "" {
					parts = append(parts, urlSecrets(u)...)
				}
			case map[string]any:
				for _, x := range v {
					walk(x)
				}
			}
		}
		walk(doc)
	} else if u, err := url.Parse(value); err == nil && u.Host != "" {
		parts = append(parts, urlSecrets(u)...)
	}
	var out []string
	for _, p := range parts {
		if len(p) >= 6 {
			out = append(out, p)
		}
	}
	// Longest first, so a part of a longer secret does not leave the rest of it behind.
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

func urlSecrets(u *url.URL) []string {
	out := strings.Split(u.Path, "/")
	for _, vs := range u.Query() {
		out = append(out, vs...)
	}
	if u.User != nil {
		p, _ := u.User.Password()
		out = append(out, u.User.Username(), p)
	}
	return out
}

// Value helpers for the kinds' validators.

// parseObject decodes a JSON object value. A value that is not one is a ValueError.
func parseObject(kind, value, example string) (map[string]any, error) {
	var doc map[string]any
	if err := json.Unmarshal([]byte(value), &doc); err != nil || doc == nil {
		return nil, &ValueError{Kind: kind, Problem: "not a JSON object; send " + example}
	}
	return doc, nil
}

// stringField is doc[name] as a string: "" and no error when absent and optional.
func stringField(kind string, doc map[string]any, name string, required bool, want string) (string, error) {
	v, ok := doc[name]
	if !ok || v == nil {
		if required {
			return "", &ValueError{Kind: kind, Field: name, Problem: "is missing; " + want}
		}
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", &ValueError{Kind: kind, Field: name, Problem: "is not a string; " + want}
	}
	s = strings.TrimSpace(s)
	if s == "" && required {
		return "", &ValueError{Kind: kind, Field: name, Problem: "is empty; " + want}
	}
	return s, nil
}

// validateURLValue checks a value that is an absolute http or https URL (http for local
// receivers and tests). field names it in errors ("" for a plain-URL value).
func validateURLValue(kind, field, v, example string) error {
	want := "send the URL the service gave you, such as " + example
	bad := func(problem string) error {
		return &ValueError{Kind: kind, Field: field, Problem: problem + "; " + want}
	}
	if v == "" {
		return bad("it is empty")
	}
	if len(v) > check.MaxWebhookURL {
		return bad(fmt.Sprintf("the URL is longer than %d characters", check.MaxWebhookURL))
	}
	if strings.ContainsAny(v, " \t\r\n") {
		return bad("the URL contains white space")
	}
	u, err := url.Parse(v)
	if err != nil {
		return bad("not a URL")
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return bad("the scheme must be https or http")
	}
	if u.Hostname() == "" {
		return bad("the URL has no host")
	}
	return nil
}
