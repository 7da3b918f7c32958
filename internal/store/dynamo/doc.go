// Package dynamo is the production store: everything in one DynamoDB table (on-demand, with a
// stream of new and old images and a TTL attribute), reached through aws-sdk-go-v2. CreateTable
// makes the table exactly as the CDK app does; the exported names are for that app.
//
// # Items
//
//	item               pk                     sk                                   notes
//	check              CHECK#<id>             CHECK                                version v, ring size
//	ping               CHECK#<id>             PING#<n mod ring, 6 digits>          body maybe deflated, its size; TTL
//	flip               CHECK#<id>             FLIP#<created µs, 16>-<version, 10>  the outbox; TTL once processed
//	project            PROJECT#<id>           PROJECT
//	API key lookup     APIKEY#<sha256 hex>    KEY                                  a copy of the project (+ read-only flag)
//	ping key lookup    PINGKEY#<sha256 hex>   KEY                                  a copy of the project
//	badge lookup       BADGEKEY#<badge key>   PROJECT                              a copy of the project (version 3)
//	                   BADGEKEY#<badge key>   CHECK                                the check's ID (version 3)
//	channel            CHANNEL#<id>           CHANNEL
//	delivery record    DELIVERY#<id>          DELIVERY                             one (flip, channel); TTL once final (delivery.go)
//	data-model version META                   SCHEMA                               version, min reader, history, lock (schema.go)
//	accounts           USER#, EMAIL#, INVITE#, RESET#, SESSION#, TOKEN#; MEMBER# and OWNERS in PROJECT#<id>  (version 6; people.go)
//	mailing record     USER#<id>              MAILING#<kind>#<slot>                one report or reminder sent; TTL (version 14; mailing.go)
//	sign-in failures   LIMIT#<sha256 hex>     W#<window start, unix s>             n; TTL at the window's end (attempts.go)
//	status page        PROJECT#<id>           STATUSPAGE                           key, public, chosen checks (version 12; statuspage.go)
//	status page lookup STATUSKEY#<key>        STATUSPAGE                           a copy of the page (version 12)
//	dependency graph   PROJECT#<id>           GRAPH                                gv, bumped by each update adding a parent (graph.go)
//
// Indexes (global, all eventually consistent):
//
//	due          dsh = DUE#00..DUE#15, aa = AlertAfter (µs)   keys only  checks with AlertAfter set, until version 20
//	bucket       dbs = DUE#00..DUE#15, dbk = bucket start (s) keys only  checks with AlertAfter set, by bucket (version 19; due.go)
//	project      gpk = PROJECT#<id>,  gsk = CHECK#<slug>      keys only  a project's checks, by slug
//	             gpk = PROJECT#<id>,  gsk = CHANNEL                      a project's channels
//	             gpk = PROJECTS,      gsk = PROJECT                      every project
//	             gpk = USERS,         gsk = USER                         every user (version 6)
//	unprocessed  upk = FLIPS,         usk = <flip ID>#<check>  all       flips not yet processed
//	             upk = DELIVERY#DUE,  usk = <next µs>#<ID>               deliveries pending or retrying
//	             upk = DELIVERY#PARKED#<project>, usk = <updated µs>#<ID> a project's parked deliveries
//
// Instants are integer microseconds since the epoch (absent for the zero time), durations
// integer nanoseconds: both round-trip exactly, compare as numbers in keys, and cost a few
// bytes. Attribute names are one to five letters because they are stored in every item: the
// check item of a typical check is about 550 bytes, under the 1 KB of one write unit.
//
// # Where this refines DESIGN.md, and why
//
// Pings live in a ring of slots, PING#<n mod ring>, instead of under their number. Keeping
// the newest PingLimit by deleting older ones would double the cost of a ping: DynamoDB bills
// a delete by the size of the item deleted, and batching deletes saves requests, not units.
// A put that replaces an item is billed by the larger of the two, so writing ping n over ping
// n-ring trims the history for nothing. The ring size is stored on the check when it is
// created, so a changed PingLimit never looks for pings in the wrong slots; reads show the
// newest min(ring, PingLimit). Pings and Ping take n_pings from the check and show only
// numbers in (n_pings-limit, n_pings], which also hides a slot whose write was lost.
//
// The due index is keyed by shard and the exact AlertAfter in microseconds rather than the
// epoch second: "aa <= now" is then exact, needs no filter, and sorts soonest first. The shard
// is FNV-1a of the check ID mod DueShards, so pings to different checks write sixteen index
// partitions, not one; the price is sixteen queries per sweep, half a read unit each. Only
// checks whose AlertAfter is set (up, grace or started; never new, paused or down) carry dsh
// and aa, so the index holds only checks that can go down by themselves.
//
// Since version 18 the sweep reads the bucketed due index instead (due.go): keyed by the start
// of a bucket that holds AlertAfter, so that a ping that keeps the deadline in its bucket does
// not move the entry; the checks of buckets that have begun are read, and only those whose
// exact AlertAfter has passed are due. The exact index is left as checks are written, and a
// later release drops it.
//
// The index projects keys only, and DueChecks fetches the due checks with one BatchGetItem.
// Projecting all attributes would save that fetch (8 instead of 18 read units in
// TestSweepCapacity), but every write to an indexed check would then rewrite its index entry:
// a log ping changes n_pings, so it would cost one more write unit. Checks are due rarely (when
// they go down, once); pings arrive all the time.
//
// Slugs are found through the project index sort key (CHECK#<slug>) instead of SLUG#
// lookup items: slugs are not unique and change with the name, and the index follows the
// check by itself where lookup items would need keeping in step in a transaction.
//
// Channels are their own partition rather than items in their project's: channel IDs are
// unique across projects, and a key is the only uniqueness DynamoDB checks. The project index
// lists them.
//
// A key lookup carries a copy of its project, so authenticating a request is one read.
// Projects are never updated; if they ever are, the copies must be written with them.
//
// Badge keys are found through lookup items too (data model version 3), not an index: the
// existing indexes cannot take them (a check is in the project index already, the due index is
// keyed by shard and instant, and putting checks in the all-attribute unprocessed index would
// rewrite an index entry on every ping), and a new index is a change to every live table. A
// project's badge lookup is a copy of it, so a project badge is one read plus its checks; a
// check's names the check, which is read as it is now (a copy would be rewritten on every
// ping), so a check badge is two eventually consistent reads, one read unit. CreateProject and
// CreateCheck write the lookup in their transaction, DeleteCheck deletes it, and a check
// records that it has one (bkl) so that UpdateCheck can give one, once, to a check written by
// a build before version 3 (see backfillBadgeLookups for why such checks exist after the
// migration). Uniqueness is not enforced: badge keys are random and grant nothing.
//
// A flip's ID is its creation instant and the check version that wrote it. It orders a check's
// flips and is unique within the check; MarkFlipProcessed finds the flip by check ID and flip
// ID. The unprocessed-flips index has one partition: flips happen when a status changes, far
// below one partition's thousand writes a second, and one partition gives exact oldest-first
// order.
//
// # Access paths
//
//	UpdateCheck        GetItem (eventually consistent) + UpdateItem on v = :read, then PutItem of
//	                   the ping; with a flip, GetItem + TransactWriteItems [check, ping, flip]
//	DueChecks          16 × Query bucket index (dbk <= now) + BatchGetItem of the checks not read at
//	                   this now yet (before version 18 also 16 × Query due index, aa <= now)
//	Upcoming           16 × Query bucket index (dbk in the window's seconds, or up to it) + BatchGetItem
//	                   of the checks DueChecks did not read at its after
//	Check, Project     GetItem, strongly consistent (clients read back what they just wrote)
//	Checks, Channels,  Query project index + BatchGetItem (eventually consistent)
//	  ChecksBySlug, Projects
//	ProjectByAPIKey,   GetItem of the lookup (eventually consistent)
//	  ProjectByPingKey, ProjectByBadgeKey (a missing badge lookup: Projects, and the lookup put)
//	CheckByBadgeKey    GetItem of the lookup, then of the check (both eventually consistent)
//	Pings              GetItem of the check + 1 or 2 Query of ring slots (the ring may wrap)
//	Ping               BatchGetItem [check, slot]
//	Flips              Query FLIP# range, newest first
//	UnprocessedFlips   Query unprocessed index, oldest first
//	MarkFlipProcessed  UpdateItem SET processed, ttl REMOVE upk, usk IF attribute_exists(upk)
//	Deliveries: Claim  PutItem IF attribute_not_exists(pk), the existing record back on failure
//	  Update           UpdateItem IF v = :read (state, list placement, TTL once final)
//	  Due, Parked      Query unprocessed index (DELIVERY#DUE up to now; DELIVERY#PARKED#<project>)
//	  MarkChannelError UpdateItem of the channel IF it exists in the project
//	StatusPage         GetItem of the page, strongly consistent
//	StatusPageByKey    GetItem of the lookup (eventually consistent; 0.5 units)
//	PutStatusPage      GetItem of the page + TransactWriteItems [ConditionCheck project exists, page IF
//	                     its key is as read, lookup IF free or the project's, the old lookup's delete]
//	CreateProject      TransactWriteItems [project, key lookups each IF attribute_not_exists, badge lookup]
//	CreateCheck,       TransactWriteItems [ConditionCheck project exists, Put IF attribute_not_exists
//	  CreateChannel      (, the check's badge lookup)]
//	DeleteCheck        Query the check's partition + BatchWriteItem deletes + DeleteItem of the badge
//	                   lookup IF it names the check + DeleteItem of the check
//	DeleteChannel      DeleteItem IF pid = project, then UpdateCheck of each check naming it
//	UpdateChannel      GetItem (consistent) + PutItem IF pid = project AND val = the value read
//
// # UpdateCheck: atomic where it matters
//
// The check is written with UpdateItem on the condition that its version is the one read, and
// SET and REMOVE name only the attributes the domain maps to, so attributes added by a newer
// release survive a write by this one (expand, migrate, contract). Without a flip, the ping
// is put after the check, outside a transaction: the conditional write gave it its number, so
// no other writer can take that number, and a transaction would double the cost of both
// writes on every ping. A process that dies between the two writes leaves a gap in the ping
// history, never a wrong count or a duplicate number. With a flip, the check, the ping and the
// flip go in one TransactWriteItems: the flip is the notifier's outbox and exists exactly when
// the status changed, so fifty concurrent pings to a new check write one flip.
//
// The first read is eventually consistent, half the price of a strong one; a stale copy only
// loses the condition. A lost condition returns the check as it now is, at no charge, and fn
// runs again on it at once, which settles the usual race of two (a start and a success ping)
// without a read. After that each retry waits a growing, fully jittered backoff and reads the
// check strongly consistent, at most thirty-two attempts in all; then it is store.ErrConflict. In
// TestConcurrentPings, 50 processes pinging one check at once need 7 attempts on average and
// 11 at worst on an idle machine, and more than 16 on a loaded one. Every write carries a random token (attribute wt): a write the SDK retried
// after DynamoDB had applied it fails its condition, and the token tells it apart from a lost
// race, so fn's change is never applied twice. Writers of one check in one process take turns
// on a lock, so only writers in different processes (Lambda instances) race: each lost race
// is a billed read and a billed failed write.
//
// # Cost per ping
//
// BenchmarkPingCapacity measures every kind with a 1 KB body, in capacity units modelled from
// item sizes (see Meter):
//
//	ping                    requests  RCU   WCU   total   WCU: check + index + ping (+ flip)
//	success, start          3         0.5   2     2.5     1 + 0 (deadline in its bucket) + 1
//	  ... leaving its bucket  3         0.5   4     4.5     1 + 2 (bucket entry moves) + 1
//	log; fail when down     3         0.5   2     2.5     1 + 0 + 1
//	success or fail, flip   2         0.5   8     8.5     transaction: 2×(1 + 1 + 1) + 2 index
//
// Those are for text bodies, which deflate to a third and fit the ping into one write unit;
// an incompressible 1 KB body adds one unit (1 KB plus the ping's other attributes is more than
// 1 KB), two in a transaction. Pings without a body cost the same as text ones.
//
// With the exact due index (before version 18) a success ping was 4.5: a read of the check (0.5
// eventually consistent), a write of it (1), a write of the ping (1 for any body that fits 1 KB
// with the ping's ~140 bytes of other attributes, or deflates to it) and the move of its due
// index entry (2: DynamoDB deletes the old entry and puts the new one whenever an index key
// changes). The bucketed index moves the entry only when the deadline leaves its bucket, and
// the sweep pays for it in reads of candidates (due.go; BENCHMARKS.md section 2).
//
// # Sweep cost
//
// TestSweepCapacity seeds 2,000 checks of which 20 are overdue: one DueChecks is 17 requests
// and 18 read units (8 for the sixteen shard queries, 10 for fetching the 20 checks), against
// 1,000 units to read each check and 63.5 to scan all 2,000. The 8 is fixed whatever the table
// holds; the rest follows the due checks alone.
//
// # Retention
//
// Each check keeps its newest PingLimit pings (the ring) and every flip until FlipRetention
// after its creation. Pings carry a TTL of PingTTL (400 days) as a backstop for pings a
// request raced past the check's deletion; it is long so that a daily check still keeps its
// hundred. A flip gets its TTL when processed (at creation for pause and resume flips), so an
// unprocessed flip never expires. DynamoDB deletes expired items within days, and reads
// return them until then. Ping bodies are cut to MaxBody (100,000 bytes), never refused, and
// deflated when that saves an eighth.
//
// # What moto does not show
//
// The tests run on moto_server. It returns a constant ConsumedCapacity per request (0.5 for
// GetItem and UpdateItem, 1 for PutItem and Query, the key count for BatchGetItem, nothing for
// TransactWriteItems), so the Meter also models what DynamoDB would bill, from item sizes. moto
// never deletes expired items, updates indexes synchronously (DynamoDB lags them by a fraction
// of a second: a check created a moment ago may be missing from Checks), serves eventually
// consistent reads consistently, accepts more than 25 writes in a BatchWriteItem (this store
// sends 25 at most), and never throttles or cancels a transaction for a conflicting one.
// Point-in-time recovery and the stream's consumers are the deployment's.
package dynamo
