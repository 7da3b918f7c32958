package notify_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/notify"
	"github.com/overduehq/overdue/internal/seal"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/sqlite"
	"github.com/overduehq/overdue/internal/store/storetest"
)

// fakeTransport records what it sends and fails as scripted.
type fakeTransport struct {
	mu    sync.Mutex
	sends []fakeSend
	errs  []error // returned by successive calls; nil once used up
}

type fakeSend struct {
	channel, delivery, subject string
}

func (f *fakeTransport) Send(_ context.Context, ch *check.Channel, m *notify.Message, deliveryID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sends = append(f.sends, fakeSend{ch.ID, deliveryID, m.Subject})
	if len(f.errs) == 0 {
		return nil
	}
	err := f.errs[0]
	f.errs = f.errs[1:]
	return err
}

func (f *fakeTransport) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.sends)
}

func (f *fakeTransport) fail(errs ...error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs = errs
}

// recorder is a Notifier that remembers what it was told.
type recorder struct {
	mu   sync.Mutex
	sent []notify.Alert
}

func (r *recorder) Notify(_ context.Context, a notify.Alert) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, a)
	return nil
}

// env is a SQLite store with one project, one check and a channel of each kind, and a
// dispatcher over fake transports with a clock the test moves.
type env struct {
	path    string
	st      *sqlite.Store
	ds      *sqlite.Deliveries
	now     time.Time
	fakes   map[string]*fakeTransport
	console *recorder
	check   *check.Check
	chans   map[string]*check.Channel // by kind
}

const projectID = "a0000000-0000-4000-8000-000000000001"

func newEnv(t testing.TB) *env {
	t.Helper()
	path := filepath.Join(t.TempDir(), "overdue.db")
	st, err := sqlite.Open(path, store.Options{Box: storetest.Box(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := t.Context()
	ds := st.Deliveries()
	e := &env{path: path, st: st, ds: ds, now: t0, fakes: map[string]*fakeTransport{}, console: &recorder{},
		chans: map[string]*check.Channel{}}
	if err := st.CreateProject(ctx, &check.Project{ID: projectID, Name: "P", Created: t0,
		APIKeyHash: "a", ReadOnlyKeyHash: "b", PingKeyHash: "c"}); err != nil {
		t.Fatal(err)
	}
	values := map[string]string{
		check.ChannelEmail:   "alice@example.org",
		check.ChannelSMS:     "+14155550100",
		check.ChannelSNS:     "arn:aws:sns:us-east-1:123456789012:alerts",
		check.ChannelWebhook: "https://example.org/hook",
	}
	c := check.New("c0000000-0000-4000-8000-000000000001", projectID, t0)
	c.Name, c.Timeout, c.Grace = "backup", time.Minute, time.Minute
	for i, kind := range check.ChannelKinds {
		ch := &check.Channel{ID: fmt.Sprintf("e0000000-0000-4000-8000-%012d", i+1), ProjectID: projectID,
			Kind: kind, Name: kind, Value: values[kind], Created: t0.Add(time.Duration(i) * time.Second)}
		if err := st.CreateChannel(ctx, ch); err != nil {
			t.Fatal(err)
		}
		e.chans[kind] = ch
		e.fakes[kind] = &fakeTransport{}
		c.Channels = append(c.Channels, ch.ID)
	}
	if err := st.CreateCheck(ctx, c); err != nil {
		t.Fatal(err)
	}
	e.check = c
	return e
}

func (e *env) dispatcher() *notify.Dispatcher {
	tr := map[string]notify.Transport{}
	for k, f := range e.fakes {
		tr[k] = f
	}
	return &notify.Dispatcher{
		Store: e.st, Deliveries: e.ds, Transports: tr, Notifier: e.console,
		SiteRoot: "http://localhost:8000", Now: func() time.Time { return e.now },
	}
}

// ping applies a signal to the check at the env's clock and returns the flip, if any.
func (e *env) ping(t testing.TB, kind check.PingKind) *check.Flip {
	t.Helper()
	var flip *check.Flip
	_, err := e.st.UpdateCheck(t.Context(), e.check.ID, func(c *check.Check) (store.Change, error) {
		p, f := c.ApplyPing(check.Signal{Kind: kind}, e.now, nil)
		flip = f
		return store.Change{Ping: p, Flip: f}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return flip
}

func (e *env) run(t *testing.T, d *notify.Dispatcher) int {
	t.Helper()
	n, err := d.Run(t.Context())
	if err != nil {
		t.Fatalf("Run = %v", err)
	}
	return n
}

func (e *env) sends() map[string]int {
	out := map[string]int{}
	for k, f := range e.fakes {
		out[k] = f.count()
	}
	return out
}

func (e *env) channel(t *testing.T, kind string) *check.Channel {
	t.Helper()
	chs, err := e.st.Channels(t.Context(), projectID)
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range chs {
		if ch.ID == e.chans[kind].ID {
			return ch
		}
	}
	t.Fatalf("channel %s is gone", kind)
	return nil
}

func (e *env) delivery(t *testing.T, f *check.Flip, kind string) *store.Delivery {
	t.Helper()
	probe := &store.Delivery{ID: store.DeliveryID(e.check.ID, f.ID, e.chans[kind].ID), Flip: *f,
		ChannelID: "probe", ProjectID: projectID, Kind: kind, Status: store.DeliverySent, Created: e.now, Updated: e.now}
	ok, existing, err := e.ds.Claim(t.Context(), probe)
	if err != nil || ok {
		t.Fatalf("delivery of flip %s to %s: claimed %v, %v; want an existing record", f.ID, kind, ok, err)
	}
	return existing
}

func TestDeliverEveryChannelOnce(t *testing.T) {
	e := newEnv(t)
	d := e.dispatcher()
	e.ping(t, check.PingSuccess) // new→up: silent
	if n := e.run(t, d); n != 0 {
		t.Errorf("Run after new→up sent %d messages, want 0", n)
	}
	e.now = e.now.Add(time.Minute)
	f := e.ping(t, check.PingFail)
	n := e.run(t, d)
	want := map[string]int{check.ChannelEmail: 1, check.ChannelSMS: 1, check.ChannelSNS: 1, check.ChannelWebhook: 1}
	if got := e.sends(); n != 5 || !mapsEqual(got, want) {
		t.Errorf("Run after up→down = %d, sends %v; want 5 (4 channels + console), %v", n, got, want)
	}
	if len(e.console.sent) != 1 || e.console.sent[0].Flip.NewStatus != check.StatusDown {
		t.Errorf("console told %d times, want once about the down flip", len(e.console.sent))
	}
	s := e.fakes[check.ChannelWebhook].sends[0]
	if s.subject != "DOWN | backup" || s.delivery != store.DeliveryID(e.check.ID, f.ID, e.chans[check.ChannelWebhook].ID) {
		t.Errorf("webhook send = %+v, want subject DOWN | backup and the deterministic delivery ID", s)
	}

	// Again: the loop's next round, a duplicate stream record, a second dispatcher.
	if n := e.run(t, d); n != 0 {
		t.Errorf("second Run sent %d, want 0", n)
	}
	for _, dd := range []*notify.Dispatcher{d, e.dispatcher()} {
		if n, err := dd.DeliverFlip(t.Context(), f); n != 0 || err != nil {
			t.Errorf("DeliverFlip of a delivered flip = %d, %v; want 0, nil", n, err)
		}
	}
	// Even a copy of the flip as it was before it was processed (the stream's old image).
	stale := *f
	stale.Processed = time.Time{}
	if n, err := d.DeliverFlip(t.Context(), &stale); n != 0 || err != nil {
		t.Errorf("DeliverFlip of an unprocessed copy = %d, %v; want 0, nil", n, err)
	}
	if got := e.sends(); !mapsEqual(got, want) {
		t.Errorf("sends after repeats = %v, want still %v", got, want)
	}
	if rec := e.delivery(t, f, check.ChannelEmail); rec.Status != store.DeliverySent || rec.Attempts != 1 {
		t.Errorf("email delivery = %s after %d attempts, want sent after 1", rec.Status, rec.Attempts)
	}
}

func TestSilentFlips(t *testing.T) {
	e := newEnv(t)
	d := e.dispatcher()
	e.ping(t, check.PingSuccess) // new→up
	e.now = e.now.Add(time.Minute)
	_, err := e.st.UpdateCheck(t.Context(), e.check.ID, func(c *check.Check) (store.Change, error) {
		return store.Change{Flip: c.Pause(e.now)}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	e.now = e.now.Add(time.Minute)
	e.ping(t, check.PingSuccess) // paused→up
	if n := e.run(t, d); n != 0 {
		t.Errorf("Run = %d, want nothing sent for new→up, pause and paused→up", n)
	}
	if got := e.sends(); !mapsEqual(got, map[string]int{"email": 0, "sms": 0, "sns": 0, "webhook": 0}) {
		t.Errorf("sends = %v, want none", got)
	}
	flips, err := e.st.UnprocessedFlips(t.Context(), 10)
	if err != nil || len(flips) != 0 {
		t.Errorf("unprocessed flips after Run = %d, %v; want all processed", len(flips), err)
	}
}

// TestProcessedFlipIsHistory: a down flip written already processed, as an import writes a
// moved check's history, alerts no one, from the outbox or from a stream record of its insert.
func TestProcessedFlipIsHistory(t *testing.T) {
	e := newEnv(t)
	d := e.dispatcher()
	e.ping(t, check.PingSuccess)
	e.run(t, d)
	past := e.now.Add(-time.Hour)
	f := &check.Flip{CheckID: e.check.ID, Created: past, Processed: past, OldStatus: check.StatusUp, NewStatus: check.StatusDown, Reason: check.ReasonTimeout}
	if _, err := e.st.UpdateCheck(t.Context(), e.check.ID, func(*check.Check) (store.Change, error) {
		return store.Change{Flip: f}, nil
	}); err != nil {
		t.Fatal(err)
	}
	if n := e.run(t, d); n != 0 {
		t.Errorf("Run after a processed down flip = %d, want 0", n)
	}
	if n, err := d.DeliverFlip(t.Context(), f); n != 0 || err != nil {
		t.Errorf("DeliverFlip(processed down flip) = %d, %v; want 0, nil", n, err)
	}
	if got := e.sends(); !mapsEqual(got, map[string]int{"email": 0, "sms": 0, "sns": 0, "webhook": 0}) || len(e.console.sent) != 0 {
		t.Errorf("sends = %v, console %d; want none", got, len(e.console.sent))
	}
}

// TestOnlyAssignedEnabledChannels: a disabled channel, a channel of the project the check does
// not use, and a kind without a transport get nothing.
func TestOnlyAssignedEnabledChannels(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	if err := e.ds.MarkChannelError(ctx, projectID, e.chans[check.ChannelSMS].ID, "opted out", true); err != nil {
		t.Fatal(err)
	}
	_, err := e.st.UpdateCheck(ctx, e.check.ID, func(c *check.Check) (store.Change, error) {
		c.Channels = slices.DeleteFunc(c.Channels, func(id string) bool { return id == e.chans[check.ChannelSNS].ID })
		return store.Change{}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	d := e.dispatcher()
	delete(d.Transports, check.ChannelEmail)
	e.ping(t, check.PingSuccess)
	e.ping(t, check.PingFail)
	e.run(t, d)
	want := map[string]int{check.ChannelEmail: 0, check.ChannelSMS: 0, check.ChannelSNS: 0, check.ChannelWebhook: 1}
	if got := e.sends(); !mapsEqual(got, want) {
		t.Errorf("sends = %v, want %v", got, want)
	}
}

// TestRetryScheduleAndPark: a transient failure is retried after 30 s, 2 min, 10 min and 30 min,
// never earlier, and parked after the fifth attempt with the channel showing the error.
func TestRetryScheduleAndPark(t *testing.T) {
	e := newEnv(t)
	d := e.dispatcher()
	hook := e.fakes[check.ChannelWebhook]
	boom := errors.New("Received status code 503")
	hook.fail(boom, boom, boom, boom, boom)
	e.ping(t, check.PingSuccess)
	f := e.ping(t, check.PingFail)
	start := e.now
	e.run(t, d)

	elapsed := time.Duration(0)
	for i, wait := range notify.DefaultBackoff {
		rec := e.delivery(t, f, check.ChannelWebhook)
		if rec.Status != store.DeliveryRetrying || rec.Attempts != i+1 || !rec.NextAttempt.Equal(start.Add(elapsed+wait)) {
			t.Fatalf("after attempt %d: %s, %d attempts, next %v; want retrying, next at +%v",
				i+1, rec.Status, rec.Attempts, rec.NextAttempt, elapsed+wait)
		}
		elapsed += wait
		e.now = start.Add(elapsed - time.Microsecond)
		if n, err := d.RetryDue(t.Context()); n != 0 || err != nil || hook.count() != i+1 {
			t.Fatalf("RetryDue before attempt %d is due = %d, %v; %d sends, want none yet", i+2, n, err, hook.count())
		}
		e.now = start.Add(elapsed)
		if _, err := d.RetryDue(t.Context()); err != nil || hook.count() != i+2 {
			t.Fatalf("RetryDue when attempt %d is due: %v, %d sends; want %d", i+2, err, hook.count(), i+2)
		}
	}
	rec := e.delivery(t, f, check.ChannelWebhook)
	if rec.Status != store.DeliveryParked || rec.Attempts != 5 || rec.LastError != boom.Error() || !rec.NextAttempt.IsZero() {
		t.Errorf("after 5 attempts: %+v; want parked with the error", rec)
	}
	parked, err := e.ds.Parked(t.Context(), projectID, 10)
	if err != nil || len(parked) != 1 || parked[0].ID != rec.ID {
		t.Errorf("Parked = %v, %v; want the webhook delivery", parked, err)
	}
	ch := e.channel(t, check.ChannelWebhook)
	if ch.Disabled || !strings.Contains(ch.LastError, "not delivered after 5 attempts: Received status code 503") {
		t.Errorf("channel after parking: disabled %v, error %q; want enabled with the error", ch.Disabled, ch.LastError)
	}
	e.now = e.now.Add(24 * time.Hour)
	if n, _ := d.RetryDue(t.Context()); n != 0 || hook.count() != 5 {
		t.Errorf("RetryDue a day later sent %d (%d sends), want a parked delivery left alone", n, hook.count())
	}
	if got := e.sends()[check.ChannelEmail]; got != 1 {
		t.Errorf("email sends = %d, want 1: one channel's failures do not touch the others", got)
	}

	// The next alert that goes through clears the channel's error.
	e.now = e.now.Add(time.Minute)
	e.ping(t, check.PingSuccess)
	e.run(t, d)
	if ch := e.channel(t, check.ChannelWebhook); ch.LastError != "" {
		t.Errorf("channel error after a delivery went through = %q, want cleared", ch.LastError)
	}
}

func TestRetrySucceeds(t *testing.T) {
	e := newEnv(t)
	d := e.dispatcher()
	e.fakes[check.ChannelSMS].fail(errors.New("SNS Throttled: rate exceeded"))
	e.ping(t, check.PingSuccess)
	f := e.ping(t, check.PingFail)
	e.run(t, d)
	e.now = e.now.Add(30 * time.Second)
	if n := e.run(t, d); n != 1 {
		t.Errorf("Run when the retry is due sent %d, want 1", n)
	}
	rec := e.delivery(t, f, check.ChannelSMS)
	if rec.Status != store.DeliverySent || rec.Attempts != 2 || rec.LastError != "" {
		t.Errorf("SMS delivery = %+v, want sent on attempt 2 with no error", rec)
	}
	if ch := e.channel(t, check.ChannelSMS); ch.LastError != "" || ch.Disabled {
		t.Errorf("SMS channel = %q, disabled %v; want untouched", ch.LastError, ch.Disabled)
	}
}

func TestPermanentFailureDisablesChannel(t *testing.T) {
	e := newEnv(t)
	d := e.dispatcher()
	e.fakes[check.ChannelWebhook].fail(notify.Permanent(errors.New("Received status code 404")))
	e.ping(t, check.PingSuccess)
	f := e.ping(t, check.PingFail)
	e.run(t, d)
	rec := e.delivery(t, f, check.ChannelWebhook)
	if rec.Status != store.DeliveryFailed || rec.LastError != "Received status code 404" || !rec.NextAttempt.IsZero() {
		t.Errorf("webhook delivery = %+v, want failed with the error", rec)
	}
	ch := e.channel(t, check.ChannelWebhook)
	if !ch.Disabled || ch.LastError != "Received status code 404" {
		t.Errorf("channel = disabled %v, %q; want disabled with the error", ch.Disabled, ch.LastError)
	}
	e.now = e.now.Add(time.Hour)
	e.ping(t, check.PingSuccess)
	e.run(t, d)
	if got := e.fakes[check.ChannelWebhook].count(); got != 1 {
		t.Errorf("webhook sends = %d, want 1: no retry, and a disabled channel gets no more alerts", got)
	}
	if got := e.fakes[check.ChannelEmail].count(); got != 2 {
		t.Errorf("email sends = %d, want 2", got)
	}
}

// TestCrashedAttempt: a worker claimed a delivery and died before recording it. Nobody sends
// while its lease runs; once it has run out, the next pass sends it, once.
func TestCrashedAttempt(t *testing.T) {
	e := newEnv(t)
	d := e.dispatcher()
	e.ping(t, check.PingSuccess)
	f := e.ping(t, check.PingFail)
	// The dead worker's claim on the webhook delivery.
	dead := &store.Delivery{ID: store.DeliveryID(e.check.ID, f.ID, e.chans[check.ChannelWebhook].ID), Flip: *f,
		ChannelID: e.chans[check.ChannelWebhook].ID, ProjectID: projectID, Kind: check.ChannelWebhook,
		Status: store.DeliveryPending, Attempts: 1, NextAttempt: e.now.Add(notify.DefaultLease), Created: e.now, Updated: e.now}
	if ok, _, err := e.ds.Claim(t.Context(), dead); !ok || err != nil {
		t.Fatal(ok, err)
	}
	e.run(t, d)
	if got := e.fakes[check.ChannelWebhook].count(); got != 0 {
		t.Errorf("webhook sends during the lease = %d, want 0", got)
	}
	if got := e.fakes[check.ChannelEmail].count(); got != 1 {
		t.Errorf("email sends = %d, want 1: the other channels go out", got)
	}
	e.now = e.now.Add(notify.DefaultLease)
	e.run(t, d)
	e.run(t, d)
	if got := e.fakes[check.ChannelWebhook].count(); got != 1 {
		t.Errorf("webhook sends after the lease = %d, want 1", got)
	}
	if rec := e.delivery(t, f, check.ChannelWebhook); rec.Status != store.DeliverySent || rec.Attempts != 2 {
		t.Errorf("webhook delivery = %s after %d attempts, want sent after 2", rec.Status, rec.Attempts)
	}
}

// TestConcurrentDispatchers: two workers handling the same flips at once send each message once.
func TestConcurrentDispatchers(t *testing.T) {
	e := newEnv(t)
	e.ping(t, check.PingSuccess)
	var flips []*check.Flip
	for i := range 5 {
		e.now = e.now.Add(time.Minute)
		kind := check.PingFail
		if i%2 == 1 {
			kind = check.PingSuccess
		}
		flips = append(flips, e.ping(t, kind))
	}
	var wg sync.WaitGroup
	for range 4 {
		d := e.dispatcher()
		wg.Go(func() {
			for _, f := range flips {
				f := *f // each worker reads its own copy, as from its own query or stream record
				if _, err := d.DeliverFlip(t.Context(), &f); err != nil {
					t.Errorf("DeliverFlip = %v", err)
				}
			}
		})
	}
	wg.Wait()
	want := map[string]int{check.ChannelEmail: 5, check.ChannelSMS: 5, check.ChannelSNS: 5, check.ChannelWebhook: 5}
	if got := e.sends(); !mapsEqual(got, want) {
		t.Errorf("sends = %v, want each flip once per channel: %v", got, want)
	}
	if len(e.console.sent) != 5 {
		t.Errorf("console told %d times, want 5", len(e.console.sent))
	}
}

// TestRetryAfterChannelDeleted: a retry whose channel is gone ends as failed, unsent.
func TestRetryAfterChannelDeleted(t *testing.T) {
	e := newEnv(t)
	d := e.dispatcher()
	e.fakes[check.ChannelWebhook].fail(errors.New("Received status code 500"))
	e.ping(t, check.PingSuccess)
	f := e.ping(t, check.PingFail)
	e.run(t, d)
	if err := e.st.DeleteChannel(t.Context(), projectID, e.chans[check.ChannelWebhook].ID); err != nil {
		t.Fatal(err)
	}
	e.now = e.now.Add(time.Hour)
	e.run(t, d)
	rec := e.delivery(t, f, check.ChannelWebhook)
	if rec.Status != store.DeliveryFailed || rec.LastError != "Channel or check does not exist any more" {
		t.Errorf("delivery = %s %q, want failed because the channel is gone", rec.Status, rec.LastError)
	}
	if got := e.fakes[check.ChannelWebhook].count(); got != 1 {
		t.Errorf("webhook sends = %d, want only the first attempt", got)
	}
}

// TestNoTransportParks: an alert to a channel whose kind the server has no transport for is
// parked at once with the reason, visible in Parked and on the channel, which stays enabled;
// once the transport is there, the next alert goes out and the parked one stays parked.
func TestNoTransportParks(t *testing.T) {
	const reason = "this server cannot deliver email channels: start overdue serve with --smtp-host HOST"
	e := newEnv(t)
	d := e.dispatcher()
	delete(d.Transports, check.ChannelEmail)
	d.Undeliverable = map[string]string{check.ChannelEmail: reason}
	e.ping(t, check.PingSuccess)
	f := e.ping(t, check.PingFail)
	if n := e.run(t, d); n != 4 {
		t.Errorf("Run = %d, want 4 (sms, sns, webhook and the console)", n)
	}
	rec := e.delivery(t, f, check.ChannelEmail)
	if rec.Status != store.DeliveryParked || rec.LastError != reason || rec.Attempts != 1 || !rec.NextAttempt.IsZero() {
		t.Errorf("email delivery = %s %q after %d attempts, next %v; want parked with the reason after 1, nothing due",
			rec.Status, rec.LastError, rec.Attempts, rec.NextAttempt)
	}
	parked, err := e.ds.Parked(t.Context(), projectID, 10)
	if err != nil || len(parked) != 1 || parked[0].ID != rec.ID || parked[0].LastError != reason {
		t.Errorf("Parked = %v, %v; want the email delivery with the reason", parked, err)
	}
	if ch := e.channel(t, check.ChannelEmail); ch.Disabled || ch.LastError != reason {
		t.Errorf("email channel = disabled %v, error %q; want enabled, with the reason", ch.Disabled, ch.LastError)
	}

	// Restarted with a way to send email: the parked alert is not sent late, the next one is.
	d = e.dispatcher()
	e.now = e.now.Add(time.Hour)
	e.run(t, d)
	if got := e.fakes[check.ChannelEmail].count(); got != 0 {
		t.Errorf("email sends after the restart = %d, want 0: a parked alert stays parked", got)
	}
	e.ping(t, check.PingSuccess)
	e.run(t, d)
	if got := e.fakes[check.ChannelEmail].count(); got != 1 {
		t.Errorf("email sends after the recovery = %d, want 1", got)
	}
	if ch := e.channel(t, check.ChannelEmail); ch.LastError != "" {
		t.Errorf("email channel error after a delivery went through = %q, want cleared", ch.LastError)
	}

	// Without a reason from the composition root, the error still names the kind.
	e2 := newEnv(t)
	d = e2.dispatcher()
	delete(d.Transports, check.ChannelSMS)
	e2.ping(t, check.PingSuccess)
	f = e2.ping(t, check.PingFail)
	e2.run(t, d)
	if rec := e2.delivery(t, f, check.ChannelSMS); rec.Status != store.DeliveryParked || !strings.Contains(rec.LastError, "sms") {
		t.Errorf("sms delivery = %s %q, want parked with an error naming sms", rec.Status, rec.LastError)
	}
}

// TestRetryWithoutTransport: a delivery retrying when the server restarts without the kind's
// transport is parked with the reason at its next attempt.
func TestRetryWithoutTransport(t *testing.T) {
	const reason = "this server cannot deliver sms channels: start overdue serve with --aws"
	e := newEnv(t)
	e.fakes[check.ChannelSMS].fail(errors.New("SNS Throttled: rate exceeded"))
	e.ping(t, check.PingSuccess)
	f := e.ping(t, check.PingFail)
	e.run(t, e.dispatcher())
	d := e.dispatcher()
	delete(d.Transports, check.ChannelSMS)
	d.Undeliverable = map[string]string{check.ChannelSMS: reason}
	e.now = e.now.Add(30 * time.Second)
	e.run(t, d)
	rec := e.delivery(t, f, check.ChannelSMS)
	if rec.Status != store.DeliveryParked || rec.LastError != reason || rec.Attempts != 2 {
		t.Errorf("sms delivery = %s %q after %d attempts, want parked with the reason after 2", rec.Status, rec.LastError, rec.Attempts)
	}
	if ch := e.channel(t, check.ChannelSMS); ch.Disabled {
		t.Errorf("sms channel disabled, want it enabled")
	}
}

// TestMessageContent: what a transport receives for a failure ping names the check, the reason,
// the last ping type and a link.
func TestMessageContent(t *testing.T) {
	e := newEnv(t)
	var got *notify.Message
	d := e.dispatcher()
	d.Transports = map[string]notify.Transport{check.ChannelEmail: transportFunc(
		func(_ context.Context, _ *check.Channel, m *notify.Message, _ string) error { got = m; return nil })}
	e.ping(t, check.PingSuccess)
	e.now = e.now.Add(time.Minute)
	e.ping(t, check.PingFail)
	e.run(t, d)
	if got == nil {
		t.Fatal("nothing sent")
	}
	contains(t, "Text", got.Text, "DOWN | backup", "Reason: received a failure signal.", "Last ping type: Failure",
		"Last ping: 2026-11-24 20:09:55 UTC", "Period: 1 minute",
		"Details: http://localhost:8000/api/v3/checks/"+e.check.ID)
	if got.SMS != `DOWN: "backup" received a failure signal (Nov 24 20:09 UTC)` {
		t.Errorf("SMS = %q", got.SMS)
	}
}

type transportFunc func(ctx context.Context, ch *check.Channel, m *notify.Message, deliveryID string) error

func (f transportFunc) Send(ctx context.Context, ch *check.Channel, m *notify.Message, id string) error {
	return f(ctx, ch, m, id)
}

// TestConsoleOnly: `overdue serve` without delivery records still prints alerts.
func TestConsoleOnly(t *testing.T) {
	e := newEnv(t)
	var out strings.Builder
	d := &notify.Dispatcher{Store: e.st, Notifier: notify.Console{W: &out}, Now: func() time.Time { return e.now }}
	e.ping(t, check.PingSuccess)
	e.ping(t, check.PingFail)
	if n := e.run(t, d); n != 1 || !strings.HasPrefix(out.String(), "DOWN | backup\n") {
		t.Errorf("Run = %d, printed %q; want one alert printed", n, out.String())
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestWebhookEndToEnd is the acceptance path in miniature: a failure ping reaches an HTTP
// receiver once, with a signature the receiver can check with its channel's secret.
func TestWebhookEndToEnd(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	type got struct {
		sig, delivery string
		body          []byte
	}
	received := make(chan got, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		received <- got{r.Header.Get("X-Overdue-Signature"), r.Header.Get("X-Overdue-Delivery"), body}
	}))
	defer srv.Close()
	ch := &check.Channel{ID: "e0000000-0000-4000-8000-000000000099", ProjectID: projectID, Kind: check.ChannelWebhook,
		Name: "local", Value: srv.URL + "/hook", Created: t0}
	if err := e.st.CreateChannel(ctx, ch); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.UpdateCheck(ctx, e.check.ID, func(c *check.Check) (store.Change, error) {
		c.Channels = []string{ch.ID}
		return store.Change{}, nil
	}); err != nil {
		t.Fatal(err)
	}
	wh, err := notify.NewWebhook(notify.WebhookConfig{ServerSecret: serverSecret})
	if err != nil {
		t.Fatal(err)
	}
	d := &notify.Dispatcher{Store: e.st, Deliveries: e.ds, Transports: map[string]notify.Transport{check.ChannelWebhook: wh},
		Now: func() time.Time { return e.now }}
	e.ping(t, check.PingSuccess)
	f := e.ping(t, check.PingFail)
	e.run(t, d)
	e.run(t, d)
	if _, err := d.DeliverFlip(ctx, f); err != nil {
		t.Fatal(err)
	}
	srv.Close() // waits for the handler
	close(received)
	var all []got
	for r := range received {
		all = append(all, r)
	}
	if len(all) != 1 {
		t.Fatalf("receiver got %d requests, want 1", len(all))
	}
	if want := notify.Sign(notify.WebhookSecret(serverSecret, ch.ID), all[0].body); all[0].sig != want {
		t.Errorf("signature = %q, want %q", all[0].sig, want)
	}
	if all[0].delivery != store.DeliveryID(e.check.ID, f.ID, ch.ID) {
		t.Errorf("delivery header = %q, want the delivery ID", all[0].delivery)
	}
}

// TestOtherSecretSendsNothing: a server whose secret is not the one the channel values were
// sealed with (a lost or changed secret.key) cannot open them: its Run fails, naming the cause,
// sends nothing and leaves the flip in the outbox; the server with the right secret then
// delivers it once.
func TestOtherSecretSendsNothing(t *testing.T) {
	e := newEnv(t)
	e.ping(t, check.PingSuccess)
	e.run(t, e.dispatcher()) // new→up: silent
	e.now = e.now.Add(time.Minute)
	e.ping(t, check.PingFail)

	other, err := sqlite.Open(e.path, store.Options{Box: storetest.BoxOf(t, "another server secret, 32 chars!")})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	d := e.dispatcher()
	d.Store, d.Deliveries = other, other.Deliveries()
	if n, err := d.Run(t.Context()); !errors.Is(err, seal.ErrOtherKey) || n != 0 {
		t.Errorf("Run under another secret = %d, %v; want 0 and seal.ErrOtherKey", n, err)
	}
	for kind, n := range e.sends() {
		if n != 0 {
			t.Errorf("%d sends to %s under another secret, want none", n, kind)
		}
	}
	if n := e.run(t, e.dispatcher()); n != 5 {
		t.Errorf("Run with the right secret sent %d, want 5 (4 channels + console): the flip waited", n)
	}
}

// TestUpAlertKnowsTheDowntime: the dispatcher finds when the check went down from its flips,
// for a short outage (the first window) and a long one (a wider window), so that the up message
// says how long it was down.
func TestUpAlertKnowsTheDowntime(t *testing.T) {
	for _, outage := range []time.Duration{2*time.Hour + 14*time.Minute, 3*24*time.Hour + 5*time.Minute} {
		e := newEnv(t)
		d := e.dispatcher()
		e.ping(t, check.PingSuccess)
		e.run(t, d)
		e.now = e.now.Add(time.Minute)
		down := e.ping(t, check.PingFail)
		e.run(t, d)
		e.now = e.now.Add(outage)
		e.ping(t, check.PingSuccess)
		e.run(t, d)
		if len(e.console.sent) != 2 {
			t.Fatalf("console told %d times, want twice (down, up)", len(e.console.sent))
		}
		up := e.console.sent[1]
		if !up.DownSince.Equal(down.Created) {
			t.Errorf("outage %v: up alert's DownSince = %v, want the down flip's %v", outage, up.DownSince, down.Created)
		}
		m, err := notify.NewMessage(up)
		if err != nil {
			t.Fatal(err)
		}
		if want := "it was down for " + notify.Downtime(outage); !strings.Contains(m.Text, want) {
			t.Errorf("outage %v: up message %q lacks %q", outage, m.Text, want)
		}
	}
}

// TestUpAlertAfterAHeldAlert: a check that failed while snoozed and was still down when the
// snooze ended had its alert sent then (a down→down flip); the up message counts the downtime
// from when it went down, not from that alert.
func TestUpAlertAfterAHeldAlert(t *testing.T) {
	e := newEnv(t)
	d := e.dispatcher()
	e.ping(t, check.PingSuccess)
	e.run(t, d)
	update := func(fn func(c *check.Check) *check.Flip) {
		t.Helper()
		if _, err := e.st.UpdateCheck(t.Context(), e.check.ID, func(c *check.Check) (store.Change, error) {
			return store.Change{Flip: fn(c)}, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	update(func(c *check.Check) *check.Flip {
		f, err := c.Snooze(time.Hour, e.now, nil)
		if err != nil {
			t.Fatal(err)
		}
		return f
	})
	e.now = e.now.Add(time.Minute)
	down := e.ping(t, check.PingFail)
	e.run(t, d)
	e.now = e.now.Add(time.Hour)
	update(func(c *check.Check) *check.Flip { return c.Sweep(e.now, nil) }) // the snooze's end: the held alert
	e.run(t, d)
	e.now = e.now.Add(30 * time.Minute)
	e.ping(t, check.PingSuccess)
	e.run(t, d)
	if len(e.console.sent) != 2 {
		t.Fatalf("console told %d times, want twice (the held down alert, up)", len(e.console.sent))
	}
	if up := e.console.sent[1]; !up.DownSince.Equal(down.Created) {
		t.Errorf("up alert's DownSince = %v, want the failure's %v", up.DownSince, down.Created)
	}
}
