package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/mobu-dev/mobu/config"
	"github.com/mobu-dev/mobu/internal/apps"
	"github.com/mobu-dev/mobu/internal/gitrepo"
	"github.com/mobu-dev/mobu/internal/payload"
)

type notebooksFlags struct {
	ref, optionsFile, apps, appsFile, appsDefaults, discovery string
	json                                                      bool
}

const notebooksUsage = `usage: mobu notebooks [--ref REF] [--options FILE] [--apps a,b,… | --apps-file FILE [--apps-defaults FILE] | --discovery URL] [--json] REPO

Shows which notebooks of REPO (a git URL or a local directory) a NotebookRunner flock would run and, for each
one left out, the rule that removed it. Private repositories: MOBU_GIT_TOKEN.

Flags:
`

func notebooksCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := notebooksFlags{}
	fs := flag.NewFlagSet("mobu notebooks", flag.ContinueOnError)
	fs.StringVar(&f.ref, "ref", "", "branch, tag or commit (default: main for a URL; the working tree for a directory)")
	fs.StringVar(&f.optionsFile, "options", "", "YAML `FILE` with business options (exclude_dirs, collection_rules, app_name_filter, notebook_order)")
	fs.StringVar(&f.apps, "apps", "", "enabled applications, comma-separated")
	fs.StringVar(&f.appsFile, "apps-file", "", "Phalanx environment values `FILE` (applications: {name: bool})")
	fs.StringVar(&f.appsDefaults, "apps-defaults", "", "Phalanx defaults `FILE` merged under --apps-file")
	fs.StringVar(&f.discovery, "discovery", "", "discovery `URL` returning {\"applications\": [...]}")
	fs.BoolVar(&f.json, "json", false, "print JSON")
	fs.Usage = func() { fmt.Fprint(fs.Output(), notebooksUsage); fs.PrintDefaults() }
	pos, help, err := parseInterspersed(fs, args, stderr)
	if help || err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErr("notebooks: give exactly one repository (a git URL or a directory)")
	}
	opts, err := selectionOptions(f.optionsFile)
	if err != nil {
		return err
	}
	appSrc, err := appSource(f)
	if err != nil {
		return err
	}
	rep, err := selectNotebooks(ctx, pos[0], f.ref, opts, appSrc, getenv)
	if err != nil {
		return &exitError{code: 1, err: err}
	}
	if f.json {
		return writeSelectionJSON(stdout, rep)
	}
	writeSelection(stdout, rep)
	return nil
}

func selectionOptions(path string) (*config.NotebookOptions, error) {
	var data []byte
	if path != "" {
		var err error
		if data, err = os.ReadFile(path); err != nil {
			return nil, usageErr("notebooks: %w", err)
		}
	}
	o, ps := config.ParseSelectionOptions(data)
	if ps != nil {
		return nil, usageErr("notebooks: %s:\n%w", path, ps)
	}
	return o, nil
}

// appSource builds the one application source the flags name, if any.
func appSource(f notebooksFlags) (payload.AppSource, error) {
	n := 0
	for _, set := range []bool{f.apps != "", f.appsFile != "", f.discovery != ""} {
		if set {
			n++
		}
	}
	switch {
	case n > 1:
		return nil, usageErr("notebooks: give only one of --apps, --apps-file, --discovery")
	case f.appsDefaults != "" && f.appsFile == "":
		return nil, usageErr("notebooks: --apps-defaults needs --apps-file")
	case f.apps != "":
		return apps.Static(strings.Split(f.apps, ",")), nil
	case f.appsFile != "":
		return apps.PhalanxFiles{Values: f.appsFile, Defaults: f.appsDefaults}, nil
	case f.discovery != "":
		return apps.Discovery{URL: f.discovery}, nil
	}
	return nil, nil
}

// selectNotebooks reads a directory as it is, or clones a URL (or a
// directory at --ref) into a temporary cache.
func selectNotebooks(ctx context.Context, repo, ref string, o *config.NotebookOptions, appSrc payload.AppSource,
	getenv func(string) string) (*payload.Report, error) {
	factory := &payload.Factory{Apps: appSrc}
	if st, err := os.Stat(repo); err == nil && st.IsDir() && ref == "" {
		abs, _ := filepath.Abs(repo)
		src := factory.New(o, func(context.Context) (payload.Repo, error) { return payload.Dir{Path: abs}, nil }, nil)
		return src.Select(ctx)
	}
	if ref == "" {
		ref = "main"
	}
	cache, err := gitrepo.NewCache(gitrepo.Options{Token: getenv("MOBU_GIT_TOKEN"), Username: getenv("MOBU_GIT_USERNAME")})
	if err != nil {
		return nil, err
	}
	defer cache.Close()
	var h *gitrepo.Handle
	src := factory.New(o, func(ctx context.Context) (payload.Repo, error) {
		h, err = cache.Acquire(ctx, repo, ref)
		return h, err
	}, func() { h.Release() })
	defer src.Close()
	return src.Select(ctx)
}

func writeSelection(w io.Writer, rep *payload.Report) {
	fmt.Fprintf(w, "%s", rep.URL)
	if rep.Ref != "" {
		fmt.Fprintf(w, " @ %s", rep.Ref)
	}
	if rep.Hash != "" {
		fmt.Fprintf(w, " (commit %s)", rep.Hash)
	}
	selected := runnable(rep)
	fmt.Fprintf(w, "\n\nselected (%d):\n", len(selected))
	for _, p := range selected {
		fmt.Fprintf(w, "  %s\n", p)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "\nexcluded (%d):\n", len(rep.Excluded))
	for _, e := range rep.Excluded {
		fmt.Fprintf(tw, "  %s\t%s\n", e.Path, e.Rule)
	}
	tw.Flush()
	if len(rep.Invalid) > 0 {
		fmt.Fprintf(w, "\ninvalid (%d; mobu runs them as failures):\n", len(rep.Invalid))
		for _, e := range rep.Invalid {
			fmt.Fprintf(w, "  %s: %s\n", e.Path, e.Rule)
		}
	}
}

// runnable lists the selected notebooks that parse.
func runnable(rep *payload.Report) []string {
	out := []string{}
	for _, e := range rep.Selected {
		if e.ParseErr == nil {
			out = append(out, e.Path)
		}
	}
	return out
}

func writeSelectionJSON(w io.Writer, rep *payload.Report) error {
	type invalid struct {
		Path  string `json:"path"`
		Error string `json:"error"`
	}
	out := struct {
		RepoHash string    `json:"repo_hash"`
		Selected []string  `json:"selected"`
		Excluded any       `json:"excluded"`
		Invalid  []invalid `json:"invalid"`
	}{RepoHash: rep.Hash, Selected: runnable(rep), Excluded: rep.Excluded, Invalid: []invalid{}}
	if len(rep.Excluded) == 0 {
		out.Excluded = []any{}
	}
	for _, e := range rep.Invalid {
		out.Invalid = append(out.Invalid, invalid{e.Path, e.Rule})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
