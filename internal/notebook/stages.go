package notebook

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"sync"
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
	TraceID  string // of the notebook run (kernel start, session delete) or the lab session
}

// StageError is a failed stage's error with the trace it belongs to, so
// failure reports can name it; its message is the cause's.
type StageError struct {
	Stage   string
	TraceID string
	Err     error
}

func (e *StageError) Error() string { return e.Err.Error() }
func (e *StageError) Unwrap() error { return e.Err }

// Stages runs a Lab's lifecycle steps with a time limit each, times them,
// publishes their events and reports them to OnStage.
type Stages struct {
	Lab       Lab
	Meta      Meta
	Publisher Publisher
	Now       func() time.Time  // default time.Now
	OnStage   func(StageResult) // may be nil
	// Tracer makes the spans of the stages outside a notebook's trace
	// (login, spawn, lab delete) in the trace of their lab session; nil:
	// none (the session still has a trace id).
	Tracer Tracer

	mu  sync.Mutex
	lab *labTrace // the open lab session's trace
}

// labTrace is the trace of one lab session: from a login (or a spawn
// after a lab delete) to the lab delete (a leftover lab's delete goes on),
// or to EndSession.
type labTrace struct {
	ctx context.Context // carries the trace and its root span, nothing else
	end func(error)
}

// stage is one step for run: its name, the notebook it serves (kernel
// start, session delete), its time limit (0: none).
type stage struct {
	name, notebook string
	timeout        time.Duration
	leftover       bool // a leftover lab's delete: the lab session goes on
}

// Login logs the bot user in.
func (s *Stages) Login(ctx context.Context) error {
	return s.run(ctx, stage{name: StageLogin}, s.Lab.Login)
}

// Spawn starts the lab within timeout (0: no limit).
func (s *Stages) Spawn(ctx context.Context, timeout time.Duration) error {
	return s.run(ctx, stage{name: StageSpawn, timeout: timeout}, s.Lab.Spawn)
}

// Open starts a kernel session for a notebook (or other code) within timeout.
func (s *Stages) Open(ctx context.Context, name string, timeout time.Duration) (Session, error) {
	var sess Session
	err := s.run(ctx, stage{name: StageKernelStart, notebook: name, timeout: timeout}, func(ctx context.Context) error {
		var err error
		sess, err = s.Lab.OpenSession(ctx, sessionName(name))
		return err
	})
	return sess, err
}

// Close deletes a session.
func (s *Stages) Close(ctx context.Context, sess Session, name string) error {
	return s.run(ctx, stage{name: StageSessionDelete, notebook: name}, sess.Close)
}

// DeleteLab deletes the lab; the lab session's trace ends with it.
func (s *Stages) DeleteLab(ctx context.Context) error {
	return s.run(ctx, stage{name: StageLabDelete}, s.Lab.DeleteLab)
}

// LabProbe is a Lab that can tell whether the user's lab is running (the
// hub lists its server). A Lab without it cannot tell.
type LabProbe interface {
	LabRunning(ctx context.Context) (bool, error)
}

// DeleteLeftoverLab deletes a lab an earlier run left (after the login,
// before the spawn): the same timed lab delete stage, but the lab session
// it belongs to goes on. As in mobu, it first asks whether the lab is
// running and deletes (so times and publishes) only a running one; a Lab
// that cannot tell (no LabProbe) always deletes. A failed probe is
// returned without a stage.
func (s *Stages) DeleteLeftoverLab(ctx context.Context) error {
	if p, ok := s.Lab.(LabProbe); ok {
		running, err := p.LabRunning(ctx)
		if err != nil {
			return fmt.Errorf("checking for a leftover lab: %w", err)
		}
		if !running {
			return nil
		}
	}
	if err := s.run(ctx, stage{name: StageLabDelete, leftover: true}, s.Lab.DeleteLab); err != nil {
		return fmt.Errorf("deleting a leftover lab: %w", err)
	}
	return nil
}

// EndSession ends the open lab session's trace, if any (a monkey that
// stops with its lab kept, or before any lab delete). err, if set, marks
// the root span failed.
func (s *Stages) EndSession(err error) { s.endLab(err) }

// run times fn (bounded by st.timeout if set), publishes its event and
// reports it. A failure is returned as a *StageError.
func (s *Stages) run(ctx context.Context, st stage, fn func(context.Context) error) error {
	name, timeout := st.name, st.timeout
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
	sr := StageResult{Stage: name, Notebook: st.notebook, Duration: time.Since(start), Err: err, TraceID: CurrentTraceID(ctx)}
	if (name == StageLabDelete && !st.leftover) || (name == StageLogin && err != nil) {
		s.endLab(err) // the lab session is over
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	ev := events.NewStage(stageEvents[name], s.Meta.base(now()), sr.Duration.Seconds(), err == nil)
	ev.TraceID = &sr.TraceID
	s.Publisher.Publish(ev)
	if s.OnStage != nil {
		s.OnStage(sr)
	}
	if err != nil {
		return &StageError{Stage: name, TraceID: sr.TraceID, Err: err}
	}
	return nil
}

// span is a child of the notebook's trace in ctx, or of the lab session's.
func (s *Stages) span(ctx context.Context, name string) (context.Context, func(error)) {
	if _, ok := ctx.Value(traceKey{}).(traceState); !ok {
		ctx = s.labContext(ctx, name == StageLogin)
	}
	return startSpan(ctx, name)
}

// labContext is ctx in the trace of the open lab session, begun now if
// none is open or fresh (a login begins a new session).
func (s *Stages) labContext(ctx context.Context, fresh bool) context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lab != nil && fresh {
		s.lab.end(nil)
		s.lab = nil
	}
	if s.lab == nil {
		var attrs []Attr
		if s.Tracer != nil {
			attrs = s.Meta.Attrs("")
		}
		lctx, end := StartTrace(context.Background(), s.Tracer, "lab session", attrs...)
		s.lab = &labTrace{ctx: lctx, end: end}
	}
	return withValues{Context: ctx, values: s.lab.ctx}
}

// endLab ends the open lab session's trace, if any.
func (s *Stages) endLab(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lab != nil {
		s.lab.end(err)
		s.lab = nil
	}
}

// withValues is Context (deadline, cancellation, values) with the values of
// values put first.
type withValues struct {
	context.Context
	values context.Context
}

func (c withValues) Value(key any) any {
	if v := c.values.Value(key); v != nil {
		return v
	}
	return c.Context.Value(key)
}

// sessionName is unique per call so a leftover session is never reused.
func sessionName(name string) string {
	base := strings.TrimSuffix(path.Base(name), ".ipynb")
	return "mobu/" + newTraceID()[:8] + "/" + base + ".ipynb"
}
