package store

import (
	"context"
	"time"

	"github.com/overduehq/overdue/internal/check"
)

// DeliveryStatus is where a delivery stands.
type DeliveryStatus string

// The delivery statuses. Sent, failed and parked are final: a delivery in one of them is never
// sent again.
const (
	// DeliveryPending: an attempt is in progress, leased until NextAttempt. A pending delivery
	// whose lease has run out belongs to a worker that died mid-attempt and is due again.
	DeliveryPending DeliveryStatus = "pending"
	// DeliveryRetrying: the last attempt failed transiently; the next is due at NextAttempt.
	DeliveryRetrying DeliveryStatus = "retrying"
	// DeliverySent: the provider accepted the message.
	DeliverySent DeliveryStatus = "sent"
	// DeliveryFailed: a permanent failure, or the channel or check is gone. Not retried.
	DeliveryFailed DeliveryStatus = "failed"
	// DeliveryParked: every attempt failed transiently. Kept with its error for the API and the
	// alarms; not retried by itself.
	DeliveryParked DeliveryStatus = "parked"
)

// Final reports whether s is a status no attempt follows.
func (s DeliveryStatus) Final() bool {
	return s == DeliverySent || s == DeliveryFailed || s == DeliveryParked
}

// Delivery records sending one flip to one channel. Its ID is DeliveryID of the check, flip and
// channel, so whoever handles a flip a second time (a retried batch, a duplicate stream record,
// a second dispatcher) arrives at the same record and finds it taken.
type Delivery struct {
	ID        string
	Flip      check.Flip // a copy, so a retry needs no flip lookup; Processed is not stored
	ChannelID string
	ProjectID string
	Kind      string // the channel's kind when the delivery was created, for logs and alarms
	Status    DeliveryStatus
	// Attempts counts attempts started, including one in progress.
	Attempts int
	// NextAttempt is when a pending delivery's lease ends or a retrying one is due; zero for
	// final statuses.
	NextAttempt time.Time
	LastError   string // the last attempt's error; "" once sent
	Created     time.Time
	Updated     time.Time
	// Version is the record's write count: Claim stores 1, every Update adds 1. Update is
	// conditional on it, so two workers never both take one delivery.
	Version int
}

// DeliveryID is the deterministic ID of delivering a flip to a channel. It names the check too:
// flip IDs are unique only within their check in the DynamoDB store.
func DeliveryID(checkID, flipID, channelID string) string {
	return checkID + ":" + flipID + ":" + channelID
}

// Deliveries stores delivery records and the one channel write the notifier makes: the storage
// contract of package notify, beside Store rather than in it, since only the notifier (and the
// API's parked listing) uses it. The SQLite store (sqlite.Store.Deliveries) and the DynamoDB
// store (dynamo.Store.Deliveries) implement it, and both pass deliverytest.Run.
//
// Errors: ErrNotFound for a missing record or channel, ErrConflict for an Update that
// lost to another writer. Instants come back in UTC, truncated to the microsecond.
type Deliveries interface {
	// Claim stores d if no delivery with d.ID exists, with Version 1 (set in d too), and reports
	// true. Otherwise it stores nothing and returns the existing record. This conditional create
	// is what makes handling a flip twice harmless.
	Claim(ctx context.Context, d *Delivery) (claimed bool, existing *Delivery, err error)
	// Get reads the delivery with this ID as last written: ErrNotFound if there is none.
	Get(ctx context.Context, id string) (*Delivery, error)
	// Update writes d's Status, Attempts, NextAttempt, LastError and Updated if the stored
	// record's Version is still d.Version, and increments d.Version. ErrConflict if it is not;
	// the other fields never change.
	Update(ctx context.Context, d *Delivery) error
	// Due lists pending and retrying deliveries whose NextAttempt is set and not after now,
	// soonest first, at most limit.
	Due(ctx context.Context, now time.Time, limit int) ([]*Delivery, error)
	// Parked lists a project's parked deliveries, most recently updated first, at most limit.
	Parked(ctx context.Context, projectID string, limit int) ([]*Delivery, error)
	// MarkChannelError sets a channel's LastError to msg ("" clears it) and, with disable, sets
	// Disabled. It never re-enables a channel: that is for whoever owns it.
	MarkChannelError(ctx context.Context, projectID, channelID, msg string, disable bool) error
}
