package sqlite

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// Rows mirror the tables, column for column; the functions below are the only place domain
// types meet storage. Each row's fields method lists pointers in column order: Scan fills them,
// and database/sql dereferences them as Exec arguments, so one list serves reading and writing
// and the two cannot drift apart.

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// instant stores t as microseconds since the epoch, NULL for the zero time.
func instant(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: true}
}

// fromInstant is the inverse of instant; times come back in UTC.
func fromInstant(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMicro(v.Int64).UTC()
}

// bound converts an exclusive or inclusive lower bound on instants to microseconds, rounding up
// so that "stored >= bound" keeps exactly the instants at or after t once truncated.
func bound(t time.Time) int64 {
	us := t.UnixMicro()
	if t.Nanosecond()%1000 != 0 {
		us++
	}
	return us
}

func nullString(s string) sql.NullString {
	return sql.NullString{String: s, Valid: s != ""}
}

func columns(cols []string) string { return strings.Join(cols, ", ") }

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func assignments(cols []string) string {
	set := make([]string, len(cols))
	for i, c := range cols {
		set[i] = c + " = ?"
	}
	return strings.Join(set, ", ")
}

// projectRow is a row of projects.
type projectRow struct {
	ID              string
	Name            string
	Created         sql.NullInt64
	APIKeyHash      sql.NullString
	ReadOnlyKeyHash sql.NullString
	PingKeyHash     sql.NullString
	BadgeKey        string
}

var projectColumns = []string{
	"id", "name", "created", "api_key_hash", "read_only_key_hash", "ping_key_hash", "badge_key",
}

func (r *projectRow) fields() []any {
	return []any{&r.ID, &r.Name, &r.Created, &r.APIKeyHash, &r.ReadOnlyKeyHash, &r.PingKeyHash, &r.BadgeKey}
}

func projectToRow(p *check.Project) *projectRow {
	return &projectRow{
		ID:              p.ID,
		Name:            p.Name,
		Created:         instant(p.Created),
		APIKeyHash:      nullString(p.APIKeyHash),
		ReadOnlyKeyHash: nullString(p.ReadOnlyKeyHash),
		PingKeyHash:     nullString(p.PingKeyHash),
		BadgeKey:        p.BadgeKey,
	}
}

func (r *projectRow) project() *check.Project {
	return &check.Project{
		ID:              r.ID,
		Name:            r.Name,
		Created:         fromInstant(r.Created),
		APIKeyHash:      r.APIKeyHash.String,
		ReadOnlyKeyHash: r.ReadOnlyKeyHash.String,
		PingKeyHash:     r.PingKeyHash.String,
		BadgeKey:        r.BadgeKey,
	}
}

func scanProject(sc scanner) (*check.Project, error) {
	var r projectRow
	if err := sc.Scan(r.fields()...); err != nil {
		return nil, err
	}
	return r.project(), nil
}

// checkRow is a row of checks; Channels comes from check_channels (see checkSelect).
type checkRow struct {
	ID                string
	ProjectID         string
	Name              string
	Slug              string
	Tags              string
	Desc              string
	Created           sql.NullInt64
	Kind              string
	Timeout           int64
	Schedule          string
	TZ                string
	Grace             int64
	Methods           string
	ManualResume      bool
	StartKw           string
	SuccessKw         string
	FailureKw         string
	FilterSubject     bool
	FilterBody        bool
	FilterHTTPBody    bool
	FilterDefaultFail bool
	BadgeKey          string
	Status            string
	NPings            int64
	LastPing          sql.NullInt64
	LastStart         sql.NullInt64
	LastStartRID      string
	LastDuration      int64
	AlertAfter        sql.NullInt64
	// The alert rules (data model version 7).
	StartGrace       int64
	MaxRuntime       int64
	MinRuntime       int64
	FailureTolerance int64
	SnoozeUntil      sql.NullInt64
	FailStreak       int64
	HeldReason       string
	HeldUntil        sql.NullInt64 // version 10
	Runs             []byte        // version 13: store.EncodeRuns
	RunsN            int64
	// Dependencies, failure rate and flapping (version 15).
	DependsOn    string // comma-separated check IDs
	RateFailures int64
	RateWindow   int64
	FlapChanges  int64
	FlapWindow   int64
	HeldParent   string
	HeldNote     string
	FailTimes    string // comma-separated instants
	ChangeTimes  string
	FlapSent     string
	// Late notices (version 18).
	LateNotice bool
	LateFor    sql.NullInt64

	Channels []string

	// runs is Runs decoded, when checkToRow knew it (decoded), so that the committer, which
	// turns the same check from row to check and back for every ping, does not decode Runs
	// every time. A row's runs are shared by the checks made from it: no run within a check's
	// Runs is ever changed (check.appendRun writes a new run only past their end, into a slot
	// no copy has used, or into a new array), and only the committer appends to the runs of
	// the checks it makes from cached rows.
	runs    []check.Run
	decoded bool
}

var checkColumns = []string{
	"id", "project_id", "name", "slug", "tags", "description", "created",
	"kind", "timeout", "schedule", "tz", "grace",
	"methods", "manual_resume", "start_kw", "success_kw", "failure_kw",
	"filter_subject", "filter_body", "filter_http_body", "filter_default_fail",
	"badge_key", "status", "n_pings", "last_ping", "last_start", "last_start_rid", "last_duration",
	"alert_after",
	"start_grace", "max_runtime", "min_runtime", "failure_tolerance", "snooze_until", "fail_streak", "held_reason",
	"held_until",
	"runs", "runs_n",
	"depends_on", "rate_failures", "rate_window", "flap_changes", "flap_window",
	"held_parent", "held_note", "fail_times", "change_times", "flap_sent",
	"late_notice", "late_for",
}

func (r *checkRow) fields() []any {
	return []any{
		&r.ID, &r.ProjectID, &r.Name, &r.Slug, &r.Tags, &r.Desc, &r.Created,
		&r.Kind, &r.Timeout, &r.Schedule, &r.TZ, &r.Grace,
		&r.Methods, &r.ManualResume, &r.StartKw, &r.SuccessKw, &r.FailureKw,
		&r.FilterSubject, &r.FilterBody, &r.FilterHTTPBody, &r.FilterDefaultFail,
		&r.BadgeKey, &r.Status, &r.NPings, &r.LastPing, &r.LastStart, &r.LastStartRID, &r.LastDuration,
		&r.AlertAfter,
		&r.StartGrace, &r.MaxRuntime, &r.MinRuntime, &r.FailureTolerance, &r.SnoozeUntil, &r.FailStreak, &r.HeldReason,
		&r.HeldUntil,
		&r.Runs, &r.RunsN,
		&r.DependsOn, &r.RateFailures, &r.RateWindow, &r.FlapChanges, &r.FlapWindow,
		&r.HeldParent, &r.HeldNote, &r.FailTimes, &r.ChangeTimes, &r.FlapSent,
		&r.LateNotice, &r.LateFor,
	}
}

// stateColumns are the columns of checks that pings and flips change (check.ApplyPing and the
// sweep): the check's state, as opposed to its configuration.
// A snooze counts as state: it is set and ended like a ping, and the sweep reads it.
var stateColumns = []string{
	"status", "n_pings", "last_ping", "last_start", "last_start_rid", "last_duration", "alert_after",
	"snooze_until", "fail_streak", "held_reason", "held_until", "runs", "runs_n",
	"held_parent", "held_note", "fail_times", "change_times", "flap_sent", "late_for",
}

// stateFields lists r's state fields in stateColumns' order.
func (r *checkRow) stateFields() []any {
	return []any{&r.Status, &r.NPings, &r.LastPing, &r.LastStart, &r.LastStartRID, &r.LastDuration, &r.AlertAfter,
		&r.SnoozeUntil, &r.FailStreak, &r.HeldReason, &r.HeldUntil, &r.Runs, &r.RunsN,
		&r.HeldParent, &r.HeldNote, &r.FailTimes, &r.ChangeTimes, &r.FlapSent, &r.LateFor}
}

// sameConfig reports whether a and b differ at most in their state columns and channels. It
// runs for every check of every batch of pings, so it compares configs with == rather than
// through reflection; TestSameConfig checks that config leaves out no column but the state's.
func sameConfig(a, b *checkRow) bool { return a.config() == b.config() }

// checkConfig is a check row's configuration: every column but its state (stateColumns).
type checkConfig struct {
	ID, ProjectID, Name, Slug, Tags, Desc                        string
	Created                                                      sql.NullInt64
	Kind                                                         string
	Timeout                                                      int64
	Schedule, TZ                                                 string
	Grace                                                        int64
	Methods                                                      string
	ManualResume                                                 bool
	StartKw, SuccessKw, FailureKw                                string
	FilterSubject, FilterBody, FilterHTTPBody, FilterDefaultFail bool
	BadgeKey                                                     string
	StartGrace, MaxRuntime, MinRuntime, FailureTolerance         int64
	DependsOn                                                    string
	RateFailures, RateWindow, FlapChanges, FlapWindow            int64
	LateNotice                                                   bool
}

func (r *checkRow) config() checkConfig {
	return checkConfig{
		ID:                r.ID,
		ProjectID:         r.ProjectID,
		Name:              r.Name,
		Slug:              r.Slug,
		Tags:              r.Tags,
		Desc:              r.Desc,
		Created:           r.Created,
		Kind:              r.Kind,
		Timeout:           r.Timeout,
		Schedule:          r.Schedule,
		TZ:                r.TZ,
		Grace:             r.Grace,
		Methods:           r.Methods,
		ManualResume:      r.ManualResume,
		StartKw:           r.StartKw,
		SuccessKw:         r.SuccessKw,
		FailureKw:         r.FailureKw,
		FilterSubject:     r.FilterSubject,
		FilterBody:        r.FilterBody,
		FilterHTTPBody:    r.FilterHTTPBody,
		FilterDefaultFail: r.FilterDefaultFail,
		BadgeKey:          r.BadgeKey,
		StartGrace:        r.StartGrace,
		MaxRuntime:        r.MaxRuntime,
		MinRuntime:        r.MinRuntime,
		FailureTolerance:  r.FailureTolerance,
		DependsOn:         r.DependsOn,
		RateFailures:      r.RateFailures,
		RateWindow:        r.RateWindow,
		FlapChanges:       r.FlapChanges,
		FlapWindow:        r.FlapWindow,
		LateNotice:        r.LateNotice,
	}
}

// checkSelect reads checks with their channel IDs, in list order, as a JSON array: one statement
// per listing instead of one more query per check.
var checkSelect = `SELECT ` + columns(checkColumns) + `, ` + checkChannels + ` FROM checks`

// checkChannels is the column of checkSelect that lists a check's channels.
const checkChannels = `(SELECT json_group_array(channel_id ORDER BY position) FROM check_channels WHERE check_id = checks.id)`

func checkToRow(c *check.Check) *checkRow {
	runs, decoded := asDecoded(c.Runs)
	return &checkRow{
		ID:                c.ID,
		ProjectID:         c.ProjectID,
		Name:              c.Name,
		Slug:              c.Slug,
		Tags:              c.Tags,
		Desc:              c.Desc,
		Created:           instant(c.Created),
		Kind:              string(c.Kind),
		Timeout:           int64(c.Timeout),
		Schedule:          c.Schedule,
		TZ:                c.TZ,
		Grace:             int64(c.Grace),
		Methods:           c.Methods,
		ManualResume:      c.ManualResume,
		StartKw:           c.StartKw,
		SuccessKw:         c.SuccessKw,
		FailureKw:         c.FailureKw,
		FilterSubject:     c.FilterSubject,
		FilterBody:        c.FilterBody,
		FilterHTTPBody:    c.FilterHTTPBody,
		FilterDefaultFail: c.FilterDefaultFail,
		BadgeKey:          c.BadgeKey,
		Status:            string(c.Status),
		NPings:            int64(c.NPings),
		LastPing:          instant(c.LastPing),
		LastStart:         instant(c.LastStart),
		LastStartRID:      c.LastStartRID,
		LastDuration:      int64(c.LastDuration),
		AlertAfter:        instant(c.AlertAfter),
		StartGrace:        int64(c.StartGrace),
		MaxRuntime:        int64(c.MaxRuntime),
		MinRuntime:        int64(c.MinRuntime),
		FailureTolerance:  int64(c.FailureTolerance),
		SnoozeUntil:       instant(c.SnoozeUntil),
		FailStreak:        int64(c.FailStreak),
		HeldReason:        c.HeldReason,
		HeldUntil:         instant(c.HeldUntil),
		Runs:              store.EncodeRuns(c.Runs),
		runs:              runs,
		decoded:           decoded,
		RunsN:             int64(c.RunsN),
		DependsOn:         strings.Join(c.DependsOn, ","),
		RateFailures:      int64(c.FailureRate.Failures),
		RateWindow:        int64(c.FailureRate.Window),
		FlapChanges:       int64(c.Flap.Changes),
		FlapWindow:        int64(c.Flap.Window),
		HeldParent:        c.HeldParent,
		HeldNote:          c.HeldNote,
		FailTimes:         joinInstants(c.FailTimes),
		ChangeTimes:       joinInstants(c.ChangeTimes),
		FlapSent:          string(c.FlapSent),
		LateNotice:        c.LateNotice,
		LateFor:           instant(c.LateFor),
		Channels:          c.Channels,
	}
}

func (r *checkRow) check() *check.Check {
	var channels []string
	if len(r.Channels) > 0 {
		channels = append([]string(nil), r.Channels...)
	}
	c := &check.Check{
		ID:                r.ID,
		ProjectID:         r.ProjectID,
		Name:              r.Name,
		Slug:              r.Slug,
		Tags:              r.Tags,
		Desc:              r.Desc,
		Created:           fromInstant(r.Created),
		Kind:              check.Kind(r.Kind),
		Timeout:           time.Duration(r.Timeout),
		Schedule:          r.Schedule,
		TZ:                r.TZ,
		Grace:             time.Duration(r.Grace),
		Methods:           r.Methods,
		ManualResume:      r.ManualResume,
		StartKw:           r.StartKw,
		SuccessKw:         r.SuccessKw,
		FailureKw:         r.FailureKw,
		FilterSubject:     r.FilterSubject,
		FilterBody:        r.FilterBody,
		FilterHTTPBody:    r.FilterHTTPBody,
		FilterDefaultFail: r.FilterDefaultFail,
		BadgeKey:          r.BadgeKey,
		Channels:          channels,
		Status:            check.Status(r.Status),
		NPings:            int(r.NPings),
		LastPing:          fromInstant(r.LastPing),
		LastStart:         fromInstant(r.LastStart),
		LastStartRID:      r.LastStartRID,
		LastDuration:      time.Duration(r.LastDuration),
		AlertAfter:        fromInstant(r.AlertAfter),
		StartGrace:        time.Duration(r.StartGrace),
		MaxRuntime:        time.Duration(r.MaxRuntime),
		MinRuntime:        time.Duration(r.MinRuntime),
		FailureTolerance:  int(r.FailureTolerance),
		SnoozeUntil:       fromInstant(r.SnoozeUntil),
		FailStreak:        int(r.FailStreak),
		HeldReason:        r.HeldReason,
		HeldUntil:         fromInstant(r.HeldUntil),
		DependsOn:         splitList(r.DependsOn),
		FailureRate:       check.FailureRate{Failures: int(r.RateFailures), Window: time.Duration(r.RateWindow)},
		Flap:              check.FlapRule{Changes: int(r.FlapChanges), Window: time.Duration(r.FlapWindow)},
		HeldParent:        r.HeldParent,
		HeldNote:          r.HeldNote,
		FailTimes:         splitInstants(r.FailTimes),
		ChangeTimes:       splitInstants(r.ChangeTimes),
		FlapSent:          check.Status(r.FlapSent),
		LateNotice:        r.LateNotice,
		LateFor:           fromInstant(r.LateFor),
	}
	if r.decoded {
		c.Runs, c.RunsN = r.runs, int(r.RunsN)
	} else {
		c.Runs, c.RunsN = store.LoadRuns(r.Runs, int(r.RunsN))
	}
	return c
}

// asDecoded returns runs as store.DecodeRuns(store.EncodeRuns(runs)) returns them, and true,
// when that is runs itself (nil for none); otherwise false. The runs a check keeps are so
// (check.appendRun keeps milliseconds, and the clocks give UTC): then the committer need not
// decode what it has just encoded.
func asDecoded(runs []check.Run) ([]check.Run, bool) {
	if len(runs) == 0 {
		return nil, true
	}
	n := 0
	for _, r := range runs {
		if r.N < n || r.Duration < 0 || r.Duration%time.Millisecond != 0 ||
			r.At.Location() != time.UTC || r.At != r.At.Round(0) || r.At.Nanosecond()%int(time.Millisecond) != 0 {
			return nil, false
		}
		n = r.N
	}
	return runs, true
}

// splitList splits a comma-separated list; "" is none (nil).
func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// joinInstants writes instants as comma-separated Unix microseconds, as instant stores one.
func joinInstants(ts []time.Time) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = strconv.FormatInt(t.UnixMicro(), 10)
	}
	return strings.Join(parts, ",")
}

// splitInstants reads what joinInstants wrote; an entry that is not a number is skipped (the
// lists are a rule's recent history, and losing one entry only delays the rule).
func splitInstants(s string) []time.Time {
	var out []time.Time
	for _, part := range splitList(s) {
		if us, err := strconv.ParseInt(part, 10, 64); err == nil {
			out = append(out, time.UnixMicro(us).UTC())
		}
	}
	return out
}

// scanCheck reads one row of checkSelect.
func scanCheck(sc scanner) (*check.Check, error) { return scanCheckAnd(sc) }

// scanCheckAnd reads one row of checkSelect followed by more columns, into more.
func scanCheckAnd(sc scanner, more ...any) (*check.Check, error) {
	var r checkRow
	var channels string
	if err := sc.Scan(append(append(r.fields(), &channels), more...)...); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(channels), &r.Channels); err != nil {
		return nil, fmt.Errorf("decode channels of check %s: %w", r.ID, err)
	}
	return r.check(), nil
}

func scanChecks(rows *sql.Rows) ([]*check.Check, error) {
	defer rows.Close()
	var out []*check.Check
	for rows.Next() {
		c, err := scanCheck(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// pingRow is a ping as the store reads it, with its check's ID (pingSelect joins checks), and
// as it writes it to check_pings, with its check's integer key (data model version 21).
type pingRow struct {
	CheckID    string // read
	CheckSeq   int64  // written
	N          int64
	Created    sql.NullInt64
	Kind       string
	Scheme     string
	RemoteAddr string
	Method     string
	UA         string
	Body       []byte
	ExitStatus sql.NullInt64
	RID        string
	// BodySize is body's length (data model version 2). This release writes it itself (version
	// 3); the trigger fills it for builds that leave it out, so NULL is only ever seen in data
	// damaged by hand.
	BodySize sql.NullInt64
}

// pingColumns are the columns of check_pings, in the order of values. The first, the check's
// integer key, is read as the check's ID (pingSelect).
var pingColumns = []string{
	"check_seq", "n", "created", "kind", "scheme", "remote_addr", "method", "ua", "body", "exit_status", "rid",
	"body_size",
}

// fields lists the pointers Scan fills from a row of pingSelect: the check's ID first.
func (r *pingRow) fields() []any {
	return []any{
		&r.CheckID, &r.N, &r.Created, &r.Kind, &r.Scheme, &r.RemoteAddr, &r.Method, &r.UA,
		&r.Body, &r.ExitStatus, &r.RID, &r.BodySize,
	}
}

// values lists pointers to the row's values in pingColumns' order, for an insert (database/sql
// dereferences them; a pointer in an interface costs no allocation, a value boxed would).
func (r *pingRow) values() []any {
	return []any{
		&r.CheckSeq, &r.N, &r.Created, &r.Kind, &r.Scheme, &r.RemoteAddr, &r.Method, &r.UA,
		&r.Body, &r.ExitStatus, &r.RID, &r.BodySize,
	}
}

// pingToRow is the row of p, a ping of the check with the integer key seq.
func pingToRow(seq int64, p *check.Ping) *pingRow {
	r := &pingRow{
		CheckSeq:   seq,
		N:          int64(p.N),
		Created:    instant(p.Created),
		Kind:       string(p.Kind),
		Scheme:     p.Scheme,
		RemoteAddr: p.RemoteAddr,
		Method:     p.Method,
		UA:         p.UA,
		RID:        p.RID,
	}
	if len(p.Body) > 0 {
		r.Body = p.Body
	}
	// The size of what is stored, not p.BodySize: the row must agree with its body whatever the
	// caller says.
	r.BodySize = sql.NullInt64{Int64: int64(len(r.Body)), Valid: true}
	if p.ExitStatus != nil {
		r.ExitStatus = sql.NullInt64{Int64: int64(*p.ExitStatus), Valid: true}
	}
	return r
}

func (r *pingRow) ping() *check.Ping {
	p := &check.Ping{
		CheckID:    r.CheckID,
		N:          int(r.N),
		Created:    fromInstant(r.Created),
		Kind:       check.PingKind(r.Kind),
		Scheme:     r.Scheme,
		RemoteAddr: r.RemoteAddr,
		Method:     r.Method,
		UA:         r.UA,
		RID:        r.RID,
	}
	if len(r.Body) > 0 {
		p.Body = r.Body
	}
	switch {
	case r.BodySize.Valid:
		p.BodySize = int(r.BodySize.Int64)
	case r.Body != nil:
		p.BodySize = len(r.Body)
	default:
		p.BodySize = check.BodySizeUnknown
	}
	if r.ExitStatus.Valid {
		s := int(r.ExitStatus.Int64)
		p.ExitStatus = &s
	}
	return p
}

// flipRow is a row of flips. The ID is the table's integer key; the domain sees it as a decimal
// string.
type flipRow struct {
	ID        int64
	CheckID   string
	Created   sql.NullInt64
	Processed sql.NullInt64
	OldStatus string
	NewStatus string
	Reason    string
	Note      string // version 15
}

var flipColumns = []string{"id", "check_id", "created", "processed", "old_status", "new_status", "reason", "note"}

func (r *flipRow) fields() []any {
	return []any{&r.ID, &r.CheckID, &r.Created, &r.Processed, &r.OldStatus, &r.NewStatus, &r.Reason, &r.Note}
}

func (r *flipRow) flip() *check.Flip {
	return &check.Flip{
		ID:        fmt.Sprint(r.ID),
		CheckID:   r.CheckID,
		Created:   fromInstant(r.Created),
		Processed: fromInstant(r.Processed),
		OldStatus: check.Status(r.OldStatus),
		NewStatus: check.Status(r.NewStatus),
		Reason:    r.Reason,
		Note:      r.Note,
	}
}

func scanFlips(rows *sql.Rows) ([]*check.Flip, error) {
	defer rows.Close()
	var out []*check.Flip
	for rows.Next() {
		var r flipRow
		if err := rows.Scan(r.fields()...); err != nil {
			return nil, err
		}
		out = append(out, r.flip())
	}
	return out, rows.Err()
}

// channelRow is a row of channels.
type channelRow struct {
	ID        string
	ProjectID string
	Kind      string
	Name      string
	Value     string
	Created   sql.NullInt64
	Disabled  bool
	LastError string
	Delay     int64 // nanoseconds, as durations are stored here
	Repeat    int64
	Late      bool // version 18
}

var channelColumns = []string{"id", "project_id", "kind", "name", "value", "created", "disabled", "last_error",
	"alert_delay", "alert_repeat", "alert_late"}

func (r *channelRow) fields() []any {
	return []any{&r.ID, &r.ProjectID, &r.Kind, &r.Name, &r.Value, &r.Created, &r.Disabled, &r.LastError,
		&r.Delay, &r.Repeat, &r.Late}
}

func channelToRow(ch *check.Channel) *channelRow {
	return &channelRow{
		ID:        ch.ID,
		ProjectID: ch.ProjectID,
		Kind:      ch.Kind,
		Name:      ch.Name,
		Value:     ch.Value,
		Created:   instant(ch.Created),
		Disabled:  ch.Disabled,
		LastError: ch.LastError,
		Delay:     int64(ch.Delay),
		Repeat:    int64(ch.Repeat),
		Late:      ch.Late,
	}
}

func (r *channelRow) channel() *check.Channel {
	return &check.Channel{
		ID:        r.ID,
		ProjectID: r.ProjectID,
		Kind:      r.Kind,
		Name:      r.Name,
		Value:     r.Value,
		Created:   fromInstant(r.Created),
		Disabled:  r.Disabled,
		LastError: r.LastError,
		Delay:     time.Duration(r.Delay),
		Repeat:    time.Duration(r.Repeat),
		Late:      r.Late,
	}
}
