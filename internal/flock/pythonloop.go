package flock

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mobu-dev/mobu/config"
	"github.com/mobu-dev/mobu/internal/ctxtime"
	"github.com/mobu-dev/mobu/internal/events"
	"github.com/mobu-dev/mobu/internal/notebook"
)

// pythonLoop runs the same code max_executions times per lab session
// (NubladoPythonLoop).
type pythonLoop struct {
	*labBusiness
	opts *config.PythonLoopOptions
}

// NewPythonLoop is the NubladoPythonLoop factory.
func NewPythonLoop(env Env) (Business, error) {
	opts, ok := env.Business.Options.(*config.PythonLoopOptions)
	if !ok || env.Lab == nil {
		return nil, fmt.Errorf("%w: NubladoPythonLoop needs python loop options and a lab", ErrUnsupported)
	}
	return &pythonLoop{labBusiness: newLabBusiness(env, &opts.LabOptions), opts: opts}, nil
}

func (b *pythonLoop) Execute(ctx context.Context) error {
	if err := b.ensureLab(ctx); err != nil {
		return err
	}
	err := b.runCode(ctx)
	return errors.Join(err, b.endExecution(false))
}

func (b *pythonLoop) runCode(ctx context.Context) error {
	sess, err := b.openSession(ctx, "python-loop")
	if err != nil {
		return &notebook.Failure{Phase: notebook.PhaseKernel, Err: err}
	}
	defer b.closeSession(ctx, sess, "python-loop")
	b.status.update(func(s *BusinessStatus) { s.RunningCode = truncateCode(b.opts.Code) })
	defer b.status.update(func(s *BusinessStatus) { s.RunningCode = "" })
	for i := range b.opts.MaxExecutions {
		if i > 0 && ctxtime.Sleep(ctx, b.opts.ExecutionIdleTime.D()) != nil {
			return ctx.Err()
		}
		if b.env.Stopping() {
			return nil
		}
		if err := b.runOnce(ctx, sess); err != nil {
			return err
		}
	}
	return nil
}

func (b *pythonLoop) runOnce(ctx context.Context, sess notebook.Session) error {
	exec, err := sess.Execute(ctx, b.opts.Code, notebook.ExecOptions{Timeout: b.cellTimeout()})
	if err == nil && exec.Status != "ok" {
		err = fmt.Errorf("%s: %s", exec.EName, exec.EValue)
	}
	var d time.Duration
	if exec != nil {
		d = exec.Duration
	}
	b.env.Publisher.Publish(&events.PythonExecution{
		Base:     events.NewBase(time.Now(), b.env.Flock, b.env.Business.Type, b.env.User.Username),
		Duration: events.OptSeconds(d, exec != nil), Success: err == nil, Code: b.opts.Code,
	})
	if err != nil {
		f := &notebook.Failure{Phase: notebook.PhaseCell, Code: b.opts.Code, Err: err}
		if exec != nil {
			f.EName, f.EValue, f.Output = exec.EName, exec.EValue, exec.Output
		}
		return f
	}
	return nil
}

func (b *pythonLoop) Refresh() {}
