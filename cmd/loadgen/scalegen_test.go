package main

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/sqlite"
)

// TestGenerate builds a small data set and reads it back through the store: every check with
// its pings, numbered 1 to the limit, its state as check.ApplyPing leaves it, the due checks at
// sweepAt; and the store's own ping path goes on from there (after the next ping the oldest is no
// longer listed).
func TestGenerate(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "overdue.db")
	spec := scaleSpec{projects: 3, checksPerProject: 70, pings: 11, now: time.Date(2026, 12, 7, 5, 0, 0, 0, time.UTC)}
	d, err := generate(ctx, path, spec)
	if err != nil {
		t.Fatal(err)
	}
	if d.pingRows != int64(spec.checks()*spec.pings) {
		t.Errorf("%d ping rows, want %d", d.pingRows, spec.checks()*spec.pings)
	}
	if len(d.due) != 2 { // checks 50 and 150 of 210
		t.Errorf("%d due checks, want 2", len(d.due))
	}
	st, err := sqlite.Open(path, store.Options{PingLimit: spec.pings})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for pi, p := range d.projects {
		cs, err := st.Checks(ctx, p.id)
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) != spec.checksPerProject {
			t.Fatalf("project %d: %d checks", pi, len(cs))
		}
		for _, c := range cs {
			pings, err := st.Pings(ctx, c.ID, 100)
			if err != nil {
				t.Fatal(err)
			}
			if len(pings) != spec.pings || pings[0].N != spec.pings || pings[len(pings)-1].N != 1 {
				t.Fatalf("check %s: %d pings", c.Name, len(pings))
			}
			if !pings[0].Created.Equal(c.LastPing) || pings[0].Kind != check.PingSuccess || pings[0].BodySize != len(pingBody) {
				t.Fatalf("check %s: newest ping %+v, last ping %s", c.Name, pings[0], c.LastPing)
			}
			if c.Status != check.StatusUp || c.NPings != spec.pings || !c.RunsCurrent() ||
				!c.AlertAfter.Equal(c.LastPing.Add(c.Timeout+c.Grace)) {
				t.Fatalf("check %s: %+v", c.Name, c)
			}
		}
	}
	due, err := st.DueChecks(ctx, d.sweepAt, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != len(d.due) {
		t.Errorf("%d checks due at sweepAt, want %d", len(due), len(d.due))
	}
	if due, _ := st.DueChecks(ctx, spec.now.Add(5*time.Minute), 100); len(due) != 0 {
		t.Errorf("%d checks due while the benchmark runs, want none", len(due))
	}

	id := d.ids[len(d.ids)-1]
	_, err = st.UpdateCheck(ctx, id, func(c *check.Check) (store.Change, error) {
		p, f := c.ApplyPing(check.Signal{Kind: check.PingSuccess, Method: "GET"}, spec.now, nil)
		return store.Change{Ping: p, Flip: f}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	pings, err := st.Pings(ctx, id, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(pings) != spec.pings || pings[0].N != spec.pings+1 || pings[len(pings)-1].N != 2 {
		t.Errorf("after one more ping: %d pings, %d to %d", len(pings), pings[len(pings)-1].N, pings[0].N)
	}
}
