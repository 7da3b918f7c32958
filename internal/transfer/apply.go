package transfer

import (
	"context"
	"errors"
	"fmt"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/store"
)

// history is what a check of the file adds to the check's history in the store.
type history struct {
	checkID string
	pings   []*check.Ping
	flips   []*check.Flip
}

// importPlan is what Import writes, decided by reading the store before any write.
type importPlan struct {
	projects    []*check.Project
	channels    []*check.Channel
	checks      []*check.Check
	history     []history
	pages       []*check.StatusPage
	windows     []*check.Window
	users       []*people.User
	memberships []people.Membership
	tokens      []*people.APIToken
	factors     []*people.SecondFactor // copies: Import seals their secrets
	codes       map[string][]string
	codeUsers   []string
}

type flipKey struct {
	created  int64
	old, new check.Status
}

func keyOf(f *check.Flip) flipKey {
	return flipKey{f.Created.UnixMicro(), f.OldStatus, f.NewStatus}
}

// plan reads the store and decides what to write, counting it in rep.Created. Every conflict
// is found here, before anything is written.
func plan(ctx context.Context, f *parsed, st store.Store, ppl store.People, rep *Report, merge bool) (*importPlan, error) {
	p := &importPlan{}
	existed := map[string]bool{}
	for _, pr := range f.projects {
		_, err := st.Project(ctx, pr.ID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			p.projects = append(p.projects, pr)
		case err != nil:
			return nil, fmt.Errorf("load project %s: %w", pr.ID, err)
		default:
			existed[pr.ID] = true
		}
		rep.Projects = append(rep.Projects, ProjectSummary{ID: pr.ID, Name: pr.Name, Existed: existed[pr.ID]})
	}

	// The channels of each project, in the store or about to be.
	chans := map[string]map[string]bool{}
	for id := range existed {
		have, err := st.Channels(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("list channels of project %s: %w", id, err)
		}
		chans[id] = map[string]bool{}
		for _, ch := range have {
			chans[id][ch.ID] = true
		}
	}
	for _, ch := range f.channels {
		if chans[ch.ProjectID][ch.ID] {
			continue
		}
		if chans[ch.ProjectID] == nil {
			chans[ch.ProjectID] = map[string]bool{}
		}
		chans[ch.ProjectID][ch.ID] = true
		p.channels = append(p.channels, ch)
	}

	for _, e := range f.checks {
		c := e.c
		have, err := st.Check(ctx, c.ID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			for _, id := range c.Channels {
				if !chans[c.ProjectID][id] {
					return nil, fmt.Errorf("line %d: check %s is assigned channel %s, which is not a channel of its project %s", e.line, c.ID, id, c.ProjectID)
				}
			}
			p.checks = append(p.checks, c)
			p.history = append(p.history, history{checkID: c.ID, pings: e.pings, flips: e.flips})
			continue
		case err != nil:
			return nil, fmt.Errorf("load check %s: %w", c.ID, err)
		}
		if have.ProjectID != c.ProjectID {
			return nil, fmt.Errorf("line %d: check %s already exists in project %s of this store, not in project %s: "+
				"a check's UUID is its ping URL, so it can be in one project only; delete it there first, or import into another store",
				e.line, c.ID, have.ProjectID, c.ProjectID)
		}
		h, err := missingHistory(ctx, st, e)
		if err != nil {
			return nil, err
		}
		if len(h.pings)+len(h.flips) > 0 {
			p.history = append(p.history, h)
		}
	}

	if err := planPages(ctx, f, st, p); err != nil {
		return nil, err
	}
	if err := planWindows(ctx, f, st, existed, p); err != nil {
		return nil, err
	}
	if err := planPeople(ctx, f, ppl, existed, merge, p, rep); err != nil {
		return nil, err
	}

	rep.Created = Counts{Projects: len(p.projects), Channels: len(p.channels), Checks: len(p.checks), Windows: len(p.windows), StatusPages: len(p.pages),
		Users: len(p.users), Memberships: len(p.memberships), APITokens: len(p.tokens),
		SecondFactors: len(p.factors), RecoveryCodes: len(p.codeUsers)}
	for _, h := range p.history {
		rep.Created.Pings += len(h.pings)
		rep.Created.Flips += len(h.flips)
	}
	return p, nil
}

// planWindows adds the file's maintenance windows that the store lacks (by ID) to p. A window
// for one check needs that check in its project, in the file or the store; an ID taken by
// another project's window is a conflict, found when it is written.
func planWindows(ctx context.Context, f *parsed, st store.Store, existed map[string]bool, p *importPlan) error {
	have := map[string]bool{}
	for id := range existed {
		ws, err := st.Windows(ctx, id)
		if err != nil {
			return fmt.Errorf("list maintenance windows of project %s: %w", id, err)
		}
		for _, w := range ws {
			have[w.ID] = true
		}
	}
	inFile := map[string]string{} // check ID → project
	for _, e := range f.checks {
		inFile[e.c.ID] = e.c.ProjectID
	}
	for _, e := range f.windows {
		w := e.w
		if have[w.ID] {
			continue
		}
		if w.CheckID != "" && inFile[w.CheckID] != w.ProjectID {
			c, err := st.Check(ctx, w.CheckID)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("load check %s: %w", w.CheckID, err)
			}
			if err != nil || c.ProjectID != w.ProjectID {
				return fmt.Errorf("line %d: maintenance window %s is for check %s, which is not a check of its project %s",
					e.line, w.ID, w.CheckID, w.ProjectID)
			}
		}
		have[w.ID] = true
		p.windows = append(p.windows, w)
	}
	return nil
}

// planPages decides which status pages to write: a project's page when the store has none for
// it (a page already there stands, as an existing check does). A key that another project's
// page in the store holds is refused before anything is written.
func planPages(ctx context.Context, f *parsed, st store.Store, p *importPlan) error {
	for _, sp := range f.pages {
		_, err := st.StatusPage(ctx, sp.ProjectID)
		switch {
		case err == nil:
			continue
		case !errors.Is(err, store.ErrNotFound):
			return fmt.Errorf("load status page of project %s: %w", sp.ProjectID, err)
		}
		other, err := st.StatusPageByKey(ctx, sp.Key)
		switch {
		case err == nil && other.ProjectID != sp.ProjectID:
			return fmt.Errorf("status page of project %s: its address (key) is that of project %s's status page in this store; "+
				"give one of them a new address (its status page settings) and import again", sp.ProjectID, other.ProjectID)
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return fmt.Errorf("find status page by key: %w", err)
		}
		p.pages = append(p.pages, sp)
	}
	return nil
}

// missingHistory is the pings (by number) and flips (by instant and statuses) of the file's
// check that the store's check lacks.
func missingHistory(ctx context.Context, st store.Store, e *checkEntry) (history, error) {
	h := history{checkID: e.c.ID}
	pings, err := st.Pings(ctx, e.c.ID, maxPings)
	if err != nil {
		return h, fmt.Errorf("list pings of check %s: %w", e.c.ID, err)
	}
	haveN := map[int]bool{}
	for _, p := range pings {
		haveN[p.N] = true
	}
	for _, p := range e.pings {
		if !haveN[p.N] {
			h.pings = append(h.pings, p)
		}
	}
	flips, err := st.Flips(ctx, e.c.ID, store.FlipQuery{})
	if err != nil {
		return h, fmt.Errorf("list flips of check %s: %w", e.c.ID, err)
	}
	haveF := map[flipKey]bool{}
	for _, f := range flips {
		haveF[keyOf(f)] = true
	}
	for _, f := range e.flips {
		if !haveF[keyOf(f)] {
			h.flips = append(h.flips, f)
		}
	}
	return h, nil
}

// planPeople decides which users, memberships and tokens to write, and lists each grant in rep.
// A membership or token that would reach a user or a project the store held before is refused
// unless merge is set.
func planPeople(ctx context.Context, f *parsed, ppl store.People, existed map[string]bool, merge bool, p *importPlan, rep *Report) error {
	if ppl == nil {
		return nil
	}
	emails := map[string]string{}    // user ID → email
	userExisted := map[string]bool{} // users the store held before
	for _, u := range f.users {
		emails[u.ID] = u.Email
		_, err := ppl.User(ctx, u.ID)
		if err == nil {
			userExisted[u.ID] = true
			continue
		}
		if !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("load user %s: %w", u.ID, err)
		}
		other, err := ppl.UserByEmail(ctx, u.Email)
		switch {
		case err == nil:
			return fmt.Errorf("user %s: the email %s belongs to another account of this store (%s); "+
				"remove that account or change its email first", u.ID, u.Email, other.ID)
		case !errors.Is(err, store.ErrNotFound):
			return fmt.Errorf("find user by email: %w", err)
		}
		p.users = append(p.users, u)
	}
	refuse := func(what string) error {
		return fmt.Errorf("%s, which this store held before the import: importing it would grant access the file "+
			"cannot vouch for. Review the grants with --dry-run --merge-people, then import with --merge-people to add them", what)
	}
	members := map[string]map[string]bool{}
	for _, m := range f.memberships {
		if members[m.ProjectID] == nil {
			members[m.ProjectID] = map[string]bool{}
			if existed[m.ProjectID] {
				have, err := ppl.Members(ctx, m.ProjectID)
				if err != nil {
					return fmt.Errorf("list members of project %s: %w", m.ProjectID, err)
				}
				for _, h := range have {
					members[m.ProjectID][h.UserID] = true
				}
			}
		}
		if members[m.ProjectID][m.UserID] {
			continue // a member already: the role in the store stands
		}
		old := existed[m.ProjectID] || userExisted[m.UserID]
		if old && !merge {
			what := fmt.Sprintf("membership of %s in project %s as %s: the project", emails[m.UserID], m.ProjectID, m.Role)
			if !existed[m.ProjectID] {
				what = fmt.Sprintf("membership of %s in project %s as %s: the account", emails[m.UserID], m.ProjectID, m.Role)
			}
			return refuse(what)
		}
		members[m.ProjectID][m.UserID] = true
		p.memberships = append(p.memberships, m)
		rep.Grants = append(rep.Grants, Grant{UserID: m.UserID, Email: emails[m.UserID], ProjectID: m.ProjectID, Role: m.Role, Existing: old})
	}
	for _, t := range f.tokens {
		_, err := ppl.APITokenByHash(ctx, t.Hash)
		switch {
		case err == nil:
			continue
		case !errors.Is(err, store.ErrNotFound):
			return fmt.Errorf("find API token %s: %w", t.ID, err)
		}
		if userExisted[t.UserID] && !merge {
			return refuse(fmt.Sprintf("personal API token %q of %s: the account", t.Name, emails[t.UserID]))
		}
		p.tokens = append(p.tokens, t)
		rep.Grants = append(rep.Grants, Grant{UserID: t.UserID, Email: emails[t.UserID], TokenName: t.Name, Existing: userExisted[t.UserID]})
	}
	// Second factors and recovery codes come with the accounts the import creates; an account
	// the store held keeps its own (a file never adds a way to sign in to it, nor replaces its
	// codes).
	for _, fa := range f.factors {
		if userExisted[fa.UserID] {
			continue
		}
		c := *fa
		p.factors = append(p.factors, &c)
	}
	for _, u := range f.codeUsers {
		if userExisted[u] {
			continue
		}
		if p.codes == nil {
			p.codes = map[string][]string{}
		}
		p.codes[u] = f.codes[u]
		p.codeUsers = append(p.codeUsers, u)
	}
	// Refused now, not halfway through the writes.
	factors := p.factorsByUser()
	for _, u := range p.users {
		if err := store.ValidateUserWithFactors(u, factors[u.ID], p.codes[u.ID]); err != nil {
			return err
		}
	}
	return nil
}

// apply writes the plan: projects, channels, checks, then each check's history, status pages,
// then people (each user with its second factors and recovery codes).
// A failure stops it; what was written stays, and running the import again finishes it.
func (p *importPlan) apply(ctx context.Context, st store.Store, ppl store.People) error {
	for _, pr := range p.projects {
		if err := st.CreateProject(ctx, pr); err != nil {
			return fmt.Errorf("create project %s: %w", pr.ID, err)
		}
	}
	for _, ch := range p.channels {
		if err := st.CreateChannel(ctx, ch); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return fmt.Errorf("create channel %s: its ID is taken by a channel of another project of this store", ch.ID)
			}
			return fmt.Errorf("create channel %s: %w", ch.ID, err)
		}
	}
	for _, c := range p.checks {
		if err := st.CreateCheck(ctx, c); err != nil {
			return fmt.Errorf("create check %s: %w", c.ID, err)
		}
	}
	for _, h := range p.history {
		for _, ping := range h.pings {
			ping := ping
			if _, err := st.UpdateCheck(ctx, h.checkID, func(*check.Check) (store.Change, error) {
				return store.Change{Ping: ping}, nil
			}); err != nil {
				return fmt.Errorf("add ping %d to check %s: %w", ping.N, h.checkID, err)
			}
		}
		for _, f := range h.flips {
			fl := *f
			if fl.Processed.IsZero() {
				// History, not news: the source has alerted, or will, for this flip.
				fl.Processed = fl.Created
			}
			if _, err := st.UpdateCheck(ctx, h.checkID, func(*check.Check) (store.Change, error) {
				return store.Change{Flip: &fl}, nil
			}); err != nil {
				return fmt.Errorf("add a flip to check %s: %w", h.checkID, err)
			}
		}
	}
	for _, w := range p.windows {
		if err := st.CreateWindow(ctx, w); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return fmt.Errorf("create maintenance window %s: its ID is taken by a window of another project of this store", w.ID)
			}
			return fmt.Errorf("create maintenance window %s: %w", w.ID, err)
		}
	}
	for _, sp := range p.pages {
		if err := st.PutStatusPage(ctx, sp); err != nil {
			return fmt.Errorf("save status page of project %s: %w", sp.ProjectID, err)
		}
	}
	// A user comes with its factors and codes in one write: an import stopped here and run
	// again finds the account whole, or not at all (then creates it), never without them.
	factors := p.factorsByUser()
	for _, u := range p.users {
		if err := ppl.CreateUserWithFactors(ctx, u, factors[u.ID], p.codes[u.ID]); err != nil {
			return fmt.Errorf("create user %s: %w", u.ID, err)
		}
	}
	for _, m := range p.memberships {
		if err := ppl.SetMembership(ctx, m); err != nil {
			return fmt.Errorf("add user %s to project %s: %w", m.UserID, m.ProjectID, err)
		}
	}
	for _, t := range p.tokens {
		if err := ppl.CreateAPIToken(ctx, t); err != nil {
			return fmt.Errorf("create API token %s: %w", t.ID, err)
		}
	}
	return nil
}

// factorsByUser groups the plan's factors by user, in file order.
func (p *importPlan) factorsByUser() map[string][]*people.SecondFactor {
	m := map[string][]*people.SecondFactor{}
	for _, fa := range p.factors {
		m[fa.UserID] = append(m[fa.UserID], fa)
	}
	return m
}
