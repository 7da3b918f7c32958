package sqlite

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/overduehq/overdue/internal/schema"
	"github.com/overduehq/overdue/internal/seal"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/storetest"
)

// TestSealByMigration is version 8 on SQLite: a version 6 database whose channels hold their
// values in clear text (as the previous release wrote them) is migrated; afterwards the file
// holds none of them, its free space included, the store opens them to what they were, a second
// run changes nothing, and the version 6 release's guard refuses the data. The backup taken
// before the migration still holds them, as the README says.
func TestSealByMigration(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	path := filepath.Join(dir, "overdue.db")
	loadV1(t, path)
	if _, err := schema.Run(ctx, NewMigrator(path), schema.RunOptions{Build: build6(), Name: "v0.2.0", Now: func() time.Time { return t0 }}); err != nil {
		t.Fatal(err)
	}
	const project = "a0000000-0000-4000-8000-000000000001"
	db := rawDB(t, path)
	want := map[string]string{}
	for i, sec := range storetest.Secrets {
		id := fmt.Sprintf("e0000000-0000-4000-8000-00000000010%d", i)
		want[id] = sec.Value
		if _, err := db.Exec(`INSERT INTO channels (id, project_id, kind, name, value, created, disabled, last_error)
			VALUES (?, ?, ?, ?, ?, ?, 0, '')`, id, project, sec.Kind, "clear "+sec.Kind, sec.Value, t0.UnixMicro()+int64(i)); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	if b := fileBytes(t, path); !bytes.Contains(b, []byte(storetest.Secrets[0].Part)) {
		t.Fatal("the version 6 fixture does not hold the secrets in clear text: the test would prove nothing")
	}

	// Without the server secret the step fails, saying what it needs, and changes nothing.
	if _, err := schema.Run(ctx, NewMigrator(path), runOpts(false)); !errors.Is(err, store.ErrNoBox) {
		t.Fatalf("Run without a box = %v, want store.ErrNoBox", err)
	}
	if v, err := NewMigrator(path).Version(ctx); err != nil || v.Version != 7 {
		t.Fatalf("Version after the refused step = %v, %v; want 7 (the expand step ran, the contract did not)", v, err)
	}

	rep, err := schema.Run(ctx, boxed(NewMigrator(path)), runOpts(false))
	if err != nil {
		t.Fatal(err)
	}
	if rep.After != (schema.Version{Version: SchemaVersion, MinReader: schema.This().MinReader()}) {
		t.Errorf("after the migration: %v, want version %d (min reader %d)", rep.After, SchemaVersion, schema.This().MinReader())
	}
	storetest.SearchPlain(t, fileBytes(t, path))
	if !bytes.Contains(fileBytes(t, rep.Backup), []byte(storetest.Secrets[0].Part)) {
		t.Errorf("the backup %s holds no clear value; the README says it does", rep.Backup)
	}

	s, err := Open(path, store.Options{Box: testBox})
	if err != nil {
		t.Fatal(err)
	}
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
	s.Close()

	// Idempotent: the step again leaves every sealed value as it is.
	before := dump(t, path, map[string][]string{"channels": {"id", "value"}})
	db = rawDB(t, path)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := sealChannelValues(ctx, tx, testBox); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if after := dump(t, path, map[string][]string{"channels": {"id", "value"}}); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("a second run changed the values:\nbefore %v\nafter  %v", before, after)
	}

	// The release before reads no channel of this data: its guard refuses it.
	v, err := NewMigrator(path).Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := schema.Check(v, build6()); err == nil {
		t.Errorf("Check(%v) for the version 6 release = nil, want a refusal", v)
	}
	// And a value sealed under another secret does not open, naming the cause.
	other, err := seal.New([]byte("another server secret, 32 chars!"))
	if err != nil {
		t.Fatal(err)
	}
	s, err = Open(path, store.Options{Box: other})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Channels(ctx, project); !errors.Is(err, seal.ErrOtherKey) {
		t.Errorf("Channels under another secret = %v, want seal.ErrOtherKey", err)
	}
}
