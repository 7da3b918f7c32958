package httpapi

import (
	"database/sql"
	"strings"
	"testing"
)

// TestDamagedChannel: a channel whose stored value does not open (it holds another channel's
// sealed value) is still listed, can be deleted, and does not stop checks being created with
// every channel or assigned it; changing or testing it answers 409 saying what to do.
func TestDamagedChannel(t *testing.T) {
	f := newAPIFixture(t)
	good := decode(t, f.api("POST", "/api/v3/channels/", `{"kind":"email","name":"good","value":"good@example.org"}`, keyA))["id"].(string)
	bad := decode(t, f.api("POST", "/api/v3/channels/", `{"kind":"email","name":"bad","value":"bad@example.org"}`, keyA))["id"].(string)
	db, err := sql.Open("sqlite", "file:"+f.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(t.Context(), `UPDATE channels SET value = (SELECT value FROM channels WHERE id = ?) WHERE id = ?`, good, bad); err != nil {
		t.Fatal(err)
	}

	rec := f.api("GET", "/api/v3/channels/", "", keyA)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), bad) || !strings.Contains(rec.Body.String(), good) {
		t.Errorf("list = %d %s, want 200 with both channels", rec.Code, rec.Body)
	}
	rec = f.api("POST", "/api/v3/checks/", `{"name":"all","channels":"*"}`, keyA)
	if rec.Code != 201 {
		t.Errorf("create with every channel = %d %s, want 201", rec.Code, rec.Body)
	}
	for _, path := range []string{"/api/v3/channels/" + bad, "/api/v3/channels/" + bad + "/test"} {
		body := `{"name":"renamed"}`
		if strings.HasSuffix(path, "/test") {
			body = ""
		}
		rec = f.api("POST", path, body, keyA)
		if rec.Code != 409 || !strings.Contains(rec.Body.String(), "re-create the channel") {
			t.Errorf("POST %s = %d %s, want 409 saying to re-create it", path, rec.Code, rec.Body)
		}
	}
	rec = f.api("DELETE", "/api/v3/channels/"+bad, "", keyA)
	if rec.Code != 200 {
		t.Errorf("delete the damaged channel = %d %s, want 200", rec.Code, rec.Body)
	}
	chans, err := f.store.Channels(t.Context(), f.project.ID)
	if err != nil || len(chans) != 1 || chans[0].ID != good {
		t.Errorf("after deleting it: Channels = %v, %v; want the good one alone and no error", chans, err)
	}
}
