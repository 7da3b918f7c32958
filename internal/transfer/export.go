package transfer

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/overduehq/overdue/internal/account"
	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/schema"
	"github.com/overduehq/overdue/internal/seal"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/totp"
)

// maxPings is how many of a check's newest pings an export asks the store for: more than any
// store keeps (store.Options.PingLimit, 100 by default).
const maxPings = 100000

// Counts says how many records of each kind a file held or an import wrote.
type Counts struct {
	Projects, Channels, Checks, Pings, Flips, Windows, StatusPages, Users, Memberships, APITokens int
	// SecondFactors counts factors; RecoveryCodes the users whose unused codes were carried.
	SecondFactors, RecoveryCodes int
}

// String is "1 project, 3 channels, …", leaving out kinds with none.
func (c Counts) String() string {
	var parts []string
	for _, p := range []struct {
		n    int
		name string
	}{
		{c.Projects, "project"}, {c.Channels, "channel"}, {c.Checks, "check"}, {c.Pings, "ping"},
		{c.Flips, "flip"}, {c.Windows, "maintenance window"}, {c.StatusPages, "status page"}, {c.Users, "user"}, {c.Memberships, "membership"}, {c.APITokens, "API token"},
		{c.SecondFactors, "second factor"}, {c.RecoveryCodes, "set of recovery codes"},
	} {
		switch {
		case p.n == 1:
			parts = append(parts, "1 "+p.name)
		case p.n > 1:
			parts = append(parts, fmt.Sprintf("%d %ss", p.n, p.name))
		}
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, ", ")
}

// ExportOptions choose what Export writes.
type ExportOptions struct {
	// ProjectID limits the file to one project and the users who are its members; "" exports
	// the whole install.
	ProjectID string
	// Box opens the authenticator apps' (TOTP) secrets, which the file carries in clear, as
	// it carries channel values: the store's own box. Without it, an export of a user with
	// such a factor fails (account.ErrNoBox).
	Box *seal.Box
}

// Export writes the file: the projects of st (or the one chosen), their channels, checks,
// pings and flips, and the users of ppl with their memberships and API tokens. ppl may be nil
// for a store without accounts. Records of one kind are ordered by creation time and ID, so
// two stores holding the same data give the same file byte for byte.
func Export(ctx context.Context, w io.Writer, st store.Store, ppl store.People, opts ExportOptions) (Counts, error) {
	var n Counts
	scope := ScopeInstall
	if opts.ProjectID != "" {
		scope = ScopeProject
	}
	fw, err := NewWriter(w, scope)
	if err != nil {
		return n, err
	}

	var projects []*check.Project
	if opts.ProjectID != "" {
		p, err := st.Project(ctx, opts.ProjectID)
		if err != nil {
			return n, fmt.Errorf("load project %s: %w", opts.ProjectID, err)
		}
		projects = []*check.Project{p}
	} else {
		ps, err := st.Projects(ctx)
		if err != nil {
			return n, fmt.Errorf("list projects: %w", err)
		}
		// The install's ingestion canary stays: every install makes its own (random IDs in its
		// data), and an imported copy would be a project nobody pings, nor manages.
		canary, err := st.Canary(ctx)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return n, fmt.Errorf("find the ingestion canary: %w", err)
		}
		projects = slices.DeleteFunc(ps, func(p *check.Project) bool { return p.ID == canary.ProjectID })
	}
	sortByCreated(projects, func(p *check.Project) (time.Time, string) { return p.Created, p.ID })
	for _, p := range projects {
		if err := exportProject(ctx, fw, st, p, &n); err != nil {
			return n, err
		}
	}
	if ppl != nil {
		if err := exportPeople(ctx, fw.enc, ppl, projects, opts.ProjectID != "", opts.Box, &n); err != nil {
			return n, err
		}
	}
	return n, fw.Flush()
}

func exportProject(ctx context.Context, fw *Writer, st store.Store, p *check.Project, n *Counts) error {
	if err := fw.Project(p); err != nil {
		return err
	}
	n.Projects++
	chans, err := st.Channels(ctx, p.ID)
	if err != nil {
		return fmt.Errorf("list channels of project %s: %w", p.ID, err)
	}
	sortByCreated(chans, func(c *check.Channel) (time.Time, string) { return c.Created, c.ID })
	for _, c := range chans {
		if err := fw.Channel(c); err != nil {
			return err
		}
		n.Channels++
	}
	checks, err := st.Checks(ctx, p.ID)
	if err != nil {
		return fmt.Errorf("list checks of project %s: %w", p.ID, err)
	}
	sortByCreated(checks, func(c *check.Check) (time.Time, string) { return c.Created, c.ID })
	for _, c := range checks {
		if err := exportCheck(ctx, fw, st, c, n); err != nil {
			return err
		}
	}
	windows, err := st.Windows(ctx, p.ID)
	if err != nil {
		return fmt.Errorf("list maintenance windows of project %s: %w", p.ID, err)
	}
	sortByCreated(windows, func(w *check.Window) (time.Time, string) { return w.Created, w.ID })
	for _, w := range windows {
		if err := fw.Window(w); err != nil {
			return err
		}
		n.Windows++
	}
	sp, err := st.StatusPage(ctx, p.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil
	case err != nil:
		return fmt.Errorf("load status page of project %s: %w", p.ID, err)
	}
	if err := fw.StatusPage(sp); err != nil {
		return err
	}
	n.StatusPages++
	return nil
}

func exportCheck(ctx context.Context, fw *Writer, st store.Store, c *check.Check, n *Counts) error {
	if err := fw.Check(c); err != nil {
		return err
	}
	n.Checks++
	pings, err := st.Pings(ctx, c.ID, maxPings)
	if err != nil {
		return fmt.Errorf("list pings of check %s: %w", c.ID, err)
	}
	slices.Reverse(pings)
	for _, listed := range pings {
		// Listings leave bodies out; a ping with a body is loaded whole.
		p := listed
		if p.BodySize != 0 && len(p.Body) == 0 {
			if p, err = st.Ping(ctx, c.ID, listed.N); err != nil {
				if errors.Is(err, store.ErrNotFound) {
					continue // trimmed since the listing
				}
				return fmt.Errorf("load ping %d of check %s: %w", listed.N, c.ID, err)
			}
		}
		if err := fw.Ping(p); err != nil {
			return err
		}
		n.Pings++
	}
	flips, err := st.Flips(ctx, c.ID, store.FlipQuery{})
	if err != nil {
		return fmt.Errorf("list flips of check %s: %w", c.ID, err)
	}
	slices.Reverse(flips)
	for _, f := range flips {
		if err := fw.Flip(f); err != nil {
			return err
		}
		n.Flips++
	}
	return nil
}

func checkToRec(c *check.Check) checkRec {
	chans := c.Channels
	if chans == nil {
		chans = []string{}
	}
	r := checkRec{
		Type: TypeCheck, ID: c.ID, Project: c.ProjectID, Name: c.Name, Slug: c.Slug, Tags: c.Tags,
		Desc: c.Desc, Created: fmtTime(c.Created), Kind: string(c.Kind), Timeout: secs(c.Timeout),
		Schedule: c.Schedule, TZ: c.TZ, Grace: secs(c.Grace), Methods: c.Methods,
		ManualResume: c.ManualResume, StartKw: c.StartKw, SuccessKw: c.SuccessKw, FailureKw: c.FailureKw,
		FilterSubject: c.FilterSubject, FilterBody: c.FilterBody, FilterHTTPBody: c.FilterHTTPBody,
		FilterDefaultFail: c.FilterDefaultFail, BadgeKey: c.BadgeKey, Channels: chans,
		Status: string(c.Status), NPings: c.NPings, LastPing: fmtTime(c.LastPing),
		LastStart: fmtTime(c.LastStart), LastStartRID: c.LastStartRID,
		LastDuration: secs(c.LastDuration), AlertAfter: fmtTime(c.AlertAfter),
		StartGrace: secs(c.StartGrace), MaxRuntime: secs(c.MaxRuntime), MinRuntime: secs(c.MinRuntime),
		FailureTolerance: c.FailureTolerance, SnoozeUntil: fmtTime(c.SnoozeUntil),
		FailStreak: c.FailStreak, HeldReason: c.HeldReason, HeldUntil: fmtTime(c.HeldUntil),
		DependsOn: c.DependsOn, HeldParent: c.HeldParent, HeldNote: c.HeldNote,
		FailTimes: fmtTimes(c.FailTimes), ChangeTimes: fmtTimes(c.ChangeTimes), FlapSent: string(c.FlapSent),
		LateNotice: c.LateNotice, LateFor: fmtTime(c.LateFor),
	}
	if c.FailureRate.On() {
		r.FailureRate = &countWindow{Count: c.FailureRate.Failures, Window: secs(c.FailureRate.Window)}
	}
	if c.Flap.On() {
		r.Flapping = &countWindow{Count: c.Flap.Changes, Window: secs(c.Flap.Window)}
	}
	return r
}

// fmtTimes is fmtTime of each instant.
func fmtTimes(ts []time.Time) []string {
	var out []string
	for _, t := range ts {
		out = append(out, fmtTime(t))
	}
	return out
}

// exportPeople writes the users (all, or the members of the one project), then the
// memberships in the exported projects, then the users' API tokens.
func exportPeople(ctx context.Context, enc *json.Encoder, ppl store.People, projects []*check.Project, oneProject bool, box *seal.Box, n *Counts) error {
	inScope := map[string]bool{}
	for _, p := range projects {
		inScope[p.ID] = true
	}
	users, err := ppl.Users(ctx)
	if err != nil {
		return fmt.Errorf("list users: %w", err)
	}
	sortByCreated(users, func(u *people.User) (time.Time, string) { return u.Created, u.ID })
	var members []people.Membership
	var kept []*people.User
	for _, u := range users {
		ms, err := ppl.Memberships(ctx, u.ID)
		if err != nil {
			return fmt.Errorf("list memberships of user %s: %w", u.ID, err)
		}
		ms = slices.DeleteFunc(ms, func(m people.Membership) bool { return !inScope[m.ProjectID] })
		if oneProject && len(ms) == 0 {
			continue
		}
		kept = append(kept, u)
		members = append(members, ms...)
	}
	for _, u := range kept {
		if err := enc.Encode(userRec{
			Type: TypeUser, ID: u.ID, Email: u.Email, Name: u.Name, PasswordHash: u.PasswordHash,
			TimeZone: u.TimeZone, Created: fmtTime(u.Created), Reports: string(u.Reports), Reminders: string(u.Reminders),
			ReportSlot: u.ReportSlot, ReminderSlot: u.ReminderSlot,
		}); err != nil {
			return err
		}
		n.Users++
	}
	slices.SortStableFunc(members, func(a, b people.Membership) int {
		if c := strings.Compare(a.ProjectID, b.ProjectID); c != 0 {
			return c
		}
		return strings.Compare(a.UserID, b.UserID)
	})
	for _, m := range members {
		if err := enc.Encode(membershipRec{
			Type: TypeMembership, Project: m.ProjectID, User: m.UserID, Role: string(m.Role), Created: fmtTime(m.Created),
		}); err != nil {
			return err
		}
		n.Memberships++
	}
	for _, u := range kept {
		toks, err := ppl.APITokens(ctx, u.ID)
		if err != nil {
			return fmt.Errorf("list API tokens of user %s: %w", u.ID, err)
		}
		sortByCreated(toks, func(t *people.APIToken) (time.Time, string) { return t.Created, t.ID })
		for _, t := range toks {
			if err := enc.Encode(tokenRec{
				Type: TypeAPIToken, ID: t.ID, Hash: t.Hash, User: t.UserID, Name: t.Name,
				Created: fmtTime(t.Created), LastUsed: fmtTime(t.LastUsed),
			}); err != nil {
				return err
			}
			n.APITokens++
		}
	}
	return exportFactors(ctx, enc, ppl, kept, box, n)
}

// exportFactors writes the users' second factors (each user's oldest first), TOTP secrets
// opened with box, then each user's unused recovery codes (their hashes).
func exportFactors(ctx context.Context, enc *json.Encoder, ppl store.People, users []*people.User, box *seal.Box, n *Counts) error {
	for _, u := range users {
		fs, err := ppl.SecondFactors(ctx, u.ID)
		if err != nil {
			return fmt.Errorf("list second factors of user %s: %w", u.ID, err)
		}
		sortByCreated(fs, func(f *people.SecondFactor) (time.Time, string) { return f.Created, f.ID })
		for _, f := range fs {
			rec := factorRec{Type: TypeSecondFactor, ID: f.ID, User: f.UserID, Kind: string(f.Kind), Name: f.Name,
				Public: f.Public, Counter: f.Counter, Created: fmtTime(f.Created)}
			if len(f.Secret) > 0 {
				secret, err := account.OpenTOTPSecret(box, f.ID, f.Secret)
				if err != nil {
					return fmt.Errorf("second factor %s of user %s: %w", f.ID, u.ID, err)
				}
				rec.Secret = totp.Encode(secret)
			}
			if err := enc.Encode(rec); err != nil {
				return err
			}
			n.SecondFactors++
		}
	}
	for _, u := range users {
		hashes, err := ppl.RecoveryCodes(ctx, u.ID)
		if err != nil {
			return fmt.Errorf("list recovery codes of user %s: %w", u.ID, err)
		}
		if len(hashes) == 0 {
			continue
		}
		if err := enc.Encode(recoveryRec{Type: TypeRecoveryCodes, User: u.ID, Hashes: hashes}); err != nil {
			return err
		}
		n.RecoveryCodes++
	}
	return nil
}

// sortByCreated orders records by creation time, then ID: the order does not depend on how a
// store breaks ties.
func sortByCreated[T any](s []T, key func(T) (time.Time, string)) {
	slices.SortStableFunc(s, func(a, b T) int {
		ta, ia := key(a)
		tb, ib := key(b)
		if c := ta.Compare(tb); c != 0 {
			return c
		}
		return strings.Compare(ia, ib)
	})
}

// Writer writes an export file record by record: Export uses it, and so can any other source
// of Overdue's data (package hcimport turns a Healthchecks database into a file Import reads).
// The records must come in the file's order (see the package documentation).
type Writer struct {
	bw  *bufio.Writer
	enc *json.Encoder
}

// NewWriter writes the header of a file of the scope (ScopeInstall or ScopeProject).
func NewWriter(w io.Writer, scope string) (*Writer, error) {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	b := schema.This()
	if err := enc.Encode(header{Type: TypeHeader, Format: Format, DataModel: b.Current, MinReader: b.MinReader(), Scope: scope}); err != nil {
		return nil, err
	}
	return &Writer{bw: bw, enc: enc}, nil
}

// Project writes a project.
func (w *Writer) Project(p *check.Project) error {
	return w.enc.Encode(projectRec{
		Type: TypeProject, ID: p.ID, Name: p.Name, Created: fmtTime(p.Created),
		APIKeyHash: p.APIKeyHash, ReadOnlyKeyHash: p.ReadOnlyKeyHash, PingKeyHash: p.PingKeyHash, BadgeKey: p.BadgeKey,
	})
}

// Channel writes a channel of the project written last.
func (w *Writer) Channel(c *check.Channel) error {
	return w.enc.Encode(channelRec{
		Type: TypeChannel, ID: c.ID, Project: c.ProjectID, Kind: c.Kind, Name: c.Name, Value: c.Value,
		Created: fmtTime(c.Created), Disabled: c.Disabled, LastError: c.LastError,
		Delay: secs(c.Delay), Repeat: secs(c.Repeat), Late: c.Late,
	})
}

// Check writes a check; its pings and flips follow it.
func (w *Writer) Check(c *check.Check) error { return w.enc.Encode(checkToRec(c)) }

// Ping writes a ping of the check written last.
func (w *Writer) Ping(p *check.Ping) error {
	return w.enc.Encode(pingRec{
		Type: TypePing, Check: p.CheckID, N: p.N, Created: fmtTime(p.Created), Kind: string(p.Kind),
		Scheme: p.Scheme, RemoteAddr: p.RemoteAddr, Method: p.Method, UA: p.UA, Body: p.Body,
		BodySize: p.BodySize, ExitStatus: p.ExitStatus, RID: p.RID,
	})
}

// Flip writes a flip of the check written last.
func (w *Writer) Flip(f *check.Flip) error {
	return w.enc.Encode(flipRec{
		Type: TypeFlip, Check: f.CheckID, Created: fmtTime(f.Created), Processed: fmtTime(f.Processed),
		OldStatus: string(f.OldStatus), NewStatus: string(f.NewStatus), Reason: f.Reason, Note: f.Note,
	})
}

// StatusPage writes the status page of the project written last, after its checks.
func (w *Writer) StatusPage(sp *check.StatusPage) error {
	checks := sp.Checks
	if checks == nil {
		checks = []string{}
	}
	return w.enc.Encode(statusPageRec{Type: TypeStatusPage, Project: sp.ProjectID, Key: sp.Key, Public: sp.Public, Checks: checks})
}

// Window writes a maintenance window of the project written last, after its checks.
func (w *Writer) Window(win *check.Window) error {
	return w.enc.Encode(windowRec{
		Type: TypeWindow, ID: win.ID, Project: win.ProjectID, Check: win.CheckID, Tag: win.Tag,
		Start: fmtTime(win.Start), End: fmtTime(win.End), Schedule: win.Schedule, TZ: win.TZ,
		Duration: secs(win.Duration), Created: fmtTime(win.Created),
	})
}

// Flush writes out what is buffered.
func (w *Writer) Flush() error { return w.bw.Flush() }
