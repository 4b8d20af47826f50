package ui_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/mobu-dev/mobu/internal/events"
	"github.com/mobu-dev/mobu/internal/flock"
	"github.com/mobu-dev/mobu/internal/monkeylog"
	"github.com/mobu-dev/mobu/internal/notebook"
)

// What the test business does, so the tests know what the page must show.
const (
	maxRuns      = 6 // executions of a passing monkey before it holds
	maxFailures  = 2 // executions of a failing monkey before it holds
	brokenNB     = "tutorials/03-broken.ipynb"
	brokenCellID = "c0ffee-3"
	brokenCellNo = 3
	errorName    = "ZeroDivisionError"
	tracebackTop = "Traceback (most recent call last)"
)

// notebooks are the ones passing monkeys take turns on.
var notebooks = []string{"tutorials/01-intro.ipynb", "tutorials/02-plots.ipynb"}

// discard is an events.Publisher that drops events (the flock's statsTee
// has recorded their timings before they reach it).
type discard struct{}

func (discard) Publish(events.Event) {}

// fakeRunner stands in for a NotebookRunner. Each execution "runs" a
// notebook and publishes its notebook_execution event; users whose name
// contains "fail" fail in cell 3 with a Python traceback. After maxRuns (or
// maxFailures) executions it holds its next notebook open until stopped, so
// the counts stop changing and the monkey shows a running cell.
type fakeRunner struct {
	env  flock.Env
	fail bool

	mu     sync.Mutex
	runs   int
	status flock.BusinessStatus
}

func newFakeRunner(env flock.Env) (flock.Business, error) {
	return &fakeRunner{env: env, fail: strings.Contains(env.User.Username, "fail")}, nil
}

func (r *fakeRunner) Startup(context.Context) error {
	r.publish(events.NewStage(events.NameLogin, r.base(), 0.02, true))
	return nil
}

func (r *fakeRunner) Shutdown(context.Context) error { return nil }
func (r *fakeRunner) Refresh()                       {}

func (r *fakeRunner) Status() flock.BusinessStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.status
}

func (r *fakeRunner) Execute(ctx context.Context) error {
	n, nb := r.next()
	if (r.fail && n > maxFailures) || n > maxRuns {
		return r.hold(ctx)
	}
	secs := 0.01 * float64(n)
	r.publish(&events.NotebookExecution{
		Base:         r.base(),
		NotebookBase: events.NotebookBase{Notebook: nb, Repo: "/srv/notebooks", RepoHash: "unknown"},
		Duration:     &secs,
		Success:      !r.fail,
		TraceID:      fmt.Sprintf("trace-%s-%d", r.env.User.Username, n),
	})
	if r.fail {
		return &notebook.Failure{
			Phase: notebook.PhaseCell, Notebook: nb, CellID: brokenCellID, CellNumber: brokenCellNo,
			Code: "total = 10\nratio = total / 0", EName: errorName, EValue: "division by zero",
			Traceback: tracebackTop + ":\n  Cell In[3], line 2\n    ratio = total / 0\n" + errorName + ": division by zero",
		}
	}
	return nil
}

// next counts the execution and shows its notebook and cell as running.
func (r *fakeRunner) next() (int, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.runs++
	nb, cell := notebooks[(r.runs-1)%len(notebooks)], flock.CellRef{ID: fmt.Sprintf("cell-%d", r.runs), Number: r.runs}
	if r.fail {
		nb, cell = brokenNB, flock.CellRef{ID: brokenCellID, Number: brokenCellNo}
	}
	r.status = flock.BusinessStatus{Notebook: nb, RunningCell: &cell}
	return r.runs, nb
}

// hold keeps the notebook "running" until the monkey is told to stop.
func (r *fakeRunner) hold(ctx context.Context) error {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !r.env.Stopping() {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
	return nil
}

func (r *fakeRunner) base() events.Base {
	b := events.NewBase(time.Now(), r.env.Flock, r.env.Business.Type, r.env.User.Username)
	b.ID, b.Application = fmt.Sprintf("%s-%d", r.env.User.Username, time.Now().UnixNano()), "mobu"
	return b
}

func (r *fakeRunner) publish(e events.Event) { r.env.Publisher.Publish(e) }

// newManager is a real flock manager whose EmptyLoop is the fake runner
// (flock configurations accept known business types only).
func newManager() *flock.Manager {
	return flock.NewManager(flock.Options{
		Registry:   flock.Registry{"EmptyLoop": newFakeRunner},
		Publisher:  discard{},
		Logger:     slog.New(slog.DiscardHandler),
		MonkeyLogs: monkeylog.Options{},
		Grace:      2 * time.Second,
	})
}
