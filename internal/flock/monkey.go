package flock

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mobu-dev/mobu/config"
)

// State is a monkey's state, as mobu names them.
type State string

// Monkey states.
const (
	StateIdle     State = "IDLE"
	StateRunning  State = "RUNNING"
	StateStopping State = "STOPPING"
	StateFinished State = "FINISHED"
	StateError    State = "ERROR"
)

// Monkey is one bot user running a business in its own goroutine.
type Monkey struct {
	name    string
	user    config.User
	biz     Business
	typ     string
	restart bool
	idle    time.Duration
	errIdle time.Duration
	jitter  time.Duration
	gate    *gate // the flock's pause gate
	log     *slog.Logger
	logs    LogReader
	closers []func() error // run once the monkey is over (log file, repository)
	// onFailure and onSuccess tell the flock (failure log, alerts); either
	// may be nil. started is when the current startup or execution began.
	onFailure func(FailureRecord)
	onSuccess func()
	started   time.Time

	mu      sync.Mutex
	state   State
	lastErr string

	successes, failures atomic.Int64
	stopping            atomic.Bool
	stopReq             chan struct{} // closed by Stop
	execCtx             context.Context
	execCancel          context.CancelFunc // aborts the running work
	hardCtx             context.Context
	hardCancel          context.CancelFunc // aborts cleanup too
	done                chan struct{}
}

// LogReader serves a monkey's retained log.
type LogReader interface {
	WriteTo(w io.Writer) (int64, error)
	Follow(ctx context.Context, w io.Writer, flush func()) error
}

func (m *Monkey) setState(s State) {
	m.mu.Lock()
	m.state = s
	m.mu.Unlock()
}

// run is the monkey's goroutine: startup, execute/idle loop, shutdown, and
// restarts with backoff, until stopped.
func (m *Monkey) run() {
	defer close(m.done)
	defer m.hardCancel()
	failuresInARow := 0
	for {
		if !m.waitUnpaused() {
			m.setState(StateFinished)
			return
		}
		m.setState(StateRunning)
		before := m.successes.Load()
		m.started = time.Now()
		err := m.biz.Startup(m.execCtx)
		if err == nil {
			err = m.loop()
		}
		if err == nil {
			err = errors.New("business ended without error")
		}
		rec := newFailureRecord(m, err, m.started, time.Now()) // before cleanup forgets the lab
		m.shutdown()
		if m.stopping.Load() {
			m.setState(StateFinished)
			return
		}
		m.fail(err, rec)
		if !m.restart {
			m.log.Error("monkey stopped after a failure (restart is false)")
			return
		}
		if m.successes.Load() > before {
			failuresInARow = 0
		}
		failuresInARow++
		wait := m.backoff(failuresInARow)
		m.log.Info("restarting after backoff", "failures_in_a_row", failuresInARow, "wait", wait.Round(time.Millisecond))
		if !m.waitOrStop(wait) {
			m.setState(StateFinished)
			return
		}
	}
}

// loop executes and idles until an error or a stop; it resets the restart
// count by returning only on failure or stop.
func (m *Monkey) loop() error {
	for {
		if !m.waitUnpaused() {
			return nil
		}
		m.setState(StateRunning)
		m.started = time.Now()
		if err := m.biz.Execute(m.execCtx); err != nil {
			return err
		}
		m.successes.Add(1)
		if m.onSuccess != nil {
			m.onSuccess()
		}
		m.setState(StateIdle)
		if !m.waitOrStop(m.idle + randDuration(m.jitter)) {
			return nil
		}
	}
}

// waitUnpaused holds an idle monkey while its flock is paused; false if a
// stop came first.
func (m *Monkey) waitUnpaused() bool {
	if m.stopping.Load() {
		return false
	}
	if m.gate.isPaused() {
		m.setState(StateIdle)
	}
	return m.gate.wait(m.stopReq)
}

func (m *Monkey) fail(err error, rec FailureRecord) {
	m.failures.Add(1)
	m.mu.Lock()
	m.state, m.lastErr = StateError, err.Error()
	m.mu.Unlock()
	m.log.Error("execution failed", "error", err)
	if m.onFailure != nil {
		m.onFailure(rec)
	}
}

// shutdown lets the business clean up; it runs after a stop too, so labs are
// deleted unless the final cancellation cuts it short.
func (m *Monkey) shutdown() {
	if m.stopping.Load() {
		m.setState(StateStopping)
	}
	if err := m.biz.Shutdown(m.hardCtx); err != nil {
		m.log.Warn("cleanup failed", "error", err)
	}
}

// backoff is the pause before restart n: exponential from an eighth of
// error_idle_time, capped at it, with jitter (half fixed, half random).
func (m *Monkey) backoff(n int) time.Duration {
	d := max(m.errIdle/8, time.Second)
	for i := 1; i < n && d < m.errIdle; i++ {
		d *= 2
	}
	d = min(d, m.errIdle)
	return d/2 + randDuration(d/2)
}

// waitOrStop waits d; false if a stop came first.
func (m *Monkey) waitOrStop(d time.Duration) bool {
	if d <= 0 {
		return !m.stopping.Load()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-m.stopReq:
		return false
	}
}

// The causes of the monkey's two contexts, so an aborted cell or cleanup
// says why (and tests can tell the two-thirds abort from the final one).
var (
	errWorkAborted    = errors.New("monkey stopping: running work aborted")
	errCleanupAborted = errors.New("monkey stopped: cleanup aborted")
)

// Stop asks the monkey to finish its current cell and clean up. After
// two thirds of grace the running work is aborted; after grace the cleanup
// too. It returns when the goroutine has ended.
func (m *Monkey) Stop(grace time.Duration) {
	if m.stopping.CompareAndSwap(false, true) {
		close(m.stopReq)
	}
	abort := time.AfterFunc(grace*2/3, m.execCancel)
	hard := time.AfterFunc(grace, m.hardCancel)
	defer abort.Stop()
	defer hard.Stop()
	<-m.done
}

// close releases what the monkey holds once it is over.
// close releases what the monkey holds, last acquired first (its log last).
func (m *Monkey) close() {
	for i := len(m.closers) - 1; i >= 0; i-- {
		if err := m.closers[i](); err != nil {
			m.log.Warn("releasing monkey resources", "error", err)
		}
	}
	m.closers = nil
}

// Cancel aborts the monkey at once, cleanup included.
func (m *Monkey) Cancel() {
	if m.stopping.CompareAndSwap(false, true) {
		close(m.stopReq)
	}
	m.hardCancel()
	<-m.done
}

func randDuration(max time.Duration) time.Duration {
	if max <= 0 {
		return 0
	}
	return rand.N(max)
}
