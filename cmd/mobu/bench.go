package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"text/tabwriter"
	"time"

	"github.com/mobu-dev/mobu/internal/driver"
	"github.com/mobu-dev/mobu/internal/jupyter"
	"github.com/mobu-dev/mobu/internal/report"
)

// benchFlags are the options of `mobu bench`.
type benchFlags struct {
	hubURL, user, code, protocol string
	cells, warmup                int
}

// benchSamples holds per-cell timings of one bench run.
type benchSamples struct {
	client, kernel, diff, baseline []time.Duration
}

func benchCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := &benchFlags{}
	fs := flag.NewFlagSet("mobu bench", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "usage: mobu bench --hub-url URL [flags]\n\n"+
			"Runs trivial cells on one kernel, alternating blocks of cells from mobu's client and\n"+
			"from a minimal raw websocket client on the same kernel, and prints p50/p95 of the client round trip,\n"+
			"the kernel's own time and their difference. Token from MOBU_HUB_TOKEN.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&f.hubURL, "hub-url", getenv("MOBU_HUB_URL"), "JupyterHub URL (default $MOBU_HUB_URL)")
	fs.StringVar(&f.user, "user", "bot-mobu-bench", "bot user")
	fs.StringVar(&f.code, "code", "pass", "cell code")
	fs.StringVar(&f.protocol, "protocol", "auto", "kernel websocket protocol: auto, v1 or legacy")
	fs.IntVar(&f.cells, "cells", 200, "cells to time")
	fs.IntVar(&f.warmup, "warmup", 10, "untimed cells first")
	if help, err := parseFlags(fs, args, stderr); help || err != nil {
		return err
	}
	if f.hubURL == "" || getenv("MOBU_HUB_TOKEN") == "" || f.cells < 1 {
		return usageErr("bench: needs --hub-url (or MOBU_HUB_URL), MOBU_HUB_TOKEN and --cells ≥ 1")
	}
	hub, err := jupyter.NewHub(jupyter.HubConfig{URL: f.hubURL, Token: getenv("MOBU_HUB_TOKEN")})
	if err != nil {
		return usageErr("bench: %w", err)
	}
	user := hub.User(f.user, jupyter.UserOptions{Kernel: jupyter.KernelOptions{Protocol: driver.Protocol(f.protocol)}})
	s, proto, err := benchRun(ctx, user, f)
	if err != nil {
		return err
	}
	printBench(stdout, f, proto, s)
	return nil
}

// benchRun spawns a lab, times the cells and always deletes the lab.
func benchRun(ctx context.Context, user *jupyter.User, f *benchFlags) (s benchSamples, proto jupyter.Protocol, err error) {
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		err = errors.Join(err, user.DeleteLab(cctx), user.Logout(cctx))
	}()
	if err = user.Login(ctx); err != nil {
		return s, "", err
	}
	if err = user.Spawn(ctx); err != nil {
		return s, "", err
	}
	sess, err := user.OpenSession(ctx, "mobu-bench.ipynb")
	if err != nil {
		return s, "", err
	}
	defer sess.Close(context.WithoutCancel(ctx))
	base, err := sess.OpenBaseline(ctx)
	if err != nil {
		return s, "", err
	}
	defer base.Close()
	s, err = timeCells(ctx, sess, base, f)
	return s, sess.Protocol(), err
}

// timeCells runs the warm-up and timed cells on both clients.
func timeCells(ctx context.Context, sess *jupyter.Session, base *jupyter.Baseline, f *benchFlags) (benchSamples, error) {
	var s benchSamples
	if err := benchBlock(ctx, sess, base, f.code, f.warmup, nil); err != nil {
		return s, err
	}
	// Alternate blocks of cells rather than single cells: cells of one client
	// broadcast iopub traffic to the other's connection, and interleaving
	// them cell by cell skews TCP timing in favour of one of them.
	const block = 25
	for done := 0; done < f.cells; done += block {
		if err := benchBlock(ctx, sess, base, f.code, min(block, f.cells-done), &s); err != nil {
			return s, err
		}
	}
	return s, nil
}

// benchBlock runs n cells on mobu's client and then n on the baseline,
// recording their timings in s unless s is nil (warm-up).
func benchBlock(ctx context.Context, sess *jupyter.Session, base *jupyter.Baseline, code string, n int, s *benchSamples) error {
	for range n {
		res, err := sess.Execute(ctx, code, jupyter.ExecOptions{Timeout: time.Minute})
		if err != nil {
			return fmt.Errorf("bench cell: %w", err)
		}
		if s != nil {
			s.client = append(s.client, res.Duration)
			if res.HasKernelDuration { // a kernel that sends no dates has no kernel time
				s.kernel = append(s.kernel, res.KernelDuration)
				s.diff = append(s.diff, res.Duration-res.KernelDuration)
			}
		}
	}
	for range n {
		raw, err := base.Execute(ctx, code)
		if err != nil {
			return fmt.Errorf("baseline cell: %w", err)
		}
		if s != nil {
			s.baseline = append(s.baseline, raw)
		}
	}
	return nil
}

func printBench(w io.Writer, f *benchFlags, proto jupyter.Protocol, s benchSamples) {
	fmt.Fprintf(w, "%d cells of %q on %s (protocol %s), %s %s/%s, %d CPUs, %s\n\n", f.cells, f.code, f.hubURL,
		proto, runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), time.Now().UTC().Format(time.RFC3339))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\tp50\tp95\tmean\t")
	row := func(name string, ds []time.Duration) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", name, ms(report.Quantile(ds, 0.5)), ms(report.Quantile(ds, 0.95)), ms(report.Mean(ds)))
	}
	row("mobu client round trip", s.client)
	if len(s.kernel) > 0 {
		row("kernel time", s.kernel)
		row("round trip − kernel", s.diff)
	}
	row("baseline client round trip", s.baseline)
	tw.Flush()
	fmt.Fprintf(w, "\nmobu − baseline at p50: %s\n", ms(report.Quantile(s.client, 0.5)-report.Quantile(s.baseline, 0.5)))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }
