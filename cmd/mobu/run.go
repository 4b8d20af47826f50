package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/mobu-dev/mobu/config"
	"github.com/mobu-dev/mobu/internal/driver"
	"github.com/mobu-dev/mobu/internal/events"
	"github.com/mobu-dev/mobu/internal/jupyter"
	"github.com/mobu-dev/mobu/internal/notebook"
	"github.com/mobu-dev/mobu/internal/report"
	"github.com/mobu-dev/mobu/internal/telemetry"
)

// runFlags are the options of `mobu run`.
type runFlags struct {
	hubURL, user, eventsPath, junitPath, kernel, server, protocol string
	cellTimeout, spawnTimeout, kernelTimeout, deleteTimeout       time.Duration
	executionIdle                                                 time.Duration
	keepLab, verbose                                              bool
	paths                                                         []string
}

func parseRunFlags(args []string, getenv func(string) string, stderr io.Writer) (*runFlags, bool, error) {
	f := &runFlags{}
	fs := flag.NewFlagSet("mobu run", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "usage: mobu run --hub-url URL [flags] PATH...\n\n"+
			"Runs the notebooks (files, or directories searched for *.ipynb) once as one bot user.\n"+
			"The hub's admin token is read from MOBU_HUB_TOKEN.\n"+
			"Exit status: 0 all passed, 1 a notebook failed, 2 usage or configuration error.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&f.hubURL, "hub-url", getenv("MOBU_HUB_URL"), "JupyterHub URL (default $MOBU_HUB_URL)")
	fs.StringVar(&f.user, "user", "bot-mobu-run", "bot user to run as (created if missing)")
	fs.StringVar(&f.eventsPath, "events", "", "write events as JSON lines to `FILE`")
	fs.StringVar(&f.junitPath, "junit", "", "write a JUnit XML report to `FILE`")
	fs.StringVar(&f.kernel, "kernel", "python3", "kernel name")
	fs.StringVar(&f.server, "server", "", "named server to use instead of the default one")
	fs.StringVar(&f.protocol, "protocol", "auto", "kernel websocket protocol: auto, v1 or legacy")
	durationVar(fs, &f.cellTimeout, "cell-timeout", 5*time.Minute, "per-cell time limit; the kernel is interrupted (0 = none)")
	durationVar(fs, &f.spawnTimeout, "spawn-timeout", 10*time.Minute, "time limit for the lab to start")
	durationVar(fs, &f.kernelTimeout, "kernel-timeout", 3*time.Minute, "time limit for a kernel to start and answer")
	durationVar(fs, &f.deleteTimeout, "delete-timeout", time.Minute, "time limit for deleting the lab")
	durationVar(fs, &f.executionIdle, "execution-idle", 0, "pause between cells")
	fs.BoolVar(&f.keepLab, "keep-lab", false, "leave the lab running at the end")
	fs.BoolVar(&f.verbose, "v", false, "log requests and retries to stderr")
	if help, err := parseFlags(fs, args, stderr); help || err != nil {
		return nil, help, err
	}
	f.paths = fs.Args()
	switch {
	case f.hubURL == "":
		return nil, false, usageErr("run: --hub-url (or MOBU_HUB_URL) is required")
	case getenv("MOBU_HUB_TOKEN") == "":
		return nil, false, usageErr("run: MOBU_HUB_TOKEN is not set (the hub's admin or service API token)")
	case len(f.paths) == 0:
		return nil, false, usageErr("run: no notebooks given (pass files or directories)")
	case f.protocol != "auto" && f.protocol != "v1" && f.protocol != "legacy":
		return nil, false, usageErr("run: --protocol must be auto, v1 or legacy (got %q)", f.protocol)
	}
	return f, false, nil
}

func runCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f, help, err := parseRunFlags(args, getenv, stderr)
	if help || err != nil {
		return err
	}
	start := time.Now()
	entries, err := loadEntries(f.paths)
	if err != nil {
		return usageErr("run: %w", err)
	}
	logger := newLogger(stderr, f.verbose)
	metrics, ps := config.MetricsFromEnv(getenv)
	if ps != nil {
		return usageErr("run: %w", ps)
	}
	pub, err := openPipeline(ctx, metrics, f.eventsPath, false, logger)
	if err != nil {
		return usageErr("run: %w", err)
	}
	hub, err := jupyter.NewHub(jupyter.HubConfig{URL: f.hubURL, Token: getenv("MOBU_HUB_TOKEN"), Logger: logger})
	if err != nil {
		return usageErr("run: %w", err)
	}
	console := report.NewConsole(stdout)
	console.Header(f.user, f.hubURL, len(entries))
	user := hub.User(f.user, jupyter.UserOptions{
		ServerName: f.server, KernelName: f.kernel, TokenLifetime: 24 * time.Hour,
		OnProgress: func(p jupyter.Progress) { console.Progress(p.Percent, p.Message) },
		Kernel:     jupyter.KernelOptions{Protocol: driver.Protocol(f.protocol), Logger: logger},
	})
	batch := newBatch(f, pub, console)
	tracer, flush, err := runTracer(ctx, getenv, logger)
	if err != nil {
		return usageErr("run: %w", err)
	}
	defer flush()
	batch.Tracer = tracer
	res := batch.Run(ctx, driver.Lab(user), entries)
	return finishRun(ctx, f, res, pub, stdout, time.Since(start))
}

func newBatch(f *runFlags, pub events.Publisher, console *report.Console) *notebook.Batch {
	cwd, _ := os.Getwd()
	return &notebook.Batch{
		Runner: &notebook.Runner{
			Meta:        notebook.Meta{Business: "NotebookRunnerList", Username: f.user, Repo: cwd},
			Publisher:   pub,
			CellTimeout: f.cellTimeout, ExecutionIdle: f.executionIdle,
			OnCell: console.Cell,
		},
		SpawnTimeout: f.spawnTimeout, KernelTimeout: f.kernelTimeout, DeleteTimeout: f.deleteTimeout,
		KeepLab: f.keepLab,
		OnStage: console.Stage, OnNotebook: console.NotebookStart, OnResult: console.NotebookDone,
	}
}

// finishRun flushes events, prints the summary, writes JUnit and maps the
// outcome to an exit status.
func finishRun(ctx context.Context, f *runFlags, res *notebook.BatchResult, pub *pipeline, stdout io.Writer,
	wall time.Duration) error {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	var errs []error
	if err := pub.close(fctx); err != nil {
		errs = append(errs, err)
	}
	if n := pub.undelivered(); n > 0 {
		s := pub.Stats()
		errs = append(errs, fmt.Errorf("events: %d not delivered (%d dropped, %d rejected, %d invalid, %d pending)",
			n, s.Dropped, s.Rejected, s.Invalid, s.Pending))
	}
	fmt.Fprintln(stdout)
	if err := report.WriteSummary(stdout, res, wall); err != nil {
		errs = append(errs, err)
	}
	if f.junitPath != "" {
		if err := writeJUnit(f.junitPath, res); err != nil {
			errs = append(errs, err)
		}
	}
	if ctx.Err() != nil {
		errs = append(errs, errors.New("interrupted"))
	}
	if len(errs) > 0 || !res.Passed() {
		return &exitError{code: 1, err: errors.Join(errs...)}
	}
	return nil
}

func writeJUnit(path string, res *notebook.BatchResult) error {
	file, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("writing JUnit report: %w", err)
	}
	if err := report.WriteJUnit(file, res, "mobu", time.Now()); err != nil {
		file.Close()
		return fmt.Errorf("writing JUnit report: %w", err)
	}
	return file.Close()
}

// loadEntries finds and parses the notebooks; a notebook that does not parse
// is kept as a failed entry so the others still run.
func loadEntries(paths []string) ([]notebook.Entry, error) {
	files, err := notebook.Find(paths...)
	if err != nil {
		return nil, err
	}
	entries := make([]notebook.Entry, 0, len(files))
	for _, file := range files {
		nb, err := notebook.ReadFile(file)
		entries = append(entries, notebook.Entry{Path: filepath.ToSlash(file), Notebook: nb, ParseErr: err})
	}
	return entries, nil
}

type discardSink struct{}

func (discardSink) Write(context.Context, []events.Event) error { return nil }
func (discardSink) Close() error                                { return nil }

func newLogger(w io.Writer, verbose bool) *slog.Logger {
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// runTracer traces the run when the OTEL_* variables ask for it; flush
// exports the spans at the end.
func runTracer(ctx context.Context, getenv func(string) string, logger *slog.Logger) (notebook.Tracer, func(), error) {
	tracing, err := telemetry.TracingFromEnv(ctx, getenv, version)
	if err != nil || tracing == nil {
		return nil, func() {}, err
	}
	return tracing, func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := tracing.Shutdown(sctx); err != nil {
			logger.Warn("flushing traces", "error", err)
		}
	}, nil
}
