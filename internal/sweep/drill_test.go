package sweep_test

import (
	"context"
	"errors"
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
// the DynamoDB store on moto: the ping API (the real handler, over HTTP) stops taking pings for
// four minutes while 100 checks come due. Half the jobs keep running and ping every 5 minutes
// (the ones that fall in the outage are lost); the other half stop after their first ping. The
// sweep runs every 2 s of an injected clock and pings its canary through the same endpoint
// every 10 s, as serve does. Over 20 minutes: no check whose job kept running goes down, each
// stopped one goes down exactly once, and the operator alarm is raised once and cleared once.
//
// The outage comes three ways, each caught by another signal:
//
//   - edge: every ping is refused with 503 before it reaches Overdue (a throttled API, a bad
//     deploy): the canary's pings stop;
//   - store: the store fails the job pings' writes and the API answers them 500, while the
//     canary's get through: ping intake's failure counts;
//   - lost: the job pings vanish before they reach Overdue (a network or DNS problem on the
//     jobs' side of the edge), the canary's get through: ping intake's rate, against the same
//     minutes an hour, two, three and a day before (the drill's traffic before it began, seeded).
//     The jobs' grace is 3 minutes here: the rate is judged once a minute has passed.
func TestIngestionDrill(t *testing.T) {
	openSQLite := func(t *testing.T) (store.Store, store.IngestLog) {
		st, err := sqlite.Open(filepath.Join(t.TempDir(), "overdue.db"), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st, &sweep.MemoryIngestLog{}
	}
	openDynamo := func(t *testing.T) (store.Store, store.IngestLog) {
		db := dynamotest.Client(t)
		st := dynamo.New(db, dynamotest.ReadyTable(t, db, "overdue-drill"), store.Options{})
		return st, st.IngestLog()
	}
	// The rate's verdicts read the same table queries as the failures'; seeding a day of counts
	// on the shared moto is the slow part, so "lost" runs on SQLite alone.
	//
	// sqlite: serve's 2 s sweeps, a canary ping every 10 s, an outage past 30 s of silence; on
	// moto the Lambda sweep's minute, a canary ping a minute and 150 s, which keeps the shared
	// moto free enough for the other packages' tests.
	sqliteParams := drillParams{sweepEvery: 1, canary: 10 * time.Second, tolerance: 30 * time.Second, grace: time.Minute}
	dynamoParams := drillParams{sweepEvery: 30, canary: time.Minute, tolerance: 150 * time.Second, grace: time.Minute}
	for _, tc := range []struct {
		name string
		open func(t *testing.T) (store.Store, store.IngestLog)
		p    drillParams
		mode string
	}{
		{"sqlite/edge", openSQLite, sqliteParams, "edge"},
		{"sqlite/store", openSQLite, sqliteParams, "store"},
		{"sqlite/lost", openSQLite, sqliteParams, "lost"},
		{"dynamodb/edge", openDynamo, dynamoParams, "edge"},
		{"dynamodb/store", openDynamo, dynamoParams, "store"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, log := tc.open(t)
			p := tc.p
			p.mode = tc.mode
			if p.mode == "lost" {
				p.grace = 3 * time.Minute
			}
			drill(t, st, log, p)
		})
	}
}

// drillParams shape one run of the drill: how many 2 s steps pass between sweeps, how often the
// canary is pinged and the gap that is an outage, the jobs' grace, and how the outage comes.
type drillParams struct {
	sweepEvery        int
	canary, tolerance time.Duration
	grace             time.Duration
	mode              string // edge, store or lost
}

// failingPings is the store the drill's ping API writes through: in mode store, during the
// outage, it fails every write of a check but the canary, as a store in trouble would.
type failingPings struct {
	store.Store
	failing func(id string) bool
}

func (f failingPings) UpdateCheck(ctx context.Context, id string, fn func(*check.Check) (store.Change, error)) (*check.Check, error) {
	if f.failing(id) {
		return nil, errors.New("ProvisionedThroughputExceededException: the table refused the write")
	}
	return f.Store.UpdateCheck(ctx, id, fn)
}

func drill(t *testing.T, st store.Store, log store.IngestLog, p drillParams) {
	ctx := t.Context()
	const (
		checks  = 100
		period  = 5 * time.Minute
		step    = 2 * time.Second // serve's default --interval
		runTime = 20 * time.Minute
	)
	grace, sweepEvery, canary := p.grace, p.sweepEvery, p.canary
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	outageFrom, outageTo := t0.Add(4*time.Minute), t0.Add(8*time.Minute)
	now := t0
	clock := func() time.Time { return now }

	project := &check.Project{ID: "d0000000-0000-4000-8000-000000000001", Name: "Drill", Created: t0.Add(-time.Hour),
		APIKeyHash: check.HashKey("hcw_drill"), ReadOnlyKeyHash: check.HashKey("hcr_drill"), PingKeyHash: check.HashKey("drill")}
	if err := st.CreateProject(ctx, project); err != nil {
		t.Fatal(err)
	}
	id := func(i int) string { return fmt.Sprintf("c0000000-0000-4000-8000-%012d", i) }
	canaryID := "c0000000-0000-4000-8000-ca0000000000"
	for i := range checks {
		// Each job's first ping, 2i seconds in, is stored with the check (up, one ping), so
		// that the run starts with every check armed.
		c := check.New(id(i), project.ID, t0.Add(-time.Hour))
		c.Name, c.Timeout, c.Grace = fmt.Sprintf("job %d", i), period, grace
		c.Status, c.NPings, c.LastPing = check.StatusUp, 1, t0.Add(time.Duration(2*i)*time.Second)
		c.AlertAfter = c.NextDue(nil)
		if err := st.CreateCheck(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	cn := check.New(canaryID, project.ID, t0.Add(-time.Hour))
	cn.Name, cn.Timeout, cn.Grace = "canary", 24*time.Hour, time.Hour
	if err := st.CreateCheck(ctx, cn); err != nil {
		t.Fatal(err)
	}

	// The ping API, counting what it takes as serve and the api function do; during the outage
	// the pings are refused at the edge, lost before it, or failed by the store, by the mode.
	var refused atomic.Int64
	inOutage := func() bool { return !now.Before(outageFrom) && now.Before(outageTo) }
	apiStore := failingPings{Store: st, failing: func(id string) bool {
		if p.mode == "store" && id != canaryID && inOutage() {
			refused.Add(1)
			return true
		}
		return false
	}}
	counter := &sweep.IngestCounter{Log: log, Now: clock}
	api := httpapi.New(httpapi.Config{Store: apiStore, Now: clock, SecretKey: []byte("drill-secret-0123456789"), PingCounter: counter})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		job := r.URL.Path != "/ping/"+canaryID
		switch {
		case strings.HasPrefix(r.URL.Path, "/ping/") && inOutage() && p.mode == "edge":
			refused.Add(1)
			http.Error(w, "service unavailable", http.StatusServiceUnavailable)
			return
		case job && inOutage() && p.mode == "lost":
			refused.Add(1)
			http.Error(w, "bad gateway", http.StatusBadGateway) // never reaches Overdue
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

	if p.mode == "lost" {
		seedIntake(t, log, t0, checks, period, canary)
	}
	in := &sweep.Ingestion{CanaryID: canaryID, Every: canary, Tolerance: p.tolerance, Log: log}
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
			t.Logf("alarm raised at +%v (outage since +%v: %s)", since, res.Outage.Start.Sub(t0), res.Outage.Cause)
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

// seedIntake writes the drill's usual traffic into log for the day before t0 (the minutes the
// rate's reference windows read): the even jobs' pings at 2i seconds into every period, and the
// canary's; and the even jobs' first pings, which the drill stores with the checks instead of
// sending them through the API.
func seedIntake(t *testing.T, log store.IngestLog, t0 time.Time, checks int, period, canary time.Duration) {
	t.Helper()
	withCanary := true
	arrivals := func(m time.Time) int {
		n := 0
		if withCanary {
			n = int(time.Minute / canary)
		}
		for i := 0; i < checks; i += 2 {
			d := m.Sub(t0.Add(time.Duration(2*i)*time.Second)) % period
			if d < 0 {
				d += period
			}
			if d == 0 || period-d < time.Minute {
				n++
			}
		}
		return n
	}
	// The drill's minutes look back at most an hour (the judged span) plus a day and the window.
	seed := func(from, to time.Time) {
		for m := from; m.Before(to); m = m.Add(time.Minute) {
			if err := log.AddIngest(t.Context(), store.IngestMinute{Minute: m, Pings: arrivals(m)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	seed(t0.Add(-4*time.Hour-5*time.Minute), t0)
	seed(t0.Add(-25*time.Hour-5*time.Minute), t0.Add(-24*time.Hour+25*time.Minute))
	withCanary = false
	seed(t0, t0.Add(period))
}
