package notebook

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/events"
)

// scriptKernel answers each code string from a table; unknown code is "ok".
type scriptKernel struct {
	answers map[string]func(ExecOptions) (*Execution, error)
	ran     []string
	opts    []ExecOptions
}

func (k *scriptKernel) Execute(_ context.Context, code string, opts ExecOptions) (*Execution, error) {
	k.ran = append(k.ran, code)
	k.opts = append(k.opts, opts)
	if f, ok := k.answers[code]; ok {
		return f(opts)
	}
	return &Execution{Status: "ok", Duration: 10 * time.Millisecond, KernelDuration: 4 * time.Millisecond, HasKernelDuration: true}, nil
}

func (k *scriptKernel) Close(context.Context) error { return nil }

func raise(name string) func(ExecOptions) (*Execution, error) {
	return func(ExecOptions) (*Execution, error) {
		return &Execution{Status: "error", EName: name, EValue: "boom", Traceback: []string{"tb1", "tb2"}, Duration: time.Millisecond}, nil
	}
}

// recorder is a Publisher keeping events, validating them as the queue would.
type recorder struct {
	mu  sync.Mutex
	evs []events.Event
	t   *testing.T
}

func (r *recorder) Publish(e events.Event) {
	e.Common().ID, e.Common().Application = "id", "mobu"
	if err := e.Validate(); err != nil {
		r.t.Errorf("invalid %s event: %v", e.Name(), err)
	}
	r.mu.Lock()
	r.evs = append(r.evs, e)
	r.mu.Unlock()
}

func (r *recorder) cells() []*events.NotebookCellExecution {
	var out []*events.NotebookCellExecution
	for _, e := range r.evs {
		if c, ok := e.(*events.NotebookCellExecution); ok {
			out = append(out, c)
		}
	}
	return out
}

func nb(cells ...Cell) *Notebook {
	for i := range cells {
		cells[i].Number = i + 1
		if cells[i].ID == "" {
			cells[i].ID = string(rune('a' + i))
		}
	}
	return &Notebook{Path: "t.ipynb", Cells: cells}
}

func TestRunnerCellRules(t *testing.T) {
	tests := []struct {
		name     string
		cells    []Cell
		answers  map[string]func(ExecOptions) (*Execution, error)
		passed   bool
		statuses []CellStatus
		ran      []string
		errText  string
	}{
		{name: "all pass", cells: []Cell{{Source: "1"}, {Source: "2"}}, passed: true,
			statuses: []CellStatus{CellPassed, CellPassed}, ran: []string{"1", "2"}},
		{name: "skip and empty", cells: []Cell{{Source: "raise X", Skip: true}, {Source: "  \n"}, {Source: "2"}}, passed: true,
			statuses: []CellStatus{CellSkipped, CellEmpty, CellPassed}, ran: []string{"2"}},
		{name: "expected exception", cells: []Cell{{Source: "1/0", RaisesException: true}, {Source: "2"}},
			answers: map[string]func(ExecOptions) (*Execution, error){"1/0": raise("ZeroDivisionError")}, passed: true,
			statuses: []CellStatus{CellExpected, CellPassed}, ran: []string{"1/0", "2"}},
		{name: "expected exception missing", cells: []Cell{{Source: "1", RaisesException: true}, {Source: "2"}},
			statuses: []CellStatus{CellFailed}, ran: []string{"1"}, errText: "cell: notebook t.ipynb cell a (#1): expected exception did not occur"},
		{name: "stops at first failure", cells: []Cell{{Source: "1"}, {Source: "bad"}, {Source: "3"}},
			answers:  map[string]func(ExecOptions) (*Execution, error){"bad": raise("ValueError")},
			statuses: []CellStatus{CellPassed, CellFailed}, ran: []string{"1", "bad"}, errText: "cell b (#2): ValueError: boom"},
		{name: "aborted", cells: []Cell{{Source: "q"}},
			answers: map[string]func(ExecOptions) (*Execution, error){"q": func(ExecOptions) (*Execution, error) {
				return &Execution{Status: "aborted"}, nil
			}},
			statuses: []CellStatus{CellFailed}, ran: []string{"q"}, errText: "execution aborted by the kernel"},
		{name: "kernel died", cells: []Cell{{Source: "exit"}},
			answers: map[string]func(ExecOptions) (*Execution, error){"exit": func(ExecOptions) (*Execution, error) {
				return nil, errors.New("kernel died: websocket closed")
			}},
			statuses: []CellStatus{CellFailed}, ran: []string{"exit"}, errText: "cell a (#1): kernel died: websocket closed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := &scriptKernel{answers: tt.answers}
			rec := &recorder{t: t}
			r := &Runner{Meta: Meta{Business: "NotebookRunnerList", Username: "bot-mobu-t"}, Publisher: rec, CellTimeout: time.Minute}
			res := r.Run(context.Background(), k, nb(tt.cells...), "t.ipynb")
			if res.Passed() != tt.passed {
				t.Fatalf("passed = %v (%v)", res.Passed(), res.Failure)
			}
			if strings.Join(k.ran, "|") != strings.Join(tt.ran, "|") {
				t.Errorf("ran %q, want %q", k.ran, tt.ran)
			}
			var got []CellStatus
			for _, c := range res.Cells {
				got = append(got, c.Status)
			}
			if len(got) != len(tt.statuses) {
				t.Fatalf("statuses %v, want %v", got, tt.statuses)
			}
			for i := range got {
				if got[i] != tt.statuses[i] {
					t.Errorf("statuses %v, want %v", got, tt.statuses)
				}
			}
			if tt.errText != "" && (res.Failure == nil || !strings.Contains(res.Failure.Error(), tt.errText)) {
				t.Errorf("failure %v, want %q", res.Failure, tt.errText)
			}
			checkCellEvents(t, rec, res)
		})
	}
}

// checkCellEvents: one event per non-empty cell, matching the results, all
// sharing the notebook event's trace id.
func checkCellEvents(t *testing.T, rec *recorder, res *Result) {
	t.Helper()
	cells := rec.cells()
	i := 0
	for _, cr := range res.Cells {
		if cr.Status == CellEmpty {
			continue
		}
		if i >= len(cells) {
			t.Fatalf("no event for cell %s", cr.Cell.ID)
		}
		e := cells[i]
		i++
		if e.CellID != cr.Cell.ID || e.CellNumber != cr.Cell.Number || e.Success != (cr.Status != CellFailed) ||
			e.Skipped != (cr.Status == CellSkipped) || e.TraceID != res.TraceID || (e.Duration == nil) == cr.Ran {
			t.Errorf("event %+v does not match cell result %+v", e, cr)
		}
	}
	if i != len(cells) {
		t.Errorf("%d cell events, want %d", len(cells), i)
	}
	last, ok := rec.evs[len(rec.evs)-1].(*events.NotebookExecution)
	if !ok || last.Success != res.Passed() || last.TraceID != res.TraceID || last.RepoHash != "unknown" {
		t.Errorf("last event %+v, want the notebook_execution", rec.evs[len(rec.evs)-1])
	}
}

func TestRunnerPassesOptions(t *testing.T) {
	k := &scriptKernel{answers: map[string]func(ExecOptions) (*Execution, error){"1/0": raise("E")}}
	r := &Runner{Publisher: &recorder{t: t}, Meta: Meta{Business: "b", Username: "u"}, CellTimeout: 3 * time.Second}
	r.Run(context.Background(), k, nb(Cell{Source: "1/0", RaisesException: true}, Cell{Source: "x"}), "t.ipynb")
	want := []ExecOptions{{Timeout: 3 * time.Second}, {Timeout: 3 * time.Second}}
	if len(k.opts) != 2 || k.opts[0] != want[0] || k.opts[1] != want[1] {
		t.Fatalf("options %+v, want %+v", k.opts, want)
	}
}

func TestRunnerStopsBetweenCells(t *testing.T) {
	k := &scriptKernel{}
	rec := &recorder{t: t}
	var started []string
	stop := false
	r := &Runner{Publisher: rec, Meta: Meta{Business: "b", Username: "u"},
		OnCellStart: func(c Cell) { started = append(started, c.ID) },
		OnCell:      func(cr CellResult) { stop = cr.Cell.ID == "b" }, // a stop arrives while cell b runs
		Stopping:    func() bool { return stop }}
	res := r.Run(context.Background(), k, nb(Cell{Source: "1"}, Cell{Source: "2"}, Cell{Source: "3"}), "t.ipynb")
	if !res.Stopped || res.Failure != nil || len(res.Cells) != 2 || strings.Join(started, ",") != "a,b" {
		t.Fatalf("stopped %v, failure %v, cells %d, started %v", res.Stopped, res.Failure, len(res.Cells), started)
	}
	for _, e := range rec.evs {
		if e.Name() == events.NameNotebookExecution {
			t.Fatal("an incomplete (stopped) run published a notebook_execution event")
		}
	}
}
