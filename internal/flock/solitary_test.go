package flock

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/config"
	"github.com/mobu-dev/mobu/internal/notebook"
)

func solitarySpec(t *testing.T, user string) *config.Solitary {
	t.Helper()
	s := flockSpec(t, `
name: x
count: 1
users: [{username: `+user+`}]
business: {type: NotebookRunnerList, options: {notebook_dir: /unused, execution_idle_time: 0}}`)
	return &config.Solitary{User: s.Users[0], Business: s.Business}
}

// TestSolitaryAfterStopAll: once shutdown has begun a solitary run is
// refused like a flock, and touches no lab.
func TestSolitaryAfterStopAll(t *testing.T) {
	h := newHarness(t, nil)
	h.src.entries = []notebook.Entry{nbEntry("ok.ipynb", "1")}
	h.m.StopAll()
	res, err := h.m.RunSolitary(context.Background(), solitarySpec(t, "bot-mobu-late"))
	if !errors.Is(err, ErrShuttingDown) || res.Success {
		t.Fatalf("RunSolitary after StopAll: %+v, %v; want ErrShuttingDown", res, err)
	}
	if n := h.lab.spawns.Load() + h.lab.dels.Load(); n != 0 {
		t.Fatalf("%d lab calls by a refused solitary run", n)
	}
}

// TestStopAllStopsSolitary: a solitary run in progress when StopAll runs is
// stopped like a flock's monkey: its stuck cell is aborted by the two-thirds
// abort (its context's cause), no earlier than 2/3 of the grace, its lab deleted, and the run
// reported as failed by the shutdown; StopAll returns only then.
func TestStopAllStopsSolitary(t *testing.T) {
	h := newHarness(t, nil)
	const grace = 600 * time.Millisecond
	h.m.opts.Grace = grace
	h.lab.blockStarted, h.lab.blockEnded = make(chan struct{}, 1), make(chan error, 1)
	h.src.entries = []notebook.Entry{nbEntry("stuck.ipynb", "block")}
	type outcome struct {
		res SolitaryResult
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := h.m.RunSolitary(context.Background(), solitarySpec(t, "bot-mobu-solo"))
		done <- outcome{res, err}
	}()
	<-h.lab.blockStarted
	begin := time.Now()
	h.m.StopAll()
	if d := time.Since(begin); d < grace*2/3 {
		t.Fatalf("StopAll took %v; want the abort at 2/3 of the %v grace, not before", d, grace)
	}
	select { // the cell ended before StopAll returned, through its context
	case err := <-h.lab.blockEnded:
		if !errors.Is(err, errWorkAborted) {
			t.Fatalf("the stuck cell ended with %v, want the two-thirds abort (%v)", err, errWorkAborted)
		}
	default:
		t.Fatal("StopAll returned while the stuck cell was still running")
	}
	var o outcome
	select {
	case o = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the solitary run outlived StopAll")
	}
	if o.err != nil || o.res.Success || !strings.Contains(o.res.Error, "solitary run stopped: mobu is shutting down") {
		t.Fatalf("result %+v, %v", o.res, o.err)
	}
	// No lab was left running, so the one delete is at shutdown.
	if h.lab.dels.Load() != 1 || h.lab.sessionsAlive.Load() != 0 {
		t.Fatalf("deletes %d, sessions alive %d", h.lab.dels.Load(), h.lab.sessionsAlive.Load())
	}
}
