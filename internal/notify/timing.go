package notify

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/checksched"
	"github.com/overduehq/overdue/internal/store"
)

// Per-channel timing (check.Channel's Delay and Repeat; the rules are check's, timing.go).
//
// A delayed or repeated alert is a delivery record like any other, made before it is due: status
// retrying, no attempt yet (Attempts 0, "scheduled"), NextAttempt when it is due. RetryDue finds
// it on the due list when its time comes, so the cost follows the alerts due, not the channels or
// checks: nothing is read for a channel until it has something due. When it comes due it is
// checked against the check as it is then (check.DueAlert): an outage that ended drops it (final
// status failed, "not sent: …", no attempt counted), a snooze or maintenance window moves it to
// the hold's end, and otherwise it goes out as any first attempt does, retries included.
//
// A repeat is the next record of the same flip and channel, ID DeliveryID(…)+"#r<n>": the n-th
// repeat. Whoever attempts a down alert on a repeating channel first claims the next one (a
// conditional create, as every claim), so a retried event or a second worker arrives at the same
// record and never schedules a second chain. The chain ends at the first repeat that finds the
// outage over.

// repeatSep separates a delivery's ID from its repeat number.
const repeatSep = "#r"

// repeatID is the ID of the n-th repeat of the delivery whose first alert's ID is base.
func repeatID(base string, n int) string { return base + repeatSep + strconv.Itoa(n) }

// splitRepeat is the first alert's ID and the repeat number of a delivery ID (0: the first).
func splitRepeat(id string) (base string, n int) {
	i := strings.LastIndex(id, repeatSep)
	if i < 0 {
		return id, 0
	}
	n, err := strconv.Atoi(id[i+len(repeatSep):])
	if err != nil || n < 1 {
		return id, 0
	}
	return id[:i], n
}

// scheduled reports whether rec is a delayed or repeated alert not attempted yet.
func scheduled(rec *store.Delivery) bool { return rec.Attempts == 0 && !rec.Status.Final() }

// schedule claims a delivery of f to ch that is due at at, with ID id. It reports whether this
// call made the record (false: it existed already).
func (d *Dispatcher) schedule(ctx context.Context, id string, f check.Flip, projectID string, ch *check.Channel, at time.Time) (bool, error) {
	now := d.now()
	f.Processed = time.Time{}
	rec := &store.Delivery{
		ID: id, Flip: f, ChannelID: ch.ID, ProjectID: projectID, Kind: ch.Kind,
		Status: store.DeliveryRetrying, Attempts: 0, NextAttempt: at, Created: now, Updated: now,
	}
	claimed, _, err := d.Deliveries.Claim(ctx, rec)
	if err != nil {
		return false, fmt.Errorf("schedule delivery %s: %w", id, err)
	}
	if claimed {
		d.logger().Info("delivery scheduled", append(d.attrs(rec), "due", at)...)
	}
	return claimed, nil
}

// scheduleRepeat claims the repeat that follows rec, a down alert to ch being attempted now,
// when ch repeats. Claiming before the attempt means a crash after the send cannot end the
// chain; the claim is conditional, so attempting rec again schedules nothing more.
func (d *Dispatcher) scheduleRepeat(ctx context.Context, rec *store.Delivery, ch *check.Channel) error {
	if rec.Flip.NewStatus != check.StatusDown || ch.Repeat <= 0 {
		return nil
	}
	base, n := splitRepeat(rec.ID)
	_, err := d.schedule(ctx, repeatID(base, n+1), rec.Flip, rec.ProjectID, ch, ch.NextRepeat(d.now()))
	return err
}

// delayDown handles down flip f for a channel with a delay: when the alert is not due yet it
// schedules it and reports true; when it is (an alert a snooze held past the delay), false, and
// the caller sends it now.
func (d *Dispatcher) delayDown(ctx context.Context, f *check.Flip, c *check.Check, ch *check.Channel) (bool, error) {
	since := f.Created
	if f.OldStatus == check.StatusDown {
		// A held alert released: the outage began earlier, and the delay counts from then.
		s, err := d.downSince(ctx, f)
		if err != nil {
			return false, err
		}
		since = s
	}
	at := ch.DownAlertAt(f, since)
	if !at.After(d.now()) {
		return false, nil
	}
	_, err := d.schedule(ctx, store.DeliveryID(c.ID, f.ID, ch.ID), *f, c.ProjectID, ch, at)
	return true, err
}

// downAlerted reports whether channel ch, which has a delay, was sent a down alert of the outage
// that up flip f ends, so that it gets the up alert too. Down alerts still waiting for their
// delay are dropped on the way: the check recovered first.
func (d *Dispatcher) downAlerted(ctx context.Context, f *check.Flip, c *check.Check, ch *check.Channel) (bool, error) {
	downs, err := d.outage(ctx, f)
	if err != nil {
		return false, err
	}
	alerted := false
	for _, g := range downs {
		id := store.DeliveryID(c.ID, g.ID, ch.ID)
		for range 3 {
			rec, err := d.Deliveries.Get(ctx, id)
			if errors.Is(err, store.ErrNotFound) {
				break
			}
			if err != nil {
				return false, fmt.Errorf("read delivery %s: %w", id, err)
			}
			if !scheduled(rec) {
				alerted = alerted || rec.Attempts > 0
				break
			}
			if err := d.drop(ctx, rec, "not sent: the check recovered before the channel's delay"); !errors.Is(err, store.ErrConflict) {
				if err != nil {
					return false, err
				}
				break
			}
			// Taken meanwhile (its delay ran out just now): read it again.
		}
	}
	return alerted, nil
}

// drop ends a scheduled delivery unsent: failed, with why, and no attempt counted. It is
// store.ErrConflict when another worker changed the record first.
func (d *Dispatcher) drop(ctx context.Context, rec *store.Delivery, why string) error {
	rec.Status, rec.LastError, rec.NextAttempt, rec.Updated = store.DeliveryFailed, why, time.Time{}, d.now()
	err := d.Deliveries.Update(ctx, rec)
	if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
		return store.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("drop delivery %s: %w", rec.ID, err)
	}
	d.logger().Info("delivery dropped", append(d.attrs(rec), "reason", why)...)
	return nil
}

// due decides about a scheduled delivery whose time has come, for check c and channel ch as
// they are now: go (true: the caller takes and sends it), or it has been dropped or moved to
// the end of a hold (false).
func (d *Dispatcher) due(ctx context.Context, rec *store.Delivery, c *check.Check, ch *check.Channel) (bool, error) {
	if rec.Flip.NewStatus != check.StatusDown {
		return true, nil
	}
	if _, n := splitRepeat(rec.ID); n > 0 && ch.Repeat <= 0 {
		return false, ignoreConflict(d.drop(ctx, rec, "not sent: the channel no longer repeats"))
	}
	now := d.now()
	since, err := d.Store.Flips(ctx, c.ID, store.FlipQuery{Since: rec.Flip.Created})
	if err != nil {
		return false, fmt.Errorf("load flips of check %s: %w", c.ID, err)
	}
	after := newerThan(since, &rec.Flip)
	windows, err := d.Store.Windows(ctx, c.ProjectID)
	if err != nil {
		return false, fmt.Errorf("list maintenance windows of project %s: %w", c.ProjectID, err)
	}
	send, wait := check.DueAlert(c, &rec.Flip, after, now, check.MaintenanceUntil(c, windows, now, checksched.Window))
	switch {
	case send:
		return true, nil
	case wait.IsZero():
		return false, ignoreConflict(d.drop(ctx, rec, "not sent: the check recovered first"))
	}
	rec.NextAttempt, rec.Updated = wait, now
	if err := d.Deliveries.Update(ctx, rec); err != nil && !errors.Is(err, store.ErrConflict) && !errors.Is(err, store.ErrNotFound) {
		return false, fmt.Errorf("hold delivery %s: %w", rec.ID, err)
	}
	d.logger().Info("delivery held: the check is snoozed or in maintenance", append(d.attrs(rec), "until", wait)...)
	return false, nil
}

// newerThan is the flips of since (newest first, as Flips lists them) made after f: those
// listed before it. The order is the store's, so a flip of the same instant made earlier is not
// among them. Without f in the list (gone with its check's history), those made after its
// instant.
func newerThan(since []*check.Flip, f *check.Flip) []*check.Flip {
	for i, g := range since {
		if g.ID == f.ID {
			return since[:i]
		}
	}
	var out []*check.Flip
	for _, g := range since {
		if g.Created.After(f.Created) {
			out = append(out, g)
		}
	}
	return out
}

// ignoreConflict is err, but nil for store.ErrConflict: another worker handled the record.
func ignoreConflict(err error) error {
	if errors.Is(err, store.ErrConflict) {
		return nil
	}
	return err
}
