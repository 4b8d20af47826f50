package notebook

import (
	"context"
	"errors"
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

	var got, stageTraces []string
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
	want := "lab session<>false login<lab session>false spawn<lab session>false notebook a.ipynb<>false kernel start<notebook a.ipynb>false " +
		"cell a<notebook a.ipynb>false cell b<notebook a.ipynb>false session delete<notebook a.ipynb>false " +
		"notebook b.ipynb<>true kernel start<notebook b.ipynb>false cell a<notebook b.ipynb>true " +
		"session delete<notebook b.ipynb>false lab delete<lab session>false"
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
		case *events.Stage:
			if ev.TraceID == nil || len(*ev.TraceID) != 32 {
				t.Errorf("%s: trace id %v", ev.Name(), ev.TraceID)
			}
			stageTraces = append(stageTraces, ev.Name()+"@"+*ev.TraceID)
		}
	}
	tl, ta, tb := traces["lab session"], traces["notebook a.ipynb"], traces["notebook b.ipynb"]
	wantStages := []string{"nublado_login@" + tl, "nublado_spawn_lab@" + tl, "nublado_start_kernel@" + ta,
		"nublado_delete_session@" + ta, "nublado_start_kernel@" + tb, "nublado_delete_session@" + tb, "nublado_delete_lab@" + tl}
	if strings.Join(stageTraces, " ") != strings.Join(wantStages, " ") || tl == ta || tl == tb {
		t.Errorf("stage event traces:\n%v\nwant (lab session, notebook runs):\n%v", stageTraces, wantStages)
	}
	if f := res.Notebooks[1].Failure; f == nil || f.TraceID != traces["notebook b.ipynb"] {
		t.Errorf("failure %+v, want the notebook's trace id", f)
	}
	if root := tr.spans[3]; root.attrs["mobu.flock"] != "f" || root.attrs["mobu.notebook"] != "a.ipynb" {
		t.Errorf("root attributes %v", root.attrs)
	}
}

// A failed spawn: its error, its event and the notebooks it kept from
// running share the lab session's trace, whose root ends with the delete.
func TestSpawnFailureTrace(t *testing.T) {
	b, rec := newBatch(t)
	tr := &spanRecorder{}
	b.Tracer = tr
	lab := &fakeLab{kernel: &scriptKernel{}, fail: map[string]error{"spawn": errors.New("no capacity")}}
	res := b.Run(context.Background(), lab, []Entry{{Path: "a.ipynb", Notebook: nb(Cell{Source: "1"})}})
	if len(tr.spans) == 0 || tr.spans[0].name != "lab session" || !tr.spans[0].ended {
		t.Fatalf("spans %v: want an ended lab session root first", tr.spans)
	}
	lab0 := tr.spans[0].trace
	for _, e := range rec.evs {
		if ev, ok := e.(*events.Stage); ok && (ev.TraceID == nil || *ev.TraceID != lab0) {
			t.Errorf("%s trace %v, want the lab session's %s", ev.Name(), ev.TraceID, lab0)
		}
	}
	var se *StageError
	if len(res.Stages) != 3 || res.Stages[1].Stage != StageSpawn || res.Stages[1].TraceID != lab0 {
		t.Errorf("stages %+v", res.Stages)
	}
	if f := res.Notebooks[0].Failure; f == nil || f.TraceID != lab0 || !errors.As(f.Err, &se) || se.Stage != StageSpawn {
		t.Errorf("failure %+v, want the spawn's StageError in trace %s", f, lab0)
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
