// Package payload turns a repository checkout (git, through the shared clone
// cache, or a local directory) and the environment's applications into the
// notebooks a flock runs: it reads the repository's mobu.yaml, applies the
// selection rules and reports what was excluded and why. `mobu notebooks`
// uses the same code, so authors see exactly what mobu would run.
package payload

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/mobu-dev/mobu/config"
	"github.com/mobu-dev/mobu/internal/flock"
	"github.com/mobu-dev/mobu/internal/notebook"
)

// Repo is a checkout notebooks are read from.
type Repo interface {
	URL() string
	Ref() string
	// Read calls fn with the checkout directory and its commit SHA ("" if
	// unknown); the directory stays in place while fn runs.
	Read(fn func(dir, hash string) error) error
	// Update fetches the ref's newest commit unless an update since
	// requestedAt already succeeded.
	Update(ctx context.Context, requestedAt time.Time) error
}

// AppSource reports the environment's applications: name → enabled.
type AppSource interface {
	Applications(ctx context.Context) (map[string]bool, error)
}

// Report is one selection: from which commit, what runs, what does not.
type Report struct {
	URL, Ref, Hash string
	notebook.Selection
}

// Source is one monkey's notebook source (a flock.NotebookSource). The
// repository is opened on first use, so a clone failure is a monkey failure
// (retried with backoff), not a failure to start the flock.
type Source struct {
	open    func(ctx context.Context) (Repo, error)
	release func()
	opts    *config.NotebookOptions
	apps    AppSource

	mu   sync.Mutex
	repo Repo
}

func (s *Source) checkout(ctx context.Context) (Repo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.repo == nil {
		r, err := s.open(ctx)
		if err != nil {
			return nil, err
		}
		s.repo = r
	}
	return s.repo, nil
}

// Select reads mobu.yaml and the applications and applies the rules.
func (s *Source) Select(ctx context.Context) (*Report, error) {
	repo, err := s.checkout(ctx)
	if err != nil {
		return nil, err
	}
	opts := notebook.SelectOptions{Flock: rules(s.opts.CollectionRules, s.opts.ExcludeDirs)}
	if s.apps != nil {
		if opts.Apps, err = s.apps.Applications(ctx); err != nil {
			return nil, fmt.Errorf("reading the application list: %w", err)
		}
		opts.AppNameFilter = s.opts.AppNameFilter == nil || *s.opts.AppNameFilter
	}
	rep := &Report{URL: repo.URL(), Ref: repo.Ref()}
	err = repo.Read(func(dir, hash string) error {
		rc, err := readRepoConfig(dir)
		if err != nil {
			return err
		}
		opts.Repo = rules(rc.CollectionRules, rc.ExcludeDirs)
		sel, err := notebook.Select(dir, opts)
		if err != nil {
			return err
		}
		rep.Hash, rep.Selection = hash, *sel
		return nil
	})
	return rep, err
}

// Load implements flock.NotebookSource.
func (s *Source) Load(ctx context.Context) (*flock.Collection, error) {
	rep, err := s.Select(ctx)
	if err != nil {
		return nil, err
	}
	entries := rep.Selected
	if s.opts.NotebookOrder == "sorted" {
		sort.SliceStable(entries, func(i, j int) bool { return entries[i].Path < entries[j].Path })
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("no runnable notebooks in %s (%d excluded by the selection rules)", where(rep), len(rep.Excluded))
	}
	return &flock.Collection{Repo: rep.URL, Ref: rep.Ref, Hash: rep.Hash, Entries: entries}, nil
}

// Fetch implements flock.NotebookSource.
func (s *Source) Fetch(ctx context.Context, requestedAt time.Time) error {
	repo, err := s.checkout(ctx)
	if err != nil {
		return err
	}
	return repo.Update(ctx, requestedAt)
}

// Close releases the repository.
func (s *Source) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.repo != nil && s.release != nil {
		s.release()
	}
	s.repo = nil
	return nil
}

func where(r *Report) string {
	if r.Ref == "" {
		return r.URL
	}
	return r.URL + "@" + r.Ref
}

func rules(cr []config.CollectionRule, dirs []string) notebook.Rules {
	out := notebook.Rules{ExcludeDirs: dirs}
	for _, r := range cr {
		out.CollectionRules = append(out.CollectionRules, notebook.Rule{Type: r.Type, Patterns: r.Patterns})
	}
	return out
}

// readRepoConfig reads mobu.yaml at the repository root, if any.
func readRepoConfig(dir string) (*config.RepoConfig, error) {
	data, err := os.ReadFile(filepath.Join(dir, "mobu.yaml"))
	if errors.Is(err, os.ErrNotExist) {
		return &config.RepoConfig{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading mobu.yaml: %w", err)
	}
	rc, ps := config.ParseRepoConfig(data)
	if ps != nil {
		return nil, fmt.Errorf("invalid mobu.yaml in the repository: %w", ps)
	}
	return rc, nil
}
