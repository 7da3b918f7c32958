package dynamo

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

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
	if rep.After != (schema.Version{Version: schema.Current, MinReader: 7}) {
		t.Errorf("after the migration: %v, want version %d (min reader 7)", rep.After, schema.Current)
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
