package ghapps

import (
	"context"

	"github.com/mobu-dev/mobu/internal/ci"
	"github.com/mobu-dev/mobu/internal/github"
)

// Checks adapts the GitHub REST client to the CI manager's GitHub interface.
type Checks struct{ App *github.App }

func repo(r ci.Repo) github.Repo {
	return github.Repo{InstallationID: r.InstallationID, Owner: r.Owner, Name: r.Name}
}

// CreateCheckRun implements ci.GitHub.
func (c Checks) CreateCheckRun(ctx context.Context, r ci.Repo, headSHA, name string) (int64, error) {
	return c.App.CreateCheckRun(ctx, repo(r), headSHA, name)
}

// UpdateCheckRun implements ci.GitHub.
func (c Checks) UpdateCheckRun(ctx context.Context, r ci.Repo, id int64, u ci.CheckUpdate) error {
	gu := github.CheckUpdate{Status: u.Status, Conclusion: u.Conclusion, Title: u.Title, Summary: u.Summary, Text: u.Text}
	for _, a := range u.Annotations {
		gu.Annotations = append(gu.Annotations, github.Annotation{Path: a.Path, StartLine: a.StartLine, EndLine: a.EndLine,
			Level: a.Level, Title: a.Title, Message: a.Message})
	}
	return c.App.UpdateCheckRun(ctx, repo(r), id, gu)
}

// ChangedFiles implements ci.GitHub.
func (c Checks) ChangedFiles(ctx context.Context, r ci.Repo, pr int) ([]ci.ChangedFile, error) {
	files, err := c.App.ChangedFiles(ctx, repo(r), pr)
	out := make([]ci.ChangedFile, len(files))
	for i, f := range files {
		out[i] = ci.ChangedFile{Path: f.Path, Status: f.Status, PreviousPath: f.PreviousPath}
	}
	return out, err
}

// Lister adapts the GitHub REST client to the CI manager's startup sweep.
type Lister struct{ App *github.App }

// Installations implements ci.Lister.
func (l Lister) Installations(ctx context.Context, limit int) ([]ci.Installation, error) {
	list, err := l.App.Installations(ctx, limit)
	out := make([]ci.Installation, len(list))
	for i, inst := range list {
		out[i] = ci.Installation{ID: inst.ID, Account: inst.Account}
	}
	return out, err
}

// Repos implements ci.Lister.
func (l Lister) Repos(ctx context.Context, installationID int64, limit int) ([]ci.Repo, error) {
	list, err := l.App.InstallationRepos(ctx, installationID, limit)
	out := make([]ci.Repo, len(list))
	for i, r := range list {
		out[i] = ci.Repo{InstallationID: r.InstallationID, Owner: r.Owner, Name: r.Name, CloneURL: r.CloneURL}
	}
	return out, err
}

// OpenPullRequests implements ci.Lister.
func (l Lister) OpenPullRequests(ctx context.Context, r ci.Repo, limit int) ([]ci.PullRequest, error) {
	list, err := l.App.OpenPullRequests(ctx, repo(r), limit)
	out := make([]ci.PullRequest, len(list))
	for i, p := range list {
		out[i] = ci.PullRequest{Number: p.Number, HeadSHA: p.HeadSHA}
	}
	return out, err
}

// PendingCheckRuns implements ci.Lister.
func (l Lister) PendingCheckRuns(ctx context.Context, r ci.Repo, sha, name string) ([]int64, error) {
	list, err := l.App.PendingCheckRuns(ctx, repo(r), sha, name)
	out := make([]int64, len(list))
	for i, c := range list {
		out[i] = c.ID
	}
	return out, err
}
