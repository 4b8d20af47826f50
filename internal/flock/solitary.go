package flock

import (
	"bytes"
	"context"
	"errors"

	"github.com/mobu-dev/mobu/config"
)

// SolitaryResult is the outcome of a solitary run (POST /run).
type SolitaryResult struct {
	Success bool   `json:"success"`
	Error   string `json:"error,omitempty"`
	Log     string `json:"log"`
}

// RunSolitary runs one monkey once, synchronously: startup, one execution,
// shutdown (the lab is deleted). ctx bounds the whole run.
func (m *Manager) RunSolitary(ctx context.Context, s *config.Solitary) SolitaryResult {
	mk, err := m.buildMonkey("", s.User, s.Scopes, s.Business, newGate(), m.opts.Publisher)
	if err != nil {
		return SolitaryResult{Error: err.Error()}
	}
	defer mk.close()
	defer mk.hardCancel()
	stop := context.AfterFunc(ctx, mk.execCancel)
	defer stop()
	err = mk.biz.Startup(mk.execCtx)
	if err == nil {
		err = mk.biz.Execute(mk.execCtx)
	}
	err = errors.Join(err, mk.biz.Shutdown(mk.hardCtx))
	if err != nil {
		mk.log.Error("solitary run failed", "error", err)
	} else {
		mk.log.Info("solitary run passed")
	}
	var buf bytes.Buffer
	mk.logs.WriteTo(&buf)
	res := SolitaryResult{Success: err == nil, Log: buf.String()}
	if err != nil {
		res.Error = err.Error()
	}
	return res
}
