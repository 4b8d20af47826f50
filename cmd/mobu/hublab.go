package main

import (
	"context"

	"github.com/mobu-dev/mobu/internal/jupyter"
	"github.com/mobu-dev/mobu/internal/notebook"
)

// hubLab adapts the JupyterHub token driver to the notebook domain's Lab.
type hubLab struct{ *jupyter.User }

func (l hubLab) OpenSession(ctx context.Context, name string) (notebook.Session, error) {
	s, err := l.User.OpenSession(ctx, name)
	if err != nil {
		return nil, err
	}
	return hubSession{s}, nil
}

type hubSession struct{ s *jupyter.Session }

func (s hubSession) Execute(ctx context.Context, code string, opts notebook.ExecOptions) (*notebook.Execution, error) {
	r, err := s.s.Execute(ctx, code, jupyter.ExecOptions{Timeout: opts.Timeout, ExpectError: opts.ExpectError})
	if r == nil {
		return nil, err
	}
	return &notebook.Execution{
		Status: r.Status, EName: r.EName, EValue: r.EValue, Traceback: r.Traceback, Output: r.Output,
		Duration: r.Duration, KernelDuration: r.KernelDuration, HasKernelDuration: r.HasKernelDuration,
		Interrupted: r.Interrupted,
	}, err
}

func (s hubSession) Close(ctx context.Context) error { return s.s.Close(ctx) }
