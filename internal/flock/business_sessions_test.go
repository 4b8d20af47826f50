package flock

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/mobu-dev/mobu/internal/events"
	"github.com/mobu-dev/mobu/internal/notebook"
)

// labSessions splits the published events into lab sessions (from a spawn
// event to the lab delete event) and returns, for each finished session,
// what item picks from the events in it, in order.
func labSessions(r *recorder, item func(events.Event) (string, bool)) [][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var done [][]string
	var cur []string
	open := false
	for _, e := range r.evs {
		switch e.Name() {
		case events.NameSpawnLab:
			cur, open = nil, true
		case events.NameDeleteLab:
			if open {
				done = append(done, cur)
			}
			open = false
		default:
			if s, ok := item(e); ok && open {
				cur = append(cur, s)
			}
		}
	}
	return done
}

func notebookPath(e events.Event) (string, bool) {
	if nb, ok := e.(*events.NotebookExecution); ok && nb.Success {
		return nb.Notebook, true
	}
	return "", false
}

// TestNotebookRunnerListOncePerSession: every lab session of a
// NotebookRunnerList monkey runs each notebook exactly once.
func TestNotebookRunnerListOncePerSession(t *testing.T) {
	h := newHarness(t, nil)
	h.src.entries = []notebook.Entry{nbEntry("a.ipynb", "1"), nbEntry("b.ipynb", "2", "3"), nbEntry("c.ipynb", "4"),
		nbEntry("d.ipynb", "5")}
	if _, err := h.m.Start(context.Background(), flockSpec(t, `
name: list
count: 1
users: [{username: bot-mobu-list}]
business:
  type: NotebookRunnerList
  options: {idle_time: 0.001, execution_idle_time: 0, notebook_dir: /unused}`)); err != nil {
		t.Fatal(err)
	}
	var sessions [][]string // sessions that ended before the stop, which may cut one short
	eventually(t, "four lab sessions", func() bool {
		sessions = labSessions(h.pub, notebookPath)
		return len(sessions) >= 4
	})
	for i, s := range sessions {
		slices.Sort(s)
		if strings.Join(s, ",") != "a.ipynb,b.ipynb,c.ipynb,d.ipynb" {
			t.Fatalf("lab session %d ran %v, want each notebook once", i, s)
		}
	}
}

// TestNotebookRunnerInfiniteKeepsItsLab: a NotebookRunnerInfinite monkey
// spawns once and never deletes its lab while it runs, even with
// delete_lab; it deletes it when stopped.
func TestNotebookRunnerInfiniteKeepsItsLab(t *testing.T) {
	h := newHarness(t, nil)
	h.src.entries = []notebook.Entry{nbEntry("a.ipynb", "1"), nbEntry("b.ipynb", "2")}
	f, err := h.m.Start(context.Background(), flockSpec(t, `
name: inf
count: 1
users: [{username: bot-mobu-inf}]
business:
  type: NotebookRunnerInfinite
  options: {idle_time: 0.001, execution_idle_time: 0, delete_lab: true, notebook_dir: /unused}`))
	if err != nil {
		t.Fatal(err)
	}
	m := f.Monkeys()[0]
	eventually(t, "ten executions", func() bool { return m.Data().Business.SuccessCount >= 10 })
	// A fresh start finds no lab running: no leftover delete, no event.
	if s, d, e := h.lab.spawns.Load(), h.lab.dels.Load(), h.pub.count(events.NameDeleteLab); s != 1 || d != 0 || e != 0 {
		t.Fatalf("after 10 executions: %d spawns, %d lab deletes, %d lab delete events; want 1, 0, 0", s, d, e)
	}
	if err := h.m.Delete("inf"); err != nil {
		t.Fatal(err)
	}
	if d, e := h.lab.dels.Load(), h.pub.count(events.NameDeleteLab); d != 1 || e != 1 {
		t.Fatalf("%d lab deletes, %d events after the stop, want the lab deleted once", d, e)
	}
}

// TestPythonLoopMaxExecutionsPerSession: a NubladoPythonLoop monkey runs its
// code max_executions times in each lab session.
func TestPythonLoopMaxExecutionsPerSession(t *testing.T) {
	h := newHarness(t, nil)
	if _, err := h.m.Start(context.Background(), flockSpec(t, `
name: py
count: 1
users: [{username: bot-mobu-py}]
business:
  type: NubladoPythonLoop
  options: {code: "print(6 * 7)", max_executions: 3, idle_time: 0.001, execution_idle_time: 0}`)); err != nil {
		t.Fatal(err)
	}
	code := func(e events.Event) (string, bool) {
		if p, ok := e.(*events.PythonExecution); ok && p.Success {
			return p.Code, true
		}
		return "", false
	}
	var sessions [][]string // sessions that ended before the stop, which may cut one short
	eventually(t, "four lab sessions", func() bool {
		sessions = labSessions(h.pub, code)
		return len(sessions) >= 4
	})
	for i, s := range sessions {
		if len(s) != 3 || s[0] != "print(6 * 7)" || s[2] != s[0] {
			t.Fatalf("lab session %d ran %q, want the code 3 times", i, s)
		}
	}
}
