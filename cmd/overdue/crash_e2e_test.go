package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/sqlite"
)

// TestKillUnderLoadKeepsAcknowledgedPings is issue 18's acceptance for group commit: `overdue
// serve` on SQLite takes pings from many connections at once (so they are committed in groups),
// is killed with SIGKILL in the middle of the load, and every ping it had answered 200 is in the
// database when it is opened again. Each ping carries a body naming its sender and sequence
// number, so a stored ping is matched to its acknowledgement; no check gets more pings than its
// history keeps, so none is trimmed away.
func TestKillUnderLoadKeepsAcknowledgedPings(t *testing.T) {
	const (
		checks    = 16
		perCheck  = 3  // connections pinging each check, so one batch holds several pings of a check
		perConn   = 30 // at most 90 pings a check: under the 100 the history keeps
		killAfter = 600
		conns     = checks * perCheck
		maxAcked  = conns * perConn
	)
	dataDir := t.TempDir()
	// --interval 1h: the sweep runs once at start and stays out of the way.
	s := startServer(t, dataDir, "--data", dataDir, "--interval", "1h")
	apiKey := s.waitFor(t, regexp.MustCompile(`^\s+API key:\s+(hcw_\w{28})$`))[1]
	m := s.waitFor(t, regexp.MustCompile(`curl -fsS (http://127\.0\.0\.1:\d+)/ping/([0-9a-f-]{36})$`))
	base := m[1]
	ids := []string{m[2]}
	s.waitFor(t, regexp.MustCompile(`^listening on `))
	for i := len(ids); i < checks; i++ {
		ids = append(ids, createCheckAPI(t, base, apiKey, fmt.Sprintf("crash-%d", i)))
	}

	// acked[c] holds the bodies of the pings check c answered 200 to.
	var (
		mu      sync.Mutex
		acked   = make([][]string, checks)
		total   atomic.Int64
		killed  = make(chan struct{})
		killErr error
		wg      sync.WaitGroup
	)
	for conn := range conns {
		c := conn % checks
		wg.Go(func() {
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
			defer client.CloseIdleConnections()
			for i := range perConn {
				body := fmt.Sprintf("conn %d ping %d", conn, i)
				resp, err := client.Post(base+"/ping/"+ids[c], "text/plain", strings.NewReader(body))
				if err != nil {
					return // the server is gone
				}
				answer, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					return
				}
				if resp.StatusCode != http.StatusOK || string(answer) != "OK" {
					t.Errorf("ping %q = %d %q, want 200 OK", body, resp.StatusCode, answer)
					return
				}
				mu.Lock()
				acked[c] = append(acked[c], body)
				mu.Unlock()
				if total.Add(1) == killAfter {
					killErr = s.cmd.Process.Kill()
					close(killed)
				}
			}
		})
	}
	wg.Wait()
	select {
	case <-killed:
	default:
		t.Fatalf("only %d of %d pings were answered before the load ended; the kill never came", total.Load(), maxAcked)
	}
	if killErr != nil {
		t.Fatalf("kill -9 serve: %v", killErr)
	}
	if err := s.cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("serve exited with %v, want killed", err)
	}
	n := total.Load()
	if n >= maxAcked {
		t.Fatalf("all %d pings were answered: the kill came after the load, not during it", n)
	}
	t.Logf("%d pings acknowledged when serve was killed", n)

	st, err := sqlite.Open(filepath.Join(dataDir, dbName), store.Options{})
	if err != nil {
		t.Fatalf("reopen after kill -9: %v", err)
	}
	defer st.Close()
	ctx := context.Background()
	var stored int
	for c, id := range ids {
		got, err := st.Check(ctx, id)
		if err != nil {
			t.Fatalf("Check(%s) after kill -9: %v", id, err)
		}
		list, err := st.Pings(ctx, id, store.DefaultPingLimit)
		if err != nil {
			t.Fatalf("Pings(%s) after kill -9: %v", id, err)
		}
		if len(list) != got.NPings {
			t.Errorf("check %d: %d pings stored but n_pings = %d", c, len(list), got.NPings)
		}
		bodies := make(map[string]bool, len(list))
		for _, p := range list {
			full, err := st.Ping(ctx, id, p.N)
			if err != nil {
				t.Fatalf("Ping(%s, %d) after kill -9: %v", id, p.N, err)
			}
			bodies[string(full.Body)] = true
		}
		for _, body := range acked[c] {
			if !bodies[body] {
				t.Errorf("check %d: ping %q was answered 200 but is not stored", c, body)
			}
		}
		stored += len(list)
	}
	// Pings in flight at the kill may be stored unanswered, at most one per connection.
	if extra := stored - int(n); extra < 0 || extra > conns {
		t.Errorf("%d pings stored for %d acknowledged, want between %d and %d", stored, n, n, n+conns)
	}
}

// createCheckAPI creates a simple check through the management API and returns its UUID.
func createCheckAPI(t *testing.T, base, apiKey, name string) string {
	t.Helper()
	req, err := http.NewRequest("POST", base+"/api/v3/checks/", strings.NewReader(fmt.Sprintf(`{"name": %q}`, name)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Api-Key", apiKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		UUID string `json:"uuid"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != http.StatusCreated || got.UUID == "" {
		t.Fatalf("create check %q = %d, %v, uuid %q", name, resp.StatusCode, err, got.UUID)
	}
	return got.UUID
}
