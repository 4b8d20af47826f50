package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/mobu-dev/mobu/config"
	"github.com/mobu-dev/mobu/internal/api"
	"github.com/mobu-dev/mobu/internal/flock"
	"github.com/mobu-dev/mobu/internal/gitrepo"
	"github.com/mobu-dev/mobu/internal/monkeylog"
	"github.com/mobu-dev/mobu/internal/telemetry"
)

type serveFlags struct {
	configPath, listen, eventsPath string
	getenv                         func(string) string // OTEL_* and other settings outside the config
}

func serveCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := serveFlags{getenv: getenv}
	fs := flag.NewFlagSet("mobu serve", flag.ContinueOnError)
	fs.StringVar(&f.configPath, "config", getenv("MOBU_CONFIG_PATH"), "configuration `FILE` (default $MOBU_CONFIG_PATH)")
	fs.StringVar(&f.listen, "listen", "127.0.0.1:8080", "address to serve the REST API on")
	fs.StringVar(&f.eventsPath, "events", "", "append events as JSON lines to `FILE`")
	if help, err := parseFlags(fs, args, stderr); help || err != nil {
		return err
	}
	if f.configPath == "" {
		return usageErr("serve: --config (or MOBU_CONFIG_PATH) is required")
	}
	l, err := config.LoadFile(f.configPath, getenv)
	if err != nil {
		return usageErr("serve: %w", err)
	}
	if l.Fatal() {
		return usageErr("serve: %s is invalid:\n%w", f.configPath, l.Problems)
	}
	return serve(ctx, f, l, stderr)
}

// service is what serve runs: the manager, the API and the event queue.
type service struct {
	cfg     *config.Config
	log     *slog.Logger
	queue   *pipeline
	manager *flock.Manager
	http    *http.Server
	repos   *gitrepo.Cache
	github  *githubApps
	observe *observability
}

func serve(ctx context.Context, f serveFlags, l *config.Loaded, stderr io.Writer) error {
	s, err := newService(f, l.Config, serviceLogger(stderr, l.Config))
	if err != nil {
		return usageErr("serve: %w", err)
	}
	for _, p := range l.Problems {
		s.log.Error("skipping invalid autostart flock", "problem", p.Error())
	}
	for _, w := range l.Warnings {
		s.log.Warn(w)
	}
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return usageErr("serve: %w", err)
	}
	s.log.Info("mobu listening", "address", ln.Addr().String(), "prefix", s.cfg.PathPrefix, "version", version)
	if err := s.observe.start(s.manager, s.cfg); err != nil {
		ln.Close()
		return usageErr("serve: %w", err)
	}
	if err := s.github.start(); err != nil {
		ln.Close()
		return usageErr("serve: starting the CI app: %w", err)
	}
	served := make(chan error, 1)
	go func() { served <- s.http.Serve(ln) }()
	s.autostart()
	select {
	case <-ctx.Done():
		s.log.Info("shutting down", "grace", s.cfg.ShutdownGracePeriod.D())
	case err := <-served:
		s.log.Error("API server stopped", "error", err)
	}
	return s.shutdown()
}

func newService(f serveFlags, c *config.Config, logger *slog.Logger) (*service, error) {
	q, err := openPipeline(context.Background(), c.Metrics, f.eventsPath, true, logger)
	if err != nil {
		return nil, err
	}
	rep := discovery(c, logger)
	labs, err := labDriver(c, rep, logger)
	if err != nil {
		return nil, err
	}
	env := newEnvironment(c, rep, logger)
	getenv := f.getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	obs, err := newObservability(context.Background(), c, getenv, q, logger)
	if err != nil {
		return nil, err
	}
	obs.env = env.Name
	sources, cache, err := notebookSources(c, rep, logger)
	if err != nil {
		return nil, err
	}
	logOpts := monkeylog.Options{MaxFileBytes: c.MonkeyLogMaxBytes}
	if c.LogMonkeysToFile {
		logOpts.Dir = c.MonkeyLogDir
		logger.Info("writing monkey logs to files", "dir", c.MonkeyLogDir, "max_bytes", c.MonkeyLogMaxBytes)
	}
	grace := c.ShutdownGracePeriod.D()
	m := flock.NewManager(flock.Options{
		Registry: businesses(), Labs: labs, Sources: sources.Source, Publisher: obs.publisher(q), Logger: logger,
		Alerter: obs.alerter(), Tracer: obs.tracer(), OnDeleted: obs.flockDeleted,
		MonkeyLogs: logOpts, ReplicaIndex: c.ReplicaIndex, ReplicaCount: c.ReplicaCount,
		Grace: grace * 4 / 5, StatsWindow: c.StatsWindow.D(),
	})
	gh, err := newGitHubApps(c, m, sources, labs, q, env, logger)
	if err != nil {
		return nil, err
	}
	a := api.New(api.Options{Manager: m, Prefix: c.PathPrefix, Token: c.APIToken.Reveal(), Logger: logger,
		Metrics: telemetry.Handler(obs.registry), Events: func() any { return q.Stats() },
		RefreshWebhook: gh.refresh, CIWebhook: gh.ci, CI: gh.summary, PprofToken: c.PprofToken.Reveal(),
		Metadata: api.Metadata{Name: c.Name, Version: version, Description: "Health checks for JupyterHub science platforms",
			RepositoryURL: "https://github.com/mobu-dev/mobu", DocumentationURL: "https://github.com/mobu-dev/mobu#readme"}})
	srv := &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 10 * time.Second}
	srv.RegisterOnShutdown(a.EndStreams) // Shutdown would otherwise wait for log followers
	return &service{cfg: c, log: logger, queue: q, manager: m, http: srv, repos: cache, github: gh, observe: obs}, nil
}

// autostart starts the configured flocks concurrently; one that fails to
// start is logged and does not stop the others.
func (s *service) autostart() {
	for _, fc := range s.cfg.Flocks {
		go func() {
			if _, err := s.manager.Start(context.Background(), fc); err != nil {
				s.log.Error("autostart flock failed", "flock", fc.Name, "error", err)
			}
		}()
	}
}

// shutdown stops accepting requests, stops every flock (labs deleted) and
// flushes events, within the grace period.
func (s *service) shutdown() error {
	grace := s.cfg.ShutdownGracePeriod.D()
	deadline := time.Now().Add(grace)
	hctx, cancel := context.WithTimeout(context.Background(), grace/10)
	defer cancel()
	errs := []error{s.http.Shutdown(hctx)}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	var ciErr error
	var wg sync.WaitGroup
	wg.Go(func() { ciErr = s.github.stop(ctx) }) // concludes queued and running checks
	s.manager.StopAll()
	wg.Wait()
	errs = append(errs, ciErr)
	qctx, qcancel := context.WithDeadline(context.Background(), deadline)
	defer qcancel()
	errs = append(errs, s.observe.stop(qctx), s.queue.close(qctx), s.repos.Close())
	st := s.queue.Stats()
	s.log.Info("stopped", "events_written", st.Written, "events_dropped", st.Dropped, "events_rejected", st.Rejected,
		"events_pending", st.Pending)
	if err := errors.Join(errs...); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutting down: %w", err)
	}
	return nil
}
