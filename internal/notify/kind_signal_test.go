package notify_test

import (
	"strings"
	"testing"
)

// TestSignal: signal-cli REST API v2/send with the registered number and one recipient.
func TestSignal(t *testing.T) {
	s := newService(t, 201, `{"timestamp":"1"}`)
	bases := map[string]string{"signal": s.URL}
	value := `{"from": "+14155550100", "to": "+37120000000"}`
	for _, a := range []struct {
		alert alertFunc
		title string
	}{{downAlert, "DOWN | backup <db>\n"}, {upAlert, "UP | backup <db>\n"}} {
		if err := sendKind(t, "signal", value, a.alert(), bases); err != nil {
			t.Fatal(err)
		}
		r := s.one(t)
		wantJSON(t, r)
		doc := r.JSON(t)
		if r.Path != "/v2/send" || path(t, doc, "number") != "+14155550100" || path(t, doc, "recipients", 0) != "+37120000000" ||
			!strings.HasPrefix(path(t, doc, "message").(string), a.title) {
			t.Errorf("request = %s %v", r.Path, doc)
		}
	}
	bad := newService(t, 400, `{"error":"Invalid recipient"}`)
	if err := sendKind(t, "signal", value, downAlert(), map[string]string{"signal": bad.URL}); !isPermanentWith(err, "Signal answered 400: Invalid recipient") {
		t.Errorf("Send to a 400 = %v", err)
	}
}
