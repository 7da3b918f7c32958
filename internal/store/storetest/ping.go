package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

func testPings(t *testing.T, s store.Store) {
	ctx := t.Context()
	p := newProject(1, t0)
	createProject(t, s, p)
	c := newCheck(1, p.ID, t0.Add(-time.Hour))
	createCheck(t, s, c)
	other := newCheck(2, p.ID, t0.Add(-time.Hour))
	createCheck(t, s, other)
	applyPing(t, s, other.ID, success(), t0)

	big := make([]byte, 10000) // every byte value, many times over
	for i := range big {
		big[i] = byte(i * 7)
	}
	exit0, exit123 := 0, 123
	tests := []struct {
		name string
		sig  check.Signal
	}{
		{"no body, no exit status", success()},
		{"invalid UTF-8 body", check.Signal{Kind: check.PingSuccess, Method: "POST", Scheme: "http",
			RemoteAddr: "2001:db8::1", Body: []byte("Hello \xe9 World")}},
		{"10,000-byte body", check.Signal{Kind: check.PingLog, Method: "POST", Scheme: "https", Body: big}},
		{"exit status 0", check.Signal{Kind: check.PingSuccess, Method: "GET", Scheme: "https", ExitStatus: &exit0}},
		{"start with run id", check.Signal{Kind: check.PingStart, Method: "GET", Scheme: "https",
			RID: "2f1c9b7e-3d4a-4b5c-8d6e-7f8091a2b3c4"}},
		{"every field, exit status 123", check.Signal{Kind: check.PingFail, Method: "POST", Scheme: "https",
			RemoteAddr: "198.51.100.7", UA: "runitor/1.3.0", Body: []byte("exit 123\n"),
			ExitStatus: &exit123, RID: "2f1c9b7e-3d4a-4b5c-8d6e-7f8091a2b3c4"}},
	}
	var want []*check.Ping // by number
	for i, tt := range tests {
		_, ping, _ := applyPing(t, s, c.ID, tt.sig, t0.Add(time.Duration(i)*time.Minute+time.Duration(i)*time.Microsecond))
		want = append(want, ping)
	}
	requireAllSet(t, *want[len(want)-1])

	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := i + 1
			got, err := s.Ping(ctx, c.ID, n)
			if err != nil {
				t.Fatalf("Ping(%s, %d) = %v", c.ID, n, err)
			}
			if diff := cmp.Diff(want[i], got, equateEmpty); diff != "" {
				t.Errorf("Ping(%s, %d) mismatch (-want +got):\n%s", c.ID, n, diff)
			}
			if (got.ExitStatus == nil) != (tt.sig.ExitStatus == nil) {
				t.Errorf("Ping(%s, %d).ExitStatus = %v, want %v", c.ID, n, got.ExitStatus, tt.sig.ExitStatus)
			}
		})
	}

	for _, tt := range []struct {
		limit int
		want  []*check.Ping
	}{
		{3, []*check.Ping{want[5], want[4], want[3]}},
		{1, []*check.Ping{want[5]}},
		{100, []*check.Ping{want[5], want[4], want[3], want[2], want[1], want[0]}},
	} {
		got, err := s.Pings(ctx, c.ID, tt.limit)
		if err != nil {
			t.Fatalf("Pings(%s, %d) = %v", c.ID, tt.limit, err)
		}
		if diff := cmp.Diff(tt.want, got, equateEmpty, ignoreBody); diff != "" {
			t.Errorf("Pings(%s, %d) mismatch, want newest first (-want +got):\n%s", c.ID, tt.limit, diff)
		}
	}

	// A listing leaves the bodies out but says how big each is, so that a caller can tell which
	// pings have one without loading them.
	listed, err := s.Pings(ctx, c.ID, 100)
	if err != nil {
		t.Fatalf("Pings(%s, 100) = %v", c.ID, err)
	}
	for _, got := range listed {
		if want := len(tests[got.N-1].sig.Body); got.BodySize != want {
			t.Errorf("Pings(%s) ping %d: BodySize = %d, want %d", c.ID, got.N, got.BodySize, want)
		}
	}
}

// testPingLimit: a check keeps its newest 100 pings (the default PingLimit).
func testPingLimit(t *testing.T, s store.Store) {
	ctx := t.Context()
	p := newProject(1, t0)
	createProject(t, s, p)
	c := newCheck(1, p.ID, t0.Add(-time.Hour))
	createCheck(t, s, c)

	const total = store.DefaultPingLimit + 5
	var written *check.Check
	for i := range total {
		written, _, _ = applyPing(t, s, c.ID, success(), t0.Add(time.Duration(i)*time.Second))
	}
	if written.NPings != total {
		t.Errorf("NPings = %d, want %d", written.NPings, total)
	}

	got, err := s.Pings(ctx, c.ID, 1000)
	if err != nil {
		t.Fatalf("Pings(%s, 1000) = %v", c.ID, err)
	}
	var gotN, wantN []int
	for _, p := range got {
		gotN = append(gotN, p.N)
	}
	for n := total; n > total-store.DefaultPingLimit; n-- {
		wantN = append(wantN, n)
	}
	if diff := cmp.Diff(wantN, gotN); diff != "" {
		t.Errorf("Pings(%s, 1000) numbers mismatch (-want +got):\n%s", c.ID, diff)
	}
	for n := 1; n <= total-store.DefaultPingLimit; n++ {
		if _, err := s.Ping(ctx, c.ID, n); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Ping(%s, %d) = %v, want ErrNotFound: trimmed", c.ID, n, err)
		}
	}
	for _, n := range []int{total - store.DefaultPingLimit + 1, total} {
		if _, err := s.Ping(ctx, c.ID, n); err != nil {
			t.Errorf("Ping(%s, %d) = %v, want the ping", c.ID, n, err)
		}
	}
}

func testFlips(t *testing.T, s store.Store) {
	ctx := t.Context()
	p := newProject(1, t0)
	createProject(t, s, p)
	c := newCheck(1, p.ID, t0.Add(-time.Hour))
	createCheck(t, s, c)
	other := newCheck(2, p.ID, t0.Add(-time.Hour))
	createCheck(t, s, other)

	flipAt := func(id string, created, processed time.Time, to check.Status, reason string, note ...string) *check.Flip {
		var f *check.Flip
		update(t, s, id, func(c *check.Check) *check.Flip {
			f = &check.Flip{CheckID: c.ID, Created: created, Processed: processed,
				OldStatus: c.Status, NewStatus: to, Reason: reason}
			if len(note) > 0 {
				f.Note = note[0]
			}
			c.Status = to
			return f
		})
		return f
	}
	f0 := flipAt(c.ID, t0, time.Time{}, check.StatusUp, check.ReasonNone)
	f1 := flipAt(c.ID, t0.Add(time.Hour), time.Time{}, check.StatusDown, check.ReasonTimeout)
	flipAt(other.ID, t0.Add(90*time.Minute), time.Time{}, check.StatusDown, check.ReasonFail)
	f2 := flipAt(c.ID, t0.Add(2*time.Hour), time.Time{}, check.StatusUp, check.ReasonNone)
	// Every field set: processed at creation, as held flips are, a reason and a note.
	f3 := flipAt(c.ID, t0.Add(3*time.Hour), t0.Add(3*time.Hour+time.Second), check.StatusDown, check.ReasonFail, "held: db ✓ is down")

	all := flips(t, s, c.ID)
	flipIDsSet(t, all)
	if len(all) == 4 {
		f3.ID = all[0].ID
		requireAllSet(t, *f3)
	}

	tests := []struct {
		name string
		q    store.FlipQuery
		want []*check.Flip
	}{
		{"all, newest first", store.FlipQuery{}, []*check.Flip{f3, f2, f1, f0}},
		{"since, inclusive", store.FlipQuery{Since: t0.Add(time.Hour)}, []*check.Flip{f3, f2, f1}},
		{"until, exclusive", store.FlipQuery{Until: t0.Add(2 * time.Hour)}, []*check.Flip{f1, f0}},
		{"since and until", store.FlipQuery{Since: t0.Add(time.Hour), Until: t0.Add(3 * time.Hour)}, []*check.Flip{f2, f1}},
		{"after the last", store.FlipQuery{Since: t0.Add(4 * time.Hour)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Flips(ctx, c.ID, tt.q)
			if err != nil {
				t.Fatalf("Flips(%s, %+v) = %v", c.ID, tt.q, err)
			}
			if diff := cmp.Diff(tt.want, got, ignoreFlipID, equateEmpty); diff != "" {
				t.Errorf("Flips(%s, %+v) mismatch (-want +got):\n%s", c.ID, tt.q, diff)
			}
		})
	}
}

func testUnprocessedFlips(t *testing.T, s store.Store) {
	ctx := t.Context()
	p := newProject(1, t0)
	createProject(t, s, p)
	c1 := newCheck(1, p.ID, t0.Add(-time.Hour))
	c2 := newCheck(2, p.ID, t0.Add(-time.Hour))
	createCheck(t, s, c1)
	createCheck(t, s, c2)

	// Pause and resume flips are written processed: the notifier never sees them.
	update(t, s, c2.ID, func(c *check.Check) *check.Flip { return c.Pause(t0) })
	update(t, s, c2.ID, func(c *check.Check) *check.Flip {
		f, err := c.Resume(t0.Add(30 * time.Minute))
		if err != nil {
			t.Errorf("Resume(%s) = %v", c.ID, err)
		}
		return f
	})
	_, _, up2 := applyPing(t, s, c2.ID, success(), t0.Add(time.Hour))
	_, _, up1 := applyPing(t, s, c1.ID, success(), t0.Add(2*time.Hour))
	update(t, s, c1.ID, func(c *check.Check) *check.Flip { return c.Pause(t0.Add(3 * time.Hour)) })

	queued := func(limit int) []*check.Flip {
		t.Helper()
		got, err := s.UnprocessedFlips(ctx, limit)
		if err != nil {
			t.Fatalf("UnprocessedFlips(%d) = %v", limit, err)
		}
		return got
	}
	if diff := cmp.Diff([]*check.Flip{up2, up1}, queued(10), ignoreFlipID); diff != "" {
		t.Errorf("UnprocessedFlips(10) mismatch, want oldest first (-want +got):\n%s", diff)
	}
	first := queued(1)
	if diff := cmp.Diff([]*check.Flip{up2}, first, ignoreFlipID); diff != "" {
		t.Fatalf("UnprocessedFlips(1) mismatch (-want +got):\n%s", diff)
	}

	processed := t0.Add(4 * time.Hour)
	for i, want := range []bool{true, false} {
		// The second worker holds its own copy of the flip, as loaded before the first won.
		f := *first[0]
		ok, err := s.MarkFlipProcessed(ctx, &f, processed.Add(time.Duration(i)*time.Minute))
		if err != nil {
			t.Fatalf("MarkFlipProcessed(%s) #%d = %v", f.ID, i+1, err)
		}
		if ok != want {
			t.Errorf("MarkFlipProcessed(%s) #%d = %v, want %v", f.ID, i+1, ok, want)
		}
	}
	if diff := cmp.Diff([]*check.Flip{up1}, queued(10), ignoreFlipID); diff != "" {
		t.Errorf("UnprocessedFlips(10) after MarkFlipProcessed mismatch (-want +got):\n%s", diff)
	}
	got, err := s.Flips(ctx, c2.ID, store.FlipQuery{Since: t0.Add(time.Hour)})
	if err != nil {
		t.Fatalf("Flips(%s) = %v", c2.ID, err)
	}
	want := *up2
	want.Processed = processed // the first worker's time, not the second's
	if diff := cmp.Diff([]*check.Flip{&want}, got, ignoreFlipID); diff != "" {
		t.Errorf("Flips(%s) after MarkFlipProcessed mismatch (-want +got):\n%s", c2.ID, diff)
	}
}

func testDeleteCheck(t *testing.T, s store.Store) {
	ctx := t.Context()
	p := newProject(1, t0)
	createProject(t, s, p)
	createChannel(t, s, newChannel(1, p.ID, t0))
	gone := newCheck(1, p.ID, t0.Add(-time.Hour))
	gone.Channels = []string{channelID(1)}
	kept := newCheck(2, p.ID, t0.Add(-time.Hour))
	createCheck(t, s, gone)
	createCheck(t, s, kept)
	for i := range 3 {
		applyPing(t, s, gone.ID, success(), t0.Add(time.Duration(i)*time.Minute))
	}
	applyPing(t, s, kept.ID, success(), t0)
	goneFlips := flips(t, s, gone.ID)
	if len(goneFlips) != 1 {
		t.Fatalf("Flips(%s) = %d flips, want 1", gone.ID, len(goneFlips))
	}

	if err := s.DeleteCheck(ctx, gone.ID); err != nil {
		t.Fatalf("DeleteCheck(%s) = %v", gone.ID, err)
	}
	if _, err := s.Check(ctx, gone.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Check(%s) after delete = %v, want ErrNotFound", gone.ID, err)
	}
	if err := s.DeleteCheck(ctx, gone.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteCheck(%s) again = %v, want ErrNotFound", gone.ID, err)
	}
	if got := pings(t, s, gone.ID); len(got) != 0 {
		t.Errorf("Pings(%s) after delete = %d pings, want none", gone.ID, len(got))
	}
	if _, err := s.Ping(ctx, gone.ID, 1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Ping(%s, 1) after delete = %v, want ErrNotFound", gone.ID, err)
	}
	if got := flips(t, s, gone.ID); len(got) != 0 {
		t.Errorf("Flips(%s) after delete = %d flips, want none", gone.ID, len(got))
	}
	if ok, err := s.MarkFlipProcessed(ctx, goneFlips[0], t0.Add(time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("MarkFlipProcessed(flip of deleted check) = %v, %v, want ErrNotFound", ok, err)
	}
	queued, err := s.UnprocessedFlips(ctx, 10)
	if err != nil {
		t.Fatalf("UnprocessedFlips(10) = %v", err)
	}
	if len(queued) != 1 || queued[0].CheckID != kept.ID {
		t.Errorf("UnprocessedFlips(10) after delete = %v, want only %s's flip", queued, kept.ID)
	}
	due, err := s.DueChecks(ctx, t0.Add(48*time.Hour), 10)
	if err != nil {
		t.Fatalf("DueChecks = %v", err)
	}
	if diff := cmp.Diff([]string{kept.ID}, checkIDs(due)); diff != "" {
		t.Errorf("DueChecks after delete mismatch (-want +got):\n%s", diff)
	}

	// The other check is untouched, and a check made again under the deleted ID starts empty.
	if got := pings(t, s, kept.ID); len(got) != 1 {
		t.Errorf("Pings(%s) = %d pings, want 1", kept.ID, len(got))
	}
	if got := flips(t, s, kept.ID); len(got) != 1 {
		t.Errorf("Flips(%s) = %d flips, want 1", kept.ID, len(got))
	}
	again := newCheck(1, p.ID, t0.Add(time.Hour))
	createCheck(t, s, again)
	if diff := cmp.Diff(again, loadCheck(t, s, again.ID), equateEmpty); diff != "" {
		t.Errorf("Check(%s) recreated mismatch (-want +got):\n%s", again.ID, diff)
	}
	if got := pings(t, s, again.ID); len(got) != 0 {
		t.Errorf("Pings(%s) of recreated check = %d pings, want none", again.ID, len(got))
	}
	if got := flips(t, s, again.ID); len(got) != 0 {
		t.Errorf("Flips(%s) of recreated check = %d flips, want none", again.ID, len(got))
	}
}

// testConcurrentPings: concurrent pings to one check lose no update.
func testConcurrentPings(t *testing.T, s store.Store) {
	ctx := t.Context()
	p := newProject(1, t0)
	createProject(t, s, p)
	c := newCheck(1, p.ID, t0.Add(-time.Hour))
	createCheck(t, s, c)

	const n = 100
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, err := s.UpdateCheck(ctx, c.ID, func(c *check.Check) (store.Change, error) {
				ping, flip := c.ApplyPing(success(), t0.Add(time.Duration(i)*time.Second), nil)
				return store.Change{Ping: ping, Flip: flip}, nil
			})
			if err != nil {
				t.Errorf("UpdateCheck(%s) in goroutine %d = %v", c.ID, i, err)
			}
		})
	}
	wg.Wait()

	if got := loadCheck(t, s, c.ID); got.NPings != n || got.Status != check.StatusUp {
		t.Errorf("Check(%s) after %d concurrent pings: NPings = %d, Status = %s; want %d, up",
			c.ID, n, got.NPings, got.Status, n)
	}
	seen := make(map[int]bool)
	for _, p := range pings(t, s, c.ID) {
		if p.N < 1 || p.N > n || seen[p.N] {
			t.Errorf("ping number %d is out of range or repeated", p.N)
		}
		seen[p.N] = true
	}
	if len(seen) != n {
		t.Errorf("%d distinct ping numbers stored, want %d", len(seen), n)
	}
	fs := flips(t, s, c.ID)
	if len(fs) != 1 || fs[0].OldStatus != check.StatusNew || fs[0].NewStatus != check.StatusUp {
		t.Errorf("Flips(%s) = %v, want exactly one new→up", c.ID, fs)
	}
}
