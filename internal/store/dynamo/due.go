package dynamo

import (
	"time"

	"github.com/overduehq/overdue/internal/check"
)

// The bucketed due index (data model version 19; BENCHMARKS.md section 2 has the arithmetic).
//
// An exact due index (DueIndex, keyed by AlertAfter) moves its entry on every ping that moves
// the deadline, and DynamoDB bills a moved entry as a delete and a put: 2 of the 4.5 capacity
// units of a success ping. DueBucketIndex is keyed instead by the start of a bucket that holds
// AlertAfter, and DynamoDB writes an index entry only when the item's index keys change, so a
// ping that keeps the deadline in its bucket costs the read, the check and the ping: 2.5.
//
// The key is a lower bound: dbk <= AlertAfter always, so every check with AlertAfter <= now has
// dbk <= now and an index read "dbk <= now" finds every due check. It also finds candidates
// that are not due yet (their deadline is later in a bucket that has begun), which are read
// and left alone: alert times stay exact, and what the bucket saves on pings the sweep pays
// in reads of candidates, 0.5 read units each. Which bucket is cheaper depends on the check:
//
//   - a check that pings often with a short grace (minutely with a minute's grace) would move a
//     narrow bucket on every ping (2 units a ping); in a wide one (wideBucket) it moves once an
//     hour, and is a candidate at most sweeps of the hour (0.5 units a sweep, one sweep a minute);
//   - a check with a grace of some minutes or more, or that pings every few minutes or less
//     often, is never a candidate in a bucket as wide as its grace (while it pings on time its
//     deadline is at least a grace ahead, so it is in a later bucket than now), and moves when
//     its deadline crosses into the next one: at most once a ping, as with the exact index. In
//     a wide bucket it would be a candidate in most sweeps of the hour before its deadline:
//     every five minutes with a minute's grace, 2.5 units of reads a ping;
//   - a check with a late channel (check.LateNotice, data model 18) is due at its expected time,
//     not at the end of its grace: while it pings on time its next ping comes when its deadline
//     does, so in any bucket it is a candidate from the bucket's start to its deadline. It gets
//     the wide bucket when it pings every few minutes or more often, else a bucket of a second,
//     as exact as the exact index: it moves on every ping, as there, and is a candidate only in
//     the second before its deadline.
//
// A move costs what four candidate reads do, and the sweep runs every minute, hence the
// threshold: the wide bucket when both the slack (the time from the next ping, when it comes on
// time, to the deadline: the grace, or none for a late notice) and the time from one ping to the
// next are under narrowFrom, else a bucket as wide as the slack (at least minBucket, or a second
// for no slack). The width is a function of the check alone, so the key stays put between pings
// of a steady check.
const (
	// wideBucket is the bucket of a check that pings often and has a short grace.
	wideBucket = time.Hour
	// narrowFrom is the grace, or time between pings, from which a check's bucket is as wide
	// as its grace: four sweeps, the reads that cost what one move does.
	narrowFrom = 4 * time.Minute
	// minBucket is the narrowest bucket of a check with a grace.
	minBucket = time.Minute
)

// dueWidth is the width of the bucket of c's AlertAfter (see above). The time between pings
// is estimated from the check as it is: from the last ping to the time, slack before
// AlertAfter, when the next ping is expected.
func dueWidth(c *check.Check) time.Duration {
	slack := c.Grace
	if c.LateNotice {
		slack = 0 // due at the expected time itself (check.Check.LateAt)
	}
	gap := c.AlertAfter.Sub(c.LastPing) - slack
	if c.LastPing.IsZero() {
		gap = narrowFrom
	}
	if slack < narrowFrom && gap < narrowFrom {
		return wideBucket
	}
	if slack == 0 {
		return time.Second
	}
	return max(slack.Truncate(time.Second), minBucket)
}

// dueBucket is the bucketed due index's sort key of c: the start, in seconds since the epoch,
// of the bucket of width dueWidth(c) that holds c.AlertAfter, so never after it. c.AlertAfter
// must be set.
func dueBucket(c *check.Check) int64 {
	w := int64(dueWidth(c) / time.Second)
	at := c.AlertAfter.Unix() // floor: AlertAfter is after the epoch
	return at - at%w
}
