package payload

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/config"
	"github.com/mobu-dev/mobu/internal/apps"
	"github.com/mobu-dev/mobu/internal/gitrepo"
	"github.com/mobu-dev/mobu/internal/testgit"
)

func nb(md string) string {
	if md == "" {
		md = "{}"
	}
	return `{"nbformat": 4, "nbformat_minor": 5, "metadata": ` + md + `, "cells": [{"cell_type": "code", "id": "a",
		"source": "print(1)", "metadata": {}, "outputs": [], "execution_count": null}]}`
}

func options(t testing.TB, yaml string) *config.NotebookOptions {
	t.Helper()
	o, ps := config.ParseSelectionOptions([]byte(yaml))
	if ps != nil {
		t.Fatal(ps)
	}
	return o
}

// gitSource opens repoURL@ref through a fresh cache, as a flock does.
func gitSource(t *testing.T, url, ref string, o *config.NotebookOptions, a AppSource) *Source {
	t.Helper()
	cache, err := gitrepo.NewCache(gitrepo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cache.Close() })
	o.RepoURL, o.RepoRef, o.NotebookDir = url, ref, ""
	src, err := (&Factory{Cache: cache, Apps: a}).Source(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.(*Source).Close() })
	return src.(*Source)
}

func paths(r *Report) string {
	var out []string
	for _, e := range r.Selected {
		out = append(out, e.Path)
	}
	return strings.Join(out, " ")
}

func TestGitSourceSelectionAndRefresh(t *testing.T) {
	repo := testgit.NewRepo(t)
	repo.Commit(map[string]string{
		"hello.ipynb": nb(""), "tap.ipynb": nb(""), "vo-cutouts.ipynb": nb(""),
		"sia.ipynb":         nb(`{"mobu": {"required_applications": ["sia", "datalinker"]}}`),
		"scratch/wip.ipynb": nb(""), "gitlfs.ipynb": nb(""),
		"mobu.yaml": "collection_rules:\n  - type: exclude_union_of\n    patterns: [gitlfs.ipynb]\n",
	}, "first")
	srv := testgit.Serve(t, map[string]*testgit.Repo{"payload": repo}, testgit.ServeOptions{})
	appList := apps.Static{"tap", "sia"}
	src := gitSource(t, srv.URL("payload"), "main", options(t, "exclude_dirs: [scratch]\n"), appList)
	ctx := context.Background()
	rep, err := src.Select(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Static lists know only enabled names, so vo-cutouts counts as generic.
	if got := paths(rep); got != "hello.ipynb tap.ipynb vo-cutouts.ipynb" || rep.Hash != repo.Head() {
		t.Fatalf("selected %q at %s, want 3 notebooks at %s; excluded %v", got, rep.Hash, repo.Head(), rep.Excluded)
	}
	var excluded []string
	for _, e := range rep.Excluded {
		excluded = append(excluded, e.Path+": "+e.Rule)
	}
	want := []string{
		`gitlfs.ipynb: mobu.yaml collection_rules[0] exclude_union_of: matches "gitlfs.ipynb"`,
		"scratch/wip.ipynb: exclude_dirs: under scratch",
		"sia.ipynb: metadata: requires applications that are not enabled: datalinker",
	}
	if !slices.Equal(excluded, want) {
		t.Fatalf("excluded\n%s\nwant\n%s", strings.Join(excluded, "\n"), strings.Join(want, "\n"))
	}
	// A push, then a fetch requested after it: the new commit and a new
	// mobu.yaml take effect.
	second := repo.Commit(map[string]string{"new.ipynb": nb(""), "mobu.yaml": "exclude_dirs: [scratch]\n"}, "second")
	if err := src.Fetch(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	coll, err := src.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range coll.Entries {
		got = append(got, e.Path)
	}
	if coll.Hash != second || strings.Join(got, " ") != "gitlfs.ipynb hello.ipynb new.ipynb tap.ipynb vo-cutouts.ipynb" {
		t.Fatalf("after refresh: %s %v", coll.Hash, got)
	}
}

func TestPhalanxAppsDistinguishDisabledFromGeneric(t *testing.T) {
	repo := testgit.NewRepo(t)
	repo.Commit(map[string]string{"hello.ipynb": nb(""), "tap.ipynb": nb(""), "vo-cutouts_sync.ipynb": nb(""),
		"env/values.yaml":     "applications:\n  tap: false\n  vo-cutouts: false\n",
		"env/values-dev.yaml": "applications:\n  tap: true\n"}, "first")
	files := apps.PhalanxFiles{Values: repo.Dir() + "/env/values-dev.yaml", Defaults: repo.Dir() + "/env/values.yaml"}
	src := gitSource(t, "file://"+repo.Dir(), "main", options(t, ""), files)
	rep, err := src.Select(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := paths(rep); got != "hello.ipynb tap.ipynb" || len(rep.Excluded) != 1 ||
		rep.Excluded[0].Rule != "app-name rule: application vo-cutouts is not enabled" {
		t.Fatalf("selected %q, excluded %v", got, rep.Excluded)
	}
	off := false
	o := options(t, "")
	o.AppNameFilter = &off
	src = gitSource(t, "file://"+repo.Dir(), "main", o, files)
	if rep, _ := src.Select(context.Background()); paths(rep) != "hello.ipynb tap.ipynb vo-cutouts_sync.ipynb" {
		t.Fatalf("app_name_filter false: %q", paths(rep))
	}
}

func TestSourceErrors(t *testing.T) {
	repo := testgit.NewRepo(t)
	repo.Commit(map[string]string{"a.ipynb": nb(""), "mobu.yaml": "collection_rules:\n  - type: keep\n    patterns: [../x]\n"}, "bad yaml")
	src := gitSource(t, repo.Dir(), "main", options(t, ""), nil)
	_, err := src.Load(context.Background())
	if err == nil || !strings.Contains(err.Error(), "invalid mobu.yaml in the repository") ||
		!strings.Contains(err.Error(), `collection_rules[0].type: must be one of intersect_union_of, exclude_union_of (got "keep")`) ||
		!strings.Contains(err.Error(), `collection_rules[0].patterns[0]: must not contain .. (got "../x")`) {
		t.Fatalf("invalid mobu.yaml: %v", err)
	}
	empty := testgit.NewRepo(t)
	empty.Commit(map[string]string{"README.md": "no notebooks"}, "first")
	src = gitSource(t, empty.Dir(), "main", options(t, ""), nil)
	if _, err := src.Load(context.Background()); err == nil || !strings.Contains(err.Error(), "no runnable notebooks in") {
		t.Fatalf("empty repo: %v", err)
	}
	src = gitSource(t, repo.Dir(), "nope", options(t, ""), nil)
	if _, err := src.Load(context.Background()); err == nil || !strings.Contains(err.Error(), `ref "nope" not found`) {
		t.Fatalf("missing ref: %v", err)
	}
}

func TestDirSourceUsesWorkingTreeAndHead(t *testing.T) {
	repo := testgit.NewRepo(t)
	head := repo.Commit(map[string]string{"a.ipynb": nb("")}, "first")
	o := options(t, "notebook_order: sorted\n")
	o.NotebookDir = repo.Dir()
	src, err := (&Factory{}).Source(o)
	if err != nil {
		t.Fatal(err)
	}
	coll, err := src.Load(context.Background())
	if err != nil || coll.Hash != head || coll.Repo != repo.Dir() || len(coll.Entries) != 1 {
		t.Fatalf("dir source: %+v, %v", coll, err)
	}
}
