package web

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/account"
	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/gcfloor"
	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/sqlite"
)

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkDashboardPages measures the server time of the dashboard's pages for a project of
// 1,000 checks on SQLite, each with 20 pings (10 runs: start and success, every tenth a
// failure): the checks page whole and filtered to one tag, and a check's details page. The
// time is the handler's, from request to the last byte written (httptest.ResponseRecorder),
// session lookup included; the browser's is not. Besides the wall time per page it reports the
// process's CPU time per page, which a busy shared machine inflates less. The garbage
// collector runs as in `overdue serve`, with its heap floor (internal/gcfloor), unless GOGC or
// GOMEMLIMIT is set. BENCHMARKS.md, section 6.
func BenchmarkDashboardPages(b *testing.B) {
	const checks, pings = 1000, 20
	defer gcfloor.Start(gcfloor.Default)()
	ctx := context.Background()
	st, err := sqlite.Open(filepath.Join(b.TempDir(), "overdue.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	if err := st.CreateProject(ctx, &check.Project{ID: "p1", Name: "Ops", Created: now, BadgeKey: "b1"}); err != nil {
		b.Fatal(err)
	}
	acc := &account.Service{People: st.People(), Projects: st, Now: func() time.Time { return now }, Rand: rand.Reader, Params: fast}
	if _, err := acc.CreateUser(ctx, account.NewUser{Email: "ann@example.com", Password: "correct horse battery",
		ProjectID: "p1", Role: people.RoleOwner}); err != nil {
		b.Fatal(err)
	}
	in, err := acc.SignIn(ctx, "ann@example.com", "correct horse battery", "bench", account.Continue{})
	if err != nil {
		b.Fatal(err)
	}
	var first string
	for i := range checks {
		c := check.New(fmt.Sprintf("00000000-0000-4000-8000-%012d", i), "p1", now.Add(-30*24*time.Hour))
		c.Name, c.Slug, c.Tags = fmt.Sprintf("Job %04d", i), fmt.Sprintf("job-%04d", i), fmt.Sprintf("team%d prod", i%10)
		c.Timeout = time.Hour
		if err := st.CreateCheck(ctx, c); err != nil {
			b.Fatal(err)
		}
		if first == "" {
			first = c.ID
		}
		for n := 1; n <= pings; n++ {
			at := now.Add(-time.Duration(pings-n) * 30 * time.Minute)
			kind := check.PingStart
			if n%2 == 0 {
				kind, at = check.PingSuccess, at.Add(-time.Duration(20+i%40)*time.Second)
				if n%10 == 0 && i%3 == 0 {
					kind = check.PingFail
				}
			}
			_, err := st.UpdateCheck(ctx, c.ID, func(c *check.Check) (store.Change, error) {
				p, f := c.ApplyPing(check.Signal{Kind: kind, Method: "GET", Scheme: "https", RemoteAddr: "192.0.2.1", UA: "curl/8.5.0"}, at, nil)
				return store.Change{Ping: p, Flip: f}, nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	pages, err := New(Config{Accounts: acc, Checks: st, SiteRoot: "http://127.0.0.1:8000"})
	if err != nil {
		b.Fatal(err)
	}
	for _, page := range []struct{ name, path string }{
		{"page=checks/rows=1000", "/projects/p1/checks/"},
		{"page=checks-by-tag/rows=100", "/projects/p1/checks/?tag=team3"},
		{"page=details/rows=20", "/checks/" + first + "/details/"},
	} {
		b.Run(page.name, func(b *testing.B) {
			cpu0 := cpuTime()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, page.path, nil)
				req.AddCookie(&http.Cookie{Name: "overdue_session", Value: in.Token})
				w := httptest.NewRecorder()
				pages.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("GET %s = %d", page.path, w.Code)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/page")
			// On a shared machine the wall time includes waiting for a core; the CPU time does not.
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N)/1000, "cpu-ms/page")
		})
	}
}
