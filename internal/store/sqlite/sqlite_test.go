package sqlite

import (
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/schema"
	"github.com/overduehq/overdue/internal/seal"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/storetest"
)

var t0 = time.Date(2026, 11, 24, 20, 0, 0, 0, time.UTC)

func openStore(t testing.TB, opts store.Options) *Store {
	t.Helper()
	if opts.Box == nil {
		opts.Box = storetest.Box(t)
	}
	// A directory that does not exist yet: Open creates it.
	s, err := Open(filepath.Join(t.TempDir(), "data", "overdue.db"), opts)
	if err != nil {
		t.Fatalf("Open = %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return openStore(t, store.Options{})
	})
}

// TestSealing: channel values are sealed in the database file, including its WAL.
func TestSealing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "overdue.db")
	storetest.Sealing(t, func(t *testing.T, box *seal.Box) store.Store {
		s, err := Open(path, store.Options{Box: box})
		if err != nil {
			t.Fatalf("Open = %v", err)
		}
		return s
	}, func(t *testing.T) []byte { return fileBytes(t, path) })
}

// fileBytes is the database file at path and its WAL, if any, as they are on disk.
func fileBytes(t *testing.T, path string) []byte {
	t.Helper()
	var all []byte
	for _, p := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

// rawDB opens path with no store in between, for setting up and inspecting files.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatalf("sql.Open(%s) = %v", path, err)
	}
	return db
}

func pragma(t *testing.T, path, name string) string {
	t.Helper()
	db := rawDB(t, path)
	defer db.Close()
	var v string
	if err := db.QueryRow("PRAGMA " + name).Scan(&v); err != nil {
		t.Fatalf("PRAGMA %s = %v", name, err)
	}
	return v
}

func TestOpenFresh(t *testing.T) {
	path := filepath.Join(t.TempDir(), "overdue.db")
	s, err := Open(path, store.Options{})
	if err != nil {
		t.Fatalf("Open(%s) = %v", path, err)
	}
	if err := s.CreateProject(t.Context(), &check.Project{ID: "p1", Name: "One", Created: t0}); err != nil {
		t.Fatalf("CreateProject = %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}

	if got, want := pragma(t, path, "user_version"), fmt.Sprint(SchemaVersion); got != want {
		t.Errorf("user_version = %s, want %s", got, want)
	}
	if got := pragma(t, path, "journal_mode"); got != "wal" {
		t.Errorf("journal_mode = %s, want wal", got)
	}

	// Reopening a database of this build's version keeps its data.
	s, err = Open(path, store.Options{})
	if err != nil {
		t.Fatalf("Open(%s) again = %v", path, err)
	}
	defer s.Close()
	if _, err := s.Project(t.Context(), "p1"); err != nil {
		t.Errorf("Project(p1) after reopening = %v", err)
	}
}

// TestOpenRefuses: data this build cannot use is refused without changing a byte of it. A
// database without schema_meta records no minimum reader, so its own version is taken as one.
// (TestSeedScenario in migrate_test.go has the case with schema_meta.)
func TestOpenRefuses(t *testing.T) {
	tests := []struct {
		name        string
		setup       []string
		wantVersion int // 0: not a *VersionError
	}{
		{"newer version", []string{
			`CREATE TABLE checks (id TEXT PRIMARY KEY, later_column TEXT NOT NULL)`,
			fmt.Sprintf(`PRAGMA user_version = %d`, SchemaVersion+1),
		}, SchemaVersion + 1},
		{"newer version in WAL mode", []string{
			`PRAGMA journal_mode = WAL`,
			`CREATE TABLE checks (id TEXT PRIMARY KEY, later_column TEXT NOT NULL)`,
			fmt.Sprintf(`PRAGMA user_version = %d`, SchemaVersion+6),
		}, SchemaVersion + 6},
		{"newer version, no tables", []string{fmt.Sprintf(`PRAGMA user_version = %d`, SchemaVersion+1)}, SchemaVersion + 1},
		{"not ours", []string{`CREATE TABLE notes (body TEXT)`}, 0},
		{"this version without schema_meta", []string{
			`CREATE TABLE checks (id TEXT PRIMARY KEY)`,
			fmt.Sprintf(`PRAGMA user_version = %d`, SchemaVersion),
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "overdue.db")
			db := rawDB(t, path)
			for _, stmt := range tt.setup {
				if _, err := db.Exec(stmt); err != nil {
					t.Fatalf("%s = %v", stmt, err)
				}
			}
			if err := db.Close(); err != nil {
				t.Fatalf("Close = %v", err)
			}
			before := fileSums(t, dir)

			s, err := Open(path, store.Options{})
			if err == nil {
				s.Close()
				t.Fatalf("Open(%s) succeeded, want an error", tt.name)
			}
			var ve *VersionError
			if tt.wantVersion == 0 {
				if errors.As(err, &ve) {
					t.Errorf("Open = %v, want an error other than *VersionError", err)
				}
			} else {
				if !errors.As(err, &ve) {
					t.Fatalf("Open = %v, want a *VersionError", err)
				}
				if ve.Data.Version != tt.wantVersion || ve.Current != SchemaVersion || !ve.Newer() {
					t.Errorf("VersionError = %+v, want data version %d, build %d, newer", *ve, tt.wantVersion, SchemaVersion)
				}
			}
			t.Logf("Open: %v", err)

			after := fileSums(t, dir)
			// A read-only reader of a WAL database may create the -wal and -shm files it needs; the
			// database itself must be byte for byte what it was.
			if before["overdue.db"] != after["overdue.db"] {
				t.Errorf("Open changed the database file")
			}
			t.Logf("files after Open: %v", slices.Sorted(maps.Keys(after)))
			for name := range after {
				if _, ok := before[name]; !ok && !slices.Contains([]string{"overdue.db-wal", "overdue.db-shm"}, name) {
					t.Errorf("Open created %s", name)
				}
			}
		})
	}
}

func TestVersionErrorMessage(t *testing.T) {
	err := &VersionError{Data: schema.Version{Version: 3, MinReader: 3}, Current: 2, Oldest: 1}
	want := "data model version 3 is newer than this build can use (this build writes version 2; " +
		"the data needs a build of version 3 or newer): deploy a build that understands version 3, " +
		"or restore a backup taken before the upgrade"
	if got := err.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// fileSums is the SHA-256 of every file in dir, by name.
func fileSums(t *testing.T, dir string) map[string][sha256.Size]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	sums := make(map[string][sha256.Size]byte)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		sums[e.Name()] = sha256.Sum256(b)
	}
	return sums
}

func TestCreateCheckUnknownProject(t *testing.T) {
	s := openStore(t, store.Options{})
	defer s.Close()
	c := check.New("c1", "no-such-project", t0)
	if err := s.CreateCheck(t.Context(), c); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("CreateCheck(project missing) = %v, want ErrNotFound", err)
	}
}

// TestRetention: the options are honoured, and unprocessed flips, the notifier's outbox, are
// never deleted for age.
func TestRetention(t *testing.T) {
	ctx := t.Context()
	s := openStore(t, store.Options{PingLimit: 3, FlipRetention: 24 * time.Hour})
	defer s.Close()
	if err := s.CreateProject(ctx, &check.Project{ID: "p1", Created: t0}); err != nil {
		t.Fatal(err)
	}
	c := check.New("c1", "p1", t0)
	if err := s.CreateCheck(ctx, c); err != nil {
		t.Fatal(err)
	}
	ping := func(kind check.PingKind, now time.Time) {
		t.Helper()
		_, err := s.UpdateCheck(ctx, c.ID, func(c *check.Check) (store.Change, error) {
			p, f := c.ApplyPing(check.Signal{Kind: kind}, now, nil)
			return store.Change{Ping: p, Flip: f}, nil
		})
		if err != nil {
			t.Fatalf("UpdateCheck = %v", err)
		}
	}
	ping(check.PingSuccess, t0)                   // flip new→up, left unprocessed
	ping(check.PingFail, t0.Add(time.Hour))       // flip up→down, processed below
	ping(check.PingSuccess, t0.Add(2*time.Hour))  // flip down→up, processed below
	ping(check.PingSuccess, t0.Add(30*time.Hour)) // 24h after the first two flips
	fs, err := s.Flips(ctx, c.ID, store.FlipQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs[:2] {
		if _, err := s.MarkFlipProcessed(ctx, f, t0.Add(3*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	ping(check.PingSuccess, t0.Add(25*time.Hour+30*time.Minute)) // deletes the flip at t0+1h only

	fs, err = s.Flips(ctx, c.ID, store.FlipQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var got []time.Time
	for _, f := range fs {
		got = append(got, f.Created)
	}
	want := []time.Time{t0.Add(2 * time.Hour), t0}
	if !slices.EqualFunc(got, want, time.Time.Equal) {
		t.Errorf("flips after retention created at %v, want %v", got, want)
	}

	ps, err := s.Pings(ctx, c.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	var ns []int
	for _, p := range ps {
		ns = append(ns, p.N)
	}
	if want := []int{5, 4, 3}; !slices.Equal(ns, want) {
		t.Errorf("pings kept with PingLimit 3 = %v, want %v", ns, want)
	}
}

func TestNonPositiveLimits(t *testing.T) {
	ctx := t.Context()
	s := openStore(t, store.Options{})
	defer s.Close()
	for name, call := range map[string]func() error{
		"Pings":            func() error { _, err := s.Pings(ctx, "c1", 0); return err },
		"UnprocessedFlips": func() error { _, err := s.UnprocessedFlips(ctx, 0); return err },
		"DueChecks":        func() error { _, err := s.DueChecks(ctx, t0, -1); return err },
	} {
		if err := call(); err == nil {
			t.Errorf("%s with a non-positive limit = nil, want an error", name)
		}
	}
}

// BenchmarkUpdateCheckPing measures one ping applied through UpdateCheck: the transaction,
// ping insert, trim and flip retention, on a check with a full ping history.
func BenchmarkUpdateCheckPing(b *testing.B) {
	ctx := b.Context()
	s := openStore(b, store.Options{})
	defer s.Close()
	if err := s.CreateProject(ctx, &check.Project{ID: "p1", Created: t0}); err != nil {
		b.Fatal(err)
	}
	if err := s.CreateCheck(ctx, check.New("c1", "p1", t0)); err != nil {
		b.Fatal(err)
	}
	sig := check.Signal{Kind: check.PingSuccess, Method: "POST", Scheme: "https",
		RemoteAddr: "192.0.2.1", UA: "curl/8.5.0", Body: []byte("backup finished in 42 s")}
	i := 0
	apply := func() {
		i++
		now := t0.Add(time.Duration(i) * time.Second)
		_, err := s.UpdateCheck(ctx, "c1", func(c *check.Check) (store.Change, error) {
			p, f := c.ApplyPing(sig, now, nil)
			return store.Change{Ping: p, Flip: f}, nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	for range store.DefaultPingLimit { // steady state: every ping trims one
		apply()
	}
	for b.Loop() {
		apply()
	}
}

// TestQueryPlans: every query reads through an index, so its cost follows the rows it returns,
// not the size of the tables. The due list and the notifier's queue read partial indexes.
func TestQueryPlans(t *testing.T) {
	s := openStore(t, store.Options{})
	defer s.Close()
	tests := []struct {
		name, query, want string
	}{
		{"load check", checkLoad, "SEARCH checks USING INDEX sqlite_autoindex_checks_1 (id=?)"},
		{"check's channels", checkLoad, "SEARCH check_channels USING PRIMARY KEY (check_id=?)"},
		{"list checks", checkSelect + ` WHERE project_id = ? ORDER BY created, rowid`,
			"SEARCH checks USING INDEX checks_project (project_id=?)"},
		{"checks by slug", checkSelect + ` WHERE project_id = ? AND slug = ? ORDER BY created, rowid`,
			"SEARCH checks USING INDEX checks_slug (project_id=? AND slug=?)"},
		{"due checks", checkSelect + ` WHERE alert_after IS NOT NULL AND alert_after <= ? ORDER BY alert_after, rowid LIMIT ?`,
			"SEARCH checks USING INDEX checks_due (alert_after>? AND alert_after<?)"},
		{"load check and its key", checkLoadSeq, "SEARCH checks USING INDEX sqlite_autoindex_checks_1 (id=?)"},
		{"next check key", `SELECT coalesce(max(seq), 0) + 1 FROM checks`, "SEARCH checks USING COVERING INDEX checks_seq"},
		{"trim pings", pingsTrimMany(1), "SEARCH check_pings USING INDEX sqlite_autoindex_check_pings_1 (check_seq=? AND n<?)"},
		{"trim pings of checks", pingsTrimMany(1) + ` OR (check_seq = ?1 AND n <= ?3)`, "MULTI-INDEX OR"},
		{"trim pings of checks, each", pingsTrimMany(1) + ` OR (check_seq = ?1 AND n <= ?3)`, "SEARCH check_pings USING COVERING INDEX sqlite_autoindex_check_pings_1 (check_seq=? AND n<?)"},
		{"list pings: the check", pingListSelect + ` WHERE c.id = ?` + keptPings + ` ORDER BY p.n DESC LIMIT ?`,
			"SEARCH c USING INDEX sqlite_autoindex_checks_1 (id=?)"},
		{"list pings", pingListSelect + ` WHERE c.id = ?` + keptPings + ` ORDER BY p.n DESC LIMIT ?`,
			"SEARCH p USING INDEX sqlite_autoindex_check_pings_1 (check_seq=? AND n>?)"},
		{"load ping", pingSelect + ` WHERE c.id = ? AND p.n = ?` + keptPings,
			"SEARCH p USING INDEX sqlite_autoindex_check_pings_1 (check_seq=? AND n=?)"},
		{"expire flips", flipsExpire, "SEARCH flips USING INDEX flips_check (check_id=? AND created<?)"},
		{"oldest flip to expire", flipsOldest, "SEARCH flips USING INDEX flips_check (check_id=?)"},
		{"list flips", flipSelect + ` WHERE check_id = ? AND created >= ? AND created < ? ORDER BY created DESC, id DESC`,
			"SEARCH flips USING INDEX flips_check (check_id=? AND created>? AND created<?)"},
		{"unprocessed flips", flipSelect + ` WHERE processed IS NULL ORDER BY created, id LIMIT ?`,
			"SCAN flips USING INDEX flips_unprocessed"},
		{"project by API key", projectSelect + ` WHERE api_key_hash = ?1 OR read_only_key_hash = ?1`,
			"SEARCH projects USING INDEX sqlite_autoindex_projects_3 (read_only_key_hash=?)"},
		{"project by badge key", projectByBadgeKey, "SEARCH projects USING INDEX projects_badge_key (badge_key=?)"},
		{"check by badge key", checkByBadgeKey, "SEARCH checks USING INDEX checks_badge_key (badge_key=?)"},
		{"unassign channel", `DELETE FROM check_channels WHERE channel_id = ?`,
			"SEARCH check_channels USING COVERING INDEX check_channels_channel (channel_id=?)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := s.r.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+tt.query, "x", "y", 3)
			if err != nil {
				t.Fatalf("EXPLAIN QUERY PLAN = %v", err)
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			if !slices.Contains(plan, tt.want) {
				t.Errorf("plan of %s = %q, want a step %q", tt.name, plan, tt.want)
			}
		})
	}
}

// BenchmarkUpdateCheckPingParallel is BenchmarkUpdateCheckPing from 16 goroutines at once, to
// one check (checks=1) or each to its own (checks=16): the store's side of a ping under group
// commit, without HTTP. ns/op is the wall time per ping.
func BenchmarkUpdateCheckPingParallel(b *testing.B) {
	for _, checks := range []int{1, 16} {
		b.Run(fmt.Sprintf("checks=%d", checks), func(b *testing.B) {
			ctx := b.Context()
			s := openStore(b, store.Options{})
			defer s.Close()
			if err := s.CreateProject(ctx, &check.Project{ID: "p1", Created: t0}); err != nil {
				b.Fatal(err)
			}
			for i := range checks {
				if err := s.CreateCheck(ctx, check.New(fmt.Sprintf("c%d", i), "p1", t0)); err != nil {
					b.Fatal(err)
				}
			}
			sig := check.Signal{Kind: check.PingSuccess, Method: "POST", Scheme: "https",
				RemoteAddr: "192.0.2.1", UA: "curl/8.5.0", Body: []byte("backup finished in 42 s")}
			fn := func(c *check.Check) (store.Change, error) {
				p, f := c.ApplyPing(sig, c.LastPing.Add(time.Second), nil)
				return store.Change{Ping: p, Flip: f}, nil
			}
			var wg sync.WaitGroup
			var next atomic.Int64
			b.ResetTimer()
			for g := range 16 {
				wg.Go(func() {
					id := fmt.Sprintf("c%d", g%checks)
					for next.Add(1) <= int64(b.N) {
						if _, err := s.UpdateCheck(ctx, id, fn); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
		})
	}
}

// testBox seals channel values in this package's tests, under storetest.Box's secret.
var testBox = func() *seal.Box {
	b, err := seal.New([]byte("storetest server secret, 32 chars"))
	if err != nil {
		panic(err)
	}
	return b
}()

// boxed gives m the test box, so that it can seal channel values (version 8).
func boxed(m *Migrator) *Migrator {
	m.Box = testBox
	return m
}
