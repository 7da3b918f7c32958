package dynamo

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/schema"
	"github.com/overduehq/overdue/internal/store"
)

// scanAll reads every item of the store's table, strongly consistent, in key order, as plain
// values that cmp can compare.
func scanAll(tb testing.TB, s *Store) []map[string]any {
	tb.Helper()
	var out []map[string]any
	in := &dynamodb.ScanInput{TableName: &s.table, ConsistentRead: aws.Bool(true)}
	for {
		res, err := s.db.Scan(context.Background(), in)
		if err != nil {
			tb.Fatalf("scan %s: %v", s.table, err)
		}
		for _, m := range res.Items {
			out = append(out, plainItem(m))
		}
		if len(res.LastEvaluatedKey) == 0 {
			break
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
	slices.SortFunc(out, func(a, b map[string]any) int {
		return strings.Compare(a["pk"].(string)+"\x00"+a["sk"].(string), b["pk"].(string)+"\x00"+b["sk"].(string))
	})
	return out
}

// plainItem turns an item into Go values that keep the type: keys stay strings, other
// scalars are "N:…", "B:<base64>", and so on, so that a number never equals a string.
func plainItem(m item) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = plainValue(v)
	}
	out["pk"], out["sk"] = stringOf(m[PartitionKey]), stringOf(m[SortKey])
	return out
}

func plainValue(v types.AttributeValue) any {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return "S:" + v.Value
	case *types.AttributeValueMemberN:
		return "N:" + v.Value
	case *types.AttributeValueMemberB:
		return "B:" + base64.StdEncoding.EncodeToString(v.Value)
	case *types.AttributeValueMemberBOOL:
		return fmt.Sprintf("BOOL:%v", v.Value)
	case *types.AttributeValueMemberNULL:
		return "NULL"
	case *types.AttributeValueMemberL:
		l := make([]any, len(v.Value))
		for i, e := range v.Value {
			l[i] = plainValue(e)
		}
		return l
	case *types.AttributeValueMemberM:
		return plainItem(v.Value)
	case *types.AttributeValueMemberSS:
		return append([]string{"SS"}, v.Value...)
	case *types.AttributeValueMemberNS:
		return append([]string{"NS"}, v.Value...)
	}
	return fmt.Sprintf("%T", v)
}

// putMeta writes the META item as a build of another version would.
func putMeta(tb testing.TB, s *Store, version, minReader int, build string) {
	tb.Helper()
	entry := marshal(newMetaEntry(version, minReader, build, t0))
	_, err := s.db.PutItem(context.Background(), &dynamodb.PutItemInput{
		TableName: &s.table,
		Item: item{
			PartitionKey: str(metaPK), SortKey: str(metaSK),
			metaVersion: num(int64(version)), metaMinReader: num(int64(minReader)),
			metaHistory: listOf(mapOf(entry)),
		},
	})
	if err != nil {
		tb.Fatalf("put META: %v", err)
	}
}

// seedV1 fills a store with what a version 1 build writes: a project without a badge key and
// one with, checks with pings of every body kind (none, short, deflated text, incompressible)
// and flips, the first check without a badge key and the others with, and no META. The items
// are written by this build and then lose what versions 2 and 3 added to them (bs on pings;
// bkl on checks and the BADGEKEY# lookups), so they are exactly version 1 items.
func seedV1(tb testing.TB, s *Store, checks, pingsPerCheck int) {
	tb.Helper()
	ctx := context.Background()
	c := setup(tb, s)
	badged := &check.Project{ID: "a0000000-0000-4000-8000-000000000002", Name: "Badged", Created: t0,
		APIKeyHash: check.HashKey("hcw_badged"), BadgeKey: "badge-project-2"}
	if err := s.CreateProject(ctx, badged); err != nil {
		tb.Fatalf("CreateProject = %v", err)
	}
	ids := []string{c.ID}
	for i := 1; i < checks; i++ {
		c := check.New(fmt.Sprintf("c0000000-0000-4000-8000-%012d", i+1), c.ProjectID, t0)
		c.Name, c.Slug = fmt.Sprintf("job %d", i), fmt.Sprintf("job-%d", i)
		c.BadgeKey = fmt.Sprintf("badge-check-%d", i+1)
		if err := s.CreateCheck(ctx, c); err != nil {
			tb.Fatalf("CreateCheck = %v", err)
		}
		ids = append(ids, c.ID)
	}
	random := make([]byte, 600)
	for i := range random {
		random[i] = byte(rand.N(256))
	}
	bodies := [][]byte{nil, []byte("ok"), []byte(jobOutput), random}
	kinds := []check.PingKind{check.PingStart, check.PingSuccess, check.PingLog, check.PingFail}
	for i, id := range ids {
		for n := range pingsPerCheck {
			sig := check.Signal{Kind: kinds[n%len(kinds)], Method: "POST", Body: bodies[(n+i)%len(bodies)]}
			if _, _, err := ping(ctx, s, id, sig, t0.Add(time.Duration(n)*time.Minute)); err != nil {
				tb.Fatalf("ping = %v", err)
			}
		}
	}
	stripBodySizes(tb, s)
	stripBadgeLookups(tb, s)
}

// stripBadgeLookups deletes the BADGEKEY# lookups and removes bkl from every check, as versions
// 1 and 2 wrote them.
func stripBadgeLookups(tb testing.TB, s *Store) {
	tb.Helper()
	for _, m := range scanAll(tb, s) {
		key := item{PartitionKey: str(m["pk"].(string)), SortKey: str(m["sk"].(string))}
		var err error
		switch {
		case strings.HasPrefix(m["pk"].(string), badgeKeyPrefix):
			_, err = s.db.DeleteItem(context.Background(), &dynamodb.DeleteItemInput{TableName: &s.table, Key: key})
		case m["bkl"] != nil:
			_, err = s.db.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
				TableName: &s.table, Key: key, UpdateExpression: aws.String("REMOVE bkl"),
			})
		}
		if err != nil {
			tb.Fatalf("strip badge lookups: %v", err)
		}
	}
}

// stripBodySizes removes bs from every ping, as version 1 wrote them.
func stripBodySizes(tb testing.TB, s *Store) {
	tb.Helper()
	for _, m := range scanAll(tb, s) {
		if !strings.HasPrefix(m["sk"].(string), pingPrefix) {
			continue
		}
		_, err := s.db.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
			TableName:        &s.table,
			Key:              item{PartitionKey: str(m["pk"].(string)), SortKey: str(m["sk"].(string))},
			UpdateExpression: aws.String("REMOVE bs"),
		})
		if err != nil {
			tb.Fatalf("remove bs: %v", err)
		}
	}
}

func runOpts(name string) schema.RunOptions {
	return schema.RunOptions{Build: schema.This(), Name: name, Now: func() time.Time { return t0 }}
}

func TestVersion(t *testing.T) {
	ctx := t.Context()
	s := newBareStore(t)
	if v, err := s.Version(ctx); err != nil || v != (schema.Version{}) {
		t.Errorf("Version of an empty table = %v, %v; want empty", v, err)
	}
	// A lock alone (a migrator that died before its first write) is not data.
	if err := s.Lock(ctx, t0); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Version(ctx); err != nil || v != (schema.Version{}) {
		t.Errorf("Version of an empty table with a lock = %v, %v; want empty", v, err)
	}
	if err := s.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	setup(t, s)
	if v, err := s.Version(ctx); err != nil || v != unversioned {
		t.Errorf("Version of data without META = %v, %v; want %v", v, err, unversioned)
	}
	putMeta(t, s, 7, 5, "v9")
	if v, err := s.Version(ctx); err != nil || v != (schema.Version{Version: 7, MinReader: 5}) {
		t.Errorf("Version with META 7/5 = %v, %v", v, err)
	}
}

func TestCreate(t *testing.T) {
	ctx := t.Context()
	s := newBareStore(t)
	rep, err := schema.Run(ctx, s, runOpts("v0.2.0"))
	if err != nil {
		t.Fatalf("Run on an empty table = %v", err)
	}
	want := schema.Version{Version: schema.Current, MinReader: schema.This().MinReader()}
	if rep.Decision != schema.Create || rep.After != want {
		t.Errorf("Run = %+v, want create at %v", rep, want)
	}
	hist, err := s.History(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantHist := []schema.Entry{{Version: want.Version, MinReader: want.MinReader, Build: "v0.2.0", At: t0}}
	if diff := cmp.Diff(wantHist, hist); diff != "" {
		t.Errorf("History mismatch (-want +got):\n%s", diff)
	}
	if err := schema.NewGate(s.Version, schema.GateConfig{}).Check(ctx); err != nil {
		t.Errorf("Guard after Create = %v", err)
	}
	// Another process that also saw an empty table finds it usable.
	if err := s.Create(ctx, "v0.2.0-other", t0); err != nil {
		t.Errorf("a second Create = %v, want nil", err)
	}
	if hist, _ := s.History(ctx); len(hist) != 1 {
		t.Errorf("history after a second Create = %+v, want one entry", hist)
	}
}

// TestSeedScenario is issue 7 on DynamoDB: data written by a newer build that raised the
// minimum reader above this build is refused by the guard and by Run (dry or not), with the
// message naming both versions, and the table is item for item as it was.
func TestSeedScenario(t *testing.T) {
	ctx := t.Context()
	s := newBareStore(t)
	seedV1(t, s, 2, 5)
	putMeta(t, s, schema.Current+1, schema.Current+1, "v9.9.9")
	before := scanAll(t, s)

	for _, dry := range []bool{false, true} {
		opts := runOpts("v0.2.0")
		opts.DryRun = dry
		rep, err := schema.Run(ctx, s, opts)
		var ve *schema.VersionError
		if !errors.As(err, &ve) || !ve.Newer() {
			t.Fatalf("Run(dry run %v) = %v, want a *schema.VersionError (too new)", dry, err)
		}
		if rep.Decision != schema.Refuse || len(rep.Applied) != 0 {
			t.Errorf("Run(dry run %v) report = %+v, want a refusal", dry, rep)
		}
	}
	err := schema.NewGate(s.Version, schema.GateConfig{}).Check(ctx)
	var ve *schema.VersionError
	if !errors.As(err, &ve) {
		t.Fatalf("Guard = %v, want a *schema.VersionError", err)
	}
	for _, want := range []string{
		fmt.Sprintf("data model version %d is newer than this build can use", schema.Current+1),
		fmt.Sprintf("this build writes version %d", schema.Current),
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Guard error %q lacks %q", err, want)
		}
	}
	if diff := cmp.Diff(before, scanAll(t, s)); diff != "" {
		t.Errorf("the refused table changed (-before +after):\n%s", diff)
	}
}

// TestMigrateV1: version 1 data is migrated to version 6 with nothing lost: the same items,
// each with the same attributes, plus bs on every ping with its body's size (version 2), bkl on
// every check with a badge key and a BADGEKEY# lookup for each check and project with one
// (version 3), plus META.
func TestMigrateV1(t *testing.T) {
	ctx := t.Context()
	s := newBareStore(t)
	seedV1(t, s, 3, 6)
	before := scanAll(t, s)

	rep, err := schema.Run(ctx, s, runOpts("v0.2.0"))
	if err != nil {
		t.Fatalf("Run = %v", err)
	}
	if rep.Before != unversioned || rep.After != (schema.Version{Version: schema.Current, MinReader: schema.This().MinReader()}) || len(rep.Applied) != schema.Current-1 {
		t.Errorf("Run = %+v, want 1 → %d (min reader %d) with every migration applied", rep, schema.Current, schema.This().MinReader())
	}
	after := scanAll(t, s)
	var meta map[string]any
	lookups := map[string]map[string]any{}
	after = slices.DeleteFunc(after, func(m map[string]any) bool {
		switch {
		case m["pk"] == metaPK:
			meta = m
			return true
		case strings.HasPrefix(m["pk"].(string), badgeKeyPrefix):
			lookups[m["pk"].(string)+" "+m["sk"].(string)] = m
			return true
		}
		return false
	})
	if meta == nil {
		t.Fatal("no META item after migrating")
	}
	wantLookups := map[string]string{ // lookup → what it finds
		"BADGEKEY#badge-project-2 PROJECT": "S:a0000000-0000-4000-8000-000000000002",
		"BADGEKEY#badge-check-2 CHECK":     "S:c0000000-0000-4000-8000-000000000002",
		"BADGEKEY#badge-check-3 CHECK":     "S:c0000000-0000-4000-8000-000000000003",
	}
	gotLookups := map[string]string{}
	for k, m := range lookups {
		target := m["cid"] // a check's lookup names the check
		if target == nil {
			target = m["id"] // a project's is a copy of the project
		}
		gotLookups[k] = fmt.Sprint(target)
	}
	if diff := cmp.Diff(wantLookups, gotLookups); diff != "" {
		t.Errorf("badge lookups after migrating (-want +got):\n%s", diff)
	}
	if len(after) != len(before) {
		t.Fatalf("%d items after migrating, %d before", len(after), len(before))
	}
	pings := 0
	for i, m := range after {
		want := before[i]
		if strings.HasPrefix(m["sk"].(string), pingPrefix) {
			pings++
			raw := s.rawItem(t, m["pk"].(string), m["sk"].(string))
			it, err := unmarshal[pingItem](raw)
			if err != nil {
				t.Fatal(err)
			}
			body, err := decodeBody(it.Body, it.BodyDeflated)
			if err != nil {
				t.Fatal(err)
			}
			if got := m["bs"]; got != fmt.Sprintf("N:%d", len(body)) {
				t.Errorf("%s %s: bs = %v, want N:%d", m["pk"], m["sk"], got, len(body))
			}
			want = cloneWith(want, "bs", m["bs"])
		}
		if m["sk"] == checkSK && want["bk"] != nil {
			want = cloneWith(want, "bkl", "BOOL:true")
		}
		if diff := cmp.Diff(want, m); diff != "" {
			t.Errorf("item %s %s changed (-before +after):\n%s", m["pk"], m["sk"], diff)
		}
	}
	if pings != 18 {
		t.Errorf("%d pings, want 18", pings)
	}
	hist, err := s.History(ctx)
	// One entry per migration, with the minimum reader each leaves: read from schema, so that
	// the list grows with every data-model step.
	var wantHist []schema.Entry
	for _, m := range schema.This().Migrations {
		wantHist = append(wantHist, schema.Entry{Version: m.Version, MinReader: m.MinReader, Build: "v0.2.0", At: t0})
	}
	if diff := cmp.Diff(wantHist, hist); err != nil || diff != "" {
		t.Errorf("History = %v; want an entry for versions 2 to %d by v0.2.0 (-want +got):\n%s", err, schema.Current, diff)
	}

	// Again: nothing to do, nothing written.
	snapshot := scanAll(t, s)
	rep, err = schema.Run(ctx, s, runOpts("v0.2.0"))
	if err != nil || rep.Decision != schema.Use || len(rep.Applied) != 0 {
		t.Errorf("Run again = %+v, %v; want use", rep, err)
	}
	if diff := cmp.Diff(snapshot, scanAll(t, s)); diff != "" {
		t.Errorf("a second Run changed the table:\n%s", diff)
	}
	// The store reads the migrated pings as before.
	c, err := s.Check(ctx, "c0000000-0000-4000-8000-000000000001")
	if err != nil {
		t.Fatal(err)
	}
	if ps, err := s.Pings(ctx, c.ID, 100); err != nil || len(ps) != 6 {
		t.Errorf("Pings after migrating = %d, %v; want 6", len(ps), err)
	}
	if p, err := s.Ping(ctx, c.ID, 3); err != nil || string(p.Body) != jobOutput {
		t.Errorf("Ping(3) after migrating = %v, %v; want the deflated job output back", p, err)
	}
}

func cloneWith(m map[string]any, k string, v any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	out[k] = v
	return out
}

// rawItem reads one item as stored.
func (s *Store) rawItem(tb testing.TB, pk, sk string) item {
	tb.Helper()
	m, err := s.get(context.Background(), item{PartitionKey: str(pk), SortKey: str(sk)}, true)
	if err != nil || m == nil {
		tb.Fatalf("get %s %s = %v, %v", pk, sk, m, err)
	}
	return m
}

// TestBackfillResumes: a backfill cut short left some sizes set; the next run sets the rest
// and leaves those alone (it touches only pings without bs).
func TestBackfillResumes(t *testing.T) {
	ctx := t.Context()
	s := newBareStore(t)
	seedV1(t, s, 1, 8)
	done := 0
	for _, m := range scanAll(t, s) {
		if !strings.HasPrefix(m["sk"].(string), pingPrefix) || done == 3 {
			continue
		}
		// A marker no real size has: if the backfill rewrote it, the test would see.
		_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: &s.table, Key: item{PartitionKey: str(m["pk"].(string)), SortKey: str(m["sk"].(string))},
			UpdateExpression: aws.String("SET bs = :x"), ExpressionAttributeValues: item{":x": num(999_999)},
		})
		if err != nil {
			t.Fatal(err)
		}
		done++
	}
	if _, err := schema.Run(ctx, s, runOpts("v0.2.0")); err != nil {
		t.Fatal(err)
	}
	marked, sized := 0, 0
	for _, m := range scanAll(t, s) {
		switch bs := m["bs"]; {
		case !strings.HasPrefix(m["sk"].(string), pingPrefix):
		case bs == "N:999999":
			marked++
		case bs != nil:
			sized++
		}
	}
	if marked != 3 || sized != 5 {
		t.Errorf("after resuming: %d pings kept their size, %d got one; want 3 and 5", marked, sized)
	}
}

func TestApplyRefuses(t *testing.T) {
	ctx := t.Context()
	s := newBareStore(t)
	v2 := schema.This().Migrations[0]
	if err := s.Apply(ctx, v2, "x", t0); !errors.Is(err, errNoDataModel) {
		t.Errorf("Apply on an empty table = %v, want errNoDataModel", err)
	}
	setup(t, s)
	if err := s.Apply(ctx, schema.Migration{Version: 3, MinReader: 1}, "x", t0); err == nil {
		t.Errorf("Apply of a migration without a step = nil, want an error")
	}
	// At version 2 already, applying 2 again writes nothing.
	if err := s.Apply(ctx, v2, "x", t0); err != nil {
		t.Fatal(err)
	}
	before := scanAll(t, s)
	if err := s.Apply(ctx, v2, "y", t0); err != nil {
		t.Errorf("Apply(2) again = %v", err)
	}
	if diff := cmp.Diff(before, scanAll(t, s)); diff != "" {
		t.Errorf("Apply(2) again changed the table:\n%s", diff)
	}
}

// TestEveryMigrationHasAStep holds the DynamoDB steps to schema's migrations, and checks that
// none is left over from a retired version.
func TestEveryMigrationHasAStep(t *testing.T) {
	b := schema.This()
	for _, m := range b.Pending(b.Oldest) {
		if _, ok := steps[m.Version]; !ok {
			t.Errorf("migration %d (%s) has no DynamoDB step", m.Version, m.Description)
		}
	}
	for v := range steps {
		if v <= b.Oldest || v > b.Current {
			t.Errorf("step %d is outside the versions this build migrates (%d..%d]", v, b.Oldest, b.Current)
		}
	}
}

func TestGuard(t *testing.T) {
	ctx := t.Context()
	tests := []struct {
		name string
		meta *schema.Version // nil: no META
		data bool
		want string // "" nil; "pending", "version" or "other"
	}{
		{"empty", nil, false, "pending"},
		{"unversioned data", nil, true, "pending"},
		{"current", &schema.Version{Version: schema.Current, MinReader: 1}, true, ""},
		{"newer, expand only", &schema.Version{Version: schema.Current + 1, MinReader: schema.Current}, true, ""},
		{"newer, contracted", &schema.Version{Version: schema.Current + 1, MinReader: schema.Current + 1}, true, "version"},
		{"min reader above version and build", &schema.Version{Version: schema.Current, MinReader: schema.Current + 5}, true, "version"},
		{"damaged: no min reader", &schema.Version{Version: schema.Current, MinReader: 0}, true, "other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newBareStore(t)
			if tt.data {
				setup(t, s)
			}
			if tt.meta != nil {
				putMeta(t, s, tt.meta.Version, tt.meta.MinReader, "b")
			}
			before := scanAll(t, s)
			err := schema.NewGate(s.Version, schema.GateConfig{}).Check(ctx)
			var ve *schema.VersionError
			var pe *schema.PendingError
			got := ""
			switch {
			case err == nil:
			case errors.As(err, &ve):
				got = "version"
			case errors.As(err, &pe):
				got = "pending"
			default:
				got = "other"
			}
			if got != tt.want {
				t.Errorf("Guard = %v (%s), want %s", err, got, tt.want)
			}
			if diff := cmp.Diff(before, scanAll(t, s)); diff != "" {
				t.Errorf("Guard wrote:\n%s", diff)
			}
		})
	}
}

// TestNewPingsCarryBodySize: this build writes bs on every ping, so version 2 data stays
// complete whoever of this release writes.
func TestNewPingsCarryBodySize(t *testing.T) {
	s := newBareStore(t)
	c := setup(t, s)
	huge := strings.Repeat("x", MaxBody+10)
	for i, body := range []string{"", "ok", jobOutput, huge} {
		sig := check.Signal{Kind: check.PingLog, Method: "POST", Body: []byte(body)}
		if _, _, err := ping(t.Context(), s, c.ID, sig, t0.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
		m := plainItem(s.rawItem(t, checkPrefix+c.ID, pingSK(i+1, store.Options{}.WithDefaults().PingLimit)))
		if want := fmt.Sprintf("N:%d", min(len(body), MaxBody)); m["bs"] != want {
			t.Errorf("ping with a %d-byte body: bs = %v, want %s", len(body), m["bs"], want)
		}
	}
}

// TestListedBodySizes: Pings lists each ping's bs as its BodySize, and BodySizeUnknown for a
// ping without bs (written by a version 1 build and not backfilled); Ping, which reads the
// body, knows the size either way.
func TestListedBodySizes(t *testing.T) {
	ctx := t.Context()
	s := newBareStore(t)
	c := setup(t, s)
	for i, body := range []string{"", "ok", jobOutput} {
		sig := check.Signal{Kind: check.PingLog, Method: "POST", Body: []byte(body)}
		if _, _, err := ping(ctx, s, c.ID, sig, t0.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	sizes := func() []int {
		t.Helper()
		ps, err := s.Pings(ctx, c.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		var out []int
		for _, p := range ps {
			out = append(out, p.BodySize)
		}
		return out
	}
	if diff := cmp.Diff([]int{len(jobOutput), 2, 0}, sizes()); diff != "" {
		t.Errorf("listed sizes (-want +got):\n%s", diff)
	}
	stripBodySizes(t, s)
	unknown := check.BodySizeUnknown
	if diff := cmp.Diff([]int{unknown, unknown, unknown}, sizes()); diff != "" {
		t.Errorf("listed sizes of pings without bs (-want +got):\n%s", diff)
	}
	if p, err := s.Ping(ctx, c.ID, 3); err != nil || p.BodySize != len(jobOutput) {
		t.Errorf("Ping(3) of a ping without bs = %+v, %v; want its size from the body it read", p, err)
	}
}

// build5 is the release that shipped the body-size contract (version 5), as it migrated.
func build5() schema.Build {
	return schema.Build{Current: 5, Oldest: 1, Migrations: schema.This().Migrations[:4]}
}

// build6 is the release before sealed channel values (v0.2.0).
func build6() schema.Build {
	return schema.Build{Current: 6, Oldest: 1, Migrations: schema.This().Migrations[:5]}
}

// TestContract is version 5 on DynamoDB in the deploy of its release (build5): the expand
// phase stops at 4;
// a version 1 or 2 build still running writes a ping without bs and a check without its badge
// lookup; the contract phase runs both backfills again, so every ping has its size and every
// badged check its lookup, and raises the minimum reader to 3.
func TestContract(t *testing.T) {
	ctx := t.Context()
	s := newBareStore(t) // seeded as a version 1 build wrote it
	seedV1(t, s, 2, 3)
	expand := runOpts("v0.4.0")
	expand.Build = build5()
	expand.Phase = schema.Expand
	rep, err := schema.Run(ctx, s, expand)
	if err != nil {
		t.Fatal(err)
	}
	if rep.After != (schema.Version{Version: 4, MinReader: 1}) || len(rep.Deferred) != 1 {
		t.Fatalf("expand phase = %+v, want version 4 (min reader 1), the contract deferred", rep)
	}
	if err := schema.NewGate(s.Version, schema.GateConfig{Build: build5()}).Check(ctx); err != nil {
		t.Errorf("Guard between the phases = %v, want the new code to use the data", err)
	}
	// A build one release later waits for the contract: its own expand step (6) comes after it.
	var pe *schema.PendingError
	if err := schema.NewGate(s.Version, schema.GateConfig{}).Check(ctx); !errors.As(err, &pe) {
		t.Errorf("this build's guard between the phases = %v, want a *PendingError", err)
	}
	// The old build's writes during the deploy: a ping without bs, a badged check without bkl
	// or lookup.
	var ping map[string]any
	for _, m := range scanAll(t, s) {
		if strings.HasPrefix(m["sk"].(string), pingPrefix) {
			ping = m
			break
		}
	}
	const badged = "c0000000-0000-4000-8000-000000000002"
	for _, in := range []*dynamodb.UpdateItemInput{
		{Key: item{PartitionKey: str(ping["pk"].(string)), SortKey: str(ping["sk"].(string))}, UpdateExpression: aws.String("REMOVE bs")},
		{Key: item{PartitionKey: str(checkPrefix + badged), SortKey: str(checkSK)}, UpdateExpression: aws.String("REMOVE bkl")},
	} {
		in.TableName = &s.table
		if _, err := s.db.UpdateItem(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.table,
		Key: item{PartitionKey: str(badgeKeyPrefix + "badge-check-2"), SortKey: str(checkSK)}}); err != nil {
		t.Fatal(err)
	}

	contract := runOpts("v0.4.0")
	contract.Build = build5()
	contract.Phase = schema.Contract
	if rep, err = schema.Run(ctx, s, contract); err != nil {
		t.Fatal(err)
	}
	if rep.After != (schema.Version{Version: 5, MinReader: 3}) {
		t.Errorf("contract phase = %+v, want version 5, min reader 3", rep)
	}
	if m := s.rawItem(t, ping["pk"].(string), ping["sk"].(string)); m["bs"] == nil {
		t.Errorf("ping %s %s has no bs after the contract", ping["pk"], ping["sk"])
	}
	if m := s.rawItem(t, checkPrefix+badged, checkSK); m["bkl"] == nil {
		t.Errorf("check %s has no bkl after the contract", badged)
	}
	if c, err := s.CheckByBadgeKey(ctx, "badge-check-2"); err != nil || c.ID != badged {
		t.Errorf("CheckByBadgeKey after the contract = %v, %v; want %s", c, err, badged)
	}
	hist, err := s.History(ctx)
	if err != nil || len(hist) != 4 || hist[3] != (schema.Entry{Version: 5, MinReader: 3, Build: "v0.4.0", At: t0}) {
		t.Errorf("History = %+v, %v; want version 5 last, min reader 3, by v0.4.0", hist, err)
	}
}

// TestGateBuild: the DynamoDB guard uses data that lacks only contract steps and the no-op steps
// after the last of them (between the phases of this release's deploy: version 7 data, 8 and 9
// pending), and still refuses data that skipped a release (no-op steps before a contract).
func TestGateBuild(t *testing.T) {
	b := GateBuild()
	for _, tt := range []struct {
		data int
		use  bool
	}{
		{schema.Current, true},
		{schema.Current - 1, true}, // 20 pending: a contract this build does not rely on
		{18, true},                 // 19 and 20 pending: this build writes both due keys and reads both indexes
		{16, true},                 // 17 and 18 pending: change nothing here
		{7, true},                  // 8 (contract), 9 to 20 pending: between the deploy's phases
		{6, false},                 // 7 must run first: the expand phase does it
		{4, false},                 // skipped a release: 5 and 8 wait, with 6 and 7 between them
	} {
		err := schema.Ready(schema.Version{Version: tt.data, MinReader: min(tt.data, 3)}, b)
		if (err == nil) != tt.use {
			t.Errorf("Ready(data at %d) = %v, want use %v", tt.data, err, tt.use)
		}
	}
	if strict := schema.Ready(schema.Version{Version: 7, MinReader: 3}, schema.This()); strict == nil {
		t.Errorf("schema.This() uses data at 7: the test of GateBuild proves nothing")
	}
}
