package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/mobu-dev/mobu/config"
	"github.com/mobu-dev/mobu/internal/apps"
	"github.com/mobu-dev/mobu/internal/driver"
	"github.com/mobu-dev/mobu/internal/flock"
	"github.com/mobu-dev/mobu/internal/gitrepo"
	"github.com/mobu-dev/mobu/internal/payload"
	"github.com/mobu-dev/mobu/internal/repertoire"
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

// labDriver returns the lab factory the configuration selects, or nil when
// none is configured.
func labDriver(c *config.Config, rep *repertoire.Client, logger *slog.Logger) (flock.LabFactory, error) {
	switch c.Driver() {
	case "jupyterhub":
		return driver.Hub(c.JupyterHub, logger)
	case "nublado":
		return nubladoDriver(c, rep, logger)
	}
	return nil, nil
}

// nubladoDriver builds the Rubin driver: Gafaelfawr-minted (or fixed) bot
// tokens, URLs from the nublado block or Repertoire.
func nubladoDriver(c *config.Config, rep *repertoire.Client, logger *slog.Logger) (flock.LabFactory, error) {
	var static config.Nublado
	if c.Nublado != nil {
		static = *c.Nublado
	}
	var timeout time.Duration
	if c.GafaelfawrTimeout != nil {
		timeout = c.GafaelfawrTimeout.D()
	}
	var tokens map[string]string
	if static.TokensFile != "" {
		var err error
		if tokens, err = driver.LoadTokens(static.TokensFile); err != nil {
			return nil, err
		}
	}
	return driver.Nublado(driver.RSP{Static: static, Repertoire: rep, AdminToken: c.GafaelfawrToken.Reveal(),
		Tokens: tokens, Timeout: timeout, Logger: logger})
}

// discovery returns the Repertoire client, nil when REPERTOIRE_BASE_URL is unset.
func discovery(c *config.Config, logger *slog.Logger) *repertoire.Client {
	if c.RepertoireURL == "" {
		return nil
	}
	return repertoire.New(c.RepertoireURL, repertoire.Options{Logger: logger})
}

// environmentName fills environmentName (the CI check name) from Repertoire
// when the config leaves it unset.
func environmentName(ctx context.Context, c *config.Config, rep *repertoire.Client, logger *slog.Logger) {
	if c.EnvironmentName != "" || rep == nil || c.GitHubCIApp == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	d, err := rep.Discover(ctx)
	if err != nil {
		logger.Warn("no environment name from Repertoire for the CI check name", "error", err)
		return
	}
	c.EnvironmentName = d.EnvironmentName
}

// notebookSources serves git repositories through one shared clone cache
// (closed by the caller) and notebook_dir directories.
func notebookSources(c *config.Config, rep *repertoire.Client, logger *slog.Logger) (*payload.Factory, *gitrepo.Cache, error) {
	cache, err := gitrepo.NewCache(gitrepo.Options{Token: c.GitToken.Reveal(), Username: c.GitUser,
		Timeout: c.GitTimeout.D(), Logger: logger})
	if err != nil {
		return nil, nil, fmt.Errorf("creating the repository cache: %w", err)
	}
	apps := applications(c.Applications)
	if rep != nil && c.Applications != nil && c.Applications.DiscoveryURL == c.RepertoireURL+"/discovery" {
		apps = rep // one cached discovery for the driver and the notebook rules
	}
	return &payload.Factory{Cache: cache, Apps: apps}, cache, nil
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
