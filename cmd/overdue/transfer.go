package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/overduehq/overdue/internal/seal"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/sqlite"
	"github.com/overduehq/overdue/internal/transfer"
)

// cmdExport is `overdue export [--project ID] [--out FILE]`: the install, or one project, as
// an Overdue export file (package transfer), on standard output or in a new file readable by
// its owner only, since channel values are secrets.
func cmdExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fset := newFlags("export")
	stf := addStoreFlags(fset)
	projectID := fset.String("project", "", "export only this project (and its members); default: everything")
	out := fset.String("out", "-", "write to this new file (created with mode 0600), or - for standard output")
	pos, err := parseFlags(fset, args, stdout)
	if err != nil {
		return err
	}
	if err := noPositional(fset, pos); err != nil {
		return err
	}
	var st store.Store
	if *projectID != "" {
		st, err = stf.openProject(ctx, fset.Name(), *projectID)
	} else {
		if err = stf.requireDatabase(fset.Name()); err == nil {
			st, err = stf.open(ctx, fset.Name())
		}
	}
	if err != nil {
		return err
	}
	defer st.Close()
	ppl, err := peopleOf(st)
	if err != nil {
		return err
	}
	w := stdout
	var f *os.File
	if *out != "-" {
		// O_EXCL: an export never overwrites a file, least of all an earlier export.
		f, err = os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			return usagef("export: --out %s: the file exists; choose a new name or remove it first", *out)
		}
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		w = f
	}
	n, err := transfer.Export(ctx, w, st, ppl, transfer.ExportOptions{ProjectID: *projectID, Box: stf.box()})
	if f != nil {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(*out) // a partial export is worse than none
		}
	}
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	where := "standard output"
	if f != nil {
		where = *out
	}
	fmt.Fprintf(stderr, "Exported %s to %s. The file holds the channels' secrets (webhook URLs, "+
		"service keys) in plain text: keep it private, and delete it once imported.\n", n, where)
	return nil
}

// cmdImportOverdue is `overdue import overdue [--dry-run] [--merge-people] FILE`: a file of
// `overdue export` into the chosen store, adding what it lacks, and listing every permission it
// grants.
func cmdImportOverdue(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	fset := newFlags("import overdue")
	stf := addStoreFlags(fset)
	dry := fset.Bool("dry-run", false, "show what would be imported; write nothing")
	merge := fset.Bool("merge-people", false, "allow memberships and API tokens for users or projects this store already holds "+
		"(refused otherwise; review them first with --dry-run --merge-people)")
	pos, err := parseFlags(fset, args, stdout)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("import overdue: want one FILE (an overdue export file, or - for standard input)")
	}
	if err := stf.check(fset.Name()); err != nil {
		return err
	}
	var in io.Reader = stdin
	if pos[0] != "-" {
		f, err := os.Open(pos[0])
		if err != nil {
			return usagef("import overdue: %v", err)
		}
		defer f.Close()
		in = f
	}
	st, ppl, err := stf.openForImport(ctx, fset.Name(), *dry)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := transfer.Import(ctx, in, st, ppl, transfer.ImportOptions{DryRun: *dry, MergePeople: *merge, Box: stf.box()})
	if err != nil {
		return fmt.Errorf("import overdue: %w", err)
	}
	verb, done := "Imported", "nothing was missing"
	if *dry {
		verb, done = "Would import", "nothing is missing"
	}
	fmt.Fprintf(stdout, "The file holds %s (scope: %s).\n", rep.File, rep.Scope)
	for _, p := range rep.Projects {
		state := "new"
		if p.Existed {
			state = "already here: only what it lacks is added"
		}
		fmt.Fprintf(stdout, "  project %s %q: %s\n", p.ID, p.Name, state)
	}
	if rep.Created == (transfer.Counts{}) {
		fmt.Fprintf(stdout, "%s nothing: %s.\n", verb, done)
	} else {
		fmt.Fprintf(stdout, "%s %s.\n", verb, rep.Created)
	}
	if len(rep.Grants) > 0 {
		what := "Permissions granted:"
		if *dry {
			what = "Permissions it would grant:"
		}
		fmt.Fprintln(stdout, what)
		for _, g := range rep.Grants {
			fmt.Fprintf(stdout, "  %s\n", g)
		}
	}
	if !*dry {
		fmt.Fprintln(stdout, "Ping URLs, API keys and badge URLs are those of the source; point the old hostname at "+
			"this server (or start overdue serve with --site-root set to it) and no client needs a change.")
	}
	return nil
}

// openForImport opens the store an import writes to, creating its data model when it is new.
// A dry run into a SQLite data directory without a database plans against an empty one in a
// temporary directory, so that it creates nothing.
func (sf *storeFlags) openForImport(ctx context.Context, cmd string, dry bool) (store.Store, store.People, error) {
	if dry && *sf.kind == "sqlite" {
		path := filepath.Join(*sf.data, dbName)
		if info, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) || (err == nil && info.Size() == 0) {
			dir, err := os.MkdirTemp("", "overdue-dry-run-")
			if err != nil {
				return nil, nil, err
			}
			// A key of its own: the plan's channels are sealed in a file that is removed after.
			box, err := seal.New([]byte(rand.Text()))
			if err != nil {
				os.RemoveAll(dir)
				return nil, nil, err
			}
			st, err := sqlite.Open(filepath.Join(dir, dbName), store.Options{Box: box})
			if err != nil {
				os.RemoveAll(dir)
				return nil, nil, err
			}
			return &tempStore{Store: st, dir: dir}, st.People(), nil
		}
	}
	st, err := sf.open(ctx, cmd)
	if err != nil {
		return nil, nil, err
	}
	ppl, err := peopleOf(st)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, ppl, nil
}

// tempStore is a SQLite store in a directory removed when it closes.
type tempStore struct {
	*sqlite.Store
	dir string
}

// Close closes the store and removes its directory.
func (t *tempStore) Close() error {
	err := t.Store.Close()
	os.RemoveAll(t.dir)
	return err
}
