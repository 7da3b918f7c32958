package notify_test

import (
	"github.com/overduehq/overdue/internal/notify"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestPushbullet: a link push with the Access-Token header.
func TestPushbullet(t *testing.T) {
	s := newService(t, 200, `{"active":true,"iden":"x"}`)
	const token = "o.Ab12Cd34Ef56Gh78Ij90Kl"
	for _, a := range []struct {
		alert alertFunc
		title string
	}{{downAlert, "DOWN | backup <db>"}, {upAlert, "UP | backup <db>"}} {
		if err := sendKind(t, "pushbullet", token, a.alert(), map[string]string{"pushbullet": s.URL}); err != nil {
			t.Fatal(err)
		}
		r := s.one(t)
		wantJSON(t, r)
		doc := r.JSON(t)
		if r.Path != "/v2/pushes" || r.Header.Get("Access-Token") != token || path(t, doc, "type") != "link" ||
			path(t, doc, "title") != a.title || path(t, doc, "url") != "https://overdue.example/api/v3/checks/"+checkUUID {
			t.Errorf("push = %s (%q) %v", r.Path, r.Header.Get("Access-Token"), doc)
		}
	}
	bad := newService(t, 401, `{"error":{"code":"invalid_access_token","type":"invalid_request","message":"Access token is missing or invalid.","cat":"(=^‥^=)"}}`)
	if err := sendKind(t, "pushbullet", token, downAlert(), map[string]string{"pushbullet": bad.URL}); err == nil || !isPermanent(err) ||
		!strings.Contains(err.Error(), "Access token is missing or invalid.") {
		t.Errorf("Send to a 401 = %v", err)
	}
}

// TestSpike: down and up with one check_id and the status.
func TestSpike(t *testing.T) {
	s := newService(t, 200, "")
	for _, a := range []struct {
		alert  alertFunc
		status string
	}{{downAlert, "down"}, {upAlert, "up"}} {
		if err := sendKind(t, "spike", s.URL+"/api/v1/integrations/tok/hc", a.alert(), nil); err != nil {
			t.Fatal(err)
		}
		r := s.one(t)
		wantJSON(t, r)
		doc := r.JSON(t)
		if r.Path != "/api/v1/integrations/tok/hc" || path(t, doc, "check_id") != checkUUID || path(t, doc, "status") != a.status {
			t.Errorf("%s = %s %v", a.status, r.Path, doc)
		}
	}
}

// TestTrello: a card on down, nothing on up.
func TestTrello(t *testing.T) {
	s := newService(t, 200, `{"id":"card"}`)
	const key, token, list = "0123456789abcdef0123456789abcdef", "ATTA0123456789abcdef0123456789abcdef", "5f0123456789abcdef012345"
	value := `{"key": "` + key + `", "token": "` + token + `", "list_id": "` + list + `"}`
	if err := sendKind(t, "trello", value, downAlert(), map[string]string{"trello": s.URL}); err != nil {
		t.Fatal(err)
	}
	r := s.one(t)
	form, _ := url.ParseQuery(string(r.Body))
	if r.Method != "POST" || r.Path != "/1/cards" || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" ||
		form.Get("key") != key || form.Get("token") != token || form.Get("idList") != list || form.Get("name") != "DOWN | backup <db>" ||
		!strings.Contains(form.Get("desc"), "Exit status 3") {
		t.Errorf("request = %s %s %v", r.Method, r.Path, form)
	}
	if err := sendKind(t, "trello", value, upAlert(), map[string]string{"trello": s.URL}); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-s.got:
		t.Errorf("up sent %s %s, want nothing", r.Method, r.Path)
	default:
	}
}

const (
	twilioSID   = "AC0123456789abcdef0123456789abcdef"
	twilioToken = "0123456789abcdef0123456789abcdef"
	twilioValue = `{"account_sid": "` + twilioSID + `", "auth_token": "` + twilioToken + `", "from": "+14155550100", "to": "+37120000000"}`
)

func wantTwilio(t *testing.T, r request, resource string) url.Values {
	t.Helper()
	user, pass, ok := (&http.Request{Header: r.Header}).BasicAuth()
	if r.Method != "POST" || r.Path != "/2010-04-01/Accounts/"+twilioSID+"/"+resource || !ok || user != twilioSID || pass != twilioToken ||
		r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		t.Errorf("request = %s %s, basic auth %q %v", r.Method, r.Path, user, ok)
	}
	form, err := url.ParseQuery(string(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	return form
}

// TestCall: a Twilio call with inline TwiML on down; no call on up.
func TestCall(t *testing.T) {
	s := newService(t, 201, `{"sid":"CA1"}`)
	bases := map[string]string{"call": s.URL}
	if err := sendKind(t, "call", twilioValue, downAlert(), bases); err != nil {
		t.Fatal(err)
	}
	form := wantTwilio(t, s.one(t), "Calls.json")
	if form.Get("To") != "+37120000000" || form.Get("From") != "+14155550100" ||
		!strings.Contains(form.Get("Twiml"), "<Say>Hello! A message from Overdue. The check &#34;backup &lt;db&gt;&#34; has gone down.") {
		t.Errorf("form = %v", form)
	}
	if err := sendKind(t, "call", twilioValue, upAlert(), bases); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.got:
		t.Error("up made a call, want none")
	default:
	}
	bad := newService(t, 400, `{"code":21211,"message":"The 'To' number +37120000000 is not a valid phone number.","more_info":"https://www.twilio.com/docs/errors/21211","status":400}`)
	if err := sendKind(t, "call", twilioValue, downAlert(), map[string]string{"call": bad.URL}); !isPermanentWith(err, "Twilio (call) answered 400: The 'To' number … is not a valid phone number.") {
		t.Errorf("Send to a 400 = %v", err)
	}
}

// TestWhatsApp: Twilio Messages with whatsapp: addresses, down and up.
func TestWhatsApp(t *testing.T) {
	s := newService(t, 201, `{"sid":"SM1"}`)
	bases := map[string]string{"whatsapp": s.URL}
	for _, a := range []struct {
		alert alertFunc
		title string
	}{{downAlert, "*DOWN | backup <db>*"}, {upAlert, "*UP | backup <db>*"}} {
		if err := sendKind(t, "whatsapp", twilioValue, a.alert(), bases); err != nil {
			t.Fatal(err)
		}
		form := wantTwilio(t, s.one(t), "Messages.json")
		if form.Get("To") != "whatsapp:+37120000000" || form.Get("From") != "whatsapp:+14155550100" || !strings.HasPrefix(form.Get("Body"), a.title) {
			t.Errorf("form = %v", form)
		}
	}
}

type alertFunc = func() notify.Alert
