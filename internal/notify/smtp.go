package notify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strconv"
	"time"

	"github.com/overduehq/overdue/internal/check"
)

// SMTPConfig configures the SMTP email transport, for `overdue serve`.
type SMTPConfig struct {
	Host string // required
	Port int    // zero means 25
	// From is the sender, an address or "Name <address>". Required.
	From string
	// Username and Password, when Username is set, authenticate with PLAIN, which net/smtp
	// allows only over TLS or to localhost.
	Username string
	Password string
	// NoTLS skips STARTTLS even when the server offers it (a local test server with a
	// self-signed certificate). Otherwise STARTTLS is used whenever offered.
	NoTLS bool
	// Now stamps the Date header; nil means time.Now.
	Now func() time.Time
}

// SMTP sends email channels to an SMTP server: one multipart/alternative message with the text
// and HTML bodies per delivery. A 5xx answer to RCPT TO (no such mailbox, relaying denied for
// the address) is permanent; every other failure is transient.
type SMTP struct {
	cfg  SMTPConfig
	from *mail.Address
	addr string
}

// NewSMTP returns the SMTP transport. It does no I/O.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	if cfg.Host == "" {
		return nil, errors.New("SMTP: the host is empty")
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("SMTP: the sender %q is not an email address", cfg.From)
	}
	port := cfg.Port
	if port == 0 {
		port = 25
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &SMTP{cfg: cfg, from: from, addr: net.JoinHostPort(cfg.Host, strconv.Itoa(port))}, nil
}

// Send delivers the email. ctx bounds the whole conversation.
func (s *SMTP) Send(ctx context.Context, ch *check.Channel, m *Message, deliveryID string) error {
	msg, err := s.compose(ch.Value, m, deliveryID)
	if err != nil {
		return err
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return fmt.Errorf("SMTP: %w", err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	// Closing the connection is the only way to interrupt net/smtp when ctx is cancelled.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	c, err := smtp.NewClient(conn, s.cfg.Host)
	if err != nil {
		return fmt.Errorf("SMTP: %w", err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok && !s.cfg.NoTLS {
		if err := c.StartTLS(&tls.Config{ServerName: s.cfg.Host}); err != nil {
			return fmt.Errorf("SMTP STARTTLS: %w", err)
		}
	}
	if s.cfg.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.cfg.Username, s.cfg.Password, s.cfg.Host)); err != nil {
			return fmt.Errorf("SMTP AUTH: %w", err)
		}
	}
	if err := c.Mail(s.from.Address); err != nil {
		return fmt.Errorf("SMTP MAIL FROM: %w", err)
	}
	if err := c.Rcpt(ch.Value); err != nil {
		var te *textproto.Error
		if errors.As(err, &te) && te.Code >= 500 {
			return Permanent(fmt.Errorf("SMTP RCPT TO: %w", err))
		}
		return fmt.Errorf("SMTP RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("SMTP DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("SMTP DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("SMTP DATA: %w", err)
	}
	// The message is accepted once DATA ends; a failed QUIT changes nothing.
	_ = c.Quit()
	return nil
}

// compose builds the message: headers, then a multipart/alternative body with the text part
// first (clients show the last part they understand).
func (s *SMTP) compose(to string, m *Message, deliveryID string) ([]byte, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, part := range []struct{ typ, content string }{
		{"text/plain; charset=utf-8", m.Text},
		{"text/html; charset=utf-8", m.HTML},
	} {
		pw, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.typ},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, err
		}
		qw := quotedprintable.NewWriter(pw)
		if _, err := qw.Write([]byte(part.content)); err != nil {
			return nil, err
		}
		if err := qw.Close(); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}

	// A Message-ID derived from the delivery ID is the same on every attempt, so mail systems
	// that deduplicate on it drop a repeat.
	sum := sha256.Sum256([]byte(deliveryID))
	var msg bytes.Buffer
	for _, h := range [][2]string{
		{"From", s.from.String()},
		{"To", (&mail.Address{Address: to}).String()},
		{"Subject", mime.QEncoding.Encode("utf-8", m.Subject)},
		{"Date", s.cfg.Now().Format(time.RFC1123Z)},
		{"Message-ID", "<" + hex.EncodeToString(sum[:16]) + "@overdue>"},
		{"MIME-Version", "1.0"},
		{"Content-Type", "multipart/alternative; boundary=" + mw.Boundary()},
		{DeliveryHeader, deliveryID},
	} {
		fmt.Fprintf(&msg, "%s: %s\r\n", h[0], h[1])
	}
	msg.WriteString("\r\n")
	msg.Write(body.Bytes())
	return msg.Bytes(), nil
}
