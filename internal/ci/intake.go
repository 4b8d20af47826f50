package ci

import (
	"context"
	"log/slog"
)

// intakeLoop creates the check runs of submitted jobs, in submission order,
// and queues the jobs.
func (m *Manager) intakeLoop(ctx context.Context) {
	defer m.exited()
	for {
		select {
		case <-ctx.Done():
			return
		case <-m.stopped:
			return
		case <-m.intake:
		}
		m.save() // the state file holds submitted jobs before their check runs exist
		for e := m.nextSubmitted(); e != nil; e = m.nextSubmitted() {
			m.admit(ctx, e)
		}
	}
}

// nextSubmitted takes the oldest submitted job, or nil.
func (m *Manager) nextSubmitted() *entry {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopping || len(m.inbox) == 0 {
		return nil
	}
	e := m.inbox[0]
	m.inbox = m.inbox[1:]
	m.admitting = e
	return e
}

// admit creates e's check run (a failure drops the job: there is nothing to
// report to) and queues e, superseding older jobs of its pull request.
func (m *Manager) admit(ctx context.Context, e *entry) {
	log := jobLogger(m.log, e.job)
	id, err := m.opts.GitHub.CreateCheckRun(ctx, e.job.Repo, e.job.HeadSHA, m.opts.CheckName)
	m.mu.Lock()
	m.admitting = nil
	if err != nil {
		m.mu.Unlock()
		log.Error("creating check run; ci job dropped (a redelivery of the webhook will retry)", "error", err)
		m.save()
		if m.opts.Dropped != nil {
			m.opts.Dropped(e.job)
		}
		return
	}
	e.checkID = id
	m.noteCheckLocked(id)
	log = log.With("check_run_id", id)
	if m.stopping {
		m.mu.Unlock()
		m.concludeStopped(e, stoppedUpdate())
		m.save()
		return
	}
	replaced := m.enqueueLocked(e)
	m.mu.Unlock()
	log.Info("check run queued")
	m.save()
	m.concludeSuperseded(ctx, replaced, e.job.HeadSHA)
}

// enqueueLocked queues e last, removes the queued jobs it supersedes
// (returned, to be concluded) and cancels the running ones.
func (m *Manager) enqueueLocked(e *entry) (replaced []*entry) {
	kept := m.queue[:0]
	for _, q := range m.queue {
		if supersedes(e.job, q.job) {
			replaced = append(replaced, q)
			continue
		}
		kept = append(kept, q)
	}
	m.queue = append(kept, e)
	for _, w := range m.workers {
		if c := w.current; c != nil && supersedes(e.job, c.job) {
			c.cancel(&supersededError{sha: e.job.HeadSHA})
		}
	}
	kick(m.work)
	return replaced
}

// concludeSuperseded cancels the checks of queued jobs replaced by sha.
func (m *Manager) concludeSuperseded(ctx context.Context, replaced []*entry, sha string) {
	for _, old := range replaced {
		m.conclude(ctx, jobLogger(m.log, old.job).With("check_run_id", old.checkID), old, supersededUpdate(sha))
	}
}

// conclude sends a check run's final update; a failure is only logged.
func (m *Manager) conclude(ctx context.Context, log *slog.Logger, e *entry, u CheckUpdate) bool {
	if err := m.opts.GitHub.UpdateCheckRun(ctx, e.job.Repo, e.checkID, u); err != nil {
		log.Error("concluding check run", "conclusion", u.Conclusion, "error", err)
		return false
	}
	log.Info("check run concluded", "conclusion", u.Conclusion, "title", u.Title)
	return true
}

// concludeStopped sends u, the conclusion of e's check because mobu stops;
// when that fails, e is kept for the next Start.
func (m *Manager) concludeStopped(e *entry, u CheckUpdate) {
	log := jobLogger(m.log, e.job).With("check_run_id", e.checkID)
	ctx, cancel := m.stopContext()
	defer cancel()
	if m.conclude(ctx, log, e, u) {
		return
	}
	m.mu.Lock()
	m.leftover = append(m.leftover, e)
	m.mu.Unlock()
}
