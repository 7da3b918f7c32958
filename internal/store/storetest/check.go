package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// fullCheck is a check with every field set to something other than its default.
func fullCheck(n int, projectID string, channels []string) *check.Check {
	return &check.Check{
		ID:        checkID(n),
		ProjectID: projectID,
		Name:      "Nightly backup ✓",
		Slug:      "nightly-backup",
		Tags:      "prod backup",
		Desc:      "Runs at 02:30.\nPages the on-call.",
		Created:   t0.Add(-30 * 24 * time.Hour),

		Kind:     check.KindCron,
		Timeout:  2 * time.Hour,
		Schedule: "30 2 * * *",
		TZ:       "Europe/Riga",
		Grace:    90 * time.Minute,

		Methods:           "POST",
		ManualResume:      true,
		StartKw:           "starting",
		SuccessKw:         "done, ok",
		FailureKw:         "error",
		FilterSubject:     true,
		FilterBody:        true,
		FilterHTTPBody:    true,
		FilterDefaultFail: true,

		BadgeKey: "0f1e2d3c",
		Channels: channels,

		Status:       check.StatusUp,
		NPings:       1234,
		LastPing:     t0.Add(-17*time.Hour - 29*time.Minute - 123456*time.Microsecond),
		LastStart:    t0.Add(-5 * time.Minute),
		LastStartRID: "7e0b6b5c-6c58-4a8e-9b1e-3f1a2b3c4d5e",
		LastDuration: 90*time.Second + 123456789*time.Nanosecond, // durations round-trip exactly
		AlertAfter:   t0.Add(85 * time.Minute),

		StartGrace:       10 * time.Minute,
		MaxRuntime:       3*time.Hour + time.Nanosecond,
		MinRuntime:       30 * time.Second,
		FailureTolerance: 3,
		SnoozeUntil:      t0.Add(2*time.Hour + 654321*time.Microsecond),
		FailStreak:       2,
		HeldReason:       check.ReasonNoStart,
		HeldUntil:        t0.Add(3*time.Hour + 7*time.Microsecond),

		// Runs keep milliseconds (check.Run).
		Runs: []check.Run{{N: 1230, At: t0.Add(-18 * time.Hour), Failed: true},
			{N: 1232, At: t0.Add(-17*time.Hour - 29*time.Minute - 123*time.Millisecond), Duration: 90*time.Second + 123*time.Millisecond}},
		RunsN:       1234,
		DependsOn:   []string{checkID(7), checkID(8)},
		FailureRate: check.FailureRate{Failures: 4, Window: 15 * time.Minute},
		Flap:        check.FlapRule{Changes: 5, Window: time.Hour},
		HeldParent:  checkID(7),
		HeldNote:    "held: db ✓ is down",
		FailTimes:   []time.Time{t0.Add(-3*time.Minute + 11*time.Microsecond), t0.Add(-time.Minute)},
		ChangeTimes: []time.Time{t0.Add(-40 * time.Minute), t0.Add(-20*time.Minute + 5*time.Microsecond), t0.Add(-10 * time.Minute)},
		FlapSent:    check.StatusDown,
		LateNotice:  true,
		LateFor:     t0.Add(-time.Hour + 9*time.Microsecond),
	}
}

func testCheckRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	p := newProject(1, t0)
	createProject(t, s, p)
	createChannel(t, s, newChannel(1, p.ID, t0))
	createChannel(t, s, newChannel(2, p.ID, t0))
	// Listed in an order that is neither creation nor ID order: the order is the check's.
	want := fullCheck(1, p.ID, []string{channelID(2), channelID(1)})
	requireAllSet(t, *want)
	createCheck(t, s, want)

	got := loadCheck(t, s, want.ID)
	if diff := cmp.Diff(want, got, equateEmpty); diff != "" {
		t.Errorf("Check(%s) mismatch (-want +got):\n%s", want.ID, diff)
	}
	all, err := s.Checks(ctx, p.ID)
	if err != nil {
		t.Fatalf("Checks(%s) = %v", p.ID, err)
	}
	if diff := cmp.Diff([]*check.Check{want}, all, equateEmpty); diff != "" {
		t.Errorf("Checks(%s) mismatch (-want +got):\n%s", p.ID, diff)
	}

	// The defaults of a new check, zero times and all, round-trip too.
	plain := newCheck(2, p.ID, t0)
	createCheck(t, s, plain)
	if diff := cmp.Diff(plain, loadCheck(t, s, plain.ID), equateEmpty); diff != "" {
		t.Errorf("Check(%s) of a new check mismatch (-want +got):\n%s", plain.ID, diff)
	}
}

// testTimePrecision: instants come back in UTC, truncated to the microsecond, whatever zone
// and precision they went in with.
func testTimePrecision(t *testing.T, s store.Store) {
	ctx := t.Context()
	p := newProject(1, t0)
	createProject(t, s, p)

	zone := time.FixedZone("UTC+2", 2*60*60)
	fine := t0.Add(123456789 * time.Nanosecond).In(zone) // 20:00:00.123456789 UTC
	c := newCheck(1, p.ID, fine)
	c.Status = check.StatusUp
	c.LastPing = fine.Add(time.Minute)
	c.LastStart = fine.Add(2 * time.Minute)
	c.AlertAfter = fine.Add(3 * time.Minute)
	createCheck(t, s, c)

	want := *c
	for _, tp := range []*time.Time{&want.Created, &want.LastPing, &want.LastStart, &want.AlertAfter} {
		*tp = tp.UTC().Truncate(time.Microsecond)
	}
	got := loadCheck(t, s, c.ID)
	if diff := cmp.Diff(&want, got, equateEmpty); diff != "" {
		t.Errorf("Check(%s) mismatch, want times truncated to µs (-want +got):\n%s", c.ID, diff)
	}
	requireUTC(t, "Check", got.Created, got.LastPing, got.LastStart, got.AlertAfter)

	// UpdateCheck returns the check as a later load sees it, not as fn left it.
	now := fine.Add(time.Hour + 999*time.Nanosecond)
	var f *check.Flip
	written, err := s.UpdateCheck(ctx, c.ID, func(c *check.Check) (store.Change, error) {
		p, _ := c.ApplyPing(success(), now, nil)
		c.LastPing = now
		f = &check.Flip{CheckID: c.ID, Created: now, OldStatus: check.StatusUp, NewStatus: check.StatusDown, Reason: check.ReasonFail}
		c.Status = check.StatusDown
		return store.Change{Ping: p, Flip: f}, nil
	})
	if err != nil {
		t.Fatalf("UpdateCheck(%s) = %v", c.ID, err)
	}
	loaded := loadCheck(t, s, c.ID)
	if diff := cmp.Diff(loaded, written, equateEmpty); diff != "" {
		t.Errorf("UpdateCheck(%s) returned a check other than the one stored (-stored +returned):\n%s", c.ID, diff)
	}
	wantNow := now.UTC().Truncate(time.Microsecond)
	if !written.LastPing.Equal(wantNow) {
		t.Errorf("UpdateCheck(%s) LastPing = %v, want %v", c.ID, written.LastPing, wantNow)
	}
	requireUTC(t, "UpdateCheck", written.Created, written.LastPing, written.AlertAfter)

	ps := pings(t, s, c.ID)
	if len(ps) != 1 || !ps[0].Created.Equal(wantNow) {
		t.Fatalf("Pings(%s) = %v, want one created at %v", c.ID, ps, wantNow)
	}
	ping, err := s.Ping(ctx, c.ID, ps[0].N)
	if err != nil {
		t.Fatalf("Ping(%s, %d) = %v", c.ID, ps[0].N, err)
	}
	requireUTC(t, "Pings", ps[0].Created, ping.Created)

	fs := flips(t, s, c.ID)
	if len(fs) != 1 || !fs[0].Created.Equal(wantNow) {
		t.Fatalf("Flips(%s) = %v, want one created at %v", c.ID, fs, wantNow)
	}
	processed := fine.Add(2 * time.Hour)
	if ok, err := s.MarkFlipProcessed(ctx, fs[0], processed); !ok || err != nil {
		t.Fatalf("MarkFlipProcessed(%s) = %v, %v, want true", fs[0].ID, ok, err)
	}
	fs = flips(t, s, c.ID)
	if want := processed.UTC().Truncate(time.Microsecond); len(fs) != 1 || !fs[0].Processed.Equal(want) {
		t.Fatalf("Flips(%s) after MarkFlipProcessed = %v, want processed at %v", c.ID, fs, want)
	}
	requireUTC(t, "Flips", fs[0].Created, fs[0].Processed)

	// A bound in the middle of a microsecond falls between two stored instants correctly.
	for _, tt := range []struct {
		q    store.FlipQuery
		want int
	}{
		{store.FlipQuery{Since: now}, 0}, // stored: now truncated, before now
		{store.FlipQuery{Since: now.Truncate(time.Microsecond)}, 1},
		{store.FlipQuery{Until: now}, 1},
		{store.FlipQuery{Until: now.Truncate(time.Microsecond)}, 0},
	} {
		got, err := s.Flips(ctx, c.ID, tt.q)
		if err != nil {
			t.Fatalf("Flips(%s, %+v) = %v", c.ID, tt.q, err)
		}
		if len(got) != tt.want {
			t.Errorf("Flips(%s, %+v) returned %d flips, want %d", c.ID, tt.q, len(got), tt.want)
		}
	}
}

func requireUTC(t *testing.T, what string, times ...time.Time) {
	t.Helper()
	for _, tm := range times {
		if tm.Location() != time.UTC {
			t.Errorf("%s returned %v in %v, want UTC", what, tm, tm.Location())
		}
	}
}

func testCheckConflict(t *testing.T, s store.Store) {
	ctx := t.Context()
	p := newProject(1, t0)
	createProject(t, s, p)
	first := newCheck(1, p.ID, t0)
	createCheck(t, s, first)

	dup := fullCheck(1, p.ID, nil)
	if err := s.CreateCheck(ctx, dup); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("CreateCheck(%s) again = %v, want ErrConflict", dup.ID, err)
	}
	if diff := cmp.Diff(first, loadCheck(t, s, first.ID), equateEmpty); diff != "" {
		t.Errorf("Check(%s) after refused create mismatch (-want +got):\n%s", first.ID, diff)
	}
}

func testChecks(t *testing.T, s store.Store) {
	ctx := t.Context()
	pa, pb := newProject(1, t0), newProject(2, t0)
	createProject(t, s, pa)
	createProject(t, s, pb)
	a1 := newCheck(1, pa.ID, t0.Add(2*time.Minute))
	a2 := newCheck(2, pa.ID, t0)
	a3 := newCheck(3, pa.ID, t0.Add(time.Minute))
	b1 := newCheck(4, pb.ID, t0.Add(-time.Minute))
	for _, c := range []*check.Check{a1, a2, a3, b1} {
		createCheck(t, s, c)
	}

	tests := []struct {
		projectID string
		want      []*check.Check
	}{
		{pa.ID, []*check.Check{a2, a3, a1}},
		{pb.ID, []*check.Check{b1}},
		{projectID(99), nil},
	}
	for _, tt := range tests {
		got, err := s.Checks(ctx, tt.projectID)
		if err != nil {
			t.Fatalf("Checks(%s) = %v", tt.projectID, err)
		}
		if diff := cmp.Diff(tt.want, got, equateEmpty); diff != "" {
			t.Errorf("Checks(%s) mismatch, want oldest first (-want +got):\n%s", tt.projectID, diff)
		}
	}
}

func testChecksBySlug(t *testing.T, s store.Store) {
	ctx := t.Context()
	pa, pb := newProject(1, t0), newProject(2, t0)
	createProject(t, s, pa)
	createProject(t, s, pb)
	mk := func(n int, projectID, slug string, created time.Time) *check.Check {
		c := newCheck(n, projectID, created)
		c.Slug = slug
		createCheck(t, s, c)
		return c
	}
	backup2 := mk(1, pa.ID, "backup", t0.Add(time.Minute))
	backup1 := mk(2, pa.ID, "backup", t0)
	other := mk(3, pa.ID, "backup-2", t0)
	mk(4, pb.ID, "backup", t0) // same slug, other project: never found through pa

	tests := []struct {
		projectID, slug string
		want            []*check.Check
	}{
		{pa.ID, "backup", []*check.Check{backup1, backup2}},
		{pa.ID, "backup-2", []*check.Check{other}},
		{pa.ID, "Backup", nil},
		{pa.ID, "nothing", nil},
		{projectID(99), "backup", nil},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%s", tt.projectID, tt.slug), func(t *testing.T) {
			got, err := s.ChecksBySlug(ctx, tt.projectID, tt.slug)
			if err != nil {
				t.Fatalf("ChecksBySlug(%s, %q) = %v", tt.projectID, tt.slug, err)
			}
			if diff := cmp.Diff(tt.want, got, equateEmpty); diff != "" {
				t.Errorf("ChecksBySlug(%s, %q) mismatch (-want +got):\n%s", tt.projectID, tt.slug, diff)
			}
		})
	}
}

// testUpdateCheck: the check, its ping and its flip are written together.
func testUpdateCheck(t *testing.T, s store.Store) {
	ctx := t.Context()
	p := newProject(1, t0)
	createProject(t, s, p)
	c := newCheck(1, p.ID, t0.Add(-time.Hour))
	createCheck(t, s, c)

	sig := success()
	sig.Body = []byte("backup done")
	written, ping, flip := applyPing(t, s, c.ID, sig, t0)
	if flip == nil {
		t.Fatal("ApplyPing on a new check returned no flip")
	}

	want := *c
	want.Status = check.StatusUp
	want.NPings = 1
	want.LastPing = t0
	want.AlertAfter = t0.Add(c.Timeout + c.Grace)
	want.Runs, want.RunsN = []check.Run{{N: 1, At: t0}}, 1
	if diff := cmp.Diff(&want, written, equateEmpty); diff != "" {
		t.Errorf("UpdateCheck(%s) returned check mismatch (-want +got):\n%s", c.ID, diff)
	}
	if diff := cmp.Diff(&want, loadCheck(t, s, c.ID), equateEmpty); diff != "" {
		t.Errorf("Check(%s) after UpdateCheck mismatch (-want +got):\n%s", c.ID, diff)
	}

	gotPing, err := s.Ping(ctx, c.ID, 1)
	if err != nil {
		t.Fatalf("Ping(%s, 1) = %v", c.ID, err)
	}
	if diff := cmp.Diff(ping, gotPing, equateEmpty); diff != "" {
		t.Errorf("Ping(%s, 1) mismatch (-want +got):\n%s", c.ID, diff)
	}

	fs := flips(t, s, c.ID)
	wantFlip := &check.Flip{CheckID: c.ID, Created: t0, OldStatus: check.StatusNew, NewStatus: check.StatusUp}
	if diff := cmp.Diff([]*check.Flip{wantFlip}, fs, ignoreFlipID); diff != "" {
		t.Errorf("Flips(%s) mismatch (-want +got):\n%s", c.ID, diff)
	}
	flipIDsSet(t, fs)
	queued, err := s.UnprocessedFlips(ctx, 10)
	if err != nil {
		t.Fatalf("UnprocessedFlips(10) = %v", err)
	}
	if diff := cmp.Diff(fs, queued); diff != "" {
		t.Errorf("UnprocessedFlips(10) mismatch (-want +got):\n%s", diff)
	}
}

// testUpdateCheckError: an error from fn writes nothing, whatever fn did to the check.
func testUpdateCheckError(t *testing.T, s store.Store) {
	ctx := t.Context()
	p := newProject(1, t0)
	createProject(t, s, p)
	c := newCheck(1, p.ID, t0)
	createCheck(t, s, c)

	errBoom := errors.New("boom")
	_, err := s.UpdateCheck(ctx, c.ID, func(c *check.Check) (store.Change, error) {
		ping, flip := c.ApplyPing(success(), t0, nil)
		c.Name = "changed"
		c.Channels = []string{channelID(1)}
		return store.Change{Ping: ping, Flip: flip}, errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("UpdateCheck(%s) with failing fn = %v, want fn's error", c.ID, err)
	}
	if diff := cmp.Diff(c, loadCheck(t, s, c.ID), equateEmpty); diff != "" {
		t.Errorf("Check(%s) after failed UpdateCheck changed (-want +got):\n%s", c.ID, diff)
	}
	if got := pings(t, s, c.ID); len(got) != 0 {
		t.Errorf("Pings(%s) after failed UpdateCheck = %d pings, want none", c.ID, len(got))
	}
	if got := flips(t, s, c.ID); len(got) != 0 {
		t.Errorf("Flips(%s) after failed UpdateCheck = %d flips, want none", c.ID, len(got))
	}
	if got, err := s.UnprocessedFlips(ctx, 10); err != nil || len(got) != 0 {
		t.Errorf("UnprocessedFlips(10) after failed UpdateCheck = %v, %v, want none", got, err)
	}
}

// dueCheck is an up check last pinged at lastPing, so due at lastPing + 25h.
func dueCheck(t *testing.T, s store.Store, n int, projectID string, lastPing time.Time) *check.Check {
	t.Helper()
	c := newCheck(n, projectID, t0.Add(-48*time.Hour))
	c.Status = check.StatusUp
	c.NPings = 1
	c.LastPing = lastPing
	c.AlertAfter = c.GoingDownAfter(nil)
	createCheck(t, s, c)
	return c
}

func testDueChecks(t *testing.T, s store.Store) {
	ctx := t.Context()
	pa, pb := newProject(1, t0), newProject(2, t0)
	createProject(t, s, pa)
	createProject(t, s, pb)
	// Up checks go down timeout + grace after their last ping.
	const downAfter = 25 * time.Hour
	a := dueCheck(t, s, 1, pa.ID, t0.Add(-downAfter-time.Hour))        // due at t0 - 1h
	b := dueCheck(t, s, 2, pb.ID, t0.Add(-downAfter-2*time.Hour))      // due at t0 - 2h, other project
	c := dueCheck(t, s, 3, pa.ID, t0.Add(-downAfter))                  // due exactly at t0
	d := dueCheck(t, s, 4, pa.ID, t0.Add(-downAfter+time.Microsecond)) // due just after t0
	createCheck(t, s, newCheck(5, pa.ID, t0))                          // new: never due

	due := func(now time.Time, limit int) []string {
		t.Helper()
		got, err := s.DueChecks(ctx, now, limit)
		if err != nil {
			t.Fatalf("DueChecks(%v, %d) = %v", now, limit, err)
		}
		return checkIDs(got)
	}
	tests := []struct {
		name  string
		now   time.Time
		limit int
		want  []string
	}{
		{"soonest first, boundary included", t0, 10, []string{b.ID, a.ID, c.ID}},
		{"limit", t0, 2, []string{b.ID, a.ID}},
		{"limit 1", t0, 1, []string{b.ID}},
		{"a microsecond later", t0.Add(time.Microsecond), 10, []string{b.ID, a.ID, c.ID, d.ID}},
		{"nothing due yet", t0.Add(-3 * time.Hour), 10, nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, due(tt.now, tt.limit), equateEmpty); diff != "" {
			t.Errorf("DueChecks %s (%v, %d) mismatch (-want +got):\n%s", tt.name, tt.now, tt.limit, diff)
		}
	}

	got, err := s.DueChecks(ctx, t0, 1)
	if err != nil {
		t.Fatalf("DueChecks(%v, 1) = %v", t0, err)
	}
	if diff := cmp.Diff([]*check.Check{b}, got, equateEmpty); diff != "" {
		t.Errorf("DueChecks(%v, 1) returned check mismatch (-want +got):\n%s", t0, diff)
	}

	// The sweep takes a down: its AlertAfter is cleared, so it leaves the due list.
	var flip *check.Flip
	update(t, s, a.ID, func(c *check.Check) *check.Flip {
		flip = c.Sweep(t0, nil)
		return flip
	})
	if flip == nil || !flip.Created.Equal(t0.Add(-time.Hour)) {
		t.Fatalf("Sweep(%v) of %s = %+v, want a flip at %v", t0, a.ID, flip, t0.Add(-time.Hour))
	}
	if diff := cmp.Diff([]string{b.ID, c.ID}, due(t0, 10)); diff != "" {
		t.Errorf("DueChecks after sweeping %s mismatch (-want +got):\n%s", a.ID, diff)
	}
	// Pausing clears it too.
	update(t, s, c.ID, func(c *check.Check) *check.Flip { return c.Pause(t0) })
	if diff := cmp.Diff([]string{b.ID}, due(t0, 10)); diff != "" {
		t.Errorf("DueChecks after pausing %s mismatch (-want +got):\n%s", c.ID, diff)
	}
}
