package flock

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/mobu-dev/mobu/config"
	"github.com/mobu-dev/mobu/internal/ctxtime"
	"github.com/mobu-dev/mobu/internal/notebook"
)

// labBusiness is the lab lifecycle the lab businesses share: log in at
// startup (deleting a leftover lab), spawn when needed, delete the lab after
// each execution when delete_lab is set, and always at shutdown.
type labBusiness struct {
	env      Env
	opts     *config.LabOptions
	stages   *notebook.Stages
	loggedIn bool
	labUp    bool // a spawn was attempted and the lab not deleted since
	infoRead bool // the lab's image and node were read since the spawn
	// lastImage and lastNode outlive the lab (for failure records); only
	// the monkey's goroutine touches them.
	lastImage *LabImage
	lastNode  string
	status    statusBox
}

func newLabBusiness(env Env, opts *config.LabOptions) *labBusiness {
	meta := notebook.Meta{Flock: env.Flock, Business: env.Business.Type, Username: env.User.Username}
	b := &labBusiness{env: env, opts: opts}
	b.stages = &notebook.Stages{Lab: env.Lab, Meta: meta, Publisher: env.Publisher, OnStage: b.logStage, Tracer: env.Tracer}
	return b
}

func (b *labBusiness) logStage(sr notebook.StageResult) {
	var attrs []any
	if sr.Notebook != "" {
		attrs = append(attrs, "notebook", sr.Notebook)
	}
	attrs = append(attrs, "duration", sr.Duration.Round(time.Millisecond))
	if sr.Err != nil {
		b.env.Logger.Warn(sr.Stage+" failed", append(attrs, "error", sr.Err)...)
		return
	}
	b.env.Logger.Info(sr.Stage+" done", attrs...)
}

// Startup waits a random jitter, logs in and deletes a lab left by an
// earlier run (when labs are deleted between executions): only a running
// one, when the driver can tell (a lab delete event counts real deletes).
// A failed check for one fails the startup in the lab delete phase, as in
// mobu, where is_lab_stopped raising fails the startup.
func (b *labBusiness) Startup(ctx context.Context) error {
	if ctxtime.Sleep(ctx, randDuration(b.opts.Jitter.D())) != nil {
		return ctx.Err()
	}
	if err := b.stages.Login(ctx); err != nil {
		return &phaseError{"login", err}
	}
	b.loggedIn = true
	if b.opts.DeleteLab {
		cctx, cancel := b.env.Cleanup(ctx, b.opts.DeleteTimeout.D())
		defer cancel()
		if err := b.stages.DeleteLeftoverLab(cctx); err != nil {
			return &phaseError{"lab delete", err}
		}
		b.labUp = false // none is running now: the next execution spawns
		b.forgetLabInfo()
	}
	return nil
}

// ensureLab spawns the lab unless it is up.
func (b *labBusiness) ensureLab(ctx context.Context) error {
	if b.labUp {
		return nil
	}
	b.labUp = true // even a failed spawn may leave a server to delete
	b.forgetLabInfo()
	b.lastImage, b.lastNode = nil, ""
	if err := b.stages.Spawn(ctx, b.opts.SpawnTimeout.D()); err != nil {
		return &phaseError{"spawn", err}
	}
	return nil
}

// endExecution deletes the lab after an execution if delete_lab is set.
func (b *labBusiness) endExecution(keepLab bool) error {
	if !b.opts.DeleteLab || keepLab {
		return nil
	}
	return b.deleteLab()
}

func (b *labBusiness) deleteLab() error {
	cctx, cancel := b.env.Cleanup(context.Background(), b.opts.DeleteTimeout.D())
	defer cancel()
	if err := b.stages.DeleteLab(cctx); err != nil {
		return &phaseError{"lab delete", err}
	}
	b.labUp = false
	b.forgetLabInfo()
	return nil
}

// Shutdown deletes the lab if one may be up, revokes the login and ends
// the lab session's trace (the lab delete ends it; a monkey that stops or
// fails before any delete ends it here, so its root span is exported).
func (b *labBusiness) Shutdown(ctx context.Context) error {
	var errs []error
	if b.labUp {
		errs = append(errs, b.deleteLab())
	}
	if b.loggedIn {
		cctx, cancel := b.env.Cleanup(ctx, b.opts.DeleteTimeout.D())
		defer cancel()
		errs = append(errs, b.env.Lab.Logout(cctx))
		b.loggedIn = false
	}
	err := errors.Join(errs...)
	b.stages.EndSession(err)
	return err
}

// openSession opens a kernel session and changes to working_directory.
func (b *labBusiness) openSession(ctx context.Context, name string) (notebook.Session, error) {
	sess, err := b.stages.Open(ctx, name, 3*b.opts.JupyterTimeout.D())
	if err != nil {
		return nil, err
	}
	if wd := b.opts.WorkingDirectory; wd != "" {
		code := "import os\nos.chdir(" + strconv.Quote(wd) + ")"
		exec, err := sess.Execute(ctx, code, notebook.ExecOptions{Timeout: b.opts.JupyterTimeout.D()})
		if err == nil && exec.Status != "ok" {
			err = fmt.Errorf("%s: %s", exec.EName, exec.EValue)
		}
		if err != nil {
			b.closeSession(ctx, sess, name)
			return nil, fmt.Errorf("changing to working_directory %s: %w", wd, err)
		}
	}
	b.readLabInfo(ctx, sess)
	return sess, nil
}

// closeSession deletes the session even after a stop; ctx gives the trace.
func (b *labBusiness) closeSession(ctx context.Context, sess notebook.Session, name string) {
	cctx, cancel := b.env.Cleanup(ctx, b.opts.DeleteTimeout.D())
	defer cancel()
	b.stages.Close(cctx, sess, name)
}

func (b *labBusiness) cellTimeout() time.Duration {
	if t := b.opts.CellExecutionTimeout; t != nil {
		return t.D()
	}
	return 0
}

func (b *labBusiness) Status() BusinessStatus { return b.status.get() }

// statusBox holds what a business is doing, read concurrently by the API.
type statusBox struct {
	mu sync.Mutex
	s  BusinessStatus
}

func (s *statusBox) get() BusinessStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.s
}

func (s *statusBox) update(f func(*BusinessStatus)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.s)
}

// truncateCode keeps API payloads small.
func truncateCode(code string) string {
	const limit = 2000
	if len(code) <= limit {
		return code
	}
	return code[:limit] + "\n… (truncated)"
}
