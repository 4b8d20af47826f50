// Package cirun runs the notebooks of a CI job: it clones the pull request's
// head commit through the shared repository cache, keeps the changed
// notebooks that the repository's own rules (mobu.yaml, application names,
// metadata) also select, lints them for stored outputs, and runs each in a
// fresh kernel of the CI bot user's lab, which is deleted at the end.
package cirun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/mobu-dev/mobu/config"
	"github.com/mobu-dev/mobu/internal/ci"
	"github.com/mobu-dev/mobu/internal/events"
	"github.com/mobu-dev/mobu/internal/flock"
	"github.com/mobu-dev/mobu/internal/gitrepo"
	"github.com/mobu-dev/mobu/internal/notebook"
	"github.com/mobu-dev/mobu/internal/payload"
)

// Runner implements ci.Runner.
type Runner struct {
	Cache       *gitrepo.Cache
	Apps        payload.AppSource // nil: no application rules
	Labs        flock.LabFactory
	Users       map[string]config.User // the CI bot users by name
	Scopes      []string               // of the CI bots' tokens
	Publisher   events.Publisher
	CellTimeout time.Duration
	Logger      *slog.Logger

	mu   sync.Mutex
	labs map[string]notebook.Lab // one driver per CI user, reused across jobs
}

// Run implements ci.Runner.
func (r *Runner) Run(ctx context.Context, job ci.Job, user string, changed []string) (*ci.Outcome, error) {
	h, err := r.Cache.Acquire(ctx, job.Repo.CloneURL, job.HeadSHA)
	if err != nil {
		return nil, fmt.Errorf("cloning %s at %s: %w", job.Repo.CloneURL, job.HeadSHA, err)
	}
	defer h.Release()
	opts := selectionOptions(changed)
	src := (&payload.Factory{Apps: r.Apps}).New(opts, func(context.Context) (payload.Repo, error) { return h, nil }, nil)
	rep, err := src.Select(ctx)
	if err != nil {
		return nil, fmt.Errorf("selecting notebooks: %w", err)
	}
	out := &ci.Outcome{RepoHash: rep.Hash, Excluded: onlyChanged(rep.Excluded, changed)}
	for _, e := range rep.Selected {
		if e.Notebook != nil {
			out.Lint = append(out.Lint, notebook.StoredOutputs(e.Notebook)...)
		}
	}
	if len(rep.Selected) == 0 {
		return out, nil
	}
	lab, err := r.lab(user)
	if err != nil {
		return nil, err
	}
	out.Batch = r.batch(job, user, rep.Hash, opts).Run(ctx, lab, rep.Selected)
	return out, nil
}

// lab returns the user's driver, made on first use: a Nublado driver keeps
// its minted token across jobs.
func (r *Runner) lab(user string) (notebook.Lab, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if l, ok := r.labs[user]; ok {
		return l, nil
	}
	u, ok := r.Users[user]
	if !ok {
		return nil, fmt.Errorf("unknown CI user %s", user)
	}
	l, err := r.Labs(u, r.Scopes, &selectionOptions(nil).LabOptions)
	if err != nil {
		return nil, err
	}
	if r.labs == nil {
		r.labs = map[string]notebook.Lab{}
	}
	r.labs[user] = l
	return l, nil
}

// Close releases the CI users' drivers (revoking minted tokens); call it
// after the CI manager has stopped.
func (r *Runner) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var errs []error
	for _, l := range r.labs {
		if c, ok := l.(io.Closer); ok {
			errs = append(errs, c.Close())
		}
	}
	r.labs = nil
	return errors.Join(errs...)
}

func (r *Runner) batch(job ci.Job, user, hash string, o *config.NotebookOptions) *notebook.Batch {
	meta := notebook.Meta{Business: config.NotebookRunnerList, Username: user, Repo: job.Repo.CloneURL,
		RepoRef: job.HeadSHA, RepoHash: hash}
	return &notebook.Batch{
		Runner:       &notebook.Runner{Meta: meta, Publisher: r.Publisher, CellTimeout: r.CellTimeout},
		SpawnTimeout: o.SpawnTimeout.D(), KernelTimeout: 3 * o.JupyterTimeout.D(), DeleteTimeout: o.DeleteTimeout.D(),
	}
}

// selectionOptions are NotebookRunnerList defaults restricted to the changed
// notebooks, in a stable order.
func selectionOptions(changed []string) *config.NotebookOptions {
	o, _ := config.ParseSelectionOptions(nil)
	o.NotebookOrder = "sorted"
	o.ExecutionIdleTime = 0
	patterns := make([]string, len(changed))
	for i, p := range changed {
		patterns[i] = escapeGlob(p)
	}
	if len(patterns) > 0 {
		o.CollectionRules = []config.CollectionRule{{Type: "intersect_union_of", Patterns: patterns}}
	}
	return o
}

// escapeGlob makes a path match only itself as a selection pattern.
func escapeGlob(p string) string {
	return strings.NewReplacer("*", "[*]", "?", "[?]", "[", "[[]", "\\", "\\\\").Replace(p)
}

// onlyChanged keeps the exclusions of changed notebooks (the others were
// only excluded by the intersection with the changed set).
func onlyChanged(ex []notebook.Excluded, changed []string) []notebook.Excluded {
	set := map[string]bool{}
	for _, c := range changed {
		set[c] = true
	}
	var out []notebook.Excluded
	for _, e := range ex {
		if set[e.Path] {
			out = append(out, e)
		}
	}
	return out
}
