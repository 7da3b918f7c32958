package web

import (
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/overduehq/overdue/internal/account"
	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/project"
	"github.com/overduehq/overdue/internal/store"
)

// The project settings page, at Healthchecks' URL: rename, keys, badges, the Prometheus URL,
// the team, and deleting the project. What each member sees and may do is people's permission
// table, as in the projects API (which runs the same operations: package project and
// account.SetRole/RemoveMember): keys and the ping key for every role but read-only, the team
// for managers and owners, the name and the danger zone for owners.

// settingsPages are the settings page and its forms, for Mount (projectPages).
var settingsPages = []string{
	"/projects/{project}/settings/{$}",
	"/projects/{project}/settings/name/{$}",
	"/projects/{project}/settings/keys/{kind}/new/{$}",
	"/projects/{project}/settings/keys/{kind}/revoke/{$}",
	"/projects/{project}/settings/members/invite/{$}",
	"/projects/{project}/settings/members/{user}/role/{$}",
	"/projects/{project}/settings/members/{user}/remove/{$}",
	"/projects/{project}/settings/invitations/{id}/cancel/{$}",
	"/projects/{project}/settings/delete/{$}",
}

// settingsRoutes adds the settings page and its forms to the route table.
func (s *Server) settingsRoutes() {
	s.mux.HandleFunc("GET /projects/{project}/settings/{$}", s.handleSettings)
	s.mux.HandleFunc("POST /projects/{project}/settings/name/{$}", s.handleRenameProject)
	s.mux.HandleFunc("POST /projects/{project}/settings/keys/{kind}/new/{$}", s.handleNewKey)
	s.mux.HandleFunc("POST /projects/{project}/settings/keys/{kind}/revoke/{$}", s.handleRevokeKey)
	s.mux.HandleFunc("POST /projects/{project}/settings/members/invite/{$}", s.handleInviteMember)
	s.mux.HandleFunc("POST /projects/{project}/settings/members/{user}/role/{$}", s.handleSetRole)
	s.mux.HandleFunc("POST /projects/{project}/settings/members/{user}/remove/{$}", s.handleRemoveMember)
	s.mux.HandleFunc("POST /projects/{project}/settings/invitations/{id}/cancel/{$}", s.handleCancelInvitation)
	s.mux.HandleFunc("POST /projects/{project}/settings/delete/{$}", s.handleDeleteProject)
}

// settingsPath is the URL of a project's settings page.
func settingsPath(projectID string) string {
	return "/projects/" + url.PathEscape(projectID) + "/settings/"
}

// keyRow is one of the project's keys as the page lists it: never the key, only its hint.
type keyRow struct {
	Kind  string // check.KeyReadWrite, …
	Label string
	About string
	Hint  string // "" when the project has no key of this kind
}

// keyLabels name the kinds of key and say what each is for.
var keyLabels = map[string][2]string{
	check.KeyReadWrite: {"API key (read-write)", "Creates, changes and deletes checks through the management API."},
	check.KeyReadOnly:  {"API key (read-only)", "Reads checks through the management API, and the Prometheus metrics."},
	check.KeyPing:      {"Ping key", "Pings checks by slug: /ping/<ping key>/<slug>."},
}

// newKeyView is a key just made: shown on this answer only.
type newKeyView struct {
	Label   string
	Key     string
	Use     string // what to paste: the Prometheus URL, a slug ping URL; "" for the read-write key
	UseText string
}

// badgeRow is one badge: every check of the project, or the checks with one tag.
type badgeRow struct {
	Label    string
	URL      string
	Markdown string
	HTML     string
	ID       string // for the copy buttons
}

// memberRow is one member of the project.
type memberRow struct {
	UserID, Email, Name, Role string
	RoleValue                 people.Role
	Self                      bool
	// Change is whether the viewer may change this member's role and remove them; Roles are
	// the roles the viewer may give.
	Change bool
	Roles  []roleOption
	// Remove is whether the viewer may remove this member (or leave, for themselves).
	Remove bool
}

// roleOption is a role in a select.
type roleOption struct {
	Value    people.Role
	Name     string
	Selected bool
}

// invitationRow is a pending invitation, as owners and managers see it. ID is its token's hash,
// as the API names it: it picks the invitation and is no use for accepting it.
type invitationRow struct {
	ID, Email, Role, Expires string
	Cancel                   bool
}

// inviteForm is the invitation form's values.
type inviteForm struct {
	Email string
	Role  people.Role
}

// invitedView is an invitation just made: the link, when it did not go out by mail.
type invitedView struct {
	Email, Role, Link, Warning string
	Sent                       bool
}

// settingsView is the settings page's data.
type settingsView struct {
	*membership
	Name       string // the rename form's value
	Keys       []keyRow
	NewKey     *newKeyView
	Prometheus string // the metrics URL without its key
	Badges     []badgeRow
	BadgesOff  bool
	States     int
	Members    []memberRow
	Pending    []invitationRow
	Invite     inviteForm
	InviteAs   []roleOption
	Invited    *invitedView
	Checks     int
	Channels   int
	Confirm    string // the typed name of the delete form
}

// CanManageMembers reports whether the viewer may invite, change roles and remove members.
func (v *settingsView) CanManageMembers() bool { return v.Role.CanManageMembers() }

// CanManageProject reports whether the viewer may rename and delete the project.
func (v *settingsView) CanManageProject() bool { return v.Role.CanManageProject() }

// settingsState is what one answer adds to the page: form values, a key or an invitation just
// made.
type settingsState struct {
	name    *string
	newKey  *newKeyView
	invite  inviteForm
	invited *invitedView
	confirm string
}

// handleSettings serves GET /projects/{project}/settings/[?states=3]: the project's settings as
// the viewer's role allows (three-state badges with ?states=3).
func (s *Server) handleSettings(w http.ResponseWriter, r *http.Request) {
	m, ok := s.requireMember(w, r, r.PathValue("project"))
	if !ok {
		return
	}
	s.renderSettings(w, r, m, http.StatusOK, nil, settingsState{})
}

// renderSettings renders the settings page with the state of the form just sent.
func (s *Server) renderSettings(w http.ResponseWriter, r *http.Request, m *membership, status int, errs []fieldError, st settingsState) {
	ctx := r.Context()
	v := &settingsView{membership: m, Name: m.Project.Name, NewKey: st.newKey, Invite: st.invite,
		Invited: st.invited, Confirm: st.confirm, States: 2}
	if st.name != nil {
		v.Name = *st.name
	}
	if r.URL.Query().Get("states") == "3" {
		v.States = 3
	}
	if v.Invite.Role == "" {
		v.Invite.Role = people.RoleMember
	}
	if m.CanSeeSecrets() {
		for _, kind := range check.KeyKinds {
			row := keyRow{Kind: kind, Label: keyLabels[kind][0], About: keyLabels[kind][1]}
			if h := *m.Project.KeyHash(kind); h != "" {
				row.Hint = check.KeyHint(h)
			}
			v.Keys = append(v.Keys, row)
		}
		v.Prometheus = s.root(r) + "/projects/" + url.PathEscape(m.Project.ID) + "/metrics/"
	}
	checks, err := s.st.Checks(ctx, m.Project.ID)
	if err != nil {
		s.fail(w, r, fmt.Errorf("list checks of project %s: %w", m.Project.ID, err))
		return
	}
	v.Checks = len(checks)
	if m.Role.CanManageProject() {
		chans, err := store.ListChannels(ctx, s.st, m.Project.ID)
		if err != nil {
			s.fail(w, r, fmt.Errorf("list channels of project %s: %w", m.Project.ID, err))
			return
		}
		v.Channels = len(chans)
	}
	v.Badges, v.BadgesOff = s.badges(m.Project, checks, v.States)
	if v.Members, err = s.memberRows(r, m); err != nil {
		s.fail(w, r, err)
		return
	}
	if m.Role.CanManageMembers() {
		invs, err := s.acc.People.Invitations(ctx, m.Project.ID, s.acc.Now())
		if err != nil {
			s.fail(w, r, fmt.Errorf("list invitations of project %s: %w", m.Project.ID, err))
			return
		}
		loc := m.Viewer.zone()
		for _, inv := range invs {
			v.Pending = append(v.Pending, invitationRow{ID: inv.TokenHash, Email: inv.Email,
				Role: roleName(inv.Role), Expires: stamp(inv.Expires, loc), Cancel: inv.Role != people.RoleOwner || m.Role == people.RoleOwner})
		}
	}
	for _, role := range people.Roles {
		if m.Role.CanGrant(role) {
			v.InviteAs = append(v.InviteAs, roleOption{Value: role, Name: roleName(role), Selected: role == v.Invite.Role})
		}
	}
	s.render(w, r, status, "settings", &page{Title: "Settings · " + m.Project.Name, Viewer: m.Viewer, Errors: errs, Data: v})
}

// badges are the project's badges, all checks first and then one per tag; off when the server
// cannot sign badge URLs.
func (s *Server) badges(p *check.Project, checks []*check.Check, states int) ([]badgeRow, bool) {
	if s.badgeURL == nil || p.BadgeKey == "" || s.badgeURL(p.BadgeKey, "*", "svg", states) == "" {
		return nil, true
	}
	tagSet := map[string]bool{}
	for _, c := range checks {
		for _, t := range c.TagList() {
			tagSet[t] = true
		}
	}
	tags := make([]string, 0, len(tagSet))
	for t := range tagSet {
		tags = append(tags, t)
	}
	sort.Strings(tags)
	rows := make([]badgeRow, 0, len(tags)+1)
	for i, tag := range append([]string{"*"}, tags...) {
		label := tag
		if tag == "*" {
			label = "All checks"
		}
		u := s.badgeURL(p.BadgeKey, tag, "svg", states)
		alt := p.Name + " status"
		if tag != "*" {
			alt = tag + " status"
		}
		rows = append(rows, badgeRow{Label: label, URL: u, ID: "badge-" + strconv.Itoa(i),
			Markdown: "![" + alt + "](" + u + ")",
			HTML:     `<img src="` + html.EscapeString(u) + `" alt="` + html.EscapeString(alt) + `">`})
	}
	return rows, false
}

// memberRows lists the project's members, owners first, each with what the viewer may do.
func (s *Server) memberRows(r *http.Request, m *membership) ([]memberRow, error) {
	ms, err := s.acc.People.Members(r.Context(), m.Project.ID)
	if err != nil {
		return nil, fmt.Errorf("list members of project %s: %w", m.Project.ID, err)
	}
	rank := map[people.Role]int{}
	for i, role := range people.Roles {
		rank[role] = i
	}
	owners := 0
	for _, x := range ms {
		if x.Role == people.RoleOwner {
			owners++
		}
	}
	rows := make([]memberRow, 0, len(ms))
	for _, x := range ms {
		u, err := s.acc.People.User(r.Context(), x.UserID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("load user %s: %w", x.UserID, err)
		}
		row := memberRow{UserID: u.ID, Email: u.Email, Name: u.Name, Role: roleName(x.Role), RoleValue: x.Role,
			Self: u.ID == m.Viewer.User.ID}
		// The last owner can neither leave nor be removed: no button that can only fail.
		row.Remove = (row.Self || m.Role.CanManageMembers() && (x.Role != people.RoleOwner || m.Role == people.RoleOwner)) &&
			(x.Role != people.RoleOwner || owners > 1)
		row.Change = m.Role.CanManageMembers() && (x.Role != people.RoleOwner || m.Role == people.RoleOwner)
		if row.Change {
			for _, role := range people.Roles {
				if m.Role.CanGrant(role) {
					row.Roles = append(row.Roles, roleOption{Value: role, Name: roleName(role), Selected: role == x.Role})
				}
			}
		}
		rows = append(rows, row)
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if rank[rows[i].RoleValue] != rank[rows[j].RoleValue] {
			return rank[rows[i].RoleValue] < rank[rows[j].RoleValue]
		}
		return rows[i].Email < rows[j].Email
	})
	return rows, nil
}

// settingsMember is requireMember for a settings form: the form read, and a 403 page unless
// allowed(role).
func (s *Server) settingsMember(w http.ResponseWriter, r *http.Request, allowed func(people.Role) bool, refusal string) (*membership, bool) {
	m, ok := s.requireMember(w, r, r.PathValue("project"))
	if !ok {
		return nil, false
	}
	if !allowed(m.Role) {
		s.render(w, r, http.StatusForbidden, "message", &page{Title: "Not allowed", Viewer: m.Viewer,
			Message: fmt.Sprintf("Your role in this project (%s) does not allow you to %s. Ask an owner of the project.",
				strings.ToLower(roleName(m.Role)), refusal),
			Link: settingsPath(m.Project.ID), LinkText: "Back to the settings"})
		return nil, false
	}
	if err := readForm(w, r); err != nil {
		s.badForm(w, r)
		return nil, false
	}
	return m, true
}

// handleRenameProject serves POST /projects/{project}/settings/name/ (field name; owners): the
// project's new name, validated as the projects API validates it.
func (s *Server) handleRenameProject(w http.ResponseWriter, r *http.Request) {
	m, ok := s.settingsMember(w, r, people.Role.CanManageProject, "rename the project")
	if !ok {
		return
	}
	name := strings.TrimSpace(r.PostForm.Get("name"))
	var msg string
	if name == "" {
		msg = "Enter a name for the project."
	} else if err := check.ValidateProjectName(name); err != nil {
		msg = "Project " + err.Error() + "."
		var fe *check.FieldError
		if errors.As(err, &fe) {
			msg = "Project " + fe.Advice() + "."
		}
	}
	if msg != "" {
		s.renderSettings(w, r, m, http.StatusUnprocessableEntity, []fieldError{{"name", msg}}, settingsState{name: &name})
		return
	}
	p, err := s.st.UpdateProject(r.Context(), m.Project.ID, func(p *check.Project) error {
		p.Name = name
		return nil
	})
	if err != nil {
		s.fail(w, r, fmt.Errorf("rename project %s: %w", m.Project.ID, err))
		return
	}
	s.log.InfoContext(r.Context(), "project renamed", "project", p.ID, "user", m.Viewer.User.ID)
	redirect(w, r, settingsPath(p.ID))
}

// handleNewKey serves POST /projects/{project}/settings/keys/{kind}/new/ (field replace=1 to
// rotate; every role but read-only): a new key of the kind, shown in this answer only. Without
// replace, a kind the project has a key of already is refused (another tab made one).
func (s *Server) handleNewKey(w http.ResponseWriter, r *http.Request) {
	m, ok := s.settingsMember(w, r, people.Role.CanSeeSecrets, "see or change the project's keys")
	if !ok {
		return
	}
	kind := r.PathValue("kind")
	replace := r.PostForm.Get("replace") == "1"
	key, err := project.NewKey(r.Context(), s.st, s.acc.Rand, m.Project.ID, kind, replace)
	var ke *project.KeyExistsError
	switch {
	case errors.Is(err, project.ErrUnknownKind):
		s.pageNotFound(w, r, m.Viewer)
		return
	case errors.As(err, &ke):
		s.renderSettings(w, r, m, http.StatusConflict, []fieldError{{"key-" + kind,
			"The project has a key of this kind already (made meanwhile, perhaps in another tab). Rotate it to get a new one."}},
			settingsState{})
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	if m.Project, err = s.st.Project(r.Context(), m.Project.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.InfoContext(r.Context(), "project key created", "project", m.Project.ID, "kind", kind, "rotated", replace, "user", m.Viewer.User.ID)
	nk := &newKeyView{Label: keyLabels[kind][0], Key: key}
	switch kind {
	case check.KeyReadOnly:
		nk.Use = s.root(r) + "/projects/" + url.PathEscape(m.Project.ID) + "/metrics/" + key
		nk.UseText = "Prometheus metrics URL (scrape it as is; it carries the key)"
	case check.KeyPing:
		nk.Use = s.root(r) + "/ping/" + key + "/<slug>"
		nk.UseText = "Ping URL of a check by its slug"
	}
	s.renderSettings(w, r, m, http.StatusOK, nil, settingsState{newKey: nk})
}

// handleRevokeKey serves POST /projects/{project}/settings/keys/{kind}/revoke/ (every role but
// read-only): the key of the kind stops working at once.
func (s *Server) handleRevokeKey(w http.ResponseWriter, r *http.Request) {
	m, ok := s.settingsMember(w, r, people.Role.CanSeeSecrets, "see or change the project's keys")
	if !ok {
		return
	}
	kind := r.PathValue("kind")
	err := project.RevokeKey(r.Context(), s.st, m.Project.ID, kind)
	switch {
	case errors.Is(err, project.ErrUnknownKind):
		s.pageNotFound(w, r, m.Viewer)
		return
	case errors.Is(err, store.ErrNotFound):
		// Revoked meanwhile: as good.
	case err != nil:
		s.fail(w, r, err)
		return
	}
	s.log.InfoContext(r.Context(), "project key revoked", "project", m.Project.ID, "kind", kind, "user", m.Viewer.User.ID)
	redirect(w, r, settingsPath(m.Project.ID)+"#keys")
}

// handleInviteMember serves POST /projects/{project}/settings/members/invite/ (fields email,
// role; owners and managers, managers not inviting owners): an invitation by email, as the
// members API makes it. When the mail does not go out, the page shows the link to pass on.
func (s *Server) handleInviteMember(w http.ResponseWriter, r *http.Request) {
	m, ok := s.settingsMember(w, r, people.Role.CanManageMembers, "invite members")
	if !ok {
		return
	}
	f := inviteForm{Email: strings.TrimSpace(r.PostForm.Get("email"))}
	var errs []fieldError
	role, err := people.ParseRole(r.PostForm.Get("role"))
	if err != nil {
		errs = append(errs, fieldError{"role", "Choose a role from the list."})
	}
	f.Role = role
	if f.Email == "" {
		errs = append(errs, fieldError{"email", "Enter the email address of the person to invite."})
	}
	if len(errs) > 0 {
		s.renderSettings(w, r, m, http.StatusUnprocessableEntity, errs, settingsState{invite: f})
		return
	}
	inv, err := s.acc.Invite(r.Context(), account.NewInvitation{ProjectID: m.Project.ID, Email: f.Email, Role: role, InviterID: m.Viewer.User.ID})
	var field, msg string
	status := http.StatusUnprocessableEntity
	switch {
	case errors.Is(err, account.ErrInvalid):
		field, msg = "email", upperFirst(strings.TrimPrefix(err.Error(), account.ErrInvalid.Error()+": "))+"."
	case errors.Is(err, account.ErrForbidden):
		field, msg, status = "role", "Only an owner may invite an owner. Choose another role.", http.StatusForbidden
	case errors.Is(err, account.ErrAlreadyMember):
		field, msg, status = "email", "They are a member of the project already: change their role in the list instead.", http.StatusConflict
	case err != nil && inv == nil:
		s.fail(w, r, fmt.Errorf("invite to project %s: %w", m.Project.ID, err))
		return
	}
	if msg != "" {
		s.renderSettings(w, r, m, status, []fieldError{{field, msg}}, settingsState{invite: f})
		return
	}
	done := &invitedView{Email: inv.Invitation.Email, Role: roleName(inv.Invitation.Role), Sent: inv.Sent}
	if !inv.Sent {
		done.Link = inv.Link
	}
	if err != nil {
		// The pages log no email: the invitee's address is cut out of the mailer's error.
		s.log.WarnContext(r.Context(), "invitation mail not sent", "project", m.Project.ID,
			"error", strings.ReplaceAll(err.Error(), inv.Invitation.Email, "<invitee>"))
		done.Warning = "The invitation mail could not be sent."
	}
	s.log.InfoContext(r.Context(), "member invited", "project", m.Project.ID, "role", string(role), "user", m.Viewer.User.ID)
	s.renderSettings(w, r, m, http.StatusOK, nil, settingsState{invited: done})
}

// handleCancelInvitation serves POST /projects/{project}/settings/invitations/{id}/cancel/
// (owners and managers; managers not an invitation as owner): the invitation's link stops
// working. One used or cancelled meanwhile is a 404 next to the team.
func (s *Server) handleCancelInvitation(w http.ResponseWriter, r *http.Request) {
	m, ok := s.settingsMember(w, r, people.Role.CanManageMembers, "cancel invitations")
	if !ok {
		return
	}
	err := s.acc.CancelInvitation(r.Context(), m.Project.ID, m.Role, r.PathValue("id"))
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.renderSettings(w, r, m, http.StatusNotFound, []fieldError{{"members",
			"That invitation was used, cancelled or has expired already."}}, settingsState{})
		return
	case errors.Is(err, account.ErrForbidden):
		s.memberRefused(w, r, m, err)
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	s.log.InfoContext(r.Context(), "invitation cancelled", "project", m.Project.ID, "user", m.Viewer.User.ID)
	redirect(w, r, settingsPath(m.Project.ID)+"#members")
}

// handleSetRole serves POST /projects/{project}/settings/members/{user}/role/ (field role;
// owners and managers): the member's new role, with the members API's rules (account.SetRole).
func (s *Server) handleSetRole(w http.ResponseWriter, r *http.Request) {
	m, ok := s.settingsMember(w, r, people.Role.CanManageMembers, "change members' roles")
	if !ok {
		return
	}
	userID := r.PathValue("user")
	role, err := people.ParseRole(r.PostForm.Get("role"))
	if err != nil {
		s.renderSettings(w, r, m, http.StatusUnprocessableEntity, []fieldError{{"members", "Choose a role from the list."}}, settingsState{})
		return
	}
	if _, err := s.acc.SetRole(r.Context(), m.Project.ID, m.Role, userID, role); err != nil {
		s.memberRefused(w, r, m, err)
		return
	}
	s.log.InfoContext(r.Context(), "member role changed", "project", m.Project.ID, "member", userID, "role", string(role), "user", m.Viewer.User.ID)
	redirect(w, r, settingsPath(m.Project.ID)+"#members")
}

// handleRemoveMember serves POST /projects/{project}/settings/members/{user}/remove/: owners
// and managers remove members (managers not owners), and anyone may leave. The last owner
// stays. Leaving goes to the home page.
func (s *Server) handleRemoveMember(w http.ResponseWriter, r *http.Request) {
	m, ok := s.settingsMember(w, r, func(people.Role) bool { return true }, "")
	if !ok {
		return
	}
	userID := r.PathValue("user")
	if err := s.acc.RemoveMember(r.Context(), m.Project.ID, m.Viewer.User.ID, m.Role, userID); err != nil {
		s.memberRefused(w, r, m, err)
		return
	}
	s.log.InfoContext(r.Context(), "member removed", "project", m.Project.ID, "member", userID, "user", m.Viewer.User.ID)
	if userID == m.Viewer.User.ID {
		redirect(w, r, "/")
		return
	}
	redirect(w, r, settingsPath(m.Project.ID)+"#members")
}

// memberRefused answers a refusal of account.SetRole or RemoveMember on the settings page,
// saying why next to the team.
func (s *Server) memberRefused(w http.ResponseWriter, r *http.Request, m *membership, err error) {
	var msg string
	status := http.StatusConflict
	switch {
	case errors.Is(err, store.ErrLastOwner):
		msg = "The project's last owner cannot leave or be demoted: make another member owner first."
	case errors.Is(err, account.ErrNotMember):
		msg, status = "That person is not a member of the project (any more).", http.StatusNotFound
	case errors.Is(err, account.ErrForbidden):
		msg, status = "Only an owner may change, remove or invite an owner, or cancel an invitation as owner.", http.StatusForbidden
	default:
		s.fail(w, r, err)
		return
	}
	s.renderSettings(w, r, m, status, []fieldError{{"members", msg}}, settingsState{})
}

// handleDeleteProject serves POST /projects/{project}/settings/delete/ (field confirm: the
// project's name, typed; owners): deletes the project with its checks, their history, its
// integrations, keys and memberships, and goes to the home page.
func (s *Server) handleDeleteProject(w http.ResponseWriter, r *http.Request) {
	m, ok := s.settingsMember(w, r, people.Role.CanManageProject, "delete the project")
	if !ok {
		return
	}
	confirm := r.PostForm.Get("confirm")
	if strings.TrimSpace(confirm) != m.Project.Name {
		s.renderSettings(w, r, m, http.StatusUnprocessableEntity, []fieldError{{"confirm", fmt.Sprintf(
			"Type the project's name, %s, exactly as it is written to delete it. Nothing was deleted.", m.Project.Name)}},
			settingsState{confirm: confirm})
		return
	}
	err := project.Delete(r.Context(), s.st, m.Project.ID, true)
	if errors.Is(err, store.ErrConflict) {
		s.renderSettings(w, r, m, http.StatusConflict, []fieldError{{"confirm",
			"A check or an integration was added to the project while it was being deleted. Send the form again to finish."}},
			settingsState{confirm: confirm})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.InfoContext(r.Context(), "project deleted", "project", m.Project.ID, "user", m.Viewer.User.ID)
	redirect(w, r, "/")
}
