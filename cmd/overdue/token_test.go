package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/overduehq/overdue/internal/account"
	"github.com/overduehq/overdue/internal/store"
	"github.com/overduehq/overdue/internal/store/sqlite"
)

// TestTokenCommands creates, lists and revokes a personal API token on a data directory, and
// checks against the store that only the token's hash is kept and that revoking removes it.
func TestTokenCommands(t *testing.T) {
	data := t.TempDir()
	if code, _, stderr := runStdin("correct horse battery\n", "user", "create", "--data", data,
		"--email", "alice@example.org", "--password-stdin"); code != 0 {
		t.Fatalf("user create: exit %d, %s", code, stderr)
	}

	// Refused before anything is written.
	for _, args := range [][]string{
		{"token", "create", "--data", data},
		{"token", "create", "--data", data, "--email", "nobody@example.org"},
		{"token", "create", "--data", data, "--email", "alice@example.org", "--name", ""},
		{"token", "revoke", "--data", data, "--email", "alice@example.org"},
		{"token", "revoke", "--data", data, "--email", "alice@example.org", "--id", "no-such-token"},
		{"token", "list", "--data", t.TempDir(), "--email", "alice@example.org"},
	} {
		if code, _, stderr := runIn(args...); code != exitUsage || stderr == "" {
			t.Errorf("%v: exit %d, %q; want a usage error that says why", args, code, stderr)
		}
	}

	code, out, stderr := runIn("token", "create", "--data", data, "--email", "Alice@example.org", "--name", "terraform", "--json")
	if code != 0 {
		t.Fatalf("token create: exit %d, %s", code, stderr)
	}
	var created tokenOutput
	if err := json.Unmarshal([]byte(out), &created); err != nil {
		t.Fatal(err)
	}
	if !account.LooksLikeAPIToken(created.Token) || created.Name != "terraform" || created.User != "alice@example.org" || created.LastUsed != nil {
		t.Errorf("token create = %+v", created)
	}
	code, out, _ = runIn("token", "create", "--data", data, "--email", "alice@example.org")
	if code != 0 || !strings.Contains(out, "Authorization: Bearer") || !strings.Contains(out, "odp_") {
		t.Errorf("token create (text) = %d %q, want the token and how to send it", code, out)
	}

	st, err := sqlite.Open(filepath.Join(data, dbName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := st.People().APITokenByHash(t.Context(), account.HashToken(created.Token))
	if err != nil || tok.ID != created.ID {
		t.Errorf("APITokenByHash(hash of the printed token) = %+v, %v", tok, err)
	}
	st.Close()

	code, out, _ = runIn("token", "list", "--data", data, "--email", "alice@example.org", "--json")
	var list struct{ Tokens []tokenOutput }
	if err := json.Unmarshal([]byte(out), &list); code != 0 || err != nil || len(list.Tokens) != 2 {
		t.Fatalf("token list = %d %q, want two tokens", code, out)
	}
	if strings.Contains(out, created.Token) || list.Tokens[0].Token != "" {
		t.Errorf("token list shows a token: %q", out)
	}

	if code, out, stderr := runIn("token", "revoke", "--data", data, "--email", "alice@example.org", "--id", created.ID); code != 0 || !strings.Contains(out, "revoked") {
		t.Fatalf("token revoke = %d %q %q", code, out, stderr)
	}
	_, out, _ = runIn("token", "list", "--data", data, "--email", "alice@example.org")
	if strings.Contains(out, created.ID) || strings.Count(strings.TrimSpace(out), "\n") != 0 {
		t.Errorf("token list after revoke = %q, want only the other token", out)
	}
}
