package github

import (
	"context"
	"fmt"

	gh "github.com/google/go-github/v88/github"
)

const (
	// MaxPRFiles is the most files GitHub lists for a pull request.
	MaxPRFiles   = 3000
	filesPerPage = 100
)

// ChangedFile is one file of a pull request.
type ChangedFile struct {
	Path         string // the file's (new) name
	Status       string // added|modified|changed|renamed|removed|copied|unchanged
	PreviousPath string // the old name of a renamed (or copied) file
}

// ChangedFiles lists the files a pull request changes, against its base,
// following pagination up to GitHub's cap of MaxPRFiles (a warning is
// logged when the cap is reached, as later files are invisible).
func (a *App) ChangedFiles(ctx context.Context, r Repo, pr int) ([]ChangedFile, error) {
	base := fmt.Sprintf("GET /%s/pulls/%d/files", r.repoPath(), pr)
	if pr <= 0 {
		return nil, fmt.Errorf("%s: pull request number must be positive", base)
	}
	var out []ChangedFile
	for page := 1; ; {
		files, next, err := a.filesPage(ctx, r, pr, page)
		if err != nil {
			return nil, err
		}
		out = append(out, files...)
		if len(out) >= MaxPRFiles {
			a.log.WarnContext(ctx, "github: pull request lists the maximum number of files; later files are not visible",
				"op", base, "max", MaxPRFiles)
			return out[:MaxPRFiles], nil
		}
		if next <= page {
			return out, nil
		}
		page = next
	}
}

// filesPage fetches one page of a pull request's files and the next page
// number from the Link header (0 on the last page).
func (a *App) filesPage(ctx context.Context, r Repo, pr, page int) ([]ChangedFile, int, error) {
	op := fmt.Sprintf("GET /%s/pulls/%d/files?per_page=%d&page=%d", r.repoPath(), pr, filesPerPage, page)
	opts := &gh.ListOptions{PerPage: filesPerPage, Page: page}
	var (
		files []*gh.CommitFile
		next  int
	)
	err := a.call(ctx, r, op, func(c *gh.Client) (*gh.Response, error) {
		var resp *gh.Response
		var err error
		files, resp, err = c.PullRequests.ListFiles(ctx, r.Owner, r.Name, pr, opts)
		if resp != nil {
			next = resp.NextPage
		}
		return resp, err
	})
	if err != nil {
		return nil, 0, err
	}
	out := make([]ChangedFile, 0, len(files))
	for _, f := range files {
		out = append(out, ChangedFile{
			Path: f.GetFilename(), Status: f.GetStatus(), PreviousPath: f.GetPreviousFilename(),
		})
	}
	return out, next, nil
}
