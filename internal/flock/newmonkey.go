package flock

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/mobu-dev/mobu/config"
	"github.com/mobu-dev/mobu/internal/events"
	"github.com/mobu-dev/mobu/internal/monkeylog"
)

// newMonkey builds a monkey and its business for one user of f.
func (m *Manager) newMonkey(f *Flock, u config.User) (*Monkey, error) {
	pub := events.Publisher(statsTee{next: m.opts.Publisher, stats: f.stats, alerts: m.opts.Alerter, flock: f.cfg.Name})
	mk, err := m.buildMonkey(f.cfg.Name, u, f.cfg.Scopes, f.cfg.Business, f.gate, pub)
	if err != nil {
		return nil, err
	}
	if nr, ok := mk.biz.(*notebookRunner); ok {
		if nr.fetch, err = m.flockFetcher(f); err != nil {
			mk.hardCancel()
			mk.close()
			return nil, err
		}
	}
	name, alerts := f.cfg.Name, m.opts.Alerter
	mk.onFailure = func(r FailureRecord) {
		f.failures.add(r)
		if alerts != nil {
			alerts.Failed(name, r)
		}
	}
	if alerts != nil {
		mk.onSuccess = func() { alerts.Passed(name, "") }
	}
	return mk, nil
}

// buildMonkey wires a monkey: its log, contexts and business.
func (m *Manager) buildMonkey(flock string, u config.User, scopes []string, b config.Business, g *gate,
	pub events.Publisher) (*Monkey, error) {
	factory, ok := m.opts.Registry[b.Type]
	if !ok {
		return nil, fmt.Errorf("%w: business type %s", ErrUnsupported, b.Type)
	}
	logs, err := monkeylog.New(flock, u.Username, m.logOptions(b))
	if err != nil {
		return nil, err
	}
	log := slog.New(logs.Handler(m.opts.Logger.Handler())).With("flock", flock, "monkey", u.Username)
	base := config.BaseOptionsOf(b.Options)
	mk := &Monkey{
		name: u.Username, user: u, typ: b.Type, restart: b.Restart, gate: g, log: log, logs: logs,
		closers: []func() error{logs.Close},
		idle:    base.IdleTime.D(), errIdle: base.ErrorIdleTime.D(), state: StateIdle,
		stopReq: make(chan struct{}), done: make(chan struct{}),
	}
	if lab := config.LabOptionsOf(b.Options); lab != nil {
		mk.jitter = lab.Jitter.D()
	}
	hardCtx, hardCause := context.WithCancelCause(context.Background())
	execCtx, execCause := context.WithCancelCause(hardCtx)
	mk.hardCtx, mk.hardCancel = hardCtx, func() { hardCause(errCleanupAborted) }
	mk.execCtx, mk.execCancel = execCtx, func() { execCause(errWorkAborted) }
	env, err := m.env(flock, u, scopes, b, log, pub, mk)
	if err == nil {
		mk.biz, err = factory(env)
	}
	if err != nil {
		mk.hardCancel()
		mk.close()
		return nil, err
	}
	return mk, nil
}

func (m *Manager) logOptions(b config.Business) monkeylog.Options {
	o := m.opts.MonkeyLogs
	if base := config.BaseOptionsOf(b.Options); base != nil && base.LogLevel == "DEBUG" {
		o.Level = slog.LevelDebug
	}
	return o
}

// env gives the business its platform, notebook source and hooks.
func (m *Manager) env(flock string, u config.User, scopes []string, b config.Business, log *slog.Logger,
	pub events.Publisher, mk *Monkey) (Env, error) {
	env := Env{
		Flock: flock, User: u, Business: b, Logger: log, Publisher: pub, Tracer: m.opts.Tracer,
		Stopping: mk.stopping.Load,
		Cleanup: func(parent context.Context, d time.Duration) (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), d)
			stop := context.AfterFunc(mk.hardCtx, cancel) // the final cancellation still applies
			return ctx, func() { stop(); cancel() }
		},
	}
	if lab := config.LabOptionsOf(b.Options); lab != nil {
		if m.opts.Labs == nil {
			return env, fmt.Errorf("%w: %s needs a lab driver (configure jupyterhub, or gafaelfawrToken for Nublado)",
				ErrUnsupported, b.Type)
		}
		var err error
		if env.Lab, err = m.opts.Labs(u, scopes, lab); err != nil {
			return env, err
		}
		if c, ok := env.Lab.(io.Closer); ok {
			mk.closers = append(mk.closers, c.Close)
		}
	}
	if nb := config.NotebookOptionsOf(b.Options); nb != nil {
		if m.opts.Sources == nil {
			return env, fmt.Errorf("%w: %s needs a notebook source", ErrUnsupported, b.Type)
		}
		var err error
		if env.Notebooks, err = m.opts.Sources(nb); err != nil {
			return env, err
		}
		if c, ok := env.Notebooks.(io.Closer); ok {
			mk.closers = append(mk.closers, c.Close)
		}
	}
	return env, nil
}
