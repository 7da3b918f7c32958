package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// defaultAddr is where `overdue serve` listens unless --addr says otherwise.
const defaultAddr = "127.0.0.1:8000"

// serveRecordName is the file in the data directory where `overdue serve` writes, at every
// start, what the other commands cannot find in the store: the site root its ping URLs use and
// the channel kinds it cannot deliver. `check create` prints ping URLs with that site root, and
// `channel add` warns about a kind the server cannot deliver. It is a hint about the last start,
// never a lock or a liveness signal: a stopped server's record stays, and the next start
// rewrites it.
const serveRecordName = "serve.json"

// serveRecord is the content of serve.json.
type serveRecord struct {
	SiteRoot string `json:"site_root"`
	// Store and Table say which store the server served, so a command pointed at another store
	// ignores the record.
	Store string `json:"store"`
	Table string `json:"table,omitempty"`
	// Undeliverable maps each channel kind the server had no transport for to why and how to
	// enable it.
	Undeliverable map[string]string `json:"undeliverable"`
}

// recordServe writes rec to dir/serve.json, atomically. Failing to is worth a warning, not a
// refusal to start: the record only spares the other commands a --site-root.
func recordServe(dir string, rec serveRecord, logger *slog.Logger) {
	b, err := json.MarshalIndent(rec, "", "  ")
	if err == nil {
		tmp := filepath.Join(dir, serveRecordName+".tmp")
		if err = os.WriteFile(tmp, append(b, '\n'), 0o644); err == nil {
			err = os.Rename(tmp, filepath.Join(dir, serveRecordName))
		}
	}
	if err != nil && logger != nil {
		logger.Warn("could not record the site root for other overdue commands; they will need --site-root",
			"error", err.Error())
	}
}

// serveRecord reads the record of the last `overdue serve` in the data directory, if there is
// one and it served the store sf chooses; nil otherwise.
func (sf *storeFlags) serveRecord() *serveRecord {
	b, err := os.ReadFile(filepath.Join(*sf.data, serveRecordName))
	if err != nil {
		return nil
	}
	var rec serveRecord
	if json.Unmarshal(b, &rec) != nil || rec.Store != *sf.kind || rec.Table != *sf.table || !validSiteRoot(rec.SiteRoot) {
		return nil
	}
	return &rec
}

// siteRoot is the base of the ping URLs a command prints: --site-root if given (flag), else the
// one the last `overdue serve` on this store recorded, else serve's default. The note says which
// one it is and how to change it when the user did not choose it; "" when they did.
func (sf *storeFlags) siteRoot(flag string) (root, note string) {
	if flag != "" {
		return strings.TrimRight(flag, "/"), ""
	}
	where := filepath.Join(*sf.data, serveRecordName)
	if rec := sf.serveRecord(); rec != nil {
		return rec.SiteRoot, fmt.Sprintf("ping URLs use %s, the site root recorded in %s by the last overdue serve; "+
			"pass --site-root URL to use another", rec.SiteRoot, where)
	}
	root = "http://" + displayAddr(defaultAddr)
	return root, fmt.Sprintf("ping URLs assume %s, overdue serve's default (no site root recorded in %s); "+
		"pass --site-root URL if your server listens elsewhere", root, where)
}

// validSiteRoot reports whether s is an http or https base URL.
func validSiteRoot(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}
