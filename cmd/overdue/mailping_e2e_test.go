package main

import (
	"io"
	"net/http"
	"net/smtp"
	"regexp"
	"strings"
	"testing"
)

// TestServeEmailPings starts `overdue serve --smtp-listen` and pings the example check by
// mail, by UUID and by ping key and slug, over SMTP on loopback.
func TestServeEmailPings(t *testing.T) {
	s := startServer(t, t.TempDir(), "--smtp-listen", "127.0.0.1:0", "--ping-domain", "ping.example.org")
	apiKey := s.waitFor(t, regexp.MustCompile(`^\s+API key:\s+(hcw_\w{28})$`))[1]
	pingKey := s.waitFor(t, regexp.MustCompile(`^\s+ping key:\s+(\w{22})$`))[1]
	m := s.waitFor(t, regexp.MustCompile(`curl -fsS (http://127\.0\.0\.1:\d+)/ping/([0-9a-f-]{36})$`))
	base, checkID := m[1], m[2]
	smtpAddr := s.waitFor(t, regexp.MustCompile(`^receiving email pings on (127\.0\.0\.1:\d+) for <uuid>@ping\.example\.org`))[1]
	s.waitFor(t, regexp.MustCompile(`^listening on `))

	for _, to := range []string{checkID + "@ping.example.org", pingKey + "+example@ping.example.org"} {
		msg := "From: cron@host.example.org\r\nSubject: done\r\n\r\nok\r\n"
		if err := smtp.SendMail(smtpAddr, nil, "cron@host.example.org", []string{to}, []byte(msg)); err != nil {
			t.Fatalf("mail to %s: %v", to, err)
		}
	}
	code, body := getWithKey(t, base+"/api/v3/checks/"+checkID+"/pings/", apiKey)
	if code != 200 || strings.Count(body, `"scheme": "email"`) != 2 || !strings.Contains(body, `"ua": "Email from cron@host.example.org"`) {
		t.Errorf("pings after two emails = %d %s, want two email pings", code, body)
	}
}

func getWithKey(t *testing.T, url, key string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Api-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
