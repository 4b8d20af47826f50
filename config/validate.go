package config

import (
	"slices"
	"strings"
)

var (
	imageClasses = []string{"recommended", "latest-release", "latest-weekly", "latest-daily", "by-tag", "by-reference"}
	imageSizes   = []string{"Fine", "Diminutive", "Tiny", "Small", "Medium", "Large", "Huge", "Gargantuan", "Colossal"}
	logLevels    = []string{"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}
	ruleTypes    = []string{"intersect_union_of", "exclude_union_of"}
)

// Validate returns every problem of the flock, each with its path.
func (f *Flock) Validate() Problems {
	var ps Problems
	c := checker{problems: &ps}
	c.at("name").check(flockName.MatchString(f.Name),
		"must be 1–63 letters, digits, '.', '_' or '-', starting with a letter or digit (got %q)", f.Name)
	c.at("count").check(f.Count >= 1, "must be ≥ 1 (got %d)", f.Count)
	f.validateUsers(c)
	if f.StartBatchSize != 0 || f.StartBatchWait != nil {
		c.at("start_batch_size").check(f.StartBatchSize >= 1, "must be ≥ 1 (got %d)", f.StartBatchSize)
		c.at("start_batch_wait").check(f.StartBatchWait != nil, "required when start_batch_size is set")
	}
	validateOptions(c.at("business", "options"), f.Business.Options)
	return ps
}

func (f *Flock) validateUsers(c checker) {
	switch {
	case f.Users != nil && f.UserSpec != nil:
		c.fail("both users and user_spec provided (give exactly one)")
	case f.Users == nil && f.UserSpec == nil:
		c.fail("neither users nor user_spec provided (give exactly one)")
	case f.Users != nil:
		c.at("users").check(f.Count < 1 || len(f.Users) == f.Count, "has %d users but count is %d", len(f.Users), f.Count)
		seen := map[string]bool{}
		for i, u := range f.Users {
			uc := c.at("users", i, "username")
			checkUsername(uc, u.Username)
			uc.check(!seen[u.Username], "duplicate username %q", u.Username)
			seen[u.Username] = true
			validateGroups(c.at("users", i, "groups"), u.Groups)
		}
	default:
		prefix := c.at("user_spec", "username_prefix")
		checkUsername(prefix, strings.TrimRight(f.UserSpec.UsernamePrefix, "-"))
		validateGroups(c.at("user_spec", "groups"), f.UserSpec.Groups)
	}
}

func validateGroups(c checker, groups []Group) {
	for i, g := range groups {
		c.at(i, "name").check(g.Name != "", "must not be empty")
	}
}

func validateOptions(c checker, opts any) {
	switch o := opts.(type) {
	case *BaseOptions:
		validateBase(c, o)
	case *PythonLoopOptions:
		validateLab(c, &o.LabOptions)
		c.at("max_executions").check(o.MaxExecutions >= 1, "must be ≥ 1 (got %d)", o.MaxExecutions)
		c.at("code").check(strings.TrimSpace(o.Code) != "", "must not be empty")
	case *NotebookOptions:
		validateNotebook(c, o)
	case *CountingOptions:
		validateNotebook(c, &o.NotebookOptions)
		c.at("max_executions").check(o.MaxExecutions >= 1, "must be ≥ 1 (got %d)", o.MaxExecutions)
	}
}

func validateBase(c checker, o *BaseOptions) {
	c.at("log_level").check(slices.Contains(logLevels, strings.ToUpper(o.LogLevel)),
		"must be one of %s (got %q)", strings.Join(logLevels, ", "), o.LogLevel)
}

func validateLab(c checker, o *LabOptions) {
	validateBase(c, &o.BaseOptions)
	img := c.at("image")
	img.at("image_class").check(slices.Contains(imageClasses, o.Image.Class),
		"must be one of %s (got %q)", strings.Join(imageClasses, ", "), o.Image.Class)
	img.at("size").check(slices.Contains(imageSizes, o.Image.Size),
		"must be one of %s (got %q)", strings.Join(imageSizes, ", "), o.Image.Size)
	img.at("tag").check((o.Image.Class == "by-tag") == (o.Image.Tag != ""), "is required with image_class by-tag and only then")
	img.at("reference").check((o.Image.Class == "by-reference") == (o.Image.Reference != ""),
		"is required with image_class by-reference and only then")
	c.at("kernel_name").check(o.KernelName == strings.TrimSpace(o.KernelName), "must not have surrounding spaces (got %q)", o.KernelName)
	if o.CellExecutionTimeout != nil {
		c.at("cell_execution_timeout").check(*o.CellExecutionTimeout > 0, "must be positive (got %s)", o.CellExecutionTimeout)
	}
	c.at("spawn_timeout").check(o.SpawnTimeout > 0, "must be positive (got %s)", o.SpawnTimeout)
	c.at("delete_timeout").check(o.DeleteTimeout > 0, "must be positive (got %s)", o.DeleteTimeout)
}

func validateNotebook(c checker, o *NotebookOptions) {
	validateLab(c, &o.LabOptions)
	validateSelection(c, o.CollectionRules, o.ExcludeDirs)
	c.at("repo_url").check(o.RepoURL != "" || o.NotebookDir != "", "required unless notebook_dir is set")
	c.at("repo_ref").check(o.NotebookDir != "" || o.RepoRef != "", "required with repo_url")
	c.at("notebook_order").check(o.NotebookOrder == "shuffle" || o.NotebookOrder == "sorted",
		"must be shuffle or sorted (got %q)", o.NotebookOrder)
}

// validateSelection checks collection rules and excluded directories, which
// come from flock options and from a repository's mobu.yaml.
func validateSelection(c checker, rules []CollectionRule, excludeDirs []string) {
	for i, r := range rules {
		c.at("collection_rules", i, "type").check(slices.Contains(ruleTypes, r.Type),
			"must be one of %s (got %q)", strings.Join(ruleTypes, ", "), r.Type)
		c.at("collection_rules", i, "patterns").check(len(r.Patterns) > 0, "must list at least one pattern")
		for j, p := range r.Patterns {
			checkRepoPath(c.at("collection_rules", i, "patterns", j), p)
		}
	}
	for i, d := range excludeDirs {
		checkRepoPath(c.at("exclude_dirs", i), d)
	}
}

// checkRepoPath refuses paths that could leave the repository.
func checkRepoPath(c checker, p string) {
	switch {
	case strings.TrimSpace(p) == "":
		c.fail("must not be empty")
	case strings.HasPrefix(p, "/") || strings.HasPrefix(p, "\\"):
		c.fail("must be relative to the repository root (got %q)", p)
	case slices.Contains(strings.Split(strings.ReplaceAll(p, "\\", "/"), "/"), ".."):
		c.fail("must not contain .. (got %q)", p)
	}
}
