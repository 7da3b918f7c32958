package notify

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/schedule"
)

// The webhook kind has two forms. A value that is a URL is Overdue's own webhook: a signed JSON
// POST of the Event (webhook.go). A value that is a JSON object is Healthchecks' webhook, as
// Healthchecks stores it:
//
//	{"method_down": "POST", "url_down": "https://…", "body_down": "…", "headers_down": {…},
//	 "method_up": "GET", "url_up": "", "body_up": "", "headers_up": {}}
//
// one request for down and one for up, each sent only when its URL is not empty, with
// Healthchecks' placeholders expanded (webhookFacts.expand). Both forms carry the signature and
// delivery headers.

// webhookMethods are the methods Healthchecks' webhook form offers.
var webhookMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut}

// webhookFields are the keys of the JSON form; any other key is refused, so a typo does not
// silently drop a request.
var webhookFields = []string{"method_down", "url_down", "body_down", "headers_down",
	"method_up", "url_up", "body_up", "headers_up"}

// webhookSpec is one direction's request template (Healthchecks' WebhookSpec).
type webhookSpec struct {
	Method  string
	URL     string
	Body    string
	Headers [][2]string // in the order given, names as given
}

// isWebhookJSON reports whether a webhook channel's value is Healthchecks' JSON form.
func isWebhookJSON(value string) bool {
	return strings.HasPrefix(strings.TrimSpace(value), "{")
}

// parseWebhookJSON reads and validates the JSON form. Errors are *ValueError naming the field.
func parseWebhookJSON(value string) (down, up webhookSpec, err error) {
	const kind = check.ChannelWebhook
	var doc map[string]json.RawMessage
	if json.Unmarshal([]byte(value), &doc) != nil || doc == nil {
		return down, up, &ValueError{Kind: kind, Problem: `not a JSON object; send a URL, or {"method_down": "POST", "url_down": "https://…", "body_down": "…", "headers_down": {}, "method_up": …, "url_up": …, "body_up": …, "headers_up": …}`}
	}
	keys := make([]string, 0, len(doc))
	for k := range doc {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.Contains(webhookFields, k) {
			return down, up, &ValueError{Kind: kind, Field: k, Problem: "is not a webhook field; use " + strings.Join(webhookFields, ", ")}
		}
	}
	read := func(status string) (webhookSpec, error) {
		var s webhookSpec
		str := func(name string) (string, error) {
			raw, ok := doc[name]
			if !ok || string(raw) == "null" {
				return "", nil
			}
			var v string
			if json.Unmarshal(raw, &v) != nil {
				return "", &ValueError{Kind: kind, Field: name, Problem: "is not a string"}
			}
			return v, nil
		}
		var err error
		if s.Method, err = str("method_" + status); err != nil {
			return s, err
		}
		if s.Method == "" {
			s.Method = http.MethodGet // the form's default
		}
		if !slices.Contains(webhookMethods, s.Method) {
			return s, &ValueError{Kind: kind, Field: "method_" + status, Problem: fmt.Sprintf("%q is not a method a webhook can use; send GET, POST or PUT", s.Method)}
		}
		if s.URL, err = str("url_" + status); err != nil {
			return s, err
		}
		s.URL = strings.TrimSpace(s.URL)
		if s.URL != "" {
			if err := validateURLValue(kind, "url_"+status, s.URL, "https://example.org/hook?check=$CODE"); err != nil {
				return s, err
			}
		}
		if s.Body, err = str("body_" + status); err != nil {
			return s, err
		}
		if raw, ok := doc["headers_"+status]; ok && string(raw) != "null" {
			if s.Headers, err = parseWebhookHeaders("headers_"+status, raw); err != nil {
				return s, err
			}
		}
		return s, nil
	}
	if down, err = read("down"); err != nil {
		return down, up, err
	}
	if up, err = read("up"); err != nil {
		return down, up, err
	}
	if down.URL == "" && up.URL == "" {
		return down, up, &ValueError{Kind: kind, Field: "url_down", Problem: "url_down and url_up are both empty; give at least one"}
	}
	return down, up, nil
}

// parseWebhookHeaders reads a {"Name": "value"} object, keeping its order.
func parseWebhookHeaders(field string, raw json.RawMessage) ([][2]string, error) {
	const kind = check.ChannelWebhook
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	bad := func(problem string) error { return &ValueError{Kind: kind, Field: field, Problem: problem} }
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, bad(`is not an object; send {"Header-Name": "value", …}`)
	}
	var out [][2]string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, bad(`is not an object; send {"Header-Name": "value", …}`)
		}
		name := tok.(string)
		var v string
		if dec.Decode(&v) != nil {
			return nil, bad(fmt.Sprintf("the value of %q is not a string", name))
		}
		switch {
		case !validHeaderName(name):
			return nil, bad(fmt.Sprintf("%q is not a valid header name: use letters, digits and -", name))
		case strings.EqualFold(name, SignatureHeader), strings.EqualFold(name, DeliveryHeader),
			strings.EqualFold(name, "Host"), strings.EqualFold(name, "Content-Length"):
			return nil, bad(fmt.Sprintf("%q is set by Overdue and cannot be given", name))
		case strings.ContainsAny(v, "\r\n\x00"):
			return nil, bad(fmt.Sprintf("the value of %q contains a line break", name))
		}
		out = append(out, [2]string{name, v})
	}
	return out, nil
}

// validHeaderName reports whether s is an RFC 9110 token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r > '~' || r <= ' ' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return false
		}
	}
	return true
}

// webhookFacts are the values of Healthchecks' webhook placeholders for one flip, computed once
// per message. Healthchecks defines exactly these: $CODE, $STATUS, $NOW, $NAME, $NAME_JSON,
// $TAGS, $TAG1…, $JSON, $BODY, $BODY_JSON (bodies only) and $EXITSTATUS; there is no $SLUG, $DESC
// or $PROJECT, and anything else is left as written.
type webhookFacts struct {
	Code, Status, Now, Name, Tags string
	TagList                       []string
	JSON                          string // the check as the v3 API's to_dict, as Python's json.dumps writes it
	Body                          string // the last ping's body, "" for none
	ExitStatus                    string // "-1" when the last ping had none
}

func newWebhookFacts(a Alert) webhookFacts {
	f := webhookFacts{
		Code:       a.Check.ID,
		Status:     string(a.Flip.NewStatus),
		Now:        pyISOTime(a.Flip.Created),
		Name:       a.Check.Name,
		Tags:       a.Check.Tags,
		TagList:    a.Check.TagList(),
		JSON:       hcCheckJSON(a),
		ExitStatus: "-1",
	}
	if p := a.LastPing; p != nil {
		f.Body = strings.ToValidUTF8(string(p.Body), "\uFFFD")
		if p.ExitStatus != nil {
			f.ExitStatus = strconv.Itoa(*p.ExitStatus)
		}
	}
	return f
}

// Where a template is expanded decides how values are escaped, as in Healthchecks' prepare.
type placement int

const (
	inURL    placement = iota // URL-encoded (Python's quote: all but letters, digits, _.-~/)
	inHeader                  // raw, characters outside Latin-1 as &#N; references
	inBody                    // raw; only here are $BODY and $BODY_JSON expanded
)

// expand replaces the placeholders in template, in one pass over the template's "$"s: a value
// that itself holds a placeholder is not expanded again (a check named "$NAME"). Placeholders
// are tried in Healthchecks' order, so "$TAG10" reads as $TAG1 followed by "0", as it does there.
func (f webhookFacts) expand(template string, where placement) string {
	safe := func(s string) string {
		if where == inURL {
			return pyQuote(s)
		}
		return s
	}
	ctx := [][2]string{
		{"$CODE", f.Code},
		{"$STATUS", f.Status},
		{"$NOW", safe(f.Now)},
		{"$NAME_JSON", safe(pyJSONString(f.Name))},
		{"$NAME", safe(f.Name)},
		{"$TAGS", safe(f.Tags)},
		{"$JSON", safe(f.JSON)},
	}
	if where == inBody {
		ctx = append(ctx, [2]string{"$BODY_JSON", pyJSONString(f.Body)}, [2]string{"$BODY", f.Body})
	}
	ctx = append(ctx, [2]string{"$EXITSTATUS", f.ExitStatus})
	for i, tag := range f.TagList {
		ctx = append(ctx, [2]string{"$TAG" + strconv.Itoa(i+1), safe(tag)})
	}
	parts := strings.Split(template, "$")
	var b strings.Builder
	b.WriteString(parts[0])
	for _, part := range parts[1:] {
		part = "$" + part
		for _, kv := range ctx {
			if strings.HasPrefix(part, kv[0]) {
				part = kv[1] + part[len(kv[0]):]
				break
			}
		}
		b.WriteString(part)
	}
	if where == inHeader {
		return latin1(b.String())
	}
	return b.String()
}

// request is the direction's request for a flip, or ok false when its URL is empty and nothing
// is sent. The body is sent only for POST and PUT, as Healthchecks does.
func (s webhookSpec) request(f webhookFacts) (out outgoing, ok bool) {
	if s.URL == "" {
		return out, false
	}
	out = outgoing{Method: s.Method, URL: f.expand(s.URL, inURL), Header: http.Header{}}
	for _, h := range s.Headers {
		out.Header[http.CanonicalHeaderKey(h[0])] = []string{f.expand(h[1], inHeader)}
	}
	if s.Body != "" && (s.Method == http.MethodPost || s.Method == http.MethodPut) {
		out.Body = []byte(f.expand(s.Body, inBody))
	}
	return out, true
}

// pyQuote is Python's urllib.parse.quote with its default safe "/": every byte of the UTF-8
// encoding except ASCII letters, digits, "_.-~" and "/" becomes %XX.
func pyQuote(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("_.-~/", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// latin1 encodes s as Latin-1 bytes, characters outside it as decimal XML character references
// (Python's encode("latin-1", "xmlcharrefreplace")): header values are sent that way.
func latin1(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r <= 0xFF {
			b.WriteByte(byte(r))
		} else {
			fmt.Fprintf(&b, "&#%d;", r)
		}
	}
	return b.String()
}

// pyISOTime is t as Python's isoformat writes an aware UTC datetime without microseconds.
func pyISOTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05") + "+00:00"
}

// pyJSONString is s as Python's json.dumps writes a string: ASCII only, "\uXXXX" in lower-case
// hex for everything else, surrogate pairs above U+FFFF, and no HTML escaping.
func pyJSONString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			switch {
			case r < 0x20 || r > 0x7E && r <= 0xFFFF:
				fmt.Fprintf(&b, `\u%04x`, r)
			case r > 0xFFFF:
				r -= 0x10000
				fmt.Fprintf(&b, `\u%04x\u%04x`, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
			default:
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// hcCheckJSON is the check as Healthchecks' $JSON shows it: Check.to_dict() for API v3, keys in
// its order, written as json.dumps writes them (", " and ": " separators). The URLs are under
// the alert's site root.
func hcCheckJSON(a Alert) string {
	c := a.Check
	var sched check.Schedule
	if c.Kind != check.KindSimple {
		if n, err := schedule.ForCheck(string(c.Kind), c.Schedule, c.TZ); err == nil && n != nil {
			sched = n
		}
	}
	type kv struct {
		k string
		v string // already encoded
	}
	str := pyJSONString
	boolean := func(b bool) string { return strconv.FormatBool(b) }
	num := func(d time.Duration) string { return strconv.FormatInt(int64(d/time.Second), 10) }
	when := func(t time.Time) string {
		if t.IsZero() {
			return "null"
		}
		return str(pyISOTime(t))
	}
	subject, subjectFail := "", ""
	if c.FilterSubject {
		subject, subjectFail = c.SuccessKw, c.FailureKw
	}
	root := strings.TrimRight(a.SiteRoot, "/")
	update := root + "/api/v3/checks/" + c.ID
	channels := slices.Clone(c.Channels)
	slices.Sort(channels)
	doc := []kv{
		{"name", str(c.Name)}, {"slug", str(c.Slug)}, {"tags", str(c.Tags)}, {"desc", str(c.Desc)},
		{"grace", num(c.Grace)}, {"n_pings", strconv.Itoa(c.NPings)},
		{"status", str(string(c.StatusAt(a.Flip.Created, sched, false)))},
		{"started", boolean(c.Started())}, {"last_ping", when(c.LastPing)},
		{"next_ping", when(c.NextPing(sched))}, {"manual_resume", boolean(c.ManualResume)},
		{"methods", str(c.Methods)}, {"subject", str(subject)}, {"subject_fail", str(subjectFail)},
		{"start_kw", str(c.StartKw)}, {"success_kw", str(c.SuccessKw)}, {"failure_kw", str(c.FailureKw)},
		{"filter_subject", boolean(c.FilterSubject)}, {"filter_body", boolean(c.FilterBody)},
		{"filter_http_body", boolean(c.FilterHTTPBody)}, {"filter_default_fail", boolean(c.FilterDefaultFail)},
		{"badge_url", str(root + "/b/2/" + c.BadgeKey + ".svg")},
	}
	if c.LastDuration != 0 {
		doc = append(doc, kv{"last_duration", num(c.LastDuration)})
	}
	doc = append(doc, kv{"uuid", str(c.ID)}, kv{"ping_url", str(root + "/ping/" + c.ID)},
		kv{"update_url", str(update)}, kv{"pause_url", str(update + "/pause")},
		kv{"resume_url", str(update + "/resume")}, kv{"channels", str(strings.Join(channels, ","))})
	if c.Kind == check.KindSimple {
		doc = append(doc, kv{"timeout", num(c.Timeout)})
	} else {
		doc = append(doc, kv{"schedule", str(c.Schedule)}, kv{"tz", str(c.TZ)})
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, e := range doc {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(str(e.k) + ": " + e.v)
	}
	b.WriteByte('}')
	return b.String()
}
