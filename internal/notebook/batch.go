package notebook

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/mobu-dev/mobu/internal/events"
)

// Stage names, as shown in reports.
const (
	StageLogin         = "login"
	StageSpawn         = "spawn"
	StageKernelStart   = "kernel start"
	StageSessionDelete = "session delete"
	StageLabDelete     = "lab delete"
)

var stageEvents = map[string]string{
	StageLogin: events.NameLogin, StageSpawn: events.NameSpawnLab, StageKernelStart: events.NameStartKernel,
	StageSessionDelete: events.NameDeleteSession, StageLabDelete: events.NameDeleteLab,
}

// StageResult is the timing of one lab lifecycle step.
type StageResult struct {
	Stage    string
	Notebook string // for kernel start and session delete
	Duration time.Duration
	Err      error
}

// Entry is a notebook to run: parsed, or the error that stopped its parse.
type Entry struct {
	Path     string // as reported (relative to the run root)
	Notebook *Notebook
	ParseErr error
}

// Batch runs a list of notebooks in one lab: log in, spawn, one kernel
// session per notebook, then delete the lab, even when interrupted.
type Batch struct {
	Runner        *Runner
	SpawnTimeout  time.Duration
	KernelTimeout time.Duration // opening a session until kernel_info answers
	DeleteTimeout time.Duration
	KeepLab       bool                         // leave the lab running at the end
	OnStage       func(StageResult)            // may be nil
	OnNotebook    func(path string, total int) // before each notebook; may be nil
	OnResult      func(*Result)                // after each notebook, run or not; may be nil
}

// BatchResult holds every notebook's result and every stage's timing.
type BatchResult struct {
	Notebooks []*Result
	Stages    []StageResult
	Cleanup   error // the lab could not be deleted or the session closed
}

// Passed reports whether every notebook passed.
func (b *BatchResult) Passed() bool {
	for _, r := range b.Notebooks {
		if !r.Passed() {
			return false
		}
	}
	return len(b.Notebooks) > 0
}

// Run executes the entries in order in lab. ctx cancellation stops at once;
// the lab is still deleted (bounded by DeleteTimeout).
func (b *Batch) Run(ctx context.Context, lab Lab, entries []Entry) *BatchResult {
	out := &BatchResult{}
	runnable := 0
	for _, e := range entries {
		if e.ParseErr == nil {
			runnable++
		}
	}
	if runnable == 0 {
		b.notRun(out, entries, PhaseParse, nil)
		return out
	}
	if err := b.stage(ctx, out, StageLogin, "", 0, lab.Login); err != nil {
		b.notRun(out, entries, PhaseLogin, err)
		return out
	}
	// From here on the lab may exist: delete it whatever happens.
	defer b.cleanup(ctx, lab, out)
	if err := b.stage(ctx, out, StageSpawn, "", b.SpawnTimeout, lab.Spawn); err != nil {
		b.notRun(out, entries, PhaseSpawn, err)
		return out
	}
	for i, e := range entries {
		if ctx.Err() != nil {
			b.notRun(out, entries[i:], PhaseCell, fmt.Errorf("not run: %w", ctx.Err()))
			break
		}
		b.record(out, b.runOne(ctx, lab, e, out))
	}
	return out
}

func (b *Batch) runOne(ctx context.Context, lab Lab, e Entry, out *BatchResult) *Result {
	if e.ParseErr != nil {
		return b.failed(e.Path, PhaseParse, e.ParseErr)
	}
	if b.OnNotebook != nil {
		b.OnNotebook(e.Path, len(e.Notebook.Cells))
	}
	var sess Session
	err := b.stage(ctx, out, StageKernelStart, e.Path, b.KernelTimeout, func(ctx context.Context) error {
		var err error
		sess, err = lab.OpenSession(ctx, sessionName(e.Path))
		return err
	})
	if err != nil {
		return b.failed(e.Path, PhaseKernel, err)
	}
	res := b.Runner.Run(ctx, sess, e.Notebook, e.Path)
	cctx, cancel := b.cleanupCtx(ctx)
	defer cancel()
	if err := b.stage(cctx, out, StageSessionDelete, e.Path, 0, sess.Close); err != nil {
		out.Cleanup = errors.Join(out.Cleanup, err)
	}
	return res
}

// stage times fn (bounded by timeout if set), records it and publishes its event.
func (b *Batch) stage(ctx context.Context, out *BatchResult, name, nb string, timeout time.Duration,
	fn func(context.Context) error) error {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, timeout, fmt.Errorf("%s timed out after %s", name, timeout))
		defer cancel()
	}
	start := time.Now()
	err := fn(ctx)
	if err != nil && ctx.Err() != nil && !errors.Is(err, context.Cause(ctx)) {
		err = fmt.Errorf("%w: %w", context.Cause(ctx), err)
	}
	sr := StageResult{Stage: name, Notebook: nb, Duration: time.Since(start), Err: err}
	out.Stages = append(out.Stages, sr)
	base := b.Runner.Meta.base(b.Runner.now())
	b.Runner.Publisher.Publish(events.NewStage(stageEvents[name], base, sr.Duration.Seconds(), err == nil))
	if b.OnStage != nil {
		b.OnStage(sr)
	}
	return err
}

func (b *Batch) cleanup(ctx context.Context, lab Lab, out *BatchResult) {
	cctx, cancel := b.cleanupCtx(ctx)
	defer cancel()
	if !b.KeepLab {
		if err := b.stage(cctx, out, StageLabDelete, "", 0, lab.DeleteLab); err != nil {
			out.Cleanup = errors.Join(out.Cleanup, err)
		}
	}
	if err := lab.Logout(cctx); err != nil {
		out.Cleanup = errors.Join(out.Cleanup, err)
	}
}

// cleanupCtx outlives ctx's cancellation (Ctrl-C still cleans up) but is
// bounded by DeleteTimeout.
func (b *Batch) cleanupCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	d := b.DeleteTimeout
	if d <= 0 {
		d = time.Minute
	}
	return context.WithTimeoutCause(context.WithoutCancel(ctx), d, fmt.Errorf("cleanup timed out after %s", d))
}

// notRun records entries that never reached a kernel.
func (b *Batch) notRun(out *BatchResult, entries []Entry, phase Phase, err error) {
	for _, e := range entries {
		p, cause := phase, err
		if e.ParseErr != nil {
			p, cause = PhaseParse, e.ParseErr
		}
		b.record(out, b.failed(e.Path, p, cause))
	}
}

func (b *Batch) record(out *BatchResult, r *Result) {
	out.Notebooks = append(out.Notebooks, r)
	if b.OnResult != nil {
		b.OnResult(r)
	}
}

func (b *Batch) failed(nbPath string, phase Phase, err error) *Result {
	r := &Result{Path: nbPath, TraceID: newTraceID(), Failure: &Failure{Phase: phase, Notebook: nbPath, Err: err}}
	b.Runner.Publisher.Publish(&events.NotebookExecution{
		Base: b.Runner.Meta.base(b.Runner.now()), NotebookBase: b.Runner.Meta.notebookBase(nbPath),
		Success: false, TraceID: r.TraceID,
	})
	return r
}

// sessionName is unique per run so a leftover session is never reused.
func sessionName(nbPath string) string {
	base := strings.TrimSuffix(path.Base(nbPath), ".ipynb")
	return "mobu/" + newTraceID()[:8] + "/" + base + ".ipynb"
}
