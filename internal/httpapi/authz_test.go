package httpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/overduehq/overdue/internal/account"
	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/sqlite"
	"github.com/overduehq/overdue/internal/store/storetest"
)

// The callers of the route × caller table.
const (
	cOwner    = "owner"
	cManager  = "manager"
	cMember   = "member"
	cReadOnly = "readonly"
	cOutsider = "outsider" // owner of project B, not a member of A
	cRWKey    = "rw-key"
	cROKey    = "ro-key"
	cNone     = "none"
)

var allCallers = []string{cOwner, cManager, cMember, cReadOnly, cOutsider, cRWKey, cROKey, cNone}

// Who may, spelled out per kind of route (not derived from the code under test).
var (
	mayView    = []string{cOwner, cManager, cMember, cReadOnly, cRWKey, cROKey}
	mayWrite   = []string{cOwner, cManager, cMember, cRWKey}
	mayKeys    = []string{cOwner, cManager, cMember}
	mayTeam    = []string{cOwner, cManager, cMember, cReadOnly}
	mayManage  = []string{cOwner, cManager}
	mayProject = []string{cOwner}
	mayAnyUser = []string{cOwner, cManager, cMember, cReadOnly, cOutsider}
)

// peopleFixture is an API fixture with accounts: project A (the fixture's, keys keyA and keyARO,
// no ping key) has an owner, a manager, a member and a read-only member; the outsider owns
// project B. Each person has a personal API token.
type peopleFixture struct {
	*apiFixture
	svc     *account.Service
	users   map[string]*people.User
	tokens  map[string]string // caller → plaintext token
	tokenID map[string]string // caller → token ID
	check   *check.Check
	channel *check.Channel
}

func newPeopleFixture(t *testing.T) *peopleFixture {
	t.Helper()
	var svc *account.Service
	f := &peopleFixture{users: map[string]*people.User{}, tokens: map[string]string{}, tokenID: map[string]string{}}
	f.apiFixture = newAPIFixture(t, func(cfg *Config) {
		svc = &account.Service{People: cfg.Store.(*sqlite.Store).People(), Projects: cfg.Store,
			Now: cfg.Now, Rand: rand.Reader, Params: account.DefaultParams, SiteRoot: cfg.SiteRoot}
		cfg.Accounts = svc
	})
	f.svc = svc
	ctx := context.Background()
	// Project A without a ping key, so that creating one succeeds.
	if _, err := f.store.UpdateProject(ctx, f.project.ID, func(p *check.Project) error { p.PingKeyHash = ""; return nil }); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		project *check.Project
		role    people.Role
	}{
		{cOwner, f.project, people.RoleOwner}, {cManager, f.project, people.RoleManager},
		{cMember, f.project, people.RoleMember}, {cReadOnly, f.project, people.RoleReadOnly},
		{cOutsider, f.b, people.RoleOwner},
	} {
		u := &people.User{ID: uuid.NewString(), Email: c.name + "@example.org", Name: c.name, Created: t0,
			PasswordHash: "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"}
		if err := svc.People.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		if err := svc.People.SetMembership(ctx, people.Membership{ProjectID: c.project.ID, UserID: u.ID, Role: c.role, Created: t0}); err != nil {
			t.Fatal(err)
		}
		tok, rec, err := svc.CreateAPIToken(ctx, u.ID, "test")
		if err != nil {
			t.Fatal(err)
		}
		f.users[c.name], f.tokens[c.name], f.tokenID[c.name] = u, tok, rec.ID
	}
	f.check = f.addCheckIn(f.project, "nightly")
	f.channel = f.addChannel("Email Alice")
	if err := f.store.People().CreateInvitation(ctx, &people.Invitation{TokenHash: fixtureInvitation,
		ProjectID: f.project.ID, Email: "invited@example.org", Role: people.RoleMember, InviterID: f.users[cOwner].ID,
		Created: t0, Expires: t0.Add(7 * 24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	f.do("POST", "/ping/"+f.check.ID, "ping body secret") // ping 1, with a body
	if _, err := f.store.UpdateCheck(ctx, f.check.ID, func(c *check.Check) (store.Change, error) {
		c.Status = check.StatusPaused // so that resume has something to do
		return store.Change{}, nil
	}); err != nil {
		t.Fatal(err)
	}
	return f
}

// snapshot closes f's store, which checkpoints its log into the one file, and returns the
// file: clone builds fixtures over copies of it, far cheaper than building the data again.
func (f *peopleFixture) snapshot(t *testing.T) []byte {
	t.Helper()
	if err := f.store.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(f.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// clone is a fixture like f over a copy of its database, data (f.snapshot).
func (f *peopleFixture) clone(t *testing.T, data []byte) *peopleFixture {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "overdue.db")
	if err := os.WriteFile(dst, data, 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(dst, store.Options{Box: storetest.Box(t)})
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	c := *f
	fx := *f.fixture
	c.apiFixture = &apiFixture{fixture: &fx, b: f.b}
	fx.t, fx.store, fx.logs = t, st, new(bytes.Buffer)
	now := func() time.Time { return fx.now }
	c.svc = &account.Service{People: st.People(), Projects: st, Now: now, Rand: rand.Reader,
		Params: account.DefaultParams, SiteRoot: f.svc.SiteRoot}
	fx.srv = New(Config{Store: st, Now: now, SiteRoot: "http://localhost:8000",
		Logger: slog.New(slog.NewTextHandler(fx.logs, nil)), SecretKey: fx.secret, Accounts: c.svc})
	return &c
}

// as serves a request as caller: a key in X-Api-Key, or a token as a bearer with project A in
// X-Project.
func (f *peopleFixture) as(caller, method, path, body string) *httptest.ResponseRecorder {
	f.t.Helper()
	var h []string
	switch caller {
	case cRWKey:
		h = []string{"X-Api-Key", keyA}
	case cROKey:
		h = []string{"X-Api-Key", keyARO}
	case cNone:
	default:
		h = []string{"Authorization", "Bearer " + f.tokens[caller], ProjectHeader, f.project.ID}
	}
	return f.do(method, path, body, h...)
}

// fixtureInvitation is the token hash of the people fixture's pending invitation.
const fixtureInvitation = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"

// TestRouteRoleTable walks every authenticated API route × every caller: the request is served
// (any status but a refusal) exactly when the caller may, a refusal has the status that kind
// of caller gets, and what a caller may read carries no secret it must not see.
func TestRouteRoleTable(t *testing.T) {
	type route struct {
		method, path, body string
		may                []string
		userRoute          bool // projects, members, tokens, account: personal tokens only
		projectScoped      bool // the URL names project A: an outsider gets 404
	}
	const (
		C  = "{check}"
		UK = "{unique}"
		CH = "{channel}"
		P  = "{project}"
		M  = "{memberUser}"
		T  = "{ownToken}"
	)
	var routes []route
	for _, v := range []string{"1", "2", "3"} {
		b := "/api/v" + v
		routes = append(routes,
			route{"GET", b + "/checks/", "", mayView, false, false},
			route{"POST", b + "/checks/", `{"name":"new"}`, mayWrite, false, false},
			route{"GET", b + "/checks/" + C, "", mayView, false, false},
			route{"GET", b + "/checks/" + UK, "", mayView, false, false},
			route{"POST", b + "/checks/" + C, `{"desc":"x"}`, mayWrite, false, false},
			route{"DELETE", b + "/checks/" + C, "", mayWrite, false, false},
			route{"POST", b + "/checks/" + C + "/pause", "", mayWrite, false, false},
			route{"POST", b + "/checks/" + C + "/resume", "", mayWrite, false, false},
			route{"GET", b + "/checks/" + C + "/pings/", "", mayWrite, false, false},
			route{"GET", b + "/checks/" + C + "/pings/1/body", "", mayWrite, false, false},
			route{"GET", b + "/checks/" + C + "/flips/", "", mayView, false, false},
			route{"GET", b + "/channels/", "", mayWrite, false, false},
		)
	}
	routes = append(routes,
		route{"POST", "/api/v3/channels/", `{"kind":"email","value":"b@example.org"}`, mayWrite, false, false},
		route{"DELETE", "/api/v3/channels/" + CH, "", mayWrite, false, false},
		route{"POST", "/api/v3/channels/" + CH + "/test", "", mayWrite, false, false},
		route{"GET", "/api/v3/deliveries/parked/", "", mayWrite, false, false},
		route{"POST", "/api/v3/checks/" + C + "/snooze", `{"minutes":5}`, mayWrite, false, false},
		route{"GET", "/api/v3/maintenance/", "", mayView, false, false},
		route{"POST", "/api/v3/maintenance/", `{"start":"2026-11-24T20:00:00Z","end":"2026-11-24T21:00:00Z"}`, mayWrite, false, false},

		route{"GET", "/api/v3/projects/", "", mayAnyUser, true, false},
		route{"POST", "/api/v3/projects/", `{"name":"Mine"}`, mayAnyUser, true, false},
		route{"GET", "/api/v3/projects/" + P, "", mayTeam, true, true},
		route{"POST", "/api/v3/projects/" + P, `{"name":"Renamed"}`, mayProject, true, true},
		route{"DELETE", "/api/v3/projects/" + P + "?force=true", "", mayProject, true, true},
		route{"GET", "/api/v3/projects/" + P + "/keys/", "", mayKeys, true, true},
		route{"POST", "/api/v3/projects/" + P + "/keys/", `{"kind":"ping"}`, mayKeys, true, true},
		route{"DELETE", "/api/v3/projects/" + P + "/keys/read-only", "", mayKeys, true, true},
		route{"GET", "/api/v3/projects/" + P + "/members/", "", mayTeam, true, true},
		route{"POST", "/api/v3/projects/" + P + "/members/", `{"email":"new@example.org","role":"member"}`, mayManage, true, true},
		route{"POST", "/api/v3/projects/" + P + "/members/" + M, `{"role":"manager"}`, mayManage, true, true},
		// The member removing themselves is leaving, which anyone may.
		route{"DELETE", "/api/v3/projects/" + P + "/members/" + M, "", []string{cOwner, cManager, cMember}, true, true},
		route{"GET", "/api/v3/projects/" + P + "/invitations/", "", mayManage, true, true},
		route{"DELETE", "/api/v3/projects/" + P + "/invitations/" + fixtureInvitation, "", mayManage, true, true},

		route{"GET", "/api/v3/tokens/", "", mayAnyUser, true, false},
		route{"POST", "/api/v3/tokens/", `{"name":"ci"}`, mayAnyUser, true, false},
		route{"DELETE", "/api/v3/tokens/" + T, "", mayAnyUser, true, false},

		route{"GET", "/api/v3/account/", "", mayAnyUser, true, false},
		route{"POST", "/api/v3/account/", `{"reports":"weekly"}`, mayAnyUser, true, false},
	)

	// One fixture is built; each case runs on a copy of its database.
	base := newPeopleFixture(t)
	snap := base.snapshot(t)
	for _, rt := range routes {
		for _, caller := range allCallers {
			t.Run(rt.method+" "+rt.path+" as "+caller, func(t *testing.T) {
				f := base.clone(t, snap)
				own := f.tokenID[caller]
				if own == "" {
					own = uuid.NewString()
				}
				path := strings.NewReplacer(C, f.check.ID, UK, check.UniqueKey(f.check.ID), CH, f.channel.ID,
					P, f.project.ID, M, f.users[cMember].ID, T, own).Replace(rt.path)
				rec := f.as(caller, rt.method, path, rt.body)
				body := rec.Body.String()
				allowed := slices.Contains(rt.may, caller)
				refused := rec.Code == 401 || rec.Code == 403 || rec.Code == 404
				if allowed && (refused || rec.Code >= 500 && rec.Code != 501 && rec.Code != 503) {
					t.Fatalf("%s %s as %s = %d %s, want it served", rt.method, path, caller, rec.Code, body)
				}
				if !allowed {
					want := 403
					switch {
					case caller == cNone, caller == cRWKey || caller == cROKey:
						want = 401 // no credentials; a key where it is not accepted (Healthchecks' "wrong api key")
					case caller == cOutsider && (rt.projectScoped || !rt.userRoute):
						want = 404 // a project one does not belong to does not exist
					}
					if rec.Code != want {
						t.Fatalf("%s %s as %s = %d %s, want refused with %d", rt.method, path, caller, rec.Code, body, want)
					}
					if strings.Contains(body, f.check.ID) || strings.Contains(body, f.project.ID) {
						t.Errorf("refusal shows project data: %s", body)
					}
					return
				}
				// Never, to anyone: keys, tokens or password hashes in plain text.
				for _, secret := range []string{keyA, keyARO, "$argon2id", f.tokens[cOwner], f.tokens[cManager], f.tokens[cOutsider]} {
					if strings.Contains(body, secret) {
						t.Errorf("%s %s as %s shows a secret (%.10s…): %s", rt.method, path, caller, secret, body)
					}
				}
				// The read-only view: no UUID, ping URL or channels.
				if (caller == cReadOnly || caller == cROKey) && rt.method == "GET" && strings.Contains(rt.path, "/checks/") {
					for _, s := range []string{f.check.ID, "ping_url", "update_url", f.channel.ID} {
						if strings.Contains(body, s) {
							t.Errorf("%s %s as %s shows %q: %s", rt.method, path, caller, s, body)
						}
					}
				}
				if (caller == cMember || caller == cRWKey) && rt.method == "GET" && rt.path == "/api/v3/checks/"+C {
					if !strings.Contains(body, "ping_url") {
						t.Errorf("GET check as %s = %s, want the ping URL", caller, body)
					}
				}
			})
		}
	}
}

// TestTokenNeedsProject: a personal token on a Healthchecks-shaped route names its project.
func TestTokenNeedsProject(t *testing.T) {
	f := newPeopleFixture(t)
	rec := f.do("GET", "/api/v3/checks/", "", "Authorization", "Bearer "+f.tokens[cMember])
	wantError(t, rec, 400, errNeedProjectID.message)
	rec = f.do("GET", "/api/v3/checks/", "", "Authorization", "Bearer "+f.tokens[cMember]+"x", ProjectHeader, f.project.ID)
	wantError(t, rec, 401, errBadToken.message)
	// A key in X-Api-Key wins over a token, as before tokens existed.
	rec = f.do("GET", "/api/v3/checks/", "", "X-Api-Key", keyB, "Authorization", "Bearer "+f.tokens[cMember], ProjectHeader, f.project.ID)
	if body := rec.Body.String(); rec.Code != 200 || strings.Contains(body, f.check.ID) {
		t.Errorf("key B with a token of A = %d %s, want project B's checks", rec.Code, body)
	}
	// The outsider's token for project B works there.
	rec = f.do("GET", "/api/v3/checks/", "", "Authorization", "Bearer "+f.tokens[cOutsider], ProjectHeader, f.b.ID)
	if rec.Code != 200 {
		t.Errorf("outsider in own project = %d %s", rec.Code, rec.Body.String())
	}
	// The tokens API: a blank name says so; a new token works, is listed without its secret,
	// and stops working when revoked.
	owner := []string{"Authorization", "Bearer " + f.tokens[cOwner]}
	wantError(t, f.do("POST", "/api/v3/tokens/", `{"name":"  "}`, owner...), 400, "API token needs a name")
	rec = f.do("POST", "/api/v3/tokens/", `{"name":"ci"}`, owner...)
	var made struct{ ID, Token string }
	if err := json.Unmarshal(rec.Body.Bytes(), &made); rec.Code != 201 || err != nil || !account.LooksLikeAPIToken(made.Token) {
		t.Fatalf("create token = %d %s", rec.Code, rec.Body.String())
	}
	if rec := f.do("GET", "/api/v3/tokens/", "", "Authorization", "Bearer "+made.Token); rec.Code != 200 ||
		!strings.Contains(rec.Body.String(), made.ID) || strings.Contains(rec.Body.String(), made.Token) {
		t.Errorf("list with the new token = %d %s", rec.Code, rec.Body.String())
	}
	if rec := f.do("DELETE", "/api/v3/tokens/"+made.ID, "", owner...); rec.Code != 204 {
		t.Errorf("revoke = %d %s", rec.Code, rec.Body.String())
	}
	wantError(t, f.do("GET", "/api/v3/tokens/", "", "Authorization", "Bearer "+made.Token), 401, errBadToken.message)
	wantError(t, f.do("DELETE", "/api/v3/tokens/"+f.tokenID[cManager], "", owner...), 404, "token not found (list yours with GET /api/v3/tokens/)")

	// Last use is recorded.
	f.now = t0.Add(time.Hour)
	f.do("GET", "/api/v3/tokens/", "", "Authorization", "Bearer "+f.tokens[cOwner])
	list, _ := f.svc.People.APITokens(context.Background(), f.users[cOwner].ID)
	if len(list) != 1 || !list[0].LastUsed.Equal(f.now) {
		t.Errorf("LastUsed after a request = %v, want %v", list, f.now)
	}
}
