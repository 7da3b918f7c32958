package notify_test

import (
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/notify"
)

// smtpServer is a minimal SMTP server that records what it is sent and rejects one recipient.
type smtpServer struct {
	ln     net.Listener
	reject string
	mu     sync.Mutex
	mails  []smtpMail
	wg     sync.WaitGroup
}

type smtpMail struct {
	from, to string
	data     []byte
}

func startSMTP(t *testing.T, reject string) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{ln: ln, reject: reject}
	s.wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Go(func() { s.serve(conn) })
		}
	})
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return s
}

func (s *smtpServer) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

func (s *smtpServer) serve(conn net.Conn) {
	defer conn.Close()
	tp := textproto.NewConn(conn)
	var m smtpMail
	_ = tp.PrintfLine("220 test ESMTP")
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb := strings.ToUpper(line)
		switch {
		case strings.HasPrefix(verb, "EHLO"), strings.HasPrefix(verb, "HELO"):
			_ = tp.PrintfLine("250 test")
		case strings.HasPrefix(verb, "MAIL FROM:"):
			m.from = strings.Trim(line[len("MAIL FROM:"):], "<> ")
			_ = tp.PrintfLine("250 ok")
		case strings.HasPrefix(verb, "RCPT TO:"):
			m.to = strings.Trim(line[len("RCPT TO:"):], "<> ")
			if m.to == s.reject {
				_ = tp.PrintfLine("550 5.1.1 no such user")
				continue
			}
			_ = tp.PrintfLine("250 ok")
		case verb == "DATA":
			_ = tp.PrintfLine("354 go ahead")
			data, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			m.data = data
			s.mu.Lock()
			s.mails = append(s.mails, m)
			s.mu.Unlock()
			_ = tp.PrintfLine("250 queued")
		case verb == "QUIT":
			_ = tp.PrintfLine("221 bye")
			return
		default:
			_ = tp.PrintfLine("250 ok")
		}
	}
}

func (s *smtpServer) sent() []smtpMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]smtpMail(nil), s.mails...)
}

func newSMTP(t *testing.T, port int) *notify.SMTP {
	t.Helper()
	tr, err := notify.NewSMTP(notify.SMTPConfig{Host: "127.0.0.1", Port: port, From: "Overdue <alerts@overdue.test>",
		Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func email(to string) *check.Channel {
	return &check.Channel{ID: "e0000000-0000-4000-8000-000000000003", ProjectID: "p", Kind: check.ChannelEmail, Value: to}
}

func TestSMTPSend(t *testing.T) {
	srv := startSMTP(t, "")
	a := simpleAlert()
	a.Check.Name = "sauvegarde ✓"
	m, err := notify.NewMessage(a)
	if err != nil {
		t.Fatal(err)
	}
	if err := newSMTP(t, srv.port()).Send(t.Context(), email("alice@example.org"), m, "c:7:e"); err != nil {
		t.Fatalf("Send = %v", err)
	}
	mails := srv.sent()
	if len(mails) != 1 || mails[0].from != "alerts@overdue.test" || mails[0].to != "alice@example.org" {
		t.Fatalf("sent %+v, want one mail from alerts@overdue.test to alice@example.org", mails)
	}
	msg, err := mail.ReadMessage(strings.NewReader(string(mails[0].data)))
	if err != nil {
		t.Fatalf("not a mail message: %v\n%s", err, mails[0].data)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subject != "DOWN | sauvegarde ✓" {
		t.Errorf("Subject = %q (%v), want %q", subject, err, "DOWN | sauvegarde ✓")
	}
	for h, want := range map[string]string{
		"To":                 "<alice@example.org>",
		"From":               `"Overdue" <alerts@overdue.test>`,
		"X-Overdue-Delivery": "c:7:e",
		"Date":               "Tue, 24 Nov 2026 20:08:55 +0000",
	} {
		if got := msg.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type = %q, want multipart/alternative", msg.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var types []string
	for {
		p, err := mr.NextPart() // decodes quoted-printable
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(p)
		types = append(types, p.Header.Get("Content-Type"))
		if !strings.Contains(string(body), "sauvegarde ✓") || !strings.Contains(string(body), "grace time passed") {
			t.Errorf("%s part lacks the name or reason:\n%s", p.Header.Get("Content-Type"), body)
		}
	}
	if strings.Join(types, ",") != "text/plain; charset=utf-8,text/html; charset=utf-8" {
		t.Errorf("parts = %v, want text then HTML", types)
	}
}

func TestSMTPRejectedRecipientIsPermanent(t *testing.T) {
	srv := startSMTP(t, "nobody@example.org")
	err := newSMTP(t, srv.port()).Send(t.Context(), email("nobody@example.org"), message(t), "d")
	if !notify.IsPermanent(err) {
		t.Errorf("Send to a rejected recipient = %v, want a permanent error", err)
	}
	if len(srv.sent()) != 0 {
		t.Errorf("a mail was accepted for a rejected recipient")
	}
}

func TestSMTPUnreachableIsTransient(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	err = newSMTP(t, port).Send(t.Context(), email("alice@example.org"), message(t), "d")
	if err == nil || notify.IsPermanent(err) {
		t.Errorf("Send to a closed port = %v, want a transient error", err)
	}
}

func TestNewSMTPValidates(t *testing.T) {
	for _, cfg := range []notify.SMTPConfig{
		{Host: "", From: "a@example.org"},
		{Host: "localhost", From: "not an address"},
	} {
		if _, err := notify.NewSMTP(cfg); err == nil {
			t.Errorf("NewSMTP(%+v) = nil error, want one", cfg)
		}
	}
}
