package github

import "strings"

// Webhook payloads, reduced to the fields mobu's apps read. Field names
// follow GitHub's documented payloads of the "push", "pull_request" and
// "check_run" events; decode them with encoding/json after VerifySignature.

// User is an account (a repository owner, a sender).
type User struct {
	Login string `json:"login"`
}

// Org is the organization owning the repository; payloads of repositories
// owned by a user have none.
type Org struct {
	Login string `json:"login"`
}

// Installation is the app installation that received the event.
type Installation struct {
	ID int64 `json:"id"`
}

// Repository is the repository an event happened in.
type Repository struct {
	FullName string `json:"full_name"`
	Name     string `json:"name"`
	CloneURL string `json:"clone_url"`
	HTMLURL  string `json:"html_url"`
	Owner    User   `json:"owner"`
}

// Branch is a pull request's head or base.
type Branch struct {
	SHA string `json:"sha"`
	Ref string `json:"ref"`
}

// PushEvent is a "push" delivery.
type PushEvent struct {
	Ref          string        `json:"ref"`
	Before       string        `json:"before"`
	After        string        `json:"after"`
	Deleted      bool          `json:"deleted"`
	Repository   Repository    `json:"repository"`
	Organization *Org          `json:"organization"`
	Installation *Installation `json:"installation"`
}

// Branch returns the pushed branch, whole (it may contain "/"), when Ref
// is refs/heads/<branch>; tags and other refs give false.
func (e *PushEvent) Branch() (string, bool) {
	b, ok := strings.CutPrefix(e.Ref, "refs/heads/")
	return b, ok && b != ""
}

// PullRequest is the pull request of a PullRequestEvent.
type PullRequest struct {
	Number  int    `json:"number"`
	Head    Branch `json:"head"`
	Base    Branch `json:"base"`
	HTMLURL string `json:"html_url"`
}

// PullRequestEvent is a "pull_request" delivery.
type PullRequestEvent struct {
	Action       string        `json:"action"`
	Number       int           `json:"number"`
	PullRequest  PullRequest   `json:"pull_request"`
	Repository   Repository    `json:"repository"`
	Organization *Org          `json:"organization"`
	Installation *Installation `json:"installation"`
}

// PullRequestRef is a pull request listed in a check suite.
type PullRequestRef struct {
	Number int    `json:"number"`
	Head   Branch `json:"head"`
}

// CheckSuite is the suite of a check run.
type CheckSuite struct {
	// PullRequests match the suite's head branch and SHA; empty for
	// pull requests from forks.
	PullRequests []PullRequestRef `json:"pull_requests"`
}

// CheckRun is the check run of a CheckRunEvent.
type CheckRun struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	HeadSHA    string     `json:"head_sha"`
	CheckSuite CheckSuite `json:"check_suite"`
}

// CheckRunEvent is a "check_run" delivery (mobu acts on "rerequested").
type CheckRunEvent struct {
	Action       string        `json:"action"`
	CheckRun     CheckRun      `json:"check_run"`
	Repository   Repository    `json:"repository"`
	Organization *Org          `json:"organization"`
	Installation *Installation `json:"installation"`
}

// OwnerLogin is the login that owns the repository: the organization's, or
// for a repository owned by a user (no organization in the payload) the
// repository owner's.
func OwnerLogin(org *Org, repo Repository) string {
	if org != nil && org.Login != "" {
		return org.Login
	}
	return repo.Owner.Login
}
