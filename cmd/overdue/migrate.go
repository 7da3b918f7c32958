package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/overduehq/overdue/internal/schema"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/dynamo"
	"github.com/overduehq/overdue/internal/store/sqlite"
)

// dbName is the database file in the data directory.
const dbName = "overdue.db"

// migrateLockWait is how long `overdue migrate up` waits for another migration of a DynamoDB
// table (a deploy's, say) to finish before it gives up.
const migrateLockWait = time.Minute

// cmdMigrate is `overdue migrate status|up`: the data-model guard and migrations, by hand, of
// the embedded store or of a DynamoDB table.
func cmdMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("migrate: missing subcommand (one of status, up)")
	}
	if isHelp(args[0]) {
		return groupHelp("migrate", stdout)
	}
	switch args[0] {
	case "status":
		return cmdMigrateStatus(ctx, args[1:], stdout)
	case "up":
		return cmdMigrateUp(ctx, args[1:], stdout)
	}
	return usagef("migrate: unknown subcommand %q (one of status, up)", args[0])
}

// cmdMigrateStatus is `overdue migrate status [--data DIR | --store dynamodb --table NAME]
// [--json]`: the data's version and minimum reader, this build's, what the guard decides, the
// pending migrations and the history. It writes nothing. Its exit status is 3, after the
// report, when this build cannot use the data because it is too new, as `overdue serve` would.
func cmdMigrateStatus(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("migrate status")
	sf := addStoreFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return err
	}
	if err := noPositional(fs, pos); err != nil {
		return err
	}
	tg, err := sf.migrationTarget(ctx, fs.Name())
	if err != nil {
		return err
	}

	v, err := tg.m.Version(ctx)
	if err != nil {
		return tg.wrap(err)
	}
	hist, err := tg.m.History(ctx)
	if err != nil {
		return tg.wrap(err)
	}
	b := schema.This()
	d, guardErr := schema.Check(v, b)
	var pending []schema.Migration
	if d == schema.Migrate {
		pending = b.Pending(v.Version)
	}
	msg := tg.statusMessage(d, v, guardErr)

	if *asJSON {
		out := statusJSON{
			Store:    tg.kind,
			Database: tg.path,
			Table:    tg.table,
			Data:     versionJSON{Version: v.Version, MinReader: v.MinReader},
			Build:    buildJSON{Name: version, Current: b.Current, Oldest: b.Oldest, MinReader: b.MinReader()},
			Decision: d.String(),
			Message:  msg,
			Pending:  []migrationJSON{},
			History:  []entryJSON{},
		}
		for _, p := range pending {
			out.Pending = append(out.Pending, toMigrationJSON(p))
		}
		for _, e := range hist {
			out.History = append(out.History, entryJSON{Version: e.Version, MinReader: e.MinReader,
				Build: e.Build, AppliedAt: e.At.UTC().Format(time.RFC3339)})
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else {
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		if tg.table != "" {
			fmt.Fprintf(w, "table\t%s (DynamoDB)\n", tg.table)
		} else {
			fmt.Fprintf(w, "database\t%s\n", tg.path)
		}
		if v == (schema.Version{}) {
			fmt.Fprintf(w, "data model\tnone yet\n")
		} else {
			fmt.Fprintf(w, "data model\tversion %d, readable by builds of version %d or newer\n", v.Version, v.MinReader)
		}
		fmt.Fprintf(w, "this build\t%s: writes version %d, migrates from version %d\n", version, b.Current, b.Oldest)
		fmt.Fprintf(w, "decision\t%s: %s\n", d, msg)
		for i, p := range pending {
			fmt.Fprintf(w, "%s\t%s\n", heading(i, "pending"), describe(p))
		}
		for i, e := range hist {
			fmt.Fprintf(w, "%s\tversion %d (min reader %d) by %s at %s\n", heading(i, "history"),
				e.Version, e.MinReader, buildName(e.Build), e.At.UTC().Format(time.RFC3339))
		}
		if err := w.Flush(); err != nil {
			return err
		}
	}
	return tg.refuse(guardErr)
}

// statusMessage says in one line what the decision means for the operator.
func (tg *migrationTarget) statusMessage(d schema.Decision, v schema.Version, guardErr error) string {
	switch d {
	case schema.Create:
		if tg.table != "" {
			return fmt.Sprintf("no data model yet; '%s', the deploy's migrate step or the first command that opens "+
				"the table creates it at version %d", tg.upCommand(), schema.Current)
		}
		return fmt.Sprintf("no database yet; 'overdue migrate up' or 'overdue serve' creates it at version %d", schema.Current)
	case schema.Use:
		return "up to date"
	case schema.UseNewer:
		return fmt.Sprintf("version %d is newer than this build's (%d) but readable by it: used as it is, never migrated down",
			v.Version, schema.Current)
	case schema.Migrate:
		n := len(schema.This().Pending(v.Version))
		noun := "migrations"
		if n == 1 {
			noun = "migration"
		}
		return fmt.Sprintf("%d %s pending; %s", n, noun, tg.migrateAdvice())
	}
	return guardErr.Error()
}

// migrateAdvice says how to migrate the target's data.
func (tg *migrationTarget) migrateAdvice() string {
	if tg.table != "" {
		return fmt.Sprintf("deploy this build (its migrate step migrates the table), or run '%s'", tg.upCommand())
	}
	return fmt.Sprintf("run '%s' (it backs the database up first), or start 'overdue serve', which does the same", tg.upCommand())
}

// upCommand is the `overdue migrate up` command line for the target.
func (tg *migrationTarget) upCommand() string {
	if tg.table != "" {
		return "overdue migrate up --store dynamodb --table " + tg.table
	}
	return "overdue migrate up --data " + tg.dir
}

// cmdMigrateUp is `overdue migrate up [--data DIR | --store dynamodb --table NAME]
// [--dry-run]`: create the data model, or migrate it to this build's version (backing up a
// SQLite database first; a DynamoDB table has point-in-time recovery, and the migration holds
// the table's migration lock), or say why not. With --dry-run it says what it would do and
// writes nothing.
func cmdMigrateUp(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("migrate up")
	sf := addStoreFlags(fs)
	dry := fs.Bool("dry-run", false, "say what would be done; change nothing")
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return err
	}
	if err := noPositional(fs, pos); err != nil {
		return err
	}
	tg, err := sf.migrationTarget(ctx, fs.Name())
	if err != nil {
		return err
	}

	rep, err := schema.Run(ctx, tg.m, runOptions(*dry))
	if rep == nil || rep.Decision == schema.Refuse {
		return tg.refuse(err)
	}
	if err != nil && rep.Decision != schema.Migrate {
		return tg.wrap(err)
	}
	// A failed migration still reports the backup and the steps that were applied before it.
	switch rep.Decision {
	case schema.Create:
		verb := "created"
		if *dry {
			verb = "would create"
		}
		fmt.Fprintf(stdout, "%s %s at data model version %d\n", verb, tg.label(), schema.Current)
	case schema.Use:
		fmt.Fprintf(stdout, "%s is at data model version %d, this build's: nothing to do\n", tg.label(), rep.Before.Version)
	case schema.UseNewer:
		fmt.Fprintf(stdout, "%s is at data model version %d, newer than this build's (%d) and readable by it: "+
			"nothing to do (a build never migrates down)\n", tg.label(), rep.Before.Version, schema.Current)
	case schema.Migrate:
		if *dry {
			if tg.sqlite != nil {
				backup, err := tg.sqlite.BackupPath(rep.Before.Version)
				if err != nil {
					return err
				}
				fmt.Fprintf(stdout, "would back up %s to %s\n", tg.path, backup)
			} else {
				fmt.Fprintf(stdout, "would take the migration lock of %s\n", tg.label())
			}
			for _, p := range rep.Pending {
				fmt.Fprintf(stdout, "would apply %s\n", describe(p))
			}
			break
		}
		if rep.Backup != "" {
			fmt.Fprintf(stdout, "backed up %s to %s\n", tg.path, rep.Backup)
		}
		for _, p := range rep.Applied {
			fmt.Fprintf(stdout, "applied %s\n", describe(p))
		}
		if len(rep.Applied) == 0 && err == nil {
			fmt.Fprintf(stdout, "another migration brought %s to this build's version meanwhile: nothing to do\n", tg.label())
		}
	}
	if err != nil {
		return tg.wrap(err)
	}
	if !*dry && rep.After != rep.Before {
		fmt.Fprintf(stdout, "data model is now version %d (min reader %d)\n", rep.After.Version, rep.After.MinReader)
	}
	return nil
}

// migrator is a store's schema.Migrator with its history, as `overdue migrate` shows it.
type migrator interface {
	schema.Migrator
	History(ctx context.Context) ([]schema.Entry, error)
}

// migrationTarget is the store `overdue migrate` works on: a SQLite database file or a
// DynamoDB table.
type migrationTarget struct {
	m      migrator
	kind   string           // "sqlite" or "dynamodb"
	sqlite *sqlite.Migrator // set for SQLite
	dir    string           // SQLite: the data directory
	path   string           // SQLite: the database file
	table  string           // DynamoDB: the table
}

// migrationTarget opens the chosen store for `overdue migrate`. It does no I/O on the store.
func (sf *storeFlags) migrationTarget(ctx context.Context, cmd string) (*migrationTarget, error) {
	if err := sf.check(cmd); err != nil {
		return nil, err
	}
	if *sf.kind == "dynamodb" {
		client, err := dynamoClient(ctx)
		if err != nil {
			return nil, err
		}
		st := dynamo.New(client, *sf.table, store.Options{Box: sf.box()})
		st.LockWait = migrateLockWait
		return &migrationTarget{m: st, kind: "dynamodb", table: *sf.table}, nil
	}
	path := filepath.Join(*sf.data, dbName)
	m := sqlite.NewMigrator(path)
	m.Box = sf.box()
	return &migrationTarget{m: m, kind: "sqlite", sqlite: m, dir: *sf.data, path: path}, nil
}

// label names the target in messages: the database file, or "table NAME".
func (tg *migrationTarget) label() string {
	if tg.table != "" {
		return "table " + tg.table
	}
	return tg.path
}

// wrap prefixes err with the target's label.
func (tg *migrationTarget) wrap(err error) error {
	return fmt.Errorf("%s: %w", tg.label(), err)
}

// refuse gives the guard's refusal of the target its exit status (guardExit, tableExit).
func (tg *migrationTarget) refuse(err error) error {
	if tg.table != "" {
		return tableExit(tg.table, err)
	}
	return guardExit(tg.path, err)
}

// openSQLite opens the embedded store in dir behind the data-model guard. An empty or missing
// database is created at this build's version. Data too new for this build is refused with
// exit status 3 and nothing written. Older data is backed up and migrated when autoMigrate is
// set (`overdue serve`), reporting what was done on stdout, and refused with advice otherwise:
// no command runs this build's code on old data.
func openSQLite(ctx context.Context, dir string, autoMigrate bool, stdout io.Writer) (store.Store, error) {
	if stdout == nil {
		stdout = io.Discard
	}
	path := filepath.Join(dir, dbName)
	m := sqlite.NewMigrator(path)
	m.Box = sqliteBox(dir)
	v, err := m.Version(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	switch d, err := schema.Check(v, schema.This()); {
	case err != nil:
		return nil, guardExit(path, err)
	case d == schema.Migrate && !autoMigrate:
		return nil, fmt.Errorf("%s: %w: run 'overdue migrate up --data %s' (it backs the database up first), "+
			"or start 'overdue serve', which does the same", path, &schema.PendingError{Data: v, Current: schema.Current}, dir)
	case d == schema.Create || d == schema.Migrate:
		rep, err := schema.Run(ctx, m, runOptions(false))
		if err != nil {
			return nil, guardExit(path, err)
		}
		if len(rep.Applied) > 0 {
			fmt.Fprintf(stdout, "Migrated %s from data model version %d to %d; the previous data is in %s.\n",
				path, rep.Before.Version, rep.After.Version, rep.Backup)
		}
	}
	st, err := sqlite.Open(path, store.Options{Box: m.Box})
	if err != nil {
		// Open names the file itself. It refuses here only if another process changed the
		// data since the check above.
		return nil, guardExit("", err)
	}
	return st, nil
}

// openDynamo opens a DynamoDB table behind the data-model guard. An empty table gets its
// data model at this build's version (what the deploy's migrate step would do: nothing else
// is there to lose). Data too new for this build is refused with exit status 3, older data
// with advice to migrate it, and nothing is written either way.
//
// Unlike the SQLite store, `overdue serve` does not migrate a DynamoDB table by itself. In
// production the deploy migrates the table, in its custom resource, before the new functions
// take traffic, and CloudFormation keeps that ordered; a serve pointed at the table would
// otherwise migrate it under the running functions of the previous release, outside any
// deploy, with a backfill that may take longer than a server's start should. Migrating is an
// explicit step: the deploy, or `overdue migrate up --store dynamodb`.
func openDynamo(ctx context.Context, client *dynamodb.Client, table string, stdout io.Writer) (store.Store, error) {
	st := dynamo.New(client, table, store.Options{Box: dynamoBox(table)})
	v, err := st.Version(ctx)
	if err != nil {
		return nil, err
	}
	switch d, err := schema.Check(v, schema.This()); {
	case err != nil:
		return nil, tableExit(table, err)
	case d == schema.Migrate:
		return nil, fmt.Errorf("table %s: %w: deploy this build (its migrate step migrates the table), "+
			"or run 'overdue migrate up --store dynamodb --table %s'",
			table, &schema.PendingError{Data: v, Current: schema.Current}, table)
	case d == schema.Create:
		rep, err := schema.Run(ctx, st, runOptions(false))
		if err != nil {
			return nil, tableExit(table, err)
		}
		if stdout != nil && rep.Decision == schema.Create {
			fmt.Fprintf(stdout, "Created the data model of table %s at version %d.\n", table, schema.Current)
		}
	}
	return st, nil
}

// tableExit gives a refusal of the DynamoDB table its exit status: 3 for data newer than this
// build can use, 1 for anything else. nil stays nil.
func tableExit(table string, err error) error {
	if err == nil {
		return nil
	}
	err = fmt.Errorf("table %s: %w", table, err)
	var ve *schema.VersionError
	if errors.As(err, &ve) && ve.Newer() {
		return &exitError{code: exitNewer, err: err}
	}
	return err
}

// runOptions migrates to this build's data model, recording the build's version.
func runOptions(dry bool) schema.RunOptions {
	return schema.RunOptions{
		Build:  schema.This(),
		Name:   version,
		Now:    func() time.Time { return time.Now().UTC() },
		DryRun: dry,
	}
}

// guardExit gives a refusal of the database at path its exit status: 3 for data newer than
// this build can use, 1 for anything else. The message starts with path unless it is "". nil
// stays nil.
func guardExit(path string, err error) error {
	if err == nil {
		return nil
	}
	var ve *schema.VersionError
	newer := errors.As(err, &ve) && ve.Newer()
	if newer && path != "" {
		// Point at the way back, if there is one here.
		if baks, _ := filepath.Glob(path + ".bak-v*"); len(baks) > 0 {
			err = fmt.Errorf("%w (backups made before migrations: %s)", err, strings.Join(baks, ", "))
		}
	}
	if path != "" {
		err = fmt.Errorf("%s: %w", path, err)
	}
	if newer {
		return &exitError{code: exitNewer, err: err}
	}
	return err
}

// describe is one migration in one line: "v2 expand (min reader 1): ...".
func describe(m schema.Migration) string {
	return fmt.Sprintf("v%d %s (min reader %d): %s", m.Version, m.Phase, m.MinReader, m.Description)
}

// heading labels the first of a list of rows.
func heading(i int, s string) string {
	if i == 0 {
		return s
	}
	return ""
}

// buildName is a history entry's build, or says it has none.
func buildName(b string) string {
	if strings.TrimSpace(b) == "" {
		return "an unnamed build"
	}
	return b
}

// The JSON of `migrate status --json`.
type (
	statusJSON struct {
		Store    string          `json:"store"`              // sqlite or dynamodb
		Database string          `json:"database,omitempty"` // SQLite: the database file
		Table    string          `json:"table,omitempty"`    // DynamoDB: the table
		Data     versionJSON     `json:"data"`
		Build    buildJSON       `json:"build"`
		Decision string          `json:"decision"`
		Message  string          `json:"message"`
		Pending  []migrationJSON `json:"pending"`
		History  []entryJSON     `json:"history"`
	}
	versionJSON struct {
		Version   int `json:"version"`
		MinReader int `json:"min_reader"`
	}
	buildJSON struct {
		Name      string `json:"name"`
		Current   int    `json:"current"`
		Oldest    int    `json:"oldest"`
		MinReader int    `json:"min_reader"`
	}
	migrationJSON struct {
		Version     int    `json:"version"`
		MinReader   int    `json:"min_reader"`
		Phase       string `json:"phase"`
		Description string `json:"description"`
	}
	entryJSON struct {
		Version   int    `json:"version"`
		MinReader int    `json:"min_reader"`
		Build     string `json:"build"`
		AppliedAt string `json:"applied_at"`
	}
)

func toMigrationJSON(m schema.Migration) migrationJSON {
	return migrationJSON{Version: m.Version, MinReader: m.MinReader, Phase: string(m.Phase), Description: m.Description}
}
