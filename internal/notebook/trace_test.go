package notebook

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/mobu-dev/mobu/internal/events"
)

// spanRecorder is a Tracer that records spans as "trace/parent/name/outcome".
type spanRecorder struct {
	mu    sync.Mutex
	spans []*fakeSpan
}

type spanKey struct{}

type fakeSpan struct {
	r              *spanRecorder
	trace, name    string
	parent         string // "" for a root
	attrs          map[string]any
	ended, errored bool
}

func (r *spanRecorder) Start(ctx context.Context, traceID, name string, attrs ...Attr) (context.Context, Span) {
	s := &fakeSpan{r: r, trace: traceID, name: name, attrs: map[string]any{}}
	if p, ok := ctx.Value(spanKey{}).(*fakeSpan); ok {
		s.parent, s.trace = p.name, p.trace // children keep the root's trace
	}
	for _, a := range attrs {
		s.attrs[a.Key] = a.Value
	}
	r.mu.Lock()
	r.spans = append(r.spans, s)
	r.mu.Unlock()
	return context.WithValue(ctx, spanKey{}, s), s
}

func (s *fakeSpan) End(err error) {
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	s.ended, s.errored = true, err != nil
}

func TestBatchTraces(t *testing.T) {
	b, rec := newBatch(t)
	tr := &spanRecorder{}
	b.Tracer = tr
	b.Runner.Meta.Flock = "f"
	lab := &fakeLab{kernel: &scriptKernel{answers: map[string]func(ExecOptions) (*Execution, error){"boom": raise("ValueError")}}}
	es := []Entry{{Path: "a.ipynb", Notebook: nb(Cell{Source: "1"}, Cell{Source: "2"})},
		{Path: "b.ipynb", Notebook: nb(Cell{Source: "boom"})}}
	res := b.Run(context.Background(), lab, es)

	var got []string
	traces := map[string]string{} // root span name → trace id
	for _, s := range tr.spans {
		if !s.ended {
			t.Errorf("span %s not ended", s.name)
		}
		if s.parent == "" {
			traces[s.name] = s.trace
		}
		got = append(got, fmt.Sprintf("%s<%s>%v", s.name, s.parent, s.errored))
	}
	want := "login<>false spawn<>false notebook a.ipynb<>false kernel start<notebook a.ipynb>false " +
		"cell a<notebook a.ipynb>false cell b<notebook a.ipynb>false session delete<notebook a.ipynb>false " +
		"notebook b.ipynb<>true kernel start<notebook b.ipynb>false cell a<notebook b.ipynb>true " +
		"session delete<notebook b.ipynb>false lab delete<>false"
	if strings.Join(got, " ") != want {
		t.Fatalf("spans:\n%s\nwant:\n%s", strings.Join(got, " "), want)
	}
	// The trace of each notebook is the trace_id of its events and its failure.
	for _, e := range rec.evs {
		switch ev := e.(type) {
		case *events.NotebookExecution:
			if ev.TraceID != traces["notebook "+ev.Notebook] {
				t.Errorf("%s: event trace %s, span trace %s", ev.Notebook, ev.TraceID, traces["notebook "+ev.Notebook])
			}
		case *events.NotebookCellExecution:
			if ev.TraceID != traces["notebook "+ev.Notebook] {
				t.Errorf("%s cell %s: event trace %s", ev.Notebook, ev.CellID, ev.TraceID)
			}
		}
	}
	if f := res.Notebooks[1].Failure; f == nil || f.TraceID != traces["notebook b.ipynb"] {
		t.Errorf("failure %+v, want the notebook's trace id", f)
	}
	if root := tr.spans[2]; root.attrs["mobu.flock"] != "f" || root.attrs["mobu.notebook"] != "a.ipynb" {
		t.Errorf("root attributes %v", root.attrs)
	}
	if len(traces["login"]) != 32 || traces["login"] == traces["spawn"] {
		t.Errorf("stage traces %v: want one 128-bit trace each", traces)
	}
}

// Without a tracer the trace id still ties a run's events together.
func TestTraceIDWithoutTracer(t *testing.T) {
	b, rec := newBatch(t)
	b.Run(context.Background(), &fakeLab{kernel: &scriptKernel{}}, []Entry{{Path: "a.ipynb", Notebook: nb(Cell{Source: "1"}, Cell{Source: "2"})}})
	ids := map[string]bool{}
	for _, e := range rec.evs {
		switch ev := e.(type) {
		case *events.NotebookExecution:
			ids[ev.TraceID] = true
		case *events.NotebookCellExecution:
			ids[ev.TraceID] = true
		}
	}
	if len(ids) != 1 {
		t.Fatalf("trace ids %v, want one for the run", ids)
	}
}
