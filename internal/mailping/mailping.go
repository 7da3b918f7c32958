// Package mailping turns email into pings, as Healthchecks' smtpd does: mail to
// <uuid>@<ping domain>, or to <ping key>+<slug>@<ping domain>, is a ping of that check, a
// success unless the check's subject or body keyword filters say otherwise, with the whole
// message (capped) as its body. Receiver decides and records; Server is its SMTP listener
// (github.com/emersion/go-smtp) for `overdue serve --smtp-listen`. Email pings are not
// counted for the ingestion health, by choice: a mail the store refuses is answered 451 and
// sent again by its server, and mail's arrival times would blur the ping rate (README,
// "No false-alert waves").
package mailping

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"regexp"
	"strings"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/ingest"
	"github.com/overduehq/overdue/internal/store"
)

// DefaultBodyLimit is how many bytes of a message are kept as the ping's body.
const DefaultBodyLimit = 100000

// Receiver records email pings.
type Receiver struct {
	Store store.Store
	// Now is the clock.
	Now func() time.Time
	// Domain is the ping domain: recipients in any other domain are refused.
	Domain string
	// BodyLimit caps the stored message; 0 means DefaultBodyLimit.
	BodyLimit int
	// Logger receives one line per refused or unknown recipient; never a message.
	Logger *slog.Logger
}

// Recipient errors, each an SMTP refusal of RCPT TO (550 5.1.1, as Healthchecks answers).
var (
	ErrOtherDomain    = errors.New("recipient rejected: not the ping domain")
	ErrInvalidMailbox = errors.New("invalid mailbox: want <check uuid>@<ping domain> or <ping key>+<slug>@<ping domain>")
)

var (
	uuidRe = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$`)
	slugRe = regexp.MustCompile(`^([a-zA-Z0-9_-]{22})\+([a-z0-9_-]+)$`)
)

// Address is a recipient understood: a check UUID, or a ping key and a slug.
type Address struct {
	CheckID       string
	PingKey, Slug string
}

// Parse checks a recipient address against the ping domain and the two mailbox shapes.
func (r *Receiver) Parse(to string) (Address, error) {
	at := strings.LastIndexByte(to, '@')
	if at < 0 {
		return Address{}, ErrInvalidMailbox
	}
	local, domain := to[:at], to[at+1:]
	if !strings.EqualFold(domain, r.Domain) {
		return Address{}, ErrOtherDomain
	}
	if uuidRe.MatchString(local) {
		return Address{CheckID: strings.ToLower(local)}, nil
	}
	if m := slugRe.FindStringSubmatch(local); m != nil {
		return Address{PingKey: m[1], Slug: m[2]}, nil
	}
	return Address{}, ErrInvalidMailbox
}

// Deliver records the message as a ping of each recipient's check. Recipients that name no
// check, or an ambiguous slug, are logged and skipped, as in Healthchecks; an error is a
// failure of the store, for the sender to try again.
func (r *Receiver) Deliver(ctx context.Context, from string, to []Address, remoteAddr string, raw []byte) error {
	limit := r.BodyLimit
	if limit <= 0 {
		limit = DefaultBodyLimit
	}
	subject, text := readMessage(raw)
	body := raw
	if len(body) > limit {
		body = body[:limit]
	}
	sig := check.Signal{Kind: check.PingSuccess, Email: true, Subject: subject, Text: text, Body: body,
		Scheme: "email", RemoteAddr: remoteAddr, UA: "Email from " + from}
	now := r.Now().UTC()
	for _, a := range to {
		id, err := r.checkID(ctx, a)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) || errors.Is(err, errAmbiguous) {
				r.log().InfoContext(ctx, "email ping for no check", "check", a.CheckID, "slug", a.Slug, "reason", err.Error())
				continue
			}
			return err
		}
		// The HTTP ping's path: the check's rules, then the holds of maintenance windows and
		// of the checks it depends on.
		rec := ingest.Recorder{Store: r.Store, Log: r.log()}
		if _, err := rec.Ping(ctx, id, sig, now, nil); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				continue // deleted meanwhile
			}
			return fmt.Errorf("record the email ping of check %s: %w", id, err)
		}
	}
	return nil
}

var errAmbiguous = errors.New("ambiguous slug: several checks of the project have it")

func (r *Receiver) checkID(ctx context.Context, a Address) (string, error) {
	if a.CheckID != "" {
		if _, err := r.Store.Check(ctx, a.CheckID); err != nil {
			return "", err
		}
		return a.CheckID, nil
	}
	p, err := r.Store.ProjectByPingKey(ctx, check.HashKey(a.PingKey))
	if err != nil {
		return "", err
	}
	cs, err := r.Store.ChecksBySlug(ctx, p.ID, a.Slug)
	switch {
	case err != nil:
		return "", err
	case len(cs) == 0:
		return "", store.ErrNotFound
	case len(cs) > 1:
		return "", errAmbiguous
	}
	return cs[0].ID, nil
}

func (r *Receiver) log() *slog.Logger {
	if r.Logger == nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return r.Logger
}

// readMessage returns the decoded subject and the text the body filter reads: the plain-text
// parts, and the HTML parts rendered as text, joined by newlines. A message that does not
// parse gives what could be read (at worst nothing): it is still a ping.
func readMessage(raw []byte) (subject, text string) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return "", ""
	}
	dec := new(mime.WordDecoder)
	subject = msg.Header.Get("Subject")
	if s, err := dec.DecodeHeader(subject); err == nil {
		subject = s
	}
	var texts []string
	collect(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body, &texts, 0)
	return subject, strings.Join(texts, "\n")
}

func collect(contentType, encoding string, body io.Reader, texts *[]string, depth int) {
	if depth > 5 {
		return
	}
	media, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		media = "text/plain"
	}
	if strings.HasPrefix(media, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextRawPart()
			if err != nil {
				return
			}
			collect(part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"), part, texts, depth+1)
		}
	}
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, &lineJoiner{r: body})
	}
	b, err := io.ReadAll(io.LimitReader(body, 1<<20))
	if err != nil && len(b) == 0 {
		return
	}
	switch media {
	case "text/plain":
		*texts = append(*texts, string(b))
	case "text/html":
		*texts = append(*texts, htmlText(string(b)))
	}
}

// lineJoiner drops line breaks so base64 lines decode as one stream.
type lineJoiner struct{ r io.Reader }

func (l *lineJoiner) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	j := 0
	for i := 0; i < n; i++ {
		if p[i] != '\r' && p[i] != '\n' {
			p[j] = p[i]
			j++
		}
	}
	if j == 0 && n > 0 && err == nil {
		return l.Read(p)
	}
	return j, err
}

var (
	tagRe     = regexp.MustCompile(`(?s)<(script|style)[^>]*>.*?</(script|style)>|<[^>]*>`)
	entityMap = strings.NewReplacer("&nbsp;", " ", "&amp;", "&", "&lt;", "<", "&gt;", ">", "&quot;", `"`, "&#39;", "'")
)

// htmlText is HTML as text, roughly: tags, scripts and styles out, the common entities decoded.
func htmlText(h string) string {
	return strings.TrimSpace(entityMap.Replace(tagRe.ReplaceAllString(h, " ")))
}
