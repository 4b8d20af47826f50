package notebook

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Find expands files and directories into a sorted, de-duplicated list of .ipynb paths.
//
// A file argument must end in .ipynb and is returned cleaned. A directory is
// walked recursively for *.ipynb files, skipping hidden files and directories
// (such as .ipynb_checkpoints and .git) below it, and not following symbolic
// links to directories; it must hold at least one notebook.
func Find(paths ...string) ([]string, error) {
	if len(paths) == 0 {
		return nil, errors.New("find notebooks: no paths given")
	}
	var found []string
	for _, path := range paths {
		more, err := findPath(path)
		if err != nil {
			return nil, err
		}
		found = append(found, more...)
	}
	slices.Sort(found)
	return slices.Compact(found), nil
}

// findPath expands one argument of Find.
func findPath(path string) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("find notebooks: %w", err)
	}
	if info.IsDir() {
		return findUnder(path)
	}
	if !strings.HasSuffix(path, ".ipynb") {
		return nil, fmt.Errorf("find notebooks: %s is not a .ipynb file", path)
	}
	return []string{filepath.Clean(path)}, nil
}

// findUnder walks dir for notebooks.
func findUnder(dir string) ([]string, error) {
	var found []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		hidden := path != dir && strings.HasPrefix(d.Name(), ".")
		switch {
		case d.IsDir() && hidden:
			return filepath.SkipDir
		case d.IsDir() || hidden:
			return nil
		case strings.HasSuffix(d.Name(), ".ipynb"):
			found = append(found, filepath.Clean(path))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("find notebooks: %w", err)
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("no notebooks found under %s", dir)
	}
	return found, nil
}
