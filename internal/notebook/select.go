package notebook

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// Rule is a collection rule: intersect_union_of keeps the notebooks matching
// any pattern, exclude_union_of drops them.
type Rule struct {
	Type     string
	Patterns []string
}

// Rules are selection settings from one place (flock options or mobu.yaml).
type Rules struct {
	CollectionRules []Rule
	ExcludeDirs     []string
}

// SelectOptions drive Select.
type SelectOptions struct {
	Flock Rules // the flock's options, applied first
	Repo  Rules // the repository's mobu.yaml, applied second
	// Apps maps every known application to whether it is enabled; nil means
	// no application source, which turns off the app-name and metadata rules.
	Apps          map[string]bool
	AppNameFilter bool // apply the app-name rule (when Apps is set)
}

// Excluded is a notebook removed by a rule, or one that cannot be read.
type Excluded struct {
	Path string `json:"path"`
	Rule string `json:"rule"`
}

// Selection is what runs and why the rest does not. Invalid notebooks
// (unreadable JSON or metadata) are kept as Entries with ParseErr so they
// run as failures and stay visible; Invalid lists them too.
type Selection struct {
	Selected []Entry
	Excluded []Excluded
	Invalid  []Excluded
}

// Select applies, in order: every *.ipynb under root (hidden directories
// skipped, symlinked directories not followed, symlinks leaving root refused
// and listed as excluded, symlinked directories included); the flock's collection rules,
// then the repository's, then exclude_dirs from both; the app-name rule;
// the metadata rule. Each step only removes notebooks. Paths are relative
// to root, slash-separated, sorted.
func Select(root string, opts SelectOptions) (*Selection, error) {
	cands, sel, err := candidates(root)
	if err != nil {
		return nil, err
	}
	for _, step := range selectionSteps(opts) {
		cands = filter(cands, sel, step)
	}
	for _, c := range cands {
		nb, err := readRelative(root, c)
		var required []string
		if err == nil {
			required, err = requiredApps(nb)
		}
		if missing := missingApps(required, opts.Apps); err == nil && opts.Apps != nil && len(missing) > 0 {
			sel.Excluded = append(sel.Excluded, Excluded{c, "metadata: requires applications that are not enabled: " +
				strings.Join(missing, ", ")})
			continue
		}
		if err != nil {
			sel.Invalid = append(sel.Invalid, Excluded{c, err.Error()})
		}
		sel.Selected = append(sel.Selected, Entry{Path: c, Notebook: nb, ParseErr: err})
	}
	sort.Slice(sel.Excluded, func(i, j int) bool { return sel.Excluded[i].Path < sel.Excluded[j].Path })
	return sel, nil
}

// readRelative parses root/rel, naming it rel in errors and in the result.
func readRelative(root, rel string) (*Notebook, error) {
	data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		return nil, fmt.Errorf("notebook %s: %w", rel, errors.Unwrap(err))
	}
	return Parse(rel, data)
}

// step decides for one notebook: "" keeps it, anything else is the rule
// that removes it.
type step func(path string) string

func filter(cands []string, sel *Selection, s step) []string {
	kept := cands[:0]
	for _, c := range cands {
		if rule := s(c); rule != "" {
			sel.Excluded = append(sel.Excluded, Excluded{c, rule})
			continue
		}
		kept = append(kept, c)
	}
	return kept
}

func selectionSteps(opts SelectOptions) []step {
	var steps []step
	for _, src := range []struct {
		name  string
		rules []Rule
	}{{"flock", opts.Flock.CollectionRules}, {"mobu.yaml", opts.Repo.CollectionRules}} {
		for i, r := range src.rules {
			steps = append(steps, ruleStep(fmt.Sprintf("%s collection_rules[%d]", src.name, i), r))
		}
	}
	if dirs := append(slices.Clone(opts.Flock.ExcludeDirs), opts.Repo.ExcludeDirs...); len(dirs) > 0 {
		steps = append(steps, excludeDirsStep(dirs))
	}
	if opts.Apps != nil && opts.AppNameFilter {
		steps = append(steps, appNameStep(opts.Apps))
	}
	return steps
}

func ruleStep(where string, r Rule) step {
	return func(p string) string {
		for _, pat := range r.Patterns {
			if Match(pat, p) {
				if r.Type == "exclude_union_of" {
					return fmt.Sprintf("%s exclude_union_of: matches %q", where, pat)
				}
				return ""
			}
		}
		if r.Type == "intersect_union_of" {
			return fmt.Sprintf("%s intersect_union_of: matches none of %q", where, r.Patterns)
		}
		return ""
	}
}

func excludeDirsStep(dirs []string) step {
	return func(p string) string {
		for _, d := range dirs {
			if Match(strings.Trim(d, "/")+"/**", p) {
				return fmt.Sprintf("exclude_dirs: under %s", strings.Trim(d, "/"))
			}
		}
		return ""
	}
}

// candidates lists every notebook under root, refusing symlinks that lead
// outside it.
func candidates(root string) ([]string, *Selection, error) {
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, nil, fmt.Errorf("reading notebooks: %w", err)
	}
	files, err := Find(root)
	if err != nil && !strings.HasPrefix(err.Error(), "no notebooks found") {
		return nil, nil, err
	}
	sel := &Selection{}
	var out []string
	for _, f := range files {
		rel, _ := filepath.Rel(root, f)
		rel = filepath.ToSlash(rel)
		if real, err := filepath.EvalSymlinks(f); err != nil || !within(realRoot, real) {
			sel.Excluded = append(sel.Excluded, Excluded{rel, "symlink to outside the repository"})
			continue
		}
		out = append(out, rel)
	}
	links, err := dirLinksOutside(root, realRoot)
	if err != nil {
		return nil, nil, err
	}
	sel.Excluded = append(sel.Excluded, links...)
	return out, sel, nil
}

// dirLinksOutside lists the symlinked directories under root (outside hidden
// directories) that lead out of it. Find never follows a symlinked
// directory; listing the ones that leave the repository makes the refusal
// visible instead of silent. A symlinked directory within the repository is
// not listed: its notebooks are candidates under their real path.
func dirLinksOutside(root, realRoot string) ([]Excluded, error) {
	var out []Excluded
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != root && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		real, err := filepath.EvalSymlinks(p)
		if err != nil || within(realRoot, real) {
			return nil // dangling, or inside the repository
		}
		if info, err := os.Stat(real); err == nil && info.IsDir() {
			rel, _ := filepath.Rel(root, p)
			out = append(out, Excluded{filepath.ToSlash(rel) + "/", "symlinked directory to outside the repository"})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading notebooks: %w", err)
	}
	return out, nil
}

func within(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// requiredApps returns the applications a notebook requires:
// metadata.mobu.required_applications and the older required_services
// together. A malformed metadata.mobu is an error naming the notebook and the
// field; null counts as absent.
func requiredApps(nb *Notebook) ([]string, error) {
	var md struct {
		Mobu json.RawMessage `json:"mobu"`
	}
	if err := json.Unmarshal(nb.Metadata, &md); err != nil {
		return nil, fmt.Errorf("notebook %s: metadata must be an object: %w", nb.Path, err)
	}
	if isNull(md.Mobu) {
		return nil, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(md.Mobu, &fields); err != nil {
		return nil, fmt.Errorf("notebook %s: metadata.mobu must be an object (got %s)", nb.Path, md.Mobu)
	}
	var names []string
	for _, key := range []string{"required_applications", "required_services"} {
		raw := fields[key]
		if isNull(raw) {
			continue
		}
		var list []string
		if err := json.Unmarshal(raw, &list); err != nil || slices.Contains(list, "") {
			return nil, fmt.Errorf("notebook %s: metadata.mobu.%s must be a list of application names (got %s)",
				nb.Path, key, raw)
		}
		names = append(names, list...)
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

// missingApps returns the required applications that are not enabled.
func missingApps(required []string, apps map[string]bool) []string {
	var missing []string
	for _, n := range required {
		if !apps[n] {
			missing = append(missing, n)
		}
	}
	return missing
}
