package sweep

import (
	"context"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// parentCountingStore counts the reads of single checks: the sweep's reads of parents.
type parentCountingStore struct {
	store.Store
	checkReads int
}

func (c *parentCountingStore) Check(ctx context.Context, id string) (*check.Check, error) {
	c.checkReads++
	return c.Store.Check(ctx, id)
}

// TestSweepDependencies: two checks depend on "db". db goes down first; the children miss
// their deadline while it is down and go down silently, noted, with db read once for both; they
// stay held while db is down; once db is up again, the next sweep sends each child's one alert.
func TestSweepDependencies(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	hourly := func(c *check.Check) { c.Timeout, c.Grace = time.Hour, time.Hour }
	seed(t, st, "db", func(c *check.Check) { hourly(c); c.Name = "db" }, t0) // down at t0+2h
	for _, id := range []string{"c1", "c2"} {
		seed(t, st, id, func(c *check.Check) { hourly(c); c.DependsOn = []string{"db"} }, t0.Add(30*time.Minute))
	}
	counting := &parentCountingStore{Store: st}
	var now time.Time
	s := &Sweeper{Store: counting, Now: func() time.Time { return now }}
	sweep := func(at time.Time, wantFlipped int) {
		t.Helper()
		now = at
		res, err := s.Run(ctx)
		if err != nil || res.Flipped != wantFlipped {
			t.Fatalf("sweep at %v = %+v, %v; want %d flipped", at, res, err, wantFlipped)
		}
	}
	alerts := func() []*check.Flip {
		t.Helper()
		q, err := st.UnprocessedFlips(ctx, 20)
		if err != nil {
			t.Fatal(err)
		}
		var out []*check.Flip
		for _, f := range q {
			if f.NewStatus == check.StatusDown {
				out = append(out, f)
			}
		}
		return out
	}

	sweep(t0.Add(2*time.Hour), 1)
	if a := alerts(); len(a) != 1 || a[0].CheckID != "db" {
		t.Fatalf("alerts after db's deadline = %+v, want db's", a)
	}
	counting.checkReads = 0
	sweep(t0.Add(150*time.Minute), 2)
	if counting.checkReads != 1 {
		t.Errorf("db read %d times for two children, want once", counting.checkReads)
	}
	if a := alerts(); len(a) != 1 {
		t.Errorf("alerts after the children's deadline = %+v, want db's alone", a)
	}
	for _, id := range []string{"c1", "c2"} {
		fs, err := st.Flips(ctx, id, store.FlipQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(fs) == 0 || fs[0].NewStatus != check.StatusDown || fs[0].Processed.IsZero() || fs[0].Note != "held: db is down" {
			t.Errorf("%s's newest flip = %+v, want a processed down noted \"held: db is down\"", id, fs[0])
		}
	}
	sweep(t0.Add(151*time.Minute), 0) // db still down: held again, nothing sent
	if a := alerts(); len(a) != 1 {
		t.Errorf("alerts while db is down = %+v, want db's alone", a)
	}

	_, err := st.UpdateCheck(ctx, "db", func(c *check.Check) (store.Change, error) {
		p, f := c.ApplyPing(check.Signal{Kind: check.PingSuccess}, t0.Add(155*time.Minute), nil)
		return store.Change{Ping: p, Flip: f}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sweep(t0.Add(156*time.Minute), 2)
	a := alerts()
	if len(a) != 3 {
		t.Fatalf("alerts after db recovered = %+v, want db's and one per child", a)
	}
	for _, f := range a[1:] {
		if f.OldStatus != check.StatusDown || f.Reason != check.ReasonTimeout || !f.Created.Equal(now) || f.Note != "" {
			t.Errorf("released alert %+v, want down→down timeout at %v without a note", f, now)
		}
	}
	sweep(t0.Add(3*time.Hour), 0)
	if len(alerts()) != 3 {
		t.Errorf("a later sweep sent more")
	}
}
