package ci

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
)

// workerLoop runs w's jobs, oldest first, until Stop or ctx ends.
func (m *Manager) workerLoop(ctx context.Context, w *worker) {
	defer m.exited()
	for {
		jobCtx, e := m.take(ctx, w)
		if e == nil {
			return
		}
		m.process(ctx, jobCtx, w, e)
	}
}

// take waits for the oldest queued job and makes it w's; nil when stopping.
func (m *Manager) take(ctx context.Context, w *worker) (context.Context, *entry) {
	for {
		m.mu.Lock()
		if m.stopping || ctx.Err() != nil {
			m.mu.Unlock()
			return nil, nil
		}
		if len(m.queue) > 0 {
			e := m.queue[0]
			m.queue = m.queue[1:]
			jobCtx, cancel := context.WithCancelCause(ctx)
			e.cancel, e.ctx, w.current = cancel, jobCtx, e
			if len(m.queue) > 0 {
				kick(m.work) // another worker may take the next one
			}
			m.mu.Unlock()
			m.save()
			return jobCtx, e
		}
		m.mu.Unlock()
		select {
		case <-ctx.Done():
		case <-m.stopped:
		case <-m.work:
		}
	}
}

// process runs one job and concludes its check run: with the outcome, or
// cancelled when superseded. When mobu stops, Stop concludes the check
// without waiting for the Runner. When ctx ends (a crash) the check is left
// alone and the state file keeps the job.
func (m *Manager) process(ctx, jobCtx context.Context, w *worker, e *entry) {
	defer e.cancel(nil)
	log := jobLogger(m.log, e.job).With("user", w.user, "check_run_id", e.checkID)
	log.Info("ci job started", "waited", m.now().Sub(e.queued))
	u := m.execute(jobCtx, log, w.user, e)
	switch {
	case ctx.Err() != nil:
		log.Warn("ci manager ended during the job; the check is left for the next start")
		m.release(w, false)
		return
	case !m.claim(e):
		log.Info("ci job ended after mobu concluded its check")
	default:
		m.conclude(ctx, log, e, interruptedOr(e, u))
	}
	m.release(w, true)
}

// interruptedOr is u, or the superseded conclusion of an interrupted job.
func interruptedOr(e *entry, u CheckUpdate) CheckUpdate {
	var sup *supersededError
	if errors.As(context.Cause(e.ctx), &sup) {
		return supersededUpdate(sup.sha)
	}
	return u
}

// execute marks the check in progress, lists the pull request's changed
// notebooks and runs them, returning the concluding update. Errors become
// failed checks, never a dead worker.
func (m *Manager) execute(ctx context.Context, log *slog.Logger, user string, e *entry) CheckUpdate {
	gh, job := m.opts.GitHub, e.job
	if err := gh.UpdateCheckRun(ctx, job.Repo, e.checkID, inProgressUpdate(user)); err != nil {
		log.Warn("marking check run in progress", "error", err)
	}
	files, err := gh.ChangedFiles(ctx, job.Repo, job.PR)
	if err != nil {
		log.Error("listing changed files", "error", err)
		return listErrorUpdate(err)
	}
	paths := changedNotebooks(files)
	if len(paths) == 0 {
		return noNotebooksUpdate()
	}
	if ctx.Err() != nil {
		return CheckUpdate{} // superseded or stopping: process concludes
	}
	log.Info("running changed notebooks", "notebooks", len(paths))
	out, err := m.run(ctx, log, job, user, paths)
	if err != nil {
		log.Error("running notebooks", "error", err)
		return runErrorUpdate(err, user, paths)
	}
	return outcomeUpdate(out, user)
}

// run calls the Runner, turning a panic into an error.
func (m *Manager) run(ctx context.Context, log *slog.Logger, job Job, user string, paths []string) (out *Outcome, err error) {
	defer func() {
		if p := recover(); p != nil {
			log.Error("notebook runner panicked", "panic", p, "stack", string(debug.Stack()))
			out, err = nil, fmt.Errorf("notebook runner panicked: %v", p)
		}
	}()
	out, err = m.opts.Runner.Run(ctx, job, user, paths)
	if err == nil && out == nil {
		out = &Outcome{}
	}
	return out, err
}

// release frees w after a job, counting it when it was concluded.
func (m *Manager) release(w *worker, concluded bool) {
	m.mu.Lock()
	w.current = nil
	if concluded {
		w.processed++
	}
	m.mu.Unlock()
	m.save()
}
