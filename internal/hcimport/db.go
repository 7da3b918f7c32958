package hcimport

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	// The pure-Go SQLite driver, as the SQLite store uses.
	_ "modernc.org/sqlite"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/schedule"
	"github.com/overduehq/overdue/internal/transfer"
)

// DB is what a Healthchecks database file holds that Overdue can take: its projects, each
// with its channels, checks, pings and flips.
type DB struct {
	Projects []*DBProject
	// Skipped lists what could not be carried over, one line each.
	Skipped []string
}

// DBProject is one project of a Healthchecks database.
type DBProject struct {
	Project *check.Project
	// NewKeys are keys drawn for the project because the database keeps only Healthchecks'
	// HMACs of them (or none): they work once the project is created by the import.
	NewKeys check.Keys
	// Channels are the channels carried over, with their Healthchecks UUIDs.
	Channels []*check.Channel
	// Missing are channels that could not be carried over, each with why in Value.
	Missing []Channel
	Checks  []*DBCheck
	// Members are the project's people, for `overdue user create` (passwords cannot move).
	Members []Member
}

// DBCheck is a check with its history.
type DBCheck struct {
	Check *check.Check
	Pings []*check.Ping
	Flips []*check.Flip
}

// Member is a person of a Healthchecks project and the Overdue role that matches theirs.
type Member struct {
	Email, Role string
}

// DBOptions are what ReadDB needs from its caller.
type DBOptions struct {
	// ValidateChannel checks a channel's value for its kind as Overdue's notifier would; a
	// channel it refuses is listed as missing with the reason. Nil accepts every value.
	ValidateChannel func(kind, value string) error
	// Now dates projects (Healthchecks keeps no creation time for them).
	Now func() time.Time
	// Rand draws the keys a project needs when the database's cannot be used.
	Rand io.Reader
}

// ReadDB reads a Healthchecks SQLite database (hc.sqlite), read-only.
func ReadDB(ctx context.Context, path string, opts DBOptions) (*DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("--db %s: %w", path, err)
	}
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?mode=ro&_pragma=busy_timeout(5000)"
	conn, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	r := &dbReader{ctx: ctx, db: conn}
	var n int
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('api_check', 'accounts_project', 'api_channel')`).Scan(&n); err != nil {
		return nil, fmt.Errorf("--db %s: not an SQLite database: %w", path, err)
	}
	if n != 3 {
		return nil, fmt.Errorf("--db %s: not a Healthchecks database (it lacks the api_check, api_channel or accounts_project table)", path)
	}
	return r.read(opts)
}

type row map[string]any

type dbReader struct {
	ctx context.Context
	db  *sql.DB
}

// rows reads a whole table (or query) into maps by column name, so that columns a release of
// Healthchecks lacks read as absent rather than failing.
func (r *dbReader) rows(query string, args ...any) ([]row, error) {
	rs, err := r.db.QueryContext(r.ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	cols, err := rs.Columns()
	if err != nil {
		return nil, err
	}
	var out []row
	for rs.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			return nil, err
		}
		m := row{}
		for i, c := range cols {
			m[c] = vals[i]
		}
		out = append(out, m)
	}
	return out, rs.Err()
}

func (m row) str(k string) string {
	switch v := m[k].(type) {
	case string:
		return v
	case []byte:
		return string(v)
	case int64:
		return fmt.Sprint(v)
	}
	return ""
}

func (m row) int(k string) int64 {
	switch v := m[k].(type) {
	case int64:
		return v
	case float64:
		return int64(v)
	case bool:
		if v {
			return 1
		}
	}
	return 0
}

func (m row) null(k string) bool { return m[k] == nil }

func (m row) bool(k string) bool { return m.int(k) != 0 }

// uuid is a Django UUIDField as SQLite keeps it (32 hex digits) in canonical form.
func (m row) uuid(k string) string {
	s := strings.ToLower(strings.ReplaceAll(m.str(k), "-", ""))
	if len(s) != 32 {
		return ""
	}
	if _, err := hex.DecodeString(s); err != nil {
		return ""
	}
	return s[:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:]
}

// time is a Django DateTimeField as SQLite keeps it: UTC text, "2026-11-24 20:08:55.123456".
func (m row) time(k string) time.Time {
	if t, ok := m[k].(time.Time); ok {
		return t.UTC()
	}
	s := m.str(k)
	for _, layout := range []string{"2006-01-02 15:04:05.999999-07:00", "2006-01-02 15:04:05.999999", "2006-01-02T15:04:05.999999-07:00", "2006-01-02T15:04:05.999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC().Truncate(time.Microsecond)
		}
	}
	return time.Time{}
}

// micros is a Django DurationField as SQLite keeps it: an integer of microseconds.
func (m row) micros(k string) time.Duration { return time.Duration(m.int(k)) * time.Microsecond }

func (r *dbReader) read(opts DBOptions) (*DB, error) {
	db := &DB{}
	users := map[int64]string{}
	urows, err := r.rows(`SELECT * FROM auth_user`)
	if err != nil {
		return nil, fmt.Errorf("read auth_user: %w", err)
	}
	for _, u := range urows {
		users[u.int("id")] = u.str("email")
	}
	prows, err := r.rows(`SELECT * FROM accounts_project ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("read accounts_project: %w", err)
	}
	hashed := 0
	for _, pr := range prows {
		p, err := r.project(pr, users, opts, &hashed, &db.Skipped)
		if err != nil {
			return nil, err
		}
		db.Projects = append(db.Projects, p)
	}
	if hashed > 0 {
		db.Skipped = append(db.Skipped, fmt.Sprintf("API keys of %d projects: Healthchecks keeps them as HMACs under its SECRET_KEY, "+
			"which Overdue cannot verify; those projects get new API keys, printed once below", hashed))
	}
	var bodies int
	for _, p := range db.Projects {
		for _, c := range p.Checks {
			for _, pg := range c.Pings {
				if pg.BodySize == check.BodySizeUnknown {
					pg.BodySize = 0
					bodies++
				}
			}
		}
	}
	if bodies > 0 {
		db.Skipped = append(db.Skipped, fmt.Sprintf("the bodies of %d pings: Healthchecks kept them in object storage (S3), not in the database", bodies))
	}
	return db, nil
}

func (r *dbReader) project(pr row, users map[int64]string, opts DBOptions, hashed *int, skipped *[]string) (*DBProject, error) {
	id := pr.uuid("code")
	if id == "" {
		return nil, fmt.Errorf("project %d has no UUID in accounts_project.code", pr.int("id"))
	}
	keys, err := check.GenerateKeys(opts.Rand)
	if err != nil {
		return nil, err
	}
	p := &check.Project{ID: id, Name: pr.str("name"), Created: opts.Now().UTC(), BadgeKey: pr.str("badge_key")}
	if p.Name == "" {
		p.Name = users[pr.int("owner_id")] // Healthchecks shows an unnamed project by its owner's email
	}
	out := &DBProject{Project: p}
	// Keys kept in plain text (Healthchecks before hashed keys) are carried as Overdue keeps
	// them; hashed ones ("<8 characters>.<HMAC>") cannot be.
	rw, ro := pr.str("api_key"), pr.str("api_key_readonly")
	switch {
	case rw != "" && !strings.Contains(rw, "."):
		p.APIKeyHash = check.HashKey(rw)
		if ro != "" && !strings.Contains(ro, ".") {
			p.ReadOnlyKeyHash = check.HashKey(ro)
		}
	default:
		if rw != "" {
			*hashed++
		}
		p.APIKeyHash, p.ReadOnlyKeyHash = check.HashKey(keys.APIKey), check.HashKey(keys.ReadOnlyKey)
		out.NewKeys.APIKey, out.NewKeys.ReadOnlyKey = keys.APIKey, keys.ReadOnlyKey
	}
	if pk := pr.str("ping_key"); pk != "" {
		p.PingKeyHash = check.HashKey(pk)
	} else {
		p.PingKeyHash = check.HashKey(keys.PingKey)
		out.NewKeys.PingKey = keys.PingKey
	}

	if email := users[pr.int("owner_id")]; email != "" {
		out.Members = append(out.Members, Member{Email: email, Role: "owner"})
	}
	mrows, err := r.rows(`SELECT * FROM accounts_member WHERE project_id = ? ORDER BY id`, pr.int("id"))
	if err != nil {
		return nil, fmt.Errorf("read accounts_member: %w", err)
	}
	for _, m := range mrows {
		role := map[string]string{"r": "readonly", "w": "member", "m": "manager"}[m.str("role")]
		if role == "" {
			// Releases before roles had a read-write flag.
			role = "member"
			if _, ok := m["rw"]; ok && !m.bool("rw") {
				role = "readonly"
			}
		}
		out.Members = append(out.Members, Member{Email: users[m.int("user_id")], Role: role})
	}

	chans := map[int64]string{} // Healthchecks channel row ID → carried channel UUID
	crows, err := r.rows(`SELECT * FROM api_channel WHERE project_id = ? ORDER BY id`, pr.int("id"))
	if err != nil {
		return nil, fmt.Errorf("read api_channel: %w", err)
	}
	for _, cr := range crows {
		ch := &check.Channel{ID: cr.uuid("code"), ProjectID: id, Kind: cr.str("kind"), Name: cr.str("name"),
			Created: cr.time("created"), Disabled: cr.bool("disabled"), LastError: cr.str("last_error")}
		if ch.Name == "" {
			ch.Name = ch.Kind
		}
		value, note := channelValue(ch.Kind, cr.str("value"))
		ch.Value = value
		if opts.ValidateChannel != nil {
			if err := opts.ValidateChannel(ch.Kind, value); err != nil {
				out.Missing = append(out.Missing, Channel{ID: ch.ID, Name: ch.Name, Kind: ch.Kind, Value: err.Error()})
				continue
			}
		}
		if note != "" {
			out.Missing = append(out.Missing, Channel{ID: ch.ID, Name: ch.Name, Kind: ch.Kind, Value: "carried over, but " + note})
		}
		chans[cr.int("id")] = ch.ID
		out.Channels = append(out.Channels, ch)
	}

	krows, err := r.rows(`SELECT * FROM api_check WHERE project_id = ? ORDER BY created, id`, pr.int("id"))
	if err != nil {
		return nil, fmt.Errorf("read api_check: %w", err)
	}
	for _, kr := range krows {
		c, skip, err := r.check(kr, chans)
		if err != nil {
			return nil, err
		}
		if skip != "" {
			*skipped = append(*skipped, skip)
			continue
		}
		c.Check.ProjectID = id
		out.Checks = append(out.Checks, c)
	}
	return out, nil
}

// channelValue turns a channel's stored value into Overdue's form for its kind, and says what
// Overdue does differently, if anything.
func channelValue(kind, value string) (string, string) {
	switch kind {
	case "email", "sms", "whatsapp", "call", "signal":
		// Healthchecks stores {"value": …, "up": …, "down": …} (plain text before JSON).
		var v struct {
			Value string `json:"value"`
			Up    *bool  `json:"up"`
			Down  *bool  `json:"down"`
		}
		if !strings.HasPrefix(strings.TrimSpace(value), "{") || json.Unmarshal([]byte(value), &v) != nil {
			return value, ""
		}
		if (v.Up != nil && !*v.Up) || (v.Down != nil && !*v.Down) {
			return v.Value, "Healthchecks sent it only some alerts (up or down); Overdue sends it both"
		}
		return v.Value, ""
	}
	return value, ""
}

// check reads one check with its history. A check Overdue cannot take is not an error: skip
// says why, for the report.
func (r *dbReader) check(kr row, chans map[int64]string) (c *DBCheck, skip string, err error) {
	id := kr.uuid("code")
	f := checkFields{UUID: id, Name: kr.str("name"), Slug: kr.str("slug"), Tags: kr.str("tags"), Desc: kr.str("desc"),
		Created: kr.time("created"), Grace: int64(kr.micros("grace") / time.Second), Methods: kr.str("methods"),
		ManualResume: kr.bool("manual_resume"), StartKw: kr.str("start_kw"), SuccessKw: kr.str("success_kw"),
		FailureKw: kr.str("failure_kw"), FilterSubject: kr.bool("filter_subject"), FilterBody: kr.bool("filter_body"),
		FilterHTTPBody: kr.bool("filter_http_body"), FilterDefaultFail: kr.bool("filter_default_fail"),
		BadgeKey: kr.uuid("badge_key"), Status: kr.str("status"), NPings: int(kr.int("n_pings")), LastPing: kr.time("last_ping")}
	if _, ok := kr["start_kw"]; !ok {
		// Before the keyword fields: subject and subject_fail, matched against email subjects.
		f.SuccessKw, f.FailureKw = kr.str("subject"), kr.str("subject_fail")
	}
	if k := kr.str("kind"); k != "simple" && k != "" {
		f.Schedule, f.TZ = kr.str("schedule"), kr.str("tz")
	} else {
		f.Timeout = int64(kr.micros("timeout") / time.Second)
	}
	links, err := r.rows(`SELECT channel_id FROM api_channel_checks WHERE check_id = ? ORDER BY channel_id`, kr.int("id"))
	if err != nil {
		return nil, "", fmt.Errorf("read api_channel_checks: %w", err)
	}
	for _, l := range links {
		if cid, ok := chans[l.int("channel_id")]; ok {
			f.Channels = append(f.Channels, cid)
		}
	}
	nc, err := newCheck(f)
	if err != nil {
		return nil, fmt.Sprintf("check %s (%q): %v", id, f.Name, err), nil
	}
	nc.LastStart, nc.LastStartRID, nc.LastDuration = kr.time("last_start"), kr.uuid("last_start_rid"), kr.micros("last_duration")
	if nc.Status == check.StatusPaused {
		nc.LastStart, nc.LastStartRID = time.Time{}, "" // pausing ends a run, in Overdue as in Healthchecks
	}
	// A run in progress can bring the check down sooner than its last ping.
	nc.AlertAfter = alertAfter(nc)
	out := &DBCheck{Check: nc}

	prows, err := r.rows(`SELECT * FROM api_ping WHERE owner_id = ? AND n IS NOT NULL ORDER BY n`, kr.int("id"))
	if err != nil {
		return nil, "", fmt.Errorf("read api_ping: %w", err)
	}
	for _, pr := range prows {
		p := &check.Ping{CheckID: id, N: int(pr.int("n")), Created: pr.time("created"), Scheme: pr.str("scheme"),
			RemoteAddr: pr.str("remote_addr"), Method: pr.str("method"), UA: pr.str("ua"), RID: pr.uuid("rid")}
		switch k := pr.str("kind"); k {
		case "":
			p.Kind = check.PingSuccess
		default:
			p.Kind = check.PingKind(k)
		}
		if b, ok := pr["body_raw"].([]byte); ok {
			p.Body = b
		} else if s := pr.str("body"); s != "" {
			p.Body = []byte(s)
		} else if pr.int("object_size") > 0 {
			p.BodySize = check.BodySizeUnknown // counted and reset by read
		}
		if p.BodySize == 0 {
			p.BodySize = len(p.Body)
		}
		if !pr.null("exitstatus") {
			e := int(pr.int("exitstatus"))
			p.ExitStatus = &e
		}
		out.Pings = append(out.Pings, p)
	}
	frows, err := r.rows(`SELECT * FROM api_flip WHERE owner_id = ? ORDER BY created, id`, kr.int("id"))
	if err != nil {
		return nil, "", fmt.Errorf("read api_flip: %w", err)
	}
	for _, fr := range frows {
		out.Flips = append(out.Flips, &check.Flip{CheckID: id, Created: fr.time("created"), Processed: fr.time("processed"),
			OldStatus: check.Status(fr.str("old_status")), NewStatus: check.Status(fr.str("new_status")), Reason: fr.str("reason")})
	}
	return out, "", nil
}

// alertAfter is GoingDownAfter with the check's own schedule (already parsed once by
// newCheck, so it parses).
func alertAfter(c *check.Check) time.Time {
	s, err := schedule.ForCheck(string(c.Kind), c.Schedule, c.TZ)
	if err != nil {
		return time.Time{}
	}
	return c.GoingDownAfter(s)
}

// WriteExport writes the database as an Overdue export file (package transfer), which
// transfer.Import adds to a store.
func (db *DB) WriteExport(w io.Writer) error {
	fw, err := transfer.NewWriter(w, transfer.ScopeInstall)
	if err != nil {
		return err
	}
	for _, p := range db.Projects {
		if err := fw.Project(p.Project); err != nil {
			return err
		}
		chans := append([]*check.Channel(nil), p.Channels...)
		sort.SliceStable(chans, func(i, j int) bool { return chans[i].Created.Before(chans[j].Created) })
		for _, ch := range chans {
			if err := fw.Channel(ch); err != nil {
				return err
			}
		}
		for _, c := range p.Checks {
			if err := fw.Check(c.Check); err != nil {
				return err
			}
			for _, pg := range c.Pings {
				if err := fw.Ping(pg); err != nil {
					return err
				}
			}
			for _, f := range c.Flips {
				if err := fw.Flip(f); err != nil {
					return err
				}
			}
		}
	}
	return fw.Flush()
}
