package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/overduehq/overdue/internal/schema"
)

// The data model's record of itself is one item, pk=META, sk=SCHEMA:
//
//	attribute     type                 holds
//	version       number               the data-model version the table is at
//	min_reader    number               the oldest version whose builds may use the table
//	history       list of maps         one entry per version reached: version, min_reader,
//	                                   build, applied_at (RFC 3339, UTC), oldest first
//	lock_owner    string               the migrator holding the migration lock (migrate.go)
//	lock_expires  number               when that lock lapses, epoch seconds
//
// Its attribute names are spelled out, unlike those of the other items: there is one META
// item, and it is the one an operator reads in the console during an incident.
//
// A table without a version on META (no item, or one holding only a lock) is one of two
// things. Without any other item it is empty: the guard says Create and the deploy's migrate
// step (or the first CLI command) writes META at schema.Current. With other items it was
// written by a build from before the data model was versioned, all of which wrote what is now
// version 1 (pings without bs), so it is version 1 with minimum reader 1, and is migrated
// like any other version 1 data. The first migration writes META; from then on the item is
// the only source.
const (
	metaPK = "META"
	metaSK = "SCHEMA"

	metaVersion     = "version"
	metaMinReader   = "min_reader"
	metaHistory     = "history"
	metaLockOwner   = "lock_owner"
	metaLockExpires = "lock_expires"
)

// unversioned is what a table with data but no recorded version is: see above.
var unversioned = schema.Version{Version: 1, MinReader: 1}

func metaKey() item {
	return item{PartitionKey: str(metaPK), SortKey: str(metaSK)}
}

// metaItem is the META item as stored. Version and MinReader are pointers so that an absent
// attribute (no version recorded) is told apart from a damaged 0.
type metaItem struct {
	PK          string      `dynamodbav:"pk"`
	SK          string      `dynamodbav:"sk"`
	Version     *int        `dynamodbav:"version"`
	MinReader   *int        `dynamodbav:"min_reader"`
	History     []metaEntry `dynamodbav:"history"`
	LockOwner   string      `dynamodbav:"lock_owner"`
	LockExpires int64       `dynamodbav:"lock_expires"`
}

// metaEntry is one history entry on META.
type metaEntry struct {
	Version   int    `dynamodbav:"version"`
	MinReader int    `dynamodbav:"min_reader"`
	Build     string `dynamodbav:"build"`
	AppliedAt string `dynamodbav:"applied_at"` // RFC 3339 with fractional seconds, UTC
}

func newMetaEntry(version, minReader int, build string, at time.Time) metaEntry {
	return metaEntry{Version: version, MinReader: minReader, Build: build, AppliedAt: at.UTC().Format(time.RFC3339Nano)}
}

// readMeta reads the META item, strongly consistent: the guard must see the last migration.
// nil when there is none.
func (s *Store) readMeta(ctx context.Context) (*metaItem, error) {
	m, err := s.get(ctx, metaKey(), true)
	if err != nil || m == nil {
		return nil, err
	}
	return unmarshal[metaItem](m)
}

var _ schema.Migrator = (*Store)(nil)

// Version reads the data model the table records (schema.Migrator), without writing: the
// version and minimum reader on META; version 1 for a table with data but no version
// recorded; the zero Version for an empty table. It costs one strongly consistent read, and
// a two-item scan when META has no version.
func (s *Store) Version(ctx context.Context) (schema.Version, error) {
	v, _, err := s.readVersion(ctx)
	return v, err
}

// readVersion is Version, and whether META records it (false for an unversioned or empty table).
func (s *Store) readVersion(ctx context.Context) (schema.Version, bool, error) {
	meta, err := s.readMeta(ctx)
	if err != nil {
		return schema.Version{}, false, fmt.Errorf("read %s %s of table %s: %w", metaPK, metaSK, s.table, err)
	}
	if meta != nil && meta.Version != nil {
		v := schema.Version{Version: *meta.Version}
		if meta.MinReader != nil {
			v.MinReader = *meta.MinReader
		}
		// A missing or impossible minimum reader is left for schema.Check to call damaged.
		return v, true, nil
	}
	has, err := s.hasData(ctx)
	if err != nil {
		return schema.Version{}, false, fmt.Errorf("look for data in table %s: %w", s.table, err)
	}
	if has {
		return unversioned, false, nil
	}
	return schema.Version{}, false, nil
}

// hasData reports whether the table holds any item besides the META partition's. A scan of
// three items is enough: at most two of them are META items (SCHEMA and Probe's PROBE).
func (s *Store) hasData(ctx context.Context) (bool, error) {
	items, _, err := s.scanPage(ctx, &dynamodb.ScanInput{
		Limit:                    aws.Int32(3),
		ConsistentRead:           aws.Bool(true),
		ProjectionExpression:     aws.String("#pk"),
		ExpressionAttributeNames: map[string]string{"#pk": PartitionKey},
	})
	if err != nil {
		return false, err
	}
	for _, m := range items {
		if stringOf(m[PartitionKey]) != metaPK {
			return true, nil
		}
	}
	return false, nil
}

// scanPage runs one Scan request on the table, metered like every other call; the second
// result is where the next page starts (nil after the last).
func (s *Store) scanPage(ctx context.Context, in *dynamodb.ScanInput) ([]item, item, error) {
	in.TableName = &s.table
	in.ReturnConsumedCapacity = s.capacity()
	res, err := s.db.Scan(ctx, in)
	if s.metered() {
		u := Usage{Requests: 1}
		if err == nil {
			size := 0
			for _, it := range res.Items {
				size += itemSize(it)
			}
			// Approximate: DynamoDB bills what the scan read, before the filter.
			u.RCU = readUnits(size, aws.ToBool(in.ConsistentRead))
			u.ReportedRCU = reportedOne(res.ConsumedCapacity)
		}
		s.Meter.add(u)
	}
	if err != nil {
		return nil, nil, err
	}
	if len(res.LastEvaluatedKey) == 0 {
		return res.Items, nil, nil
	}
	return res.Items, res.LastEvaluatedKey, nil
}

// History lists the migrations recorded on META, oldest first: the version the table was
// created at, then each one applied. A version 1 table has none.
func (s *Store) History(ctx context.Context) ([]schema.Entry, error) {
	meta, err := s.readMeta(ctx)
	if err != nil {
		return nil, fmt.Errorf("read %s %s of table %s: %w", metaPK, metaSK, s.table, err)
	}
	if meta == nil {
		return nil, nil
	}
	out := make([]schema.Entry, 0, len(meta.History))
	for _, e := range meta.History {
		at, err := time.Parse(time.RFC3339Nano, e.AppliedAt)
		if err != nil {
			return nil, fmt.Errorf("table %s: history entry for version %d: applied_at %q: %w", s.table, e.Version, e.AppliedAt, err)
		}
		out = append(out, schema.Entry{Version: e.Version, MinReader: e.MinReader, Build: e.Build, At: at.UTC()})
	}
	return out, nil
}

// Create writes META at schema.Current (schema.Migrator) on a table with no version recorded,
// on that condition, with the minimum reader of this build and one history entry. When another
// process recorded a version first, the table is left as it is, and Create succeeds if this
// build can use it.
func (s *Store) Create(ctx context.Context, build string, now time.Time) error {
	b := schema.This()
	entry := marshal(newMetaEntry(b.Current, b.MinReader(), build, now))
	_, err := s.update(ctx, &dynamodb.UpdateItemInput{
		Key: metaKey(),
		// SET, not a put: a lock taken meanwhile stays.
		UpdateExpression:    aws.String("SET #v = :v, #r = :r, #h = :h"),
		ConditionExpression: aws.String("attribute_not_exists(#v)"),
		ExpressionAttributeNames: map[string]string{
			"#v": metaVersion, "#r": metaMinReader, "#h": metaHistory,
		},
		ExpressionAttributeValues: item{
			":v": num(int64(b.Current)),
			":r": num(int64(b.MinReader())),
			":h": listOf(mapOf(entry)),
		},
	}, func() cost { return cost{table: 1} })
	if isConditionFailed(err) {
		v, verr := s.Version(ctx)
		if verr != nil {
			return verr
		}
		switch d, cerr := schema.Check(v, b); {
		case cerr != nil:
			return cerr
		case d == schema.Use || d == schema.UseNewer:
			return nil
		default:
			return fmt.Errorf("table %s: another process recorded %v meanwhile", s.table, v)
		}
	}
	if err != nil {
		return fmt.Errorf("write %s %s of table %s: %w", metaPK, metaSK, s.table, err)
	}
	return nil
}

// errNoDataModel is Apply on a table with no version: it must be created, not migrated.
var errNoDataModel = errors.New("the table has no data model yet: create it (overdue migrate up) instead of migrating it")
