package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/overduehq/overdue/internal/schema"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/dynamo"
	"github.com/overduehq/overdue/internal/store/dynamo/dynamotest"
)

// loadV1Fixture makes dir/overdue.db as the version 1 build left it (the SQLite store's frozen
// fixture), checkpointed so that the file alone holds it.
func loadV1Fixture(t *testing.T, dir string) string {
	t.Helper()
	script, err := os.ReadFile(filepath.Join("..", "..", "internal", "store", "sqlite", "testdata", "v1.sql"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, dbName)
	execSQL(t, path, `PRAGMA journal_mode = WAL`, string(script), `PRAGMA wal_checkpoint(TRUNCATE)`)
	return path
}

func execSQL(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%.60s: %v", s, err)
		}
	}
}

// migrateCmd runs `overdue migrate ...` through cmdMigrate and run's error mapping, so that it
// needs no dispatch entry.
func migrateCmd(ctx context.Context, args ...string) (int, string, string) {
	var stdout, stderr strings.Builder
	err := cmdMigrate(ctx, args, &stdout, &stderr)
	code := exitOK
	var ue *usageError
	var ee *exitError
	switch {
	case err == nil:
	case errors.As(err, &ue):
		code = exitUsage
	case errors.As(err, &ee):
		code = ee.code
	default:
		code = exitFailure
	}
	if err != nil {
		fmt.Fprintf(&stderr, "overdue: %s\n", err)
	}
	return code, stdout.String(), stderr.String()
}

func statusOf(t *testing.T, dir string) statusJSON {
	t.Helper()
	code, out, stderr := migrateCmd(t.Context(), "status", "--data", dir, "--json")
	if code != exitOK {
		t.Fatalf("migrate status: exit %d %s", code, stderr)
	}
	var st statusJSON
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("migrate status --json output %q: %v", out, err)
	}
	return st
}

func TestMigrateStatusJSON(t *testing.T) {
	dir := t.TempDir()
	st := statusOf(t, dir)
	if st.Decision != "create" || st.Data != (versionJSON{}) || len(st.Pending) != 0 || len(st.History) != 0 {
		t.Errorf("status of an empty directory = %+v", st)
	}
	if _, err := os.Stat(filepath.Join(dir, dbName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("migrate status created the database")
	}

	loadV1Fixture(t, dir)
	st = statusOf(t, dir)
	want := statusJSON{
		Store:    "sqlite",
		Database: filepath.Join(dir, dbName),
		Data:     versionJSON{Version: 1, MinReader: 1},
		Build:    buildJSON{Name: version, Current: schema.Current, Oldest: schema.Oldest, MinReader: schema.This().MinReader()},
		Decision: "migrate",
		History:  []entryJSON{},
	}
	for _, m := range schema.This().Migrations {
		want.Pending = append(want.Pending, toMigrationJSON(m))
	}
	st.Message = ""
	if got, _ := json.Marshal(st); string(got) != mustJSON(t, want) {
		t.Errorf("status of version 1 data =\n  %s\nwant\n  %s", got, mustJSON(t, want))
	}
	// The history's shape: expand steps and three contracts, 5 (raising the minimum reader to
	// 3), 8 (to 7) and 20 (to 19, the bucketed due index); every other step an expand.
	for i, p := range want.Pending {
		phase, minReader := "expand", 7
		switch {
		case p.Version <= 4:
			minReader = 1
		case p.Version <= 7:
			minReader = 3
		case p.Version >= 20:
			minReader = 19
		}
		if p.Version == 5 || p.Version == 8 || p.Version == 20 {
			phase = "contract"
		}
		if p.Version != i+2 || p.Phase != phase || p.MinReader != minReader {
			t.Errorf("pending[%d] = %+v, want v%d %s with min reader %d", i, p, i+2, phase, minReader)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestMigrateUpDryRun(t *testing.T) {
	dir := t.TempDir()
	path := loadV1Fixture(t, dir)
	before := fileHash(t, path)
	code, out, stderr := migrateCmd(t.Context(), "up", "--data", dir, "--dry-run")
	if code != exitOK {
		t.Fatalf("migrate up --dry-run: exit %d %s", code, stderr)
	}
	for _, want := range []string{"would back up " + path + " to " + path + ".bak-v1", "would apply v2 expand (min reader 1)"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry-run output %q lacks %q", out, want)
		}
	}
	if fileHash(t, path) != before {
		t.Errorf("migrate up --dry-run changed the database")
	}
	if baks, _ := filepath.Glob(path + ".bak*"); len(baks) > 0 {
		t.Errorf("migrate up --dry-run made %v", baks)
	}
}

func TestMigrateUp(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	path := loadV1Fixture(t, dir)
	code, out, stderr := migrateCmd(ctx, "up", "--data", dir)
	if code != exitOK {
		t.Fatalf("migrate up: exit %d %s", code, stderr)
	}
	for _, want := range append(append([]string{"backed up " + path + " to " + path + ".bak-v1"}, appliedLines()...),
		fmt.Sprintf("now version %d (min reader %d)", schema.Current, schema.This().MinReader())) {
		if !strings.Contains(out, want) {
			t.Errorf("migrate up output %q lacks %q", out, want)
		}
	}
	st := statusOf(t, dir)
	if st.Decision != "use" || st.Data != (versionJSON{schema.Current, schema.This().MinReader()}) || len(st.History) != schema.Current-1 || st.History[0].Build != version {
		t.Errorf("status after migrating = %+v", st)
	}
	code, out, _ = migrateCmd(ctx, "up", "--data", dir)
	if code != exitOK || !strings.Contains(out, "nothing to do") {
		t.Errorf("migrate up again: exit %d %q, want nothing to do", code, out)
	}

	// The text status names the versions and the history.
	code, out, _ = migrateCmd(ctx, "status", "--data", dir)
	wantStatus := []string{fmt.Sprintf("version %d, readable by builds of version %d or newer", schema.Current, schema.This().MinReader()), "use: up to date"}
	for _, m := range schema.This().Migrations {
		wantStatus = append(wantStatus, fmt.Sprintf("version %d (min reader %d) by %s", m.Version, m.MinReader, version))
	}
	for _, want := range wantStatus {
		if code != exitOK || !strings.Contains(out, want) {
			t.Errorf("migrate status: exit %d, output %q lacks %q", code, out, want)
		}
	}
}

// stampNewer makes the data look written by a build one version ahead, with minReader.
func stampNewer(t *testing.T, path string, minReader int) {
	t.Helper()
	execSQL(t, path,
		fmt.Sprintf(`INSERT INTO schema_meta VALUES (%d, %d, 'v9.9.9', 0)`, schema.Current+1, minReader),
		fmt.Sprintf(`PRAGMA user_version = %d`, schema.Current+1),
		`PRAGMA wal_checkpoint(TRUNCATE)`)
}

// TestSeedScenarioCLI is issue 7 by hand: `overdue serve` on data whose minimum reader is above
// this build exits 3 with a message naming both versions, and the database file is unchanged.
// So do the other commands that open the store, and `migrate up`; `migrate status` reports
// and exits 3.
func TestSeedScenarioCLI(t *testing.T) {
	dir := t.TempDir()
	st, err := openSQLite(t.Context(), dir, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	path := filepath.Join(dir, dbName)
	stampNewer(t, path, schema.Current+1)
	before := fileHash(t, path)

	// A safety net, not a wait: if the guard ever let serve start, the test ends instead of
	// hanging.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	wantMsg := []string{
		fmt.Sprintf("data model version %d is newer than this build can use", schema.Current+1),
		fmt.Sprintf("this build writes version %d", schema.Current),
		fmt.Sprintf("deploy a build that understands version %d", schema.Current+1),
	}
	for _, args := range [][]string{
		{"serve", "--data", dir, "--addr", "127.0.0.1:0"},
		{"check", "list", "--data", dir, "--project", "x"},
	} {
		var stdout, stderr strings.Builder
		code := run(ctx, args, &stdout, &stderr)
		if code != exitNewer {
			t.Errorf("%s: exit %d, want %d (stderr %q)", args[0], code, exitNewer, stderr.String())
		}
		for _, want := range wantMsg {
			if !strings.Contains(stderr.String(), want) {
				t.Errorf("%s: stderr %q lacks %q", args[0], stderr.String(), want)
			}
		}
	}
	// A backup from an earlier migration is named as the way back.
	bak := path + ".bak-v1"
	if err := os.WriteFile(bak, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := migrateCmd(ctx, "up", "--data", dir)
	if code != exitNewer || !strings.Contains(stderr, wantMsg[0]) || !strings.Contains(stderr, "backups made before migrations: "+bak) {
		t.Errorf("migrate up: exit %d %q, want 3, the message and the backup", code, stderr)
	}
	code, out, _ := migrateCmd(ctx, "status", "--data", dir, "--json")
	var status statusJSON
	if code != exitNewer || json.Unmarshal([]byte(out), &status) != nil || status.Decision != "refuse" ||
		status.Data != (versionJSON{schema.Current + 1, schema.Current + 1}) || !strings.Contains(status.Message, wantMsg[0]) {
		t.Errorf("migrate status --json: exit %d %s; want 3 and a refusal report", code, out)
	}
	if _, err := openSQLite(ctx, dir, true, nil); !isExit(err, exitNewer) {
		t.Errorf("openSQLite = %v, want exit status 3", err)
	}
	if fileHash(t, path) != before {
		t.Errorf("the refused database changed")
	}
}

func isExit(err error, code int) bool {
	var ee *exitError
	return errors.As(err, &ee) && ee.code == code
}

// TestOpenSQLite: serve migrates old data after a backup; other commands refuse it with advice
// and change nothing; newer data that this build can read is used as it is.
func TestOpenSQLite(t *testing.T) {
	ctx := t.Context()

	t.Run("old data, no auto-migration", func(t *testing.T) {
		dir := t.TempDir()
		path := loadV1Fixture(t, dir)
		before := fileHash(t, path)
		_, err := openSQLite(ctx, dir, false, nil)
		if err == nil || isExit(err, exitNewer) || !strings.Contains(err.Error(), "overdue migrate up --data "+dir) {
			t.Errorf("openSQLite(v1, no auto-migration) = %v, want advice to run migrate up", err)
		}
		if fileHash(t, path) != before {
			t.Errorf("refusing to migrate changed the database")
		}
	})

	t.Run("old data, serve migrates", func(t *testing.T) {
		dir := t.TempDir()
		path := loadV1Fixture(t, dir)
		var out strings.Builder
		st, err := openSQLite(ctx, dir, true, &out)
		if err != nil {
			t.Fatalf("openSQLite(v1, auto-migration) = %v", err)
		}
		defer st.Close()
		want := fmt.Sprintf("Migrated %s from data model version 1 to %d; the previous data is in %s.bak-v1.", path, schema.Current, path)
		if !strings.Contains(out.String(), want) {
			t.Errorf("output %q lacks %q", out.String(), want)
		}
		if c, err := st.Check(ctx, "c0000000-0000-4000-8000-000000000001"); err != nil || c.Name != "backup" {
			t.Errorf("Check after migrating = %v, %v", c, err)
		}
	})

	t.Run("new directory", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "data")
		st, err := openSQLite(ctx, dir, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		st.Close()
		if s := statusOf(t, dir); s.Decision != "use" || len(s.History) != 1 || s.History[0].Build != version {
			t.Errorf("status of a new store = %+v, want one history entry by %q", s, version)
		}
	})

	t.Run("newer, readable", func(t *testing.T) {
		dir := t.TempDir()
		st, err := openSQLite(ctx, dir, true, nil)
		if err != nil {
			t.Fatal(err)
		}
		st.Close()
		stampNewer(t, filepath.Join(dir, dbName), 1)
		st, err = openSQLite(ctx, dir, true, nil)
		if err != nil {
			t.Fatalf("openSQLite(newer, readable) = %v", err)
		}
		st.Close()
		if s := statusOf(t, dir); s.Decision != "use-newer" || s.Data.Version != schema.Current+1 || len(s.History) != 2 {
			t.Errorf("status after using newer data = %+v, want it unchanged", s)
		}
	})
}

func TestMigrateUsage(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{nil, "missing subcommand"},
		{[]string{"down"}, `unknown subcommand "down"`},
		{[]string{"up", "--data", dir, "--force"}, "flag provided but not defined: -force"},
		{[]string{"status", "--data", dir, "extra"}, `unexpected argument "extra"`},
		{[]string{"status", "--store", "dynamodb"}, "--store dynamodb needs --table NAME"},
		{[]string{"up", "--table", "t"}, "--table goes with --store dynamodb"},
	} {
		code, _, stderr := migrateCmd(t.Context(), tt.args...)
		if code != exitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("migrate %v: exit %d %q, want 2 and %q", tt.args, code, stderr, tt.want)
		}
	}
}

// motoTable creates a DynamoDB table on moto_server for one test and deletes it afterwards.
// The AWS variables come from scripts/with-moto.sh, as they would for `overdue --store
// dynamodb` run by hand.
func motoTable(t *testing.T) (*dynamodb.Client, string) {
	t.Helper()
	if os.Getenv("OVERDUE_MOTO_URL") == "" {
		t.Fatal("moto_server is not running: run the tests with 'make test' (which starts it), or install it with pip install 'moto[server]'")
	}
	client, err := dynamoClient(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	table := dynamotest.Table(t, client, "overdue-migrate")
	return client, table
}

// seedVersion1Table writes a project, as the release before versioned data models did: data
// and no META item, which is version 1.
func seedVersion1Table(t *testing.T, client *dynamodb.Client, table string) {
	t.Helper()
	st := dynamo.New(client, table, store.Options{})
	st.Gate = nil // that release had no write guard
	if _, _, err := newProject(t.Context(), st, "Legacy", time.Date(2026, 11, 24, 20, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
}

// scanTable reads every item of the table, in key order.
func scanTable(t *testing.T, client *dynamodb.Client, table string) []map[string]ddbtypes.AttributeValue {
	t.Helper()
	var out []map[string]ddbtypes.AttributeValue
	in := &dynamodb.ScanInput{TableName: &table, ConsistentRead: aws.Bool(true)}
	for {
		res, err := client.Scan(t.Context(), in)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, res.Items...)
		if len(res.LastEvaluatedKey) == 0 {
			break
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
	key := func(m map[string]ddbtypes.AttributeValue) string {
		pk, _ := m["pk"].(*ddbtypes.AttributeValueMemberS)
		sk, _ := m["sk"].(*ddbtypes.AttributeValueMemberS)
		return pk.Value + "\x00" + sk.Value
	}
	slices.SortFunc(out, func(a, b map[string]ddbtypes.AttributeValue) int { return strings.Compare(key(a), key(b)) })
	return out
}

func dynamoStatus(t *testing.T, table string) statusJSON {
	t.Helper()
	code, out, stderr := migrateCmd(t.Context(), "status", "--store", "dynamodb", "--table", table, "--json")
	if code != exitOK {
		t.Fatalf("migrate status: exit %d %s", code, stderr)
	}
	var st statusJSON
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("migrate status --json output %q: %v", out, err)
	}
	return st
}

// TestMigrateDynamoDB: `overdue migrate status|up --store dynamodb` on an empty table, on
// version 1 data (a dry run first, and serve refusing to migrate it), and again when there is
// nothing left to do.
func TestMigrateDynamoDB(t *testing.T) {
	ctx := t.Context()
	client, table := motoTable(t)
	st := dynamoStatus(t, table)
	if st.Store != "dynamodb" || st.Table != table || st.Database != "" || st.Decision != "create" {
		t.Errorf("status of an empty table = %+v", st)
	}

	seedVersion1Table(t, client, table)
	st = dynamoStatus(t, table)
	if st.Decision != "migrate" || st.Data != (versionJSON{1, 1}) || len(st.Pending) != schema.Current-1 || st.Pending[0].Version != 2 ||
		!strings.Contains(st.Message, "overdue migrate up --store dynamodb --table "+table) {
		t.Errorf("status of version 1 data = %+v", st)
	}
	before := scanTable(t, client, table)
	code, out, stderr := migrateCmd(ctx, "up", "--store", "dynamodb", "--table", table, "--dry-run")
	if code != exitOK || !strings.Contains(out, "would apply v2 expand (min reader 1)") {
		t.Errorf("migrate up --dry-run: exit %d, output %q %s", code, out, stderr)
	}
	// serve guards the table but does not migrate it: the deploy does.
	var stdout strings.Builder
	_, err := (&storeFlags{data: new(t.TempDir()), kind: new("dynamodb"), table: &table}).openMigrating(ctx, "serve", true, &stdout)
	if err == nil || isExit(err, exitNewer) || !strings.Contains(err.Error(), "'overdue migrate up --store dynamodb --table "+table+"'") {
		t.Errorf("serve on version 1 data = %v, want advice to run migrate up", err)
	}
	if !reflect.DeepEqual(before, scanTable(t, client, table)) {
		t.Errorf("the dry run or serve changed the table")
	}

	code, out, stderr = migrateCmd(ctx, "up", "--store", "dynamodb", "--table", table)
	for _, want := range append(appliedLines(), fmt.Sprintf("data model is now version %d (min reader %d)", schema.Current, schema.This().MinReader())) {
		if code != exitOK || !strings.Contains(out, want) {
			t.Errorf("migrate up: exit %d, output %q lacks %q (%s)", code, out, want, stderr)
		}
	}
	st = dynamoStatus(t, table)
	if st.Decision != "use" || st.Data != (versionJSON{schema.Current, schema.This().MinReader()}) || len(st.History) != schema.Current-1 || st.History[0].Build != version {
		t.Errorf("status after migrating = %+v", st)
	}
	code, out, _ = migrateCmd(ctx, "up", "--store", "dynamodb", "--table", table)
	if code != exitOK || !strings.Contains(out, fmt.Sprintf("table %s is at data model version %d, this build's: nothing to do", table, schema.Current)) {
		t.Errorf("migrate up again: exit %d %q", code, out)
	}
	code, out, _ = migrateCmd(ctx, "status", "--store", "dynamodb", "--table", table)
	for _, want := range []string{table + " (DynamoDB)", "use: up to date", "version 5 (min reader 3) by " + version} {
		if code != exitOK || !strings.Contains(out, want) {
			t.Errorf("migrate status: exit %d, output %q lacks %q", code, out, want)
		}
	}
	// Now the store opens for every command.
	if s, err := (&storeFlags{data: new(""), kind: new("dynamodb"), table: &table}).open(ctx, "check list"); err != nil {
		t.Errorf("open after migrating = %v", err)
	} else {
		s.Close()
	}
}

// TestOpenDynamoDBEmpty: the first command on a new table creates its data model, as the
// deploy's migrate step would.
func TestOpenDynamoDBEmpty(t *testing.T) {
	_, table := motoTable(t)
	var out strings.Builder
	s, err := (&storeFlags{data: new(""), kind: new("dynamodb"), table: &table}).openMigrating(t.Context(), "serve", true, &out)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if want := fmt.Sprintf("Created the data model of table %s at version %d.", table, schema.Current); !strings.Contains(out.String(), want) {
		t.Errorf("output %q lacks %q", out.String(), want)
	}
	if st := dynamoStatus(t, table); st.Decision != "use" || len(st.History) != 1 {
		t.Errorf("status of a new table after serve = %+v", st)
	}
}

// TestSeedScenarioDynamoDB is issue 7 on DynamoDB, by hand: a table whose META says a newer
// build raised the minimum reader above this one. `serve` and the other commands exit 3 with
// the message naming both versions, `migrate up` too, `migrate status` reports and exits 3, and
// the table is item for item as it was.
func TestSeedScenarioDynamoDB(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute) // a safety net if serve ever started
	defer cancel()
	client, table := motoTable(t)
	seedVersion1Table(t, client, table)
	_, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: map[string]ddbtypes.AttributeValue{
		"pk":         &ddbtypes.AttributeValueMemberS{Value: "META"},
		"sk":         &ddbtypes.AttributeValueMemberS{Value: "SCHEMA"},
		"version":    &ddbtypes.AttributeValueMemberN{Value: strconv.Itoa(schema.Current + 1)},
		"min_reader": &ddbtypes.AttributeValueMemberN{Value: strconv.Itoa(schema.Current + 1)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	before := scanTable(t, client, table)
	wantMsg := []string{
		"table " + table + ": ",
		fmt.Sprintf("data model version %d is newer than this build can use", schema.Current+1),
		fmt.Sprintf("this build writes version %d", schema.Current),
		fmt.Sprintf("deploy a build that understands version %d", schema.Current+1),
	}
	storeArgs := []string{"--store", "dynamodb", "--table", table}
	for _, args := range [][]string{
		append([]string{"serve", "--data", t.TempDir(), "--addr", "127.0.0.1:0"}, storeArgs...),
		append([]string{"check", "list", "--project", "x"}, storeArgs...),
	} {
		var stdout, stderr strings.Builder
		if code := run(ctx, args, &stdout, &stderr); code != exitNewer {
			t.Errorf("%s: exit %d, want %d (stderr %q)", args[0], code, exitNewer, stderr.String())
		}
		for _, want := range wantMsg {
			if !strings.Contains(stderr.String(), want) {
				t.Errorf("%s: stderr %q lacks %q", args[0], stderr.String(), want)
			}
		}
	}
	code, _, stderr := migrateCmd(ctx, append([]string{"up"}, storeArgs...)...)
	if code != exitNewer || !strings.Contains(stderr, wantMsg[1]) {
		t.Errorf("migrate up: exit %d %q, want 3 and the message", code, stderr)
	}
	code, out, _ := migrateCmd(ctx, append([]string{"status", "--json"}, storeArgs...)...)
	var status statusJSON
	if code != exitNewer || json.Unmarshal([]byte(out), &status) != nil || status.Decision != "refuse" ||
		status.Data != (versionJSON{schema.Current + 1, schema.Current + 1}) || !strings.Contains(status.Message, wantMsg[1]) {
		t.Errorf("migrate status --json: exit %d %s; want 3 and a refusal report", code, out)
	}
	if !reflect.DeepEqual(before, scanTable(t, client, table)) {
		t.Errorf("the refused table changed")
	}
}

// appliedLines are what `migrate up` prints for each migration from version 1: "applied v2
// expand", …, read from schema so that the list grows with every data-model step.
func appliedLines() []string {
	var out []string
	for _, m := range schema.This().Migrations {
		out = append(out, fmt.Sprintf("applied v%d %s", m.Version, m.Phase))
	}
	return out
}
