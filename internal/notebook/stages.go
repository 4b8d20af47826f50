package notebook

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/mobu-dev/mobu/internal/events"
)

// Stage names, as shown in reports.
const (
	StageLogin         = "login"
	StageSpawn         = "spawn"
	StageKernelStart   = "kernel start"
	StageSessionDelete = "session delete"
	StageLabDelete     = "lab delete"
)

var stageEvents = map[string]string{
	StageLogin: events.NameLogin, StageSpawn: events.NameSpawnLab, StageKernelStart: events.NameStartKernel,
	StageSessionDelete: events.NameDeleteSession, StageLabDelete: events.NameDeleteLab,
}

// StageResult is the timing of one lab lifecycle step.
type StageResult struct {
	Stage    string
	Notebook string // for kernel start and session delete
	Duration time.Duration
	Err      error
}

// Stages runs a Lab's lifecycle steps with a time limit each, times them,
// publishes their events and reports them to OnStage.
type Stages struct {
	Lab       Lab
	Meta      Meta
	Publisher Publisher
	Now       func() time.Time  // default time.Now
	OnStage   func(StageResult) // may be nil
	// Tracer gives stages outside a notebook's trace (login, spawn, lab
	// delete) a trace of their own; nil: none.
	Tracer Tracer
}

// Login logs the bot user in.
func (s *Stages) Login(ctx context.Context) error {
	return s.run(ctx, StageLogin, "", 0, s.Lab.Login)
}

// Spawn starts the lab within timeout (0: no limit).
func (s *Stages) Spawn(ctx context.Context, timeout time.Duration) error {
	return s.run(ctx, StageSpawn, "", timeout, s.Lab.Spawn)
}

// Open starts a kernel session for a notebook (or other code) within timeout.
func (s *Stages) Open(ctx context.Context, name string, timeout time.Duration) (Session, error) {
	var sess Session
	err := s.run(ctx, StageKernelStart, name, timeout, func(ctx context.Context) error {
		var err error
		sess, err = s.Lab.OpenSession(ctx, sessionName(name))
		return err
	})
	return sess, err
}

// Close deletes a session.
func (s *Stages) Close(ctx context.Context, sess Session, name string) error {
	return s.run(ctx, StageSessionDelete, name, 0, sess.Close)
}

// DeleteLab deletes the lab.
func (s *Stages) DeleteLab(ctx context.Context) error {
	return s.run(ctx, StageLabDelete, "", 0, s.Lab.DeleteLab)
}

// run times fn (bounded by timeout if set), publishes its event and reports it.
func (s *Stages) run(ctx context.Context, name, nb string, timeout time.Duration, fn func(context.Context) error) error {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, timeout, fmt.Errorf("%s timed out after %s", name, timeout))
		defer cancel()
	}
	ctx, end := s.span(ctx, name)
	start := time.Now()
	err := fn(ctx)
	end(err)
	if err != nil && ctx.Err() != nil && !errors.Is(err, context.Cause(ctx)) {
		err = fmt.Errorf("%w: %w", context.Cause(ctx), err)
	}
	sr := StageResult{Stage: name, Notebook: nb, Duration: time.Since(start), Err: err}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	s.Publisher.Publish(events.NewStage(stageEvents[name], s.Meta.base(now()), sr.Duration.Seconds(), err == nil))
	if s.OnStage != nil {
		s.OnStage(sr)
	}
	return err
}

// span is a child of the notebook's trace, or a trace of its own.
func (s *Stages) span(ctx context.Context, name string) (context.Context, func(error)) {
	if _, ok := ctx.Value(traceKey{}).(traceState); ok {
		return startSpan(ctx, name)
	}
	if s.Tracer == nil {
		return ctx, func(error) {}
	}
	return StartTrace(ctx, s.Tracer, name, s.Meta.Attrs("")...)
}

// sessionName is unique per call so a leftover session is never reused.
func sessionName(name string) string {
	base := strings.TrimSuffix(path.Base(name), ".ipynb")
	return "mobu/" + newTraceID()[:8] + "/" + base + ".ipynb"
}
