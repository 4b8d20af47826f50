package notebook

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/mobu-dev/mobu/internal/ctxtime"
	"github.com/mobu-dev/mobu/internal/events"
)

// CellStatus is the outcome of one code cell.
type CellStatus string

// Cell outcomes.
const (
	CellPassed   CellStatus = "passed"
	CellFailed   CellStatus = "failed"
	CellSkipped  CellStatus = "skipped"  // tagged skip-execution
	CellEmpty    CellStatus = "empty"    // no code: not sent
	CellExpected CellStatus = "expected" // tagged raises-exception and raised
)

// CellResult is one code cell's outcome and timings.
type CellResult struct {
	Cell              Cell
	Status            CellStatus
	Duration          time.Duration // client round trip
	KernelDuration    time.Duration
	HasKernelDuration bool
	Ran               bool // the kernel answered (durations are valid)
}

// Result is one notebook run.
type Result struct {
	Path     string // as reported in events
	TraceID  string
	Cells    []CellResult // in order, up to and including a failed cell
	Total    int          // code cells in the notebook
	Duration time.Duration
	Failure  *Failure // nil when the notebook passed
	Stopped  bool     // a stop was requested before the last cell: incomplete, not failed
}

// Passed reports whether the notebook passed.
func (r *Result) Passed() bool { return r.Failure == nil }

// err is the failure as an error, nil when the notebook passed.
func (r *Result) err() error {
	if r == nil || r.Failure == nil {
		return nil
	}
	return r.Failure
}

// Runner runs notebooks cell by cell on a kernel and publishes events.
type Runner struct {
	Meta          Meta
	Publisher     Publisher
	CellTimeout   time.Duration    // 0: no limit
	ExecutionIdle time.Duration    // pause between cells
	OnCellStart   func(Cell)       // before a cell is sent, may be nil
	OnCell        func(CellResult) // after each cell, may be nil
	Stopping      func() bool      // checked before each cell: true ends the run early; may be nil
	Now           func() time.Time // default time.Now
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// Run executes nb's code cells in order on k, stopping at the first failing
// cell, and publishes a notebook_cell_execution event per cell (skipped ones
// included) and a notebook_execution event at the end. When Stopping reports
// true before a cell, the run ends there as Stopped and publishes no
// notebook_execution event (the measurement is incomplete).
func (r *Runner) Run(ctx context.Context, k Kernel, nb *Notebook, path string) *Result {
	res := &Result{Path: path, TraceID: traceID(ctx), Total: len(nb.Cells)}
	start := time.Now()
	ran := false
	for _, cell := range nb.Cells {
		if r.Stopping != nil && r.Stopping() {
			res.Stopped = true
			break
		}
		if ran && r.ExecutionIdle > 0 && !cell.Skip {
			if err := ctxtime.Sleep(ctx, r.ExecutionIdle); err != nil {
				res.Failure = &Failure{Phase: PhaseCell, Notebook: path, CellID: cell.ID, CellNumber: cell.Number, Code: cell.Source, Err: err}
				break
			}
		}
		cr, failure := r.runCell(ctx, k, cell, path)
		ran = ran || cr.Ran
		res.Cells = append(res.Cells, cr)
		if cr.Status != CellEmpty {
			r.publishCell(res, cr)
		}
		if r.OnCell != nil {
			r.OnCell(cr)
		}
		if failure != nil {
			res.Failure = failure
			break
		}
	}
	res.Duration = time.Since(start)
	if res.Failure != nil {
		res.Failure.TraceID = res.TraceID
	}
	if res.Stopped {
		return res
	}
	r.Publisher.Publish(&events.NotebookExecution{
		Base: r.Meta.base(r.now()), NotebookBase: r.Meta.notebookBase(path),
		Duration: events.OptSeconds(res.Duration, true), Success: res.Passed(), TraceID: res.TraceID,
	})
	return res
}

// Failed records a notebook that could not run (bad file, no kernel, no
// lab) and publishes its failed notebook_execution event (null duration).
func (r *Runner) Failed(ctx context.Context, path string, phase Phase, err error) *Result {
	res := &Result{Path: path, TraceID: traceID(ctx), Failure: &Failure{Phase: phase, Notebook: path, Err: err}}
	res.Failure.TraceID = res.TraceID
	r.Publisher.Publish(&events.NotebookExecution{
		Base: r.Meta.base(r.now()), NotebookBase: r.Meta.notebookBase(path), Success: false, TraceID: res.TraceID,
	})
	return res
}

// runCell runs one cell, in its own span when traced, and judges it
// against its tags.
func (r *Runner) runCell(ctx context.Context, k Kernel, cell Cell, path string) (CellResult, *Failure) {
	switch {
	case cell.Skip:
		return CellResult{Cell: cell, Status: CellSkipped}, nil
	case strings.TrimSpace(cell.Source) == "":
		return CellResult{Cell: cell, Status: CellEmpty}, nil
	}
	if r.OnCellStart != nil {
		r.OnCellStart(cell)
	}
	ctx, end := startCellSpan(ctx, cell)
	cr, fail := r.execCell(ctx, k, cell, path)
	if fail != nil {
		end(fail)
	} else {
		end(nil)
	}
	return cr, fail
}

// execCell sends a code cell to the kernel and judges the answer.
func (r *Runner) execCell(ctx context.Context, k Kernel, cell Cell, path string) (CellResult, *Failure) {
	cr := CellResult{Cell: cell}
	exec, err := k.Execute(ctx, cell.Source, ExecOptions{Timeout: r.CellTimeout})
	fail := &Failure{Phase: PhaseCell, Notebook: path, CellID: cell.ID, CellNumber: cell.Number, Code: cell.Source, Err: err}
	if exec != nil {
		cr.Ran = true
		cr.Duration, cr.KernelDuration, cr.HasKernelDuration = exec.Duration, exec.KernelDuration, exec.HasKernelDuration
		fail.EName, fail.EValue, fail.Output = exec.EName, exec.EValue, exec.Output
		fail.Traceback = strings.Join(exec.Traceback, "\n")
	}
	switch {
	case err != nil:
	case exec.Status == "ok" && cell.RaisesException:
		fail.Err = errors.New("expected exception did not occur (cell is tagged raises-exception)")
	case exec.Status == "ok":
		cr.Status = CellPassed
		return cr, nil
	case exec.Status == "error" && cell.RaisesException:
		cr.Status = CellExpected
		return cr, nil
	case exec.Status == "aborted":
		fail.Err = errors.New("execution aborted by the kernel")
	}
	cr.Status = CellFailed
	return cr, fail
}

func (r *Runner) publishCell(res *Result, cr CellResult) {
	r.Publisher.Publish(&events.NotebookCellExecution{
		Base:           r.Meta.base(r.now()),
		NotebookBase:   r.Meta.notebookBase(res.Path),
		Duration:       events.OptSeconds(cr.Duration, cr.Ran),
		CellID:         cr.Cell.ID,
		Success:        cr.Status != CellFailed,
		KernelDuration: events.OptSeconds(cr.KernelDuration, cr.HasKernelDuration),
		TraceID:        res.TraceID,
		CellNumber:     cr.Cell.Number,
		Skipped:        cr.Status == CellSkipped,
	})
}
