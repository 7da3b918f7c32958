package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/overduehq/overdue/internal/account"
	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/dynamo"
	"github.com/overduehq/overdue/internal/store/sqlite"
)

// peopleOf returns the accounts kept in st.
func peopleOf(st store.Store) (store.People, error) {
	switch s := st.(type) {
	case *sqlite.Store:
		return s.People(), nil
	case *dynamo.Store:
		return s.People(), nil
	}
	return nil, fmt.Errorf("store %T keeps no accounts", st)
}

// accounts is the account service over st, with the real clock and randomness.
func accounts(st store.Store) (*account.Service, error) {
	ppl, err := peopleOf(st)
	if err != nil {
		return nil, err
	}
	return &account.Service{People: ppl, Projects: st, Now: func() time.Time { return time.Now().UTC() },
		Rand: rand.Reader, Params: account.DefaultParams}, nil
}

// requireDatabase refuses, as a usage error, a command that reads accounts from a SQLite data
// directory without a database: opening it would create one, and nothing is there to read.
func (sf *storeFlags) requireDatabase(cmd string) error {
	if err := sf.check(cmd); err != nil {
		return err
	}
	if *sf.kind != "sqlite" {
		return nil
	}
	path := filepath.Join(*sf.data, dbName)
	if info, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) || (err == nil && info.Size() == 0) {
		return usagef("%s: there is no database in %s (point --data at the server's data directory)", cmd, *sf.data)
	}
	return nil
}

// linkRoot is the base of the links a command prints: --site-root if given, else the one the
// last `overdue serve` recorded, else serve's default; note says which when it was not chosen.
func (sf *storeFlags) linkRoot(flag string) (root, note string) {
	if flag != "" {
		return strings.TrimRight(flag, "/"), ""
	}
	if rec := sf.serveRecord(); rec != nil {
		return rec.SiteRoot, fmt.Sprintf("the link uses %s, the site root the last overdue serve recorded; pass --site-root URL to use another", rec.SiteRoot)
	}
	root = "http://" + displayAddr(defaultAddr)
	return root, fmt.Sprintf("the link assumes %s, overdue serve's default; pass --site-root URL if your server listens elsewhere", root)
}

func setPasswordURL(root, token string) string {
	return root + account.SetPasswordPath + token + "/"
}

// readPassword reads the password from the first line of r, without its line ending.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, account.MaxPasswordLen+2)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// userOutput is a user as `user create --json` and `user list --json` print it.
type userOutput struct {
	ID             string             `json:"id"`
	Email          string             `json:"email"`
	Name           string             `json:"name"`
	HasPassword    bool               `json:"has_password"`
	Created        string             `json:"created"`
	Projects       []membershipOutput `json:"projects,omitempty"`
	SetPasswordURL string             `json:"set_password_url,omitempty"`
}

type membershipOutput struct {
	Project string `json:"project,omitempty"`
	User    string `json:"user,omitempty"`
	Email   string `json:"email,omitempty"`
	Name    string `json:"name,omitempty"`
	Role    string `json:"role"`
}

func toUserOutput(u *people.User) userOutput {
	return userOutput{ID: u.ID, Email: u.Email, Name: u.Name, HasPassword: u.HasPassword(),
		Created: u.Created.UTC().Format(time.RFC3339)}
}

// cmdUserCreate is `overdue user create --email E [--name N] [--password-stdin] [--project ID
// --role ROLE] [--site-root URL] [--json]`.
func cmdUserCreate(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("user create")
	stf := addStoreFlags(fs)
	email := fs.String("email", "", "the user's email address (required)")
	name := fs.String("name", "", "display name")
	pwStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input; "+
		"without it, print a one-time link to set one")
	project := fs.String("project", "", "make the user a member of this project (with --role)")
	roleFlag := fs.String("role", "", "the role in --project: owner, manager, member or readonly")
	siteRoot := fs.String("site-root", "", "base URL of the server, for the set-password link")
	asJSON := fs.Bool("json", false, "print the user as JSON")
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return err
	}
	if err := noPositional(fs, pos); err != nil {
		return err
	}
	// Everything about the arguments is checked before the store is opened, so that a refused
	// command leaves nothing behind.
	if *email == "" {
		return usagef("user create: --email is required")
	}
	norm, err := people.NormalizeEmail(*email)
	if err != nil {
		return usagef("user create: --email: %s", err)
	}
	if err := people.ValidateName(*name); err != nil {
		return usagef("user create: --name: %s", err)
	}
	if (*project == "") != (*roleFlag == "") {
		return usagef("user create: --project and --role go together")
	}
	var role people.Role
	if *roleFlag != "" {
		if role, err = people.ParseRole(*roleFlag); err != nil {
			return usagef("user create: --role: %s", err)
		}
	}
	if *siteRoot != "" && !validSiteRoot(*siteRoot) {
		return usagef("user create: --site-root %q: want an http:// or https:// URL", *siteRoot)
	}
	var password string
	if *pwStdin {
		if password, err = readPassword(stdin); err != nil {
			return fmt.Errorf("read the password from standard input: %w", err)
		}
		if err := account.ValidatePassword(password); err != nil {
			return usagef("user create: the password on standard input: %s", err)
		}
	}
	var st store.Store
	if *project != "" {
		st, err = stf.openProject(ctx, fs.Name(), *project)
	} else {
		st, err = stf.open(ctx, fs.Name())
	}
	if err != nil {
		return err
	}
	defer st.Close()
	svc, err := accounts(st)
	if err != nil {
		return err
	}
	created, err := svc.CreateUser(ctx, account.NewUser{Email: norm, Name: *name, Password: password,
		ProjectID: *project, Role: role})
	if errors.Is(err, store.ErrConflict) {
		return usagef("user create: --email %s: a user with this email exists (overdue user reset-password --email %s gives a new password link)", norm, norm)
	}
	if err != nil {
		return err
	}
	out := toUserOutput(created.User)
	if created.Membership != nil {
		out.Projects = []membershipOutput{{Project: created.Membership.ProjectID, Role: string(created.Membership.Role)}}
	}
	if created.LinkToken != "" {
		root, note := stf.linkRoot(*siteRoot)
		if note != "" {
			fmt.Fprintln(stderr, "Note:", note)
		}
		out.SetPasswordURL = setPasswordURL(root, created.LinkToken)
	}
	if *asJSON {
		return writeJSON(stdout, out)
	}
	fmt.Fprintf(stdout, "User %s created (id %s).\n", out.Email, out.ID)
	if created.Membership != nil {
		fmt.Fprintf(stdout, "Member of project %s as %s.\n", created.Membership.ProjectID, created.Membership.Role)
	}
	if out.SetPasswordURL != "" {
		fmt.Fprintf(stdout, "Set the password within %s, once, at:\n  %s\n", durationWords(account.SetPasswordTTL), out.SetPasswordURL)
	}
	return nil
}

func durationWords(d time.Duration) string {
	if d%time.Hour == 0 {
		return fmt.Sprintf("%d hours", d/time.Hour)
	}
	return d.String()
}

// cmdUserList is `overdue user list [--json]`.
func cmdUserList(ctx context.Context, args []string, stdout, _ io.Writer) error {
	fs := newFlags("user list")
	stf := addStoreFlags(fs)
	asJSON := fs.Bool("json", false, "print the users as JSON")
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return err
	}
	if err := noPositional(fs, pos); err != nil {
		return err
	}
	if err := stf.requireDatabase(fs.Name()); err != nil {
		return err
	}
	st, err := stf.open(ctx, fs.Name())
	if err != nil {
		return err
	}
	defer st.Close()
	ppl, err := peopleOf(st)
	if err != nil {
		return err
	}
	users, err := ppl.Users(ctx)
	if err != nil {
		return err
	}
	outs := make([]userOutput, 0, len(users))
	for _, u := range users {
		o := toUserOutput(u)
		ms, err := ppl.Memberships(ctx, u.ID)
		if err != nil {
			return err
		}
		for _, m := range ms {
			o.Projects = append(o.Projects, membershipOutput{Project: m.ProjectID, Role: string(m.Role)})
		}
		outs = append(outs, o)
	}
	if *asJSON {
		return writeJSON(stdout, struct {
			Users []userOutput `json:"users"`
		}{outs})
	}
	if len(outs) == 0 {
		fmt.Fprintln(stdout, "No users yet: create one with overdue user create --email E.")
		return nil
	}
	for _, o := range outs {
		pw := "password set"
		if !o.HasPassword {
			pw = "no password yet"
		}
		fmt.Fprintf(stdout, "%s  %s  %q  %s  created %s\n", o.ID, o.Email, o.Name, pw, o.Created)
		for _, m := range o.Projects {
			fmt.Fprintf(stdout, "    %s  %s\n", m.Project, m.Role)
		}
	}
	return nil
}

// cmdUserResetPassword is `overdue user reset-password --email E [--site-root URL]
// [--remove-second-factors]`: a one-time link to set a new password, printed for whoever holds
// the data directory; with --remove-second-factors, the user's second factors and recovery codes
// go too (a user who has lost them all).
func cmdUserResetPassword(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("user reset-password")
	stf := addStoreFlags(fs)
	email := fs.String("email", "", "the user's email address (required)")
	siteRoot := fs.String("site-root", "", "base URL of the server, for the link")
	removeFactors := fs.Bool("remove-second-factors", false, "also remove the user's second factors and recovery codes "+
		"(a link alone does not get past them)")
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return err
	}
	if err := noPositional(fs, pos); err != nil {
		return err
	}
	if *email == "" {
		return usagef("user reset-password: --email is required")
	}
	norm, err := people.NormalizeEmail(*email)
	if err != nil {
		return usagef("user reset-password: --email: %s", err)
	}
	if *siteRoot != "" && !validSiteRoot(*siteRoot) {
		return usagef("user reset-password: --site-root %q: want an http:// or https:// URL", *siteRoot)
	}
	if err := stf.requireDatabase(fs.Name()); err != nil {
		return err
	}
	st, err := stf.open(ctx, fs.Name())
	if err != nil {
		return err
	}
	defer st.Close()
	svc, err := accounts(st)
	if err != nil {
		return err
	}
	u, token, err := svc.ResetPassword(ctx, norm)
	if errors.Is(err, store.ErrNotFound) {
		return usagef("user reset-password: --email %s: no such user (list them with overdue user list)", norm)
	}
	if err != nil {
		return err
	}
	if *removeFactors {
		n, err := svc.RemoveSecondFactors(ctx, u.ID)
		if err != nil {
			return fmt.Errorf("remove the second factors of %s (the link below works, but asks for them): %w", u.Email, err)
		}
		fmt.Fprintf(stdout, "Removed %s of %s, and the recovery codes: signing in takes the password alone.\n",
			countWords(n, "second factor"), u.Email)
	} else if factors, err := svc.People.SecondFactors(ctx, u.ID); err == nil && len(factors) > 0 {
		fmt.Fprintf(stdout, "%s has %s: signing in after the link still asks for one "+
			"(--remove-second-factors removes them).\n", u.Email, countWords(len(factors), "second factor"))
	}
	root, note := stf.linkRoot(*siteRoot)
	if note != "" {
		fmt.Fprintln(stderr, "Note:", note)
	}
	fmt.Fprintf(stdout, "Set a new password for %s within %s, once, at:\n  %s\n", u.Email,
		durationWords(account.SetPasswordTTL), setPasswordURL(root, token))
	fmt.Fprintln(stdout, "The current password keeps working until the link is used.")
	return nil
}

// cmdProjectMembers is `overdue project members --project ID [--json]`.
func cmdProjectMembers(ctx context.Context, args []string, stdout, _ io.Writer) error {
	fs := newFlags("project members")
	stf := addStoreFlags(fs)
	project := fs.String("project", "", "project ID (required)")
	asJSON := fs.Bool("json", false, "print the members as JSON")
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return err
	}
	if err := noPositional(fs, pos); err != nil {
		return err
	}
	st, err := stf.openProject(ctx, fs.Name(), *project)
	if err != nil {
		return err
	}
	defer st.Close()
	ppl, err := peopleOf(st)
	if err != nil {
		return err
	}
	ms, err := ppl.Members(ctx, *project)
	if err != nil {
		return err
	}
	outs := make([]membershipOutput, 0, len(ms))
	for _, m := range ms {
		o := membershipOutput{User: m.UserID, Role: string(m.Role)}
		if u, err := ppl.User(ctx, m.UserID); err == nil {
			o.Email, o.Name = u.Email, u.Name
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		outs = append(outs, o)
	}
	if *asJSON {
		return writeJSON(stdout, struct {
			Members []membershipOutput `json:"members"`
		}{outs})
	}
	if len(outs) == 0 {
		fmt.Fprintf(stdout, "Project %s has no members yet: add one with overdue user create --email E --project %s --role owner.\n", *project, *project)
		return nil
	}
	for _, o := range outs {
		fmt.Fprintf(stdout, "%-8s  %s  %q  %s\n", o.Role, o.Email, o.Name, o.User)
	}
	return nil
}

// countWords is "1 thing" or "n things".
func countWords(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
