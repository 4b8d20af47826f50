package ci

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// entry is a job with its check run, from submission to conclusion.
type entry struct {
	seq     uint64 // submission order
	job     Job
	checkID int64 // 0 until the check run exists
	queued  time.Time
	cancel  context.CancelCauseFunc // set while running
	ctx     context.Context         // the job's, set while running
	claimed bool                    // guarded by Manager.mu: its conclusion is being sent
}

// concludeTimeout bounds the conclusions Stop sends, whatever is left of
// Stop's context (the labs' cleanup may have used it up).
const concludeTimeout = 10 * time.Second

// worker runs one CI user's jobs, one at a time.
type worker struct {
	user      string
	processed int
	current   *entry
}

// supersededError cancels a job replaced by a newer one for its pull request.
type supersededError struct{ sha string }

func (e *supersededError) Error() string { return "superseded by " + e.sha }

// stopError cancels running jobs when the manager stops.
type stopError struct{}

func (stopError) Error() string { return "mobu stopped" }

// Manager queues CI jobs and runs them, one worker per CI user. Its
// goroutines (an intake loop and the workers) start with Start and end with
// Stop, or when Start's context ends.
type Manager struct {
	opts Options
	log  *slog.Logger
	now  func() time.Time

	mu        sync.Mutex
	inbox     []*entry // submitted; no check run yet
	admitting *entry   // its check run is being created
	queue     []*entry // oldest first
	leftover  []*entry // Stop could not conclude them: kept for the next Start
	workers   []*worker
	seq       uint64
	started   bool
	stopping  bool
	base      context.Context // Start's
	stopCtx   context.Context // Stop's
	stopped   chan struct{}   // closed by Stop
	live      int             // goroutines still running
	done      chan struct{}   // closed when live drops to 0

	intake chan struct{} // wakes the intake loop
	work   chan struct{} // wakes a worker

	sweepSeen   map[int64]bool     // check runs the manager has had since Start, while the sweep runs
	swept       chan struct{}      // closed when the sweep ends
	sweepCancel context.CancelFunc // ends the sweep's context; Stop calls it

	saveMu sync.Mutex
	onSave func() // tests: called after each state file write
}

// NewManager returns a manager; nothing runs before Start.
func NewManager(opts Options) *Manager {
	if opts.CheckName == "" {
		opts.CheckName = "Mobu"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	m := &Manager{opts: opts, log: opts.Logger, now: opts.Now,
		stopped: make(chan struct{}), done: make(chan struct{}), swept: make(chan struct{}),
		intake: make(chan struct{}, 1), work: make(chan struct{}, 1)}
	for _, u := range opts.Users {
		m.workers = append(m.workers, &worker{user: u})
	}
	if sw := opts.Sweep; sw != nil {
		s := *sw
		s.MaxRepos = cmp.Or(max(s.MaxRepos, 0), DefaultSweepMaxRepos)
		s.MaxPullRequests = cmp.Or(max(s.MaxPullRequests, 0), DefaultSweepMaxPullRequests)
		s.Timeout = cmp.Or(max(s.Timeout, 0), DefaultSweepTimeout)
		m.opts.Sweep = &s
	}
	return m
}

func (m *Manager) validate() error {
	switch {
	case m.opts.GitHub == nil:
		return errors.New("ci manager: no github client")
	case m.opts.Runner == nil:
		return errors.New("ci manager: no notebook runner")
	case len(m.opts.Users) == 0:
		return errors.New("ci manager: no ci users")
	case m.opts.Sweep != nil && m.opts.Sweep.Lister == nil:
		return errors.New("ci manager: sweep without a lister")
	}
	seen := map[string]bool{}
	for _, u := range m.opts.Users {
		if u == "" || seen[u] {
			return fmt.Errorf("ci manager: empty or duplicate ci user %q", u)
		}
		seen[u] = true
	}
	return nil
}

// Start resumes the jobs of the state file, if any (their checks are set
// back to queued), then starts the intake loop, one worker per user and,
// with Options.Sweep, the startup sweep in the background.
// Cancelling ctx ends them abruptly, as a crash would: nothing is concluded
// and the state file keeps the unfinished jobs for the next Start. Stop is
// the graceful end.
func (m *Manager) Start(ctx context.Context) error {
	if err := m.validate(); err != nil {
		return err
	}
	m.mu.Lock()
	if m.started || m.stopping {
		m.mu.Unlock()
		return errors.New("ci manager: already started or stopped")
	}
	m.started, m.base = true, ctx
	if m.opts.Sweep != nil {
		m.sweepSeen = map[int64]bool{}
	}
	m.mu.Unlock()
	saved, err := m.load()
	if err != nil {
		m.mu.Lock()
		m.started, m.base = false, nil
		m.mu.Unlock()
		return err
	}
	m.resume(ctx, saved)
	m.mu.Lock()
	m.live = 1 + len(m.workers)
	if m.opts.Sweep != nil {
		m.live++
		go m.sweep(ctx, *m.opts.Sweep)
	} else {
		close(m.swept)
	}
	m.mu.Unlock()
	go m.intakeLoop(ctx)
	for _, w := range m.workers {
		go m.workerLoop(ctx, w)
	}
	return nil
}

// Submit hands a job to the intake loop, which creates its check run and
// queues it. It never blocks.
func (m *Manager) Submit(job Job) {
	m.mu.Lock()
	if m.stopping {
		m.mu.Unlock()
		m.log.Warn("ci manager stopped; job dropped", logAttrs(job)...)
		return
	}
	m.seq++
	m.inbox = append(m.inbox, &entry{seq: m.seq, job: job, queued: m.now()})
	m.mu.Unlock()
	kick(m.intake)
	m.log.Info("ci job submitted", logAttrs(job)...)
}

// Stop takes no more jobs, cancels the running ones and concludes them and
// the queued ones as failures ("mobu stopped, re-run this check") at once,
// without waiting for the Runner to clean up, each within concludeTimeout;
// then it waits for the goroutines within ctx. After Start's context has
// ended it only waits.
func (m *Manager) Stop(ctx context.Context) error {
	m.mu.Lock()
	first := !m.stopping
	var queued, running []*entry
	if first {
		m.stopping, m.stopCtx = true, ctx
		close(m.stopped)
		if m.sweepCancel != nil {
			m.sweepCancel()
		}
		queued, running = m.takeUnfinishedLocked()
	}
	started := m.started
	m.mu.Unlock()
	if !started {
		return nil
	}
	for _, e := range queued {
		m.concludeStopped(e, stoppedUpdate())
	}
	for _, e := range running {
		m.concludeStopped(e, interruptedUpdate(e))
	}
	if first {
		m.save()
	}
	select {
	case <-m.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stopping ci manager: %w", context.Cause(ctx))
	}
}

// takeUnfinishedLocked empties the queue and cancels the running jobs,
// claiming their conclusions (not after Start's context ended: that is a
// crash). Submitted jobs without a check run are kept for the next Start.
func (m *Manager) takeUnfinishedLocked() (queued, running []*entry) {
	if m.base != nil && m.base.Err() != nil {
		return nil, nil
	}
	queued = m.queue
	m.queue = nil
	for _, w := range m.workers {
		if c := w.current; c != nil {
			c.cancel(stopError{})
			if !c.claimed {
				c.claimed = true
				running = append(running, c)
			}
		}
	}
	if len(m.inbox) > 0 {
		m.log.Warn("ci manager stopped before creating check runs", "jobs", len(m.inbox))
		m.leftover = append(m.leftover, m.inbox...)
		m.inbox = nil
	}
	return queued, running
}

// Summary is the workers (in the order of Options.Users) and the queue.
func (m *Manager) Summary() Summary {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := Summary{Workers: make([]WorkerSummary, 0, len(m.workers)), NumQueued: len(m.inbox) + len(m.queue)}
	if m.admitting != nil {
		s.NumQueued++
	}
	for _, w := range m.workers {
		ws := WorkerSummary{User: w.user, NumProcessed: w.processed}
		if w.current != nil {
			ws.CurrentJob = &JobSummary{CommitURL: commitURL(w.current.job)}
		}
		s.Workers = append(s.Workers, ws)
	}
	return s
}

// exited records the end of one of the manager's goroutines.
func (m *Manager) exited() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.live--; m.live == 0 {
		close(m.done)
	}
}

// stopContext is for concluding a check while stopping: Stop's context
// without its deadline, bounded by concludeTimeout instead.
func (m *Manager) stopContext() (context.Context, context.CancelFunc) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return context.WithTimeout(context.WithoutCancel(m.stopCtx), concludeTimeout)
}

// claim takes the conclusion of e for its worker; false when Stop has.
func (m *Manager) claim(e *entry) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e.claimed {
		return false
	}
	e.claimed = true
	return true
}

// kick wakes a loop waiting on c, if none is already woken.
func kick(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}
