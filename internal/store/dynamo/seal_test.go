package dynamo

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/schema"
	"github.com/overduehq/overdue/internal/seal"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/storetest"
)

// TestSealing: channel values are sealed in every item of the table.
func TestSealing(t *testing.T) {
	var table string
	storetest.Sealing(t, func(t *testing.T, box *seal.Box) store.Store {
		if table == "" {
			table = newReadyTable(t)
		}
		return New(motoClient(t), table, store.Options{Box: box})
	}, func(t *testing.T) []byte {
		return []byte(fmt.Sprint(scanAll(t, New(motoClient(t), table, store.Options{}))))
	})
}

// TestSealByMigration is version 8 on DynamoDB: channel items a version 6 build wrote with
// their values in clear text are sealed, none of them is left in any item, the store opens them
// to what they were, a second run changes nothing, and the version 6 release's guard refuses the
// data.
func TestSealByMigration(t *testing.T) {
	ctx := t.Context()
	s := newBareStore(t)
	seedV1(t, s, 1, 1)
	v6 := runOpts("v0.2.0")
	v6.Build = build6()
	if _, err := schema.Run(ctx, s, v6); err != nil {
		t.Fatal(err)
	}
	projects, err := s.Projects(ctx)
	if err != nil || len(projects) == 0 {
		t.Fatalf("Projects = %v, %v", projects, err)
	}
	project := projects[0].ID
	want := map[string]string{}
	for i, sec := range storetest.Secrets {
		ch := &check.Channel{ID: fmt.Sprintf("e0000000-0000-4000-8000-00000000010%d", i), ProjectID: project,
			Kind: sec.Kind, Name: "clear " + sec.Kind, Value: sec.Value, Created: t0.Add(time.Duration(i) * time.Second)}
		want[ch.ID] = sec.Value
		// As the version 6 release wrote it: the value in clear text.
		if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: marshal(channelToItem(ch))}); err != nil {
			t.Fatal(err)
		}
	}
	raw := func() string { return fmt.Sprint(scanAll(t, s)) }
	if !strings.Contains(raw(), storetest.Secrets[0].Part) {
		t.Fatal("the version 6 items do not hold the secrets in clear text: the test would prove nothing")
	}

	// Without the server secret the step fails, saying what it needs.
	none := New(s.db, s.table, store.Options{})
	none.Gate = nil
	if _, err := schema.Run(ctx, none, runOpts("v-test")); !errors.Is(err, store.ErrNoBox) {
		t.Fatalf("Run without a box = %v, want store.ErrNoBox", err)
	}

	rep, err := schema.Run(ctx, s, runOpts("v-test"))
	if err != nil {
		t.Fatal(err)
	}
	if rep.After != (schema.Version{Version: schema.Current, MinReader: schema.This().MinReader()}) {
		t.Errorf("after the migration: %v, want version %d (min reader %d)", rep.After, schema.Current, schema.This().MinReader())
	}
	storetest.SearchPlain(t, []byte(raw()))

	chans, err := s.Channels(ctx, project)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, ch := range chans {
		if _, ok := want[ch.ID]; ok {
			got[ch.ID] = ch.Value
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("values after the migration = %v, want %v", got, want)
	}

	before := raw()
	if err := s.sealChannelValues(ctx); err != nil {
		t.Fatal(err)
	}
	if after := raw(); after != before {
		t.Errorf("a second run changed items:\nbefore %s\nafter  %s", before, after)
	}

	v, err := s.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := schema.Check(v, build6()); err == nil {
		t.Errorf("Check(%v) for the version 6 release = nil, want a refusal", v)
	}
}

// TestSealBetweenPhases is the deploy of version 8 on DynamoDB with its phases apart. After the
// expand phase (data at version 7, minimum reader 3, which the version 6 release still uses,
// and goes back to on a rollback) this release writes channel values in clear text, as the
// version 6 release reads them. The contract step first raises the minimum reader to 7: cut
// short there, the data is refused to the version 6 release and still served by this one; a
// writer whose guard read the data before the raise seals after all (its clear write's
// condition on META fails) rather than leave a clear value behind the scan. The rerun of the
// step seals every value and records version 8.
func TestSealBetweenPhases(t *testing.T) {
	ctx := t.Context()
	s := newBareStore(t)
	seedV1(t, s, 1, 1)
	v6 := runOpts("v0.2.0")
	v6.Build = build6()
	if _, err := schema.Run(ctx, s, v6); err != nil {
		t.Fatal(err)
	}
	// The expand phase: version 7 only.
	if err := s.Apply(ctx, schema.This().Migrations[5], "v-test", t0); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Version(ctx); err != nil || v != (schema.Version{Version: 7, MinReader: 3}) {
		t.Fatalf("after the expand phase: %v, %v; want version 7 (min reader 3)", v, err)
	}
	projects, err := s.Projects(ctx)
	if err != nil || len(projects) == 0 {
		t.Fatalf("Projects = %v, %v", projects, err)
	}
	project := projects[0].ID
	val := func(id string) string {
		m, err := s.get(ctx, channelKey(id), true)
		if err != nil {
			t.Fatal(err)
		}
		return stringOf(m["val"])
	}
	// This release's functions, their guards pinned to their first reading.
	pinned := func() *Store {
		w := New(s.db, s.table, store.Options{Box: testBox})
		w.Gate = schema.NewGate(w.Version, schema.GateConfig{Build: GateBuild(), Now: func() time.Time { return t0 }})
		return w
	}
	w := pinned()
	newChannel := func(w *Store, i int) *check.Channel {
		sec := storetest.Secrets[i]
		ch := &check.Channel{ID: fmt.Sprintf("e0000000-0000-4000-8000-00000000020%d", i), ProjectID: project,
			Kind: sec.Kind, Name: sec.Kind, Value: sec.Value, Created: t0.Add(time.Duration(i) * time.Second)}
		if err := w.CreateChannel(ctx, ch); err != nil {
			t.Fatal(err)
		}
		return ch
	}
	clear := newChannel(w, 0)
	if got := val(clear.ID); got != clear.Value {
		t.Errorf("a channel created at version 7 (min reader 3) keeps %q, want its value in clear text %q", got, clear.Value)
	}
	// The version 6 release takes the value as it is stored: it must be the value.
	updated := storetest.Secrets[1].Value
	if _, err := w.UpdateChannel(ctx, project, clear.ID, func(ch *check.Channel) error { ch.Value = updated; return nil }); err != nil {
		t.Fatal(err)
	}
	if got := val(clear.ID); got != updated {
		t.Errorf("a channel updated at version 7 (min reader 3) keeps %q, want %q in clear text", got, updated)
	}
	v, err := s.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Ready(v, build6()); err != nil {
		t.Errorf("the version 6 release's guard on %v = %v, want it served (a rollback is still possible)", v, err)
	}

	// The contract step, cut short after its first write.
	stale := pinned()
	newChannel(stale, 2) // its guard has read version 7 (min reader 3) and keeps the answer
	if err := s.raiseSealReader(ctx); err != nil {
		t.Fatal(err)
	}
	if v, err = s.Version(ctx); err != nil || v != (schema.Version{Version: 7, MinReader: 7}) {
		t.Fatalf("after the minimum reader rose: %v, %v; want version 7 (min reader 7)", v, err)
	}
	if err := schema.Ready(v, build6()); schema.Refused(err) == nil {
		t.Errorf("the version 6 release's guard on %v = %v, want a refusal", v, err)
	}
	if err := schema.Ready(v, GateBuild()); err != nil {
		t.Errorf("this release's guard on %v = %v, want it served", v, err)
	}
	late := newChannel(stale, 3)
	if got := val(late.ID); !seal.IsSealed(got) {
		t.Errorf("a channel created on a stale answer after the minimum reader rose keeps %q, want it sealed", got)
	}
	if _, err := stale.UpdateChannel(ctx, project, clear.ID, func(ch *check.Channel) error { ch.Name = "renamed"; return nil }); err != nil {
		t.Fatal(err)
	}
	if got := val(clear.ID); !seal.IsSealed(got) {
		t.Errorf("a channel updated on a stale answer after the minimum reader rose keeps %q, want it sealed", got)
	}

	// The rerun finishes: every value sealed, version 8 and on recorded.
	rep, err := schema.Run(ctx, s, runOpts("v-test"))
	if err != nil {
		t.Fatal(err)
	}
	if rep.After != (schema.Version{Version: schema.Current, MinReader: schema.This().MinReader()}) {
		t.Errorf("after the rerun: %v, want version %d (min reader %d)", rep.After, schema.Current, schema.This().MinReader())
	}
	storetest.SearchPlain(t, []byte(fmt.Sprint(scanAll(t, s))))
	chans, err := s.Channels(ctx, project)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, ch := range chans {
		got[ch.ID] = ch.Value
	}
	want := map[string]string{clear.ID: updated, late.ID: late.Value,
		fmt.Sprintf("e0000000-0000-4000-8000-00000000020%d", 2): storetest.Secrets[2].Value}
	for id, v := range want {
		if got[id] != v {
			t.Errorf("channel %s opens to %q, want %q", id, got[id], v)
		}
	}
}

// TestDamagedValueListsTheRest: a channel item whose sealed value was copied from another
// channel does not open, and the listing still holds every channel of the project, the damaged
// one marked, beside a *store.DamagedError (the notifier delivers to the rest).
func TestDamagedValueListsTheRest(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	p := &check.Project{ID: "a0000000-0000-4000-8000-0000000000d1", Name: "P", Created: t0,
		APIKeyHash: "a", ReadOnlyKeyHash: "b", PingKeyHash: "c"}
	if err := s.CreateProject(ctx, p); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i, v := range []string{"alice@example.org", "bob@example.org"} {
		ch := &check.Channel{ID: fmt.Sprintf("e0000000-0000-4000-8000-0000000000d%d", i), ProjectID: p.ID,
			Kind: check.ChannelEmail, Name: v, Value: v, Created: t0.Add(time.Duration(i) * time.Second)}
		if err := s.CreateChannel(ctx, ch); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ch.ID)
	}
	first, err := s.get(ctx, channelKey(ids[0]), true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.table, Key: channelKey(ids[1]),
		UpdateExpression: aws.String("SET val = :v"), ExpressionAttributeValues: item{":v": first["val"]}}); err != nil {
		t.Fatal(err)
	}
	chs, err := s.Channels(ctx, p.ID)
	var damaged *store.DamagedError
	if !errors.As(err, &damaged) || len(damaged.Errs) != 1 {
		t.Fatalf("Channels = %v, want a DamagedError of one channel", err)
	}
	if len(chs) != 2 || chs[0].Value != "alice@example.org" || chs[0].Damaged != "" ||
		chs[1].Value != "" || !strings.Contains(chs[1].Damaged, ids[1]) {
		t.Errorf("Channels = %+v, want alice's opened and the second marked damaged", chs)
	}
}
