package github_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/mobu-dev/mobu/internal/github"
	"github.com/mobu-dev/mobu/internal/testgithub"
)

func TestChangedFilesPaginated(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	files := make([]testgithub.File, 250)
	for i := range files {
		files[i] = testgithub.File{Filename: fmt.Sprintf("nb/%03d.ipynb", i), Status: "modified"}
	}
	files[0] = testgithub.File{Filename: "new/name.ipynb", Status: "renamed", PreviousFilename: "old/name.ipynb"}
	files[1] = testgithub.File{Filename: "gone.ipynb", Status: "removed"}
	files[249] = testgithub.File{Filename: "last.ipynb", Status: "added"}
	f.srv.SetPRFiles(f.repo.Owner, f.repo.Name, 12, files)

	got, err := f.app.ChangedFiles(context.Background(), f.repo, 12)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 250 {
		t.Fatalf("%d files, want 250", len(got))
	}
	want := map[int]github.ChangedFile{
		0:   {Path: "new/name.ipynb", Status: "renamed", PreviousPath: "old/name.ipynb"},
		1:   {Path: "gone.ipynb", Status: "removed"},
		2:   {Path: "nb/002.ipynb", Status: "modified"},
		249: {Path: "last.ipynb", Status: "added"},
	}
	for i, w := range want {
		if got[i] != w {
			t.Errorf("file %d = %+v, want %+v", i, got[i], w)
		}
	}
	var queries []string
	for _, r := range f.srv.Requests() {
		if strings.HasSuffix(r.Path, "/files") {
			queries = append(queries, r.Query)
		}
	}
	if got := strings.Join(queries, " "); got != "page=1&per_page=100 page=2&per_page=100 page=3&per_page=100" {
		t.Errorf("queries %q", got)
	}
}

// GitHub lists at most 3000 files; the fake has 3500.
func TestChangedFilesCap(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	files := make([]testgithub.File, 3500)
	for i := range files {
		files[i] = testgithub.File{Filename: fmt.Sprintf("%04d.ipynb", i), Status: "added"}
	}
	f.srv.SetPRFiles(f.repo.Owner, f.repo.Name, 3, files)
	got, err := f.app.ChangedFiles(context.Background(), f.repo, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3000 || got[2999].Path != "2999.ipynb" {
		t.Errorf("%d files, last %+v", len(got), got[len(got)-1])
	}
	if n := f.requests("/repos/"); n != 30 {
		t.Errorf("%d page requests, want 30", n)
	}
	if !strings.Contains(f.logs.String(), "maximum number of files") {
		t.Error("no warning about the 3000-file cap")
	}
}

func TestChangedFilesErrors(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	_, err := f.app.ChangedFiles(context.Background(), f.repo, 9)
	want := "GET /repos/lsst-sqre/notebooks/pulls/9/files?per_page=100&page=1: 404 Not Found"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
	var apiErr *github.APIError
	if !errorsAs(err, &apiErr) || apiErr.StatusCode != 404 {
		t.Errorf("err %T is not an *APIError with status 404", err)
	}
	if n := f.requests("/repos/"); n != 1 || len(f.sleeps.got()) != 0 {
		t.Errorf("%d requests, sleeps %v: 404 must not be retried", n, f.sleeps.got())
	}
	if _, err := f.app.ChangedFiles(context.Background(), github.Repo{Owner: "o", Name: "r"}, 1); err == nil {
		t.Error("no error without an installation id")
	}
}
