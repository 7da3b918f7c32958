package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/overduehq/overdue/internal/seal"
)

// secretEnv overrides the secret file, for installs that keep secrets out of the data directory.
const secretEnv = "OVERDUE_SECRET_KEY"

// loadSecret returns the server's signing secret (badge URLs, webhook signatures): the value of
// OVERDUE_SECRET_KEY if set, else the hex key in DIR/secret.key, created with 32 random bytes on
// first use and readable by the owner only. It must survive restarts: published badge URLs are
// signed with it.
func loadSecret(dir string) ([]byte, error) {
	if v := os.Getenv(secretEnv); v != "" {
		if len(v) < 16 {
			return nil, usagef("%s is %d characters: use at least 16 random characters", secretEnv, len(v))
		}
		return []byte(v), nil
	}
	path := filepath.Join(dir, "secret.key")
	b, err := os.ReadFile(path)
	if err == nil {
		key := strings.TrimSpace(string(b))
		if len(key) < 32 {
			return nil, fmt.Errorf("%s holds %d characters, want at least 32: restore it from a backup, or delete it to make a new one (published badge URLs then change)", path, len(key))
		}
		return []byte(key), nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read secret: %w", err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("generate secret: %w", err)
	}
	key := hex.EncodeToString(raw)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	// O_EXCL: two processes starting at once must not each write a different key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return loadSecret(dir)
	}
	if err != nil {
		return nil, fmt.Errorf("create secret: %w", err)
	}
	if _, err := f.WriteString(key + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("write secret: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("write secret: %w", err)
	}
	return []byte(key), nil
}

// sqliteBox seals the channel values of the SQLite store in dir under the server's secret
// (loadSecret), loaded the first time a channel is written or read, so that commands that never
// touch a channel never need it.
func sqliteBox(dir string) *seal.Box {
	return seal.Deferred(func() ([]byte, error) { return loadSecret(dir) })
}

// dynamoBox seals the channel values of a DynamoDB table under OVERDUE_SECRET_KEY, which must
// be the secret the stage's functions use: no file is made up for it, since a secret that is
// not the functions' would seal values they cannot open.
func dynamoBox(table string) *seal.Box {
	return seal.Deferred(func() ([]byte, error) {
		v := os.Getenv(secretEnv)
		if v == "" {
			return nil, fmt.Errorf("channel values of table %s are sealed under the stage's secret: set %s to it "+
				"(aws secretsmanager get-secret-value --secret-id <the stack's SigningSecret ARN> --query SecretString --output text)",
				table, secretEnv)
		}
		return []byte(v), nil
	})
}

// box is the seal.Box of the chosen store's channel values.
func (sf *storeFlags) box() *seal.Box {
	if *sf.kind == "dynamodb" {
		return dynamoBox(*sf.table)
	}
	return sqliteBox(*sf.data)
}
