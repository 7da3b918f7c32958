package notify

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
)

// sampleValues are a valid channel value for every service kind.
var sampleValues = map[string]string{
	"slack":      "https://hooks.slack.com/services/T000/B000/XXXX",
	"discord":    `{"webhook": {"url": "https://discord.com/api/webhooks/1/a"}}`,
	"msteamsw":   "https://prod.westus.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=x",
	"mattermost": "https://mm.example.org/hooks/abc",
	"pd":         "0123456789abcdef0123456789abcdef",
	"opsgenie":   `{"key": "eb243592-faa2-4ba2-a551-1afdf565c889", "region": "us"}`,
	"telegram":   `{"token": "123456:ABCdefGHIjklMNOpqrSTUvwxYZ0123456", "chat_id": 5}`,
	"ntfy":       "https://ntfy.sh/alerts",
	"gotify":     `{"url": "https://gotify.example.org", "token": "AbCdEf123"}`,
	"googlechat": "https://chat.googleapis.com/v1/spaces/A/messages?key=k&token=t",
	"rocketchat": "https://rc.example.org/hooks/abc/def",
	"po":         `{"user_key": "uQiRzpo4DXghDmr9QzzfQu27cmVRsG", "app_token": "azGDORePK8gMaC0QOYAMyEEuzJnyUi"}`,
	"victorops":  "https://alert.victorops.com/integrations/generic/20131114/alert/k/r",
	"pagertree":  "https://api.pagertree.com/integration/int_abc",
	"zulip":      `{"bot_email": "bot@example.org", "api_key": "k1", "site": "https://z.example.org", "to": "ops", "mtype": "stream"}`,
	"matrix":     `{"room_id": "!ops:example.org", "access_token": "t"}`,
	"pushbullet": "o.0123456789abcdef0123456789abcdef",
	"spike":      "https://hooks.spike.sh/abc/push-events",
	"trello":     `{"key": "0123456789abcdef0123456789abcdef", "token": "0123456789abcdef0123456789abcdef", "list_id": "5f1e"}`,
	"call":       `{"account_sid": "AC0123456789abcdef0123456789abcdef", "auth_token": "0123456789abcdef0123", "from": "+14155550100", "to": "+14155550101"}`,
	"whatsapp":   `{"account_sid": "AC0123456789abcdef0123456789abcdef", "auth_token": "0123456789abcdef0123", "from": "+14155550100", "to": "+14155550101"}`,
	"signal":     `{"from": "+14155550100", "to": "+14155550101"}`,
	"github":     `{"repo": "octo-org/backups", "token": "github_pat_0123456789abcdef0123"}`,
}

// upAfterOutage is a check up again after 2 h 14 min 37 s down.
func upAfterOutage() Alert {
	t0 := time.Date(2026, 11, 24, 20, 0, 0, 0, time.UTC)
	c := check.New("c0000000-0000-4000-8000-000000000001", "p", t0)
	c.Name, c.Timeout = "backup", time.Hour
	up := t0.Add(2*time.Hour + 14*time.Minute + 37*time.Second)
	return Alert{
		Check:     c,
		Flip:      &check.Flip{ID: "2", CheckID: c.ID, Created: up, OldStatus: check.StatusDown, NewStatus: check.StatusUp},
		DownSince: t0,
		URL:       "https://overdue.example/api/v3/checks/" + c.ID,
	}
}

// TestDowntimeInEveryUpMessage: the up message of every kind that sends one says how long the
// check was down: the email's text and HTML, the SMS, the webhook event, and every service
// kind's request.
func TestDowntimeInEveryUpMessage(t *testing.T) {
	const long, short = "2 hours 14 minutes", "2 h 14 min"
	m, err := NewMessage(upAfterOutage())
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{"text": m.Text, "HTML": m.HTML} {
		if !strings.Contains(text, "it was down for "+long) || !strings.Contains(text, "Down for") {
			t.Errorf("%s = %q, want the downtime %q in the headline and as a fact", name, text, long)
		}
	}
	if want := `UP: "backup" is up again after ` + short + ` (Nov 24 22:14 UTC)`; m.SMS != want {
		t.Errorf("SMS = %q, want %q", m.SMS, want)
	}
	if m.Event.Flip.DownSeconds != 2*3600+14*60+37 {
		t.Errorf("event down_seconds = %d, want %d", m.Event.Flip.DownSeconds, 2*3600+14*60+37)
	}
	for _, k := range serviceKinds {
		// Kinds that send no up message (a phone call, a Trello card), and PagerDuty, whose
		// resolve event (Events API v2) carries no text: PagerDuty shows the incident's duration
		// itself.
		if k.downOnly || k.name == "pd" {
			continue
		}
		t.Run(k.name, func(t *testing.T) {
			v, ok := sampleValues[k.name]
			if !ok {
				t.Fatalf("no sample value for %s", k.name)
			}
			if err := k.validate(v); err != nil {
				t.Fatalf("sample value: %v", err)
			}
			out, err := k.request(call{Value: v, Base: "https://svc.example", Card: m.card, Delivery: "d1"})
			if err != nil {
				t.Fatal(err)
			}
			// The text may be JSON-escaped, form-encoded or in the query.
			seen := string(out.Body) + " " + out.URL
			if q, err := url.ParseQuery(string(out.Body)); err == nil {
				for _, vs := range q {
					seen += " " + strings.Join(vs, " ")
				}
			}
			var doc any
			if json.Unmarshal(out.Body, &doc) == nil {
				seen += " " + flatten(doc)
			}
			if u, err := url.Parse(out.URL); err == nil {
				for _, vs := range u.Query() {
					seen += " " + strings.Join(vs, " ")
				}
			}
			if !strings.Contains(seen, long) {
				t.Errorf("the up request does not say %q:\n%s %s", long, out.URL, out.Body)
			}
		})
	}
}

// flatten is every string in a decoded JSON document, space-separated.
func flatten(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []any:
		var parts []string
		for _, e := range v {
			parts = append(parts, flatten(e))
		}
		return strings.Join(parts, " ")
	case map[string]any:
		var parts []string
		for _, e := range v {
			parts = append(parts, flatten(e))
		}
		return strings.Join(parts, " ")
	}
	return ""
}

func TestShortDowntime(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{45 * time.Second, "45 s"},
		{2*time.Minute + 5*time.Second, "2 min 5 s"},
		{2*time.Hour + 14*time.Minute + 37*time.Second, "2 h 14 min"},
		{3 * 24 * time.Hour, "3 d"},
		{3*24*time.Hour + 30*time.Minute, "3 d"},
		{0, "0 s"},
	} {
		if got := shortDowntime(tc.d); got != tc.want {
			t.Errorf("shortDowntime(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
	if got := Downtime(59*time.Second + 900*time.Millisecond); got != "59 seconds" {
		t.Errorf("Downtime(59.9 s) = %q, want 59 seconds", got)
	}
}
