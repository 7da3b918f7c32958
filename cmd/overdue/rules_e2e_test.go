package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// testClock is the clock an in-process `overdue serve` reads; the test moves it.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// ruleDelivery is what the test asserts of one webhook delivery.
type ruleDelivery struct{ name, status, reason string }

// rulesServe is an in-process `overdue serve` on a real listener with a test clock, a project
// with a webhook channel whose receiver records each delivery, and a marker check whose alerts
// serve as barriers.
type rulesServe struct {
	t      *testing.T
	base   string
	apiKey string
	clock  *testClock
	calls  chan ruleDelivery
	marker string
}

// startRulesServe starts it at t0.
func startRulesServe(t *testing.T, t0 time.Time) *rulesServe {
	t.Helper()
	rs := &rulesServe{t: t, calls: make(chan ruleDelivery, 50), clock: &testClock{t: t0}}
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct {
			Check struct{ Name string } `json:"check"`
			Flip  struct{ New, Reason string }
		}
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Errorf("webhook body %s: %v", b, err)
		}
		rs.calls <- ruleDelivery{ev.Check.Name, ev.Flip.New, ev.Flip.Reason}
	}))
	t.Cleanup(receiver.Close)

	t.Setenv(secretEnv, "e2e-secret-0123456789abcdef")
	data := t.TempDir()
	var p projectOutput
	if err := json.Unmarshal([]byte(runCLI(t, "project", "create", "--data", data, "--name", "Ops", "--json")), &p); err != nil {
		t.Fatal(err)
	}
	rs.apiKey = p.APIKey
	runCLI(t, "channel", "add", "--data", data, "--project", p.ID, "--kind", "webhook", "--value", receiver.URL+"/hook")

	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		// --no-canary: the test clock jumps by minutes and hours between the canary's pings,
		// which the ingestion guard would rightly take for an outage and hold the alerts.
		done <- serveWithClock(ctx, []string{"--data", data, "--addr", "127.0.0.1:0", "--interval", "100ms", "--no-canary"}, pw, io.Discard, rs.clock.now)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve = %v", err)
		}
	})
	sc := bufio.NewScanner(pr)
	for rs.base == "" && sc.Scan() {
		if m := regexp.MustCompile(`^listening on (http://\S+)$`).FindStringSubmatch(sc.Text()); m != nil {
			rs.base = m[1]
		}
	}
	go io.Copy(io.Discard, pr) // the console notifier's output
	rs.marker = rs.create(`{"name": "marker", "timeout": 86400, "channels": "*"}`)
	return rs
}

// create creates a check through the v3 API and returns its UUID.
func (rs *rulesServe) create(body string) string {
	rs.t.Helper()
	req, _ := http.NewRequest("POST", rs.base+"/api/v3/checks/", strings.NewReader(body))
	req.Header.Set("X-Api-Key", rs.apiKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		rs.t.Fatal(err)
	}
	defer resp.Body.Close()
	var c struct{ UUID string }
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil || resp.StatusCode != 201 {
		rs.t.Fatalf("create %s = %d, %v", body, resp.StatusCode, err)
	}
	return c.UUID
}

// ping sends GET /ping/<id><suffix>.
func (rs *rulesServe) ping(id, suffix string) {
	rs.t.Helper()
	if code, body := get(rs.t, rs.base+"/ping/"+id+suffix); code != 200 || body != "OK" {
		rs.t.Fatalf("GET /ping/%s%s = %d %q", id, suffix, code, body)
	}
}

// next asserts the next delivery.
func (rs *rulesServe) next(want ruleDelivery) {
	rs.t.Helper()
	select {
	case got := <-rs.calls:
		if got != want {
			rs.t.Fatalf("delivery = %+v, want %+v", got, want)
		}
	case <-time.After(10 * time.Second):
		rs.t.Fatalf("no delivery within 10s, want %+v", want)
	}
}

// barrier makes the marker check fail and recover: its two alerts must be the next deliveries,
// so nothing was sent before them.
func (rs *rulesServe) barrier() {
	rs.t.Helper()
	rs.ping(rs.marker, "/fail")
	rs.next(ruleDelivery{"marker", "down", "fail"})
	rs.ping(rs.marker, "")
	rs.next(ruleDelivery{"marker", "up", ""})
}

// TestServeAlertRules runs `overdue serve` with a webhook channel and one check per rule, moves
// the clock past each deadline, and checks that the receiver gets exactly the deliveries the
// rules call for, in order: a marker check's own alerts serve as barriers, proving that nothing
// else was sent before them.
func TestServeAlertRules(t *testing.T) {
	t0 := time.Date(2026, 11, 24, 20, 0, 0, 0, time.UTC)
	rs := startRulesServe(t, t0)
	create, ping, next, barrier, clock, marker, base := rs.create, rs.ping, rs.next, rs.barrier, rs.clock, rs.marker, rs.base
	p := struct{ APIKey string }{rs.apiKey}
	const hour = `"timeout": 3600, "channels": "*"`
	snoozed := create(`{"name": "snoozed", ` + hour + `, "grace": 60}`)
	long := create(`{"name": "long", ` + hour + `, "max_runtime": 1800}`)
	fast := create(`{"name": "fast", ` + hour + `, "min_runtime": 60}`)
	flaky := create(`{"name": "flaky", ` + hour + `, "failure_tolerance": 2}`)
	late := create(`{"name": "late", ` + hour + `, "start_grace": 300}`)
	for _, id := range []string{marker, snoozed, long, fast, flaky, late} {
		ping(id, "") // new → up: silent
	}

	// min_runtime: a success 10 seconds after its start is a failure.
	ping(fast, "/start")
	clock.set(t0.Add(10 * time.Second))
	ping(fast, "")
	next(ruleDelivery{"fast", "down", "toofast"})

	// failure_tolerance 2: the first failure is recorded, nobody is told; the second alerts.
	ping(flaky, "/fail")
	barrier()
	ping(flaky, "/fail")
	next(ruleDelivery{"flaky", "down", "fail"})

	// Snoozed for two hours through the ping URL; max_runtime: a run started now (t0+10s) is down
	// 30 minutes later.
	ping(snoozed, "/snooze?minutes=120")
	ping(long, "/start")
	clock.set(t0.Add(30*time.Minute + 9*time.Second))
	barrier()
	clock.set(t0.Add(30*time.Minute + 10*time.Second))
	next(ruleDelivery{"long", "down", "runtime"})

	// The snoozed check misses its deadline (t0+1h+60s): it goes down, silently.
	clock.set(t0.Add(62 * time.Minute))
	waitDownSilently(t, base, p.APIKey, snoozed)
	barrier()

	// start_grace: no start within 5 minutes of the expected time (t0+1h).
	clock.set(t0.Add(65 * time.Minute))
	next(ruleDelivery{"late", "down", "nostart"})

	// The snooze (until t0+2h+10s) ends with the check still down: its one alert goes out then.
	clock.set(t0.Add(2*time.Hour + 9*time.Second))
	barrier()
	clock.set(t0.Add(2*time.Hour + 10*time.Second))
	next(ruleDelivery{"snoozed", "down", "timeout"})

	// A maintenance window for the tag "db", one hour from t0+3h: the check misses its deadline
	// (t0+3h+70s) inside it, silently; one alert at the window's end.
	maint := create(`{"name": "maint", "tags": "db", ` + hour + `, "grace": 60}`)
	ping(maint, "")
	req, _ := http.NewRequest("POST", base+"/api/v3/maintenance/", strings.NewReader(
		`{"tag": "db", "start": "2026-11-24T23:00:00Z", "end": "2026-11-25T00:00:00Z"}`))
	req.Header.Set("X-Api-Key", p.APIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("create window = %v, %v", resp, err)
	}
	resp.Body.Close()
	clock.set(t0.Add(3*time.Hour + 2*time.Minute))
	waitDownSilently(t, base, p.APIKey, maint)
	barrier()
	clock.set(t0.Add(4 * time.Hour))
	next(ruleDelivery{"maint", "down", "timeout"})

	// And nothing else.
	barrier()
}

// waitDownSilently waits until the sweep has taken check id down (its flips list shows it): a
// barrier sent before that could overtake the sweep that is to hold the alert.
func waitDownSilently(t *testing.T, base, key, id string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequest("GET", base+"/api/v3/checks/"+id+"/flips/", nil)
		req.Header.Set("X-Api-Key", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var fl struct{ Flips []struct{ Up int } }
		err = json.NewDecoder(resp.Body).Decode(&fl)
		resp.Body.Close()
		if err == nil && len(fl.Flips) == 2 && fl.Flips[0].Up == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("check %s did not go down within 10s", id)
}
