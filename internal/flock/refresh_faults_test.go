package flock

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/notebook"
)

// TestLoadFailureBacksOff: a source with nothing runnable fails the monkey's
// startup with the source's message, and the monkey backs off (at least half
// of the first backoff step, one second) instead of spinning; once the source
// is fixed, the monkey runs.
func TestLoadFailureBacksOff(t *testing.T) {
	h := newHarness(t, nil)
	h.src.entries = []notebook.Entry{nbEntry("a.ipynb", "1")}
	h.src.failLoads(errors.New("no runnable notebooks in mem (3 excluded by the selection rules)"))
	f, _ := h.m.Start(context.Background(), flockSpec(t, `
name: lf
count: 1
users: [{username: bot-mobu-lf}]
business:
  type: NotebookRunnerList
  restart: true
  options: {idle_time: 0.01, error_idle_time: 1, execution_idle_time: 0, notebook_dir: /unused}`))
	m := f.Monkeys()[0]
	eventually(t, "a failed load", func() bool { return m.Data().Business.FailureCount >= 1 })
	first := time.Now()
	if d := m.Data(); d.State != StateError ||
		!strings.Contains(d.LastError, "loading notebooks: no runnable notebooks in mem") || h.lab.spawns.Load() != 0 {
		t.Fatalf("after the failed load: %+v, spawns %d", d, h.lab.spawns.Load())
	}
	eventually(t, "a second attempt", func() bool { return m.Data().Business.FailureCount >= 2 })
	if gap := time.Since(first); gap < 500*time.Millisecond {
		t.Fatalf("second attempt after %v: no backoff", gap)
	}
	h.src.failLoads(nil)
	eventually(t, "notebooks once the source is fixed", func() bool { return m.Data().Business.SuccessCount >= 1 })
}

// TestRefreshWithBadRepoConfigKeepsNotebooks: a refresh whose new commit
// has a bad mobu.yaml keeps the old notebooks (and commit) running and
// reports the error in refresh_error; a later good refresh clears it.
func TestRefreshWithBadRepoConfigKeepsNotebooks(t *testing.T) {
	h := newHarness(t, nil)
	h.src.entries = []notebook.Entry{nbEntry("a.ipynb", "1")}
	f := startInfinite(t, h, "bc", "bot-mobu-bc")
	waitFirstNotebooks(t, f)
	m := f.Monkeys()[0]
	h.src.set("def", []notebook.Entry{nbEntry("b.ipynb", "1")})
	h.src.failLoads(errors.New(`invalid mobu.yaml in the repository: mobu.yaml: unknown key "exclude_dir"`))
	f.Refresh()
	eventually(t, "the refresh error", func() bool { return m.Data().Business.RefreshError != "" })
	n := len(notebookRuns(h.pub))
	eventually(t, "notebooks after the failed refresh", func() bool { return len(notebookRuns(h.pub)) >= n+3 })
	d := m.Data()
	if !strings.Contains(d.Business.RefreshError, `loading notebooks: invalid mobu.yaml in the repository`) ||
		d.Business.Refreshing || d.Business.RepoHash != "abc" || d.Business.FailureCount != 0 {
		t.Fatalf("after the failed refresh: %+v", d)
	}
	for _, nb := range notebookRuns(h.pub)[n:] {
		if nb.Notebook != "a.ipynb" || nb.RepoHash != "abc" || !nb.Success {
			t.Fatalf("after the failed refresh: %s at %s (success %v)", nb.Notebook, nb.RepoHash, nb.Success)
		}
	}
	h.src.failLoads(nil)
	f.Refresh()
	eventually(t, "a good refresh", func() bool {
		d := m.Data().Business
		return d.RepoHash == "def" && d.RefreshError == "" && !d.Refreshing
	})
}

// TestRestartKeepsLastGoodNotebooks: a monkey restarting after a failure
// while the repository's mobu.yaml is bad keeps its last good notebooks
// (reporting the load error as refresh_error) instead of failing startup.
func TestRestartKeepsLastGoodNotebooks(t *testing.T) {
	h := newHarness(t, nil)
	h.src.entries = []notebook.Entry{nbEntry("bad.ipynb", "raise")}
	f, _ := h.m.Start(context.Background(), flockSpec(t, `
name: rs
count: 1
users: [{username: bot-mobu-rs}]
business:
  type: NotebookRunnerList
  restart: true
  options: {idle_time: 0.01, error_idle_time: 1, execution_idle_time: 0, notebook_dir: /unused}`))
	m := f.Monkeys()[0]
	eventually(t, "a notebook failure", func() bool { return m.Data().Business.FailureCount >= 1 })
	h.src.failLoads(errors.New("invalid mobu.yaml in the repository: bad"))
	loads := h.src.loads.Load()
	eventually(t, "a restart with a bad repository", func() bool {
		return h.src.loads.Load() > loads && m.Data().Business.FailureCount >= 2
	})
	d := m.Data()
	if !strings.Contains(d.LastError, "ValueError: bad") || !strings.Contains(d.Business.RefreshError, "invalid mobu.yaml") {
		t.Fatalf("after the restart: last error %q, refresh error %q", d.LastError, d.Business.RefreshError)
	}
}
