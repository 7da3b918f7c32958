package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/overduehq/overdue/internal/account"
	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/sqlite"
)

// The data set of `loadgen scale`: projects of simple hourly checks, each with its full history
// of kept pings, built in a SQLite database file that `overdue serve` then opens.
//
// How it is written, and why that cannot drift from the store. Writing 10 million pings one
// UpdateCheck at a time would take most of an hour on this machine, so only the parts that
// carry meaning go through the store, and the bulk is a copy of what the store wrote:
//
//  1. One template check is created with store.CreateCheck and gets its whole history through
//     store.UpdateCheck and check.ApplyPing, exactly as the ping handler records pings: the
//     store writes every ping row (every column, the body and its size) itself.
//  2. Every other check's state is computed by the same check.ApplyPing over the same signals,
//     shifted to the check's own times, in memory, and written with store.CreateCheck.
//  3. Every other check's pings are the template's rows, copied by SQL inside SQLite with two
//     values changed: check_seq (the check's integer key, which CreateCheck gave it) and
//     created (shifted by the same amount). The copy names no column but those two: it copies
//     whatever columns the table has (PRAGMA table_info), so a column added later is copied as
//     the store wrote it.
//  4. verify then reads a sample of the checks back through the store (Check, Pings, Ping)
//     and compares them with the template's state and pings, shifted, and counts the rows.
//
// Times are whole seconds before the moment of generation; every check's newest ping is within
// the last hour, so none is due while the benchmark runs. The due checks (1 in scaleDueEvery)
// pinged earliest and are due at sweepAt, 90 minutes on, when the others are not yet: the sweep
// measured in process, with its clock pinned there, finds exactly them.

// scaleDueEvery: one check in this many is due at sweepAt (1%).
const scaleDueEvery = 100

// scaleSpec is the size of the data set.
type scaleSpec struct {
	projects         int
	checksPerProject int
	pings            int       // kept pings per check (the store's PingLimit keeps 100)
	now              time.Time // the moment of generation, in whole seconds
}

func (s scaleSpec) checks() int { return s.projects * s.checksPerProject }

// scaleProject is one generated project and its read-write API key.
type scaleProject struct {
	id, apiKey string
}

// scaleData is what generate built: enough to find the checks again and measure them.
type scaleData struct {
	projects []scaleProject
	ids      []string // every check's ID, sorted (the ping copy writes them in this order)
	project  map[string]int
	due      []string // the checks due at sweepAt

	viewProject int    // the project whose owner has the session below
	session     string // a session token of that owner (the dashboard's cookie)
	sweepAt     time.Time

	// Time of each phase of the generation.
	checksTime, pingsTime, verifyTime time.Duration
	pingRows                          int64 // rows in pings after generation
}

// period is the checks' timeout: they run hourly; grace one hour.
const scalePeriod = time.Hour

// templateSignals are the signals of a check's history, oldest first, and their times: runs
// of a start and a success (a 33-byte body, as wrk sends) an hour apart, the newest ending at
// last, each 20 to 80 seconds long, with a run ID as Healthchecks' client sends; the newest n
// of them (so an odd n begins with a lone success).
func templateSignals(n int, last time.Time) ([]check.Signal, []time.Time) {
	runs := (n + 1) / 2
	sigs := make([]check.Signal, 0, 2*runs)
	at := make([]time.Time, 0, 2*runs)
	for r := range runs {
		end := last.Add(-time.Duration(runs-1-r) * scalePeriod)
		start := end.Add(-time.Duration(20+(r*37)%61) * time.Second)
		rid := uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "run-%d", r)).String()
		sigs = append(sigs,
			check.Signal{Kind: check.PingStart, Method: "POST", Scheme: "http", RemoteAddr: "10.0.0.7", UA: "curl/7.88.1", RID: rid},
			check.Signal{Kind: check.PingSuccess, Method: "POST", Scheme: "http", RemoteAddr: "10.0.0.7", UA: "curl/7.88.1", RID: rid, Body: pingBody})
		at = append(at, start, end)
	}
	return sigs[len(sigs)-n:], at[len(at)-n:]
}

// lastPingOf is when check number i (in creation order) last pinged: within the last half hour,
// or, for the due ones (one in scaleDueEvery), 43 to 60 minutes ago, so that with a one-hour
// timeout and grace they are due by now+90min and the others after it.
func lastPingOf(spec scaleSpec, i int) (time.Time, bool) {
	if i%scaleDueEvery == scaleDueEvery/2 {
		return spec.now.Add(-time.Hour + time.Duration(i/scaleDueEvery%1800)*time.Second), true
	}
	return spec.now.Add(-time.Duration(i%1800) * time.Second), false
}

// newScaleCheck is check number i with its state after sigs at times at+shift, as
// check.ApplyPing leaves it.
func newScaleCheck(id, projectID string, i int, created time.Time, sigs []check.Signal, at []time.Time, shift time.Duration) *check.Check {
	c := check.New(id, projectID, created)
	c.Name = fmt.Sprintf("job %d", i)
	c.Slug = fmt.Sprintf("job-%d", i)
	c.Tags = []string{"prod", "staging", "batch"}[i%3] + " scale"
	c.Timeout, c.Grace = scalePeriod, scalePeriod
	c.BadgeKey = uuid.NewString()
	for k, s := range sigs {
		c.ApplyPing(s, at[k].Add(shift), nil)
	}
	return c
}

// generate builds the data set in the SQLite database at path (created by `overdue serve`, or
// new) and checks it through the store.
func generate(ctx context.Context, path string, spec scaleSpec) (*scaleData, error) {
	if spec.projects < 1 || spec.checksPerProject < 1 || spec.pings < 1 {
		return nil, fmt.Errorf("scale: want at least one project, check and ping: %+v", spec)
	}
	start := time.Now()
	st, err := sqlite.Open(path, store.Options{PingLimit: spec.pings})
	if err != nil {
		return nil, err
	}
	defer func() {
		if st != nil {
			st.Close()
		}
	}()
	d := &scaleData{project: map[string]int{}, sweepAt: spec.now.Add(90 * time.Minute)}
	created := spec.now.Add(-time.Duration(spec.pings+24) * scalePeriod)
	for i := range spec.projects {
		keys, err := check.GenerateKeys(rand.Reader)
		if err != nil {
			return nil, err
		}
		p := &check.Project{ID: uuid.NewString(), Name: fmt.Sprintf("Scale %d", i), Created: created,
			APIKeyHash: check.HashKey(keys.APIKey), ReadOnlyKeyHash: check.HashKey(keys.ReadOnlyKey),
			PingKeyHash: check.HashKey(keys.PingKey), BadgeKey: uuid.NewString()}
		if err := st.CreateProject(ctx, p); err != nil {
			return nil, fmt.Errorf("create project %d: %w", i, err)
		}
		d.projects = append(d.projects, scaleProject{id: p.ID, apiKey: keys.APIKey})
	}

	// A user who owns the middle project, signed in: the dashboard's pages are measured with
	// its session.
	acc := &account.Service{People: st.People(), Projects: st, Now: func() time.Time { return time.Now().UTC() }, Rand: rand.Reader}
	d.viewProject = len(d.projects) / 2
	u, err := acc.CreateUser(ctx, account.NewUser{Email: "scale@example.com", Name: "Scale",
		ProjectID: d.projects[d.viewProject].id, Role: people.RoleOwner})
	if err != nil {
		return nil, fmt.Errorf("create a user: %w", err)
	}
	in, err := acc.StartSession(ctx, u.User, "loadgen")
	if err != nil {
		return nil, fmt.Errorf("start a session: %w", err)
	}
	d.session = in.Token

	n := spec.checks()
	for range n {
		d.ids = append(d.ids, uuid.NewString())
	}
	// Check i is ids[i]: random UUIDs, sorted, created in this order (one after another, so
	// that their integer keys rise with i), so that the ping copy, which goes through them in
	// order, writes the pings' primary key (check_seq, n) in order.
	slices.Sort(d.ids)

	// 1. The template: check 0, its history through the store.
	lastTpl, _ := lastPingOf(spec, 0)
	sigs, at := templateSignals(spec.pings, lastTpl)
	tpl := check.New(d.ids[0], d.projects[0].id, created)
	tpl.Name, tpl.Slug, tpl.Tags = "job 0", "job-0", "prod scale"
	tpl.Timeout, tpl.Grace = scalePeriod, scalePeriod
	tpl.BadgeKey = uuid.NewString()
	if err := st.CreateCheck(ctx, tpl); err != nil {
		return nil, fmt.Errorf("create the template check: %w", err)
	}
	d.project[tpl.ID] = 0
	for k, s := range sigs {
		_, err := st.UpdateCheck(ctx, tpl.ID, func(c *check.Check) (store.Change, error) {
			p, f := c.ApplyPing(s, at[k], nil)
			return store.Change{Ping: p, Flip: f}, nil
		})
		if err != nil {
			return nil, fmt.Errorf("ping the template check: %w", err)
		}
	}

	// 2. Every other check, its state computed by ApplyPing (on the other core, ahead of the
	// writes), written by CreateCheck.
	shifts := make([]time.Duration, n)
	for i := 1; i < n; i++ {
		last, _ := lastPingOf(spec, i)
		shifts[i] = last.Sub(lastTpl)
	}
	made := make(chan *check.Check, 1024)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		defer close(made)
		for i := 1; i < n; i++ {
			c := newScaleCheck(d.ids[i], d.projects[i/spec.checksPerProject].id, i, created, sigs, at, shifts[i])
			select {
			case made <- c:
			case <-stop:
				return
			}
		}
	}()
	i := 1
	for c := range made {
		if err := st.CreateCheck(ctx, c); err != nil {
			return nil, fmt.Errorf("create check %d: %w", i, err)
		}
		d.project[c.ID] = i / spec.checksPerProject
		if _, due := lastPingOf(spec, i); due {
			d.due = append(d.due, c.ID)
		}
		i++
	}
	d.checksTime = time.Since(start)
	if err := st.Close(); err != nil {
		return nil, err
	}
	st = nil

	// 3. The pings, copied from the template's rows.
	start = time.Now()
	if err := copyPings(ctx, path, d.ids, shifts); err != nil {
		return nil, err
	}
	d.pingsTime = time.Since(start)

	// 4. Read back through the store.
	start = time.Now()
	if err := verify(ctx, path, spec, d, sigs, at, shifts, created); err != nil {
		return nil, err
	}
	d.verifyTime = time.Since(start)
	return d, nil
}

// copyChunk is how many checks' pings one transaction copies (a million rows at 100 each).
const copyChunk = 10000

// copyPings gives every check but ids[0] (the template) a copy of the template's pings with
// check_seq set to its own integer key and created moved by its shift.
func copyPings(ctx context.Context, path string, ids []string, shifts []time.Duration) error {
	db, err := sql.Open("sqlite", "file:"+path+"?"+url.Values{
		"_pragma": {"busy_timeout(10000)", "foreign_keys(1)", "synchronous(NORMAL)"},
		"_txlock": {"immediate"},
	}.Encode())
	if err != nil {
		return err
	}
	defer db.Close()
	conn, err := db.Conn(ctx) // temporary tables live on one connection
	if err != nil {
		return err
	}
	defer conn.Close()

	rows, err := conn.QueryContext(ctx, `SELECT name FROM pragma_table_info('check_pings') ORDER BY cid`)
	if err != nil {
		return err
	}
	var cols []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			rows.Close()
			return err
		}
		cols = append(cols, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if !slices.Contains(cols, "check_seq") || !slices.Contains(cols, "created") {
		return fmt.Errorf("copy pings: the check_pings table has no check_seq or created column: %v", cols)
	}
	sel := make([]string, len(cols))
	for i, c := range cols {
		switch c {
		case "check_seq":
			sel[i] = "g.seq"
		case "created":
			sel[i] = "t.created + g.shift"
		default:
			sel[i] = "t." + c
		}
	}
	for _, q := range []string{
		`CREATE TEMP TABLE scale_gen (k INTEGER PRIMARY KEY, seq INTEGER NOT NULL, shift INTEGER NOT NULL)`,
		`CREATE TEMP TABLE scale_tpl AS SELECT * FROM check_pings WHERE check_seq = (SELECT seq FROM checks WHERE id = ?) ORDER BY n`,
	} {
		args := []any{}
		if strings.Contains(q, "?") {
			args = append(args, ids[0])
		}
		if _, err := conn.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("copy pings: %w", err)
		}
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	ins, err := tx.PrepareContext(ctx, `INSERT INTO scale_gen (k, seq, shift) SELECT ?, seq, ? FROM checks WHERE id = ?`)
	if err != nil {
		tx.Rollback()
		return err
	}
	for i := 1; i < len(ids); i++ {
		res, err := ins.ExecContext(ctx, i, shifts[i].Microseconds(), ids[i])
		if err == nil {
			err = mustInsert(res, ids[i])
		}
		if err != nil {
			tx.Rollback()
			return err
		}
	}
	ins.Close()
	if err := tx.Commit(); err != nil {
		return err
	}
	// CROSS JOIN keeps scale_gen the outer loop: check after check, in ID order, each check's
	// pings in order of n.
	copySQL := `INSERT INTO check_pings (` + strings.Join(cols, ", ") + `) SELECT ` + strings.Join(sel, ", ") +
		` FROM scale_gen AS g CROSS JOIN scale_tpl AS t WHERE g.k >= ? AND g.k < ?`
	// The copy writes each page once, straight into the database file: a rollback journal
	// instead of the WAL (which would take every page twice, once into the WAL and once at the
	// checkpoint), and a 16 MB cache (freeing a larger one at close costs seconds in this driver). Nothing else has the
	// file open. The store puts the WAL back when it next opens it, as serve's does.
	for _, q := range []string{`PRAGMA journal_mode = DELETE`, `PRAGMA synchronous = OFF`, `PRAGMA cache_size = -16384`} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("copy pings: %s: %w", q, err)
		}
	}
	for lo := 1; lo < len(ids); lo += copyChunk {
		hi := min(lo+copyChunk, len(ids))
		if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
			return err
		}
		if _, err := conn.ExecContext(ctx, copySQL, lo, hi); err != nil {
			_, _ = conn.ExecContext(ctx, `ROLLBACK`)
			return fmt.Errorf("copy pings of checks %d to %d: %w", lo, hi-1, err)
		}
		if _, err := conn.ExecContext(ctx, `COMMIT`); err != nil {
			return err
		}
	}
	_, err = conn.ExecContext(ctx, `PRAGMA journal_mode = WAL`)
	return err
}

// mustInsert fails unless res inserted a row: the check's row in scale_gen.
func mustInsert(res sql.Result, id string) error {
	n, err := res.RowsAffected()
	if err == nil && n != 1 {
		err = fmt.Errorf("copy pings: check %s is not in the database", id)
	}
	return err
}

// verifySample: verify reads every this-many-th check back in full.
const verifySample = 997

// verify reads the data back through the store: a sample of the checks (their state and every
// kept ping, with the newest one's body) against the template's shifted, every project's list of
// checks, and the due checks at sweepAt. It counts the ping rows too.
func verify(ctx context.Context, path string, spec scaleSpec, d *scaleData, sigs []check.Signal, at []time.Time, shifts []time.Duration, created time.Time) error {
	st, err := sqlite.Open(path, store.Options{PingLimit: spec.pings})
	if err != nil {
		return err
	}
	defer st.Close()
	tplPings, err := st.Pings(ctx, d.ids[0], spec.pings+1)
	if err != nil {
		return err
	}
	if len(tplPings) != spec.pings {
		return fmt.Errorf("verify: the template check has %d pings, want %d", len(tplPings), spec.pings)
	}
	for _, p := range tplPings {
		if p.Body != nil {
			return fmt.Errorf("verify: Pings returned a body")
		}
	}
	tplNewest, err := st.Ping(ctx, d.ids[0], spec.pings)
	if err != nil {
		return err
	}
	n := len(d.ids)
	for i := 1; i < n; i++ {
		if i%verifySample != 0 && i != n-1 {
			continue
		}
		id := d.ids[i]
		got, err := st.Check(ctx, id)
		if err != nil {
			return fmt.Errorf("verify check %d: %w", i, err)
		}
		want := newScaleCheck(id, d.projects[i/spec.checksPerProject].id, i, created, sigs, at, shifts[i])
		if got.NPings != spec.pings || !got.RunsCurrent() || got.Status != check.StatusUp ||
			!got.LastPing.Equal(want.LastPing) || !got.AlertAfter.Equal(want.AlertAfter) ||
			len(got.Runs) != len(want.Runs) || got.LastDuration != want.LastDuration {
			return fmt.Errorf("verify check %d: pings %d, status %s, last ping %s, alert after %s, %d runs; want %d, up, %s, %s, %d runs",
				i, got.NPings, got.Status, got.LastPing, got.AlertAfter, len(got.Runs), spec.pings, want.LastPing, want.AlertAfter, len(want.Runs))
		}
		pings, err := st.Pings(ctx, id, spec.pings+1)
		if err != nil {
			return err
		}
		if len(pings) != spec.pings {
			return fmt.Errorf("verify check %d: %d pings, want %d", i, len(pings), spec.pings)
		}
		for k, p := range pings {
			t := tplPings[k]
			if p.N != t.N || p.CheckID != id || !p.Created.Equal(t.Created.Add(shifts[i])) || p.Kind != t.Kind ||
				p.BodySize != t.BodySize || p.RID != t.RID || p.UA != t.UA || p.Method != t.Method {
				return fmt.Errorf("verify check %d: ping %+v, want the template's %+v moved by %s", i, p, t, shifts[i])
			}
		}
		newest, err := st.Ping(ctx, id, spec.pings)
		if err != nil {
			return fmt.Errorf("verify check %d: newest ping: %w", i, err)
		}
		if string(newest.Body) != string(tplNewest.Body) {
			return fmt.Errorf("verify check %d: newest body %q, want %q", i, newest.Body, tplNewest.Body)
		}
	}
	for pi, p := range d.projects {
		cs, err := st.Checks(ctx, p.id)
		if err != nil {
			return err
		}
		if len(cs) != spec.checksPerProject {
			return fmt.Errorf("verify: project %d has %d checks, want %d", pi, len(cs), spec.checksPerProject)
		}
	}
	due, err := st.DueChecks(ctx, d.sweepAt, n+1)
	if err != nil {
		return err
	}
	var dueIDs []string
	for _, c := range due {
		if _, ours := d.project[c.ID]; ours {
			dueIDs = append(dueIDs, c.ID)
		}
	}
	slices.Sort(dueIDs)
	if !slices.Equal(dueIDs, d.due) {
		return fmt.Errorf("verify: %d checks due at %s, want %d", len(dueIDs), d.sweepAt, len(d.due))
	}
	return countPings(ctx, path, d)
}

// countPings counts every ping (the store has no method that counts).
func countPings(ctx context.Context, path string, d *scaleData) error {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM check_pings`).Scan(&d.pingRows); err != nil {
		return fmt.Errorf("count pings: %w", err)
	}
	return nil
}
