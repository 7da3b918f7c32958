package notify

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/sqlite"
)

var t0 = time.Date(2026, 11, 24, 20, 8, 55, 0, time.UTC)

func TestHumanDuration(t *testing.T) {
	tests := map[time.Duration]string{
		0:                                "0 seconds",
		time.Minute:                      "1 minute",
		90 * time.Second:                 "1 minute 30 seconds",
		24 * time.Hour:                   "1 day",
		150 * time.Minute:                "2 hours 30 minutes",
		15 * 24 * time.Hour:              "2 weeks 1 day",
		365 * 24 * time.Hour:             "52 weeks 1 day",
		time.Hour + 500*time.Millisecond: "1 hour",
	}
	for d, want := range tests {
		if got := HumanDuration(d); got != want {
			t.Errorf("HumanDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestTextTimeout(t *testing.T) {
	c := check.New("2753e3d5-83f9-46cb-a402-18ab2e8561c3", "p", t0)
	c.Name, c.Timeout, c.Grace, c.LastPing = "simple", time.Minute, time.Minute, t0
	f := &check.Flip{CheckID: c.ID, Created: t0.Add(2 * time.Minute), OldStatus: check.StatusUp, NewStatus: check.StatusDown, Reason: check.ReasonTimeout}
	got := Text(Alert{Flip: f, Check: c})
	for _, want := range []string{
		"DOWN | simple\n",
		`The check "simple" has gone down.`,
		"Reason: success signal did not arrive on time, grace time passed.",
		"Period: 1 minute",
		"Status changed to down at: 2026-11-24 20:10:55 UTC",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("Text() lacks %q:\n%s", want, got)
		}
	}
}

// recorder is a Notifier that remembers what it was asked to send.
type recorder struct{ sent []Alert }

func (r *recorder) Notify(_ context.Context, a Alert) error {
	r.sent = append(r.sent, a)
	return nil
}

func TestDispatcherSendsEachNotifyingFlipOnce(t *testing.T) {
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "overdue.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	if err := st.CreateProject(ctx, &check.Project{ID: "p", Name: "P", Created: t0, APIKeyHash: "a", ReadOnlyKeyHash: "b", PingKeyHash: "c"}); err != nil {
		t.Fatal(err)
	}
	c := check.New("c1", "p", t0)
	c.Name = "backup"
	if err := st.CreateCheck(ctx, c); err != nil {
		t.Fatal(err)
	}
	// success (new→up: silent), fail (up→down: alert), pause (processed: silent), success
	// (paused→up: silent), fail (up→down: alert).
	steps := []func(c *check.Check, at time.Time) *check.Flip{
		func(c *check.Check, at time.Time) *check.Flip {
			_, f := c.ApplyPing(check.Signal{Kind: check.PingSuccess}, at, nil)
			return f
		},
		func(c *check.Check, at time.Time) *check.Flip {
			_, f := c.ApplyPing(check.Signal{Kind: check.PingFail}, at, nil)
			return f
		},
		func(c *check.Check, at time.Time) *check.Flip { return c.Pause(at) },
		func(c *check.Check, at time.Time) *check.Flip {
			_, f := c.ApplyPing(check.Signal{Kind: check.PingSuccess}, at, nil)
			return f
		},
		func(c *check.Check, at time.Time) *check.Flip {
			_, f := c.ApplyPing(check.Signal{Kind: check.PingFail}, at, nil)
			return f
		},
	}
	for i, step := range steps {
		at := t0.Add(time.Duration(i) * time.Minute)
		if _, err := st.UpdateCheck(ctx, "c1", func(c *check.Check) (store.Change, error) {
			return store.Change{Flip: step(c, at)}, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	rec := &recorder{}
	d := &Dispatcher{Store: st, Notifier: rec, Now: func() time.Time { return t0.Add(time.Hour) }}
	n, err := d.Run(ctx)
	if err != nil || n != 2 || len(rec.sent) != 2 {
		t.Fatalf("Run = %d, %v; sent %d; want 2 alerts", n, err, len(rec.sent))
	}
	for _, a := range rec.sent {
		if a.Flip.NewStatus != check.StatusDown || a.Check.Name != "backup" {
			t.Errorf("sent %+v for %q, want down alerts for backup", a.Flip, a.Check.Name)
		}
	}
	// A second run (a retried loop, another process) sends nothing more.
	if n, err := d.Run(ctx); err != nil || n != 0 {
		t.Errorf("second Run = %d, %v; want 0", n, err)
	}
}
