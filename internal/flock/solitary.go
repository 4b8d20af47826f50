package flock

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/mobu-dev/mobu/config"
)

// SolitaryResult is the outcome of a solitary run (POST /run).
type SolitaryResult struct {
	Success bool   `json:"success"`
	Error   string `json:"error,omitempty"`
	Log     string `json:"log"`
}

// RunSolitary runs one monkey once, synchronously: startup, one execution,
// shutdown (the lab is deleted). ctx bounds the whole run. Once StopAll has
// begun it fails with ErrShuttingDown; a run in progress when StopAll starts
// is stopped like a flock's monkey (the cell finishes or is aborted within
// the grace, the lab is deleted) and reported as failed. Other failures are
// in the result, not the error.
func (m *Manager) RunSolitary(ctx context.Context, s *config.Solitary) (SolitaryResult, error) {
	if m.isClosed() {
		return SolitaryResult{}, fmt.Errorf("solitary run of %s: %w", s.User.Username, ErrShuttingDown)
	}
	mk, err := m.buildMonkey("", s.User, s.Scopes, s.Business, newGate(), m.opts.Publisher)
	if err != nil {
		return SolitaryResult{Error: err.Error()}, nil
	}
	defer mk.close()
	if err := m.addSolitary(mk); err != nil {
		mk.hardCancel()
		return SolitaryResult{}, fmt.Errorf("solitary run of %s: %w", s.User.Username, err)
	}
	defer m.removeSolitary(mk)
	stop := context.AfterFunc(ctx, mk.execCancel)
	defer stop()
	err = mk.runOnce()
	var buf bytes.Buffer
	mk.logs.WriteTo(&buf)
	res := SolitaryResult{Success: err == nil, Log: buf.String()}
	if err != nil {
		res.Error = err.Error()
	}
	return res, nil
}

// runOnce is a solitary monkey's life: startup, one execution, shutdown. It
// closes done, so Stop (from StopAll) waits for it.
func (mk *Monkey) runOnce() error {
	defer close(mk.done)
	defer mk.hardCancel()
	err := mk.biz.Startup(mk.execCtx)
	if err == nil {
		err = mk.biz.Execute(mk.execCtx)
	}
	err = errors.Join(err, mk.biz.Shutdown(mk.hardCtx))
	if mk.stopping.Load() {
		err = errors.Join(err, fmt.Errorf("solitary run stopped: %w", ErrShuttingDown))
	}
	if err != nil {
		mk.log.Error("solitary run failed", "error", err)
	} else {
		mk.log.Info("solitary run passed")
	}
	return err
}

// addSolitary tracks a running solitary monkey so that StopAll stops it,
// unless the manager is already closed.
func (m *Manager) addSolitary(mk *Monkey) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrShuttingDown
	}
	m.solitary[mk] = struct{}{}
	return nil
}

func (m *Manager) removeSolitary(mk *Monkey) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.solitary, mk)
}
