package flock

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/mobu-dev/mobu/internal/events"
	"github.com/mobu-dev/mobu/internal/notebook"
)

// notebookRuns returns the notebook executions published so far, in order.
func notebookRuns(r *recorder) []*events.NotebookExecution {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*events.NotebookExecution
	for _, e := range r.evs {
		if nb, ok := e.(*events.NotebookExecution); ok {
			out = append(out, nb)
		}
	}
	return out
}

// TestRefreshStalledFetchKeepsMonkeysRunning: while the flock's fetch hangs
// (a remote that accepts and never answers), every monkey keeps running the
// notebooks of its checkout; when the fetch ends, each monkey switches to the
// new commit. The flock fetches once for the refresh: not once per monkey,
// and no second fetch before the monkeys switch.
func TestRefreshStalledFetchKeepsMonkeysRunning(t *testing.T) {
	h := newHarness(t, nil)
	h.src.entries = []notebook.Entry{nbEntry("a.ipynb", "1")}
	f := startInfinite(t, h, "st", "bot-mobu-st1", "bot-mobu-st2")
	waitFirstNotebooks(t, f)
	monkeys := f.Monkeys()
	started, release := h.src.blockFetches()
	t.Cleanup(release)
	h.src.push("def", []notebook.Entry{nbEntry("b.ipynb", "1")})
	f.Refresh()
	<-started
	for _, m := range monkeys {
		before := m.Data().Business.SuccessCount
		eventually(t, "notebooks running during the stalled fetch", func() bool {
			return m.Data().Business.SuccessCount >= before+3
		})
		if d := m.Data().Business; !d.Refreshing || d.RepoHash != "abc" {
			t.Fatalf("during the fetch: %+v", d)
		}
	}
	release()
	for _, m := range monkeys {
		eventually(t, "the new commit", func() bool {
			d := m.Data().Business
			return d.RepoHash == "def" && !d.Refreshing && d.RefreshError == ""
		})
	}
	n := len(notebookRuns(h.pub))
	eventually(t, "notebooks of the new commit", func() bool { return len(notebookRuns(h.pub)) >= n+4 })
	for _, nb := range notebookRuns(h.pub)[n:] {
		if nb.RepoHash != "def" || nb.Notebook != "b.ipynb" {
			t.Fatalf("after the refresh: %s at %s", nb.Notebook, nb.RepoHash)
		}
	}
	if fetches, gen, running := fetchState(h, f); fetches != 1 || gen != 1 || running {
		t.Fatalf("%d fetches (generation %d, running %v) for one refresh of two monkeys, want 1", fetches, gen, running)
	}
}

// TestRefreshDuringFetchFetchesAgain: a refresh that arrives while the
// flock's fetch runs (a GitHub push after an API refresh) is not absorbed by
// that fetch, which may have started before the push: one more fetch follows
// it, and the monkeys switch to the pushed commit.
func TestRefreshDuringFetchFetchesAgain(t *testing.T) {
	h := newHarness(t, nil)
	h.src.entries = []notebook.Entry{nbEntry("a.ipynb", "1")}
	f, _ := h.m.Start(context.Background(), flockSpec(t, `
name: rp
count: 2
users: [{username: bot-mobu-rp1}, {username: bot-mobu-rp2}]
business:
  type: NotebookRunnerInfinite
  options: {idle_time: 0.005, execution_idle_time: 0, repo_url: "https://github.com/org/repo", repo_ref: main}`))
	waitFirstNotebooks(t, f)
	started, release := h.src.blockFetches()
	t.Cleanup(release)
	f.Refresh() // POST /flocks/rp/refresh
	<-started
	h.src.push("def", []notebook.Entry{nbEntry("b.ipynb", "1")})
	if got := h.m.RefreshRepo("https://github.com/org/repo", "main"); len(got) != 1 {
		t.Fatalf("the push refreshed %v", got)
	}
	release()
	for _, m := range f.Monkeys() {
		eventually(t, "the pushed commit", func() bool {
			d := m.Data().Business
			return d.RepoHash == "def" && !d.Refreshing && d.RefreshError == ""
		})
	}
	if fetches, gen, running := fetchState(h, f); fetches != 2 || gen != 2 || running {
		t.Fatalf("%d fetches (generation %d, running %v) for a refresh during a fetch, want 2", fetches, gen, running)
	}
}

// fetchState reports the source's fetch count and the flock fetcher's
// finished generation and whether it is fetching.
func fetchState(h *harness, f *Flock) (fetches int64, gen uint64, running bool) {
	f.fetch.mu.Lock()
	defer f.fetch.mu.Unlock()
	return h.src.fetches.Load(), f.fetch.gen, f.fetch.running
}

// TestRefreshStopsStalledFetch: stopping the flock ends a fetch that hangs;
// nothing of it outlives the flock.
func TestRefreshStopsStalledFetch(t *testing.T) {
	h := newHarness(t, nil)
	h.src.entries = []notebook.Entry{nbEntry("a.ipynb", "1")}
	f := startInfinite(t, h, "ss", "bot-mobu-ss")
	started, release := h.src.blockFetches()
	defer release()
	f.Refresh()
	<-started
	if err := h.m.Delete("ss"); err != nil { // returns once the fetch has ended
		t.Fatal(err)
	}
	f.fetch.mu.Lock()
	running, err := f.fetch.running, f.fetch.err
	f.fetch.mu.Unlock()
	if running || err == nil {
		t.Fatalf("after the stop: fetch running %v, error %v", running, err)
	}
}

// startInfinite starts flock name with one NotebookRunnerInfinite monkey per
// user, looping quickly over the harness's notebooks.
func startInfinite(t *testing.T, h *harness, name string, users ...string) *Flock {
	t.Helper()
	spec := fmt.Sprintf(`
name: %s
count: %d
users: [%s]
business:
  type: NotebookRunnerInfinite
  options: {idle_time: 0.005, execution_idle_time: 0, notebook_dir: /unused}`,
		name, len(users), "{username: "+strings.Join(users, "}, {username: ")+"}")
	f, err := h.m.Start(context.Background(), flockSpec(t, spec))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// waitFirstNotebooks waits until every monkey of f has run a notebook.
func waitFirstNotebooks(t *testing.T, f *Flock) {
	t.Helper()
	for _, m := range f.Monkeys() {
		eventually(t, "first notebooks", func() bool { return m.Data().Business.SuccessCount >= 1 })
	}
}
