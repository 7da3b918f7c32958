// Package transfer moves Overdue's data between stores: Export writes a project, or a whole
// install, as a file of JSON lines; Import reads one into any store. It works only through the
// store contract (store.Store and store.People), so a trial on SQLite moves to DynamoDB, and
// back, with every check's UUID, every key (as its hash), the channels and the recent history.
//
// # The format (version 1)
//
// One JSON object per line, UTF-8, each with a "type". The first line is the header:
//
//	{"type":"header","format":1,"data_model":6,"min_reader":3,"scope":"install"}
//
// data_model and min_reader are those of the build that wrote the file; a build refuses a file
// whose min_reader is above its own data model, with the guard's message. scope is "install"
// (every project and every user) or "project" (one project and its members). Then, in this
// order, each project followed by its channels, its checks (each check followed by its pings
// and then its flips, oldest first), its maintenance windows and its status page; then the
// users, their memberships, their personal API tokens, their second factors and their recovery
// codes. Instants are RFC 3339 in UTC with microseconds; an absent instant is
// left out. Durations are whole seconds. Keys are the stored SHA-256 hashes, never the keys;
// channel values and authenticator apps' (TOTP) secrets are in plain text, so the file holds
// secrets: it is written with mode 0600, and an import seals them under its own server's secret. Unknown fields are refused, so a
// file is never half understood.
//
// The records:
//
//	project     id, name, created, api_key_hash, read_only_key_hash, ping_key_hash, badge_key
//	channel     id, project, kind, name, value, created, disabled, last_error, delay, repeat
//	check       id, project, name, slug, tags, desc, created, kind, timeout, schedule, tz, grace,
//	            methods, manual_resume, start_kw, success_kw, failure_kw, filter_subject,
//	            filter_body, filter_http_body, filter_default_fail, badge_key, channels, status,
//	            n_pings, last_ping, last_start, last_start_rid, last_duration, alert_after
//	ping        check, n, created, kind, scheme, remote_addr, method, ua, body (base64),
//	            body_size, exit_status, rid
//	flip        check, created, processed, old_status, new_status, reason
//	window      id, project, check, tag, start, end, schedule, tz, duration, created
//	            (a maintenance window; builds before them refuse the line)
//	status_page project, key, public, checks (data model 11; builds before it refuse the line)
//	user        id, email, name, password_hash, time_zone, created, reports, reminders,
//	            report_slot, reminder_slot (the email report settings and the reporter's
//	            cursor, data model 14)
//	membership  project, user, role, created
//	api_token   id, hash, user, name, created, last_used
//	second_factor    id, user, kind, name, secret (TOTP: the secret in base32, in clear),
//	            public (WebAuthn: the credential's public key, base64), counter, created
//	recovery_codes   user, hashes (the SHA-256 hashes of the unused codes; never the codes)
package transfer

import (
	"time"
)

// Format is the version of the file format this build writes and reads.
const Format = 1

// Record types, the "type" of each line.
const (
	TypeHeader     = "header"
	TypeProject    = "project"
	TypeChannel    = "channel"
	TypeCheck      = "check"
	TypePing       = "ping"
	TypeFlip       = "flip"
	TypeStatusPage = "status_page"
	TypeWindow     = "window"
	TypeUser       = "user"
	TypeMembership = "membership"
	TypeAPIToken   = "api_token"
	// TypeSecondFactor and TypeRecoveryCodes came with data model 11's second factors; files
	// before this build have none, and builds before it refuse them as unknown.
	TypeSecondFactor  = "second_factor"
	TypeRecoveryCodes = "recovery_codes"
)

// Scopes of a file.
const (
	ScopeInstall = "install"
	ScopeProject = "project"
)

// timeLayout is RFC 3339 with exactly six fractional digits: stores keep microseconds, and a
// fixed width makes the files of two stores compare equal byte for byte.
const timeLayout = "2006-01-02T15:04:05.000000Z07:00"

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Truncate(time.Microsecond).Format(timeLayout)
}

func parseTime(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, &fieldError{field: field, msg: "is not an RFC 3339 instant such as 2026-01-02T03:04:05.000000Z"}
	}
	return t.UTC().Truncate(time.Microsecond), nil
}

func secs(d time.Duration) int64 { return int64(d / time.Second) }

func dur(s int64) time.Duration { return time.Duration(s) * time.Second }

type fieldError struct {
	field, msg string
}

func (e *fieldError) Error() string { return "field " + e.field + " " + e.msg }

// header is the first line.
type header struct {
	Type      string `json:"type"`
	Format    int    `json:"format"`
	DataModel int    `json:"data_model"`
	MinReader int    `json:"min_reader"`
	Scope     string `json:"scope"`
}

type projectRec struct {
	Type            string `json:"type"`
	ID              string `json:"id"`
	Name            string `json:"name"`
	Created         string `json:"created,omitempty"`
	APIKeyHash      string `json:"api_key_hash,omitempty"`
	ReadOnlyKeyHash string `json:"read_only_key_hash,omitempty"`
	PingKeyHash     string `json:"ping_key_hash,omitempty"`
	BadgeKey        string `json:"badge_key,omitempty"`
}

type channelRec struct {
	Type      string `json:"type"`
	ID        string `json:"id"`
	Project   string `json:"project"`
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Value     string `json:"value"`
	Created   string `json:"created,omitempty"`
	Disabled  bool   `json:"disabled,omitempty"`
	LastError string `json:"last_error,omitempty"`
	// Delay and Repeat are the channel's timing in seconds, absent when none.
	Delay  int64 `json:"delay,omitempty"`
	Repeat int64 `json:"repeat,omitempty"`
	// Late says the channel also gets late notices, absent when not.
	Late bool `json:"late,omitempty"`
}

type checkRec struct {
	Type              string   `json:"type"`
	ID                string   `json:"id"`
	Project           string   `json:"project"`
	Name              string   `json:"name"`
	Slug              string   `json:"slug"`
	Tags              string   `json:"tags"`
	Desc              string   `json:"desc"`
	Created           string   `json:"created,omitempty"`
	Kind              string   `json:"kind"`
	Timeout           int64    `json:"timeout"`
	Schedule          string   `json:"schedule"`
	TZ                string   `json:"tz"`
	Grace             int64    `json:"grace"`
	Methods           string   `json:"methods"`
	ManualResume      bool     `json:"manual_resume"`
	StartKw           string   `json:"start_kw"`
	SuccessKw         string   `json:"success_kw"`
	FailureKw         string   `json:"failure_kw"`
	FilterSubject     bool     `json:"filter_subject"`
	FilterBody        bool     `json:"filter_body"`
	FilterHTTPBody    bool     `json:"filter_http_body"`
	FilterDefaultFail bool     `json:"filter_default_fail"`
	BadgeKey          string   `json:"badge_key,omitempty"`
	Channels          []string `json:"channels"`
	Status            string   `json:"status"`
	NPings            int      `json:"n_pings"`
	LastPing          string   `json:"last_ping,omitempty"`
	LastStart         string   `json:"last_start,omitempty"`
	LastStartRID      string   `json:"last_start_rid,omitempty"`
	LastDuration      int64    `json:"last_duration,omitempty"`
	AlertAfter        string   `json:"alert_after,omitempty"`
	// The alert rules (data model 7), absent when off, and their state.
	StartGrace       int64  `json:"start_grace,omitempty"`
	MaxRuntime       int64  `json:"max_runtime,omitempty"`
	MinRuntime       int64  `json:"min_runtime,omitempty"`
	FailureTolerance int    `json:"failure_tolerance,omitempty"`
	SnoozeUntil      string `json:"snooze_until,omitempty"`
	FailStreak       int    `json:"fail_streak,omitempty"`
	HeldReason       string `json:"held_reason,omitempty"`
	HeldUntil        string `json:"held_until,omitempty"`
	// Dependencies, failure rate and flapping (data model 11), absent when off, and their state.
	DependsOn   []string     `json:"depends_on,omitempty"`
	FailureRate *countWindow `json:"failure_rate,omitempty"`
	Flapping    *countWindow `json:"flapping,omitempty"`
	HeldParent  string       `json:"held_parent,omitempty"`
	HeldNote    string       `json:"held_note,omitempty"`
	FailTimes   []string     `json:"fail_times,omitempty"`
	ChangeTimes []string     `json:"change_times,omitempty"`
	FlapSent    string       `json:"flap_sent,omitempty"`
	// LateNotice: the check's channels reach a late channel; LateFor: the grace start of its
	// last late notice.
	LateNotice bool   `json:"late_notice,omitempty"`
	LateFor    string `json:"late_for,omitempty"`
}

// countWindow is a failure_rate ("failures") or flapping ("changes") rule, its window in
// seconds as every duration of the format.
type countWindow struct {
	Count  int   `json:"count"`
	Window int64 `json:"window"`
}

type pingRec struct {
	Type       string `json:"type"`
	Check      string `json:"check"`
	N          int    `json:"n"`
	Created    string `json:"created"`
	Kind       string `json:"kind"`
	Scheme     string `json:"scheme,omitempty"`
	RemoteAddr string `json:"remote_addr,omitempty"`
	Method     string `json:"method,omitempty"`
	UA         string `json:"ua,omitempty"`
	Body       []byte `json:"body,omitempty"`
	BodySize   int    `json:"body_size"`
	ExitStatus *int   `json:"exit_status,omitempty"`
	RID        string `json:"rid,omitempty"`
}

type flipRec struct {
	Type      string `json:"type"`
	Check     string `json:"check"`
	Created   string `json:"created"`
	Processed string `json:"processed,omitempty"`
	OldStatus string `json:"old_status"`
	NewStatus string `json:"new_status"`
	Reason    string `json:"reason,omitempty"`
	Note      string `json:"note,omitempty"`
}

type windowRec struct {
	Type     string `json:"type"`
	ID       string `json:"id"`
	Project  string `json:"project"`
	Check    string `json:"check,omitempty"`
	Tag      string `json:"tag,omitempty"`
	Start    string `json:"start,omitempty"`
	End      string `json:"end,omitempty"`
	Schedule string `json:"schedule,omitempty"`
	TZ       string `json:"tz,omitempty"`
	Duration int64  `json:"duration,omitempty"`
	Created  string `json:"created,omitempty"`
}

type statusPageRec struct {
	Type    string   `json:"type"`
	Project string   `json:"project"`
	Key     string   `json:"key"`
	Public  bool     `json:"public"`
	Checks  []string `json:"checks"`
}

type userRec struct {
	Type         string `json:"type"`
	ID           string `json:"id"`
	Email        string `json:"email"`
	Name         string `json:"name,omitempty"`
	PasswordHash string `json:"password_hash,omitempty"`
	TimeZone     string `json:"time_zone,omitempty"`
	Created      string `json:"created,omitempty"`
	// The email report settings and the reporter's cursor (absent: the defaults, none sent).
	Reports      string `json:"reports,omitempty"`
	Reminders    string `json:"reminders,omitempty"`
	ReportSlot   string `json:"report_slot,omitempty"`
	ReminderSlot string `json:"reminder_slot,omitempty"`
}

type membershipRec struct {
	Type    string `json:"type"`
	Project string `json:"project"`
	User    string `json:"user"`
	Role    string `json:"role"`
	Created string `json:"created,omitempty"`
}

type tokenRec struct {
	Type     string `json:"type"`
	ID       string `json:"id"`
	Hash     string `json:"hash"`
	User     string `json:"user"`
	Name     string `json:"name,omitempty"`
	Created  string `json:"created,omitempty"`
	LastUsed string `json:"last_used,omitempty"`
}

type factorRec struct {
	Type    string `json:"type"`
	ID      string `json:"id"`
	User    string `json:"user"`
	Kind    string `json:"kind"`
	Name    string `json:"name,omitempty"`
	Secret  string `json:"secret,omitempty"`
	Public  []byte `json:"public,omitempty"`
	Counter int64  `json:"counter,omitempty"`
	Created string `json:"created,omitempty"`
}

type recoveryRec struct {
	Type   string   `json:"type"`
	User   string   `json:"user"`
	Hashes []string `json:"hashes"`
}
