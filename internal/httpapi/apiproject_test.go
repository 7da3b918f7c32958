package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/overduehq/overdue/internal/account"
	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/store"
)

// TestProjectsAPIFlow stands a project up from nothing with a personal token, as a bootstrap
// script would: create it, use its keys, list, rename, rotate a key, and delete it.
func TestProjectsAPIFlow(t *testing.T) {
	f := newPeopleFixture(t)
	bearer := []string{"Authorization", "Bearer " + f.tokens[cOutsider]}

	rec := f.do("POST", "/api/v3/projects/", `{"name":"Payments"}`, bearer...)
	if rec.Code != 201 {
		t.Fatalf("create = %d %s", rec.Code, rec.Body.String())
	}
	var p struct {
		ID, Name, Role string
		APIKey         string `json:"api_key"`
		APIKeyReadonly string `json:"api_key_readonly"`
		PingKey        string `json:"ping_key"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	if p.Role != "owner" || p.Name != "Payments" || len(p.APIKey) != 32 || len(p.APIKeyReadonly) != 32 || len(p.PingKey) != 22 {
		t.Fatalf("create = %+v, want the caller as owner and three keys", p)
	}
	// The keys work at once, and only as hashes in the store.
	if rec := f.api("POST", "/api/v3/checks/", `{"name":"nightly"}`, p.APIKey); rec.Code != 201 {
		t.Errorf("create a check with the new key = %d %s", rec.Code, rec.Body.String())
	}
	stored, _ := f.store.Project(context.Background(), p.ID)
	if stored.APIKeyHash != check.HashKey(p.APIKey) || strings.Contains(stored.APIKeyHash, p.APIKey) {
		t.Errorf("stored key hash = %q, want HashKey of the key", stored.APIKeyHash)
	}
	if rec := f.do("GET", "/api/v3/projects/", "", bearer...); !strings.Contains(rec.Body.String(), `"name": "Payments", "role": "owner"`) ||
		strings.Contains(rec.Body.String(), f.project.ID) || strings.Contains(rec.Body.String(), p.APIKey) {
		t.Errorf("list = %s, want B and Payments, without keys or project A", rec.Body.String())
	}

	if rec := f.do("POST", "/api/v3/projects/"+p.ID, `{"name":""}`, bearer...); rec.Code != 400 {
		t.Errorf("rename to blank = %d, want 400", rec.Code)
	}
	if rec := f.do("POST", "/api/v3/projects/"+p.ID, `{"name":"Billing"}`, bearer...); rec.Code != 200 || !strings.Contains(rec.Body.String(), "Billing") {
		t.Errorf("rename = %d %s", rec.Code, rec.Body.String())
	}

	// Keys: hints, no second key of a kind, revoke, create anew.
	base := "/api/v3/projects/" + p.ID + "/keys/"
	rec = f.do("GET", base, "", bearer...)
	wantHint := "sha256:" + check.HashKey(p.APIKey)[:8]
	if !strings.Contains(rec.Body.String(), `{"kind": "read-write", "hint": "`+wantHint+`"}`) {
		t.Errorf("keys = %s, want the read-write key's hint %s", rec.Body.String(), wantHint)
	}
	if rec := f.do("POST", base, `{"kind":"read-write"}`, bearer...); rec.Code != 409 {
		t.Errorf("second read-write key = %d, want 409", rec.Code)
	}
	if rec := f.do("POST", base, `{"kind":"admin"}`, bearer...); rec.Code != 400 {
		t.Errorf("unknown kind = %d, want 400", rec.Code)
	}
	if rec := f.do("DELETE", base+"read-write", "", bearer...); rec.Code != 204 {
		t.Fatalf("revoke = %d %s", rec.Code, rec.Body.String())
	}
	if rec := f.api("GET", "/api/v3/checks/", "", p.APIKey); rec.Code != 401 {
		t.Errorf("revoked key = %d, want 401", rec.Code)
	}
	if rec := f.do("DELETE", base+"read-write", "", bearer...); rec.Code != 404 {
		t.Errorf("revoke again = %d, want 404", rec.Code)
	}
	rec = f.do("POST", base, `{"kind":"read-write"}`, bearer...)
	var k keyJSON
	if err := json.Unmarshal(rec.Body.Bytes(), &k); rec.Code != 201 || err != nil || len(k.Key) != 32 {
		t.Fatalf("new read-write key = %d %s", rec.Code, rec.Body.String())
	}
	if rec := f.api("GET", "/api/v3/checks/", "", k.Key); rec.Code != 200 || !strings.Contains(rec.Body.String(), "nightly") {
		t.Errorf("new key lists = %d %s", rec.Code, rec.Body.String())
	}

	// Delete: refused while it has a check, then forced; its keys stop working.
	if rec := f.do("DELETE", "/api/v3/projects/"+p.ID, "", bearer...); rec.Code != 409 || !strings.Contains(rec.Body.String(), "1 checks") {
		t.Errorf("delete with a check = %d %s, want 409 naming it", rec.Code, rec.Body.String())
	}
	if rec := f.do("DELETE", "/api/v3/projects/"+p.ID+"?force=maybe", "", bearer...); rec.Code != 400 {
		t.Errorf("force=maybe = %d, want 400", rec.Code)
	}
	if rec := f.do("DELETE", "/api/v3/projects/"+p.ID+"?force=true", "", bearer...); rec.Code != 204 {
		t.Fatalf("forced delete = %d %s", rec.Code, rec.Body.String())
	}
	if rec := f.api("GET", "/api/v3/checks/", "", k.Key); rec.Code != 401 {
		t.Errorf("key of the deleted project = %d, want 401", rec.Code)
	}
	if rec := f.do("GET", "/api/v3/projects/"+p.ID, "", bearer...); rec.Code != 404 {
		t.Errorf("deleted project = %d, want 404", rec.Code)
	}
}

// TestMembersAPI: managers cannot grant or touch owner; the last owner stays; anyone leaves.
func TestMembersAPI(t *testing.T) {
	f := newPeopleFixture(t)
	as := func(caller string) []string { return []string{"Authorization", "Bearer " + f.tokens[caller]} }
	base := "/api/v3/projects/" + f.project.ID + "/members/"
	rec := f.do("GET", base, "", as(cReadOnly)...)
	for _, who := range []string{cOwner, cManager, cMember, cReadOnly} {
		if !strings.Contains(rec.Body.String(), `"email": "`+who+`@example.org"`) {
			t.Errorf("members = %s, want %s", rec.Body.String(), who)
		}
	}
	tests := []struct {
		caller, method, user, body string
		status                     int
	}{
		{cManager, "POST", cMember, `{"role":"owner"}`, 403},
		{cManager, "POST", cOwner, `{"role":"member"}`, 403},
		{cManager, "DELETE", cOwner, "", 403},
		{cManager, "POST", cMember, `{"role":"boss"}`, 400},
		{cManager, "POST", cMember, `{"role":"read-only"}`, 200},
		{cOwner, "POST", cOwner, `{"role":"manager"}`, 409}, // the last owner
		{cOwner, "DELETE", cOwner, "", 409},
		{cOwner, "POST", cOutsider, `{"role":"member"}`, 404}, // not a member: invite instead
		{cOwner, "POST", cManager, `{"role":"owner"}`, 200},
		{cOwner, "DELETE", cOwner, "", 204}, // another owner now: leaving is fine
		{cReadOnly, "DELETE", cReadOnly, "", 204},
	}
	invite := []struct {
		caller, body string
		status       int
	}{
		{cManager, `{"email":"carol@example.org","role":"owner"}`, 403},
		{cManager, `{"email":"not an email","role":"member"}`, 400},
		{cManager, `{"email":"member@example.org","role":"member"}`, 409},
		{cManager, `{"email":"Carol@example.org","role":"member"}`, 201},
	}
	for _, tt := range invite {
		rec := f.do("POST", base, tt.body, as(tt.caller)...)
		if rec.Code != tt.status {
			t.Errorf("invite %s as %s = %d %s, want %d", tt.body, tt.caller, rec.Code, rec.Body.String(), tt.status)
		}
		if rec.Code == 201 && !strings.Contains(rec.Body.String(), `"link": "http://localhost:8000/accounts/invite/`) {
			t.Errorf("invite without a mailer = %s, want the link for the inviter", rec.Body.String())
		}
	}
	for _, tt := range tests {
		rec := f.do(tt.method, base+f.users[tt.user].ID, tt.body, as(tt.caller)...)
		if rec.Code != tt.status {
			t.Errorf("%s %s %s as %s = %d %s, want %d", tt.method, tt.user, tt.body, tt.caller, rec.Code, rec.Body.String(), tt.status)
		}
	}
	ms, _ := f.svc.People.Members(context.Background(), f.project.ID)
	got := map[string]people.Role{}
	for _, m := range ms {
		got[m.UserID] = m.Role
	}
	if len(got) != 2 || got[f.users[cManager].ID] != people.RoleOwner || got[f.users[cMember].ID] != people.RoleReadOnly {
		t.Errorf("members after = %v, want the manager as owner and the member as read-only", got)
	}
}

// TestInvitationsAPI: owners and managers list the pending invitations (the fixture's and a new
// one, each with the id the invite answered), a manager cannot cancel an invitation to become
// owner, a cancelled invitation's link no longer works, and a second cancel is 404.
func TestInvitationsAPI(t *testing.T) {
	f := newPeopleFixture(t)
	as := func(caller string) []string { return []string{"Authorization", "Bearer " + f.tokens[caller]} }
	base := "/api/v3/projects/" + f.project.ID + "/invitations/"
	invited := map[string]any{}
	for _, role := range []string{"member", "owner"} {
		rec := f.do("POST", "/api/v3/projects/"+f.project.ID+"/members/", `{"email":"`+role+`-new@example.org","role":"`+role+`"}`, as(cOwner)...)
		if rec.Code != 201 {
			t.Fatalf("invite %s = %d %s", role, rec.Code, rec.Body)
		}
		invited[role] = decode(t, rec)
	}
	rec := f.do("GET", base, "", as(cManager)...)
	if rec.Code != 200 {
		t.Fatalf("list = %d %s", rec.Code, rec.Body)
	}
	body := rec.Body.String()
	for _, want := range []string{fixtureInvitation, invited["member"].(map[string]any)["id"].(string),
		invited["owner"].(map[string]any)["id"].(string), `"inviter": "owner@example.org"`, `"email": "owner-new@example.org"`} {
		if !strings.Contains(body, want) {
			t.Errorf("list = %s, want %q", body, want)
		}
	}
	if strings.Contains(body, "/accounts/invite/") {
		t.Errorf("list shows a link: %s", body)
	}

	ownerID := invited["owner"].(map[string]any)["id"].(string)
	if rec := f.do("DELETE", base+ownerID, "", as(cManager)...); rec.Code != 403 {
		t.Errorf("manager cancels an owner invitation = %d %s, want 403", rec.Code, rec.Body)
	}
	memberID := invited["member"].(map[string]any)["id"].(string)
	if rec := f.do("DELETE", base+memberID, "", as(cManager)...); rec.Code != 204 {
		t.Fatalf("manager cancels a member invitation = %d %s, want 204", rec.Code, rec.Body)
	}
	if rec := f.do("DELETE", base+memberID, "", as(cOwner)...); rec.Code != 404 || !strings.Contains(rec.Body.String(), "no such pending invitation") {
		t.Errorf("second cancel = %d %s, want 404", rec.Code, rec.Body)
	}
	link := invited["member"].(map[string]any)["link"].(string)
	token := link[strings.LastIndex(strings.TrimSuffix(link, "/"), "/")+1:]
	if _, err := f.svc.People.Invitation(context.Background(), account.HashToken(strings.TrimSuffix(token, "/")), f.now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the cancelled invitation's link still finds it: %v", err)
	}
	if rec := f.do("DELETE", base+ownerID, "", as(cOwner)...); rec.Code != 204 {
		t.Errorf("owner cancels an owner invitation = %d %s, want 204", rec.Code, rec.Body)
	}
}

// failingMailer refuses every mail the way an SMTP server does, naming the recipient.
type failingMailer struct{}

func (failingMailer) SendMail(_ context.Context, m account.Mail) error {
	return errors.New("550 5.1.1 <" + m.To + ">: recipient address rejected")
}

// TestInviteMailFailureLogsNoAddress: when the invitation mail fails, the answer carries the
// link for the inviter and a warning, and the log says why without the invitee's address.
func TestInviteMailFailureLogsNoAddress(t *testing.T) {
	f := newPeopleFixture(t)
	f.svc.Mailer = failingMailer{}
	rec := f.do("POST", "/api/v3/projects/"+f.project.ID+"/members/", `{"email":"dana.secret@example.org","role":"member"}`,
		"Authorization", "Bearer "+f.tokens[cOwner])
	if rec.Code != 201 || !strings.Contains(rec.Body.String(), `"link"`) || !strings.Contains(rec.Body.String(), "could not be sent") {
		t.Fatalf("invite with a failing mailer = %d %s, want 201 with the link and a warning", rec.Code, rec.Body)
	}
	logs := f.logs.String()
	if !strings.Contains(logs, "invitation mail not sent") || !strings.Contains(logs, "recipient address rejected") {
		t.Errorf("logs = %q, want the failure and its reason", logs)
	}
	if strings.Contains(logs, "dana.secret") {
		t.Errorf("logs show the invitee's address: %q", logs)
	}
}
