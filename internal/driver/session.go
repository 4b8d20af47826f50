package driver

import (
	"context"

	"github.com/mobu-dev/mobu/internal/jupyter"
	"github.com/mobu-dev/mobu/internal/notebook"
)

// jupyterUser is what both jupyter drivers offer for one bot user.
type jupyterUser interface {
	Login(ctx context.Context) error
	Spawn(ctx context.Context) error
	OpenSession(ctx context.Context, name string) (*jupyter.Session, error)
	DeleteLab(ctx context.Context) error
	Logout(ctx context.Context) error
	LabRunning(ctx context.Context) (bool, error)
}

// lab adapts a jupyter driver to notebook.Lab (and notebook.LabProbe).
type lab struct{ jupyterUser }

// Lab adapts a jupyter driver user to the notebook domain.
func Lab(u jupyterUser) notebook.Lab { return lab{u} }

func (l lab) OpenSession(ctx context.Context, name string) (notebook.Session, error) {
	s, err := l.jupyterUser.OpenSession(ctx, name)
	if err != nil {
		return nil, err
	}
	return session{s}, nil
}

type session struct{ s *jupyter.Session }

func (s session) Execute(ctx context.Context, code string, opts notebook.ExecOptions) (*notebook.Execution, error) {
	r, err := s.s.Execute(ctx, code, jupyter.ExecOptions{Timeout: opts.Timeout})
	if r == nil {
		return nil, err
	}
	return &notebook.Execution{
		Status: r.Status, EName: r.EName, EValue: r.EValue, Traceback: r.Traceback, Output: r.Output,
		Duration: r.Duration, KernelDuration: r.KernelDuration, HasKernelDuration: r.HasKernelDuration,
		Interrupted: r.Interrupted,
	}, err
}

func (s session) Close(ctx context.Context) error { return s.s.Close(ctx) }

var (
	_ notebook.LabProbe = lab{}
	_ notebook.LabProbe = (*nubladoLab)(nil)
)
