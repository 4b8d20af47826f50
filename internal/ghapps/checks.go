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
