package notebook

import (
	"context"
	"errors"
	"fmt"
	"time"
)

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
	Tracer        Tracer                       // nil: no spans (trace ids still tie the events together)
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
		b.notRun(ctx, out, entries, PhaseParse, nil)
		return out
	}
	st := b.stages(lab, out)
	if err := st.Login(ctx); err != nil {
		b.notRun(ctx, out, entries, PhaseLogin, err)
		return out
	}
	// From here on the lab may exist: delete it whatever happens.
	defer b.cleanup(ctx, st, out)
	if err := st.Spawn(ctx, b.SpawnTimeout); err != nil {
		b.notRun(ctx, out, entries, PhaseSpawn, err)
		return out
	}
	for i, e := range entries {
		if ctx.Err() != nil {
			b.notRun(ctx, out, entries[i:], PhaseCell, fmt.Errorf("not run: %w", ctx.Err()))
			break
		}
		b.record(out, b.runOne(ctx, st, e, out))
	}
	return out
}

// runOne runs one notebook in its own trace: kernel start, cells, session
// delete.
func (b *Batch) runOne(ctx context.Context, st *Stages, e Entry, out *BatchResult) (res *Result) {
	ctx, end := StartTrace(ctx, b.Tracer, "notebook "+e.Path, b.Runner.Meta.Attrs(e.Path)...)
	defer func() { end(res.err()) }()
	if e.ParseErr != nil {
		return b.Runner.Failed(ctx, e.Path, PhaseParse, e.ParseErr)
	}
	if b.OnNotebook != nil {
		b.OnNotebook(e.Path, len(e.Notebook.Cells))
	}
	sess, err := st.Open(ctx, e.Path, b.KernelTimeout)
	if err != nil {
		return b.Runner.Failed(ctx, e.Path, PhaseKernel, err)
	}
	res = b.Runner.Run(ctx, sess, e.Notebook, e.Path)
	cctx, cancel := cleanupContext(ctx, b.DeleteTimeout)
	defer cancel()
	if err := st.Close(cctx, sess, e.Path); err != nil {
		out.Cleanup = errors.Join(out.Cleanup, err)
	}
	return res
}

// stages instruments lab, recording every stage into out.
func (b *Batch) stages(lab Lab, out *BatchResult) *Stages {
	return &Stages{Lab: lab, Meta: b.Runner.Meta, Publisher: b.Runner.Publisher, Now: b.Runner.Now, Tracer: b.Tracer,
		OnStage: func(sr StageResult) {
			out.Stages = append(out.Stages, sr)
			if b.OnStage != nil {
				b.OnStage(sr)
			}
		}}
}

func (b *Batch) cleanup(ctx context.Context, st *Stages, out *BatchResult) {
	cctx, cancel := cleanupContext(ctx, b.DeleteTimeout)
	defer cancel()
	if !b.KeepLab {
		if err := st.DeleteLab(cctx); err != nil {
			out.Cleanup = errors.Join(out.Cleanup, err)
		}
	}
	st.endLab(nil) // a kept lab ends its session's trace here
	if err := st.Lab.Logout(cctx); err != nil {
		out.Cleanup = errors.Join(out.Cleanup, err)
	}
}

// cleanupContext outlives ctx's cancellation (Ctrl-C still cleans up) but
// is bounded by d (default one minute).
func cleanupContext(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		d = time.Minute
	}
	return context.WithTimeoutCause(context.WithoutCancel(ctx), d, fmt.Errorf("cleanup timed out after %s", d))
}

// notRun records entries that never reached a kernel, in the trace of the
// stage that failed, if one did.
func (b *Batch) notRun(ctx context.Context, out *BatchResult, entries []Entry, phase Phase, err error) {
	if se := (*StageError)(nil); errors.As(err, &se) {
		ctx = context.WithValue(ctx, traceKey{}, traceState{id: se.TraceID})
	}
	for _, e := range entries {
		p, cause := phase, err
		if e.ParseErr != nil {
			p, cause = PhaseParse, e.ParseErr
		}
		b.record(out, b.Runner.Failed(ctx, e.Path, p, cause))
	}
}

func (b *Batch) record(out *BatchResult, r *Result) {
	out.Notebooks = append(out.Notebooks, r)
	if b.OnResult != nil {
		b.OnResult(r)
	}
}
