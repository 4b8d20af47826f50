package config

import (
	"bytes"
	"net/url"
	"strings"

	"gopkg.in/yaml.v3"
)

// RepoConfig is a repository's own mobu.yaml: selection rules applied after
// the flock's.
type RepoConfig struct {
	CollectionRules []CollectionRule `yaml:"collection_rules"`
	ExcludeDirs     []string         `yaml:"exclude_dirs"`
}

// ParseRepoConfig decodes and validates a mobu.yaml (strict: any other key
// is a problem). An empty file is an empty configuration.
func ParseRepoConfig(data []byte) (*RepoConfig, Problems) {
	rc := &RepoConfig{}
	if len(bytes.TrimSpace(data)) == 0 {
		return rc, nil
	}
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil {
		return nil, Problems{yamlSyntaxProblem(err)}
	}
	ps := decodeStrict(&n, rc)
	var vs Problems
	validateSelection(checker{problems: &vs}, rc.CollectionRules, rc.ExcludeDirs)
	if ps = merge(ps, vs); len(ps) > 0 {
		return nil, ps
	}
	return rc, nil
}

// SelectionOptions are the notebook-selection part of a NotebookRunner's
// options, as `mobu notebooks --options FILE` reads them: any valid
// NotebookRunner options mapping is accepted.
func ParseSelectionOptions(data []byte) (*NotebookOptions, Problems) {
	o := &CountingOptions{NotebookOptions: defaultNotebook(), MaxExecutions: 25}
	if len(bytes.TrimSpace(data)) > 0 {
		var n yaml.Node
		if err := yaml.Unmarshal(data, &n); err != nil {
			return nil, Problems{yamlSyntaxProblem(err)}
		}
		ps := decodeStrict(&n, o)
		var vs Problems
		validateNotebook(checker{problems: &vs}, &o.NotebookOptions)
		if ps = merge(ps, vs); len(ps) > 0 {
			return nil, ps
		}
	}
	return &o.NotebookOptions, nil
}

// SameRepo reports whether two repository URLs name the same repository:
// scheme, host and path compared case-insensitively, ignoring a trailing
// ".git" and "/" (GitHub's clone_url, html_url and the configured repo_url
// all match).
func SameRepo(a, b string) bool { return normalizeRepo(a) == normalizeRepo(b) }

func normalizeRepo(s string) string {
	s = strings.TrimSpace(s)
	if u, err := url.Parse(s); err == nil && u.Host != "" {
		u.User = nil
		s = u.Host + u.Path
	}
	s = strings.TrimSuffix(strings.TrimRight(s, "/"), ".git")
	return strings.ToLower(s)
}
