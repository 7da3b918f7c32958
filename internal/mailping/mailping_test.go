package mailping_test

import (
	"context"
	"errors"
	"net"
	"net/smtp"
	"net/textproto"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/mailping"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/sqlite"
)

const (
	domain  = "ping.example.org"
	pingKey = "abcdefghijklmnopqrstuv"
	plainID = "6f1d3c2a-9b8e-4d7c-a6f5-e4d3c2b1a091"
	filtID  = "7a2e4d3b-0c9f-4e8d-b7a6-f5e4d3c2b1a0"
	bodyID  = "8b3f5e4c-1d0a-4f9e-8c7b-a6f5e4d3c2b1"
)

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// start runs the SMTP listener on a loopback port over a SQLite store with three checks.
func start(t *testing.T) (*sqlite.Store, string) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "overdue.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.CreateProject(ctx, &check.Project{ID: "p", Name: "P", Created: t0, PingKeyHash: check.HashKey(pingKey)}); err != nil {
		t.Fatal(err)
	}
	plain := check.New(plainID, "p", t0)
	plain.Slug, plain.Methods, plain.FilterHTTPBody = "plain", "POST", true // neither applies to email
	filt := check.New(filtID, "p", t0)
	filt.Slug, filt.FilterSubject, filt.FailureKw, filt.SuccessKw = "nightly", true, "FAILED", "OK"
	body := check.New(bodyID, "p", t0)
	body.Slug, body.FilterBody, body.StartKw = "sync", true, "starting"
	for _, c := range []*check.Check{plain, filt, body} {
		if err := st.CreateCheck(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	rec := &mailping.Receiver{Store: st, Now: func() time.Time { return t0.Add(time.Hour) }, Domain: domain, BodyLimit: 2000}
	srv := mailping.NewServer(rec)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return st, ln.Addr().String()
}

func send(addr, to, msg string) error {
	return smtp.SendMail(addr, nil, "cron@host.example.org", []string{to}, []byte(strings.ReplaceAll(msg, "\n", "\r\n")))
}

func lastPing(t *testing.T, st store.Store, id string) *check.Ping {
	t.Helper()
	ps, err := st.Pings(context.Background(), id, 1)
	if err != nil || len(ps) != 1 {
		t.Fatalf("pings of %s: %v, %v; want one", id, ps, err)
	}
	p, err := st.Ping(context.Background(), id, ps[0].N)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestEmailPings sends mail over SMTP on loopback: each recipient form is a ping, the filters
// decide its kind, the message is its body, and other addresses are refused as Healthchecks
// refuses them.
func TestEmailPings(t *testing.T) {
	st, addr := start(t)
	ctx := context.Background()

	msg := "From: cron@host.example.org\nSubject: backup done\n\nall good\n"
	if err := send(addr, plainID+"@"+domain, msg); err != nil {
		t.Fatal(err)
	}
	p := lastPing(t, st, plainID)
	if p.Kind != check.PingSuccess || p.Scheme != "email" || p.Method != "" || p.UA != "Email from cron@host.example.org" ||
		p.RemoteAddr != "127.0.0.1" || !strings.Contains(string(p.Body), "Subject: backup done") {
		t.Errorf("email ping = %+v (body %q), want a success by email with the message as body", p, p.Body)
	}
	if c, _ := st.Check(ctx, plainID); c.Status != check.StatusUp || c.NPings != 1 {
		t.Errorf("check after the email ping: %s with %d pings, want up with 1", c.Status, c.NPings)
	}

	// By ping key and slug, upper-case UUIDs and domain too; the subject filter decides.
	if err := send(addr, pingKey+"+nightly@PING.example.org", "Subject: =?utf-8?q?Backup_FAILED?=\n\nsee log\n"); err != nil {
		t.Fatal(err)
	}
	if p := lastPing(t, st, filtID); p.Kind != check.PingFail {
		t.Errorf("a FAILED subject gave %s, want fail", p.Kind)
	}
	if c, _ := st.Check(ctx, filtID); c.Status != check.StatusDown {
		t.Errorf("after the fail ping the check is %s, want down", c.Status)
	}
	if err := send(addr, strings.ToUpper(filtID)+"@"+domain, "Subject: nothing to see\n\nOK\n"); err != nil {
		t.Fatal(err)
	}
	if p := lastPing(t, st, filtID); p.Kind != check.PingIgnored {
		t.Errorf("a subject without keywords (OK only in the body) gave %s, want ign", p.Kind)
	}

	// The body filter reads the HTML part as text.
	multi := "Subject: sync\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: text/plain\n\nplain part\n--b\nContent-Type: text/html\nContent-Transfer-Encoding: quoted-printable\n\n<p>Sync <b>starting</b>=20now</p>\n--b--\n"
	if err := send(addr, pingKey+"+sync@"+domain, multi); err != nil {
		t.Fatal(err)
	}
	if p := lastPing(t, st, bodyID); p.Kind != check.PingStart {
		t.Errorf("starting in the HTML part gave %s, want start", p.Kind)
	}

	// The body is capped.
	big := "Subject: big\n\n" + strings.Repeat("xxxxxxxxx\n", 500)
	if err := send(addr, plainID+"@"+domain, big); err != nil {
		t.Fatal(err)
	}
	if p := lastPing(t, st, plainID); len(p.Body) != 2000 || p.BodySize != 2000 {
		t.Errorf("a 5 kB message stored %d bytes, want the 2000 of BodyLimit", len(p.Body))
	}

	for _, tt := range []struct{ to, want string }{
		{plainID + "@elsewhere.example.org", "5.1.1 Recipient rejected"},
		{"backup@" + domain, "5.1.1 Invalid mailbox"},
		{"short+slug@" + domain, "5.1.1 Invalid mailbox"},
	} {
		var te *textproto.Error
		if err := send(addr, tt.to, msg); !errors.As(err, &te) || te.Code != 550 || te.Msg != tt.want {
			t.Errorf("mail to %s: %v, want 550 %s", tt.to, err, tt.want)
		}
	}
	// An unknown check is accepted and dropped, as Healthchecks does.
	if err := send(addr, "9c4a6f5d-2e1b-4a0f-9d8c-b7a6f5e4d3c2@"+domain, msg); err != nil {
		t.Errorf("mail to an unknown check: %v, want accepted", err)
	}
}

// TestSessionLimit: the listener serves at most its limit of sessions at once; the next client
// is told to try again later (4xx, so mail servers retry) and gets in once a session ends.
func TestSessionLimit(t *testing.T) {
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "overdue.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rec := &mailping.Receiver{Store: st, Now: func() time.Time { return t0 }, Domain: domain}
	srv := mailping.NewServerWithLimit(rec, 2)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	addr := ln.Addr().String()

	hello := func() (*smtp.Client, error) {
		c, err := smtp.Dial(addr)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Hello("client.example.org"); err != nil {
			c.Close()
			return nil, err
		}
		return c, nil
	}
	first, err := hello()
	if err != nil {
		t.Fatalf("first session: %v", err)
	}
	second, err := hello()
	if err != nil {
		t.Fatalf("second session: %v", err)
	}
	defer second.Close()
	_, err = hello()
	var te *textproto.Error
	if !errors.As(err, &te) || te.Code/100 != 4 || !strings.Contains(te.Msg, "Too many connections") {
		t.Fatalf("third session past the limit of 2 = %v, want a 4xx saying too many connections", err)
	}
	if err := first.Quit(); err != nil {
		t.Fatal(err)
	}
	// The server ends the first session just after its 221 answer: poll for the free slot.
	for attempt := 1; ; attempt++ {
		c, err := hello()
		if err == nil {
			c.Close()
			break
		}
		if attempt == 200 {
			t.Fatalf("a session after one ended: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
