package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// browserClient is an HTTP client with a cookie jar that does not follow redirects.
func browserClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func postForm(t *testing.T, c *http.Client, u string, form url.Values) (int, string, string) {
	t.Helper()
	resp, err := c.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

func getWith(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestServeFirstStartAndSignIn: an empty data directory prints a one-time link that creates the
// first account, owner of Default; it works once, and not after a restart; the sign-in form and
// the reset link (printed on the console, without a mail transport) work on the real server, and
// the API beside them still answers.
func TestServeFirstStartAndSignIn(t *testing.T) {
	dataDir := t.TempDir()
	s := startServer(t, dataDir)
	link := s.waitFor(t, regexp.MustCompile(`^\s+(http://127\.0\.0\.1:\d+/accounts/first/[\w-]{43}/)$`))[1]
	base := s.waitFor(t, regexp.MustCompile(`^listening on (\S+)$`))[1]

	b := browserClient()
	if code, body := getWith(t, b, link); code != 200 || !strings.Contains(body, `name="password"`) {
		t.Fatalf("GET first-start link = %d\n%s", code, body)
	}
	form := url.Values{"email": {"ada@example.org"}, "name": {"Ada"}, "password": {"first password"}, "confirm": {"first password"}}
	if code, loc, body := postForm(t, b, link, form); code != 303 || loc != "/" {
		t.Fatalf("POST first-start link = %d to %q\n%s", code, loc, body)
	}
	if code, body := getWith(t, b, base+"/"); code != 200 || !strings.Contains(body, "<td>Default</td><td>Owner</td>") {
		t.Fatalf("home after the first start = %d\n%s", code, body)
	}
	form.Set("email", "eve@example.org")
	if code, _, _ := postForm(t, browserClient(), link, form); code != 404 {
		t.Errorf("first-start link used twice = %d, want 404", code)
	}
	// The API answers beside the pages, as before.
	if code, body := get(t, base+"/api/v3/checks/"); code != 401 {
		t.Errorf("GET /api/v3/checks/ without a key = %d %q, want 401", code, body)
	}

	// Reset without a mail transport: the link is printed on the console.
	if code, _, body := postForm(t, browserClient(), base+"/accounts/reset/", url.Values{"email": {"ada@example.org"}}); code != 200 {
		t.Fatalf("POST reset = %d\n%s", code, body)
	}
	reset := s.waitFor(t, regexp.MustCompile(`^(http://127\.0\.0\.1:\d+/accounts/set-password/[\w-]{43}/)$`))[1]
	c := browserClient()
	if code, loc, body := postForm(t, c, reset, url.Values{"password": {"second password"}, "confirm": {"second password"}}); code != 303 || loc != "/" {
		t.Fatalf("POST set-password = %d to %q\n%s", code, loc, body)
	}
	if code, _ := getWith(t, b, base+"/"); code != 303 {
		t.Errorf("the first browser after the password changed = %d, want 303 to sign in", code)
	}
	if code, loc, _ := postForm(t, browserClient(), base+"/accounts/login/", url.Values{"email": {"ada@example.org"}, "password": {"second password"}}); code != 303 || loc != "/" {
		t.Errorf("sign in with the new password = %d to %q", code, loc)
	}

	// After a restart there is an account: no new link, and the old one stays dead.
	s.cmd.Process.Signal(syscall.SIGTERM)
	s.cmd.Wait()
	s2 := startServer(t, dataDir)
	base2 := s2.waitFor(t, regexp.MustCompile(`^listening on (\S+)$`))[1]
	for _, line := range s2.seen {
		if strings.Contains(line, "/accounts/first/") {
			t.Errorf("second start printed a first-start link: %s", line)
		}
	}
	if code, _ := get(t, base2+strings.TrimPrefix(link, base)); code != 404 {
		t.Errorf("first-start link after a restart = %d, want 404", code)
	}
}
