package notify_test

import (
	"database/sql"
	"errors"
	"strings"
	"testing"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/seal"
	"github.com/overduehq/overdue/internal/store"
)

// TestDamagedValueParksOnlyItsChannel: one channel whose stored value does not open (here the
// webhook holds the SMS channel's sealed value, which is bound to that channel's ID) does not
// hold up the project's alerts: the other channels get the down alert, the damaged one's
// delivery is parked with the reason, its channel says so, and listing the channels says which
// one is damaged without showing any value.
func TestDamagedValueParksOnlyItsChannel(t *testing.T) {
	e := newEnv(t)
	db, err := sql.Open("sqlite", "file:"+e.path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(t.Context(), `UPDATE channels SET value = (SELECT value FROM channels WHERE id = ?) WHERE id = ?`,
		e.chans[check.ChannelSMS].ID, e.chans[check.ChannelWebhook].ID); err != nil {
		t.Fatal(err)
	}

	chs, err := e.st.Channels(t.Context(), projectID)
	var damaged *store.DamagedError
	if !errors.As(err, &damaged) || len(damaged.Errs) != 1 {
		t.Fatalf("Channels = %v, want a *store.DamagedError naming one channel", err)
	}
	var open *seal.OpenError
	if !errors.As(err, &open) || open.ID != e.chans[check.ChannelWebhook].ID {
		t.Errorf("Channels' error = %v, want a seal.OpenError for the webhook channel", err)
	}
	if len(chs) != len(check.ChannelKinds) {
		t.Fatalf("Channels with one damaged value gave %d channels, want all %d", len(chs), len(check.ChannelKinds))
	}
	for _, ch := range chs {
		switch {
		case ch.ID == e.chans[check.ChannelWebhook].ID && (ch.Damaged == "" || ch.Value != ""):
			t.Errorf("damaged channel = value %q, Damaged %q; want no value and a reason", ch.Value, ch.Damaged)
		case ch.ID != e.chans[check.ChannelWebhook].ID && (ch.Damaged != "" || ch.Value != e.chans[ch.Kind].Value):
			t.Errorf("channel %s = value %q, Damaged %q; want its own value opened", ch.Kind, ch.Value, ch.Damaged)
		}
	}
	if strings.Contains(err.Error(), "+14155550100") {
		t.Errorf("the error %q shows a channel value", err)
	}

	e.ping(t, check.PingSuccess)
	e.run(t, e.dispatcher()) // new→up: silent
	e.now = e.now.Add(60e9)
	e.ping(t, check.PingFail)
	if n := e.run(t, e.dispatcher()); n != len(check.ChannelKinds) {
		t.Errorf("Run sent %d, want %d (every channel but the damaged one, and the console)", n, len(check.ChannelKinds))
	}
	for kind, n := range e.sends() {
		want := 1
		if kind == check.ChannelWebhook {
			want = 0
		}
		if n != want {
			t.Errorf("%d sends to %s, want %d", n, kind, want)
		}
	}
	recs, err := e.ds.Parked(t.Context(), projectID, 100)
	if err != nil {
		t.Fatal(err)
	}
	parked := 0
	for _, r := range recs {
		if r.ChannelID == e.chans[check.ChannelWebhook].ID {
			parked++
			if r.Status != store.DeliveryParked || !strings.Contains(r.LastError, "re-create the channel") {
				t.Errorf("damaged channel's delivery = %s %q, want parked saying what to do", r.Status, r.LastError)
			}
		}
	}
	if parked != 1 {
		t.Errorf("%d deliveries to the damaged channel, want 1 (parked)", parked)
	}
	var row string
	if err := db.QueryRowContext(t.Context(), `SELECT last_error FROM channels WHERE id = ?`, e.chans[check.ChannelWebhook].ID).Scan(&row); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(row, "does not open") {
		t.Errorf("damaged channel's last error = %q, want the reason", row)
	}
}
