package cirun

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/ci"
	"github.com/mobu-dev/mobu/internal/gitrepo"
	"github.com/mobu-dev/mobu/internal/notebook"
	"github.com/mobu-dev/mobu/internal/testgit"
)

// nb is a one-cell notebook; outputs stores an output and an execution
// count; metadata is the notebook's "mobu" metadata, if any.
func nb(outputs bool, metadata string) string {
	out, count := "[]", "null"
	if outputs {
		out, count = `[{"output_type": "stream", "name": "stdout", "text": "hi\n"}]`, "3"
	}
	md := `{"kernelspec": {"name": "python3"}}`
	if metadata != "" {
		md = `{"kernelspec": {"name": "python3"}, "mobu": ` + metadata + `}`
	}
	return fmt.Sprintf(`{"nbformat": 4, "nbformat_minor": 5, "metadata": %s, "cells": [
		{"cell_type": "code", "id": "c1", "source": "print('hi')", "metadata": {}, "outputs": %s, "execution_count": %s}]}`,
		md, out, count)
}

// appMap is an environment's applications: name → enabled.
type appMap map[string]bool

func (a appMap) Applications(context.Context) (map[string]bool, error) { return a, nil }

// ciRepo is a repository with a mobu.yaml and notebooks for every rule, and
// a pull request head that renames one notebook and moves another under
// drafts/.
func ciRepo(t *testing.T) (repo *testgit.Repo, head string) {
	repo = testgit.NewRepo(t)
	repo.Commit(map[string]string{
		"mobu.yaml":         "collection_rules:\n  - type: exclude_union_of\n    patterns: [\"drafts/**\"]\nexclude_dirs: [old]\n",
		"nb/old-name.ipynb": nb(false, ""), "nb/to-draft.ipynb": nb(false, ""),
	}, "base")
	head = repo.Commit(map[string]string{
		"nb/old-name.ipynb": testgit.Delete, "nb/new-name.ipynb": nb(false, ""), // renamed
		"nb/to-draft.ipynb": testgit.Delete, "drafts/renamed.ipynb": nb(false, ""), // renamed into drafts/
		"nb/hello.ipynb": nb(false, ""), "nb/outputs.ipynb": nb(true, ""), "nb/unchanged.ipynb": nb(true, ""),
		"drafts/wip.ipynb": nb(true, ""), "old/legacy.ipynb": nb(false, ""),
		"nb/portal_tour.ipynb": nb(false, ""), "nb/needs-tap.ipynb": nb(false, `{"required_applications": ["tap"]}`),
		"nb/needs-sia.ipynb": nb(false, `{"required_applications": ["sia"]}`),
		"nb/[draft] x.ipynb": nb(false, ""), "nb/d x.ipynb": nb(false, ""),
		"nb/a*b.ipynb": nb(false, ""), "nb/aXb.ipynb": nb(false, ""),
		"nb/q?.ipynb": nb(false, ""), "nb/qz.ipynb": nb(false, ""),
		`nb/back\slash.ipynb`: nb(false, ""), "nb/backslash.ipynb": nb(false, ""),
		".hidden/h.ipynb": nb(false, ""),
	}, "pull request head")
	return repo, head
}

func newCache(t *testing.T) *gitrepo.Cache {
	c, err := gitrepo.NewCache(gitrepo.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func paths(entries []notebook.Entry) []string {
	var out []string
	for _, e := range entries {
		out = append(out, e.Path)
	}
	return out
}

func excluded(ex []notebook.Excluded) map[string]string {
	out := map[string]string{}
	for _, e := range ex {
		out[e.Path] = e.Rule
	}
	return out
}

func linted(issues []notebook.OutputIssue) []string {
	var out []string
	for _, is := range issues {
		out = append(out, is.Notebook)
	}
	return out
}

// TestPrepare intersects the changed notebooks (as ci lists them: renamed
// ones under their new path) with the repository's rules: mobu.yaml, the
// app-name rule and notebook metadata; only changed notebooks are reported,
// names are matched literally, and stored outputs are linted.
func TestPrepare(t *testing.T) {
	repo, head := ciRepo(t)
	srv := testgit.Serve(t, map[string]*testgit.Repo{"nb": repo}, testgit.ServeOptions{})
	h, err := newCache(t).AcquireCommit(testContext(t), srv.URL("nb"), head, "refs/pull/1/head")
	if err != nil {
		t.Fatal(err)
	}
	defer h.Release()
	r := &Runner{Apps: appMap{"portal": false, "sia": true, "tap": false}}
	tests := []struct {
		name     string
		changed  []string
		selected []string
		excluded map[string]string // path → part of the rule
		lint     []string
	}{
		{"plain and stored outputs", []string{"nb/hello.ipynb", "nb/outputs.ipynb"},
			[]string{"nb/hello.ipynb", "nb/outputs.ipynb"}, map[string]string{}, []string{"nb/outputs.ipynb"}},
		{"mobu.yaml rules", []string{"drafts/wip.ipynb", "old/legacy.ipynb", "nb/hello.ipynb"},
			[]string{"nb/hello.ipynb"},
			map[string]string{"drafts/wip.ipynb": "mobu.yaml collection_rules[0] exclude_union_of", "old/legacy.ipynb": "exclude_dirs: under old"}, nil},
		{"app-name and metadata rules", []string{"nb/portal_tour.ipynb", "nb/needs-tap.ipynb", "nb/needs-sia.ipynb"},
			[]string{"nb/needs-sia.ipynb"},
			map[string]string{"nb/portal_tour.ipynb": "app-name rule: application portal is not enabled",
				"nb/needs-tap.ipynb": "metadata: requires applications that are not enabled: tap"}, nil},
		{"renamed", []string{"nb/new-name.ipynb", "drafts/renamed.ipynb"},
			[]string{"nb/new-name.ipynb"}, map[string]string{"drafts/renamed.ipynb": "exclude_union_of"}, nil},
		{"all excluded", []string{"drafts/wip.ipynb"},
			nil, map[string]string{"drafts/wip.ipynb": "exclude_union_of"}, nil},
		{"hidden directory", []string{".hidden/h.ipynb"}, nil, map[string]string{".hidden/h.ipynb": "not collected"}, nil},
		{"brackets", []string{"nb/[draft] x.ipynb"}, []string{"nb/[draft] x.ipynb"}, map[string]string{}, nil},
		{"star", []string{"nb/a*b.ipynb"}, []string{"nb/a*b.ipynb"}, map[string]string{}, nil},
		{"question mark", []string{"nb/q?.ipynb"}, []string{"nb/q?.ipynb"}, map[string]string{}, nil},
		{"backslash", []string{`nb/back\slash.ipynb`}, []string{`nb/back\slash.ipynb`}, map[string]string{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, sel, err := r.prepare(testContext(t), h, tt.changed)
			if err != nil {
				t.Fatal(err)
			}
			if got := paths(sel); !reflect.DeepEqual(got, tt.selected) {
				t.Errorf("selected %q, want %q", got, tt.selected)
			}
			got := excluded(out.Excluded)
			if len(got) != len(tt.excluded) {
				t.Errorf("excluded %q, want %q", got, tt.excluded)
			}
			for p, rule := range tt.excluded {
				if !strings.Contains(got[p], rule) {
					t.Errorf("excluded %s by %q, want a rule with %q", p, got[p], rule)
				}
			}
			if got := linted(out.Lint); !reflect.DeepEqual(got, tt.lint) {
				t.Errorf("stored outputs in %q, want %q", got, tt.lint)
			}
			if out.RepoHash != head {
				t.Errorf("repo hash %s, want %s", out.RepoHash, head)
			}
		})
	}
}

func TestEscapeGlob(t *testing.T) {
	names := []string{"nb/[draft] x.ipynb", "nb/d x.ipynb", "nb/a*b.ipynb", "nb/aXb.ipynb", "nb/q?.ipynb", "nb/qz.ipynb",
		`nb/back\slash.ipynb`, "nb/backslash.ipynb", "nb/**.ipynb", "nb/x/y.ipynb", "nb/a]b.ipynb"}
	for _, name := range names {
		for _, other := range names {
			if got := notebook.Match(escapeGlob(name), other); got != (name == other) {
				t.Errorf("escapeGlob(%q) = %q matches %q: %v", name, escapeGlob(name), other, got)
			}
		}
	}
}

// TestRunForkPullRequest runs a job whose head commit exists only at
// refs/pull/<n>/head of the base repository, as a fork's does on GitHub;
// the changed notebook is excluded by mobu.yaml, so no lab is needed.
func TestRunForkPullRequest(t *testing.T) {
	repo, _ := ciRepo(t)
	repo.Branch("fork")
	repo.Checkout("fork")
	head := repo.Commit(map[string]string{"drafts/fork.ipynb": nb(false, "")}, "from a fork")
	repo.Checkout("main")
	repo.Git("update-ref", "refs/pull/5/head", head)
	repo.Git("branch", "-D", "fork")
	srv := testgit.Serve(t, map[string]*testgit.Repo{"nb": repo}, testgit.ServeOptions{})
	r := &Runner{Cache: newCache(t)}
	job := ci.Job{Repo: ci.Repo{Owner: "o", Name: "nb", CloneURL: srv.URL("nb")}, PR: 5, HeadSHA: head}
	out, err := r.Run(testContext(t), job, "bot", []string{"drafts/fork.ipynb"})
	if err != nil {
		t.Fatal(err)
	}
	if out.Batch != nil || out.RepoHash != head || len(out.Excluded) != 1 || out.Excluded[0].Path != "drafts/fork.ipynb" {
		t.Fatalf("outcome %+v", out)
	}
}
