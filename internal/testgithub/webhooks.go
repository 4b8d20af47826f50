package testgithub

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Sign returns the X-Hub-Signature-256 header GitHub sends for body:
// "sha256=" and the hex HMAC-SHA256 of body keyed by secret.
func Sign(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Event describes the repository and installation of a webhook payload.
type Event struct {
	Owner, Repo string
	// OrgOwned adds organization{login: Owner}; false is a repository
	// owned by a user, whose payloads have no "organization".
	OrgOwned bool
	// InstallationID fills installation{id}; 0 omits "installation".
	InstallationID int64
	// HTMLURL is repository.html_url (default https://github.com/<owner>/<repo>);
	// clone_url is HTMLURL + ".git".
	HTMLURL string
	// Sender is sender.login (default "octocat").
	Sender string
}

// PR is a pull request in a payload.
type PR struct {
	Number           int
	HeadSHA, HeadRef string
	BaseSHA, BaseRef string // BaseRef defaults to "main"
}

// CheckRunInfo is the check run of a check_run payload.
type CheckRunInfo struct {
	ID            int64
	Name, HeadSHA string
	HeadBranch    string
	PullRequests  []PR
}

const zeroSHA = "0000000000000000000000000000000000000000"

// PullRequestPayload is a "pull_request" delivery with action (opened,
// synchronize, reopened, …) for pr.
func PullRequestPayload(e Event, action string, pr PR) []byte {
	repo := e.repository(false)
	p := e.common(repo)
	p["action"] = action
	p["number"] = pr.Number
	p["pull_request"] = map[string]any{
		"url": fmt.Sprintf("https://api.github.com/repos/%s/%s/pulls/%d", e.Owner, e.Repo, pr.Number),
		"id":  9000 + pr.Number, "node_id": fmt.Sprintf("PR_%d", pr.Number),
		"html_url": fmt.Sprintf("%s/pull/%d", e.htmlURL(), pr.Number),
		"number":   pr.Number, "state": "open", "locked": false, "draft": false, "merged": false,
		"title": "Update notebooks", "body": nil, "user": e.sender(),
		"head": e.branch(pr.HeadRef, pr.HeadSHA, repo),
		"base": e.branch(pr.baseRef(), pr.BaseSHA, repo),
	}
	if action == "synchronize" {
		p["before"], p["after"] = zeroSHA, pr.HeadSHA
	}
	return marshal(p)
}

// CheckRunRerequestedPayload is a "check_run" delivery with action
// rerequested (a user asked to re-run run).
func CheckRunRerequestedPayload(e Event, run CheckRunInfo) []byte {
	repo := e.repository(false)
	p := e.common(repo)
	prs := make([]map[string]any, 0, len(run.PullRequests))
	for _, pr := range run.PullRequests {
		prs = append(prs, map[string]any{
			"url": fmt.Sprintf("https://api.github.com/repos/%s/%s/pulls/%d", e.Owner, e.Repo, pr.Number),
			"id":  9000 + pr.Number, "number": pr.Number,
			"head": map[string]any{"ref": pr.HeadRef, "sha": pr.HeadSHA, "repo": shortRepo(repo)},
			"base": map[string]any{"ref": pr.baseRef(), "sha": pr.BaseSHA, "repo": shortRepo(repo)},
		})
	}
	app := map[string]any{"id": 1, "slug": "mobu", "name": "mobu"}
	now := time.Now().UTC().Format(time.RFC3339)
	p["action"] = "rerequested"
	p["check_run"] = map[string]any{
		"id": run.ID, "node_id": fmt.Sprintf("CR_%d", run.ID), "name": run.Name, "head_sha": run.HeadSHA,
		"external_id": "", "status": "completed", "conclusion": "failure",
		"url":      fmt.Sprintf("https://api.github.com/repos/%s/%s/check-runs/%d", e.Owner, e.Repo, run.ID),
		"html_url": fmt.Sprintf("%s/runs/%d", e.htmlURL(), run.ID), "details_url": nil,
		"started_at": now, "completed_at": now,
		"output": map[string]any{"title": run.Name, "summary": "", "text": nil, "annotations_count": 0},
		"check_suite": map[string]any{
			"id": run.ID * 10, "head_branch": run.HeadBranch, "head_sha": run.HeadSHA,
			"status": "queued", "conclusion": nil, "pull_requests": prs, "app": app,
		},
		"app": app, "pull_requests": prs,
	}
	return marshal(p)
}

// PushPayload is a "push" delivery of ref (refs/heads/<branch> or
// refs/tags/<tag>) from before to after; an all-zero after is a deletion.
func PushPayload(e Event, ref, before, after string) []byte {
	p := e.common(e.repository(true))
	deleted := after == zeroSHA
	p["ref"], p["before"], p["after"] = ref, before, after
	p["created"], p["deleted"], p["forced"] = before == zeroSHA, deleted, false
	p["base_ref"] = nil
	p["compare"] = fmt.Sprintf("%s/compare/%s...%s", e.htmlURL(), short(before), short(after))
	p["commits"] = []any{}
	p["head_commit"] = nil
	if !deleted {
		p["head_commit"] = map[string]any{"id": after, "tree_id": after, "distinct": true,
			"message": "Update notebooks", "timestamp": time.Now().UTC().Format(time.RFC3339)}
	}
	p["pusher"] = map[string]any{"name": e.senderLogin(), "email": e.senderLogin() + "@example.com"}
	return marshal(p)
}

// common holds repository, organization, installation and sender.
func (e Event) common(repo map[string]any) map[string]any {
	p := map[string]any{"repository": repo, "sender": e.sender()}
	if e.OrgOwned {
		p["organization"] = map[string]any{"login": e.Owner, "id": 2000, "node_id": "O_2000",
			"url": "https://api.github.com/orgs/" + e.Owner}
	}
	if e.InstallationID != 0 {
		p["installation"] = map[string]any{"id": e.InstallationID, "node_id": fmt.Sprintf("I_%d", e.InstallationID)}
	}
	return p
}

// repository is the repository object; push payloads carry Unix times.
func (e Event) repository(push bool) map[string]any {
	ownerType := "User"
	if e.OrgOwned {
		ownerType = "Organization"
	}
	owner := map[string]any{"login": e.Owner, "id": 2000, "type": ownerType}
	var created, pushed any = "2020-01-01T00:00:00Z", time.Now().UTC().Format(time.RFC3339)
	if push {
		owner["name"], owner["email"] = e.Owner, nil
		created, pushed = 1577836800, time.Now().Unix()
	}
	return map[string]any{
		"id": 3000, "node_id": "R_3000", "name": e.Repo, "full_name": e.Owner + "/" + e.Repo,
		"private": false, "owner": owner, "html_url": e.htmlURL(), "fork": false,
		"url":       fmt.Sprintf("https://api.github.com/repos/%s/%s", e.Owner, e.Repo),
		"clone_url": e.htmlURL() + ".git", "default_branch": "main",
		"git_url":    fmt.Sprintf("git://github.com/%s/%s.git", e.Owner, e.Repo),
		"ssh_url":    fmt.Sprintf("git@github.com:%s/%s.git", e.Owner, e.Repo),
		"created_at": created, "pushed_at": pushed,
	}
}

func (e Event) branch(ref, sha string, repo map[string]any) map[string]any {
	return map[string]any{"label": e.Owner + ":" + ref, "ref": ref, "sha": sha,
		"user": map[string]any{"login": e.Owner}, "repo": repo}
}

func (e Event) htmlURL() string {
	if e.HTMLURL != "" {
		return strings.TrimSuffix(e.HTMLURL, "/")
	}
	return fmt.Sprintf("https://github.com/%s/%s", e.Owner, e.Repo)
}

func (e Event) senderLogin() string {
	if e.Sender != "" {
		return e.Sender
	}
	return "octocat"
}

func (e Event) sender() map[string]any {
	return map[string]any{"login": e.senderLogin(), "id": 1, "type": "User"}
}

func (pr PR) baseRef() string {
	if pr.BaseRef != "" {
		return pr.BaseRef
	}
	return "main"
}

func shortRepo(repo map[string]any) map[string]any {
	return map[string]any{"id": repo["id"], "url": repo["url"], "name": repo["name"]}
}

func short(sha string) string { return sha[:min(len(sha), 12)] }

func marshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("testgithub: marshalling payload: %v", err)) // maps of plain values cannot fail
	}
	return b
}
