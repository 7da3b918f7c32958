package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/overduehq/overdue/internal/check"
	"github.com/overduehq/overdue/internal/hcimport"
	"github.com/overduehq/overdue/internal/notify"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/transfer"
)

// hcAPIKeyEnv holds the Healthchecks API key when --api-key is not given: a flag's value is
// visible to every user of the machine (ps, /proc/<pid>/cmdline), an environment variable only
// to the user running the command.
const hcAPIKeyEnv = "OVERDUE_HC_API_KEY"

// cmdImportHealthchecks is `overdue import healthchecks --url BASE [--api-key KEY] [--project ID]
// [--dry-run]` (the key from OVERDUE_HC_API_KEY when not given): a Healthchecks project's
// checks, with their UUIDs, into this store; or, with --db FILE, everything a Healthchecks
// database holds.
func cmdImportHealthchecks(ctx context.Context, args []string, stdout io.Writer) error {
	fset := newFlags("import healthchecks")
	stf := addStoreFlags(fset)
	base := fset.String("url", "", "the Healthchecks site root, such as https://healthchecks.io")
	dbPath := fset.String("db", "", "a Healthchecks SQLite database file (hc.sqlite) to import instead of --url")
	apiKey := fset.String("api-key", "", "the Healthchecks project's read-write API key (hcw_…); other users of this machine see it in ps: "+
		"prefer the environment variable "+hcAPIKeyEnv)
	projectID := fset.String("project", "", "the Overdue project to import into (default: the one holding an earlier import, or a new one)")
	siteRoot := fset.String("site-root", "", "this Overdue's public URL, for the advice printed at the end")
	dry := fset.Bool("dry-run", false, "show what would be imported; write nothing")
	pos, err := parseFlags(fset, args, stdout)
	if err != nil {
		return err
	}
	if err := noPositional(fset, pos); err != nil {
		return err
	}
	keyFromEnv := false
	if *apiKey == "" && *dbPath == "" {
		*apiKey, keyFromEnv = os.Getenv(hcAPIKeyEnv), true
	}
	if *dbPath != "" {
		switch {
		case *base != "" || *apiKey != "":
			return usagef("import healthchecks: --db reads the database; it goes without --url and --api-key")
		case *projectID != "":
			return usagef("import healthchecks: --db imports every project of the database under its own UUID; it goes without --project")
		}
		return importHealthchecksDB(ctx, stf, *dbPath, *siteRoot, *dry, stdout)
	}
	switch {
	case *base == "":
		return usagef("import healthchecks: --url is required (the Healthchecks site root, such as https://healthchecks.io), or --db FILE")
	case *apiKey == "" && keyFromEnv:
		return usagef("import healthchecks: the API key is required: set %s (or --api-key, which other users see in ps) to the project's read-write key, Settings → API Access", hcAPIKeyEnv)
	}
	if err := stf.check(fset.Name()); err != nil {
		return err
	}
	client := &http.Client{Timeout: 60 * time.Second}
	src, err := hcimport.FromAPI(ctx, client, *base, *apiKey)
	if err != nil {
		return fmt.Errorf("import healthchecks: %w", err)
	}

	var st store.Store
	if *projectID != "" {
		st, err = stf.openProject(ctx, fset.Name(), *projectID)
	} else {
		st, _, err = stf.openForImport(ctx, fset.Name(), *dry)
	}
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := hcimport.Apply(ctx, st, src, hcimport.Options{ProjectID: *projectID, DryRun: *dry,
		Now: time.Now, Rand: rand.Reader, NewID: uuid.NewString})
	if err != nil {
		return fmt.Errorf("import healthchecks: %w", err)
	}
	root, _ := stf.linkRoot(*siteRoot)
	printHCReport(stdout, src, rep, *base, root, *dry)
	return nil
}

// printHCReport tells what was imported, what the operator must still provide, what could not
// be carried over, and what to change so that no client needs editing.
func printHCReport(w io.Writer, src *hcimport.Source, rep *hcimport.Report, base, root string, dry bool) {
	would := func(done, todo string) string {
		if dry {
			return todo
		}
		return done
	}
	fmt.Fprintf(w, "Read %d checks and %d channels from %s.\n", len(src.Checks), len(src.Channels), src.Origin)
	p := rep.Project
	switch {
	case rep.NewProject && dry:
		fmt.Fprintf(w, "Would create project %q.\n", p.Name)
	case rep.NewProject:
		fmt.Fprintf(w, "Created project %q, id %s. Its keys, stored only as hashes (keep them now, they cannot be shown again):\n", p.Name, p.ID)
		fmt.Fprintf(w, "  API key:           %s\n", rep.Keys.APIKey)
		fmt.Fprintf(w, "  read-only API key: %s\n", rep.Keys.ReadOnlyKey)
		fmt.Fprintf(w, "  ping key:          %s\n", rep.Keys.PingKey)
	default:
		fmt.Fprintf(w, "Into project %q, id %s.\n", p.Name, p.ID)
	}
	fmt.Fprintf(w, "Checks: %d %s, %d already here", len(rep.Created), would("created", "to create"), len(rep.Existing))
	if rep.Assigned > 0 {
		fmt.Fprintf(w, " (%d channel assignments %s)", rep.Assigned, would("added", "to add"))
	}
	fmt.Fprintln(w, ".")
	if len(rep.Matched) > 0 {
		fmt.Fprintf(w, "Channels assigned by name: %d.\n", len(rep.Matched))
	}
	if len(rep.Missing) > 0 {
		fmt.Fprintln(w, "\nChannels to create: Healthchecks' API does not reveal their targets. Add each with the same name and kind,")
		fmt.Fprintln(w, "then run this import again: it assigns them to the checks that had them.")
		for _, ch := range rep.Missing {
			fmt.Fprintf(w, "  overdue channel add --project %s --kind %s --name %q --value '%s'\n", p.ID, ch.Kind, ch.Name, valueHint(ch.Kind))
		}
	}
	if len(rep.Skipped) > 0 {
		fmt.Fprintln(w, "\nCould not be carried over:")
		for _, s := range rep.Skipped {
			fmt.Fprintf(w, "  - %s\n", s)
		}
	}
	host := src.Origin
	if u, err := url.Parse(base); err == nil && u.Host != "" {
		host = u.Host
	}
	fmt.Fprintln(w, "\nWhat to change so that no client needs editing:")
	fmt.Fprintf(w, "  - Ping URLs keep their UUIDs: point the hostname your clients ping (Healthchecks' PING_ENDPOINT,\n"+
		"    often %s) at this server, which answers /ping/<uuid> at %s/ping/.\n", host, root)
	fmt.Fprintf(w, "  - And start overdue serve with --site-root %s (or set siteRoot on AWS), so the URLs it shows are the old ones.\n", strings.TrimRight(base, "/"))
	if strings.HasSuffix(host, "healthchecks.io") {
		fmt.Fprintf(w, "  - healthchecks.io's ping hostname, hc-ping.com, is not yours to point: there, replace https://hc-ping.com/\n"+
			"    with %s/ping/ in each client; the UUIDs stay the same.\n", root)
	}
	if rep.NewProject && !dry {
		fmt.Fprintln(w, "  - Slug URLs (/ping/<ping key>/<slug>) need the new ping key above; API clients need the new API key.")
	}
}

// valueHint says what a channel of the kind takes as its value.
func valueHint(kind string) string {
	switch kind {
	case "email":
		return "<address>"
	case "sms", "whatsapp", "call", "signal":
		return "<+E.164 number>"
	case "webhook", "slack", "discord", "mattermost", "msteamsw", "rocketchat", "googlechat":
		return "<URL>"
	}
	return "<the " + kind + " value: see README \"Alerts\">"
}

// importHealthchecksDB is `overdue import healthchecks --db FILE`: everything of a Healthchecks
// database, through an export file in memory, into the store.
func importHealthchecksDB(ctx context.Context, stf *storeFlags, path, siteRoot string, dry bool, stdout io.Writer) error {
	const cmd = "import healthchecks"
	if err := stf.check(cmd); err != nil {
		return err
	}
	db, err := hcimport.ReadDB(ctx, path, hcimport.DBOptions{ValidateChannel: notify.ValidateChannel, Now: time.Now, Rand: rand.Reader})
	if err != nil {
		return usagef("%s: %v", cmd, err)
	}
	var file bytes.Buffer
	if err := db.WriteExport(&file); err != nil {
		return err
	}
	st, ppl, err := stf.openForImport(ctx, cmd, dry)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := transfer.Import(ctx, &file, st, ppl, transfer.ImportOptions{DryRun: dry})
	if err != nil {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	root, _ := stf.linkRoot(siteRoot)
	verb := "Imported"
	if dry {
		verb = "Would import"
	}
	fmt.Fprintf(stdout, "Read %s from %s.\n", rep.File, path)
	if rep.Created == (transfer.Counts{}) {
		fmt.Fprintf(stdout, "%s nothing: everything is here already.\n", verb)
	} else {
		fmt.Fprintf(stdout, "%s %s.\n", verb, rep.Created)
	}
	var missing, skipped []string
	for i, p := range db.Projects {
		existed := i < len(rep.Projects) && rep.Projects[i].Existed
		state := "new"
		if existed {
			state = "already here: only what it lacks is added"
		}
		fmt.Fprintf(stdout, "\nProject %q, id %s: %s.\n", p.Project.Name, p.Project.ID, state)
		if !existed && !dry && p.NewKeys != (check.Keys{}) {
			fmt.Fprintln(stdout, "  New keys (the database's could not be carried over), shown once:")
			if p.NewKeys.APIKey != "" {
				fmt.Fprintf(stdout, "    API key:           %s\n", p.NewKeys.APIKey)
				fmt.Fprintf(stdout, "    read-only API key: %s\n", p.NewKeys.ReadOnlyKey)
			}
			if p.NewKeys.PingKey != "" {
				fmt.Fprintf(stdout, "    ping key:          %s\n", p.NewKeys.PingKey)
			}
		}
		for _, ch := range p.Missing {
			missing = append(missing, fmt.Sprintf("channel %q (%s) of project %q: %s", ch.Name, ch.Kind, p.Project.Name, ch.Value))
		}
		for _, m := range p.Members {
			skipped = append(skipped, fmt.Sprintf("%s (%s of %q): overdue user create --email %s --project %s --role %s",
				m.Email, m.Role, p.Project.Name, m.Email, p.Project.ID, m.Role))
		}
	}
	if len(missing) > 0 {
		fmt.Fprintln(stdout, "\nChannels:")
		for _, s := range missing {
			fmt.Fprintf(stdout, "  - %s\n", s)
		}
	}
	fmt.Fprintln(stdout, "\nCould not be carried over:")
	for _, s := range db.Skipped {
		fmt.Fprintf(stdout, "  - %s\n", s)
	}
	if len(skipped) > 0 {
		fmt.Fprintln(stdout, "  - people: Healthchecks' password hashes are not Overdue's, and a link signs each in; create them with")
		for _, s := range skipped {
			fmt.Fprintf(stdout, "      %s\n", s)
		}
	}
	fmt.Fprintln(stdout, "\nWhat to change so that no client needs editing:")
	fmt.Fprintf(stdout, "  - Ping URLs keep their UUIDs, and slug URLs their ping keys: point the hostname your clients ping\n"+
		"    (Healthchecks' PING_ENDPOINT) at this server, which answers them at %s/ping/.\n", root)
	fmt.Fprintln(stdout, "  - Start overdue serve with --site-root set to Healthchecks' SITE_ROOT (siteRoot on AWS), so the URLs it shows are the old ones.")
	return nil
}
