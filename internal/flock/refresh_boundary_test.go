package flock

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/mobu-dev/mobu/internal/events"
	"github.com/mobu-dev/mobu/internal/notebook"
)

// TestRotationPersistsAcrossLabSessions: with two notebooks per lab session
// (each ending with the lab deleted) and five notebooks, the shuffled
// rotation carries over from one lab to the next: every run of five
// consecutive notebooks is the whole set, without repeats. A rotation
// restarted per lab session repeats within five with probability 0.94 per
// block; four blocks are checked.
func TestRotationPersistsAcrossLabSessions(t *testing.T) {
	h := newHarness(t, nil)
	for i := range 5 {
		h.src.entries = append(h.src.entries, nbEntry(fmt.Sprintf("n%d.ipynb", i), "1"))
	}
	f, _ := h.m.Start(context.Background(), flockSpec(t, `
name: ro
count: 1
users: [{username: bot-mobu-ro}]
business:
  type: NotebookRunnerCounting
  options: {max_executions: 2, delete_lab: true, idle_time: 0.001, execution_idle_time: 0, notebook_dir: /unused}`))
	m := f.Monkeys()[0]
	eventually(t, "20 notebooks", func() bool { return len(notebookRuns(h.pub)) >= 20 })
	if spawns := h.lab.spawns.Load(); spawns < 10 {
		t.Fatalf("%d lab sessions for 20 notebooks, want 10", spawns)
	}
	runs := notebookRuns(h.pub)
	for block := range 4 {
		var paths []string
		for _, nb := range runs[block*5 : block*5+5] {
			paths = append(paths, nb.Notebook)
		}
		sorted := slices.Sorted(slices.Values(paths))
		if !slices.Equal(sorted, []string{"n0.ipynb", "n1.ipynb", "n2.ipynb", "n3.ipynb", "n4.ipynb"}) {
			t.Fatalf("block %d of the rotation: %v (lab sessions %d, monkey %+v)", block, paths, h.lab.spawns.Load(), m.Data())
		}
	}
}

// TestRefreshNotAppliedMidNotebook: a refresh whose fetch ends while a
// multi-cell notebook runs takes effect only after that notebook ends: all
// its cells run, under the old commit, and the next notebook comes from the
// new one.
func TestRefreshNotAppliedMidNotebook(t *testing.T) {
	h := newHarness(t, nil)
	h.lab.cellGate, h.lab.cellWaiting = make(chan struct{}), make(chan struct{}, 1)
	h.src.entries = []notebook.Entry{nbEntry("x.ipynb", "1", "wait", "2")}
	f := startInfinite(t, h, "mid", "bot-mobu-mid")
	m := f.Monkeys()[0]
	<-h.lab.cellWaiting // x.ipynb is in its second cell
	h.src.set("def", []notebook.Entry{nbEntry("y.ipynb", "1")})
	f.Refresh()
	eventually(t, "the fetch to end", func() bool { done, _ := f.fetch.result(1); return done })
	if d := m.Data().Business; d.Notebook != "x.ipynb" || d.RepoHash != "abc" || !d.Refreshing {
		t.Fatalf("while x.ipynb runs: %+v", d)
	}
	close(h.lab.cellGate)
	eventually(t, "the new commit's notebook", func() bool {
		runs := notebookRuns(h.pub)
		return len(runs) >= 2 && runs[len(runs)-1].Notebook == "y.ipynb"
	})
	runs := notebookRuns(h.pub)
	if x := runs[0]; x.Notebook != "x.ipynb" || x.RepoHash != "abc" || !x.Success {
		t.Fatalf("the notebook running during the refresh: %s at %s, success %v", x.Notebook, x.RepoHash, x.Success)
	}
	if cells := cellRuns(h.pub, "x.ipynb"); !slices.Equal(cells, []string{"a@abc", "b@abc", "c@abc"}) {
		t.Fatalf("cells of x.ipynb: %v, want all three under the old commit", cells)
	}
	for _, nb := range runs[1:] {
		if nb.Notebook != "y.ipynb" || nb.RepoHash != "def" {
			t.Fatalf("after x.ipynb: %s at %s", nb.Notebook, nb.RepoHash)
		}
	}
}

// cellRuns lists the cell executions of a notebook as "cell@hash".
func cellRuns(r *recorder, path string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.evs {
		if c, ok := e.(*events.NotebookCellExecution); ok && c.Notebook == path {
			out = append(out, c.CellID+"@"+c.RepoHash)
		}
	}
	return out
}
