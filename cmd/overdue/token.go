package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/overduehq/overdue/internal/people"
	"github.com/overduehq/overdue/internal/store"
)

// tokenOutput is a personal API token as the CLI prints it; Token only when created.
type tokenOutput struct {
	ID       string  `json:"id"`
	Name     string  `json:"name"`
	User     string  `json:"user"`
	Created  string  `json:"created"`
	LastUsed *string `json:"last_used"`
	Token    string  `json:"token,omitempty"`
}

func toTokenOutput(t *people.APIToken, email string) tokenOutput {
	o := tokenOutput{ID: t.ID, Name: t.Name, User: email, Created: t.Created.UTC().Format(time.RFC3339)}
	if !t.LastUsed.IsZero() {
		s := t.LastUsed.UTC().Format(time.RFC3339)
		o.LastUsed = &s
	}
	return o
}

// tokenUser opens the store and finds the user of --email for a token command.
func tokenUser(ctx context.Context, stf *storeFlags, cmd, email string) (store.Store, *people.User, error) {
	if email == "" {
		return nil, nil, usagef("%s: --email is required", cmd)
	}
	norm, err := people.NormalizeEmail(email)
	if err != nil {
		return nil, nil, usagef("%s: --email: %s", cmd, err)
	}
	if err := stf.requireDatabase(cmd); err != nil {
		return nil, nil, err
	}
	st, err := stf.open(ctx, cmd)
	if err != nil {
		return nil, nil, err
	}
	ppl, err := peopleOf(st)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	u, err := ppl.UserByEmail(ctx, norm)
	if errors.Is(err, store.ErrNotFound) {
		st.Close()
		return nil, nil, usagef("%s: --email %s: no such user (list them with overdue user list)", cmd, norm)
	}
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, u, nil
}

// cmdTokenCreate is `overdue token create --email E [--name N] [--json]`: a personal API token,
// printed once.
func cmdTokenCreate(ctx context.Context, args []string, stdout, _ io.Writer) error {
	fs := newFlags("token create")
	stf := addStoreFlags(fs)
	email := fs.String("email", "", "the user the token acts as (required)")
	name := fs.String("name", "cli", "what the token is for, to tell tokens apart")
	asJSON := fs.Bool("json", false, "print the token as JSON")
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return err
	}
	if err := noPositional(fs, pos); err != nil {
		return err
	}
	probe := people.APIToken{ID: "x", Hash: "x", UserID: "x", Name: *name}
	if err := probe.Validate(); err != nil {
		return usagef("token create: --name: %s", err)
	}
	st, u, err := tokenUser(ctx, stf, fs.Name(), *email)
	if err != nil {
		return err
	}
	defer st.Close()
	svc, err := accounts(st)
	if err != nil {
		return err
	}
	tok, t, err := svc.CreateAPIToken(ctx, u.ID, *name)
	if err != nil {
		return err
	}
	out := toTokenOutput(t, u.Email)
	out.Token = tok
	if *asJSON {
		return writeJSON(stdout, out)
	}
	fmt.Fprintf(stdout, "Token %q for %s created (id %s):\n  %s\n", t.Name, u.Email, t.ID, tok)
	fmt.Fprintln(stdout, "Send it as 'Authorization: Bearer <token>'. It is stored only as a hash: keep it now, it cannot be shown again.")
	return nil
}

// cmdTokenList is `overdue token list --email E [--json]`.
func cmdTokenList(ctx context.Context, args []string, stdout, _ io.Writer) error {
	fs := newFlags("token list")
	stf := addStoreFlags(fs)
	email := fs.String("email", "", "the user whose tokens to list (required)")
	asJSON := fs.Bool("json", false, "print the tokens as JSON")
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return err
	}
	if err := noPositional(fs, pos); err != nil {
		return err
	}
	st, u, err := tokenUser(ctx, stf, fs.Name(), *email)
	if err != nil {
		return err
	}
	defer st.Close()
	ppl, err := peopleOf(st)
	if err != nil {
		return err
	}
	list, err := ppl.APITokens(ctx, u.ID)
	if err != nil {
		return err
	}
	outs := make([]tokenOutput, 0, len(list))
	for _, t := range list {
		outs = append(outs, toTokenOutput(t, u.Email))
	}
	if *asJSON {
		return writeJSON(stdout, struct {
			Tokens []tokenOutput `json:"tokens"`
		}{outs})
	}
	if len(outs) == 0 {
		fmt.Fprintf(stdout, "%s has no tokens: create one with overdue token create --email %s.\n", u.Email, u.Email)
		return nil
	}
	for _, o := range outs {
		used := "never used"
		if o.LastUsed != nil {
			used = "last used " + *o.LastUsed
		}
		fmt.Fprintf(stdout, "%s  %q  created %s  %s\n", o.ID, o.Name, o.Created, used)
	}
	return nil
}

// cmdTokenRevoke is `overdue token revoke --email E --id ID`.
func cmdTokenRevoke(ctx context.Context, args []string, stdout, _ io.Writer) error {
	fs := newFlags("token revoke")
	stf := addStoreFlags(fs)
	email := fs.String("email", "", "the token's user (required)")
	id := fs.String("id", "", "the token's ID, from overdue token list (required)")
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return err
	}
	if err := noPositional(fs, pos); err != nil {
		return err
	}
	if *id == "" {
		return usagef("token revoke: --id is required (overdue token list --email E shows them)")
	}
	st, u, err := tokenUser(ctx, stf, fs.Name(), *email)
	if err != nil {
		return err
	}
	defer st.Close()
	ppl, err := peopleOf(st)
	if err != nil {
		return err
	}
	err = ppl.RevokeAPIToken(ctx, u.ID, *id)
	if errors.Is(err, store.ErrNotFound) {
		return usagef("token revoke: %s has no token with id %s (overdue token list --email %s shows them)", u.Email, *id, u.Email)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Token %s of %s revoked.\n", *id, u.Email)
	return nil
}
