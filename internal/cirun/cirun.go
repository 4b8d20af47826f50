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
	h, err := r.checkout(ctx, job)
	if err != nil {
		return nil, err
	}
	defer h.Release()
	out, selected, err := r.prepare(ctx, h, changed)
	if err != nil || len(selected) == 0 {
		return out, err
	}
	lab, err := r.lab(user)
	if err != nil {
		return nil, err
	}
	out.Batch = r.batch(job, user, out.RepoHash, selectionOptions(changed)).Run(ctx, lab, selected)
	return out, nil
}

// checkout clones the job's head commit; a commit only reachable from the
// pull request's ref (a fork's) is fetched from refs/pull/<n>/head.
func (r *Runner) checkout(ctx context.Context, job ci.Job) (*gitrepo.Handle, error) {
	h, err := r.Cache.AcquireCommit(ctx, job.Repo.CloneURL, job.HeadSHA, pullRef(job.PR))
	if err != nil {
		return nil, fmt.Errorf("cloning %s at %s: %w", job.Repo.CloneURL, job.HeadSHA, err)
	}
	return h, nil
}

// pullRef is where GitHub keeps a pull request's head on the base
// repository, forks included; "" without a pull request number.
func pullRef(pr int) string {
	if pr <= 0 {
		return ""
	}
	return fmt.Sprintf("refs/pull/%d/head", pr)
}

// prepare selects, in the checkout, the changed notebooks the repository's
// rules keep, and lints them for stored outputs.
func (r *Runner) prepare(ctx context.Context, repo payload.Repo, changed []string) (*ci.Outcome, []notebook.Entry, error) {
	src := (&payload.Factory{Apps: r.Apps}).New(selectionOptions(changed),
		func(context.Context) (payload.Repo, error) { return repo, nil }, nil)
	rep, err := src.Select(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("selecting notebooks: %w", err)
	}
	out := &ci.Outcome{RepoHash: rep.Hash, Excluded: onlyChanged(rep.Selection, changed)}
	for _, e := range rep.Selected {
		if e.Notebook != nil {
			out.Lint = append(out.Lint, notebook.StoredOutputs(e.Notebook)...)
		}
	}
	return out, rep.Selected, nil
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
// only excluded by the intersection with the changed set), and names the
// changed notebooks that were never collected (under a hidden directory).
func onlyChanged(sel notebook.Selection, changed []string) []notebook.Excluded {
	set := map[string]bool{}
	for _, c := range changed {
		set[c] = true
	}
	var out []notebook.Excluded
	for _, e := range sel.Excluded {
		if set[e.Path] {
			out = append(out, e)
			delete(set, e.Path)
		}
	}
	for _, e := range sel.Selected {
		delete(set, e.Path)
	}
	for _, c := range changed {
		if set[c] {
			out = append(out, notebook.Excluded{Path: c, Rule: "not collected: under a hidden directory, or not in the checkout"})
		}
	}
	return out
}
