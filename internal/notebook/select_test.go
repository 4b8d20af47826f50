package notebook

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"x.ipynb", "x.ipynb", true},
		{"x.ipynb", "a/x.ipynb", false}, // a bare name matches only at the root
		{"*.ipynb", "a/x.ipynb", false},
		{"**/*.ipynb", "x.ipynb", true}, // ** matches zero segments
		{"**/*.ipynb", "a/b/x.ipynb", true},
		{"a/**", "a/b/c/x.ipynb", true},
		{"a/**", "ab/x.ipynb", false},
		{"a/*/x.ipynb", "a/b/x.ipynb", true},
		{"a/*/x.ipynb", "a/b/c/x.ipynb", false},
		{"a/**/x.ipynb", "a/x.ipynb", true},
		{"tap-?.ipynb", "tap-1.ipynb", true},
		{"[st]*.ipynb", "sia.ipynb", true},
		{"[", "x", false}, // a bad pattern matches nothing
	}
	for _, tt := range tests {
		if got := Match(tt.pattern, tt.name); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
}

func TestAppFor(t *testing.T) {
	known := map[string]bool{"tap": true, "vo-cutouts": false, "vo": true, "sasquatch": true, "sasquatch-backpack": false, "ssotap": true}
	for nb, want := range map[string]string{
		"tap.ipynb": "tap", "tap-cone.ipynb": "tap", "dir/TAP_sync.ipynb": "tap", "tap.v2.ipynb": "tap",
		"vo-cutouts_sync.ipynb": "vo-cutouts", "vo-cutouts.ipynb": "vo-cutouts", "vo.ipynb": "vo",
		"sasquatch-backpack.ipynb": "sasquatch-backpack", "sasquatch-demo.ipynb": "sasquatch",
		"ssotap.ipynb": "ssotap", "tapestry.ipynb": "", "hello.ipynb": "",
	} {
		if got := AppFor(nb, known); got != want {
			t.Errorf("AppFor(%q) = %q, want %q", nb, got, want)
		}
	}
}

const plainNB = `{"nbformat": 4, "nbformat_minor": 5, "metadata": %s, "cells": [{"cell_type": "code", "id": "a", "source": "1", "metadata": {}, "outputs": [], "execution_count": null}]}`

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, md := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		os.MkdirAll(filepath.Dir(full), 0o755)
		body := md
		if !strings.HasPrefix(md, "RAW:") {
			if md == "" {
				md = "{}"
			}
			body = strings.Replace(plainNB, "%s", md, 1)
		} else {
			body = strings.TrimPrefix(md, "RAW:")
		}
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestSelect(t *testing.T) {
	files := map[string]string{
		"hello.ipynb":                  "",
		"tap.ipynb":                    "",
		"tap-cone.ipynb":               "",
		"vo-cutouts_sync.ipynb":        "",
		"sia.ipynb":                    `{"mobu": {"required_applications": ["sia", "datalinker"]}}`,
		"old.ipynb":                    `{"mobu": {"required_services": ["butler"]}}`,
		"legacy.ipynb":                 `{"mobu": {"required_services": ["datalinker"]}}`,
		"bad-meta.ipynb":               `{"mobu": {"required_applications": "tap"}}`,
		"broken.ipynb":                 "RAW:{not json",
		"scratch/wip.ipynb":            "",
		"tutorials/intro/a.ipynb":      "",
		"tutorials/advanced/b.ipynb":   "",
		".ipynb_checkpoints/tap.ipynb": "",
		".hidden/x.ipynb":              "",
	}
	apps := map[string]bool{"tap": true, "vo-cutouts": false, "sia": true, "datalinker": false, "butler": true}
	tests := []struct {
		name     string
		opts     SelectOptions
		selected string
		excluded map[string]string // path → start of the rule
	}{
		{"everything (no rules, no apps)", SelectOptions{},
			"bad-meta.ipynb broken.ipynb hello.ipynb legacy.ipynb old.ipynb scratch/wip.ipynb sia.ipynb tap-cone.ipynb tap.ipynb tutorials/advanced/b.ipynb tutorials/intro/a.ipynb vo-cutouts_sync.ipynb", nil},
		{"exclude_dirs from flock and mobu.yaml",
			SelectOptions{Flock: Rules{ExcludeDirs: []string{"scratch"}}, Repo: Rules{ExcludeDirs: []string{"tutorials/advanced/"}}},
			"bad-meta.ipynb broken.ipynb hello.ipynb legacy.ipynb old.ipynb sia.ipynb tap-cone.ipynb tap.ipynb tutorials/intro/a.ipynb vo-cutouts_sync.ipynb",
			map[string]string{"scratch/wip.ipynb": "exclude_dirs: under scratch", "tutorials/advanced/b.ipynb": "exclude_dirs: under tutorials/advanced"}},
		{"intersect then exclude",
			SelectOptions{Flock: Rules{CollectionRules: []Rule{{"intersect_union_of", []string{"tutorials/**", "hello.ipynb"}}}},
				Repo: Rules{CollectionRules: []Rule{{"exclude_union_of", []string{"**/b.ipynb"}}}}},
			"hello.ipynb tutorials/intro/a.ipynb",
			map[string]string{"tap.ipynb": `flock collection_rules[0] intersect_union_of: matches none of ["tutorials/**" "hello.ipynb"]`,
				"tutorials/advanced/b.ipynb": `mobu.yaml collection_rules[0] exclude_union_of: matches "**/b.ipynb"`}},
		{"apps: app-name and metadata rules",
			SelectOptions{Apps: apps, AppNameFilter: true, Flock: Rules{ExcludeDirs: []string{"tutorials", "scratch"}}},
			"bad-meta.ipynb broken.ipynb hello.ipynb old.ipynb tap-cone.ipynb tap.ipynb",
			map[string]string{"vo-cutouts_sync.ipynb": "app-name rule: application vo-cutouts is not enabled",
				"sia.ipynb":    "metadata: requires applications that are not enabled: datalinker",
				"legacy.ipynb": "metadata: requires applications that are not enabled: datalinker"}}, // required_services
		{"apps without the app-name rule", SelectOptions{Apps: apps, Flock: Rules{ExcludeDirs: []string{"tutorials", "scratch"}}},
			"bad-meta.ipynb broken.ipynb hello.ipynb old.ipynb tap-cone.ipynb tap.ipynb vo-cutouts_sync.ipynb",
			map[string]string{"sia.ipynb": "metadata:", "legacy.ipynb": "metadata:"}},
		{"every rule at once, each removing its own notebooks",
			SelectOptions{Apps: apps, AppNameFilter: true,
				Flock: Rules{CollectionRules: []Rule{{"exclude_union_of", []string{"broken.ipynb", "tap-cone.ipynb"}}},
					ExcludeDirs: []string{"scratch"}},
				Repo: Rules{CollectionRules: []Rule{{"intersect_union_of", []string{"*.ipynb", "tutorials/intro/**", "scratch/**"}}},
					ExcludeDirs: []string{"tutorials/intro"}}},
			"bad-meta.ipynb hello.ipynb old.ipynb tap.ipynb",
			map[string]string{
				"broken.ipynb":               `flock collection_rules[0] exclude_union_of: matches "broken.ipynb"`,
				"tap-cone.ipynb":             `flock collection_rules[0] exclude_union_of: matches "tap-cone.ipynb"`,
				"tutorials/advanced/b.ipynb": `mobu.yaml collection_rules[0] intersect_union_of: matches none of`,
				"scratch/wip.ipynb":          "exclude_dirs: under scratch",
				"tutorials/intro/a.ipynb":    "exclude_dirs: under tutorials/intro",
				"vo-cutouts_sync.ipynb":      "app-name rule: application vo-cutouts is not enabled",
				"sia.ipynb":                  "metadata: requires applications that are not enabled: datalinker",
				"legacy.ipynb":               "metadata: requires applications that are not enabled: datalinker",
			}},
	}
	root := writeTree(t, files)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sel, err := Select(root, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range sel.Selected {
				got = append(got, e.Path)
			}
			if strings.Join(got, " ") != tt.selected {
				t.Errorf("selected\n %s\nwant\n %s", strings.Join(got, " "), tt.selected)
			}
			for path, rule := range tt.excluded {
				if !hasExclusion(sel.Excluded, path, rule) {
					t.Errorf("%s not excluded by %q: %v", path, rule, sel.Excluded)
				}
			}
			if len(sel.Selected)+len(sel.Excluded) != 12 {
				t.Errorf("%d selected + %d excluded ≠ 12 candidates: a notebook was lost", len(sel.Selected), len(sel.Excluded))
			}
		})
	}
}

func hasExclusion(ex []Excluded, path, rule string) bool {
	for _, e := range ex {
		if e.Path == path && strings.HasPrefix(e.Rule, rule) {
			return true
		}
	}
	return false
}

func TestSelectInvalidNotebooksStayVisible(t *testing.T) {
	root := writeTree(t, map[string]string{"broken.ipynb": "RAW:{not json", "bad-meta.ipynb": `{"mobu": {"required_applications": 3}}`, "ok.ipynb": ""})
	sel, err := Select(root, SelectOptions{Apps: map[string]bool{}})
	if err != nil {
		t.Fatal(err)
	}
	if len(sel.Invalid) != 2 || len(sel.Selected) != 3 {
		t.Fatalf("invalid %v, selected %d", sel.Invalid, len(sel.Selected))
	}
	for _, e := range sel.Selected {
		if e.Path != "ok.ipynb" && e.ParseErr == nil {
			t.Errorf("%s selected without its error", e.Path)
		}
	}
	if !strings.Contains(sel.Invalid[0].Rule, "metadata.mobu.required_applications must be a list") {
		t.Errorf("invalid metadata message: %v", sel.Invalid)
	}
}

func TestSelectRefusesSymlinksOutOfTheRepo(t *testing.T) {
	outside := writeTree(t, map[string]string{"secret.ipynb": ""})
	root := writeTree(t, map[string]string{"ok.ipynb": ""})
	os.Symlink(filepath.Join(outside, "secret.ipynb"), filepath.Join(root, "link.ipynb"))
	os.Symlink(filepath.Join(root, "ok.ipynb"), filepath.Join(root, "inside.ipynb"))
	sel, err := Select(root, SelectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !hasExclusion(sel.Excluded, "link.ipynb", "symlink to outside the repository") || len(sel.Selected) != 2 {
		t.Fatalf("selected %d, excluded %v", len(sel.Selected), sel.Excluded)
	}
}

func TestSelectListsSymlinkedDirectoriesOutOfTheRepo(t *testing.T) {
	outside := writeTree(t, map[string]string{"shared/secret.ipynb": ""})
	root := writeTree(t, map[string]string{"ok.ipynb": "", "sub/in.ipynb": "", ".hidden/x.ipynb": ""})
	for link, target := range map[string]string{
		"shared":           filepath.Join(outside, "shared"), // absolute, out
		"sub/up":           "../..",                          // relative, out (the parent of root)
		"alias":            "sub",                            // inside: its notebooks count under sub/
		"dangling":         "nowhere",
		".hidden/outside":  outside, // under a hidden directory: never looked at
		"not-a-dir.ipynb2": filepath.Join(outside, "shared", "secret.ipynb"),
	} {
		if err := os.Symlink(target, filepath.Join(root, filepath.FromSlash(link))); err != nil {
			t.Fatal(err)
		}
	}
	sel, err := Select(root, SelectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range sel.Excluded {
		got = append(got, e.Path+": "+e.Rule)
	}
	want := "shared/: symlinked directory to outside the repository|sub/up/: symlinked directory to outside the repository"
	if strings.Join(got, "|") != want {
		t.Errorf("excluded\n %s\nwant\n %s", strings.Join(got, "\n "), strings.ReplaceAll(want, "|", "\n "))
	}
	if len(sel.Selected) != 2 || sel.Selected[0].Path != "ok.ipynb" || sel.Selected[1].Path != "sub/in.ipynb" {
		t.Errorf("selected %v", sel.Selected)
	}
}
