package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// Store is the part of store.Store the dispatcher reads and writes.
type Store interface {
	Check(ctx context.Context, id string) (*check.Check, error)
	Channels(ctx context.Context, projectID string) ([]*check.Channel, error)
	Pings(ctx context.Context, checkID string, limit int) ([]*check.Ping, error)
	Flips(ctx context.Context, checkID string, q store.FlipQuery) ([]*check.Flip, error)
	UnprocessedFlips(ctx context.Context, limit int) ([]*check.Flip, error)
	MarkFlipProcessed(ctx context.Context, f *check.Flip, at time.Time) (bool, error)
	// Windows is read for a delayed or repeated alert only, when it comes due (timing.go).
	Windows(ctx context.Context, projectID string) ([]*check.Window, error)
}

// Notifier is told about each alerting flip once, as a whole rather than per channel: the
// console of `overdue serve` is one.
type Notifier interface {
	Notify(ctx context.Context, a Alert) error
}

// Dispatcher delivers flips to their check's channels. The zero value of every optional field
// works; Store is required, and Deliveries is required once Transports has any entry.
type Dispatcher struct {
	Store Store
	// Deliveries records each (flip, channel) delivery; see the package documentation.
	Deliveries store.Deliveries
	// Transports sends to channels by kind (check.ChannelEmail, …). A delivery to a channel whose
	// kind has no transport is parked at once, with the reason from Undeliverable as its error and
	// on the channel, which stays enabled: the operator adds the transport and restarts, and the
	// next alert goes out. The parked alert itself is not sent later (parked is final).
	Transports map[string]Transport
	// Undeliverable says, for kinds without a transport, why and how to enable one, e.g. "this
	// server cannot deliver email channels: start overdue serve with --smtp-host …". A kind
	// missing here gets a generic reason.
	Undeliverable map[string]string
	// Notifier, if set, is told about every alerting flip once, after its channels.
	Notifier Notifier
	// SiteRoot, if set, makes the link in messages: SiteRoot/api/v3/checks/<uuid>.
	SiteRoot string
	Retry    Retry
	Now      func() time.Time
	Logger   *slog.Logger
}

// batch is how many flips or due deliveries one query reads.
const batch = 50

// Run delivers every unprocessed flip, then every delivery due for a retry, and reports how many
// messages went out (channel deliveries and Notifier calls). It stops at the first store error;
// a failed send is not an error, it is recorded and retried.
func (d *Dispatcher) Run(ctx context.Context) (int, error) {
	sent := 0
	for {
		flips, err := d.Store.UnprocessedFlips(ctx, batch)
		if err != nil {
			return sent, fmt.Errorf("list unprocessed flips: %w", err)
		}
		for _, f := range flips {
			n, err := d.DeliverFlip(ctx, f)
			sent += n
			if err != nil {
				return sent, err
			}
		}
		if len(flips) < batch {
			break
		}
	}
	n, err := d.RetryDue(ctx)
	return sent + n, err
}

// DeliverFlip delivers one flip to each of its check's enabled channels, then marks it
// processed. It is idempotent: calling it again for the same flip, from this process or another,
// sends nothing that was sent, and resumes what a crash interrupted once its lease runs out.
// The DynamoDB Streams handler calls it once per flip record, duplicates included. It reports
// how many messages went out; an error means the store failed and the call should be repeated.
func (d *Dispatcher) DeliverFlip(ctx context.Context, f *check.Flip) (int, error) {
	log := d.logger().With("check", f.CheckID, "flip", f.ID)
	if !f.Notifies() {
		// new→up, paused→up, and pause/resume flips alert no one.
		return 0, d.markProcessed(ctx, f)
	}
	if !f.Processed.IsZero() {
		// A flip written already processed is history, not news: `overdue import` writes a
		// moved check's past flips so, and DynamoDB's stream hands their inserts here too.
		// (Live flips are inserted unprocessed; a stream record carries the inserted image.)
		return 0, nil
	}
	c, err := d.Store.Check(ctx, f.CheckID)
	if errors.Is(err, store.ErrNotFound) {
		log.Info("check deleted before its flip was delivered")
		return 0, d.markProcessed(ctx, f)
	}
	if err != nil {
		return 0, fmt.Errorf("load check %s: %w", f.CheckID, err)
	}
	if f.IsLate() && (c.LastPing.After(f.Created) || c.Status != check.StatusUp) {
		// The ping came (or the check went down, and its down alert says more) before the
		// notice went out: it is news no longer.
		log.Info("late notice not sent: the check pinged or went down first")
		return 0, d.markProcessed(ctx, f)
	}
	a, err := d.alert(ctx, f, c)
	if err != nil {
		return 0, err
	}
	targets, err := d.channels(ctx, c)
	if err != nil {
		return 0, err
	}
	if f.IsLate() {
		// A late notice goes to the channels that asked for one (check.Channel.Late) only.
		targets = lateTargets(targets)
	}
	sent := 0
	if len(targets) > 0 {
		if d.Deliveries == nil {
			return 0, errors.New("deliver flip: channels to deliver to, but no delivery records configured")
		}
		m, err := NewMessage(a)
		if err != nil {
			return 0, err
		}
		sent, err = d.fanOut(ctx, targets, func(ch *check.Channel) (bool, error) {
			return d.deliver(ctx, f, c, ch, m)
		})
		if err != nil {
			return sent, err
		}
	}
	won := f.Processed.IsZero()
	if won {
		won, err = d.Store.MarkFlipProcessed(ctx, f, d.now())
		if errors.Is(err, store.ErrNotFound) {
			return sent, nil // the check went, with its flips, while we sent
		}
		if err != nil {
			return sent, fmt.Errorf("mark flip %s processed: %w", f.ID, err)
		}
	}
	// Only the worker that marks the flip processed tells the Notifier, so it hears once.
	if won && d.Notifier != nil {
		if err := d.Notifier.Notify(ctx, a); err != nil {
			log.Error("notifier failed", "error", errorText(err))
		} else {
			sent++
		}
	}
	return sent, nil
}

// RetryDue makes the next attempt of every delivery that is due: transient failures whose
// backoff has passed, and attempts whose worker died (lease expired). It reports how many
// messages went out.
func (d *Dispatcher) RetryDue(ctx context.Context) (int, error) {
	if d.Deliveries == nil {
		return 0, nil
	}
	sent := 0
	for {
		due, err := d.Deliveries.Due(ctx, d.now(), batch)
		if err != nil {
			return sent, fmt.Errorf("list due deliveries: %w", err)
		}
		progress := false
		for _, rec := range due {
			took, ok, err := d.retry(ctx, rec)
			sent += ok
			if err != nil {
				return sent, err
			}
			progress = progress || took
		}
		// A full batch nobody could take means other workers hold it; leave it to them.
		if len(due) < batch || !progress {
			return sent, nil
		}
	}
}

// markProcessed marks a flip that needs no delivery processed, unless it already is.
func (d *Dispatcher) markProcessed(ctx context.Context, f *check.Flip) error {
	if !f.Processed.IsZero() {
		return nil
	}
	if _, err := d.Store.MarkFlipProcessed(ctx, f, d.now()); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("mark flip %s processed: %w", f.ID, err)
	}
	return nil
}

// alert gathers what the messages about f say: the check, its newest ping at or before the flip,
// and the link.
func (d *Dispatcher) alert(ctx context.Context, f *check.Flip, c *check.Check) (Alert, error) {
	a := Alert{Flip: f, Check: c, SiteRoot: strings.TrimRight(d.SiteRoot, "/")}
	if d.SiteRoot != "" {
		a.URL = strings.TrimRight(d.SiteRoot, "/") + "/api/v3/checks/" + c.ID
	}
	// A few pings back covers pings that arrived between the flip and its delivery.
	pings, err := d.Store.Pings(ctx, c.ID, 10)
	if err != nil {
		return a, fmt.Errorf("load pings of check %s: %w", c.ID, err)
	}
	for _, p := range pings {
		if !p.Created.After(f.Created) {
			a.LastPing = p
			break
		}
	}
	if f.NewStatus == check.StatusUp && !f.IsLate() {
		if a.DownSince, err = d.downSince(ctx, f); err != nil {
			return a, err
		}
	}
	return a, nil
}

// downWindows are how far back downSince looks for the flip to down, widening: most outages are
// short, and a check that flaps has many flips, so the first query is small; the last covers
// the flips' retention.
var downWindows = []time.Duration{time.Hour, 24 * time.Hour, 7 * 24 * time.Hour, store.DefaultFlipRetention}

// downSince is when the check of flip f (an up flip, or a held down alert released) went down:
// the newest flip to down from another status before f (an alert a snooze or a maintenance
// window held and released later is a down→down flip: the check went down before it). Zero
// when there is none within the flips' retention (the up message then says nothing of it).
func (d *Dispatcher) downSince(ctx context.Context, f *check.Flip) (time.Time, error) {
	downs, err := d.outage(ctx, f)
	if err != nil || len(downs) == 0 {
		return time.Time{}, err
	}
	return downs[len(downs)-1].Created, nil
}

// outage lists the flips to down of the outage that flip f ends or continues, newest first:
// those before f back to the newest flip to down from another status, which comes last. A
// down→down flip (an alert held and released) belongs to the outage it continues. Empty when
// there is no flip to down within the flips' retention.
func (d *Dispatcher) outage(ctx context.Context, f *check.Flip) ([]*check.Flip, error) {
	var downs []*check.Flip
	until := f.Created
	for _, w := range downWindows {
		since := f.Created.Add(-w)
		flips, err := d.Store.Flips(ctx, f.CheckID, store.FlipQuery{Since: since, Until: until})
		if err != nil {
			return nil, fmt.Errorf("load flips of check %s: %w", f.CheckID, err)
		}
		for _, prev := range flips { // newest first
			if prev.ID == f.ID || prev.NewStatus != check.StatusDown {
				continue
			}
			downs = append(downs, prev)
			if prev.OldStatus != check.StatusDown {
				return downs, nil
			}
		}
		until = since
	}
	return nil, nil
}

// channels lists the check's assigned channels that are enabled and have a transport, in the
// check's order.
func (d *Dispatcher) channels(ctx context.Context, c *check.Check) ([]*check.Channel, error) {
	if len(c.Channels) == 0 {
		return nil, nil
	}
	all, err := d.listChannels(ctx, c.ProjectID)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*check.Channel, len(all))
	for _, ch := range all {
		byID[ch.ID] = ch
	}
	var out []*check.Channel
	add := func(ch *check.Channel) {
		switch {
		case ch == nil, ch.Disabled, slices.Contains(out, ch):
			// A channel reached directly and through a group, or through two groups, is
			// delivered once: its record is per (flip, channel) either way.
			return
		case d.Transports[ch.Kind] == nil && d.Deliveries == nil:
			// Without delivery records there is nowhere to park it.
			d.logger().Warn("no transport for channel kind; not delivered",
				"check", c.ID, "channel", ch.ID, "kind", ch.Kind)
			return
		}
		out = append(out, ch)
	}
	for _, id := range c.Channels {
		ch := byID[id]
		if ch == nil || ch.Kind != ChannelGroup {
			add(ch)
			continue
		}
		if ch.Disabled {
			continue
		}
		// A group is not delivered itself: its targets are, each with its own record, so a
		// retry resends only to the target that failed. byID holds only this project's
		// channels, so a target in another project is never reached; nor is a group in a
		// group, so fan-out cannot loop. Validation refuses both; this covers values written
		// before, and targets deleted or changed since.
		for _, tid := range groupTargets(ch.Value) {
			t := byID[tid]
			switch {
			case t == nil:
				d.logger().Warn("group target is not a channel of the project; skipped",
					"check", c.ID, "channel", ch.ID, "target", tid)
			case t.Kind == ChannelGroup:
				d.logger().Warn("group target is a group; skipped",
					"check", c.ID, "channel", ch.ID, "target", tid)
			default:
				add(t)
			}
		}
	}
	return out, nil
}

// listChannels lists a project's channels. Damaged values do not hold up the others: their
// channels come marked, and attempt parks their deliveries with the reason.
func (d *Dispatcher) listChannels(ctx context.Context, projectID string) ([]*check.Channel, error) {
	chs, err := d.Store.Channels(ctx, projectID)
	var damaged *store.DamagedError
	if errors.As(err, &damaged) {
		d.logger().Error("channel values do not open; their deliveries are parked", "project", projectID, "error", err)
		return chs, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list channels of project %s: %w", projectID, err)
	}
	return chs, nil
}

// fanOut runs send for every channel at once, so one slow webhook does not hold up the others,
// and counts the messages sent.
func (d *Dispatcher) fanOut(ctx context.Context, chs []*check.Channel, send func(ch *check.Channel) (bool, error)) (int, error) {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		sent int
		errs []error
	)
	for _, ch := range chs {
		wg.Go(func() {
			ok, err := send(ch)
			mu.Lock()
			defer mu.Unlock()
			if ok {
				sent++
			}
			if err != nil {
				errs = append(errs, err)
			}
		})
	}
	wg.Wait()
	return sent, errors.Join(errs...)
}

// deliver handles a flip's delivery to one channel, minding the channel's timing: a down alert
// due later is scheduled (timing.go), an up alert goes only to a channel with a delay that got
// the down alert, and everything else takes the first attempt now.
//
// A late notice is never delayed: it is about the grace period, which a delay would outlast.
func (d *Dispatcher) deliver(ctx context.Context, f *check.Flip, c *check.Check, ch *check.Channel, m *Message) (bool, error) {
	if ch.Delay > 0 && !f.IsLate() {
		switch f.NewStatus {
		case check.StatusDown:
			if later, err := d.delayDown(ctx, f, c, ch); later || err != nil {
				return false, err
			}
		case check.StatusUp:
			alerted, err := d.downAlerted(ctx, f, c, ch)
			if !alerted || err != nil {
				if err == nil {
					d.logger().Info("up alert not sent: the channel's delay kept the down alert back",
						"check", c.ID, "flip", f.ID, "channel", ch.ID, "kind", ch.Kind)
				}
				return false, err
			}
		}
	}
	return d.first(ctx, f, c, ch, m)
}

// first handles a flip's delivery to one channel: claim it and make the first attempt, or, if it
// is already claimed, take it over when it is due (a crashed attempt, a retry) and leave it
// alone otherwise.
func (d *Dispatcher) first(ctx context.Context, f *check.Flip, c *check.Check, ch *check.Channel, m *Message) (bool, error) {
	now := d.now()
	rec := &store.Delivery{
		ID:          store.DeliveryID(c.ID, f.ID, ch.ID),
		Flip:        *f,
		ChannelID:   ch.ID,
		ProjectID:   c.ProjectID,
		Kind:        ch.Kind,
		Status:      store.DeliveryPending,
		Attempts:    1,
		NextAttempt: now.Add(d.Retry.lease()),
		Created:     now,
		Updated:     now,
	}
	rec.Flip.Processed = time.Time{}
	claimed, existing, err := d.Deliveries.Claim(ctx, rec)
	if err != nil {
		return false, fmt.Errorf("claim delivery %s: %w", rec.ID, err)
	}
	if !claimed {
		if existing.Status.Final() || existing.NextAttempt.After(now) || scheduled(existing) {
			// A scheduled alert that came due is RetryDue's: it checks the outage first.
			d.logger().Debug("delivery already handled", d.attrs(existing)...)
			return false, nil
		}
		if ok, err := d.take(ctx, existing); !ok || err != nil {
			return false, err
		}
		rec = existing
	}
	return d.attempt(ctx, rec, ch, m)
}

// retry makes the next attempt of a due delivery, reloading its check and channel. It reports
// whether it took the delivery and whether a message went out.
func (d *Dispatcher) retry(ctx context.Context, rec *store.Delivery) (took bool, sent int, err error) {
	// A scheduled alert is looked at before it is taken: most are dropped or moved, not sent.
	waiting := scheduled(rec)
	if !waiting {
		if ok, err := d.take(ctx, rec); !ok || err != nil {
			return false, 0, err
		}
	}
	fail := func(msg string) (bool, int, error) {
		rec.Status, rec.LastError, rec.NextAttempt, rec.Updated = store.DeliveryFailed, msg, time.Time{}, d.now()
		d.logger().Info("delivery dropped", append(d.attrs(rec), "reason", msg)...)
		return true, 0, d.record(ctx, rec)
	}
	c, err := d.Store.Check(ctx, rec.Flip.CheckID)
	if errors.Is(err, store.ErrNotFound) {
		return fail("Channel or check does not exist any more")
	}
	if err != nil {
		return true, 0, fmt.Errorf("load check %s: %w", rec.Flip.CheckID, err)
	}
	chs, err := d.listChannels(ctx, rec.ProjectID)
	if err != nil {
		return true, 0, err
	}
	var ch *check.Channel
	for _, x := range chs {
		if x.ID == rec.ChannelID {
			ch = x
		}
	}
	switch {
	case ch == nil:
		return fail("Channel or check does not exist any more")
	case ch.Disabled:
		return fail("Channel is disabled")
	}
	if waiting {
		// A delayed or repeated alert: only if the outage goes on and nothing holds it.
		if ok, err := d.due(ctx, rec, c, ch); !ok || err != nil {
			return true, 0, err
		}
		if ok, err := d.take(ctx, rec); !ok || err != nil {
			return false, 0, err
		}
	}
	// A kind that lost its transport since the last attempt (a restart without --smtp-host) is
	// parked by attempt, with the reason.
	f := rec.Flip
	a, err := d.alert(ctx, &f, c)
	if err != nil {
		return true, 0, err
	}
	m, err := NewMessage(a)
	if err != nil {
		return true, 0, err
	}
	ok, err := d.attempt(ctx, rec, ch, m)
	if ok {
		sent = 1
	}
	return true, sent, err
}

// take leases a due delivery for the next attempt: pending, one more attempt, NextAttempt at the
// end of the lease. It reports false when another worker changed the record first.
func (d *Dispatcher) take(ctx context.Context, rec *store.Delivery) (bool, error) {
	now := d.now()
	rec.Status = store.DeliveryPending
	rec.Attempts++
	rec.NextAttempt = now.Add(d.Retry.lease())
	rec.Updated = now
	err := d.Deliveries.Update(ctx, rec)
	if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("take delivery %s: %w", rec.ID, err)
	}
	return true, nil
}

// attempt sends a leased delivery and records the outcome: sent; retrying after the backoff;
// parked after the last attempt, or at once when no transport can send the channel's kind;
// failed on a permanent error, which also disables the channel.
func (d *Dispatcher) attempt(ctx context.Context, rec *store.Delivery, ch *check.Channel, m *Message) (bool, error) {
	if err := d.scheduleRepeat(ctx, rec, ch); err != nil {
		return false, err
	}
	var err error
	start := time.Now()
	if ch.Damaged != "" {
		// No retry can open it: park it, and say why on the channel.
		err = &noTransportError{reason: ch.Damaged + ": delete and re-create the channel"}
	} else if t := d.Transports[ch.Kind]; t != nil {
		sendCtx, cancel := context.WithTimeout(ctx, d.Retry.sendTimeout())
		err = t.Send(sendCtx, ch, m, rec.ID)
		cancel()
	} else {
		err = &noTransportError{reason: d.undeliverable(ch.Kind)}
	}
	took := time.Since(start)
	var noTransport *noTransportError

	rec.Updated = d.now()
	rec.NextAttempt = time.Time{}
	rec.LastError = ""
	var chanErr string
	disable := false
	switch {
	case err == nil:
		rec.Status = store.DeliverySent
	case errors.As(err, &noTransport):
		// Not the channel's fault, and no retry can help until the server is reconfigured: park
		// it, say why on the channel, and leave the channel enabled for the next alert.
		rec.Status, rec.LastError = store.DeliveryParked, errorText(err)
		chanErr = rec.LastError
	case IsPermanent(err):
		rec.Status, rec.LastError = store.DeliveryFailed, errorText(err)
		chanErr, disable = rec.LastError, true
	case rec.Attempts >= d.Retry.MaxAttempts():
		rec.Status, rec.LastError = store.DeliveryParked, errorText(err)
		chanErr = errorText(fmt.Errorf("not delivered after %d attempts: %s", rec.Attempts, rec.LastError))
	default:
		rec.Status, rec.LastError = store.DeliveryRetrying, errorText(err)
		delay := d.Retry.Delay(rec.Attempts)
		if wait, ok := RetryAfter(err); ok && wait > delay {
			// The service said when (429 or 503 with Retry-After): asking sooner only earns
			// another refusal, and it counts as an attempt.
			delay = wait
		}
		rec.NextAttempt = rec.Updated.Add(delay)
	}
	attrs := append(d.attrs(rec), "duration", took.Round(time.Millisecond).String())
	switch rec.Status {
	case store.DeliverySent:
		d.logger().Info("delivery sent", attrs...)
	case store.DeliveryRetrying:
		d.logger().Warn("delivery failed; will retry", append(attrs, "error", rec.LastError, "next", rec.NextAttempt)...)
	case store.DeliveryParked:
		// The alarm's hook: a parked delivery needs a person.
		d.logger().Error("delivery parked", append(attrs, "error", rec.LastError)...)
	case store.DeliveryFailed:
		d.logger().Error("delivery failed permanently; channel disabled", append(attrs, "error", rec.LastError)...)
	}

	// Record even if ctx ended meanwhile (shutdown): a sent message must not be sent again.
	recCtx, cancelRec := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancelRec()
	if err := d.record(recCtx, rec); err != nil {
		return rec.Status == store.DeliverySent, err
	}
	switch {
	case chanErr != "":
		err = d.Deliveries.MarkChannelError(recCtx, ch.ProjectID, ch.ID, chanErr, disable)
	case rec.Status == store.DeliverySent && ch.LastError != "":
		err = d.Deliveries.MarkChannelError(recCtx, ch.ProjectID, ch.ID, "", false)
	default:
		err = nil
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return rec.Status == store.DeliverySent, fmt.Errorf("mark channel %s: %w", ch.ID, err)
	}
	return rec.Status == store.DeliverySent, nil
}

// record writes an attempt's outcome. Losing the record to another worker means our lease ran
// out and the delivery may go out twice: worth a log line, not an error.
func (d *Dispatcher) record(ctx context.Context, rec *store.Delivery) error {
	err := d.Deliveries.Update(ctx, rec)
	if errors.Is(err, store.ErrConflict) {
		d.logger().Warn("delivery taken over by another worker after its lease ran out", d.attrs(rec)...)
		return nil
	}
	if err != nil {
		return fmt.Errorf("record delivery %s: %w", rec.ID, err)
	}
	return nil
}

// attrs are a delivery's log attributes: IDs and state, never targets, bodies or keys.
func (d *Dispatcher) attrs(rec *store.Delivery) []any {
	return []any{"check", rec.Flip.CheckID, "flip", rec.Flip.ID, "channel", rec.ChannelID,
		"kind", rec.Kind, "delivery", rec.ID, "status", string(rec.Status), "attempt", rec.Attempts}
}

// noTransportError is why a delivery to a kind without a transport is parked.
type noTransportError struct{ reason string }

func (e *noTransportError) Error() string { return e.reason }

// undeliverable is why channels of kind cannot be delivered here, and how to change that.
func (d *Dispatcher) undeliverable(kind string) string {
	if r := d.Undeliverable[kind]; r != "" {
		return r
	}
	return "no transport for " + kind + " channels is configured on this server"
}

func (d *Dispatcher) now() time.Time {
	if d.Now == nil {
		return time.Now().UTC()
	}
	return d.Now()
}

func (d *Dispatcher) logger() *slog.Logger {
	if d.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return d.Logger
}

// Console prints alerts as text, one block each.
type Console struct {
	W io.Writer
}

// Notify writes the alert to the console.
func (c Console) Notify(_ context.Context, a Alert) error {
	_, err := io.WriteString(c.W, Text(a))
	return err
}
