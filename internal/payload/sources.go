package payload

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/go-git/go-git/v5"

	"github.com/mobu-dev/mobu/config"
	"github.com/mobu-dev/mobu/internal/flock"
	"github.com/mobu-dev/mobu/internal/gitrepo"
)

// Factory makes the notebook sources of NotebookRunner monkeys: git
// repositories through one shared clone cache, or notebook_dir.
type Factory struct {
	Cache *gitrepo.Cache
	Apps  AppSource // nil: no application source
}

// Source implements flock.SourceFactory.
func (f *Factory) Source(o *config.NotebookOptions) (flock.NotebookSource, error) {
	if o.NotebookDir != "" {
		dir, err := filepath.Abs(o.NotebookDir)
		if err != nil {
			return nil, fmt.Errorf("notebook_dir %s: %w", o.NotebookDir, err)
		}
		return f.New(o, func(context.Context) (Repo, error) { return Dir{Path: dir}, nil }, nil), nil
	}
	var h *gitrepo.Handle
	open := func(ctx context.Context) (Repo, error) {
		var err error
		h, err = f.Cache.Acquire(ctx, o.RepoURL, o.RepoRef)
		return h, err
	}
	return f.New(o, open, func() { h.Release() }), nil
}

// New makes a Source from an opener (tests and mobu notebooks use it).
func (f *Factory) New(o *config.NotebookOptions, open func(context.Context) (Repo, error), release func()) *Source {
	return &Source{open: open, release: release, opts: o, apps: f.Apps}
}

// Dir is a local directory used as a repository (notebook_dir, or a working
// tree given to mobu notebooks). Its hash is the HEAD commit when the
// directory is inside a git work tree.
type Dir struct{ Path string }

// URL is the directory.
func (d Dir) URL() string { return d.Path }

// Ref is empty: a directory has no ref.
func (d Dir) Ref() string { return "" }

// Read calls fn with the directory and its HEAD commit, if any.
func (d Dir) Read(fn func(dir, hash string) error) error {
	hash := ""
	if r, err := git.PlainOpenWithOptions(d.Path, &git.PlainOpenOptions{DetectDotGit: true}); err == nil {
		if head, err := r.Head(); err == nil {
			hash = head.Hash().String()
		}
	}
	return fn(d.Path, hash)
}

// Update does nothing: the directory is read afresh on every Load.
func (d Dir) Update(context.Context, time.Time) error { return nil }
