package sweep_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/httpapi"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/dynamo"
	"github.com/overduehq/overdue/internal/store/dynamo/dynamotest"
	"github.com/overduehq/overdue/internal/store/sqlite"
	"github.com/overduehq/overdue/internal/sweep"
)

// TestIngestionDrill is issue 17's drill, on the SQLite store `overdue serve` runs on and on
// the DynamoDB store on moto: the ping API (the real handler, over HTTP) stops accepting pings
// for four minutes while 100 checks come due. Half the jobs keep running and ping every 5
// minutes (the ones that fall in the outage are refused with 503); the other half stop after
// their first ping. The sweep runs every 2 s of an injected clock and pings its canary through
// the same endpoint every 10 s, as serve does. Over 20 minutes: no check whose job kept running
// goes down, each stopped one goes down exactly once, and the operator alarm is raised once and
// cleared once.
func TestIngestionDrill(t *testing.T) {
	for _, tc := range []struct {
		name string
		open func(t *testing.T) store.Store
		// sweepEvery is how many 2 s steps pass between sweeps, canary how often the canary is
		// pinged and tolerance the gap that is an outage: serve's 2 s, 10 s and 30 s on
		// SQLite; on moto the Lambda sweep's minute, a canary ping a minute and two minutes,
		// which keeps the shared moto free enough for the other packages' tests.
		sweepEvery int
		canary     time.Duration
		tolerance  time.Duration
	}{
		{"sqlite", func(t *testing.T) store.Store {
			st, err := sqlite.Open(filepath.Join(t.TempDir(), "overdue.db"), store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		}, 1, 10 * time.Second, 30 * time.Second},
		{"dynamodb", func(t *testing.T) store.Store {
			db := dynamotest.Client(t)
			return dynamo.New(db, dynamotest.ReadyTable(t, db, "overdue-drill"), store.Options{})
		}, 30, time.Minute, 2 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) { drill(t, tc.open(t), tc.sweepEvery, tc.canary, tc.tolerance) })
	}
}

func drill(t *testing.T, st store.Store, sweepEvery int, canary, tolerance time.Duration) {
	ctx := t.Context()
	const (
		checks  = 100
		period  = 5 * time.Minute
		grace   = time.Minute
		step    = 2 * time.Second // serve's default --interval
		runTime = 20 * time.Minute
	)
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	outageFrom, outageTo := t0.Add(4*time.Minute), t0.Add(8*time.Minute)
	now := t0
	clock := func() time.Time { return now }

	p := &check.Project{ID: "d0000000-0000-4000-8000-000000000001", Name: "Drill", Created: t0.Add(-time.Hour),
		APIKeyHash: check.HashKey("hcw_drill"), ReadOnlyKeyHash: check.HashKey("hcr_drill"), PingKeyHash: check.HashKey("drill")}
	if err := st.CreateProject(ctx, p); err != nil {
		t.Fatal(err)
	}
	id := func(i int) string { return fmt.Sprintf("c0000000-0000-4000-8000-%012d", i) }
	canaryID := "c0000000-0000-4000-8000-ca0000000000"
	for i := range checks {
		// Each job's first ping, 2i seconds in, is stored with the check (up, one ping), so
		// that the run starts with every check armed.
		c := check.New(id(i), p.ID, t0.Add(-time.Hour))
		c.Name, c.Timeout, c.Grace = fmt.Sprintf("job %d", i), period, grace
		c.Status, c.NPings, c.LastPing = check.StatusUp, 1, t0.Add(time.Duration(2*i)*time.Second)
		c.AlertAfter = c.NextDue(nil)
		if err := st.CreateCheck(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	cn := check.New(canaryID, p.ID, t0.Add(-time.Hour))
	cn.Name, cn.Timeout, cn.Grace = "canary", 24*time.Hour, time.Hour
	if err := st.CreateCheck(ctx, cn); err != nil {
		t.Fatal(err)
	}

	// The ping API, refusing every ping during the outage as a throttled or failing edge would.
	var refused atomic.Int64
	api := httpapi.New(httpapi.Config{Store: st, Now: clock, SecretKey: []byte("drill-secret-0123456789")})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/ping/") && !now.Before(outageFrom) && now.Before(outageTo) {
			refused.Add(1)
			http.Error(w, "service unavailable", http.StatusServiceUnavailable)
			return
		}
		api.ServeHTTP(w, r)
	}))
	defer srv.Close()
	ping := func(id string) {
		res, err := http.Get(srv.URL + "/ping/" + id)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}

	in := &sweep.Ingestion{CanaryID: canaryID, Every: canary, Tolerance: tolerance}
	sw := &sweep.Sweeper{Store: st, Now: clock, Ingestion: in}
	beat := &sweep.Heartbeat{URL: srv.URL + "/ping/" + canaryID, Every: canary, Now: clock, Logger: slog.New(slog.DiscardHandler)}
	var alarm sweep.Alarm
	raised, cleared, held := 0, 0, 0
	for n := 0; now.Before(t0.Add(runTime)); now, n = now.Add(step), n+1 {
		since := now.Sub(t0)
		for i := range checks {
			// Job i pings 2i seconds into every period (the first is stored already); odd jobs
			// stop after their first ping.
			offset := time.Duration(2*i) * time.Second
			if since > offset && (since-offset)%period == 0 && i%2 == 0 {
				ping(id(i))
			}
		}
		if n%sweepEvery != 0 {
			continue
		}
		_ = beat.Beat(ctx)
		res, err := sw.Run(ctx)
		if err != nil {
			t.Fatalf("sweep at %v: %v", since, err)
		}
		held += res.Held
		r, c := alarm.Observe(res)
		if r {
			raised++
			t.Logf("alarm raised at +%v (outage since +%v)", since, res.Outage.Start.Sub(t0))
		}
		if c {
			cleared++
			t.Logf("alarm cleared at +%v", since)
		}
	}
	if refused.Load() == 0 || held == 0 {
		t.Fatalf("refused %d pings and held %d timeouts: the drill did not exercise the outage", refused.Load(), held)
	}
	if raised != 1 || cleared != 1 {
		t.Errorf("operator alarm raised %d times and cleared %d times, want once each", raised, cleared)
	}
	var wrong []string
	downs := 0
	for i := range checks {
		flips, err := st.Flips(ctx, id(i), store.FlipQuery{})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, f := range flips {
			if f.NewStatus == check.StatusDown {
				n++
			}
		}
		downs += n
		if want := i % 2; n != want { // even: kept running, never down; odd: down once
			wrong = append(wrong, fmt.Sprintf("job %d down %d times, want %d", i, n, want))
		}
	}
	if len(wrong) > 0 {
		t.Errorf("%d checks wrong:\n%s", len(wrong), strings.Join(wrong, "\n"))
	}
	t.Logf("%d pings refused, %d timeouts held, %d checks down (the %d stopped jobs)", refused.Load(), held, downs, checks/2)
}
