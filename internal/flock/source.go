package flock

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/mobu-dev/mobu/internal/notebook"
)

// DirSource reads notebooks from a local directory (notebook_dir). A notebook
// that does not parse stays in the collection as a failing entry.
type DirSource struct{ Dir string }

// Load implements NotebookSource.
func (s DirSource) Load(context.Context) (*Collection, error) {
	abs, err := filepath.Abs(s.Dir)
	if err != nil {
		return nil, fmt.Errorf("notebook_dir %s: %w", s.Dir, err)
	}
	files, err := notebook.Find(abs)
	if err != nil {
		return nil, err
	}
	coll := &Collection{Repo: abs}
	for _, f := range files {
		rel, err := filepath.Rel(abs, f)
		if err != nil {
			return nil, err
		}
		nb, perr := notebook.ReadFile(f)
		coll.Entries = append(coll.Entries, notebook.Entry{Path: filepath.ToSlash(rel), Notebook: nb, ParseErr: perr})
	}
	return coll, nil
}
