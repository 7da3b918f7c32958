package notify_test

import (
	"strings"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// setTiming gives the env's channel of kind a delay and a repeat.
func (e *env) setTiming(t testing.TB, kind string, delay, repeat time.Duration) {
	t.Helper()
	if _, err := e.st.UpdateChannel(t.Context(), projectID, e.chans[kind].ID, func(ch *check.Channel) error {
		ch.Delay, ch.Repeat = delay, repeat
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// at sets the clock to start+d and runs the dispatcher (new flips, then what is due).
func (e *env) runAt(t *testing.T, start time.Time, d time.Duration) {
	t.Helper()
	e.now = start.Add(d)
	e.run(t, e.dispatcher())
}

func (e *env) subjects(kind string) []string {
	f := e.fakes[kind]
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, s := range f.sends {
		out = append(out, strings.Fields(s.subject)[0])
	}
	return out
}

func sameStrings(a, b []string) bool { return strings.Join(a, " ") == strings.Join(b, " ") }

func TestDelayRecoveredFirstSendsNothing(t *testing.T) {
	e := newEnv(t)
	e.setTiming(t, check.ChannelWebhook, 15*time.Minute, 0)
	e.ping(t, check.PingSuccess)
	start := e.now.Add(time.Minute)
	e.now = start
	down := e.ping(t, check.PingFail)
	e.run(t, e.dispatcher())
	if got := e.sends(); got[check.ChannelEmail] != 1 || got[check.ChannelWebhook] != 0 {
		t.Fatalf("sends after the down flip = %v, want email at once, webhook not yet", got)
	}
	rec := e.delivery(t, down, check.ChannelWebhook)
	if rec.Status != store.DeliveryRetrying || rec.Attempts != 0 || !rec.NextAttempt.Equal(start.Add(15*time.Minute)) {
		t.Errorf("webhook's record = %s, %d attempts, due %v; want scheduled, due 15 minutes after the down flip", rec.Status, rec.Attempts, rec.NextAttempt)
	}
	e.runAt(t, start, 10*time.Minute)
	e.ping(t, check.PingSuccess) // up before the delay ran out
	e.runAt(t, start, 10*time.Minute)
	e.runAt(t, start, 30*time.Minute)
	if got := e.subjects(check.ChannelWebhook); len(got) != 0 {
		t.Errorf("webhook got %v, want neither down nor up", got)
	}
	if got := e.subjects(check.ChannelEmail); !sameStrings(got, []string{"DOWN", "UP"}) {
		t.Errorf("email got %v, want DOWN UP (no delay)", got)
	}
	rec = e.delivery(t, down, check.ChannelWebhook)
	if rec.Status != store.DeliveryFailed || rec.Attempts != 0 || !strings.HasPrefix(rec.LastError, "not sent") {
		t.Errorf("webhook's record = %s, %d attempts, %q; want failed unsent, saying why", rec.Status, rec.Attempts, rec.LastError)
	}
}

func TestDelayThenUp(t *testing.T) {
	e := newEnv(t)
	e.setTiming(t, check.ChannelWebhook, 15*time.Minute, 0)
	e.ping(t, check.PingSuccess)
	start := e.now.Add(time.Minute)
	e.now = start
	down := e.ping(t, check.PingFail)
	e.runAt(t, start, 0)
	e.runAt(t, start, 15*time.Minute-time.Second)
	if got := e.subjects(check.ChannelWebhook); len(got) != 0 {
		t.Fatalf("webhook got %v before its delay, want nothing", got)
	}
	e.runAt(t, start, 15*time.Minute)
	e.runAt(t, start, 16*time.Minute)
	// A duplicate stream record of the down flip and a second dispatcher change nothing.
	stale := *down
	stale.Processed = time.Time{}
	if n, err := e.dispatcher().DeliverFlip(t.Context(), &stale); n != 0 || err != nil {
		t.Errorf("DeliverFlip again = %d, %v; want 0, nil", n, err)
	}
	if got := e.subjects(check.ChannelWebhook); !sameStrings(got, []string{"DOWN"}) {
		t.Errorf("webhook got %v after its delay, want one DOWN", got)
	}
	e.now = start.Add(20 * time.Minute)
	e.ping(t, check.PingSuccess)
	e.runAt(t, start, 20*time.Minute)
	if got := e.subjects(check.ChannelWebhook); !sameStrings(got, []string{"DOWN", "UP"}) {
		t.Errorf("webhook got %v, want DOWN UP", got)
	}
}

func TestRepeatWhileDown(t *testing.T) {
	for _, tt := range []struct {
		name string
		hold func(t *testing.T, e *env, start time.Time) // at start+25m
		want []string                                    // sms subjects by start+75m
	}{
		{"no hold", func(*testing.T, *env, time.Time) {},
			[]string{"DOWN", "DOWN", "DOWN", "DOWN", "DOWN", "DOWN", "UP"}}, // 0, 10, 20, 30, 40, 50; up at 60
		{"snoozed from 25 to 55: the repeat waits for its end", func(t *testing.T, e *env, start time.Time) {
			if _, err := e.st.UpdateCheck(t.Context(), e.check.ID, func(c *check.Check) (store.Change, error) {
				f, err := c.Snooze(30*time.Minute, e.now, nil)
				return store.Change{Flip: f}, err
			}); err != nil {
				t.Fatal(err)
			}
		}, []string{"DOWN", "DOWN", "DOWN", "DOWN", "UP"}}, // 0, 10, 20, 55; up at 60
		{"maintenance from 25 to 48: the repeat waits for its end", func(t *testing.T, e *env, start time.Time) {
			w := &check.Window{ID: "f0000000-0000-4000-8000-000000000001", ProjectID: projectID,
				Start: start.Add(25 * time.Minute), End: start.Add(48 * time.Minute), Created: e.now}
			if err := e.st.CreateWindow(t.Context(), w); err != nil {
				t.Fatal(err)
			}
		}, []string{"DOWN", "DOWN", "DOWN", "DOWN", "DOWN", "UP"}}, // 0, 10, 20, 48, 58; up at 60
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.setTiming(t, check.ChannelSMS, 0, 10*time.Minute)
			e.ping(t, check.PingSuccess)
			start := e.now.Add(time.Minute)
			e.now = start
			e.ping(t, check.PingFail)
			for m := 0; m <= 75; m++ {
				e.now = start.Add(time.Duration(m) * time.Minute)
				switch m {
				case 25:
					tt.hold(t, e, start)
				case 60:
					e.ping(t, check.PingSuccess)
				}
				e.run(t, e.dispatcher())
				if m == 20 {
					// A second dispatcher at the same instant sends no repeat twice.
					e.run(t, e.dispatcher())
				}
			}
			if got := e.subjects(check.ChannelSMS); !sameStrings(got, tt.want) {
				t.Errorf("sms got %v, want %v", got, tt.want)
			}
			if got := e.subjects(check.ChannelEmail); !sameStrings(got, []string{"DOWN", "UP"}) {
				t.Errorf("email got %v, want DOWN UP (no repeat)", got)
			}
			due, err := e.ds.Due(t.Context(), start.Add(1000*time.Hour), 10)
			if err != nil || len(due) != 0 {
				t.Errorf("deliveries still due after the outage = %d, %v; want none (the chain ended)", len(due), err)
			}
		})
	}
}

func TestRepeatStopsWhenTurnedOff(t *testing.T) {
	e := newEnv(t)
	e.setTiming(t, check.ChannelSMS, 0, 10*time.Minute)
	e.ping(t, check.PingSuccess)
	start := e.now.Add(time.Minute)
	e.now = start
	e.ping(t, check.PingFail)
	e.runAt(t, start, 0)
	e.runAt(t, start, 10*time.Minute)
	e.setTiming(t, check.ChannelSMS, 0, 0)
	e.runAt(t, start, 20*time.Minute)
	e.runAt(t, start, 30*time.Minute)
	if got := e.subjects(check.ChannelSMS); !sameStrings(got, []string{"DOWN", "DOWN"}) {
		t.Errorf("sms got %v, want two DOWNs, then none once repeat is off", got)
	}
}
