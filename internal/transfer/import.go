package transfer

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/overduehq/overdue/internal/account"
	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/notify"
	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/schedule"
	"github.com/overduehq/overdue/internal/schema"
	"github.com/overduehq/overdue/internal/seal"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/totp"
)

// ImportOptions choose how Import writes.
type ImportOptions struct {
	// DryRun reads the file and the store and reports what would be written, writing nothing.
	DryRun bool
	// MergePeople allows memberships and API tokens for users or projects the store held
	// before the import. Without it such a grant is refused before anything is written: a file
	// must not give someone access to a project of this store, or a token to act as one of its
	// users, unless the operator has read the grants (Report.Grants, shown by --dry-run) and
	// asked for it.
	MergePeople bool
	// Box seals the authenticator apps' (TOTP) secrets the file carries, as the store seals
	// channel values: the store's own box. Without it, a file with such a factor is refused.
	Box *seal.Box
}

// Report says what an import found and did.
type Report struct {
	// File counts the records of the file.
	File Counts
	// Created counts what was written (on a dry run: what would be).
	Created Counts
	// Scope is the header's scope: ScopeInstall or ScopeProject.
	Scope string
	// Projects are the IDs and names of the file's projects, in file order.
	Projects []ProjectSummary
	// Grants are the permissions the import gives (on a dry run: would give), in file order.
	Grants []Grant
}

// Grant is one permission an import gives: a role in a project (a membership), or a personal API
// token, which acts as its user in every project the user belongs to.
type Grant struct {
	UserID, Email string
	// ProjectID and Role for a membership; TokenName for an API token.
	ProjectID string
	Role      people.Role
	TokenName string
	// Existing is true when the user or the project was in the store before the import.
	Existing bool
}

// String says the grant in a line: "alice@example.org: owner of project p1" or
// "alice@example.org: personal API token "ci"", with "(into an account or project already
// here)" when Existing.
func (g Grant) String() string {
	s := fmt.Sprintf("%s: %s of project %s", g.Email, g.Role, g.ProjectID)
	if g.TokenName != "" || g.ProjectID == "" {
		s = fmt.Sprintf("%s: personal API token %q (acts as the user in each of their projects)", g.Email, g.TokenName)
	}
	if g.Existing {
		s += " (into an account or project already here)"
	}
	return s
}

// ProjectSummary names one project of a file.
type ProjectSummary struct {
	ID, Name string
	// Existed is true when the store held the project before the import.
	Existed bool
}

// checkEntry is a check of the file with its history.
type checkEntry struct {
	c     *check.Check
	line  int
	pings []*check.Ping
	flips []*check.Flip
}

// windowEntry is a maintenance window of the file, with its line for errors.
type windowEntry struct {
	w    *check.Window
	line int
}

// parsed is a whole file, checked before anything is written.
type parsed struct {
	head        header
	projects    []*check.Project
	channels    []*check.Channel
	checks      []*checkEntry
	pages       []*check.StatusPage
	windows     []*windowEntry
	users       []*people.User
	memberships []people.Membership
	tokens      []*people.APIToken
	factors     []*people.SecondFactor // TOTP secrets in clear until apply seals them
	codes       map[string][]string    // user ID → recovery code hashes
	codeUsers   []string               // the users of codes, in file order
}

// Import reads a file that Export wrote and adds what st and ppl do not hold yet: projects,
// channels and checks by ID (an existing one is left as it is), pings by number, flips by
// instant and statuses, users by ID, memberships by project and user, API tokens by hash. So
// importing the same file twice changes nothing the second time. The whole file is read and
// checked first, and every conflict (a check's UUID taken by another project, a user's email
// taken by another account) is found before anything is written. Flips are imported as
// processed (at their creation time when the file has none): history, never an alert.
// ppl may be nil when the file holds no users.
func Import(ctx context.Context, r io.Reader, st store.Store, ppl store.People, opts ImportOptions) (*Report, error) {
	f, err := parse(r)
	if err != nil {
		return nil, err
	}
	rep := &Report{Scope: f.head.Scope}
	rep.File = Counts{Projects: len(f.projects), Channels: len(f.channels), Checks: len(f.checks), Windows: len(f.windows), StatusPages: len(f.pages),
		Users: len(f.users), Memberships: len(f.memberships), APITokens: len(f.tokens),
		SecondFactors: len(f.factors), RecoveryCodes: len(f.codeUsers)}
	for _, c := range f.checks {
		rep.File.Pings += len(c.pings)
		rep.File.Flips += len(c.flips)
	}
	if ppl == nil && (len(f.users) > 0 || len(f.memberships) > 0 || len(f.tokens) > 0) {
		return nil, errors.New("the file holds accounts, and this store keeps none")
	}
	p, err := plan(ctx, f, st, ppl, rep, opts.MergePeople)
	if err != nil {
		return nil, err
	}
	// Sealed now, so that a file this server cannot seal is refused before anything is written.
	for _, fa := range p.factors {
		if len(fa.Secret) == 0 {
			continue
		}
		sealed, err := account.SealTOTPSecret(opts.Box, fa.ID, fa.Secret)
		if err != nil {
			return nil, fmt.Errorf("second factor %s of user %s: %w", fa.ID, fa.UserID, err)
		}
		c := *fa
		c.Secret = sealed
		*fa = c
	}
	if opts.DryRun {
		return rep, nil
	}
	if err := p.apply(ctx, st, ppl); err != nil {
		return rep, err
	}
	return rep, nil
}

// parse reads and checks the whole file.
func parse(r io.Reader) (*parsed, error) {
	br := bufio.NewReader(r)
	f := &parsed{}
	projects := map[string]bool{}
	checks := map[string]*checkEntry{}
	users := map[string]bool{}
	var cur *checkEntry
	for line := 1; ; line++ {
		raw, err := br.ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("read line %d: %w", line, err)
		}
		if len(bytes.TrimSpace(raw)) == 0 {
			if errors.Is(err, io.EOF) {
				break
			}
			if line == 1 {
				return nil, errors.New("line 1: empty: an Overdue export starts with its header line")
			}
			continue
		}
		if perr := f.parseLine(line, raw, projects, checks, users, &cur); perr != nil {
			return nil, fmt.Errorf("line %d: %w", line, perr)
		}
		if errors.Is(err, io.EOF) {
			break
		}
	}
	if f.head.Type == "" {
		return nil, errors.New("the file is empty: an Overdue export starts with its header line")
	}
	return f, nil
}

func strict(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("not a valid record: %w", err)
	}
	return nil
}

func (f *parsed) parseLine(line int, raw []byte, projects map[string]bool, checks map[string]*checkEntry, users map[string]bool, cur **checkEntry) error {
	var typ struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(raw, &typ); err != nil {
		if line == 1 {
			return errors.New("not JSON: this is not an Overdue export (overdue export writes one)")
		}
		return fmt.Errorf("not JSON: %w", err)
	}
	if line == 1 {
		if typ.Type != TypeHeader {
			return errors.New("no header: this is not an Overdue export (overdue export writes one)")
		}
		if err := strict(raw, &f.head); err != nil {
			return err
		}
		return checkHeader(f.head)
	}
	var err error
	switch typ.Type {
	case TypeProject:
		var r projectRec
		if err = strict(raw, &r); err != nil {
			return err
		}
		p := &check.Project{ID: r.ID, Name: r.Name, APIKeyHash: r.APIKeyHash, ReadOnlyKeyHash: r.ReadOnlyKeyHash,
			PingKeyHash: r.PingKeyHash, BadgeKey: r.BadgeKey}
		if p.Created, err = parseTime("created", r.Created); err != nil {
			return err
		}
		if p.ID == "" {
			return errors.New("project without an id")
		}
		if projects[p.ID] {
			return fmt.Errorf("project %s appears twice", p.ID)
		}
		projects[p.ID] = true
		f.projects = append(f.projects, p)
	case TypeChannel:
		var r channelRec
		if err = strict(raw, &r); err != nil {
			return err
		}
		if !projects[r.Project] {
			return fmt.Errorf("channel %s: project %q does not come before it in the file", r.ID, r.Project)
		}
		ch := &check.Channel{ID: r.ID, ProjectID: r.Project, Kind: r.Kind, Name: r.Name, Value: r.Value,
			Disabled: r.Disabled, LastError: r.LastError, Delay: dur(r.Delay), Repeat: dur(r.Repeat), Late: r.Late}
		if r.Delay > int64(check.MaxChannelDelay/time.Second) || r.Repeat > int64(check.MaxChannelRepeat/time.Second) {
			ch.Delay, ch.Repeat = -1, -1 // out of range either way; dur could overflow
		}
		if err := check.ValidateTiming(ch.Delay, ch.Repeat); err != nil {
			return fmt.Errorf("channel %s: %w", r.ID, err)
		}
		// The API's rule and words: a file must not make a channel the API would refuse.
		if err := notify.ValidateLate(ch.Kind, ch.Value, ch.Late); err != nil {
			return fmt.Errorf("channel %s: %w", r.ID, err)
		}
		if ch.Created, err = parseTime("created", r.Created); err != nil {
			return err
		}
		if ch.ID == "" || ch.Kind == "" {
			return errors.New("channel without an id or a kind")
		}
		f.channels = append(f.channels, ch)
	case TypeCheck:
		var r checkRec
		if err = strict(raw, &r); err != nil {
			return err
		}
		c, err := recToCheck(r)
		if err != nil {
			return fmt.Errorf("check %s: %w", r.ID, err)
		}
		if !projects[c.ProjectID] {
			return fmt.Errorf("check %s: project %q does not come before it in the file", c.ID, c.ProjectID)
		}
		if checks[c.ID] != nil {
			return fmt.Errorf("check %s appears twice", c.ID)
		}
		e := &checkEntry{c: c, line: line}
		checks[c.ID] = e
		f.checks = append(f.checks, e)
		*cur = e
	case TypeWindow:
		var r windowRec
		if err = strict(raw, &r); err != nil {
			return err
		}
		if !projects[r.Project] {
			return fmt.Errorf("maintenance window %s: project %q does not come before it in the file", r.ID, r.Project)
		}
		w := &check.Window{ID: r.ID, ProjectID: r.Project, CheckID: r.Check, Tag: r.Tag, Schedule: r.Schedule,
			TZ: r.TZ, Duration: dur(r.Duration)}
		if w.Start, err = parseTime("start", r.Start); err != nil {
			return err
		}
		if w.End, err = parseTime("end", r.End); err != nil {
			return err
		}
		if w.Created, err = parseTime("created", r.Created); err != nil {
			return err
		}
		if w.ID == "" {
			return errors.New("maintenance window without an id")
		}
		if err := w.Validate(); err != nil {
			return fmt.Errorf("maintenance window %s: %w", w.ID, err)
		}
		if w.Recurring() {
			if _, err := schedule.Parse(w.Schedule, w.TZ); err != nil {
				return fmt.Errorf("maintenance window %s: %w", w.ID, err)
			}
		}
		f.windows = append(f.windows, &windowEntry{w: w, line: line})
	case TypePing:
		var r pingRec
		if err = strict(raw, &r); err != nil {
			return err
		}
		if *cur == nil || (*cur).c.ID != r.Check {
			return fmt.Errorf("ping %d of check %s does not follow its check", r.N, r.Check)
		}
		p := &check.Ping{CheckID: r.Check, N: r.N, Kind: check.PingKind(r.Kind), Scheme: r.Scheme,
			RemoteAddr: r.RemoteAddr, Method: r.Method, UA: r.UA, Body: r.Body, BodySize: r.BodySize,
			ExitStatus: r.ExitStatus, RID: r.RID}
		if p.Created, err = parseTime("created", r.Created); err != nil {
			return err
		}
		if p.N < 1 {
			return fmt.Errorf("ping of check %s: n %d is not a positive number", r.Check, r.N)
		}
		(*cur).pings = append((*cur).pings, p)
	case TypeFlip:
		var r flipRec
		if err = strict(raw, &r); err != nil {
			return err
		}
		if *cur == nil || (*cur).c.ID != r.Check {
			return fmt.Errorf("flip of check %s does not follow its check", r.Check)
		}
		fl := &check.Flip{CheckID: r.Check, OldStatus: check.Status(r.OldStatus), NewStatus: check.Status(r.NewStatus), Reason: r.Reason, Note: r.Note}
		if fl.Created, err = parseTime("created", r.Created); err != nil {
			return err
		}
		if fl.Processed, err = parseTime("processed", r.Processed); err != nil {
			return err
		}
		if fl.Created.IsZero() {
			return fmt.Errorf("flip of check %s without its created instant", r.Check)
		}
		(*cur).flips = append((*cur).flips, fl)
	case TypeStatusPage:
		var r statusPageRec
		if err = strict(raw, &r); err != nil {
			return err
		}
		if !projects[r.Project] {
			return fmt.Errorf("status page: project %q does not come before it in the file", r.Project)
		}
		sp := &check.StatusPage{ProjectID: r.Project, Key: r.Key, Public: r.Public, Checks: r.Checks}
		if err := sp.Validate(); err != nil {
			return fmt.Errorf("status page of project %s: %w", r.Project, err)
		}
		for _, other := range f.pages {
			if other.ProjectID == sp.ProjectID {
				return fmt.Errorf("project %s has a second status page", sp.ProjectID)
			}
			if other.Key == sp.Key {
				return fmt.Errorf("status pages of projects %s and %s have the same key", other.ProjectID, sp.ProjectID)
			}
		}
		f.pages = append(f.pages, sp)
	case TypeUser:
		var r userRec
		if err = strict(raw, &r); err != nil {
			return err
		}
		u := &people.User{ID: r.ID, Email: r.Email, Name: r.Name, PasswordHash: r.PasswordHash, TimeZone: r.TimeZone,
			Reports: people.ReportPeriod(r.Reports), Reminders: people.ReminderPeriod(r.Reminders),
			ReportSlot: r.ReportSlot, ReminderSlot: r.ReminderSlot}
		if u.Created, err = parseTime("created", r.Created); err != nil {
			return err
		}
		if err := u.Validate(); err != nil {
			return fmt.Errorf("user %s: %w", r.ID, err)
		}
		users[u.ID] = true
		f.users = append(f.users, u)
	case TypeMembership:
		var r membershipRec
		if err = strict(raw, &r); err != nil {
			return err
		}
		if !projects[r.Project] || !users[r.User] {
			return fmt.Errorf("membership of user %s in project %s: the user and the project must come before it in the file", r.User, r.Project)
		}
		m := people.Membership{ProjectID: r.Project, UserID: r.User, Role: people.Role(r.Role)}
		if m.Created, err = parseTime("created", r.Created); err != nil {
			return err
		}
		if err := m.Validate(); err != nil {
			return fmt.Errorf("membership of user %s in project %s: %w", r.User, r.Project, err)
		}
		f.memberships = append(f.memberships, m)
	case TypeAPIToken:
		var r tokenRec
		if err = strict(raw, &r); err != nil {
			return err
		}
		if !users[r.User] {
			return fmt.Errorf("API token %s: user %s does not come before it in the file", r.ID, r.User)
		}
		t := &people.APIToken{ID: r.ID, Hash: r.Hash, UserID: r.User, Name: r.Name}
		if t.Created, err = parseTime("created", r.Created); err != nil {
			return err
		}
		if t.LastUsed, err = parseTime("last_used", r.LastUsed); err != nil {
			return err
		}
		if err := t.Validate(); err != nil {
			return fmt.Errorf("API token %s: %w", r.ID, err)
		}
		f.tokens = append(f.tokens, t)
	case TypeSecondFactor:
		var r factorRec
		if err = strict(raw, &r); err != nil {
			return err
		}
		if !users[r.User] {
			return fmt.Errorf("second factor %s: user %s does not come before it in the file", r.ID, r.User)
		}
		fa := &people.SecondFactor{ID: r.ID, UserID: r.User, Kind: people.FactorKind(r.Kind), Name: r.Name, Public: r.Public, Counter: r.Counter}
		if fa.Created, err = parseTime("created", r.Created); err != nil {
			return err
		}
		if r.Secret != "" {
			if fa.Secret, err = totp.Decode(r.Secret); err != nil {
				return fmt.Errorf("second factor %s: its secret: %w", r.ID, err)
			}
		}
		if err := fa.Validate(); err != nil {
			return fmt.Errorf("second factor %s: %w", r.ID, err)
		}
		f.factors = append(f.factors, fa)
	case TypeRecoveryCodes:
		var r recoveryRec
		if err = strict(raw, &r); err != nil {
			return err
		}
		if !users[r.User] {
			return fmt.Errorf("recovery codes: user %s does not come before them in the file", r.User)
		}
		if _, dup := f.codes[r.User]; dup {
			return fmt.Errorf("user %s has a second set of recovery codes", r.User)
		}
		if f.codes == nil {
			f.codes = map[string][]string{}
		}
		f.codes[r.User] = r.Hashes
		f.codeUsers = append(f.codeUsers, r.User)
	case TypeHeader:
		return errors.New("a second header: files cannot be concatenated; import them one by one")
	default:
		return fmt.Errorf("unknown record type %q (this build reads format %d: %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
			typ.Type, Format, TypeProject, TypeChannel, TypeCheck, TypePing, TypeFlip, TypeStatusPage, TypeUser, TypeMembership, TypeAPIToken,
			TypeSecondFactor, TypeRecoveryCodes)
	}
	return nil
}

// checkHeader refuses a file this build cannot read: a newer format, or data written by a build
// whose data model this one cannot use, with the guard's own message.
func checkHeader(h header) error {
	if h.Format > Format || h.Format < 1 {
		return fmt.Errorf("file format %d: this build reads format %d; import it with a build that wrote it, or a newer one", h.Format, Format)
	}
	if h.Scope != ScopeInstall && h.Scope != ScopeProject {
		return fmt.Errorf("scope %q: want %s or %s", h.Scope, ScopeInstall, ScopeProject)
	}
	if _, err := schema.Check(schema.Version{Version: h.DataModel, MinReader: h.MinReader}, schema.This()); err != nil {
		var ve *schema.VersionError
		if errors.As(err, &ve) && !ve.Newer() {
			return nil // an older file: the format, not the data model, says how to read it
		}
		return err
	}
	return nil
}

func recToCheck(r checkRec) (*check.Check, error) {
	c := &check.Check{
		ID: r.ID, ProjectID: r.Project, Name: r.Name, Slug: r.Slug, Tags: r.Tags, Desc: r.Desc,
		Kind: check.Kind(r.Kind), Timeout: dur(r.Timeout), Schedule: r.Schedule, TZ: r.TZ, Grace: dur(r.Grace),
		Methods: r.Methods, ManualResume: r.ManualResume, StartKw: r.StartKw, SuccessKw: r.SuccessKw,
		FailureKw: r.FailureKw, FilterSubject: r.FilterSubject, FilterBody: r.FilterBody,
		FilterHTTPBody: r.FilterHTTPBody, FilterDefaultFail: r.FilterDefaultFail, BadgeKey: r.BadgeKey,
		Channels: r.Channels, Status: check.Status(r.Status), NPings: r.NPings, LastStartRID: r.LastStartRID,
		LastDuration: dur(r.LastDuration),
		StartGrace:   dur(r.StartGrace), MaxRuntime: dur(r.MaxRuntime), MinRuntime: dur(r.MinRuntime),
		FailureTolerance: r.FailureTolerance, FailStreak: r.FailStreak, HeldReason: r.HeldReason,
		DependsOn: r.DependsOn, HeldParent: r.HeldParent, HeldNote: r.HeldNote, FlapSent: check.Status(r.FlapSent),
		LateNotice: r.LateNotice,
	}
	if r.FailureRate != nil {
		c.FailureRate = check.FailureRate{Failures: r.FailureRate.Count, Window: dur(r.FailureRate.Window)}
	}
	if r.Flapping != nil {
		c.Flap = check.FlapRule{Changes: r.Flapping.Count, Window: dur(r.Flapping.Window)}
	}
	if c.ID == "" {
		return nil, errors.New("no id")
	}
	switch c.Kind {
	case check.KindSimple, check.KindCron, check.KindOnCalendar:
	default:
		return nil, fmt.Errorf("kind %q: want simple, cron or oncalendar", r.Kind)
	}
	switch c.Status {
	case check.StatusNew, check.StatusUp, check.StatusDown, check.StatusPaused:
	default:
		return nil, fmt.Errorf("status %q: want new, up, down or paused", r.Status)
	}
	var err error
	if c.Created, err = parseTime("created", r.Created); err != nil {
		return nil, err
	}
	if c.LastPing, err = parseTime("last_ping", r.LastPing); err != nil {
		return nil, err
	}
	if c.LastStart, err = parseTime("last_start", r.LastStart); err != nil {
		return nil, err
	}
	if c.AlertAfter, err = parseTime("alert_after", r.AlertAfter); err != nil {
		return nil, err
	}
	if c.SnoozeUntil, err = parseTime("snooze_until", r.SnoozeUntil); err != nil {
		return nil, err
	}
	if c.HeldUntil, err = parseTime("held_until", r.HeldUntil); err != nil {
		return nil, err
	}
	if c.LateFor, err = parseTime("late_for", r.LateFor); err != nil {
		return nil, err
	}
	for _, l := range []struct {
		name string
		in   []string
		out  *[]time.Time
	}{{"fail_times", r.FailTimes, &c.FailTimes}, {"change_times", r.ChangeTimes, &c.ChangeTimes}} {
		for _, s := range l.in {
			t, err := parseTime(l.name, s)
			if err != nil {
				return nil, err
			}
			*l.out = append(*l.out, t)
		}
	}
	if err := c.ValidateRules(); err != nil {
		return nil, err
	}
	return c, nil
}
