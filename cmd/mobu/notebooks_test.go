package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mobu-dev/mobu/internal/testgit"
)

func nbJSON(md string) string {
	return `{"nbformat": 4, "nbformat_minor": 5, "metadata": ` + md + `, "cells": [{"cell_type": "code", "id": "a",
		"source": "1", "metadata": {}, "outputs": [], "execution_count": null}]}`
}

func TestNotebooksCommand(t *testing.T) {
	repo := testgit.NewRepo(t)
	head := repo.Commit(map[string]string{
		"hello.ipynb": nbJSON("{}"), "tap.ipynb": nbJSON("{}"), "vo-cutouts_sync.ipynb": nbJSON("{}"),
		"sia.ipynb": nbJSON(`{"mobu": {"required_applications": ["sia", "datalinker"]}}`), "drafts/x.ipynb": nbJSON("{}"),
		"broken.ipynb": "{oops", "mobu.yaml": "exclude_dirs: [drafts]\n",
	}, "first")
	dir := t.TempDir()
	values := filepath.Join(dir, "values-dev.yaml")
	os.WriteFile(values, []byte("applications:\n  tap: true\n  vo-cutouts: false\n  sia: true\n  datalinker: false\n"), 0o644)
	optsFile := filepath.Join(dir, "options.yaml")
	os.WriteFile(optsFile, []byte("collection_rules:\n  - type: exclude_union_of\n    patterns: [hello.ipynb]\n"), 0o644)
	srv := testgit.Serve(t, map[string]*testgit.Repo{"nb": repo}, testgit.ServeOptions{})
	ctx := context.Background()

	code, out := mobu(t, ctx, nil, nil, "notebooks", "--apps-file", values, "--ref", "main", srv.URL("nb"))
	for _, want := range []string{
		srv.URL("nb") + " @ main (commit " + head + ")",
		"selected (2):\n  hello.ipynb\n  tap.ipynb\n",
		"broken.ipynb: notebook broken.ipynb: invalid JSON at line 1, column 2",
		"drafts/x.ipynb         exclude_dirs: under drafts",
		"sia.ipynb              metadata: requires applications that are not enabled: datalinker",
		"vo-cutouts_sync.ipynb  app-name rule: application vo-cutouts is not enabled",
		"invalid (1; mobu runs them as failures):\n  broken.ipynb: notebook broken.ipynb: invalid JSON",
	} {
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("exit %d; output lacks %q:\n%s", code, want, out)
		}
	}

	code, out = mobu(t, ctx, nil, nil, "notebooks", "--json", "--apps", "tap", "--options", optsFile, repo.Dir())
	var got struct {
		RepoHash string   `json:"repo_hash"`
		Selected []string `json:"selected"`
		Excluded []struct {
			Path string `json:"path"`
			Rule string `json:"rule"`
		} `json:"excluded"`
		Invalid []struct{ Path, Error string } `json:"invalid"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil || code != 0 {
		t.Fatalf("exit %d, json %v:\n%s", code, err, out)
	}
	if got.RepoHash != head || strings.Join(got.Selected, ",") != "tap.ipynb,vo-cutouts_sync.ipynb" ||
		len(got.Excluded) != 3 || got.Excluded[1].Rule != `flock collection_rules[0] exclude_union_of: matches "hello.ipynb"` ||
		len(got.Invalid) != 1 {
		t.Fatalf("json %+v", got)
	}
}

func TestNotebooksCommandErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "opts.yaml")
	os.WriteFile(bad, []byte("exclude_dirs: [../up]\nrepo_branch: main\n"), 0o644)
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"notebooks"}, 2, "give exactly one repository"},
		{[]string{"notebooks", "--apps", "a", "--discovery", "http://x", "."}, 2, "give only one of --apps, --apps-file, --discovery"},
		{[]string{"notebooks", "--apps-defaults", "d.yaml", "."}, 2, "--apps-defaults needs --apps-file"},
		{[]string{"notebooks", "--options", bad, "."}, 2, `exclude_dirs[0]: must not contain .. (got "../up")`},
		{[]string{"notebooks", "--options", bad, "."}, 2, `repo_branch: unknown key`},
		{[]string{"notebooks", "--ref", "main", "http://127.0.0.1:1/nope.git"}, 1, "127.0.0.1:1"},
	}
	for _, tt := range tests {
		code, out := mobu(t, context.Background(), nil, nil, tt.args...)
		if code != tt.code || !strings.Contains(out, tt.want) {
			t.Errorf("mobu %s: exit %d, want %d with %q:\n%s", strings.Join(tt.args, " "), code, tt.code, tt.want, out)
		}
	}
}
