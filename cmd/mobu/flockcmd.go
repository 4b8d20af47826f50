package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"

	"gopkg.in/yaml.v3"

	"github.com/mobu-dev/mobu/internal/client"
)

const flockUsage = `usage: mobu flock <command> [flags]

Talks to a running mobu service (--url, default $MOBU_URL or
http://127.0.0.1:8080/mobu; bearer --token, default $MOBU_TOKEN).

Commands:
  start -f SPEC.yaml   start (or replace) a flock from a YAML or JSON spec
  list                 list flocks with their counts
  report NAME -o DIR   write the flock's data, summary and every monkey's data and log to DIR
  stop NAME            stop a flock; its monkeys delete their labs
  refresh NAME         re-read the flock's notebooks
  pause NAME           hold the monkeys after their current execution
  resume NAME          let paused monkeys continue
`

func flockCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, flockUsage)
		return &exitError{code: 2}
	}
	fs := flag.NewFlagSet("mobu flock "+args[0], flag.ContinueOnError)
	base := fs.String("url", envOr(getenv, "MOBU_URL", "http://127.0.0.1:8080/mobu"), "mobu API `URL` including its path prefix")
	token := fs.String("token", getenv("MOBU_TOKEN"), "bearer token for the API")
	spec := fs.String("f", "", "flock spec `FILE` (start)")
	out := fs.String("o", "", "output `DIR` (report)")
	fs.Usage = func() { fmt.Fprint(fs.Output(), flockUsage+"\nFlags:\n"); fs.PrintDefaults() }
	pos, help, err := parseInterspersed(fs, args[1:], stderr)
	if help || err != nil {
		return err
	}
	c, err := client.New(*base, *token)
	if err != nil {
		return usageErr("flock: %w", err)
	}
	var name string
	if len(pos) > 0 {
		name = pos[0]
	}
	needName := func() error {
		if len(pos) != 1 {
			return usageErr("flock %s: give exactly one flock name", args[0])
		}
		return nil
	}
	switch args[0] {
	case "start":
		return flockStart(ctx, c, *spec, stdout)
	case "list":
		return flockList(ctx, c, stdout)
	case "report":
		if err := needName(); err != nil {
			return err
		}
		return flockReport(ctx, c, name, *out, stdout)
	case "stop", "refresh", "pause", "resume":
		if err := needName(); err != nil {
			return err
		}
		return flockAct(ctx, c, args[0], name, stdout)
	}
	fmt.Fprint(stderr, flockUsage)
	return usageErr("flock: unknown command %q", args[0])
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

// flockStart sends a YAML or JSON spec as JSON.
func flockStart(ctx context.Context, c *client.Client, path string, stdout io.Writer) error {
	if path == "" {
		return usageErr("flock start: -f SPEC is required")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return usageErr("flock start: %w", err)
	}
	var spec any
	if err := yaml.Unmarshal(data, &spec); err != nil {
		return usageErr("flock start: %s: %w", path, err)
	}
	body, err := json.Marshal(spec)
	if err != nil {
		return usageErr("flock start: %s: %w", path, err)
	}
	raw, err := c.StartFlock(ctx, body)
	if err != nil {
		return err
	}
	var fd struct {
		Name    string            `json:"name"`
		Monkeys []json.RawMessage `json:"monkeys"`
	}
	json.Unmarshal(raw, &fd)
	fmt.Fprintf(stdout, "started flock %s with %d monkey(s)\n", fd.Name, len(fd.Monkeys))
	return nil
}

func flockList(ctx context.Context, c *client.Client, stdout io.Writer) error {
	names, err := c.Flocks(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FLOCK\tBUSINESS\tMONKEYS\tSUCCESSES\tFAILURES\tSUCCESS RATE\tSTATE")
	for _, n := range names {
		s, err := c.Summary(ctx, n)
		if err != nil {
			return err
		}
		state := "running"
		if s.Paused {
			state = "paused"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%.2f%%\t%s\n", s.Name, s.Business, s.MonkeyCount, s.SuccessCount,
			s.FailureCount, 100*s.SuccessRate, state)
	}
	return tw.Flush()
}

func flockAct(ctx context.Context, c *client.Client, action, name string, stdout io.Writer) error {
	var err error
	if action == "stop" {
		err = c.StopFlock(ctx, name)
	} else {
		err = c.Act(ctx, name, action)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %s done\n", name, action)
	return nil
}

// flockReport writes DIR/flock.json, DIR/summary.json and, per monkey,
// DIR/monkeys/NAME.json and DIR/monkeys/NAME.log.
func flockReport(ctx context.Context, c *client.Client, name, dir string, stdout io.Writer) error {
	if dir == "" {
		return usageErr("flock report: -o DIR is required")
	}
	if err := os.MkdirAll(filepath.Join(dir, "monkeys"), 0o755); err != nil {
		return err
	}
	fd, err := c.Flock(ctx, name)
	if err != nil {
		return err
	}
	sum, err := c.SummaryJSON(ctx, name)
	if err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(dir, "flock.json"), fd); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(dir, "summary.json"), sum); err != nil {
		return err
	}
	monkeys, err := c.Monkeys(ctx, name)
	if err != nil {
		return err
	}
	for _, m := range monkeys {
		if err := reportMonkey(ctx, c, name, m, filepath.Join(dir, "monkeys")); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "wrote the report of flock %s (%d monkeys) to %s\n", name, len(monkeys), dir)
	return nil
}

func reportMonkey(ctx context.Context, c *client.Client, flock, monkey, dir string) error {
	data, err := c.Monkey(ctx, flock, monkey)
	if err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(dir, monkey+".json"), data); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, monkey+".log"))
	if err != nil {
		return err
	}
	if err := c.MonkeyLog(ctx, flock, monkey, f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func writeJSON(path string, raw json.RawMessage) error {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	b, _ := json.MarshalIndent(v, "", "    ")
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
