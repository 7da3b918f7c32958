package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestServeLateNotice runs `overdue serve` (in process, with a test clock) with three webhook
// channels made by `overdue channel add`: "now" without options, "late" with --late, and
// "slow" with --late and a 15-minute delay (which a late notice does not wait for). Three checks,
// each with a 1-hour period and 1-hour grace time: "job" (now, late, slow), "plain" (now only)
// and "held" (late; snoozed over its first grace start). The receiver gets exactly the late
// notices due, once per period, no "up" after one, and the down alerts as usual: a marker check
// on "now" alone fails and recovers as a barrier, proving that nothing else came before.
func TestServeLateNotice(t *testing.T) {
	calls := make(chan timedDelivery, 50)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct {
			Event string                        `json:"event"`
			Check struct{ Name, Status string } `json:"check"`
			Flip  struct{ New string }
		}
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Errorf("webhook body %s: %v", b, err)
		}
		status := ev.Flip.New
		if ev.Event == "late" {
			status = "late"
			if ev.Check.Status != "grace" {
				t.Errorf("late notice %s: check.status %q, want grace", b, ev.Check.Status)
			}
		}
		calls <- timedDelivery{strings.TrimPrefix(r.URL.Path, "/"), ev.Check.Name, status}
	}))
	defer receiver.Close()

	t.Setenv(secretEnv, "e2e-secret-0123456789abcdef")
	data := t.TempDir()
	var p projectOutput
	if err := json.Unmarshal([]byte(runCLI(t, "project", "create", "--data", data, "--name", "Ops", "--json")), &p); err != nil {
		t.Fatal(err)
	}
	channel := func(name string, opts ...string) string {
		t.Helper()
		var ch channelOutput
		args := append([]string{"channel", "add", "--data", data, "--project", p.ID, "--kind", "webhook",
			"--value", receiver.URL + "/" + name, "--name", name, "--json"}, opts...)
		if err := json.Unmarshal([]byte(runCLI(t, args...)), &ch); err != nil {
			t.Fatal(err)
		}
		if want := len(opts) > 0; ch.Late != want {
			t.Errorf("channel add %v printed late %v, want %v", opts, ch.Late, want)
		}
		return ch.ID
	}
	now, late, slow := channel("now"), channel("late", "--late"), channel("slow", "--late", "--delay", "15m")

	t0 := time.Date(2026, 11, 24, 20, 0, 0, 0, time.UTC)
	clock := &testClock{t: t0}
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- serveWithClock(ctx, []string{"--data", data, "--addr", "127.0.0.1:0", "--interval", "100ms", "--no-canary"}, pw, io.Discard, clock.now)
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
	go io.Copy(io.Discard, pr)

	api := func(path, body string) {
		t.Helper()
		req, _ := http.NewRequest("POST", base+path, strings.NewReader(body))
		req.Header.Set("X-Api-Key", p.APIKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			t.Fatalf("POST %s %s = %d", path, body, resp.StatusCode)
		}
	}
	create := func(name string, timeout time.Duration, channels ...string) string {
		t.Helper()
		req, _ := http.NewRequest("POST", base+"/api/v3/checks/", strings.NewReader(
			`{"name": "`+name+`", "timeout": `+strconv.Itoa(int(timeout/time.Second))+`, "grace": 3600, "channels": "`+strings.Join(channels, ",")+`"}`))
		req.Header.Set("X-Api-Key", p.APIKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var c struct{ UUID string }
		if err := json.NewDecoder(resp.Body).Decode(&c); err != nil || resp.StatusCode != 201 {
			t.Fatalf("create %s = %d, %v", name, resp.StatusCode, err)
		}
		return c.UUID
	}
	ping := func(id, suffix string) {
		t.Helper()
		if code, body := get(t, base+"/ping/"+id+suffix); code != 200 || body != "OK" {
			t.Fatalf("GET /ping/%s%s = %d %q", id, suffix, code, body)
		}
	}
	next := func(want ...timedDelivery) {
		t.Helper()
		var got []timedDelivery
		for range want {
			select {
			case d := <-calls:
				got = append(got, d)
			case <-time.After(10 * time.Second):
				t.Fatalf("deliveries = %+v, then none within 10s; want %+v", got, want)
			}
		}
		key := func(a, b timedDelivery) int {
			return strings.Compare(a.channel+a.check+a.status, b.channel+b.check+b.status)
		}
		slices.SortFunc(got, key)
		slices.SortFunc(want, key)
		if !slices.Equal(got, want) {
			t.Fatalf("deliveries = %+v, want %+v", got, want)
		}
	}
	marker := create("marker", 24*time.Hour, now)
	barrier := func() {
		t.Helper()
		ping(marker, "/fail")
		next(timedDelivery{"now", "marker", "down"})
		ping(marker, "")
		next(timedDelivery{"now", "marker", "up"})
	}
	job := create("job", time.Hour, now, late, slow)
	plain := create("plain", time.Hour, now)
	held := create("held", time.Hour, late)
	for _, id := range []string{marker, job, plain, held} {
		ping(id, "") // new → up: silent
	}
	at := func(d time.Duration) { clock.set(t0.Add(d)) }

	// t0+50m: held is snoozed for 30 minutes, over its grace start.
	at(50 * time.Minute)
	api("/api/v3/checks/"+held+"/snooze", `{"minutes": 30}`)
	at(time.Hour - time.Second)
	barrier()

	// t0+1h: job is late: its late channels are told at once (slow's delay does not apply);
	// plain has no late channel; held's notice is dropped by its snooze.
	at(time.Hour)
	next(timedDelivery{"late", "job", "late"}, timedDelivery{"slow", "job", "late"})
	barrier()
	// t0+1h21m: held's snooze is over, it is still in its grace time: the notice is not owed.
	at(time.Hour + 21*time.Minute)
	barrier()

	// t0+1h25m: all three ping: no "up" follows a late notice.
	at(time.Hour + 25*time.Minute)
	for _, id := range []string{job, plain, held} {
		ping(id, "")
	}
	barrier()

	// t0+2h25m: the next period: job and held are late, once.
	at(2*time.Hour + 25*time.Minute)
	next(timedDelivery{"late", "job", "late"}, timedDelivery{"slow", "job", "late"}, timedDelivery{"late", "held", "late"})
	at(2*time.Hour + 40*time.Minute)
	barrier()

	// t0+3h25m: all three go down: the down alerts follow as usual (slow's after its delay).
	at(3*time.Hour + 25*time.Minute)
	next(timedDelivery{"now", "job", "down"}, timedDelivery{"late", "job", "down"}, timedDelivery{"now", "plain", "down"},
		timedDelivery{"late", "held", "down"})
	at(3*time.Hour + 40*time.Minute)
	next(timedDelivery{"slow", "job", "down"})
	barrier()
}
