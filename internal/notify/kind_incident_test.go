package notify_test

import (
	"net/http"
	"strings"
	"testing"
)

const checkUUID = "2753e3d5-83f9-46cb-a402-18ab2e8561c3"

// TestOpsgenie: create with the check's UUID as alias on down, close by that alias on up,
// GenieKey authorization; the EU region picks the EU endpoint only when no override is set.
func TestOpsgenie(t *testing.T) {
	s := newService(t, 202, `{"result":"Request will be processed","requestId":"x"}`)
	bases := map[string]string{"opsgenie": s.URL}
	const key = "eb243592-faa2-4ba2-a551q-1afdf565c889"
	value := `{"key": "` + key + `", "region": "eu"}`
	if err := sendKind(t, "opsgenie", value, downAlert(), bases); err != nil {
		t.Fatal(err)
	}
	r := s.one(t)
	wantJSON(t, r)
	if r.Path != "/v2/alerts" || r.Header.Get("Authorization") != "GenieKey "+key {
		t.Errorf("create = %s with Authorization %q", r.Path, r.Header.Get("Authorization"))
	}
	doc := r.JSON(t)
	if path(t, doc, "alias") != checkUUID || path(t, doc, "message") != "DOWN | backup <db>" || path(t, doc, "source") != "Overdue" {
		t.Errorf("create body = %v", doc)
	}
	if got := path(t, doc, "details", "Last ping type"); got != "Exit status 3" {
		t.Errorf("details = %v", path(t, doc, "details"))
	}
	if got := path(t, doc, "description").(string); !strings.Contains(got, "connection refused") {
		t.Errorf("description = %q, want the body excerpt", got)
	}
	if err := sendKind(t, "opsgenie", value, upAlert(), bases); err != nil {
		t.Fatal(err)
	}
	r = s.one(t)
	if r.Method != http.MethodPost || r.Path != "/v2/alerts/"+checkUUID+"/close" || r.Query != "identifierType=alias" ||
		r.Header.Get("Authorization") != "GenieKey "+key {
		t.Errorf("close = %s %s?%s (%q)", r.Method, r.Path, r.Query, r.Header.Get("Authorization"))
	}
	if path(t, r.JSON(t), "source") != "Overdue" {
		t.Errorf("close body = %s", r.Body)
	}
	// Opsgenie's documented refusal of a bad key.
	bad := newService(t, 422, `{"message":"Key format is not valid!","took":0.001,"requestId":"x"}`)
	if err := sendKind(t, "opsgenie", key, downAlert(), map[string]string{"opsgenie": bad.URL}); !isPermanentWith(err, "Opsgenie answered 422: Key format is not valid!") {
		t.Errorf("Send to a 422 = %v", err)
	}
}

// TestVictorOps: the REST endpoint gets CRITICAL then RECOVERY for one entity_id.
func TestVictorOps(t *testing.T) {
	s := newService(t, 200, `{"result":"success","entity_id":"x"}`)
	u := s.URL + "/integrations/generic/20131114/alert/APIKEY/routing"
	if err := sendKind(t, "victorops", u, downAlert(), nil); err != nil {
		t.Fatal(err)
	}
	r := s.one(t)
	wantJSON(t, r)
	down := r.JSON(t)
	if r.Path != "/integrations/generic/20131114/alert/APIKEY/routing" || path(t, down, "message_type") != "CRITICAL" ||
		path(t, down, "entity_id") != checkUUID || path(t, down, "monitoring_tool") != "Overdue" {
		t.Errorf("down = %s %v", r.Path, down)
	}
	if err := sendKind(t, "victorops", u, upAlert(), nil); err != nil {
		t.Fatal(err)
	}
	up := s.one(t).JSON(t)
	if path(t, up, "message_type") != "RECOVERY" || path(t, up, "entity_id") != checkUUID {
		t.Errorf("up = %v", up)
	}
}

// TestPagerTree: create then resolve with the same id.
func TestPagerTree(t *testing.T) {
	s := newService(t, 200, "")
	u := s.URL + "/integration/int_abc"
	if err := sendKind(t, "pagertree", u, downAlert(), nil); err != nil {
		t.Fatal(err)
	}
	r := s.one(t)
	wantJSON(t, r)
	down := r.JSON(t)
	if path(t, down, "event_type") != "create" || path(t, down, "id") != checkUUID || path(t, down, "title") != "DOWN | backup <db>" ||
		path(t, down, "urgency") != "high" {
		t.Errorf("down = %v", down)
	}
	if err := sendKind(t, "pagertree", u, upAlert(), nil); err != nil {
		t.Fatal(err)
	}
	if up := s.one(t).JSON(t); path(t, up, "event_type") != "resolve" || path(t, up, "id") != checkUUID {
		t.Errorf("up = %v", up)
	}
}

func isPermanentWith(err error, text string) bool {
	return err != nil && err.Error() == text && isPermanent(err)
}
