package ci

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Sweep defaults: how much of GitHub one startup sweep may read.
const (
	DefaultSweepMaxRepos        = 200
	DefaultSweepMaxPullRequests = 500
	DefaultSweepTimeout         = 10 * time.Minute
	sweepMaxInstallations       = 100
	sweepDelivery               = "startup-sweep" // Job.Delivery of a re-queued check
)

// Lister is what the startup sweep reads of GitHub.
type Lister interface {
	// Installations lists the app's installations.
	Installations(ctx context.Context, limit int) ([]Installation, error)
	// Repos lists the repositories an installation can access, at most limit.
	Repos(ctx context.Context, installationID int64, limit int) ([]Repo, error)
	// OpenPullRequests lists a repository's open pull requests, at most limit.
	OpenPullRequests(ctx context.Context, r Repo, limit int) ([]PullRequest, error)
	// PendingCheckRuns lists the ids of this app's latest check runs called
	// name on commit sha that are queued or in progress.
	PendingCheckRuns(ctx context.Context, r Repo, sha, name string) ([]int64, error)
}

// Installation is one installation of the CI app.
type Installation struct {
	ID      int64
	Account string // organization or user login
}

// PullRequest is an open pull request and its head commit.
type PullRequest struct {
	Number  int
	HeadSHA string
}

// SweepOptions configure the startup sweep: after Start, in the background,
// the check runs GitHub still shows queued or in progress on the heads of
// open pull requests, left by a mobu that died without stopping, are queued
// again as jobs (their checks set back to queued), unless the manager
// already has them (from the state file).
type SweepOptions struct {
	Lister       Lister
	AcceptedOrgs []string // installations and repositories of other accounts are skipped; empty: all
	// MaxRepos and MaxPullRequests cap one sweep's listing (defaults
	// DefaultSweepMaxRepos and DefaultSweepMaxPullRequests); Timeout bounds
	// it (default DefaultSweepTimeout).
	MaxRepos, MaxPullRequests int
	Timeout                   time.Duration
}

// sweepStats is what one sweep did, for its summary log line.
type sweepStats struct {
	installations, repos, pulls int
	found, requeued, concluded  int
	known, errors               int
	capped                      bool
}

// sweep runs the startup sweep within o.Timeout and until Stop.
func (m *Manager) sweep(ctx context.Context, o SweepOptions) {
	defer m.exited()
	defer close(m.swept)
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	m.mu.Lock()
	if m.stopping {
		cancel()
	} else {
		m.sweepCancel = cancel // Stop ends the sweep
	}
	m.mu.Unlock()
	st := &sweepStats{}
	start := m.now()
	err := m.sweepInstallations(ctx, o, st)
	m.mu.Lock()
	m.sweepSeen = nil
	m.mu.Unlock()
	log := m.log.With("installations", st.installations, "repos", st.repos, "pull_requests", st.pulls,
		"checks_found", st.found, "checks_requeued", st.requeued, "checks_concluded", st.concluded,
		"checks_already_queued", st.known, "errors", st.errors, "capped", st.capped, "took", m.now().Sub(start))
	if err != nil {
		log.Warn("ci startup sweep ended early", "error", err)
		return
	}
	log.Info("ci startup sweep done")
}

// Swept is closed when the startup sweep has ended (at once without one,
// once Start has run).
func (m *Manager) Swept() <-chan struct{} { return m.swept }

// sweepInstallations goes through the accepted installations.
func (m *Manager) sweepInstallations(ctx context.Context, o SweepOptions, st *sweepStats) error {
	insts, err := o.Lister.Installations(ctx, sweepMaxInstallations)
	if err != nil {
		return fmt.Errorf("listing installations: %w", err)
	}
	for _, inst := range insts {
		if !accepted(o.AcceptedOrgs, inst.Account) {
			continue
		}
		st.installations++
		if st.repos >= o.MaxRepos {
			st.capped = true
			return nil
		}
		repos, err := o.Lister.Repos(ctx, inst.ID, o.MaxRepos-st.repos)
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("listing repositories: %w", err)
			}
			st.errors++
			m.log.Warn("ci startup sweep: listing repositories", "installation", inst.ID, "error", err)
			continue
		}
		if err := m.sweepRepos(ctx, o, st, repos); err != nil {
			return err
		}
	}
	return nil
}

// sweepRepos goes through an installation's repositories' open pull requests.
func (m *Manager) sweepRepos(ctx context.Context, o SweepOptions, st *sweepStats, repos []Repo) error {
	for _, r := range repos {
		if !accepted(o.AcceptedOrgs, r.Owner) {
			continue
		}
		if st.repos >= o.MaxRepos || st.pulls >= o.MaxPullRequests {
			st.capped = true
			return nil
		}
		st.repos++
		prs, err := o.Lister.OpenPullRequests(ctx, r, o.MaxPullRequests-st.pulls)
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("listing pull requests: %w", err)
			}
			st.errors++
			m.log.Warn("ci startup sweep: listing pull requests", "repo", r.Owner+"/"+r.Name, "error", err)
			continue
		}
		for _, pr := range prs {
			st.pulls++
			if err := m.sweepPull(ctx, o, st, Job{Repo: r, PR: pr.Number, HeadSHA: pr.HeadSHA,
				Delivery: sweepDelivery, Rerun: true}); err != nil {
				return err
			}
		}
	}
	return nil
}

// sweepPull takes over the pending checks of a pull request's head.
func (m *Manager) sweepPull(ctx context.Context, o SweepOptions, st *sweepStats, job Job) error {
	ids, err := o.Lister.PendingCheckRuns(ctx, job.Repo, job.HeadSHA, m.opts.CheckName)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("listing check runs: %w", err)
		}
		st.errors++
		m.log.Warn("ci startup sweep: listing check runs", "repo", job.Repo.Owner+"/"+job.Repo.Name, "pr", job.PR,
			"sha", job.HeadSHA, "error", err)
		return nil
	}
	for _, id := range ids {
		st.found++
		switch m.adopt(ctx, job, id) {
		case adoptRequeued:
			st.requeued++
		case adoptConcluded:
			st.concluded++
		case adoptKnown:
			st.known++
		case adoptFailed:
			st.errors++
		}
	}
	return ctx.Err()
}

type adoption int

const (
	adoptKnown     adoption = iota // the manager already has it, or is stopping
	adoptRequeued                  // queued again as a job
	adoptConcluded                 // concluded: a job of the same commit is queued, or mobu stopped meanwhile
	adoptFailed                    // GitHub refused the update
)

// adopt queues a dangling check run id of job's commit again, as the state
// file's resume does: the check is reused and set back to queued.
func (m *Manager) adopt(ctx context.Context, job Job, id int64) adoption {
	e := &entry{job: job, checkID: id, queued: m.now()}
	log := jobLogger(m.log, job).With("check_run_id", id)
	m.mu.Lock()
	known, covered := m.sweepSeen[id] || m.stopping, m.coveredLocked(job)
	m.mu.Unlock()
	switch {
	case known:
		return adoptKnown
	case covered:
		if m.conclude(ctx, log, e, duplicateUpdate()) {
			return adoptConcluded
		}
		return adoptFailed
	}
	if err := m.opts.GitHub.UpdateCheckRun(ctx, job.Repo, id, requeuedUpdate()); err != nil {
		log.Error("setting a dangling check run back to queued", "error", err)
		return adoptFailed
	}
	m.mu.Lock()
	if m.stopping {
		m.mu.Unlock()
		m.concludeStopped(e, stoppedUpdate())
		return adoptConcluded
	}
	m.seq++
	e.seq = m.seq
	replaced := m.enqueueLocked(e)
	m.mu.Unlock()
	log.Info("dangling check run queued again")
	m.save()
	m.concludeSuperseded(ctx, replaced, job.HeadSHA)
	return adoptRequeued
}

// coveredLocked reports whether a job of the same pull request and commit
// is submitted, queued or running.
func (m *Manager) coveredLocked(job Job) bool {
	same := func(e *entry) bool {
		return e != nil && keyOf(e.job) == keyOf(job) && strings.EqualFold(e.job.HeadSHA, job.HeadSHA)
	}
	if slices.ContainsFunc(m.inbox, same) || slices.ContainsFunc(m.queue, same) || same(m.admitting) {
		return true
	}
	return slices.ContainsFunc(m.workers, func(w *worker) bool { return same(w.current) })
}

// noteCheckLocked records a check run the manager owns while a sweep may
// run, so that the sweep leaves it alone even once it is concluded.
func (m *Manager) noteCheckLocked(id int64) {
	if m.sweepSeen != nil && id != 0 {
		m.sweepSeen[id] = true
	}
}

// accepted reports whether login is in orgs (case-insensitive); empty
// orgs accept everything.
func accepted(orgs []string, login string) bool {
	return len(orgs) == 0 || slices.ContainsFunc(orgs, func(o string) bool { return strings.EqualFold(o, login) })
}
