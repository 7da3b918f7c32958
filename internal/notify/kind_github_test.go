package notify_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/notify"
)

const (
	githubToken = "github_pat_11AAAAAAA0123456789abcdefABCDEF"
	githubValue = `{"repo": "octo-org/backups", "token": "` + githubToken + `", "labels": ["overdue", "ops"]}`
)

// fakeGitHub is a loopback GitHub holding one repository's issues and comments. It records every
// request; fail, when set, answers the next request matching method and path prefix with a status.
type fakeGitHub struct {
	*httptest.Server
	mu       sync.Mutex
	got      []request
	issues   []map[string]any // number, title, body, state, labels
	comments map[int][]string
	fail     map[string]failure // "PATCH /repos/…" → answer, once
}

type failure struct {
	status int
	header []string
	body   string
}

func newFakeGitHub(t *testing.T) *fakeGitHub {
	g := &fakeGitHub{comments: map[int][]string{}, fail: map[string]failure{}}
	g.Server = httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(g.Close)
	// An unrelated open pull request and an issue of someone else's come first in the list.
	g.issues = append(g.issues,
		map[string]any{"number": 1, "title": "Add CI", "body": "please review", "state": "open", "pull_request": map[string]any{"url": "x"}},
		map[string]any{"number": 2, "title": "Typo", "body": "in the README", "state": "open"})
	return g
}

func (g *fakeGitHub) serve(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	g.mu.Lock()
	defer g.mu.Unlock()
	g.got = append(g.got, request{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), b})
	key := r.Method + " " + r.URL.Path
	if f, ok := g.fail[key]; ok {
		delete(g.fail, key)
		for i := 0; i+1 < len(f.header); i += 2 {
			w.Header().Set(f.header[i], f.header[i+1])
		}
		w.WriteHeader(f.status)
		io.WriteString(w, f.body)
		return
	}
	const repo = "/repos/octo-org/backups/issues"
	var doc map[string]any
	json.Unmarshal(b, &doc)
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodGet && r.URL.Path == repo:
		var open []map[string]any
		for i := len(g.issues) - 1; i >= 0; i-- { // newest first, as GitHub lists them
			if g.issues[i]["state"] == "open" {
				open = append(open, g.issues[i])
			}
		}
		json.NewEncoder(w).Encode(open)
	case r.Method == http.MethodPost && r.URL.Path == repo:
		n := len(g.issues) + 1
		doc["number"], doc["state"] = n, "open"
		g.issues = append(g.issues, doc)
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(doc)
	case strings.HasPrefix(r.URL.Path, repo+"/"):
		rest := strings.TrimPrefix(r.URL.Path, repo+"/")
		num, sub, _ := strings.Cut(rest, "/")
		n, err := strconv.Atoi(num)
		if err != nil || n < 1 || n > len(g.issues) {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"message":"Not Found"}`)
			return
		}
		switch {
		case sub == "comments" && r.Method == http.MethodGet:
			out := []map[string]any{}
			for _, c := range g.comments[n] {
				out = append(out, map[string]any{"body": c})
			}
			json.NewEncoder(w).Encode(out)
		case sub == "comments" && r.Method == http.MethodPost:
			g.comments[n] = append(g.comments[n], doc["body"].(string))
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `{}`)
		case sub == "" && r.Method == http.MethodPatch:
			g.issues[n-1]["state"] = doc["state"]
			json.NewEncoder(w).Encode(g.issues[n-1])
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	default:
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"message":"Not Found"}`)
	}
}

// take returns the requests received since the last take.
func (g *fakeGitHub) take() []request {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := g.got
	g.got = nil
	return out
}

func routes(rs []request) string {
	var parts []string
	for _, r := range rs {
		parts = append(parts, r.Method+" "+r.Path)
	}
	return strings.Join(parts, ", ")
}

func sendGitHub(t *testing.T, g *fakeGitHub, a notify.Alert, delivery string) error {
	t.Helper()
	tr := notify.NewServices(notify.ServicesConfig{BaseURLs: map[string]string{"github": g.URL},
		Now: func() time.Time { return t0 }})["github"]
	ch := &check.Channel{ID: "e0000000-0000-4000-8000-000000000009", ProjectID: "p", Kind: "github", Value: githubValue}
	return tr.Send(t.Context(), ch, messageOf(t, a), delivery)
}

// TestGitHub: down opens one issue with the check's marker, however often it is retried; up
// comments on that issue and closes it, once, even when the close fails after the comment went
// through; every request carries GitHub's headers.
func TestGitHub(t *testing.T) {
	if err := notify.ValidateChannel("github", githubValue); err != nil {
		t.Fatal(err)
	}
	g := newFakeGitHub(t)
	const repo = "/repos/octo-org/backups/issues"

	if err := sendGitHub(t, g, downAlert(), "d-down"); err != nil {
		t.Fatal(err)
	}
	rs := g.take()
	if routes(rs) != "GET "+repo+", POST "+repo {
		t.Fatalf("down requests = %s", routes(rs))
	}
	if rs[0].Query != "state=open&per_page=100" {
		t.Errorf("list query = %q", rs[0].Query)
	}
	for _, r := range rs {
		if r.Header.Get("Accept") != "application/vnd.github+json" || r.Header.Get("X-GitHub-Api-Version") != "2022-11-28" ||
			r.Header.Get("Authorization") != "Bearer "+githubToken {
			t.Errorf("%s %s headers = %v", r.Method, r.Path, r.Header)
		}
	}
	wantJSON(t, rs[1])
	issue := rs[1].JSON(t)
	body, _ := issue["body"].(string)
	if issue["title"] != "DOWN | backup <db>" || fmt.Sprint(issue["labels"]) != "[overdue ops]" {
		t.Errorf("issue = %v", issue)
	}
	for _, want := range []string{"<!-- overdue-check: " + checkUUID + " -->", "pg_dump: error: connection refused",
		"backup &lt;db&gt;", "[View check](https://overdue.example/api/v3/checks/" + checkUUID + ")", "**Last ping type:** Exit status 3"} {
		if !strings.Contains(body, want) {
			t.Errorf("issue body lacks %q:\n%s", want, body)
		}
	}

	// A retried down (the create's answer was lost) finds the open issue and opens no second one.
	if err := sendGitHub(t, g, downAlert(), "d-down"); err != nil {
		t.Fatal(err)
	}
	if got := routes(g.take()); got != "GET "+repo {
		t.Errorf("retried down requests = %s, want only the list", got)
	}

	// Up: the comment goes through, the close fails (502); the retry closes without a second comment.
	g.fail["PATCH "+repo+"/3"] = failure{status: 502, body: `{"message":"Server Error"}`}
	err := sendGitHub(t, g, upAlert(), "d-up")
	if err == nil || notify.IsPermanent(err) || err.Error() != "GitHub answered 502: Server Error" {
		t.Fatalf("up with a failing close = %v, want a transient error", err)
	}
	rs = g.take()
	if routes(rs) != "GET "+repo+", GET "+repo+"/3/comments, POST "+repo+"/3/comments, PATCH "+repo+"/3" {
		t.Fatalf("up requests = %s", routes(rs))
	}
	wantJSON(t, rs[2])
	if c := path(t, rs[2].JSON(t), "body").(string); !strings.Contains(c, "is now up") || !strings.Contains(c, "<!-- overdue-delivery: d-up -->") {
		t.Errorf("comment = %q", c)
	}
	if p := rs[3].JSON(t); p["state"] != "closed" || p["state_reason"] != "completed" || rs[3].Header.Get("Authorization") != "Bearer "+githubToken {
		t.Errorf("close = %v", p)
	}
	if err := sendGitHub(t, g, upAlert(), "d-up"); err != nil {
		t.Fatal(err)
	}
	if got := routes(g.take()); got != "GET "+repo+", GET "+repo+"/3/comments, PATCH "+repo+"/3" {
		t.Errorf("retried up requests = %s, want no second comment", got)
	}
	if len(g.comments[3]) != 1 || g.issues[2]["state"] != "closed" || len(g.issues) != 3 {
		t.Errorf("after up: comments %v, issue state %v, %d issues", g.comments[3], g.issues[2]["state"], len(g.issues))
	}
	// Once closed, a further retry finds no open issue and sends nothing else.
	if err := sendGitHub(t, g, upAlert(), "d-up"); err != nil {
		t.Fatal(err)
	}
	if got := routes(g.take()); got != "GET "+repo {
		t.Errorf("up after the close = %s, want only the list", got)
	}
	// The next down opens a new issue.
	if err := sendGitHub(t, g, downAlert(), "d-down2"); err != nil {
		t.Fatal(err)
	}
	if got := routes(g.take()); got != "GET "+repo+", POST "+repo || len(g.issues) != 4 {
		t.Errorf("second down = %s, %d issues", got, len(g.issues))
	}
}

// TestGitHubRefusals: 429 and 5xx are retried (with Retry-After), as is a 403 over the rate
// limit; a bad token (401), a missing repository (404) and a token without access (403) are
// permanent with GitHub's message.
func TestGitHubRefusals(t *testing.T) {
	const list = "GET /repos/octo-org/backups/issues"
	for _, tc := range []struct {
		name      string
		fail      failure
		permanent bool
		wait      time.Duration
		text      string
	}{
		{"throttled", failure{status: 429, header: []string{"Retry-After", "60"}}, false, time.Minute, "GitHub answered 429"},
		{"server", failure{status: 503, body: `{"message":"Service Unavailable"}`}, false, 0, "GitHub answered 503: Service Unavailable"},
		{"rate limit", failure{status: 403, header: []string{"X-RateLimit-Remaining", "0"}, body: `{"message":"API rate limit exceeded"}`}, false, 0, "GitHub answered 403: API rate limit exceeded"},
		{"secondary limit", failure{status: 403, header: []string{"Retry-After", "30"}, body: `{"message":"You have exceeded a secondary rate limit"}`}, false, 30 * time.Second, "GitHub answered 403: You have exceeded a secondary rate limit"},
		{"bad token", failure{status: 401, body: `{"message":"Bad credentials"}`}, true, 0, "GitHub answered 401: Bad credentials"},
		{"no repository", failure{status: 404, body: `{"message":"Not Found"}`}, true, 0, "GitHub answered 404: Not Found"},
		{"no access", failure{status: 403, body: `{"message":"Resource not accessible by personal access token"}`}, true, 0, "GitHub answered 403: Resource not accessible by personal access token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newFakeGitHub(t)
			g.fail[list] = tc.fail
			err := sendGitHub(t, g, downAlert(), "d1")
			if err == nil || err.Error() != tc.text || notify.IsPermanent(err) != tc.permanent {
				t.Fatalf("Send = %v (permanent %v), want %q (permanent %v)", err, notify.IsPermanent(err), tc.text, tc.permanent)
			}
			if wait, ok := notify.RetryAfter(err); ok != (tc.wait > 0) || wait != tc.wait {
				t.Errorf("RetryAfter = %v %v, want %v", wait, ok, tc.wait)
			}
			if len(g.issues) != 2 {
				t.Errorf("an issue was opened after a refused list")
			}
		})
	}
	// A create refused after the list (a label the token may not create, say) is permanent too.
	g := newFakeGitHub(t)
	g.fail["POST /repos/octo-org/backups/issues"] = failure{status: 422, body: `{"message":"Validation Failed"}`}
	if err := sendGitHub(t, g, downAlert(), "d1"); !isPermanentWith(err, "GitHub answered 422: Validation Failed") {
		t.Errorf("create refused = %v", err)
	}
}

// TestGitHubValue: each bad value names its field.
func TestGitHubValue(t *testing.T) {
	for value, want := range map[string]string{
		`"x"`:                              `invalid github channel value: not a JSON object`,
		`{"token": "` + githubToken + `"}`: `field "repo": is missing`,
		`{"repo": "octo-org", "token": "` + githubToken + `"}`: `field "repo": "octo-org" is not a repository`,
		`{"repo": "octo/a b", "token": "` + githubToken + `"}`: `field "repo": "octo/a b" is not a repository`,
		`{"repo": "octo/b"}`:                                                 `field "token": is missing`,
		`{"repo": "octo/b", "token": "short"}`:                               `field "token": not a GitHub token`,
		`{"repo": "octo/b", "token": "` + githubToken + `", "labels": "x"}`:  `field "labels": is not a list`,
		`{"repo": "octo/b", "token": "` + githubToken + `", "labels": [""]}`: `field "labels": each label`,
	} {
		err := notify.ValidateChannel("github", value)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ValidateChannel(%s) = %v, want %q", value, err, want)
		}
	}
}
