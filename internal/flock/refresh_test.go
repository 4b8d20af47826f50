package flock

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/events"
	"github.com/mobu-dev/mobu/internal/notebook"
)

func TestRefreshFetchesAtNotebookBoundaryAndKeepsNotebooksOnFailure(t *testing.T) {
	h := newHarness(t, nil)
	h.src.entries = []notebook.Entry{nbEntry("a.ipynb", "1")}
	f, _ := h.m.Start(context.Background(), flockSpec(t, `
name: rf
count: 1
users: [{username: bot-mobu-rf}]
business:
  type: NotebookRunnerInfinite
  restart: true
  options: {idle_time: 0.01, execution_idle_time: 0, notebook_dir: /unused}`))
	m := f.Monkeys()[0]
	eventually(t, "first notebooks", func() bool { return m.Data().Business.SuccessCount >= 2 })
	unreachable := errors.New("remote unreachable")
	h.src.fetchErr.Store(&unreachable)
	f.Refresh()
	eventually(t, "a failed fetch reported", func() bool { return m.Data().Business.RefreshError != "" })
	failures := m.Data().Business.FailureCount
	before := m.Data().Business.SuccessCount
	eventually(t, "notebooks still running after the failed refresh", func() bool {
		return m.Data().Business.SuccessCount > before+2
	})
	if m.Data().Business.FailureCount != failures || !strings.Contains(m.Data().Business.RefreshError, "remote unreachable") {
		t.Fatalf("data %+v", m.Data())
	}
	h.src.fetchErr.Store(nil)
	loads := h.src.loads.Load()
	f.Refresh()
	eventually(t, "a good refresh", func() bool {
		d := m.Data().Business
		return h.src.loads.Load() > loads && d.RefreshError == "" && !d.Refreshing && d.RepoHash == "abc"
	})
}

func TestRefreshRepoMatchesURLAndRef(t *testing.T) {
	h := newHarness(t, nil)
	h.src.entries = []notebook.Entry{nbEntry("a.ipynb", "1")}
	spec := func(name, url, ref string) string {
		return `
name: ` + name + `
count: 1
users: [{username: bot-mobu-` + name + `}]
business:
  type: NotebookRunnerList
  options: {idle_time: 60, execution_idle_time: 0, repo_url: "` + url + `", repo_ref: ` + ref + `}`
	}
	h.m.Start(context.Background(), flockSpec(t, spec("a", "https://github.com/Org/Repo.git", "main")))
	h.m.Start(context.Background(), flockSpec(t, spec("b", "https://github.com/org/repo", "main")))
	h.m.Start(context.Background(), flockSpec(t, spec("c", "https://github.com/org/repo", "feature/x")))
	h.m.Start(context.Background(), flockSpec(t, spec("d", "https://github.com/org/other", "main")))
	got := h.m.RefreshRepo("https://github.com/org/repo/", "main")
	if !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("refreshed %v, want a and b", got)
	}
	if got := h.m.RefreshRepo("https://github.com/org/repo.git", "feature/x"); !slices.Equal(got, []string{"c"}) {
		t.Fatalf("branch with a slash: refreshed %v", got)
	}
}

func TestSortedOrder(t *testing.T) {
	h := newHarness(t, nil)
	h.src.entries = []notebook.Entry{nbEntry("a.ipynb", "1"), nbEntry("b.ipynb", "1"), nbEntry("c.ipynb", "1")}
	f, _ := h.m.Start(context.Background(), flockSpec(t, `
name: so
count: 1
users: [{username: bot-mobu-so}]
business:
  type: NotebookRunnerCounting
  options: {max_executions: 6, notebook_order: sorted, idle_time: 60, execution_idle_time: 0, notebook_dir: /unused}`))
	eventually(t, "6 notebooks", func() bool { return f.Summary(time.Now()).SuccessCount >= 1 })
	var order []string
	h.pub.mu.Lock()
	for _, e := range h.pub.evs {
		if nb, ok := e.(*events.NotebookExecution); ok {
			order = append(order, nb.Notebook)
		}
	}
	h.pub.mu.Unlock()
	if strings.Join(order, ",") != "a.ipynb,b.ipynb,c.ipynb,a.ipynb,b.ipynb,c.ipynb" {
		t.Fatalf("order %v", order)
	}
}
