package flock

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/config"
	"github.com/mobu-dev/mobu/internal/ctxtime"
	"github.com/mobu-dev/mobu/internal/events"
	"github.com/mobu-dev/mobu/internal/notebook"
)

func TestStopFinishesCellThenCleansUp(t *testing.T) {
	// The business runs "cells" of 50 ms and checks Stopping between them,
	// as the notebook runner does: a stop lets the current cell finish.
	cells := make(chan struct{}, 100)
	s := &scripted{}
	s.execute = func(ctx context.Context) error {
		for !s.stopping() {
			select {
			case cells <- struct{}{}:
			default:
			}
			if ctxtime.Sleep(ctx, 50*time.Millisecond) != nil {
				return ctx.Err()
			}
		}
		return nil
	}
	h := scriptedHarness(t, s)
	f, _ := h.m.Start(context.Background(), flockSpec(t, `
name: s
count: 1
users: [{username: bot-mobu-s}]
business: {type: EmptyLoop}`))
	<-cells
	h.m.Delete("s")
	m := f.Monkeys()[0]
	if cause := context.Cause(m.execCtx); errors.Is(cause, errWorkAborted) {
		t.Fatalf("the cell was aborted (%v); a stop should only finish it", cause)
	}
	if m.Data().State != StateFinished || s.shutdowns.Load() != 1 || !s.shutdownCtxLive.Load() {
		t.Fatalf("state %s, shutdowns %d, cleanup context live %v", m.Data().State, s.shutdowns.Load(), s.shutdownCtxLive.Load())
	}
	if m.Data().Business.FailureCount != 0 {
		t.Fatal("a requested stop counted as a failure")
	}
}

func TestStopAbortsStuckCellButStillCleansUp(t *testing.T) {
	started := make(chan struct{})
	var cause error // why the stuck cell ended
	s := &scripted{execute: func(ctx context.Context) error {
		close(started)
		<-ctx.Done() // a cell that never ends and never checks Stopping
		cause = context.Cause(ctx)
		return ctx.Err()
	}}
	h := scriptedHarness(t, s)
	const grace = 1500 * time.Millisecond
	h.m.opts.Grace = grace
	h.m.Start(context.Background(), flockSpec(t, `
name: stuck
count: 1
users: [{username: bot-mobu-st}]
business: {type: EmptyLoop}`))
	<-started
	begin := time.Now()
	h.m.Delete("stuck")
	d := time.Since(begin)
	// Aborted by the two-thirds abort (not before it, and not by the final
	// cancel at the grace); cleanup still ran with a live context.
	if d < grace*2/3 || !errors.Is(cause, errWorkAborted) || s.shutdowns.Load() != 1 || !s.shutdownCtxLive.Load() {
		t.Fatalf("stop took %v, cell ended by %v, shutdowns %d, cleanup context live %v",
			d, cause, s.shutdowns.Load(), s.shutdownCtxLive.Load())
	}
}

func TestPauseAndResume(t *testing.T) {
	h := newHarness(t, nil)
	f, _ := h.m.Start(context.Background(), flockSpec(t, `
name: p
count: 2
user_spec: {username_prefix: bot-mobu-p}
business: {type: EmptyLoop, options: {idle_time: 0.005}}`))
	eventually(t, "some executions", func() bool { return f.Summary(time.Now()).SuccessCount > 4 })
	f.Pause()
	if !f.Summary(time.Now()).Paused {
		t.Fatal("summary does not report paused")
	}
	var frozen int64
	eventually(t, "executions to stop while paused", func() bool {
		a := f.Summary(time.Now()).SuccessCount
		time.Sleep(50 * time.Millisecond) // observation window, not synchronisation
		frozen = f.Summary(time.Now()).SuccessCount
		return a == frozen
	})
	f.Resume()
	eventually(t, "executions to resume", func() bool { return f.Summary(time.Now()).SuccessCount > frozen+4 })
	h.m.Delete("p") // a paused-then-resumed flock stops normally
	f.Pause()
}

func TestDeletePausedFlock(t *testing.T) {
	h := newHarness(t, nil)
	f, _ := h.m.Start(context.Background(), flockSpec(t, `
name: pd
count: 1
users: [{username: bot-mobu-pd}]
business: {type: EmptyLoop, options: {idle_time: 0.005}}`))
	f.Pause()
	done := make(chan struct{})
	go func() { h.m.Delete("pd"); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("deleting a paused flock hangs")
	}
}

func TestNotebookRunnerCounting(t *testing.T) {
	h := newHarness(t, nil)
	h.src.entries = []notebook.Entry{nbEntry("a.ipynb", "1", "2"), nbEntry("b.ipynb", "3"), nbEntry("c.ipynb", "4")}
	f, _ := h.m.Start(context.Background(), flockSpec(t, `
name: nb
count: 1
users: [{username: bot-mobu-nb}]
business:
  type: NotebookRunnerCounting
  options: {max_executions: 2, idle_time: 0.01, execution_idle_time: 0, notebook_dir: /unused}`))
	m := f.Monkeys()[0]
	eventually(t, "3 executions", func() bool { return m.Data().Business.SuccessCount >= 3 })
	h.m.Delete("nb")
	execs := m.Data().Business.SuccessCount
	// Two notebooks per execution, one lab per execution, every lab deleted.
	if n := int64(h.pub.count(events.NameNotebookExecution)); n < 2*execs || n > 2*execs+2 {
		t.Fatalf("%d notebook events for %d executions", n, execs)
	}
	if h.lab.spawns.Load() != h.lab.dels.Load() || h.lab.sessionsAlive.Load() != 0 {
		t.Fatalf("spawns %d, deletes %d, sessions alive %d", h.lab.spawns.Load(), h.lab.dels.Load(), h.lab.sessionsAlive.Load())
	}
	for _, e := range h.pub.evs {
		if nb, ok := e.(*events.NotebookExecution); ok && (nb.Flock == nil || *nb.Flock != "nb" || nb.RepoHash != "abc") {
			t.Fatalf("notebook event %+v lacks flock or repo hash", nb)
		}
	}
}

func TestNotebookFailureAndRefresh(t *testing.T) {
	h := newHarness(t, nil)
	h.src.entries = []notebook.Entry{nbEntry("bad.ipynb", "raise")}
	f, _ := h.m.Start(context.Background(), flockSpec(t, `
name: nf
count: 1
users: [{username: bot-mobu-nf}]
business:
  type: NotebookRunnerList
  restart: true
  options: {idle_time: 0.01, error_idle_time: 0.01, execution_idle_time: 0, notebook_dir: /unused}`))
	m := f.Monkeys()[0]
	eventually(t, "a failure", func() bool { return m.Data().Business.FailureCount >= 1 })
	if !strings.Contains(m.Data().LastError, "cell: notebook bad.ipynb cell a (#1): ValueError: bad") {
		t.Fatalf("last error %q", m.Data().LastError)
	}
	loads := h.src.loads.Load()
	f.Refresh()
	eventually(t, "reload after refresh", func() bool { return h.src.loads.Load() > loads })
	eventually(t, "refreshing cleared", func() bool { return !m.Data().Business.Refreshing })
}

func TestUpsertReplaces(t *testing.T) {
	h := newHarness(t, nil)
	spec := `
name: u
count: 1
users: [{username: bot-mobu-u}]
business: {type: EmptyLoop, options: {idle_time: 0.005}}`
	f1, _ := h.m.Start(context.Background(), flockSpec(t, spec))
	eventually(t, "runs", func() bool { return f1.Summary(time.Now()).SuccessCount > 2 })
	f2, _ := h.m.Start(context.Background(), flockSpec(t, spec))
	if f1.Monkeys()[0].Data().State != StateFinished {
		t.Fatal("replaced flock's monkey still running")
	}
	if got, _ := h.m.Get("u"); got != f2 || len(h.m.Names()) != 1 {
		t.Fatal("upsert did not replace")
	}
}

func TestSolitary(t *testing.T) {
	h := newHarness(t, nil)
	s := flockSpec(t, `
name: x
count: 1
users: [{username: bot-mobu-solo}]
business: {type: NotebookRunnerList, options: {notebook_dir: /unused, execution_idle_time: 0}}`)
	h.src.entries = []notebook.Entry{nbEntry("ok.ipynb", "1")}
	res, err := h.m.RunSolitary(context.Background(), &config.Solitary{User: s.Users[0], Business: s.Business})
	if err != nil || !res.Success || !strings.Contains(res.Log, "notebook passed") || h.lab.dels.Load() != 1 {
		t.Fatalf("result %+v, %v, deletes %d", res, err, h.lab.dels.Load())
	}
}
