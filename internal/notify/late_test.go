package notify_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/notify"
	"github.com/overduehq/overdue/internal/store"
)

// lateNotice makes the env's check late: the email and webhook channels take late notices (the
// webhook with a delay, which a late notice ignores), the check pinged at the env's clock, and
// the sweep's flip at its grace start is returned.
func (e *env) lateNotice(t *testing.T) *check.Flip {
	t.Helper()
	for _, kind := range []string{check.ChannelEmail, check.ChannelWebhook} {
		if _, err := e.st.UpdateChannel(t.Context(), projectID, e.chans[kind].ID, func(ch *check.Channel) error {
			ch.Late = true
			if kind == check.ChannelWebhook {
				ch.Delay = 15 * time.Minute
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	e.ping(t, check.PingSuccess)
	var flip *check.Flip
	at := e.now.Add(e.check.Timeout + 10*time.Second)
	if _, err := e.st.UpdateCheck(t.Context(), e.check.ID, func(c *check.Check) (store.Change, error) {
		c.LateNotice = true
		flip = c.Sweep(at, nil)
		return store.Change{Flip: flip}, nil
	}); err != nil {
		t.Fatal(err)
	}
	if !flip.IsLate() {
		t.Fatalf("Sweep = %+v, want a late notice", flip)
	}
	e.now = at
	return flip
}

// TestLateNoticeDelivery: a late notice goes to the channels with Late set only, at once
// whatever their delay, once however often its flip is delivered, and says "late".
func TestLateNoticeDelivery(t *testing.T) {
	e := newEnv(t)
	e.ping(t, check.PingSuccess)
	e.run(t, e.dispatcher()) // the new→up flip: silent
	flip := e.lateNotice(t)
	e.run(t, e.dispatcher())
	if got := e.sends(); got[check.ChannelEmail] != 1 || got[check.ChannelWebhook] != 1 || got[check.ChannelSMS] != 0 || got[check.ChannelSNS] != 0 {
		t.Errorf("sends = %v, want one to email and webhook (late channels; the webhook's delay does not apply), none to sms and sns", got)
	}
	if got := e.subjects(check.ChannelEmail); !sameStrings(got, []string{"LATE"}) {
		t.Errorf("email subjects = %v, want LATE", got)
	}
	// A duplicate stream record, or a second dispatcher, sends nothing more.
	stale := *flip
	stale.Processed = time.Time{}
	if n, err := e.dispatcher().DeliverFlip(t.Context(), &stale); n != 0 || err != nil {
		t.Errorf("DeliverFlip again = %d, %v; want 0, nil", n, err)
	}
	e.run(t, e.dispatcher())
	if got := e.sends(); got[check.ChannelEmail] != 1 || got[check.ChannelWebhook] != 1 {
		t.Errorf("sends after a retry = %v, want still one each", got)
	}
	// The ping that ends the grace period sends nothing (no "up" after a late notice).
	e.now = e.now.Add(20 * time.Second)
	if f := e.ping(t, check.PingSuccess); f != nil {
		t.Errorf("ping after the notice made flip %+v, want none", f)
	}
	e.run(t, e.dispatcher())
	e.now = e.now.Add(30 * time.Minute)
	e.run(t, e.dispatcher())
	if got := e.sends(); got[check.ChannelEmail] != 1 || got[check.ChannelWebhook] != 1 {
		t.Errorf("sends after the ping = %v, want still one each", got)
	}
	if len(e.console.sent) != 1 || !e.console.sent[0].Flip.IsLate() {
		t.Errorf("console told %d alerts, want the late notice once", len(e.console.sent))
	}
}

// TestLateNoticeAfterPing: a late notice whose check pinged before it was delivered is dropped.
func TestLateNoticeAfterPing(t *testing.T) {
	e := newEnv(t)
	e.lateNotice(t)
	e.now = e.now.Add(5 * time.Second)
	e.ping(t, check.PingSuccess)
	e.run(t, e.dispatcher())
	if got := e.sends(); got[check.ChannelEmail] != 0 || got[check.ChannelWebhook] != 0 {
		t.Errorf("sends = %v, want none: the ping came first", got)
	}
	if q, err := e.st.UnprocessedFlips(t.Context(), 10); err != nil || len(q) != 0 {
		t.Errorf("UnprocessedFlips = %d, %v; want the notice marked processed", len(q), err)
	}
}

func TestLateMessage(t *testing.T) {
	c := check.New("c0000000-0000-4000-8000-000000000001", projectID, t0)
	c.Name, c.Grace = "backup", 30*time.Minute
	at := time.Date(2026, 11, 24, 20, 0, 0, 0, time.UTC)
	f := &check.Flip{CheckID: c.ID, Created: at, OldStatus: check.StatusUp, NewStatus: check.StatusUp, Reason: check.ReasonLate}
	m, err := notify.NewMessage(notify.Alert{Flip: f, Check: c})
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "LATE | backup" {
		t.Errorf("Subject = %q", m.Subject)
	}
	for _, want := range []string{`The check "backup" is late: its ping was expected at 2026-11-24 20:00:00 UTC`, "grace time (30 minutes)", "Late since: 2026-11-24 20:00:00 UTC"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("Text %q lacks %q", m.Text, want)
		}
	}
	if !strings.Contains(m.HTML, ">LATE</span>") || strings.Contains(m.HTML, ">UP</span>") {
		t.Errorf("HTML heading does not say LATE:\n%s", m.HTML)
	}
	if m.SMS != `LATE: "backup" is late (expected Nov 24 20:00 UTC)` {
		t.Errorf("SMS = %q", m.SMS)
	}
	raw, err := m.JSON("d1")
	if err != nil {
		t.Fatal(err)
	}
	var ev struct {
		Event string
		Check struct{ Status string }
		Flip  struct{ Old, New, Reason string }
	}
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Event != "late" || ev.Check.Status != "grace" || ev.Flip.Old != "up" || ev.Flip.New != "up" || ev.Flip.Reason != "late" {
		t.Errorf("event = %s, want event late, check.status grace, flip up→up, reason late", raw)
	}
}

func TestValidateLate(t *testing.T) {
	for _, tt := range []struct {
		kind, value string
		late        bool
		want        string // "" for nil, else a part of the error
	}{
		{"pd", `{"service_key":"x"}`, false, ""},
		{check.ChannelEmail, "a@example.org", true, ""},
		{check.ChannelSMS, "+14155550100", true, ""},
		{check.ChannelSNS, "arn:aws:sns:us-east-1:123456789012:alerts", true, ""},
		{check.ChannelWebhook, "https://example.org/hook", true, ""},
		{check.ChannelWebhook, `{"url_down": "https://example.org/d", "url_up": ""}`, true, "Healthchecks' form"},
		{"pd", `{"service_key":"x"}`, true, "a pd channel cannot take late notices"},
		{"slack", "https://hooks.slack.com/services/x", true, "late notices go to email, sms, sns, webhook channels"},
		{notify.ChannelGroup, "x", true, "not on the group"},
		{notify.ChannelShell, "x", true, "cannot take late notices"},
	} {
		err := notify.ValidateLate(tt.kind, tt.value, tt.late)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("ValidateLate(%s, %v) = %v, want nil", tt.kind, tt.late, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("ValidateLate(%s, %v) = %v, want an error saying %q", tt.kind, tt.late, err, tt.want)
		}
	}
}
