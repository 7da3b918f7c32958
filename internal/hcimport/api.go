package hcimport

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/overduehq/overdue/internal/check"
)

// apiCheck is a check as Healthchecks' management API v3 shows it to a read-write key
// (healthchecks-observed.md §4). Older releases send subject and subject_fail instead of the
// keyword fields.
type apiCheck struct {
	Name              string  `json:"name"`
	Slug              string  `json:"slug"`
	Tags              string  `json:"tags"`
	Desc              string  `json:"desc"`
	Grace             int64   `json:"grace"`
	NPings            int     `json:"n_pings"`
	Status            string  `json:"status"`
	LastPing          *string `json:"last_ping"`
	ManualResume      bool    `json:"manual_resume"`
	Methods           string  `json:"methods"`
	Subject           string  `json:"subject"`
	SubjectFail       string  `json:"subject_fail"`
	StartKw           *string `json:"start_kw"`
	SuccessKw         *string `json:"success_kw"`
	FailureKw         *string `json:"failure_kw"`
	FilterSubject     bool    `json:"filter_subject"`
	FilterBody        bool    `json:"filter_body"`
	FilterHTTPBody    bool    `json:"filter_http_body"`
	FilterDefaultFail bool    `json:"filter_default_fail"`
	BadgeURL          string  `json:"badge_url"`
	UUID              string  `json:"uuid"`
	UniqueKey         string  `json:"unique_key"`
	Channels          string  `json:"channels"`
	Timeout           *int64  `json:"timeout"`
	Schedule          *string `json:"schedule"`
	TZ                *string `json:"tz"`
}

// loopback reports whether host names this machine: localhost, or a loopback address.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// FromAPI reads a project through Healthchecks' management API v3: GET /api/v3/checks/ and
// GET /api/v3/channels/ at base (the site root, such as https://healthchecks.io) with the
// project's read-write API key. Checks Overdue cannot take are left out and named in Skipped.
// The key goes only over https, or over http to this machine (a Healthchecks on localhost).
func FromAPI(ctx context.Context, client *http.Client, base, apiKey string) (*Source, error) {
	base = strings.TrimRight(base, "/")
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--url %q: want the site root of a Healthchecks, such as https://healthchecks.io", base)
	}
	if u.Scheme == "http" && !loopback(u.Hostname()) {
		return nil, fmt.Errorf("--url %q: the API key would cross the network in clear text; use https:// "+
			"(http:// is accepted only for a Healthchecks on this machine: localhost, 127.0.0.1, ::1)", base)
	}
	var checks struct {
		Checks []apiCheck `json:"checks"`
	}
	if err := getJSON(ctx, client, base+"/api/v3/checks/", apiKey, &checks); err != nil {
		return nil, err
	}
	for _, ac := range checks.Checks {
		if ac.UUID == "" {
			return nil, errors.New("Healthchecks listed the checks without their UUIDs: the key is a read-only key (hcr_…); " +
				"use the project's read-write key (Settings → API Access in Healthchecks)")
		}
	}
	var chans struct {
		Channels []Channel `json:"channels"`
	}
	if err := getJSON(ctx, client, base+"/api/v3/channels/", apiKey, &chans); err != nil {
		return nil, err
	}
	src := &Source{Origin: u.Host, Channels: chans.Channels}
	for _, ac := range checks.Checks {
		f, err := ac.fields()
		if err == nil {
			var c *check.Check
			if c, err = newCheck(f); err == nil {
				src.Checks = append(src.Checks, c)
				continue
			}
		}
		src.Skipped = append(src.Skipped, fmt.Sprintf("check %s (%q): %v", ac.UUID, ac.Name, err))
	}
	src.Skipped = append(src.Skipped,
		"ping history and status changes: Healthchecks' API lists them per check but cannot bring back their bodies; the checks keep their ping count and last ping (import from the database file, --db, for the history)",
		"the project's ping key: the API does not reveal it, so slug URLs (/ping/<ping key>/<slug>) need the new project's ping key, or import with --db")
	return src, nil
}

func (ac apiCheck) fields() (checkFields, error) {
	f := checkFields{UUID: ac.UUID, Name: ac.Name, Slug: ac.Slug, Tags: ac.Tags, Desc: ac.Desc, Grace: ac.Grace,
		Methods: ac.Methods, ManualResume: ac.ManualResume, FilterSubject: ac.FilterSubject, FilterBody: ac.FilterBody,
		FilterHTTPBody: ac.FilterHTTPBody, FilterDefaultFail: ac.FilterDefaultFail, Status: ac.Status, NPings: ac.NPings}
	// Releases before the keyword fields had subject and subject_fail, meaning the same.
	f.SuccessKw, f.FailureKw = ac.Subject, ac.SubjectFail
	if ac.StartKw != nil {
		f.StartKw = *ac.StartKw
	}
	if ac.SuccessKw != nil {
		f.SuccessKw = *ac.SuccessKw
	}
	if ac.FailureKw != nil {
		f.FailureKw = *ac.FailureKw
	}
	switch {
	case ac.Schedule != nil:
		f.Schedule = *ac.Schedule
		f.TZ = "UTC"
		if ac.TZ != nil {
			f.TZ = *ac.TZ
		}
	case ac.Timeout != nil:
		f.Timeout = *ac.Timeout
	default:
		return f, errors.New("neither timeout nor schedule")
	}
	if ac.LastPing != nil {
		t, err := time.Parse(time.RFC3339, *ac.LastPing)
		if err != nil {
			return f, fmt.Errorf("last_ping %q is not an ISO 8601 instant", *ac.LastPing)
		}
		f.LastPing = t.UTC()
	}
	if ac.Channels != "" {
		f.Channels = strings.Split(ac.Channels, ",")
	}
	f.BadgeKey = badgeKey(ac.BadgeURL)
	return f, nil
}

// badgeKey is the check's badge key from its badge URL, <site>/b/2/<key>.svg, or "".
func badgeKey(u string) string {
	_, rest, ok := strings.Cut(u, "/b/2/")
	if !ok {
		return ""
	}
	key, ok := strings.CutSuffix(rest, ".svg")
	if !ok || strings.ContainsAny(key, "/?#") {
		return ""
	}
	return key
}

// getJSON GETs u with the key and decodes a 200 answer into v. A refusal says what to do;
// the key never appears in an error.
func getJSON(ctx context.Context, client *http.Client, u, apiKey string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("X-Api-Key", apiKey)
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("Healthchecks at %s could not be reached: %w", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("read the answer of GET %s: %w", u, err)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		var e struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal(body, &e)
		return fmt.Errorf("Healthchecks refused the API key (401 %q) at GET %s: pass the project's read-write key "+
			"(Settings → API Access; it starts with hcw_), and --url the site root the key belongs to", e.Error, u)
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("GET %s answered %s: is --url the site root of a Healthchecks (v2.0 or newer, for API v3)?", u, resp.Status)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("GET %s: the answer is not the JSON Healthchecks sends: %w", u, err)
	}
	return nil
}
