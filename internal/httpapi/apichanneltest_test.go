package httpapi

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/notify"
)

// TestChannelTest: POST /api/v3/channels/{id}/test sends a test notification through the
// channel's real transport now. 200 when the service accepts it; the service's refusal is a 400
// and its failure a 502, with its error and without the channel's secret; a read-only key, and
// another project's channel, are refused; a group tests its targets.
func TestChannelTest(t *testing.T) {
	var status int
	var got []map[string]any
	slack := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var doc map[string]any
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &doc); err != nil || r.Method != "POST" || r.URL.Path != "/services/T0/B0/SECRETKEY" {
			t.Errorf("Slack got %s %s %s", r.Method, r.URL.Path, b)
		}
		got = append(got, doc)
		w.WriteHeader(status)
		if status == 404 {
			io.WriteString(w, "no_service: SECRETKEY")
		}
	}))
	defer slack.Close()
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	tester := &notify.Tester{Transports: notify.NewServices(notify.ServicesConfig{}), Now: func() time.Time { return now }}
	f := newAPIFixture(t, func(c *Config) { c.Tester = tester })
	id := decode(t, f.api("POST", "/api/v3/channels/", `{"kind":"slack","value":"`+slack.URL+`/services/T0/B0/SECRETKEY"}`, keyA))["id"].(string)
	test := "/api/v3/channels/" + id + "/test"

	status = 200
	rec := f.api("POST", test, "", keyA)
	if m := decode(t, rec); rec.Code != 200 || m["result"] != "sent" || m["id"] != id || m["kind"] != "slack" {
		t.Errorf("test = %d %s, want 200 and result sent", rec.Code, rec.Body)
	}
	if len(got) != 1 || !strings.Contains(mustJSON(t, got[0]), "TEST") {
		t.Errorf("Slack got %v, want one message about the check TEST", got)
	}

	for _, tc := range []struct {
		status, want int
		msg          string
	}{
		{404, 400, "Slack answered 404: no_service: …"},
		{503, 502, "Slack answered 503"},
	} {
		status = tc.status
		rec := f.api("POST", test, "", keyA)
		msg, _ := decode(t, rec)["error"].(string)
		if rec.Code != tc.want || msg != tc.msg || strings.Contains(rec.Body.String(), "SECRETKEY") {
			t.Errorf("test against a %d = %d %s, want %d %q without the key", tc.status, rec.Code, rec.Body, tc.want, tc.msg)
		}
	}

	status = 200
	group := decode(t, f.api("POST", "/api/v3/channels/", `{"kind":"group","value":"`+id+`"}`, keyA))["id"].(string)
	if rec := f.api("POST", "/api/v3/channels/"+group+"/test", "", keyA); rec.Code != 200 || len(got) != 4 {
		t.Errorf("group test = %d %s with %d messages to Slack, want 200 and a fourth", rec.Code, rec.Body, len(got))
	}
	if rec := f.api("POST", test, "", keyARO); rec.Code != 401 {
		t.Errorf("test with the read-only key = %d, want 401", rec.Code)
	}
	if rec := f.api("POST", test, "", keyB); rec.Code != 404 {
		t.Errorf("test of another project's channel = %d, want 404", rec.Code)
	}
	if len(got) != 4 {
		t.Errorf("Slack got %d messages, want 4", len(got))
	}
	plain := newAPIFixture(t)
	email := decode(t, plain.api("POST", "/api/v3/channels/", `{"kind":"email","value":"ops@example.org"}`, keyA))["id"].(string)
	if rec := plain.api("POST", "/api/v3/channels/"+email+"/test", "", keyA); rec.Code != 501 {
		t.Errorf("on a server without a tester = %d %s, want 501", rec.Code, rec.Body)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
