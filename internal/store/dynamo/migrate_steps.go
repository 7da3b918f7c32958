package dynamo

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/overduehq/overdue/internal/schema"
)

// steps are the DynamoDB implementations of the migrations in package schema, by the version
// each produces; nil for a step with nothing to do on DynamoDB (the version is still recorded,
// so that both stores count versions alike, and GateBuild treats trailing ones specially).
// Each is idempotent (it touches only items that still lack what it adds) and resumable (a
// run cut short is finished by the next), because no transaction spans it; Apply records the
// version only once the step has returned. TestEveryMigrationHasAStep holds the
// list to schema's.
var steps = map[int]func(ctx context.Context, s *Store) error{
	2: func(ctx context.Context, s *Store) error { return s.backfillBodySize(ctx) },
	3: func(ctx context.Context, s *Store) error { return s.backfillBadgeLookups(ctx) },
	// Version 4 is an expand step for SQLite alone (its deliveries table); DynamoDB keeps
	// delivery records as items with a TTL once final (delivery.go), which needs no change.
	4: nil,
	5: requireBodySizeAndBadgeLookups,
	// Version 6 (people) adds item types of its own (people.go) and changes no existing item.
	6: nil,
	// Versions 7 and 8 seal channel values (migrate_seal.go).
	7: nil,
	8: func(ctx context.Context, s *Store) error { return s.sealChannelValues(ctx) },
	// Version 9 (alert rules) adds optional attributes to check items (checkItem): absent means
	// off, so there is nothing to fill in.
	9: nil,
	// Version 10 (maintenance windows, held_until) adds an item type (window.go) and an optional
	// attribute of check items: nothing to migrate.
	10: nil,
	// Version 11 (second factors, recovery codes, challenges) adds item types of its own
	// (factor.go): nothing to migrate.
	11: nil,
	// Version 12 (status pages) adds item types (statuspage.go): nothing to migrate.
	12: nil,
	// Version 13 (the runs kept with a check) adds optional attributes of check items: a check
	// without them has runs behind, which its next write rebuilds (UpdateCheck).
	13: nil,
	// Version 14 (reports and reminders) adds optional attributes to user items (absent: the
	// defaults) and an item type (mailing.go): nothing to migrate.
	14: nil,
	// Version 15 (dependencies, failure rate, flapping, flip notes) adds optional attributes to
	// check and flip items: absent means off, or no note.
	15: nil,
	// Version 16 (channel timing) adds optional attributes to channel items (channelItem):
	// absent means none, so there is nothing to fill in.
	16: nil,
	// Version 17 (the ingestion canary's IDs) adds one item in the META partition (canary.go):
	// nothing to migrate; the migrate function adopts a canary an earlier build derived.
	17: nil,
	// Version 18 (late notices) adds optional attributes to channel and check items: absent
	// means no late notices, so there is nothing to fill in.
	18: nil,
	// Version 19 adds the bucketed due index (due.go) and fills its keys.
	19: func(ctx context.Context, s *Store) error { return s.backfillDueBuckets(ctx, DueIndex) },
	// Version 20 requires them: the same back-fill over both indexes (due.go has the rest).
	20: func(ctx context.Context, s *Store) error { return s.backfillDueBuckets(ctx, DueIndex, DueBucketIndex) },
	// Version 21 keys SQLite's pings by the check's integer key: nothing to migrate here.
	21: nil,
}

// unrelied are the versions whose step this build's code does not rely on: it reads and writes
// data without them as well as with them. GateBuild treats them like the steps with nothing to
// do. Version 19 fills the bucketed due index and version 20 requires it; until the data's
// minimum reader is 19 this build keeps the exact index too and sweeps both (due.go).
var unrelied = map[int]bool{19: true, 20: true}

// backfillWorkers is how many ping updates one page of the backfill has in flight.
const backfillWorkers = 8

// backfillBodySize is version 2, an expand step: ping items gain bs, the stored body's length
// in bytes (0 without a body), so that a ping listing can say whether each ping has a body,
// which Healthchecks' body_url needs, without reading the bodies it leaves out. The attribute
// is bs, not body_size, for the reason every item attribute is short: it is stored in every
// ping.
//
// Expand, so the minimum reader stays 1: nothing requires bs, and a build that does not know
// it reads and writes pings as before. This release's writer sets it on every ping
// (pingToItem). DynamoDB has no trigger to fill it for writers that do not, so pings written by
// a version 1 build (the old functions still serving while a deploy runs, or a rollback) lack
// it: code reading bs must take its absence as "unknown" until a contract step requires it,
// and that step must run this backfill again first (it is idempotent) to catch those pings.
//
// The backfill scans the table, strongly consistent, for ping items without bs, a page at a
// time, and sets each one's size with an UpdateItem on the condition that the slot still holds
// the same ping (n) and still lacks bs. A slot that a newer ping took since the scan read it
// is left to that ping's writer. Deflated bodies are inflated to be measured. After each page
// the migration lock is renewed, so a backfill longer than the lock's expiry keeps it; a run
// cut short (a Lambda timeout, a lost lock) leaves the sizes it set, and the next run goes on
// with the pings still without one.
func (s *Store) backfillBodySize(ctx context.Context) error {
	in := &dynamodb.ScanInput{
		ConsistentRead:       aws.Bool(true),
		FilterExpression:     aws.String("begins_with(#sk, :ping) AND attribute_not_exists(#bs)"),
		ProjectionExpression: aws.String("#pk, #sk, #n, #b, #bz"),
		ExpressionAttributeNames: map[string]string{
			"#pk": PartitionKey, "#sk": SortKey, "#n": "n", "#b": "b", "#bz": "bz", "#bs": "bs",
		},
		ExpressionAttributeValues: item{":ping": str(pingPrefix)},
	}
	for {
		page, next, err := s.scanPage(ctx, in)
		if err != nil {
			return fmt.Errorf("backfill ping body sizes: scan: %w", err)
		}
		if err := s.setBodySizes(ctx, page); err != nil {
			return err
		}
		if err := s.renewLock(ctx); err != nil {
			return err
		}
		if next == nil {
			return nil
		}
		in.ExclusiveStartKey = next
	}
}

// setBodySizes sets bs on the scanned ping items, a few at a time; the first error stops it.
func (s *Store) setBodySizes(ctx context.Context, pings []item) error {
	return s.forEach(ctx, pings, s.setBodySize)
}

// setBodySize measures one scanned ping and writes its size, if the slot still holds it
// without one.
func (s *Store) setBodySize(ctx context.Context, m item) error {
	it, err := unmarshal[pingItem](m)
	if err != nil {
		return fmt.Errorf("backfill ping body sizes: %w", err)
	}
	body, err := decodeBody(it.Body, it.BodyDeflated)
	if err != nil {
		return fmt.Errorf("backfill ping body sizes: ping %d in %s: %w", it.N, it.PK, err)
	}
	_, err = s.update(ctx, &dynamodb.UpdateItemInput{
		Key:                       item{PartitionKey: m[PartitionKey], SortKey: m[SortKey]},
		UpdateExpression:          aws.String("SET #bs = :bs"),
		ConditionExpression:       aws.String("#n = :n AND attribute_not_exists(#bs)"),
		ExpressionAttributeNames:  map[string]string{"#n": "n", "#bs": "bs"},
		ExpressionAttributeValues: item{":n": m["n"], ":bs": num(int64(len(body)))},
	}, func() cost {
		// The scan projected only part of the ping; a ping's other attributes are about 140
		// bytes (doc.go). Pings are in no index.
		return cost{table: writeUnits(itemSize(m) + 140)}
	})
	if isConditionFailed(err) {
		return nil // a newer ping took the slot, or another migrator got here first
	}
	if err != nil {
		return fmt.Errorf("backfill ping body sizes: ping %d in %s: %w", it.N, it.PK, err)
	}
	return nil
}

// backfillBadgeLookups is version 3, an expand step: every project and check with a badge key
// gets its badge lookup (pk BADGEKEY#<key>, sk PROJECT or CHECK), so that a badge request reads
// one or two items instead of every project and check. This release writes the lookups with
// the project or check (CreateProject, CreateCheck) and deletes a check's with it.
//
// Expand, so the minimum reader stays 1: builds that do not know the lookups read and write as
// before. They do not write lookups, though, so projects and checks they create on version 3
// data (the old functions still serving while a deploy runs, or a rollback) lack one, and this
// release covers them where it meets them: ProjectByBadgeKey falls back to listing projects
// (project badge URLs are signed, so only real ones get that far), and UpdateCheck gives a check
// its lookup on its first write by this release, its next ping; a check marks that it has one
// with bkl. A later contract step, whose minimum reader is a build that writes lookups, runs
// this backfill again to catch the rest.
//
// The backfill scans the table, strongly consistent, for project items and for check items
// with a badge key but no bkl, a page at a time. For each it puts the lookup on the condition
// that none is there; for a check it then sets bkl, on the condition that the check still exists
// with the same badge key. A project's lookup is a copy of it (projects are never updated); a
// check's names it. After each page the migration lock is renewed. A run cut short leaves the
// lookups it wrote, and the next run goes on with the checks still without bkl (and puts the
// projects' lookups again, conditionally, which costs a failed write each).
func (s *Store) backfillBadgeLookups(ctx context.Context) error {
	in := &dynamodb.ScanInput{
		ConsistentRead: aws.Bool(true),
		FilterExpression: aws.String("attribute_exists(#bk) AND (" +
			"(#sk = :check AND attribute_not_exists(#bkl)) OR (#sk = :project AND begins_with(#pk, :projectPrefix)))"),
		ExpressionAttributeNames: map[string]string{"#pk": PartitionKey, "#sk": SortKey, "#bk": "bk", "#bkl": "bkl"},
		ExpressionAttributeValues: item{
			":check": str(checkSK), ":project": str(projectSK), ":projectPrefix": str(projectPrefix),
		},
	}
	for {
		page, next, err := s.scanPage(ctx, in)
		if err != nil {
			return fmt.Errorf("backfill badge lookups: scan: %w", err)
		}
		if err := s.forEach(ctx, page, s.putBadgeLookup); err != nil {
			return fmt.Errorf("backfill badge lookups: %w", err)
		}
		if err := s.renewLock(ctx); err != nil {
			return err
		}
		if next == nil {
			return nil
		}
		in.ExclusiveStartKey = next
	}
}

// putBadgeLookup writes the badge lookup of one scanned project or check item, and marks a
// check as having it.
func (s *Store) putBadgeLookup(ctx context.Context, m item) error {
	if stringOf(m[SortKey]) == projectSK {
		it, err := unmarshal[projectItem](m)
		if err != nil {
			return err
		}
		return s.putProjectBadgeLookup(ctx, it)
	}
	it, err := unmarshal[checkItem](m)
	if err != nil {
		return err
	}
	if err := s.putCheckBadgeLookup(ctx, it); err != nil {
		return fmt.Errorf("check %s: %w", it.PK, err)
	}
	_, err = s.update(ctx, &dynamodb.UpdateItemInput{
		Key:                       item{PartitionKey: m[PartitionKey], SortKey: m[SortKey]},
		UpdateExpression:          aws.String("SET #bkl = :true"),
		ConditionExpression:       aws.String("attribute_exists(#pk) AND #bk = :bk"),
		ExpressionAttributeNames:  map[string]string{"#pk": PartitionKey, "#bk": "bk", "#bkl": "bkl"},
		ExpressionAttributeValues: item{":true": &types.AttributeValueMemberBOOL{Value: true}, ":bk": m["bk"]},
	}, func() cost {
		// The check is rewritten in full; bkl is in no index key, and the due index holds keys only.
		return cost{table: writeUnits(itemSize(m) + 4)}
	})
	if isConditionFailed(err) {
		return nil // deleted since the scan; its lookup finds nothing (CheckByBadgeKey checks)
	}
	if err != nil {
		return fmt.Errorf("check %s: mark its badge lookup: %w", it.PK, err)
	}
	return nil
}

// GateBuild is the build the guard of a DynamoDB store judges the data by: this build, except
// that a step with nothing to do on DynamoDB (nil in steps), or one whose result this build
// does not rely on (unrelied), that comes after the last contract step it relies on counts like
// a contract step (schema.Build.AwaitsContract): code cannot depend on a step that changes
// nothing having run. (A contract in unrelied, version 20, is not such a last contract: the
// build works on data before it, so the steps between version 8 and it stay trailing.) This
// keeps the functions serving between the deploy's phases when a release's expand step follows
// its contract step (version 9, the alert rules' attributes,
// after version 8's sealing): the expand phase stops before the contract, and the new functions
// use the data as it is until the contract phase has run both. Only the trailing ones: the
// no-op steps before a contract still mark data that skipped a release, which must wait.
func GateBuild() schema.Build {
	b := schema.This()
	b.Migrations = slices.Clone(b.Migrations)
	last := -1
	for i, m := range b.Migrations {
		if m.Phase == schema.Contract && !unrelied[m.Version] {
			last = i
		}
	}
	for i := last + 1; i < len(b.Migrations) && last >= 0; i++ {
		if step, ok := steps[b.Migrations[i].Version]; ok && (step == nil || unrelied[b.Migrations[i].Version]) {
			b.Migrations[i].Phase = schema.Contract
		}
	}
	return b
}

// requireBodySizeAndBadgeLookups is version 5, a contract step: from here on every ping item
// has bs and every project and check with a badge key has its lookup, so the next release may
// rely on both (read bs without falling back to loading the ping, find badges by lookup alone).
//
// Contract, so the minimum reader rises to 3: version 3 and later builds write bs with every
// ping and the lookups with every project and check; version 1 and 2 builds did not, and the
// guard refuses this data to them before they write. The items they wrote before the minimum
// reader rose (while a deploy or a rollback ran them on version 2 or 3 data) are caught by
// running both backfills again here: they are idempotent, and touch only what still lacks bs
// or a lookup.
func requireBodySizeAndBadgeLookups(ctx context.Context, s *Store) error {
	if err := s.backfillBodySize(ctx); err != nil {
		return err
	}
	return s.backfillBadgeLookups(ctx)
}

// forEach runs fn on the items, a few at a time (backfillWorkers); the first error stops it.
func (s *Store) forEach(ctx context.Context, items []item, fn func(ctx context.Context, m item) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	work := make(chan item)
	var wg sync.WaitGroup
	for range min(backfillWorkers, len(items)) {
		wg.Go(func() {
			for m := range work {
				if err := fn(ctx, m); err != nil {
					cancel(err)
				}
			}
		})
	}
feed:
	for _, m := range items {
		select {
		case work <- m:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	return context.Cause(ctx)
}

// backfillDueBuckets is version 19, an expand step: every check in the due index gets the keys
// of the bucketed due index (dbs, dbk; due.go), which this release writes with every check
// (checkToItem). CloudFormation has built the index before the migration runs (the table is
// updated before the migration's custom resource); in moto and CreateTable it is there from
// the start.
//
// Expand, so the minimum reader stays 7: builds that do not know dbs and dbk leave them alone
// (UpdateItem names only the attributes a build owns). They do not move them either, so a
// check that a version 18 build pings after this back-fill (the old functions still serving
// while a deploy runs, or a rollback) keeps the bucket it had, or none: nothing may rely on the
// bucketed index until a contract step, whose minimum reader writes the keys, has run this
// again over both indexes (sources) to catch those checks.
//
// It reads the entries of the named indexes, every shard, and each check they name (strongly
// consistent); a check whose keys are missing or not what dueBucket says gets them, and a
// check with no AlertAfter but bucket keys (a version 18 build took it out of the due index)
// loses them, each with an UpdateItem on the condition that the check's version is still the
// one read, and raises the version as every write of a check does. A check written since is
// left to its writer; a writer that read the check before is refused and reads it again. After
// each shard the migration lock is renewed. A run cut short leaves the keys it wrote, and the
// next run reads every check again and writes only those still wrong: idempotent and resumable.
func (s *Store) backfillDueBuckets(ctx context.Context, sources ...string) error {
	for _, index := range sources {
		pk := DueShardAttribute
		if index == DueBucketIndex {
			pk = DueBucketShardAttribute
		}
		for i := range DueShards {
			entries, err := s.query(ctx, &dynamodb.QueryInput{
				IndexName:                 aws.String(index),
				KeyConditionExpression:    aws.String("#pk = :pk"),
				ExpressionAttributeNames:  map[string]string{"#pk": pk},
				ExpressionAttributeValues: item{":pk": str(fmt.Sprintf("%s%02d", duePrefix, i))},
			}, 0)
			if err != nil {
				return fmt.Errorf("backfill due buckets: query %s shard %d: %w", index, i, err)
			}
			keys := make([]item, len(entries))
			for j, e := range entries {
				keys[j] = item{PartitionKey: e[PartitionKey], SortKey: e[SortKey]}
			}
			if err := s.forEach(ctx, keys, s.fixDueBucket); err != nil {
				return fmt.Errorf("backfill due buckets: %w", err)
			}
			if err := s.renewLock(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// fixDueBucket gives the check at key the bucketed due keys its AlertAfter calls for, or takes
// them away when it has no AlertAfter, unless they are right already or the check changed
// since it was read.
func (s *Store) fixDueBucket(ctx context.Context, key item) error {
	m, err := s.get(ctx, key, true)
	if err != nil || m == nil {
		return err // nil: deleted since the index listed it
	}
	it, err := unmarshal[checkItem](m)
	if err != nil {
		return fmt.Errorf("check %s: %w", it.PK, err)
	}
	// The version goes up, as with every write of a check: a writer that read the check before
	// this update conditions its own on the version it read, and writes only the attributes that
	// changed since that read. Left as it was, such a write would pass and keep the bucket set
	// here though it moved the deadline before it (into the bucket the check had: the write sees
	// no change of the key); now it is refused and done again from a fresh read.
	in := &dynamodb.UpdateItemInput{
		Key:                 key,
		ConditionExpression: aws.String("#v = :v"),
		ExpressionAttributeNames: map[string]string{
			"#v": "v", "#dbs": DueBucketShardAttribute, "#dbk": DueBucketAttribute,
		},
		ExpressionAttributeValues: item{":v": m["v"], ":next": num(it.Version + 1)},
	}
	after := make(item, len(m))
	for k, v := range m {
		after[k] = v
	}
	after["v"] = num(it.Version + 1)
	if it.AlertAfter == 0 {
		if m[DueBucketShardAttribute] == nil && m[DueBucketAttribute] == nil {
			return nil
		}
		in.UpdateExpression = aws.String("SET #v = :next REMOVE #dbs, #dbk")
		delete(after, DueBucketShardAttribute)
		delete(after, DueBucketAttribute)
	} else {
		shard, bucket := dueShard(strings.TrimPrefix(it.PK, checkPrefix)), dueBucket(it.check())
		if it.DueBucketShard == shard && it.DueBucket == bucket {
			return nil
		}
		in.UpdateExpression = aws.String("SET #v = :next, #dbs = :dbs, #dbk = :dbk")
		in.ExpressionAttributeValues[":dbs"] = str(shard)
		in.ExpressionAttributeValues[":dbk"] = num(bucket)
		after[DueBucketShardAttribute], after[DueBucketAttribute] = str(shard), num(bucket)
	}
	_, err = s.update(ctx, in, func() cost { return writeCost(m, after, false) })
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("check %s: %w", it.PK, err)
	}
	return nil // a lost condition: written since, by a build that keeps the keys or by one the contract catches
}
