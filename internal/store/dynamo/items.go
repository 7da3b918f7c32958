package dynamo

import (
	"fmt"
	"hash/fnv"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/store"
)

// Items mirror what is stored, attribute for attribute; the functions below are the only place
// domain types meet storage. Attribute names are short on purpose: they are stored in every
// item and count towards its size, and a check item that stays under 1 KB costs one write unit
// per ping instead of two. Instants are integer microseconds since the epoch (absent for the
// zero time), durations integer nanoseconds, so both round-trip exactly as the contract wants.

type item = map[string]types.AttributeValue

// Key prefixes and fixed sort keys.
const (
	checkPrefix    = "CHECK#"
	projectPrefix  = "PROJECT#"
	channelPrefix  = "CHANNEL#"
	apiKeyPrefix   = "APIKEY#"
	pingKeyPrefix  = "PINGKEY#"
	pingPrefix     = "PING#"
	flipPrefix     = FlipSortKeyPrefix
	duePrefix      = "DUE#"
	badgeKeyPrefix = "BADGEKEY#"

	checkSK   = "CHECK"
	projectSK = "PROJECT"
	channelSK = "CHANNEL"
	keySK     = "KEY"

	// projectsGPK is the project index partition that lists every project.
	projectsGPK = "PROJECTS"
	// unprocessedPK is the one partition of the unprocessed-flips index: flips are rare (a
	// status change, not a ping), so one partition carries them with room to spare, and one
	// partition gives the notifier exact oldest-first order.
	unprocessedPK = "FLIPS"
)

func checkKey(id string) item {
	return item{PartitionKey: str(checkPrefix + id), SortKey: str(checkSK)}
}

func projectKey(id string) item {
	return item{PartitionKey: str(projectPrefix + id), SortKey: str(projectSK)}
}

func channelKey(id string) item {
	return item{PartitionKey: str(channelPrefix + id), SortKey: str(channelSK)}
}

func apiKeyKey(hash string) item {
	return item{PartitionKey: str(apiKeyPrefix + hash), SortKey: str(keySK)}
}

func pingKeyKey(hash string) item {
	return item{PartitionKey: str(pingKeyPrefix + hash), SortKey: str(keySK)}
}

// projectBadgeKey and checkBadgeKey are the keys of the badge lookups (data model version 3):
// one partition per badge key, with a project's and a check's under sort keys of their own, so
// that the two kinds of badge key never find each other.
func projectBadgeKey(badgeKey string) item {
	return item{PartitionKey: str(badgeKeyPrefix + badgeKey), SortKey: str(projectSK)}
}

func checkBadgeKey(badgeKey string) item {
	return item{PartitionKey: str(badgeKeyPrefix + badgeKey), SortKey: str(checkSK)}
}

// checkBadgeItem is a check's badge lookup: pk BADGEKEY#<badge key>, sk CHECK. It names the
// check rather than copying it: a badge shows the check as it is now, so the check is read
// anyway, and a copy would have to be rewritten on every ping.
type checkBadgeItem struct {
	PK      string `dynamodbav:"pk"`
	SK      string `dynamodbav:"sk"`
	CheckID string `dynamodbav:"cid"`
}

func checkBadgeToItem(badgeKey, checkID string) *checkBadgeItem {
	return &checkBadgeItem{PK: badgeKeyPrefix + badgeKey, SK: checkSK, CheckID: checkID}
}

// pingSK is the sort key of ring slot n mod ring. Six digits allow rings of up to a million.
func pingSK(n, ring int) string {
	return fmt.Sprintf("%s%06d", pingPrefix, n%ring)
}

func pingKey(checkID string, n, ring int) item {
	return item{PartitionKey: str(checkPrefix + checkID), SortKey: str(pingSK(n, ring))}
}

// flipID names a flip within its check: the creation instant (16 digits of microseconds, good
// until the year 2286) and the check version that wrote it (10 digits). Both are fixed width,
// so IDs sort as the flips were created, and the version makes them unique within the check.
func flipID(created time.Time, version int64) string {
	return fmt.Sprintf("%016d-%010d", micros(created), version)
}

// parseFlipID returns the creation instant in microseconds encoded in a flip ID.
func parseFlipID(id string) (int64, bool) {
	us, v, ok := strings.Cut(id, "-")
	if !ok || len(us) != 16 || len(v) != 10 {
		return 0, false
	}
	n, err := strconv.ParseInt(us, 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	if _, err := strconv.ParseInt(v, 10, 64); err != nil {
		return 0, false
	}
	return n, true
}

func flipKey(checkID, id string) item {
	return item{PartitionKey: str(checkPrefix + checkID), SortKey: str(flipPrefix + id)}
}

// dueShard spreads checks over the due index partitions by a hash of the check ID, so that
// pings to many checks do not all write one index partition.
func dueShard(checkID string) string {
	h := fnv.New32a()
	h.Write([]byte(checkID))
	return fmt.Sprintf("%s%02d", duePrefix, h.Sum32()%DueShards)
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

// micros stores t as microseconds since the epoch, 0 (absent) for the zero time.
func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// fromMicros is the inverse of micros; instants come back in UTC.
func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// boundMicros converts a query bound to microseconds, rounding up, so that "stored >= bound"
// keeps exactly the instants at or after t once truncated to the microsecond.
func boundMicros(t time.Time) int64 {
	us := t.UnixMicro()
	if t.Nanosecond()%1000 != 0 {
		us++
	}
	return us
}

// checkItem is a check: pk CHECK#<id>, sk CHECK.
type checkItem struct {
	PK      string `dynamodbav:"pk"`
	SK      string `dynamodbav:"sk"`
	Version int64  `dynamodbav:"v"` // incremented by every write; UpdateCheck's condition
	// Ring is how many ping slots the check has, fixed when it is created (see pingSK).
	Ring int `dynamodbav:"ring,omitempty"`

	ProjectID         string   `dynamodbav:"pid"`
	Name              string   `dynamodbav:"name,omitempty"`
	Slug              string   `dynamodbav:"slug,omitempty"`
	Tags              string   `dynamodbav:"tags,omitempty"`
	Desc              string   `dynamodbav:"desc,omitempty"`
	Created           int64    `dynamodbav:"cr,omitempty"`
	Kind              string   `dynamodbav:"kind,omitempty"`
	Timeout           int64    `dynamodbav:"to,omitempty"`
	Schedule          string   `dynamodbav:"sch,omitempty"`
	TZ                string   `dynamodbav:"tz,omitempty"`
	Grace             int64    `dynamodbav:"gr,omitempty"`
	Methods           string   `dynamodbav:"meth,omitempty"`
	ManualResume      bool     `dynamodbav:"mr,omitempty"`
	StartKw           string   `dynamodbav:"kws,omitempty"`
	SuccessKw         string   `dynamodbav:"kwo,omitempty"`
	FailureKw         string   `dynamodbav:"kwf,omitempty"`
	FilterSubject     bool     `dynamodbav:"fsub,omitempty"`
	FilterBody        bool     `dynamodbav:"fbody,omitempty"`
	FilterHTTPBody    bool     `dynamodbav:"fhttp,omitempty"`
	FilterDefaultFail bool     `dynamodbav:"fdef,omitempty"`
	BadgeKey          string   `dynamodbav:"bk,omitempty"`
	Channels          []string `dynamodbav:"ch,omitempty"` // a list: the order is the check's
	Status            string   `dynamodbav:"st"`
	NPings            int64    `dynamodbav:"n,omitempty"`
	LastPing          int64    `dynamodbav:"lp,omitempty"`
	LastStart         int64    `dynamodbav:"ls,omitempty"`
	LastStartRID      string   `dynamodbav:"rid,omitempty"`
	LastDuration      int64    `dynamodbav:"ld,omitempty"`
	AlertAfter        int64    `dynamodbav:"aa,omitempty"` // the due index sort key

	// The alert rules (data model version 7), absent when off: older builds leave them alone
	// (checkAttrs is theirs), and a check without them costs not a byte more.
	StartGrace       int64  `dynamodbav:"sg,omitempty"`
	MaxRuntime       int64  `dynamodbav:"maxr,omitempty"`
	MinRuntime       int64  `dynamodbav:"minr,omitempty"`
	FailureTolerance int64  `dynamodbav:"ftol,omitempty"`
	SnoozeUntil      int64  `dynamodbav:"snz,omitempty"`
	FailStreak       int64  `dynamodbav:"fst,omitempty"`
	HeldReason       string `dynamodbav:"held,omitempty"`
	HeldUntil        int64  `dynamodbav:"hu,omitempty"` // version 10
	// Dependencies, failure rate and flapping (version 15), absent when off or empty.
	DependsOn    []string `dynamodbav:"dep,omitempty"`
	RateFailures int64    `dynamodbav:"frn,omitempty"`
	RateWindow   int64    `dynamodbav:"frw,omitempty"`
	FlapChanges  int64    `dynamodbav:"fln,omitempty"`
	FlapWindow   int64    `dynamodbav:"flw,omitempty"`
	HeldParent   string   `dynamodbav:"hpar,omitempty"`
	HeldNote     string   `dynamodbav:"hnote,omitempty"`
	FailTimes    []int64  `dynamodbav:"ftm,omitempty"`
	ChangeTimes  []int64  `dynamodbav:"ctm,omitempty"`
	FlapSent     string   `dynamodbav:"fls,omitempty"`
	// Late notices (version 18), absent when off or none yet.
	LateNotice bool  `dynamodbav:"ln,omitempty"`
	LateFor    int64 `dynamodbav:"lf,omitempty"`

	// The check's newest runs (version 13): store.EncodeRuns, about 7 bytes a run, since
	// every byte of the item is paid for on each ping's write; and the ping count up to which
	// they are complete. Older builds leave both alone and count pings, so their pings leave
	// the runs behind, and UpdateCheck rebuilds them.
	Runs  []byte `dynamodbav:"runs,omitempty"`
	RunsN int64  `dynamodbav:"rn,omitempty"`

	// DueShard is set exactly when AlertAfter is: the due index is sparse.
	DueShard string `dynamodbav:"dsh,omitempty"`
	// DueBucketShard and DueBucket place the check in the bucketed due index (version 19):
	// set exactly when AlertAfter is, the shard as DueShard and the start of the bucket that
	// holds AlertAfter, in seconds (dueBucket).
	DueBucketShard string `dynamodbav:"dbs,omitempty"`
	DueBucket      int64  `dynamodbav:"dbk,omitempty"`
	// BadgeLookup says that the check's badge lookup item exists (version 3). Set with the
	// lookup by CreateCheck, the migration and UpdateCheck; absent on checks a version 1 or 2
	// build created, which UpdateCheck gives a lookup when it first writes them. A badge key
	// never changes once the check exists (nothing in the API changes it); if that ever
	// changes, UpdateCheck must write the new key's lookup too.
	BadgeLookup bool `dynamodbav:"bkl,omitempty"`
	// GPK (PROJECT#<project>) and GSK (CHECK#<slug>) place the check in the project index, so a
	// project's checks, and those with one slug, are one query away.
	GPK string `dynamodbav:"gpk"`
	GSK string `dynamodbav:"gsk"`
}

// checkAttrs are the attributes a check's domain fields map to: UpdateCheck sets or removes
// these and leaves every other attribute alone, so that attributes a newer release adds survive
// a write by this one (expand, migrate, contract).
var checkAttrs = attributeNames(checkItem{}, "pk", "sk", "v", "ring")

func checkToItem(c *check.Check, version int64, ring int) *checkItem {
	it := &checkItem{
		PK:                checkPrefix + c.ID,
		SK:                checkSK,
		Version:           version,
		Ring:              ring,
		ProjectID:         c.ProjectID,
		Name:              c.Name,
		Slug:              c.Slug,
		Tags:              c.Tags,
		Desc:              c.Desc,
		Created:           micros(c.Created),
		Kind:              string(c.Kind),
		Timeout:           int64(c.Timeout),
		Schedule:          c.Schedule,
		TZ:                c.TZ,
		Grace:             int64(c.Grace),
		Methods:           c.Methods,
		ManualResume:      c.ManualResume,
		StartKw:           c.StartKw,
		SuccessKw:         c.SuccessKw,
		FailureKw:         c.FailureKw,
		FilterSubject:     c.FilterSubject,
		FilterBody:        c.FilterBody,
		FilterHTTPBody:    c.FilterHTTPBody,
		FilterDefaultFail: c.FilterDefaultFail,
		BadgeKey:          c.BadgeKey,
		BadgeLookup:       c.BadgeKey != "",
		Channels:          c.Channels,
		Status:            string(c.Status),
		NPings:            int64(c.NPings),
		LastPing:          micros(c.LastPing),
		LastStart:         micros(c.LastStart),
		LastStartRID:      c.LastStartRID,
		LastDuration:      int64(c.LastDuration),
		AlertAfter:        micros(c.AlertAfter),
		StartGrace:        int64(c.StartGrace),
		MaxRuntime:        int64(c.MaxRuntime),
		MinRuntime:        int64(c.MinRuntime),
		FailureTolerance:  int64(c.FailureTolerance),
		SnoozeUntil:       micros(c.SnoozeUntil),
		FailStreak:        int64(c.FailStreak),
		HeldReason:        c.HeldReason,
		HeldUntil:         micros(c.HeldUntil),
		Runs:              store.EncodeRuns(c.Runs),
		RunsN:             int64(c.RunsN),
		DependsOn:         c.DependsOn,
		RateFailures:      int64(c.FailureRate.Failures),
		RateWindow:        int64(c.FailureRate.Window),
		FlapChanges:       int64(c.Flap.Changes),
		FlapWindow:        int64(c.Flap.Window),
		HeldParent:        c.HeldParent,
		HeldNote:          c.HeldNote,
		FailTimes:         microsList(c.FailTimes),
		ChangeTimes:       microsList(c.ChangeTimes),
		FlapSent:          string(c.FlapSent),
		LateNotice:        c.LateNotice,
		LateFor:           micros(c.LateFor),
		GPK:               projectPrefix + c.ProjectID,
		GSK:               checkPrefix + c.Slug,
	}
	if it.AlertAfter != 0 {
		it.DueShard = dueShard(c.ID)
		it.DueBucketShard = it.DueShard
		it.DueBucket = dueBucket(c)
	}
	return it
}

func (it *checkItem) check() *check.Check {
	var channels []string
	if len(it.Channels) > 0 {
		channels = append([]string(nil), it.Channels...)
	}
	c := &check.Check{
		ID:                strings.TrimPrefix(it.PK, checkPrefix),
		ProjectID:         it.ProjectID,
		Name:              it.Name,
		Slug:              it.Slug,
		Tags:              it.Tags,
		Desc:              it.Desc,
		Created:           fromMicros(it.Created),
		Kind:              check.Kind(it.Kind),
		Timeout:           time.Duration(it.Timeout),
		Schedule:          it.Schedule,
		TZ:                it.TZ,
		Grace:             time.Duration(it.Grace),
		Methods:           it.Methods,
		ManualResume:      it.ManualResume,
		StartKw:           it.StartKw,
		SuccessKw:         it.SuccessKw,
		FailureKw:         it.FailureKw,
		FilterSubject:     it.FilterSubject,
		FilterBody:        it.FilterBody,
		FilterHTTPBody:    it.FilterHTTPBody,
		FilterDefaultFail: it.FilterDefaultFail,
		BadgeKey:          it.BadgeKey,
		Channels:          channels,
		Status:            check.Status(it.Status),
		NPings:            int(it.NPings),
		LastPing:          fromMicros(it.LastPing),
		LastStart:         fromMicros(it.LastStart),
		LastStartRID:      it.LastStartRID,
		LastDuration:      time.Duration(it.LastDuration),
		AlertAfter:        fromMicros(it.AlertAfter),
		StartGrace:        time.Duration(it.StartGrace),
		MaxRuntime:        time.Duration(it.MaxRuntime),
		MinRuntime:        time.Duration(it.MinRuntime),
		FailureTolerance:  int(it.FailureTolerance),
		SnoozeUntil:       fromMicros(it.SnoozeUntil),
		FailStreak:        int(it.FailStreak),
		HeldReason:        it.HeldReason,
		HeldUntil:         fromMicros(it.HeldUntil),
		DependsOn:         slices.Clone(it.DependsOn),
		FailureRate:       check.FailureRate{Failures: int(it.RateFailures), Window: time.Duration(it.RateWindow)},
		Flap:              check.FlapRule{Changes: int(it.FlapChanges), Window: time.Duration(it.FlapWindow)},
		HeldParent:        it.HeldParent,
		HeldNote:          it.HeldNote,
		FailTimes:         fromMicrosList(it.FailTimes),
		ChangeTimes:       fromMicrosList(it.ChangeTimes),
		FlapSent:          check.Status(it.FlapSent),
		LateNotice:        it.LateNotice,
		LateFor:           fromMicros(it.LateFor),
	}
	c.Runs, c.RunsN = store.LoadRuns(it.Runs, int(it.RunsN))
	return c
}

// microsList is micros of each instant; nil for none.
func microsList(ts []time.Time) []int64 {
	if len(ts) == 0 {
		return nil
	}
	out := make([]int64, len(ts))
	for i, t := range ts {
		out[i] = micros(t)
	}
	return out
}

// fromMicrosList reverses microsList.
func fromMicrosList(us []int64) []time.Time {
	if len(us) == 0 {
		return nil
	}
	out := make([]time.Time, len(us))
	for i, u := range us {
		out[i] = fromMicros(u)
	}
	return out
}

// pingItem is a ping in its check's partition: pk CHECK#<check>, sk PING#<n mod ring>.
type pingItem struct {
	PK         string `dynamodbav:"pk"`
	SK         string `dynamodbav:"sk"`
	N          int64  `dynamodbav:"n"`
	Created    int64  `dynamodbav:"cr,omitempty"`
	Kind       string `dynamodbav:"kind"`
	Scheme     string `dynamodbav:"sch,omitempty"`
	RemoteAddr string `dynamodbav:"ip,omitempty"`
	Method     string `dynamodbav:"meth,omitempty"`
	UA         string `dynamodbav:"ua,omitempty"`
	// Body holds the body as received, or BodyDeflated holds it compressed (see encodeBody).
	Body         []byte `dynamodbav:"b,omitempty"`
	BodyDeflated []byte `dynamodbav:"bz,omitempty"`
	// BodySize is the stored body's length in bytes, 0 without one (data model version 2, see
	// migrate_steps.go). Absent on pings written by a version 1 build.
	BodySize   *int64 `dynamodbav:"bs,omitempty"`
	ExitStatus *int64 `dynamodbav:"x,omitempty"` // absent: the URL had no exit status
	RID        string `dynamodbav:"rid,omitempty"`
	TTL        int64  `dynamodbav:"ttl,omitempty"`
}

func pingToItem(checkID string, p *check.Ping, ring int) *pingItem {
	it := &pingItem{
		PK:         checkPrefix + checkID,
		SK:         pingSK(p.N, ring),
		N:          int64(p.N),
		Created:    micros(p.Created),
		Kind:       string(p.Kind),
		Scheme:     p.Scheme,
		RemoteAddr: p.RemoteAddr,
		Method:     p.Method,
		UA:         p.UA,
		RID:        p.RID,
	}
	it.Body, it.BodyDeflated = encodeBody(p.Body)
	size := int64(min(len(p.Body), MaxBody)) // what encodeBody keeps
	it.BodySize = &size
	if p.ExitStatus != nil {
		x := int64(*p.ExitStatus)
		it.ExitStatus = &x
	}
	if !p.Created.IsZero() {
		it.TTL = p.Created.Add(PingTTL).Unix()
	}
	return it
}

// ping maps the item back, with its body when withBody is set. Its BodySize is bs, the size of
// the body it read, or BodySizeUnknown for a listed ping without bs.
func (it *pingItem) ping(withBody bool) (*check.Ping, error) {
	p := &check.Ping{
		CheckID:    strings.TrimPrefix(it.PK, checkPrefix),
		N:          int(it.N),
		Created:    fromMicros(it.Created),
		Kind:       check.PingKind(it.Kind),
		Scheme:     it.Scheme,
		RemoteAddr: it.RemoteAddr,
		Method:     it.Method,
		UA:         it.UA,
		RID:        it.RID,
	}
	p.BodySize = check.BodySizeUnknown // a ping a version 1 build wrote, not backfilled
	if it.BodySize != nil {
		p.BodySize = int(*it.BodySize)
	}
	if withBody {
		body, err := decodeBody(it.Body, it.BodyDeflated)
		if err != nil {
			return nil, fmt.Errorf("ping %d of check %s: %w", it.N, p.CheckID, err)
		}
		p.Body = body
		p.BodySize = len(body)
	}
	if it.ExitStatus != nil {
		x := int(*it.ExitStatus)
		p.ExitStatus = &x
	}
	return p, nil
}

// flipItem is a flip in its check's partition: pk CHECK#<check>, sk FLIP#<id>.
type flipItem struct {
	PK        string `dynamodbav:"pk"`
	SK        string `dynamodbav:"sk"`
	Created   int64  `dynamodbav:"cr,omitempty"`
	Processed int64  `dynamodbav:"pd,omitempty"`
	OldStatus string `dynamodbav:"old"`
	NewStatus string `dynamodbav:"new"`
	Reason    string `dynamodbav:"why,omitempty"`
	Note      string `dynamodbav:"note,omitempty"` // version 15
	// UPK and USK are set while the flip is unprocessed: the outbox index is sparse.
	UPK string `dynamodbav:"upk,omitempty"`
	USK string `dynamodbav:"usk,omitempty"`
	// TTL is set once the flip is processed: unprocessed flips never expire.
	TTL int64 `dynamodbav:"ttl,omitempty"`
}

func flipToItem(checkID, id string, f *check.Flip, retention time.Duration) *flipItem {
	it := &flipItem{
		PK:        checkPrefix + checkID,
		SK:        flipPrefix + id,
		Created:   micros(f.Created),
		Processed: micros(f.Processed),
		OldStatus: string(f.OldStatus),
		NewStatus: string(f.NewStatus),
		Reason:    f.Reason,
		Note:      f.Note,
	}
	if f.Processed.IsZero() {
		it.UPK = unprocessedPK
		it.USK = id + "#" + checkID // created first, so the index is oldest first
	} else {
		it.TTL = flipExpiry(it.Created, retention)
	}
	return it
}

func (it *flipItem) flip() *check.Flip {
	return &check.Flip{
		ID:        strings.TrimPrefix(it.SK, flipPrefix),
		CheckID:   strings.TrimPrefix(it.PK, checkPrefix),
		Created:   fromMicros(it.Created),
		Processed: fromMicros(it.Processed),
		OldStatus: check.Status(it.OldStatus),
		NewStatus: check.Status(it.NewStatus),
		Reason:    it.Reason,
		Note:      it.Note,
	}
}

// flipExpiry is the TTL of a processed flip created at createdMicros: FlipRetention after its
// creation, as the SQLite store deletes them.
func flipExpiry(createdMicros int64, retention time.Duration) int64 {
	return fromMicros(createdMicros).Add(retention).Unix()
}

// projectItem is a project (pk PROJECT#<id>, sk PROJECT), and also each of its key lookups
// (pk APIKEY#<hash> or PINGKEY#<hash>, sk KEY): a lookup holds a copy of the project so that
// authenticating a request is one read, not two. Projects are never updated; if they ever are,
// the copies must be written in the same transaction.
type projectItem struct {
	PK              string `dynamodbav:"pk"`
	SK              string `dynamodbav:"sk"`
	ID              string `dynamodbav:"id"`
	Name            string `dynamodbav:"name,omitempty"`
	Created         int64  `dynamodbav:"cr,omitempty"`
	APIKeyHash      string `dynamodbav:"ak,omitempty"`
	ReadOnlyKeyHash string `dynamodbav:"rk,omitempty"`
	PingKeyHash     string `dynamodbav:"pkh,omitempty"`
	BadgeKey        string `dynamodbav:"bk,omitempty"`
	// ReadOnly is set on the lookup of the read-only key.
	ReadOnly bool `dynamodbav:"ro,omitempty"`
	// GPK and GSK list the project (not its lookups) in the project index.
	GPK string `dynamodbav:"gpk,omitempty"`
	GSK string `dynamodbav:"gsk,omitempty"`
}

func projectToItem(p *check.Project) *projectItem {
	return &projectItem{
		PK:              projectPrefix + p.ID,
		SK:              projectSK,
		ID:              p.ID,
		Name:            p.Name,
		Created:         micros(p.Created),
		APIKeyHash:      p.APIKeyHash,
		ReadOnlyKeyHash: p.ReadOnlyKeyHash,
		PingKeyHash:     p.PingKeyHash,
		BadgeKey:        p.BadgeKey,
		GPK:             projectsGPK,
		GSK:             projectSK,
	}
}

// lookup is the key lookup item for a project: a copy of it under another key.
func (it *projectItem) lookup(pk string, readOnly bool) *projectItem {
	l := *it
	l.PK, l.SK, l.ReadOnly, l.GPK, l.GSK = pk, keySK, readOnly, "", ""
	return &l
}

// badgeLookup is the project's badge lookup (version 3): a copy of it at pk BADGEKEY#<badge
// key>, sk PROJECT, so that a badge request finds its project in one read.
func (it *projectItem) badgeLookup() *projectItem {
	l := *it
	l.PK, l.SK, l.ReadOnly, l.GPK, l.GSK = badgeKeyPrefix+it.BadgeKey, projectSK, false, "", ""
	return &l
}

func (it *projectItem) project() *check.Project {
	return &check.Project{
		ID:              it.ID,
		Name:            it.Name,
		Created:         fromMicros(it.Created),
		APIKeyHash:      it.APIKeyHash,
		ReadOnlyKeyHash: it.ReadOnlyKeyHash,
		PingKeyHash:     it.PingKeyHash,
		BadgeKey:        it.BadgeKey,
	}
}

// channelItem is a channel: pk CHANNEL#<id>, sk CHANNEL. Channel IDs are unique across
// projects, so the channel is its own partition (the key is the uniqueness check), listed with
// its project's checks in the project index.
type channelItem struct {
	PK        string `dynamodbav:"pk"`
	SK        string `dynamodbav:"sk"`
	ProjectID string `dynamodbav:"pid"`
	Kind      string `dynamodbav:"kind,omitempty"`
	Name      string `dynamodbav:"name,omitempty"`
	Value     string `dynamodbav:"val,omitempty"`
	Created   int64  `dynamodbav:"cr,omitempty"`
	Disabled  bool   `dynamodbav:"dis,omitempty"`
	LastError string `dynamodbav:"err,omitempty"`
	// Delay and Repeat are the channel's timing in nanoseconds (data-model version 16; absent:
	// none). Older builds rewrite a channel item whole, so one updated by them loses its timing.
	Delay  int64 `dynamodbav:"dly,omitempty"`
	Repeat int64 `dynamodbav:"rpt,omitempty"`
	// Late is the channel's late option (version 18; absent: off).
	Late bool   `dynamodbav:"late,omitempty"`
	GPK  string `dynamodbav:"gpk"`
	GSK  string `dynamodbav:"gsk"`
}

func channelToItem(ch *check.Channel) *channelItem {
	return &channelItem{
		PK:        channelPrefix + ch.ID,
		SK:        channelSK,
		ProjectID: ch.ProjectID,
		Kind:      ch.Kind,
		Name:      ch.Name,
		Value:     ch.Value,
		Created:   micros(ch.Created),
		Disabled:  ch.Disabled,
		LastError: ch.LastError,
		Delay:     int64(ch.Delay),
		Repeat:    int64(ch.Repeat),
		Late:      ch.Late,
		GPK:       projectPrefix + ch.ProjectID,
		GSK:       channelSK,
	}
}

func (it *channelItem) channel() *check.Channel {
	return &check.Channel{
		ID:        strings.TrimPrefix(it.PK, channelPrefix),
		ProjectID: it.ProjectID,
		Kind:      it.Kind,
		Name:      it.Name,
		Value:     it.Value,
		Created:   fromMicros(it.Created),
		Disabled:  it.Disabled,
		LastError: it.LastError,
		Delay:     time.Duration(it.Delay),
		Repeat:    time.Duration(it.Repeat),
		Late:      it.Late,
	}
}

// marshal turns an item struct into its attribute map. The structs hold only strings, numbers,
// booleans, byte slices and string lists, so it cannot fail.
func marshal(v any) item {
	m, err := attributevalue.MarshalMap(v)
	if err != nil {
		panic(fmt.Sprintf("dynamo: marshal %T: %v", v, err))
	}
	return m
}

// unmarshal decodes an attribute map into an item struct, naming the item on failure.
func unmarshal[T any](m item) (*T, error) {
	v := new(T)
	if err := attributevalue.UnmarshalMap(m, v); err != nil {
		pk, _ := m[PartitionKey].(*types.AttributeValueMemberS)
		sk, _ := m[SortKey].(*types.AttributeValueMemberS)
		var name string
		if pk != nil && sk != nil {
			name = pk.Value + " " + sk.Value
		}
		return nil, fmt.Errorf("decode item %s as %T: %w", name, *v, err)
	}
	return v, nil
}

// attributeNames lists the attribute names of an item struct's fields, minus except.
func attributeNames(v any, except ...string) []string {
	var names []string
	rt := reflect.TypeOf(v)
	for i := range rt.NumField() {
		name, _, _ := strings.Cut(rt.Field(i).Tag.Get("dynamodbav"), ",")
		skip := false
		for _, e := range except {
			skip = skip || e == name
		}
		if !skip {
			names = append(names, name)
		}
	}
	return names
}
