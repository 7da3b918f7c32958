package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// groupStore opens a store with checks c1 and c2 in project p1.
func groupStore(t *testing.T, opts store.Options) *Store {
	t.Helper()
	s := openStore(t, opts)
	t.Cleanup(func() { s.Close() })
	ctx := t.Context()
	if err := s.CreateProject(ctx, &check.Project{ID: "p1", Created: t0}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"c1", "c2"} {
		if err := s.CreateCheck(ctx, check.New(id, "p1", t0.Add(-time.Hour))); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func newUpdate(id string, fn func(c *check.Check) (store.Change, error)) *update {
	return &update{ctx: context.Background(), id: id, fn: fn, done: make(chan struct{})}
}

// pingAt is an update fn applying a ping of kind at now.
func pingAt(kind check.PingKind, now time.Time) func(c *check.Check) (store.Change, error) {
	return func(c *check.Check) (store.Change, error) {
		p, f := c.ApplyPing(check.Signal{Kind: kind, Body: []byte(now.Format(time.TimeOnly))}, now, nil)
		return store.Change{Ping: p, Flip: f}, nil
	}
}

// TestGroupCommitBatch: one batch of updates to two checks, with a failing fn and a missing
// check among them, ends as the same updates one transaction after another would have: each
// fn sees the check as the previous update left it, a failed update writes nothing and gets
// its own error, the history is trimmed to PingLimit, and flips get their IDs.
func TestGroupCommitBatch(t *testing.T) {
	ctx := t.Context()
	s := groupStore(t, store.Options{PingLimit: 3})
	refused := errors.New("refused by fn")
	var sawPings int
	batch := []*update{
		newUpdate("c1", pingAt(check.PingSuccess, t0)), // flip new→up
		newUpdate("c2", pingAt(check.PingSuccess, t0)),
		newUpdate("c1", func(c *check.Check) (store.Change, error) {
			c.NPings = 1000 // a change the store must not keep
			return store.Change{}, refused
		}),
		newUpdate("c1", func(c *check.Check) (store.Change, error) {
			sawPings = c.NPings
			return pingAt(check.PingSuccess, t0.Add(time.Second))(c)
		}),
		newUpdate("missing", pingAt(check.PingSuccess, t0)),
		newUpdate("c1", pingAt(check.PingSuccess, t0.Add(2*time.Second))),
		newUpdate("c1", pingAt(check.PingSuccess, t0.Add(3*time.Second))),
		newUpdate("c1", pingAt(check.PingFail, t0.Add(4*time.Second))), // flip up→down
	}
	s.commit(batch, nil)
	for i, u := range batch {
		select {
		case <-u.done:
		default:
			t.Fatalf("update %d was not answered", i)
		}
	}

	if err := batch[2].err; err != refused {
		t.Errorf("update with failing fn: err = %v, want fn's error as it is", err)
	}
	if err := batch[4].err; !errors.Is(err, store.ErrNotFound) {
		t.Errorf("update of a missing check: err = %v, want ErrNotFound", err)
	}
	for _, i := range []int{0, 1, 3, 5, 6, 7} {
		if batch[i].err != nil {
			t.Errorf("update %d: err = %v, want nil", i, batch[i].err)
		}
	}
	if sawPings != 1 {
		t.Errorf("the fn after a failed one saw NPings = %d, want 1 (the first update's ping, not the failed fn's change)", sawPings)
	}
	if got := []int64{batch[0].written.NPings, batch[3].written.NPings, batch[7].written.NPings}; !slices.Equal(got, []int64{1, 2, 5}) {
		t.Errorf("returned NPings of c1's updates = %v, want [1 2 5]", got)
	}

	c1, err := s.Check(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if c1.NPings != 5 || c1.Status != check.StatusDown || !c1.LastPing.Equal(t0.Add(4*time.Second)) {
		t.Errorf("c1 = %d pings, %s, last ping %v; want 5, down, %v", c1.NPings, c1.Status, c1.LastPing, t0.Add(4*time.Second))
	}
	ps, err := s.Pings(ctx, "c1", 100)
	if err != nil {
		t.Fatal(err)
	}
	var ns []int
	for _, p := range ps {
		ns = append(ns, p.N)
	}
	if want := []int{5, 4, 3}; !slices.Equal(ns, want) {
		t.Errorf("c1's pings kept with PingLimit 3 = %v, want %v", ns, want)
	}
	if c2, err := s.Check(ctx, "c2"); err != nil || c2.NPings != 1 || c2.Status != check.StatusUp {
		t.Errorf("c2 = %+v, %v; want 1 ping, up", c2, err)
	}

	fs, err := s.Flips(ctx, "c1", store.FlipQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var stored []string
	for _, f := range fs {
		stored = append(stored, f.ID)
	}
	got := []string{batch[7].flip.ID, batch[0].flip.ID} // newest first, as Flips lists them
	if len(fs) != 2 || !slices.Equal(got, stored) || got[0] == "" || got[0] == got[1] {
		t.Errorf("flip IDs set on the updates %v, stored %v; want the two stored IDs, distinct", got, stored)
	}
}

// TestGroupCommitIsolatesFailure: an update whose statement fails (a ping number already
// taken) fails alone; the other updates of its batch are committed once each, though their fn
// ran again.
func TestGroupCommitIsolatesFailure(t *testing.T) {
	ctx := t.Context()
	s := groupStore(t, store.Options{})
	calls := 0
	first := pingAt(check.PingSuccess, t0)
	batch := []*update{
		newUpdate("c1", func(c *check.Check) (store.Change, error) {
			calls++
			return first(c)
		}),
		newUpdate("c1", func(c *check.Check) (store.Change, error) {
			return store.Change{Ping: &check.Ping{N: 1, Created: t0, Kind: check.PingLog}}, nil
		}),
		newUpdate("c2", pingAt(check.PingSuccess, t0)),
	}
	s.commit(batch, nil)

	if err := batch[1].err; !errors.Is(err, store.ErrConflict) {
		t.Errorf("update reusing ping number 1: err = %v, want ErrConflict", err)
	}
	if batch[0].err != nil || batch[2].err != nil {
		t.Errorf("the other updates: errs %v, %v; want nil", batch[0].err, batch[2].err)
	}
	if calls != 2 {
		t.Errorf("the first update's fn ran %d times, want 2 (in the batch, then alone)", calls)
	}
	for _, id := range []string{"c1", "c2"} {
		c, err := s.Check(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		ps, err := s.Pings(ctx, id, 100)
		if err != nil {
			t.Fatal(err)
		}
		if c.NPings != 1 || len(ps) != 1 || ps[0].Kind != check.PingSuccess {
			t.Errorf("%s after the batch: NPings %d, pings %v; want one success ping", id, c.NPings, ps)
		}
	}
}

// TestUpdateCheckAfterClose: an update after Close fails instead of waiting for a committer
// that is gone.
func TestUpdateCheckAfterClose(t *testing.T) {
	s := groupStore(t, store.Options{})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateCheck(t.Context(), "c1", pingAt(check.PingSuccess, t0)); !errors.Is(err, errClosed) {
		t.Errorf("UpdateCheck after Close = %v, want errClosed", err)
	}
}

// TestGroupCommitConfigChange: a batch in which one update pings a check and the next renames
// it writes both, the ping's state and the new name (the check is written once, and a change
// beyond the state columns must not be lost to the narrower state update).
func TestGroupCommitConfigChange(t *testing.T) {
	ctx := t.Context()
	s := groupStore(t, store.Options{})
	batch := []*update{
		newUpdate("c1", pingAt(check.PingSuccess, t0)),
		newUpdate("c1", func(c *check.Check) (store.Change, error) {
			c.Name, c.Grace = "renamed", 2*time.Hour
			return store.Change{}, nil
		}),
		newUpdate("c2", pingAt(check.PingSuccess, t0)),
	}
	s.commit(batch, nil)
	for i, u := range batch {
		if u.err != nil {
			t.Fatalf("update %d: %v", i, u.err)
		}
	}
	c1, err := s.Check(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if c1.Name != "renamed" || c1.Grace != 2*time.Hour || c1.NPings != 1 || c1.Status != check.StatusUp {
		t.Errorf("c1 = name %q, grace %v, %d pings, %s; want renamed, 2h, 1, up", c1.Name, c1.Grace, c1.NPings, c1.Status)
	}
	if c2, err := s.Check(ctx, "c2"); err != nil || c2.NPings != 1 || c2.AlertAfter.IsZero() {
		t.Errorf("c2 = %+v, %v; want 1 ping and an alert time", c2, err)
	}
}

// TestCommitterCacheForgetsOtherWrites: the committer keeps the checks it wrote between its
// transactions, and forgets them when anyone else writes: a write of this process outside the
// committer (a channel deleted, which unassigns it; a check deleted), or a commit of another
// process on the same file (a rename, pings counted by another server).
func TestCommitterCacheForgetsOtherWrites(t *testing.T) {
	ctx := t.Context()
	s := groupStore(t, store.Options{})
	ch := &check.Channel{ID: "ch1", ProjectID: "p1", Kind: "email", Value: "ops@example.com", Created: t0}
	if err := s.CreateChannel(ctx, ch); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateCheck(ctx, "c1", func(c *check.Check) (store.Change, error) {
		c.Channels = []string{ch.ID}
		return pingAt(check.PingSuccess, t0)(c)
	}); err != nil {
		t.Fatal(err)
	}

	// Another process: its own connection to the file.
	var path string
	if err := s.r.QueryRowContext(ctx, `SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&path); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite", dsn(path, url.Values{"_pragma": {"busy_timeout(10000)"}}))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.ExecContext(ctx, `UPDATE checks SET name = 'renamed elsewhere', n_pings = n_pings + 5,
		runs_n = runs_n + 5 WHERE id = 'c1'`); err != nil {
		t.Fatal(err)
	}
	var saw *check.Check
	written, err := s.UpdateCheck(ctx, "c1", func(c *check.Check) (store.Change, error) {
		saw = checkToRow(c).check()
		return pingAt(check.PingSuccess, t0.Add(time.Minute))(c)
	})
	if err != nil {
		t.Fatalf("UpdateCheck after another process's commit = %v", err)
	}
	if saw.Name != "renamed elsewhere" || written.NPings != 7 {
		t.Errorf("after another process's commit: fn saw name %q, the ping is number %d; want %q, 7",
			saw.Name, written.NPings, "renamed elsewhere")
	}

	// This process, outside the committer: the channel goes, and with it c1's assignment.
	if err := s.DeleteChannel(ctx, "p1", ch.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateCheck(ctx, "c1", func(c *check.Check) (store.Change, error) {
		saw = checkToRow(c).check()
		return store.Change{}, nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(saw.Channels) != 0 {
		t.Errorf("after DeleteChannel, fn saw channels %v; want none", saw.Channels)
	}
	if err := s.DeleteCheck(ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	_, err = s.UpdateCheck(ctx, "c1", func(c *check.Check) (store.Change, error) {
		t.Error("UpdateCheck called fn for a deleted check")
		return store.Change{}, nil
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateCheck after DeleteCheck = %v, want ErrNotFound", err)
	}
}

// TestCommitterExpiresFlipsItWrote: the committer skips the expiry of a check's flips while
// none is old enough, and a processed flip it writes itself (a pause) counts: once it is
// older than the retention, the next ping deletes it, as one transaction per ping would have.
func TestCommitterExpiresFlipsItWrote(t *testing.T) {
	ctx := t.Context()
	s := groupStore(t, store.Options{FlipRetention: time.Hour})
	update := func(fn func(c *check.Check) (store.Change, error)) {
		t.Helper()
		if _, err := s.UpdateCheck(ctx, "c1", fn); err != nil {
			t.Fatal(err)
		}
	}
	update(pingAt(check.PingSuccess, t0)) // new → up, unprocessed: kept however old
	update(func(c *check.Check) (store.Change, error) {
		return store.Change{Flip: c.Pause(t0.Add(time.Minute))}, nil
	})
	update(func(c *check.Check) (store.Change, error) {
		f, err := c.Resume(t0.Add(2 * time.Minute))
		return store.Change{Flip: f}, err
	})
	update(pingAt(check.PingSuccess, t0.Add(61*time.Minute))) // the pause is 60 min old: kept
	if fs := flipsOf(t, s, "c1"); len(fs) != 4 {
		t.Fatalf("flips after a ping 60 minutes after the pause = %v, want all 4", fs)
	}
	update(pingAt(check.PingSuccess, t0.Add(62*time.Minute))) // the pause is older than an hour
	if fs := flipsOf(t, s, "c1"); !slices.Equal(fs, []string{"new→up", "paused→new", "new→up"}) {
		t.Errorf("flips after a ping 61 minutes after the pause = %v, want the pause expired", fs)
	}
}

// flipsOf lists a check's flips, oldest first, as old→new.
func flipsOf(t *testing.T, s *Store, id string) []string {
	t.Helper()
	fs, err := s.Flips(t.Context(), id, store.FlipQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range slices.Backward(fs) {
		out = append(out, string(f.OldStatus)+"→"+string(f.NewStatus))
	}
	return out
}

// TestSameConfig: a change to any column of a check row but its state columns and channels is
// a change of configuration, which the committer must write with the full update; a change to
// the state alone is not. A column added to checkRow and left out of checkConfig fails here.
func TestSameConfig(t *testing.T) {
	base := checkToRow(check.New("c1", "p1", t0))
	state := map[uintptr]bool{}
	row := *base
	for _, f := range row.stateFields() {
		state[reflect.ValueOf(f).Pointer()] = true
	}
	v := reflect.ValueOf(&row).Elem()
	for i := range v.NumField() {
		name := v.Type().Field(i).Name
		if name == "Channels" || name == "runs" || name == "decoded" { // not columns
			continue
		}
		changed := *base
		f := reflect.ValueOf(&changed).Elem().Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString(f.String() + "x")
		case reflect.Int64:
			f.SetInt(f.Int() + 1)
		case reflect.Bool:
			f.SetBool(!f.Bool())
		case reflect.Slice:
			f.SetBytes(append(f.Bytes(), 1))
		case reflect.Struct: // sql.NullInt64
			f.Field(0).SetInt(f.Field(0).Int() + 1)
			f.Field(1).SetBool(true)
		default:
			t.Fatalf("field %s of kind %s: teach this test to change it", name, f.Kind())
		}
		isState := state[v.Field(i).Addr().Pointer()]
		if got := sameConfig(base, &changed); got != isState {
			t.Errorf("sameConfig after changing %s = %v, want %v (a state column: %v)", name, got, isState, isState)
		}
	}
}

// TestAsDecoded: runs that asDecoded passes through are exactly what decoding their encoding
// gives (so a check made from a row is the same whether the row kept them or decodes them),
// and runs that would come back otherwise are refused.
func TestAsDecoded(t *testing.T) {
	at := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	ms := time.Millisecond
	cases := []struct {
		name string
		runs []check.Run
		ok   bool
	}{
		{"none", nil, true},
		{"empty", []check.Run{}, true},
		{"kept", []check.Run{{N: 1, At: at, Duration: 3 * ms}, {N: 4, At: at.Add(-ms), Failed: true}}, true},
		{"microseconds", []check.Run{{N: 1, At: at.Add(time.Microsecond)}}, false},
		{"not UTC", []check.Run{{N: 1, At: at.In(time.FixedZone("X", 3600))}}, false},
		{"monotonic", []check.Run{{N: 1, At: time.Now().UTC().Truncate(ms).Add(0)}}, true},
		{"monotonic kept", []check.Run{{N: 1, At: time.Now().UTC()}}, false},
		{"duration in µs", []check.Run{{N: 1, At: at, Duration: time.Microsecond}}, false},
		{"negative duration", []check.Run{{N: 1, At: at, Duration: -ms}}, false},
		{"numbers going back", []check.Run{{N: 2, At: at}, {N: 1, At: at}}, false},
	}
	for _, tc := range cases {
		got, ok := asDecoded(tc.runs)
		if ok != tc.ok {
			t.Errorf("%s: asDecoded ok = %v, want %v", tc.name, ok, tc.ok)
			continue
		}
		if !ok {
			continue
		}
		want, err := store.DecodeRuns(store.EncodeRuns(tc.runs))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: asDecoded = %v, decoding gives %v", tc.name, got, want)
		}
	}
}

// TestGroupCommitStateWrites: one batch over 19 checks writes every check's state, in
// statements of 16, 2 and 1 checks, and a check whose configuration the batch changed whole,
// as one transaction per update would have.
func TestGroupCommitStateWrites(t *testing.T) {
	ctx := t.Context()
	s := groupStore(t, store.Options{})
	ids := []string{"c1", "c2"}
	for i := range 17 {
		id := fmt.Sprintf("x%d", i)
		if err := s.CreateCheck(ctx, check.New(id, "p1", t0.Add(-time.Hour))); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	var batch []*update
	for i, id := range ids {
		batch = append(batch, newUpdate(id, pingAt(check.PingSuccess, t0.Add(time.Duration(i)*time.Second))))
	}
	batch = append(batch, newUpdate("x3", func(c *check.Check) (store.Change, error) {
		c.Name = "renamed in the batch"
		return pingAt(check.PingSuccess, t0.Add(time.Minute))(c)
	}))
	s.commit(batch, nil)
	for i, u := range batch {
		if u.err != nil {
			t.Fatalf("update %d of check %s: %v", i, u.id, u.err)
		}
	}
	for i, id := range ids {
		c, err := s.Check(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		wantPings, wantLast := 1, t0.Add(time.Duration(i)*time.Second)
		if id == "x3" {
			wantPings, wantLast = 2, t0.Add(time.Minute)
			if c.Name != "renamed in the batch" {
				t.Errorf("x3's name = %q, want the batch's", c.Name)
			}
		}
		if c.NPings != wantPings || !c.LastPing.Equal(wantLast) || c.Status != check.StatusUp {
			t.Errorf("check %s: %d pings, last %s, %s; want %d, %s, up", id, c.NPings, c.LastPing, c.Status, wantPings, wantLast)
		}
	}
}
