package mailping_test

import (
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/ingest/ingesttest"
	"github.com/overduehq/overdue/internal/mailping"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/sqlite"
)

// TestEmailPingHolds: email pings to `overdue serve --smtp-listen` go through the HTTP ping's
// rules: a failure inside a maintenance window or under a down parent is held, and alerts once
// when the hold ends (ingesttest.Holds), over SQLite and through the SMTP listener.
func TestEmailPingHolds(t *testing.T) {
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "overdue.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var now time.Time
	rec := &mailping.Receiver{Store: st, Now: func() time.Time { return now }, Domain: domain}
	addr := serve(t, rec)
	ingesttest.Holds(t, st, "", func(t *testing.T, id string, at time.Time) {
		t.Helper()
		now = at
		msg := "From: cron@host.example.org\nSubject: backup FAILED\n\nexit 1\n"
		if err := send(addr, id+"@"+domain, msg); err != nil {
			t.Fatalf("send the failure mail to %s: %v", id, err)
		}
	})
}

// serve runs rec's SMTP listener on a loopback port for the test.
func serve(t *testing.T, rec *mailping.Receiver) string {
	t.Helper()
	srv := mailping.NewServer(rec)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}
