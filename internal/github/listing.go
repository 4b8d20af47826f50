package github

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	gh "github.com/google/go-github/v88/github"
)

// listPerPage is the page size of the listings below (GitHub's maximum).
const listPerPage = 100

// AppInstallation is one installation of the app.
type AppInstallation struct {
	ID      int64
	Account string // the organization's or user's login
}

// InstalledRepo is a repository an installation can access.
type InstalledRepo struct {
	Repo
	CloneURL string
}

// OpenPullRequest is an open pull request's number and head commit.
type OpenPullRequest struct {
	Number  int
	HeadSHA string
}

// ListedCheckRun is a check run as listed for a commit.
type ListedCheckRun struct {
	ID      int64
	Name    string
	Status  string // queued|in_progress|completed
	AppID   int64  // the app that created it
	HeadSHA string
}

// Installations lists the app's installations (GET /app/installations,
// authenticated with the app's JWT), at most limit of them (0: all).
func (a *App) Installations(ctx context.Context, limit int) ([]AppInstallation, error) {
	return paginate(limit, func(page int) ([]AppInstallation, int, error) {
		op := fmt.Sprintf("GET /app/installations?per_page=%d&page=%d", listPerPage, page)
		list, resp, err := a.asApp.Apps.ListInstallations(ctx, &gh.ListOptions{PerPage: listPerPage, Page: page})
		if err != nil {
			return nil, 0, apiError(op, resp, err)
		}
		out := make([]AppInstallation, 0, len(list))
		for _, i := range list {
			out = append(out, AppInstallation{ID: i.GetID(), Account: i.GetAccount().GetLogin()})
		}
		return out, resp.NextPage, nil
	})
}

// InstallationRepos lists the repositories installation id can access (GET
// /installation/repositories, with its token), at most limit (0: all).
func (a *App) InstallationRepos(ctx context.Context, id int64, limit int) ([]InstalledRepo, error) {
	return paginate(limit, func(page int) ([]InstalledRepo, int, error) {
		op := fmt.Sprintf("GET /installation/repositories?per_page=%d&page=%d", listPerPage, page)
		var (
			list *gh.ListRepositories
			next int
		)
		err := a.callInstallation(ctx, id, op, func(c *gh.Client) (*gh.Response, error) {
			var resp *gh.Response
			var err error
			list, resp, err = c.Apps.ListRepos(ctx, &gh.ListOptions{PerPage: listPerPage, Page: page})
			if resp != nil {
				next = resp.NextPage
			}
			return resp, err
		})
		if err != nil {
			return nil, 0, err
		}
		out := make([]InstalledRepo, 0, len(list.Repositories))
		for _, r := range list.Repositories {
			out = append(out, InstalledRepo{CloneURL: r.GetCloneURL(),
				Repo: Repo{InstallationID: id, Owner: r.GetOwner().GetLogin(), Name: r.GetName()}})
		}
		return out, next, nil
	})
}

// OpenPullRequests lists a repository's open pull requests (GET
// /repos/{owner}/{repo}/pulls?state=open), at most limit (0: all).
func (a *App) OpenPullRequests(ctx context.Context, r Repo, limit int) ([]OpenPullRequest, error) {
	return paginate(limit, func(page int) ([]OpenPullRequest, int, error) {
		op := fmt.Sprintf("GET /%s/pulls?state=open&per_page=%d&page=%d", r.repoPath(), listPerPage, page)
		opts := &gh.PullRequestListOptions{State: "open", ListOptions: gh.ListOptions{PerPage: listPerPage, Page: page}}
		var (
			list []*gh.PullRequest
			next int
		)
		err := a.call(ctx, r, op, func(c *gh.Client) (*gh.Response, error) {
			var resp *gh.Response
			var err error
			list, resp, err = c.PullRequests.List(ctx, r.Owner, r.Name, opts)
			if resp != nil {
				next = resp.NextPage
			}
			return resp, err
		})
		if err != nil {
			return nil, 0, err
		}
		out := make([]OpenPullRequest, 0, len(list))
		for _, p := range list {
			out = append(out, OpenPullRequest{Number: p.GetNumber(), HeadSHA: p.GetHead().GetSHA()})
		}
		return out, next, nil
	})
}

// PendingCheckRuns lists this app's latest check runs called name on
// commit sha that are queued or in progress (GET
// /repos/{owner}/{repo}/commits/{sha}/check-runs?check_name=…&filter=latest&app_id=…).
func (a *App) PendingCheckRuns(ctx context.Context, r Repo, sha, name string) ([]ListedCheckRun, error) {
	all, err := paginate(0, func(page int) ([]ListedCheckRun, int, error) {
		op := fmt.Sprintf("GET /%s/commits/%s/check-runs?check_name=%s&filter=latest&app_id=%d&per_page=%d&page=%d",
			r.repoPath(), url.PathEscape(sha), url.QueryEscape(name), a.appID, listPerPage, page)
		opts := &gh.ListCheckRunsOptions{CheckName: &name, Filter: gh.Ptr("latest"), AppID: &a.appID,
			ListOptions: gh.ListOptions{PerPage: listPerPage, Page: page}}
		var (
			list *gh.ListCheckRunsResults
			next int
		)
		err := a.call(ctx, r, op, func(c *gh.Client) (*gh.Response, error) {
			var resp *gh.Response
			var err error
			list, resp, err = c.Checks.ListCheckRunsForRef(ctx, r.Owner, r.Name, sha, opts)
			if resp != nil {
				next = resp.NextPage
			}
			return resp, err
		})
		if err != nil {
			return nil, 0, err
		}
		out := make([]ListedCheckRun, 0, len(list.CheckRuns))
		for _, c := range list.CheckRuns {
			out = append(out, ListedCheckRun{ID: c.GetID(), Name: c.GetName(), Status: c.GetStatus(),
				AppID: c.GetApp().GetID(), HeadSHA: c.GetHeadSHA()})
		}
		return out, next, nil
	})
	if err != nil {
		return nil, err
	}
	// The query already filters; the same filter here keeps another app's
	// or another name's runs out whatever a server does with it.
	pending := all[:0]
	for _, c := range all {
		if c.AppID == a.appID && c.Name == name && strings.EqualFold(c.HeadSHA, sha) &&
			(c.Status == "queued" || c.Status == "in_progress") {
			pending = append(pending, c)
		}
	}
	return pending, nil
}

// paginate collects pages from fetch (which returns a page's items and
// the next page number, 0 on the last) until the last page or limit items
// (0: no limit).
func paginate[T any](limit int, fetch func(page int) ([]T, int, error)) ([]T, error) {
	var out []T
	for page := 1; ; {
		items, next, err := fetch(page)
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
		if limit > 0 && len(out) >= limit {
			return out[:limit], nil
		}
		if next <= page {
			return out, nil
		}
		page = next
	}
}
