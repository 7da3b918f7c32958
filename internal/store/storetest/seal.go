package storetest

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/seal"
	"github.com/overduehq/overdue/internal/store"
)

// Box is a seal.Box over a fixed test secret, for the Options of stores under test.
func Box(tb testing.TB) *seal.Box {
	return BoxOf(tb, "storetest server secret, 32 chars")
}

// BoxOf is a seal.Box over secret.
func BoxOf(tb testing.TB, secret string) *seal.Box {
	tb.Helper()
	b, err := seal.New([]byte(secret))
	if err != nil {
		tb.Fatalf("seal.New = %v", err)
	}
	return b
}

// Secrets are channel values that must never reach a store's data in clear text: one per
// shape of secret (a webhook URL with its key, a JSON configuration with a token, an integration
// key, an address). SearchPlain looks for each of them, and for the distinctive part named.
var Secrets = []struct{ Kind, Value, Part string }{
	{"slack", "https://hooks.slack.com/services/T000/B000/sEcReTsLaCkToKeN42", "sEcReTsLaCkToKeN42"},
	{"telegram", `{"chat_id":"-100123","token":"123456:tElEgRaMsEcReT-xyz"}`, "tElEgRaMsEcReT"},
	{"pd", "pDiNtEgRaTiOnKeY0123456789abcdef", "pDiNtEgRaTiOnKeY"},
	{"email", "sEcReT.oPs@example.org", "sEcReT.oPs"},
}

// Sealing runs the tests of channel values at rest. open opens a store over the same data each
// time it is called (the first call makes it, empty), with box as its Options.Box (nil: none);
// raw returns every byte the store's data holds (SQLite: the database file and its WAL;
// DynamoDB: every item of the table, marshalled).
func Sealing(t *testing.T, open func(t *testing.T, box *seal.Box) store.Store, raw func(t *testing.T) []byte) {
	ctx := t.Context()
	box := Box(t)
	s := open(t, box)
	p := newProject(1, t0)
	createProject(t, s, p)
	var want []*check.Channel
	for i, sec := range Secrets {
		ch := newChannel(i+1, p.ID, t0.Add(time.Duration(i)*time.Second))
		ch.Kind, ch.Value = sec.Kind, sec.Value
		createChannel(t, s, ch)
		want = append(want, ch)
	}
	got, err := s.Channels(ctx, p.ID)
	if err != nil {
		t.Fatalf("Channels = %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Channels did not give back the values in clear (-want +got):\n%s", diff)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}

	data := raw(t)
	if !bytes.Contains(data, []byte(want[0].Name)) {
		t.Fatalf("the raw data holds no channel name %q: raw does not see the channels", want[0].Name)
	}
	if n := bytes.Count(data, []byte(seal.Prefix)); n < len(Secrets) {
		t.Errorf("the raw data holds %d sealed values, want at least %d", n, len(Secrets))
	}
	SearchPlain(t, data)

	// Another secret cannot open them, and says so; no secret at all cannot either.
	other := open(t, BoxOf(t, "another server secret, 32 chars!"))
	_, err = other.Channels(ctx, p.ID)
	if !errors.Is(err, seal.ErrOtherKey) {
		t.Errorf("Channels under another secret = %v, want seal.ErrOtherKey", err)
	}
	for _, sec := range Secrets {
		if err != nil && bytes.Contains([]byte(err.Error()), []byte(sec.Part)) {
			t.Errorf("Channels' error %q shows the secret %q", err, sec.Part)
		}
	}
	other.Close()
	none := open(t, nil)
	if _, err := none.Channels(ctx, p.ID); !errors.Is(err, store.ErrNoBox) {
		t.Errorf("Channels without a box = %v, want store.ErrNoBox", err)
	}
	ch := newChannel(9, p.ID, t0)
	if err := none.CreateChannel(ctx, ch); !errors.Is(err, store.ErrNoBox) {
		t.Errorf("CreateChannel without a box = %v, want store.ErrNoBox", err)
	}
	none.Close()
}

// SearchPlain fails t for every secret of Secrets that data holds in clear text.
func SearchPlain(t *testing.T, data []byte) {
	t.Helper()
	for _, sec := range Secrets {
		if bytes.Contains(data, []byte(sec.Part)) {
			t.Errorf("the stored data holds the %s secret %q in clear text", sec.Kind, sec.Part)
		}
	}
}
