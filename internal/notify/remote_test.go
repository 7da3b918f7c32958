package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/notify"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/sqlite"
	"github.com/overduehq/overdue/internal/store/storetest"
)

// TestRemoteTester: a channel test asked of another process as JSON (the api function asking
// the notify function on AWS) reaches the service, and its refusal comes back as a
// *TestFailure; the request names the channel, never its value.
func TestRemoteTester(t *testing.T) {
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "overdue.db"), store.Options{Box: storetest.Box(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := t.Context()
	p := &check.Project{ID: "p1", Name: "Ops", Created: t0, APIKeyHash: "a"}
	if err := st.CreateProject(ctx, p); err != nil {
		t.Fatal(err)
	}
	ok, gone := newService(t, 200, "ok"), newService(t, 404, "no_service")
	chans := map[string]*check.Channel{}
	for name, svc := range map[string]*service{"ok": ok, "gone": gone} {
		ch := &check.Channel{ID: "e0000000-0000-4000-8000-00000000000" + map[string]string{"ok": "1", "gone": "2"}[name],
			ProjectID: p.ID, Kind: "mattermost", Name: name, Value: svc.URL + "/hooks/sEcReT" + name, Created: t0}
		if err := st.CreateChannel(ctx, ch); err != nil {
			t.Fatal(err)
		}
		chans[name] = ch
	}
	tester := &notify.Tester{Transports: notify.NewServices(notify.ServicesConfig{Now: func() time.Time { return t0 }}),
		Now: func() time.Time { return t0 }}
	var payloads []string
	remote := &notify.RemoteTester{Invoke: func(ctx context.Context, payload []byte) ([]byte, error) {
		payloads = append(payloads, string(payload))
		return invokeJSON(ctx, tester, st, payload)
	}}

	if err := remote.TestChannel(ctx, chans["ok"], nil); err != nil {
		t.Errorf("test of a channel the service accepts = %v, want nil", err)
	}
	if r := ok.one(t); !strings.HasSuffix(r.Path, "/hooks/sEcReTok") {
		t.Errorf("the service got %s, want the channel's URL", r.Path)
	}
	var tf *notify.TestFailure
	if err := remote.TestChannel(ctx, chans["gone"], nil); !errors.As(err, &tf) || !tf.Refused || !strings.Contains(tf.Message, "404") {
		t.Errorf("test of a channel the service refuses = %v, want a refusal naming the 404", err)
	}
	missing := &check.Channel{ID: "e0000000-0000-4000-8000-000000000009", ProjectID: p.ID}
	if err := remote.TestChannel(ctx, missing, nil); !errors.As(err, &tf) || !tf.Refused {
		t.Errorf("test of an unknown channel = %v, want a refusal", err)
	}
	for _, pl := range payloads {
		if strings.Contains(pl, "sEcReT") {
			t.Errorf("the request %s carries the channel's value", pl)
		}
	}
	failing := &notify.RemoteTester{Invoke: func(context.Context, []byte) ([]byte, error) { return nil, errors.New("throttled") }}
	if err := failing.TestChannel(ctx, chans["ok"], nil); err == nil || errors.As(err, &tf) {
		t.Errorf("a test that could not be asked = %v, want a plain error", err)
	}
}

// invokeJSON runs a RemoteTest's JSON as the notify function does, and answers its JSON.
func invokeJSON(ctx context.Context, tester *notify.Tester, st notify.ChannelLister, payload []byte) ([]byte, error) {
	var req notify.RemoteTest
	if err := json.Unmarshal(payload, &req); err != nil || req.Event != notify.RemoteTestEvent {
		return nil, fmt.Errorf("not a channel test: %s", payload)
	}
	res, err := tester.Run(ctx, st, req)
	if err != nil {
		return nil, err
	}
	return json.Marshal(res)
}
