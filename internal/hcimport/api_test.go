package hcimport_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/hcimport"
	"github.com/overduehq/overdue/internal/httpapi"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/sqlite"
	"github.com/overduehq/overdue/internal/store/storetest"
)

const (
	rwKey = "hcw_0123456789abcdef0123456789ab"
	roKey = "hcr_0123456789abcdef0123456789ab"
)

// fakeHealthchecks answers the two calls an import makes with the recorded shapes in
// testdata/api, and refuses a missing or wrong key as Healthchecks does.
func fakeHealthchecks(t *testing.T) *httptest.Server {
	t.Helper()
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", "api", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		key := r.Header.Get("X-Api-Key")
		switch {
		case r.Method != http.MethodGet:
			w.WriteHeader(http.StatusMethodNotAllowed)
		case len(key) != 32:
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error": "missing api key"}`)
		case r.URL.Path == "/api/v3/checks/" && key == rwKey:
			w.Write(read("checks.json"))
		case r.URL.Path == "/api/v3/checks/" && key == roKey:
			w.Write(read("readonly-checks.json"))
		case r.URL.Path == "/api/v3/channels/" && key == rwKey:
			w.Write(read("channels.json"))
		case key != rwKey && key != roKey, r.URL.Path == "/api/v3/channels/":
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error": "wrong api key"}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "overdue.db"), store.Options{Box: storetest.Box(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

var importedAt = time.Date(2026, 11, 24, 21, 0, 0, 0, time.UTC)

func options() hcimport.Options {
	return hcimport.Options{Now: func() time.Time { return importedAt }, Rand: rand.Reader, NewID: uuid.NewString}
}

func TestFromAPIRefusals(t *testing.T) {
	hc := fakeHealthchecks(t)
	for _, tt := range []struct {
		base, key, want string
	}{
		{hc.URL, "", `refused the API key (401 "missing api key")`},
		{hc.URL, "hcw_ffffffffffffffffffffffffffff", `refused the API key (401 "wrong api key")`},
		{hc.URL, roKey, "read-only key"},
		{hc.URL + "/nothing-here", rwKey, "404 Not Found: is --url the site root of a Healthchecks"},
		{"healthchecks.io", rwKey, "want the site root of a Healthchecks"},
		// The key never crosses a network in clear text: http only to this machine.
		{"http://healthchecks.example.org", rwKey, "the API key would cross the network in clear text; use https://"},
		{"http://localhost.example.org:8000", rwKey, "use https://"},
		{"http://192.0.2.10", rwKey, "use https://"},
	} {
		_, err := hcimport.FromAPI(context.Background(), hc.Client(), tt.base, tt.key)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("FromAPI(%s, key %q) = %v, want an error containing %q", tt.base, tt.key, err, tt.want)
		}
		if err != nil && tt.key != "" && strings.Contains(err.Error(), tt.key) {
			t.Errorf("the error shows the key: %v", err)
		}
	}
}

// TestImportFromAPI imports a project read through the API, checks that its ping URLs work
// and that Overdue's API shows each check as Healthchecks did, then creates one of the
// channels and imports again: the assignments follow, nothing else changes.
func TestImportFromAPI(t *testing.T) {
	ctx := context.Background()
	hc := fakeHealthchecks(t)
	src, err := hcimport.FromAPI(ctx, hc.Client(), hc.URL+"/", rwKey)
	if err != nil {
		t.Fatal(err)
	}
	if len(src.Checks) != 3 || len(src.Skipped) != 3 || !strings.Contains(src.Skipped[0], `"Bad zone"`) {
		t.Fatalf("read %d checks, skipped %q; want 3 checks and the bad zone, history and ping key skipped", len(src.Checks), src.Skipped)
	}

	st := openStore(t)
	dry := options()
	dry.DryRun = true
	rep, err := hcimport.Apply(ctx, st, src, dry)
	if err != nil || len(rep.Created) != 3 || !rep.NewProject || len(rep.Missing) != 2 {
		t.Fatalf("dry run = %+v, %v; want 3 checks and a project to create, 2 channels missing", rep, err)
	}
	if ps, _ := st.Projects(ctx); len(ps) != 0 {
		t.Fatalf("a dry run created %d projects", len(ps))
	}

	rep, err = hcimport.Apply(ctx, st, src, options())
	if err != nil {
		t.Fatal(err)
	}
	if !rep.NewProject || len(rep.Created) != 3 || rep.Project.Name != "Imported from "+strings.TrimPrefix(hc.URL, "http://") {
		t.Fatalf("import = %+v, want a new project with 3 checks", rep)
	}
	if len(rep.Missing) != 2 || rep.Missing[0].Name != "Email Alice" || rep.Missing[1].Kind != "slack" {
		t.Errorf("missing channels = %+v, want Email Alice (email) and Ops Slack (slack)", rep.Missing)
	}
	keys := rep.Keys

	// The ping URLs answer, and the API shows what Healthchecks showed.
	now := importedAt
	api := httptest.NewServer(httpapi.New(httpapi.Config{Store: st, Now: func() time.Time { return now }, SecretKey: []byte("k"), SiteRoot: "http://overdue.test"}))
	defer api.Close()
	var source struct {
		Checks []map[string]any `json:"checks"`
	}
	raw, _ := os.ReadFile(filepath.Join("testdata", "api", "checks.json"))
	if err := json.Unmarshal(raw, &source); err != nil {
		t.Fatal(err)
	}
	for _, want := range source.Checks[:3] {
		id := want["uuid"].(string)
		got := getJSON(t, api.URL+"/api/v3/checks/"+id, keys.APIKey)
		for k, v := range want {
			switch k {
			case "ping_url", "update_url", "pause_url", "resume_url", "badge_url":
				// Same paths on Overdue's host.
				wantPath := v.(string)[strings.Index(v.(string)[8:], "/")+8:]
				if k == "ping_url" {
					wantPath = "/ping/" + id
				}
				if !strings.HasSuffix(got[k].(string), wantPath) {
					t.Errorf("check %s: %s = %v, want …%s", id, k, got[k], wantPath)
				}
			case "channels":
				// Channels differ in ID; none exists in Overdue yet.
				if got[k] != "" {
					t.Errorf("check %s: channels = %q, want none before they are created", id, got[k])
				}
			default:
				if !jsonEqual(got[k], v) {
					t.Errorf("check %s: %s = %v, want %v as in Healthchecks", id, k, got[k], v)
				}
			}
		}
	}
	// Up checks go down when Healthchecks would have sent them down.
	due, err := st.DueChecks(ctx, time.Date(2026, 11, 25, 20, 23, 55, 0, time.UTC), 10)
	if err != nil || len(due) != 1 || due[0].ID != "5e2a7c1d-3b4f-4a6e-9c8d-7f6e5d4c3b2a" {
		t.Errorf("due checks at last ping + timeout + grace = %v (%v), want the backup check", due, err)
	}

	ping(t, api.URL+"/ping/5e2a7c1d-3b4f-4a6e-9c8d-7f6e5d4c3b2a")
	ping(t, api.URL+"/ping/"+keys.PingKey+"/weekday-sync")
	c, err := st.Check(ctx, "5e2a7c1d-3b4f-4a6e-9c8d-7f6e5d4c3b2a")
	if err != nil || c.NPings != 25 {
		t.Errorf("after a ping the imported check has n_pings %d (%v), want 25", c.NPings, err)
	}
	b, err := st.CheckByBadgeKey(ctx, "4b1f8a2c-6d3e-4f5a-8b7c-9d0e1f2a3b4c")
	if err != nil || b.ID != c.ID {
		t.Errorf("the check's Healthchecks badge key finds %v (%v), want the check", b, err)
	}
	// The operator creates one of the channels; the next import assigns it, and that is all.
	email := &check.Channel{ID: uuid.NewString(), ProjectID: rep.Project.ID, Kind: "email", Name: "Email Alice", Value: "alice@example.org", Created: now}
	if err := st.CreateChannel(ctx, email); err != nil {
		t.Fatal(err)
	}
	rep2, err := hcimport.Apply(ctx, st, src, options())
	if err != nil {
		t.Fatal(err)
	}
	if rep2.NewProject || rep2.Project.ID != rep.Project.ID || len(rep2.Created) != 0 || len(rep2.Existing) != 3 || rep2.Assigned != 2 || len(rep2.Missing) != 1 {
		t.Errorf("second import = %+v; want the same project, nothing created, 2 assignments, Ops Slack still missing", rep2)
	}
	for _, id := range []string{"5e2a7c1d-3b4f-4a6e-9c8d-7f6e5d4c3b2a", "6f3b8d2e-4c5a-4b7f-8d9e-0a1b2c3d4e5f"} {
		if got := getJSON(t, api.URL+"/api/v3/checks/"+id, keys.APIKey)["channels"]; got != email.ID {
			t.Errorf("check %s: channels = %v, want %s", id, got, email.ID)
		}
	}
	rep3, err := hcimport.Apply(ctx, st, src, options())
	if err != nil || len(rep3.Created) != 0 || rep3.Assigned != 0 {
		t.Errorf("third import = %+v, %v; want nothing to do", rep3, err)
	}
	if ps, _ := st.Projects(ctx); len(ps) != 1 {
		t.Errorf("%d projects after three imports, want 1", len(ps))
	}

	// Into a named project, when the checks are in another one: refused, nothing written.
	other := &check.Project{ID: "other", Name: "Other", Created: now}
	if err := st.CreateProject(ctx, other); err != nil {
		t.Fatal(err)
	}
	opts := options()
	opts.ProjectID = "other"
	if _, err := hcimport.Apply(ctx, st, src, opts); err == nil || !strings.Contains(err.Error(), "already exists in project "+rep.Project.ID) {
		t.Errorf("import into another project = %v, want a refusal naming the project that has the checks", err)
	}
}

func getJSON(t *testing.T, u, key string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("X-Api-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&m) != nil {
		t.Fatalf("GET %s = %s", u, resp.Status)
	}
	return m
}

func ping(t *testing.T, u string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "OK" {
		t.Errorf("GET %s = %d %q, want 200 OK", u, resp.StatusCode, b)
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
