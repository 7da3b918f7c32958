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
	"strings"
	"testing"
	"time"
)

// timedDelivery is what the test asserts of one webhook delivery: which channel (the receiver's
// path), which check, which status.
type timedDelivery struct{ channel, check, status string }

// TestServeChannelTiming runs `overdue serve` (in process, with a test clock) with three webhook
// channels made by `overdue channel add`: "now" without timing, "phone" with a 15-minute delay
// and "nag" repeating every 10 minutes. It moves the clock through an outage, a blip shorter than
// the delay and a snooze, and checks that the receiver gets exactly the deliveries the timing
// calls for: a marker check on "now" alone fails and recovers as a barrier, proving that nothing
// else was sent before its alerts.
func TestServeChannelTiming(t *testing.T) {
	calls := make(chan timedDelivery, 50)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct {
			Check struct{ Name string } `json:"check"`
			Flip  struct{ New string }
		}
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Errorf("webhook body %s: %v", b, err)
		}
		calls <- timedDelivery{strings.TrimPrefix(r.URL.Path, "/"), ev.Check.Name, ev.Flip.New}
	}))
	defer receiver.Close()

	t.Setenv(secretEnv, "e2e-secret-0123456789abcdef")
	data := t.TempDir()
	var p projectOutput
	if err := json.Unmarshal([]byte(runCLI(t, "project", "create", "--data", data, "--name", "Ops", "--json")), &p); err != nil {
		t.Fatal(err)
	}
	channel := func(name string, timing ...string) string {
		t.Helper()
		var ch channelOutput
		args := append([]string{"channel", "add", "--data", data, "--project", p.ID, "--kind", "webhook",
			"--value", receiver.URL + "/" + name, "--name", name, "--json"}, timing...)
		if err := json.Unmarshal([]byte(runCLI(t, args...)), &ch); err != nil {
			t.Fatal(err)
		}
		return ch.ID
	}
	now, phone, nag := channel("now"), channel("phone", "--delay", "15m"), channel("nag", "--repeat", "10m")

	t0 := time.Date(2026, 11, 24, 20, 0, 0, 0, time.UTC)
	clock := &testClock{t: t0}
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		// --no-canary: the test clock jumps by minutes, which the ingestion guard would take for
		// an outage of the canary's pings.
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
	go io.Copy(io.Discard, pr) // the console notifier's output

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
	create := func(name string, channels ...string) string {
		t.Helper()
		req, _ := http.NewRequest("POST", base+"/api/v3/checks/", strings.NewReader(
			`{"name": "`+name+`", "timeout": 86400, "channels": "`+strings.Join(channels, ",")+`"}`))
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
	// next takes the next len(want) deliveries, in any order (one flip's channels are sent at
	// once), and compares them with want.
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
	marker := create("marker", now)
	barrier := func() {
		t.Helper()
		ping(marker, "/fail")
		next(timedDelivery{"now", "marker", "down"})
		ping(marker, "")
		next(timedDelivery{"now", "marker", "up"})
	}
	job := create("job", phone, nag)
	blip := create("blip", phone)
	for _, id := range []string{marker, job, blip} {
		ping(id, "") // new → up: silent
	}
	at := func(d time.Duration) { clock.set(t0.Add(d)) }

	// t0: both fail. nag alerts at once; phone waits 15 minutes for each.
	ping(job, "/fail")
	next(timedDelivery{"nag", "job", "down"})
	ping(blip, "/fail")
	// t0+5m: blip is back before phone's delay: phone sends it neither down nor up.
	at(5 * time.Minute)
	ping(blip, "")
	barrier()

	// t0+10m: nag repeats.
	at(10*time.Minute - time.Second)
	barrier()
	at(10 * time.Minute)
	next(timedDelivery{"nag", "job", "down"})

	// t0+15m: phone alerts of job, which is still down; not of blip.
	at(15*time.Minute - time.Second)
	barrier()
	at(15 * time.Minute)
	next(timedDelivery{"phone", "job", "down"})
	barrier()

	// t0+16m: job snoozed for 30 minutes: nag's repeat due at t0+20m waits for the snooze's end.
	at(16 * time.Minute)
	api("/api/v3/checks/"+job+"/snooze", `{"minutes": 30}`)
	at(20 * time.Minute)
	barrier()
	at(46*time.Minute - time.Second)
	barrier()
	at(46 * time.Minute)
	next(timedDelivery{"nag", "job", "down"})

	// t0+50m: job recovers: both channels that had its down alert get the up.
	at(50 * time.Minute)
	ping(job, "")
	next(timedDelivery{"nag", "job", "up"}, timedDelivery{"phone", "job", "up"})

	// t0+56m, when nag's next repeat was due, and later: nothing else.
	at(56 * time.Minute)
	barrier()
	at(2 * time.Hour)
	barrier()
}
