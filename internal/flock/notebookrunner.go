package flock

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"time"

	"github.com/mobu-dev/mobu/config"
	"github.com/mobu-dev/mobu/internal/ctxtime"
	"github.com/mobu-dev/mobu/internal/notebook"
)

// runnerKind distinguishes the NotebookRunner businesses.
type runnerKind int

const (
	counting runnerKind = iota // max_executions notebooks per lab session
	list                       // every notebook once per lab session
	infinite                   // one notebook per execution, the lab kept
)

// notebookRunner runs notebooks from a NotebookSource, each in a fresh
// kernel session, in a shuffled rotation that persists across lab sessions.
type notebookRunner struct {
	*labBusiness
	kind      runnerKind
	opts      *config.NotebookOptions
	max       int
	runner    *notebook.Runner
	coll      *Collection
	order     []int // rotation: indexes into coll.Entries still to run
	fetch     *fetcher
	refreshes atomic.Uint64 // the flock fetch a pending refresh waits for (0: none)
}

// NewNotebookRunnerCounting is the NotebookRunnerCounting factory.
func NewNotebookRunnerCounting(env Env) (Business, error) {
	o, ok := env.Business.Options.(*config.CountingOptions)
	if !ok {
		return nil, fmt.Errorf("%w: NotebookRunnerCounting needs counting options", ErrUnsupported)
	}
	return newNotebookRunner(env, &o.NotebookOptions, counting, o.MaxExecutions)
}

// NewNotebookRunnerList is the NotebookRunnerList factory.
func NewNotebookRunnerList(env Env) (Business, error) { return notebookFactory(env, list) }

// NewNotebookRunnerInfinite is the NotebookRunnerInfinite factory.
func NewNotebookRunnerInfinite(env Env) (Business, error) { return notebookFactory(env, infinite) }

func notebookFactory(env Env, kind runnerKind) (Business, error) {
	o, ok := env.Business.Options.(*config.NotebookOptions)
	if !ok {
		return nil, fmt.Errorf("%w: %s needs notebook options", ErrUnsupported, env.Business.Type)
	}
	return newNotebookRunner(env, o, kind, 1)
}

func newNotebookRunner(env Env, o *config.NotebookOptions, kind runnerKind, max int) (Business, error) {
	if env.Lab == nil || env.Notebooks == nil {
		return nil, fmt.Errorf("%w: %s needs a lab and a notebook source", ErrUnsupported, env.Business.Type)
	}
	b := &notebookRunner{labBusiness: newLabBusiness(env, &o.LabOptions), kind: kind, opts: o, max: max}
	b.runner = &notebook.Runner{
		Meta: b.stages.Meta, Publisher: env.Publisher, CellTimeout: b.cellTimeout(),
		ExecutionIdle: o.ExecutionIdleTime.D(), Stopping: env.Stopping,
		OnCellStart: func(c notebook.Cell) {
			b.status.update(func(s *BusinessStatus) {
				s.RunningCell, s.RunningCode = &CellRef{ID: c.ID, Number: c.Number}, truncateCode(c.Source)
			})
		},
		OnCell: func(notebook.CellResult) {
			b.status.update(func(s *BusinessStatus) { s.RunningCell, s.RunningCode = nil, "" })
		},
	}
	return b, nil
}

// Startup logs in and loads the notebooks. A restarted monkey whose reload
// fails (a bad mobu.yaml pushed meanwhile, no runnable notebooks) keeps the
// last good notebooks, as a failed refresh does.
func (b *notebookRunner) Startup(ctx context.Context) error {
	if err := b.labBusiness.Startup(ctx); err != nil {
		return err
	}
	err := b.load(ctx)
	if err != nil && b.coll != nil && ctx.Err() == nil {
		b.env.Logger.Error("reloading notebooks failed, keeping the previous ones", "error", err)
		b.status.update(func(s *BusinessStatus) { s.RefreshError = err.Error() })
		return nil
	}
	return err
}

func (b *notebookRunner) load(ctx context.Context) error {
	coll, err := b.env.Notebooks.Load(ctx)
	if err != nil {
		return fmt.Errorf("loading notebooks: %w", err)
	}
	if !samePaths(b.coll, coll) {
		b.order = nil // a new set: start a new rotation
	}
	b.coll = coll
	b.runner.Meta.Repo, b.runner.Meta.RepoRef, b.runner.Meta.RepoHash = coll.Repo, coll.Ref, coll.Hash
	b.status.update(func(s *BusinessStatus) { s.RepoHash, s.RefreshError = coll.Hash, "" })
	b.env.Logger.Info("loaded notebooks", "count", len(coll.Entries), "repo", coll.Repo, "ref", coll.Ref, "hash", coll.Hash)
	return nil
}

// Refresh picks up the newest commit, mobu.yaml and application list. It
// requests no fetch itself: Flock.Refresh requests one for the whole flock
// first, and the monkey waits for the fetch covering the flock's latest
// request. It keeps running its notebooks meanwhile and reloads at the first
// notebook boundary after that fetch ended, which ends the execution in
// progress there, as a success (mobu's behaviour). Solitary runs have no
// fetcher and ignore it.
func (b *notebookRunner) Refresh() {
	if b.fetch == nil {
		return
	}
	gen := b.fetch.latest()
	if gen == 0 { // nothing requested (the flock is stopping)
		return
	}
	b.refreshes.Store(gen)
	b.status.update(func(s *BusinessStatus) { s.Refreshing = true })
}

// refreshReady reports that the fetch a pending refresh waits for ended.
func (b *notebookRunner) refreshReady() bool {
	gen := b.refreshes.Load()
	if gen == 0 {
		return false
	}
	done, _ := b.fetch.result(gen)
	return done
}

func (b *notebookRunner) Execute(ctx context.Context) error {
	if b.refreshReady() {
		b.refresh(ctx)
	}
	if err := b.ensureLab(ctx); err != nil {
		return err
	}
	err := b.runNotebooks(ctx)
	return errors.Join(err, b.endExecution(b.kind == infinite))
}

// refresh reloads after the flock's fetch. A failure (of the fetch or of the
// reload) keeps the previous notebooks running and is reported in the status
// and the log.
func (b *notebookRunner) refresh(ctx context.Context) {
	gen := b.refreshes.Load()
	_, err := b.fetch.result(gen)
	if err == nil {
		err = b.load(ctx)
	}
	if err != nil {
		b.env.Logger.Error("refresh failed, keeping the previous notebooks", "error", err)
	}
	pending := !b.refreshes.CompareAndSwap(gen, 0) // asked again meanwhile
	b.status.update(func(s *BusinessStatus) {
		s.Refreshing = pending
		s.RefreshError = ""
		if err != nil {
			s.RefreshError = err.Error()
		}
	})
}

func (b *notebookRunner) runNotebooks(ctx context.Context) error {
	n := b.max
	if b.kind == list {
		n = len(b.coll.Entries)
		b.order = nil // each notebook once, in a fresh shuffle
	}
	for i := range n {
		if i > 0 && ctxtime.Sleep(ctx, b.opts.NotebookIdleTime.D()) != nil {
			return ctx.Err()
		}
		if b.env.Stopping() || b.refreshReady() {
			return nil
		}
		if err := b.runOne(ctx, b.coll.Entries[b.next()]); err != nil {
			return err
		}
	}
	return nil
}

// samePaths reports whether two collections hold the same notebook paths.
func samePaths(a, b *Collection) bool {
	if a == nil || len(a.Entries) != len(b.Entries) {
		return false
	}
	for i := range a.Entries {
		if a.Entries[i].Path != b.Entries[i].Path {
			return false
		}
	}
	return true
}

// next pops the rotation, reshuffling when it is empty (or going through
// the notebooks in order with notebook_order: sorted).
func (b *notebookRunner) next() int {
	if len(b.order) == 0 {
		b.order = rand.Perm(len(b.coll.Entries))
		if b.opts.NotebookOrder == "sorted" {
			slices.Sort(b.order)
		}
	}
	i := b.order[0]
	b.order = b.order[1:]
	return i
}

// runOne runs one notebook in its own trace: kernel start, cells, session
// delete.
func (b *notebookRunner) runOne(ctx context.Context, e notebook.Entry) (err error) {
	b.status.update(func(s *BusinessStatus) { s.Notebook = e.Path })
	defer b.status.update(func(s *BusinessStatus) { s.Notebook = "" })
	ctx, end := notebook.StartTrace(ctx, b.env.Tracer, "notebook "+e.Path, b.runner.Meta.Attrs(e.Path)...)
	defer func() { end(err) }()
	if e.ParseErr != nil {
		return b.runner.Failed(ctx, e.Path, notebook.PhaseParse, e.ParseErr).Failure
	}
	sess, err := b.openSession(ctx, e.Path)
	if err != nil {
		return b.runner.Failed(ctx, e.Path, notebook.PhaseKernel, err).Failure
	}
	b.env.Logger.Info("running notebook", "notebook", e.Path, "cells", len(e.Notebook.Cells))
	res := b.runner.Run(ctx, sess, e.Notebook, e.Path)
	b.closeSession(ctx, sess, e.Path)
	switch {
	case res.Failure != nil:
		return res.Failure
	case res.Stopped:
		b.env.Logger.Info("notebook stopped before its end", "notebook", e.Path)
	default:
		b.env.Logger.Info("notebook passed", "notebook", e.Path, "duration", res.Duration.Round(time.Millisecond))
	}
	return nil
}
