package sqlite

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/schema"
	"github.com/overduehq/overdue/internal/store"
)

// buildBefore is the release before version v, as it migrated: the migrations up to v-1.
func buildBefore(v int) schema.Build {
	b := schema.This()
	return schema.Build{Current: v - 1, Oldest: b.Oldest, Migrations: b.Migrations[:v-2]}
}

// TestMigratePingKeys: version 21 moves the pings to check_pings, keyed by the check's integer
// key. Every ping keeps every column and its place in arrival order (rowid), across checks;
// each check gets a distinct key; and the store then writes, reads, trims and deletes pings by
// it. Until it has run, Open refuses the data.
func TestMigratePingKeys(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "overdue.db")
	loadV1(t, path)
	opts := runOpts(false)
	opts.Build = buildBefore(21)
	if _, err := schema.Run(ctx, boxed(NewMigrator(path)), opts); err != nil {
		t.Fatal(err)
	}
	// Pings of the two checks interleaved, in arrival order, as version 20 wrote them.
	for i := range 6 {
		id, n := fixtureCheck1, 5+i/2
		if i%2 == 1 {
			id, n = fixtureCheck2, 2+i/2
		}
		exec(t, path, fmt.Sprintf(`INSERT INTO pings (check_id, n, created, kind, scheme, remote_addr, method, ua,
			body, exit_status, rid, body_size) VALUES ('%s', %d, %d, 'success', 'https', '192.0.2.1', 'POST', 'ua-%d',
			x'0102', %d, 'rid-%d', 2)`, id, n, 1795726800000000+i, i, i, i))
	}
	exec(t, path, `UPDATE checks SET n_pings = 7 WHERE id = '`+fixtureCheck1+`'`,
		`UPDATE checks SET n_pings = 4 WHERE id = '`+fixtureCheck2+`'`)
	// Every ping, every column, the check by its ID, in rowid (arrival) order.
	order := func(from string) []string {
		var q []string
		for _, c := range append([]string{"c.id"}, pingColumns[1:]...) {
			if c != "c.id" {
				c = "p." + c
			}
			q = append(q, "quote("+c+")")
		}
		return rawStrings(t, path, `SELECT `+strings.Join(q, ` || ',' || `)+from+` ORDER BY p.rowid`)
	}
	want := order(` FROM pings AS p JOIN checks AS c ON c.id = p.check_id`)
	if len(want) != 11 {
		t.Fatalf("%d pings before the migration, want 11", len(want))
	}

	if s, err := Open(path, store.Options{}); err == nil {
		s.Close()
		t.Fatal("Open on version 20 data succeeded; want it to ask for a migration")
	} else if pe := (*schema.PendingError)(nil); !errors.As(err, &pe) {
		t.Fatalf("Open on version 20 data = %v, want a *schema.PendingError", err)
	}

	rep, err := schema.Run(ctx, boxed(NewMigrator(path)), runOpts(false))
	if err != nil {
		t.Fatal(err)
	}
	if rep.After != (schema.Version{Version: schema.Current, MinReader: schema.This().MinReader()}) || rep.After.MinReader > 19 {
		t.Errorf("after version 21: %v, want the minimum reader at most 19", rep.After)
	}
	if diff := cmp.Diff(want, order(` FROM check_pings AS p JOIN checks AS c ON c.seq = p.check_seq`)); diff != "" {
		t.Errorf("pings after version 21, in rowid order (-before +after):\n%s", diff)
	}
	if got := dump(t, path, map[string][]string{"checks": {"id", "seq"}})["checks"]; !cmp.Equal(got,
		[]string{"'" + fixtureCheck1 + "',1", "'" + fixtureCheck2 + "',2"}) {
		t.Errorf("checks' keys = %q, want 1 and 2 (their rowids)", got)
	}

	s, err := Open(path, store.Options{Box: testBox})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// A new check takes the next key; its pings are its own.
	c3 := check.New("c0000000-0000-4000-8000-000000000003", "a0000000-0000-4000-8000-000000000001", t0)
	if err := s.CreateCheck(ctx, c3); err != nil {
		t.Fatal(err)
	}
	var seq int64
	if err := s.r.QueryRowContext(ctx, `SELECT seq FROM checks WHERE id = ?`, c3.ID).Scan(&seq); err != nil || seq != 3 {
		t.Errorf("the new check's key = %d, %v; want 3", seq, err)
	}
	for _, id := range []string{c3.ID, fixtureCheck2} {
		if _, err := s.UpdateCheck(ctx, id, func(c *check.Check) (store.Change, error) {
			p, f := c.ApplyPing(check.Signal{Kind: check.PingSuccess, Method: "GET"}, t0.Add(time.Hour), nil)
			return store.Change{Ping: p, Flip: f}, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	for id, wantN := range map[string][]int{c3.ID: {1}, fixtureCheck2: {5, 4, 3, 2, 1}, fixtureCheck1: {7, 6, 5, 4, 3, 2, 1}} {
		pings, err := s.Pings(ctx, id, 100)
		if err != nil {
			t.Fatal(err)
		}
		var gotN []int
		for _, p := range pings {
			if p.CheckID != id {
				t.Errorf("Pings(%s) has a ping of check %s", id, p.CheckID)
			}
			gotN = append(gotN, p.N)
		}
		if !cmp.Equal(wantN, gotN) {
			t.Errorf("Pings(%s) numbers = %v, want %v", id, gotN, wantN)
		}
	}
	if p, err := s.Ping(ctx, fixtureCheck1, 6); err != nil || string(p.Body) != "\x01\x02" || p.UA != "ua-2" {
		t.Errorf("Ping(check 1, 6) = %+v, %v; want the copied row", p, err)
	}
	// Deleting a check deletes its pings, by its key.
	if err := s.DeleteCheck(ctx, fixtureCheck2); err != nil {
		t.Fatal(err)
	}
	var left, all int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE check_seq = 2), count(*) FROM check_pings`).Scan(&left, &all); err != nil {
		t.Fatal(err)
	}
	if left != 0 || all != 8 {
		t.Errorf("after deleting check 2: %d of its pings and %d in all; want 0 and 8 (check 1's 7, check 3's 1)", left, all)
	}
}

// TestPingsViewForOlderBuilds: version 21 is an expand step because builds of versions 19 and
// 20 still work on its data: their statements on pings, word for word (their check insert, ping
// insert, trim, listing, load, and check delete), go through the view and its triggers.
func TestPingsViewForOlderBuilds(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "overdue.db")
	s, err := Open(path, store.Options{Box: testBox})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateProject(ctx, &check.Project{ID: "p1", Created: t0}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateCheck(ctx, check.New("c1", "p1", t0)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, path)
	defer db.Close()
	if _, err := db.Exec(`PRAGMA foreign_keys = ON`); err != nil {
		t.Fatal(err)
	}
	run := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// The version 20 build's check insert names no seq: the trigger gives it the next one.
	run(`INSERT INTO checks (id, project_id, name, slug, tags, description, created, kind, timeout, schedule, tz,
		grace, methods, manual_resume, start_kw, success_kw, failure_kw, filter_subject, filter_body, filter_http_body,
		filter_default_fail, badge_key, status, n_pings, last_start_rid, last_duration)
		VALUES ('c2', 'p1', '', '', '', '', 1, 'simple', 1, '', 'UTC', 1, '', 0, '', '', '', 0, 0, 0, 0, 'b2', 'new', 0, '', 0)`)
	const insert = `INSERT INTO pings (check_id, n, created, kind, scheme, remote_addr, method, ua, body, exit_status, rid,
		body_size) VALUES (?, ?, ?, 'success', 'https', '192.0.2.1', 'POST', 'ua', ?, NULL, '', ?), (?, ?, ?, 'success',
		'https', '192.0.2.1', 'POST', 'ua', ?, NULL, '', ?)`
	for n := 1; n <= 5; n++ {
		run(insert, "c2", n, n, []byte("body"), 4, "c1", n, n, nil, 0)
	}
	if _, err := db.Exec(insert, "c2", 5, 5, nil, 0, "c1", 6, 6, nil, 0); err == nil ||
		!strings.Contains(err.Error(), "UNIQUE constraint failed") {
		t.Errorf("inserting a taken ping number through the view = %v, want the primary key's refusal", err)
	}
	// (SQLite counts no changes for a statement on a view: the triggers make them. Those builds
	// never read the trim's count.)
	run(`DELETE FROM pings WHERE (check_id = ? AND n <= ?) OR (check_id = ? AND n <= ?)`, "c1", 2, "c2", 3)
	var keys string
	if err := db.QueryRow(`SELECT group_concat(check_seq || ':' || n, ' ') FROM (SELECT check_seq, n FROM check_pings ORDER BY rowid)`).Scan(&keys); err != nil {
		t.Fatal(err)
	}
	if keys != "1:3 2:4 1:4 2:5 1:5" {
		t.Errorf("check_pings after the trim = %s, want 1:3 2:4 1:4 2:5 1:5 (c2 has key 2)", keys)
	}
	var listed, size string
	if err := db.QueryRow(`SELECT group_concat(n, ' '), group_concat(body_size, ' ') FROM (SELECT n, body_size FROM pings
		WHERE check_id = ? ORDER BY n DESC LIMIT ?)`, "c2", 100).Scan(&listed, &size); err != nil {
		t.Fatal(err)
	}
	if listed != "5 4" || size != "4 4" {
		t.Errorf("c2's pings through the view = %q sizes %q, want \"5 4\" sizes \"4 4\"", listed, size)
	}
	run(`DELETE FROM checks WHERE id = ?`, "c2")
	var left int
	if err := db.QueryRow(`SELECT count(*) FROM check_pings WHERE check_seq = 2`).Scan(&left); err != nil || left != 0 {
		t.Errorf("c2's pings after its delete = %d, %v; want none", left, err)
	}
}

// TestChunkedTrim: the committer deletes a check's history 16 pings at a time, when n_pings -
// PingLimit reaches a multiple of 16, and the readers show exactly the newest PingLimit all
// along: pings one by one and in batches, two checks.
func TestChunkedTrim(t *testing.T) {
	ctx := t.Context()
	const limit = 20
	s := openStore(t, store.Options{PingLimit: limit})
	defer s.Close()
	if err := s.CreateProject(ctx, &check.Project{ID: "p1", Created: t0}); err != nil {
		t.Fatal(err)
	}
	ids := []string{"c1", "c2"}
	for _, id := range ids {
		if err := s.CreateCheck(ctx, check.New(id, "p1", t0)); err != nil {
			t.Fatal(err)
		}
	}
	at := t0
	ping := func(id string) *update {
		at = at.Add(time.Second)
		now := at
		return newUpdate(id, func(c *check.Check) (store.Change, error) {
			p, f := c.ApplyPing(check.Signal{Kind: check.PingSuccess, Method: "GET"}, now, nil)
			return store.Change{Ping: p, Flip: f}, nil
		})
	}
	n := map[string]int{}
	for round, size := range []int{1, 1, 3, 7, 1, 16, 2, 5, 30, 1, 1, 9, 40, 1} {
		var batch []*update
		for i := range size {
			id := ids[(round+i/3)%2]
			batch = append(batch, ping(id))
			n[id]++
		}
		s.commit(batch, nil)
		for _, u := range batch {
			if u.err != nil {
				t.Fatalf("round %d: %v", round, u.err)
			}
		}
		for _, id := range ids {
			cut := max(n[id]-limit, 0) / pingTrimChunk * pingTrimChunk
			var lo, hi, rows int
			err := s.r.QueryRowContext(ctx, `SELECT coalesce(min(n), 0), coalesce(max(n), 0), count(*) FROM check_pings
				WHERE check_seq = (SELECT seq FROM checks WHERE id = ?)`, id).Scan(&lo, &hi, &rows)
			if err != nil {
				t.Fatal(err)
			}
			if n[id] > 0 && (lo != cut+1 || hi != n[id] || rows != n[id]-cut) {
				t.Errorf("round %d, check %s at %d pings: stored %d to %d (%d rows), want %d to %d",
					round, id, n[id], lo, hi, rows, cut+1, n[id])
			}
			pings, err := s.Pings(ctx, id, 1000)
			if err != nil {
				t.Fatal(err)
			}
			if want := min(n[id], limit); len(pings) != want || (want > 0 && (pings[0].N != n[id] || pings[want-1].N != n[id]-want+1)) {
				t.Errorf("round %d, check %s at %d pings: Pings lists %d, want the newest %d", round, id, n[id], len(pings), want)
			}
			if n[id] > limit {
				if _, err := s.Ping(ctx, id, n[id]-limit); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("round %d, check %s: Ping(%d), below the kept window = %v, want store.ErrNotFound", round, id, n[id]-limit, err)
				}
			}
		}
	}
	if n["c1"] < limit+2*pingTrimChunk || n["c2"] < limit+2*pingTrimChunk {
		t.Fatalf("pings %v: too few to trim twice", n)
	}
}

// TestPingBelowWindowNotStored: a ping added with a number at or below n_pings - PingLimit (an
// import's history, transfer.Import, beyond the kept window) is not stored, as every build
// before the chunked trim deleted it at once: it must neither collide with a chunk's
// leftovers, which the readers hide, nor stay hidden so that importing the same file again
// (which lists the pings the store has) adds it again and fails on the primary key.
func TestPingBelowWindowNotStored(t *testing.T) {
	ctx := t.Context()
	const limit = 20
	s := openStore(t, store.Options{PingLimit: limit})
	defer s.Close()
	if err := s.CreateProject(ctx, &check.Project{ID: "p1", Created: t0}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateCheck(ctx, check.New("c1", "p1", t0)); err != nil {
		t.Fatal(err)
	}
	at := t0
	for range 45 { // stored 17 to 45 (the chunk cut at 16), shown 26 to 45
		at = at.Add(time.Second)
		now := at
		_, err := s.UpdateCheck(ctx, "c1", func(c *check.Check) (store.Change, error) {
			p, f := c.ApplyPing(check.Signal{Kind: check.PingSuccess, Method: "GET"}, now, nil)
			return store.Change{Ping: p, Flip: f}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// 21: a chunk leftover, hidden; 5: long trimmed; then each again, as a second import would.
	for _, n := range []int{21, 5, 21, 5} {
		p := &check.Ping{CheckID: "c1", N: n, Created: t0.Add(time.Duration(n) * time.Second), Kind: check.PingSuccess,
			Scheme: "https", Method: "GET"}
		if _, err := s.UpdateCheck(ctx, "c1", func(*check.Check) (store.Change, error) {
			return store.Change{Ping: p}, nil
		}); err != nil {
			t.Fatalf("add ping %d below the kept window: %v", n, err)
		}
	}
	pings, err := s.Pings(ctx, "c1", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(pings) != limit || pings[0].N != 45 || pings[limit-1].N != 26 {
		t.Errorf("Pings lists %d, want 45 down to 26", len(pings))
	}
	var rows int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM check_pings WHERE n <= 5`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 0 {
		t.Errorf("%d pings numbered 5 or lower stored, want none", rows)
	}
}
