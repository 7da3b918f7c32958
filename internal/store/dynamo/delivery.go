package dynamo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// Delivery records (store.Deliveries) are items of their own, one per (flip, channel):
//
//	pk DELIVERY#<delivery ID>, sk DELIVERY
//
// not items in the check's partition, so that DeleteCheck, which deletes that partition, leaves
// a parked delivery visible and lets a late retry find that its check is gone, as the SQLite
// store's deliveries table (no foreign keys) does.
//
// The retry queue and the parked list reuse the unprocessed index rather than adding indexes,
// which would change every live table and the CDK app: its keys (upk, usk) are strings, it
// projects every attribute, and each of its partitions is its own list. A delivery carries upk and usk only while it is on one of them:
//
//	upk                        usk                                   while
//	DELIVERY#DUE               <next attempt µs, 16 digits>#<ID>     pending or retrying
//	DELIVERY#PARKED#<project>  <updated µs, 16 digits>#<ID>          parked
//
// so the index stays sparse, as it is for flips (upk FLIPS): sent and failed deliveries, the
// bulk of them, are in no index. Due is one query of DELIVERY#DUE up to now, soonest first;
// Parked one query of the project's partition, newest first. Both read the items from the index
// (projection ALL) without a fetch; the index is eventually consistent, so a record listed may
// have moved on by a fraction of a second, and the Update that follows, conditional on the
// version, then loses, which the dispatcher takes as "another worker has it". The due list has
// one partition, like the outbox: a delivery enters it at its claim and leaves it when its send
// is recorded, two index writes per message, paced by the notifier's sends (the stream's shards
// are read one batch at a time), far below a partition's thousand writes a second even when an
// outage flips thousands of checks at once; and one partition gives exact order in one query.
//
// Claim is a PutItem on attribute_not_exists(pk) that returns the existing record when it
// loses (ReturnValuesOnConditionCheckFailure), so a duplicate costs one failed write and no
// read. Update is an UpdateItem on the version it read. Both write a random token (wt) with
// the record: a write that the SDK sent again after DynamoDB had applied it fails its condition
// against itself, and the token tells it apart from a lost race, so a claim is never mistaken
// for another worker's and a message never goes unsent because of a retried request.
//
// A record gets a TTL (ttl) once final, FlipRetention after its last update, as long as
// processed flips are kept; one in progress never expires.
const (
	deliveryPrefix = "DELIVERY#"
	deliverySK     = "DELIVERY"

	// dueDeliveriesPK is the unprocessed-index partition of deliveries in progress.
	dueDeliveriesPK = "DELIVERY#DUE"
	// parkedDeliveriesPrefix begins the unprocessed-index partition of a project's parked
	// deliveries.
	parkedDeliveriesPrefix = "DELIVERY#PARKED#"
)

func deliveryKey(id string) item {
	return item{PartitionKey: str(deliveryPrefix + id), SortKey: str(deliverySK)}
}

// deliveryItem is a delivery record as stored.
type deliveryItem struct {
	PK string `dynamodbav:"pk"`
	SK string `dynamodbav:"sk"`

	// The flip, copied so that a retry needs no flip lookup.
	CheckID     string `dynamodbav:"cid"`
	FlipID      string `dynamodbav:"fid"`
	FlipCreated int64  `dynamodbav:"fcr,omitempty"`
	OldStatus   string `dynamodbav:"old"`
	NewStatus   string `dynamodbav:"new"`
	Reason      string `dynamodbav:"why,omitempty"`

	ChannelID string `dynamodbav:"chid"`
	ProjectID string `dynamodbav:"pid"`
	Kind      string `dynamodbav:"kind,omitempty"`

	Status      string `dynamodbav:"st"`
	Attempts    int    `dynamodbav:"att"`
	NextAttempt int64  `dynamodbav:"na,omitempty"`
	LastError   string `dynamodbav:"err,omitempty"`
	Created     int64  `dynamodbav:"cr,omitempty"`
	Updated     int64  `dynamodbav:"up,omitempty"`
	Version     int64  `dynamodbav:"v"`
	// Token is the random token of the last write (see writeTokenAttr).
	Token string `dynamodbav:"wt,omitempty"`

	// ParkedPK is the index partition the record takes when it is parked, written once at the
	// claim: Update copies it into upk (SET upk = ppk), because the project is the stored one,
	// not whatever the caller's copy says, and an update expression cannot build the string.
	ParkedPK string `dynamodbav:"ppk"`
	// UPK and USK place the record on the due list or the parked list (see above).
	UPK string `dynamodbav:"upk,omitempty"`
	USK string `dynamodbav:"usk,omitempty"`
	// TTL is set once the record is final.
	TTL int64 `dynamodbav:"ttl,omitempty"`
}

// deliveryPlace is where a delivery in state d belongs in the unprocessed index: the due list,
// the parked list, or neither (both "").
func deliveryPlace(d *store.Delivery) (upk, usk string) {
	switch {
	case (d.Status == store.DeliveryPending || d.Status == store.DeliveryRetrying) && !d.NextAttempt.IsZero():
		return dueDeliveriesPK, deliveryUSK(micros(d.NextAttempt), d.ID)
	case d.Status == store.DeliveryParked:
		return parkedDeliveriesPrefix + d.ProjectID, deliveryUSK(micros(d.Updated), d.ID)
	}
	return "", ""
}

// deliveryUSK is an index sort key: an instant as 16 digits of microseconds (good until the year
// 2286; fixed width, so the strings sort as the numbers), then the ID, which breaks ties as the
// SQLite store's "ORDER BY …, id" does.
func deliveryUSK(us int64, id string) string {
	return fmt.Sprintf("%016d#%s", max(0, us), id)
}

// deliveryExpiry is the TTL of a final delivery: FlipRetention after its last update (or its
// creation, or its flip's, for a record without one); 0 when it has none of them.
func deliveryExpiry(d *store.Delivery, retention time.Duration) int64 {
	base := cmp.Or(micros(d.Updated), micros(d.Created), micros(d.Flip.Created))
	if base == 0 {
		return 0
	}
	return fromMicros(base).Add(retention).Unix()
}

func deliveryToItem(d *store.Delivery, version int64, token string, retention time.Duration) *deliveryItem {
	it := &deliveryItem{
		PK:          deliveryPrefix + d.ID,
		SK:          deliverySK,
		CheckID:     d.Flip.CheckID,
		FlipID:      d.Flip.ID,
		FlipCreated: micros(d.Flip.Created),
		OldStatus:   string(d.Flip.OldStatus),
		NewStatus:   string(d.Flip.NewStatus),
		Reason:      d.Flip.Reason,
		ChannelID:   d.ChannelID,
		ProjectID:   d.ProjectID,
		Kind:        d.Kind,
		Status:      string(d.Status),
		Attempts:    d.Attempts,
		NextAttempt: micros(d.NextAttempt),
		LastError:   d.LastError,
		Created:     micros(d.Created),
		Updated:     micros(d.Updated),
		Version:     version,
		Token:       token,
		ParkedPK:    parkedDeliveriesPrefix + d.ProjectID,
	}
	it.UPK, it.USK = deliveryPlace(d)
	if d.Status.Final() {
		it.TTL = deliveryExpiry(d, retention)
	}
	return it
}

func (it *deliveryItem) delivery() *store.Delivery {
	return &store.Delivery{
		ID: strings.TrimPrefix(it.PK, deliveryPrefix),
		Flip: check.Flip{
			ID:        it.FlipID,
			CheckID:   it.CheckID,
			Created:   fromMicros(it.FlipCreated),
			OldStatus: check.Status(it.OldStatus),
			NewStatus: check.Status(it.NewStatus),
			Reason:    it.Reason,
		},
		ChannelID:   it.ChannelID,
		ProjectID:   it.ProjectID,
		Kind:        it.Kind,
		Status:      store.DeliveryStatus(it.Status),
		Attempts:    it.Attempts,
		NextAttempt: fromMicros(it.NextAttempt),
		LastError:   it.LastError,
		Created:     fromMicros(it.Created),
		Updated:     fromMicros(it.Updated),
		Version:     int(it.Version),
	}
}

func decodeDelivery(m item) (*store.Delivery, error) {
	it, err := unmarshal[deliveryItem](m)
	if err != nil {
		return nil, err
	}
	return it.delivery(), nil
}

// newToken is a random write token.
func newToken() string { return strconv.FormatUint(rand.Uint64(), 36) }

// Deliveries is the DynamoDB implementation of store.Deliveries, in the store's table. Get it
// from Store.Deliveries.
type Deliveries struct {
	s *Store
}

var _ store.Deliveries = (*Deliveries)(nil)

// Deliveries returns the delivery records kept in the store's table. It does no I/O: the items
// live in the table and index the store already has.
func (s *Store) Deliveries() *Deliveries { return &Deliveries{s: s} }

// Claim stores d with Version 1 if no delivery has its ID, and otherwise returns the stored one:
// a PutItem on attribute_not_exists(pk), whose failure hands back the existing record.
func (ds *Deliveries) Claim(ctx context.Context, d *store.Delivery) (bool, *store.Delivery, error) {
	if err := ds.s.guardWrite(ctx); err != nil {
		return false, nil, fmt.Errorf("claim delivery %s: %w", d.ID, err)
	}
	s := ds.s
	token := newToken()
	m := marshal(deliveryToItem(d, 1, token, s.opts.FlipRetention))
	err := s.put(ctx, &dynamodb.PutItemInput{
		Item:                                m,
		ConditionExpression:                 aws.String("attribute_not_exists(#pk)"),
		ExpressionAttributeNames:            pkNames,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}, func(replaced item) cost { return writeCost(replaced, m, false) })
	var ccf *types.ConditionalCheckFailedException
	switch {
	case err == nil:
	case errors.As(err, &ccf):
		existing := ccf.Item
		if len(existing) == 0 {
			// DynamoDB returns the item with the failure; read it if it did not.
			if existing, err = s.get(ctx, deliveryKey(d.ID), true); err != nil {
				return false, nil, fmt.Errorf("claim delivery %s: read the existing record: %w", d.ID, err)
			}
			if existing == nil {
				return false, nil, fmt.Errorf("claim delivery %s: the record that was there is gone: %w", d.ID, store.ErrConflict)
			}
		}
		if stringOf(existing[writeTokenAttr]) != token {
			rec, err := decodeDelivery(existing)
			if err != nil {
				return false, nil, fmt.Errorf("claim delivery %s: %w", d.ID, err)
			}
			return false, rec, nil
		}
		// Our own put, sent again by the SDK after DynamoDB had applied it: the claim is ours.
	default:
		return false, nil, fmt.Errorf("claim delivery %s: %w", d.ID, err)
	}
	d.Version = 1
	return true, nil, nil
}

// Get reads the delivery with this ID, with a consistent read (a record just claimed or
// updated is seen as written); store.ErrNotFound if there is none.
func (ds *Deliveries) Get(ctx context.Context, id string) (*store.Delivery, error) {
	m, err := ds.s.get(ctx, deliveryKey(id), true)
	if err != nil {
		return nil, fmt.Errorf("read delivery %s: %w", id, err)
	}
	if m == nil {
		return nil, fmt.Errorf("read delivery %s: %w", id, store.ErrNotFound)
	}
	d, err := decodeDelivery(m)
	if err != nil {
		return nil, fmt.Errorf("read delivery %s: %w", id, err)
	}
	return d, nil
}

// Update writes d's Status, Attempts, NextAttempt, LastError and Updated, moves the record onto
// or off the due and parked lists, and sets its TTL once it is final, all on the condition that
// the stored Version is still d.Version; then it increments d.Version. It is store.ErrConflict
// if another writer got there first and store.ErrNotFound if there is no such record.
func (ds *Deliveries) Update(ctx context.Context, d *store.Delivery) error {
	if err := ds.s.guardWrite(ctx); err != nil {
		return fmt.Errorf("update delivery %s: %w", d.ID, err)
	}
	s := ds.s
	token := newToken()
	next := int64(d.Version) + 1
	names := map[string]string{
		"#pk": PartitionKey, "#v": "v", "#wt": writeTokenAttr, "#st": "st", "#att": "att", "#up": "up",
		"#na": "na", "#err": "err", "#upk": UnprocessedPartitionKey, "#usk": UnprocessedSortKey,
		"#ttl": TTLAttribute,
	}
	values := item{
		":from": num(int64(d.Version)), ":v": num(next), ":wt": str(token),
		":st": str(string(d.Status)), ":att": num(int64(d.Attempts)), ":up": num(micros(d.Updated)),
	}
	set := []string{"#v = :v", "#wt = :wt", "#st = :st", "#att = :att", "#up = :up"}
	var remove []string
	if na := micros(d.NextAttempt); na != 0 {
		set, values[":na"] = append(set, "#na = :na"), num(na)
	} else {
		remove = append(remove, "#na")
	}
	if d.LastError != "" {
		set, values[":err"] = append(set, "#err = :err"), str(d.LastError)
	} else {
		remove = append(remove, "#err")
	}
	upk, usk := deliveryPlace(d)
	inIndex := upk != ""
	switch {
	case d.Status == store.DeliveryParked:
		// The stored project's partition, not d.ProjectID: Update never changes the project.
		names["#ppk"] = "ppk"
		set, values[":usk"] = append(set, "#upk = #ppk", "#usk = :usk"), str(usk)
	case inIndex:
		set, values[":upk"], values[":usk"] = append(set, "#upk = :upk", "#usk = :usk"), str(upk), str(usk)
	default:
		remove = append(remove, "#upk", "#usk")
	}
	if ttl := deliveryExpiry(d, s.opts.FlipRetention); d.Status.Final() && ttl != 0 {
		set, values[":ttl"] = append(set, "#ttl = :ttl"), num(ttl)
	} else {
		remove = append(remove, "#ttl")
	}
	expr := "SET " + strings.Join(set, ", ")
	if len(remove) > 0 {
		expr += " REMOVE " + strings.Join(remove, ", ")
	}
	_, err := s.update(ctx, &dynamodb.UpdateItemInput{
		Key:                                 deliveryKey(d.ID),
		UpdateExpression:                    aws.String(expr),
		ConditionExpression:                 aws.String("attribute_exists(#pk) AND #v = :from"),
		ExpressionAttributeNames:            names,
		ExpressionAttributeValues:           values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}, func() cost {
		// A record is a few hundred bytes: one unit, and for the index one to leave it or two
		// to move within it (DynamoDB deletes the old entry and puts the new one).
		c := cost{table: 1, index: 1}
		if inIndex {
			c.index = 2
		}
		return c
	})
	var ccf *types.ConditionalCheckFailedException
	switch {
	case err == nil:
	case errors.As(err, &ccf) && len(ccf.Item) == 0:
		return fmt.Errorf("update delivery %s: %w", d.ID, store.ErrNotFound)
	case errors.As(err, &ccf) && stringOf(ccf.Item[writeTokenAttr]) == token:
		// Our own update, sent again by the SDK after DynamoDB had applied it.
	case errors.As(err, &ccf):
		return fmt.Errorf("update delivery %s: version %d is stale: %w", d.ID, d.Version, store.ErrConflict)
	default:
		return fmt.Errorf("update delivery %s: %w", d.ID, err)
	}
	d.Version = int(next)
	return nil
}

// Due lists pending and retrying deliveries whose NextAttempt is not after now, soonest first:
// one query of the due list in the unprocessed index.
func (ds *Deliveries) Due(ctx context.Context, now time.Time, limit int) ([]*store.Delivery, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("list due deliveries: limit %d is not positive", limit)
	}
	// Stored instants are truncated to the microsecond, so "<= now" is "<= now truncated": every
	// key up to that instant's, whatever its ID, sorts below the instant followed by "$", the
	// character after the "#" that follows the instant in the keys.
	bound := fmt.Sprintf("%016d$", max(0, now.UnixMicro()))
	out, err := ds.list(ctx, &dynamodb.QueryInput{
		IndexName:                 aws.String(UnprocessedIndex),
		KeyConditionExpression:    aws.String("#upk = :upk AND #usk < :bound"),
		ExpressionAttributeNames:  map[string]string{"#upk": UnprocessedPartitionKey, "#usk": UnprocessedSortKey},
		ExpressionAttributeValues: item{":upk": str(dueDeliveriesPK), ":bound": str(bound)},
	}, limit)
	if err != nil {
		return nil, fmt.Errorf("list due deliveries: %w", err)
	}
	return out, nil
}

// Parked lists a project's parked deliveries, most recently updated first: one query of the
// project's parked list in the unprocessed index.
func (ds *Deliveries) Parked(ctx context.Context, projectID string, limit int) ([]*store.Delivery, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("list parked deliveries of project %s: limit %d is not positive", projectID, limit)
	}
	out, err := ds.list(ctx, &dynamodb.QueryInput{
		IndexName:                 aws.String(UnprocessedIndex),
		KeyConditionExpression:    aws.String("#upk = :upk"),
		ExpressionAttributeNames:  map[string]string{"#upk": UnprocessedPartitionKey},
		ExpressionAttributeValues: item{":upk": str(parkedDeliveriesPrefix + projectID)},
		ScanIndexForward:          aws.Bool(false),
	}, limit)
	if err != nil {
		return nil, fmt.Errorf("list parked deliveries of project %s: %w", projectID, err)
	}
	return out, nil
}

func (ds *Deliveries) list(ctx context.Context, in *dynamodb.QueryInput, limit int) ([]*store.Delivery, error) {
	items, err := ds.s.query(ctx, in, limit)
	if err != nil {
		return nil, err
	}
	out := make([]*store.Delivery, 0, len(items))
	for _, m := range items {
		d, err := decodeDelivery(m)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// MarkChannelError sets the channel's last error ("" removes it) and, with disable, disables it:
// one UpdateItem on the condition that the channel exists in the project, store.ErrNotFound
// otherwise. It never re-enables a channel.
func (ds *Deliveries) MarkChannelError(ctx context.Context, projectID, channelID, msg string, disable bool) error {
	if err := ds.s.guardWrite(ctx); err != nil {
		return fmt.Errorf("mark channel %s: %w", channelID, err)
	}
	names := map[string]string{"#pk": PartitionKey, "#pid": "pid", "#err": "err"}
	values := item{":pid": str(projectID)}
	var expr string
	if msg != "" {
		expr, values[":err"] = "SET #err = :err", str(msg)
	}
	if disable {
		names["#dis"] = "dis"
		values[":dis"] = &types.AttributeValueMemberBOOL{Value: true}
		if expr == "" {
			expr = "SET #dis = :dis"
		} else {
			expr += ", #dis = :dis"
		}
	}
	if msg == "" {
		// The item leaves out an empty error (omitempty), so clearing it removes the attribute.
		expr += " REMOVE #err"
	}
	_, err := ds.s.update(ctx, &dynamodb.UpdateItemInput{
		Key:                       channelKey(channelID),
		UpdateExpression:          aws.String(strings.TrimSpace(expr)),
		ConditionExpression:       aws.String("attribute_exists(#pk) AND #pid = :pid"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	}, func() cost {
		// A channel is a small item; its project index entry holds keys only and stays.
		return cost{table: 1}
	})
	if isConditionFailed(err) {
		return fmt.Errorf("mark channel %s of project %s: %w", channelID, projectID, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("mark channel %s of project %s: %w", channelID, projectID, err)
	}
	return nil
}
