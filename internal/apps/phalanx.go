package apps

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// PhalanxFiles reads the applications of a Phalanx environment from its
// values files: Values (environments/values-ENV.yaml) and, optionally,
// Defaults (environments/values.yaml), both file paths.
//
// Each file has a top-level "applications" mapping of application name to
// true or false (the current Phalanx layout), or to a mapping with an
// "enabled" boolean; other top-level keys are ignored. Defaults are applied
// first and Values override them.
type PhalanxFiles struct {
	Values   string
	Defaults string // optional
}

// Applications reads and merges the files; it re-reads them on every call.
func (p PhalanxFiles) Applications(ctx context.Context) (map[string]bool, error) {
	if p.Values == "" {
		return nil, errors.New("phalanx applications: no values file given")
	}
	apps := make(map[string]bool)
	for _, path := range []string{p.Defaults, p.Values} {
		if path == "" {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("phalanx applications: reading %s: %w", path, err)
		}
		if err := readPhalanxFile(path, apps); err != nil {
			return nil, err
		}
	}
	return apps, nil
}

// readPhalanxFile adds the applications of one values file to apps.
func readPhalanxFile(path string, apps map[string]bool) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("phalanx applications: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("%s: parse YAML: %w", path, err)
	}
	list, err := applicationsNode(path, &doc)
	if err != nil {
		return err
	}
	return readApplications(path, list, apps)
}

// applicationsNode finds the top-level "applications" mapping; nil when it
// is null (every entry commented out).
func applicationsNode(path string, doc *yaml.Node) (*yaml.Node, error) {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, fmt.Errorf("%s: applications: missing (the file is empty)", path)
	}
	top := resolve(doc.Content[0])
	if top.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: top level must be a mapping (got %s)", path, top.Line, describe(top))
	}
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value != "applications" {
			continue
		}
		list := resolve(top.Content[i+1])
		switch {
		case isNull(list):
			return nil, nil
		case list.Kind != yaml.MappingNode:
			return nil, fmt.Errorf("%s:%d: applications: must be a mapping of application name to true or false (got %s)",
				path, list.Line, describe(list))
		}
		return list, nil
	}
	return nil, fmt.Errorf("%s:%d: applications: missing (need a mapping of application name to true or false)", path, top.Line)
}

// readApplications adds each entry of the applications mapping to apps.
func readApplications(path string, list *yaml.Node, apps map[string]bool) error {
	if list == nil {
		return nil
	}
	seen := make(map[string]bool, len(list.Content)/2)
	for i := 0; i+1 < len(list.Content); i += 2 {
		key := resolve(list.Content[i])
		if key.Kind != yaml.ScalarNode || isNull(key) || strings.TrimSpace(key.Value) == "" {
			return fmt.Errorf("%s:%d: applications: application names must be non-empty strings (got %s)",
				path, key.Line, describe(key))
		}
		if seen[key.Value] {
			return fmt.Errorf("%s:%d: applications.%s: duplicate application", path, key.Line, key.Value)
		}
		seen[key.Value] = true
		enabled, err := enabledValue(path, "applications."+key.Value, resolve(list.Content[i+1]))
		if err != nil {
			return err
		}
		apps[key.Value] = enabled
	}
	return nil
}

// enabledValue reads one application's value: a boolean, or a mapping with
// an "enabled" boolean.
func enabledValue(path, keyPath string, value *yaml.Node) (bool, error) {
	if value.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(value.Content); i += 2 {
			if value.Content[i].Value == "enabled" {
				return boolValue(path, keyPath+".enabled", resolve(value.Content[i+1]))
			}
		}
		return false, fmt.Errorf("%s:%d: %s.enabled: missing", path, value.Line, keyPath)
	}
	return boolValue(path, keyPath, value)
}

// boolValue requires a YAML boolean: true or false, not yes, on or "true".
func boolValue(path, keyPath string, value *yaml.Node) (bool, error) {
	var b bool
	if value.Kind != yaml.ScalarNode || value.ShortTag() != "!!bool" || value.Decode(&b) != nil {
		return false, fmt.Errorf("%s:%d: %s: must be true or false (got %s)", path, value.Line, keyPath, describe(value))
	}
	return b, nil
}

// resolve follows an alias to the node it names.
func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// isNull reports a YAML null (~, null or nothing).
func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names a node's value for error messages.
func describe(n *yaml.Node) string {
	switch {
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case isNull(n):
		return "null"
	}
	return fmt.Sprintf("%q", n.Value)
}
