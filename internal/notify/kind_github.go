package notify

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// githubKind opens an issue in a GitHub repository when a check goes down, and comments on it and
// closes it when the check comes back up (REST API at https://api.github.com, OVERDUE_URL_GITHUB;
// Authorization: Bearer <token>). The value is {"repo": "owner/name", "token": "<token with
// Issues: read and write>", "labels": ["…"]}: Healthchecks' {"repo", "labels"} with a token in
// place of its GitHub App installation.
//
// The issue carries a hidden marker with the check's UUID in its body; no state is stored. Each
// attempt first lists the repository's open issues and looks for the marker: a down whose issue
// is already open (an earlier attempt's create went through) opens no second one, and an up
// closes the issue it finds, or does nothing when none is open (an earlier attempt closed it).
// The up's comment carries the delivery ID, so a retry after a failed close does not comment
// twice. The list, not the search API, is read because search lags behind new issues.
var githubKind = &kind{
	name:        "github",
	title:       "GitHub",
	base:        "https://api.github.com",
	validate:    func(v string) error { _, err := githubValue(v); return err },
	request:     githubRequest,
	exchange:    githubExchange,
	rateLimited: githubRateLimited,
}

// githubChannel is a github channel's value.
type githubChannel struct {
	Repo   string   `json:"repo"`
	Token  string   `json:"token"`
	Labels []string `json:"labels,omitempty"`
}

// githubRepo is "owner/name" as GitHub allows them.
var githubRepo = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$`)

func githubValue(value string) (githubChannel, error) {
	const want = `send {"repo": "<owner>/<name>", "token": "<a token allowed to write the repository's issues>", "labels": ["<optional label>"]}`
	doc, err := parseObject("github", value, want)
	if err != nil {
		return githubChannel{}, err
	}
	var g githubChannel
	if g.Repo, err = stringField("github", doc, "repo", true, want); err != nil {
		return g, err
	}
	if !githubRepo.MatchString(g.Repo) || strings.HasSuffix(g.Repo, "/.") || strings.HasSuffix(g.Repo, "/..") {
		return g, &ValueError{Kind: "github", Field: "repo", Problem: fmt.Sprintf("%q is not a repository; send it as owner/name, such as octo-org/backups", g.Repo)}
	}
	if g.Token, err = stringField("github", doc, "token", true, want); err != nil {
		return g, err
	}
	if len(g.Token) < 20 || len(g.Token) > 255 || !isToken(g.Token) {
		return g, &ValueError{Kind: "github", Field: "token", Problem: "not a GitHub token; send a fine-grained personal access token (github_pat_…) or another token allowed to write issues"}
	}
	if v, ok := doc["labels"]; ok && v != nil {
		list, ok := v.([]any)
		if !ok {
			return g, &ValueError{Kind: "github", Field: "labels", Problem: `is not a list; send ["label", …] or leave it out`}
		}
		for _, x := range list {
			s, ok := x.(string)
			if !ok || strings.TrimSpace(s) == "" || len(s) > 50 {
				return g, &ValueError{Kind: "github", Field: "labels", Problem: "each label must be a non-empty string of at most 50 characters"}
			}
			g.Labels = append(g.Labels, strings.TrimSpace(s))
		}
	}
	return g, nil
}

// githubHeader are the headers of every request to GitHub.
func githubHeader(token string) http.Header {
	return http.Header{
		"Accept":               {"application/vnd.github+json"},
		"X-Github-Api-Version": {"2022-11-28"},
		"Authorization":        {"Bearer " + token},
	}
}

// githubMarker is the hidden line that ties an issue to its check.
func githubMarker(checkID string) string { return "<!-- overdue-check: " + checkID + " -->" }

// githubDeliveryMarker is the hidden line that ties a comment to its delivery.
func githubDeliveryMarker(id string) string { return "<!-- overdue-delivery: " + id + " -->" }

// githubRequest is the request that carries the message: on down, the issue to open; on up, the
// comment on issue c.Ref.
func githubRequest(c call) (outgoing, error) {
	g, err := githubValue(c.Value)
	if err != nil {
		return outgoing{}, err
	}
	auth := githubHeader(g.Token)
	repo := c.Base + "/repos/" + g.Repo
	var out outgoing
	if c.Card.Down {
		issue := map[string]any{
			"title": excerpt(c.Card.Title, 256),
			"body":  githubMarkdown(c.Card) + "\n" + githubMarker(c.Card.CheckID) + "\n",
		}
		if len(g.Labels) > 0 {
			issue["labels"] = g.Labels
		}
		out, err = postJSON(repo+"/issues", issue)
	} else {
		out, err = postJSON(repo+"/issues/"+c.Ref+"/comments", map[string]any{
			"body": githubMarkdown(c.Card) + "\n" + githubDeliveryMarker(c.Delivery) + "\n",
		})
	}
	for k, vs := range auth {
		out.Header[k] = vs
	}
	return out, err
}

// githubMarkdown is the alert in GitHub Markdown: headline, why, facts, the body in a fence, link.
func githubMarkdown(c card) string {
	var b strings.Builder
	b.WriteString("**" + githubEscape(c.Headline) + "**\n\n")
	if c.Why != "" {
		b.WriteString(githubEscape(c.Why) + "\n\n")
	}
	for _, f := range c.Facts {
		b.WriteString("- **" + githubEscape(f.Label) + ":** " + githubEscape(f.Value) + "\n")
	}
	if c.Body != "" {
		fence := "```"
		for strings.Contains(c.Body, fence) {
			fence += "`"
		}
		b.WriteString("\nLast ping body:\n\n" + fence + "\n" + c.Body + "\n" + fence + "\n")
	}
	if c.URL != "" {
		b.WriteString("\n[View check](" + c.URL + ")\n")
	}
	return b.String()
}

// githubEscape keeps text from being read as Markdown or HTML (a check named "<b>", "@team").
// Underscores and hashes are left alone: inside words they are not Markdown, and URLs hold them.
var githubEscape = strings.NewReplacer(`\`, `\\`, "*", `\*`, "`", "\\`", "<", "&lt;", ">", "&gt;",
	"[", `\[`, "]", `\]`, "@", "@\u200b").Replace

// githubExchange delivers a down or an up as the kind's comment explains.
func githubExchange(c call, do func(outgoing) ([]byte, error)) error {
	g, err := githubValue(c.Value)
	if err != nil {
		return Permanent(err)
	}
	repo := c.Base + "/repos/" + g.Repo
	get := func(u string) outgoing {
		return outgoing{Method: http.MethodGet, URL: u, Header: githubHeader(g.Token)}
	}
	body, err := do(get(repo + "/issues?state=open&per_page=100"))
	if err != nil {
		return err
	}
	var issues []struct {
		Number      int             `json:"number"`
		Body        string          `json:"body"`
		PullRequest json.RawMessage `json:"pull_request"`
	}
	if err := json.Unmarshal(body, &issues); err != nil {
		return errors.New("GitHub: its list of open issues could not be read")
	}
	number := 0
	for _, is := range issues {
		if is.PullRequest == nil && strings.Contains(is.Body, githubMarker(c.Card.CheckID)) {
			number = is.Number
			break
		}
	}
	if c.Card.Down {
		if number != 0 {
			return nil // already open: an earlier attempt opened it, or it was never closed
		}
		out, err := githubRequest(c)
		if err != nil {
			return Permanent(fmt.Errorf("GitHub: %w", err))
		}
		_, err = do(out)
		return err
	}
	if number == 0 {
		return nil // no open issue: an earlier attempt closed it, someone did, or none was opened
	}
	c.Ref = strconv.Itoa(number)
	issue := repo + "/issues/" + c.Ref
	body, err = do(get(issue + "/comments?per_page=100"))
	if err != nil {
		return err
	}
	var comments []struct {
		Body string `json:"body"`
	}
	if err := json.Unmarshal(body, &comments); err != nil {
		return errors.New("GitHub: the issue's comments could not be read")
	}
	commented := false
	for _, cm := range comments {
		if strings.Contains(cm.Body, githubDeliveryMarker(c.Delivery)) {
			commented = true
		}
	}
	if !commented {
		out, err := githubRequest(c)
		if err != nil {
			return Permanent(fmt.Errorf("GitHub: %w", err))
		}
		if _, err := do(out); err != nil {
			return err
		}
	}
	closeReq, _ := json.Marshal(map[string]string{"state": "closed", "state_reason": "completed"})
	h := githubHeader(g.Token)
	h.Set("Content-Type", "application/json")
	_, err = do(outgoing{Method: http.MethodPatch, URL: issue, Header: h, Body: closeReq})
	return err
}

// githubRateLimited: GitHub answers 403 (or 429) to a token over its primary limit
// (X-RateLimit-Remaining: 0) or a secondary limit (Retry-After); any other 403 is a refusal.
func githubRateLimited(code int, h http.Header) bool {
	return code == http.StatusForbidden && (h.Get("Retry-After") != "" || h.Get("X-Ratelimit-Remaining") == "0")
}
