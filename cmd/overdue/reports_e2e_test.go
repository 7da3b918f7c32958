package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log"
	"mime"
	"net"
	"net/http"
	"net/mail"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/overduehq/overdue/internal/notify"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/sqlite"
)

// caught is a message the mail catcher received.
type caught struct {
	to  []string
	msg *mail.Message
}

// catchMail runs an SMTP server on loopback that hands every message it receives to the channel,
// and returns its address.
func catchMail(t *testing.T) (string, <-chan caught) {
	t.Helper()
	out := make(chan caught, 20)
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &catchSession{out: out}, nil }))
	srv.Domain, srv.AllowInsecureAuth = "localhost", true
	srv.ErrorLog = log.New(io.Discard, "", 0) // a client that hangs up after QUIT is not news
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String(), out
}

type catchSession struct {
	out chan<- caught
	to  []string
}

func (s *catchSession) Reset()                               { s.to = nil }
func (s *catchSession) Logout() error                        { return nil }
func (s *catchSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *catchSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *catchSession) Data(r io.Reader) error {
	msg, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(msg.Body)
	msg.Body = strings.NewReader(string(body))
	s.out <- caught{to: s.to, msg: msg}
	return nil
}

// TestServeSendsReports runs `overdue serve` (in process, with a test clock) with an SMTP
// server on loopback: a person who chose daily reports in Riga gets the next morning's report
// by SMTP, once, however many rounds of the loop pass, and then the morning after's; the
// first, the morning the server first saw them, is not sent (the first whole day's is).
func TestServeSendsReports(t *testing.T) {
	addr, mails := catchMail(t)
	host, port, _ := net.SplitHostPort(addr)
	t.Setenv(secretEnv, "e2e-secret-0123456789abcdef")
	data := t.TempDir()
	var p projectOutput
	if err := json.Unmarshal([]byte(runCLI(t, "project", "create", "--data", data, "--name", "Ops", "--json")), &p); err != nil {
		t.Fatal(err)
	}
	runCLI(t, "user", "create", "--data", data, "--email", "alice@example.org", "--project", p.ID, "--role", "owner")
	runCLI(t, "user", "settings", "--data", data, "--email", "alice@example.org", "--reports", "daily", "--tz", "Europe/Riga")

	t0 := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC) // 14:00 in Riga
	clock := &testClock{t: t0}
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- serveWithClock(ctx, []string{"--data", data, "--addr", "127.0.0.1:0", "--interval", "100ms", "--no-canary",
			"--smtp-host", host, "--smtp-port", port, "--smtp-no-tls", "--email-from", "Overdue <alerts@example.org>"}, pw, io.Discard, clock.now)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve = %v", err)
		}
	})
	base := ""
	sc := bufio.NewScanner(pr)
	for base == "" && sc.Scan() {
		if m := regexp.MustCompile(`^listening on (http://\S+)$`).FindStringSubmatch(sc.Text()); m != nil {
			base = m[1]
		}
	}
	console := make(chan string, 100)
	go func() {
		for sc.Scan() {
			select {
			case console <- sc.Text():
			default: // nobody is reading: drop it
			}
		}
	}()

	// A check with a ping: reports skip people whose checks have been silent for 180 days.
	req, _ := http.NewRequest("POST", base+"/api/v3/checks/", strings.NewReader(`{"name":"nightly"}`))
	req.Header.Set("X-Api-Key", p.APIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var c struct{ UUID string }
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil || resp.StatusCode != 201 {
		t.Fatalf("create check = %d, %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	if code, body := get(t, base+"/ping/"+c.UUID); code != 200 || body != "OK" {
		t.Fatalf("ping = %d %q", code, body)
	}

	// The first round sees alice and schedules her first report, the next morning's.
	st, err := sqlite.Open(filepath.Join(data, dbName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	waitFor(t, "the reporter to see alice", func() bool {
		u, err := st.People().UserByEmail(t.Context(), "alice@example.org")
		return err == nil && u.ReportSlot == "daily:2026-12-07"
	})

	next := func(wantSlot string) *mail.Message {
		t.Helper()
		select {
		case m := <-mails:
			id := m.msg.Header.Get(notify.DeliveryHeader)
			if !strings.HasSuffix(id, ":report:"+wantSlot) || len(m.to) != 1 || m.to[0] != "alice@example.org" {
				t.Fatalf("mail to %v, delivery %q; want alice's report for %s", m.to, id, wantSlot)
			}
			return m.msg
		case <-time.After(10 * time.Second):
			t.Fatalf("no mail within 10s, want the report for %s", wantSlot)
		}
		return nil
	}
	// 11:30 in Riga on the 8th: past every minute of the morning window. The report covers
	// the 7th, in multipart text and HTML.
	clock.set(time.Date(2026, 12, 8, 9, 30, 0, 0, time.UTC))
	m := next("daily:2026-12-08")
	body, _ := io.ReadAll(m.Body)
	dec := new(mime.WordDecoder)
	subject, _ := dec.DecodeHeader(m.Header.Get("Subject"))
	if subject != "Daily report, Mon 7 Dec 2026 (Europe/Riga): all 1 up" || !strings.Contains(m.Header.Get("Content-Type"), "multipart/alternative") ||
		!strings.Contains(string(body), "nightly") || !strings.Contains(string(body), "text/html") {
		t.Errorf("report: Subject %q, Content-Type %q, body:\n%s", subject, m.Header.Get("Content-Type"), body)
	}
	// Later that day the check goes down (a day's timeout and an hour's grace after its ping):
	// the console notifier's alert shows that rounds ran then, and they sent no second report.
	// The next mail is the 9th's report, which says the check is down.
	clock.set(time.Date(2026, 12, 8, 13, 30, 0, 0, time.UTC))
	deadline := time.After(10 * time.Second)
	for seen := false; !seen; {
		select {
		case line := <-console:
			seen = strings.HasPrefix(line, "DOWN")
		case <-deadline:
			t.Fatal("no down alert on the console within 10s")
		}
	}
	clock.set(time.Date(2026, 12, 9, 9, 30, 0, 0, time.UTC))
	m = next("daily:2026-12-09")
	subject, _ = dec.DecodeHeader(m.Header.Get("Subject"))
	if subject != "Daily report, Tue 8 Dec 2026 (Europe/Riga): 1 of 1 down" {
		t.Errorf("second report's Subject %q", subject)
	}
}

// waitFor polls cond until it holds, failing the test after 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	limit := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(limit) {
			t.Fatalf("waited 10 s for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
