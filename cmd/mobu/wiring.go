package main

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/mobu-dev/mobu/config"
	"github.com/mobu-dev/mobu/internal/apps"
	"github.com/mobu-dev/mobu/internal/flock"
	"github.com/mobu-dev/mobu/internal/gitrepo"
	"github.com/mobu-dev/mobu/internal/jupyter"
	"github.com/mobu-dev/mobu/internal/notebook"
	"github.com/mobu-dev/mobu/internal/payload"
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

// notebookSources serves git repositories through one shared clone cache
// (closed by the caller) and notebook_dir directories.
func notebookSources(c *config.Config, logger *slog.Logger) (*payload.Factory, *gitrepo.Cache, error) {
	cache, err := gitrepo.NewCache(gitrepo.Options{Token: c.GitToken.Reveal(), Username: c.GitUser,
		Timeout: c.GitTimeout.D(), Logger: logger})
	if err != nil {
		return nil, nil, fmt.Errorf("creating the repository cache: %w", err)
	}
	return &payload.Factory{Cache: cache, Apps: applications(c.Applications)}, cache, nil
}

// applications returns the configured application source, or nil.
func applications(a *config.Applications) payload.AppSource {
	switch {
	case a == nil:
		return nil
	case a.Static != nil:
		return apps.Static(a.Static)
	case a.PhalanxValues != "":
		return apps.PhalanxFiles{Values: a.PhalanxValues, Defaults: a.PhalanxDefaults}
	}
	return apps.Discovery{URL: a.DiscoveryURL}
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
