package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/mobu-dev/mobu/config"
	"github.com/mobu-dev/mobu/internal/apps"
	"github.com/mobu-dev/mobu/internal/ci"
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

// environment names the environment for CI check names ("Mobu (<name>)")
// and the daily status: environmentName if set, else Repertoire's
// environment_name, else sentryEnvironment. Repertoire is asked when a name
// is needed, through the shared cached client (TTL, stale fallback), so an
// outage at boot only delays the name instead of fixing a wrong one until
// restart.
type environment struct {
	explicit, fallback string
	rep                *repertoire.Client // nil: no discovery
	log                *slog.Logger
}

// environmentTimeout bounds the discovery read behind one name.
const environmentTimeout = 10 * time.Second

func newEnvironment(c *config.Config, rep *repertoire.Client, logger *slog.Logger) *environment {
	return &environment{explicit: c.EnvironmentName, fallback: c.SentryEnvironment, rep: rep, log: logger}
}

// Name returns the environment's name, "" if none is known.
func (e *environment) Name(ctx context.Context) string {
	if e.explicit != "" || e.rep == nil {
		return cmp.Or(e.explicit, e.fallback)
	}
	ctx, cancel := context.WithTimeout(ctx, environmentTimeout)
	defer cancel()
	d, err := e.rep.Discover(ctx)
	if err != nil {
		e.log.WarnContext(ctx, "no environment name from Repertoire", "error", err)
		return e.fallback
	}
	return cmp.Or(d.EnvironmentName, e.fallback)
}

// CheckName is the name of a CI check run created now.
func (e *environment) CheckName(ctx context.Context) string {
	if name := e.Name(ctx); name != "" {
		return "Mobu (" + name + ")"
	}
	return "Mobu"
}

// namedChecks creates each check run under the name resolved at that time.
type namedChecks struct {
	ci.GitHub
	env *environment
}

func (g namedChecks) CreateCheckRun(ctx context.Context, r ci.Repo, headSHA, _ string) (int64, error) {
	return g.GitHub.CreateCheckRun(ctx, r, headSHA, g.env.CheckName(ctx))
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
