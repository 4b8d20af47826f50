// Command mobu runs Jupyter notebooks as bot users against JupyterHub science
// platforms and reports per-cell timings. See README.md for usage.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := interruptible(context.Background(), os.Stderr, os.Exit)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// interruptible returns a context cancelled by the first SIGINT or SIGTERM,
// so commands clean up (delete labs, flush events); a second signal calls
// exit(130) at once. stop ends the signal watch and cancels the context.
func interruptible(parent context.Context, stderr io.Writer, exit func(int)) (context.Context, func()) {
	ctx, cancel := context.WithCancel(parent)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		select {
		case <-sigs:
		case <-done:
			return
		}
		fmt.Fprintln(stderr, "mobu: interrupted, cleaning up (press Ctrl-C again to quit at once)")
		cancel()
		select {
		case <-sigs:
			exit(130)
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		<-finished
		cancel()
	}
}

// exitError carries a process exit status; its message may be empty when
// the failure has already been reported.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageErr is a command-line or configuration error: exit status 2.
func usageErr(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, args...)}
}

// exitCode prints err (if it has something to say) and maps it to a status.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(stderr, "mobu:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "mobu:", err)
	return 1
}

const usage = `usage: mobu <command> [flags]

Commands:
  serve          run the flock service (REST API, autostart flocks)
  run            run notebooks once as one bot user against a JupyterHub
  config check   validate a configuration file
  flock          start, list, report, stop, refresh, pause or resume flocks of a running service
  notebooks      show which notebooks of a repository a flock would run, and why the others not
  lint           report notebooks that store outputs or execution counts
  events tail    print the events published to Kafka, decoded
  report         rank stages, notebooks, cells, flocks or monkeys by time spent, from recorded events
  bench          measure per-cell overhead against a JupyterHub
  version        print the version

Run "mobu <command> -h" for a command's flags.
`

// run is the whole program, minus process plumbing, so tests can call it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return &exitError{code: 2}
	}
	switch args[0] {
	case "run":
		return runCommand(ctx, args[1:], getenv, stdout, stderr)
	case "bench":
		return benchCommand(ctx, args[1:], getenv, stdout, stderr)
	case "serve":
		return serveCommand(ctx, args[1:], getenv, stdout, stderr)
	case "config":
		return configCommand(ctx, args[1:], getenv, stdout, stderr)
	case "flock":
		return flockCommand(ctx, args[1:], getenv, stdout, stderr)
	case "notebooks":
		return notebooksCommand(ctx, args[1:], getenv, stdout, stderr)
	case "lint":
		return lintCommand(ctx, args[1:], getenv, stdout, stderr)
	case "events":
		return eventsCommand(ctx, args[1:], getenv, stdout, stderr)
	case "report":
		return reportCommand(ctx, args[1:], getenv, stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "mobu", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return usageErr("unknown command %q", args[0])
}
