package notify_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/notify"
)

var t0 = time.Date(2026, 11, 24, 20, 8, 55, 0, time.UTC)

func TestHumanDuration(t *testing.T) {
	tests := map[time.Duration]string{
		0:                                "0 seconds",
		time.Minute:                      "1 minute",
		90 * time.Second:                 "1 minute 30 seconds",
		24 * time.Hour:                   "1 day",
		150 * time.Minute:                "2 hours 30 minutes",
		15 * 24 * time.Hour:              "2 weeks 1 day",
		365 * 24 * time.Hour:             "52 weeks 1 day",
		time.Hour + 500*time.Millisecond: "1 hour",
	}
	for d, want := range tests {
		if got := notify.HumanDuration(d); got != want {
			t.Errorf("HumanDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

// simpleAlert is the check of healthchecks-observed.md §5: "simple", timeout and grace 1 minute,
// last ping 20:08:55, down by timeout at 20:10:55.
func simpleAlert() notify.Alert {
	c := check.New("2753e3d5-83f9-46cb-a402-18ab2e8561c3", "p", t0)
	c.Name, c.Slug, c.Tags = "simple", "simple", "prod db"
	c.Timeout, c.Grace, c.LastPing, c.Status = time.Minute, time.Minute, t0, check.StatusDown
	return notify.Alert{
		Flip: &check.Flip{ID: "7", CheckID: c.ID, Created: t0.Add(2 * time.Minute),
			OldStatus: check.StatusUp, NewStatus: check.StatusDown, Reason: check.ReasonTimeout},
		Check:    c,
		LastPing: &check.Ping{CheckID: c.ID, N: 3, Created: t0, Kind: check.PingSuccess},
		URL:      "https://overdue.example/api/v3/checks/" + c.ID,
	}
}

func exitAlert(status int) notify.Alert {
	a := simpleAlert()
	a.Flip.Reason, a.Flip.Created = check.ReasonFail, t0
	a.Check.Kind, a.Check.Schedule, a.Check.TZ = check.KindCron, "0 3 * * *", "Europe/Riga"
	a.LastPing = &check.Ping{CheckID: a.Check.ID, N: 4, Created: t0, Kind: check.PingFail, ExitStatus: &status}
	return a
}

func contains(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(got, want) {
			t.Errorf("%s lacks %q:\n%s", what, want, got)
		}
	}
}

func TestTextTimeout(t *testing.T) {
	got := notify.Text(simpleAlert())
	if !strings.HasPrefix(got, "DOWN | simple\n") {
		t.Errorf("Text() starts %q, want the subject line first", strings.SplitN(got, "\n", 2)[0])
	}
	contains(t, "Text()", got,
		`The check "simple" has gone down.`,
		"Reason: success signal did not arrive on time, grace time passed.",
		"Tags: prod, db",
		"Period: 1 minute",
		"Last ping type: Success",
		"Last ping: 2026-11-24 20:08:55 UTC",
		"Status changed to down at: 2026-11-24 20:10:55 UTC",
		"Check: 2753e3d5-83f9-46cb-a402-18ab2e8561c3",
		"Details: https://overdue.example/api/v3/checks/2753e3d5-83f9-46cb-a402-18ab2e8561c3",
	)
}

func TestTextFailure(t *testing.T) {
	got := notify.Text(exitAlert(7))
	contains(t, "Text()", got,
		"Reason: received a failure signal.",
		"Last ping type: Exit status 7",
		"Schedule: 0 3 * * * (Europe/Riga)",
	)
	if strings.Contains(got, "Period:") {
		t.Errorf("Text() of a cron check shows a period:\n%s", got)
	}
}

func TestTextUp(t *testing.T) {
	a := simpleAlert()
	a.Flip.OldStatus, a.Flip.NewStatus, a.Flip.Reason = check.StatusDown, check.StatusUp, ""
	got := notify.Text(a)
	contains(t, "Text()", got, "UP | simple\n", `The check "simple" is now up.`, "Status changed to up at:")
	if strings.Contains(got, "Reason:") {
		t.Errorf("Text() of an up flip gives a reason:\n%s", got)
	}
}

func TestPingType(t *testing.T) {
	zero, seven := 0, 7
	tests := []struct {
		p    check.Ping
		want string
	}{
		{check.Ping{Kind: check.PingSuccess}, "Success"},
		{check.Ping{Kind: check.PingSuccess, ExitStatus: &zero}, "Success"},
		{check.Ping{Kind: check.PingFail}, "Failure"},
		{check.Ping{Kind: check.PingFail, ExitStatus: &seven}, "Exit status 7"},
		{check.Ping{Kind: check.PingStart}, "Start"},
		{check.Ping{Kind: check.PingLog}, "Log"},
		{check.Ping{Kind: check.PingIgnored}, "Ignored"},
	}
	for _, tt := range tests {
		if got := notify.PingType(&tt.p); got != tt.want {
			t.Errorf("PingType(%+v) = %q, want %q", tt.p, got, tt.want)
		}
	}
}

func TestMessageHTMLEscapes(t *testing.T) {
	a := simpleAlert()
	a.Check.Name = `<b>& "x"`
	a.URL = "javascript:alert(1)"
	m, err := notify.NewMessage(a)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m.HTML, "<b>&") || strings.Contains(m.HTML, "javascript:") {
		t.Errorf("HTML carries the name or URL unescaped:\n%s", m.HTML)
	}
	contains(t, "HTML", m.HTML, "&lt;b&gt;&amp;", "success signal did not arrive on time", "2026-11-24 20:10:55 UTC")
	if m.Subject != `DOWN | <b>& "x"` {
		t.Errorf("Subject = %q, want the name as is (subjects are not HTML)", m.Subject)
	}
	contains(t, "Text", m.Text, `The check "<b>& \"x\"" has gone down.`)

	a = simpleAlert()
	m, err = notify.NewMessage(a)
	if err != nil {
		t.Fatal(err)
	}
	contains(t, "HTML", m.HTML, `<a href="https://overdue.example/api/v3/checks/2753e3d5-83f9-46cb-a402-18ab2e8561c3">`,
		"<th", "Last ping type", "Success")
}

func TestSubjectOneLine(t *testing.T) {
	a := simpleAlert()
	a.Check.Name = "a\r\nBcc: evil@example.org"
	if got := notify.Subject(a); strings.ContainsAny(got, "\r\n") {
		t.Errorf("Subject = %q, want one line", got)
	}
	a.Check.Name = ""
	if got, want := notify.Subject(a), "DOWN | "+a.Check.ID; got != want {
		t.Errorf("Subject of an unnamed check = %q, want %q", got, want)
	}
}

func TestShortText(t *testing.T) {
	up := simpleAlert()
	up.Flip.OldStatus, up.Flip.NewStatus, up.Flip.Reason = check.StatusDown, check.StatusUp, ""
	up.Flip.Created = t0.Add(3 * time.Minute)
	never := simpleAlert()
	never.Check.LastPing = time.Time{}
	flapping := simpleAlert()
	flapping.Flip.OldStatus, flapping.Flip.NewStatus, flapping.Flip.Reason = check.StatusDown, check.StatusUp, check.ReasonFlapping
	settled := simpleAlert()
	settled.Flip.OldStatus, settled.Flip.Reason = check.StatusDown, check.ReasonSettled
	tests := []struct {
		name string
		a    notify.Alert
		want string
	}{
		{"timeout", simpleAlert(), `DOWN: "simple" is overdue (last ping Nov 24 20:08 UTC)`},
		{"never pinged", never, `DOWN: "simple" is overdue (never pinged)`},
		{"failure", exitAlert(7), `DOWN: "simple" received a failure signal (Nov 24 20:08 UTC)`},
		{"up", up, `UP: "simple" is up again (Nov 24 20:11 UTC)`},
		{"flapping notice", flapping, `UP: "simple" is flapping, alerts held until it settles (Nov 24 20:10 UTC)`},
		{"settled", settled, `DOWN: "simple" stopped flapping (Nov 24 20:10 UTC)`},
	}
	for _, tt := range tests {
		if got := notify.ShortText(tt.a); got != tt.want {
			t.Errorf("ShortText(%s) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestShortTextFitsOneSMS(t *testing.T) {
	tests := []struct {
		name  string
		limit int
	}{
		{strings.Repeat("nightly-backup-", 20), 160},
		{strings.Repeat("{x}", 60), 160},          // GSM escapes count twice
		{strings.Repeat("sauvegarde ✓ ", 20), 70}, // needs UCS-2
	}
	for _, tt := range tests {
		a := simpleAlert()
		a.Check.Name = tt.name
		got := notify.ShortText(a)
		n := utf8.RuneCountInString(got) + strings.Count(got, "{") + strings.Count(got, "}")
		if n > tt.limit {
			t.Errorf("ShortText(%q...) is %d units, want at most %d: %q", tt.name[:10], n, tt.limit, got)
		}
		if !strings.HasPrefix(got, `DOWN: "`) || !strings.Contains(got, `..." is overdue (last ping`) {
			t.Errorf("ShortText(%q...) = %q, want the shortened name and the rest intact", tt.name[:10], got)
		}
	}
}

func TestEventJSON(t *testing.T) {
	m, err := notify.NewMessage(exitAlert(7))
	if err != nil {
		t.Fatal(err)
	}
	body, err := m.JSON("c:7:e")
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("JSON is not JSON: %v\n%s", err, body)
	}
	want := map[string]any{
		"event": "flip",
		"check": map[string]any{
			"uuid": "2753e3d5-83f9-46cb-a402-18ab2e8561c3", "name": "simple", "slug": "simple",
			"tags": "prod db", "status": "down",
			"url": "https://overdue.example/api/v3/checks/2753e3d5-83f9-46cb-a402-18ab2e8561c3",
		},
		"flip":     map[string]any{"old": "up", "new": "down", "reason": "fail", "at": "2026-11-24T20:08:55Z"},
		"delivery": "c:7:e",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("event JSON (-want +got):\n%s", diff)
	}
	if m.Event.Delivery != "" {
		t.Errorf("JSON changed the shared message's delivery to %q", m.Event.Delivery)
	}
}
