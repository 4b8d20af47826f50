package main

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/mobu-dev/mobu/config"
	"github.com/mobu-dev/mobu/internal/events"
	"github.com/mobu-dev/mobu/internal/events/jsonl"
	"github.com/mobu-dev/mobu/internal/flock"
	"github.com/mobu-dev/mobu/internal/jupyter"
	"github.com/mobu-dev/mobu/internal/notebook"
)

// businesses is the explicit registry of the business types mobu runs.
func businesses() flock.Registry {
	return flock.Registry{
		config.NotebookRunnerCounting: flock.NewNotebookRunnerCounting,
		config.NotebookRunnerList:     flock.NewNotebookRunnerList,
		config.NotebookRunnerInfinite: flock.NewNotebookRunnerInfinite,
		config.NubladoPythonLoop:      flock.NewPythonLoop,
		config.EmptyLoop:              flock.NewEmptyLoop,
	}
}

// hubLabs returns the lab factory for the plain JupyterHub driver, or nil
// when no hub is configured.
func hubLabs(c *config.Config, logger *slog.Logger) (flock.LabFactory, error) {
	if c.JupyterHub == nil {
		return nil, nil
	}
	hub, err := jupyter.NewHub(jupyter.HubConfig{URL: c.JupyterHub.URL, Token: c.JupyterHub.Token.Reveal(), Logger: logger})
	if err != nil {
		return nil, err
	}
	lifetime := c.JupyterHub.TokenLifetime.D()
	if lifetime == 0 {
		lifetime = 7 * 24 * time.Hour
	}
	return func(u config.User, o *config.LabOptions) (notebook.Lab, error) {
		opts := jupyter.UserOptions{KernelName: o.KernelName, TokenLifetime: lifetime,
			Kernel: jupyter.KernelOptions{Protocol: protocol(c.JupyterHub.Protocol), Logger: logger}}
		return hubLab{hub.User(u.Username, opts)}, nil
	}, nil
}

// notebookSources serves notebook_dir; git repositories come later.
func notebookSources(o *config.NotebookOptions) (flock.NotebookSource, error) {
	if o.NotebookDir == "" {
		return nil, fmt.Errorf("%w: repo_url %s: git payload repositories are not supported yet; set notebook_dir",
			flock.ErrUnsupported, o.RepoURL)
	}
	return flock.DirSource{Dir: o.NotebookDir}, nil
}

// serviceLogger follows logProfile (production: JSON) and logLevel.
func serviceLogger(w io.Writer, c *config.Config) *slog.Logger {
	var level slog.Level
	switch strings.ToUpper(c.LogLevel) {
	case "DEBUG":
		level = slog.LevelDebug
	case "WARNING":
		level = slog.LevelWarn
	case "ERROR", "CRITICAL":
		level = slog.LevelError
	}
	opts := &slog.HandlerOptions{Level: level}
	if c.LogProfile == "production" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// serviceEvents appends events to path, or validates and drops them.
func serviceEvents(path, application string, logger *slog.Logger) (*events.Queue, error) {
	var sink events.Sink = discardSink{}
	if path != "" {
		s, err := jsonl.Create(path, true)
		if err != nil {
			return nil, err
		}
		sink = s
	}
	return events.NewQueue(sink, events.QueueOptions{Application: application, Logger: logger}), nil
}
