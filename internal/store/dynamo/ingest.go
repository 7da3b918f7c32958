package dynamo

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/overduehq/overdue/internal/store"
)

// Ping intake's counts per minute (store.IngestLog) are kept in the table, so that every
// instance of the api function adds to the same counts and the sweep and timer functions read
// them:
//
//	item            pk       sk                          notes
//	intake minute   INGEST   M#<minute, unix s, 12 digits>   p (pings), f (failed); TTL a day and more after
//
// An instance adds its counts in one UpdateItem (ADD), at most every few seconds (see
// sweep.IngestCounter), not once per ping; the sweep reads a few hours of minutes in one Query.
// One partition holds them all: its writes are a handful a second at the most. Older builds
// never read these items, and the TTL removes them, so they need no data-model step.
const (
	ingestPK       = "INGEST"
	ingestSKPrefix = "M#"
	ingestPings    = "p"
	ingestFailed   = "f"
)

// IngestLog is ping intake's counts in the table; it implements store.IngestLog.
type IngestLog struct{ s *Store }

var _ store.IngestLog = (*IngestLog)(nil)

// IngestLog returns the store's ping intake counts.
func (s *Store) IngestLog() *IngestLog { return &IngestLog{s: s} }

// ingestSK is the sort key of the minute starting at m.
func ingestSK(m time.Time) string {
	return ingestSKPrefix + fmt.Sprintf("%012d", m.Unix())
}

// AddIngest implements store.IngestLog: one UpdateItem that adds to the minute's counts.
func (l *IngestLog) AddIngest(ctx context.Context, m store.IngestMinute) error {
	if err := l.s.guardWrite(ctx); err != nil {
		return fmt.Errorf("count ping intake: %w", err)
	}
	minute := m.Minute.UTC().Truncate(time.Minute)
	_, err := l.s.update(ctx, &dynamodb.UpdateItemInput{
		Key:                       item{PartitionKey: str(ingestPK), SortKey: str(ingestSK(minute))},
		UpdateExpression:          aws.String("ADD #p :p, #f :f SET #ttl = :ttl"),
		ExpressionAttributeNames:  map[string]string{"#p": ingestPings, "#f": ingestFailed, "#ttl": TTLAttribute},
		ExpressionAttributeValues: item{":p": num(int64(m.Pings)), ":f": num(int64(m.Failed)), ":ttl": num(ttlOf(minute.Add(store.IngestRetention)))},
	}, func() cost { return cost{table: 1} })
	if err != nil {
		return fmt.Errorf("count ping intake: %w", err)
	}
	return nil
}

// IngestMinutes implements store.IngestLog: one Query of the minutes' range (eventually
// consistent: a count a moment old is as good).
func (l *IngestLog) IngestMinutes(ctx context.Context, from, to time.Time) ([]store.IngestMinute, error) {
	first := from.UTC().Add(time.Minute - time.Nanosecond).Truncate(time.Minute) // the first minute starting at or after from
	last := to.UTC().Add(-time.Nanosecond).Truncate(time.Minute)                 // the last starting before to
	if last.Before(first) {
		return nil, nil
	}
	items, err := l.s.query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String("#pk = :pk AND #sk BETWEEN :a AND :b"),
		ExpressionAttributeNames:  map[string]string{"#pk": PartitionKey, "#sk": SortKey},
		ExpressionAttributeValues: item{":pk": str(ingestPK), ":a": str(ingestSK(first)), ":b": str(ingestSK(last))},
	}, 0)
	if err != nil {
		return nil, fmt.Errorf("read ping intake counts: %w", err)
	}
	var out []store.IngestMinute
	for _, it := range items {
		sec, err := strconv.ParseInt(stringOf(it[SortKey])[len(ingestSKPrefix):], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("read ping intake counts: sort key %q: %w", stringOf(it[SortKey]), err)
		}
		m := store.IngestMinute{Minute: time.Unix(sec, 0).UTC()}
		if v, ok := it[ingestPings]; ok {
			n, err := numberOf(v)
			if err != nil {
				return nil, fmt.Errorf("read ping intake counts: %w", err)
			}
			m.Pings = int(n)
		}
		if v, ok := it[ingestFailed]; ok {
			n, err := numberOf(v)
			if err != nil {
				return nil, fmt.Errorf("read ping intake counts: %w", err)
			}
			m.Failed = int(n)
		}
		out = append(out, m)
	}
	return out, nil
}
