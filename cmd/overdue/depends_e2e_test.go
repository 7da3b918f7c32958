package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestServeDependenciesRateFlapping runs `overdue serve` with a webhook channel and checks that
// a dependency, a failure rate and a flapping rule each produce exactly the deliveries they
// should: a child of a down parent alerts once, after the parent recovered; a rate alerts at
// its third failure; a flapping check sends its notice, holds what follows, and alerts once when
// it settles in another status.
func TestServeDependenciesRateFlapping(t *testing.T) {
	t0 := time.Date(2026, 11, 24, 20, 0, 0, 0, time.UTC)
	rs := startRulesServe(t, t0)
	at := func(d time.Duration) { rs.clock.set(t0.Add(d)) }
	const hour = `"timeout": 3600, "grace": 60, "channels": "*"`
	db := rs.create(`{"name": "db", ` + hour + `}`)
	backup := rs.create(`{"name": "backup", ` + hour + `, "depends_on": ["` + db + `"]}`)
	rate := rs.create(`{"name": "rate", ` + hour + `, "failure_rate": {"failures": 3, "minutes": 10}}`)
	flappy := rs.create(`{"name": "flappy", ` + hour + `, "flapping": {"changes": 2, "minutes": 10}}`)
	for _, id := range []string{rs.marker, db, backup, rate, flappy} {
		rs.ping(id, "") // new → up: silent
	}

	// failure_rate 3 in 10 minutes: two failures, a success between, tell nobody; the third does.
	rs.ping(rate, "/fail")
	rs.ping(rate, "")
	rs.ping(rate, "/fail")
	rs.barrier()
	rs.ping(rate, "/fail")
	rs.next(ruleDelivery{"rate", "down", "fail"})

	// depends_on: db goes down and alerts; backup fails while db is down: held.
	at(time.Minute)
	rs.ping(db, "/fail")
	rs.next(ruleDelivery{"db", "down", "fail"})
	rs.ping(backup, "/fail")
	rs.barrier()
	req, _ := http.NewRequest("GET", rs.base+"/api/v3/checks/"+backup+"/flips/", nil)
	req.Header.Set("X-Api-Key", rs.apiKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"note": "held: db is down"`) {
		t.Errorf("backup's flips = %s, want the held note", body)
	}
	// db recovers; at the next look (a minute after the hold), backup's one alert goes out.
	at(2 * time.Minute)
	rs.ping(db, "")
	rs.next(ruleDelivery{"db", "up", ""})
	at(3*time.Minute + 5*time.Second)
	rs.next(ruleDelivery{"backup", "down", "fail"})
	rs.barrier()

	// flapping, more than 2 changes in 10 minutes: down, up, then the third change is the notice;
	// the fourth is held; ten minutes after it, the check settles up, unlike the notice: one alert.
	at(5 * time.Minute)
	rs.ping(flappy, "/fail")
	rs.next(ruleDelivery{"flappy", "down", "fail"})
	at(6 * time.Minute)
	rs.ping(flappy, "")
	rs.next(ruleDelivery{"flappy", "up", ""})
	at(7 * time.Minute)
	rs.ping(flappy, "/fail")
	rs.next(ruleDelivery{"flappy", "down", "flapping"})
	at(8 * time.Minute)
	rs.ping(flappy, "")
	rs.barrier()
	at(18*time.Minute - time.Second)
	rs.barrier()
	at(18 * time.Minute)
	rs.next(ruleDelivery{"flappy", "up", "settled"})

	// And nothing else.
	rs.barrier()
}
