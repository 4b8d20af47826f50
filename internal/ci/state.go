package ci

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// stateVersion is the state file's format version.
const stateVersion = 1

// state is the state file: the jobs whose checks are not concluded.
type state struct {
	Version int        `json:"version"`
	Jobs    []savedJob `json:"jobs"`
}

type savedJob struct {
	InstallationID int64     `json:"installation_id"`
	Owner          string    `json:"owner"`
	Name           string    `json:"name"`
	CloneURL       string    `json:"clone_url"`
	PR             int       `json:"pr"`
	HeadSHA        string    `json:"head_sha"`
	Delivery       string    `json:"delivery,omitempty"`
	Rerun          bool      `json:"rerun,omitempty"`
	CheckRunID     int64     `json:"check_run_id,omitempty"` // 0: not created yet
	Running        bool      `json:"running,omitempty"`
	Queued         time.Time `json:"queued"`
}

func (s savedJob) job() Job {
	return Job{Repo: Repo{InstallationID: s.InstallationID, Owner: s.Owner, Name: s.Name, CloneURL: s.CloneURL},
		PR: s.PR, HeadSHA: s.HeadSHA, Delivery: s.Delivery, Rerun: s.Rerun}
}

func saved(e *entry, running bool) savedJob {
	r := e.job.Repo
	return savedJob{InstallationID: r.InstallationID, Owner: r.Owner, Name: r.Name, CloneURL: r.CloneURL,
		PR: e.job.PR, HeadSHA: e.job.HeadSHA, Delivery: e.job.Delivery, Rerun: e.job.Rerun, CheckRunID: e.checkID,
		Running: running, Queued: e.queued}
}

// save writes the unfinished jobs to the state file, if any. Once Start's
// context has ended the file is left as it is, for the next Start.
func (m *Manager) save() {
	if m.opts.StateFile == "" {
		return
	}
	m.saveMu.Lock()
	defer m.saveMu.Unlock()
	m.mu.Lock()
	if m.base == nil || m.base.Err() != nil {
		m.mu.Unlock()
		return
	}
	st := m.snapshotLocked()
	m.mu.Unlock()
	if err := writeState(m.opts.StateFile, st); err != nil {
		m.log.Error("writing ci state file", "path", m.opts.StateFile, "error", err)
		return
	}
	if m.onSave != nil {
		m.onSave()
	}
}

// snapshotLocked lists the unfinished jobs in submission order, each once: a
// running job Stop could not conclude is also a leftover until its worker
// lets it go.
func (m *Manager) snapshotLocked() state {
	type item struct {
		e       *entry
		running bool
	}
	var items []item
	listed := map[*entry]bool{}
	for _, w := range m.workers {
		if w.current != nil {
			items = append(items, item{w.current, true})
			listed[w.current] = true
		}
	}
	for _, list := range [][]*entry{m.queue, m.inbox, m.leftover, {m.admitting}} {
		for _, e := range list {
			if e != nil && !listed[e] {
				items = append(items, item{e, false})
				listed[e] = true
			}
		}
	}
	slices.SortFunc(items, func(a, b item) int { return cmp.Compare(a.e.seq, b.e.seq) })
	st := state{Version: stateVersion, Jobs: make([]savedJob, len(items))}
	for i, it := range items {
		st.Jobs[i] = saved(it.e, it.running)
	}
	return st
}

// writeState replaces path atomically: a temporary file, then a rename.
func writeState(path string, st state) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding ci state: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("writing ci state: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	_, err = tmp.Write(append(data, '\n'))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("writing ci state: %w", err)
	}
	return nil
}

// load reads the state file: none yields no jobs, a corrupt one is logged
// and ignored, an unreadable one is an error.
func (m *Manager) load() ([]savedJob, error) {
	if m.opts.StateFile == "" {
		return nil, nil
	}
	data, err := os.ReadFile(m.opts.StateFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading ci state: %w", err)
	}
	var st state
	if err := json.Unmarshal(data, &st); err != nil || st.Version != stateVersion {
		m.log.Error("ignoring corrupt ci state file", "path", m.opts.StateFile, "error", err, "version", st.Version)
		return nil, nil
	}
	valid := st.Jobs[:0]
	for _, j := range st.Jobs {
		if j.Owner == "" || j.Name == "" || j.HeadSHA == "" || j.PR <= 0 {
			m.log.Error("ignoring invalid job in ci state file", "path", m.opts.StateFile, "job", j)
			continue
		}
		valid = append(valid, j)
	}
	return valid, nil
}

// resume queues the saved jobs again, their checks set back to queued;
// jobs saved before their check run existed go back to the intake.
func (m *Manager) resume(ctx context.Context, jobs []savedJob) {
	for _, sj := range jobs {
		e := &entry{job: sj.job(), checkID: sj.CheckRunID, queued: sj.Queued}
		log := jobLogger(m.log, e.job).With("check_run_id", e.checkID)
		if e.checkID != 0 {
			if err := m.opts.GitHub.UpdateCheckRun(ctx, e.job.Repo, e.checkID, requeuedUpdate()); err != nil {
				log.Warn("setting resumed check run back to queued", "error", err)
			}
		}
		m.mu.Lock()
		m.noteCheckLocked(e.checkID)
		m.seq++
		e.seq = m.seq
		var replaced []*entry
		if e.checkID == 0 {
			m.inbox = append(m.inbox, e)
			kick(m.intake)
		} else {
			replaced = m.enqueueLocked(e)
		}
		m.mu.Unlock()
		log.Info("ci job resumed from the state file", "was_running", sj.Running)
		m.concludeSuperseded(ctx, replaced, e.job.HeadSHA)
	}
	if len(jobs) > 0 {
		m.save()
	}
}
