package notebook

import (
	"context"
	"testing"
)

// BenchmarkTracingOffNotebook is what tracing costs a notebook run when it
// is off (no Tracer): the run's trace (its id for the events, the root
// span's attributes), the kernel start and session delete stage hooks and
// the span hooks of 20 cells, exactly as Batch and Runner call them.
func BenchmarkTracingOffNotebook(b *testing.B) {
	meta := Meta{Flock: "f", Business: "NotebookRunnerList", Username: "bot-mobu-b", Repo: "r", RepoHash: "h"}
	st := &Stages{Meta: meta}
	cells := make([]Cell, 20)
	for i := range cells {
		cells[i] = Cell{ID: "c", Number: i + 1}
	}
	b.ReportAllocs()
	for b.Loop() {
		ctx, end := StartTrace(context.Background(), nil, "notebook a.ipynb", meta.Attrs("a.ipynb")...)
		_, endKernel := st.span(ctx, StageKernelStart)
		endKernel(nil)
		for _, cell := range cells {
			_, endCell := startCellSpan(ctx, cell)
			endCell(nil)
		}
		_, endSession := st.span(ctx, StageSessionDelete)
		endSession(nil)
		end(nil)
	}
}

// BenchmarkTracingOffLabSession is the same for a lab session: the login,
// spawn and lab delete hooks, the session's trace begun and ended.
func BenchmarkTracingOffLabSession(b *testing.B) {
	st := &Stages{Meta: Meta{Flock: "f", Business: "NotebookRunnerList", Username: "bot-mobu-b"}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		for _, name := range []string{StageLogin, StageSpawn, StageLabDelete} {
			sctx, end := st.span(ctx, name)
			_ = CurrentTraceID(sctx)
			end(nil)
		}
		st.endLab(nil)
	}
}
